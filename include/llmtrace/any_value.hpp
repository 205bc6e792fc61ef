// llmtrace/any_value.hpp: an owned, structured OTLP AnyValue (scalars, arrays of any values,
// key/value lists) for log bodies and structured log/event attributes. Spans keep the flat
// attribute_value model (attributes.hpp), so their hot path pays nothing for this.
// Thread-safety: a plain value type; distinct objects may be used from different threads.
#pragma once

#include <llmtrace/attributes.hpp>
#include <llmtrace/config.hpp>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE

/// A structured value: empty, bool, int64, double, string, an array of values or a key/value list
/// (OTLP's AnyValue, without bytesValue). Build arrays with any_value::array() and maps with any_value::kvlist(),
/// then push_back() / set(). Copying copies the whole tree; assigning into a value keeps its
/// capacity (a recycled log record's body allocates nothing once it has grown).
class any_value {
 public:
  enum class kind : std::uint8_t { empty, boolean, int64, float64, string, array, kvlist };

  any_value() noexcept = default;
  any_value(bool v) noexcept : kind_(kind::boolean) { u_.b = v; }
  template <typename T,
            std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char>, int> = 0>
  any_value(T v) noexcept : kind_(kind::int64) {
    u_.i = static_cast<std::int64_t>(v);
  }
  template <typename T, std::enable_if_t<std::is_floating_point_v<T>, int> = 0>
  any_value(T v) noexcept : kind_(kind::float64) {
    u_.d = static_cast<double>(v);
  }
  any_value(std::string_view v) : kind_(kind::string), str_(v) {}
  any_value(const char* v) : any_value(std::string_view(v ? v : "")) {}
  any_value(const std::string& v) : any_value(std::string_view(v)) {}
  any_value(std::string&& v) noexcept : kind_(kind::string), str_(std::move(v)) {}
  /// The same value as an attribute_value (arrays become arrays of scalars).
  explicit any_value(const attribute_value& v) { assign(v); }

  /// An empty array; add elements with push_back().
  static any_value array() {
    any_value v;
    v.kind_ = kind::array;
    return v;
  }
  /// An array of the given elements.
  static any_value array(std::initializer_list<any_value> items) {
    any_value v = array();
    v.items_.assign(items.begin(), items.end());
    return v;
  }
  /// An empty key/value list; add entries with set().
  static any_value kvlist() {
    any_value v;
    v.kind_ = kind::kvlist;
    return v;
  }
  /// A key/value list of the given entries, in order.
  static any_value kvlist(std::initializer_list<std::pair<std::string_view, any_value>> entries) {
    any_value v = kvlist();
    for (const auto& e : entries) v.set(e.first, e.second);
    return v;
  }
  kind type() const noexcept { return kind_; }
  bool empty() const noexcept { return kind_ == kind::empty; }
  bool as_bool() const noexcept { return kind_ == kind::boolean && u_.b; }
  std::int64_t as_int() const noexcept { return kind_ == kind::int64 ? u_.i : 0; }
  double as_double() const noexcept {
    if (kind_ == kind::float64) return u_.d;
    if (kind_ == kind::int64) return static_cast<double>(u_.i);
    return 0.0;
  }
  /// The text of a string value (empty otherwise).
  std::string_view as_string() const noexcept {
    return kind_ == kind::string ? std::string_view(str_) : std::string_view();
  }

  /// Elements of an array or entries of a kvlist (0 otherwise).
  std::size_t size() const noexcept { return kind_ == kind::array || kind_ == kind::kvlist ? items_.size() : 0; }
  /// Element `i` of an array, or the value of entry `i` of a kvlist.
  const any_value& at(std::size_t i) const noexcept { return items_[i]; }
  /// The key of entry `i` of a kvlist.
  std::string_view key_at(std::size_t i) const noexcept { return keys_[i]; }
  /// The value of `key` in a kvlist, or nullptr.
  const any_value* find(std::string_view key) const noexcept {
    if (kind_ != kind::kvlist) return nullptr;
    for (std::size_t i = 0; i < keys_.size(); ++i)
      if (keys_[i] == key) return &items_[i];
    return nullptr;
  }

  /// Appends to an array (an empty value becomes an array first).
  any_value& push_back(any_value v) {
    if (kind_ == kind::empty) kind_ = kind::array;
    items_.push_back(std::move(v));
    return items_.back();
  }
  /// Sets `key` in a kvlist, replacing an earlier value (an empty value becomes a kvlist first).
  any_value& set(std::string_view key, any_value v) {
    if (kind_ == kind::empty) kind_ = kind::kvlist;
    for (std::size_t i = 0; i < keys_.size(); ++i)
      if (keys_[i] == key) return items_[i] = std::move(v);
    keys_.emplace_back(key);
    items_.push_back(std::move(v));
    return items_.back();
  }

  /// Makes this value a string, reusing its capacity.
  void assign_string(std::string_view s) {
    clear();
    kind_ = kind::string;
    str_.assign(s.data(), s.size());
  }
  /// Makes this value a copy of `v`, reusing its capacity.
  void assign(const attribute_value& v) {
    clear();
    switch (v.type()) {
      case value_type::boolean:
        *this = any_value(v.as_bool());
        return;
      case value_type::int64:
        *this = any_value(v.as_int());
        return;
      case value_type::float64:
        *this = any_value(v.as_double());
        return;
      case value_type::string:
        assign_string(v.as_string());
        return;
      default:
        break;
    }
    kind_ = kind::array;
    for (std::size_t i = 0; i < v.size(); ++i) {
      switch (v.type()) {
        case value_type::bool_array:
          items_.emplace_back(v.bool_at(i));
          break;
        case value_type::int64_array:
          items_.emplace_back(v.int_at(i));
          break;
        case value_type::float64_array:
          items_.emplace_back(v.double_at(i));
          break;
        default:
          items_.emplace_back(v.string_at(i));
          break;
      }
    }
  }
  /// Back to empty, keeping capacity.
  void clear() noexcept {
    kind_ = kind::empty;
    str_.clear();
    keys_.clear();
    items_.clear();
  }
  /// Frees memory grown past `max_bytes` (strings) or `max_items` (containers).
  void trim(std::size_t max_bytes, std::size_t max_items) {
    if (str_.capacity() > max_bytes) std::string().swap(str_);
    if (items_.capacity() > max_items) std::vector<any_value>().swap(items_);
    if (keys_.capacity() > max_items) std::vector<std::string>().swap(keys_);
  }

  friend bool operator==(const any_value& a, const any_value& b) noexcept {
    if (a.kind_ != b.kind_) return false;
    switch (a.kind_) {
      case kind::empty:
        return true;
      case kind::boolean:
        return a.u_.b == b.u_.b;
      case kind::int64:
        return a.u_.i == b.u_.i;
      case kind::float64:
        return a.u_.d == b.u_.d;
      case kind::string:
        return a.str_ == b.str_;
      default:
        return a.keys_ == b.keys_ && a.items_ == b.items_;
    }
  }
  friend bool operator!=(const any_value& a, const any_value& b) noexcept { return !(a == b); }

 private:
  kind kind_ = kind::empty;
  union {
    bool b;
    std::int64_t i;
    double d;
  } u_{};
  std::string str_;
  std::vector<std::string> keys_;  // kvlist keys, parallel to items_
  std::vector<any_value> items_;   // array elements or kvlist values
};

/// A key and a structured value (a log record's attribute that does not fit attribute_value).
struct any_attribute {
  std::string key;
  any_value value;
};

LLMTRACE_END_NAMESPACE
