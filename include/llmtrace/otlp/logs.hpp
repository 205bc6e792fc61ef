// llmtrace/otlp/logs.hpp: OTLP encodings of log records: ExportLogsServiceRequest as protobuf
// (the same wire writer as spans) and as OTLP/JSON (the same writer and grouping as spans), with
// structured AnyValues (kvlist, arrays of any values) for bodies and attributes.
// Thread-safety: pure functions of their arguments.
#pragma once

#include <llmtrace/any_value.hpp>
#include <llmtrace/config.hpp>
#include <llmtrace/logs/log_record.hpp>
#include <llmtrace/logs/processor.hpp>
#include <llmtrace/otlp/json.hpp>
#include <llmtrace/otlp/protobuf.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

LLMTRACE_BEGIN_NAMESPACE

namespace detail {
namespace pb {

/// Writes `v` as an AnyValue in field `number` (nested values recursively).
inline void write_any_value(writer& w, std::uint32_t number, const any_value& v) {
  const std::size_t at = w.begin_message(number, 1);
  switch (v.type()) {
    case any_value::kind::empty:
      break;
    case any_value::kind::boolean:
      w.varint_field(2, v.as_bool() ? 1 : 0);
      break;
    case any_value::kind::int64:
      w.varint_field(3, static_cast<std::uint64_t>(v.as_int()));
      break;
    case any_value::kind::float64:
      w.fixed64_field(4, double_bits(v.as_double()));
      break;
    case any_value::kind::string:
      w.string_field(1, v.as_string());
      break;
    case any_value::kind::array: {
      const std::size_t arr = w.begin_message(5, 2);
      for (std::size_t i = 0; i < v.size(); ++i) write_any_value(w, 1, v.at(i));
      w.end_message(arr, 2);
      break;
    }
    case any_value::kind::kvlist: {
      const std::size_t list = w.begin_message(6, 2);
      for (std::size_t i = 0; i < v.size(); ++i) {
        const std::size_t kv = w.begin_message(1, 2);
        w.string_field(1, v.key_at(i));
        write_any_value(w, 2, v.at(i));
        w.end_message(kv, 2);
      }
      w.end_message(list, 2);
      break;
    }
  }
  w.end_message(at, 1);
}

inline void write_log_record(writer& w, const log_record& r) {
  const std::size_t at = w.begin_message(2, 2);
  if (r.time_unix_nano > 0) w.fixed64_field(1, static_cast<std::uint64_t>(r.time_unix_nano));
  if (r.severity != severity::unspecified) w.varint_field(2, static_cast<std::uint64_t>(r.severity));
  if (!r.severity_text.empty()) w.string_field(3, r.severity_text);
  if (!r.body.empty()) write_any_value(w, 5, r.body);
  write_attributes(w, 6, r.attributes);
  for (const auto& a : r.structured_attributes) {
    const std::size_t kv = w.begin_message(6, 2);
    w.string_field(1, a.key);
    write_any_value(w, 2, a.value);
    w.end_message(kv, 2);
  }
  if (r.dropped_attributes_count()) w.varint_field(7, r.dropped_attributes_count());
  if (r.has_span()) {
    w.fixed32_field(8, r.trace_flags);
    w.bytes_field(9, r.trace_id.data(), r.trace_id.size());
    w.bytes_field(10, r.span_id.data(), r.span_id.size());
  }
  if (r.observed_time_unix_nano > 0) w.fixed64_field(11, static_cast<std::uint64_t>(r.observed_time_unix_nano));
  if (!r.event_name.empty()) w.string_field(12, r.event_name);
  w.end_message(at, 2);
}

}  // namespace pb

/// Writes `v` as an OTLP/JSON AnyValue object.
inline void otlp_json_any_value(otlp_json_writer& w, const any_value& v) {
  switch (v.type()) {
    case any_value::kind::empty:
      return w.raw("{}");
    case any_value::kind::boolean:
      return w.raw(v.as_bool() ? "{\"boolValue\":true}" : "{\"boolValue\":false}");
    case any_value::kind::int64:
      w.raw("{\"intValue\":");
      w.append_int_string(v.as_int());
      return w.put('}');
    case any_value::kind::float64:
      w.raw("{\"doubleValue\":");
      w.append_double(v.as_double());
      return w.put('}');
    case any_value::kind::string:
      w.raw("{\"stringValue\":");
      w.append_string(v.as_string());
      return w.put('}');
    case any_value::kind::array:
      w.raw("{\"arrayValue\":{\"values\":[");
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (i) w.put(',');
        otlp_json_any_value(w, v.at(i));
      }
      return w.raw("]}}");
    case any_value::kind::kvlist:
      w.raw("{\"kvlistValue\":{\"values\":[");
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (i) w.put(',');
        w.append_key_value(v.key_at(i), v.at(i), otlp_json_any_value);
      }
      return w.raw("]}}");
  }
}

