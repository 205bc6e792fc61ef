// The OTLP metric exporter: http/protobuf and http/json to the fake collector's /v1/metrics and OTLP/gRPC
// to a real gRPC server (python3-grpcio), every payload decoded by the official JS decoders and
// compared with what the reader collected; OTEL_EXPORTER_OTLP_METRICS_* configuration; temporality
// preference; retries and partial success through the shared exporter machinery.
#include "exporters/exporter_test_support.hpp"
#include "otlp_metrics_support.hpp"
#include "support/fake_collector.hpp"
#include "support/grpc_collector.hpp"
#include "support/js_decoder.hpp"

#include <llmtrace/exporters/otlp_http_metrics.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace llmtrace;
using namespace metrics_test;
using namespace std::chrono_literals;
namespace t = llmtrace_test;

namespace {

constexpr const char* metrics_export = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";

/// Remembers every collection it is asked to export (as the canonical JSON the JS decoder prints),
/// then hands it to the OTLP exporter: what was collected vs. what went over the wire.
class recording_exporter final : public m::metric_exporter {
 public:
  explicit recording_exporter(std::unique_ptr<otlp_http_metric_exporter> e) : inner_(std::move(e)) {}
  export_result export_metrics(const m::resource_metrics& data) noexcept override {
    sent.push_back(expected_canonical(data));
    return inner_->export_metrics(data);
  }
  m::aggregation_temporality temporality(m::instrument_kind k) const noexcept override {
    return inner_->temporality(k);
  }
  bool shutdown(std::chrono::milliseconds timeout) noexcept override { return inner_->shutdown(timeout); }
  otlp_http_metric_exporter& inner() { return *inner_; }
  std::vector<nlohmann::json> sent;

 private:
  std::unique_ptr<otlp_http_metric_exporter> inner_;
};

/// A meter provider whose periodic reader (long interval: exports only on force_flush) feeds a
/// recording OTLP exporter.
struct exporting_provider {
  recording_exporter* exporter = nullptr;
  std::shared_ptr<m::meter_provider> provider;
  m::meter meter;
  explicit exporting_provider(otlp_http_options o,
                              m::temporality_preference p = m::temporality_preference::cumulative) {
    auto rec = std::make_unique<recording_exporter>(std::make_unique<otlp_http_metric_exporter>(std::move(o), p));
    exporter = rec.get();
    m::meter_provider_options mo;
    mo.resource = make_resource({{"service.name", "metrics-exporter-test"}});
    mo.readers.push_back(std::make_unique<m::periodic_exporting_reader>(
        std::move(rec), m::periodic_reader_options{std::chrono::hours(1), 10s}));
    provider = std::make_shared<m::meter_provider>(std::move(mo));
    meter = provider->get_meter("llmtrace.test", "1.0");
  }
  ~exporting_provider() { provider->shutdown(10s); }
};

void record_sample(m::meter& meter, double scale = 1.0) {
  meter.create_int64_counter("gen_ai.client.inference.usage.input_tokens", "{token}", "input tokens")
      .add(static_cast<std::int64_t>(42 * scale), {{"gen_ai.operation.name", "chat"}, {"server.port", 11434}});
  auto h = meter.create_double_histogram("gen_ai.client.inference.duration", "s", "GenAI operation duration",
                                         {{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28}});
  h.record(0.3 * scale, {{"gen_ai.request.model", "llama3.2"}});
  h.record(0.08, {{"gen_ai.request.model", "llama3.2"}});
  meter.create_int64_up_down_counter("inflight").add(-2);
}

nlohmann::json js(const std::string& body, t::otlp_encoding enc) {
  REQUIRE_MESSAGE(t::node_available(), "node is missing: the official-decoder cross-check cannot run");
  return t::js_decode(body, enc, "metrics");
}

otlp_http_options http_options(const t::fake_collector& c, otlp_protocol p) {
  otlp_http_options o;
  o.endpoint = c.endpoint() + "/v1/metrics";
  o.protocol = p;
  o.timeout = 10s;
  o.retry.initial_backoff = 10ms;
  o.retry.max_backoff = 50ms;
  return o;
}

}  // namespace

