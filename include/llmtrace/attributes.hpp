// llmtrace/attributes.hpp: typed attribute values (bool, int64, double, string and arrays of these),
// the limits that bound them, and the arena store a span keeps them in.
// Thread-safety: values are non-owning views; a store belongs to one span and is not shared.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/detail/cache_hint.hpp>
#include <llmtrace/detail/utf8.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE

enum class value_type : std::uint8_t {
  boolean,
  int64,
  float64,
  string,
  bool_array,
  int64_array,
  float64_array,
  string_array,
};

/// A non-owning, typed attribute value. Built implicitly from the value you set; read back from a
/// finished span. A view into a span stays valid until that span's attributes change.
class attribute_value {
 public:
  attribute_value() noexcept : type_(value_type::boolean) { u_.b = false; }
  attribute_value(bool v) noexcept : type_(value_type::boolean) { u_.b = v; }
  template <typename T,
            std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char>, int> = 0>
  attribute_value(T v) noexcept : type_(value_type::int64) {
    u_.i = static_cast<std::int64_t>(v);
  }
  template <typename T, std::enable_if_t<std::is_floating_point_v<T>, int> = 0>
  attribute_value(T v) noexcept : type_(value_type::float64) {
    u_.d = static_cast<double>(v);
  }
  attribute_value(std::string_view v) noexcept : type_(value_type::string) { set_str(v.data(), v.size()); }
  attribute_value(const char* v) noexcept : attribute_value(std::string_view(v ? v : "")) {}
  attribute_value(const std::string& v) noexcept : attribute_value(std::string_view(v)) {}

  attribute_value(const std::vector<std::string>& v) noexcept
      : attribute_value(value_type::string_array, v.data(), v.size(), repr_std_string) {}
  attribute_value(const std::vector<std::string_view>& v) noexcept
      : attribute_value(value_type::string_array, v.data(), v.size(), repr_string_view) {}
  attribute_value(std::initializer_list<std::string_view> v) noexcept
      : attribute_value(value_type::string_array, v.begin(), v.size(), repr_string_view) {}
  attribute_value(const std::vector<std::int64_t>& v) noexcept
      : attribute_value(value_type::int64_array, v.data(), v.size(), repr_plain) {}
  attribute_value(std::initializer_list<std::int64_t> v) noexcept
      : attribute_value(value_type::int64_array, v.begin(), v.size(), repr_plain) {}
  attribute_value(const std::vector<double>& v) noexcept
      : attribute_value(value_type::float64_array, v.data(), v.size(), repr_plain) {}
  attribute_value(std::initializer_list<double> v) noexcept
      : attribute_value(value_type::float64_array, v.begin(), v.size(), repr_plain) {}
  attribute_value(const std::vector<bool>& v) noexcept
      : attribute_value(value_type::bool_array, &v, v.size(), repr_vector_bool) {}

  value_type type() const noexcept { return type_; }
  bool is_array() const noexcept { return type_ >= value_type::bool_array; }

  bool as_bool() const noexcept { return type_ == value_type::boolean && u_.b; }
  /// The integer value (0 unless type() is int64).
  std::int64_t as_int() const noexcept { return type_ == value_type::int64 ? u_.i : 0; }
  /// The double value (int64 values convert; 0 for other types).
  double as_double() const noexcept {
    if (type_ == value_type::float64) return u_.d;
    if (type_ == value_type::int64) return static_cast<double>(u_.i);
    return 0.0;
  }
  /// The string value (empty unless type() is string).
  std::string_view as_string() const noexcept {
    return type_ == value_type::string ? std::string_view(u_.s.p, u_.s.n) : std::string_view();
  }

