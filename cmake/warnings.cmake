# Strict warnings and sanitizers for llmtrace's own targets only (never forced on consumers).
add_library(llmtrace_strict INTERFACE)
target_compile_options(llmtrace_strict INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Woverloaded-virtual -Wdouble-promotion -Wformat=2
  -Wimplicit-fallthrough -Werror)
if(LLMTRACE_SANITIZE STREQUAL "address")
  target_compile_options(llmtrace_strict INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                         -fno-sanitize-recover=all)
  target_link_options(llmtrace_strict INTERFACE -fsanitize=address,undefined)
elseif(LLMTRACE_SANITIZE STREQUAL "thread")
  target_compile_options(llmtrace_strict INTERFACE -fsanitize=thread -fno-omit-frame-pointer)
  target_link_options(llmtrace_strict INTERFACE -fsanitize=thread)
endif()

# cpp-httplib for the test servers (cmake/httplib.cmake: CMake config, else pkg-config).
include(${CMAKE_CURRENT_LIST_DIR}/httplib.cmake)
function(llmtrace_find_httplib)
  if(TARGET llmtrace_httplib)
    return()
  endif()
  llmtrace_httplib_target(httplib_target REQUIRED)
  add_library(llmtrace_httplib INTERFACE)
  target_link_libraries(llmtrace_httplib INTERFACE ${httplib_target})
  # Third-party header: keep our strict warnings off it.
  target_compile_definitions(llmtrace_httplib INTERFACE CPPHTTPLIB_THREAD_POOL_COUNT=8)
endfunction()