TEST_CASE("OTLP/HTTP metrics: both encodings reach /v1/metrics and the official decoders read what was collected") {
  for (const auto protocol : {otlp_protocol::http_protobuf, otlp_protocol::http_json}) {
    CAPTURE(static_cast<int>(protocol));
    t::fake_collector c;
    auto o = http_options(c, protocol);
    o.headers = {{"x-tenant", "team-a"}};
    exporting_provider ep(o);
    record_sample(ep.meter);
    REQUIRE(ep.provider->force_flush(10s));
    REQUIRE(c.wait_for_requests(1));
    const auto req = c.request(0);
    CHECK(req.path == "/v1/metrics");
    CHECK(req.header("x-tenant") == "team-a");
    const bool pb = protocol == otlp_protocol::http_protobuf;
    CHECK(req.header("Content-Type") == (pb ? "application/x-protobuf" : "application/json"));
    REQUIRE(ep.exporter->sent.size() == 1);
    const auto decoded = js(req.body, pb ? t::otlp_encoding::protobuf : t::otlp_encoding::json);
    CHECK(decoded == ep.exporter->sent[0]);
    const auto& rm = decoded["resourceMetrics"][0];
    CHECK(rm["resource"]["attributes"]["service.name"] == nlohmann::json{{"string", "metrics-exporter-test"}});
    CHECK(rm["scopeMetrics"][0]["scope"]["name"] == "llmtrace.test");
    CHECK(ep.exporter->inner().stats().exported_spans == 3);  // three points: sum, histogram, up-down sum
  }
}

TEST_CASE("OTLP metrics temporality: delta preference resets counters and histograms, keeps up-down counters") {
  t::fake_collector c;
  exporting_provider ep(http_options(c, otlp_protocol::http_protobuf), m::temporality_preference::delta);
  CHECK(ep.exporter->inner().temporality(m::instrument_kind::counter) == m::aggregation_temporality::delta);
  CHECK(ep.exporter->inner().temporality(m::instrument_kind::up_down_counter) ==
        m::aggregation_temporality::cumulative);
  record_sample(ep.meter);
  REQUIRE(ep.provider->force_flush(10s));
  record_sample(ep.meter, 2.0);
  REQUIRE(ep.provider->force_flush(10s));
  REQUIRE(c.wait_for_requests(2));
  const auto second = js(c.request(1).body, t::otlp_encoding::protobuf);
  CHECK(second == ep.exporter->sent[1]);
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& md : second["resourceMetrics"][0]["scopeMetrics"][0]["metrics"]) by_name[md["name"]] = md;
  const auto& tokens = by_name.at("gen_ai.client.inference.usage.input_tokens");
  CHECK(tokens["aggregationTemporality"] == 1);
  CHECK(tokens["dataPoints"][0]["asInt"] == "84");  // only the second interval
  const auto& dur = by_name.at("gen_ai.client.inference.duration");
  CHECK(dur["aggregationTemporality"] == 1);
  CHECK(dur["dataPoints"][0]["count"] == "2");
  const auto& inflight = by_name.at("inflight");
  CHECK(inflight["aggregationTemporality"] == 2);
  CHECK(inflight["dataPoints"][0]["asInt"] == "-4");  // cumulative
}

TEST_CASE("OTLP metrics: retries on 503, partial success reported once, failures counted") {
  t::fake_collector c;
  t::captured_errors errors;
  exporting_provider ep(http_options(c, otlp_protocol::http_protobuf));
  c.enqueue({t::scripted_response::status(503), t::scripted_response::partial_success(2, "bad points")});
  record_sample(ep.meter);
  REQUIRE(ep.provider->force_flush(10s));
  REQUIRE(c.request_count() == 2);
  CHECK(c.request(0).body == c.request(1).body);
  CHECK(ep.exporter->inner().stats().retries == 1);
  CHECK(errors.count("2 metric points rejected") == 1);
  c.set_default_response(t::scripted_response::status(400));
  CHECK_FALSE(ep.provider->force_flush(10s));
  CHECK(ep.exporter->inner().stats().failed_batches == 1);
}

