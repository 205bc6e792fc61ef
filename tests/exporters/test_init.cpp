// Tests for llmtrace/init.hpp: environment combinations, OTEL_SDK_DISABLED, invalid values, the
// guard's flush at scope exit (checked through the file exporter and a fake OTLP collector).
#include "exporter_test_support.hpp"

#include <llmtrace/exporters/in_memory.hpp>
#include <llmtrace/init.hpp>
#include <llmtrace/span.hpp>

#include "support/fake_collector.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

using namespace llmtrace;
using namespace llmtrace_test;
using nlohmann::json;
using names = std::vector<std::string>;

namespace {

// Unsets every variable init() reads, restoring them afterwards; a test then sets what it needs.
struct clean_env {
  std::vector<std::unique_ptr<scoped_env>> vars;
  clean_env() {
    for (const char* v : {"OTEL_SDK_DISABLED",
                          "OTEL_TRACES_EXPORTER",
                          "OTEL_SERVICE_NAME",
                          "OTEL_RESOURCE_ATTRIBUTES",
                          "OTEL_TRACES_SAMPLER",
                          "OTEL_TRACES_SAMPLER_ARG",
                          "OTEL_BSP_SCHEDULE_DELAY",
                          "OTEL_BSP_EXPORT_TIMEOUT",
                          "OTEL_BSP_MAX_QUEUE_SIZE",
                          "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
                          "OTEL_ATTRIBUTE_COUNT_LIMIT",
                          "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT",
                          "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT",
                          "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT",
                          "LLMTRACE_TRACES_FILE",
                          "NO_COLOR",
                          "OTEL_EXPORTER_OTLP_ENDPOINT",
                          "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                          "OTEL_EXPORTER_OTLP_PROTOCOL",
                          "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
                          "OTEL_EXPORTER_OTLP_HEADERS",
                          "OTEL_EXPORTER_OTLP_TIMEOUT",
                          "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
                          "OTEL_EXPORTER_OTLP_COMPRESSION"})
      vars.push_back(std::make_unique<scoped_env>(v, std::nullopt));
  }
  void set(const char* name, std::string value) {
    vars.push_back(std::make_unique<scoped_env>(name, std::move(value)));
  }
  // OTEL_TRACES_EXPORTER=file writing to a fresh temporary file; returns its path.
  std::filesystem::path use_file(std::string_view name) {
    const auto path = temp_path(name);
    set("OTEL_TRACES_EXPORTER", "file");
    set("LLMTRACE_TRACES_FILE", path.string());
    return path;
  }
};

// The spans of every line of an OTLP/JSON lines file, flattened.
std::vector<json> spans_in(const std::filesystem::path& p) {
  std::vector<json> out;
  for (const auto& line : read_lines(p)) {
    const json request = json::parse(line);
    for (const auto& rs : request["resourceSpans"])
      for (const auto& ss : rs["scopeSpans"])
        for (const auto& sp : ss["spans"]) out.push_back(sp);
  }
  return out;
}

std::string resource_service_name(const std::filesystem::path& p) {
  const json request = json::parse(read_lines(p).at(0));
  for (const auto& a : request["resourceSpans"][0]["resource"]["attributes"])
    if (a["key"] == "service.name") return a["value"]["stringValue"];
  return {};
}

}  // namespace

TEST_CASE("the guard is move-only: a move-constructed guard owns the provider, the moved-from one does nothing") {
  static_assert(!std::is_copy_constructible_v<sdk_guard>);
  static_assert(!std::is_copy_assignable_v<sdk_guard>);
  static_assert(std::is_nothrow_move_constructible_v<sdk_guard>);
  static_assert(std::is_nothrow_move_assignable_v<sdk_guard>);
  clean_env env;
  const auto path = env.use_file("move_constructed.jsonl");
  auto first = init();
  REQUIRE(first.active());
  tracer_provider* const installed = &global_provider();
  sdk_guard second(std::move(first));
  CHECK_FALSE(first.active());  // NOLINT(bugprone-use-after-move): a moved-from guard is empty
  CHECK(second.active());
  CHECK(&second.provider() == installed);
  CHECK(first.shutdown());                 // NOLINT(bugprone-use-after-move): nothing to shut down
  CHECK(&global_provider() == installed);  // the moved-from guard did not uninstall it
  { span s("after move construction"); }
  CHECK(second.shutdown());
  CHECK_FALSE(global_provider().active());
  CHECK(spans_in(path).size() == 1);
}

TEST_CASE("OTEL_SDK_DISABLED=true installs nothing; the guard is a no-op") {
  clean_env env;
  env.set("OTEL_SDK_DISABLED", "true");
  env.set("OTEL_TRACES_EXPORTER", "console");
  std::ostringstream out;
  init_options o;
  o.console.stream = &out;
  {
    auto guard = init(std::move(o));
    CHECK_FALSE(guard.active());
    CHECK(guard.exporter_names().empty());
    CHECK_FALSE(global_provider().active());
    CHECK_FALSE(guard.provider().active());
    { span s("not recorded"); }
    CHECK(guard.stats().exported == 0);
  }
  CHECK(out.str().empty());
}

