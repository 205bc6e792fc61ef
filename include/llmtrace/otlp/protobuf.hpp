// llmtrace/otlp/protobuf.hpp: OTLP protobuf encoding of finished spans (ExportTraceServiceRequest)
// with a small wire writer of our own (standard headers only, no libprotobuf, no generated code), and
// decoders for the collector's answers (ExportTraceServiceResponse, google.rpc.Status).
// Thread-safety: pure functions; each call uses only its arguments and per-thread scratch space.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/detail/utf8.hpp>
#include <llmtrace/exporter.hpp>
#include <llmtrace/otlp/detail/encoding_common.hpp>
#include <llmtrace/span_data.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE

namespace detail {
namespace pb {

/// Protobuf wire types.
enum wire_type : std::uint32_t { wire_varint = 0, wire_fixed64 = 1, wire_len = 2, wire_fixed32 = 5 };

/// Bytes a base-128 varint of `v` takes (1..10).
constexpr std::size_t varint_size(std::uint64_t v) noexcept {
#if defined(__GNUC__) || defined(__clang__)
  const auto bits = static_cast<std::size_t>(64 - __builtin_clzll(v | 1));
  return (bits * 9 + 64) / 64;
#else
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
#endif
}

/// Bytes of the tag of field `number` (any wire type).
constexpr std::size_t tag_size(std::uint32_t number) noexcept { return varint_size(std::uint64_t{number} << 3); }

/// Bytes of a whole length-delimited field whose payload is `n` bytes.
constexpr std::size_t len_field_size(std::uint32_t number, std::size_t n) noexcept {
  return tag_size(number) + varint_size(n) + n;
}

/// A string as it may be sent: itself when it is valid UTF-8 (the common, allocation-free case),
/// else a repaired copy with invalid sequences replaced by U+FFFD.
class utf8_text {
 public:
  explicit utf8_text(std::string_view s) : view_(s) {
    if (LLMTRACE_UNLIKELY(!::llmtrace::detail::is_ascii(s)) && !::llmtrace::detail::is_valid_utf8(s)) {
      repaired_ = std::make_unique<std::string>(::llmtrace::detail::sanitize_utf8(s));
      view_ = *repaired_;
    }
  }
  std::string_view view() const noexcept { return view_; }

 private:
  std::string_view view_;
  std::unique_ptr<std::string> repaired_;
};

// ---- unchecked stores at a cursor (the caller has made room) ----

inline char* put_varint(char* p, std::uint64_t v) noexcept {
  while (v >= 0x80) {
    *p++ = static_cast<char>(static_cast<unsigned char>(v | 0x80));
    v >>= 7;
  }
  *p++ = static_cast<char>(static_cast<unsigned char>(v));
  return p;
}
inline char* put_tag(char* p, std::uint32_t number, wire_type wt) noexcept {
  return put_varint(p, (std::uint64_t{number} << 3) | wt);
}
inline char* put_fixed(char* p, std::uint64_t v, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<char>(static_cast<unsigned char>(v >> (8 * i)));
  return p + n;
}
inline char* put_varint_field(char* p, std::uint32_t number, std::uint64_t v) noexcept {
  return put_varint(put_tag(p, number, wire_varint), v);
}
inline char* put_fixed64_field(char* p, std::uint32_t number, std::uint64_t v) noexcept {
  return put_fixed(put_tag(p, number, wire_fixed64), v, 8);
}
inline char* put_fixed32_field(char* p, std::uint32_t number, std::uint32_t v) noexcept {
  return put_fixed(put_tag(p, number, wire_fixed32), v, 4);
}
/// Copies `n` bytes. Short copies (keys, ids, typical values) are done inline with word moves
/// instead of a library call; returns whether every byte copied is ASCII (the check rides along).
inline bool copy_bytes(char* dst, const char* src, std::size_t n) noexcept {
  std::uint64_t acc = 0;
  if (n > 64) {
    std::memcpy(dst, src, n);
    return ::llmtrace::detail::is_ascii(std::string_view(src, n));
  }
  if (n >= 8) {
    std::uint64_t w;
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      std::memcpy(&w, src + i, 8);
      std::memcpy(dst + i, &w, 8);
      acc |= w;
    }
    if (i < n) {  // the last 8 bytes, overlapping what was copied
      std::memcpy(&w, src + n - 8, 8);
      std::memcpy(dst + n - 8, &w, 8);
      acc |= w;
    }
  } else if (n >= 4) {
    std::uint32_t a, b;
    std::memcpy(&a, src, 4);
    std::memcpy(&b, src + n - 4, 4);
    std::memcpy(dst, &a, 4);
    std::memcpy(dst + n - 4, &b, 4);
    acc = a | b;
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      dst[i] = src[i];
      acc |= static_cast<unsigned char>(src[i]);
    }
  }
  return (acc & 0x8080808080808080ULL) == 0;
}

