// Costs of the control stages per span, each beside its baseline (the plain batch path) and a floor:
// redaction of a chat span with content capture on (what the ending thread pays, and what the export
// worker pays with and without a find: built-in scanners vs a user std::regex pattern), and tail keep
// for a 4-span trace (what the ending thread pays to queue it for the tail-keep worker, beside a floor
// that releases spans as they end).
#include "alloc_counter.hpp"

#include <llmtrace/batch_processor.hpp>
#include <llmtrace/controls/redact.hpp>
#include <llmtrace/controls/tail_keep.hpp>
#include <llmtrace/exporters/in_memory.hpp>
#include <llmtrace/trace.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

using namespace llmtrace;

namespace {

struct null_exporter final : exporter {
  export_result export_batch(const span_batch& spans) noexcept override {
    benchmark::DoNotOptimize(spans.size());
    return export_result::success;
  }
};

std::unique_ptr<span_processor> batch(std::unique_ptr<exporter> exp = std::make_unique<null_exporter>(),
                                      std::size_t queue = 1 << 16) {
  batch_options b;
  b.max_queue_size = queue;
  return std::make_unique<batch_processor>(std::move(exp), b);
}

std::shared_ptr<tracer_provider> provider_with(std::unique_ptr<span_processor> p) {
  provider_options o;
  o.processors.push_back(std::move(p));
  return std::make_shared<tracer_provider>(std::move(o));
}

// About 1 KB of captured content, one e-mail address in it (what redaction must find).
const std::string& input_messages() {
  static const std::string s =
      R"([{"role":"system","parts":[{"type":"text","content":"You answer questions about the llmtrace documentation. Be brief and cite sources."}]},)"
      R"({"role":"user","parts":[{"type":"text","content":"Hello, I am writing from ada.lovelace@example.com about the batch processor: )"
      R"(how large may the queue grow before spans are dropped, and where are the drops counted? Our service exports )"
      R"(about two thousand spans per second at peak and we would like to size the queue so that nothing is lost )"
      R"(during a collector restart of up to ten seconds. Thanks a lot for your help!"}]}])";
  return s;
}
const std::string& output_messages() {
  static const std::string s =
      R"([{"role":"assistant","parts":[{"type":"text","content":"The queue holds OTEL_BSP_MAX_QUEUE_SIZE spans per producing )"
      R"(thread (2048 by default); a full queue drops the span and counts it in processor_stats::dropped_queue. For ten )"
      R"(seconds at two thousand spans per second, set it to at least 20000 and keep the export batch at 512."}],"finish_reason":"stop"}])";
  return s;
}

void chat_span_with_content(const tracer& t) {
  span s(t, "chat llama3.2", span_kind::client,
         {{semconv::gen_ai_operation_name, "chat"},
          {semconv::gen_ai_provider_name, "ollama"},
          {semconv::gen_ai_request_model, "llama3.2"},
          {semconv::server_address, "127.0.0.1"}});
  s.set_attribute(semconv::gen_ai_input_messages, input_messages());
  s.set_attribute(semconv::gen_ai_output_messages, output_messages());
  s.set_attribute(semconv::gen_ai_usage_input_tokens, 412);
  s.set_attribute(semconv::gen_ai_usage_output_tokens, 128);
}

// ---- redaction ----
// Redaction runs in the exporter wrapper, on the batch worker. The span cases measure what the
// application thread pays (the same as without redaction); the export cases measure the worker's
// cost per span, handing one recorded span to redacting_exporter::export_batch.

/// Floor: reading every byte of the captured content once (what any redactor must at least do).
void floor_redact_read_content(benchmark::State& state) {
  for (auto _ : state) {
    const void* a = std::memchr(input_messages().data(), 0x01, input_messages().size());
    const void* b = std::memchr(output_messages().data(), 0x01, output_messages().size());
    benchmark::DoNotOptimize(a);
    benchmark::DoNotOptimize(b);
  }
}
BENCHMARK(floor_redact_read_content);

// The default queue (2048): the worker redacts far slower than spans are ended here, so the queue
// fills and later spans are dropped (counted); a short queue keeps the flush after the run short.
std::shared_ptr<tracer_provider> redacting_provider(redaction_options o) {
  return provider_with(batch(std::make_unique<redacting_exporter>(std::make_shared<const redactor>(std::move(o)),
                                                                  std::make_unique<null_exporter>()),
                             2048));
}

void chat_span_content_plain(benchmark::State& state) {
  static auto p = provider_with(batch());
  const auto t = p->get_tracer("bench");
  {
    bench::alloc_meter m(state);
    for (auto _ : state) chat_span_with_content(t);
  }
  p->force_flush();  // no worker left busy (and allocating) during the next case
}
BENCHMARK(chat_span_content_plain);

/// The application thread with all built-in detectors on: ending the span does not redact.
void chat_span_content_redact_all_builtins(benchmark::State& state) {
  static auto p = redacting_provider(redaction_options{redact_detector::all, {}, {}, {}});
  const auto t = p->get_tracer("bench");
  {
    bench::alloc_meter m(state);
    for (auto _ : state) chat_span_with_content(t);
  }
  p->force_flush();
}
BENCHMARK(chat_span_content_redact_all_builtins);

