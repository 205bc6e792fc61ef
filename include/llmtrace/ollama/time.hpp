// llmtrace/ollama/time.hpp: RFC 3339 times as Ollama writes them (created_at, modified_at,
// expires_at), parsed without allocating or throwing.
// Thread-safety: pure functions.
#pragma once

#include <llmtrace/config.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

LLMTRACE_BEGIN_NAMESPACE
namespace ollama {

namespace detail {

inline bool is_digits(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}
inline int to_int(std::string_view s) noexcept {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}
/// Days since 1970-01-01 of a proleptic Gregorian date.
inline std::int64_t days_since_epoch(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

}  // namespace detail

/// An RFC 3339 time kept exactly, whatever its year: Unix seconds plus nanoseconds. Ollama writes
/// times outside the int64-nanosecond range (1677-2262): Go's zero time `0001-01-01T00:00:00Z`
/// (`modified_at` of cloud aliases) and `expires_at` around the year 2318 for a model kept loaded
/// forever (`keep_alive` < 0, `OLLAMA_KEEP_ALIVE=-1`).
struct rfc3339_time {
  std::int64_t unix_seconds = 0;    ///< seconds since 1970-01-01T00:00:00Z (offset applied)
  std::int32_t nanos = 0;           ///< 0..999'999'999
  std::int32_t offset_seconds = 0;  ///< the offset as written (`Z`: 0), e.g. -25200 for -07:00

  /// Whether unix_nanos() is exact (the time lies within the int64-nanosecond range).
  [[nodiscard]] bool fits_unix_nanos() const noexcept {
    // INT64_MAX = 9223372036 s + 854775807 ns; INT64_MIN = -9223372037 s + 145224192 ns.
    if (unix_seconds > 0) return unix_seconds < 9223372036 || (unix_seconds == 9223372036 && nanos <= 854775807);
    return unix_seconds > -9223372037 || (unix_seconds == -9223372037 && nanos >= 145224192);
  }
  /// Unix nanoseconds, saturated to INT64_MIN / INT64_MAX outside the range (see fits_unix_nanos()).
  [[nodiscard]] std::int64_t unix_nanos() const noexcept {
    if (!fits_unix_nanos()) return unix_seconds < 0 ? INT64_MIN : INT64_MAX;
    if (unix_seconds < 0) return (unix_seconds + 1) * 1000000000 - (1000000000 - nanos);  // no overflow
    return unix_seconds * 1000000000 + nanos;
  }
};

/// Parses an RFC 3339 time as Ollama writes it (`2025-07-07T20:22:19.19314Z`, 0-9 fraction digits
/// used, `Z` or an offset such as `-07:00`), any year 0000-9999; nullopt when it is not one.
inline std::optional<rfc3339_time> parse_rfc3339(std::string_view s) noexcept {
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' ||
      s[16] != ':')
    return std::nullopt;
  const auto y = s.substr(0, 4), mo = s.substr(5, 2), d = s.substr(8, 2), h = s.substr(11, 2), mi = s.substr(14, 2),
             se = s.substr(17, 2);
  for (auto part : {y, mo, d, h, mi, se})
    if (!detail::is_digits(part)) return std::nullopt;
  const int month = detail::to_int(mo), day = detail::to_int(d), hour = detail::to_int(h), minute = detail::to_int(mi),
            second = detail::to_int(se);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  std::size_t i = 19;
  std::int32_t frac_ns = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    std::int32_t scale = 100000000;
    const std::size_t start = i;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
      frac_ns += (s[i] - '0') * scale;
      scale /= 10;
    }
    if (i == start) return std::nullopt;
  }
  if (i >= s.size()) return std::nullopt;
  std::int32_t offset_s = 0;
  if (s[i] == 'Z' || s[i] == 'z') {
    ++i;
  } else if (s[i] == '+' || s[i] == '-') {
    // "+hh:mm": check the length before looking inside (a truncated offset is not a time).
    if (s.size() - i < 6 || s[i + 3] != ':') return std::nullopt;
    const auto oh = s.substr(i + 1, 2), om = s.substr(i + 4, 2);
    if (!detail::is_digits(oh) || !detail::is_digits(om)) return std::nullopt;
    offset_s = (detail::to_int(oh) * 3600 + detail::to_int(om) * 60) * (s[i] == '-' ? -1 : 1);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  const std::int64_t days =
      detail::days_since_epoch(detail::to_int(y), static_cast<unsigned>(month), static_cast<unsigned>(day));
  rfc3339_time t;
  t.unix_seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_s;  // |x| < 2^39: no overflow
  t.nanos = frac_ns;
  t.offset_seconds = offset_s;
  return t;
}

/// Parses an RFC 3339 time (see parse_rfc3339) into Unix nanoseconds, saturated to INT64_MIN /
/// INT64_MAX for times outside 1677-2262 (Go's zero time, a model kept loaded forever); nullopt when
/// it is not a time. Use parse_rfc3339 to tell a saturated value from a real one.
inline std::optional<std::int64_t> parse_time(std::string_view s) noexcept {
  const auto t = parse_rfc3339(s);
  if (!t) return std::nullopt;
  return t->unix_nanos();
}

}  // namespace ollama
LLMTRACE_END_NAMESPACE
