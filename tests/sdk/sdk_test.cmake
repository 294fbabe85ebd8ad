# cmake -DBUILD_DIR=… -DSOURCE_DIR=… -DWORK_DIR=… -DGENERATOR=… -DCXX=… [-DCUDA=ON
#       -DCUDA_COMPILER=…] -P sdk_test.cmake
# The SDK as a plugin author uses it, on a prefix that has been MOVED after installing:
# 1. cmake --install BUILD_DIR --prefix WORK_DIR/prefix, then move it to WORK_DIR/moved
#    (nothing may still point at the first place, nor at the build tree);
# 2. check the install is relocatable: versioned SONAME of the core, RUNPATH $ORIGIN/../lib
#    of bin/rnnlab and $ORIGIN/../.. of the installed plugins;
# 3. configure + build plugins/examples/mgu and tests/sdk/check against the moved prefix; with
#    CUDA (the tree was built with it), mgu's CUDA kernel must have been compiled by nvcc from
#    the installed headers and linked into the plugin (no GPU here: it is loaded, not run);
#    without CUDA that part is skipped;
# 4. run the check program (installed core: the built-ins are found beside it; mgu from its
#    build dir through RNNLAB_PLUGIN_PATH): conformance of mgu and of nstep stacking mgu;
# 4b. the moved rnnlab's `suite mgu --plugin-path <mgu build>` (smoke budget, generated tasks):
#    mgu ranked against lstm and gru, every run finished;
# 5. cmake --install the mgu build into the moved prefix, as plugins/README says, and run the
#    moved bin/rnnlab `cells -v` and `gradcheck mgu` with no RNNLAB_PLUGIN_PATH and no
#    LD_LIBRARY_PATH: mgu must be found in <moved>/lib/rnnlab/plugins, nothing searched in
#    the build tree or the first prefix.
foreach(v BUILD_DIR SOURCE_DIR WORK_DIR GENERATOR CXX)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "sdk_test.cmake: -D${v}=… is required")
  endif()
endforeach()

function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "SDK test: ${what} failed (${rc}):\n${out}\n${err}")
  endif()
  message(STATUS "SDK test: ${what}: ok")
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

