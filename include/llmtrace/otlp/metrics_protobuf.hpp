// llmtrace/otlp/metrics_protobuf.hpp: OTLP protobuf encoding of a metric collection
// (ExportMetricsServiceRequest), sharing the wire writer and the resource, scope and attribute
// encoders of the trace encoder (standard headers only). Field numbers are those of
// opentelemetry/proto/metrics/v1/metrics.proto (checked against the official JS generated decoder).
// Thread-safety: pure functions; each call uses only its arguments.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/metrics/data.hpp>
#include <llmtrace/otlp/protobuf.hpp>

#include <cstdint>
#include <cstring>
#include <string>

LLMTRACE_BEGIN_NAMESPACE
namespace detail {
namespace pb {

/// Exemplar (repeated field `number` of a data point).
inline void write_exemplar(writer& w, std::uint32_t number, const metrics::exemplar& e) {
  const std::size_t at = w.begin_message(number, 1);
  w.fixed64_field(2, static_cast<std::uint64_t>(e.time_unix_nano < 0 ? 0 : e.time_unix_nano));
  w.fixed64_field(3, double_bits(e.value));
  if (e.span_id.valid()) w.bytes_field(4, e.span_id.data(), e.span_id.size());
  if (e.trace_id.valid()) w.bytes_field(5, e.trace_id.data(), e.trace_id.size());
  w.end_message(at, 1);
}

/// NumberDataPoint (repeated field 1 of Sum or Gauge).
inline void write_number_point(writer& w, const metrics::number_point& p) {
  const std::size_t at = w.begin_message(1, 2);
  if (p.start_time_unix_nano > 0) w.fixed64_field(2, static_cast<std::uint64_t>(p.start_time_unix_nano));
  w.fixed64_field(3, static_cast<std::uint64_t>(p.time_unix_nano < 0 ? 0 : p.time_unix_nano));
  if (p.is_int)
    w.fixed64_field(6, static_cast<std::uint64_t>(p.as_int));  // sfixed64: the same bits
  else
    w.fixed64_field(4, double_bits(p.as_double));
  if (p.attributes) write_attributes(w, 7, *p.attributes);
  w.end_message(at, 2);
}

/// HistogramDataPoint (repeated field 1 of Histogram).
inline void write_histogram_point(writer& w, const metrics::histogram_point& p) {
  const std::size_t at = w.begin_message(1, 2);
  if (p.start_time_unix_nano > 0) w.fixed64_field(2, static_cast<std::uint64_t>(p.start_time_unix_nano));
  w.fixed64_field(3, static_cast<std::uint64_t>(p.time_unix_nano < 0 ? 0 : p.time_unix_nano));
  w.fixed64_field(4, p.count);
  w.fixed64_field(5, double_bits(p.sum));
  if (!p.bucket_counts.empty()) {  // packed fixed64
    w.message_header(6, 8 * p.bucket_counts.size());
    for (const auto c : p.bucket_counts) w.commit(put_fixed(w.ensure(8), c, 8));
  }
  if (p.bounds && !p.bounds->empty()) {  // packed double
    w.message_header(7, 8 * p.bounds->size());
    for (const double b : *p.bounds) w.commit(put_fixed(w.ensure(8), double_bits(b), 8));
  }
  for (const auto& e : p.exemplars) write_exemplar(w, 8, e);
  if (p.attributes) write_attributes(w, 9, *p.attributes);
  if (p.count > 0) {
    w.fixed64_field(11, double_bits(p.min));
    w.fixed64_field(12, double_bits(p.max));
  }
  w.end_message(at, 2);
}

/// Metric (repeated field 2 of ScopeMetrics).
inline void write_metric(writer& w, const metrics::metric_data& m) {
  const std::size_t at = w.begin_message(2, 3);
  w.string_field(1, m.name);
  if (!m.description.empty()) w.string_field(2, m.description);
  if (!m.unit.empty()) w.string_field(3, m.unit);
  switch (m.type) {
    case metrics::metric_type::gauge: {
      const std::size_t g = w.begin_message(5, 3);
      for (const auto& p : m.number_points) write_number_point(w, p);
      w.end_message(g, 3);
      break;
    }
    case metrics::metric_type::sum: {
      const std::size_t s = w.begin_message(7, 3);
      for (const auto& p : m.number_points) write_number_point(w, p);
      w.varint_field(2, static_cast<std::uint64_t>(m.temporality));
      if (m.is_monotonic) w.varint_field(3, 1);
      w.end_message(s, 3);
      break;
    }
    case metrics::metric_type::histogram: {
      const std::size_t h = w.begin_message(9, 3);
      for (const auto& p : m.histogram_points) write_histogram_point(w, p);
      w.varint_field(2, static_cast<std::uint64_t>(m.temporality));
      w.end_message(h, 3);
      break;
    }
  }
  w.end_message(at, 3);
}

}  // namespace pb
}  // namespace detail

namespace otlp {

/// Encodes a collection as an OTLP `ExportMetricsServiceRequest` into `out`, replacing its contents
/// and reusing its capacity: one ResourceMetrics, one ScopeMetrics per meter. Throws only std::bad_alloc.
inline void encode_metrics_protobuf(const metrics::resource_metrics& data, std::string& out) {
  using namespace ::llmtrace::detail::pb;
  writer w(out);
  if (!data.empty()) {
    const std::size_t at = begin_resource_spans(w, data.resource);  // ResourceMetrics has the same layout
    for (const auto& sm : data.scopes) {
      if (sm.metrics.empty()) continue;
      const std::size_t s = w.begin_message(2, 3);
      if (sm.scope) write_scope(w, *sm.scope);
      for (const auto& m : sm.metrics) write_metric(w, m);
      if (sm.scope && !sm.scope->schema_url.empty()) w.string_field(3, sm.scope->schema_url);
      w.end_message(s, 3);
    }
    end_resource_spans(w, at, data.resource);
  }
  w.finish();
}

}  // namespace otlp
LLMTRACE_END_NAMESPACE
