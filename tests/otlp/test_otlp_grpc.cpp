// The OTLP exporter with protocol grpc against a real gRPC server (python3-grpcio, started by
// tests/support/grpc_collector): every span decoded by the test decoder and the official JS
// decoders, retries (UNAVAILABLE, RESOURCE_EXHAUSTED with and without RetryInfo), final errors
// reported once, partial success, a server that never answers (export timeout, bounded shutdown),
// gzip, headers as metadata, TLS with a test CA, an HTTP/1.1-only server, and the
// OTEL_EXPORTER_OTLP_* configuration of the protocol (default endpoint, INSECURE, scheme-less
// endpoints, signal-specific variables).
#include <llmtrace/exporters/otlp_http.hpp>

#include <llmtrace/init.hpp>

#include "otlp_test_support.hpp"
#include "support/fake_collector.hpp"
#include "support/grpc_collector.hpp"
#include "support/js_decoder.hpp"
#include "support/otlp_decode.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <future>
#include <mutex>
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
constexpr const char* trace_export = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

long long elapsed_ms(steady::time_point since) { return std::chrono::duration_cast<ms>(steady::now() - since).count(); }

t::grpc_collector& fresh_server() {
  auto& s = t::shared_grpc_collector();
  s.reset();
  return s;
}

/// gRPC options pointing at `target` with quick retries (tests never wait for real backoff).
otlp_http_options grpc_options(const std::string& target) {
  otlp_http_options o;
  o.protocol = otlp_protocol::grpc;
  o.endpoint = target;
  o.timeout = 10s;
  o.retry.initial_backoff = 10ms;
  o.retry.max_backoff = 50ms;
  return o;
}

/// Both decoders read `body` as the spans of test_batch.
void check_spans(const std::string& body, const test_batch& b) {
  const auto decoded = t::decode_request(body, t::otlp_encoding::protobuf);
  REQUIRE(decoded.resource_spans.size() == 1);
  REQUIRE(decoded.resource_spans[0].scope_spans.size() == 1);
  const auto& spans = decoded.resource_spans[0].scope_spans[0].spans;
  REQUIRE(spans.size() == b.spans.size());
  for (std::size_t i = 0; i < spans.size(); ++i) {
    CHECK(spans[i].name == std::string(b.spans[i].name()));
    CHECK(spans[i].trace_id == "4bf92f3577b34da6a3ce929d0e0e4736");
    CHECK(spans[i].span_id == b.spans[i].context.span_id.to_hex());
    CHECK(spans[i].attributes.get("gen_ai.usage.input_tokens").int_value == 120 + static_cast<int>(i));
  }
  if (!t::node_available()) {
    MESSAGE("OTLP/JS cross-check skipped: node is missing");
    return;
  }
  try {
    CHECK(t::js_decode(body, t::otlp_encoding::protobuf) == decoded.to_json());
  } catch (const t::js_decoder_unavailable& e) {
    MESSAGE("OTLP/JS cross-check skipped: " << e.what());
  }
}

}  // namespace

TEST_CASE("grpc: every span reaches the real server, decoded by both decoders, with metadata") {
  auto& server = fresh_server();
  error_capture errors;
  auto o = grpc_options(server.endpoint());
  o.headers = {{"X-Api-Key", "key-0123456789"}, {"x-tenant", "team a"}};
  otlp_http_exporter exp(o);
  const test_batch b;
  REQUIRE(exp.export_batch(b.batch()) == export_result::success);
  REQUIRE(server.wait_for_requests(1));
  const auto req = server.request(0);
  CHECK(req.method == trace_export);
  check_spans(req.body, b);
  CHECK(req.meta("x-api-key") == "key-0123456789");
  CHECK(req.meta("x-tenant") == "team a");
  CHECK(req.meta("user-agent").find("OTel-OTLP-Exporter-Cpp-llmtrace/") != std::string::npos);
  REQUIRE(req.time_remaining);
  CHECK(*req.time_remaining > 5.0);  // grpc-timeout from the 10 s export timeout
  CHECK(exp.stats().exported_spans == 3);
  CHECK(exp.stats().dropped_spans == 0);
  CHECK(errors.messages().empty());

  REQUIRE(exp.export_batch(b.batch()) == export_result::success);  // again, on the same connection
  REQUIRE(server.wait_for_requests(2));
  CHECK(server.request(1).peer == req.peer);
}

