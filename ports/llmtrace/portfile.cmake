# llmtrace: header-only, so there is nothing to build in debug.
set(VCPKG_BUILD_TYPE release)

# The source archive of the release tag v${VERSION} (VERSION comes from vcpkg.json, which follows
# project(llmtrace VERSION ...) in CMakeLists.txt; tests/packaging checks that they agree).
#
# Each release, after pushing the tag v<version>, replace the SHA512 below with the archive's hash:
#   curl -sL https://github.com/llmtrace/llmtrace/archive/v<version>.tar.gz | sha512sum
# (with `SHA512 0`, the placeholder for a hash not known yet, vcpkg refuses the download and prints the
# archive's actual hash, which may be pasted here as well).
# Before a tag exists, `vcpkg install llmtrace --head --overlay-ports=<repo>/ports` builds HEAD_REF.
vcpkg_from_github(
    OUT_SOURCE_PATH SOURCE_PATH
    REPO llmtrace/llmtrace
    REF "v${VERSION}"
    SHA512 0
    HEAD_REF main
)

# Feature "zlib" -> LLMTRACE_WITH_ZLIB (gzip for OTLP), feature "spdlog" -> LLMTRACE_WITH_SPDLOG (the
# spdlog sink), feature "prometheus" -> LLMTRACE_WITH_PROMETHEUS (cpp-httplib for the /metrics endpoint). libcurl is a required dependency of the port (the OTLP/HTTP exporter and the Ollama
# client), so LLMTRACE_WITH_CURL is always on. The manifest asks for curl without its default
# features: TLS (curl's OpenSSL default) is the consumer's choice, e.g. "curl" with its defaults in
# the consumer's own manifest.
vcpkg_check_features(OUT_FEATURE_OPTIONS FEATURE_OPTIONS
    FEATURES
        prometheus LLMTRACE_WITH_PROMETHEUS
        spdlog LLMTRACE_WITH_SPDLOG
        zlib LLMTRACE_WITH_ZLIB
)

vcpkg_cmake_configure(
    SOURCE_PATH "${SOURCE_PATH}"
    OPTIONS
        -DLLMTRACE_BUILD_TESTS=OFF
        -DLLMTRACE_BUILD_EXAMPLES=OFF
        -DLLMTRACE_BUILD_BENCHMARKS=OFF
        -DLLMTRACE_BUILD_TOOLS=OFF
        -DLLMTRACE_INSTALL=ON
        -DLLMTRACE_WITH_CURL=ON
        ${FEATURE_OPTIONS}
)
vcpkg_cmake_install()

# cmake/install.cmake puts the package config in ${CMAKE_INSTALL_DATADIR}/cmake/llmtrace;
# vcpkg wants it in share/llmtrace (this also drops the emptied share/cmake).
vcpkg_cmake_config_fixup(PACKAGE_NAME llmtrace CONFIG_PATH share/cmake/llmtrace)

# The license goes to share/llmtrace/copyright instead of share/doc (header-only and release-only:
# there is no lib/ and no debug/ tree to remove).
file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/share/doc")

file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
