// llmtrace/detail/clock.hpp: Unix-nanosecond timestamps from one wall-clock anchor per process plus
// the monotonic clock, so span durations never go backwards when the wall clock is adjusted; and the
// time left before a deadline.
// Thread-safety: the anchor is set once (function-local static); reads are lock-free.
#pragma once

#include <llmtrace/config.hpp>

#include <chrono>
#include <cstdint>

LLMTRACE_BEGIN_NAMESPACE
namespace detail {

inline std::int64_t steady_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct clock_anchor {
  std::int64_t offset_ns;  // wall - steady at process start
};

LLMTRACE_API inline const clock_anchor& anchor() noexcept {
  static const clock_anchor a{
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count() -
      steady_ns()};
  return a;
}

/// Current time in nanoseconds since the Unix epoch (anchored wall clock + monotonic progress).
inline std::int64_t unix_now_ns() noexcept { return anchor().offset_ns + steady_ns(); }

/// What is left until `deadline` on the steady clock, in whole milliseconds; never negative.
inline std::chrono::milliseconds time_left(std::chrono::steady_clock::time_point deadline) noexcept {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return left.count() > 0 ? left : std::chrono::milliseconds(0);
}

}  // namespace detail
LLMTRACE_END_NAMESPACE
