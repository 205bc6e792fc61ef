// The fake Ollama daemon's Go-style JSON: small string/UTF-8 helpers, RFC3339Nano times, an encoder
// matching Go's encoding/json output byte for byte, and a decoder front end reporting syntax errors
// with Go's wording. Pure functions, thread-safe.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <limits>
#include <string>

#include "fake_ollama_detail.hpp"

namespace llmtrace_test {
namespace fake_detail {

// ------------------------------------------------------------------------------------------
// Small helpers: hashing, UTF-8, strings
// ------------------------------------------------------------------------------------------

std::uint64_t fnv1a(std::string_view s, std::uint64_t h) {
  for (char ch : s) {
    h ^= static_cast<unsigned char>(ch);
    h *= 1099511628211ULL;
  }
  return h;
}

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::string to_lower_ascii(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Length of the valid UTF-8 sequence starting at s[i] (Go's utf8.DecodeRune rules), 0 if invalid.
std::size_t utf8_seq_len(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  auto cont = [&](std::size_t k) {
    return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0U) == 0x80U;
  };
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) return cont(1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b0 == 0xE0 && b1 < 0xA0) return 0;  // overlong
    if (b0 == 0xED && b1 > 0x9F) return 0;  // surrogates
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b0 == 0xF0 && b1 < 0x90) return 0;  // overlong
    if (b0 == 0xF4 && b1 > 0x8F) return 0;  // > U+10FFFF
    return 4;
  }
  return 0;
}

std::string sanitize_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t n = utf8_seq_len(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0U | (cp >> 6));
    out += static_cast<char>(0x80U | (cp & 0x3FU));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0U | (cp >> 12));
    out += static_cast<char>(0x80U | ((cp >> 6) & 0x3FU));
    out += static_cast<char>(0x80U | (cp & 0x3FU));
  } else {
    out += static_cast<char>(0xF0U | (cp >> 18));
    out += static_cast<char>(0x80U | ((cp >> 12) & 0x3FU));
    out += static_cast<char>(0x80U | ((cp >> 6) & 0x3FU));
    out += static_cast<char>(0x80U | (cp & 0x3FU));
  }
}

std::vector<std::string> split_words(std::string_view s) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_ws(s[i])) ++i;
    const std::size_t start = i;
    while (i < s.size() && !is_ws(s[i])) ++i;
    if (i > start) words.emplace_back(s.substr(start, i - start));
  }
  return words;
}

std::string first_words(std::string_view s, std::size_t n) {
  const auto words = split_words(s);
  std::string out;
  for (std::size_t k = 0; k < words.size() && k < n; ++k) {
    if (k) out += ' ';
    out += words[k];
  }
  return out;
}

// Word-ish tokens: each token is its leading whitespace plus a run of non-whitespace bytes, so
// concatenating the tokens gives the text back and no UTF-8 sequence is ever cut.
std::vector<std::string> tokenize(std::string_view s) {
  std::vector<std::string> tokens;
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t start = i;
    while (i < s.size() && is_ws(s[i])) ++i;
    while (i < s.size() && !is_ws(s[i])) ++i;
    tokens.emplace_back(s.substr(start, i - start));
  }
  return tokens;
}

std::string hex_of(std::uint64_t v) {
  static const char* digits = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i) {
    s[static_cast<std::size_t>(i)] = digits[v & 0xFU];
    v >>= 4;
  }
  return s;
}

std::string fake_digest(const std::string& name) {
  std::string d;
  for (std::uint64_t k = 0; k < 4; ++k) d += hex_of(fnv1a(name, 1469598103934665603ULL + k * 7919));
  return d;
}

std::int64_t count_words(const std::string& s) { return static_cast<std::int64_t>(split_words(s).size()); }

// ------------------------------------------------------------------------------------------
// Time
// ------------------------------------------------------------------------------------------

std::string rfc3339nano_at(std::int64_t unix_s, std::int64_t nanos, int offset_minutes) {
  const std::int64_t local = unix_s + static_cast<std::int64_t>(offset_minutes) * 60;
  const auto tt = static_cast<std::time_t>(local);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf, n);
  if (nanos != 0) {
    std::string f = std::to_string(nanos);
    f.insert(0, 9 - f.size(), '0');
    while (!f.empty() && f.back() == '0') f.pop_back();
    out += '.';
    out += f;
  }
  if (offset_minutes == 0) {
    out += 'Z';
  } else {
    const int a = offset_minutes < 0 ? -offset_minutes : offset_minutes;
    std::snprintf(buf, sizeof buf, "%c%02d:%02d", offset_minutes < 0 ? '-' : '+', a / 60, a % 60);
    out += buf;
  }
  return out;
}

std::string rfc3339nano(clock_type::time_point tp, int offset_minutes) {
  const auto ns_total = std::chrono::duration_cast<std::chrono::nanoseconds>(tp.time_since_epoch()).count();
  std::int64_t secs = ns_total / 1000000000;
  std::int64_t frac = ns_total % 1000000000;
  if (frac < 0) {
    frac += 1000000000;
    --secs;
  }
  return rfc3339nano_at(secs, frac, offset_minutes);
}

