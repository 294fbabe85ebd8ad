# rnnlab_add_plugin(<name> SOURCES a.cpp ... [NO_INSTALL])
# Builds a cell plugin: a shared object librnnlab_plugin_<name>.so that exports only
# `rnnlab_plugin_entry` (-fvisibility=hidden), links rnnlab::core and is compiled as C++20.
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
  cmake_parse_arguments(ARG "NO_INSTALL" "" "SOURCES" ${ARGN})
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
endfunction()
