// llmtrace/otlp/protobuf.hpp: OTLP protobuf encoding of finished spans (ExportTraceServiceRequest)
// with a small wire writer of our own (standard headers only, no libprotobuf, no generated code), and
// decoders for the collector's answers (ExportTraceServiceResponse, google.rpc.Status).
// Thread-safety: pure functions; each call uses only its arguments and per-thread scratch space.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/exporter.hpp>
#include <llmtrace/span_data.hpp>
#include <llmtrace/detail/utf8.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
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
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

/// Bytes of the tag of field `number` (any wire type).
constexpr std::size_t tag_size(std::uint32_t number) noexcept { return varint_size(std::uint64_t{number} << 3); }

/// Bytes of a whole length-delimited field whose payload is `n` bytes.
constexpr std::size_t len_field_size(std::uint32_t number, std::size_t n) noexcept {
  return tag_size(number) + varint_size(n) + n;
}

/// `s` when it is valid UTF-8, else a repaired copy in `scratch` (rare: most strings are ASCII).
inline std::string_view valid_utf8(std::string_view s, std::string& scratch) {
  if (LLMTRACE_LIKELY(::llmtrace::detail::is_ascii(s)) || ::llmtrace::detail::is_valid_utf8(s)) return s;
  scratch = ::llmtrace::detail::sanitize_utf8(s);
  return scratch;
}

/// Appends protobuf fields to a std::string it writes in place (the string is sized up front and
/// trimmed by finish(), so its capacity is reused from call to call). Nested messages whose size is
/// not known in advance get a length placeholder that end_message() patches, moving the body only
/// when the guess was wrong.
class writer {
 public:
  explicit writer(std::string& out) : out_(out) {
    out_.resize(out_.capacity());
    base_ = &out_[0];
  }
  writer(const writer&) = delete;
  writer& operator=(const writer&) = delete;

  /// Trims the string to what was written.
  void finish() { out_.resize(pos_); }
  std::size_t size() const noexcept { return pos_; }

  /// Makes room for `n` more bytes.
  void reserve(std::size_t n) {
    if (LLMTRACE_UNLIKELY(out_.size() - pos_ < n)) grow(n);
  }

  void tag(std::uint32_t number, wire_type wt) {
    reserve(5);
    raw_varint((std::uint64_t{number} << 3) | wt);
  }
  void varint_field(std::uint32_t number, std::uint64_t v) {
    reserve(15);
    raw_varint((std::uint64_t{number} << 3) | wire_varint);
    raw_varint(v);
  }
  void fixed64_field(std::uint32_t number, std::uint64_t v) {
    reserve(13);
    raw_varint((std::uint64_t{number} << 3) | wire_fixed64);
    raw_fixed(v, 8);
  }
  void fixed32_field(std::uint32_t number, std::uint32_t v) {
    reserve(9);
    raw_varint((std::uint64_t{number} << 3) | wire_fixed32);
    raw_fixed(v, 4);
  }
  void double_field(std::uint32_t number, double d) {
    std::uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    fixed64_field(number, bits);
  }
  /// A bytes or string field, written as given.
  void bytes_field(std::uint32_t number, const void* data, std::size_t n) {
    reserve(15 + n);
    raw_varint((std::uint64_t{number} << 3) | wire_len);
    raw_varint(n);
    if (n) std::memcpy(base_ + pos_, data, n);
    pos_ += n;
  }
  /// A string field; invalid UTF-8 is repaired (U+FFFD) so strict receivers accept the message.
  void string_field(std::uint32_t number, std::string_view s) {
    std::string scratch;
    const std::string_view v = valid_utf8(s, scratch);
    bytes_field(number, v.data(), v.size());
  }
  /// The header of a nested message whose payload is exactly `n` bytes; write the payload next.
  void message_header(std::uint32_t number, std::size_t n) {
    reserve(15);
    raw_varint((std::uint64_t{number} << 3) | wire_len);
    raw_varint(n);
  }

  /// Opens a nested message of unknown size with a `guess`-byte length placeholder; returns a
  /// marker for end_message().
  std::size_t begin_message(std::uint32_t number, std::size_t guess) {
    reserve(5 + guess);
    raw_varint((std::uint64_t{number} << 3) | wire_len);
    const std::size_t at = pos_;
    pos_ += guess;
    return at;
  }
  /// Closes the message opened at `at` with the same `guess`.
  void end_message(std::size_t at, std::size_t guess) {
    const std::size_t body = pos_ - at - guess;
    const std::size_t need = varint_size(body);
    if (LLMTRACE_UNLIKELY(need != guess)) {
      if (need > guess) reserve(need - guess);
      std::memmove(base_ + at + need, base_ + at + guess, body);
      pos_ = at + need + body;
    }
    std::size_t p = at;
    std::uint64_t v = body;
    while (v >= 0x80) {
      base_[p++] = static_cast<char>(static_cast<unsigned char>(v | 0x80));
      v >>= 7;
    }
    base_[p] = static_cast<char>(static_cast<unsigned char>(v));
  }