TEST_CASE("OTEL_TRACES_EXPORTER picks the exporters") {
  clean_env env;
  env.set("OTEL_EXPORTER_OTLP_ENDPOINT", fake_collector::unreachable_endpoint());
  env.set("LLMTRACE_TRACES_FILE", temp_path("pick.jsonl").string());
  struct row {
    std::optional<std::string> value;
    names expected;
  };
  const row rows[] = {
      {std::nullopt, {"otlp"}},
      {"otlp", {"otlp"}},
      {"console", {"console"}},
      {"file", {"file"}},
      {"none", {}},
      {"console,file", {"console", "file"}},
      {" Console , OTLP ,file,console ", {"console", "otlp", "file"}},
      {"none,file", {"file"}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.value.value_or("<unset>"));
    scoped_env var("OTEL_TRACES_EXPORTER", r.value);
    std::ostringstream out;
    init_options o;
    o.console.stream = &out;
    auto guard = init(std::move(o));
    CHECK(guard.active());
    CHECK(&global_provider() == &guard.provider());
    CHECK(guard.exporter_names() == r.expected);
  }
  CHECK_FALSE(global_provider().active());  // every guard restored the no-op provider
}

TEST_CASE("unknown exporter names are reported once and skipped") {
  clean_env env;
  captured_errors errors;
  const auto path = temp_path("unknown.jsonl");
  env.set("OTEL_TRACES_EXPORTER", "zipkin,file,ZIPKIN,jaeger");
  env.set("LLMTRACE_TRACES_FILE", path.string());
  {
    auto guard = init();
    CHECK(guard.exporter_names() == names{"file"});
    { span s("still exported"); }
  }
  CHECK(errors.count("unknown exporter 'zipkin'") == 1);
  CHECK(errors.count("unknown exporter 'jaeger'") == 1);
  CHECK(errors.size() == 2);
  REQUIRE(spans_in(path).size() == 1);
}

