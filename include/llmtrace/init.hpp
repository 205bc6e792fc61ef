// llmtrace/init.hpp: the one-line setup. `auto guard = llmtrace::init();` builds a tracer provider, a
// logger provider and a meter provider (same resource) from the OTEL_* environment (exporters, sampler,
// limits, batching, metric readers, resource), installs them as the global providers, and the guard
// flushes and shuts them down, within a bounded time, when it goes out of scope. Also brings every
// setup piece (processors, exporters incl. the in-memory one for tests, environment readers).
// Thread-safety: call init() once at start-up; the guard may be moved to and destroyed on any thread.
// Heavy: needs nlohmann_json, libcurl (LLMTRACE_HAS_CURL), zlib (LLMTRACE_HAS_ZLIB); link llmtrace::llmtrace.
#pragma once

#include <llmtrace/attributes.hpp>
#include <llmtrace/batch_processor.hpp>
#include <llmtrace/config.hpp>
#include <llmtrace/controls/pipeline.hpp>
#include <llmtrace/controls/redact_logs.hpp>
#include <llmtrace/env.hpp>
#include <llmtrace/error.hpp>
#include <llmtrace/exporter.hpp>
#include <llmtrace/exporters/console.hpp>
#include <llmtrace/exporters/console_metrics.hpp>
#include <llmtrace/exporters/file.hpp>
#include <llmtrace/exporters/html.hpp>
#include <llmtrace/exporters/in_memory.hpp>
#include <llmtrace/exporters/logs.hpp>
#include <llmtrace/exporters/multi.hpp>
#include <llmtrace/logs.hpp>
#include <llmtrace/metrics.hpp>
#include <llmtrace/metrics/sdk_health.hpp>
#include <llmtrace/processor.hpp>
#include <llmtrace/provider.hpp>
#include <llmtrace/resource.hpp>
#include <llmtrace/sampler.hpp>

#if LLMTRACE_ENABLED
#include <llmtrace/exporters/otlp_http.hpp>
#include <llmtrace/exporters/otlp_http_logs.hpp>
#include <llmtrace/exporters/otlp_http_metrics.hpp>
#endif

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE

