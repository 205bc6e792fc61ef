// Tests for llmtrace/http/grpc_transport.hpp against a real gRPC server (python3-grpcio, started by
// tests/support/grpc_collector): framing and metadata as the server's gRPC stack reads them, one
// connection for consecutive calls, trailers and trailers-only answers, grpc-message decoding,
// RetryInfo, gzip, deadlines, shutdown during a call, TLS with h2 negotiated, and HTTP/1.1-only
// servers (plain and TLS) refused with a clear error.
#include <llmtrace/http/grpc_transport.hpp>

#include "support/fake_collector.hpp"
#include "support/grpc_collector.hpp"
#include "support/otlp_decode.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>

using namespace llmtrace;
using namespace std::chrono_literals;
namespace t = llmtrace_test;

namespace {

using steady = std::chrono::steady_clock;
constexpr const char* trace_export = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

long long elapsed_ms(steady::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - since).count();
}

// One span in an ExportTraceServiceRequest, built with the test encoder's helpers (independent of
// the SDK's encoder): resource_spans { scope_spans { spans { trace_id, span_id, name } } }.
std::string sample_request(const std::string& name) {
  std::string span;
  t::otlp_detail::put_len(span, 1, std::string(16, '\x11'));
  t::otlp_detail::put_len(span, 2, std::string(8, '\x22'));
  t::otlp_detail::put_len(span, 5, name);
  std::string scope_spans, resource_spans, request;
  t::otlp_detail::put_len(scope_spans, 2, span);
  t::otlp_detail::put_len(resource_spans, 2, scope_spans);
  t::otlp_detail::put_len(request, 1, resource_spans);
  return request;
}

http::grpc_request call_to(const std::string& target, const std::string& message) {
  http::grpc_request r;
  r.target = target;
  r.method = trace_export;
  r.message = message;
  r.timeout = 10s;
  return r;
}

t::grpc_collector& fresh_server() {
  auto& s = t::shared_grpc_collector();
  s.reset();
  return s;
}

}  // namespace

TEST_CASE("a unary call reaches the real server with its framing, metadata and deadline") {
  auto& server = fresh_server();
  http::grpc_channel channel;
  const std::string message = sample_request("chat llama3.2");
  auto req = call_to(server.endpoint() + "/ignored/path", message);
  req.metadata = {{"X-Api-Key", "secret-0123456789"}, {"x-tenant", "team a"}, {"Content-Type", "text/plain"}};
  const auto resp = channel.call(req);
  INFO(resp.describe());
  REQUIRE(resp.ok());
  CHECK(resp.http_status == 200);
  REQUIRE(resp.status);
  CHECK(*resp.status == 0);
  CHECK(resp.message.empty());
  CHECK_FALSE(resp.retryable());

  REQUIRE(server.wait_for_requests(1));
  const auto got = server.request(0);
  CHECK(got.method == trace_export);
  CHECK(got.body == message);
  const auto decoded = t::decode_request(got.body, t::otlp_encoding::protobuf);
  REQUIRE(decoded.resource_spans.size() == 1);
  CHECK(decoded.resource_spans[0].scope_spans[0].spans[0].name == "chat llama3.2");
  CHECK(got.meta("x-api-key") == "secret-0123456789");  // lower-cased on the wire
  CHECK(got.meta("x-tenant") == "team a");
  CHECK(got.meta_count("content-type") == 0);  // the user's content-type was not sent as metadata
  CHECK(got.meta("user-agent").find("OTel-OTLP-Exporter-Cpp-llmtrace/") != std::string::npos);
  REQUIRE(got.time_remaining);  // grpc-timeout arrived
  CHECK(*got.time_remaining > 5.0);
  CHECK(*got.time_remaining <= 10.0);
  CHECK_FALSE(got.tls);
}

