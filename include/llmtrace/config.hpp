// llmtrace/config.hpp: version, namespace and feature macros shared by every llmtrace header.
// Thread-safety: compile-time definitions only.
#pragma once

#include <llmtrace/version.hpp>

/// Everything lives in llmtrace::v0 (inline), so two major versions linked into one binary cannot collide.
#define LLMTRACE_BEGIN_NAMESPACE \
  namespace llmtrace {           \
  inline namespace v0 {
#define LLMTRACE_END_NAMESPACE \
  }                            \
  }

#if defined(__GNUC__) || defined(__clang__)
#define LLMTRACE_LIKELY(x) __builtin_expect(!!(x), 1)
#define LLMTRACE_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define LLMTRACE_NOINLINE __attribute__((noinline))
#else
#define LLMTRACE_LIKELY(x) (x)
#define LLMTRACE_UNLIKELY(x) (x)
#define LLMTRACE_NOINLINE
#endif

// LLMTRACE_DISABLE: the span API keeps its shape but every call compiles to nothing.
#if defined(LLMTRACE_DISABLE)
#define LLMTRACE_ENABLED 0
#else
#define LLMTRACE_ENABLED 1
#endif