/// A length-delimited field holding `n` bytes of `data` (string, bytes).
inline char* put_bytes_field(char* p, std::uint32_t number, const void* data, std::size_t n) noexcept {
  p = put_varint(put_tag(p, number, wire_len), n);
  copy_bytes(p, static_cast<const char*>(data), n);
  return p + n;
}
/// The header of a nested message whose payload of exactly `n` bytes follows.
inline char* put_message_header(char* p, std::uint32_t number, std::size_t n) noexcept {
  return put_varint(put_tag(p, number, wire_len), n);
}

/// Writes protobuf into a std::string in place: the string is sized to its capacity up front and
/// trimmed by finish(), so a reused string allocates nothing once it has grown to its working size.
/// Each write makes room for its worst case first (one comparison); ensure() + commit() let a caller
/// write several fields behind one check. Nested messages whose size is not known in advance get a
/// length placeholder that end_message() patches, moving the body only when the guess was wrong.
class writer {
 public:
  explicit writer(std::string& out) : out_(out) {
    out_.resize(out_.capacity());
    begin_ = &out_[0];
    p_ = begin_;
    end_ = begin_ + out_.size();
  }
  writer(const writer&) = delete;
  writer& operator=(const writer&) = delete;

  /// Trims the string to what was written.
  void finish() { out_.resize(size()); }
  std::size_t size() const noexcept { return static_cast<std::size_t>(p_ - begin_); }

  /// Room for `n` more bytes; returns the cursor to write at (then call commit()).
  char* ensure(std::size_t n) {
    if (LLMTRACE_UNLIKELY(static_cast<std::size_t>(end_ - p_) < n)) grow(n);
    return p_;
  }
  /// Moves the cursor to `p` (returned by the put_* functions after an ensure()).
  void commit(char* p) noexcept { p_ = p; }

  void varint_field(std::uint32_t number, std::uint64_t v) { commit(put_varint_field(ensure(15), number, v)); }
  void fixed64_field(std::uint32_t number, std::uint64_t v) { commit(put_fixed64_field(ensure(13), number, v)); }
  void fixed32_field(std::uint32_t number, std::uint32_t v) { commit(put_fixed32_field(ensure(9), number, v)); }
  void bytes_field(std::uint32_t number, const void* data, std::size_t n) {
    commit(put_bytes_field(ensure(15 + n), number, data, n));
  }
  /// A string field; invalid UTF-8 is repaired (U+FFFD) so strict receivers accept the message.
  void string_field(std::uint32_t number, std::string_view s) {
    const utf8_text text(s);
    bytes_field(number, text.view().data(), text.view().size());
  }
  void message_header(std::uint32_t number, std::size_t n) { commit(put_message_header(ensure(15), number, n)); }

  /// Opens a nested message of unknown size with a `guess`-byte length placeholder; returns a
  /// marker for end_message().
  std::size_t begin_message(std::uint32_t number, std::size_t guess) {
    char* p = put_tag(ensure(5 + guess), number, wire_len);
    commit(p + guess);
    return static_cast<std::size_t>(p - begin_);
  }
  /// Closes the message opened at `at` with the same `guess`.
  void end_message(std::size_t at, std::size_t guess) {
    const std::size_t body = size() - at - guess;
    const std::size_t need = varint_size(body);
    if (LLMTRACE_UNLIKELY(need != guess)) {
      if (need > guess) ensure(need - guess);
      std::memmove(begin_ + at + need, begin_ + at + guess, body);
      p_ = begin_ + at + need + body;
    }
    put_varint(begin_ + at, body);
  }