  /// Number of elements of an array value (0 for scalars).
  std::size_t size() const noexcept { return is_array() ? u_.a.n : 0; }
  bool bool_at(std::size_t i) const noexcept {
    if (u_.a.repr == repr_vector_bool) return (*static_cast<const std::vector<bool>*>(u_.a.p))[i];
    return static_cast<const bool*>(u_.a.p)[i];
  }
  std::int64_t int_at(std::size_t i) const noexcept {
    std::int64_t v;
    std::memcpy(&v, static_cast<const char*>(u_.a.p) + i * sizeof v, sizeof v);
    return v;
  }
  double double_at(std::size_t i) const noexcept {
    double v;
    std::memcpy(&v, static_cast<const char*>(u_.a.p) + i * sizeof v, sizeof v);
    return v;
  }
  std::string_view string_at(std::size_t i) const noexcept {
    switch (u_.a.repr) {
      case repr_std_string:
        return static_cast<const std::string*>(u_.a.p)[i];
      case repr_string_view:
        return static_cast<const std::string_view*>(u_.a.p)[i];
      default: {  // packed in a span's arena: (offset, length) pairs relative to the arena base
        std::uint32_t ol[2];
        std::memcpy(ol, static_cast<const char*>(u_.a.p) + i * sizeof ol, sizeof ol);
        return std::string_view(u_.a.base + ol[0], ol[1]);
      }
    }
  }

  /// Internal: a view of values packed in an arena (used by attribute stores).
  static attribute_value packed(value_type t, const void* p, std::size_t n, const char* base) noexcept {
    attribute_value v(t, p, n, repr_packed);
    v.u_.a.base = base;
    return v;
  }

 private:
  enum : std::uint8_t { repr_plain, repr_std_string, repr_string_view, repr_vector_bool, repr_packed };
  attribute_value(value_type t, const void* p, std::size_t n, std::uint8_t repr) noexcept : type_(t) {
    u_.a.p = p;
    u_.a.n = n;
    u_.a.repr = repr;
    u_.a.base = nullptr;
  }
  void set_str(const char* p, std::size_t n) noexcept {
    u_.s.p = p;
    u_.s.n = n;
  }

  value_type type_;
  union {
    bool b;
    std::int64_t i;
    double d;
    struct {
      const char* p;
      std::size_t n;
    } s;
    struct {
      const void* p;
      const char* base;
      std::size_t n;
      std::uint8_t repr;
    } a;
  } u_;
};

/// A key and a value, e.g. `{semconv::gen_ai_request_model, "llama3.2"}`.
struct attribute {
  std::string_view key;
  attribute_value value;
};

/// A borrowed list of attributes: pass `{{"k", 1}, {"k2", "v"}}` or a std::vector<attribute> as a
/// function argument. It views storage it does not own, like std::string_view: a braced list lives
/// until the end of the full expression, which is the whole call it is passed to. Storing one in a
/// variable that outlives the statement would dangle, so assigning a braced list (or a temporary
/// vector) to an attribute_list is a compile error: keep a std::vector<attribute> alive instead.
class attribute_list {
 public:
  attribute_list() noexcept = default;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winit-list-lifetime"
#endif
  // Safe as a function parameter (the list lives for the call); GCC warns on every such constructor.
  attribute_list(std::initializer_list<attribute> l) noexcept : p_(l.begin()), n_(l.size()) {}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
  attribute_list(const attribute_list&) noexcept = default;
  attribute_list& operator=(const attribute_list&) noexcept = default;
  /// `options.attributes = {{"k", 42}};` would leave a dangling list at the `;`.
  attribute_list& operator=(std::initializer_list<attribute>) = delete;
  /// `options.attributes = std::vector<attribute>{...};` too: the vector dies at the `;`.
  attribute_list& operator=(std::vector<attribute>&&) = delete;
  attribute_list(const std::vector<attribute>& v) noexcept : p_(v.data()), n_(v.size()) {}
  attribute_list(const attribute* p, std::size_t n) noexcept : p_(p), n_(n) {}
  const attribute* begin() const noexcept { return p_; }
  const attribute* end() const noexcept { return p_ + n_; }
  std::size_t size() const noexcept { return n_; }
  bool empty() const noexcept { return n_ == 0; }

 private:
  const attribute* p_ = nullptr;
  std::size_t n_ = 0;
};

/// Attribute limits (OpenTelemetry SDK semantics). A value length counts characters; strings and
/// each string of a string array are truncated to it. Attributes past the count are dropped and counted.
struct span_limits {
  static constexpr std::uint32_t unlimited = std::numeric_limits<std::uint32_t>::max();
  std::uint32_t attribute_count = 128;
  std::uint32_t attribute_value_length = unlimited;
  std::uint32_t event_count = 128;
  std::uint32_t link_count = 128;
  std::uint32_t event_attribute_count = 128;
  std::uint32_t link_attribute_count = 128;
};

