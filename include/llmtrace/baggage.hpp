// llmtrace/baggage.hpp: W3C Baggage: an immutable set of key=value entries (with optional
// properties) that travels with the context: across threads inside llmtrace::context, across
// processes in the `baggage` header. Parsing percent-decodes values and skips invalid members;
// formatting percent-encodes and keeps to W3C's limits (64 members, 8192 bytes).
// Thread-safety: a baggage value is immutable and cheap to copy (shared storage).
#pragma once

#include <llmtrace/config.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE

class baggage {
 public:
  /// One entry; `properties` is the raw `;`-separated property text after the value (may be empty).
  struct entry {
    std::string key;
    std::string value;
    std::string properties;
  };
  /// W3C limits for a `baggage` header.
  static constexpr std::size_t max_members = 64;
  static constexpr std::size_t max_header_bytes = 8192;

  baggage() = default;

  bool empty() const noexcept { return !data_ || data_->empty(); }
  std::size_t size() const noexcept { return data_ ? data_->size() : 0; }
  /// The entries, in insertion order (a key set again keeps its place).
  const std::vector<entry>& entries() const noexcept {
    static const std::vector<entry> none;
    return data_ ? *data_ : none;
  }
  /// The value of `key`, or nullopt.
  std::optional<std::string_view> get(std::string_view key) const noexcept {
    if (data_)
      for (const auto& e : *data_)
        if (e.key == key) return std::string_view(e.value);
    return std::nullopt;
  }
  /// A copy with `key` set to `value` (an invalid key, i.e. not a W3C token, is ignored).
  baggage set(std::string_view key, std::string_view value, std::string_view properties = {}) const {
    if (!valid_key(key)) return *this;
    auto next = std::make_shared<std::vector<entry>>(entries());
    for (auto& e : *next)
      if (e.key == key) {
        e.value.assign(value.data(), value.size());
        e.properties.assign(properties.data(), properties.size());
        return baggage(std::move(next));
      }
    next->push_back(entry{std::string(key), std::string(value), std::string(properties)});
    return baggage(std::move(next));
  }
  /// A copy without `key`.
  baggage remove(std::string_view key) const {
    if (!get(key)) return *this;
    auto next = std::make_shared<std::vector<entry>>();
    for (const auto& e : entries())
      if (e.key != key) next->push_back(e);
    return baggage(std::move(next));
  }

  /// Parses a `baggage` header value (several headers joined with ','). Members that are not
  /// `token=value[;properties]` are skipped; at most max_members are kept; a later duplicate key wins.
  static baggage parse(std::string_view header) {
    baggage out;
    if (header.size() > 4 * max_header_bytes) return out;  // hostile input: ignore as a whole
    auto next = std::make_shared<std::vector<entry>>();
    std::size_t pos = 0;
    while (pos <= header.size() && next->size() < max_members) {
      auto comma = header.find(',', pos);
      if (comma == std::string_view::npos) comma = header.size();
      std::string_view member = trim(header.substr(pos, comma - pos));
      pos = comma + 1;
      if (member.empty()) {
        if (comma >= header.size()) break;
        continue;
      }
      std::string_view props;
      const auto semi = member.find(';');
      if (semi != std::string_view::npos) {
        props = trim(member.substr(semi + 1));
        member = trim(member.substr(0, semi));
      }
      const auto eq = member.find('=');
      if (eq == std::string_view::npos) continue;
      const std::string_view key = trim(member.substr(0, eq));
      std::string value;
      if (!valid_key(key) || !percent_decode(trim(member.substr(eq + 1)), value)) continue;
      bool replaced = false;
      for (auto& e : *next)
        if (e.key == key) {
          e.value = std::move(value);
          e.properties.assign(props.data(), props.size());
          replaced = true;
          break;
        }
      if (!replaced) next->push_back(entry{std::string(key), std::move(value), std::string(props)});
      if (comma >= header.size()) break;
    }
    if (!next->empty()) out.data_ = std::move(next);
    return out;
  }

  /// The `baggage` header value: values percent-encoded; members that would pass 64 members or
  /// 8192 bytes are left out. Empty when there is nothing to send.
  std::string to_header() const {
    std::string out, member;
    std::size_t count = 0;
    for (const auto& e : entries()) {
      member.assign(e.key).push_back('=');
      percent_encode(e.value, member);
      if (!e.properties.empty()) member.append(";").append(e.properties);
      const std::size_t added = member.size() + (out.empty() ? 0 : 1);
      if (count == max_members || out.size() + added > max_header_bytes) continue;
      if (!out.empty()) out.push_back(',');
      out += member;
      ++count;
    }
    return out;
  }

  /// True for an RFC 7230 token (what W3C Baggage allows as a key).
  static bool valid_key(std::string_view k) noexcept {
    if (k.empty()) return false;
    for (char c : k) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '!' ||
                      c == '#' || c == '$' || c == '%' || c == '&' || c == '\'' || c == '*' || c == '+' || c == '-' ||
                      c == '.' || c == '^' || c == '_' || c == '`' || c == '|' || c == '~';
      if (!ok) return false;
    }
    return true;
  }

  friend bool operator==(const baggage& a, const baggage& b) noexcept {
    const auto &x = a.entries(), &y = b.entries();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (x[i].key != y[i].key || x[i].value != y[i].value || x[i].properties != y[i].properties) return false;
    return true;
  }
  friend bool operator!=(const baggage& a, const baggage& b) noexcept { return !(a == b); }

 private:
  explicit baggage(std::shared_ptr<const std::vector<entry>> d) : data_(std::move(d)) {}
  static std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  }
  static int hex(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  /// Percent-decodes a baggage value; false when it holds a character W3C does not allow.
  static bool percent_decode(std::string_view v, std::string& out) {
    out.clear();
    for (std::size_t i = 0; i < v.size(); ++i) {
      const char c = v[i];
      if (c == '%') {
        const int h = i + 1 < v.size() ? hex(v[i + 1]) : -1, l = i + 2 < v.size() ? hex(v[i + 2]) : -1;
        if (h < 0 || l < 0) return false;
        out.push_back(static_cast<char>(h * 16 + l));
        i += 2;
        continue;
      }
      const auto u = static_cast<unsigned char>(c);
      if (u <= 0x20 || u == 0x22 || u == 0x2C || u == 0x3B || u == 0x5C || u >= 0x7F) return false;
      out.push_back(c);
    }
    return true;
  }
  static void percent_encode(std::string_view v, std::string& out) {
    static constexpr char digits[] = "0123456789ABCDEF";
    for (char c : v) {
      const auto u = static_cast<unsigned char>(c);
      if (u <= 0x20 || u == 0x22 || u == 0x25 || u == 0x2C || u == 0x3B || u == 0x5C || u >= 0x7F) {
        out.push_back('%');
        out.push_back(digits[u >> 4]);
        out.push_back(digits[u & 0xF]);
      } else {
        out.push_back(c);
      }
    }
  }

  std::shared_ptr<const std::vector<entry>> data_;
};

LLMTRACE_END_NAMESPACE
