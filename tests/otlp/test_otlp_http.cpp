// Tests for llmtrace/exporters/otlp_http.hpp against the fake OTLP collector (tests/support): both
// encodings, gzip, headers, retries (503 + Retry-After, 429, 502, 504), final errors, partial success,
// timeouts, shutdown, an absent collector behind the batch processor, secrets in messages, and the
// OTEL_EXPORTER_OTLP_* configuration. The payloads are cross-checked with the official JS decoders.
#include <llmtrace/exporters/otlp_http.hpp>

#include <llmtrace/batch_processor.hpp>
#include <llmtrace/provider.hpp>
#include <llmtrace/span.hpp>

#include "otlp_test_support.hpp"
#include "support/fake_collector.hpp"
#include "support/js_decoder.hpp"
#include "support/otlp_decode.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace llmtrace;
using namespace std::chrono_literals;
namespace t = llmtrace_test;
using namespace otlp_test;

namespace {

using ms = std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

/// A collector that closes connections after each answer, so that stopping it never waits for an
/// idle keep-alive connection (tests that care about connection reuse use the default).
t::fake_collector_options closing() {
  t::fake_collector_options o;
  o.keep_alive = false;
  return o;
}

/// Options pointing at `c` with quick retries (tests never wait for real backoff).
otlp_http_options options_for(const t::fake_collector& c, otlp_protocol p = otlp_protocol::http_protobuf) {
  otlp_http_options o;
  o.endpoint = c.traces_url();
  o.protocol = p;
  o.timeout = 10s;
  o.retry.initial_backoff = 10ms;
  o.retry.max_backoff = 50ms;
  return o;
}

t::otlp_encoding encoding_of(otlp_protocol p) {
  return p == otlp_protocol::http_json ? t::otlp_encoding::json : t::otlp_encoding::protobuf;
}

long long elapsed_ms(steady::time_point since) { return std::chrono::duration_cast<ms>(steady::now() - since).count(); }

/// The JS decoders' reading of `payload` equals ours (when node and the npm packages are there).
void check_with_js(const std::string& payload, t::otlp_encoding enc) {
  if (!t::node_available()) {
    MESSAGE("OTLP/JS cross-check skipped: node is missing");
    return;
  }
  try {
    CHECK(t::js_decode(payload, enc) == t::decode_request(payload, enc).to_json());
  } catch (const t::js_decoder_unavailable& e) {
    MESSAGE("OTLP/JS cross-check skipped: " << e.what());
  }
}

}  // namespace

