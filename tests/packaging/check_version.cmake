# Fails unless every copy of llmtrace's version agrees with project(llmtrace VERSION x.y.z):
#   ports/llmtrace/vcpkg.json "version", the portfile's REF (must be derived from it, "v${VERSION}"),
#   and the generated <llmtrace/version.hpp> (LLMTRACE_VERSION_STRING and MAJOR/MINOR/PATCH).
# (conanfile.py is checked by conan_version.py: it needs python3.)
#
#   cmake -DSOURCE_DIR=<repo> -DVERSION_HEADER=<build>/generated/include/llmtrace/version.hpp
#         [-DVCPKG_JSON=<file>] [-DPORTFILE=<file>] -P check_version.cmake
cmake_minimum_required(VERSION 3.16)

foreach(var SOURCE_DIR VERSION_HEADER)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_version.cmake: pass -D${var}=...")
  endif()
endforeach()
if(NOT DEFINED VCPKG_JSON)
  set(VCPKG_JSON "${SOURCE_DIR}/ports/llmtrace/vcpkg.json")
endif()
if(NOT DEFINED PORTFILE)
  set(PORTFILE "${SOURCE_DIR}/ports/llmtrace/portfile.cmake")
endif()

set(errors "")
macro(mismatch file found)
  string(APPEND errors "\n  llmtrace version mismatch: ${file} says '${found}', project() says '${version}'")
endmacro()

# 1. The one place the version lives.
file(READ "${SOURCE_DIR}/CMakeLists.txt" cmakelists)
if(NOT cmakelists MATCHES "project\\([ \t\r\n]*llmtrace[ \t\r\n]+VERSION[ \t\r\n]+([0-9]+\\.[0-9]+\\.[0-9]+)")
  message(FATAL_ERROR "no project(llmtrace VERSION x.y.z) in ${SOURCE_DIR}/CMakeLists.txt")
endif()
set(version "${CMAKE_MATCH_1}")

# 2. The vcpkg manifest.
file(READ "${VCPKG_JSON}" manifest)
if(CMAKE_VERSION VERSION_GREATER_EQUAL 3.19)
  string(JSON vcpkg_version ERROR_VARIABLE json_error GET "${manifest}" version)
  if(json_error)
    set(vcpkg_version "<no \"version\": ${json_error}>")
  endif()
elseif(manifest MATCHES "\"version\"[ \t\r\n]*:[ \t\r\n]*\"([^\"]*)\"")
  set(vcpkg_version "${CMAKE_MATCH_1}")
else()
  set(vcpkg_version "<no \"version\">")
endif()
if(NOT vcpkg_version STREQUAL version)
  mismatch("${VCPKG_JSON}" "${vcpkg_version}")
endif()

# 3. The portfile downloads the tag of the manifest's version, never a hard-coded one.
file(READ "${PORTFILE}" portfile)
if(NOT portfile MATCHES "REF[ \t\r\n]+\"?v\\\${VERSION}\"?")
  string(APPEND errors "\n  ${PORTFILE}: vcpkg_from_github must use REF \"v\${VERSION}\" (the manifest's version)")
endif()

# 4. The header CMake generated from project().
if(NOT EXISTS "${VERSION_HEADER}")
  message(FATAL_ERROR "${VERSION_HEADER} does not exist (configure the project first)")
endif()
file(READ "${VERSION_HEADER}" header)
if(header MATCHES "#define LLMTRACE_VERSION_STRING \"([^\"]*)\"")
  set(header_version "${CMAKE_MATCH_1}")
else()
  set(header_version "<no LLMTRACE_VERSION_STRING>")
endif()
if(NOT header_version STREQUAL version)
  mismatch("${VERSION_HEADER} (LLMTRACE_VERSION_STRING)" "${header_version}")
endif()
set(parts "")
foreach(part MAJOR MINOR PATCH)
  if(header MATCHES "#define LLMTRACE_VERSION_${part} ([0-9]+)")
    list(APPEND parts "${CMAKE_MATCH_1}")
  else()
    list(APPEND parts "?")
  endif()
endforeach()
string(REPLACE ";" "." parts "${parts}")
if(NOT parts STREQUAL version)
  mismatch("${VERSION_HEADER} (LLMTRACE_VERSION_MAJOR/MINOR/PATCH)" "${parts}")
endif()

if(errors)
  message(FATAL_ERROR "${errors}\nUpdate only project(llmtrace VERSION ...) and ports/llmtrace/vcpkg.json "
                      "(then the portfile's SHA512): everything else follows project().")
endif()
message(STATUS "llmtrace ${version}: project(), ${VCPKG_JSON}, the portfile REF and version.hpp agree")
