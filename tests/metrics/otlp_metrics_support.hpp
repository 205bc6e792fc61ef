// The canonical JSON of a metric collection, in the form tests/otlp_js/decode.mjs prints for an
// ExportMetricsServiceRequest, so that what llmtrace collected and what the official JS decoders
// read from llmtrace's bytes can be compared with ==.
#pragma once

#include "metrics_test_support.hpp"

#include <llmtrace/llmtrace.hpp>

#include <nlohmann/json.hpp>

#include <string>

namespace metrics_test {

inline nlohmann::json canonical_value(const llmtrace::attribute_value& v) {
  using llmtrace::value_type;
  nlohmann::json arr = nlohmann::json::array();
  switch (v.type()) {
    case value_type::string:
      return {{"string", std::string(v.as_string())}};
    case value_type::boolean:
      return {{"bool", v.as_bool()}};
    case value_type::int64:
      return {{"int", std::to_string(v.as_int())}};
    case value_type::float64:
      return {{"double", v.as_double()}};
    case value_type::string_array:
      for (std::size_t i = 0; i < v.size(); ++i) arr.push_back({{"string", std::string(v.string_at(i))}});
      return {{"array", arr}};
    case value_type::int64_array:
      for (std::size_t i = 0; i < v.size(); ++i) arr.push_back({{"int", std::to_string(v.int_at(i))}});
      return {{"array", arr}};
    case value_type::float64_array:
      for (std::size_t i = 0; i < v.size(); ++i) arr.push_back({{"double", v.double_at(i)}});
      return {{"array", arr}};
    case value_type::bool_array:
      for (std::size_t i = 0; i < v.size(); ++i) arr.push_back({{"bool", v.bool_at(i)}});
      return {{"array", arr}};
  }
  return nullptr;
}

inline nlohmann::json canonical_attributes(const llmtrace::attribute_set* a) {
  nlohmann::json out = nlohmann::json::object();
  if (a)
    for (const llmtrace::attribute kv : *a) out[std::string(kv.key)] = canonical_value(kv.value);
  return out;
}

inline nlohmann::json canonical_exemplars(const std::vector<m::exemplar>& ex) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : ex)
    out.push_back({{"timeUnixNano", std::to_string(e.time_unix_nano)},
                   {"asDouble", e.value},
                   {"spanId", e.span_id.valid() ? e.span_id.to_hex() : std::string()},
                   {"traceId", e.trace_id.valid() ? e.trace_id.to_hex() : std::string()},
                   {"filteredAttributes", nlohmann::json::object()}});
  return out;
}

/// What decode.mjs prints for the request llmtrace encodes from `rm`.
inline nlohmann::json expected_canonical(const m::resource_metrics& rm) {
  nlohmann::json scopes = nlohmann::json::array();
  for (const auto& sm : rm.scopes) {
    nlohmann::json metrics = nlohmann::json::array();
    for (const auto& md : sm.metrics) {
      nlohmann::json j = {{"name", md.name}, {"description", md.description}, {"unit", md.unit}};
      nlohmann::json points = nlohmann::json::array();
      if (md.type == m::metric_type::histogram) {
        j["type"] = "histogram";
        j["aggregationTemporality"] = static_cast<int>(md.temporality);
        for (const auto& p : md.histogram_points) {
          nlohmann::json counts = nlohmann::json::array();
          for (auto c : p.bucket_counts) counts.push_back(std::to_string(c));
          points.push_back({{"attributes", canonical_attributes(p.attributes)},
                            {"startTimeUnixNano", std::to_string(p.start_time_unix_nano)},
                            {"timeUnixNano", std::to_string(p.time_unix_nano)},
                            {"count", std::to_string(p.count)},
                            {"sum", p.sum},
                            {"bucketCounts", counts},
                            {"explicitBounds", *p.bounds},
                            {"exemplars", canonical_exemplars(p.exemplars)},
                            {"min", p.count ? nlohmann::json(p.min) : nlohmann::json(nullptr)},
                            {"max", p.count ? nlohmann::json(p.max) : nlohmann::json(nullptr)},
                            {"flags", 0}});
        }
      } else {
        j["type"] = md.type == m::metric_type::gauge ? "gauge" : "sum";
        if (md.type == m::metric_type::sum) {
          j["aggregationTemporality"] = static_cast<int>(md.temporality);
          j["isMonotonic"] = md.is_monotonic;
        }
        for (const auto& p : md.number_points) {
          nlohmann::json q = {{"attributes", canonical_attributes(p.attributes)},
                              {"startTimeUnixNano", std::to_string(p.start_time_unix_nano)},
                              {"timeUnixNano", std::to_string(p.time_unix_nano)},
                              {"exemplars", nlohmann::json::array()},
                              {"flags", 0}};
          if (p.is_int)
            q["asInt"] = std::to_string(p.as_int);
          else
            q["asDouble"] = p.as_double;
          points.push_back(q);
        }
      }
      j["dataPoints"] = points;
      metrics.push_back(j);
    }
    scopes.push_back({{"scope",
                       {{"name", sm.scope->name},
                        {"version", sm.scope->version},
                        {"attributes", canonical_attributes(&sm.scope->attributes)},
                        {"droppedAttributesCount", 0}}},
                      {"schemaUrl", sm.scope->schema_url},
                      {"metrics", metrics}});
  }
  return {
      {"resourceMetrics",
       {{{"resource", {{"attributes", canonical_attributes(&rm.resource->attributes)}, {"droppedAttributesCount", 0}}},
         {"schemaUrl", rm.resource->schema_url},
         {"scopeMetrics", scopes}}}}};
}

}  // namespace metrics_test