 private:
  void raw_varint(std::uint64_t v) noexcept {
    while (v >= 0x80) {
      base_[pos_++] = static_cast<char>(static_cast<unsigned char>(v | 0x80));
      v >>= 7;
    }
    base_[pos_++] = static_cast<char>(static_cast<unsigned char>(v));
  }
  void raw_fixed(std::uint64_t v, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) base_[pos_ + i] = static_cast<char>(static_cast<unsigned char>(v >> (8 * i)));
    pos_ += n;
  }
  LLMTRACE_NOINLINE void grow(std::size_t n) {
    std::size_t want = out_.size() * 2;
    if (want < pos_ + n) want = pos_ + n;
    if (want < 256) want = 256;
    out_.resize(want);
    out_.resize(out_.capacity());
    base_ = &out_[0];
  }

  std::string& out_;
  char* base_ = nullptr;
  std::size_t pos_ = 0;
};

// ---- attributes: their sizes are computed exactly, so they need no length placeholder ----

/// Payload size of the AnyValue for element `i` of an array value.
inline std::size_t element_size(const attribute_value& v, std::size_t i) noexcept {
  switch (v.type()) {
    case value_type::bool_array: return 2;
    case value_type::int64_array: return 1 + varint_size(static_cast<std::uint64_t>(v.int_at(i)));
    case value_type::float64_array: return 9;
    default: return len_field_size(1, v.string_at(i).size());
  }
}

/// Payload size of the ArrayValue holding an array value.
inline std::size_t array_size(const attribute_value& v) noexcept {
  const std::size_t n = v.size();
  switch (v.type()) {
    case value_type::bool_array: return n * (2 + 2);
    case value_type::float64_array: return n * (2 + 9);
    default: break;
  }
  std::size_t total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t e = element_size(v, i);
    total += 1 + varint_size(e) + e;
  }
  return total;
}

/// Payload size of the AnyValue holding `v`.
inline std::size_t any_value_size(const attribute_value& v) noexcept {
  switch (v.type()) {
    case value_type::boolean: return 2;
    case value_type::int64: return 1 + varint_size(static_cast<std::uint64_t>(v.as_int()));
    case value_type::float64: return 9;
    case value_type::string: return len_field_size(1, v.as_string().size());
    default: return len_field_size(5, array_size(v));
  }
}

/// Writes the payload of the AnyValue holding `v` (attribute strings are repaired when stored).
inline void write_any_value(writer& w, const attribute_value& v) {
  switch (v.type()) {
    case value_type::boolean: w.varint_field(2, v.as_bool() ? 1 : 0); return;
    case value_type::int64: w.varint_field(3, static_cast<std::uint64_t>(v.as_int())); return;
    case value_type::float64: w.double_field(4, v.as_double()); return;
    case value_type::string: {
      const auto s = v.as_string();
      w.bytes_field(1, s.data(), s.size());
      return;
    }
    default: break;
  }
  w.message_header(5, array_size(v));
  const std::size_t n = v.size();
  for (std::size_t i = 0; i < n; ++i) {
    w.message_header(1, element_size(v, i));
    switch (v.type()) {
      case value_type::bool_array: w.varint_field(2, v.bool_at(i) ? 1 : 0); break;
      case value_type::int64_array: w.varint_field(3, static_cast<std::uint64_t>(v.int_at(i))); break;
      case value_type::float64_array: w.double_field(4, v.double_at(i)); break;
      default: {
        const auto s = v.string_at(i);
        w.bytes_field(1, s.data(), s.size());
        break;
      }
    }
  }
}

/// Writes each attribute as a KeyValue in repeated field `number`.
inline void write_attributes(writer& w, std::uint32_t number, const attribute_set& attrs) {
  std::string scratch;  // only used for a key that is not valid UTF-8
  for (const attribute a : attrs) {
    const std::string_view key = valid_utf8(a.key, scratch);
    const std::size_t value = any_value_size(a.value);
    w.message_header(number, len_field_size(1, key.size()) + len_field_size(2, value));
    w.bytes_field(1, key.data(), key.size());
    w.message_header(2, value);
    write_any_value(w, a.value);
  }
}

// ---- spans ----

/// Span.flags / Span.Link.flags: the W3C flags, plus "remoteness known" (0x100) and "remote" (0x200).
inline std::uint32_t otlp_flags(std::uint8_t trace_flags, bool remote) noexcept {
  return std::uint32_t{trace_flags} | 0x100u | (remote ? 0x200u : 0u);
}

