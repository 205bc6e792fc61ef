// bench_otlp_grpc: the cost per exported span of one export_batch of 512 spans over OTLP/gRPC (a real
// gRPC server: python3-grpcio, tests/support/grpc_collector) beside OTLP/HTTP protobuf (the fake
// collector of tests/support, an in-process cpp-httplib server), and the floor: encoding the same
// batch without sending it. The CPU column is the exporting thread's own time (encode, frame, libcurl);
// the Time column is wall time and includes the server's work, which runs on the same 2 cores.
#include <llmtrace/exporters/otlp_http.hpp>
#include <llmtrace/otlp/protobuf.hpp>

#include "support/fake_collector.hpp"
#include "support/grpc_collector.hpp"

#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

using namespace llmtrace;

namespace {

constexpr std::int64_t batch_spans = 512;

/// 512 finished chat spans with 6 attributes each (the shape of bench_otlp's batches).
struct span_batch_fixture {
  span_batch_fixture() {
    res.attributes.set("service.name", "bench-otlp-grpc");
    scope.name = "bench";
    spans.resize(static_cast<std::size_t>(batch_spans));
    for (std::size_t i = 0; i < spans.size(); ++i) {
      auto& s = spans[i];
      s.context.trace_id = *trace_id::from_hex("4bf92f3577b34da6a3ce929d0e0e4736");
      s.context.span_id.bytes[6] = static_cast<std::uint8_t>(i >> 8);
      s.context.span_id.bytes[7] = static_cast<std::uint8_t>(i + 1);
      s.context.trace_flags = trace_flag_sampled;
      s.set_name("chat llama3.2");
      s.kind = span_kind::client;
      s.start_time_unix_nano = 1'700'000'000'000'000'000 + static_cast<std::int64_t>(i) * 1000;
      s.end_time_unix_nano = s.start_time_unix_nano + 5'000'000;
      s.attributes.set("gen_ai.operation.name", "chat");
      s.attributes.set("gen_ai.provider.name", "ollama");
      s.attributes.set("gen_ai.request.model", "llama3.2:3b-instruct");
      s.attributes.set("server.address", "inference-gpu-node-07");
      s.attributes.set("gen_ai.usage.input_tokens", 412);
      s.attributes.set("gen_ai.usage.output_tokens", 128);
      s.resource = &res;
      s.scope = &scope;
    }
    for (const auto& s : spans) ptrs.push_back(&s);
  }
  span_batch batch() const { return span_batch(ptrs.data(), ptrs.size()); }

  resource res;
  instrumentation_scope scope;
  std::vector<span_data> spans;
  std::vector<const span_data*> ptrs;
};

const span_batch_fixture& fixture() {
  static const span_batch_fixture f;
  return f;
}

void per_span(benchmark::State& state) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch_spans));
  state.counters["per_span"] = benchmark::Counter(static_cast<double>(state.iterations() * batch_spans),
                                                  benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

/// Floor: encoding the batch (what both exporters do before sending).
void floor_encode_only(benchmark::State& state) {
  std::string out;
  for (auto _ : state) {
    otlp::encode_protobuf(fixture().batch(), out);
    benchmark::DoNotOptimize(out.data());
  }
  per_span(state);
}
BENCHMARK(floor_encode_only);

void export_batches(benchmark::State& state, otlp_http_options o) {
  o.retry.max_attempts = 1;
  otlp_http_exporter exp(o);
  for (auto _ : state)
    if (exp.export_batch(fixture().batch()) != export_result::success) state.SkipWithError("export failed");
  per_span(state);
}

/// OTLP/HTTP protobuf to the in-process fake collector (keep-alive).
void export_http_protobuf(benchmark::State& state) {
  static llmtrace_test::fake_collector collector;
  otlp_http_options o;
  o.endpoint = collector.traces_url();
  export_batches(state, o);
  collector.clear();
}
BENCHMARK(export_http_protobuf)->UseRealTime();

/// OTLP/gRPC to the python3-grpcio server (one HTTP/2 connection for every call).
void export_grpc(benchmark::State& state) {
  auto& server = llmtrace_test::shared_grpc_collector();
  server.reset();
  server.record_bodies(false);
  otlp_http_options o;
  o.protocol = otlp_protocol::grpc;
  o.endpoint = server.endpoint();
  export_batches(state, o);
  server.reset();
}
BENCHMARK(export_grpc)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