namespace detail {

/// memcpy for the short strings of the span hot path (names, keys, values of a few dozen bytes):
/// fixed-size copies the compiler inlines, overlapping at the ends, instead of a call into libc.
inline void copy_bytes(char* dst, const char* src, std::size_t n) noexcept {
  if (n >= 16 && n <= 32) {
    char head[16], tail[16];
    std::memcpy(head, src, 16);
    std::memcpy(tail, src + n - 16, 16);
    std::memcpy(dst, head, 16);
    std::memcpy(dst + n - 16, tail, 16);
  } else if (n >= 8 && n < 16) {
    std::uint64_t head, tail;
    std::memcpy(&head, src, 8);
    std::memcpy(&tail, src + n - 8, 8);
    std::memcpy(dst, &head, 8);
    std::memcpy(dst + n - 8, &tail, 8);
  } else if (n > 32) {
    std::memcpy(dst, src, n);
  } else {
    for (std::size_t i = 0; i < n; ++i) dst[i] = src[i];
  }
}

/// A growable byte buffer with an inline append fast path (std::string's append is an out-of-line
/// call with more checks; this is the span hot path). Copyable; keeps its capacity when cleared.
class byte_buffer {
 public:
  byte_buffer() noexcept = default;
  byte_buffer(const byte_buffer& o) { append(o.data_.get(), o.size_); }
  byte_buffer& operator=(const byte_buffer& o) {
    if (this != &o) {
      size_ = 0;
      append(o.data_.get(), o.size_);
    }
    return *this;
  }
  byte_buffer(byte_buffer&&) noexcept = default;
  byte_buffer& operator=(byte_buffer&&) noexcept = default;

  const char* data() const noexcept { return data_.get(); }
  char* data() noexcept { return data_.get(); }
  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return cap_; }
  void clear() noexcept { size_ = 0; }
  void release() noexcept {
    data_.reset();
    size_ = cap_ = 0;
  }

  /// Room for `n` more bytes; returns where they go (size grows by n).
  char* extend(std::size_t n) {
    if (LLMTRACE_UNLIKELY(size_ + n > cap_)) grow(size_ + n);
    char* p = data_.get() + size_;
    size_ += n;
    return p;
  }
  void append(const char* p, std::size_t n) {
    if (n) copy_bytes(extend(n), p, n);
  }
  void push_back(char c) { *extend(1) = c; }

 private:
  LLMTRACE_NOINLINE void grow(std::size_t need) {
    std::size_t cap = cap_ ? cap_ * 2 : 256;
    while (cap < need) cap *= 2;
    std::unique_ptr<char[]> fresh(new char[cap]);
    if (size_) std::memcpy(fresh.get(), data_.get(), size_);
    data_ = std::move(fresh);
    cap_ = cap;
  }
  std::unique_ptr<char[]> data_;
  std::size_t size_ = 0;
  std::size_t cap_ = 0;
};

/// Where one attribute's key and value live inside a store's arena.
struct attr_slot {
  std::uint32_t key_off;
  std::uint32_t key_len;
  std::uint32_t count;  // string bytes, or array elements
  value_type type;
  union {
    bool b;
    std::int64_t i;
    double d;
    std::uint32_t off;
  } v;
};

