// llmtrace/detail/civil_date.hpp: proleptic Gregorian calendar arithmetic (days since the Unix epoch of
// a date), shared by every parser of dates (HTTP Retry-After, RFC 3339 times from Ollama).
// Standard headers only. Thread-safety: pure functions.
#pragma once

#include <llmtrace/config.hpp>

#include <cstdint>

LLMTRACE_BEGIN_NAMESPACE
namespace detail {

/// Days since 1970-01-01 of the proleptic Gregorian date `y`-`m`-`d` (month 1..12, day 1..31; negative
/// before 1970). Uses 400-year eras of 146097 days, so it is exact for every year an int64 holds.
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);       // year of era, 0..399
  const unsigned mp = m > 2 ? m - 3 : m + 9;                   // month counted from March
  const unsigned doy = (153 * mp + 2) / 5 + d - 1;             // day of the (March-based) year
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;  // day of era
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

static_assert(days_from_civil(1970, 1, 1) == 0, "the epoch is day 0");
static_assert(days_from_civil(2000, 3, 1) == 11017, "leap years counted");

}  // namespace detail
LLMTRACE_END_NAMESPACE