TEST_CASE("both encodings reach the collector with the right headers, ids and attributes") {
  for (const auto protocol : {otlp_protocol::http_protobuf, otlp_protocol::http_json}) {
    CAPTURE(static_cast<int>(protocol));
    error_capture errors;
    t::fake_collector c;  // keep-alive, as real collectors do
    auto o = options_for(c, protocol);
    o.headers = {{"x-api-key", "key-0123456789"}, {"x-tenant", "team a"}};
    otlp_http_exporter exp(o);
    const test_batch b;
    REQUIRE(exp.export_batch(b.batch()) == export_result::success);

    REQUIRE(c.request_count() == 1);
    const auto req = c.request(0);
    CHECK(req.method == "POST");
    CHECK(req.path == "/v1/traces");
    CHECK(req.ok());
    CHECK(req.header("Content-Type") == t::content_type_of(encoding_of(protocol)));
    CHECK(req.header("User-Agent") == std::string("OTel-OTLP-Exporter-Cpp-llmtrace/") + LLMTRACE_VERSION_STRING);
    CHECK(req.header("x-api-key") == "key-0123456789");
    CHECK(req.header("x-tenant") == "team a");
    CHECK_FALSE(req.gzip);
    CHECK_FALSE(req.has_header("Content-Encoding"));

    const auto spans = c.spans();
    REQUIRE(spans.size() == 3);
    CHECK(spans[0].resource.attributes.get("service.name").as_string() == "otlp-http-test");
    CHECK(spans[0].scope.name == "otlp-test");
    CHECK(spans[0].scope.version == "1.0");
    CHECK(spans[0].trace_id == "4bf92f3577b34da6a3ce929d0e0e4736");
    CHECK(spans[0].span_id == "0000000000000001");
    CHECK(spans[0].parent_span_id.empty());
    CHECK(spans[1].parent_span_id == "0000000000000001");
    CHECK(spans[2].span_id == "0000000000000003");
    CHECK(spans[0].kind == 2);
    CHECK(spans[1].kind == 3);
    CHECK(spans[0].start_time_unix_nano == 1'700'000'000'000'000'000u);
    CHECK(spans[0].end_time_unix_nano == 1'700'000'000'005'000'000u);
    CHECK(spans[2].attributes.get("gen_ai.usage.input_tokens").as_int() == 122);
    CHECK(spans[2].attributes.get("gen_ai.request.temperature").as_double() == 0.7);
    CHECK(spans[2].attributes.get("gen_ai.stop_sequences").as_array().at(1).as_string() == "END");
    CHECK(spans[0].status.code == 2);
    CHECK(spans[0].status.message == "model not found");
    CHECK(spans[0].events.at(0).attributes.get("exception.message").as_string() == "model not found");
    CHECK(spans[0].flags == 0x101u);

    const auto s = exp.stats();
    CHECK(s.exported_spans == 3);
    CHECK(s.dropped_spans == 0);
    CHECK(s.failed_batches == 0);
    CHECK(s.retries == 0);
    CHECK(errors.messages().empty());

    check_with_js(req.raw_body, encoding_of(protocol));
  }
}

TEST_CASE("configured headers cannot replace Content-Type; a configured User-Agent replaces ours") {
  error_capture errors;
  t::fake_collector c(closing());
  auto o = options_for(c);
  o.headers = {{"Content-Type", "text/plain"}, {"User-Agent", "rag-api/2.1"}};
  otlp_http_exporter exp(o);
  const test_batch b;
  REQUIRE(exp.export_batch(b.batch()) == export_result::success);
  const auto req = c.request(0);
  CHECK(req.header_count("Content-Type") == 1);
  CHECK(req.header("Content-Type") == "application/x-protobuf");
  CHECK(req.header_count("User-Agent") == 1);
  CHECK(req.header("User-Agent") == "rag-api/2.1");
  CHECK(errors.count("ignoring the configured header Content-Type") == 1);
}

TEST_CASE("protobuf and JSON bodies decode to the same spans, here and with the JS decoders") {
  t::fake_collector c(closing());
  const test_batch b(5);
  otlp_http_exporter pb(options_for(c, otlp_protocol::http_protobuf));
  otlp_http_exporter js(options_for(c, otlp_protocol::http_json));
  REQUIRE(pb.export_batch(b.batch()) == export_result::success);
  REQUIRE(js.export_batch(b.batch()) == export_result::success);
  REQUIRE(c.request_count() == 2);
  const auto from_pb = c.request(0).decoded.to_json();
  const auto from_json = c.request(1).decoded.to_json();
  CHECK(from_pb == from_json);
  check_with_js(c.request(0).raw_body, t::otlp_encoding::protobuf);
  check_with_js(c.request(1).raw_body, t::otlp_encoding::json);
}

TEST_CASE("gzip compression sets Content-Encoding and the body inflates to the same request") {
  for (const auto protocol : {otlp_protocol::http_protobuf, otlp_protocol::http_json}) {
    CAPTURE(static_cast<int>(protocol));
    t::fake_collector c(closing());
    auto o = options_for(c, protocol);
    o.compression = otlp_compression::gzip;
    otlp_http_exporter exp(o);
    const test_batch b(20);
    REQUIRE(exp.export_batch(b.batch()) == export_result::success);
    REQUIRE(exp.export_batch(b.batch()) == export_result::success);  // the deflate stream is reused
    REQUIRE(c.request_count() == 2);
    for (std::size_t i = 0; i < 2; ++i) {
      const auto req = c.request(i);
      CHECK(req.ok());
      CHECK(req.gzip);
      CHECK(req.header("Content-Encoding") == "gzip");
      CHECK(req.raw_body.size() < req.body.size());
      CHECK(req.decoded.span_count() == 20);
    }
    CHECK(c.request(0).body == c.request(1).body);
  }
}

