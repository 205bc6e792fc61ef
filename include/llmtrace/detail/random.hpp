// llmtrace/detail/random.hpp: a per-thread xoshiro256** generator for trace and span ids.
// Thread-safety: each thread owns its generator; no shared state, no locks.
#pragma once

#include <llmtrace/config.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <thread>

// Seeding: the kernel's getrandom() where available (and cheap to include), else std::random_device.
#if defined(__linux__) && defined(__has_include)
#if __has_include(<sys/random.h>)
#include <sys/random.h>
#define LLMTRACE_HAS_GETRANDOM 1
#endif
#endif
#if !defined(LLMTRACE_HAS_GETRANDOM)
#include <random>
#endif

LLMTRACE_BEGIN_NAMESPACE
namespace detail {

struct rng_state {
  std::uint64_t s[4];
  bool seeded;
};

inline std::uint64_t splitmix64(std::uint64_t& x) noexcept {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

LLMTRACE_NOINLINE inline void seed_rng(rng_state& st) noexcept {
  std::uint64_t seed = 0;
#if defined(LLMTRACE_HAS_GETRANDOM)
  if (::getrandom(&seed, sizeof seed, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof seed)) seed = 0;
#else
  try {
    std::random_device rd;
    seed = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  } catch (...) {
  }
#endif
  // Without entropy the clock and thread identity still give distinct streams.
  seed ^= static_cast<std::uint64_t>(std::chrono::high_resolution_clock::now().time_since_epoch().count());
  seed ^= static_cast<std::uint64_t>(std::hash<std::thread::id>{}(std::this_thread::get_id())) << 1;
  seed ^= reinterpret_cast<std::uintptr_t>(&st);
  for (auto& word : st.s) word = splitmix64(seed);
  st.seeded = true;
}

/// The calling thread's generator state (trivially constructible, so access is a plain TLS load).
LLMTRACE_API inline rng_state& thread_rng() noexcept {
  thread_local rng_state state{};
  if (LLMTRACE_UNLIKELY(!state.seeded)) seed_rng(state);
  return state;
}

inline std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }

/// Next 64 random bits from this thread's xoshiro256** stream.
inline std::uint64_t random_u64() noexcept {
  auto& st = thread_rng();
  auto* s = st.s;
  const std::uint64_t result = rotl(s[1] * 5, 7) * 9;
  const std::uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

}  // namespace detail
LLMTRACE_END_NAMESPACE
