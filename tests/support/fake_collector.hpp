// A fake OTLP/HTTP trace collector for llmtrace's exporter tests.
//
//   llmtrace_test::fake_collector c;                 // listening on 127.0.0.1:<free port>
//   exporter_options o; o.endpoint = c.endpoint();   // "http://127.0.0.1:PORT" (base URL)
//   c.enqueue(scripted_response::retry_after(503, "1"));  // first request: 503 + Retry-After: 1
//   ... export ...
//   REQUIRE(c.wait_for_spans(3, std::chrono::seconds(5)));
//   CHECK(c.spans()[0].attributes.get("gen_ai.request.model").as_string() == "llama3");
//   CHECK(c.requests()[0].header("User-Agent").rfind("OTel-OTLP-Exporter-Cpp", 0) == 0);
//
// POST /v1/traces bodies are gunzipped (Content-Encoding: gzip), decoded by Content-Type
// (application/x-protobuf or application/json, see otlp_decode.hpp) and recorded together with all
// request headers, the raw wire bytes and the arrival time. POST /v1/logs and /v1/metrics bodies are
// recorded and answered the same way but not decoded here (tests decode them with js_decode(..., "logs")
// or js_decode(..., "metrics")). Every
// POST to any other path is recorded too (so a wrong URL shows up in requests()) and answered 404.
//
// Responses: one scripted_response is taken from the queue per decodable POST /v1/traces, falling
// back to the default (ok() unless changed). A request that cannot be decoded (bad gzip, unknown
// Content-Type, malformed payload) does not consume the queue: it is answered 400 (415 for an
// unsupported Content-Type / Content-Encoding) with a google.rpc.Status body and its
// received_request::decode_error says why. Response bodies use the request's encoding and
// Content-Type.
//
// httplib stays out of this header on purpose (it costs ~10 s per translation unit).
#pragma once

#include "otlp_decode.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmtrace_test {

// Case-insensitive ordering for HTTP header names.
struct header_name_less {
  bool operator()(const std::string& a, const std::string& b) const noexcept;
};
using header_map = std::multimap<std::string, std::string, header_name_less>;

struct received_request {
  std::string method;                             // "POST"
  std::string path;                               // "/v1/traces"
  std::string target;                             // the request target as sent (path and query)
  header_map headers;                             // every header the client sent, names matched case-insensitively
  std::string raw_body;                           // the body exactly as on the wire (still gzip-compressed if it was)
  std::string body;                               // the body after gunzip (== raw_body when not compressed)
  bool gzip = false;                              // Content-Encoding: gzip
  std::optional<otlp_encoding> encoding;          // from Content-Type; empty when unsupported
  decoded_request decoded;                        // valid when decode_error is empty
  std::string decode_error;                       // why the request could not be decoded ("" when it could)
  std::chrono::steady_clock::time_point arrival;  // when the whole request had been received
  int response_status = 0;                        // what the collector answered (0 while a hang() is holding it)

  // First value of a header ("" when absent) / presence / number of occurrences.
  std::string header(std::string_view name) const;
  bool has_header(std::string_view name) const;
  std::size_t header_count(std::string_view name) const;
  bool ok() const noexcept { return decode_error.empty() && encoding.has_value(); }
};

// What the collector answers to one request.
struct scripted_response {
  enum class kind { ok, status, rpc_status, partial_success, hang };

  kind what = kind::ok;
  int http_status = 200;
  std::string body;                                          // status(): sent as given
  std::vector<std::pair<std::string, std::string>> headers;  // extra response headers
  std::int32_t grpc_code = 0;                                // rpc_status()
  std::int64_t rejected_spans = 0;                           // partial_success()
  std::string message;                                       // rpc_status() / partial_success()

  // 200 with an empty ExportTraceServiceResponse ("" for protobuf, "{}" for JSON).
  static scripted_response ok();
  // Any status with a literal body and headers, e.g. status(500) or
  // status(503, "", {{"Retry-After", "1"}}). Content-Type: the request's, unless given in headers.
  static scripted_response status(int http_status, std::string body = {},
                                  std::vector<std::pair<std::string, std::string>> headers = {});
  // status() with a Retry-After header: seconds ("1") or an HTTP-date (see http_date()).
  static scripted_response retry_after(int http_status, std::string retry_after_value);
  // An error whose body is a google.rpc.Status{code, message} in the request's encoding
  // (e.g. rpc_status(400, 3 /* INVALID_ARGUMENT */, "bad span")).
  static scripted_response rpc_status(int http_status, std::int32_t grpc_code, std::string message);
  // 200 with ExportTraceServiceResponse.partial_success{rejected_spans, error_message}.
  static scripted_response partial_success(std::int64_t rejected_spans, std::string error_message);
  // Record the request, then do not answer until release_hung(), stop() or destruction; a released
  // handler answers 504 (or 503 when the collector is stopping), which only matters if the client
  // is still waiting.
  static scripted_response hang();
};

struct fake_collector_options {
  bool keep_alive = true;          // HTTP/1.1 keep-alive (false: Connection: close after each answer)
  int keep_alive_timeout_sec = 1;  // an idle kept-alive connection delays stop() by at most this
  std::size_t threads = 16;        // concurrent connections (hung requests each hold one)
};

class fake_collector {
 public:
  // Binds 127.0.0.1 on a free port and starts serving; throws std::runtime_error if it cannot.
  fake_collector();
  explicit fake_collector(fake_collector_options options);
  ~fake_collector();  // stop()
  fake_collector(const fake_collector&) = delete;
  fake_collector& operator=(const fake_collector&) = delete;

  int port() const noexcept;
  std::string endpoint() const;    // "http://127.0.0.1:PORT" (an OTEL_EXPORTER_OTLP_ENDPOINT base)
  std::string traces_url() const;  // endpoint() + "/v1/traces"

  // ---- scripting ----
  void enqueue(scripted_response response);
  void enqueue(std::vector<scripted_response> responses);
  void set_default_response(scripted_response response);
  std::size_t pending_responses() const;

  // ---- recorded traffic (thread-safe snapshots) ----
  std::vector<received_request> requests() const;
  received_request request(std::size_t index) const;  // throws std::out_of_range
  std::size_t request_count() const;
  // Spans of every successfully decoded POST /v1/traces, in arrival order, with their resource
  // and scope; flat_span::request_index indexes requests().
  std::vector<flat_span> spans() const;
  std::size_t span_count() const;
  // Block (condition variable, no polling) until at least n requests / spans have been recorded;
  // false on timeout.
  bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  bool wait_for_spans(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  void clear();  // forget the recorded requests (the script queue is kept)

  // ---- hang() support ----
  std::size_t hung_count() const;  // requests currently held by hang()
  bool wait_for_hung(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  void release_hung();  // let every currently hung handler answer (504)

  // ---- absence ----
  // Stop listening: hung handlers are released, the listening socket is closed, so later
  // connections are refused. Idempotent; the destructor calls it. Recorded data stays readable.
  void stop();
  bool running() const;
  // A port on 127.0.0.1 with nothing listening (bound to an ephemeral port, then closed).
  static int unused_port();
  static std::string unreachable_endpoint();  // "http://127.0.0.1:<unused_port()>"

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// gzip helpers (zlib, gzip framing). gunzip throws std::runtime_error on corrupt/truncated input.
std::string gzip_compress(std::string_view data);
std::string gunzip(std::string_view data);

// An IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") for Retry-After.
std::string http_date(std::chrono::system_clock::time_point when);

}  // namespace llmtrace_test