TEST_CASE("consecutive calls share one HTTP/2 connection") {
  auto& server = fresh_server();
  http::grpc_channel channel;
  const std::string message = sample_request("a");
  for (int i = 0; i < 3; ++i) {
    const auto resp = channel.call(call_to(server.endpoint(), message));
    INFO(resp.describe());
    REQUIRE(resp.ok());
  }
  REQUIRE(server.wait_for_requests(3));
  const auto reqs = server.requests();
  CHECK(reqs[0].peer == reqs[1].peer);
  CHECK(reqs[1].peer == reqs[2].peer);
}

TEST_CASE("error statuses: trailers-only answers, percent-encoded grpc-message, RetryInfo") {
  auto& server = fresh_server();
  http::grpc_channel channel;
  const std::string message = sample_request("a");

  SUBCASE("UNIMPLEMENTED is final") {
    server.enqueue({t::grpc_reply::status(12, "no such service here")});
    const auto resp = channel.call(call_to(server.endpoint(), message));
    INFO(resp.describe());
    REQUIRE(resp.transport_ok());
    CHECK(resp.http_status == 200);
    REQUIRE(resp.status);
    CHECK(*resp.status == 12);
    CHECK_FALSE(resp.retryable());
    CHECK(resp.describe() == "gRPC status 12 UNIMPLEMENTED: no such service here");
  }
  SUBCASE("an unknown method: a trailers-only UNIMPLEMENTED, or (libcurl 7.88) the stream reset that comes with it") {
    auto req = call_to(server.endpoint(), message);
    req.method = "/opentelemetry.proto.collector.trace.v1.TraceService/Nope";
    const auto resp = channel.call(req);
    INFO(resp.describe());
    if (resp.transport_ok()) {
      REQUIRE(resp.status);
      CHECK(*resp.status == 12);
      CHECK(resp.headers.size() >= 1);
      CHECK(resp.trailers.empty());  // trailers-only: grpc-status came in the headers
      CHECK_FALSE(resp.retryable());
    } else {
      CHECK(resp.describe().find("reset the stream") != std::string::npos);
    }
  }
  SUBCASE("INVALID_ARGUMENT with a UTF-8 message, final") {
    server.enqueue({t::grpc_reply::status(3, "bad span \xc3\xbc 100% \"quoted\"\nnext line")});
    const auto resp = channel.call(call_to(server.endpoint(), message));
    REQUIRE(resp.transport_ok());
    REQUIRE(resp.status);
    CHECK(*resp.status == 3);
    CHECK(resp.status_message == "bad span \xc3\xbc 100% \"quoted\"\nnext line");
    CHECK_FALSE(resp.retry_delay);
    CHECK_FALSE(resp.retryable());
    CHECK(resp.describe() == "gRPC status 3 INVALID_ARGUMENT: bad span \xc3\xbc 100% \"quoted\"\nnext line");
  }
  SUBCASE("UNAVAILABLE is retryable") {
    server.enqueue({t::grpc_reply::status(14, "try later")});
    const auto resp = channel.call(call_to(server.endpoint(), message));
    REQUIRE(resp.status);
    CHECK(*resp.status == 14);
    CHECK(resp.retryable());
  }
  SUBCASE("RESOURCE_EXHAUSTED is retryable only with RetryInfo, whose delay is read") {
    server.enqueue({t::grpc_reply::status(8, "quota"), t::grpc_reply::with_retry_info(8, "quota", 1250)});
    const auto without = channel.call(call_to(server.endpoint(), message));
    REQUIRE(without.status);
    CHECK(*without.status == 8);
    CHECK_FALSE(without.retry_delay);
    CHECK_FALSE(without.retryable());
    const auto with = channel.call(call_to(server.endpoint(), message));
    REQUIRE(with.status);
    CHECK(*with.status == 8);
    REQUIRE(with.retry_delay);
    CHECK(with.retry_delay->count() == 1250);
    CHECK(with.retryable());
  }
  SUBCASE("a response message comes back unframed") {
    const std::string partial = t::encode_export_response_partial(t::otlp_encoding::protobuf, 2, "two spans too old");
    server.enqueue({t::grpc_reply::ok(partial)});
    const auto resp = channel.call(call_to(server.endpoint(), message));
    REQUIRE(resp.ok());
    CHECK(resp.message == partial);
  }
}

