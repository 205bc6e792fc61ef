// llmtrace/otlp/json.hpp: encodes a batch of finished spans as an OTLP/JSON ExportTraceServiceRequest
// (what OTLP http/json receivers and the Collector's file receiver read). The text is written directly
// with a small escaper. Standard headers only.
// Thread-safety: pure functions of their arguments.
#pragma once

#include <llmtrace/attributes.hpp>
#include <llmtrace/config.hpp>
#include <llmtrace/detail/hex.hpp>
#include <llmtrace/detail/utf8.hpp>
#include <llmtrace/exporter.hpp>
#include <llmtrace/otlp/detail/encoding_common.hpp>
#include <llmtrace/span_data.hpp>

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE

namespace detail {

/// Appends OTLP/JSON text to a std::string through a raw cursor: each write makes room for its
/// worst case first (one comparison), so the hot path is plain stores. Every string goes through
/// append_string (JSON escaping, invalid UTF-8 replaced by U+FFFD), so the output is valid JSON and
/// valid UTF-8 whatever the span holds. Call finish() before reading `out` again.
class otlp_json_writer {
 public:
  explicit otlp_json_writer(std::string& out, std::size_t expected = 256) : out_(out) {
    const std::size_t base = out_.size();
    out_.resize(base + expected);
    p_ = out_.data() + base;
    end_ = out_.data() + out_.size();
  }
  otlp_json_writer(const otlp_json_writer&) = delete;
  otlp_json_writer& operator=(const otlp_json_writer&) = delete;

  /// Trims `out` to what was written.
  void finish() { out_.resize(static_cast<std::size_t>(p_ - out_.data())); }

