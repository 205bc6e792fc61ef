// Metrics recording hot path against its floor: a histogram measurement with the 4 attributes the
// GenAI client metrics carry, from one thread and from 2 threads at once, with the periodic reader's
// thread alive. `allocs` is heap allocations per measurement (a replaced operator new).
#include "alloc_counter.hpp"

#include <llmtrace/metrics.hpp>
#include <llmtrace/trace.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <vector>

using namespace llmtrace;
namespace m = llmtrace::metrics;

namespace {

/// Accepts and discards collections: measures the SDK, not an exporter.
struct null_metric_exporter final : m::metric_exporter {
  export_result export_metrics(const m::resource_metrics& rm) noexcept override {
    benchmark::DoNotOptimize(rm.scopes.size());
    return export_result::success;
  }
};

m::meter_provider& provider() {
  static auto p = [] {
    m::meter_provider_options o;
    m::periodic_reader_options po;
    po.interval = std::chrono::seconds(1);  // the reader thread is alive and collects while we record
    o.readers.push_back(std::make_unique<m::periodic_exporting_reader>(std::make_unique<null_metric_exporter>(), po));
    return std::make_shared<m::meter_provider>(std::move(o));
  }();
  return *p;
}

const std::vector<double> duration_buckets{0.01, 0.02, 0.04, 0.08,  0.16,  0.32,  0.64,
                                           1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92};

m::histogram<double>& duration() {
  static auto h = provider().get_meter("bench").create_double_histogram("gen_ai.client.inference.duration", "s", "",
                                                                        {duration_buckets});
  return h;
}
m::counter<std::int64_t>& tokens() {
  static auto c =
      provider().get_meter("bench").create_int64_counter("gen_ai.client.inference.usage.input_tokens", "{token}");
  return c;
}

struct tracing_setup {
  std::shared_ptr<tracer_provider> p;
  tracer t;
  tracing_setup() {
    provider_options o;  // no processor: spans are sampled and made current, nothing is exported
    p = std::make_shared<tracer_provider>(std::move(o));
    t = p->get_tracer("bench");
  }
};
tracing_setup& tracing() {
  static tracing_setup s;
  return s;
}

/// Varying values spread over the buckets, as real durations do.
inline double value_at(std::uint64_t i) noexcept { return 0.005 * static_cast<double>((i * 37) % 4000); }

// ---- floor: what any histogram must do for one measurement of an already-resolved series ----

struct alignas(64) floor_series {
  std::atomic<std::uint64_t> buckets[15];
  std::atomic<std::uint64_t> sum_bits;
};

/// The bucket search and the relaxed atomic updates of count and sum, with no attribute lookup,
/// no min/max and no exemplar: the least a lock-free histogram does.
void floor_histogram_record(benchmark::State& state) {
  static floor_series shared_series[2];
  auto& s = shared_series[state.thread_index() & 1];
  std::uint64_t i = 0;
  for (auto _ : state) {
    const double v = value_at(i++);
    const auto b = static_cast<std::size_t>(std::lower_bound(duration_buckets.begin(), duration_buckets.end(), v) -
                                            duration_buckets.begin());
    s.buckets[b].fetch_add(1, std::memory_order_relaxed);
    std::uint64_t old = s.sum_bits.load(std::memory_order_relaxed), next;
    do {
      double d;
      std::memcpy(&d, &old, 8);
      d += v;
      std::memcpy(&next, &d, 8);
    } while (!s.sum_bits.compare_exchange_weak(old, next, std::memory_order_relaxed));
  }
}
BENCHMARK(floor_histogram_record);
BENCHMARK(floor_histogram_record)->Threads(2)->UseRealTime();

// ---- the SDK ----

/// gen_ai.client.inference.duration with operation, provider, model and port, outside any span.
void histogram_record_4_attributes(benchmark::State& state) {
  auto& h = duration();
  bench::alloc_meter am(state);
  std::uint64_t i = 0;
  for (auto _ : state)
    h.record(value_at(i++), {{"gen_ai.operation.name", "chat"},
                             {"gen_ai.provider.name", "ollama"},
                             {"gen_ai.request.model", "llama3.2:latest"},
                             {"server.port", std::int64_t{11434}}});
}
BENCHMARK(histogram_record_4_attributes);
// Both threads record the same series (the worst case for sharing); real time per measurement.
BENCHMARK(histogram_record_4_attributes)->Threads(2)->UseRealTime();

/// The same inside a sampled span: the trace_based exemplar filter keeps one exemplar per bucket
/// (a clock read and a sequence-locked write).
void histogram_record_4_attributes_in_span(benchmark::State& state) {
  auto& h = duration();
  span s(tracing().t, "request");
  bench::alloc_meter am(state);
  std::uint64_t i = 0;
  for (auto _ : state)
    h.record(value_at(i++), {{"gen_ai.operation.name", "chat"},
                             {"gen_ai.provider.name", "ollama"},
                             {"gen_ai.request.model", "llama3.2:latest"},
                             {"server.port", std::int64_t{11434}}});
}
BENCHMARK(histogram_record_4_attributes_in_span);
BENCHMARK(histogram_record_4_attributes_in_span)->Threads(2)->UseRealTime();

/// A counter with 5 attributes (the token usage counter's set).
void counter_add_5_attributes(benchmark::State& state) {
  auto& c = tokens();
  bench::alloc_meter am(state);
  for (auto _ : state)
    c.add(42, {{"gen_ai.operation.name", "chat"},
               {"gen_ai.provider.name", "ollama"},
               {"gen_ai.token.modality", "text"},
               {"gen_ai.request.model", "llama3.2:latest"},
               {"server.port", std::int64_t{11434}}});
}
BENCHMARK(counter_add_5_attributes);
BENCHMARK(counter_add_5_attributes)->Threads(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