inline void write_span(writer& w, const span_data& s) {
  const std::size_t span_at = w.begin_message(2, 2);  // most spans take 128..16383 bytes
  w.bytes_field(1, s.context.trace_id.data(), s.context.trace_id.size());
  w.bytes_field(2, s.context.span_id.data(), s.context.span_id.size());
  if (!s.trace_state.empty()) w.string_field(3, s.trace_state);
  if (s.has_parent()) w.bytes_field(4, s.parent_span_id.data(), s.parent_span_id.size());
  if (!s.name().empty()) w.string_field(5, s.name());
  if (s.kind != span_kind::unspecified) w.varint_field(6, static_cast<std::uint64_t>(s.kind));
  w.fixed64_field(7, static_cast<std::uint64_t>(s.start_time_unix_nano));
  w.fixed64_field(8, static_cast<std::uint64_t>(s.end_time_unix_nano));
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
    w.fixed32_field(6, otlp_flags(l.context.trace_flags, l.context.is_remote));
    w.end_message(at, 1);
  }
  if (s.dropped_links_count) w.varint_field(14, s.dropped_links_count);
  if (s.status != status_code::unset) {
    std::string scratch;
    const std::string_view msg =
        s.status == status_code::error ? valid_utf8(s.status_message, scratch) : std::string_view();
    w.message_header(15, (msg.empty() ? 0 : len_field_size(2, msg.size())) + 2);
    if (!msg.empty()) w.bytes_field(2, msg.data(), msg.size());
    w.varint_field(3, static_cast<std::uint64_t>(s.status));
  }
  // The parent's remoteness is always known here; a root span has no remote parent.
  w.fixed32_field(16, otlp_flags(s.context.trace_flags, s.has_parent() && s.parent_is_remote));
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

/// A (resource, scope) pair seen in a batch, in order of first appearance.
struct span_group {
  const llmtrace::resource* resource;
  const instrumentation_scope* scope;
};

/// Writes one ScopeSpans with every span of `batch` that belongs to `g`.
inline void write_scope_spans(writer& w, const span_batch& batch, const span_group& g) {
  const std::size_t at = w.begin_message(2, 3);
  if (g.scope) write_scope(w, *g.scope);
  for (const span_data& s : batch)
    if (s.resource == g.resource && s.scope == g.scope) write_span(w, s);
  if (g.scope && !g.scope->schema_url.empty()) w.string_field(3, g.scope->schema_url);
  w.end_message(at, 3);
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

/// Per-thread scratch for grouping a batch that mixes resources or scopes.
inline std::vector<span_group>& group_scratch() {
  thread_local std::vector<span_group> groups;
  return groups;
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
      case wire_varint: f.wire = wire_varint; return varint(f.value) || fail();
      case wire_fixed64: f.wire = wire_fixed64; return fixed(8, f.value) || fail();
      case wire_fixed32: f.wire = wire_fixed32; return fixed(4, f.value) || fail();
      case wire_len: {
        f.wire = wire_len;
        std::uint64_t n = 0;
        if (!varint(n) || n > data_.size() - pos_) return fail();
        f.bytes = data_.substr(pos_, static_cast<std::size_t>(n));
        pos_ += static_cast<std::size_t>(n);
        return true;
      }
      default: return fail();  // groups (3, 4) and invalid wire types
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
  if (!spans.empty()) {
    const span_group first{spans[0].resource, spans[0].scope};
    bool uniform = true;
    for (const span_data& s : spans)
      if (s.resource != first.resource || s.scope != first.scope) {
        uniform = false;
        break;
      }
    if (uniform) {
      const std::size_t at = begin_resource_spans(w, first.resource);
      write_scope_spans(w, spans, first);
      end_resource_spans(w, at, first.resource);
    } else {
      auto& groups = group_scratch();
      groups.clear();
      for (const span_data& s : spans) {
        bool seen = false;
        for (const auto& g : groups)
          if (g.resource == s.resource && g.scope == s.scope) {
            seen = true;
            break;
          }
        if (!seen) groups.push_back(span_group{s.resource, s.scope});
      }
      for (std::size_t i = 0; i < groups.size(); ++i) {
        const llmtrace::resource* r = groups[i].resource;
        bool resource_done = false;
        for (std::size_t j = 0; j < i && !resource_done; ++j) resource_done = groups[j].resource == r;
        if (resource_done) continue;
        const std::size_t at = begin_resource_spans(w, r);
        for (std::size_t j = i; j < groups.size(); ++j)
          if (groups[j].resource == r) write_scope_spans(w, spans, groups[j]);
        end_resource_spans(w, at, r);
      }
    }
  }
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
