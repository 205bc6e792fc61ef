// Implementation of the fake Ollama daemon (see fake_ollama.hpp). cpp-httplib is only included here.
#include "fake_ollama.hpp"

#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>

namespace llmtrace_test {
namespace {

using ojson = nlohmann::ordered_json;
using clock_type = std::chrono::system_clock;

constexpr const char* k_json_type = "application/json; charset=utf-8";
constexpr const char* k_ndjson_type = "application/x-ndjson";
constexpr std::int64_t k_overhead_ns = 1234567;

// ------------------------------------------------------------------------------------------
// Small helpers: hashing, UTF-8, strings
// ------------------------------------------------------------------------------------------

std::uint64_t fnv1a(std::string_view s, std::uint64_t h = 1469598103934665603ULL) {
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

// ------------------------------------------------------------------------------------------
// Time
// ------------------------------------------------------------------------------------------

std::string rfc3339nano(clock_type::time_point tp) {
  const auto ns_total = std::chrono::duration_cast<std::chrono::nanoseconds>(tp.time_since_epoch()).count();
  std::int64_t secs = ns_total / 1000000000;
  std::int64_t frac = ns_total % 1000000000;
  if (frac < 0) {
    frac += 1000000000;
    --secs;
  }
  const auto tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf, n);
  if (frac != 0) {
    std::string f = std::to_string(frac);
    f.insert(0, 9 - f.size(), '0');
    while (!f.empty() && f.back() == '0') f.pop_back();
    out += '.';
    out += f;
  }
  out += 'Z';
  return out;
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

std::string go_encode(const ojson& j, bool f32 = false) {
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

struct decoded_body {
  bool ok = false;
  bool empty = false;  // io.EOF: nothing but whitespace
  std::string error;
  ojson value;
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

// ------------------------------------------------------------------------------------------
// Typed request validation (Go's UnmarshalTypeError wording) and key canonicalisation
// ------------------------------------------------------------------------------------------

enum class fk {
  string,
  boolean,
  integer,
  number,
  any,
  map,
  duration,
  think,
  struct_array,
  struct_object,
  string_list,
  int_list,
  images,
  arguments
};

struct schema;
struct field_spec {
  const char* name;
  fk kind;
  const char* go_type;
  const schema* nested = nullptr;
  const char* elem_type = nullptr;
};
struct schema {
  std::vector<field_spec> fields;
};

const char* json_kind(const ojson& v) {
  if (v.is_string()) return "string";
  if (v.is_number()) return "number";
  if (v.is_boolean()) return "bool";
  if (v.is_array()) return "array";
  if (v.is_object()) return "object";
  return "null";
}

const char* go_any_type(const ojson& v) {
  if (v.is_string()) return "string";
  if (v.is_number()) return "float64";
  if (v.is_boolean()) return "bool";
  if (v.is_array()) return "[]interface {}";
  return "map[string]interface {}";
}

// Go's time.ParseDuration. Returns the error text, or "" with `ns` set.
std::string parse_go_duration(const std::string& orig, std::int64_t& ns) {
  auto quoted = [&]() {
    std::string q = "\"";
    for (char c : orig) {
      if (c == '"' || c == '\\') q += '\\';
      q += c;
    }
    return q + "\"";
  };
  const std::string invalid = "time: invalid duration " + quoted();
  std::string_view s = orig;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") {
    ns = 0;
    return {};
  }
  if (s.empty()) return invalid;
  long double total = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || (s[0] >= '0' && s[0] <= '9'))) return invalid;
    std::size_t k = 0;
    long double v = 0;
    while (k < s.size() && s[k] >= '0' && s[k] <= '9') v = v * 10 + (s[k++] - '0');
    const bool pre = k > 0;
    bool post = false;
    if (k < s.size() && s[k] == '.') {
      ++k;
      long double scale = 1;
      while (k < s.size() && s[k] >= '0' && s[k] <= '9') {
        scale /= 10;
        v += (s[k++] - '0') * scale;
        post = true;
      }
    }
    if (!pre && !post) return invalid;
    s.remove_prefix(k);
    std::size_t u = 0;
    while (u < s.size() && s[u] != '.' && !(s[u] >= '0' && s[u] <= '9')) ++u;
    if (u == 0) return "time: missing unit in duration " + quoted();
    const std::string unit(s.substr(0, u));
    s.remove_prefix(u);
    long double mult = 0;
    if (unit == "ns")
      mult = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs")
      mult = 1e3L;
    else if (unit == "ms")
      mult = 1e6L;
    else if (unit == "s")
      mult = 1e9L;
    else if (unit == "m")
      mult = 60e9L;
    else if (unit == "h")
      mult = 3600e9L;
    else
      return "time: unknown unit \"" + unit + "\" in duration " + quoted();
    total += v * mult;
  }
  if (total > static_cast<long double>(std::numeric_limits<std::int64_t>::max())) return invalid;
  ns = static_cast<std::int64_t>(total);
  if (neg) ns = -ns;
  return {};
}

struct validation {
  std::string type_error;  // first UnmarshalTypeError (Go keeps decoding and reports it at the end)
  std::string hard_error;  // an error from a custom UnmarshalJSON (aborts decoding)
};

void type_error(validation& v, const ojson& value, const std::string& path, const char* go_type) {
  if (!v.type_error.empty()) return;
  std::string kind = json_kind(value);
  if (value.is_number_float()) kind += " " + value.dump();
  v.type_error = "json: cannot unmarshal " + kind + " into Go struct field " + path + " of type " + go_type;
}

ojson canonicalize(const ojson& in, const schema& sc, const std::string& path, validation& v);

void check_field(const field_spec& f, const ojson& val, ojson& out, const std::string& path, validation& v) {
  const std::string fpath = path + "." + f.name;
  switch (f.kind) {
    case fk::string:
      if (!val.is_string()) return type_error(v, val, fpath, f.go_type);
      break;
    case fk::boolean:
      if (!val.is_boolean()) return type_error(v, val, fpath, f.go_type);
      break;
    case fk::integer:
      if (!val.is_number_integer()) return type_error(v, val, fpath, f.go_type);
      break;
    case fk::number:
      if (!val.is_number()) return type_error(v, val, fpath, f.go_type);
      break;
    case fk::any:
      break;
    case fk::map:
      if (!val.is_object()) return type_error(v, val, fpath, f.go_type);
      break;
    case fk::arguments:
      if (!val.is_object()) return type_error(v, val, fpath, f.go_type);
      break;
    case fk::duration:
      if (val.is_string()) {
        std::int64_t ns = 0;
        std::string e = parse_go_duration(val.get<std::string>(), ns);
        if (!e.empty() && v.hard_error.empty()) v.hard_error = e;
      } else if (!val.is_number() && v.hard_error.empty()) {
        v.hard_error = std::string("Unsupported type: '") + go_any_type(val) + "'";
      }
      break;
    case fk::think:
      if (!val.is_boolean() && !val.is_string() && v.hard_error.empty())
        v.hard_error = "think must be a boolean or string";
      break;
    case fk::string_list:
    case fk::images:
      if (!val.is_array()) return type_error(v, val, fpath, f.go_type);
      for (const auto& e : val) {
        if (!e.is_string() && !e.is_null()) return type_error(v, e, fpath, f.elem_type);
      }
      break;
    case fk::int_list:
      if (!val.is_array()) return type_error(v, val, fpath, f.go_type);
      for (const auto& e : val) {
        if (!e.is_number_integer() && !e.is_null()) return type_error(v, e, fpath, f.elem_type);
      }
      break;
    case fk::struct_array: {
      if (!val.is_array()) return type_error(v, val, fpath, f.go_type);
      ojson arr = ojson::array();
      for (const auto& e : val) {
        if (e.is_null()) {
          arr.push_back(ojson::object());
        } else if (!e.is_object()) {
          type_error(v, e, fpath, f.elem_type);
          arr.push_back(ojson::object());
        } else {
          arr.push_back(canonicalize(e, *f.nested, fpath, v));
        }
      }
      out[f.name] = std::move(arr);
      return;
    }
    case fk::struct_object:
      if (!val.is_object()) return type_error(v, val, fpath, f.go_type);
      out[f.name] = canonicalize(val, *f.nested, fpath, v);
      return;
  }
  out[f.name] = val;
}

ojson canonicalize(const ojson& in, const schema& sc, const std::string& path, validation& v) {
  ojson out = ojson::object();
  for (auto it = in.begin(); it != in.end(); ++it) {
    const field_spec* match = nullptr;
    for (const auto& f : sc.fields) {
      if (it.key() == f.name) {
        match = &f;
        break;
      }
    }
    if (match == nullptr) {
      for (const auto& f : sc.fields) {
        if (iequals(it.key(), f.name)) {
          match = &f;
          break;
        }
      }
    }
    if (match == nullptr) {
      out[it.key()] = it.value();  // unknown fields are ignored by the server; kept for the log
      continue;
    }
    if (it.value().is_null()) continue;  // null leaves the Go field at its zero value
    check_field(*match, it.value(), out, path, v);
  }
  return out;
}

const schema& tool_call_function_schema() {
  static const schema s{{{"index", fk::integer, "int"},
                         {"name", fk::string, "string"},
                         {"arguments", fk::arguments, "api.ToolCallFunctionArguments"}}};
  return s;
}
const schema& tool_call_schema() {
  static const schema s{{{"id", fk::string, "string"},
                         {"function", fk::struct_object, "api.ToolCallFunction", &tool_call_function_schema()}}};
  return s;
}
const schema& message_schema() {
  static const schema s{{{"role", fk::string, "string"},
                         {"content", fk::string, "string"},
                         {"thinking", fk::string, "string"},
                         {"images", fk::images, "[]api.ImageData", nullptr, "api.ImageData"},
                         {"tool_calls", fk::struct_array, "[]api.ToolCall", &tool_call_schema(), "api.ToolCall"},
                         {"tool_name", fk::string, "string"},
                         {"tool_call_id", fk::string, "string"}}};
  return s;
}
const schema& tool_function_schema() {
  static const schema s{{{"name", fk::string, "string"},
                         {"description", fk::string, "string"},
                         {"parameters", fk::any, "api.ToolFunctionParameters"}}};
  return s;
}
const schema& tool_schema() {
  static const schema s{
      {{"type", fk::string, "string"}, {"function", fk::struct_object, "api.ToolFunction", &tool_function_schema()}}};
  return s;
}
const schema& chat_schema() {
  static const schema s{{{"model", fk::string, "string"},
                         {"messages", fk::struct_array, "[]api.Message", &message_schema(), "api.Message"},
                         {"stream", fk::boolean, "bool"},
                         {"format", fk::any, "json.RawMessage"},
                         {"keep_alive", fk::duration, "api.Duration"},
                         {"tools", fk::struct_array, "api.Tools", &tool_schema(), "api.Tool"},
                         {"options", fk::map, "map[string]interface {}"},
                         {"think", fk::think, "api.ThinkValue"},
                         {"truncate", fk::boolean, "bool"},
                         {"shift", fk::boolean, "bool"},
                         {"logprobs", fk::boolean, "bool"},
                         {"top_logprobs", fk::integer, "int"}}};
  return s;
}
const schema& generate_schema() {
  static const schema s{{{"model", fk::string, "string"},
                         {"prompt", fk::string, "string"},
                         {"suffix", fk::string, "string"},
                         {"system", fk::string, "string"},
                         {"template", fk::string, "string"},
                         {"context", fk::int_list, "[]int", nullptr, "int"},
                         {"stream", fk::boolean, "bool"},
                         {"raw", fk::boolean, "bool"},
                         {"format", fk::any, "json.RawMessage"},
                         {"keep_alive", fk::duration, "api.Duration"},
                         {"images", fk::images, "[]api.ImageData", nullptr, "api.ImageData"},
                         {"options", fk::map, "map[string]interface {}"},
                         {"think", fk::think, "api.ThinkValue"},
                         {"truncate", fk::boolean, "bool"},
                         {"shift", fk::boolean, "bool"},
                         {"logprobs", fk::boolean, "bool"},
                         {"top_logprobs", fk::integer, "int"}}};
  return s;
}
const schema& embed_schema() {
  static const schema s{{{"model", fk::string, "string"},
                         {"input", fk::any, "interface {}"},
                         {"keep_alive", fk::duration, "api.Duration"},
                         {"truncate", fk::boolean, "bool"},
                         {"dimensions", fk::integer, "int"},
                         {"options", fk::map, "map[string]interface {}"}}};
  return s;
}
const schema& embeddings_schema() {
  static const schema s{{{"model", fk::string, "string"},
                         {"prompt", fk::string, "string"},
                         {"keep_alive", fk::duration, "api.Duration"},
                         {"options", fk::map, "map[string]interface {}"}}};
  return s;
}
const schema& show_schema() {
  static const schema s{{{"model", fk::string, "string"},
                         {"system", fk::string, "string"},
                         {"template", fk::string, "string"},
                         {"verbose", fk::boolean, "bool"},
                         {"options", fk::map, "map[string]interface {}"},
                         {"name", fk::string, "string"}}};
  return s;
}

// Options validation as in api.Options.FromMap; "" when fine.
std::string check_options(const ojson& req) {
  if (!req.contains("options")) return {};
  static const std::set<std::string> ints = {"num_keep",      "seed",       "num_predict",      "top_k",
                                             "repeat_last_n", "num_ctx",    "num_batch",        "num_gpu",
                                             "main_gpu",      "num_thread", "draft_num_predict"};
  static const std::set<std::string> floats = {
      "top_p", "min_p", "typical_p", "temperature", "repeat_penalty", "presence_penalty", "frequency_penalty"};
  for (auto it = req["options"].begin(); it != req["options"].end(); ++it) {
    const std::string& key = it.key();
    const ojson& val = it.value();
    if (val.is_null()) continue;
    if (ints.count(key)) {
      if (!val.is_number()) return "option \"" + key + "\" must be of type integer";
    } else if (floats.count(key)) {
      if (!val.is_number()) return "option \"" + key + "\" must be of type float32";
    } else if (key == "use_mmap") {
      if (!val.is_boolean()) return "option \"" + key + "\" must be of type boolean";
    } else if (key == "stop") {
      if (!val.is_array()) return "option \"" + key + "\" must be of type array";
      for (const auto& e : val) {
        if (!e.is_string()) return "option \"" + key + "\" must be of an array of strings";
      }
    }
    // unknown keys: logged and ignored by the server
  }
  return {};
}

std::int64_t option_int(const ojson& req, const char* key, std::int64_t def) {
  if (!req.contains("options") || !req["options"].contains(key)) return def;
  const ojson& v = req["options"][key];
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_number()) return static_cast<std::int64_t>(v.get<double>());
  return def;
}

