# Install rules: headers, the generated version header, the exported targets (llmtrace::llmtrace and
# llmtrace::core) and a package config
# with a version file, so `find_package(llmtrace CONFIG)` works after `cmake --install`.
include(CMakePackageConfigHelpers)

set(LLMTRACE_CMAKE_INSTALL_DIR "${CMAKE_INSTALL_DATADIR}/cmake/llmtrace" CACHE STRING
    "Where llmtrace's CMake package files are installed")

install(TARGETS llmtrace_core llmtrace EXPORT llmtraceTargets)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/llmtrace DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/generated/include/llmtrace/version.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/llmtrace)
install(EXPORT llmtraceTargets NAMESPACE llmtrace:: DESTINATION ${LLMTRACE_CMAKE_INSTALL_DIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/llmtraceConfig.cmake.in
  ${PROJECT_BINARY_DIR}/llmtraceConfig.cmake
  INSTALL_DESTINATION ${LLMTRACE_CMAKE_INSTALL_DIR})
# 0.x: a minor release may break the API, so only the same minor version is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/llmtraceConfigVersion.cmake
  COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES ${PROJECT_BINARY_DIR}/llmtraceConfig.cmake ${PROJECT_BINARY_DIR}/llmtraceConfigVersion.cmake
        DESTINATION ${LLMTRACE_CMAKE_INSTALL_DIR})
install(FILES ${PROJECT_SOURCE_DIR}/cmake/httplib.cmake DESTINATION ${LLMTRACE_CMAKE_INSTALL_DIR}
        RENAME llmtraceHttplib.cmake)
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/llmtrace OPTIONAL)
