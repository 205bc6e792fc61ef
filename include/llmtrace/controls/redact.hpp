// llmtrace/controls/redact.hpp: masks personal data and secrets before a span leaves the process.
// A redactor rewrites string values with built-in detectors chosen by name (hand-written scanners,
// no regex), user patterns (std::regex, ECMAScript grammar) and a user callback, replacing each find
// with `[REDACTED:<kind>]`; it drops keys by name or prefix, and keeps the JSON of content-capture
// attributes valid by redacting inside their string literals only. redacting_exporter applies it on
// the export side (the batch worker) to span, event and link attributes and the status message,
// copying a span only when something is replaced, and counts finds in `llmtrace.redacted_count`.
// Thread-safety: a redactor is immutable once built and used concurrently; the user callback must be
// thread-safe; a redact_scratch belongs to one thread at a time.
#pragma once

#include <llmtrace/attributes.hpp>
#include <llmtrace/config.hpp>
#include <llmtrace/detail/env.hpp>
#include <llmtrace/error.hpp>
#include <llmtrace/exporter.hpp>
#include <llmtrace/semconv.hpp>
#include <llmtrace/span_data.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <regex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE

/// The built-in detectors, one bit each (combine with |).
enum class redact_detector : std::uint32_t {
  none = 0,
  email = 1u << 0,              ///< local@domain.tld
  phone = 1u << 1,              ///< +49 30 1234567, (555) 123-4567: 10-15 digits in groups, or + and 8-15
  card = 1u << 2,               ///< 13-19 digits (spaces/dashes allowed) passing the Luhn check
  ipv4 = 1u << 3,               ///< dotted quad, each octet <= 255
  ipv6 = 1u << 4,               ///< RFC 4291 text forms, `::` and an embedded IPv4 tail included
  bearer = 1u << 5,             ///< the token after `Bearer `
  api_key = 1u << 6,            ///< sk-/ghp_/xoxb-/AKIA/AIza/hf_/glpat-/... keys, JWTs, `api_key=...` values
  private_key = 1u << 7,        ///< -----BEGIN ... PRIVATE KEY----- blocks
  url_credentials = 1u << 8,    ///< the user:password of scheme://user:password@host
  connection_string = 1u << 9,  ///< Password=/Pwd=/AccountKey=/SharedAccessKey= values
  all = (1u << 10) - 1
};
inline constexpr redact_detector operator|(redact_detector a, redact_detector b) noexcept {
  return static_cast<redact_detector>(static_cast<std::uint32_t>(a) | static_cast<std::uint32_t>(b));
}
inline constexpr bool has(redact_detector set, redact_detector d) noexcept {
  return (static_cast<std::uint32_t>(set) & static_cast<std::uint32_t>(d)) != 0;
}

/// A user pattern: every match of `regex` (ECMAScript std::regex) becomes `[REDACTED:<kind>]`.
struct redact_pattern {
  std::string kind;
  std::string regex;
};

/// Called for every string value (each string literal of JSON content) after the built-in detectors
/// and patterns: return how many finds you redacted and, when that is > 0, the whole rewritten value
/// in `out` (which comes empty); return 0 and leave `out` alone to keep `value`. `key` is the
/// attribute key ("" for a status message or a recorded HTTP body). Runs on the export side.
using redact_callback = std::function<std::size_t(std::string_view key, std::string_view value, std::string& out)>;

/// What a redactor does. Everything is off by default.
struct redaction_options {
  redact_detector detectors = redact_detector::none;
  std::vector<redact_pattern> patterns{};
  redact_callback callback{};
  /// Attribute keys removed entirely. A key ending in `*` is a prefix (`http.request.header.*`).
  std::vector<std::string> drop_keys{};
  /// Attributes whose values are JSON (content capture): only their string literals are rewritten.
  std::vector<std::string> json_keys = {
      std::string(semconv::gen_ai_input_messages),      std::string(semconv::gen_ai_output_messages),
      std::string(semconv::gen_ai_system_instructions), std::string(semconv::gen_ai_tool_definitions),
      std::string(semconv::gen_ai_tool_call_arguments), std::string(semconv::gen_ai_tool_call_result),
      std::string(semconv::gen_ai_retrieval_documents)};
};

/// The attribute counting the finds redacted on a span (int, set only when > 0).
inline constexpr std::string_view redacted_count_key = "llmtrace.redacted_count";

