// llmtrace/metrics/sdk_health.hpp: llmtrace's own health as observable instruments (spans and log
// records exported, dropped by cause, failed exports, queue use), read at each collection from the
// global tracer and logger providers' processor counters.
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
#include <mutex>
#include <string_view>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE
namespace metrics {

namespace detail {

inline std::int64_t clamp_count(std::uint64_t n) noexcept {
  return static_cast<std::int64_t>(std::min<std::uint64_t>(n, static_cast<std::uint64_t>(INT64_MAX)));
}

/// The four instruments of one signal: exported, dropped (by cause), failed exports, queued.
template <typename Stats>
void observe_signal(llmtrace::metrics::meter& m, std::string_view prefix, std::string_view unit, Stats stats) {
  const std::string p(prefix);
  m.create_int64_observable_counter(
      p + ".exported", [stats](observer& o) { o.observe(clamp_count(stats().exported)); }, unit,
      "Records handed to a successful export.");
  m.create_int64_observable_counter(
      p + ".dropped",
      [stats](observer& o) {
        const processor_stats s = stats();
        o.observe(clamp_count(s.dropped_queue), {{semconv::llmtrace_drop_reason, semconv::drop_reason_queue_full}});
        o.observe(clamp_count(s.dropped_export), {{semconv::llmtrace_drop_reason, semconv::drop_reason_export_failed}});
        o.observe(clamp_count(s.dropped_shutdown), {{semconv::llmtrace_drop_reason, semconv::drop_reason_shutdown}});
      },
      unit, "Records dropped, by cause.");
  m.create_int64_observable_counter(
      p + ".export.failures", [stats](observer& o) { o.observe(clamp_count(stats().export_failures)); }, "{export}",
      "Export calls that failed.");
  m.create_int64_observable_up_down_counter(
      p + ".queued", [stats](observer& o) { o.observe(clamp_count(stats().queued)); }, unit,
      "Records accepted and not yet exported or dropped.");
}

}  // namespace detail

/// Registers llmtrace's health instruments on `mp` (meter "llmtrace"), each read at collection from
/// the global tracer provider (spans) and logger provider (log records):
///   llmtrace.sdk.spans.exported / llmtrace.sdk.log_records.exported   observable counters
///   llmtrace.sdk.spans.dropped / llmtrace.sdk.log_records.dropped     observable counters with
///       llmtrace.drop.reason = queue_full | export_failed | shutdown
///   llmtrace.sdk.spans.export.failures / ...log_records.export.failures   failed export calls
///   llmtrace.sdk.spans.queued / llmtrace.sdk.log_records.queued       observable up-down counters
/// Only batch processors count (a simple processor exports inline and reports nothing). Registering
/// twice on the same provider does nothing. Returns false for the no-op provider.
inline bool observe_sdk_health(meter_provider& mp) {
  if (!mp.enabled()) return false;
  static std::mutex mu;
  static std::vector<const meter_provider*>* done = new std::vector<const meter_provider*>();  // never freed
  {
    std::lock_guard<std::mutex> lk(mu);
    if (std::find(done->begin(), done->end(), &mp) != done->end()) return true;
    done->push_back(&mp);
  }
  meter m = mp.get_meter("llmtrace", LLMTRACE_VERSION_STRING);
  detail::observe_signal(m, "llmtrace.sdk.spans", "{span}", [] { return llmtrace::global_provider().stats(); });
  detail::observe_signal(m, "llmtrace.sdk.log_records", "{log_record}",
                         [] { return llmtrace::global_logger_provider().stats(); });
  return true;
}

}  // namespace metrics
LLMTRACE_END_NAMESPACE