function(expect what text pattern)
  string(FIND "${text}" "${pattern}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "SDK test: ${what}: expected '${pattern}' in:\n${text}")
  endif()
endfunction()

# readelf -d of `file` must show `pattern` (a RUNPATH, a needed library).
function(expect_dynamic what file pattern)
  run_step("readelf ${what}" readelf -d "${file}")
  expect("${what}" "${step_output}" "${pattern}")
endfunction()

function(expect_not what text pattern)
  string(FIND "${text}" "${pattern}" at)
  if(NOT at EQUAL -1)
    message(FATAL_ERROR "SDK test: ${what}: '${pattern}' must not appear in:\n${text}")
  endif()
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
set(first "${WORK_DIR}/prefix")
set(prefix "${WORK_DIR}/moved")
run_step("install" ${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${first}")
file(RENAME "${first}" "${prefix}")
message(STATUS "SDK test: moved ${first} to ${prefix}")

# 2. relocatable install
file(GLOB libdirs LIST_DIRECTORIES true "${prefix}/lib*")
list(GET libdirs 0 libdir)
get_filename_component(libname "${libdir}" NAME)
file(GLOB core_files "${libdir}/librnnlab_core.so.*.*.*")
if(NOT core_files)
  message(FATAL_ERROR "SDK test: no versioned ${libdir}/librnnlab_core.so.X.Y.Z installed")
endif()
list(GET core_files 0 core_file)
run_step("readelf core" readelf -d "${core_file}")
string(REGEX MATCH "Library soname: \\[librnnlab_core\\.so\\.[0-9]+\\.[0-9]+\\]" soname "${step_output}")
if(NOT soname)
  message(FATAL_ERROR "SDK test: the core's SONAME is not librnnlab_core.so.<major>.<minor>:\n${step_output}")
endif()
expect_dynamic("RUNPATH of bin/rnnlab" "${prefix}/bin/rnnlab" "[\$ORIGIN/../${libname}]")
expect_dynamic("RUNPATH of an installed plugin"
               "${libdir}/rnnlab/plugins/librnnlab_plugin_lstm.so" "[\$ORIGIN/../..]")

# 3. build against the moved prefix
set(config_args -G "${GENERATOR}" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=${CXX}
    -DCMAKE_PREFIX_PATH=${prefix})
if(CUDA AND CUDA_COMPILER)
  list(APPEND config_args -DCMAKE_CUDA_COMPILER=${CUDA_COMPILER})
endif()
run_step("configure mgu" ${CMAKE_COMMAND} -S "${SOURCE_DIR}/plugins/examples/mgu"
         -B "${WORK_DIR}/mgu" ${config_args})
run_step("build mgu" ${CMAKE_COMMAND} --build "${WORK_DIR}/mgu" -j 2)
if(CUDA)
  if(NOT EXISTS "${WORK_DIR}/mgu/CMakeFiles/mgu.dir/mgu_cuda.cu.o")
    message(FATAL_ERROR "SDK test: the mgu build compiled no mgu_cuda.cu (CUDA is on)")
  endif()
  run_step("nm mgu plugin" nm -C "${WORK_DIR}/mgu/librnnlab_plugin_mgu.so")
  expect("the mgu plugin's symbols" "${step_output}" "mgu::mgu_update_cuda(")
  expect_dynamic("libraries the mgu plugin needs" "${WORK_DIR}/mgu/librnnlab_plugin_mgu.so"
                 "[libcudart.so")
else()
  message(STATUS "SDK test: no CUDA, the mgu CUDA kernel is not built (skipped)")
endif()
run_step("configure check" ${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/sdk/check"
         -B "${WORK_DIR}/check" ${config_args})
run_step("build check" ${CMAKE_COMMAND} --build "${WORK_DIR}/check" -j 2)

file(GLOB mgu_so "${WORK_DIR}/mgu/librnnlab_plugin_mgu.so")
if(NOT mgu_so)
  message(FATAL_ERROR "SDK test: the build made no librnnlab_plugin_mgu.so in ${WORK_DIR}/mgu")
endif()
set(plugin_dir "${libdir}/rnnlab/plugins")

# 4. the check program: mgu from its build dir, the built-ins found beside the installed core
run_step("conformance of mgu with the installed core"
         ${CMAKE_COMMAND} -E env --unset=LD_LIBRARY_PATH "RNNLAB_PLUGIN_PATH=${WORK_DIR}/mgu"
         "${WORK_DIR}/check/rnnlab_sdk_check" "${WORK_DIR}/mgu" "${plugin_dir}")
message("${step_output}")

# 4b. the cell suite with the out-of-tree mgu (README "Rank a new cell"): the moved rnnlab
#     ranks mgu from its build dir (--plugin-path, no environment variable: the suite's
#     workers must be told where it is) against lstm and gru on the generated tasks (the
#     corpora are not needed), smoke budget; every run must finish and be ranked.
run_step("moved rnnlab suite mgu (smoke)"
         ${CMAKE_COMMAND} -E env --unset=RNNLAB_PLUGIN_PATH --unset=LD_LIBRARY_PATH
         --unset=RNNLAB_CELL_FROM
         "${prefix}/bin/rnnlab" suite mgu --plugin-path "${WORK_DIR}/mgu" --budget smoke
         --tasks copy,selective_copy,associative_recall,adding,length
         --tasks-dir "${SOURCE_DIR}/experiments/suite" --out "${WORK_DIR}/suite")
expect("suite mgu" "${step_output}" "budget smoke, seeds 1, 3 cells, 5 tasks")
expect("suite mgu" "${step_output}" "overall (mean rank over 5 tasks): 1. ")
expect_not("suite mgu" "${step_output}" "runs that did not finish")
file(READ "${WORK_DIR}/suite/leaderboard.csv" board)
foreach(task copy selective_copy associative_recall length)
  expect("suite mgu leaderboard.csv" "${board}" "${task},accuracy,higher,mgu,1,1,")
endforeach()
expect("suite mgu leaderboard.csv" "${board}" "adding,loss,lower,mgu,1,1,")
message("${step_output}")

# 5. install the plugin into the moved prefix; the moved rnnlab finds it with no environment
run_step("install mgu into the prefix" ${CMAKE_COMMAND} --install "${WORK_DIR}/mgu" --prefix "${prefix}")
if(NOT EXISTS "${plugin_dir}/librnnlab_plugin_mgu.so")
  message(FATAL_ERROR "SDK test: cmake --install put no librnnlab_plugin_mgu.so into ${plugin_dir}")
endif()
set(bare_env ${CMAKE_COMMAND} -E env --unset=RNNLAB_PLUGIN_PATH --unset=LD_LIBRARY_PATH
    --unset=RNNLAB_CELL_FROM)
run_step("moved rnnlab cells -v" ${bare_env} "${prefix}/bin/rnnlab" cells -v)
file(REAL_PATH "${plugin_dir}" plugin_dir_real)
expect("cells -v" "${step_output}" "plugin mgu 1.0.0  (${plugin_dir_real}/librnnlab_plugin_mgu.so)")
expect("cells -v" "${step_output}" "plugin lstm 1.0.0  (${plugin_dir_real}/librnnlab_plugin_lstm.so)")
expect("cells -v" "${step_output}" "  ${plugin_dir_real}  (beside the core library ${libdir}")
expect_not("cells -v" "${step_output}" "${BUILD_DIR}/plugins")     # the build tree's plugins
expect_not("cells -v" "${step_output}" "${BUILD_DIR}/framework/")  # the build tree's core
expect_not("cells -v" "${step_output}" "${first}/")
expect_not("cells -v" "${step_output}" "warning:")
run_step("moved rnnlab gradcheck mgu" ${bare_env} "${prefix}/bin/rnnlab" gradcheck mgu)
expect("gradcheck mgu" "${step_output}" "cell mgu: all checks passed")
message("${step_output}")
