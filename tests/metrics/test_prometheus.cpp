// Prometheus exposition: names, units, labels, histogram series, target_info, OpenMetrics
// exemplars; promtool (Debian's prometheus package) accepts the text; the /metrics endpoint serves it.
#include "metrics_test_support.hpp"

#include <llmtrace/exporters/prometheus_http.hpp>
#include <llmtrace/init.hpp>

#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

using namespace llmtrace;
using namespace metrics_test;

namespace {

const std::vector<double> duration_bounds{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28};

struct genai_sample {
  core_test::recording_provider tracing;
  manual_provider mp;
  span_context sc;
  genai_sample() {
    auto d = mp.meter.create_double_histogram("gen_ai.client.inference.duration", "s", "GenAI operation duration",
                                              {duration_bounds});
    const attribute attrs[] = {{"gen_ai.operation.name", "chat"}, {"gen_ai.request.model", "llama3.2"}};
    {
      span s(tracing.tracer, "chat llama3.2");
      sc = s.span_context();
      d.record(0.3, attribute_list(attrs, 2));
    }
    d.record(0.32, attribute_list(attrs, 2));
    d.record(2.0, attribute_list(attrs, 2));
    mp.meter.create_int64_counter("gen_ai.client.inference.usage.input_tokens", "{token}")
        .add(421, {{"gen_ai.request.model", "llama3.2"}, {"gen_ai.token.modality", "text"}});
    mp.meter.create_int64_up_down_counter("llmtrace.queue.size", "{span}", "queued spans").add(7);
    mp.meter.create_double_observable_gauge(
        "ollama.model.size",
        [](m::observer& o) {
          o.observe(2.0e9, {{"gen_ai.request.model", "llama3.2"}});
        },
        "By");
  }
};

/// Runs `promtool check metrics` on `text`; returns its exit status and output.
std::pair<int, std::string> promtool(const std::string& text) {
  char name[] = "/tmp/llmtrace-exposition-XXXXXX";
  const int fd = ::mkstemp(name);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, text.data(), text.size()) == static_cast<::ssize_t>(text.size()));
  ::close(fd);
  const std::string file = name;
  FILE* p = ::popen(("promtool check metrics < " + file + " 2>&1").c_str(), "r");
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  std::remove(file.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace

TEST_CASE("names and units follow the OTel-Prometheus compatibility rules") {
  CHECK(m::detail::prometheus_unit("s") == "seconds");
  CHECK(m::detail::prometheus_unit("{token}") == "");
  CHECK(m::detail::prometheus_unit("By") == "bytes");
  CHECK(m::detail::prometheus_unit("By/s") == "bytes_per_second");
  CHECK(m::detail::prometheus_unit("{token}/s") == "per_second");
  CHECK(m::detail::prometheus_sanitize("gen_ai.client..x-y", true) == "gen_ai_client_x_y");
  CHECK(m::detail::prometheus_sanitize("1abc", true) == "_1abc");
  // found by fuzz_metrics_encoders: no sample line without a name, yet an empty unit adds no suffix
  CHECK(m::detail::prometheus_name_part("", true) == "_");
  CHECK(m::detail::prometheus_sanitize("", true).empty());
  CHECK(m::detail::prometheus_unit("{span}").empty());
}

TEST_CASE("the text exposition of GenAI metrics") {
  genai_sample s;
  const std::string text = m::render_prometheus(s.mp.collect());
  INFO(text);
  CHECK(text.find("# TYPE gen_ai_client_inference_duration_seconds histogram\n") != std::string::npos);
  CHECK(text.find("# HELP gen_ai_client_inference_duration_seconds GenAI operation duration\n") != std::string::npos);
  const std::string labels =
      "gen_ai_operation_name=\"chat\",gen_ai_request_model=\"llama3.2\",otel_scope_name=\"test\",otel_scope_version="
      "\"1.0\"";
  // 0.3 and 0.32 fall in (0.16, 0.32]: a value equal to a bound is in that bound's bucket.
  CHECK(text.find("gen_ai_client_inference_duration_seconds_bucket{" + labels + ",le=\"0.16\"} 0\n") !=
        std::string::npos);
  CHECK(text.find("gen_ai_client_inference_duration_seconds_bucket{" + labels + ",le=\"0.32\"} 2\n") !=
        std::string::npos);
  CHECK(text.find("gen_ai_client_inference_duration_seconds_bucket{" + labels + ",le=\"1.28\"} 2\n") !=
        std::string::npos);
  CHECK(text.find("gen_ai_client_inference_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} 3\n") !=
        std::string::npos);
  std::string sum;
  m::detail::prometheus_number(sum, 0.0 + 0.3 + 0.32 + 2.0);  // the SDK adds in recording order
  CHECK(text.find("gen_ai_client_inference_duration_seconds_sum{" + labels + "} " + sum + "\n") != std::string::npos);
  CHECK(text.find("gen_ai_client_inference_duration_seconds_count{" + labels + "} 3\n") != std::string::npos);
  CHECK(text.find("# TYPE gen_ai_client_inference_usage_input_tokens_total counter\n") != std::string::npos);
  CHECK(text.find("gen_ai_client_inference_usage_input_tokens_total{gen_ai_request_model=\"llama3.2\",gen_ai_token_"
                  "modality=\"text\",otel_scope_name=\"test\",otel_scope_version=\"1.0\"} 421\n") != std::string::npos);
  CHECK(text.find("# TYPE llmtrace_queue_size gauge\n") != std::string::npos);  // up-down counter: a gauge
  CHECK(text.find("# TYPE ollama_model_size_bytes gauge\n") != std::string::npos);
  CHECK(text.find("ollama_model_size_bytes{gen_ai_request_model=\"llama3.2\",otel_scope_name=\"test\",otel_scope_"
                  "version=\"1.0\"} 2e+09\n") != std::string::npos);
  CHECK(text.find("# TYPE target_info gauge\n") != std::string::npos);
  CHECK(text.find("target_info{") != std::string::npos);
  CHECK(text.find("telemetry_sdk_name=\"llmtrace\"") != std::string::npos);
  CHECK(text.find(" # {") == std::string::npos);  // no exemplars in the 0.0.4 text format
  CHECK(text.find("# EOF") == std::string::npos);
}

TEST_CASE("promtool check metrics accepts the exposition") {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    FAIL("promtool is missing (Debian's prometheus package; scripts/setup.sh installs it)");
    return;
  }
  genai_sample s;
  const auto r = promtool(m::render_prometheus(s.mp.collect()));
  INFO(r.second);
  CHECK(r.first == 0);
  // And it rejects a broken exposition, so the check above can fail.
  CHECK(promtool("# TYPE x counter\nx{ 1\n").first != 0);
}

