# `cmake --install`: the SDK. Included once, at the end of the top-level CMakeLists.txt.
#   <prefix>/include/rnnlab/*.h                     the headers (cell.h & co. are the plugin SDK)
#   <prefix>/<libdir>/librnnlab_core.so[.X.Y[.Z]]  the core (SONAME librnnlab_core.so.<major>.<minor>)
#   <prefix>/bin/rnnlab                             the CLI (RPATH $ORIGIN/../<libdir>)
#   <prefix>/<libdir>/rnnlab/plugins/*.so           the built-in cell plugins
#   <prefix>/<libdir>/cmake/rnnlab/                 rnnlabConfig.cmake (+ version), the exported
#                                                   target rnnlab::core, RnnlabPlugin.cmake
# so that an out-of-tree project does find_package(rnnlab) + rnnlab_add_plugin(...).
include(CMakePackageConfigHelpers)
set(RNNLAB_CMAKE_INSTALL_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/rnnlab")
set(RNNLAB_PLUGIN_INSTALL_RELDIR "${CMAKE_INSTALL_LIBDIR}/rnnlab/plugins")

set_target_properties(rnnlab_core PROPERTIES EXPORT_NAME core)
install(TARGETS rnnlab_core EXPORT rnnlabTargets
  LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
install(DIRECTORY "${PROJECT_SOURCE_DIR}/framework/include/rnnlab"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(FILES "${PROJECT_BINARY_DIR}/generated/include/rnnlab/version.h"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/rnnlab")

# Built-in plugins (plugins/CMakeLists.txt: rnnlab_builtin_plugins; test plugins stay out).
rnnlab_builtin_plugins(_rnnlab_builtin)
if(_rnnlab_builtin)
  install(TARGETS ${_rnnlab_builtin} LIBRARY DESTINATION "${RNNLAB_PLUGIN_INSTALL_RELDIR}")
endif()

install(EXPORT rnnlabTargets NAMESPACE rnnlab:: DESTINATION "${RNNLAB_CMAKE_INSTALL_DIR}")
configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/rnnlabConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/rnnlabConfig.cmake"
  INSTALL_DESTINATION "${RNNLAB_CMAKE_INSTALL_DIR}"
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR RNNLAB_PLUGIN_INSTALL_RELDIR)
write_basic_package_version_file("${PROJECT_BINARY_DIR}/rnnlabConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}" COMPATIBILITY SameMinorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/rnnlabConfig.cmake"
  "${PROJECT_BINARY_DIR}/rnnlabConfigVersion.cmake"
  "${PROJECT_SOURCE_DIR}/cmake/RnnlabPlugin.cmake"
  DESTINATION "${RNNLAB_CMAKE_INSTALL_DIR}")