// keep_alive in ns: default 5m, negative = forever (INT64_MAX).
std::int64_t keep_alive_ns(const ojson& req) {
  constexpr std::int64_t forever = std::numeric_limits<std::int64_t>::max();
  if (!req.contains("keep_alive")) return 300LL * 1000000000LL;
  const ojson& v = req["keep_alive"];
  if (v.is_number()) {
    const double d = v.get<double>();
    if (d < 0) return forever;
    return static_cast<std::int64_t>(std::trunc(d)) * 1000000000LL;
  }
  std::int64_t ns = 0;
  if (v.is_string() && parse_go_duration(v.get<std::string>(), ns).empty()) return ns < 0 ? forever : ns;
  return 300LL * 1000000000LL;
}

// ------------------------------------------------------------------------------------------
// Model names
// ------------------------------------------------------------------------------------------

// "llama3.2" -> "llama3.2:latest"; strips the default registry/namespace.
std::string normalize_model(std::string name) {
  for (const char* prefix : {"registry.ollama.ai/library/", "registry.ollama.ai/", "library/"}) {
    const std::size_t n = std::strlen(prefix);
    if (name.size() > n && name.compare(0, n, prefix) == 0) {
      name.erase(0, n);
      break;
    }
  }
  const std::size_t slash = name.rfind('/');
  const std::size_t colon = name.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) name += ":latest";
  return to_lower_ascii(name);
}

bool valid_model_name(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (!(std::isalnum(u) || c == '.' || c == '_' || c == '-' || c == ':' || c == '/')) return false;
  }
  return true;
}

std::string with_tag(const std::string& name) {
  const std::size_t slash = name.rfind('/');
  const std::size_t colon = name.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) return name + ":latest";
  return name;
}

// ------------------------------------------------------------------------------------------
// Embedding vectors
// ------------------------------------------------------------------------------------------

std::vector<double> raw_embedding(const std::string& model, const std::string& text, std::size_t dims) {
  std::vector<double> v(dims, 0.0);
  if (dims == 0) return v;
  // Feature hashing of the lower-cased words: texts sharing words are similar.
  for (const auto& w : split_words(to_lower_ascii(text))) {
    std::string word;
    for (char c : w) {
      if (std::isalnum(static_cast<unsigned char>(c)) || (static_cast<unsigned char>(c) & 0x80U)) word += c;
    }
    if (word.empty()) continue;
    const std::uint64_t h = fnv1a(word);
    v[h % dims] += (h >> 63) ? 1.0 : -1.0;
    v[(h >> 20) % dims] += ((h >> 62) & 1U) ? 0.5 : -0.5;
  }
  // Text-seeded noise: different texts always differ, identical texts are identical.
  std::uint64_t state = fnv1a(model + '\0' + text);
  for (auto& x : v) {
    const double u = static_cast<double>(splitmix64(state) >> 11) / 9007199254740992.0;  // [0,1)
    x += 0.05 * (2.0 * u - 1.0);
  }
  return v;
}