namespace detail {
namespace redact {

inline bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
inline bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool is_alnum(char c) noexcept { return is_digit(c) || is_alpha(c); }
inline bool is_hex(char c) noexcept { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
inline bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
inline bool is_token(char c) noexcept { return is_alnum(c) || c == '-' || c == '_'; }
inline char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
inline bool istarts(std::string_view s, std::size_t at, std::string_view word) noexcept {
  if (s.size() - at < word.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i)
    if (lower(s[at + i]) != word[i]) return false;
  return true;
}
inline bool already_redacted(std::string_view s, std::size_t at) noexcept { return s.substr(at, 10) == "[REDACTED:"; }

/// A find: [begin, end) is replaced.
struct range {
  std::size_t begin = 0, end = 0;
};
/// Finds the first match starting at or after `from`; false when there is none.
using scanner = bool (*)(std::string_view s, std::size_t from, range& m);

inline bool scan_email(std::string_view s, std::size_t from, range& m) {
  auto local = [](char c) { return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'; };
  for (std::size_t at = s.find('@', from); at != std::string_view::npos; at = s.find('@', at + 1)) {
    std::size_t l = at;
    while (l > from && local(s[l - 1])) --l;
    while (l < at && s[l] == '.') ++l;
    if (l == at) continue;
    std::size_t r = at + 1;
    while (r < s.size() && (is_alnum(s[r]) || s[r] == '.' || s[r] == '-')) ++r;
    while (r > at + 1 && (s[r - 1] == '.' || s[r - 1] == '-')) --r;
    const std::string_view domain = s.substr(at + 1, r - at - 1);
    const auto dot = domain.rfind('.');
    if (dot == std::string_view::npos || dot == 0 || domain.size() - dot - 1 < 2) continue;
    bool tld_alpha = true;
    for (std::size_t i = dot + 1; i < domain.size(); ++i) tld_alpha = tld_alpha && is_alpha(domain[i]);
    if (!tld_alpha) continue;
    m = {l, r};
    return true;
  }
  return false;
}

inline bool luhn(std::string_view digits) noexcept {
  int sum = 0;
  bool dbl = false;
  for (std::size_t i = digits.size(); i-- > 0;) {
    int d = digits[i] - '0';
    if (dbl) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 == 0;
}

inline bool scan_card(std::string_view s, std::size_t from, range& m) {
  std::size_t i = from;
  while (i < s.size()) {
    if (!is_digit(s[i]) || (i > 0 && is_alnum(s[i - 1]))) {
      ++i;
      continue;
    }
    const std::size_t start = i;
    char digits[20];
    std::size_t n = 0, end = i;
    while (i < s.size()) {
      if (is_digit(s[i])) {
        if (n < sizeof digits) digits[n] = s[i];
        ++n;
        end = ++i;
      } else if ((s[i] == ' ' || s[i] == '-') && i + 1 < s.size() && is_digit(s[i + 1])) {
        ++i;
      } else {
        break;
      }
    }
    const bool boundary = end >= s.size() || !is_alpha(s[end]);
    if (n >= 13 && n <= 19 && boundary && luhn(std::string_view(digits, n))) {
      m = {start, end};
      return true;
    }
  }
  return false;
}

inline bool scan_phone(std::string_view s, std::size_t from, range& m) {
  auto sep = [](char c) { return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')'; };
  std::size_t i = from;
  while (i < s.size()) {
    const char c = s[i];
    const bool can_start = is_digit(c) || ((c == '+' || c == '(') && i + 1 < s.size() && is_digit(s[i + 1]));
    if (!can_start || (i > 0 && (is_alnum(s[i - 1]) || s[i - 1] == '+' || s[i - 1] == '.'))) {
      ++i;
      continue;
    }
    const std::size_t start = i;
    const bool plus = c == '+';
    if (plus) ++i;
    std::size_t digits = 0, groups = 0, group_len = 0, max_group = 0, end = i, run_sep = 0;
    bool dot_sep = false, other_sep = false;
    while (i < s.size()) {
      if (is_digit(s[i])) {
        if (group_len == 0) ++groups;
        ++digits;
        ++group_len;
        if (group_len > max_group) max_group = group_len;
        run_sep = 0;
        end = ++i;
      } else if (sep(s[i]) && run_sep < 2) {
        if (s[i] == '.')
          dot_sep = true;
        else
          other_sep = true;
        group_len = 0;
        ++run_sep;
        ++i;
      } else {
        break;
      }
    }
    const bool boundary = end >= s.size() || !is_alpha(s[end]);
    const bool shaped = plus ? (digits >= 8 && groups >= 1)
                             : (digits >= 10 && groups >= 2 && max_group <= 8 && (other_sep || groups >= 3));
    if (boundary && digits <= 15 && shaped && !(dot_sep && !other_sep && groups < 3)) {
      m = {start, end};
      return true;
    }
    if (i == start) ++i;
  }
  return false;
}

inline bool parse_octets(std::string_view s, std::size_t i, std::size_t& end) noexcept {
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
    int v = 0, n = 0;
    while (i < s.size() && is_digit(s[i]) && n < 4) v = v * 10 + (s[i++] - '0'), ++n;
    if (n == 0 || n > 3 || v > 255) return false;
  }
  end = i;
  return true;
}

inline bool scan_ipv4(std::string_view s, std::size_t from, range& m) {
  for (std::size_t i = from; i < s.size(); ++i) {
    if (!is_digit(s[i]) || (i > 0 && (is_alnum(s[i - 1]) || s[i - 1] == '.'))) continue;
    std::size_t end = 0;
    if (!parse_octets(s, i, end)) continue;
    if (end < s.size() && (is_alnum(s[end]) || (s[end] == '.' && end + 1 < s.size() && is_digit(s[end + 1])))) continue;
    m = {i, end};
    return true;
  }
  return false;
}

/// Validates an IPv6 text form (RFC 4291 section 2.2, with an optional dotted IPv4 tail).
inline bool valid_ipv6(std::string_view t) noexcept {
  const auto dc = t.find("::");
  if (dc != std::string_view::npos && t.find("::", dc + 1) != std::string_view::npos) return false;
  int groups = 0;
  auto count = [&](std::string_view part, bool last_part) {
    if (part.empty()) return true;
    std::size_t i = 0;
    while (i <= part.size()) {
      const auto colon = part.find(':', i);
      const std::string_view g = part.substr(i, colon == std::string_view::npos ? std::string_view::npos : colon - i);
      if (g.find('.') != std::string_view::npos) {
        std::size_t end = 0;
        if (!last_part || colon != std::string_view::npos || !parse_octets(g, 0, end) || end != g.size()) return false;
        groups += 2;
      } else {
        if (g.empty() || g.size() > 4) return false;
        for (char c : g)
          if (!is_hex(c)) return false;
        ++groups;
      }
      if (colon == std::string_view::npos) break;
      i = colon + 1;
    }
    return true;
  };
  if (dc == std::string_view::npos) return count(t, true) && groups == 8;
  return count(t.substr(0, dc), false) && count(t.substr(dc + 2), true) && groups >= 1 && groups <= 7;
}

inline bool scan_ipv6(std::string_view s, std::size_t from, range& m) {
  auto run_char = [](char c) { return is_hex(c) || c == ':' || c == '.'; };
  std::size_t i = s.find(':', from);
  while (i != std::string_view::npos) {
    std::size_t l = i;
    while (l > from && run_char(s[l - 1])) --l;
    std::size_t r = i;
    while (r < s.size() && run_char(s[r])) ++r;
    std::size_t b = l, e = r;
    while (e > b && s[e - 1] == '.') --e;
    if (e > b && s[e - 1] == ':' && !(e - b >= 2 && s[e - 2] == ':')) --e;
    const bool left_ok = b == 0 || !is_alnum(s[b - 1]);
    const bool right_ok = e >= s.size() || !is_alnum(s[e]);
    if (left_ok && right_ok && valid_ipv6(s.substr(b, e - b))) {
      m = {b, e};
      return true;
    }
    i = r < s.size() ? s.find(':', r) : std::string_view::npos;
  }
  return false;
}

inline bool scan_bearer(std::string_view s, std::size_t from, range& m) {
  auto tok = [](char c) {
    return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '=';
  };
  for (std::size_t i = from; i + 7 < s.size(); ++i) {
    if (lower(s[i]) != 'b' || !istarts(s, i, "bearer") || (i > 0 && is_alnum(s[i - 1]))) continue;
    std::size_t j = i + 6;
    if (j >= s.size() || !(s[j] == ' ' || s[j] == '\t')) continue;
    while (j < s.size() && (s[j] == ' ' || s[j] == '\t')) ++j;
    if (already_redacted(s, j)) continue;
    std::size_t e = j;
    while (e < s.size() && tok(s[e])) ++e;
    if (e - j >= 8) {
      m = {j, e};
      return true;
    }
  }
  return false;
}

inline bool scan_api_key(std::string_view s, std::size_t from, range& m) {
  static constexpr std::string_view prefixes[] = {
      "sk-",   "sk_live_", "sk_test_", "rk_live_", "pk_live_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_",
      "xoxb-", "xoxp-",    "xoxa-",    "xoxs-",    "glpat-",   "hf_",  "AIza", "AKIA", "ASIA", "npm_"};
  static constexpr std::string_view assign[] = {"api_key",       "api-key",    "apikey",   "access_token", "auth_token",
                                                "client_secret", "secret_key", "password", "passwd"};
  for (std::size_t i = from; i < s.size(); ++i) {
    if (i > 0 && is_token(s[i - 1])) continue;
    for (auto p : prefixes) {
      if (s.compare(i, p.size(), p) != 0) continue;
      std::size_t e = i + p.size();
      while (e < s.size() && is_token(s[e])) ++e;
      if (e - i - p.size() >= 16) {
        m = {i, e};
        return true;
      }
    }
    if (s.compare(i, 3, "eyJ") == 0) {  // a JWT: three base64url segments, header and payload JSON
      std::size_t e = i, dots = 0;
      while (e < s.size() && (is_token(s[e]) || s[e] == '.')) dots += s[e++] == '.';
      if (dots == 2 && e - i >= 30 && s.compare(s.find('.', i) + 1, 3, "eyJ") == 0) {
        m = {i, e};
        return true;
      }
    }
    for (auto a : assign) {
      if (!istarts(s, i, a)) continue;
      std::size_t j = i + a.size();
      if (j < s.size() && (s[j] == '"' || s[j] == '\'')) ++j;
      while (j < s.size() && s[j] == ' ') ++j;
      if (j >= s.size() || (s[j] != '=' && s[j] != ':')) continue;
      ++j;
      while (j < s.size() && s[j] == ' ') ++j;
      if (j < s.size() && (s[j] == '"' || s[j] == '\'')) ++j;
      if (already_redacted(s, j)) continue;
      std::size_t e = j;
      while (e < s.size() && !is_space(s[e]) && s[e] != '"' && s[e] != '\'' && s[e] != ',' && s[e] != ';' &&
             s[e] != '&')
        ++e;
      if (e - j >= 4) {
        m = {j, e};
        return true;
      }
    }
  }
  return false;
}

inline bool scan_private_key(std::string_view s, std::size_t from, range& m) {
  for (std::size_t b = s.find("-----BEGIN ", from); b != std::string_view::npos; b = s.find("-----BEGIN ", b + 1)) {
    const auto head_end = s.find("-----", b + 11);
    if (head_end == std::string_view::npos) return false;
    if (s.substr(b, head_end - b).find("PRIVATE KEY") == std::string_view::npos) continue;
    std::size_t e = s.size();
    const auto end_mark = s.find("-----END ", head_end + 5);
    if (end_mark != std::string_view::npos) {
      const auto close = s.find("-----", end_mark + 9);
      if (close != std::string_view::npos) e = close + 5;
    }
    m = {b, e};
    return true;
  }
  return false;
}

inline bool scan_url_credentials(std::string_view s, std::size_t from, range& m) {
  for (std::size_t p = s.find("://", from); p != std::string_view::npos; p = s.find("://", p + 3)) {
    if (p == 0 || !(is_alnum(s[p - 1]) || s[p - 1] == '+' || s[p - 1] == '.' || s[p - 1] == '-')) continue;
    const std::size_t u = p + 3;
    std::size_t e = u;
    while (e < s.size() && s[e] != '@' && s[e] != '/' && s[e] != '?' && s[e] != '#' && !is_space(s[e]) && s[e] != '"' &&
           s[e] != '<' && s[e] != '>')
      ++e;
    if (e < s.size() && s[e] == '@' && e > u && !already_redacted(s, u)) {
      m = {u, e};
      return true;
    }
  }
  return false;
}

inline bool scan_connection_string(std::string_view s, std::size_t from, range& m) {
  static constexpr std::string_view keys[] = {"password", "pwd", "accountkey", "sharedaccesskey",
                                              "sharedaccesssignature"};
  for (std::size_t i = from; i < s.size(); ++i) {
    if (i > 0 && !(s[i - 1] == ';' || is_space(s[i - 1]) || s[i - 1] == '"' || s[i - 1] == '\'')) continue;
    for (auto k : keys) {
      if (!istarts(s, i, k)) continue;
      std::size_t j = i + k.size();
      while (j < s.size() && s[j] == ' ') ++j;
      if (j >= s.size() || s[j] != '=') continue;
      ++j;
      if (already_redacted(s, j)) continue;
      std::size_t e = j;
      while (e < s.size() && s[e] != ';' && s[e] != '"' && s[e] != '\'' && s[e] != '\n' && s[e] != '\r') ++e;
      if (e > j) {
        m = {j, e};
        return true;
      }
    }
  }
  return false;
}

/// Replaces every find of `scan` in `s` with `[REDACTED:<kind>]`; returns the number of finds.
inline std::size_t apply(std::string& s, scanner scan, std::string_view kind) {
  range m;
  if (!scan(s, 0, m)) return 0;
  std::string out;
  out.reserve(s.size());
  std::size_t pos = 0, n = 0;
  do {
    out.append(s, pos, m.begin - pos);
    out.append("[REDACTED:").append(kind).push_back(']');
    pos = m.end > m.begin ? m.end : m.begin + 1;
    ++n;
  } while (pos < s.size() && scan(s, pos, m));
  if (pos < s.size()) out.append(s, pos, std::string::npos);
  s.swap(out);
  return n;
}

/// Appends `cp` as UTF-8.
inline void put_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

/// Decodes the body of a JSON string literal (without its quotes); false when malformed.
inline bool json_unescape(std::string_view raw, std::string& out) {
  out.clear();
  auto hex4 = [&](std::size_t at, std::uint32_t& v) {
    if (at + 4 > raw.size()) return false;
    v = 0;
    for (std::size_t k = at; k < at + 4; ++k) {
      const char c = raw[k];
      if (!is_hex(c)) return false;
      v = v * 16 + static_cast<std::uint32_t>(is_digit(c) ? c - '0' : lower(c) - 'a' + 10);
    }
    return true;
  };
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '\\') {
      out.push_back(raw[i]);
      continue;
    }
    if (++i >= raw.size()) return false;
    switch (raw[i]) {
      case '"':
      case '\\':
      case '/':
        out.push_back(raw[i]);
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'u': {
        std::uint32_t cp = 0;
        if (!hex4(i + 1, cp)) return false;
        i += 4;
        if (cp >= 0xD800 && cp < 0xDC00 && i + 6 < raw.size() + 0 && raw[i + 1] == '\\' && raw[i + 2] == 'u') {
          std::uint32_t lo = 0;
          if (hex4(i + 3, lo) && lo >= 0xDC00 && lo < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
          }
        }
        put_utf8(out, cp >= 0xD800 && cp < 0xE000 ? 0xFFFD : cp);
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

inline void json_escape(std::string_view s, std::string& out) {
  static constexpr char hexd[] = "0123456789abcdef";
  for (char c : s) {
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out.append("\\u00");
          out.push_back(hexd[(c >> 4) & 0xF]);
          out.push_back(hexd[c & 0xF]);
        } else {
          out.push_back(c);
        }
    }
  }
}

inline bool key_matches(std::string_view key, const std::vector<std::string>& list) noexcept {
  for (const auto& k : list) {
    if (!k.empty() && k.back() == '*') {
      if (key.substr(0, k.size() - 1) == std::string_view(k).substr(0, k.size() - 1)) return true;
    } else if (key == k) {
      return true;
    }
  }
  return false;
}

}  // namespace redact
}  // namespace detail

/// Buffers one redacting thread reuses (a redacting_exporter keeps one): they grow to the largest
/// value seen and stay, so a value with nothing to redact costs no allocation.
struct redact_scratch {
  std::string decoded;   ///< a JSON string literal with escapes, decoded
  std::string piece;     ///< a rewritten piece (plain text or one JSON literal)
  std::string callback;  ///< what the user callback writes
  std::string value;     ///< a rewritten attribute value
};

/// Rewrites strings according to redaction_options. Build once, share (shared_ptr<const redactor>).
/// Every rewrite starts with a read-only scan: a value with no find is never copied.
class redactor {
 public:
  /// Throws std::regex_error for an invalid user pattern.
  explicit redactor(redaction_options options = {}) : opt_(std::move(options)) {
    for (const auto& p : opt_.patterns)
      compiled_.push_back({p.kind, std::regex(p.regex, std::regex::ECMAScript | std::regex::optimize)});
  }

