// llmtrace/detail/terminal.hpp: whether a file descriptor or stdio stream is a terminal (the one
// isatty check behind colour and progress output; false where the platform cannot tell).
// Thread-safety: pure functions.
#pragma once

#include <llmtrace/config.hpp>

#include <cstdio>

#if defined(_WIN32)
#include <io.h>
#elif defined(__unix__) || defined(__APPLE__) || __has_include(<unistd.h>)
#include <unistd.h>
#define LLMTRACE_DETAIL_HAS_ISATTY 1
#endif

LLMTRACE_BEGIN_NAMESPACE
namespace detail {

/// Whether file descriptor `fd` (0 stdin, 1 stdout, 2 stderr, ...) is a terminal.
inline bool is_terminal(int fd) noexcept {
  if (fd < 0) return false;
#if defined(_WIN32)
  return _isatty(fd) != 0;
#elif defined(LLMTRACE_DETAIL_HAS_ISATTY)
  return ::isatty(fd) == 1;
#else
  return false;
#endif
}

/// Whether stdio stream `f` is a terminal (false for nullptr).
inline bool is_terminal(std::FILE* f) noexcept {
  if (f == nullptr) return false;
#if defined(_WIN32)
  return is_terminal(_fileno(f));
#elif defined(LLMTRACE_DETAIL_HAS_ISATTY)
  return is_terminal(::fileno(f));
#else
  return false;
#endif
}

}  // namespace detail
LLMTRACE_END_NAMESPACE