std::vector<double> normalized(std::vector<double> v) {
  double sum = 0;
  for (double x : v) sum += x * x;
  const double norm = std::sqrt(sum);
  if (norm > 0) {
    for (auto& x : v) x /= norm;
  }
  return v;
}

std::int64_t estimate_tokens(const std::string& text) {
  const auto words = static_cast<std::int64_t>(split_words(text).size());
  const auto bytes = static_cast<std::int64_t>((text.size() + 3) / 4);
  return std::max(words, bytes);
}

std::int64_t count_words(const std::string& s) { return static_cast<std::int64_t>(split_words(s).size()); }

// ------------------------------------------------------------------------------------------
// Misc
// ------------------------------------------------------------------------------------------

bool allowed_host(const std::string& host_header) {
  std::string host = host_header;
  if (!host.empty() && host[0] == '[') {
    const std::size_t end = host.find(']');
    host = end == std::string::npos ? host.substr(1) : host.substr(1, end - 1);
  } else {
    const std::size_t colon = host.find(':');
    if (colon != std::string::npos && host.find(':', colon + 1) == std::string::npos) host.erase(colon);
  }
  host = to_lower_ascii(host);
  if (host.empty() || host == "localhost") return true;
  in_addr a4{};
  if (inet_pton(AF_INET, host.c_str(), &a4) == 1) {
    const std::uint32_t ip = ntohl(a4.s_addr);
    const unsigned b0 = ip >> 24, b1 = (ip >> 16) & 0xFFU;
    return b0 == 127 || b0 == 10 || (b0 == 172 && b1 >= 16 && b1 <= 31) || (b0 == 192 && b1 == 168) || ip == 0;
  }
  in6_addr a6{};
  if (inet_pton(AF_INET6, host.c_str(), &a6) == 1) {
    static const in6_addr loop = IN6ADDR_LOOPBACK_INIT;
    static const in6_addr any = IN6ADDR_ANY_INIT;
    return std::memcmp(&a6, &loop, sizeof a6) == 0 || std::memcmp(&a6, &any, sizeof a6) == 0 ||
           (a6.s6_addr[0] & 0xFEU) == 0xFCU;
  }
  char hn[256] = {};
  if (gethostname(hn, sizeof hn - 1) == 0 && host == to_lower_ascii(hn)) return true;
  for (const char* tld : {".localhost", ".local", ".internal"}) {
    const std::size_t n = std::strlen(tld);
    if (host.size() > n && host.compare(host.size() - n, n, tld) == 0) return true;
  }
  return false;
}

void ignore_sigpipe_once() {
  static std::once_flag once;
  std::call_once(once, [] { std::signal(SIGPIPE, SIG_IGN); });
}

}  // namespace

// ------------------------------------------------------------------------------------------
// Public free functions
// ------------------------------------------------------------------------------------------

std::string go_json_encode(const nlohmann::ordered_json& value) { return go_encode(value, false); }

std::vector<model_spec> default_models() {
  std::vector<model_spec> m;
  {
    model_spec s;
    s.name = "llama3.2";
    m.push_back(s);
  }
  {
    model_spec s;
    s.name = "qwen3";
    s.family = "qwen3";
    s.parameter_size = "8.2B";
    s.thinking = true;
    s.embedding_length = 4096;
    s.context_length = 40960;
    s.size = 5225387923;
    m.push_back(s);
  }
  {
    model_spec s;
    s.name = "cold-llama";
    s.starts_loaded = false;
    m.push_back(s);
  }
  {
    model_spec s;
    s.name = "gemma3";
    s.family = "gemma3";
    s.parameter_size = "4.3B";
    s.tools = false;
    s.vision = true;
    s.embedding_length = 2560;
    s.context_length = 131072;
    s.size = 3338801804;
    m.push_back(s);
  }
  {
    model_spec s;
    s.name = "nomic-embed-text";
    s.family = "nomic-bert";
    s.parameter_size = "137M";
    s.quantization_level = "F16";
    s.completion = false;
    s.tools = false;
    s.embedding = true;
    s.embedding_length = 768;
    s.context_length = 2048;
    s.size = 274302450;
    m.push_back(s);
  }
  {
    model_spec s;
    s.name = "all-minilm";
    s.family = "bert";
    s.parameter_size = "23M";
    s.quantization_level = "F16";
    s.completion = false;
    s.tools = false;
    s.embedding = true;
    s.embedding_length = 384;
    s.context_length = 512;
    s.size = 45960996;
    m.push_back(s);
  }
  return m;
}

std::string recorded_request::header(const std::string& name) const {
  for (const auto& kv : headers) {
    if (iequals(kv.first, name)) return kv.second;
  }
  return {};
}

bool recorded_request::has_header(const std::string& name) const {
  for (const auto& kv : headers) {
    if (iequals(kv.first, name)) return true;
  }
  return false;
}

const std::string& fake_ollama::unicode_reply() {
  static const std::string text =
      "Unicode check: \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xAE\xE3\x83\x86\xE3\x82\xAD\xE3\x82\xB9"
      "\xE3\x83\x88 \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x9A\x80\xF0\x9F\x8E\x89 "
      "\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB e\xCC\x81t\xC3\xA9 "
      "caf\xC3\xA9 <b>bold</b> & \"quoted\" back\\slash line\xE2\x80\xA8separator "
      "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 done.";
  return text;
}

// ------------------------------------------------------------------------------------------
// The server
// ------------------------------------------------------------------------------------------

struct fake_ollama::impl {
  struct model_state {
    model_spec spec;
    bool loaded = false;
    bool forever = false;
    clock_type::time_point expires{};
    std::optional<std::string> reply;
    std::optional<std::string> thinking;
  };
  struct failure {
    int status;
    std::string message;
    std::size_t remaining;
    std::string path;
  };
  enum class hang_result { released, disconnected, stopping };

  fake_ollama_config cfg;
  httplib::Server svr;
  std::thread thread;
  int port = -1;

  mutable std::mutex mu;
  mutable std::condition_variable cv;
  std::vector<model_state> models;
  stream_behaviour mode;
  std::deque<stream_behaviour> next_modes;
  std::deque<failure> failures;
  std::optional<ojson> tool_arguments;
  bool parallel_tool_calls = false;
  bool huge_context = false;
  std::size_t huge_context_count = 400000;
  std::vector<recorded_request> log;
  std::size_t next_index = 0;
  std::unordered_map<const httplib::Request*, std::vector<std::string>> stashed_accept_encoding;
  std::size_t disconnect_count = 0;
  std::size_t hung_count = 0;
  std::uint64_t release_generation = 0;
  bool stopping = false;

  explicit impl(fake_ollama_config c) : cfg(std::move(c)) {
    if (cfg.models.empty()) cfg.models = default_models();
    for (const auto& s : cfg.models) {
      model_state st;
      st.spec = s;
      st.loaded = s.starts_loaded;
      st.expires = clock_type::now() + std::chrono::minutes(5);
      models.push_back(st);
    }
  }

  // ---- lookups (mu held) ----
  model_state* find_model(const std::string& name) {
    const std::string want = normalize_model(name);
    for (auto& m : models) {
      if (normalize_model(m.spec.name) == want) return &m;
    }
    return nullptr;
  }

  std::string created_at() const {
    return cfg.fixed_created_at.empty() ? rfc3339nano(clock_type::now()) : cfg.fixed_created_at;
  }

  // ---- request log ----
  // The body is read after pre-routing, so the entry is written by the post-routing handler (which
  // runs before the first response byte). Pre-routing only stashes Accept-Encoding, which it removes.
  void stash_accept_encoding(const httplib::Request& req) {
    std::vector<std::string> values;
    for (auto it = req.headers.begin(); it != req.headers.end(); ++it) {
      if (iequals(it->first, "Accept-Encoding")) values.push_back(it->second);
    }
    if (values.empty()) {
      std::lock_guard<std::mutex> lk(mu);
      stashed_accept_encoding.erase(&req);  // a stale entry of an earlier request at this address
      return;
    }
    // Go never compresses; keep httplib from gzipping text/plain bodies.
    auto& headers = const_cast<httplib::Request&>(req).headers;
    for (auto it = headers.begin(); it != headers.end();) {
      it = iequals(it->first, "Accept-Encoding") ? headers.erase(it) : std::next(it);
    }
    std::lock_guard<std::mutex> lk(mu);
    stashed_accept_encoding[&req] = std::move(values);
  }