TEST_CASE("grpc: UNAVAILABLE is retried, then the export succeeds") {
  auto& server = fresh_server();
  error_capture errors;
  server.enqueue(
      {t::grpc_reply::status(14, "restarting"), t::grpc_reply::status(14, "restarting"), t::grpc_reply::ok()});
  otlp_http_exporter exp(grpc_options(server.endpoint()));
  const test_batch b;
  REQUIRE(exp.export_batch(b.batch()) == export_result::success);
  REQUIRE(server.wait_for_requests(3));
  CHECK(server.request(0).body == server.request(2).body);
  check_spans(server.request(2).body, b);
  CHECK(exp.stats().retries == 2);
  CHECK(exp.stats().exported_spans == 3);
  CHECK(errors.messages().empty());
}

TEST_CASE("grpc: RESOURCE_EXHAUSTED is retried only with RetryInfo, after its delay") {
  auto& server = fresh_server();
  const test_batch b;

  SUBCASE("without RetryInfo: final, reported once") {
    error_capture errors;
    server.enqueue({t::grpc_reply::status(8, "quota exceeded")});
    otlp_http_exporter exp(grpc_options(server.endpoint()));
    CHECK(exp.export_batch(b.batch()) == export_result::failure);
    REQUIRE(server.wait_for_requests(1));
    CHECK(server.request_count() == 1);
    CHECK(exp.stats().retries == 0);
    CHECK(exp.stats().dropped_spans == 3);
    CHECK(errors.count("RESOURCE_EXHAUSTED: quota exceeded") == 1);
  }
  SUBCASE("with RetryInfo: retried after retry_delay, even above max_backoff") {
    error_capture errors;
    server.enqueue({t::grpc_reply::with_retry_info(8, "slow down", 300), t::grpc_reply::ok()});
    otlp_http_exporter exp(grpc_options(server.endpoint()));
    const auto start = steady::now();
    CHECK(exp.export_batch(b.batch()) == export_result::success);
    CHECK(elapsed_ms(start) >= 300);
    REQUIRE(server.wait_for_requests(2));
    CHECK(exp.stats().retries == 1);
    CHECK(exp.stats().exported_spans == 3);
    CHECK(errors.messages().empty());
  }
}

TEST_CASE("grpc: INVALID_ARGUMENT is not retried and reported once with grpc-message") {
  auto& server = fresh_server();
  error_capture errors;
  server.set_default(t::grpc_reply::status(3, "span 2 has an end before its start"));
  auto o = grpc_options(server.endpoint());
  o.headers = {{"authorization", "Bearer secret-token-abcdef"}};
  otlp_http_exporter exp(o);
  const test_batch b;
  CHECK(exp.export_batch(b.batch()) == export_result::failure);
  CHECK(exp.export_batch(b.batch()) == export_result::failure);
  REQUIRE(server.wait_for_requests(2));
  CHECK(server.request_count() == 2);  // one request per export: no retry
  CHECK(exp.stats().retries == 0);
  CHECK(exp.stats().failed_batches == 2);
  CHECK(exp.stats().dropped_spans == 6);
  INFO(errors.joined());
  CHECK(errors.count("INVALID_ARGUMENT: span 2 has an end before its start") == 1);
  CHECK(errors.joined().find("secret-token-abcdef") == std::string::npos);
}

TEST_CASE("grpc: partial success is reported once, the batch counted as exported minus the rejected") {
  auto& server = fresh_server();
  error_capture errors;
  server.set_default(
      t::grpc_reply::ok(t::encode_export_response_partial(t::otlp_encoding::protobuf, 1, "one span too old")));
  otlp_http_exporter exp(grpc_options(server.endpoint()));
  const test_batch b;
  CHECK(exp.export_batch(b.batch()) == export_result::success);
  CHECK(exp.export_batch(b.batch()) == export_result::success);
  CHECK(exp.stats().rejected_spans == 2);
  CHECK(exp.stats().exported_spans == 4);
  CHECK(exp.stats().retries == 0);
  INFO(errors.joined());
  CHECK(errors.count("1 spans rejected (one span too old)") == 1);
}