TEST_CASE("503 with Retry-After in seconds is retried after the server's delay") {
  error_capture errors;
  t::fake_collector c(closing());
  c.enqueue(t::scripted_response::retry_after(503, "1"));
  otlp_http_exporter exp(options_for(c));  // own backoff: 10 ms, so a 1 s gap is the server's
  const test_batch b;
  REQUIRE(exp.export_batch(b.batch()) == export_result::success);
  REQUIRE(c.request_count() == 2);
  const auto gap = std::chrono::duration_cast<ms>(c.request(1).arrival - c.request(0).arrival);
  CHECK(gap.count() >= 950);
  CHECK(gap.count() < 5000);
  CHECK(c.request(1).decoded.to_json() == c.request(0).decoded.to_json());
  CHECK(exp.stats().retries == 1);
  CHECK(exp.stats().exported_spans == 3);
  CHECK(errors.messages().empty());
}

TEST_CASE("Retry-After as an HTTP date is honoured") {
  t::fake_collector c(closing());
  c.enqueue(t::scripted_response::retry_after(503, t::http_date(std::chrono::system_clock::now() + 2s)));
  otlp_http_exporter exp(options_for(c));
  const test_batch b;
  REQUIRE(exp.export_batch(b.batch()) == export_result::success);
  REQUIRE(c.request_count() == 2);
  const auto gap = std::chrono::duration_cast<ms>(c.request(1).arrival - c.request(0).arrival);
  CHECK(gap.count() >= 900);  // the date has one-second resolution
  CHECK(gap.count() < 5000);
}

TEST_CASE("429, 502 and 504 are retried with backoff until the collector accepts") {
  error_capture errors;
  t::fake_collector c;  // retries reuse the kept-alive connection
  c.enqueue({t::scripted_response::status(429), t::scripted_response::status(502), t::scripted_response::status(504)});
  otlp_http_exporter exp(options_for(c));
  const test_batch b;
  REQUIRE(exp.export_batch(b.batch()) == export_result::success);
  CHECK(c.request_count() == 4);
  CHECK(exp.stats().retries == 3);
  CHECK(exp.stats().exported_spans == 3);
  CHECK(exp.stats().failed_batches == 0);
  CHECK(errors.messages().empty());
}

TEST_CASE("retries stop after max_attempts and the batch is dropped and counted") {
  error_capture errors;
  t::fake_collector c(closing());
  c.set_default_response(t::scripted_response::status(503));
  auto o = options_for(c);
  o.retry.max_attempts = 3;
  otlp_http_exporter exp(o);
  const test_batch b;
  CHECK(exp.export_batch(b.batch()) == export_result::failure);
  CHECK(c.request_count() == 3);
  const auto s = exp.stats();
  CHECK(s.retries == 2);
  CHECK(s.failed_batches == 1);
  CHECK(s.dropped_spans == 3);
  CHECK(s.exported_spans == 0);
  REQUIRE(errors.messages().size() == 1);
  CHECK(errors.count("HTTP 503") == 1);
  CHECK(errors.count("3 attempts") == 1);
}