  void record(const httplib::Request& req, int status) {
    recorded_request r;
    r.method = req.method;
    r.path = req.path;
    r.target = req.target;
    r.status = status;
    for (const auto& kv : req.headers) r.headers.emplace(kv.first, kv.second);
    r.body = req.body;
    if (!req.body.empty()) {
      decoded_body d = go_decode(req.body);
      if (d.ok) {
        try {
          r.json = nlohmann::json::parse(d.value.dump());
          r.json_valid = true;
        } catch (const std::exception&) {
        }
      }
    }
    std::lock_guard<std::mutex> lk(mu);
    auto it = stashed_accept_encoding.find(&req);
    if (it != stashed_accept_encoding.end()) {
      for (auto& v : it->second) r.headers.emplace("Accept-Encoding", std::move(v));
      stashed_accept_encoding.erase(it);
    }
    r.index = next_index++;
    log.push_back(std::move(r));
    cv.notify_all();
  }

  // ---- response helpers ----
  static void send_json(httplib::Response& res, int status, const ojson& body, bool f32 = false) {
    res.status = status;
    res.set_content(go_encode(body, f32), k_json_type);
  }
  static void send_error(httplib::Response& res, int status, const std::string& message) {
    ojson body = ojson::object();
    body["error"] = message;
    send_json(res, status, body);
  }
  static void send_text(httplib::Response& res, int status, const std::string& text) {
    res.status = status;
    res.set_content(text, "text/plain");
  }

  bool take_failure(const std::string& path, httplib::Response& res) {
    std::optional<failure> hit;
    {
      std::lock_guard<std::mutex> lk(mu);
      for (auto it = failures.begin(); it != failures.end(); ++it) {
        if (it->path.empty() || it->path == path) {
          hit = *it;
          if (--it->remaining == 0) failures.erase(it);
          break;
        }
      }
    }
    if (!hit) return false;
    send_error(res, hit->status, hit->message);
    return true;
  }

  stream_behaviour take_mode() {
    std::lock_guard<std::mutex> lk(mu);
    if (!next_modes.empty()) {
      stream_behaviour b = next_modes.front();
      next_modes.pop_front();
      return b;
    }
    return mode;
  }

  // Parses and validates the body; on failure the error response is already set.
  std::optional<ojson> decode_request(const httplib::Request& req, httplib::Response& res, const schema& sc,
                                      const char* go_struct) {
    decoded_body d = go_decode(req.body);
    if (d.empty) {
      send_error(res, 400, "missing request body");
      return std::nullopt;
    }
    if (!d.ok) {
      send_error(res, 400, d.error);
      return std::nullopt;
    }
    if (d.value.is_null()) return ojson::object();
    if (!d.value.is_object()) {
      send_error(
          res, 400,
          std::string("json: cannot unmarshal ") + json_kind(d.value) + " into Go value of type api." + go_struct);
      return std::nullopt;
    }
    validation v;
    ojson out = canonicalize(d.value, sc, go_struct, v);
    if (!v.hard_error.empty()) {
      send_error(res, 400, v.hard_error);
      return std::nullopt;
    }
    if (!v.type_error.empty()) {
      send_error(res, 400, v.type_error);
      return std::nullopt;
    }
    return out;
  }

  // After a request: load state follows keep_alive. Returns load_duration for the request.
  std::int64_t touch_model(const std::string& name, std::int64_t keep_alive) {
    std::lock_guard<std::mutex> lk(mu);
    model_state* m = find_model(name);
    if (m == nullptr) return 0;
    const std::int64_t load = m->loaded ? m->spec.warm_load_ns : m->spec.cold_load_ns;
    apply_keep_alive(*m, keep_alive);
    return load;
  }
  static void apply_keep_alive(model_state& m, std::int64_t keep_alive) {
    if (keep_alive == 0) {
      m.loaded = false;
      return;
    }
    m.loaded = true;
    m.forever = keep_alive == std::numeric_limits<std::int64_t>::max();
    if (!m.forever) m.expires = clock_type::now() + std::chrono::nanoseconds(keep_alive);
  }

  // ---- generation ----
  struct plan {
    std::vector<std::string> thinking;
    std::vector<std::string> content;
    ojson tool_calls;  // null or array
    std::string done_reason = "stop";
    std::int64_t prompt_eval_count = 0;
    std::int64_t eval_count = 0;
    std::int64_t load_ns = 0;
  };

  static ojson default_argument(const std::string& name, const ojson& prop) {
    const std::string type = prop.is_object() && prop.contains("type") && prop["type"].is_string()
                                 ? prop["type"].get<std::string>()
                                 : "string";
    if (type == "integer" || type == "number") return 42;
    if (type == "boolean") return true;
    if (type == "array") return ojson::array();
    if (type == "object") return ojson::object();
    if (prop.is_object() && prop.contains("enum") && prop["enum"].is_array() && !prop["enum"].empty())
      return prop["enum"][0];
    const std::string lname = to_lower_ascii(name);
    if (lname.find("city") != std::string::npos || lname.find("location") != std::string::npos) return "Tokyo";
    return "example";
  }

  static ojson arguments_for(const ojson& tool) {
    ojson args = ojson::object();
    if (!tool.contains("function") || !tool["function"].contains("parameters")) return args;
    const ojson& params = tool["function"]["parameters"];
    if (!params.is_object() || !params.contains("properties") || !params["properties"].is_object()) return args;
    const ojson& props = params["properties"];
    std::vector<std::string> keys;
    if (params.contains("required") && params["required"].is_array() && !params["required"].empty()) {
      for (const auto& r : params["required"]) {
        if (r.is_string()) keys.push_back(r.get<std::string>());
      }
    } else {
      for (auto it = props.begin(); it != props.end(); ++it) keys.push_back(it.key());
    }
    for (const auto& k : keys) args[k] = default_argument(k, props.contains(k) ? props[k] : ojson());
    return args;
  }

  static std::string format_reply(const ojson& format, const std::string& base) {
    if (format.is_string() && format.get<std::string>() == "json") {
      return "{\"reply\": " + ojson(base).dump() + "}";
    }
    if (format.is_object()) {
      std::string s = "{";
      bool first = true;
      if (format.contains("properties") && format["properties"].is_object()) {
        for (auto it = format["properties"].begin(); it != format["properties"].end(); ++it) {
          if (!first) s += ", ";
          first = false;
          s += ojson(it.key()).dump() + ": " + default_argument(it.key(), it.value()).dump();
        }
      }
      return s + "}";
    }
    return base;
  }

  static std::string apply_stop(const ojson& req, std::string text) {
    if (!req.contains("options") || !req["options"].contains("stop") || !req["options"]["stop"].is_array()) return text;
    std::size_t cut = text.size();
    for (const auto& s : req["options"]["stop"]) {
      if (!s.is_string() || s.get<std::string>().empty()) continue;
      const std::size_t p = text.find(s.get<std::string>());
      if (p != std::string::npos) cut = std::min(cut, p);
    }
    text.erase(cut);
    return text;
  }

  // Builds the whole answer of a chat (is_chat) or generate request. mu must NOT be held.
  plan make_plan(const ojson& req, bool is_chat, const std::optional<std::string>& reply,
                 const std::optional<std::string>& thinking_text, bool think) {
    plan p;
    bool parallel = false;
    std::optional<ojson> fixed_arguments;
    {
      std::lock_guard<std::mutex> lk(mu);
      parallel = parallel_tool_calls;
      fixed_arguments = tool_arguments;
    }
    std::string user_text;
    std::string last_role;
    std::string last_content;
    std::int64_t prompt = 8;
    if (is_chat) {
      if (req.contains("messages")) {
        for (const auto& m : req["messages"]) {
          const std::string role = to_lower_ascii(m.value("role", std::string()));
          const std::string content = m.value("content", std::string());
          prompt += 4 + count_words(content);
          if (role == "user") user_text = content;
          last_role = role;
          last_content = content;
        }
      }
      if (req.contains("tools")) prompt += 10 * static_cast<std::int64_t>(req["tools"].size());
    } else {
      user_text = req.value("prompt", std::string());
      last_role = "user";
      last_content = user_text;
      prompt += count_words(req.value("system", std::string())) + count_words(user_text) +
                count_words(req.value("suffix", std::string()));
      if (req.contains("context")) prompt += static_cast<std::int64_t>(req["context"].size());
    }
    p.prompt_eval_count = prompt;

    const bool want_tools = is_chat && req.contains("tools") && !req["tools"].empty() && last_role == "user";

    std::string text;
    if (reply) {
      text = *reply;
    } else if (last_role == "tool") {
      text = "The tool returned: " + first_words(last_content, 8);
    } else if (user_text.empty()) {
      text = "Hello! This is a deterministic reply.";
    } else {
      text = "You said: " + first_words(user_text, 6) + ". This is a deterministic reply.";
    }
    if (!reply && req.contains("format")) text = format_reply(req["format"], text);
    text = apply_stop(req, text);

    std::vector<std::string> think_tokens;
    if (think) {
      const std::string t =
          thinking_text ? *thinking_text : "Let me think about \"" + first_words(user_text, 4) + "\" before answering.";
      think_tokens = tokenize(t);
    }
    std::vector<std::string> content_tokens = want_tools ? std::vector<std::string>{} : tokenize(text);

    std::int64_t limit = option_int(req, "num_predict", -1);
    std::int64_t produced = 0;
    bool truncated = false;
    auto take = [&](std::vector<std::string>& from, std::vector<std::string>& to) {
      for (auto& t : from) {
        if (limit >= 0 && produced >= limit) {
          truncated = true;
          return;
        }
        to.push_back(std::move(t));
        ++produced;
      }
    };
    take(think_tokens, p.thinking);
    take(content_tokens, p.content);

    if (want_tools && !truncated) {
      constexpr std::int64_t tool_tokens = 12;
      if (limit >= 0 && produced + tool_tokens > limit) {
        truncated = true;
      } else {
        p.tool_calls = ojson::array();
        const ojson& tools = req["tools"];
        const std::size_t n = parallel ? tools.size() : 1;
        for (std::size_t k = 0; k < n; ++k) {
          const ojson& tool = tools[k];
          // Seeded by the conversation: the same messages and tools give the same id.
          std::uint64_t state = fnv1a(req["messages"].dump() + req["tools"].dump(), 0x12345678ULL + k);
          std::string id = "call_";
          static const char* alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
          for (int c = 0; c < 8; ++c) id += alphabet[splitmix64(state) % 36];
          ojson call = ojson::object();
          call["id"] = id;
          ojson fn = ojson::object();
          fn["index"] = k;
          fn["name"] = tool.contains("function") ? tool["function"].value("name", std::string()) : std::string();
          fn["arguments"] = fixed_arguments ? *fixed_arguments : arguments_for(tool);
          call["function"] = std::move(fn);
          p.tool_calls.push_back(std::move(call));
          produced += tool_tokens;
        }
      }
    }
    p.eval_count = produced;
    if (truncated) p.done_reason = "length";
    return p;
  }

