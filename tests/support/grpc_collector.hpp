// A real gRPC collector for llmtrace's OTLP/gRPC tests: runs tests/support/grpc_collector.py
// (Debian's python3-grpcio, a generic handler for the OTLP Export methods of the trace, metrics and
// logs services) and records every request's raw message bytes and metadata.
//
//   llmtrace_test::grpc_collector c;                       // plain h2c, TLS, and two HTTP/1.1 ports
//   c.enqueue({grpc_reply::status(14, "busy"), grpc_reply::ok()});
//   ... export to c.endpoint() ...
//   REQUIRE(c.wait_for_requests(2));
//   auto spans = llmtrace_test::decode_request(c.request(1).body, otlp_encoding::protobuf);
//
// Scripting is synchronous: enqueue()/set_default()/release_hung() return once the server has
// applied them. Waits use a condition variable fed by the server's event stream (no polling).
// Throws std::runtime_error from the constructor when no python3 with the grpc module is found
// (scripts/setup.sh installs python3-grpcio) or the server does not start.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmtrace_test {

// What the server answers to one request.
struct grpc_reply {
  int code = 0;                       // grpc-status
  std::string message;                // grpc-message
  std::string body;                   // the response message (e.g. an Export*ServiceResponse)
  std::optional<int> retry_delay_ms;  // adds google.rpc.RetryInfo to grpc-status-details-bin
  bool hang = false;                  // never answer (until release_hung() or the deadline)

  static grpc_reply ok(std::string body = {});
  static grpc_reply status(int code, std::string message);
  static grpc_reply with_retry_info(int code, std::string message, int retry_delay_ms);
  static grpc_reply never();
};

struct grpc_received {
  std::size_t seq = 0;  // 1-based arrival number
  std::string method;   // "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
  std::string body;     // the request message as the server's gRPC stack delivered it (decompressed)
  std::vector<std::pair<std::string, std::string>> metadata;
  std::string peer;                      // "ipv4:127.0.0.1:<client port>"
  std::optional<double> time_remaining;  // seconds left of the client's deadline (grpc-timeout)
  bool tls = false;

  std::string meta(std::string_view key) const;  // first value ("" when absent)
  std::size_t meta_count(std::string_view key) const;
};

class grpc_collector {
 public:
  grpc_collector();
  ~grpc_collector();
  grpc_collector(const grpc_collector&) = delete;
  grpc_collector& operator=(const grpc_collector&) = delete;

  std::string endpoint() const;         // "http://127.0.0.1:PORT" (h2c)
  std::string tls_endpoint() const;     // "https://127.0.0.1:PORT" (certificate from ca_file())
  std::string ca_file() const;          // PEM of the throw-away CA
  std::string h1_endpoint() const;      // "http://127.0.0.1:PORT", an HTTP/1.1-only server
  std::string h1_tls_endpoint() const;  // "https://127.0.0.1:PORT", HTTP/1.1 only (ALPN http/1.1)

  void enqueue(std::vector<grpc_reply> replies);  // one per request, in order
  void set_default(grpc_reply reply);             // when the queue is empty (initially ok())
  void release_hung();                            // lets every currently hung request finish
  // Back to a fresh state for the next test: empty queue, default ok(), hung requests released,
  // recorded requests forgotten.
  void reset();
  // Returns once every request the server answered so far is in requests() (a command round trip:
  // the server writes each request's record before answering it).
  void sync();
  // Whether request bodies are recorded (on after reset(); benchmarks turn it off).
  void record_bodies(bool on);

  std::vector<grpc_received> requests() const;
  grpc_received request(std::size_t index) const;  // throws std::out_of_range
  std::size_t request_count() const;
  bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  bool wait_for_hung(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  std::vector<std::string> h1_request_lines() const;  // what the HTTP/1.1 servers received

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// One server per test process, started on first use (each start generates a CA and takes a second
// or two); call reset() at the start of each test.
grpc_collector& shared_grpc_collector();

// The python interpreter that can import grpc ("" when there is none): $LLMTRACE_GRPC_PYTHON,
// /usr/bin/python3 or python3 on PATH.
std::string grpc_python();

}  // namespace llmtrace_test