TEST_CASE("OTEL_EXPORTER_OTLP_METRICS_*: endpoint, protocol, headers, timeout; the metrics variables win") {
  std::vector<std::unique_ptr<t::scoped_env>> env;
  const auto set = [&](const char* n, std::optional<std::string> v) {
    env.push_back(std::make_unique<t::scoped_env>(n, std::move(v)));
  };
  for (const char* v :
       {"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL",
        "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
        "OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "OTEL_EXPORTER_OTLP_COMPRESSION",
        "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION"})
    set(v, std::nullopt);
  CHECK(otlp_http_options_from_env(otlp_signal::metrics).endpoint == "http://localhost:4318/v1/metrics");
  set("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/");
  CHECK(otlp_http_options_from_env(otlp_signal::metrics).endpoint == "http://collector:4318/v1/metrics");
  set("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://other:9999/custom");  // as given
  set("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
  set("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "http/json");
  set("OTEL_EXPORTER_OTLP_HEADERS", "a=1");
  set("OTEL_EXPORTER_OTLP_METRICS_HEADERS", "b=2");
  set("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "1234");
  set("OTEL_EXPORTER_OTLP_METRICS_COMPRESSION", "gzip");
  const auto o = otlp_http_options_from_env(otlp_signal::metrics);
  CHECK(o.endpoint == "http://other:9999/custom");
  CHECK(o.protocol == otlp_protocol::http_json);
  REQUIRE(o.headers.size() == 1);
  CHECK(o.headers[0].name == "b");
  CHECK(o.timeout == std::chrono::milliseconds(1234));
  CHECK(o.compression == otlp_compression::gzip);

  // The configured exporter gzips http/json to the signal's endpoint.
  t::fake_collector c;
  set("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", c.endpoint() + "/v1/metrics");
  exporting_provider ep(otlp_http_options_from_env(otlp_signal::metrics));
  record_sample(ep.meter);
  REQUIRE(ep.provider->force_flush(10s));
  REQUIRE(c.wait_for_requests(1));
  const auto req = c.request(0);
  CHECK(req.path == "/v1/metrics");
  CHECK(req.header("b") == "2");
#if defined(LLMTRACE_HAS_ZLIB)
  CHECK(req.gzip);
#endif
  CHECK(js(req.body, t::otlp_encoding::json) == ep.exporter->sent[0]);
}

TEST_CASE("OTLP/gRPC metrics: MetricsService/Export on a real gRPC server, decoded by the official decoders") {
  auto& server = t::shared_grpc_collector();
  server.reset();
  otlp_http_options o;
  o.protocol = otlp_protocol::grpc;
  o.endpoint = server.endpoint();
  o.timeout = 10s;
  o.retry.initial_backoff = 10ms;
  o.retry.max_backoff = 50ms;
  o.headers = {{"x-api-key", "k-123"}};
  exporting_provider ep(o, m::temporality_preference::lowmemory);
  server.enqueue({t::grpc_reply::status(14, "busy"), t::grpc_reply::ok()});
  record_sample(ep.meter);
  REQUIRE(ep.provider->force_flush(10s));
  REQUIRE(server.wait_for_requests(2));
  const auto req = server.request(1);
  CHECK(req.method == metrics_export);
  CHECK(req.meta("x-api-key") == "k-123");
  CHECK(ep.exporter->inner().stats().retries == 1);
  const auto decoded = js(req.body, t::otlp_encoding::protobuf);
  CHECK(decoded == ep.exporter->sent[0]);
  for (const auto& md : decoded["resourceMetrics"][0]["scopeMetrics"][0]["metrics"])
    if (md["name"] == "gen_ai.client.inference.duration") CHECK(md["aggregationTemporality"] == 1);  // lowmemory
}
