// llmtrace::init for logs: OTEL_LOGS_EXPORTER, OTEL_BLRP_*, OTEL_EXPORTER_OTLP_LOGS_*, the OTLP/HTTP
// log exporter against the fake collector (decoded by the official JS decoders), the same resource
// as the spans, bounded shutdown with an unreachable collector.
#include <llmtrace/llmtrace.hpp>

#include "exporters/exporter_test_support.hpp"
#include "support/fake_collector.hpp"
#include "support/grpc_collector.hpp"
#include "support/js_decoder.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
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
                          "OTEL_SERVICE_NAME",
                          "OTEL_RESOURCE_ATTRIBUTES",
                          "OTEL_BLRP_SCHEDULE_DELAY",
                          "OTEL_BLRP_EXPORT_TIMEOUT",
                          "OTEL_BLRP_MAX_QUEUE_SIZE",
                          "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE",
                          "OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT",
                          "OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT",
                          "OTEL_ATTRIBUTE_COUNT_LIMIT",
                          "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT",
                          "OTEL_EXPORTER_OTLP_ENDPOINT",
                          "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
                          "OTEL_EXPORTER_OTLP_PROTOCOL",
                          "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL",
                          "OTEL_EXPORTER_OTLP_HEADERS",
                          "OTEL_EXPORTER_OTLP_LOGS_HEADERS",
                          "OTEL_EXPORTER_OTLP_TIMEOUT",
                          "OTEL_EXPORTER_OTLP_LOGS_TIMEOUT",
                          "OTEL_EXPORTER_OTLP_COMPRESSION",
                          "OTEL_EXPORTER_OTLP_LOGS_COMPRESSION",
                          "LLMTRACE_LOGS_FILE"})
      vars.push_back(std::make_unique<scoped_env>(v, std::nullopt));
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

}  // namespace

TEST_CASE("OTEL_LOGS_EXPORTER: otlp by default, lists, none, unknown names reported") {
  clean_env env;
  env.set("OTEL_TRACES_EXPORTER", "none");
  {
    auto g = init();
    CHECK(g.log_exporter_names() == names{"otlp"});
    CHECK(&global_logger_provider() == &g.logger_provider());
    CHECK(get_logger("x").enabled());
  }
  CHECK_FALSE(get_logger("x").enabled());  // the guard put the no-op back
  {
    env.set("OTEL_LOGS_EXPORTER", "console, file,otlp,console");
    env.set("LLMTRACE_LOGS_FILE", temp_path("init-logs.jsonl").string());
    auto g = init();
    CHECK(g.log_exporter_names() == names{"console", "file", "otlp"});
  }
  {
    env.set("OTEL_LOGS_EXPORTER", "none");
    auto g = init();
    CHECK(g.log_exporter_names().empty());
    CHECK_FALSE(get_logger("x").enabled());  // no logger provider at all
  }
  {
    captured_errors errors;
    env.set("OTEL_LOGS_EXPORTER", "loki,none");
    auto g = init();
    CHECK(g.log_exporter_names().empty());
    CHECK(errors.count("OTEL_LOGS_EXPORTER: unknown exporter 'loki'") == 1);
  }
}