  /// Parses a detector list (`email,card,ip,...` or `all`); unknown names are reported once each
  /// through the error handler (naming `source`) and skipped.
  static redact_detector parse_detectors(std::string_view list, std::string_view source = "LLMTRACE_REDACT") {
    redact_detector out = redact_detector::none;
    for (const auto& raw : detail::split_list(list)) {
      const std::string n = detail::to_lower(detail::trim(raw));
      if (n.empty() || n == "none") continue;
      bool known = false;
      for (const auto& d : detector_names())
        if (n == d.first || (n == "ip" && (d.second == redact_detector::ipv4 || d.second == redact_detector::ipv6))) {
          out = out | d.second;
          known = true;
        }
      if (n == "all") out = redact_detector::all, known = true;
      if (!known)
        detail::report_error(std::string(source) + ": unknown detector '" + n +
                             "' ignored (known: email, phone, card, ip, ipv4, ipv6, bearer, api_key, "
                             "private_key, url_credentials, connection_string, all)");
    }
    return out;
  }

  /// Options from LLMTRACE_REDACT (detector names or `all`) and LLMTRACE_REDACT_KEYS (keys to drop,
  /// `prefix*` for a prefix). Both unset: redaction stays off.
  static redaction_options options_from_env() {
    redaction_options o;
    if (const auto v = detail::get_env("LLMTRACE_REDACT")) o.detectors = parse_detectors(*v);
    if (const auto v = detail::get_env("LLMTRACE_REDACT_KEYS"))
      for (const auto& k : detail::split_list(*v))
        if (!detail::trim(k).empty()) o.drop_keys.emplace_back(detail::trim(k));
    return o;
  }

