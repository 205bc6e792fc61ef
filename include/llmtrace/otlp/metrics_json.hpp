// llmtrace/otlp/metrics_json.hpp: encodes a metric collection as an OTLP/JSON
// ExportMetricsServiceRequest with the trace encoder's writer and its resource, scope and attribute
// encoders (lowerCamelCase, 64-bit integers and bucket counts as decimal strings, ids as hex, enums
// as integers). Thread-safety: pure functions of their arguments.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/metrics/data.hpp>
#include <llmtrace/otlp/json.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

LLMTRACE_BEGIN_NAMESPACE
namespace detail {

inline void otlp_json_point_header(otlp_json_writer& w, const attribute_set* attrs, std::int64_t start,
                                   std::int64_t time) {
  w.put('{');
  bool comma = false;
  if (attrs && !attrs->empty()) {
    w.raw("\"attributes\":");
    w.append_attributes(*attrs);
    comma = true;
  }
  if (start > 0) {
    if (comma) w.put(',');
    w.raw("\"startTimeUnixNano\":");
    w.append_time(start);
    comma = true;
  }
  if (comma) w.put(',');
  w.raw("\"timeUnixNano\":");
  w.append_time(time);
}

inline void otlp_json_exemplars(otlp_json_writer& w, const std::vector<metrics::exemplar>& exemplars) {
  if (exemplars.empty()) return;
  w.raw(",\"exemplars\":[");
  for (std::size_t i = 0; i < exemplars.size(); ++i) {
    const auto& e = exemplars[i];
    if (i) w.put(',');
    w.raw("{\"timeUnixNano\":");
    w.append_time(e.time_unix_nano);
    w.raw(",\"asDouble\":");
    w.append_double(e.value);
    if (e.span_id.valid()) {
      w.raw(",\"spanId\":");
      w.append_hex(e.span_id.data(), e.span_id.size());
    }
    if (e.trace_id.valid()) {
      w.raw(",\"traceId\":");
      w.append_hex(e.trace_id.data(), e.trace_id.size());
    }
    w.put('}');
  }
  w.put(']');
}

inline void otlp_json_number_point(otlp_json_writer& w, const metrics::number_point& p) {
  otlp_json_point_header(w, p.attributes, p.start_time_unix_nano, p.time_unix_nano);
  if (p.is_int) {
    w.raw(",\"asInt\":");
    w.append_int_string(p.as_int);
  } else {
    w.raw(",\"asDouble\":");
    w.append_double(p.as_double);
  }
  w.put('}');
}

inline void otlp_json_histogram_point(otlp_json_writer& w, const metrics::histogram_point& p) {
  otlp_json_point_header(w, p.attributes, p.start_time_unix_nano, p.time_unix_nano);
  w.raw(",\"count\":");
  w.append_int_string(static_cast<std::int64_t>(p.count));
  w.raw(",\"sum\":");
  w.append_double(p.sum);
  w.raw(",\"bucketCounts\":[");
  for (std::size_t i = 0; i < p.bucket_counts.size(); ++i) {
    if (i) w.put(',');
    w.append_int_string(static_cast<std::int64_t>(p.bucket_counts[i]));
  }
  w.raw("],\"explicitBounds\":[");
  if (p.bounds)
    for (std::size_t i = 0; i < p.bounds->size(); ++i) {
      if (i) w.put(',');
      w.append_double((*p.bounds)[i]);
    }
  w.put(']');
  otlp_json_exemplars(w, p.exemplars);
  if (p.count > 0) {
    w.raw(",\"min\":");
    w.append_double(p.min);
    w.raw(",\"max\":");
    w.append_double(p.max);
  }
  w.put('}');
}

inline void otlp_json_metric(otlp_json_writer& w, const metrics::metric_data& m) {
  w.raw("{\"name\":");
  w.append_string(m.name);
  if (!m.description.empty()) {
    w.raw(",\"description\":");
    w.append_string(m.description);
  }
  if (!m.unit.empty()) {
    w.raw(",\"unit\":");
    w.append_string(m.unit);
  }
  switch (m.type) {
    case metrics::metric_type::gauge:
      w.raw(",\"gauge\":{\"dataPoints\":[");
      break;
    case metrics::metric_type::sum:
      w.raw(",\"sum\":{\"dataPoints\":[");
      break;
    case metrics::metric_type::histogram:
      w.raw(",\"histogram\":{\"dataPoints\":[");
      break;
  }
  if (m.type == metrics::metric_type::histogram) {
    for (std::size_t i = 0; i < m.histogram_points.size(); ++i) {
      if (i) w.put(',');
      otlp_json_histogram_point(w, m.histogram_points[i]);
    }
  } else {
    for (std::size_t i = 0; i < m.number_points.size(); ++i) {
      if (i) w.put(',');
      otlp_json_number_point(w, m.number_points[i]);
    }
  }
  w.put(']');
  if (m.type != metrics::metric_type::gauge) {
    w.raw(",\"aggregationTemporality\":");
    w.append_uint(static_cast<std::uint64_t>(m.temporality));
  }
  if (m.type == metrics::metric_type::sum && m.is_monotonic) w.raw(",\"isMonotonic\":true");
  w.raw("}}");
}

}  // namespace detail

namespace otlp {

/// Appends the OTLP/JSON ExportMetricsServiceRequest for a collection to `out` (no trailing
/// newline): one resourceMetrics entry, one scopeMetrics entry per meter. Throws only std::bad_alloc.
inline void append_metrics_json(std::string& out, const metrics::resource_metrics& data) {
  detail::otlp_json_writer w(out, 256 + data.point_count() * 256);
  w.raw("{\"resourceMetrics\":[");
  if (!data.empty()) {
    w.put('{');
    detail::otlp_json_resource(w, data.resource);
    w.raw(",\"scopeMetrics\":[");
    bool first_scope = true;
    for (const auto& sm : data.scopes) {
      if (sm.metrics.empty()) continue;
      if (!first_scope) w.put(',');
      first_scope = false;
      w.put('{');
      detail::otlp_json_scope(w, sm.scope);
      w.raw(",\"metrics\":[");
      for (std::size_t i = 0; i < sm.metrics.size(); ++i) {
        if (i) w.put(',');
        detail::otlp_json_metric(w, sm.metrics[i]);
      }
      w.put(']');
      if (sm.scope && !sm.scope->schema_url.empty()) {
        w.raw(",\"schemaUrl\":");
        w.append_string(sm.scope->schema_url);
      }
      w.put('}');
    }
    w.put(']');
    if (data.resource && !data.resource->schema_url.empty()) {
      w.raw(",\"schemaUrl\":");
      w.append_string(data.resource->schema_url);
    }
    w.put('}');
  }
  w.raw("]}");
  w.finish();
}

/// The OTLP/JSON ExportMetricsServiceRequest for a collection (see append_metrics_json).
inline std::string encode_metrics_json(const metrics::resource_metrics& data) {
  std::string out;
  append_metrics_json(out, data);
  return out;
}

/// The same request as a JSON document, for tests and tools.
inline nlohmann::json metrics_to_json(const metrics::resource_metrics& data) {
  return nlohmann::json::parse(encode_metrics_json(data));
}

}  // namespace otlp
LLMTRACE_END_NAMESPACE