 private:
  LLMTRACE_NOINLINE void grow(std::size_t n) {
    const std::size_t used = size();
    std::size_t want = out_.size() * 2;
    if (want < used + n) want = used + n;
    if (want < 256) want = 256;
    out_.resize(want);
    out_.resize(out_.capacity());
    begin_ = &out_[0];
    p_ = begin_ + used;
    end_ = begin_ + out_.size();
  }

  std::string& out_;
  char* begin_ = nullptr;
  char* p_ = nullptr;
  char* end_ = nullptr;
};

// ---- attributes: their sizes are computed exactly, so they need no length placeholder ----

/// Payload size of the AnyValue for element `i` of an array value.
inline std::size_t element_size(const attribute_value& v, std::size_t i) noexcept {
  switch (v.type()) {
    case value_type::bool_array:
      return 2;
    case value_type::int64_array:
      return 1 + varint_size(static_cast<std::uint64_t>(v.int_at(i)));
    case value_type::float64_array:
      return 9;
    default:
      return len_field_size(1, v.string_at(i).size());
  }
}

/// Payload size of the ArrayValue holding an array value.
inline std::size_t array_size(const attribute_value& v) noexcept {
  const std::size_t n = v.size();
  switch (v.type()) {
    case value_type::bool_array:
      return n * (2 + 2);
    case value_type::float64_array:
      return n * (2 + 9);
    default:
      break;
  }
  std::size_t total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t e = element_size(v, i);
    total += 1 + varint_size(e) + e;
  }
  return total;
}

inline std::uint64_t double_bits(double d) noexcept {
  std::uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  return bits;
}

/// Writes the elements of an array value as ArrayValue.values (the header is already written).
inline void write_array_elements(writer& w, const attribute_value& v) {
  const std::size_t n = v.size();
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t e = element_size(v, i);
    char* p = put_message_header(w.ensure(6 + e), 1, e);
    switch (v.type()) {
      case value_type::bool_array:
        p = put_varint_field(p, 2, v.bool_at(i) ? 1 : 0);
        break;
      case value_type::int64_array:
        p = put_varint_field(p, 3, static_cast<std::uint64_t>(v.int_at(i)));
        break;
      case value_type::float64_array:
        p = put_fixed64_field(p, 4, double_bits(v.double_at(i)));
        break;
      default: {
        const auto s = v.string_at(i);
        p = put_bytes_field(p, 1, s.data(), s.size());
        break;
      }
    }
    w.commit(p);
  }
}

inline void write_key_value(writer& w, std::uint32_t number, std::string_view key, const attribute_value& v);

/// write_key_value for a key that is not valid UTF-8 (rare): the key is sent repaired.
LLMTRACE_NOINLINE inline void write_key_value_repaired(writer& w, std::uint32_t number, std::string_view key,
                                                       const attribute_value& v) {
  const std::string repaired = ::llmtrace::detail::sanitize_utf8(key);
  write_key_value(w, number, repaired, v);
}

/// Writes one KeyValue (repeated field `number`) for `key` and `v`. Attribute strings were repaired
/// when they were stored; the key is checked while it is copied.
inline void write_key_value(writer& w, std::uint32_t number, std::string_view key, const attribute_value& v) {
  std::size_t value;  // AnyValue payload size
  switch (v.type()) {
    case value_type::boolean:
      value = 2;
      break;
    case value_type::int64:
      value = 1 + varint_size(static_cast<std::uint64_t>(v.as_int()));
      break;
    case value_type::float64:
      value = 9;
      break;
    case value_type::string:
      value = len_field_size(1, v.as_string().size());
      break;
    default:
      value = len_field_size(5, array_size(v));
      break;
  }
  const std::size_t kv = 1 + varint_size(key.size()) + key.size() + 1 + varint_size(value) + value;
  char* p = w.ensure(16 + kv);
  p = put_message_header(p, number, kv);
  p = put_varint(put_tag(p, 1, wire_len), key.size());
  const bool ascii = copy_bytes(p, key.data(), key.size());
  if (LLMTRACE_UNLIKELY(!ascii) && !::llmtrace::detail::is_valid_utf8(key)) {
    write_key_value_repaired(w, number, key, v);  // nothing was committed: start over
    return;
  }
  p = put_message_header(p + key.size(), 2, value);
  switch (v.type()) {
    case value_type::boolean:
      p = put_varint_field(p, 2, v.as_bool() ? 1 : 0);
      break;
    case value_type::int64:
      p = put_varint_field(p, 3, static_cast<std::uint64_t>(v.as_int()));
      break;
    case value_type::float64:
      p = put_fixed64_field(p, 4, double_bits(v.as_double()));
      break;
    case value_type::string: {
      const auto s = v.as_string();
      p = put_bytes_field(p, 1, s.data(), s.size());
      break;
    }
    default: {
      p = put_message_header(p, 5, array_size(v));
      w.commit(p);
      write_array_elements(w, v);
      return;
    }
  }
  w.commit(p);
}

