// llmtrace/env.hpp: the SDK configuration from the standard OTEL_* variables (sampler, limits, batch
// processors, resource, exporter names, for spans and logs). Invalid values are reported once through the error handler
// and the default is used. Thread-safety: reads the environment; call at start-up.
#pragma once

#include <llmtrace/attributes.hpp>
#include <llmtrace/batch_processor.hpp>
#include <llmtrace/config.hpp>
#include <llmtrace/detail/env.hpp>
#include <llmtrace/logs/log_record.hpp>
#include <llmtrace/resource.hpp>
#include <llmtrace/sampler.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE

/// OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG (default parentbased_always_on).
inline sampler sampler_from_env() {
  const auto name_env = detail::get_env("OTEL_TRACES_SAMPLER");
  const std::string name = name_env ? detail::to_lower(*name_env) : "parentbased_always_on";
  auto ratio = [] {
    const auto arg = detail::get_env("OTEL_TRACES_SAMPLER_ARG");
    return arg ? detail::parse_double("OTEL_TRACES_SAMPLER_ARG", *arg, 1.0, 0.0, 1.0) : 1.0;
  };
  if (name == "always_on") return sampler::always_on();
  if (name == "always_off") return sampler::always_off();
  if (name == "traceidratio") return sampler::trace_id_ratio(ratio());
  if (name == "parentbased_always_on") return sampler::parent_based(sampler::always_on());
  if (name == "parentbased_always_off") return sampler::parent_based(sampler::always_off());
  if (name == "parentbased_traceidratio") return sampler::parent_based(sampler::trace_id_ratio(ratio()));
  detail::report_invalid("OTEL_TRACES_SAMPLER", *name_env,
                         "always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or "
                         "parentbased_traceidratio",
                         "parentbased_always_on");
  return sampler::parent_based(sampler::always_on());
}

/// The span limit variables; a span-specific variable wins over the general one.
inline span_limits limits_from_env() {
  span_limits l;
  constexpr long long max = span_limits::unlimited;
  auto read = [&](std::initializer_list<const char*> names, std::uint32_t fallback) {
    if (auto v = detail::get_env_first(names))
      return static_cast<std::uint32_t>(detail::parse_int(v->first, v->second, fallback, 0, max));
    return fallback;
  };
  l.attribute_value_length =
      read({"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT"}, span_limits::unlimited);
  l.attribute_count = read({"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "OTEL_ATTRIBUTE_COUNT_LIMIT"}, 128);
  l.event_count = read({"OTEL_SPAN_EVENT_COUNT_LIMIT"}, 128);
  l.link_count = read({"OTEL_SPAN_LINK_COUNT_LIMIT"}, 128);
  l.event_attribute_count = read({"OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", "OTEL_ATTRIBUTE_COUNT_LIMIT"}, 128);
  l.link_attribute_count = read({"OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", "OTEL_ATTRIBUTE_COUNT_LIMIT"}, 128);
  return l;
}

/// The batch variables of one signal: <prefix>_SCHEDULE_DELAY, <prefix>_EXPORT_TIMEOUT,
/// <prefix>_MAX_QUEUE_SIZE, <prefix>_MAX_EXPORT_BATCH_SIZE, with `defaults` for unset ones.
inline batch_options batch_options_from_env(const std::string& prefix, const batch_options& defaults) {
  const auto var = [&](const char* suffix) { return prefix + suffix; };
  batch_options o;
  o.schedule_delay = std::chrono::milliseconds(
      detail::env_int(var("_SCHEDULE_DELAY").c_str(), defaults.schedule_delay.count(), 1, 86400000));
  o.export_timeout = std::chrono::milliseconds(
      detail::env_int(var("_EXPORT_TIMEOUT").c_str(), defaults.export_timeout.count(), 0, 86400000));
  o.max_queue_size = static_cast<std::size_t>(
      detail::env_int(var("_MAX_QUEUE_SIZE").c_str(), static_cast<long long>(defaults.max_queue_size), 1, 1 << 24));
  o.max_export_batch_size = static_cast<std::size_t>(detail::env_int(
      var("_MAX_EXPORT_BATCH_SIZE").c_str(), static_cast<long long>(defaults.max_export_batch_size), 1, 1 << 24));
  if (o.max_export_batch_size > o.max_queue_size) {
    detail::report_error(var("_MAX_EXPORT_BATCH_SIZE") + " (" + std::to_string(o.max_export_batch_size) + ") exceeds " +
                         var("_MAX_QUEUE_SIZE") + " (" + std::to_string(o.max_queue_size) +
                         "); using the queue size as the batch size");
    o.max_export_batch_size = o.max_queue_size;
  }
  return o;
}

/// OTEL_BSP_SCHEDULE_DELAY, OTEL_BSP_EXPORT_TIMEOUT, OTEL_BSP_MAX_QUEUE_SIZE, OTEL_BSP_MAX_EXPORT_BATCH_SIZE.
inline batch_options batch_options_from_env() { return batch_options_from_env("OTEL_BSP", batch_options{}); }

/// OTEL_BLRP_SCHEDULE_DELAY [1000], OTEL_BLRP_EXPORT_TIMEOUT [30000], OTEL_BLRP_MAX_QUEUE_SIZE [2048],
/// OTEL_BLRP_MAX_EXPORT_BATCH_SIZE [512]: the batch log record processor.
inline batch_options batch_log_options_from_env() {
  batch_options defaults;
  defaults.schedule_delay = std::chrono::milliseconds(1000);
  return batch_options_from_env("OTEL_BLRP", defaults);
}

/// OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT / OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT, falling back to
/// OTEL_ATTRIBUTE_COUNT_LIMIT / OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT.
inline log_limits log_limits_from_env() {
  log_limits l;
  constexpr long long max = span_limits::unlimited;
  if (auto v = detail::get_env_first({"OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT", "OTEL_ATTRIBUTE_COUNT_LIMIT"}))
    l.attribute_count = static_cast<std::uint32_t>(detail::parse_int(v->first, v->second, 128, 0, max));
  if (auto v =
          detail::get_env_first({"OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT"}))
    l.attribute_value_length = static_cast<std::uint32_t>(detail::parse_int(v->first, v->second, max, 0, max));
  return l;
}

/// OTEL_SDK_DISABLED: true makes llmtrace::init install nothing (every span is a no-op).
inline bool sdk_disabled_from_env() { return detail::env_bool("OTEL_SDK_DISABLED", false); }

/// OTEL_TRACES_EXPORTER (or `variable`, e.g. OTEL_LOGS_EXPORTER) as a list of lowercase names
/// (default "otlp"); "none" alone gives an empty list.
inline std::vector<std::string> exporter_names_from_env(const char* variable = "OTEL_TRACES_EXPORTER") {
  const auto v = detail::get_env(variable);
  if (!v) return {"otlp"};
  std::vector<std::string> out;
  for (const auto& n : detail::split_list(*v)) {
    const auto name = detail::to_lower(n);
    if (name == "none") continue;
    bool seen = false;
    for (const auto& o : out) seen = seen || o == name;
    if (!seen) out.push_back(name);
  }
  return out;
}

LLMTRACE_END_NAMESPACE
