# rnnlab_add_plugin(<name> SOURCES a.cpp ...)
# Builds a cell plugin: a shared object that exports only `rnnlab_plugin_entry`
# (-fvisibility=hidden), links the rnnlab core, and lands in the plugin directory.
function(rnnlab_add_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES" ${ARGN})
  add_library(${name} MODULE ${ARG_SOURCES})
  if(TARGET rnnlab::core)
    target_link_libraries(${name} PRIVATE rnnlab::core)
  endif()
  set_target_properties(${name} PROPERTIES
    PREFIX "librnnlab_plugin_"
    CXX_VISIBILITY_PRESET hidden
    CUDA_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(DEFINED RNNLAB_PLUGIN_BUILD_DIR)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${RNNLAB_PLUGIN_BUILD_DIR}")
  endif()
  if(COMMAND rnnlab_target_defaults)
    rnnlab_target_defaults(${name})
  endif()
endfunction()