/// What llmtrace::init builds beyond (or instead of) the environment. Everything is optional.
struct init_options {
  /// service.name, used only when neither OTEL_SERVICE_NAME nor OTEL_RESOURCE_ATTRIBUTES sets one.
  std::string service_name;
  /// Resource attributes with the lowest precedence (OTEL_RESOURCE_ATTRIBUTES overrides them).
  attribute_set resource_attributes;
  /// Exporter names used instead of OTEL_TRACES_EXPORTER ("otlp", "console", "file", "none").
  /// An empty list installs only `exporters` and `processors` below.
  std::optional<std::vector<std::string>> exporter_names;
  /// Exporters of your own, fed by the same batch processor as the OTLP and file exporters.
  std::vector<std::unique_ptr<exporter>> exporters;
  /// Processors of your own, called after llmtrace's.
  std::vector<std::unique_ptr<span_processor>> processors;
  /// Replaces OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG.
  std::optional<llmtrace::sampler> sampler;
  /// Replaces the OTEL_*_LIMIT variables.
  std::optional<span_limits> limits;
  /// Replaces the OTEL_BSP_* variables.
  std::optional<batch_options> batch;
  /// Longest time the guard waits for the final flush and shutdown; 0 means the batch export
  /// timeout (OTEL_BSP_EXPORT_TIMEOUT, default 30 s).
  std::chrono::milliseconds shutdown_timeout{0};
  /// Settings of the "file" exporter (its path defaults to LLMTRACE_TRACES_FILE, then
  /// llmtrace-traces.jsonl).
  file_exporter_options file;
  /// Settings of the "html" exporter (its path defaults to LLMTRACE_HTML_FILE, then
  /// llmtrace-traces.html; the page is written at shutdown).
  html_exporter_options html;
  /// Settings of the "console" exporter (default: stdout, colour on terminals).
  console_exporter_options console;
  /// Log exporter names used instead of OTEL_LOGS_EXPORTER ("otlp", "console", "file", "none"). An
  /// empty list installs only `log_exporters` and `log_processors` (no logger provider when both are
  /// empty too: logging is then a no-op).
  std::optional<std::vector<std::string>> log_exporter_names;
  /// Log exporters of your own, fed by the same batch log processor as the OTLP and file ones.
  std::vector<std::unique_ptr<log_exporter>> log_exporters;
  /// Log processors of your own, called after llmtrace's.
  std::vector<std::unique_ptr<log_processor>> log_processors;
  /// Replaces the OTEL_BLRP_* variables.
  std::optional<batch_options> log_batch;
  /// Replaces OTEL_LOGRECORD_ATTRIBUTE_* (and OTEL_ATTRIBUTE_*) limits for log records.
  std::optional<llmtrace::log_limits> log_limits;
  /// The "file" log exporter's path (default: LLMTRACE_LOGS_FILE, then llmtrace-logs.jsonl).
  std::string logs_file;
  /// Metric exporter names used instead of OTEL_METRICS_EXPORTER ("otlp", "console", "prometheus",
  /// "none"). An empty list installs only `metric_exporters` and `metric_readers` (no meter provider
  /// when both are empty too: metrics are then a no-op).
  std::optional<std::vector<std::string>> metric_exporter_names;
  /// Metric exporters of your own, each behind its own periodic reader.
  std::vector<std::unique_ptr<metrics::metric_exporter>> metric_exporters;
  /// Metric readers of your own (e.g. a metrics::manual_reader or a metrics::prometheus_reader).
  std::vector<std::unique_ptr<metrics::metric_reader>> metric_readers;
  /// Replaces OTEL_METRIC_EXPORT_INTERVAL / OTEL_METRIC_EXPORT_TIMEOUT.
  std::optional<metrics::periodic_reader_options> metric_reader_options;
  /// Replaces OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE (the OTLP metric exporter's temporality).
  std::optional<metrics::temporality_preference> metric_temporality;
  /// Replaces OTEL_METRICS_EXEMPLAR_FILTER.
  std::optional<metrics::exemplar_filter> exemplar_filter;
  /// Registers llmtrace's own health instruments (llmtrace.sdk.*, metrics/sdk_health.hpp) on the
  /// installed meter provider, reading this init's tracer, logger and meter providers. Off by default
  /// for now: with it on, every export (the one at exit included) has points even when the program
  /// records no metric, so a program without a collector reports a failed metric export at exit.
  bool sdk_health = false;
  /// Redaction, filtering and tail keep in front of the exporters (controls/pipeline.hpp); each
  /// stage left unset here is read from its LLMTRACE_* variable. With tail keep on, the sampler is
  /// wrapped in record_all() so the tail stage sees the spans head sampling would drop.
  controls_options controls{};
  /// Deterministic time and ids (golden tests); null means the SDK's defaults.
  clock_function clock = nullptr;
  trace_id_function new_trace_id = nullptr;
  span_id_function new_span_id = nullptr;
};

/// Owns the provider llmtrace::init installed. Its destruction (or shutdown()) flushes every
/// processor, shuts the provider down within the shutdown timeout and puts the no-op provider back
/// as the global provider. Move-only; a default-constructed or moved-from guard does nothing.
class [[nodiscard]] sdk_guard {
 public:
  /// A guard that installed nothing (OTEL_SDK_DISABLED, LLMTRACE_DISABLE).
  sdk_guard() noexcept = default;
  sdk_guard(std::shared_ptr<tracer_provider> provider, std::chrono::milliseconds shutdown_timeout,
            std::vector<std::string> exporter_names, std::shared_ptr<llmtrace::logger_provider> logs = nullptr,
            std::vector<std::string> log_exporter_names = {}, std::shared_ptr<metrics::meter_provider> meters = nullptr,
            std::vector<std::string> metric_exporter_names = {}) noexcept
      : provider_(std::move(provider)),
        logs_(std::move(logs)),
        meters_(std::move(meters)),
        timeout_(shutdown_timeout),
        names_(std::move(exporter_names)),
        log_names_(std::move(log_exporter_names)),
        metric_names_(std::move(metric_exporter_names)) {}
  ~sdk_guard() { shutdown(); }
  sdk_guard(sdk_guard&& o) noexcept
      : provider_(std::move(o.provider_)),
        logs_(std::move(o.logs_)),
        meters_(std::move(o.meters_)),
        timeout_(o.timeout_),
        names_(std::move(o.names_)),
        log_names_(std::move(o.log_names_)),
        metric_names_(std::move(o.metric_names_)) {}
  sdk_guard& operator=(sdk_guard&& o) noexcept {
    if (this != &o) {
      shutdown();
      provider_ = std::move(o.provider_);
      logs_ = std::move(o.logs_);
      meters_ = std::move(o.meters_);
      timeout_ = o.timeout_;
      names_ = std::move(o.names_);
      log_names_ = std::move(o.log_names_);
      metric_names_ = std::move(o.metric_names_);
    }
    return *this;
  }
  sdk_guard(const sdk_guard&) = delete;
  sdk_guard& operator=(const sdk_guard&) = delete;

