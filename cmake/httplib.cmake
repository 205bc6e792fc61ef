# cpp-httplib, found the same way by the build, the test servers and the installed package config:
# its CMake config where one exists (vcpkg, Conan, upstream installs; target httplib::httplib), else
# pkg-config (Debian's libcpp-httplib-dev is a compiled library with only a .pc file; imported target
# PkgConfig::CPP_HTTPLIB). Sets <out_var> to the target to link; fails when neither is found and
# `REQUIRED` is passed.
function(llmtrace_httplib_target out_var)
  if(TARGET httplib::httplib)
    set(${out_var} httplib::httplib PARENT_SCOPE)
    return()
  endif()
  if(TARGET PkgConfig::CPP_HTTPLIB)
    set(${out_var} PkgConfig::CPP_HTTPLIB PARENT_SCOPE)
    return()
  endif()
  find_package(httplib CONFIG QUIET)
  if(httplib_FOUND)
    set(${out_var} httplib::httplib PARENT_SCOPE)
    return()
  endif()
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(CPP_HTTPLIB QUIET IMPORTED_TARGET GLOBAL cpp-httplib)
  endif()
  if(TARGET PkgConfig::CPP_HTTPLIB)
    set(${out_var} PkgConfig::CPP_HTTPLIB PARENT_SCOPE)
  elseif("REQUIRED" IN_LIST ARGN)
    message(FATAL_ERROR "cpp-httplib was not found (neither a httplib CMake config nor the cpp-httplib "
                        "pkg-config module); install it (Debian: libcpp-httplib-dev) or turn "
                        "LLMTRACE_WITH_PROMETHEUS off")
  else()
    set(${out_var} "" PARENT_SCOPE)
  endif()
endfunction()
