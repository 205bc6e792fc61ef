// The examples with OTEL_EXPORTER_OTLP_PROTOCOL=grpc against a real gRPC server (python3-grpcio,
// tests/support/grpc_collector): every span an example writes to its trace file (the file exporter,
// alongside) also arrives over gRPC, and every request decodes without error with the test decoder
// and the official JS decoders.
#include "support/grpc_collector.hpp"
#include "support/js_decoder.hpp"
#include "support/otlp_decode.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#ifndef LLMTRACE_EXAMPLE_DIR
#error "LLMTRACE_EXAMPLE_DIR must name the directory of the example programs"
#endif
#ifndef LLMTRACE_WITH_FAKE_OLLAMA
#error "LLMTRACE_WITH_FAKE_OLLAMA must name the with_fake_ollama program"
#endif

namespace t = llmtrace_test;

namespace {

using span_key = std::pair<std::string, std::string>;  // (span id, name)

std::string quote(const std::string& s) { return t::js_detail::shell_quote(s); }

/// Runs `command` with the OTLP span exporter on gRPC to `endpoint` and the file exporter to `file`
/// (metrics and logs off: the client's GenAI metrics would arrive beside the spans; other tests cover them).
int run_example(const std::string& command, const std::string& endpoint, const std::string& file) {
  const std::string env =
      "OTEL_TRACES_EXPORTER=otlp,file OTEL_METRICS_EXPORTER=none OTEL_LOGS_EXPORTER=none "
      "OTEL_EXPORTER_OTLP_PROTOCOL=grpc OTEL_EXPORTER_OTLP_ENDPOINT=" +
      quote(endpoint) + " LLMTRACE_TRACES_FILE=" + quote(file) + " ";
  return std::system((env + command + " >/dev/null 2>&1").c_str());
}

std::set<span_key> spans_of_file(const std::string& file) {
  std::set<span_key> out;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    for (const auto& s : t::decode_request(line, t::otlp_encoding::json).flatten()) out.insert({s.span_id, s.name});
  }
  return out;
}

}  // namespace

TEST_CASE("every span of the examples reaches a real gRPC server, decoded by both decoders") {
  const std::string dir = LLMTRACE_EXAMPLE_DIR;
  const std::string fake = LLMTRACE_WITH_FAKE_OLLAMA;
  const std::vector<std::pair<std::string, bool>> examples = {
      {"example_01_hello_span", false},         {"example_02_traced_chat", true},  {"example_03_streaming_chat", true},
      {"example_04_tool_loop", true},           {"example_05_rag_pipeline", true}, {"example_06_thread_pool", true},
      {"example_07_incoming_traceparent", true}};
  auto& server = t::shared_grpc_collector();
  for (const auto& example : examples) {
    const std::string& name = example.first;  // named references: CAPTURE's lambda cannot capture a binding in C++17
    const bool needs_ollama = example.second;
    CAPTURE(name);
    server.reset();
    const std::string file = (std::filesystem::temp_directory_path() /
                              ("llmtrace-grpc-" + name + "-" + std::to_string(::getpid()) + ".jsonl"))
                                 .string();
    std::remove(file.c_str());
    const std::string program = quote(dir + "/" + name);
    REQUIRE(run_example(needs_ollama ? quote(fake) + " " + program : program, server.endpoint(), file) == 0);

    server.sync();
    const auto expected = spans_of_file(file);
    std::remove(file.c_str());
    REQUIRE_FALSE(expected.empty());
    std::set<span_key> received;
    std::size_t span_count = 0;
    for (const auto& r : server.requests()) {
      CHECK(r.method == "/opentelemetry.proto.collector.trace.v1.TraceService/Export");
      const auto decoded = t::decode_request(r.body, t::otlp_encoding::protobuf);
      for (const auto& s : decoded.flatten()) {
        received.insert({s.span_id, s.name});
        ++span_count;
      }
      if (t::node_available()) {
        try {
          CHECK(t::js_decode(r.body, t::otlp_encoding::protobuf) == decoded.to_json());
        } catch (const t::js_decoder_unavailable& e) {
          MESSAGE("OTLP/JS cross-check skipped: " << e.what());
        }
      }
    }
    CHECK(received == expected);
    CHECK(span_count == expected.size());  // each span exactly once
  }
}