  static void add_metrics(ojson& o, const plan& p) {
    const std::int64_t prompt_ns = 1000000 + p.prompt_eval_count * 250000;
    const std::int64_t eval_ns = p.eval_count * 20000000;
    const std::int64_t total = p.load_ns + prompt_ns + eval_ns + k_overhead_ns;
    o["total_duration"] = total;
    if (p.load_ns) o["load_duration"] = p.load_ns;
    if (p.prompt_eval_count) o["prompt_eval_count"] = p.prompt_eval_count;
    o["prompt_eval_duration"] = prompt_ns;
    if (p.eval_count) {
      o["eval_count"] = p.eval_count;
      o["eval_duration"] = eval_ns;
    }
  }

  ojson chat_chunk(const std::string& model, const std::string& content, const std::string* thinking,
                   const ojson* tool_calls) const {
    ojson o = ojson::object();
    o["model"] = model;
    o["created_at"] = created_at();
    ojson msg = ojson::object();
    msg["role"] = "assistant";
    msg["content"] = content;
    if (thinking && !thinking->empty()) msg["thinking"] = *thinking;
    if (tool_calls && tool_calls->is_array() && !tool_calls->empty()) msg["tool_calls"] = *tool_calls;
    o["message"] = std::move(msg);
    o["done"] = false;
    return o;
  }

  ojson generate_chunk(const std::string& model, const std::string& response, const std::string* thinking) const {
    ojson o = ojson::object();
    o["model"] = model;
    o["created_at"] = created_at();
    o["response"] = response;
    if (thinking && !thinking->empty()) o["thinking"] = *thinking;
    o["done"] = false;
    return o;
  }

  ojson context_array(const plan& p, std::string_view seed_text) const {
    std::size_t n = static_cast<std::size_t>(p.prompt_eval_count + p.eval_count);
    {
      std::lock_guard<std::mutex> lk(mu);
      if (huge_context) n = huge_context_count;
    }
    ojson ctx = ojson::array();
    std::uint64_t state = fnv1a(seed_text);
    for (std::size_t i = 0; i < n; ++i) ctx.push_back(100000 + static_cast<std::int64_t>(splitmix64(state) % 28000));
    return ctx;
  }

  // ---- writing responses with the configured framing ----

  void note_disconnect() {
    std::lock_guard<std::mutex> lk(mu);
    ++disconnect_count;
    cv.notify_all();
  }

  // Blocks a stream until release_hung(), the destructor, or the client going away. The first two
  // are signalled through the condition variable; the peer closing is noticed by httplib's
  // is_writable() (a non-blocking peek) on every short wake-up.
  hang_result hang(httplib::DataSink& sink) {
    std::unique_lock<std::mutex> lk(mu);
    ++hung_count;
    cv.notify_all();
    const std::uint64_t generation = release_generation;
    for (;;) {
      if (stopping) return hang_result::stopping;
      if (release_generation != generation) return hang_result::released;
      lk.unlock();
      const bool alive = sink.is_writable();
      lk.lock();
      if (!alive) return hang_result::disconnected;
      cv.wait_for(lk, std::chrono::milliseconds(5), [&] { return stopping || release_generation != generation; });
    }
  }

  void wake_hung() {
    // mu held by caller
    ++release_generation;
    cv.notify_all();
  }

  bool is_stopping() const {
    std::lock_guard<std::mutex> lk(mu);
    return stopping;
  }

  // Writes `data` in pieces according to the behaviour. Returns false when the peer went away.
  bool write_framed(httplib::DataSink& sink, const std::string& data, const stream_behaviour& b, std::mt19937_64& rng) {
    auto put = [&](const char* p, std::size_t n) {
      if (is_stopping()) return false;
      if (!sink.write(p, n)) {
        note_disconnect();
        return false;
      }
      return true;
    };
    switch (b.mode) {
      case stream_mode::split_bytes:
        for (std::size_t i = 0; i < data.size(); ++i) {
          if (!put(data.data() + i, 1)) return false;
        }
        return true;
      case stream_mode::random_splits: {
        std::size_t i = 0;
        std::uniform_int_distribution<std::size_t> dist(1, 64);
        while (i < data.size()) {
          const std::size_t n = std::min(dist(rng), data.size() - i);
          if (!put(data.data() + i, n)) return false;
          i += n;
        }
        return true;
      }
      default:
        return data.empty() ? true : put(data.data(), data.size());
    }
  }

  // Installs the NDJSON stream on the response.
  void send_stream(httplib::Response& res, std::vector<std::string> lines, stream_behaviour b) {
    auto shared_lines = std::make_shared<std::vector<std::string>>(std::move(lines));
    res.status = 200;
    res.set_chunked_content_provider(k_ndjson_type, [this, shared_lines, b](std::size_t, httplib::DataSink& sink) {
      std::mt19937_64 rng(b.seed);
      const auto& ls = *shared_lines;
      const std::size_t cut = std::min(b.after_chunks, ls.empty() ? 0 : ls.size() - 1);
      auto write_lines = [&](std::size_t from, std::size_t to) {
        if (b.mode == stream_mode::merge_lines) {
          std::string all;
          for (std::size_t i = from; i < to; ++i) all += ls[i];
          return write_framed(sink, all, b, rng);
        }
        if (b.mode == stream_mode::random_splits) {
          std::string all;
          for (std::size_t i = from; i < to; ++i) all += ls[i];
          return write_framed(sink, all, b, rng);
        }
        for (std::size_t i = from; i < to; ++i) {
          if (!write_framed(sink, ls[i], b, rng)) return false;
        }
        return true;
      };
      switch (b.mode) {
        case stream_mode::error_mid_stream: {
          if (!write_lines(0, cut)) return false;
          ojson err = ojson::object();
          err["error"] = b.error_message;
          if (!write_framed(sink, go_encode(err) + "\n", b, rng)) return false;
          sink.done();
          return true;
        }
        case stream_mode::eof_without_done:
          if (!write_lines(0, cut)) return false;
          sink.done();
          return true;
        case stream_mode::drop_after_chunks:
          write_lines(0, cut);
          return false;  // abort: the connection is closed without the terminating chunk
        case stream_mode::hang_after_chunks: {
          if (!write_lines(0, cut)) return false;
          switch (hang(sink)) {
            case hang_result::released:
              break;
            case hang_result::disconnected:
              note_disconnect();
              return false;
            case hang_result::stopping:
              return false;
          }
          if (!write_lines(cut, ls.size())) return false;
          sink.done();
          return true;
        }
        default:
          if (!write_lines(0, ls.size())) return false;
          sink.done();
          return true;
      }
    });
  }

