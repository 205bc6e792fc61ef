// Counts heap allocations in benchmark binaries (a replaced global operator new), so each benchmark
// can print allocations per span beside its time.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>

namespace bench {
/// Allocations made by any thread since the program started.
std::uint64_t allocations() noexcept;

/// Sets the `allocs` counter (heap allocations per iteration) of `state` when it goes out of scope:
/// construct it right before the timed loop.
struct alloc_meter {
  benchmark::State& state;
  std::uint64_t start = allocations();
  explicit alloc_meter(benchmark::State& s) : state(s) {}
  alloc_meter(const alloc_meter&) = delete;
  alloc_meter& operator=(const alloc_meter&) = delete;
  ~alloc_meter() {
    const auto n = allocations() - start;
    state.counters["allocs"] = benchmark::Counter(static_cast<double>(n) / static_cast<double>(state.iterations()));
  }
};
}  // namespace bench
