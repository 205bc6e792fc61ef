// Log recording hot path against its floor: one log line with a 40-byte body and 4 attributes, through
// the batch log processor with its worker thread alive, outside and inside a sampled span (the record
// then carries the span's ids), from one thread and from 2 threads at once. `allocs` is heap
// allocations per record (a replaced operator new): records come from a pool, so 0 in steady state.
#include "alloc_counter.hpp"

#include <llmtrace/logs.hpp>
#include <llmtrace/trace.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstring>
#include <memory>

using namespace llmtrace;

namespace {

/// Accepts and discards batches: measures the SDK, not an exporter.
struct null_log_exporter final : log_exporter {
  export_result export_batch(const log_batch& records) noexcept override {
    benchmark::DoNotOptimize(records.size());
    return export_result::success;
  }
};

logger_provider& provider() {
  static auto p = [] {
    logger_provider_options o;
    batch_options b = batch_log_processor::default_options();
    b.max_queue_size = 1 << 16;
    o.processors.push_back(std::make_unique<batch_log_processor>(std::make_unique<null_log_exporter>(), b));
    return std::make_shared<logger_provider>(std::move(o));
  }();
  return *p;
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

/// Allocations per record, and the records the processor dropped (0: the queue kept up).
struct alloc_meter : bench::alloc_meter {
  using bench::alloc_meter::alloc_meter;
  ~alloc_meter() { state.counters["dropped_total"] = static_cast<double>(provider().stats().dropped()); }
};
constexpr const char* body = "model loaded in 812 ms (cold start, gpu)";

// ---- floor: what any logger must do at the least ----

/// One clock read and a 96-byte record (severity, time, body, four attribute values) copied into a
/// thread-local buffer: the least any structured logger does for one line.
void floor_log_record(benchmark::State& state) {
  struct record {
    std::int64_t time;
    int severity;
    char text[84];
  };
  static const char attributes[] = "chat\0ollama\0llama3.2\0\x2c\x2c";  // the four values
  thread_local record buffer[64];
  std::size_t slot = 0;
  for (auto _ : state) {
    record& r = buffer[slot++ % 64];
    r.time = std::chrono::system_clock::now().time_since_epoch().count();
    r.severity = 9;
    std::memcpy(r.text, body, 41);
    std::memcpy(r.text + 41, attributes, sizeof attributes);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(floor_log_record);
BENCHMARK(floor_log_record)->Threads(2)->UseRealTime();

// ---- the SDK ----

void emit_4_attributes(logger& lg) {
  lg.emit(severity::info, body,
          {{"gen_ai.operation.name", "chat"},
           {"gen_ai.provider.name", "ollama"},
           {"gen_ai.request.model", "llama3.2"},
           {"server.port", std::int64_t{11434}}});
}

/// A log line with 4 attributes outside any span.
void log_emit_4_attributes(benchmark::State& state) {
  logger lg = provider().get_logger("bench");
  alloc_meter am(state);
  for (auto _ : state) emit_4_attributes(lg);
}
BENCHMARK(log_emit_4_attributes);
BENCHMARK(log_emit_4_attributes)->Threads(2)->UseRealTime();

/// The same inside a sampled span: the record carries the current span's trace id, span id and flags.
void log_emit_4_attributes_in_span(benchmark::State& state) {
  logger lg = provider().get_logger("bench");
  span s(tracing().t, "request");
  alloc_meter am(state);
  for (auto _ : state) emit_4_attributes(lg);
}
BENCHMARK(log_emit_4_attributes_in_span);
BENCHMARK(log_emit_4_attributes_in_span)->Threads(2)->UseRealTime();

/// The no-op global provider (llmtrace not initialised): what an unconfigured library pays.
void log_emit_noop_provider(benchmark::State& state) {
  static const auto noop = logger_provider::make_noop();
  logger lg = noop->get_logger("bench");
  for (auto _ : state) emit_4_attributes(lg);
}
BENCHMARK(log_emit_noop_provider);

}  // namespace

BENCHMARK_MAIN();
