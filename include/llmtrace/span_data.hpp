// llmtrace/span_data.hpp: the record of one span (identity, name, kind, times, attributes, events,
// links, status, dropped counts) as processors and exporters read it, plus the resource and the
// instrumentation scope it belongs to. Thread-safety: a record is written by the thread that owns the
// span until it ends, then read by one processor/exporter at a time.
#pragma once

#include <llmtrace/attributes.hpp>
#include <llmtrace/config.hpp>
#include <llmtrace/detail/pool_link.hpp>
#include <llmtrace/ids.hpp>

#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE

/// OTLP span kinds (the numeric values are OTLP's).
enum class span_kind : std::uint8_t {
  unspecified = 0,
  internal = 1,
  server = 2,
  client = 3,
  producer = 4,
  consumer = 5
};

/// OTLP status codes: unset (default), ok, error.
enum class status_code : std::uint8_t { unset = 0, ok = 1, error = 2 };

inline std::string_view to_string(span_kind k) noexcept {
  switch (k) {
    case span_kind::internal:
      return "internal";
    case span_kind::server:
      return "server";
    case span_kind::client:
      return "client";
    case span_kind::producer:
      return "producer";
    case span_kind::consumer:
      return "consumer";
    default:
      return "unspecified";
  }
}
inline std::string_view to_string(status_code c) noexcept {
  switch (c) {
    case status_code::ok:
      return "ok";
    case status_code::error:
      return "error";
    default:
      return "unset";
  }
}

/// W3C trace flags: bit 0 is "sampled".
inline constexpr std::uint8_t trace_flag_sampled = 0x01;

/// The identity of a span as it propagates: ids, flags, and whether it came from another process.
struct span_context {
  llmtrace::trace_id trace_id{};
  llmtrace::span_id span_id{};
  std::uint8_t trace_flags = 0;
  bool is_remote = false;

  bool valid() const noexcept { return trace_id.valid() && span_id.valid(); }
  bool sampled() const noexcept { return (trace_flags & trace_flag_sampled) != 0; }
};

namespace detail {
/// The invalid context: the parent of a root span.
inline constexpr span_context no_span_context{};

/// Keeps `v` in a general-purpose register at this point: the compiler cannot merge it with a
/// neighbouring 8-byte load into one 16-byte load. A 16-byte load of two 8-byte values stored a moment
/// before cannot be forwarded from those stores and waits for them to reach the cache.
template <typename T>
inline void keep_as_word(T& v) noexcept {
#if defined(__GNUC__) || defined(__clang__)
  __asm__("" : "+r"(v));
#else
  (void)v;
#endif
}

/// `dst = src` with loads as wide as the stores that just wrote `src` (8-byte words, then bytes).
/// The plain assignment copies the 26 bytes with two overlapping 16-byte loads; on a context whose ids
/// were stored a moment before as 8-byte words (span::start), neither load can be forwarded from those
/// stores and each waits for them to reach the cache (about 60% of push_context in a profile of the
/// unsampled span).
inline void copy_span_context(span_context& dst, const span_context& src) noexcept {
  std::uint64_t t0, t1, s;
  std::memcpy(&t0, src.trace_id.bytes.data(), 8);
  std::memcpy(&t1, src.trace_id.bytes.data() + 8, 8);
  std::memcpy(&s, src.span_id.bytes.data(), 8);
  keep_as_word(t0);
  keep_as_word(t1);
  keep_as_word(s);
  std::memcpy(dst.trace_id.bytes.data(), &t0, 8);
  std::memcpy(dst.trace_id.bytes.data() + 8, &t1, 8);
  std::memcpy(dst.span_id.bytes.data(), &s, 8);
  dst.trace_flags = src.trace_flags;
  dst.is_remote = src.is_remote;
}
}  // namespace detail

