// llmtrace/metrics/sdk_health.hpp: llmtrace's own health as observable instruments (spans, log
// records and metric points exported, dropped by cause, failed exports, queue use), read at each
// collection from the tracer and logger providers' processor counters and the meter provider's
// readers. llmtrace::init registers them when init_options::sdk_health is true.
// Thread-safety: observe_sdk_health may be called from any thread (once per meter provider takes
// effect); the callbacks run on the collecting thread and only read atomic counters.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/logs/provider.hpp>
#include <llmtrace/metrics/meter.hpp>
#include <llmtrace/processor.hpp>
#include <llmtrace/provider.hpp>
#include <llmtrace/semconv.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

LLMTRACE_BEGIN_NAMESPACE
namespace metrics {

namespace detail {

inline std::int64_t clamp_count(std::uint64_t n) noexcept {
  return static_cast<std::int64_t>(std::min<std::uint64_t>(n, static_cast<std::uint64_t>(INT64_MAX)));
}

/// The instruments of one signal: exported, dropped (by cause), failed exports and, for a signal
/// that queues (`queues`), the queue-full and shutdown drops and the queue use.
template <typename Stats>
void observe_signal(llmtrace::metrics::meter& m, std::string_view prefix, std::string_view unit, Stats stats,
                    bool queues = true) {
  const std::string p(prefix);
  m.create_int64_observable_counter(
      p + ".exported", [stats](observer& o) { o.observe(clamp_count(stats().exported)); }, unit,
      "Records handed to a successful export.");
  m.create_int64_observable_counter(
      p + ".dropped",
      [stats, queues](observer& o) {
        const processor_stats s = stats();
        if (queues)
          o.observe(clamp_count(s.dropped_queue), {{semconv::llmtrace_drop_reason, semconv::drop_reason_queue_full}});
        o.observe(clamp_count(s.dropped_export), {{semconv::llmtrace_drop_reason, semconv::drop_reason_export_failed}});
        if (queues)
          o.observe(clamp_count(s.dropped_shutdown), {{semconv::llmtrace_drop_reason, semconv::drop_reason_shutdown}});
      },
      unit, "Records dropped, by cause.");
  m.create_int64_observable_counter(
      p + ".export.failures", [stats](observer& o) { o.observe(clamp_count(stats().export_failures)); }, "{export}",
      "Export calls that failed.");
  if (queues)
    m.create_int64_observable_up_down_counter(
        p + ".queued", [stats](observer& o) { o.observe(clamp_count(stats().queued)); }, unit,
        "Records accepted and not yet exported or dropped.");
}

}  // namespace detail

/// Where the span and log-record counts come from (each called at collection, on the collecting thread).
using sdk_stats_source = std::function<processor_stats()>;

/// Registers llmtrace's health instruments on `mp` (meter "llmtrace"), each read at collection from
/// `spans` (the tracer provider's processors), `logs` (the logger provider's) and `mp`'s own readers:
///   llmtrace.sdk.spans.exported / llmtrace.sdk.log_records.exported   observable counters
///   llmtrace.sdk.spans.dropped / llmtrace.sdk.log_records.dropped     observable counters with
///       llmtrace.drop.reason = queue_full | export_failed | shutdown
///   llmtrace.sdk.spans.export.failures / ...log_records.export.failures   failed export calls
///   llmtrace.sdk.spans.queued / llmtrace.sdk.log_records.queued       observable up-down counters
///   llmtrace.sdk.metric_points.exported / .dropped (export_failed only) / .export.failures: the
///       points the periodic readers exported or lost in failed exports (no queue, so no .queued)
/// Only batch processors and push readers count (a simple processor exports inline, a pull reader
/// such as Prometheus is scraped: they report nothing). Registering twice on the same provider does
/// nothing. Returns false for the no-op provider.
inline bool observe_sdk_health(meter_provider& mp, sdk_stats_source spans, sdk_stats_source logs) {
  if (!mp.enabled()) return false;
  static std::mutex mu;  // one registration per provider, even from racing threads
  std::lock_guard<std::mutex> lk(mu);
  if (mp.has_instrument("llmtrace.sdk.spans.exported")) return true;
  meter m = mp.get_meter("llmtrace", LLMTRACE_VERSION_STRING);
  detail::observe_signal(m, "llmtrace.sdk.spans", "{span}", std::move(spans));
  detail::observe_signal(m, "llmtrace.sdk.log_records", "{log_record}", std::move(logs));
  // The callbacks run only inside `mp`'s own collections, so `mp` outlives every call.
  detail::observe_signal(
      m, "llmtrace.sdk.metric_points", "{data_point}", [&mp] { return mp.stats(); }, false);
  return true;
}

/// observe_sdk_health reading the global tracer and logger providers (whichever are installed at
/// each collection).
inline bool observe_sdk_health(meter_provider& mp) {
  return observe_sdk_health(
      mp, [] { return llmtrace::global_provider().stats(); },
      [] { return llmtrace::global_logger_provider().stats(); });
}

}  // namespace metrics
LLMTRACE_END_NAMESPACE
