// Shared by the OTLP exporter tests (HTTP and gRPC): an error-handler capture, an environment guard for
// the OTEL_EXPORTER_OTLP_* variables, and a batch of three finished spans with known ids.
#pragma once

#include <llmtrace/error.hpp>
#include <llmtrace/exporter.hpp>
#include <llmtrace/span_data.hpp>

#include "../support/fixtures.hpp"

#include <cstdlib>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace otlp_test {

using namespace llmtrace;

using error_capture = llmtrace_test::captured_errors;

/// Sets environment variables for one test and clears every OTEL_EXPORTER_OTLP_* variable first.
class env_guard {
 public:
  env_guard() {
    for (const char* n : all_names()) ::unsetenv(n);
  }
  ~env_guard() {
    for (const char* n : all_names()) ::unsetenv(n);
  }
  env_guard(const env_guard&) = delete;
  env_guard& operator=(const env_guard&) = delete;
  env_guard& set(const char* name, const std::string& value) {
    ::setenv(name, value.c_str(), 1);
    return *this;
  }

 private:
  static std::vector<const char*> all_names() {
    std::vector<const char*> out;
    static const char* const suffixes[] = {"ENDPOINT",    "PROTOCOL",    "HEADERS",    "TIMEOUT",           "INSECURE",
                                           "COMPRESSION", "CERTIFICATE", "CLIENT_KEY", "CLIENT_CERTIFICATE"};
    static std::vector<std::string> names;
    if (names.empty())
      for (const char* s : suffixes) {
        names.push_back(std::string("OTEL_EXPORTER_OTLP_") + s);
        for (const char* signal : {"TRACES_", "METRICS_", "LOGS_"})
          names.push_back(std::string("OTEL_EXPORTER_OTLP_") + signal + s);
      }
    for (const auto& n : names) out.push_back(n.c_str());
    return out;
  }
};

/// A few finished span records with known ids, and the pointers a span_batch views.
struct test_batch {
  explicit test_batch(std::size_t n = 3) {
    res.attributes.set("service.name", "otlp-http-test");
    scope.name = "otlp-test";
    scope.version = "1.0";
    spans.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      auto& s = spans[i];
      s.context.trace_id = *trace_id::from_hex("4bf92f3577b34da6a3ce929d0e0e4736");
      s.context.span_id.bytes[7] = static_cast<std::uint8_t>(i + 1);
      s.context.trace_flags = trace_flag_sampled;
      if (i) s.parent_span_id.bytes[7] = 1;
      s.set_name(i == 0 ? "POST /ask" : "chat llama3.2");
      s.kind = i == 0 ? span_kind::server : span_kind::client;
      s.start_time_unix_nano = 1'700'000'000'000'000'000 + static_cast<std::int64_t>(i) * 1000;
      s.end_time_unix_nano = s.start_time_unix_nano + 5'000'000;
      s.attributes.set("gen_ai.request.model", "llama3.2");
      s.attributes.set("gen_ai.usage.input_tokens", 120 + static_cast<int>(i));
      s.attributes.set("gen_ai.request.temperature", 0.7);
      s.attributes.set("gen_ai.stop_sequences", std::vector<std::string>{"\n\n", "END"});
      s.resource = &res;
      s.scope = &scope;
    }
    if (n) {
      span_event e;
      e.name = "exception";
      e.time_unix_nano = spans[0].start_time_unix_nano + 10;
      e.attributes.set("exception.message", "model not found");
      spans[0].events.push_back(e);
      spans[0].status = status_code::error;
      spans[0].status_message = "model not found";
    }
    for (const auto& s : spans) ptrs.push_back(&s);
  }
  span_batch batch() const { return span_batch(ptrs.data(), ptrs.size()); }

  resource res;
  instrumentation_scope scope;
  std::vector<span_data> spans;
  std::vector<const span_data*> ptrs;
};

}  // namespace otlp_test
