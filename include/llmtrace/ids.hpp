// llmtrace/ids.hpp: trace and span identifiers (W3C sizes), random and never all-zero, lowercase hex.
// Thread-safety: value types; generation uses a per-thread generator with no shared state.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/detail/hex.hpp>
#include <llmtrace/detail/random.hpp>

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

LLMTRACE_BEGIN_NAMESPACE

namespace detail {
template <std::size_t N>
struct id_bytes {
  std::array<std::uint8_t, N> bytes{};

  /// False for the all-zero id, which W3C and OTLP treat as "no id".
  bool valid() const noexcept {
    std::uint64_t words[N / 8];
    std::memcpy(words, bytes.data(), N);
    std::uint64_t any = 0;
    for (auto w : words) any |= w;
    return any != 0;
  }
  /// Lowercase hex, 2*N characters.
  std::string to_hex() const {
    std::string s(2 * N, '0');
    detail::to_hex(bytes.data(), N, s.data());
    return s;
  }
  const std::uint8_t* data() const noexcept { return bytes.data(); }
  static constexpr std::size_t size() noexcept { return N; }
};
}  // namespace detail

/// A 16-byte trace id.
struct trace_id : detail::id_bytes<16> {
  /// A random, non-zero id from the calling thread's generator.
  static trace_id random() noexcept {
    trace_id id;
    std::uint64_t hi, lo;
    do {
      hi = detail::random_u64();
      lo = detail::random_u64();
    } while ((hi | lo) == 0);
    std::memcpy(id.bytes.data(), &hi, 8);
    std::memcpy(id.bytes.data() + 8, &lo, 8);
    return id;
  }
  /// Parses 32 lowercase hex digits; nullopt for anything else, including the all-zero id.
  static std::optional<trace_id> from_hex(std::string_view hex) noexcept {
    trace_id id;
    if (!detail::from_hex(hex, id.bytes.data(), 16) || !id.valid()) return std::nullopt;
    return id;
  }
  /// Bytes 8..15 read big-endian: the part of the id the ratio sampler decides on.
  std::uint64_t low_u64_be() const noexcept {
    std::uint64_t v = 0;
    for (std::size_t i = 8; i < 16; ++i) v = (v << 8) | bytes[i];
    return v;
  }
};

/// An 8-byte span id.
struct span_id : detail::id_bytes<8> {
  static span_id random() noexcept {
    span_id id;
    std::uint64_t v;
    do {
      v = detail::random_u64();
    } while (v == 0);
    std::memcpy(id.bytes.data(), &v, 8);
    return id;
  }
  static std::optional<span_id> from_hex(std::string_view hex) noexcept {
    span_id id;
    if (!detail::from_hex(hex, id.bytes.data(), 8) || !id.valid()) return std::nullopt;
    return id;
  }
};

inline bool operator==(const trace_id& a, const trace_id& b) noexcept { return a.bytes == b.bytes; }
inline bool operator!=(const trace_id& a, const trace_id& b) noexcept { return a.bytes != b.bytes; }
inline bool operator==(const span_id& a, const span_id& b) noexcept { return a.bytes == b.bytes; }
inline bool operator!=(const span_id& a, const span_id& b) noexcept { return a.bytes != b.bytes; }

LLMTRACE_END_NAMESPACE