TEST_CASE("invalid values are reported once each and the defaults are used") {
  clean_env env;
  captured_errors errors;
  const auto path = env.use_file("invalid.jsonl");
  env.set("OTEL_TRACES_SAMPLER", "sometimes");
  env.set("OTEL_BSP_SCHEDULE_DELAY", "soon");
  env.set("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "-3");
  env.set("OTEL_SDK_DISABLED", "maybe");
  {
    auto guard = init();
    CHECK(guard.active());  // OTEL_SDK_DISABLED's default is false
    span s("sampled by the default sampler");
    for (int i = 0; i < 130; ++i) s.set_attribute("k" + std::to_string(i), i);
  }
  CHECK(errors.count("OTEL_TRACES_SAMPLER") == 1);
  CHECK(errors.count("OTEL_BSP_SCHEDULE_DELAY") == 1);
  CHECK(errors.count("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT") == 1);
  CHECK(errors.count("OTEL_SDK_DISABLED") == 1);
  CHECK(errors.size() == 4);
  const auto spans = spans_in(path);
  REQUIRE(spans.size() == 1);
  CHECK(spans[0]["attributes"].size() == 128);  // the default count limit
  CHECK(spans[0]["droppedAttributesCount"] == 2);
}

TEST_CASE("the guard flushes at scope exit and restores the no-op provider") {
  clean_env env;
  const auto path = env.use_file("scope-exit.jsonl");
  env.set("OTEL_BSP_SCHEDULE_DELAY", "3600000");  // only the guard's flush can export in time
  {
    auto guard = init();
    const auto t = get_tracer("my-app");
    {
      span root(t, "invoke_workflow rag");
      span child(t, "chat llama3.2");
    }
    CHECK(read_lines(path).empty());  // still queued
  }
  const auto spans = spans_in(path);
  REQUIRE(spans.size() == 2);
  CHECK(spans[0]["name"] == "chat llama3.2");
  CHECK(spans[1]["name"] == "invoke_workflow rag");
  CHECK(spans[0]["parentSpanId"] == spans[1]["spanId"]);
  CHECK_FALSE(global_provider().active());
  { span after("after the guard"); }
  CHECK(spans_in(path).size() == 2);
}

TEST_CASE("console through init: the trace appears when its root ends, before the guard is gone") {
  clean_env env;
  env.set("OTEL_TRACES_EXPORTER", "console");
  std::ostringstream out;
  init_options o;
  o.console.stream = &out;
  o.clock = &fake_clock;
  o.new_trace_id = &sequential_trace_id;
  o.new_span_id = &sequential_span_id;
  o.service_name = "rag-demo";
  reset_determinism();
  auto guard = init(std::move(o));
  emit_rag_trace(get_tracer("rag-demo"));
  // The same text as the console golden file, except the resource: init adds telemetry.sdk.*
  // attributes, which the console does not print.
  const std::string golden = read_file(std::filesystem::path(LLMTRACE_EXPORTERS_GOLDEN_DIR) / "console_rag.txt");
  CHECK(golden.rfind(out.str(), 0) == 0);
  CHECK(out.str().find("invoke_workflow rag  1.37 s") != std::string::npos);
}

TEST_CASE("service name and resource attributes from code have the lowest precedence") {
  clean_env env;
  const auto path = temp_path("resource.jsonl");
  env.set("LLMTRACE_TRACES_FILE", path.string());
  init_options o;
  o.exporter_names = names{"file"};
  o.service_name = "from-code";
  o.resource_attributes.set("deployment.environment", "dev");
  {
    auto guard = init(std::move(o));
    { span s("x"); }
  }
  CHECK(resource_service_name(path) == "from-code");

  std::filesystem::remove(path);
  env.set("OTEL_SERVICE_NAME", "from-env");
  init_options o2;
  o2.exporter_names = names{"file"};
  o2.service_name = "from-code";
  {
    auto guard = init(std::move(o2));
    CHECK(guard.provider().resource().attributes.get_string("telemetry.sdk.name") == "llmtrace");
    { span s("x"); }
  }
  CHECK(resource_service_name(path) == "from-env");
}

TEST_CASE("code can force exporters, add its own exporters and processors, and set the sampler") {
  clean_env env;
  env.set("OTEL_TRACES_EXPORTER", "otlp");
  env.set("OTEL_EXPORTER_OTLP_ENDPOINT", fake_collector::unreachable_endpoint());
  auto store = std::make_shared<in_memory_span_store>();
  auto seen_by_processor = std::make_shared<in_memory_span_store>();
  {
    init_options o;
    o.exporter_names = names{};  // ignore OTEL_TRACES_EXPORTER
    o.exporters.push_back(std::make_unique<in_memory_exporter>(store));
    o.processors.push_back(std::make_unique<simple_processor>(std::make_unique<in_memory_exporter>(seen_by_processor)));
    auto guard = init(std::move(o));
    CHECK(guard.exporter_names() == names{"custom"});
    { span s("kept"); }
    CHECK(guard.force_flush());
    CHECK(store->size() == 1);
    CHECK(seen_by_processor->size() == 1);
    CHECK(guard.stats().exported == 2);  // one per processor
  }
  {
    init_options o;
    o.exporter_names = names{};
    o.exporters.push_back(std::make_unique<in_memory_exporter>(store));
    o.sampler = sampler::always_off();
    auto guard = init(std::move(o));
    { span s("dropped by the sampler"); }
  }
  CHECK(store->size() == 1);
}

TEST_CASE("otlp (the default) reaches a collector, together with a file: one queue, two destinations") {
  clean_env env;
  fake_collector collector;
  const auto path = temp_path("otlp-and-file.jsonl");
  env.set("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint());
  env.set("OTEL_TRACES_EXPORTER", "otlp,file");
  env.set("LLMTRACE_TRACES_FILE", path.string());
  env.set("OTEL_BSP_SCHEDULE_DELAY", "3600000");
  env.set("OTEL_SERVICE_NAME", "checkout");
  processor_stats stats;
  {
    auto guard = init();
    CHECK(guard.exporter_names() == names{"otlp", "file"});
    { span s("chat llama3.2", span_kind::client, {{semconv::gen_ai_request_model, "llama3.2"}}); }
    CHECK(collector.span_count() == 0);
    REQUIRE(guard.shutdown());
    stats = guard.stats();
  }
  REQUIRE(collector.span_count() == 1);
  const auto received = collector.spans();
  CHECK(received[0].name == "chat llama3.2");
  CHECK(received[0].resource.attributes.get("service.name").as_string() == "checkout");
  CHECK(spans_in(path).size() == 1);
  CHECK(stats.exported == 1);  // queued once, exported to both
  CHECK(stats.dropped() == 0);
}

TEST_CASE("shutdown is bounded even when the collector never answers") {
  clean_env env;
  fake_collector collector;
  collector.set_default_response(scripted_response::hang());
  env.set("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint());
  // The hung span export uses up the budget; the idle log processor, left with no time, loses
  // nothing and so reports no timeout of its own (it did: a second message). Metrics stay off here:
  // the periodic reader's shutdown has its own budget rules.
  env.set("OTEL_METRICS_EXPORTER", "none");
  init_options o;
  o.shutdown_timeout = std::chrono::milliseconds(300);
  auto guard = init(std::move(o));
  { span s("stuck"); }
  captured_errors errors;
  const auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(guard.shutdown());
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(took < std::chrono::seconds(5));
  CHECK(errors.count("shutdown timed out") == 1);
  REQUIRE(collector.wait_for_hung(1));
  collector.release_hung();  // let the abandoned export finish before the collector goes away
}

TEST_CASE("moving a guard moves the responsibility") {
  clean_env env;
  const auto path = env.use_file("moved.jsonl");
  sdk_guard outer;
  CHECK_FALSE(outer.active());
  {
    auto inner = init();
    outer = std::move(inner);
  }  // the moved-from guard does nothing
  CHECK(outer.active());
  CHECK(global_provider().active());
  { span s("after move"); }
  CHECK(outer.shutdown());
  CHECK_FALSE(outer.active());
  CHECK_FALSE(global_provider().active());
  CHECK(spans_in(path).size() == 1);
}