TEST_CASE("grpc: a server that never answers costs one export timeout; shutdown ends the call at once") {
  auto& server = fresh_server();
  server.set_default(t::grpc_reply::never());
  const test_batch b;

  SUBCASE("export timeout") {
    error_capture errors;
    auto o = grpc_options(server.endpoint());
    o.timeout = 600ms;
    otlp_http_exporter exp(o);
    const auto start = steady::now();
    CHECK(exp.export_batch(b.batch()) == export_result::failure);
    const auto took = elapsed_ms(start);
    CHECK(took >= 550);
    CHECK(took < 3000);
    CHECK(exp.stats().dropped_spans == 3);
    CHECK(errors.messages().size() == 1);
  }
  SUBCASE("shutdown during the call") {
    error_capture errors;
    auto o = grpc_options(server.endpoint());
    o.timeout = 60s;
    otlp_http_exporter exp(o);
    auto result = std::async(std::launch::async, [&] { return exp.export_batch(b.batch()); });
    REQUIRE(server.wait_for_hung(1));
    const auto start = steady::now();
    CHECK(exp.shutdown(5s));
    CHECK(elapsed_ms(start) < 2000);
    CHECK(result.get() == export_result::failure);
    CHECK(exp.stats().dropped_spans == 3);
  }
  server.release_hung();
}

TEST_CASE("grpc: gzip compresses the message; the server's gRPC stack decompresses it") {
  auto& server = fresh_server();
  auto o = grpc_options(server.endpoint());
  o.compression = otlp_compression::gzip;
  otlp_http_exporter exp(o);
  const test_batch b;
  REQUIRE(exp.export_batch(b.batch()) == export_result::success);
  REQUIRE(server.wait_for_requests(1));
  check_spans(server.request(0).body, b);
}