  // Installs a single JSON body (non-streaming reply) with the configured framing.
  void send_body(httplib::Response& res, std::string body, stream_behaviour b) {
    if (b.mode == stream_mode::error_mid_stream) {
      send_error(res, 500, b.error_message);
      return;
    }
    if (b.mode == stream_mode::normal) {
      res.status = 200;
      res.set_content(body, k_json_type);
      return;
    }
    auto shared = std::make_shared<std::string>(std::move(body));
    res.status = 200;
    res.set_content_provider(shared->size(), k_json_type,
                             [this, shared, b](std::size_t offset, std::size_t, httplib::DataSink& sink) {
                               if (offset != 0) return false;
                               std::mt19937_64 rng(b.seed);
                               const std::string& s = *shared;
                               switch (b.mode) {
                                 case stream_mode::eof_without_done:
                                 case stream_mode::drop_after_chunks:
                                   write_framed(sink, s.substr(0, s.size() / 2), b, rng);
                                   return false;
                                 case stream_mode::hang_after_chunks: {
                                   switch (hang(sink)) {
                                     case hang_result::released:
                                       break;
                                     case hang_result::disconnected:
                                       note_disconnect();
                                       return false;
                                     case hang_result::stopping:
                                       return false;
                                   }
                                   return write_framed(sink, s, stream_behaviour{}, rng);
                                 }
                                 default:
                                   return write_framed(sink, s, b, rng);
                               }
                             });
  }

  // ---- endpoints ----

  // Common model checks for chat/generate. Returns false when an error was sent.
  bool check_think(const ojson& rq, httplib::Response& res) {
    if (rq.contains("think") && rq["think"].is_string()) {
      const std::string t = rq["think"].get<std::string>();
      if (t != "low" && t != "medium" && t != "high" && t != "max") {
        send_error(res, 400,
                   "invalid think value: " + ojson(t).dump() +
                       " (must be \"high\", \"medium\", \"low\", \"max\", true, or false)");
        return false;
      }
    }
    return true;
  }

  static bool think_requested(const ojson& rq, bool capable) {
    if (!rq.contains("think")) return capable;
    const ojson& t = rq["think"];
    if (t.is_boolean()) return t.get<bool>();
    return t.is_string();
  }

  void handle_generation(const httplib::Request& req, httplib::Response& res, bool is_chat) {
    if (take_failure(req.path, res)) return;
    auto parsed = decode_request(req, res, is_chat ? chat_schema() : generate_schema(),
                                 is_chat ? "ChatRequest" : "GenerateRequest");
    if (!parsed) return;
    const ojson& rq = *parsed;
    const std::string model = rq.value("model", std::string());

    if (is_chat && !valid_model_name(model)) return send_error(res, 400, "model is required");
    if (!check_think(rq, res)) return;

    model_spec spec;
    std::optional<std::string> reply, thinking_text;
    {
      std::lock_guard<std::mutex> lk(mu);
      model_state* m = valid_model_name(model) ? find_model(model) : nullptr;
      if (m == nullptr) return send_error(res, 404, "model '" + model + "' not found");
      spec = m->spec;
      reply = m->reply;
      thinking_text = m->thinking;
    }
    if (rq.contains("top_logprobs")) {
      const auto tl = rq["top_logprobs"].get<std::int64_t>();
      if (tl < 0 || tl > 20) return send_error(res, 400, "top_logprobs must be between 0 and 20");
    }
    if (!spec.completion)
      return send_error(res, 400, "\"" + model + "\" does not support " + (is_chat ? "chat" : "generate"));
    if (is_chat && rq.contains("tools") && !rq["tools"].empty() && !spec.tools)
      return send_error(res, 400,
                        "registry.ollama.ai/library/" + normalize_model(spec.name) + " does not support tools");
    const bool explicit_think = rq.contains("think") && think_requested(rq, false);
    if (explicit_think && !spec.thinking) return send_error(res, 400, "\"" + model + "\" does not support thinking");
    if (rq.contains("format")) {
      const ojson& f = rq["format"];
      const bool ok =
          f.is_object() || (f.is_string() && (f.get<std::string>().empty() || f.get<std::string>() == "json"));
      if (!ok) return send_error(res, 400, "invalid format: expected \"json\" or a valid JSON schema");
    }
    if (!is_chat && rq.value("raw", false) &&
        (!rq.value("template", std::string()).empty() || !rq.value("system", std::string()).empty() ||
         (rq.contains("context") && !rq["context"].empty())))
      return send_error(res, 400, "raw mode does not support template, system, or context");
    if (std::string e = check_options(rq); !e.empty()) return send_error(res, 500, e);

    const std::int64_t keep_alive = keep_alive_ns(rq);
    const bool empty =
        is_chat ? (!rq.contains("messages") || rq["messages"].empty()) : rq.value("prompt", std::string()).empty();
    if (empty) {
      touch_model(model, keep_alive);
      ojson o = ojson::object();
      o["model"] = model;
      o["created_at"] = created_at();
      if (is_chat) {
        ojson msg = ojson::object();
        msg["role"] = "assistant";
        msg["content"] = "";
        o["message"] = std::move(msg);
      } else {
        o["response"] = "";
      }
      o["done"] = true;
      o["done_reason"] = keep_alive == 0 ? "unload" : "load";
      return send_json(res, 200, o);
    }

    const bool think = spec.thinking && think_requested(rq, true);
    plan p = make_plan(rq, is_chat, reply, thinking_text, think);
    p.load_ns = touch_model(model, keep_alive);
    const bool stream = rq.value("stream", true);
    const stream_behaviour b = take_mode();
    const bool want_context = !is_chat && !rq.value("raw", false);

    if (stream) {
      std::vector<std::string> lines;
      for (const auto& t : p.thinking) {
        lines.push_back(go_encode(is_chat ? chat_chunk(model, "", &t, nullptr) : generate_chunk(model, "", &t)) + "\n");
      }
      for (const auto& t : p.content) {
        lines.push_back(
            go_encode(is_chat ? chat_chunk(model, t, nullptr, nullptr) : generate_chunk(model, t, nullptr)) + "\n");
      }
      if (p.tool_calls.is_array()) lines.push_back(go_encode(chat_chunk(model, "", nullptr, &p.tool_calls)) + "\n");
      ojson fin = is_chat ? chat_chunk(model, "", nullptr, nullptr) : generate_chunk(model, "", nullptr);
      fin["done"] = true;
      fin["done_reason"] = p.done_reason;
      if (want_context) fin["context"] = context_array(p, req.body);
      add_metrics(fin, p);
      lines.push_back(go_encode(fin) + "\n");
      return send_stream(res, std::move(lines), b);
    }

    std::string content, thinking;
    for (const auto& t : p.content) content += t;
    for (const auto& t : p.thinking) thinking += t;
    ojson o =
        is_chat ? chat_chunk(model, content, &thinking, &p.tool_calls) : generate_chunk(model, content, &thinking);
    o["done"] = true;
    o["done_reason"] = p.done_reason;
    if (want_context) o["context"] = context_array(p, req.body);
    add_metrics(o, p);
    send_body(res, go_encode(o), b);
  }

  void handle_embed(const httplib::Request& req, httplib::Response& res) {
    if (take_failure(req.path, res)) return;
    auto parsed = decode_request(req, res, embed_schema(), "EmbedRequest");
    if (!parsed) return;
    const ojson& rq = *parsed;
    const std::string model = rq.value("model", std::string());
    if (model.empty()) return send_error(res, 400, "model is required");
    model_spec spec;
    {
      std::lock_guard<std::mutex> lk(mu);
      model_state* m = valid_model_name(model) ? find_model(model) : nullptr;
      if (m == nullptr) return send_error(res, 404, "model \"" + model + "\" not found, try pulling it first");
      spec = m->spec;
    }
    std::vector<std::string> inputs;
    if (rq.contains("input")) {
      const ojson& in = rq["input"];
      if (in.is_string()) {
        if (!in.get<std::string>().empty()) inputs.push_back(in.get<std::string>());
      } else if (in.is_array()) {
        for (const auto& e : in) {
          if (!e.is_string()) return send_error(res, 400, "invalid input type");
          inputs.push_back(e.get<std::string>());
        }
      } else {
        return send_error(res, 400, "invalid input type");
      }
    }
    if (std::string e = check_options(rq); !e.empty()) return send_error(res, 500, e);
    const std::int64_t keep_alive = keep_alive_ns(rq);
    if (inputs.empty()) {
      touch_model(model, keep_alive);
      ojson o = ojson::object();
      o["model"] = model;
      o["embeddings"] = ojson::array();
      return send_json(res, 200, o);
    }
    const bool truncate = rq.value("truncate", true);
    const std::int64_t ctx = option_int(rq, "num_ctx", spec.context_length);
    std::int64_t prompt_tokens = 0;
    for (const auto& text : inputs) {
      const std::int64_t n = estimate_tokens(text);
      if (n > ctx && !truncate) return send_error(res, 400, "the input length exceeds the context length");
      prompt_tokens += std::min(n, ctx);
    }
    const std::int64_t dims_req = rq.contains("dimensions") ? rq["dimensions"].get<std::int64_t>() : 0;
    const std::int64_t load = touch_model(model, keep_alive);
    ojson vectors = ojson::array();
    for (const auto& text : inputs) {
      std::vector<double> v = normalized(raw_embedding(spec.name, text, spec.embedding_length));
      if (dims_req > 0 && static_cast<std::size_t>(dims_req) < v.size()) {
        v.resize(static_cast<std::size_t>(dims_req));
        v = normalized(std::move(v));
      }
      ojson arr = ojson::array();
      for (double x : v) arr.push_back(static_cast<double>(static_cast<float>(x)));
      vectors.push_back(std::move(arr));
    }
    ojson o = ojson::object();
    o["model"] = model;
    o["embeddings"] = std::move(vectors);
    o["total_duration"] = load + 1000000 + prompt_tokens * 50000 + k_overhead_ns;
    if (load) o["load_duration"] = load;
    o["prompt_eval_count"] = prompt_tokens;
    send_json(res, 200, o, true);
  }

