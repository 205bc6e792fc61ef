// llmtrace/metrics/data.hpp: what a metric collection produces (the OTLP metrics data model: sums,
// gauges, explicit-bucket histograms, exemplars) and the metric exporter extension point.
// Thread-safety: collected data is a plain value read by one exporter at a time; the attribute sets
// points refer to are owned by the meter provider and stay valid while it lives.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/exporter.hpp>
#include <llmtrace/ids.hpp>
#include <llmtrace/span_data.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE
namespace metrics {

/// The instrument kinds of the OpenTelemetry metrics API.
enum class instrument_kind : std::uint8_t {
  counter,
  up_down_counter,
  histogram,
  observable_counter,
  observable_up_down_counter,
  observable_gauge,
};

/// OTLP AggregationTemporality (the numeric values are OTLP's).
enum class aggregation_temporality : std::uint8_t { unspecified = 0, delta = 1, cumulative = 2 };

/// OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE.
enum class temporality_preference : std::uint8_t { cumulative, delta, lowmemory };

/// The temporality a preference gives an instrument kind (the SDK specification's table):
/// cumulative: all cumulative; delta: counters, observable counters and histograms delta;
/// lowmemory: counters and histograms delta; up-down counters are cumulative in every case.
constexpr aggregation_temporality temporality_for(temporality_preference p, instrument_kind k) noexcept {
  switch (p) {
    case temporality_preference::delta:
      return k == instrument_kind::counter || k == instrument_kind::observable_counter ||
                     k == instrument_kind::histogram
                 ? aggregation_temporality::delta
                 : aggregation_temporality::cumulative;
    case temporality_preference::lowmemory:
      return k == instrument_kind::counter || k == instrument_kind::histogram ? aggregation_temporality::delta
                                                                              : aggregation_temporality::cumulative;
    default:
      return aggregation_temporality::cumulative;
  }
}

/// OTEL_METRICS_EXEMPLAR_FILTER: which measurements may become exemplars.
enum class exemplar_filter : std::uint8_t {
  trace_based,  ///< only measurements made while a sampled span is current (the default)
  always_on,    ///< every measurement
  always_off,   ///< none
};

/// A measurement kept as an example of a histogram bucket, linking it to the span it was made in.
struct exemplar {
  std::int64_t time_unix_nano = 0;
  double value = 0;
  llmtrace::trace_id trace_id{};  ///< all-zero when no span was current
  llmtrace::span_id span_id{};
};

/// The shape of a collected metric.
enum class metric_type : std::uint8_t { sum, gauge, histogram };

/// One series of a sum or gauge.
struct number_point {
  const attribute_set* attributes = nullptr;  ///< owned by the meter provider
  std::int64_t start_time_unix_nano = 0;      ///< 0 for gauges
  std::int64_t time_unix_nano = 0;
  bool is_int = false;
  std::int64_t as_int = 0;
  double as_double = 0;
  double value() const noexcept { return is_int ? static_cast<double>(as_int) : as_double; }
};

/// One series of an explicit-bucket histogram. bucket_counts has bounds.size() + 1 entries; bucket i
/// counts values in (bounds[i-1], bounds[i]].
struct histogram_point {
  const attribute_set* attributes = nullptr;  ///< owned by the meter provider
  std::int64_t start_time_unix_nano = 0;
  std::int64_t time_unix_nano = 0;
  std::uint64_t count = 0;
  double sum = 0;
  double min = 0;                               ///< valid when count > 0
  double max = 0;                               ///< valid when count > 0
  const std::vector<double>* bounds = nullptr;  ///< owned by the instrument
  std::vector<std::uint64_t> bucket_counts;
  std::vector<exemplar> exemplars;
};

/// One instrument's points in one collection.
struct metric_data {
  std::string name;
  std::string description;
  std::string unit;
  instrument_kind kind = instrument_kind::counter;
  metric_type type = metric_type::sum;
  aggregation_temporality temporality = aggregation_temporality::cumulative;
  bool is_monotonic = false;  ///< sums only
  std::vector<number_point> number_points;
  std::vector<histogram_point> histogram_points;
  bool empty() const noexcept { return number_points.empty() && histogram_points.empty(); }
};

/// The metrics of one instrumentation scope (meter).
struct scope_metrics {
  const instrumentation_scope* scope = nullptr;  ///< owned by the meter provider
  std::vector<metric_data> metrics;
};

/// Everything one collection produced for one resource.
struct resource_metrics {
  const llmtrace::resource* resource = nullptr;  ///< owned by the meter provider
  std::vector<scope_metrics> scopes;
  bool empty() const noexcept {
    for (const auto& s : scopes)
      if (!s.metrics.empty()) return false;
    return true;
  }
  /// The number of points (number and histogram) in the collection.
  std::size_t point_count() const noexcept {
    std::size_t n = 0;
    for (const auto& s : scopes)
      for (const auto& m : s.metrics) n += m.number_points.size() + m.histogram_points.size();
    return n;
  }
  /// point_count(): the size of the batch an OTLP metric exporter sends.
  std::size_t size() const noexcept { return point_count(); }
  /// The metric named `name`, or nullptr.
  const metric_data* find(std::string_view name) const noexcept {
    for (const auto& s : scopes)
      for (const auto& m : s.metrics)
        if (m.name == name) return &m;
    return nullptr;
  }
};

/// Sends collected metrics somewhere. Implement export_metrics; the rest is optional.
class metric_exporter {
 public:
  virtual ~metric_exporter() = default;
  /// Exports one collection. Must not throw; must return within its own timeout.
  virtual export_result export_metrics(const resource_metrics& data) noexcept = 0;
  /// The temporality this exporter wants for an instrument kind (default: cumulative).
  virtual aggregation_temporality temporality(instrument_kind kind) const noexcept {
    return temporality_for(temporality_preference::cumulative, kind);
  }
  virtual bool force_flush(std::chrono::milliseconds /*timeout*/) noexcept { return true; }
  /// Releases resources; export_metrics is not called afterwards.
  virtual bool shutdown(std::chrono::milliseconds /*timeout*/) noexcept { return true; }
};

}  // namespace metrics
LLMTRACE_END_NAMESPACE