  template <std::size_t N>
  void raw(const char (&s)[N]) {
    ensure(N - 1);
    std::memcpy(p_, s, N - 1);
    p_ += N - 1;
  }
  void raw(std::string_view s) {
    ensure(s.size());
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  void put(char c) {
    ensure(1);
    *p_++ = c;
  }

  /// A quoted, escaped JSON string.
  void append_string(std::string_view s) {
    // Worst case: every byte becomes \u00XX (6 bytes) or U+FFFD (3 bytes).
    ensure(6 * s.size() + 2);
    *p_++ = '"';
    append_escaped(s);
    *p_++ = '"';
  }

  /// A JSON number (uint32 fields: flags, kind, dropped counts).
  void append_uint(std::uint64_t v) {
    ensure(24);
    p_ = write_u64(p_, v);
  }

  /// A 64-bit integer as a decimal string (OTLP/JSON encodes int64/fixed64 this way).
  void append_int_string(std::int64_t v) {
    ensure(24);
    *p_++ = '"';
    if (v < 0) {
      *p_++ = '-';
      p_ = write_u64(p_, 0 - static_cast<std::uint64_t>(v));
    } else {
      p_ = write_u64(p_, static_cast<std::uint64_t>(v));
    }
    *p_++ = '"';
  }

  /// A Unix-nanosecond time as a decimal string (negative values, which are invalid, become 0).
  void append_time(std::int64_t t) { append_int_string(t < 0 ? 0 : t); }

  /// A double as the shortest round-tripping number; NaN and infinities as the strings the
  /// protobuf JSON mapping uses ("NaN", "Infinity", "-Infinity").
  void append_double(double v) {
    if (std::isnan(v)) return raw("\"NaN\"");
    if (std::isinf(v)) return raw(v > 0 ? std::string_view("\"Infinity\"") : std::string_view("\"-Infinity\""));
    ensure(32);
    p_ = std::to_chars(p_, p_ + 32, v).ptr;
  }

  /// Lowercase hex of an id, quoted.
  void append_hex(const std::uint8_t* bytes, std::size_t n) {
    ensure(2 * n + 2);
    *p_++ = '"';
    detail::to_hex(bytes, n, p_);
    p_ += 2 * n;
    *p_++ = '"';
  }

  /// `[{"key":"k","value":{...}},...]`
  void append_attributes(const attribute_set& attrs) {
    put('[');
    bool first = true;
    for (const attribute a : attrs) {
      if (!first) put(',');
      first = false;
      append_key_value(a.key, a.value);
    }
    put(']');
  }

  /// `{"key":"k","value":{...}}`; `Value` is an attribute_value, or anything append_value_of accepts.
  template <typename Value, typename AppendValue>
  void append_key_value(std::string_view key, const Value& v, AppendValue append) {
    raw("{\"key\":");
    append_string(key);
    raw(",\"value\":");
    append(*this, v);
    put('}');
  }
  void append_key_value(std::string_view key, const attribute_value& v) {
    append_key_value(key, v, [](otlp_json_writer& w, const attribute_value& x) { w.append_value(x); });
  }

  /// `,"attributes":[...],"droppedAttributesCount":N`, each part only when non-empty/non-zero; the
  /// first part is preceded by a comma only when `comma`.
  void append_attribute_fields(const attribute_set& attrs, bool comma = true) {
    if (!attrs.empty()) {
      if (comma) put(',');
      raw("\"attributes\":");
      append_attributes(attrs);
      comma = true;
    }
    if (attrs.dropped()) {
      if (comma) put(',');
      raw("\"droppedAttributesCount\":");
      append_uint(attrs.dropped());
    }
  }

  /// An AnyValue object.
  void append_value(const attribute_value& v) {
    switch (v.type()) {
      case value_type::boolean:
        return raw(v.as_bool() ? "{\"boolValue\":true}" : "{\"boolValue\":false}");
      case value_type::int64:
        raw("{\"intValue\":");
        append_int_string(v.as_int());
        return put('}');
      case value_type::float64:
        raw("{\"doubleValue\":");
        append_double(v.as_double());
        return put('}');
      case value_type::string:
        raw("{\"stringValue\":");
        append_string(v.as_string());
        return put('}');
      default:
        break;
    }
    const std::size_t n = v.size();
    if (n == 0) return raw("{\"arrayValue\":{}}");
    raw("{\"arrayValue\":{\"values\":[");
    for (std::size_t i = 0; i < n; ++i) {
      if (i) put(',');
      switch (v.type()) {
        case value_type::bool_array:
          raw(v.bool_at(i) ? "{\"boolValue\":true}" : "{\"boolValue\":false}");
          break;
        case value_type::int64_array:
          raw("{\"intValue\":");
          append_int_string(v.int_at(i));
          put('}');
          break;
        case value_type::float64_array:
          raw("{\"doubleValue\":");
          append_double(v.double_at(i));
          put('}');
          break;
        default:
          raw("{\"stringValue\":");
          append_string(v.string_at(i));
          put('}');
          break;
      }
    }
    raw("]}}");
  }

 private:
  static const char* digit_pairs() noexcept {
    return "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
           "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
           "8081828384858687888990919293949596979899";
  }
  // Exactly 8 digits of v < 10^8 (32-bit arithmetic only).
  static char* write8(char* o, std::uint32_t v) noexcept {
    const char* d = digit_pairs();
    const std::uint32_t hi = v / 10000, lo = v % 10000;
    std::memcpy(o, d + 2 * (hi / 100), 2);
    std::memcpy(o + 2, d + 2 * (hi % 100), 2);
    std::memcpy(o + 4, d + 2 * (lo / 100), 2);
    std::memcpy(o + 6, d + 2 * (lo % 100), 2);
    return o + 8;
  }
  // v < 10^8 without leading zeros.
  static char* write_small(char* o, std::uint32_t v) noexcept {
    char buf[8];
    write8(buf, v);
    std::size_t skip = 0;
    while (skip < 7 && buf[skip] == '0') ++skip;
    std::memcpy(o, buf + skip, 8 - skip);
    return o + (8 - skip);
  }
  // Decimal digits of v in 8-digit groups (times are 19 digits: three groups, no 64-bit division loop).
  static char* write_u64(char* o, std::uint64_t v) noexcept {
    constexpr std::uint64_t e8 = 100000000;
    if (v < e8) return write_small(o, static_cast<std::uint32_t>(v));
    if (v < e8 * e8) {
      o = write_small(o, static_cast<std::uint32_t>(v / e8));
      return write8(o, static_cast<std::uint32_t>(v % e8));
    }
    o = write_small(o, static_cast<std::uint32_t>(v / (e8 * e8)));
    o = write8(o, static_cast<std::uint32_t>((v / e8) % e8));
    return write8(o, static_cast<std::uint32_t>(v % e8));
  }

  // True when any of the 8 bytes in `w` needs attention: < 0x20, '"', '\\' or >= 0x80.
  static bool needs_escape8(std::uint64_t w) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    const std::uint64_t q = w ^ (ones * '"');
    const std::uint64_t b = w ^ (ones * '\\');
    const std::uint64_t ctl = (w - ones * 0x20) & ~w;
    const std::uint64_t quote = (q - ones) & ~q;
    const std::uint64_t bslash = (b - ones) & ~b;
    return ((ctl | quote | bslash | w) & high) != 0;
  }