  /// True when the redactor changes anything.
  bool enabled() const noexcept {
    return opt_.detectors != redact_detector::none || !compiled_.empty() || opt_.callback || !opt_.drop_keys.empty();
  }
  const redaction_options& options() const noexcept { return opt_; }

  /// Redacts plain text `in`: returns the number of finds and, when > 0, the rewritten text in `out`
  /// (untouched otherwise). `callback_buf` is where the user callback writes.
  std::size_t redact_piece(std::string_view key, std::string_view in, std::string& out,
                           std::string& callback_buf) const {
    std::size_t n = 0;
    if (any_find(in)) {
      out.assign(in.data(), in.size());
      n = rewrite(out);
    }
    if (opt_.callback) {
      callback_buf.clear();
      const std::size_t k = opt_.callback(key, n ? std::string_view(out) : in, callback_buf);
      if (k) {
        out.swap(callback_buf);
        n += k;
      }
    }
    return n;
  }

  /// Redacts the string literals of JSON text `in` (keys and values), keeping it valid JSON: returns
  /// the finds and, when > 0, the rewritten JSON in `out`. Text from a literal that is not well
  /// formed on is redacted as plain text, so nothing leaks. Numbers are not scanned.
  std::size_t redact_json_to(std::string_view key, std::string_view in, std::string& out, redact_scratch& sc) const {
    std::size_t n = 0, pos = 0, copied = 0;
    auto start_or_append = [&](std::size_t upto) {
      if (!n) out.clear();
      out.append(in.data() + copied, upto - copied);
    };
    while (true) {
      const auto q = in.find('"', pos);
      if (q == std::string_view::npos) break;
      std::size_t e = q + 1;
      bool escaped = false;
      while (e < in.size() && in[e] != '"') {
        escaped = escaped || in[e] == '\\';
        e += in[e] == '\\' ? std::size_t{2} : std::size_t{1};
      }
      std::string_view literal;
      if (e < in.size()) {
        literal = in.substr(q + 1, e - q - 1);
        if (escaped) {
          if (detail::redact::json_unescape(literal, sc.decoded))
            literal = sc.decoded;
          else
            e = in.size();
        }
      }
      if (e >= in.size()) {  // not JSON after all: the rest as plain text
        const std::size_t k = redact_piece(key, in.substr(q), sc.piece, sc.callback);
        if (k) {
          start_or_append(q);
          out.append(sc.piece);
          copied = in.size();
          n += k;
        }
        break;
      }
      const std::size_t k = redact_piece(key, literal, sc.piece, sc.callback);
      if (k) {
        start_or_append(q + 1);
        detail::redact::json_escape(sc.piece, out);
        copied = e;
        n += k;
      }
      pos = e + 1;
    }
    if (n) out.append(in.data() + copied, in.size() - copied);
    return n;
  }