  /// True when a provider was installed and has not been shut down by this guard.
  bool active() const noexcept { return provider_ != nullptr && provider_->active(); }

  /// The installed provider; the no-op provider when nothing was installed. Stays valid after
  /// shutdown (it then records nothing).
  tracer_provider& provider() const noexcept { return provider_ ? *provider_ : detail::global_providers().noop(); }

  /// Span counts summed over the provider's processors (a span exported by two processors, e.g.
  /// console and the OTLP batch, counts twice).
  processor_stats stats() const noexcept { return provider_ ? provider_->stats() : processor_stats{}; }

  /// The exporters in use, in order: "console", "otlp", "file", and "custom" for init_options::exporters.
  const std::vector<std::string>& exporter_names() const noexcept { return names_; }

  /// The installed logger provider; the no-op one when none was installed (no log exporter).
  llmtrace::logger_provider& logger_provider() const noexcept {
    return logs_ ? *logs_ : detail::global_logger_providers().noop();
  }
  /// Log record counts summed over the logger provider's processors.
  processor_stats log_stats() const noexcept { return logs_ ? logs_->stats() : processor_stats{}; }
  /// The log exporters in use, in order ("console", "otlp", "file", "custom").
  const std::vector<std::string>& log_exporter_names() const noexcept { return log_names_; }

  /// The installed meter provider; the global no-op one when none was installed (no metric exporter).
  metrics::meter_provider& meter_provider() const noexcept {
    return meters_ ? *meters_ : metrics::detail::global_meters().noop();
  }
  /// The metric exporters in use, in order ("otlp", "console", "prometheus", "custom" for
  /// init_options::metric_exporters and metric_readers).
  const std::vector<std::string>& metric_exporter_names() const noexcept { return metric_names_; }

  /// The bound on the final flush and shutdown.
  std::chrono::milliseconds shutdown_timeout() const noexcept { return timeout_; }

  /// Exports every span ended, every log record emitted and the metrics recorded so far; false on
  /// timeout or failure.
  bool force_flush() noexcept {
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    bool ok = provider_ ? provider_->force_flush(timeout_) : true;
    if (logs_) ok = logs_->force_flush(detail::time_left(deadline)) && ok;
    if (meters_) ok = meters_->force_flush(detail::time_left(deadline)) && ok;
    return ok;
  }

  /// Restores the no-op global providers (where this guard's are still the global ones), then
  /// flushes and shuts the tracer, logger and meter providers down (the metric readers export a last
  /// time), all within the shutdown timeout.
  /// Idempotent; false when a flush did not finish in time or an exporter failed to shut down.
  bool shutdown() noexcept {
    bool ok = true;
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    if (provider_) {
      try {
        if (&global_provider() == provider_.get()) set_global_provider(nullptr);
      } catch (...) {
      }
      ok = provider_->shutdown(timeout_);
    }
    if (logs_) {
      try {
        if (&global_logger_provider() == logs_.get()) set_global_logger_provider(nullptr);
      } catch (...) {
      }
      ok = logs_->shutdown(detail::time_left(deadline)) && ok;
    }
    if (meters_) {
      try {
        if (&metrics::global_meter_provider() == meters_.get()) metrics::set_global_meter_provider(nullptr);
      } catch (...) {
      }
      ok = meters_->shutdown(detail::time_left(deadline)) && ok;
    }
    return ok;
  }

