# cmake -DBUILD_DIR=… -DSOURCE_DIR=… -DWORK_DIR=… -DGENERATOR=… -DCXX=… -P sdk_test.cmake
# 1. cmake --install BUILD_DIR --prefix WORK_DIR/prefix
# 2. configure + build plugins/examples/mgu and tests/sdk/check against that prefix
# 3. run the check with RNNLAB_PLUGIN_PATH=<mgu build dir>:<installed plugin dir>
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

file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
run_step("install" ${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}")

set(config_args -G "${GENERATOR}" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=${CXX}
    -DCMAKE_PREFIX_PATH=${prefix})
run_step("configure mgu" ${CMAKE_COMMAND} -S "${SOURCE_DIR}/plugins/examples/mgu"
         -B "${WORK_DIR}/mgu" ${config_args})
run_step("build mgu" ${CMAKE_COMMAND} --build "${WORK_DIR}/mgu" -j 2)
run_step("configure check" ${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/sdk/check"
         -B "${WORK_DIR}/check" ${config_args})
run_step("build check" ${CMAKE_COMMAND} --build "${WORK_DIR}/check" -j 2)

file(GLOB mgu_so "${WORK_DIR}/mgu/librnnlab_plugin_mgu.so")
if(NOT mgu_so)
  message(FATAL_ERROR "SDK test: the build made no librnnlab_plugin_mgu.so in ${WORK_DIR}/mgu")
endif()
file(GLOB plugin_dirs LIST_DIRECTORIES true "${prefix}/lib*/rnnlab/plugins")
if(NOT plugin_dirs)
  message(FATAL_ERROR "SDK test: no <prefix>/lib*/rnnlab/plugins after the install")
endif()
list(GET plugin_dirs 0 plugin_dir)
run_step("conformance of mgu with the installed core"
         ${CMAKE_COMMAND} -E env "RNNLAB_PLUGIN_PATH=${WORK_DIR}/mgu:${plugin_dir}"
         "${WORK_DIR}/check/rnnlab_sdk_check" "${WORK_DIR}/mgu" "${plugin_dir}")
message("${step_output}")
