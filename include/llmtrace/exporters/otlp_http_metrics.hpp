// llmtrace/exporters/otlp_http_metrics.hpp: the OTLP metric exporter: ExportMetricsServiceRequest
// over OTLP/HTTP (http/protobuf or http/json, POSTed to <endpoint>/v1/metrics) or OTLP/gRPC
// (MetricsService/Export), with the trace exporter's transport, retries, Retry-After, partial-success
// reporting and counters (the same machinery, detail::basic_otlp_http_exporter), and the temporality
// OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE asks for. Thread-safety: as the trace exporter's
// (one periodic reader calls export_metrics at a time; shutdown from any thread).
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/exporters/otlp_http.hpp>
#include <llmtrace/exporters/otlp_options.hpp>
#include <llmtrace/metrics/data.hpp>
#include <llmtrace/otlp/metrics_json.hpp>
#include <llmtrace/otlp/metrics_protobuf.hpp>

#include <memory>
#include <string>
#include <utility>

LLMTRACE_BEGIN_NAMESPACE

namespace detail {

/// The metric exporter interface seen by the OTLP machinery: one collection is one batch.
class otlp_metric_exporter_base : public metrics::metric_exporter {
 public:
  /// Sends one collection (the machinery's entry point).
  virtual export_result export_batch(const metrics::resource_metrics& data) noexcept = 0;
  export_result export_metrics(const metrics::resource_metrics& data) noexcept override { return export_batch(data); }
  /// The temporality the preference gives `kind` (metrics::temporality_for).
  metrics::aggregation_temporality temporality(metrics::instrument_kind kind) const noexcept override {
    return metrics::temporality_for(preference_, kind);
  }

 protected:
  metrics::temporality_preference preference_ = metrics::temporality_preference::cumulative;
};

/// The metrics signal of the OTLP exporter.
struct otlp_metrics_signal {
  using base = otlp_metric_exporter_base;
  using batch = metrics::resource_metrics;
  static constexpr otlp_signal signal = otlp_signal::metrics;
  static constexpr const char* noun = "metric points";
  static constexpr const char* rejected_key = "rejectedDataPoints";
  static constexpr const char* rejected_key_snake = "rejected_data_points";
  static void encode(otlp_protocol protocol, const metrics::resource_metrics& data, std::string& out) {
    if (protocol == otlp_protocol::http_json) {
      out.clear();
      otlp::append_metrics_json(out, data);
    } else {
      otlp::encode_metrics_protobuf(data, out);
    }
  }
};

}  // namespace detail

/// The defaults of an OTLP metric exporter: otlp_http_options with http://localhost:4318/v1/metrics.
inline otlp_http_options otlp_http_metric_options() {
  otlp_http_options o;
  o.endpoint = otlp_signal_url("http://localhost:4318", otlp_signal::metrics);
  return o;
}

/// Sends each metric collection to an OpenTelemetry collector over OTLP/HTTP or OTLP/gRPC (per
/// options.protocol). Configure it with otlp_http_options_from_env(otlp_signal::metrics)
/// (OTEL_EXPORTER_OTLP_METRICS_* and OTEL_EXPORTER_OTLP_*) and
/// metrics::temporality_preference_from_env(); register it with a metrics::periodic_exporting_reader.
/// stats() counts metric points (in the fields named for spans).
class otlp_http_metric_exporter final : public detail::basic_otlp_http_exporter<detail::otlp_metrics_signal> {
 public:
  explicit otlp_http_metric_exporter(
      otlp_http_options options = otlp_http_metric_options(),
      metrics::temporality_preference preference = metrics::temporality_preference::cumulative,
      std::shared_ptr<http::transport> transport = nullptr, std::shared_ptr<http::grpc_transport> grpc = nullptr)
      : basic_otlp_http_exporter(std::move(options), std::move(transport), std::move(grpc)) {
    preference_ = preference;
  }
};

LLMTRACE_END_NAMESPACE
