"""Conan 2 recipe for llmtrace (header-only).

    conan create .                      # package + build and run test_package/
    conan create . -o "llmtrace/*:with_zlib=False"
    conan create . -o "llmtrace/*:with_spdlog=True"   # <llmtrace/spdlog_sink.hpp>

The version is read from `project(llmtrace VERSION x.y.z)` in CMakeLists.txt, the one place it
lives. The headers are installed by CMake (`cmake --install`), so the packaged include tree carries
the generated <llmtrace/version.hpp>; Conan's CMakeDeps provides `find_package(llmtrace)` and the
target `llmtrace::llmtrace` to consumers.
"""

import os
import re

from conan import ConanFile
from conan.errors import ConanException
from conan.tools.build import check_min_cppstd
from conan.tools.cmake import CMake, CMakeDeps, CMakeToolchain, cmake_layout
from conan.tools.files import copy, load, rmdir

required_conan_version = ">=2.0"


def read_project_version(cmakelists_text):
    """The x.y.z of `project(llmtrace VERSION x.y.z ...)` in the text of CMakeLists.txt.

    Kept free of Conan so tests/packaging can run it with a bare python3.
    """
    match = re.search(r"project\s*\(\s*llmtrace\s+VERSION\s+([0-9]+\.[0-9]+\.[0-9]+)\b", cmakelists_text)
    if not match:
        raise ValueError("no `project(llmtrace VERSION x.y.z)` in CMakeLists.txt")
    return match.group(1)


class LlmtraceConan(ConanFile):
    name = "llmtrace"
    description = "OpenTelemetry tracing for C++ LLM applications (Ollama, RAG), header-only, C++17"
    license = "MIT"
    url = "https://github.com/llmtrace/llmtrace"
    homepage = "https://github.com/llmtrace/llmtrace"
    topics = ("opentelemetry", "tracing", "llm", "ollama", "otlp", "header-only")
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    options = {"with_zlib": [True, False], "with_spdlog": [True, False]}
    default_options = {"with_zlib": True, "with_spdlog": False}
    no_copy_source = True
    exports_sources = "include/*", "cmake/*", "CMakeLists.txt", "LICENSE"

    def set_version(self):
        version = read_project_version(load(self, os.path.join(self.recipe_folder, "CMakeLists.txt")))
        if self.version and str(self.version) != version:
            raise ConanException(f"--version {self.version} differs from CMakeLists.txt's project() version {version}")
        self.version = version

    def layout(self):
        cmake_layout(self)

    def requirements(self):
        # Included from our public headers, so consumers see them too.
        self.requires("nlohmann_json/[>=3.10 <4]", transitive_headers=True)
        self.requires("libcurl/[>=7.80 <9]", transitive_headers=True)
        if self.options.with_zlib:
            self.requires("zlib/[>=1.2.11 <2]", transitive_headers=True)
        if self.options.with_spdlog:  # <llmtrace/spdlog_sink.hpp>
            self.requires("spdlog/[>=1.9 <2]", transitive_headers=True)

    def package_id(self):
        # The same headers for every configuration and option (options only change package_info).
        self.info.clear()

    def validate(self):
        check_min_cppstd(self, 17)

    def generate(self):
        # CMake only generates <llmtrace/version.hpp> and installs the headers: nothing is compiled.
        tc = CMakeToolchain(self)
        tc.cache_variables["LLMTRACE_BUILD_TESTS"] = False
        tc.cache_variables["LLMTRACE_BUILD_EXAMPLES"] = False
        tc.cache_variables["LLMTRACE_BUILD_BENCHMARKS"] = False
        tc.cache_variables["LLMTRACE_INSTALL"] = True
        tc.cache_variables["LLMTRACE_WITH_CURL"] = True
        tc.cache_variables["LLMTRACE_WITH_ZLIB"] = bool(self.options.with_zlib)
        tc.cache_variables["LLMTRACE_WITH_SPDLOG"] = bool(self.options.with_spdlog)
        tc.generate()
        CMakeDeps(self).generate()

    def build(self):
        cmake = CMake(self)
        cmake.configure()

    def package(self):
        copy(self, "LICENSE", self.source_folder, os.path.join(self.package_folder, "licenses"))
        cmake = CMake(self)
        cmake.install()
        # CMakeDeps writes the consumer's config files; ours (share/cmake/llmtrace) and the doc copy
        # of the license are not needed in the package.
        rmdir(self, os.path.join(self.package_folder, "share"))
        if not os.path.isfile(os.path.join(self.package_folder, "include", "llmtrace", "version.hpp")):
            raise ConanException("cmake --install did not install llmtrace/version.hpp")

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "llmtrace")
        self.cpp_info.set_property("cmake_target_name", "llmtrace::llmtrace")
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []
        # The same usage requirements as the CMake target llmtrace::llmtrace (CMakeLists.txt).
        self.cpp_info.defines = ["LLMTRACE_HAS_CURL=1"]
        self.cpp_info.requires = ["nlohmann_json::nlohmann_json", "libcurl::curl"]
        if self.options.with_zlib:
            self.cpp_info.defines.append("LLMTRACE_HAS_ZLIB=1")
            self.cpp_info.requires.append("zlib::zlib")
        if self.options.with_spdlog:
            self.cpp_info.defines.append("LLMTRACE_HAS_SPDLOG=1")
            self.cpp_info.requires.append("spdlog::spdlog")
        if self.settings.os in ["Linux", "FreeBSD"]:
            self.cpp_info.system_libs = ["pthread"]