TEST_CASE("gzip: the server's gRPC stack decompresses the message") {
  auto& server = fresh_server();
  http::grpc_channel channel;
  std::string message = sample_request(std::string(5000, 'x'));
  auto req = call_to(server.endpoint(), message);
  req.gzip = true;
  const auto resp = channel.call(req);
  INFO(resp.describe());
  REQUIRE(resp.ok());
  REQUIRE(server.wait_for_requests(1));
  CHECK(server.request(0).body == message);
}

TEST_CASE("the message prefix and gzip framing") {
  std::string out;
  detail::grpc_put_prefix(out, false, 0x01020304);
  CHECK(out == std::string("\x00\x01\x02\x03\x04", 5));
  out.clear();
  detail::grpc_put_prefix(out, true, 5);
  CHECK(out == std::string("\x01\x00\x00\x00\x05", 5));
  CHECK(detail::grpc_timeout_value(10s) == "10000m");
  CHECK(detail::grpc_timeout_value(0ms) == "1m");
  CHECK(detail::grpc_timeout_value(std::chrono::milliseconds(100000000)) == "100000S");
  CHECK(detail::grpc_percent_decode("a%20b%zz%") == "a b%zz%");
  CHECK(detail::grpc_base64_decode("aGk") == std::string("hi"));
  CHECK(detail::grpc_base64_decode("aGk=") == std::string("hi"));
  CHECK_FALSE(detail::grpc_base64_decode("a*b"));
  if (detail::gzip_available) {
    detail::gzip_compressor z;
    std::string packed, unpacked;
    z.compress(std::string(1000, 'y'), packed);
    CHECK(packed.size() < 100);
    REQUIRE(detail::gunzip(packed, unpacked, 1 << 20));
    CHECK(unpacked == std::string(1000, 'y'));
    CHECK_FALSE(detail::gunzip(packed, unpacked, 999));                                   // over the size limit
    CHECK_FALSE(detail::gunzip(packed.substr(0, packed.size() / 2), unpacked, 1 << 20));  // truncated
  }
}

TEST_CASE("reading an answer: a malformed grpc-status is UNKNOWN, never an overflow; framing errors are clear") {
  const auto answer = [](std::vector<http::header> trailers, std::string_view body) {
    http::grpc_response r;
    r.http_status = 200;
    r.trailers = std::move(trailers);
    detail::grpc_read_answer(r, body, 1 << 20);
    return r;
  };
  // Found by fuzz_grpc_answer: a long digit string overflowed an int (undefined behaviour).
  auto r = answer({{"grpc-status", "99999999999999999999999"}}, {});
  REQUIRE(r.status);
  CHECK(*r.status == 2);  // UNKNOWN
  // The status line of the header callback: three digits at most (a longer run overflowed too).
  CHECK(detail::curl_status_line("HTTP/2 200") == 200);
  CHECK(detail::curl_status_line("HTTP/1.1 99999999999999999999 OK") == 999);
  CHECK_FALSE(detail::curl_status_line("grpc-status: 0"));
  r = answer({{"grpc-status", "1x"}}, {});
  CHECK(*r.status == 2);
  r = answer({{"grpc-status", "14"}, {"grpc-message", "busy%20now"}}, {});
  CHECK(*r.status == 14);
  CHECK(r.status_message == "busy now");
  r = answer({{"grpc-status", "0"}}, std::string("\x00\x00\x00\x00\x02hi", 7));
  CHECK(r.ok());
  CHECK(r.message == "hi");
  r = answer({{"grpc-status", "0"}}, std::string("\x00\x00\x00\x00\x09hi", 7));
  CHECK_FALSE(r.ok());
  CHECK(r.error_message == "the server sent a response message of the wrong length");
  r = answer({{"grpc-status", "0"}}, std::string("\x01\x00\x00\x00\x02hi", 7));
  CHECK(r.error_message == "the server sent a compressed response in an unsupported encoding");
}