  /// Redacts one attribute value: JSON-aware for json_keys whose value starts with `[` or `{`, plain
  /// text otherwise. Returns the finds; the rewritten value is in `out` when > 0.
  std::size_t redact_value_to(std::string_view key, std::string_view in, std::string& out, redact_scratch& sc) const {
    const auto first = in.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && (in[first] == '[' || in[first] == '{') &&
        detail::redact::key_matches(key, opt_.json_keys))
      return redact_json_to(key, in, out, sc);
    return redact_piece(key, in, out, sc.callback);
  }

  /// Redacts plain text in place; returns the number of finds.
  std::size_t redact_text(std::string& s, std::string_view key = {}) const {
    std::string out, cb;
    const std::size_t n = redact_piece(key, s, out, cb);
    if (n) s.swap(out);
    return n;
  }
  /// Redacts JSON text in place (see redact_json_to); returns the number of finds.
  std::size_t redact_json(std::string& s, std::string_view key = {}) const {
    redact_scratch sc;
    std::string out;
    const std::size_t n = redact_json_to(key, s, out, sc);
    if (n) s.swap(out);
    return n;
  }
  /// Redacts a value in place (see redact_value_to); returns the number of finds.
  std::size_t redact_value(std::string_view key, std::string& s) const {
    redact_scratch sc;
    std::string out;
    const std::size_t n = redact_value_to(key, s, out, sc);
    if (n) s.swap(out);
    return n;
  }