/// One recorded chat span; `with_find` puts an e-mail address into the user's message.
const span_data& recorded_chat_span(bool with_find) {
  static std::shared_ptr<in_memory_span_store> store = [] {
    auto st = std::make_shared<in_memory_span_store>();
    provider_options o;
    o.processors.push_back(std::make_unique<simple_processor>(std::make_unique<in_memory_exporter>(st)));
    tracer_provider p(std::move(o));
    const auto t = p.get_tracer("bench");
    chat_span_with_content(t);
    {
      std::string clean = input_messages();
      clean.replace(clean.find("ada.lovelace@example.com"), 24, "ada lovelace at example");
      span s(t, "chat clean", span_kind::client);
      s.set_attribute(semconv::gen_ai_input_messages, clean);
      s.set_attribute(semconv::gen_ai_output_messages, output_messages());
    }
    return st;
  }();
  static const std::vector<span_data> spans = store->spans();
  return spans[with_find ? 0 : 1];
}

void export_redacted(benchmark::State& state, redaction_options o, bool with_find) {
  redacting_exporter ex(std::make_shared<const redactor>(std::move(o)), std::make_unique<null_exporter>());
  const span_data* one[] = {&recorded_chat_span(with_find)};
  ex.export_batch(span_batch(one, 1));  // warm the scratch buffers
  bench::alloc_meter m(state);
  for (auto _ : state) benchmark::DoNotOptimize(ex.export_batch(span_batch(one, 1)));
}

/// Baseline on the worker: the wrapper with nothing enabled (a pass-through).
void export_span_no_redaction(benchmark::State& state) { export_redacted(state, {}, true); }
BENCHMARK(export_span_no_redaction);

void export_span_all_builtins_nothing_found(benchmark::State& state) {
  export_redacted(state, redaction_options{redact_detector::all, {}, {}, {}}, false);
}
BENCHMARK(export_span_all_builtins_nothing_found);

void export_span_all_builtins_one_email(benchmark::State& state) {
  export_redacted(state, redaction_options{redact_detector::all, {}, {}, {}}, true);
}
BENCHMARK(export_span_all_builtins_one_email);

void export_span_email_builtin_one_email(benchmark::State& state) {
  export_redacted(state, redaction_options{redact_detector::email, {}, {}, {}}, true);
}
BENCHMARK(export_span_email_builtin_one_email);

void export_span_email_regex_one_email(benchmark::State& state) {
  redaction_options o;
  o.patterns.push_back({"email", R"([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})"});
  export_redacted(state, std::move(o), true);
}
BENCHMARK(export_span_email_regex_one_email);

void export_span_email_regex_nothing_found(benchmark::State& state) {
  redaction_options o;
  o.patterns.push_back({"email", R"([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})"});
  export_redacted(state, std::move(o), false);
}
BENCHMARK(export_span_email_regex_nothing_found);

// ---- tail keep ----
// The thread ending a span only pushes it onto its own queue for the tail-keep worker, which holds,
// decides and forwards to the batch processor. Every 256 traces the timer pauses for a force_flush,
// so the workers keep up (steady state: the records in flight stay bounded; nothing is dropped) and
// the time is what the ending thread pays. `thread_allocs` counts the ending (benchmark) thread's
// allocations per trace (the hot-path rule: 0 in steady state); `allocs` counts every thread's, the
// tail worker's holding included; `dropped` is the share of spans a full queue dropped.

void trace_of_4(const tracer& t) {
  span root(t, "invoke_workflow rag");
  { span a(t, "embeddings nomic-embed-text"); }
  { span b(t, "retrieval docs"); }
  { span c(t, "chat llama3.2", span_kind::client, {{semconv::gen_ai_request_model, "llama3.2"}}); }
}

/// Releases every span at once: the span machinery alone (ids, clock, context, record), nothing queued.
struct discard_processor final : span_processor {
  void on_end(span_ptr span) noexcept override { benchmark::DoNotOptimize(span.get()); }
  bool force_flush(std::chrono::milliseconds) noexcept override { return true; }
  bool shutdown(std::chrono::milliseconds) noexcept override { return true; }
};

void run_trace4(benchmark::State& state, tracer_provider& p) {
  const auto t = p.get_tracer("bench");
  for (int i = 1; i <= 8192; ++i) {  // warm the record pools and the worker's tables
    trace_of_4(t);
    if (i % 256 == 0) p.force_flush();
  }
  const auto before = p.stats();
  {
    bench::alloc_meter m(state, true);
    std::size_t n = 0;
    for (auto _ : state) {
      trace_of_4(t);
      if (++n % 256 == 0) {
        state.PauseTiming();
        p.force_flush();
        state.ResumeTiming();
      }
    }
  }
  p.force_flush();  // no worker left busy (and allocating) during the next case
  const auto after = p.stats();
  state.counters["dropped"] = benchmark::Counter(static_cast<double>(after.dropped() - before.dropped()) /
                                                 (4.0 * static_cast<double>(state.iterations())));
}

/// Floor: a 4-span trace whose spans are released as they end.
void floor_trace4_discard(benchmark::State& state) {
  static auto p = provider_with(std::make_unique<discard_processor>());
  run_trace4(state, *p);
}
BENCHMARK(floor_trace4_discard);

void trace4_plain_batch(benchmark::State& state) {
  static auto p = provider_with(batch());
  run_trace4(state, *p);
}
BENCHMARK(trace4_plain_batch);

void trace4_tail_keep_ratio_0_1(benchmark::State& state) {
  static auto p = provider_with(
      std::make_unique<tail_keep_processor>(tail_keep_options::parse("errors,slow>2s,ratio=0.1"), batch()));
  run_trace4(state, *p);
}
BENCHMARK(trace4_tail_keep_ratio_0_1);

void trace4_tail_keep_all_kept(benchmark::State& state) {
  static auto p = provider_with(std::make_unique<tail_keep_processor>(tail_keep_options::parse("ratio=1"), batch()));
  run_trace4(state, *p);
}
BENCHMARK(trace4_tail_keep_all_kept);

}  // namespace
BENCHMARK_MAIN();