// ------------------------------------------------------------------------------------------
// Go encoding/json compatible encoder
// ------------------------------------------------------------------------------------------

void append_go_string(std::string& out, std::string_view s) {
  static const char* hex = "0123456789abcdef";
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        case '<':
          out += "\\u003c";
          break;
        case '>':
          out += "\\u003e";
          break;
        case '&':
          out += "\\u0026";
          break;
        default:
          if (c < 0x20) {
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 0xFU];
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    const std::size_t n = utf8_seq_len(s, i);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    if (n == 3 && c == 0xE2 && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(s[i + 2]) == 0xA8 || static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
      out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  out += '"';
}

void append_go_float(std::string& out, double d, bool f32) {
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  char buf[64];
  const double a = std::fabs(d);
  const bool exp = a != 0.0 && (a < 1e-6 || a >= 1e21);
  const auto fmt = exp ? std::chars_format::scientific : std::chars_format::fixed;
  std::to_chars_result r{};
  if (f32) {
    r = std::to_chars(buf, buf + sizeof buf, static_cast<float>(d), fmt);
  } else {
    r = std::to_chars(buf, buf + sizeof buf, d, fmt);
  }
  std::string s(buf, r.ptr);
  if (exp) {
    const std::size_t n = s.size();
    if (n >= 4 && s[n - 4] == 'e' && s[n - 3] == '-' && s[n - 2] == '0') s.erase(n - 2, 1);
  }
  out += s;
}

void encode_go(std::string& out, const ojson& j, bool f32) {
  switch (j.type()) {
    case ojson::value_t::null:
      out += "null";
      break;
    case ojson::value_t::boolean:
      out += j.get<bool>() ? "true" : "false";
      break;
    case ojson::value_t::number_integer:
      out += std::to_string(j.get<std::int64_t>());
      break;
    case ojson::value_t::number_unsigned:
      out += std::to_string(j.get<std::uint64_t>());
      break;
    case ojson::value_t::number_float:
      append_go_float(out, j.get<double>(), f32);
      break;
    case ojson::value_t::string:
      append_go_string(out, j.get_ref<const std::string&>());
      break;
    case ojson::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& e : j) {
        if (!first) out += ',';
        first = false;
        encode_go(out, e, f32);
      }
      out += ']';
      break;
    }
    case ojson::value_t::object: {
      out += '{';
      bool first = true;
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (!first) out += ',';
        first = false;
        append_go_string(out, it.key());
        out += ':';
        encode_go(out, it.value(), f32);
      }
      out += '}';
      break;
    }
    case ojson::value_t::binary:
    case ojson::value_t::discarded:
      out += "null";
      break;
  }
}

std::string go_encode(const ojson& j, bool f32) {
  std::string out;
  encode_go(out, j, f32);
  return out;
}

// ------------------------------------------------------------------------------------------
// Go encoding/json compatible decoder front end: syntax errors with Go's wording
// ------------------------------------------------------------------------------------------

std::string go_quote_char(unsigned char c) {
  if (c == '\'') return "'\\''";
  if (c == '"') return "'\"'";
  std::string q = "'";
  switch (c) {
    case '\a':
      q += "\\a";
      break;
    case '\b':
      q += "\\b";
      break;
    case '\f':
      q += "\\f";
      break;
    case '\n':
      q += "\\n";
      break;
    case '\r':
      q += "\\r";
      break;
    case '\t':
      q += "\\t";
      break;
    case '\v':
      q += "\\v";
      break;
    case '\\':
      q += "\\\\";
      break;
    default: {
      static const char* hex = "0123456789abcdef";
      if (c < 0x20 || c == 0x7F) {
        q += "\\x";
        q += hex[c >> 4];
        q += hex[c & 0xFU];
      } else if (c < 0x80) {
        q += static_cast<char>(c);
      } else if (c < 0xA0 || c == 0xAD) {
        q += "\\u00";
        q += hex[c >> 4];
        q += hex[c & 0xFU];
      } else {
        append_utf8(q, c);
      }
    }
  }
  q += '\'';
  return q;
}

class go_scanner {
 public:
  explicit go_scanner(std::string_view s) : s_(s) {}

  // "" on success (end_ is set), "EOF" for an empty/whitespace-only input, else the Go message.
  std::string scan() {
    skip_ws();
    if (i_ >= s_.size()) return "EOF";
    std::string err = value();
    if (err.empty()) end_ = i_;
    return err;
  }
  std::size_t end() const { return end_; }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
  std::size_t end_ = 0;
  int depth_ = 0;

  static std::string invalid(unsigned char c, const char* context) {
    return "invalid character " + go_quote_char(c) + " " + context;
  }
  void skip_ws() {
    while (i_ < s_.size() && is_ws(s_[i_])) ++i_;
  }
  bool eof() const { return i_ >= s_.size(); }
  unsigned char cur() const { return static_cast<unsigned char>(s_[i_]); }