TEST_CASE("a server that never answers: bounded by the deadline, and shutdown ends the call at once") {
  auto& server = fresh_server();
  server.set_default(t::grpc_reply::never());
  const std::string message = sample_request("a");

  SUBCASE("deadline") {
    http::grpc_channel channel;
    auto req = call_to(server.endpoint(), message);
    req.timeout = 400ms;
    const auto start = steady::now();
    const auto resp = channel.call(req);
    const auto took = elapsed_ms(start);
    INFO(resp.describe());
    CHECK_FALSE(resp.ok());
    // Either our own timeout or the server's DEADLINE_EXCEEDED (grpc-timeout) ends it; both retryable.
    CHECK(resp.retryable());
    CHECK(took >= 350);
    CHECK(took < 3000);
  }
  SUBCASE("shutdown") {
    http::grpc_channel channel;
    auto req = call_to(server.endpoint(), message);
    req.timeout = 60s;
    http::grpc_response resp;
    steady::time_point start;
    std::thread caller([&] { resp = channel.call(req); });
    REQUIRE(server.wait_for_hung(1));
    start = steady::now();
    channel.shutdown();
    caller.join();
    CHECK(elapsed_ms(start) < 2000);
    CHECK(resp.error == http::error_kind::aborted);
    CHECK_FALSE(resp.retryable());
    const auto after = channel.call(req);  // later calls fail at once
    CHECK(after.error == http::error_kind::aborted);
  }
  server.release_hung();
}

TEST_CASE("TLS: a test CA, h2 chosen by ALPN") {
  auto& server = fresh_server();
  const std::string message = sample_request("tls");
  http::grpc_channel channel;
  auto req = call_to(server.tls_endpoint(), message);
  req.tls.ca_file = server.ca_file();
  req.metadata = {{"authorization", "Bearer abcdefghijkl"}};
  const auto resp = channel.call(req);
  INFO(resp.describe());
  REQUIRE(resp.ok());
  REQUIRE(channel.call(req).ok());  // the same TLS connection again
  REQUIRE(server.wait_for_requests(2));
  CHECK(server.request(0).peer == server.request(1).peer);
  CHECK(server.request(0).tls);
  CHECK(server.request(0).body == message);
  CHECK(server.request(0).meta("authorization") == "Bearer abcdefghijkl");

  SUBCASE("without the CA the certificate is refused, final") {
    http::grpc_channel other;
    const auto bad = other.call(call_to(server.tls_endpoint(), message));
    CHECK(bad.error == http::error_kind::tls);
    CHECK_FALSE(bad.retryable());
  }
}

TEST_CASE("HTTP/1.1-only servers get one clear error, never a hang") {
  auto& server = fresh_server();
  const std::string message = sample_request("h1");
  http::grpc_channel channel;

  SUBCASE("plain text: the HTTP/2 preface is not understood") {
    const auto start = steady::now();
    auto req = call_to(server.h1_endpoint(), message);
    req.metadata = {{"x-api-key", "secret-0123456789"}};
    const auto resp = channel.call(req);
    CHECK(elapsed_ms(start) < 5000);
    INFO(resp.describe());
    CHECK(resp.error == http::error_kind::other);
    CHECK(resp.describe().find("speaks HTTP/1.1 but not HTTP/2") != std::string::npos);
    CHECK(resp.describe().find("secret-0123456789") == std::string::npos);
    CHECK_FALSE(resp.retryable());
  }
  SUBCASE("TLS: ALPN chose http/1.1") {
    auto req = call_to(server.h1_tls_endpoint(), message);
    req.tls.ca_file = server.ca_file();
    const auto resp = channel.call(req);
    INFO(resp.describe());
    CHECK(resp.error == http::error_kind::other);
    CHECK(resp.describe().find("ALPN did not choose h2") != std::string::npos);
    CHECK_FALSE(resp.retryable());
  }
}

TEST_CASE("nothing listening: a connection failure, retryable like UNAVAILABLE") {
  http::grpc_channel channel;
  const auto resp = channel.call(call_to(t::fake_collector::unreachable_endpoint(), sample_request("a")));
  CHECK(resp.error == http::error_kind::connect);
  CHECK(resp.retryable());
}