/// Writes each attribute as a KeyValue in repeated field `number`.
inline void write_attributes(writer& w, std::uint32_t number, const attribute_set& attrs) {
  for (const attribute a : attrs) write_key_value(w, number, a.key, a.value);
}

// ---- spans ----

inline void write_span(writer& w, const span_data& s) {
  const std::size_t span_at = w.begin_message(2, 2);  // most spans take 128..16383 bytes
  {
    const utf8_text name_text(s.name()), state_text(s.trace_state);
    const std::string_view name = name_text.view(), state = state_text.view();
    char* p = w.ensure(96 + name.size() + state.size());
    p = put_bytes_field(p, 1, s.context.trace_id.data(), s.context.trace_id.size());
    p = put_bytes_field(p, 2, s.context.span_id.data(), s.context.span_id.size());
    if (!state.empty()) p = put_bytes_field(p, 3, state.data(), state.size());
    if (s.has_parent()) p = put_bytes_field(p, 4, s.parent_span_id.data(), s.parent_span_id.size());
    if (!name.empty()) p = put_bytes_field(p, 5, name.data(), name.size());
    if (s.kind != span_kind::unspecified) p = put_varint_field(p, 6, static_cast<std::uint64_t>(s.kind));
    p = put_fixed64_field(p, 7, static_cast<std::uint64_t>(s.start_time_unix_nano));
    p = put_fixed64_field(p, 8, static_cast<std::uint64_t>(s.end_time_unix_nano));
    w.commit(p);
  }
  write_attributes(w, 9, s.attributes);
  if (s.attributes.dropped()) w.varint_field(10, s.attributes.dropped());
  for (const span_event& e : s.events) {
    const std::size_t at = w.begin_message(11, 1);
    w.fixed64_field(1, static_cast<std::uint64_t>(e.time_unix_nano));
    if (!e.name.empty()) w.string_field(2, e.name);
    write_attributes(w, 3, e.attributes);
    if (e.attributes.dropped()) w.varint_field(4, e.attributes.dropped());
    w.end_message(at, 1);
  }
  if (s.dropped_events_count) w.varint_field(12, s.dropped_events_count);
  for (const span_link& l : s.links) {
    const std::size_t at = w.begin_message(13, 1);
    w.bytes_field(1, l.context.trace_id.data(), l.context.trace_id.size());
    w.bytes_field(2, l.context.span_id.data(), l.context.span_id.size());
    if (!l.trace_state.empty()) w.string_field(3, l.trace_state);
    write_attributes(w, 4, l.attributes);
    if (l.attributes.dropped()) w.varint_field(5, l.attributes.dropped());
    w.fixed32_field(6, otlp_span_flags(l.context.trace_flags, l.context.is_remote));
    w.end_message(at, 1);
  }
  if (s.dropped_links_count) w.varint_field(14, s.dropped_links_count);
  if (s.status != status_code::unset) {
    const utf8_text text(s.status == status_code::error ? std::string_view(s.status_message) : std::string_view());
    const std::string_view msg = text.view();
    w.message_header(15, (msg.empty() ? 0 : len_field_size(2, msg.size())) + 2);
    if (!msg.empty()) w.bytes_field(2, msg.data(), msg.size());
    w.varint_field(3, static_cast<std::uint64_t>(s.status));
  }
  // The parent's remoteness is always known here; a root span has no remote parent.
  w.fixed32_field(16, otlp_span_flags(s.context.trace_flags, s.has_parent() && s.parent_is_remote));
  w.end_message(span_at, 2);
}