TEST_CASE("400 is final: no retry, and the google.rpc.Status message is reported") {
  for (const auto protocol : {otlp_protocol::http_protobuf, otlp_protocol::http_json}) {
    CAPTURE(static_cast<int>(protocol));
    error_capture errors;
    t::fake_collector c(closing());
    c.enqueue(t::scripted_response::rpc_status(400, 3, "span 2: trace_id must be 16 bytes"));
    otlp_http_exporter exp(options_for(c, protocol));
    const test_batch b;
    CHECK(exp.export_batch(b.batch()) == export_result::failure);
    CHECK(c.request_count() == 1);
    CHECK(exp.stats().retries == 0);
    CHECK(exp.stats().failed_batches == 1);
    CHECK(exp.stats().dropped_spans == 3);
    REQUIRE(errors.messages().size() == 1);
    CHECK(errors.count("HTTP 400") == 1);
    CHECK(errors.count("span 2: trace_id must be 16 bytes") == 1);
  }
  error_capture errors;
  t::fake_collector c(closing());
  c.enqueue(t::scripted_response::status(500, "internal trouble", {{"Content-Type", "text/plain"}}));
  otlp_http_exporter exp(options_for(c));
  const test_batch b;
  CHECK(exp.export_batch(b.batch()) == export_result::failure);
  CHECK(c.request_count() == 1);
  CHECK(errors.count("HTTP 500: internal trouble") == 1);
}

TEST_CASE("partial success is reported once, not retried, and counted") {
  for (const auto protocol : {otlp_protocol::http_protobuf, otlp_protocol::http_json}) {
    CAPTURE(static_cast<int>(protocol));
    error_capture errors;
    t::fake_collector c(closing());
    c.enqueue({t::scripted_response::partial_success(2, "2 spans are older than the retention"),
               t::scripted_response::partial_success(1, "another rejection")});
    otlp_http_exporter exp(options_for(c, protocol));
    const test_batch b(5);
    CHECK(exp.export_batch(b.batch()) == export_result::success);
    CHECK(c.request_count() == 1);
    REQUIRE(errors.messages().size() == 1);
    CHECK(errors.count("2 spans rejected") == 1);
    CHECK(errors.count("2 spans are older than the retention") == 1);
    // A second partial success within the summary interval is counted, not reported again.
    CHECK(exp.export_batch(b.batch()) == export_result::success);
    CHECK(c.request_count() == 2);
    CHECK(errors.messages().size() == 1);
    const auto s = exp.stats();
    CHECK(s.rejected_spans == 3);
    CHECK(s.exported_spans == 7);
    CHECK(s.retries == 0);
    CHECK(s.failed_batches == 0);
  }
}

TEST_CASE("a collector hanging past the export timeout: the export gives up in time") {
  error_capture errors;
  t::fake_collector c(closing());
  c.enqueue(t::scripted_response::hang());
  auto o = options_for(c);
  o.timeout = 400ms;
  otlp_http_exporter exp(o);
  const test_batch b;
  const auto start = steady::now();
  CHECK(exp.export_batch(b.batch()) == export_result::failure);
  const auto took = elapsed_ms(start);
  c.release_hung();
  CHECK(took >= 350);
  CHECK(took < 2000);
  CHECK(exp.stats().failed_batches == 1);
  CHECK(exp.stats().dropped_spans == 3);
  REQUIRE(errors.messages().size() == 1);
  CHECK(errors.count("timeout") == 1);
}

TEST_CASE("Retry-After beyond the export timeout gives up at once instead of waiting") {
  error_capture errors;
  t::fake_collector c(closing());
  c.enqueue(t::scripted_response::retry_after(503, "30"));
  auto o = options_for(c);
  o.timeout = 2s;
  otlp_http_exporter exp(o);
  const test_batch b;
  const auto start = steady::now();
  CHECK(exp.export_batch(b.batch()) == export_result::failure);
  CHECK(elapsed_ms(start) < 1500);
  CHECK(c.request_count() == 1);
  CHECK(errors.count("export timeout") == 1);
}