/// A set of attributes owned by a resource, a scope, an event or a link; iterate to read them.
class attribute_set {
 public:
  attribute_set() = default;
  attribute_set(attribute_list attrs, std::uint32_t max_count = span_limits::unlimited,
                std::uint32_t max_len = span_limits::unlimited) {
    for (const auto& a : attrs) set(a.key, a.value, max_count, max_len);
  }
  bool set(std::string_view key, const attribute_value& v, std::uint32_t max_count = span_limits::unlimited,
           std::uint32_t max_len = span_limits::unlimited) {
    return store_.set(key, v, max_count, max_len);
  }
  /// True and `out` set when `key` is present.
  bool find(std::string_view key, attribute_value& out) const noexcept { return store_.find(key, out); }
  /// The string value of `key`, or empty.
  std::string_view get_string(std::string_view key) const noexcept {
    attribute_value v;
    return find(key, v) ? v.as_string() : std::string_view();
  }
  bool contains(std::string_view key) const noexcept {
    attribute_value v;
    return find(key, v);
  }
  std::size_t size() const noexcept { return store_.size(); }
  bool empty() const noexcept { return store_.empty(); }
  std::uint32_t dropped() const noexcept { return store_.dropped(); }
  auto begin() const noexcept { return store_.begin(); }
  auto end() const noexcept { return store_.end(); }
  void clear() noexcept { store_.clear(); }
  void trim(std::size_t max_bytes) { store_.trim(max_bytes); }
  /// Brings the set's buffers into cache ahead of filling it again (see detail::record_pool).
  void prefetch_for_write() const noexcept { store_.prefetch_for_write(); }
  /// Asks the CPU to bring the set's buffers into cache ahead of reading them (an encoder, a record
  /// or two ahead).
  void prefetch_for_read() const noexcept { store_.prefetch_for_read(); }
  void add_dropped(std::uint32_t n) noexcept { store_.add_dropped(n); }

 private:
  detail::attribute_store store_;
};

/// The entity producing telemetry: `service.name`, `telemetry.sdk.*` and the like.
struct resource {
  attribute_set attributes;
  std::string schema_url;
};

/// The instrumentation scope (library) that created a span.
struct instrumentation_scope {
  std::string name;
  std::string version;
  std::string schema_url;
  attribute_set attributes;
};

namespace detail {

/// What a provider's records point to: its resource and its instrumentation scopes. Providers own it
/// through a shared_ptr and hand a reference to their processors (`retain_while_exporting`), so an
/// export worker abandoned by a timed-out shutdown never reads a destroyed provider's resource or
/// scopes. Thread-safety: `resource` is immutable; `scope()` locks.
class provider_identity {
 public:
  explicit provider_identity(llmtrace::resource r) : resource_(std::move(r)) {}
  const llmtrace::resource& resource() const noexcept { return resource_; }
  /// The scope with this name, version and schema URL, created on first use; its address is stable.
  const instrumentation_scope& scope(std::string_view name, std::string_view version, std::string_view schema_url) {
    std::lock_guard<std::mutex> lk(mu_);
    for (const auto& s : scopes_)
      if (s.name == name && s.version == version && s.schema_url == schema_url) return s;
    scopes_.push_back(instrumentation_scope{std::string(name), std::string(version), std::string(schema_url), {}});
    return scopes_.back();
  }

 private:
  llmtrace::resource resource_;
  std::mutex mu_;
  std::deque<instrumentation_scope> scopes_;
};

}  // namespace detail

/// A timestamped event on a span (e.g. an exception).
struct span_event {
  std::string name;
  std::int64_t time_unix_nano = 0;
  attribute_set attributes;
};

/// A link to another span (e.g. a batch that several traces fed).
struct span_link {
  span_context context;
  std::string trace_state;
  attribute_set attributes;
};