inline void write_resource(writer& w, const llmtrace::resource& r) {
  const std::size_t at = w.begin_message(1, 2);
  write_attributes(w, 1, r.attributes);
  if (r.attributes.dropped()) w.varint_field(2, r.attributes.dropped());
  w.end_message(at, 2);
}

inline void write_scope(writer& w, const instrumentation_scope& sc) {
  const std::size_t at = w.begin_message(1, 1);
  if (!sc.name.empty()) w.string_field(1, sc.name);
  if (!sc.version.empty()) w.string_field(2, sc.version);
  write_attributes(w, 3, sc.attributes);
  if (sc.attributes.dropped()) w.varint_field(4, sc.attributes.dropped());
  w.end_message(at, 1);
}

/// Opens a ResourceSpans (field 1 of the request) for `r`; close it with end_resource_spans().
inline std::size_t begin_resource_spans(writer& w, const llmtrace::resource* r) {
  const std::size_t at = w.begin_message(1, 3);
  if (r) write_resource(w, *r);
  return at;
}
inline void end_resource_spans(writer& w, std::size_t at, const llmtrace::resource* r) {
  if (r && !r->schema_url.empty()) w.string_field(3, r->schema_url);
  w.end_message(at, 3);
}

/// Writes `batch` (spans or log records) as the repeated field 1 of an export request: one
/// ResourceSpans / ResourceLogs per resource, one ScopeSpans / ScopeLogs per scope (the two signals
/// share the layout: resource 1, scopes 2, schema_url 3; scope 1, records 2, schema_url 3), each
/// record written by `write_record(w, record)`.
template <typename Batch, typename WriteRecord>
void write_resource_groups(writer& w, const Batch& batch, WriteRecord write_record) {
  if (batch.empty()) return;
  otlp_grouping& grouping = otlp_grouping_scratch();
  grouping.build(batch);
  const auto& groups = grouping.groups;
  std::size_t resource_at = 0;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (grouping.opens_resource(g)) resource_at = begin_resource_spans(w, groups[g].res);
    const std::size_t scope_at = w.begin_message(2, 3);
    if (groups[g].scope) write_scope(w, *groups[g].scope);
    const std::size_t count = groups[g].count;
    for (std::size_t k = 0; k < count; ++k) {
      // Records were written on other cores: ask for the next ones' lines while this one is encoded.
      if (k + 4 < count) batch[grouping.index(g, k + 4)].prefetch_for_read(0);
      if (k + 2 < count) batch[grouping.index(g, k + 2)].prefetch_for_read(1);
      write_record(w, batch[grouping.index(g, k)]);
    }
    if (groups[g].scope && !groups[g].scope->schema_url.empty()) w.string_field(3, groups[g].scope->schema_url);
    w.end_message(scope_at, 3);
    if (grouping.closes_resource(g)) end_resource_spans(w, resource_at, groups[g].res);
  }
}

// ---- reading (collector responses) ----

/// One field read by reader::next().
struct field {
  std::uint32_t number = 0;
  wire_type wire = wire_varint;
  std::uint64_t value = 0;  ///< varint, fixed64 or fixed32 payload
  std::string_view bytes;   ///< length-delimited payload
};

/// Reads fields of one message; unknown fields are skipped by the caller, malformed input stops it.
class reader {
 public:
  explicit reader(std::string_view data) noexcept : data_(data) {}
  /// The next field; false at the end of the message or on malformed input (then failed() is true).
  bool next(field& f) noexcept {
    if (pos_ >= data_.size()) return false;
    std::uint64_t tag = 0;
    if (!varint(tag) || (tag >> 3) == 0 || (tag >> 3) > 0x1fffffffu) return fail();
    f.number = static_cast<std::uint32_t>(tag >> 3);
    f.value = 0;
    f.bytes = {};
    switch (tag & 7u) {
      case wire_varint:
        f.wire = wire_varint;
        return varint(f.value) || fail();
      case wire_fixed64:
        f.wire = wire_fixed64;
        return fixed(8, f.value) || fail();
      case wire_fixed32:
        f.wire = wire_fixed32;
        return fixed(4, f.value) || fail();
      case wire_len: {
        f.wire = wire_len;
        std::uint64_t n = 0;
        if (!varint(n) || n > data_.size() - pos_) return fail();
        f.bytes = data_.substr(pos_, static_cast<std::size_t>(n));
        pos_ += static_cast<std::size_t>(n);
        return true;
      }
      default:
        return fail();  // groups (3, 4) and invalid wire types
    }
  }
  bool failed() const noexcept { return failed_; }

