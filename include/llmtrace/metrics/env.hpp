// llmtrace/metrics/env.hpp: the metrics configuration from the standard variables:
// OTEL_METRICS_EXPORTER, OTEL_METRIC_EXPORT_INTERVAL / _TIMEOUT, OTEL_METRICS_EXEMPLAR_FILTER and
// OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE. An invalid value is reported once through the
// error handler and the default is used. Thread-safety: reads the environment; call at start-up.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/detail/env.hpp>
#include <llmtrace/metrics/data.hpp>
#include <llmtrace/metrics/reader.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE
namespace metrics {

/// OTEL_METRICS_EXPORTER as lowercase names (default "otlp"); "none" contributes nothing.
inline std::vector<std::string> exporter_names_from_env() {
  const auto v = llmtrace::detail::get_env("OTEL_METRICS_EXPORTER");
  if (!v) return {"otlp"};
  std::vector<std::string> out;
  for (const auto& n : llmtrace::detail::split_list(*v)) {
    const auto name = llmtrace::detail::to_lower(n);
    if (name == "none") continue;
    bool seen = false;
    for (const auto& o : out) seen = seen || o == name;
    if (!seen) out.push_back(name);
  }
  return out;
}

namespace detail {
/// Builds the reader behind OTEL_METRICS_EXPORTER=prometheus. Null until
/// <llmtrace/exporters/prometheus_http.hpp> is included somewhere in the program (it registers
/// itself), so that llmtrace::init() serves /metrics without every user of init() compiling an HTTP
/// server.
using metric_reader_factory = std::unique_ptr<metric_reader> (*)();
inline metric_reader_factory& prometheus_reader_factory() noexcept {
  static metric_reader_factory f = nullptr;
  return f;
}
}  // namespace detail

/// OTEL_METRIC_EXPORT_INTERVAL (60000 ms) and OTEL_METRIC_EXPORT_TIMEOUT (30000 ms).
inline periodic_reader_options periodic_reader_options_from_env() {
  periodic_reader_options o;
  o.interval = std::chrono::milliseconds(llmtrace::detail::env_int("OTEL_METRIC_EXPORT_INTERVAL", 60000, 1, 86400000));
  o.timeout = std::chrono::milliseconds(llmtrace::detail::env_int("OTEL_METRIC_EXPORT_TIMEOUT", 30000, 0, 86400000));
  return o;
}

/// OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: cumulative (default), delta or lowmemory.
inline temporality_preference temporality_preference_from_env() {
  const auto v = llmtrace::detail::get_env("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE");
  if (!v) return temporality_preference::cumulative;
  if (llmtrace::detail::iequals(*v, "cumulative")) return temporality_preference::cumulative;
  if (llmtrace::detail::iequals(*v, "delta")) return temporality_preference::delta;
  if (llmtrace::detail::iequals(*v, "lowmemory")) return temporality_preference::lowmemory;
  llmtrace::detail::report_invalid("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", *v,
                                   "cumulative, delta or lowmemory", "cumulative");
  return temporality_preference::cumulative;
}

/// OTEL_METRICS_EXEMPLAR_FILTER: trace_based (default), always_on or always_off.
inline exemplar_filter exemplar_filter_from_env() {
  const auto v = llmtrace::detail::get_env("OTEL_METRICS_EXEMPLAR_FILTER");
  if (!v) return exemplar_filter::trace_based;
  if (llmtrace::detail::iequals(*v, "trace_based")) return exemplar_filter::trace_based;
  if (llmtrace::detail::iequals(*v, "always_on")) return exemplar_filter::always_on;
  if (llmtrace::detail::iequals(*v, "always_off")) return exemplar_filter::always_off;
  llmtrace::detail::report_invalid("OTEL_METRICS_EXEMPLAR_FILTER", *v, "trace_based, always_on or always_off",
                                   "trace_based");
  return exemplar_filter::trace_based;
}

}  // namespace metrics
LLMTRACE_END_NAMESPACE
