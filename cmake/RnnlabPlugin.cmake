# rnnlab_add_plugin(<name> SOURCES a.cpp ... [CUDA_SOURCES k.cu ...] [NO_INSTALL])
# Builds a cell plugin: a shared object librnnlab_plugin_<name>.so that exports only
# `rnnlab_plugin_entry` (-fvisibility=hidden), links rnnlab::core and is compiled as C++20.
# CUDA_SOURCES: the plugin's CUDA kernels (nvcc, C++17), compiled only where CUDA is on (see
# rnnlab_enable_cuda below) and the rnnlab core was built with CUDA; the plugin then gets
# RNNLAB_HAVE_CUDA=1. Elsewhere they are left out (a status line says so) and the plugin is
# built without them, so its C++ must test RNNLAB_HAVE_CUDA before calling a kernel.
#
# In the rnnlab tree (RNNLAB_PLUGIN_BUILD_DIR is set): it lands in <build>/plugins, where the
# core finds it, and `cmake --install` puts it in <prefix>/lib/rnnlab/plugins (RnnlabInstall.cmake
# installs every plugin that is still in that directory at the end of configuration).
# Out of tree (after find_package(rnnlab)): it is built in the current binary directory, and
# `cmake --install` puts it in <your prefix>/<libdir>/rnnlab/plugins unless NO_INSTALL is given.
# The core finds <prefix>/<libdir>/rnnlab/plugins of its own prefix by itself (relative to the
# core library), so after `cmake --install` the cell is found with no environment variable;
# a plugin elsewhere is found through --plugin-path or $RNNLAB_PLUGIN_PATH. Installed, the
# plugin's RPATH is $ORIGIN/../.. (the libdir holding librnnlab_core), so a moved prefix works.
function(rnnlab_add_plugin name)
  cmake_parse_arguments(ARG "NO_INSTALL" "" "SOURCES;CUDA_SOURCES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "rnnlab_add_plugin(${name}): no SOURCES given")
  endif()
  if(NOT TARGET rnnlab::core)
    message(FATAL_ERROR "rnnlab_add_plugin(${name}): no target rnnlab::core; "
                        "call find_package(rnnlab REQUIRED) first")
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE rnnlab::core)
  target_compile_features(${name} PRIVATE cxx_std_20)
  set_target_properties(${name} PROPERTIES
    PREFIX "librnnlab_plugin_"
    CXX_VISIBILITY_PRESET hidden
    CUDA_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    INSTALL_RPATH "$ORIGIN/../..")
  if(DEFINED RNNLAB_PLUGIN_BUILD_DIR)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${RNNLAB_PLUGIN_BUILD_DIR}")
    set_property(GLOBAL APPEND PROPERTY RNNLAB_PLUGIN_TARGETS ${name})
  elseif(NOT ARG_NO_INSTALL)
    include(GNUInstallDirs)
    install(TARGETS ${name} LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}/rnnlab/plugins")
  endif()
  if(COMMAND rnnlab_target_defaults)
    rnnlab_target_defaults(${name})
  endif()
  if(ARG_CUDA_SOURCES)
    _rnnlab_plugin_cuda(${name} ${ARG_CUDA_SOURCES})
  endif()
endfunction()

# The CUDA part of a plugin (rnnlab_add_plugin's CUDA_SOURCES): the .cu files, RNNLAB_HAVE_CUDA=1
# (has_fused(Device::cuda) turns on) and the shared CUDA runtime, the one librnnlab_core uses,
# so both see one runtime and one stream. A kernel includes only public headers
# (rnnlab/cuda_kernel.h: the backend's stream, checked launches, views; rnnlab/hd_math.h;
# rnnlab/fused_kernel.h), so in tree and out of tree build the same way.
function(_rnnlab_plugin_cuda target)
  get_property(_languages GLOBAL PROPERTY ENABLED_LANGUAGES)
  if(DEFINED RNNLAB_PLUGIN_BUILD_DIR)
    set(_core_cuda ${RNNLAB_HAVE_CUDA})  # in the rnnlab tree
  else()
    set(_core_cuda ${rnnlab_HAVE_CUDA})  # from rnnlabConfig.cmake
  endif()
  if(NOT _core_cuda OR NOT "CUDA" IN_LIST _languages OR NOT TARGET CUDA::cudart)
    if(NOT DEFINED RNNLAB_PLUGIN_BUILD_DIR)
      message(STATUS "rnnlab plugin ${target}: no CUDA (toolkit or core), built without ${ARGN}")
    endif()
    return()
  endif()
  target_sources(${target} PRIVATE ${ARGN})
  target_compile_definitions(${target} PRIVATE RNNLAB_HAVE_CUDA=1)
  target_link_libraries(${target} PRIVATE CUDA::cudart)
  set_target_properties(${target} PROPERTIES CUDA_RUNTIME_LIBRARY Shared)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra,-Wno-unused-parameter -Wreorder>)
endfunction()

# rnnlab_enable_cuda(<var>): a macro; call it once at the top level of your project (it runs
# enable_language). Turns on CUDA where a toolkit is found: nvcc from CMAKE_CUDA_COMPILER,
# $CUDACXX, the PATH or /usr/local/cuda; nvcc compiles C++17; CMAKE_CUDA_ARCHITECTURES defaults
# to the core's (90 if unknown); imports CUDA::cudart. Sets <var> ON when CUDA is on, else OFF
# (no toolkit, or, out of tree, a core built without CUDA: the kernels of rnnlab_add_plugin's
# CUDA_SOURCES are then left out). The rnnlab tree uses it for its own CUDA parts.
macro(rnnlab_enable_cuda _rnnlab_cuda_var)
  set(${_rnnlab_cuda_var} OFF)
  if(DEFINED rnnlab_HAVE_CUDA AND NOT rnnlab_HAVE_CUDA)
    message(STATUS "rnnlab: the installed core has no CUDA; CUDA kernels are left out")
  else()
    if(NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
      set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
    endif()
    include(CheckLanguage)
    check_language(CUDA)
    if(CMAKE_CUDA_COMPILER)
      if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
        if(rnnlab_CUDA_ARCHITECTURES)
          set(CMAKE_CUDA_ARCHITECTURES ${rnnlab_CUDA_ARCHITECTURES})
        else()
          set(CMAKE_CUDA_ARCHITECTURES 90)
        endif()
      endif()
      set(CMAKE_CUDA_STANDARD 17)
      set(CMAKE_CUDA_STANDARD_REQUIRED ON)
      enable_language(CUDA)
      find_package(CUDAToolkit REQUIRED)
      set(${_rnnlab_cuda_var} ON)
    endif()
  endif()
endmacro()
