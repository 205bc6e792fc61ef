// llmtrace/detail/clock.hpp: Unix-nanosecond timestamps from one wall-clock anchor per process plus
// a monotonic clock, so span durations never go backwards when the wall clock is adjusted; and the
// time left before a deadline.
//
// The monotonic clock is the CPU's time-stamp counter where it is invariant (x86-64: it ticks at a
// constant rate in every power state, as the CPUID "invariant TSC" bit says): reading it costs about
// half a `steady_clock` read. It is converted to nanoseconds with a rate measured against
// `steady_clock` (first after 5 ms, then about once a second over the last interval) and steered
// towards `steady_clock` between measurements: the result stays within microseconds of
// anchor + `steady_clock`, and continuous (it never jumps at a measurement unless it had drifted by
// over a millisecond, e.g. after the machine was suspended). Until the first measurement, and
// everywhere the counter is not invariant, `steady_clock` itself is read.
// Thread-safety: the anchor is set once (function-local static); the conversion parameters are
// published through a sequence lock (readers never wait and never write shared memory; the thread that
// finds them due re-measures, others read `steady_clock` meanwhile).
#pragma once

#include <llmtrace/config.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(LLMTRACE_NO_TSC)
#include <cpuid.h>
#include <x86intrin.h>
#define LLMTRACE_HAS_TSC_CLOCK 1
#else
#define LLMTRACE_HAS_TSC_CLOCK 0
#endif

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

/// anchor + steady_clock: the reference every other reading follows.
inline std::int64_t steady_unix_ns() noexcept { return anchor().offset_ns + steady_ns(); }

#if LLMTRACE_HAS_TSC_CLOCK

__extension__ typedef unsigned __int128 tsc_u128;  // __extension__: no -Wpedantic warning

/// (a * b) >> 32 without overflow: ticks times 32.32 fixed-point ns per tick.
inline std::int64_t mul_shift32(std::uint64_t a, std::uint64_t b) noexcept {
  return static_cast<std::int64_t>((static_cast<tsc_u128>(a) * b) >> 32);
}

/// The time-stamp counter as a Unix-nanosecond clock (see the top of this file).
class tsc_clock {
 public:
  /// Measure the rate first after this long, then re-measure about this often.
  static constexpr std::int64_t first_measurement_ns = 5'000'000;
  static constexpr std::int64_t period_ns = 1'000'000'000;
  /// Drift past which a measurement jumps to steady_clock instead of steering towards it.
  static constexpr std::int64_t max_steer_ns = 1'000'000;

  /// Unix nanoseconds now.
  static std::int64_t now() noexcept {
    const params& p = shared();
    const std::uint32_t seq = p.seq.load(std::memory_order_acquire);
    if (LLMTRACE_LIKELY((seq & 1) == 0 && seq != 0)) {
      // Acquire loads (plain loads on x86): the sequence number is read again only after them.
      const std::uint64_t base_tsc = p.base_tsc.load(std::memory_order_acquire);
      const std::int64_t base_ns = p.base_ns.load(std::memory_order_acquire);
      const std::uint64_t mult = p.mult.load(std::memory_order_acquire);
      const std::uint64_t horizon = p.horizon.load(std::memory_order_acquire);
      const std::uint64_t elapsed = __rdtsc() - base_tsc;  // wraps (huge) if this core's counter is behind
      if (LLMTRACE_LIKELY(p.seq.load(std::memory_order_relaxed) == seq && elapsed < horizon))
        return base_ns + mul_shift32(elapsed, mult);
    }
    return slow_now();
  }

  /// True once the counter is calibrated and in use (false where it is not invariant, or where its
  /// measured rate was unusable).
  static bool active() noexcept {
    const params& p = shared();
    return p.seq.load(std::memory_order_acquire) != 0 && p.invariant.load(std::memory_order_relaxed) > 0;
  }
  /// Forces a measurement at the next reading (tests).
  static void expire_for_testing() noexcept {
    params& p = shared();
    bool expected = false;
    if (!p.busy.compare_exchange_strong(expected, true, std::memory_order_acquire)) return;
    unpublish(p);
    p.due_steady.store(0, std::memory_order_relaxed);
    p.busy.store(false, std::memory_order_release);
  }

 private:
  struct params {
    // Published under the sequence lock: odd while being written, 0 before the first measurement.
    std::atomic<std::uint32_t> seq;
    std::atomic<std::uint64_t> base_tsc;  // counter value at base_ns
    std::atomic<std::int64_t> base_ns;    // Unix ns at base_tsc
    std::atomic<std::uint64_t> mult;      // ns per tick, 32.32 fixed point
    std::atomic<std::uint64_t> horizon;   // ticks after base_tsc the parameters stay valid
    // The measuring thread's own state (only the holder of `busy` touches it).
    std::atomic<bool> busy;
    std::atomic<int> invariant;  // 0 unknown, 1 yes, -1 no: steady_clock only
    std::atomic<std::uint64_t> last_tsc;
    std::atomic<std::int64_t> last_steady;
    std::atomic<std::int64_t> due_steady;  // steady ns of the next measurement
  };

  /// Zero-initialised (constant initialisation: no guard on the read path), one per process.
  LLMTRACE_API static params& shared() noexcept {
    static params p;
    return p;
  }