  /// Drops keys from and redacts every string (and string-array element) of `in`. When anything
  /// changes, writes the new set to `out`, adds the finds to `finds` and returns true; otherwise
  /// returns false, leaves `out` alone and allocates nothing.
  bool redact_attributes(const attribute_set& in, attribute_set& out, std::size_t& finds, redact_scratch& sc) const {
    struct change {
      std::size_t attr, element;
      std::string value;
    };
    std::vector<change> changes;
    bool dropped = false;
    std::size_t index = 0;
    for (const attribute a : in) {
      if (detail::redact::key_matches(a.key, opt_.drop_keys)) {
        dropped = true;
      } else if (a.value.type() == value_type::string) {
        if (const std::size_t k = redact_value_to(a.key, a.value.as_string(), sc.value, sc)) {
          changes.push_back({index, 0, sc.value});
          finds += k;
        }
      } else if (a.value.type() == value_type::string_array) {
        for (std::size_t i = 0; i < a.value.size(); ++i)
          if (const std::size_t k = redact_value_to(a.key, a.value.string_at(i), sc.value, sc)) {
            changes.push_back({index, i, sc.value});
            finds += k;
          }
      }
      ++index;
    }
    if (!dropped && changes.empty()) return false;
    attribute_set fresh;
    std::size_t next = 0;
    index = 0;
    for (const attribute a : in) {
      const std::size_t at = index++;
      if (detail::redact::key_matches(a.key, opt_.drop_keys)) continue;
      if (next >= changes.size() || changes[next].attr != at) {
        fresh.set(a.key, a.value);
      } else if (a.value.type() == value_type::string) {
        fresh.set(a.key, std::string_view(changes[next++].value));
      } else {
        std::vector<std::string> items;
        for (std::size_t i = 0; i < a.value.size(); ++i) {
          if (next < changes.size() && changes[next].attr == at && changes[next].element == i)
            items.push_back(std::move(changes[next++].value));
          else
            items.emplace_back(a.value.string_at(i));
        }
        fresh.set(a.key, attribute_value(items));
      }
    }
    fresh.add_dropped(in.dropped());
    out = std::move(fresh);
    return true;
  }

  /// Drops keys and redacts every string of `attrs` in place; returns the finds.
  std::size_t redact_attributes(attribute_set& attrs) const {
    redact_scratch sc;
    attribute_set out;
    std::size_t n = 0;
    if (redact_attributes(attrs, out, n, sc)) attrs = std::move(out);
    return n;
  }

