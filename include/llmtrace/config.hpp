// llmtrace/config.hpp: version, ABI namespace, visibility and feature macros shared by every llmtrace
// header. Thread-safety: compile-time definitions only.
#pragma once

#include <llmtrace/version.hpp>

// LLMTRACE_DISABLE: the span API keeps its shape but every call compiles to nothing.
#if defined(LLMTRACE_DISABLE)
#define LLMTRACE_ENABLED 0
#else
#define LLMTRACE_ENABLED 1
#endif

// --- ABI namespace ----------------------------------------------------------------------------
// Everything lives in one inline namespace per ABI: the version (the minor version until 1.0, since
// 0.x releases are not compatible with each other; the major version from 1.0 on) and the mode
// (enabled, or LLMTRACE_DISABLE). Code built against two versions, or a disabled translation unit
// linked with enabled ones, therefore has different names for every type and function (no ODR
// violation): llmtrace::v0_2 and llmtrace::v0_2_disabled. Users write llmtrace:: only.
#define LLMTRACE_ABI_CONCAT_EX(a, b) a##b
#define LLMTRACE_ABI_CONCAT(a, b) LLMTRACE_ABI_CONCAT_EX(a, b)

#if LLMTRACE_VERSION_MAJOR == 0
#define LLMTRACE_ABI_VERSION_TAG LLMTRACE_ABI_CONCAT(v0_, LLMTRACE_VERSION_MINOR)
#else
#define LLMTRACE_ABI_VERSION_TAG LLMTRACE_ABI_CONCAT(v, LLMTRACE_VERSION_MAJOR)
#endif

#if LLMTRACE_ENABLED
#define LLMTRACE_ABI_MODE_TAG
#else
#define LLMTRACE_ABI_MODE_TAG _disabled
#endif

/// The inline namespace of this version and mode, e.g. `v0_2` or `v0_2_disabled`.
#define LLMTRACE_ABI_NAMESPACE LLMTRACE_ABI_CONCAT(LLMTRACE_ABI_VERSION_TAG, LLMTRACE_ABI_MODE_TAG)
/// The fully qualified namespace (for forward declarations outside llmtrace's headers).
#define LLMTRACE_NAMESPACE ::llmtrace::LLMTRACE_ABI_NAMESPACE

#define LLMTRACE_BEGIN_NAMESPACE \
  namespace llmtrace {           \
  inline namespace LLMTRACE_ABI_NAMESPACE {
#define LLMTRACE_END_NAMESPACE \
  }                            \
  }

// --- visibility of process-wide state -----------------------------------------------------------
/// On an inline function (or a class) that holds process-wide state in a function-local static or
/// thread_local: gives it default visibility, so shared libraries built with -fvisibility=hidden
/// (and -fvisibility-inlines-hidden) share one copy with the executable through the dynamic linker
/// (one global provider, one context stack per thread, one error handler). Windows DLLs do not merge
/// symbols this way: there each DLL keeps its own copy (see the README).
#if defined(_WIN32) || defined(__CYGWIN__)
#define LLMTRACE_API
#elif defined(__GNUC__) || defined(__clang__)
#define LLMTRACE_API __attribute__((visibility("default")))
#else
#define LLMTRACE_API
#endif

#if defined(__GNUC__) || defined(__clang__)
#define LLMTRACE_LIKELY(x) __builtin_expect(!!(x), 1)
#define LLMTRACE_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define LLMTRACE_NOINLINE __attribute__((noinline))
#else
#define LLMTRACE_LIKELY(x) (x)
#define LLMTRACE_UNLIKELY(x) (x)
#define LLMTRACE_NOINLINE
#endif