 public:
  /// True when CPUID says the counter is invariant (constant rate in every power state).
  static bool invariant_tsc() noexcept {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000007u) return false;
    if (!__get_cpuid(0x80000007u, &a, &b, &c, &d)) return false;
    return (d & (1u << 8)) != 0;
  }

 private:
  /// A counter reading and a steady_clock reading taken together (the counter read on both sides).
  static void paired_reading(std::uint64_t& tsc, std::int64_t& steady) noexcept {
    std::uint64_t best_gap = ~std::uint64_t{0};
    for (int i = 0; i < 3; ++i) {
      const std::uint64_t t0 = __rdtsc();
      const std::int64_t s = steady_ns();
      const std::uint64_t t1 = __rdtsc();
      if (t1 >= t0 && t1 - t0 < best_gap) {
        best_gap = t1 - t0;
        tsc = t0 + (t1 - t0) / 2;
        steady = s;
      }
    }
    if (best_gap == ~std::uint64_t{0}) {
      tsc = __rdtsc();
      steady = steady_ns();
    }
  }

  LLMTRACE_NOINLINE static std::int64_t slow_now() noexcept {
    params& p = shared();
    const std::int64_t steady = steady_ns();
    if (p.invariant.load(std::memory_order_relaxed) >= 0 && steady >= p.due_steady.load(std::memory_order_relaxed) &&
        !p.busy.load(std::memory_order_relaxed)) {
      bool expected = false;
      if (p.busy.compare_exchange_strong(expected, true, std::memory_order_acquire)) {
        measure(p);
        p.busy.store(false, std::memory_order_release);
      }
    }
    return anchor().offset_ns + steady;
  }

  /// Measures the rate over the interval since the last measurement and publishes new parameters.
  static void measure(params& p) noexcept {
    if (p.invariant.load(std::memory_order_relaxed) == 0) {
      if (!invariant_tsc()) {
        p.invariant.store(-1, std::memory_order_relaxed);
        return;
      }
      p.invariant.store(1, std::memory_order_relaxed);
    }
    std::uint64_t tsc = 0;
    std::int64_t steady = 0;
    paired_reading(tsc, steady);
    const std::uint64_t last_tsc = p.last_tsc.load(std::memory_order_relaxed);
    const std::int64_t last_steady = p.last_steady.load(std::memory_order_relaxed);
    const auto restart = [&] {
      p.last_tsc.store(tsc, std::memory_order_relaxed);
      p.last_steady.store(steady, std::memory_order_relaxed);
      p.due_steady.store(steady + first_measurement_ns, std::memory_order_relaxed);
    };
    if (last_tsc == 0 || tsc <= last_tsc || steady - last_steady < first_measurement_ns) {
      restart();  // the first point (or the counter went backwards: start the interval again)
      return;
    }
    const double ns_per_tick = static_cast<double>(steady - last_steady) / static_cast<double>(tsc - last_tsc);
    if (!(ns_per_tick > 0.01 && ns_per_tick < 100.0)) {  // 10 MHz..100 GHz, else not a usable counter
      p.invariant.store(-1, std::memory_order_relaxed);
      unpublish(p);
      return;
    }
    const std::int64_t target = anchor().offset_ns + steady;
    std::int64_t base_ns = target;
    double slope = ns_per_tick;
    const std::uint32_t seq = p.seq.load(std::memory_order_relaxed);
    if (seq != 0) {
      // Continue from where the current parameters are now and steer to meet steady_clock again one
      // period from now, unless they drifted too far (then jump).
      const std::uint64_t elapsed = tsc - p.base_tsc.load(std::memory_order_relaxed);
      const std::int64_t current =
          p.base_ns.load(std::memory_order_relaxed) + mul_shift32(elapsed, p.mult.load(std::memory_order_relaxed));
      const std::int64_t drift = target - current;
      if (tsc >= p.base_tsc.load(std::memory_order_relaxed) && drift > -max_steer_ns && drift < max_steer_ns) {
        base_ns = current;
        slope = ns_per_tick * (1.0 + static_cast<double>(drift) / static_cast<double>(period_ns));
      }
    }
    const auto horizon = static_cast<std::uint64_t>(static_cast<double>(period_ns) / ns_per_tick);
    publish(p, seq, tsc, base_ns, static_cast<std::uint64_t>(slope * 4294967296.0), horizon);
    p.last_tsc.store(tsc, std::memory_order_relaxed);
    p.last_steady.store(steady, std::memory_order_relaxed);
    // Due well before the horizon, so the first reader past it always re-measures.
    p.due_steady.store(steady + period_ns / 2, std::memory_order_relaxed);
  }

  static void publish(params& p, std::uint32_t seq, std::uint64_t tsc, std::int64_t base_ns, std::uint64_t mult,
                      std::uint64_t horizon) noexcept {
    const std::uint32_t odd = seq == 0 ? 1 : seq + 1;
    // Release stores (plain stores on x86): none moves before the odd sequence number.
    p.seq.store(odd, std::memory_order_relaxed);
    p.base_tsc.store(tsc, std::memory_order_release);
    p.base_ns.store(base_ns, std::memory_order_release);
    p.mult.store(mult, std::memory_order_release);
    p.horizon.store(horizon, std::memory_order_release);
    p.seq.store(odd + 1, std::memory_order_release);
  }
  static void unpublish(params& p) noexcept {
    const std::uint32_t seq = p.seq.load(std::memory_order_relaxed);
    if (seq == 0) return;
    p.seq.store(seq + 1, std::memory_order_relaxed);
    p.horizon.store(0, std::memory_order_release);
    p.seq.store(seq + 2, std::memory_order_release);
  }
};

#endif

/// Current time in nanoseconds since the Unix epoch (anchored wall clock + monotonic progress).
inline std::int64_t unix_now_ns() noexcept {
#if LLMTRACE_HAS_TSC_CLOCK
  return tsc_clock::now();
#else
  return steady_unix_ns();
#endif
}

/// What is left until `deadline` on the steady clock, in whole milliseconds; never negative.
inline std::chrono::milliseconds time_left(std::chrono::steady_clock::time_point deadline) noexcept {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return left.count() > 0 ? left : std::chrono::milliseconds(0);
}

}  // namespace detail
LLMTRACE_END_NAMESPACE