  void handle_embeddings(const httplib::Request& req, httplib::Response& res) {
    if (take_failure(req.path, res)) return;
    auto parsed = decode_request(req, res, embeddings_schema(), "EmbeddingRequest");
    if (!parsed) return;
    const ojson& rq = *parsed;
    const std::string model = rq.value("model", std::string());
    if (model.empty()) return send_error(res, 400, "model is required");
    model_spec spec;
    {
      std::lock_guard<std::mutex> lk(mu);
      model_state* m = valid_model_name(model) ? find_model(model) : nullptr;
      if (m == nullptr) return send_error(res, 404, "model \"" + model + "\" not found, try pulling it first");
      spec = m->spec;
    }
    if (std::string e = check_options(rq); !e.empty()) return send_error(res, 500, e);
    const std::string prompt = rq.value("prompt", std::string());
    touch_model(model, keep_alive_ns(rq));
    ojson arr = ojson::array();
    if (!prompt.empty()) {
      const std::vector<double> v = normalized(raw_embedding(spec.name, prompt, spec.embedding_length));
      const double scale = 3.0 + static_cast<double>(fnv1a(prompt) % 1000) / 100.0;  // not normalised
      for (double x : v) arr.push_back(x * scale);
    }
    ojson o = ojson::object();
    o["embedding"] = std::move(arr);
    send_json(res, 200, o);
  }

  ojson details_of(const model_spec& s) const {
    ojson d = ojson::object();
    d["parent_model"] = "";
    d["format"] = "gguf";
    d["family"] = s.family;
    d["families"] = ojson::array({s.family});
    d["parameter_size"] = s.parameter_size;
    d["quantization_level"] = s.quantization_level;
    return d;
  }

  static ojson capabilities_of(const model_spec& s) {
    ojson c = ojson::array();
    if (s.completion) c.push_back("completion");
    if (s.embedding) c.push_back("embedding");
    if (s.tools) c.push_back("tools");
    if (s.thinking) c.push_back("thinking");
    if (s.vision) c.push_back("vision");
    return c;
  }

  static std::string modified_at_of(const model_spec& s) {
    // Local-time style with an offset, as the real /api/tags shows.
    const auto day = 1 + static_cast<int>(fnv1a(s.name) % 28);
    char buf[64];
    std::snprintf(buf, sizeof buf, "2025-06-%02dT10:20:30.123456789-07:00", day);
    return buf;
  }

  void handle_tags(const httplib::Request&, httplib::Response& res) {
    ojson list = ojson::array();
    std::lock_guard<std::mutex> lk(mu);
    for (const auto& m : models) {
      ojson e = ojson::object();
      const std::string full = with_tag(m.spec.name);
      e["name"] = full;
      e["model"] = full;
      e["modified_at"] = modified_at_of(m.spec);
      e["size"] = m.spec.size;
      e["digest"] = fake_digest(full);
      e["details"] = details_of(m.spec);
      e["capabilities"] = capabilities_of(m.spec);
      list.push_back(std::move(e));
    }
    ojson o = ojson::object();
    o["models"] = std::move(list);
    send_json(res, 200, o);
  }

  void handle_ps(const httplib::Request&, httplib::Response& res) {
    std::vector<const model_state*> loaded;
    std::lock_guard<std::mutex> lk(mu);
    for (const auto& m : models) {
      if (m.loaded) loaded.push_back(&m);
    }
    std::stable_sort(loaded.begin(), loaded.end(), [](const model_state* a, const model_state* b) {
      if (a->forever != b->forever) return a->forever;
      return a->expires > b->expires;
    });
    ojson list = ojson::array();
    for (const model_state* m : loaded) {
      ojson e = ojson::object();
      const std::string full = with_tag(m->spec.name);
      e["name"] = full;
      e["model"] = full;
      e["size"] = m->spec.size;
      e["digest"] = fake_digest(full);
      e["details"] = details_of(m->spec);
      e["expires_at"] = m->forever ? std::string("2318-04-11T23:47:16.854775807Z") : rfc3339nano(m->expires);
      e["size_vram"] = m->spec.size;
      e["context_length"] = m->spec.context_length;
      list.push_back(std::move(e));
    }
    ojson o = ojson::object();
    o["models"] = std::move(list);
    send_json(res, 200, o);
  }

  void handle_show(const httplib::Request& req, httplib::Response& res) {
    if (take_failure(req.path, res)) return;
    auto parsed = decode_request(req, res, show_schema(), "ShowRequest");
    if (!parsed) return;
    const ojson& rq = *parsed;
    std::string model = rq.value("model", std::string());
    if (model.empty()) model = rq.value("name", std::string());
    if (model.empty()) return send_error(res, 400, "model is required");
    model_spec spec;
    {
      std::lock_guard<std::mutex> lk(mu);
      model_state* m = valid_model_name(model) ? find_model(model) : nullptr;
      if (m == nullptr) return send_error(res, 404, "model '" + with_tag(model) + "' not found");
      spec = m->spec;
    }
    const bool verbose = rq.value("verbose", false);
    const std::string arch = spec.family;
    ojson o = ojson::object();
    o["license"] = "Fake license for tests.";
    o["modelfile"] =
        "# Modelfile generated by the llmtrace fake\nFROM " + with_tag(spec.name) + "\nTEMPLATE \"{{ .Prompt }}\"\n";
    o["parameters"] = spec.embedding ? "num_ctx                        " + std::to_string(spec.context_length)
                                     : std::string(
                                           "stop                           \"<|eot_id|>\"\n"
                                           "temperature                    0.6");
    o["template"] = "{{ if .System }}{{ .System }}{{ end }}{{ .Prompt }}";
    o["details"] = details_of(spec);
    // model_info is a Go map: keys come out sorted.
    std::map<std::string, ojson> info;
    info["general.architecture"] = arch;
    info["general.basename"] = spec.name;
    info["general.file_type"] = 15;
    info["general.parameter_count"] = static_cast<std::int64_t>(spec.size / 2);
    info["general.quantization_version"] = 2;
    info[arch + ".context_length"] = spec.context_length;
    info[arch + ".embedding_length"] = spec.embedding_length;
    info[arch + ".block_count"] = 28;
    info["tokenizer.ggml.model"] = "gpt2";
    info["tokenizer.ggml.tokens"] = verbose ? ojson::array({"<s>", "</s>", "hello"}) : ojson::array();
    info["tokenizer.ggml.token_type"] = verbose ? ojson::array({3, 3, 1}) : ojson::array();
    ojson mi = ojson::object();
    for (auto& kv : info) mi[kv.first] = std::move(kv.second);
    o["model_info"] = std::move(mi);
    o["capabilities"] = capabilities_of(spec);
    o["modified_at"] = modified_at_of(spec);
    send_json(res, 200, o);
  }

  // ---- routing ----
  static const std::map<std::string, std::set<std::string>>& known_routes() {
    static const std::map<std::string, std::set<std::string>> routes = {
        {"/", {"GET", "HEAD"}},   {"/api/version", {"GET", "HEAD"}}, {"/api/tags", {"GET", "HEAD"}},
        {"/api/ps", {"GET"}},     {"/api/chat", {"POST"}},           {"/api/generate", {"POST"}},
        {"/api/embed", {"POST"}}, {"/api/embeddings", {"POST"}},     {"/api/show", {"POST"}},
    };
    return routes;
  }

  void not_routed(const httplib::Request& req, httplib::Response& res) {
    const auto& routes = known_routes();
    if (routes.count(req.path)) return send_text(res, 405, "405 method not allowed");
    send_text(res, 404, "404 page not found");
  }

