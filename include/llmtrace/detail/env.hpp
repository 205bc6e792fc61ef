// llmtrace/detail/env.hpp: reading OTEL_* style environment variables. An invalid value is reported
// once (per read) through the error handler and the default is used; nothing here throws on bad input.
// Thread-safety: reads the process environment; do not call setenv concurrently.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/error.hpp>

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE
namespace detail {

inline std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

inline std::string to_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

/// The variable's value, trimmed; nullopt when unset or empty (the spec treats empty as unset).
inline std::optional<std::string> get_env(const char* name) {
  const char* v = std::getenv(name);
  if (!v) return std::nullopt;
  const auto t = trim(v);
  if (t.empty()) return std::nullopt;
  return std::string(t);
}

/// The first of `names` that is set (a signal-specific variable before the generic one).
inline std::optional<std::pair<std::string, std::string>> get_env_first(std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (auto v = get_env(n)) return std::make_pair(std::string(n), *v);
  return std::nullopt;
}

inline void report_invalid(std::string_view name, std::string_view value, std::string_view expected,
                           std::string_view fallback) {
  report_error("invalid " + std::string(name) + "='" + std::string(value) + "' (expected " + std::string(expected) +
               "); using the default " + std::string(fallback));
}

inline bool parse_bool(std::string_view name, std::string_view value, bool fallback) {
  if (iequals(value, "true")) return true;
  if (iequals(value, "false")) return false;
  report_invalid(name, value, "true or false", fallback ? "true" : "false");
  return fallback;
}

inline bool env_bool(const char* name, bool fallback) {
  const auto v = get_env(name);
  return v ? parse_bool(name, *v, fallback) : fallback;
}

/// A whole decimal number in [lo, hi]; anything else is reported and `fallback` returned.
inline long long parse_int(std::string_view name, std::string_view value, long long fallback, long long lo,
                           long long hi) {
  const std::string s(value);
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || end == s.c_str() || *end != '\0' || v < lo || v > hi) {
    report_invalid(name, value, "a whole number from " + std::to_string(lo) + " to " + std::to_string(hi),
                   std::to_string(fallback));
    return fallback;
  }
  return v;
}

inline long long env_int(const char* name, long long fallback, long long lo, long long hi) {
  const auto v = get_env(name);
  return v ? parse_int(name, *v, fallback, lo, hi) : fallback;
}

inline double parse_double(std::string_view name, std::string_view value, double fallback, double lo, double hi) {
  const std::string s(value);
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (errno != 0 || end == s.c_str() || *end != '\0' || !(v >= lo && v <= hi)) {
    report_invalid(name, value, "a number from " + std::to_string(lo) + " to " + std::to_string(hi),
                   std::to_string(fallback));
    return fallback;
  }
  return v;
}

/// Comma-separated items, trimmed, empty items skipped.
inline std::vector<std::string> split_list(std::string_view s, char sep = ',') {
  std::vector<std::string> out;
  while (true) {
    const auto pos = s.find(sep);
    const auto item = trim(s.substr(0, pos));
    if (!item.empty()) out.emplace_back(item);
    if (pos == std::string_view::npos) break;
    s.remove_prefix(pos + 1);
  }
  return out;
}

inline std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
      };
      const int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>((hi << 4) | lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

/// `k1=v1,k2=v2` with percent-decoded keys and values (OTEL_RESOURCE_ATTRIBUTES, *_HEADERS).
/// Malformed members (no '=', empty key) are reported by name only (values may be secrets) and skipped.
inline std::vector<std::pair<std::string, std::string>> parse_key_values(std::string_view name, std::string_view s) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& item : split_list(s)) {
    const auto eq = item.find('=');
    const auto key = eq == std::string::npos ? std::string_view() : trim(std::string_view(item).substr(0, eq));
    if (key.empty()) {
      report_error("ignoring a malformed member of " + std::string(name) + " (expected key=value)");
      continue;
    }
    out.emplace_back(percent_decode(key), percent_decode(trim(std::string_view(item).substr(eq + 1))));
  }
  return out;
}

}  // namespace detail
LLMTRACE_END_NAMESPACE