  // Writes `s` escaped at the cursor; the caller has made room for 6 bytes per input byte.
  void append_escaped(std::string_view s) noexcept {
    const char* const begin = s.data();
    const char* const end = begin + s.size();
    const char* p = begin;
    char* o = p_;
    while (p < end) {
      std::uint64_t w;
      if (end - p >= 8) {
        std::memcpy(&w, p, 8);
        if (!needs_escape8(w)) {
          std::memcpy(o, p, 8);
          p += 8;
          o += 8;
          continue;
        }
      } else if (s.size() >= 8) {
        // The tail: check the last 8 bytes of the string at once (they overlap what was copied).
        std::memcpy(&w, end - 8, 8);
        if (!needs_escape8(w)) {
          const auto rest = static_cast<std::size_t>(end - p);
          std::memcpy(o, p, rest);
          o += rest;
          break;
        }
      }
      const auto c = static_cast<unsigned char>(*p);
      if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
        *o++ = *p++;
        continue;
      }
      if (c < 0x80) {
        o = escape_ascii(o, c);
        ++p;
        continue;
      }
      const std::size_t n = detail::utf8_sequence_length(s, static_cast<std::size_t>(p - begin));
      if (n == 0) {  // the same repair as detail::append_utf8 (and so the protobuf encoder)
        std::memcpy(o, detail::replacement_character.data(), 3);
        o += 3;
        p += detail::utf8_invalid_length(s, static_cast<std::size_t>(p - begin));
      } else {
        std::memcpy(o, p, n);
        o += n;
        p += n;
      }
    }
    p_ = o;
  }

  static char* escape_ascii(char* o, unsigned char c) noexcept {
    char e = 0;
    switch (c) {
      case '"':
        e = '"';
        break;
      case '\\':
        e = '\\';
        break;
      case '\n':
        e = 'n';
        break;
      case '\r':
        e = 'r';
        break;
      case '\t':
        e = 't';
        break;
      case '\b':
        e = 'b';
        break;
      case '\f':
        e = 'f';
        break;
      default:
        break;
    }
    *o++ = '\\';
    if (e) {
      *o++ = e;
      return o;
    }
    constexpr char digits[] = "0123456789abcdef";
    *o++ = 'u';
    *o++ = '0';
    *o++ = '0';
    *o++ = digits[c >> 4];
    *o++ = digits[c & 0x0f];
    return o;
  }

  void ensure(std::size_t n) {
    if (LLMTRACE_LIKELY(static_cast<std::size_t>(end_ - p_) >= n)) return;
    const auto used = static_cast<std::size_t>(p_ - out_.data());
    const std::size_t want = used + n;
    out_.resize(want > 2 * out_.size() ? want : 2 * out_.size());
    p_ = out_.data() + used;
    end_ = out_.data() + out_.size();
  }

  std::string& out_;
  char* p_ = nullptr;
  char* end_ = nullptr;
};

inline void otlp_json_span(otlp_json_writer& w, const span_data& s) {
  w.raw("{\"traceId\":");
  w.append_hex(s.context.trace_id.data(), 16);
  w.raw(",\"spanId\":");
  w.append_hex(s.context.span_id.data(), 8);
  if (!s.trace_state.empty()) {
    w.raw(",\"traceState\":");
    w.append_string(s.trace_state);
  }
  if (s.has_parent()) {
    w.raw(",\"parentSpanId\":");
    w.append_hex(s.parent_span_id.data(), 8);
  }
  w.raw(",\"flags\":");
  w.append_uint(otlp_span_flags(s.context.trace_flags, s.has_parent() && s.parent_is_remote));
  w.raw(",\"name\":");
  w.append_string(s.name());
  w.raw(",\"kind\":");
  w.append_uint(static_cast<std::uint8_t>(s.kind));
  w.raw(",\"startTimeUnixNano\":");
  w.append_time(s.start_time_unix_nano);
  w.raw(",\"endTimeUnixNano\":");
  w.append_time(s.end_time_unix_nano);
  w.append_attribute_fields(s.attributes);
  if (!s.events.empty()) {
    w.raw(",\"events\":[");
    bool first = true;
    for (const auto& e : s.events) {
      if (!first) w.put(',');
      first = false;
      w.raw("{\"timeUnixNano\":");
      w.append_time(e.time_unix_nano);
      w.raw(",\"name\":");
      w.append_string(e.name);
      w.append_attribute_fields(e.attributes);
      w.put('}');
    }
    w.put(']');
  }
  if (s.dropped_events_count) {
    w.raw(",\"droppedEventsCount\":");
    w.append_uint(s.dropped_events_count);
  }
  if (!s.links.empty()) {
    w.raw(",\"links\":[");
    bool first = true;
    for (const auto& l : s.links) {
      if (!first) w.put(',');
      first = false;
      w.raw("{\"traceId\":");
      w.append_hex(l.context.trace_id.data(), 16);
      w.raw(",\"spanId\":");
      w.append_hex(l.context.span_id.data(), 8);
      if (!l.trace_state.empty()) {
        w.raw(",\"traceState\":");
        w.append_string(l.trace_state);
      }
      w.append_attribute_fields(l.attributes);
      w.raw(",\"flags\":");
      w.append_uint(otlp_span_flags(l.context.trace_flags, l.context.is_remote));
      w.put('}');
    }
    w.put(']');
  }
  if (s.dropped_links_count) {
    w.raw(",\"droppedLinksCount\":");
    w.append_uint(s.dropped_links_count);
  }
  switch (s.status) {
    case status_code::ok:
      w.raw(",\"status\":{\"code\":1}}");
      break;
    case status_code::error:
      w.raw(",\"status\":{\"code\":2");
      if (!s.status_message.empty()) {
        w.raw(",\"message\":");
        w.append_string(s.status_message);
      }
      w.raw("}}");
      break;
    default:
      w.raw(",\"status\":{}}");
      break;
  }
}

