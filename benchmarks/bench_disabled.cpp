// The LLMTRACE_DISABLE build of the same span code: it must compile to nothing.
#define LLMTRACE_DISABLE
#include <llmtrace/trace.hpp>

#include <benchmark/benchmark.h>

static void disabled_span_6_attributes(benchmark::State& state) {
  for (auto _ : state) {
    llmtrace::span s("chat llama3.2", llmtrace::span_kind::client,
                     {{llmtrace::semconv::gen_ai_operation_name, "chat"},
                      {llmtrace::semconv::gen_ai_provider_name, "ollama"},
                      {llmtrace::semconv::gen_ai_request_model, "llama3.2:latest"},
                      {llmtrace::semconv::server_address, "127.0.0.1"}});
    s.set_attribute(llmtrace::semconv::gen_ai_usage_input_tokens, 412);
    s.set_attribute(llmtrace::semconv::gen_ai_usage_output_tokens, 128);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(disabled_span_6_attributes);