/// Attributes packed into one growing buffer: once a recycled store has grown to its working size,
/// setting attributes allocates nothing.
class attribute_store {
 public:
  /// Sets `key` (replacing an earlier value of the same key). Returns false when the count limit
  /// dropped it (counted in dropped()). Strings are repaired and truncated to `max_len` characters.
  bool set(std::string_view key, const attribute_value& value, std::uint32_t max_count, std::uint32_t max_len) {
    if (key.empty()) return false;
    // A key not seen yet (its filter bit clear: the usual case) skips the scan for a duplicate.
    const std::uint64_t bit = key_bit(key);
    attr_slot* slot = (key_filter_ & bit) ? find_slot(key) : nullptr;
    if (!slot) {
      if (slots_.size() >= max_count) {
        ++dropped_;
        return false;
      }
      key_filter_ |= bit;
      // Filled in place: a slot built on the stack and copied in is read back right after its
      // fields were stored, which stalls the copy.
      const auto key_len = static_cast<std::uint32_t>(key.size());
      const std::string_view str = value.as_string();
      if (value.type() == value_type::string && is_ascii(str)) {
        // The usual case in one piece: key and value copied into the arena with one size check.
        const std::size_t n = str.size() < max_len ? str.size() : max_len;
        const auto key_off = static_cast<std::uint32_t>(arena_.size());
        char* d = arena_.extend(key.size() + n);
        copy_bytes(d, key.data(), key.size());
        copy_bytes(d + key.size(), str.data(), n);
        attr_slot& fresh = slots_.emplace_back();
        fresh.key_off = key_off;
        fresh.key_len = key_len;
        fresh.type = value_type::string;
        fresh.v.off = key_off + key_len;
        fresh.count = static_cast<std::uint32_t>(n);
        return true;
      }
      const std::uint32_t key_off = put(key);
      slot = &slots_.emplace_back();
      slot->key_off = key_off;
      slot->key_len = key_len;
    }
    store_value(*slot, value, max_len);
    return true;
  }

  /// Asks the CPU to bring the store's buffers into cache (a recycled span's, before it is filled).
  void prefetch_for_write() const noexcept {
    detail::prefetch_lines_for_write(slots_.data(), std::min<std::size_t>(slots_.capacity() * sizeof(attr_slot), 256));
    detail::prefetch_lines_for_write(arena_.data(), std::min<std::size_t>(arena_.capacity(), 512));
  }

  /// Asks the CPU to bring the lines in use into cache ahead of reading them (an encoder, a record
  /// or two ahead).
  void prefetch_for_read() const noexcept {
    detail::prefetch_lines_for_read(slots_.data(), slots_.size() * sizeof(attr_slot));
    detail::prefetch_lines_for_read(arena_.data(), arena_.size());
  }

  /// The value for `key`, or nullptr-like empty optional semantics via `found`.
  bool find(std::string_view key, attribute_value& out) const noexcept {
    for (const auto& s : slots_)
      if (key_of(s) == key) {
        out = value_of(s);
        return true;
      }
    return false;
  }

  std::size_t size() const noexcept { return slots_.size(); }
  bool empty() const noexcept { return slots_.empty(); }
  std::uint32_t dropped() const noexcept { return dropped_; }
  void add_dropped(std::uint32_t n) noexcept { dropped_ += n; }

  std::string_view key_of(const attr_slot& s) const noexcept {
    return std::string_view(arena_.data() + s.key_off, s.key_len);
  }
  attribute_value value_of(const attr_slot& s) const noexcept {
    const char* base = arena_.data();
    switch (s.type) {
      case value_type::boolean:
        return attribute_value(s.v.b);
      case value_type::int64:
        return attribute_value(s.v.i);
      case value_type::float64:
        return attribute_value(s.v.d);
      case value_type::string:
        return attribute_value(std::string_view(base + s.v.off, s.count));
      default:
        return attribute_value::packed(s.type, base + s.v.off, s.count, base);
    }
  }

  /// Iteration yields `attribute` views (key and value) in insertion order.
  class iterator {
   public:
    iterator(const attribute_store* st, std::size_t i) noexcept : st_(st), i_(i) {}
    attribute operator*() const noexcept {
      const auto& s = st_->slots_[i_];
      return attribute{st_->key_of(s), st_->value_of(s)};
    }
    iterator& operator++() noexcept {
      ++i_;
      return *this;
    }
    bool operator!=(const iterator& o) const noexcept { return i_ != o.i_; }
    bool operator==(const iterator& o) const noexcept { return i_ == o.i_; }

   private:
    const attribute_store* st_;
    std::size_t i_;
  };
  iterator begin() const noexcept { return iterator(this, 0); }
  iterator end() const noexcept { return iterator(this, slots_.size()); }

  /// Empties the store, keeping its capacity for reuse.
  void clear() noexcept {
    slots_.clear();
    arena_.clear();
    dropped_ = 0;
    key_filter_ = 0;
  }
  /// Releases memory when a one-off huge span grew the buffers far past the usual working size.
  void trim(std::size_t max_bytes) {
    if (arena_.capacity() > max_bytes) arena_.release();
    if (slots_.capacity() * sizeof(attr_slot) > max_bytes) std::vector<attr_slot>().swap(slots_);
  }