 private:
  std::shared_ptr<tracer_provider> provider_;
  std::shared_ptr<llmtrace::logger_provider> logs_;
  std::shared_ptr<metrics::meter_provider> meters_;
  std::chrono::milliseconds timeout_{30000};
  std::vector<std::string> names_;
  std::vector<std::string> log_names_;
  std::vector<std::string> metric_names_;
};

namespace detail {

/// Walks exporter names (trimmed, lower-cased; empty, "none" and repeated names skipped) and calls
/// `make(name)`, which sets the exporter up and returns false for a name it does not know: that one is
/// reported once (naming `variable` and the `supported` names) and skipped. Returns the names set up, in order.
template <typename Make>
std::vector<std::string> use_exporter_names(const std::vector<std::string>& requested, std::string_view variable,
                                            Make make, std::string_view supported = "otlp, console, file and none") {
  std::vector<std::string> names, seen;
  for (const auto& raw : requested) {
    std::string name = to_lower(trim(raw));
    if (name.empty() || name == "none" || std::find(seen.begin(), seen.end(), name) != seen.end()) continue;
    seen.push_back(name);
    if (make(name))
      names.push_back(std::move(name));
    else
      report_error(std::string(variable) + ": unknown exporter '" + name + "' ignored (llmtrace supports " +
                   std::string(supported) + ")");
  }
  return names;
}

}  // namespace detail