inline void otlp_json_log_record(otlp_json_writer& w, const log_record& r) {
  w.raw("{\"timeUnixNano\":");
  w.append_time(r.time_unix_nano);
  w.raw(",\"observedTimeUnixNano\":");
  w.append_time(r.observed_time_unix_nano);
  if (r.severity != severity::unspecified) {
    w.raw(",\"severityNumber\":");
    w.append_uint(static_cast<std::uint8_t>(r.severity));
  }
  if (!r.severity_text.empty()) {
    w.raw(",\"severityText\":");
    w.append_string(r.severity_text);
  }
  if (!r.body.empty()) {
    w.raw(",\"body\":");
    otlp_json_any_value(w, r.body);
  }
  if (r.attribute_count()) {
    w.raw(",\"attributes\":[");
    bool first = true;
    for (const attribute a : r.attributes) {
      if (!first) w.put(',');
      first = false;
      w.append_key_value(a.key, a.value);
    }
    for (const auto& a : r.structured_attributes) {
      if (!first) w.put(',');
      first = false;
      w.append_key_value(a.key, a.value, otlp_json_any_value);
    }
    w.put(']');
  }
  if (r.dropped_attributes_count()) {
    w.raw(",\"droppedAttributesCount\":");
    w.append_uint(r.dropped_attributes_count());
  }
  if (r.has_span()) {
    w.raw(",\"flags\":");
    w.append_uint(r.trace_flags);
    w.raw(",\"traceId\":");
    w.append_hex(r.trace_id.data(), 16);
    w.raw(",\"spanId\":");
    w.append_hex(r.span_id.data(), 8);
  }
  if (!r.event_name.empty()) {
    w.raw(",\"eventName\":");
    w.append_string(r.event_name);
  }
  w.put('}');
}

}  // namespace detail

namespace otlp {

/// Encodes `records` as an OTLP `ExportLogsServiceRequest` (protobuf) into `out`, replacing its
/// contents and reusing its capacity: grouped by resource, then scope, in order of first appearance.
/// Invalid UTF-8 is repaired (U+FFFD). Throws only std::bad_alloc.
inline void encode_protobuf(const log_batch& records, std::string& out) {
  using namespace ::llmtrace::detail::pb;
  writer w(out);
  write_resource_groups(w, records, [](writer& ww, const log_record& r) { write_log_record(ww, r); });
  w.finish();
}

/// Appends the OTLP/JSON ExportLogsServiceRequest for `records` to `out` (no trailing newline): the
/// OTLP/JSON rules of append_json for spans (hex ids, integer enums, 64-bit integers as strings).
/// Throws only std::bad_alloc.
inline void append_json(std::string& out, const log_batch& records) {
  detail::otlp_json_writer w(out, 64 + records.size() * 384);
  detail::otlp_json_request(
      w, records, "resourceLogs", "scopeLogs", "logRecords",
      [](detail::otlp_json_writer& jw, const log_record& r) { detail::otlp_json_log_record(jw, r); });
  w.finish();
}

/// The OTLP/JSON ExportLogsServiceRequest for `records` (see append_json).
inline std::string encode_json(const log_batch& records) {
  std::string out;
  append_json(out, records);
  return out;
}

}  // namespace otlp

LLMTRACE_END_NAMESPACE