TEST_CASE("OpenMetrics: counters by family name, bucket exemplars naming the span, # EOF") {
  genai_sample s;
  const std::string om = m::render_prometheus(s.mp.collect(), m::prometheus_format::openmetrics);
  INFO(om);
  CHECK(om.find("# TYPE gen_ai_client_inference_usage_input_tokens counter\n") != std::string::npos);
  const std::string ex =
      " # {trace_id=\"" + s.sc.trace_id.to_hex() + "\",span_id=\"" + s.sc.span_id.to_hex() + "\"} 0.3 ";
  const auto at = om.find(ex);
  REQUIRE(at != std::string::npos);
  CHECK(om.rfind("le=\"0.32\"} 2", at) != std::string::npos);  // on the bucket that holds 0.3
  CHECK(om.size() >= 6);
  CHECK(om.compare(om.size() - 6, 6, "# EOF\n") == 0);
  CHECK(m::prometheus_format_for_accept("application/openmetrics-text;version=1.0.0,text/plain;q=0.5") ==
        m::prometheus_format::openmetrics);
  CHECK(m::prometheus_format_for_accept("text/plain") == m::prometheus_format::text);
}

TEST_CASE("the /metrics endpoint serves the exposition and negotiates OpenMetrics") {
  m::prometheus_options po;
  po.host = "127.0.0.1";
  po.port = 0;
  auto reader = std::make_unique<m::prometheus_reader>(po);
  auto* r = reader.get();
  m::meter_provider_options o;
  o.readers.push_back(std::move(reader));
  auto provider = std::make_shared<m::meter_provider>(std::move(o));
  provider->get_meter("t").create_int64_counter("requests").add(3, {{"route", "/chat"}});
  REQUIRE(r->port() > 0);
  httplib::Client client("127.0.0.1", r->port());
  auto res = client.Get("/metrics");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(res->body.find("requests_total{route=\"/chat\",otel_scope_name=\"t\"} 3\n") != std::string::npos);
  auto om = client.Get("/metrics", {{"Accept", "application/openmetrics-text; version=1.0.0"}});
  REQUIRE(om);
  CHECK(om->get_header_value("Content-Type").rfind("application/openmetrics-text", 0) == 0);
  CHECK(om->body.find("# EOF") != std::string::npos);
  CHECK(provider->shutdown());
  CHECK(r->port() == 0);
}