  void install_routes() {
    svr.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      stash_accept_encoding(req);
      if (cfg.check_host_header && !allowed_host(req.get_header_value("Host"))) {
        res.status = 403;
        return httplib::Server::HandlerResponse::Handled;
      }
      return httplib::Server::HandlerResponse::Unhandled;
    });
    svr.set_post_routing_handler(
        [this](const httplib::Request& req, httplib::Response& res) { record(req, res.status); });

    svr.Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.status = 200;
      res.set_content("Ollama is running", "text/plain; charset=utf-8");
    });
    svr.Get("/api/version", [this](const httplib::Request&, httplib::Response& res) {
      ojson o = ojson::object();
      o["version"] = cfg.version;
      send_json(res, 200, o);
    });
    svr.Get("/api/tags", [this](const httplib::Request& req, httplib::Response& res) { handle_tags(req, res); });
    svr.Get("/api/ps", [this](const httplib::Request& req, httplib::Response& res) { handle_ps(req, res); });
    svr.Post("/api/chat",
             [this](const httplib::Request& req, httplib::Response& res) { handle_generation(req, res, true); });
    svr.Post("/api/generate",
             [this](const httplib::Request& req, httplib::Response& res) { handle_generation(req, res, false); });
    svr.Post("/api/embed", [this](const httplib::Request& req, httplib::Response& res) { handle_embed(req, res); });
    svr.Post("/api/embeddings",
             [this](const httplib::Request& req, httplib::Response& res) { handle_embeddings(req, res); });
    svr.Post("/api/show", [this](const httplib::Request& req, httplib::Response& res) { handle_show(req, res); });

    auto fallback = [this](const httplib::Request& req, httplib::Response& res) { not_routed(req, res); };
    svr.Get(".*", fallback);
    svr.Post(".*", fallback);
    svr.Put(".*", fallback);
    svr.Patch(".*", fallback);
    svr.Delete(".*", fallback);
    svr.Options(".*", [](const httplib::Request&, httplib::Response& res) {
      res.status = 204;
      res.set_header("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS");
      res.set_header("Access-Control-Allow-Headers",
                     "Authorization, Content-Type, User-Agent, Accept, X-Requested-With, OpenAI-Beta, "
                     "x-stainless-arch, x-stainless-os, x-stainless-package-version, x-stainless-runtime, "
                     "x-stainless-runtime-version, x-stainless-lang, x-stainless-timeout");
    });
  }
};

// ------------------------------------------------------------------------------------------
// fake_ollama
// ------------------------------------------------------------------------------------------

fake_ollama::fake_ollama() : fake_ollama(fake_ollama_config{}) {}

fake_ollama::fake_ollama(fake_ollama_config config) : impl_(std::make_unique<impl>(std::move(config))) {
  ignore_sigpipe_once();
  impl& s = *impl_;
  s.svr.new_task_queue = [] { return new httplib::ThreadPool(16); };
  s.svr.set_tcp_nodelay(true);
  s.svr.set_keep_alive_max_count(1000);
  s.svr.set_keep_alive_timeout(s.cfg.keep_alive_timeout_s);
  s.install_routes();
  s.port = s.svr.bind_to_any_port("127.0.0.1");
  if (s.port <= 0) throw std::runtime_error("fake_ollama: cannot bind 127.0.0.1");
  auto finished = std::make_shared<std::atomic<bool>>(false);
  s.thread = std::thread([&s, finished] {
    s.svr.listen_after_bind();
    finished->store(true);
  });
  // The socket is already listening (connections queue in the backlog); wait until the accept
  // loop runs so that stop() in the destructor cannot race with its start.
  while (!s.svr.is_running() && !finished->load()) std::this_thread::yield();
  if (finished->load() && !s.svr.is_running()) {
    s.thread.join();
    throw std::runtime_error("fake_ollama: listen failed");
  }
}

fake_ollama::~fake_ollama() {
  impl& s = *impl_;
  {
    std::lock_guard<std::mutex> lk(s.mu);
    s.stopping = true;
    s.wake_hung();
    s.cv.notify_all();
  }
  s.svr.stop();
  if (s.thread.joinable()) s.thread.join();
}

int fake_ollama::port() const { return impl_->port; }

std::string fake_ollama::base_url() const { return "http://127.0.0.1:" + std::to_string(impl_->port); }

void fake_ollama::set_mode(stream_behaviour behaviour) {
  std::lock_guard<std::mutex> lk(impl_->mu);
  impl_->mode = std::move(behaviour);
}

void fake_ollama::set_mode(stream_mode mode, std::size_t after_chunks, std::uint64_t seed) {
  stream_behaviour b;
  b.mode = mode;
  b.after_chunks = after_chunks;
  b.seed = seed;
  set_mode(std::move(b));
}

void fake_ollama::set_next_mode(stream_behaviour behaviour) {
  std::lock_guard<std::mutex> lk(impl_->mu);
  impl_->next_modes.push_back(std::move(behaviour));
}

void fake_ollama::set_next_mode(stream_mode mode, std::size_t after_chunks, std::uint64_t seed) {
  stream_behaviour b;
  b.mode = mode;
  b.after_chunks = after_chunks;
  b.seed = seed;
  set_next_mode(std::move(b));
}

void fake_ollama::fail_next(int status, std::string message, std::size_t count, std::string path) {
  if (count == 0) return;
  std::lock_guard<std::mutex> lk(impl_->mu);
  impl_->failures.push_back(impl::failure{status, std::move(message), count, std::move(path)});
}

void fake_ollama::set_reply(const std::string& model, std::string text) {
  std::lock_guard<std::mutex> lk(impl_->mu);
  auto* m = impl_->find_model(model);
  if (m == nullptr) throw std::invalid_argument("fake_ollama::set_reply: unknown model " + model);
  m->reply = std::move(text);
}

void fake_ollama::clear_reply(const std::string& model) {
  std::lock_guard<std::mutex> lk(impl_->mu);
  if (auto* m = impl_->find_model(model)) m->reply.reset();
}

void fake_ollama::set_thinking(const std::string& model, std::string text) {
  std::lock_guard<std::mutex> lk(impl_->mu);
  auto* m = impl_->find_model(model);
  if (m == nullptr) throw std::invalid_argument("fake_ollama::set_thinking: unknown model " + model);
  m->thinking = std::move(text);
}

void fake_ollama::set_cold(const std::string& model, bool cold) {
  std::lock_guard<std::mutex> lk(impl_->mu);
  auto* m = impl_->find_model(model);
  if (m == nullptr) throw std::invalid_argument("fake_ollama::set_cold: unknown model " + model);
  m->loaded = !cold;
}

bool fake_ollama::is_loaded(const std::string& model) const {
  std::lock_guard<std::mutex> lk(impl_->mu);
  auto* m = impl_->find_model(model);
  return m != nullptr && m->loaded;
}

void fake_ollama::set_tool_arguments(nlohmann::json arguments) {
  std::lock_guard<std::mutex> lk(impl_->mu);
  if (arguments.is_null()) {
    impl_->tool_arguments.reset();
  } else {
    impl_->tool_arguments = ojson::parse(arguments.dump());
  }
}

void fake_ollama::set_parallel_tool_calls(bool on) {
  std::lock_guard<std::mutex> lk(impl_->mu);
  impl_->parallel_tool_calls = on;
}

void fake_ollama::set_huge_context(bool on, std::size_t count) {
  std::lock_guard<std::mutex> lk(impl_->mu);
  impl_->huge_context = on;
  impl_->huge_context_count = count;
}

void fake_ollama::release_hung() {
  std::lock_guard<std::mutex> lk(impl_->mu);
  impl_->wake_hung();
}

std::vector<recorded_request> fake_ollama::requests() const {
  std::lock_guard<std::mutex> lk(impl_->mu);
  return impl_->log;
}

recorded_request fake_ollama::last_request() const {
  std::lock_guard<std::mutex> lk(impl_->mu);
  return impl_->log.empty() ? recorded_request{} : impl_->log.back();
}

std::size_t fake_ollama::request_count() const {
  std::lock_guard<std::mutex> lk(impl_->mu);
  return impl_->log.size();
}

void fake_ollama::clear_requests() {
  std::lock_guard<std::mutex> lk(impl_->mu);
  impl_->log.clear();
}

bool fake_ollama::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lk(impl_->mu);
  return impl_->cv.wait_for(lk, timeout, [&] { return impl_->log.size() >= n; });
}

std::size_t fake_ollama::disconnects() const {
  std::lock_guard<std::mutex> lk(impl_->mu);
  return impl_->disconnect_count;
}

bool fake_ollama::wait_for_disconnects(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lk(impl_->mu);
  return impl_->cv.wait_for(lk, timeout, [&] { return impl_->disconnect_count >= n; });
}

std::size_t fake_ollama::hung_streams() const {
  std::lock_guard<std::mutex> lk(impl_->mu);
  return impl_->hung_count;
}

bool fake_ollama::wait_for_hung_streams(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lk(impl_->mu);
  return impl_->cv.wait_for(lk, timeout, [&] { return impl_->hung_count >= n; });
}

}  // namespace llmtrace_test