 private:
  bool fail() noexcept {
    failed_ = true;
    pos_ = data_.size();
    return false;
  }
  bool varint(std::uint64_t& v) noexcept {
    v = 0;
    for (unsigned shift = 0; shift < 64 && pos_ < data_.size(); shift += 7) {
      const auto b = static_cast<unsigned char>(data_[pos_++]);
      v |= std::uint64_t{b & 0x7fu} << shift;
      if (!(b & 0x80u)) return true;
    }
    return false;
  }
  bool fixed(std::size_t n, std::uint64_t& v) noexcept {
    if (data_.size() - pos_ < n) return false;
    v = 0;
    for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t{static_cast<unsigned char>(data_[pos_ + i])} << (8 * i);
    pos_ += n;
    return true;
  }

  std::string_view data_;
  std::size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace pb
}  // namespace detail

namespace otlp {

/// Encodes `spans` as an OTLP `ExportTraceServiceRequest` into `out`, replacing its contents and
/// reusing its capacity. Spans are grouped by resource, then by instrumentation scope, in order of
/// first appearance. Invalid UTF-8 in names and other free-form strings is repaired (U+FFFD).
/// Throws only std::bad_alloc.
inline void encode_protobuf(const span_batch& spans, std::string& out) {
  using namespace ::llmtrace::detail::pb;
  writer w(out);
  write_resource_groups(w, spans, [](writer& ww, const span_data& s) { write_span(ww, s); });
  w.finish();
}

/// `ExportTraceServiceResponse.partial_success`: what the collector rejected from an accepted export.
struct partial_success {
  std::int64_t rejected_spans = 0;  ///< spans the collector dropped
  std::string error_message;        ///< why (may be set with rejected_spans == 0, as a warning)
  /// True when there is something to report.
  bool any() const noexcept { return rejected_spans != 0 || !error_message.empty(); }
};

/// Decodes a protobuf `ExportTraceServiceResponse` (an empty body is a full success). False on
/// malformed input; `out` is reset first either way.
inline bool decode_export_response(std::string_view body, partial_success& out) noexcept {
  using namespace ::llmtrace::detail::pb;
  out = partial_success{};
  try {
    reader r(body);
    field f;
    while (r.next(f)) {
      if (f.number != 1 || f.wire != wire_len) continue;
      reader ps(f.bytes);
      field g;
      while (ps.next(g)) {
        if (g.number == 1 && g.wire == wire_varint) out.rejected_spans = static_cast<std::int64_t>(g.value);
        if (g.number == 2 && g.wire == wire_len) out.error_message.assign(g.bytes.data(), g.bytes.size());
      }
      if (ps.failed()) return false;
    }
    return !r.failed();
  } catch (...) {
    return false;
  }
}

/// `google.rpc.Status`, the body of an OTLP/HTTP error response.
struct rpc_status {
  std::int32_t code = 0;  ///< gRPC status code (3 = INVALID_ARGUMENT, ...)
  std::string message;    ///< developer-facing error message
};

/// Decodes a protobuf `google.rpc.Status`. False on malformed input (`out` is reset first).
inline bool decode_rpc_status(std::string_view body, rpc_status& out) noexcept {
  using namespace ::llmtrace::detail::pb;
  out = rpc_status{};
  try {
    reader r(body);
    field f;
    while (r.next(f)) {
      if (f.number == 1 && f.wire == wire_varint) out.code = static_cast<std::int32_t>(f.value);
      if (f.number == 2 && f.wire == wire_len) out.message.assign(f.bytes.data(), f.bytes.size());
    }
    return !r.failed();
  } catch (...) {
    return false;
  }
}

}  // namespace otlp

LLMTRACE_END_NAMESPACE
