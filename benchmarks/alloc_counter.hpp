// Counts heap allocations in benchmark binaries (a replaced global operator new), so each benchmark
// can print allocations per span beside its time.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>

namespace bench {
/// Allocations made by any thread since the program started.
std::uint64_t allocations() noexcept;
/// Allocations made by the calling thread since it started.
std::uint64_t thread_allocations() noexcept;

/// Sets the `allocs` counter (heap allocations per iteration, every thread) of `state` when it goes
/// out of scope, and with `this_thread` also `thread_allocs` (the benchmark thread's alone):
/// construct it right before the timed loop.
struct alloc_meter {
  benchmark::State& state;
  bool this_thread;
  std::uint64_t start = allocations();
  std::uint64_t thread_start = thread_allocations();
  explicit alloc_meter(benchmark::State& s, bool this_thread_too = false) : state(s), this_thread(this_thread_too) {}
  alloc_meter(const alloc_meter&) = delete;
  alloc_meter& operator=(const alloc_meter&) = delete;
  ~alloc_meter() {
    const auto iterations = static_cast<double>(state.iterations());
    state.counters["allocs"] = benchmark::Counter(static_cast<double>(allocations() - start) / iterations);
    if (this_thread)
      state.counters["thread_allocs"] =
          benchmark::Counter(static_cast<double>(thread_allocations() - thread_start) / iterations);
  }
};
}  // namespace bench
