// llmtrace/detail/hex.hpp: lowercase hex encoding and strict decoding of byte strings.
// Thread-safety: pure functions.
#pragma once

#include <llmtrace/config.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

LLMTRACE_BEGIN_NAMESPACE
namespace detail {

inline void to_hex(const std::uint8_t* bytes, std::size_t n, char* out) noexcept {
  constexpr char digits[] = "0123456789abcdef";
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 0x0f];
  }
}

/// -1 unless `c` is a lowercase hex digit (W3C Trace Context accepts lowercase only).
inline int lower_hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/// Decodes exactly 2*n lowercase hex digits; false (and `out` unspecified) on any other input.
inline bool from_hex(std::string_view hex, std::uint8_t* out, std::size_t n) noexcept {
  if (hex.size() != 2 * n) return false;
  for (std::size_t i = 0; i < n; ++i) {
    const int hi = lower_hex_value(hex[2 * i]);
    const int lo = lower_hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return true;
}

}  // namespace detail
LLMTRACE_END_NAMESPACE