/// Builds a tracer provider, a logger provider and a meter provider (the same resource) from the
/// environment and `options`, installs them as the global providers and returns the guard that shuts
/// them down. Metrics: OTEL_METRICS_EXPORTER (otlp [default], console, prometheus, none; a list; an
/// unknown name is reported once and skipped, and a list of nothing but unknown names counts as unset),
/// OTEL_METRIC_EXPORT_INTERVAL / _TIMEOUT, OTEL_METRICS_EXEMPLAR_FILTER,
/// OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE, OTEL_EXPORTER_OTLP_METRICS_* / OTEL_EXPORTER_OTLP_*
/// and, for prometheus (which needs <llmtrace/exporters/prometheus_http.hpp> in the program),
/// OTEL_EXPORTER_PROMETHEUS_HOST / _PORT; with no metric exporter, no meter provider is installed; the meter
/// provider gets llmtrace's own health instruments (llmtrace.sdk.*) when init_options::sdk_health is true. Logs:
/// OTEL_LOGS_EXPORTER (otlp [default], console, file, none; a list), OTEL_BLRP_*, the
/// OTEL_LOGRECORD_ATTRIBUTE_* limits, OTEL_EXPORTER_OTLP_LOGS_* / OTEL_EXPORTER_OTLP_*, LLMTRACE_LOGS_FILE;
/// with no log exporter at all, no logger provider is installed (logging stays a no-op). Reads OTEL_SDK_DISABLED (true:
/// installs nothing, the guard does nothing), OTEL_TRACES_EXPORTER (otlp [default], console, file, html, none; a
/// comma-separated list; unknown names are reported once and skipped), OTEL_TRACES_SAMPLER(_ARG), the limit and
/// OTEL_BSP_* variables, OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES, LLMTRACE_TRACES_FILE, LLMTRACE_HTML_FILE and,
/// for otlp, OTEL_EXPORTER_OTLP_*. Invalid values are reported once through the error handler and the defaults used.
/// The console exporter gets its own simple processor (a trace prints as soon as its root ends); all other exporters
/// share one batch processor through a multi_exporter. Under LLMTRACE_DISABLE this reads nothing and returns a guard
/// that does nothing.
inline sdk_guard init(init_options options = {}) {
#if !LLMTRACE_ENABLED
  (void)options;
  return sdk_guard();
#else
  if (sdk_disabled_from_env()) return sdk_guard();

  provider_options po;
  std::vector<attribute> base;
  for (const attribute a : options.resource_attributes) base.push_back(a);
  if (!options.service_name.empty()) base.push_back(attribute{"service.name", options.service_name});
  po.resource = make_resource(attribute_list(base));
  po.sampler = options.sampler ? *options.sampler : sampler_from_env();
  po.limits = options.limits ? *options.limits : limits_from_env();
  po.clock = options.clock;
  po.new_trace_id = options.new_trace_id;
  po.new_span_id = options.new_span_id;
  const batch_options batching = options.batch ? *options.batch : batch_options_from_env();

  std::vector<std::string> requested = options.exporter_names ? *options.exporter_names : exporter_names_from_env();
  auto multi = std::make_unique<multi_exporter>();
  std::unique_ptr<console_exporter> console;
  std::vector<std::string> names =
      detail::use_exporter_names(requested, "OTEL_TRACES_EXPORTER", [&](const std::string& name) {
        if (name == "console")
          console = std::make_unique<console_exporter>(options.console);
        else if (name == "file")
          multi->add(std::make_unique<file_exporter>(options.file));
        else if (name == "html")
          multi->add(std::make_unique<html_exporter>(options.html));
        else if (name == "otlp")
          multi->add(std::make_unique<otlp_http_exporter>(otlp_http_options_from_env()));
        else
          return false;
        return true;
      });
  for (auto& e : options.exporters)
    if (e) {
      multi->add(std::move(e));
      names.emplace_back("custom");
    }
  // Redaction wraps the exporters: it runs where they run (the batch worker), never on the thread
  // that ends a span (the console exporter prints on that thread, so it redacts there).
  const std::shared_ptr<const redactor> redaction = redactor_from(options.controls);
  std::vector<std::unique_ptr<span_processor>> exporting;
  if (console) exporting.push_back(std::make_unique<simple_processor>(with_redaction(std::move(console), redaction)));
  if (!multi->empty())
    exporting.push_back(std::make_unique<batch_processor>(with_redaction(std::move(multi), redaction), batching));
  controls_built built;
  for (auto& p : with_controls(std::move(exporting), options.controls, &built)) po.processors.push_back(std::move(p));
  if (built.tail_keep) po.sampler = record_all(std::move(po.sampler));
  for (auto& p : options.processors) po.processors.push_back(std::move(p));

  // Logs: the same resource; console on its own simple processor, the rest behind one batch processor.
  logger_provider_options lo;
  lo.resource = po.resource;
  lo.limits = options.log_limits ? *options.log_limits : log_limits_from_env();
  lo.clock = options.clock;
  const batch_options log_batching = options.log_batch ? *options.log_batch : batch_log_options_from_env();
  std::vector<std::string> log_requested =
      options.log_exporter_names ? *options.log_exporter_names : exporter_names_from_env("OTEL_LOGS_EXPORTER");
  auto log_multi = std::make_unique<multi_log_exporter>();
  std::unique_ptr<console_log_exporter> log_console;
  std::vector<std::string> log_names =
      detail::use_exporter_names(log_requested, "OTEL_LOGS_EXPORTER", [&](const std::string& name) {
        if (name == "console")
          log_console = std::make_unique<console_log_exporter>(options.console);
        else if (name == "file")
          log_multi->add(std::make_unique<file_log_exporter>(options.logs_file));
        else if (name == "otlp")
          log_multi->add(std::make_unique<otlp_http_log_exporter>(otlp_http_options_from_env(otlp_signal::logs)));
        else
          return false;
        return true;
      });
  for (auto& e : options.log_exporters)
    if (e) {
      log_multi->add(std::move(e));
      log_names.emplace_back("custom");
    }
  // The same redaction as the spans' (GenAI events carry the captured content), on the export side.
  if (log_console)
    lo.processors.push_back(
        std::make_unique<simple_log_processor>(with_log_redaction(std::move(log_console), redaction)));
  if (!log_multi->empty())
    lo.processors.push_back(
        std::make_unique<batch_log_processor>(with_log_redaction(std::move(log_multi), redaction), log_batching));
  for (auto& p : options.log_processors) lo.processors.push_back(std::move(p));
  std::shared_ptr<logger_provider> logs;
  if (!lo.processors.empty()) {
    logs = std::make_shared<logger_provider>(std::move(lo));
    set_global_logger_provider(logs);
  }

  // Metrics: the same resource; every push exporter behind its own periodic reader.
  metrics::meter_provider_options mo;
  mo.resource = po.resource;
  mo.clock = options.clock;
  mo.exemplar_filter = options.exemplar_filter ? *options.exemplar_filter : metrics::exemplar_filter_from_env();
  const metrics::periodic_reader_options reading =
      options.metric_reader_options ? *options.metric_reader_options : metrics::periodic_reader_options_from_env();
  const auto add_push_reader = [&](std::unique_ptr<metrics::metric_exporter> e) {
    mo.readers.push_back(std::make_unique<metrics::periodic_exporting_reader>(std::move(e), reading));
  };
  const bool metric_names_from_env = !options.metric_exporter_names;
  std::vector<std::string> metric_requested =
      metric_names_from_env ? metrics::exporter_names_from_env() : *options.metric_exporter_names;
  bool unknown_metric_exporter = false, prometheus_unavailable = false;
  const auto make_metric_exporter = [&](const std::string& name) {
    if (name == "otlp") {
      add_push_reader(std::make_unique<otlp_http_metric_exporter>(
          otlp_http_options_from_env(otlp_signal::metrics),
          options.metric_temporality ? *options.metric_temporality : metrics::temporality_preference_from_env()));
    } else if (name == "console") {
      add_push_reader(std::make_unique<metrics::console_metric_exporter>(
          metrics::console_metric_exporter_options{options.console.file, options.console.stream}));
    } else if (name == "prometheus") {
      if (const auto factory = metrics::detail::prometheus_reader_factory()) {
        mo.readers.push_back(factory());
      } else {
        prometheus_unavailable = true;
        detail::report_error(
            "OTEL_METRICS_EXPORTER: prometheus needs <llmtrace/exporters/prometheus_http.hpp> included in the "
            "program (llmtrace built with LLMTRACE_WITH_PROMETHEUS); /metrics is not served");
      }
    } else {
      unknown_metric_exporter = true;
      return false;
    }
    return true;
  };
  std::vector<std::string> metric_names = detail::use_exporter_names(
      metric_requested, "OTEL_METRICS_EXPORTER", make_metric_exporter,
      "otlp, console, prometheus and none; with no known name left, the default otlp is used");
  if (prometheus_unavailable) metric_names.erase(std::find(metric_names.begin(), metric_names.end(), "prometheus"));
  // An invalid OTEL_METRICS_EXPORTER counts as unset (the default, otlp), as the SDK specification asks.
  if (metric_names_from_env && unknown_metric_exporter && mo.readers.empty() && !prometheus_unavailable) {
    make_metric_exporter("otlp");
    metric_names.emplace_back("otlp");
  }
  for (auto& e : options.metric_exporters)
    if (e) {
      add_push_reader(std::move(e));
      metric_names.emplace_back("custom");
    }
  for (auto& r : options.metric_readers)
    if (r) {
      mo.readers.push_back(std::move(r));
      metric_names.emplace_back("custom");
    }
  std::shared_ptr<metrics::meter_provider> meters;
  if (!mo.readers.empty()) {
    meters = std::make_shared<metrics::meter_provider>(std::move(mo));
    metrics::set_global_meter_provider(meters);
  }

  auto provider = std::make_shared<tracer_provider>(std::move(po));
  set_global_provider(provider);
  if (meters && options.sdk_health) {
    // This init's providers, not the global ones: the guard's final metric export runs after it has
    // put the no-op providers back, and must still report the final counts.
    const std::weak_ptr<const tracer_provider> spans = provider;
    const std::weak_ptr<const logger_provider> log_records = logs;
    metrics::observe_sdk_health(
        *meters,
        [spans] {
          const auto p = spans.lock();
          return p ? p->stats() : processor_stats{};
        },
        [log_records] {
          const auto p = log_records.lock();
          return p ? p->stats() : processor_stats{};
        });
  }
  const auto timeout = options.shutdown_timeout.count() > 0 ? options.shutdown_timeout : batching.export_timeout;
  return sdk_guard(std::move(provider), timeout, std::move(names), std::move(logs), std::move(log_names),
                   std::move(meters), std::move(metric_names));
#endif
}

LLMTRACE_END_NAMESPACE