TEST_CASE("grpc: TLS with a test CA (OTEL_EXPORTER_OTLP_CERTIFICATE), h2 by ALPN") {
  auto& server = fresh_server();
  env_guard env;
  env.set("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
      .set("OTEL_EXPORTER_OTLP_ENDPOINT", server.tls_endpoint())
      .set("OTEL_EXPORTER_OTLP_CERTIFICATE", server.ca_file())
      .set("OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Bearer%20tls-token-0123");
  otlp_http_exporter exp(otlp_http_options_from_env());
  const test_batch b;
  REQUIRE(exp.export_batch(b.batch()) == export_result::success);
  REQUIRE(server.wait_for_requests(1));
  const auto req = server.request(0);
  CHECK(req.tls);
  CHECK(req.meta("authorization") == "Bearer tls-token-0123");
  check_spans(req.body, b);
}

TEST_CASE("grpc: an HTTP/1.1-only server gets one clear error, quickly, and nothing is retried") {
  auto& server = fresh_server();
  const test_batch b;
  for (const bool tls : {false, true}) {
    CAPTURE(tls);
    error_capture errors;
    auto o = grpc_options(tls ? server.h1_tls_endpoint() : server.h1_endpoint());
    o.tls.ca_file = server.ca_file();
    otlp_http_exporter exp(o);
    const auto start = steady::now();
    CHECK(exp.export_batch(b.batch()) == export_result::failure);
    CHECK(elapsed_ms(start) < 5000);
    CHECK(exp.stats().retries == 0);
    INFO(errors.joined());
    REQUIRE(errors.messages().size() == 1);
    CHECK(errors.messages()[0].find("not a gRPC endpoint") != std::string::npos);
  }
}

TEST_CASE("grpc configuration from OTEL_EXPORTER_OTLP_*") {
  error_capture errors;
  env_guard env;
  SUBCASE("PROTOCOL=grpc: the default endpoint is http://localhost:4317, no signal path") {
    env.set("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc");
    const auto o = otlp_http_options_from_env();
    CHECK(o.protocol == otlp_protocol::grpc);
    CHECK(o.endpoint == "http://localhost:4317");
    CHECK(errors.messages().empty());
  }
  SUBCASE("the signal-specific protocol wins") {
    env.set("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json").set("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc");
    CHECK(otlp_http_options_from_env().protocol == otlp_protocol::grpc);
    env.set("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc").set("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf");
    CHECK(otlp_http_options_from_env().protocol == otlp_protocol::http_protobuf);
  }
  SUBCASE("endpoints are used as given, for the generic and the signal variable alike") {
    env.set("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc").set("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4317");
    CHECK(otlp_http_options_from_env().endpoint == "https://collector:4317");
    env.set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:4317/");
    CHECK(otlp_http_options_from_env().endpoint == "http://traces:4317/");
    CHECK(errors.messages().empty());
  }
  SUBCASE("a scheme-less endpoint is host:port; INSECURE chooses plain text, TLS otherwise") {
    env.set("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc").set("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317");
    CHECK(otlp_http_options_from_env().endpoint == "https://collector:4317");
    env.set("OTEL_EXPORTER_OTLP_INSECURE", "true");
    CHECK(otlp_http_options_from_env().endpoint == "http://collector:4317");
    env.set("OTEL_EXPORTER_OTLP_TRACES_INSECURE", "false");
    CHECK(otlp_http_options_from_env().endpoint == "https://collector:4317");
    // INSECURE does not override a scheme.
    env.set("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4317").set("OTEL_EXPORTER_OTLP_TRACES_INSECURE", "true");
    CHECK(otlp_http_options_from_env().endpoint == "https://collector:4317");
    CHECK(errors.messages().empty());
  }
  SUBCASE("an invalid INSECURE value is reported once and false is used") {
    env.set("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
        .set("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317")
        .set("OTEL_EXPORTER_OTLP_INSECURE", "maybe");
    CHECK(otlp_http_options_from_env().endpoint == "https://collector:4317");
    CHECK(errors.count("OTEL_EXPORTER_OTLP_INSECURE") == 1);
  }
  SUBCASE("http/protobuf is unchanged: INSECURE and scheme-less endpoints do not apply") {
    env.set("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318").set("OTEL_EXPORTER_OTLP_INSECURE", "true");
    const auto o = otlp_http_options_from_env();
    CHECK(o.protocol == otlp_protocol::http_protobuf);
    CHECK(o.endpoint == "http://collector:4318/v1/traces");
  }
}

TEST_CASE("grpc in code: the default endpoint follows the protocol, scheme-less targets follow insecure") {
  otlp_http_options o;
  o.protocol = otlp_protocol::grpc;
  CHECK(otlp_http_exporter(o).options().endpoint == "http://localhost:4317");
  o.endpoint = "localhost:4317";
  CHECK(otlp_http_exporter(o).options().endpoint == "https://localhost:4317");
  o.insecure = true;
  CHECK(otlp_http_exporter(o).options().endpoint == "http://localhost:4317");
}

TEST_CASE("grpc through init(): OTEL_EXPORTER_OTLP_PROTOCOL=grpc delivers a provider's spans") {
  auto& server = fresh_server();
  env_guard env;
  env.set("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc").set("OTEL_EXPORTER_OTLP_ENDPOINT", server.endpoint());
  init_options io;
  io.service_name = "grpc-init-test";
  io.exporter_names = std::vector<std::string>{"otlp"};
  auto tracing = init(std::move(io));
  {
    span root("handle_question", span_kind::server);
    span child("chat llama3.2", span_kind::client);
  }
  REQUIRE(tracing.force_flush());
  REQUIRE(server.wait_for_requests(1));
  std::vector<std::string> names;
  for (const auto& r : server.requests()) {
    const auto decoded = t::decode_request(r.body, t::otlp_encoding::protobuf);
    for (const auto& rs : decoded.resource_spans) {
      CHECK(rs.resource.attributes.get("service.name").string_value == "grpc-init-test");
      for (const auto& ss : rs.scope_spans)
        for (const auto& s : ss.spans) names.push_back(s.name);
    }
  }
  CHECK(names == std::vector<std::string>{"chat llama3.2", "handle_question"});
}