inline void otlp_json_resource(otlp_json_writer& w, const resource* r) {
  w.raw("\"resource\":{");
  if (r) w.append_attribute_fields(r->attributes, false);
  w.put('}');
}

inline void otlp_json_scope(otlp_json_writer& w, const instrumentation_scope* sc) {
  w.raw("\"scope\":{\"name\":");
  w.append_string(sc ? std::string_view(sc->name) : std::string_view());
  if (sc && !sc->version.empty()) {
    w.raw(",\"version\":");
    w.append_string(sc->version);
  }
  if (sc) w.append_attribute_fields(sc->attributes);
  w.put('}');
}

/// Writes `{"<resource_key>":[...]}` for `batch` (spans or log records): one entry per resource, one
/// `<scope_key>` entry per instrumentation scope, each record written by `write_record(w, record)`
/// inside `"<records_key>":[...]`.
template <typename Batch, typename WriteRecord>
void otlp_json_request(otlp_json_writer& w, const Batch& batch, std::string_view resource_key,
                       std::string_view scope_key, std::string_view records_key, WriteRecord write_record) {
  w.raw("{\"");
  w.raw(resource_key);
  w.raw("\":[");
  if (!batch.empty()) {
    otlp_grouping& grouping = otlp_grouping_scratch();
    grouping.build(batch);
    const auto& groups = grouping.groups;
    for (std::size_t g = 0; g < groups.size(); ++g) {
      if (grouping.opens_resource(g)) {
        if (g) w.put(',');
        w.put('{');
        otlp_json_resource(w, groups[g].res);
        w.raw(",\"");
        w.raw(scope_key);
        w.raw("\":[");
      } else {
        w.put(',');
      }
      w.put('{');
      otlp_json_scope(w, groups[g].scope);
      w.raw(",\"");
      w.raw(records_key);
      w.raw("\":[");
      for (std::size_t k = 0; k < groups[g].count; ++k) {
        if (k) w.put(',');
        write_record(w, batch[grouping.index(g, k)]);
      }
      w.put(']');
      if (groups[g].scope && !groups[g].scope->schema_url.empty()) {
        w.raw(",\"schemaUrl\":");
        w.append_string(groups[g].scope->schema_url);
      }
      w.put('}');
      if (grouping.closes_resource(g)) {
        w.put(']');
        if (groups[g].res && !groups[g].res->schema_url.empty()) {
          w.raw(",\"schemaUrl\":");
          w.append_string(groups[g].res->schema_url);
        }
        w.put('}');
      }
    }
  }
  w.raw("]}");
}

}  // namespace detail

namespace otlp {

/// Appends the OTLP/JSON ExportTraceServiceRequest for `batch` to `out` (no trailing newline):
/// spans grouped by resource, then instrumentation scope; ids as lowercase hex; enums as integers;
/// 64-bit integers as decimal strings; fields at their default value (empty parentSpanId,
/// traceState, zero dropped counts, empty attribute lists) omitted. Strings are escaped and any
/// invalid UTF-8 is replaced by U+FFFD. Throws only std::bad_alloc.
inline void append_json(std::string& out, const span_batch& batch) {
  detail::otlp_json_writer w(out, 64 + batch.size() * 512);
  detail::otlp_json_request(w, batch, "resourceSpans", "scopeSpans", "spans",
                            [](detail::otlp_json_writer& jw, const span_data& s) { detail::otlp_json_span(jw, s); });
  w.finish();
}

/// The OTLP/JSON ExportTraceServiceRequest for `batch` (see append_json). Throws only std::bad_alloc.
inline std::string encode_json(const span_batch& batch) {
  std::string out;
  append_json(out, batch);
  return out;
}

}  // namespace otlp

LLMTRACE_END_NAMESPACE
