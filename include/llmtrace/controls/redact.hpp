// llmtrace/controls/redact.hpp: masks personal data and secrets before a span leaves the process.
// A redactor rewrites string values with built-in detectors chosen by name (hand-written scanners,
// no regex), user patterns (std::regex, ECMAScript grammar) and a user callback, replacing each find
// with `[REDACTED:<kind>]`; it drops keys by name or prefix, and keeps the JSON of content-capture
// attributes valid by redacting inside their string literals only. redacting_processor applies it to
// span, event and link attributes and the status message, and counts finds in `llmtrace.redacted_count`.
// Thread-safety: a redactor is immutable once built and used concurrently; the user callback must be
// thread-safe.
#pragma once

#include <llmtrace/attributes.hpp>
#include <llmtrace/config.hpp>
#include <llmtrace/controls/forwarding.hpp>
#include <llmtrace/detail/env.hpp>
#include <llmtrace/error.hpp>
#include <llmtrace/semconv.hpp>
#include <llmtrace/span_data.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <regex>
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

/// Called for every string value after the built-in detectors and patterns; rewrite `value` in place
/// and return how many finds you redacted. `key` is the attribute key ("" for a status message or
/// a recorded HTTP body).
using redact_callback = std::function<std::size_t(std::string_view key, std::string& value)>;

/// What a redactor does. Everything is off by default.
struct redaction_options {
  redact_detector detectors = redact_detector::none;
  std::vector<redact_pattern> patterns;
  redact_callback callback;
  /// Attribute keys removed entirely. A key ending in `*` is a prefix (`http.request.header.*`).
  std::vector<std::string> drop_keys;
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

/// Rewrites strings according to redaction_options. Build once, share (shared_ptr<const redactor>).
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

  /// Redacts plain text in place; returns the number of finds.
  std::size_t redact_text(std::string& s, std::string_view key = {}) const {
    namespace r = detail::redact;
    std::size_t n = 0;
    const auto d = opt_.detectors;
    if (d != redact_detector::none && !s.empty()) {
      using rd = redact_detector;
      if (has(d, rd::private_key)) n += r::apply(s, r::scan_private_key, "private_key");
      if (has(d, rd::url_credentials)) n += r::apply(s, r::scan_url_credentials, "url_credentials");
      if (has(d, rd::connection_string)) n += r::apply(s, r::scan_connection_string, "connection_string");
      if (has(d, rd::bearer)) n += r::apply(s, r::scan_bearer, "bearer");
      if (has(d, rd::api_key)) n += r::apply(s, r::scan_api_key, "api_key");
      if (has(d, rd::email)) n += r::apply(s, r::scan_email, "email");
      if (has(d, rd::card)) n += r::apply(s, r::scan_card, "card");
      if (has(d, rd::ipv6)) n += r::apply(s, r::scan_ipv6, "ipv6");
      if (has(d, rd::ipv4)) n += r::apply(s, r::scan_ipv4, "ipv4");
      if (has(d, rd::phone)) n += r::apply(s, r::scan_phone, "phone");
    }
    for (const auto& p : compiled_) n += apply_regex(s, p);
    if (opt_.callback) n += opt_.callback(key, s);
    return n;
  }

  /// Redacts the string literals of a JSON text (keys and values), keeping it valid JSON. Text that
  /// is not a well-formed string literal is left for redact_text on the rest. Numbers are not scanned.
  std::size_t redact_json(std::string& s, std::string_view key = {}) const {
    std::string out, decoded;
    std::size_t n = 0, pos = 0, copied = 0;
    while (true) {
      const auto q = s.find('"', pos);
      if (q == std::string::npos) break;
      std::size_t e = q + 1;
      while (e < s.size() && s[e] != '"') e += s[e] == '\\' ? std::size_t{2} : std::size_t{1};
      if (e >= s.size() || !detail::redact::json_unescape(std::string_view(s).substr(q + 1, e - q - 1), decoded)) {
        // Not JSON after all: redact the rest as plain text so nothing leaks.
        std::string rest = s.substr(q);
        const std::size_t k = redact_text(rest, key);
        if (k) {
          out.append(s, copied, q - copied).append(rest);
          copied = s.size();
          n += k;
        }
        break;
      }
      const std::size_t k = redact_text(decoded, key);
      if (k) {
        out.append(s, copied, q + 1 - copied);
        detail::redact::json_escape(decoded, out);
        copied = e;
        n += k;
      }
      pos = e + 1;
    }
    if (n) {
      out.append(s, copied, std::string::npos);
      s.swap(out);
    }
    return n;
  }

