// llmtrace::init for metrics: OTEL_METRICS_EXPORTER (otlp default, console, prometheus, none, lists,
// unknown names), the meter provider installed globally with the spans' resource, the guard's
// flush and shutdown at exit (the last export reaches the fake collector, decoded by the official JS
// decoders), OTEL_SDK_DISABLED, the temporality preference and the exporter options from init_options.
#include <llmtrace/llmtrace.hpp>

#include "exporters/exporter_test_support.hpp"
#include "support/fake_collector.hpp"
#include "support/js_decoder.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

using namespace llmtrace;
using namespace llmtrace_test;
using nlohmann::json;
using names = std::vector<std::string>;
using namespace std::chrono_literals;

namespace {

struct clean_env {
  std::vector<std::unique_ptr<scoped_env>> vars;
  clean_env() {
    for (const char* v : {"OTEL_SDK_DISABLED",
                          "OTEL_TRACES_EXPORTER",
                          "OTEL_LOGS_EXPORTER",
                          "OTEL_METRICS_EXPORTER",
                          "OTEL_SERVICE_NAME",
                          "OTEL_RESOURCE_ATTRIBUTES",
                          "OTEL_METRIC_EXPORT_INTERVAL",
                          "OTEL_METRIC_EXPORT_TIMEOUT",
                          "OTEL_METRICS_EXEMPLAR_FILTER",
                          "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
                          "OTEL_EXPORTER_OTLP_ENDPOINT",
                          "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
                          "OTEL_EXPORTER_OTLP_PROTOCOL",
                          "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
                          "OTEL_EXPORTER_OTLP_HEADERS",
                          "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
                          "OTEL_EXPORTER_OTLP_COMPRESSION",
                          "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION",
                          "OTEL_EXPORTER_OTLP_TIMEOUT",
                          "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT"})
      vars.push_back(std::make_unique<scoped_env>(v, std::nullopt));
    set("OTEL_TRACES_EXPORTER", "none");
    set("OTEL_LOGS_EXPORTER", "none");
  }
  void set(const char* name, std::string value) {
    vars.push_back(std::make_unique<scoped_env>(name, std::move(value)));
  }
};

std::vector<received_request> at_path(const fake_collector& c, std::string_view path) {
  std::vector<received_request> out;
  for (auto& r : c.requests())
    if (r.path == path) out.push_back(std::move(r));
  return out;
}

/// The metric named `name` in a canonical decoded request (null when absent).
json find_metric(const json& req, std::string_view name) {
  for (const auto& rm : req["resourceMetrics"])
    for (const auto& sm : rm["scopeMetrics"])
      for (const auto& md : sm["metrics"])
        if (md["name"] == name) return md;
  return nullptr;
}

}  // namespace

TEST_CASE("init: otlp by default; the guard exports the last metrics at exit with the spans' resource") {
  REQUIRE_MESSAGE(node_available(), "node is missing: the official-decoder cross-check cannot run");
  clean_env env;
  fake_collector c;
  env.set("OTEL_EXPORTER_OTLP_ENDPOINT", c.endpoint());
  env.set("OTEL_SERVICE_NAME", "init-metrics");
  {
    auto g = init();
    CHECK(g.metric_exporter_names() == names{"otlp"});
    CHECK(&metrics::global_meter_provider() == &g.meter_provider());
    CHECK(g.meter_provider().resource().attributes.get_string("service.name") == "init-metrics");
    auto requests = metrics::get_meter("app", "2.0").create_int64_counter("app.requests", "{request}");
    requests.add(5, {{"route", "/chat"}});
    requests.add(2, {{"route", "/chat"}});
    CHECK(at_path(c, "/v1/metrics").empty());  // the 60 s interval has not passed
  }
  CHECK_FALSE(metrics::global_meter_provider().enabled());  // the guard put the no-op back
  const auto sent = at_path(c, "/v1/metrics");
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].header("Content-Type") == "application/x-protobuf");
  const auto decoded = js_decode(sent[0].body, otlp_encoding::protobuf, "metrics");
  CHECK(decoded["resourceMetrics"][0]["resource"]["attributes"]["service.name"] == json{{"string", "init-metrics"}});
  const auto md = find_metric(decoded, "app.requests");
  REQUIRE(md.is_object());
  CHECK(md["aggregationTemporality"] == 2);
  CHECK(md["isMonotonic"] == true);
  CHECK(md["dataPoints"][0]["asInt"] == "7");
  CHECK(md["dataPoints"][0]["attributes"]["route"] == json{{"string", "/chat"}});
}