  std::string value() {
    skip_ws();
    if (eof()) return "unexpected EOF";
    const unsigned char c = cur();
    switch (c) {
      case '{':
        return object();
      case '[':
        return array();
      case '"':
        return string();
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return number();
        return invalid(c, "looking for beginning of value");
    }
  }

  std::string object() {
    if (++depth_ > 10000) return "exceeded max depth";
    ++i_;  // '{'
    skip_ws();
    if (eof()) return "unexpected EOF";
    if (cur() == '}') {
      ++i_;
      --depth_;
      return {};
    }
    for (;;) {
      skip_ws();
      if (eof()) return "unexpected EOF";
      if (cur() != '"') return invalid(cur(), "looking for beginning of object key string");
      if (auto e = string(); !e.empty()) return e;
      skip_ws();
      if (eof()) return "unexpected EOF";
      if (cur() != ':') return invalid(cur(), "after object key");
      ++i_;
      if (auto e = value(); !e.empty()) return e;
      skip_ws();
      if (eof()) return "unexpected EOF";
      if (cur() == ',') {
        ++i_;
        continue;
      }
      if (cur() == '}') {
        ++i_;
        --depth_;
        return {};
      }
      return invalid(cur(), "after object key:value pair");
    }
  }

  std::string array() {
    if (++depth_ > 10000) return "exceeded max depth";
    ++i_;  // '['
    skip_ws();
    if (eof()) return "unexpected EOF";
    if (cur() == ']') {
      ++i_;
      --depth_;
      return {};
    }
    for (;;) {
      if (auto e = value(); !e.empty()) return e;
      skip_ws();
      if (eof()) return "unexpected EOF";
      if (cur() == ',') {
        ++i_;
        continue;
      }
      if (cur() == ']') {
        ++i_;
        --depth_;
        return {};
      }
      return invalid(cur(), "after array element");
    }
  }

  std::string string() {
    ++i_;  // opening quote
    for (;;) {
      if (eof()) return "unexpected EOF";
      const unsigned char c = cur();
      if (c == '"') {
        ++i_;
        return {};
      }
      if (c < 0x20) return invalid(c, "in string literal");
      if (c == '\\') {
        ++i_;
        if (eof()) return "unexpected EOF";
        const unsigned char e = cur();
        if (e == 'u') {
          ++i_;
          for (int k = 0; k < 4; ++k) {
            if (eof()) return "unexpected EOF";
            if (!std::isxdigit(cur())) return invalid(cur(), "in \\u hexadecimal character escape");
            ++i_;
          }
          continue;
        }
        if (std::strchr("\"\\/bfnrt", e) == nullptr || e == 0) return invalid(e, "in string escape code");
        ++i_;
        continue;
      }
      ++i_;
    }
  }

  std::string literal(const char* word) {
    const std::size_t n = std::strlen(word);
    ++i_;
    for (std::size_t k = 1; k < n; ++k) {
      if (eof()) return "unexpected EOF";
      if (cur() != static_cast<unsigned char>(word[k])) {
        return invalid(cur(), (std::string("in literal ") + word + " (expecting " +
                               go_quote_char(static_cast<unsigned char>(word[k])) + ")")
                                  .c_str());
      }
      ++i_;
    }
    return {};
  }

  std::string number() {
    auto digit = [&]() { return !eof() && cur() >= '0' && cur() <= '9'; };
    if (cur() == '-') {
      ++i_;
      if (eof()) return "unexpected EOF";
      if (!digit()) return invalid(cur(), "in numeric literal");
    }
    if (cur() == '0') {
      ++i_;
    } else {
      while (digit()) ++i_;
    }
    if (!eof() && cur() == '.') {
      ++i_;
      if (eof()) return "unexpected EOF";
      if (!digit()) return invalid(cur(), "after decimal point in numeric literal");
      while (digit()) ++i_;
    }
    if (!eof() && (cur() == 'e' || cur() == 'E')) {
      ++i_;
      if (!eof() && (cur() == '+' || cur() == '-')) ++i_;
      if (eof()) return "unexpected EOF";
      if (!digit()) return invalid(cur(), "in exponent of numeric literal");
      while (digit()) ++i_;
    }
    return {};
  }
};

// Decodes the first JSON value of `body` like Go's json.Decoder (trailing data is ignored).
decoded_body go_decode(std::string_view body) {
  decoded_body r;
  go_scanner sc(body);
  std::string err = sc.scan();
  if (err == "EOF") {
    r.empty = true;
    r.error = "EOF";
    return r;
  }
  if (!err.empty()) {
    r.error = err;
    return r;
  }
  try {
    r.value = ojson::parse(sanitize_utf8(body.substr(0, sc.end())));
    r.ok = true;
  } catch (const std::exception& e) {
    r.error = e.what();
  }
  return r;
}

}  // namespace fake_detail

// ------------------------------------------------------------------------------------------
// Public free functions
// ------------------------------------------------------------------------------------------

std::string go_json_encode(const nlohmann::ordered_json& value) { return fake_detail::go_encode(value, false); }

}  // namespace llmtrace_test