TEST_CASE("OTEL_EXPORTER_PROMETHEUS_HOST / _PORT") {
  core_test::scoped_env h("OTEL_EXPORTER_PROMETHEUS_HOST", "0.0.0.0");
  core_test::scoped_env p("OTEL_EXPORTER_PROMETHEUS_PORT", "9999");
  const auto o = m::prometheus_options_from_env();
  CHECK(o.host == "0.0.0.0");
  CHECK(o.port == 9999);
  core_test::scoped_env none_h("OTEL_EXPORTER_PROMETHEUS_HOST", nullptr);
  core_test::scoped_env none_p("OTEL_EXPORTER_PROMETHEUS_PORT", nullptr);
  CHECK(m::prometheus_options_from_env().host == "localhost");
  CHECK(m::prometheus_options_from_env().port == 9464);
}

TEST_CASE("init: OTEL_METRICS_EXPORTER=prometheus serves the global meter provider's metrics on /metrics") {
  std::vector<std::unique_ptr<core_test::scoped_env>> env;
  for (const auto& kv : std::vector<std::pair<const char*, const char*>>{{"OTEL_SDK_DISABLED", nullptr},
                                                                         {"OTEL_TRACES_EXPORTER", "none"},
                                                                         {"OTEL_LOGS_EXPORTER", "none"},
                                                                         {"OTEL_METRICS_EXPORTER", "prometheus"},
                                                                         {"OTEL_SERVICE_NAME", "prom-init"},
                                                                         {"OTEL_RESOURCE_ATTRIBUTES", nullptr},
                                                                         {"OTEL_EXPORTER_PROMETHEUS_HOST", "127.0.0.1"},
                                                                         {"OTEL_EXPORTER_PROMETHEUS_PORT", "0"}})
    env.push_back(std::make_unique<core_test::scoped_env>(kv.first, kv.second));
  int port = 0;
  {
    auto g = llmtrace::init();
    CHECK(g.metric_exporter_names() == std::vector<std::string>{"prometheus"});
    REQUIRE(g.meter_provider().reader_count() == 1);
    auto* r = dynamic_cast<m::prometheus_reader*>(&g.meter_provider().reader(0));
    REQUIRE(r != nullptr);
    port = r->port();
    REQUIRE(port > 0);
    m::get_meter("app").create_int64_counter("app.requests", "{request}").add(4, {{"route", "/chat"}});
    httplib::Client client("127.0.0.1", port);
    auto res = client.Get("/metrics");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body.find("app_requests_total{route=\"/chat\",otel_scope_name=\"app\"} 4\n") != std::string::npos);
    CHECK(res->body.find("service_name=\"prom-init\"") != std::string::npos);  // target_info: the same resource
  }
  httplib::Client after("127.0.0.1", port);  // the guard stopped the server
  after.set_connection_timeout(std::chrono::seconds(2));
  CHECK_FALSE(after.Get("/metrics"));
}
