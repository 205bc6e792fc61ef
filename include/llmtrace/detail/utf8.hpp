// llmtrace/detail/utf8.hpp: UTF-8 validation, repair (each maximal invalid subpart becomes one U+FFFD) and truncation
// that never splits a character. Limits count characters (code points), as the OpenTelemetry
// attribute limits do. Thread-safety: pure functions.
#pragma once

#include <llmtrace/config.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

LLMTRACE_BEGIN_NAMESPACE
namespace detail {

inline constexpr std::string_view replacement_character = "\xEF\xBF\xBD";

inline bool is_ascii(std::string_view s) noexcept {
  const char* p = s.data();
  const std::size_t size = s.size();
  std::uint64_t w, any = 0;
  if (size >= 8) {
    // Whole words, then one last word overlapping the tail.
    for (std::size_t i = 0; i + 8 <= size; i += 8) {
      std::memcpy(&w, p + i, 8);
      any |= w;
    }
    std::memcpy(&w, p + size - 8, 8);
    return ((any | w) & 0x8080808080808080ULL) == 0;
  }
  for (std::size_t i = 0; i < size; ++i) any |= static_cast<unsigned char>(p[i]);
  return (any & 0x80) == 0;
}

/// Length of the valid UTF-8 sequence starting at s[i], or 0 when the bytes there are not one.
inline std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  std::size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // bounds for the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;  // no UTF-16 surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < len; ++k)
    if ((b(i + k) & 0xC0) != 0x80) return 0;
  return len;
}

/// Byte length of the character at s[i] for stepping through text: the valid sequence's length, or 1
/// where the bytes are not one (each such byte counts as one character), so a valid sequence is never
/// split. Requires i < s.size().
inline std::size_t utf8_char_length(std::string_view s, std::size_t i) noexcept {
  const std::size_t n = utf8_sequence_length(s, i);
  return n != 0 ? n : 1;
}

/// Characters in `s` as utf8_char_length steps through it: code points of valid UTF-8.
inline std::size_t utf8_char_count(std::string_view s) noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); i += utf8_char_length(s, i)) ++n;
  return n;
}

/// At an invalid position i (utf8_sequence_length(s, i) == 0): how many bytes one U+FFFD replaces.
/// That is the maximal subpart (Unicode, and the WHATWG Encoding Standard that browsers and
/// protobuf/JSON libraries follow): a lead byte and the continuation bytes that could still have
/// completed it (a truncated "\xE2\x82" is one U+FFFD), else the single byte (each stray
/// continuation byte is one U+FFFD). Every repair in llmtrace (both OTLP encoders, attributes) uses it.
inline std::size_t utf8_invalid_length(std::string_view s, std::size_t i) noexcept {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  std::size_t len;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 1;
  }
  std::size_t n = 1;
  while (n < len && i + n < s.size()) {
    const unsigned char x = b(i + n);
    if (n == 1 ? (x < lo || x > hi) : (x & 0xC0) != 0x80) break;
    ++n;
  }
  return n;
}

inline bool is_valid_utf8(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

/// Appends `in` to `out` with invalid sequences replaced by U+FFFD, keeping at most `max_chars`
/// characters. Returns true when characters were cut off.
inline bool append_utf8(std::string& out, std::string_view in, std::size_t max_chars) {
  if (is_ascii(in)) {
    if (in.size() <= max_chars) {
      out.append(in.data(), in.size());
      return false;
    }
    out.append(in.data(), max_chars);
    return true;
  }
  std::size_t chars = 0;
  std::size_t i = 0;
  while (i < in.size()) {
    if (chars == max_chars) return true;
    const std::size_t n = utf8_sequence_length(in, i);
    if (n == 0) {
      out.append(replacement_character.data(), replacement_character.size());
      i += utf8_invalid_length(in, i);
    } else {
      out.append(in.data() + i, n);
      i += n;
    }
    ++chars;
  }
  return false;
}

/// `in` repaired as above, as a new string.
inline std::string sanitize_utf8(std::string_view in, std::size_t max_chars = std::string::npos) {
  std::string out;
  out.reserve(in.size());
  append_utf8(out, in, max_chars);
  return out;
}

/// The longest prefix of valid UTF-8 `s` that fits in `max_bytes` without splitting a character.
inline std::string_view utf8_prefix_bytes(std::string_view s, std::size_t max_bytes) noexcept {
  if (s.size() <= max_bytes) return s;
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut);
}

}  // namespace detail
LLMTRACE_END_NAMESPACE
