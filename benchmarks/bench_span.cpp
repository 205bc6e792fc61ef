// Span hot-path costs against the floor cases of ../shared/reference/performance.md, all through the
// batch processor with its worker thread alive. Each real case has its floor beside it; `allocs`
// is heap allocations per span (or per trace), counted by a replaced operator new.
#include "alloc_counter.hpp"

#include <llmtrace/batch_processor.hpp>
#include <llmtrace/trace.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstring>
#include <memory>

using namespace llmtrace;

namespace {

/// Accepts and discards batches: measures the SDK, not an exporter.
struct null_exporter final : exporter {
  export_result export_batch(const span_batch& spans) noexcept override {
    benchmark::DoNotOptimize(spans.size());
    return export_result::success;
  }
};

std::shared_ptr<tracer_provider> make_provider(sampler s) {
  provider_options o;
  o.sampler = std::move(s);
  batch_options b;
  b.max_queue_size = 1 << 16;
  o.processors.push_back(std::make_unique<batch_processor>(std::make_unique<null_exporter>(), b));
  return std::make_shared<tracer_provider>(std::move(o));
}

tracer_provider& sampled_provider() {
  static auto p = make_provider(sampler::parent_based(sampler::always_on()));
  return *p;
}
tracer_provider& unsampled_provider() {
  static auto p = make_provider(sampler::always_off());
  return *p;
}

void report_drops(benchmark::State& state, tracer_provider& p) {
  state.counters["dropped_total"] = static_cast<double>(p.stats().dropped());
}

// ---- floors: what any tracer must do at the least ----

/// Two clock reads, fresh ids, and a context push/pop: the least any tracer does for one span
/// (`record` stands for what it stores while the span is current).
template <typename Record = void (*)()>
inline void floor_one_span(Record record = [] {}) {
  const auto t0 = std::chrono::steady_clock::now();
  span_context sc;
  sc.trace_id = trace_id::random();
  sc.span_id = span_id::random();
  const auto depth = detail::push_context(sc, nullptr);
  record();
  detail::pop_context(depth);
  const auto t1 = std::chrono::steady_clock::now();
  benchmark::DoNotOptimize(t0);
  benchmark::DoNotOptimize(t1);
}

void floor_span(benchmark::State& state) {
  for (auto _ : state) floor_one_span();
}
BENCHMARK(floor_span);

/// The same plus a 229-byte record copied into a thread-local buffer.
void floor_span_6_attributes(benchmark::State& state) {
  static const char record[229] = "chat llama3.2 gen_ai.operation.name chat gen_ai.provider.name ollama";
  thread_local char buffer[64 * 229];
  std::size_t slot = 0;
  for (auto _ : state) {
    floor_one_span([&] { std::memcpy(buffer + (slot++ % 64) * 229, record, sizeof record); });
    benchmark::ClobberMemory();
  }
}
BENCHMARK(floor_span_6_attributes);
BENCHMARK(floor_span_6_attributes)->Threads(2)->UseRealTime();

/// Four floor spans.
void floor_rag_trace(benchmark::State& state) {
  for (auto _ : state)
    for (int i = 0; i < 4; ++i) floor_one_span();
}
BENCHMARK(floor_rag_trace);

/// An unsampled span's least work: a span id and a context push/pop, no clock.
void floor_unsampled(benchmark::State& state) {
  for (auto _ : state) {
    span_context sc;
    sc.span_id = span_id::random();
    const auto depth = detail::push_context(sc, nullptr);
    detail::pop_context(depth);
    benchmark::DoNotOptimize(sc);
  }
}
BENCHMARK(floor_unsampled);

// ---- llmtrace ----

void span_no_attributes(benchmark::State& state) {
  auto t = sampled_provider().get_tracer("bench");
  bench::alloc_meter m(state);
  for (auto _ : state) {
    span s(t, "work");
    benchmark::DoNotOptimize(s);
  }
  report_drops(state, sampled_provider());
}
BENCHMARK(span_no_attributes);

/// The shape of an LLM call span: 4 strings of about 21 characters and 2 int64s.
inline void six_attribute_span(const tracer& t) {
  span s(t, "chat llama3.2", span_kind::client,
         {{semconv::gen_ai_operation_name, "chat.completion.v1.ab"},
          {semconv::gen_ai_provider_name, "ollama-local-daemon-1"},
          {semconv::gen_ai_request_model, "llama3.2:3b-instruct1"},
          {semconv::server_address, "inference-gpu-node-07"}});
  s.set_attribute(semconv::gen_ai_usage_input_tokens, 412);
  s.set_attribute(semconv::gen_ai_usage_output_tokens, 128);
}

void span_6_attributes(benchmark::State& state) {
  auto t = sampled_provider().get_tracer("bench");
  bench::alloc_meter m(state);
  for (auto _ : state) six_attribute_span(t);
  report_drops(state, sampled_provider());
}
BENCHMARK(span_6_attributes);
// With ->Threads(2)->UseRealTime(), Google Benchmark divides the wall time by the iterations of
// both threads: the Time column is the aggregate wall time per span (it halves when work scales).
void span_6_attributes_threads(benchmark::State& state) {
  auto t = sampled_provider().get_tracer("bench");
  for (auto _ : state) six_attribute_span(t);
}
BENCHMARK(span_6_attributes_threads)->Threads(2)->UseRealTime();

/// A RAG request: workflow root with embeddings, retrieval and chat children, each current.
void rag_trace_4_spans(benchmark::State& state) {
  auto t = sampled_provider().get_tracer("bench");
  bench::alloc_meter m(state);
  for (auto _ : state) {
    span root(t, "invoke_workflow rag", span_kind::internal,
              {{semconv::gen_ai_operation_name, "invoke_workflow"}, {semconv::gen_ai_workflow_name, "rag"}});
    {
      span e(t, "embeddings nomic-embed-text", span_kind::client,
             {{semconv::gen_ai_operation_name, "embeddings"}, {semconv::gen_ai_request_model, "nomic-embed-text"}});
      e.set_attribute(semconv::gen_ai_embeddings_dimension_count, 768);
    }
    {
      span r(t, "retrieval docs", span_kind::internal,
             {{semconv::gen_ai_operation_name, "retrieval"}, {semconv::gen_ai_data_source_id, "docs"}});
      r.set_attribute(semconv::gen_ai_retrieval_top_k, 4);
    }
    {
      span c(t, "chat llama3.2", span_kind::client,
             {{semconv::gen_ai_operation_name, "chat"}, {semconv::gen_ai_request_model, "llama3.2"}});
      c.set_attribute(semconv::gen_ai_usage_input_tokens, 412);
      c.set_attribute(semconv::gen_ai_usage_output_tokens, 128);
    }
  }
  report_drops(state, sampled_provider());
}
BENCHMARK(rag_trace_4_spans);

void unsampled_span(benchmark::State& state) {
  auto t = unsampled_provider().get_tracer("bench");
  bench::alloc_meter m(state);
  for (auto _ : state) {
    span s(t, "work", span_kind::internal, {{semconv::gen_ai_operation_name, "chat"}});
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(unsampled_span);

}  // namespace

BENCHMARK_MAIN();