/// The record of one span. Exporters receive it read-only; the SDK recycles records after export,
/// so copy what you keep (span_data is copyable).
class span_data {
 public:
  span_context context;           ///< this span's ids and flags
  span_id parent_span_id{};       ///< all-zero for a root span
  bool parent_is_remote = false;  ///< the parent came from another process (traceparent)
  std::string trace_state;        ///< W3C tracestate, inherited from the parent
  span_kind kind = span_kind::internal;
  status_code status = status_code::unset;
  std::string status_message;  ///< only with status_code::error
  std::int64_t start_time_unix_nano = 0;
  std::int64_t end_time_unix_nano = 0;
  attribute_set attributes;
  std::vector<span_event> events;
  std::vector<span_link> links;
  std::uint32_t dropped_events_count = 0;
  std::uint32_t dropped_links_count = 0;
  const llmtrace::resource* resource = nullptr;  ///< owned by the tracer provider
  const instrumentation_scope* scope = nullptr;  ///< owned by the tracer provider
  bool recorded_sampled = true;  ///< false for record-only spans (processors see them, exporters do not)

  std::string_view name() const noexcept {
    return name_len_ <= inline_name ? std::string_view(name_inline_, name_len_) : std::string_view(name_long_);
  }
  void set_name(std::string_view n) {
    if (LLMTRACE_LIKELY(n.size() <= inline_name)) {
      detail::copy_bytes(name_inline_, n.data(), n.size());
    } else {
      name_long_.assign(n.data(), n.size());
    }
    name_len_ = static_cast<std::uint32_t>(n.size() <= inline_name ? n.size() : inline_name + 1);
  }
  bool has_parent() const noexcept { return parent_span_id.valid(); }
  /// end - start, saturated at the int64 limits (times set through the API can be anything).
  std::int64_t duration_ns() const noexcept {
    const std::int64_t a = end_time_unix_nano, b = start_time_unix_nano;
    if (b < 0 ? a > INT64_MAX + b : a < INT64_MIN + b) return b < 0 ? INT64_MAX : INT64_MIN;
    return a - b;
  }
  std::uint32_t dropped_attributes_count() const noexcept { return attributes.dropped(); }

  /// Resets the record for reuse while keeping the memory it grew.
  void reset() noexcept {
    context = {};
    parent_span_id = {};
    parent_is_remote = false;
    trace_state.clear();
    kind = span_kind::internal;
    status = status_code::unset;
    status_message.clear();
    start_time_unix_nano = end_time_unix_nano = 0;
    attributes.clear();
    events.clear();
    links.clear();
    dropped_events_count = dropped_links_count = 0;
    resource = nullptr;
    scope = nullptr;
    recorded_sampled = true;
    name_len_ = 0;
  }
  /// Brings the buffers a new span fills first into cache (called by the pool as it hands out a record).
  void prefetch_for_write() const noexcept { attributes.prefetch_for_write(); }
  /// Asks the CPU to bring the record into cache ahead of reading it: stage 0 the record itself,
  /// stage 1 (later: it reads the record) the buffers it points to.
  void prefetch_for_read(int stage) const noexcept {
    if (stage == 0) {
      detail::prefetch_lines_for_read(this, sizeof(*this));
    } else {
      attributes.prefetch_for_read();
    }
  }
  /// Frees memory grown far past the usual working size (one huge prompt must not pin megabytes).
  void trim() {
    constexpr std::size_t keep = 64 * 1024;
    attributes.trim(keep);
    if (name_long_.capacity() > keep) std::string().swap(name_long_);
    if (events.capacity() > 256) std::vector<span_event>().swap(events);
    if (links.capacity() > 256) std::vector<span_link>().swap(links);
    if (status_message.capacity() > keep) std::string().swap(status_message);
  }

 private:
  template <typename Record>
  friend class detail::record_pool;
  // The name: inside the record when short (the usual case: no heap block to touch, no call into
  // std::string on the hot path), else in name_long_ (name_len_ is then inline_name + 1).
  static constexpr std::uint32_t inline_name = 48;
  std::uint32_t name_len_ = 0;
  char name_inline_[inline_name] = {};
  std::string name_long_;
  detail::pool_link pool_link_;
};

LLMTRACE_END_NAMESPACE