TEST_CASE("OTEL_BLRP_* and the log record limits; invalid values reported once, defaults used") {
  clean_env env;
  CHECK(batch_log_options_from_env().schedule_delay == 1000ms);
  CHECK(batch_log_options_from_env().max_queue_size == 2048);
  CHECK(batch_log_options_from_env().max_export_batch_size == 512);
  CHECK(batch_log_options_from_env().export_timeout == 30000ms);
  env.set("OTEL_BLRP_SCHEDULE_DELAY", "250");
  env.set("OTEL_BLRP_MAX_QUEUE_SIZE", "100");
  env.set("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "50");
  env.set("OTEL_BLRP_EXPORT_TIMEOUT", "1234");
  const auto o = batch_log_options_from_env();
  CHECK(o.schedule_delay == 250ms);
  CHECK(o.max_queue_size == 100);
  CHECK(o.max_export_batch_size == 50);
  CHECK(o.export_timeout == 1234ms);
  CHECK(batch_options_from_env().schedule_delay == 5000ms);  // the span processor's are separate
  {
    captured_errors errors;
    env.set("OTEL_BLRP_SCHEDULE_DELAY", "soon");
    CHECK(batch_log_options_from_env().schedule_delay == 1000ms);
    CHECK(errors.count("OTEL_BLRP_SCHEDULE_DELAY") == 1);
  }
  env.set("OTEL_ATTRIBUTE_COUNT_LIMIT", "7");
  CHECK(log_limits_from_env().attribute_count == 7);
  env.set("OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT", "3");
  env.set("OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT", "5");
  CHECK(log_limits_from_env().attribute_count == 3);
  CHECK(log_limits_from_env().attribute_value_length == 5);
}

TEST_CASE("init: log records go over OTLP/HTTP to /v1/logs with the spans' resource, both encodings") {
  if (!node_available()) {
    MESSAGE("skipped: node is missing");
    return;
  }
  for (const char* protocol : {"http/protobuf", "http/json"}) {
    CAPTURE(protocol);
    clean_env env;
    fake_collector c;
    env.set("OTEL_EXPORTER_OTLP_ENDPOINT", c.endpoint());
    env.set("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", protocol);
    env.set("OTEL_EXPORTER_OTLP_LOGS_HEADERS", "x-tenant=acme");
    env.set("OTEL_SERVICE_NAME", "logs-init-test");
    std::string span_id;
    {
      auto g = init();
      {
        span s("request");
        span_id = s.span_context().span_id.to_hex();
        get_logger("app").emit(severity::warn, "inside", {{"k", 1}});
      }
      REQUIRE(g.force_flush());
      CHECK(g.log_stats().exported == 1);
    }
    const auto logs = at_path(c, "/v1/logs");
    REQUIRE(logs.size() == 1);
    CHECK(logs[0].header("x-tenant") == "acme");
    CHECK(logs[0].header("Content-Type") ==
          (std::string(protocol) == "http/json" ? "application/json" : "application/x-protobuf"));
    const json doc = js_decode(logs[0].body, *logs[0].encoding, "logs");
    const auto& rl = doc["resourceLogs"][0];
    CHECK(rl["resource"]["attributes"]["service.name"]["string"] == "logs-init-test");
    const auto& rec = rl["scopeLogs"][0]["logRecords"][0];
    CHECK(rec["body"]["string"] == "inside");
    CHECK(rec["severityNumber"] == 13);
    CHECK(rec["spanId"] == span_id);
    // The span went to /v1/traces with the same resource.
    const auto spans = c.spans();
    REQUIRE(spans.size() == 1);
    CHECK(spans[0].span_id == span_id);
    CHECK(spans[0].resource.attributes.get("service.name").as_string() == "logs-init-test");
  }
}

TEST_CASE("init: log records over OTLP/gRPC reach LogsService/Export on a real gRPC server") {
  if (!node_available()) {
    MESSAGE("skipped: node is missing");
    return;
  }
  auto& server = shared_grpc_collector();
  server.reset();
  clean_env env;
  env.set("OTEL_TRACES_EXPORTER", "none");
  env.set("OTEL_METRICS_EXPORTER", "none");
  env.set("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "grpc");
  env.set("OTEL_EXPORTER_OTLP_ENDPOINT", server.endpoint());
  env.set("OTEL_EXPORTER_OTLP_LOGS_HEADERS", "x-tenant=acme");
  env.set("OTEL_SERVICE_NAME", "logs-grpc-test");
  {
    auto g = init();
    get_logger("app").emit(severity::error, "over grpc", {{"k", 7}});
    REQUIRE(g.force_flush());
    CHECK(g.log_stats().exported == 1);
  }
  REQUIRE(server.wait_for_requests(1));
  const auto req = server.request(0);
  CHECK(req.method == "/opentelemetry.proto.collector.logs.v1.LogsService/Export");
  CHECK(req.meta("x-tenant") == "acme");
  const json doc = js_decode(req.body, otlp_encoding::protobuf, "logs");
  const auto& rl = doc["resourceLogs"][0];
  CHECK(rl["resource"]["attributes"]["service.name"]["string"] == "logs-grpc-test");
  const auto& rec = rl["scopeLogs"][0]["logRecords"][0];
  CHECK(rec["body"]["string"] == "over grpc");
  CHECK(rec["severityNumber"] == 17);
}

TEST_CASE("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT is used as given") {
  clean_env env;
  fake_collector c;
  env.set("OTEL_TRACES_EXPORTER", "none");
  env.set("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1");  // the logs-specific one wins
  env.set("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", c.endpoint() + "/v1/logs");
  {
    auto g = init();
    get_logger("app").emit(severity::info, "x");
  }
  CHECK(at_path(c, "/v1/logs").size() == 1);
}

TEST_CASE("an unreachable collector costs bounded time at shutdown and the records are counted as dropped") {
  clean_env env;
  env.set("OTEL_TRACES_EXPORTER", "none");
  env.set("OTEL_EXPORTER_OTLP_ENDPOINT", fake_collector::unreachable_endpoint());
  captured_errors errors;
  init_options o;
  o.shutdown_timeout = 2000ms;
  auto g = init(std::move(o));
  for (int i = 0; i < 10; ++i) get_logger("app").emit(severity::info, "lost");
  const auto start = std::chrono::steady_clock::now();
  g.shutdown();
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  const auto st = g.log_stats();
  CHECK(st.exported == 0);
  CHECK(st.dropped() == 10);
  CHECK(errors.count("log records dropped") >= 1);
}