  /// Redacts a span's attributes, event and link attributes and status message into a copy, setting
  /// `llmtrace.redacted_count` when anything was found. Returns `in` itself when nothing changes (no
  /// copy, no allocation), else the span `copy()` returned (a span_data& to overwrite), rewritten.
  template <typename GetCopy>
  const span_data& redact_span(const span_data& in, GetCopy&& copy, redact_scratch& sc) const {
    std::size_t n = 0;
    attribute_set attrs;
    const bool attrs_changed = redact_attributes(in.attributes, attrs, n, sc);
    std::vector<std::pair<std::size_t, attribute_set>> events, links;
    for (std::size_t i = 0; i < in.events.size(); ++i) {
      attribute_set x;
      if (redact_attributes(in.events[i].attributes, x, n, sc)) events.emplace_back(i, std::move(x));
    }
    for (std::size_t i = 0; i < in.links.size(); ++i) {
      attribute_set x;
      if (redact_attributes(in.links[i].attributes, x, n, sc)) links.emplace_back(i, std::move(x));
    }
    std::size_t status_finds = 0;
    if (!in.status_message.empty()) status_finds = redact_piece({}, in.status_message, sc.value, sc.callback);
    if (!attrs_changed && events.empty() && links.empty() && !status_finds) return in;
    span_data& out = copy();
    out = in;
    if (attrs_changed) out.attributes = std::move(attrs);
    for (auto& e : events) out.events[e.first].attributes = std::move(e.second);
    for (auto& l : links) out.links[l.first].attributes = std::move(l.second);
    if (status_finds) out.status_message.assign(sc.value);
    n += status_finds;
    if (n) out.attributes.set(redacted_count_key, static_cast<std::int64_t>(n));
    return out;
  }

  /// Redacts a span in place (see redact_span); returns the finds.
  std::size_t redact(span_data& s) const {
    redact_scratch sc;
    span_data copy;
    const span_data& out = redact_span(
        s, [&]() -> span_data& { return copy; }, sc);
    if (&out == &s) return 0;
    attribute_value v;
    const std::size_t n =
        copy.attributes.find(redacted_count_key, v) ? static_cast<std::size_t>(v.as_int()) : std::size_t{0};
    s = std::move(copy);
    return n;
  }

  /// The names of the built-in detectors.
  static const std::vector<std::pair<std::string, redact_detector>>& detector_names() {
    static const std::vector<std::pair<std::string, redact_detector>> names = {
        {"email", redact_detector::email},
        {"phone", redact_detector::phone},
        {"card", redact_detector::card},
        {"ipv4", redact_detector::ipv4},
        {"ipv6", redact_detector::ipv6},
        {"bearer", redact_detector::bearer},
        {"api_key", redact_detector::api_key},
        {"private_key", redact_detector::private_key},
        {"url_credentials", redact_detector::url_credentials},
        {"connection_string", redact_detector::connection_string}};
    return names;
  }

 private:
  struct compiled_pattern {
    std::string kind;
    std::regex re;
  };

  /// The built-in scanners in the order they rewrite (longer shapes first, so a private key block
  /// or a URL's credentials are not first cut up by the e-mail or phone scanners).
  struct builtin {
    redact_detector id;
    detail::redact::scanner scan;
    std::string_view kind;
  };
  static const builtin* builtins(std::size_t& count) noexcept {
    namespace r = detail::redact;
    using rd = redact_detector;
    static constexpr builtin list[] = {{rd::private_key, r::scan_private_key, "private_key"},
                                       {rd::url_credentials, r::scan_url_credentials, "url_credentials"},
                                       {rd::connection_string, r::scan_connection_string, "connection_string"},
                                       {rd::bearer, r::scan_bearer, "bearer"},
                                       {rd::api_key, r::scan_api_key, "api_key"},
                                       {rd::email, r::scan_email, "email"},
                                       {rd::card, r::scan_card, "card"},
                                       {rd::ipv6, r::scan_ipv6, "ipv6"},
                                       {rd::ipv4, r::scan_ipv4, "ipv4"},
                                       {rd::phone, r::scan_phone, "phone"}};
    count = sizeof list / sizeof list[0];
    return list;
  }

  /// True when a built-in detector or a user pattern finds something in `s` (reads only). A text
  /// without a find stays unchanged through rewrite(): the first detector to change it would have
  /// found its match in the unchanged text.
  bool any_find(std::string_view s) const {
    if (s.empty()) return false;
    if (opt_.detectors != redact_detector::none) {
      std::size_t count = 0;
      const builtin* list = builtins(count);
      detail::redact::range m;
      for (std::size_t i = 0; i < count; ++i)
        if (has(opt_.detectors, list[i].id) && list[i].scan(s, 0, m)) return true;
    }
    for (const auto& p : compiled_)
      if (std::regex_search(s.data(), s.data() + s.size(), p.re)) return true;
    return false;
  }

  /// Applies the enabled detectors, then the user patterns, each to the result of the one before.
  std::size_t rewrite(std::string& s) const {
    std::size_t n = 0, count = 0;
    const builtin* list = builtins(count);
    for (std::size_t i = 0; i < count; ++i)
      if (has(opt_.detectors, list[i].id)) n += detail::redact::apply(s, list[i].scan, list[i].kind);
    for (const auto& p : compiled_) n += apply_regex(s, p);
    return n;
  }

  static std::size_t apply_regex(std::string& s, const compiled_pattern& p) {
    std::string out;
    std::size_t n = 0;
    auto it = s.cbegin();
    std::smatch m;
    while (it != s.cend() && std::regex_search(it, s.cend(), m, p.re)) {
      if (m.length(0) == 0) {  // an empty match redacts nothing; step past it
        out.append(it, m[0].first + 1);
        it = m[0].first + 1;
        continue;
      }
      out.append(it, m[0].first);
      out.append("[REDACTED:").append(p.kind).push_back(']');
      it = m[0].second;
      ++n;
    }
    if (!n) return 0;
    out.append(it, s.cend());
    s.swap(out);
    return n;
  }

