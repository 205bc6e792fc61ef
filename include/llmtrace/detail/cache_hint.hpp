// llmtrace/detail/cache_hint.hpp: prefetching the cache lines of a buffer, for reading or for
// writing, in a form the compiler keeps.
//
// Two things this file exists for (measured in benchmarks/README.md, "OTLP encoding"):
// - GCC deletes a loop whose only statements are __builtin_prefetch calls (-O2 assumes the loop
//   finite, and the prefetch has no effect it must keep), so "prefetch every line of this buffer"
//   compiled to nothing. Each prefetch here is an asm statement (x86-64) or a __builtin_prefetch
//   beside an empty asm statement (elsewhere), which the loop must keep.
// - __builtin_prefetch(p, 1) is a plain read prefetch unless the program is built for a CPU with
//   PREFETCHW (-mprfchw, -march=broadwell and later). A record the batch worker read on another core is
//   then fetched shared, and every write to it must still invalidate the worker's copy. Here PREFETCHW
//   is used wherever CPUID says the CPU has it, so the lines arrive owned.
// Hints only: they change no value and no ordering. Thread-safety: stateless after a one-time CPUID
// check.
#pragma once

#include <llmtrace/config.hpp>

#include <cstddef>
#include <cstdint>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#define LLMTRACE_X86_CACHE_HINTS 1
#else
#define LLMTRACE_X86_CACHE_HINTS 0
#endif

LLMTRACE_BEGIN_NAMESPACE
namespace detail {

/// True when the CPU executes PREFETCHW (CPUID.80000001H:ECX[8]; Intel since Broadwell, AMD).
inline bool prefetchw_available() noexcept {
#if LLMTRACE_X86_CACHE_HINTS
  static const bool available = [] {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(0x80000001u, &a, &b, &c, &d)) return false;
    return (c & (1u << 8)) != 0;
  }();
  return available;
#else
  return false;
#endif
}

/// Asks for the cache lines of [p, p + n) to be read soon.
inline void prefetch_lines_for_read(const void* p, std::size_t n) noexcept {
  const auto first = reinterpret_cast<std::uintptr_t>(p) & ~std::uintptr_t{63};
  const auto last = reinterpret_cast<std::uintptr_t>(p) + n;
  for (std::uintptr_t line = first; line < last; line += 64) {
#if LLMTRACE_X86_CACHE_HINTS
    __asm__ volatile("prefetcht0 %0" : : "m"(*reinterpret_cast<const char*>(line)));
#elif defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(reinterpret_cast<const char*>(line), 0, 3);
    __asm__ volatile("" : : "r"(line));
#endif
  }
}

/// Asks for the cache lines of [p, p + n) to be written soon: owned by this core (PREFETCHW) where
/// the CPU can, so the writes do not wait for other cores' copies to be invalidated.
inline void prefetch_lines_for_write(const void* p, std::size_t n) noexcept {
#if LLMTRACE_X86_CACHE_HINTS
  if (!prefetchw_available()) return prefetch_lines_for_read(p, n);
  const auto first = reinterpret_cast<std::uintptr_t>(p) & ~std::uintptr_t{63};
  const auto last = reinterpret_cast<std::uintptr_t>(p) + n;
  for (std::uintptr_t line = first; line < last; line += 64)
    __asm__ volatile("prefetchw %0" : : "m"(*reinterpret_cast<const char*>(line)));
#elif defined(__GNUC__) || defined(__clang__)
  const auto first = reinterpret_cast<std::uintptr_t>(p) & ~std::uintptr_t{63};
  const auto last = reinterpret_cast<std::uintptr_t>(p) + n;
  for (std::uintptr_t line = first; line < last; line += 64) {
    __builtin_prefetch(reinterpret_cast<const char*>(line), 1, 3);
    __asm__ volatile("" : : "r"(line));
  }
#else
  (void)p;
  (void)n;
#endif
}

}  // namespace detail
LLMTRACE_END_NAMESPACE
