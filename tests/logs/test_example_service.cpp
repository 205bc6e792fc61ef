// examples/08_spdlog_service end to end: the example runs as its own process against the fake Ollama
// server and the fake collector (OTLP/HTTP, protobuf and JSON); the collector receives spans and log
// records that share trace and span ids, every payload decoded by the official OpenTelemetry JS
// decoders (the spans also by the C++ test decoder, and both must agree).
#include "support/fake_collector.hpp"
#include "support/fake_ollama.hpp"
#include "support/js_decoder.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#ifndef LLMTRACE_EXAMPLE_SERVICE
#error "LLMTRACE_EXAMPLE_SERVICE must name the example_08_spdlog_service executable"
#endif

using llmtrace_test::otlp_encoding;
using nlohmann::json;

namespace {

struct log_line {
  std::string body, trace_id, span_id, event_name, scope;
  int severity = 0;
  json attributes;
};

// Runs the example with the environment that points it at the fakes; returns its exit status.
int run_example(const llmtrace_test::fake_collector& collector, const llmtrace_test::fake_ollama& ollama,
                const char* protocol) {
  const std::string cmd = "env OLLAMA_HOST='" + ollama.base_url() + "' OTEL_EXPORTER_OTLP_ENDPOINT='" +
                          collector.endpoint() + "' OTEL_EXPORTER_OTLP_PROTOCOL=" + protocol +
                          " OTEL_TRACES_EXPORTER=otlp OTEL_LOGS_EXPORTER=otlp"
                          " OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=EVENT_ONLY '" LLMTRACE_EXAMPLE_SERVICE
                          "' > /dev/null 2>&1";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("the spdlog service example: spans and log records share ids at the collector") {
  if (!llmtrace_test::node_available()) {
    MESSAGE("skipped: node is missing");
    return;
  }
  for (const char* protocol : {"http/protobuf", "http/json"}) {
    CAPTURE(protocol);
    llmtrace_test::fake_collector collector;
    llmtrace_test::fake_ollama ollama;
    REQUIRE(run_example(collector, ollama, protocol) == 0);

    // Spans: C++ test decoder and JS decoder agree on every request.
    std::map<std::string, std::string> span_ids;  // name -> span id
    std::string trace_of_ask;
    std::vector<log_line> lines;
    for (const auto& req : collector.requests()) {
      REQUIRE_MESSAGE(req.response_status == 200, req.path, ": ", req.decode_error);
      const otlp_encoding enc = *req.encoding;
      if (req.path == "/v1/traces") {
        CHECK(llmtrace_test::decode_request(req.body, enc).to_json() == llmtrace_test::js_decode(req.body, enc));
        continue;
      }
      if (req.path == "/v1/metrics") {  // the client's GenAI metrics: the official decoder must read them
        CHECK(llmtrace_test::js_decode(req.body, enc, "metrics").contains("resourceMetrics"));
        continue;
      }
      REQUIRE(req.path == "/v1/logs");
      const json doc = llmtrace_test::js_decode(req.body, enc, "logs");
      for (const auto& rl : doc["resourceLogs"]) {
        CHECK(rl["resource"]["attributes"]["service.name"]["string"] == "example-spdlog-service");
        for (const auto& sl : rl["scopeLogs"])
          for (const auto& r : sl["logRecords"])
            lines.push_back(log_line{r["body"].contains("string") ? r["body"]["string"].get<std::string>() : "",
                                     r["traceId"], r["spanId"], r["eventName"], sl["scope"]["name"],
                                     r["severityNumber"], r["attributes"]});
      }
    }
    for (const auto& s : collector.spans()) span_ids[s.name] = s.span_id;
    REQUIRE(span_ids.count("POST /ask") == 1);
    REQUIRE(span_ids.count("chat llama3.2") == 1);
    for (const auto& s : collector.spans())
      if (s.name == "POST /ask") trace_of_ask = s.trace_id;

    auto find = [&](const std::string& prefix) -> const log_line* {
      for (const auto& l : lines)
        if (l.body.rfind(prefix, 0) == 0 || (!l.event_name.empty() && l.event_name == prefix)) return &l;
      return nullptr;
    };
    const log_line* received = find("question received");
    const log_line* answered = find("answered from");
    const log_line* ready = find("service ready");
    const log_line* details = find("gen_ai.client.inference.operation.details");
    REQUIRE(received != nullptr);
    REQUIRE(answered != nullptr);
    REQUIRE(ready != nullptr);
    REQUIRE(details != nullptr);
    // spdlog lines written inside `POST /ask` carry its ids; the one outside any span carries none.
    CHECK(received->span_id == span_ids["POST /ask"]);
    CHECK(received->trace_id == trace_of_ask);
    CHECK(answered->span_id == span_ids["POST /ask"]);
    CHECK(received->scope == "rag-service");
    CHECK(received->severity == 9);
    CHECK(received->attributes.contains("code.line.number"));
    CHECK(ready->span_id.empty());
    CHECK(ready->trace_id.empty());
    // The GenAI event: the chat span's ids, structured content.
    CHECK(details->span_id == span_ids["chat llama3.2"]);
    CHECK(details->trace_id == trace_of_ask);
    CHECK(details->attributes["gen_ai.operation.name"]["string"] == "chat");
    CHECK(details->attributes["gen_ai.input.messages"].contains("array"));
    CHECK(details->attributes["gen_ai.output.messages"]["array"][0]["kvlist"]["role"]["string"] == "assistant");
    // The pipeline and the client log nothing of their own: only the example's lines and the event.
    CHECK(lines.size() == 5);  // ready, received, answered, shutting down, the event
  }
}