 private:
  /// One of 64 bits for a key (from its length and two of its bytes): a key whose bit is clear in
  /// key_filter_ is certainly not in the store yet.
  static std::uint64_t key_bit(std::string_view key) noexcept {
    const auto first = static_cast<unsigned char>(key.front());
    const auto last = static_cast<unsigned char>(key.back());
    return std::uint64_t{1} << ((key.size() * 7 + first + last * 3) & 63);
  }
  attr_slot* find_slot(std::string_view key) noexcept {
    for (auto& s : slots_)
      if (s.key_len == key.size() && std::memcmp(arena_.data() + s.key_off, key.data(), key.size()) == 0) return &s;
    return nullptr;
  }
  std::uint32_t put(std::string_view s) {
    const auto off = static_cast<std::uint32_t>(arena_.size());
    arena_.append(s.data(), s.size());
    return off;
  }
  std::uint32_t put_sanitized(std::string_view s, std::uint32_t max_len, std::uint32_t& len) {
    const auto off = static_cast<std::uint32_t>(arena_.size());
    if (LLMTRACE_LIKELY(is_ascii(s))) {
      const std::size_t n = s.size() < max_len ? s.size() : max_len;
      arena_.append(s.data(), n);
    } else {
      std::string repaired;
      append_utf8(repaired, s, max_len);
      arena_.append(repaired.data(), repaired.size());
    }
    len = static_cast<std::uint32_t>(arena_.size() - off);
    return off;
  }
  std::uint32_t align(std::size_t a) {
    while (arena_.size() % a) arena_.push_back('\0');
    return static_cast<std::uint32_t>(arena_.size());
  }
  void store_value(attr_slot& slot, const attribute_value& v, std::uint32_t max_len) {
    slot.type = v.type();
    const auto n = static_cast<std::uint32_t>(v.size());
    switch (v.type()) {
      case value_type::boolean:
        slot.v.b = v.as_bool();
        slot.count = 0;
        break;
      case value_type::int64:
        slot.v.i = v.as_int();
        slot.count = 0;
        break;
      case value_type::float64:
        slot.v.d = v.as_double();
        slot.count = 0;
        break;
      case value_type::string:
        slot.v.off = put_sanitized(v.as_string(), max_len, slot.count);
        break;
      case value_type::bool_array: {
        slot.v.off = static_cast<std::uint32_t>(arena_.size());
        for (std::uint32_t k = 0; k < n; ++k) arena_.push_back(v.bool_at(k) ? '\1' : '\0');
        slot.count = n;
        break;
      }
      case value_type::int64_array:
      case value_type::float64_array: {
        slot.v.off = align(8);
        for (std::uint32_t k = 0; k < n; ++k) {
          char raw[8];
          if (v.type() == value_type::int64_array) {
            const std::int64_t x = v.int_at(k);
            std::memcpy(raw, &x, 8);
          } else {
            const double x = v.double_at(k);
            std::memcpy(raw, &x, 8);
          }
          arena_.append(raw, 8);
        }
        slot.count = n;
        break;
      }
      case value_type::string_array: {
        // A table of (offset, length) pairs, then the strings themselves.
        const std::uint32_t table = align(4);
        std::memset(arena_.extend(static_cast<std::size_t>(n) * 8), 0, static_cast<std::size_t>(n) * 8);
        for (std::uint32_t k = 0; k < n; ++k) {
          std::uint32_t len = 0;
          const std::uint32_t off = put_sanitized(v.string_at(k), max_len, len);
          const std::uint32_t ol[2] = {off, len};
          std::memcpy(arena_.data() + table + k * 8, ol, 8);
        }
        slot.v.off = table;
        slot.count = n;
        break;
      }
    }
  }

  std::vector<attr_slot> slots_;
  byte_buffer arena_;
  std::uint32_t dropped_ = 0;
  std::uint64_t key_filter_ = 0;  // the key_bit of every key stored
};

}  // namespace detail

LLMTRACE_END_NAMESPACE