  /// Redacts a value: JSON-aware for json_keys whose value starts with `[` or `{`, plain otherwise.
  std::size_t redact_value(std::string_view key, std::string& s) const {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && (s[first] == '[' || s[first] == '{') &&
        detail::redact::key_matches(key, opt_.json_keys))
      return redact_json(s, key);
    return redact_text(s, key);
  }

  /// Drops keys and redacts every string (and string-array element) of `attrs`; returns the finds.
  std::size_t redact_attributes(attribute_set& attrs) const {
    std::size_t n = 0;
    bool changed = false;
    std::vector<std::string> values;  // rewritten strings, in order
    std::vector<std::vector<std::string>> arrays;
    std::string buf;
    for (const attribute a : attrs) {
      if (detail::redact::key_matches(a.key, opt_.drop_keys)) {
        changed = true;
        continue;
      }
      if (a.value.type() == value_type::string) {
        buf.assign(a.value.as_string());
        const std::size_t k = redact_value(a.key, buf);
        n += k;
        changed = changed || k > 0;
      } else if (a.value.type() == value_type::string_array) {
        for (std::size_t i = 0; i < a.value.size(); ++i) {
          buf.assign(a.value.string_at(i));
          const std::size_t k = redact_value(a.key, buf);
          n += k;
          changed = changed || k > 0;
        }
      }
    }
    if (!changed) return 0;
    attribute_set fresh;
    for (const attribute a : attrs) {
      if (detail::redact::key_matches(a.key, opt_.drop_keys)) continue;
      if (a.value.type() == value_type::string) {
        buf.assign(a.value.as_string());
        redact_value(a.key, buf);
        fresh.set(a.key, std::string_view(buf));
      } else if (a.value.type() == value_type::string_array) {
        std::vector<std::string> items;
        for (std::size_t i = 0; i < a.value.size(); ++i) {
          items.emplace_back(a.value.string_at(i));
          redact_value(a.key, items.back());
        }
        fresh.set(a.key, attribute_value(items));
      } else {
        fresh.set(a.key, a.value);
      }
    }
    fresh.add_dropped(attrs.dropped());
    attrs = std::move(fresh);
    return n;
  }

  /// Redacts a span's attributes, event and link attributes and status message, then sets
  /// `llmtrace.redacted_count` when anything was found. Returns the finds.
  std::size_t redact(span_data& s) const {
    std::size_t n = redact_attributes(s.attributes);
    for (auto& e : s.events) n += redact_attributes(e.attributes);
    for (auto& l : s.links) n += redact_attributes(l.attributes);
    if (!s.status_message.empty()) n += redact_text(s.status_message);
    if (n) s.attributes.set(redacted_count_key, static_cast<std::int64_t>(n));
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

/// Redacts every span (sampled or record-only) before passing it on. Place it last before the
/// exporting processor so other stages see the original values.
class redacting_processor final : public forwarding_processor {
 public:
  redacting_processor(std::shared_ptr<const redactor> r, std::unique_ptr<span_processor> next)
      : forwarding_processor(std::move(next)), redactor_(std::move(r)) {}

  void on_end(span_ptr span) noexcept override {
    if (redactor_) {
      try {
        redactor_->redact(*span);
      } catch (...) {
        // Out of memory mid-rewrite: never export what could not be redacted.
        detail::report_error("redaction failed (out of memory): span not exported");
        return;
      }
    }
    forwarding_processor::on_end(std::move(span));
  }

 private:
  std::shared_ptr<const redactor> redactor_;
};

/// The redaction for http::recording_options::redact: each line that starts with `{` or `[` is
/// redacted as JSON (an NDJSON stream stays parseable), any other text as plain text.
inline std::function<void(std::string&)> recording_redaction(std::shared_ptr<const redactor> r) {
  return [r = std::move(r)](std::string& text) {
    if (!r || text.empty()) return;
    std::string out, line;
    std::size_t start = 0, n = 0;
    while (start < text.size()) {
      auto nl = text.find('\n', start);
      const std::size_t end = nl == std::string::npos ? text.size() : nl + 1;
      line.assign(text, start, end - start);
      const auto first = line.find_first_not_of(" \t\r");
      n += first != std::string::npos && (line[first] == '{' || line[first] == '[') ? r->redact_json(line)
                                                                                    : r->redact_text(line);
      out += line;
      start = end;
    }
    if (n) text.swap(out);
  };
}

LLMTRACE_END_NAMESPACE
