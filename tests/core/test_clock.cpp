#include <doctest/doctest.h>
#include <llmtrace/detail/clock.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

using llmtrace::detail::steady_unix_ns;
using llmtrace::detail::unix_now_ns;

namespace {

/// Reads unix_now_ns() until `ns` of steady time have passed; returns false if it ever went back or
/// strayed from anchor + steady_clock by more than `tolerance_ns`.
bool read_for(std::int64_t ns, std::int64_t tolerance_ns, std::int64_t& worst) {
  const std::int64_t until = steady_unix_ns() + ns;
  std::int64_t last = unix_now_ns();
  bool ok = true;
  for (;;) {
    const std::int64_t before = steady_unix_ns();
    const std::int64_t t = unix_now_ns();
    const std::int64_t after = steady_unix_ns();
    if (t < last) ok = false;
    // t was read between `before` and `after`: its distance to that window is the error.
    const std::int64_t err = t < before ? before - t : (t > after ? t - after : 0);
    if (err > worst) worst = err;
    if (err > tolerance_ns) ok = false;
    last = t;
    if (after >= until) return ok;
  }
}

}  // namespace

TEST_CASE("unix_now_ns is the wall clock at process start plus monotonic progress") {
  const auto wall =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const std::int64_t ours = unix_now_ns();
  // The anchor is the wall clock when the process first read it (a moment ago): within a second.
  CHECK(ours > wall - 1'000'000'000);
  CHECK(ours < wall + 1'000'000'000);
}

TEST_CASE("the clock stays monotonic and within microseconds of steady_clock across measurements") {
  std::int64_t worst = 0;
  // Past the first rate measurement (5 ms): from then on the time-stamp counter is read where it is
  // invariant. 100 us is far above the error (about the cost of a read) and far below a scheduling
  // hiccup's effect on a wrong rate over 30 ms.
  CHECK(read_for(30'000'000, 100'000, worst));
#if LLMTRACE_HAS_TSC_CLOCK
  using llmtrace::detail::tsc_clock;
  if (tsc_clock::invariant_tsc()) {
    CHECK(tsc_clock::active());
  } else {
    CHECK_FALSE(tsc_clock::active());
  }
  // Forced re-measurements while two threads read: each thread's readings never go back.
  std::atomic<bool> ok{true};
  std::vector<std::thread> readers;
  for (int i = 0; i < 2; ++i)
    readers.emplace_back([&] {
      std::int64_t w = 0;
      if (!read_for(40'000'000, 100'000, w)) ok = false;
    });
  const std::int64_t until = steady_unix_ns() + 30'000'000;
  while (steady_unix_ns() < until) {
    tsc_clock::expire_for_testing();
    const std::int64_t next = steady_unix_ns() + 6'000'000;  // past the next measurement
    while (steady_unix_ns() < next) (void)unix_now_ns();
  }
  for (auto& t : readers) t.join();
  CHECK(ok.load());
  if (tsc_clock::invariant_tsc()) CHECK(tsc_clock::active());
#endif
  MESSAGE("largest distance from anchor + steady_clock: " << worst << " ns");
}