TEST_CASE("init: force_flush exports metrics now; the delta preference and http/json apply") {
  REQUIRE_MESSAGE(node_available(), "node is missing: the official-decoder cross-check cannot run");
  clean_env env;
  fake_collector c;
  env.set("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", c.endpoint() + "/v1/metrics");
  env.set("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "http/json");
  env.set("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "delta");
  auto g = init();
  auto tokens = metrics::get_meter("app").create_int64_counter("tokens", "{token}");
  tokens.add(10);
  REQUIRE(g.force_flush());
  tokens.add(3);
  REQUIRE(g.force_flush());
  const auto sent = at_path(c, "/v1/metrics");
  REQUIRE(sent.size() == 2);
  CHECK(sent[1].header("Content-Type") == "application/json");
  const auto md = find_metric(js_decode(sent[1].body, otlp_encoding::json, "metrics"), "tokens");
  REQUIRE(md.is_object());
  CHECK(md["aggregationTemporality"] == 1);
  CHECK(md["dataPoints"][0]["asInt"] == "3");
}

TEST_CASE("init: console prints the metrics table at flush and exit; lists and repeats") {
  clean_env env;
  env.set("OTEL_METRICS_EXPORTER", "console, none,console");
  std::ostringstream out;
  init_options o;
  o.console.stream = &out;
  {
    auto g = init(std::move(o));
    CHECK(g.metric_exporter_names() == names{"console"});
    auto h = metrics::get_meter("app").create_double_histogram("app.latency", "s", "", {{0.1, 0.2, 0.4}});
    for (int i = 0; i < 10; ++i) h.record(0.15);
    REQUIRE(g.force_flush());
    CHECK(out.str().find("app.latency") != std::string::npos);
    CHECK(out.str().find("150 ms") != std::string::npos);
    out.str("");
  }
  CHECK(out.str().find("app.latency") != std::string::npos);  // printed again at exit
}

TEST_CASE("init: none, OTEL_SDK_DISABLED and unknown names") {
  clean_env env;
  {
    env.set("OTEL_METRICS_EXPORTER", "none");
    auto g = init();
    CHECK(g.metric_exporter_names().empty());
    CHECK_FALSE(metrics::global_meter_provider().enabled());
    CHECK_FALSE(metrics::get_meter("x").enabled());
  }
  {
    env.set("OTEL_METRICS_EXPORTER", "console");
    env.set("OTEL_SDK_DISABLED", "true");
    auto g = init();
    CHECK(g.metric_exporter_names().empty());
    CHECK_FALSE(metrics::get_meter("x").enabled());
    env.set("OTEL_SDK_DISABLED", "false");
  }
  {
    captured_errors errors;
    env.set("OTEL_METRICS_EXPORTER", "statsd,console");
    std::ostringstream out;
    init_options o;
    o.console.stream = &out;
    auto g = init(std::move(o));
    CHECK(g.metric_exporter_names() == names{"console"});
    CHECK(errors.count("OTEL_METRICS_EXPORTER: unknown exporter 'statsd'") == 1);
  }
  {
    // Nothing but unknown names: reported once, and the variable counts as unset (otlp).
    captured_errors errors;
    env.set("OTEL_METRICS_EXPORTER", "statsd");
    env.set("OTEL_EXPORTER_OTLP_ENDPOINT", fake_collector::unreachable_endpoint());
    env.set("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "300");  // the final export fails quickly
    auto g = init();
    CHECK(g.metric_exporter_names() == names{"otlp"});
    CHECK(errors.count("unknown exporter 'statsd'") == 1);
  }
  {
    // This program does not include <llmtrace/exporters/prometheus_http.hpp>: said so, nothing served.
    captured_errors errors;
    env.set("OTEL_METRICS_EXPORTER", "prometheus");
    auto g = init();
    CHECK(g.metric_exporter_names().empty());
    CHECK(errors.count("prometheus needs <llmtrace/exporters/prometheus_http.hpp>") == 1);
  }
}

TEST_CASE("init: metric exporters and readers of your own; init_options replace the variables") {
  clean_env env;
  env.set("OTEL_METRICS_EXPORTER", "none");
  env.set("OTEL_METRICS_EXEMPLAR_FILTER", "always_off");
  auto store = std::make_shared<metrics::in_memory_metric_store>();
  auto reader = std::make_unique<metrics::manual_reader>();
  metrics::manual_reader* manual = reader.get();
  init_options o;
  o.metric_exporters.push_back(std::make_unique<metrics::in_memory_metric_exporter>(store));
  o.metric_readers.push_back(std::move(reader));
  o.exemplar_filter = metrics::exemplar_filter::always_on;
  auto g = init(std::move(o));
  CHECK(g.metric_exporter_names() == names{"custom", "custom"});
  auto h = metrics::get_meter("app").create_double_histogram("h", "s");
  h.record(1.5);
  REQUIRE(g.force_flush());
  REQUIRE_FALSE(store->collections().empty());
  metrics::resource_metrics rm;
  REQUIRE(manual->collect(rm));
  const auto* md = rm.find("h");
  REQUIRE(md != nullptr);
  REQUIRE(md->histogram_points.size() == 1);
  CHECK(md->histogram_points[0].exemplars.size() == 1);  // always_on from init_options, not the variable
}

namespace {

/// The int value of `name`'s point (with llmtrace.drop.reason = `reason` when given); -1 when absent.
std::int64_t init_health_value(const metrics::resource_metrics& rm, std::string_view name,
                               std::string_view reason = {}) {
  const auto* md = rm.find(name);
  if (!md) return -1;
  for (const auto& p : md->number_points)
    if (reason.empty() || (p.attributes && p.attributes->get_string(semconv::llmtrace_drop_reason) == reason))
      return p.as_int;
  return -1;
}

}  // namespace

TEST_CASE(
    "init: init_options::sdk_health registers SDK health; its last export counts this init's spans and metric points") {
  clean_env env;
  env.set("OTEL_METRICS_EXPORTER", "none");
  auto metric_store = std::make_shared<metrics::in_memory_metric_store>();
  auto span_store = std::make_shared<in_memory_span_store>();
  {
    init_options o;
    o.exporters.push_back(std::make_unique<in_memory_exporter>(span_store));
    o.metric_exporters.push_back(std::make_unique<metrics::in_memory_metric_exporter>(metric_store));
    o.sdk_health = true;
    auto g = init(std::move(o));
    for (int i = 0; i < 3; ++i) span s("health work");
    REQUIRE(g.force_flush());  // the spans, then a first metric export
    REQUIRE(metric_store->size() == 1);
    const auto first = metric_store->last();
    CHECK(init_health_value(first, "llmtrace.sdk.spans.exported") == 3);
    CHECK(init_health_value(first, "llmtrace.sdk.metric_points.exported") == 0);
  }
  // The guard took the providers out of the global slots before the final export: the health
  // instruments still read this init's providers (the global ones would report 0 spans).
  const auto all = metric_store->collections();
  REQUIRE(all.size() == 2);
  const auto& last = all.back();
  CHECK(init_health_value(last, "llmtrace.sdk.spans.exported") == 3);
  CHECK(init_health_value(last, "llmtrace.sdk.spans.dropped", "export_failed") == 0);
  CHECK(init_health_value(last, "llmtrace.sdk.spans.queued") == 0);
  CHECK(init_health_value(last, "llmtrace.sdk.log_records.exported") == 0);  // no log exporter: no provider
  CHECK(init_health_value(last, "llmtrace.sdk.metric_points.exported") ==
        static_cast<std::int64_t>(all.front().point_count()));
  CHECK(init_health_value(last, "llmtrace.sdk.metric_points.dropped", "export_failed") == 0);
  CHECK(init_health_value(last, "llmtrace.sdk.metric_points.export.failures") == 0);
}

TEST_CASE("init: without init_options::sdk_health (the default) no llmtrace.sdk.* instrument is registered") {
  clean_env env;
  env.set("OTEL_METRICS_EXPORTER", "none");
  auto metric_store = std::make_shared<metrics::in_memory_metric_store>();
  init_options o;
  o.metric_exporters.push_back(std::make_unique<metrics::in_memory_metric_exporter>(metric_store));
  auto g = init(std::move(o));
  CHECK_FALSE(g.meter_provider().has_instrument("llmtrace.sdk.spans.exported"));
  metrics::get_meter("app").create_int64_counter("app.calls").add(1);
  REQUIRE(g.force_flush());
  const auto rm = metric_store->last();
  CHECK(rm.find("app.calls") != nullptr);
  CHECK(rm.find("llmtrace.sdk.spans.exported") == nullptr);
  CHECK(rm.find("llmtrace.sdk.metric_points.exported") == nullptr);
}