TEST_CASE("shutdown ends a retry wait at once; later exports fail without a request") {
  error_capture errors;
  t::fake_collector c(closing());
  c.enqueue(t::scripted_response::retry_after(503, "20"));
  auto o = options_for(c);
  o.timeout = 60s;
  otlp_http_exporter exp(o);
  const test_batch b;
  auto result = std::async(std::launch::async, [&] { return exp.export_batch(b.batch()); });
  REQUIRE(c.wait_for_requests(1, 10s));
  const auto start = steady::now();
  CHECK(exp.shutdown(5s));
  REQUIRE(result.wait_for(5s) == std::future_status::ready);
  CHECK(result.get() == export_result::failure);
  CHECK(elapsed_ms(start) < 2000);
  CHECK(errors.count("shutting down") == 1);

  CHECK(exp.export_batch(b.batch()) == export_result::failure);
  CHECK(c.request_count() == 1);
  CHECK(exp.stats().failed_batches == 2);
  CHECK(exp.stats().dropped_spans == 6);
}

TEST_CASE("collector absent: span calls stay fast, spans are dropped and counted, one message, bounded shutdown") {
  error_capture errors;
  auto o = otlp_http_options{};
  o.endpoint = t::fake_collector::unreachable_endpoint() + "/v1/traces";
  o.timeout = 300ms;
  o.retry.initial_backoff = 20ms;
  o.retry.max_backoff = 50ms;
  auto exp_owned = std::make_unique<otlp_http_exporter>(o);
  otlp_http_exporter* exp = exp_owned.get();
  batch_options bo;
  bo.schedule_delay = 5ms;
  bo.max_queue_size = 256;
  bo.max_export_batch_size = 64;
  bo.export_timeout = 5s;
  provider_options po;
  po.processors.push_back(std::make_unique<batch_processor>(std::move(exp_owned), bo));
  auto provider = std::make_unique<tracer_provider>(std::move(po));
  const tracer tr = provider->get_tracer("absent-collector-test");

  constexpr int total = 20000;
  const auto start = steady::now();
  for (int i = 0; i < total; ++i) {
    span s(tr, "chat", span_kind::client, {{"gen_ai.request.model", "llama3.2"}, {"gen_ai.usage.input_tokens", i}});
  }
  const auto took = elapsed_ms(start);
  CHECK(took < 2000);  // ~100 us per span would be a blocked application; expect well under 1 us

  const auto shutdown_start = steady::now();
  CHECK(provider->shutdown(5s));
  CHECK(elapsed_ms(shutdown_start) < 3000);

  const auto ps = provider->stats();
  CHECK(ps.exported == 0);
  CHECK(ps.dropped() == static_cast<std::uint64_t>(total));
  const auto es = exp->stats();
  CHECK(es.failed_batches >= 1);
  CHECK(es.dropped_spans == ps.dropped_export);
  CHECK(es.exported_spans == 0);
  INFO(errors.joined());
  // One message for the whole outage (summaries come at most once a minute), never one per span;
  // the queue-full drops are reported too, and shutdown sums up every cause once.
  CHECK(errors.count("OTLP export") == 1);
  CHECK(errors.count("because the queue was full (OTEL_BSP_MAX_QUEUE_SIZE=256 per thread)") == 1);
  CHECK(errors.count("batch processor summary at shutdown: 20000 of 20000 spans dropped") == 1);
  CHECK(errors.messages().size() == 3);
  provider.reset();
}

