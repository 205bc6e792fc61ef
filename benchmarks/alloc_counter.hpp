// Counts heap allocations in benchmark binaries (a replaced global operator new), so each benchmark
// can print allocations per span beside its time.
#pragma once

#include <cstdint>

namespace bench {
/// Allocations made by any thread since the program started.
std::uint64_t allocations() noexcept;
}  // namespace bench