  redaction_options opt_;
  std::vector<compiled_pattern> compiled_;
};

namespace detail {

/// What both redacting exporters (spans here, log records in redact_logs.hpp) do with a batch: each
/// record through `redact(record, get_copy, scratch)` (which returns the record itself or a
/// rewritten copy from get_copy()), then the results to `send(records, count)`. Copies and scratch
/// buffers are reused batch after batch. `noun` names a record in error messages.
template <typename Record>
class redacting_batch {
 public:
  template <typename Batch, typename Redact, typename Send>
  export_result run(const Batch& records, const char* noun, Redact&& redact, Send&& send) noexcept {
    std::size_t used = 0;
    try {
      view_.clear();
      view_.reserve(records.size());
      for (const Record& r : records) {
        try {
          const Record& out = redact(
              r,
              [&]() -> Record& {
                if (used == copies_.size()) copies_.push_back(std::make_unique<Record>());
                return *copies_[used++];
              },
              scratch_);
          view_.push_back(&out);
        } catch (...) {
          report_error(std::string("redaction failed (out of memory): ") + noun + " not exported");
        }
      }
    } catch (...) {
      report_error("redaction failed (out of memory): batch not exported");
      return export_result::failure;
    }
    const export_result res = send(view_.data(), view_.size());
    for (std::size_t i = 0; i < used; ++i) copies_[i]->trim();
    return res;
  }

 private:
  std::vector<const Record*> view_;
  std::vector<std::unique_ptr<Record>> copies_;  // rewritten records, reused batch after batch
  redact_scratch scratch_;
};

}  // namespace detail

/// An exporter wrapper that redacts on the export side: the batch worker (or, behind a simple
/// processor, the thread exporting) scans each span and hands `next` the span itself when nothing
/// needs redacting (no copy, no allocation once its scratch buffers have grown) or a redacted copy.
/// The application thread that ends a span never pays for redaction. A span that cannot be redacted
/// (out of memory) is not exported and is reported. Thread-safety: like any exporter, export_batch is
/// never called concurrently; the redactor is shared read-only.
class redacting_exporter final : public exporter {
 public:
  /// Throws std::invalid_argument when `next` is null.
  redacting_exporter(std::shared_ptr<const redactor> r, std::unique_ptr<exporter> next)
      : redactor_(std::move(r)), next_(std::move(next)) {
    if (!next_) throw std::invalid_argument("llmtrace: redacting_exporter needs an exporter to wrap");
  }

  export_result export_batch(const span_batch& spans) noexcept override {
    if (!redactor_) return next_->export_batch(spans);
    return batch_.run(
        spans, "span",
        [&](const span_data& s, auto&& copy, redact_scratch& sc) -> const span_data& {
          return redactor_->redact_span(s, copy, sc);
        },
        [&](const span_data* const* p, std::size_t n) { return next_->export_batch(span_batch(p, n)); });
  }
  bool force_flush(std::chrono::milliseconds timeout) noexcept override { return next_->force_flush(timeout); }
  bool shutdown(std::chrono::milliseconds timeout) noexcept override { return next_->shutdown(timeout); }

  /// The exporter this one feeds.
  exporter& next() const noexcept { return *next_; }

 private:
  std::shared_ptr<const redactor> redactor_;
  std::unique_ptr<exporter> next_;
  detail::redacting_batch<span_data> batch_;
};

/// `exp` behind a redacting_exporter when `r` changes anything, else `exp` itself.
inline std::unique_ptr<exporter> with_redaction(std::unique_ptr<exporter> exp, std::shared_ptr<const redactor> r) {
  if (!exp || !r || !r->enabled()) return exp;
  return std::make_unique<redacting_exporter>(std::move(r), std::move(exp));
}

/// The redaction for http::recording_options::redact and http::replay_options::redact: each line
/// that starts with `{` or `[` is redacted as JSON (an NDJSON stream stays parseable), any other text
/// as plain text.
inline std::function<void(std::string&)> recording_redaction(std::shared_ptr<const redactor> r) {
  return [r = std::move(r)](std::string& text) {
    if (!r || text.empty()) return;
    redact_scratch sc;
    std::string out, line;
    std::size_t start = 0, n = 0;
    while (start < text.size()) {
      auto nl = text.find('\n', start);
      const std::size_t end = nl == std::string::npos ? text.size() : nl + 1;
      const std::string_view in = std::string_view(text).substr(start, end - start);
      const auto first = in.find_first_not_of(" \t\r");
      const std::size_t k = first != std::string_view::npos && (in[first] == '{' || in[first] == '[')
                                ? r->redact_json_to({}, in, line, sc)
                                : r->redact_piece({}, in, line, sc.callback);
      if (k && !n) out.assign(text, 0, start);
      if (k)
        out += line;
      else if (n)
        out.append(in.data(), in.size());
      n += k;
      start = end;
    }
    if (n) text.swap(out);
  };
}

LLMTRACE_END_NAMESPACE