TEST_CASE("API keys and other header values never appear in reported messages") {
  error_capture errors;
  const std::string key = "APIKEY-8c1f2e9d77";
  const std::string token = "sk-live-Z9y8X7w6V5";
  std::vector<http::header> headers{{"x-api-key", key}, {"Authorization", "Bearer " + token}};
  const test_batch b;
  {
    t::fake_collector c(closing());
    c.enqueue({t::scripted_response::rpc_status(400, 16, "invalid credentials: " + key),
               t::scripted_response::status(403, "forbidden for Bearer " + token, {{"Content-Type", "text/plain"}})});
    auto o = options_for(c);
    o.headers = headers;
    otlp_http_exporter first(o);
    CHECK(first.export_batch(b.batch()) == export_result::failure);
    otlp_http_exporter second(o);
    CHECK(second.export_batch(b.batch()) == export_result::failure);
  }
  {
    t::fake_collector c(closing());
    c.enqueue(t::scripted_response::partial_success(1, "rejected span sent with " + token));
    auto o = options_for(c, otlp_protocol::http_json);
    o.headers = headers;
    otlp_http_exporter exp(o);
    CHECK(exp.export_batch(b.batch()) == export_result::success);
  }
  {
    auto o = otlp_http_options{};
    o.endpoint = "http://user:" + key + "@127.0.0.1:" + std::to_string(t::fake_collector::unused_port()) +
                 "/v1/traces?token=" + token;
    o.headers = headers;
    o.timeout = 300ms;
    o.retry.initial_backoff = 10ms;
    otlp_http_exporter exp(o);
    CHECK(exp.export_batch(b.batch()) == export_result::failure);
  }
  {
    env_guard env;
    env.set("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=" + key + ",broken" + token + ",=" + key)
        .set("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318/?key=" + key);
    const auto o = otlp_http_options_from_env();
    REQUIRE(o.headers.size() == 1);
    CHECK(o.headers[0].value == key);
  }
  const auto all = errors.joined();
  CHECK(errors.messages().size() >= 6);
  CHECK(errors.count("[REDACTED]") >= 3);
  CHECK(all.find(key) == std::string::npos);
  CHECK(all.find(token) == std::string::npos);
  CHECK(all.find("8c1f2e9d77") == std::string::npos);
  INFO(all);
}

TEST_CASE("Retry-After values: delay-seconds and the three HTTP-date forms") {
  using detail::otlp_parse_retry_after;
  const auto now = std::chrono::system_clock::from_time_t(784111777 - 10);  // 1994-11-06 08:49:27 UTC
  CHECK(otlp_parse_retry_after("120", now) == ms(120000));
  CHECK(otlp_parse_retry_after(" 0 ", now) == ms(0));
  CHECK(otlp_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now) == ms(10000));
  CHECK(otlp_parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now) == ms(10000));
  CHECK(otlp_parse_retry_after("Sun Nov  6 08:49:37 1994", now) == ms(10000));
  CHECK(otlp_parse_retry_after("Sat, 05 Nov 1994 08:49:37 GMT", now) == ms(0));  // in the past
  CHECK(otlp_parse_retry_after("Thu, 29 Feb 2024 23:59:59 GMT", std::chrono::system_clock::from_time_t(1709251199)) ==
        ms(0));
  CHECK(otlp_parse_retry_after("Fri, 01 Mar 2024 00:00:01 GMT", std::chrono::system_clock::from_time_t(1709251199)) ==
        ms(2000));
  CHECK_FALSE(otlp_parse_retry_after("soon", now).has_value());
  CHECK_FALSE(otlp_parse_retry_after("-5", now).has_value());
  CHECK_FALSE(otlp_parse_retry_after("", now).has_value());
  CHECK_FALSE(otlp_parse_retry_after("Sun, 06 Foo 1994 08:49:37 GMT", now).has_value());
}

TEST_CASE("environment: defaults") {
  env_guard env;
  error_capture errors;
  const auto o = otlp_http_options_from_env();
  CHECK(o.endpoint == "http://localhost:4318/v1/traces");
  CHECK(o.protocol == otlp_protocol::http_protobuf);
  CHECK(o.headers.empty());
  CHECK(o.timeout == ms(10000));
  CHECK(o.compression == otlp_compression::none);
  CHECK(o.tls.ca_file.empty());
  CHECK(errors.messages().empty());
}

TEST_CASE("environment: the base URL gets /v1/traces, the signal URL is used as is and wins") {
  env_guard env;
  error_capture errors;
  env.set("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318");
  CHECK(otlp_http_options_from_env().endpoint == "http://collector:4318/v1/traces");
  env.set("OTEL_EXPORTER_OTLP_ENDPOINT", "https://gateway.example.com/otlp/");
  CHECK(otlp_http_options_from_env().endpoint == "https://gateway.example.com/otlp/v1/traces");
  env.set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces.example.com:9999/custom/path");
  CHECK(otlp_http_options_from_env().endpoint == "http://traces.example.com:9999/custom/path");
  env.set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces.example.com:4318");
  CHECK(otlp_http_options_from_env().endpoint == "http://traces.example.com:4318");
  CHECK(errors.messages().empty());
}

TEST_CASE("environment: each signal gets its own path and its own variables") {
  env_guard env;
  error_capture errors;
  CHECK(otlp_http_options_from_env(otlp_signal::metrics).endpoint == "http://localhost:4318/v1/metrics");
  CHECK(otlp_http_options_from_env(otlp_signal::logs).endpoint == "http://localhost:4318/v1/logs");
  env.set("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/")
      .set("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "http://logs.example.com/in")
      .set("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "1500")
      .set("OTEL_EXPORTER_OTLP_TIMEOUT", "2500")
      .set("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "http/json")
      .set("OTEL_EXPORTER_OTLP_METRICS_HEADERS", "x-metrics=1");
  const auto traces = otlp_http_options_from_env(otlp_signal::traces);
  const auto metrics = otlp_http_options_from_env(otlp_signal::metrics);
  const auto logs = otlp_http_options_from_env(otlp_signal::logs);
  CHECK(traces.endpoint == "http://collector:4318/v1/traces");
  CHECK(metrics.endpoint == "http://collector:4318/v1/metrics");
  CHECK(logs.endpoint == "http://logs.example.com/in");
  CHECK(traces.timeout == ms(2500));
  CHECK(metrics.timeout == ms(1500));
  CHECK(logs.timeout == ms(2500));
  CHECK(traces.protocol == otlp_protocol::http_protobuf);
  CHECK(logs.protocol == otlp_protocol::http_json);
  CHECK(traces.headers.empty());
  REQUIRE(metrics.headers.size() == 1);
  CHECK(metrics.headers[0].name == "x-metrics");
  env.set("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "collector");
  CHECK(otlp_http_options_from_env(otlp_signal::metrics).endpoint == "http://localhost:4318/v1/metrics");
  CHECK(errors.count("invalid OTEL_EXPORTER_OTLP_METRICS_ENDPOINT") == 1);
  CHECK(errors.messages().size() == 1);
}

TEST_CASE("URLs: one splitter; redacted form for messages; http(s) check") {
  const auto p = detail::split_url("HTTPS://user:pw@[::1]:4318/otlp/v1/traces?key=secret#frag");
  CHECK(p.has_authority);
  CHECK(p.scheme == "HTTPS");
  CHECK(p.userinfo == "user:pw");
  CHECK(p.host_port == "[::1]:4318");
  CHECK(p.host == "::1");
  CHECK(p.port == "4318");
  CHECK(p.target == "/otlp/v1/traces?key=secret");
  CHECK(p.path == "/otlp/v1/traces");
  CHECK(p.query == "key=secret");
  CHECK(detail::split_url("http://h?q").target == "?q");
  CHECK(detail::split_url("/api/tags").path == "/api/tags");
  CHECK_FALSE(detail::split_url("/api/tags").has_authority);
  CHECK(detail::redact_url("https://user:pw@collector:4318/v1/traces?api_key=s#x") ==
        "https://collector:4318/v1/traces");
  CHECK(detail::redact_url("collector:4318") == "<not an http(s) URL>");
  CHECK(detail::is_http_url("HTTP://collector"));
  CHECK(detail::is_http_url("https://collector:4318/v1/traces"));
  CHECK_FALSE(detail::is_http_url("ftp://collector"));
  CHECK_FALSE(detail::is_http_url("http://"));
  CHECK_FALSE(detail::is_http_url("collector:4318"));
}

TEST_CASE("environment: protocol, headers, timeout, compression and TLS; signal-specific wins") {
  env_guard env;
  error_capture errors;
  env.set("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
      .set("OTEL_EXPORTER_OTLP_HEADERS", "x-generic=1")
      .set("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "x-honeycomb-team=abc%20def%2C1, x-tenant = t1 ")
      .set("OTEL_EXPORTER_OTLP_TIMEOUT", "2500")
      .set("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")
      .set("OTEL_EXPORTER_OTLP_CERTIFICATE", "/etc/ca.pem")
      .set("OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE", "/etc/client.pem")
      .set("OTEL_EXPORTER_OTLP_CLIENT_KEY", "/etc/client.key");
  auto o = otlp_http_options_from_env();
  CHECK(o.protocol == otlp_protocol::http_json);
  REQUIRE(o.headers.size() == 2);
  CHECK(o.headers[0].name == "x-honeycomb-team");
  CHECK(o.headers[0].value == "abc def,1");
  CHECK(o.headers[1].name == "x-tenant");
  CHECK(o.headers[1].value == "t1");
  CHECK(o.timeout == ms(2500));
  CHECK(o.compression == otlp_compression::gzip);
  CHECK(o.tls.ca_file == "/etc/ca.pem");
  CHECK(o.tls.client_cert_file == "/etc/client.pem");
  CHECK(o.tls.client_key_file == "/etc/client.key");

  env.set("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf")
      .set("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "700")
      .set("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "none");
  o = otlp_http_options_from_env();
  CHECK(o.protocol == otlp_protocol::http_protobuf);
  CHECK(o.timeout == ms(700));
  CHECK(o.compression == otlp_compression::none);
  CHECK(errors.messages().empty());
}

TEST_CASE("environment: invalid values are reported once each and the defaults used") {
  env_guard env;
  error_capture errors;
  env.set("OTEL_EXPORTER_OTLP_TIMEOUT", "ten seconds")
      .set("OTEL_EXPORTER_OTLP_COMPRESSION", "brotli")
      .set("OTEL_EXPORTER_OTLP_PROTOCOL", "thrift")
      .set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "collector:4318");
  const auto o = otlp_http_options_from_env();
  CHECK(o.timeout == ms(10000));
  CHECK(o.compression == otlp_compression::none);
  CHECK(o.protocol == otlp_protocol::http_protobuf);
  CHECK(o.endpoint == "http://localhost:4318/v1/traces");
  CHECK(errors.messages().size() == 4);
  CHECK(errors.count("OTEL_EXPORTER_OTLP_TIMEOUT") == 1);
  CHECK(errors.count("10000") == 1);
  CHECK(errors.count("OTEL_EXPORTER_OTLP_COMPRESSION") == 1);
  CHECK(errors.count("OTEL_EXPORTER_OTLP_PROTOCOL") == 1);
  CHECK(errors.count("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == 1);

  env.set("OTEL_EXPORTER_OTLP_TIMEOUT", "0");
  CHECK(otlp_http_options_from_env().timeout == ms(10000));
}

TEST_CASE("environment end to end: base URL, percent-decoded header, http/json and gzip reach the collector") {
  env_guard env;
  t::fake_collector c(closing());
  env.set("OTEL_EXPORTER_OTLP_ENDPOINT", c.endpoint())
      .set("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=s3cr%3Dt%2Cvalue")
      .set("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
      .set("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip");
  otlp_http_exporter exp(otlp_http_options_from_env());
  const test_batch b;
  REQUIRE(exp.export_batch(b.batch()) == export_result::success);
  REQUIRE(c.request_count() == 1);
  const auto req = c.request(0);
  CHECK(req.path == "/v1/traces");
  CHECK(req.header("x-api-key") == "s3cr=t,value");
  CHECK(req.header("Content-Type") == "application/json");
  CHECK(req.gzip);
  CHECK(req.decoded.span_count() == 3);
}
