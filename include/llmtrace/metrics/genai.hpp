// llmtrace/metrics/genai.hpp: the GenAI metric instruments llmtrace records on its own (Ollama client,
// tool_span, RAG pipeline), created once per global meter provider with the advised buckets, and the
// OTEL_SEMCONV_STABILITY_OPT_IN reading that adds the older GenAI metric names.
// Thread-safety: current() is lock-free once a thread has seen the current global meter provider (a
// mutex guards the one-time creation per provider); the instruments record from any thread.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/detail/env.hpp>
#include <llmtrace/metrics/meter.hpp>
#include <llmtrace/semconv.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE
namespace genai {

/// D: the GenAI conventions' advised buckets for durations, in seconds.
inline const std::vector<double>& duration_buckets() {
  static const std::vector<double> b{0.01, 0.02, 0.04, 0.08,  0.16,  0.32,  0.64,
                                     1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92};
  return b;
}
/// T: the GenAI conventions' advised buckets for token counts.
inline const std::vector<double>& token_buckets() {
  static const std::vector<double> b{1,     4,     16,     64,      256,     1024,     4096,
                                     16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864};
  return b;
}
/// W: the advised buckets of gen_ai.invoke_workflow.duration (and the older gen_ai.workflow.duration).
inline const std::vector<double>& workflow_buckets() {
  static const std::vector<double> b{1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200};
  return b;
}

/// True when OTEL_SEMCONV_STABILITY_OPT_IN names `gen_ai/dup` (emit the older GenAI metric names and
/// gen_ai.workflow.name beside the v0.1.0 ones). Read when a meter provider's instruments are made.
inline bool stability_dup_from_env() {
  const std::string name(semconv::genai_stability_opt_in_env);
  const auto v = llmtrace::detail::get_env(name.c_str());
  if (!v) return false;
  for (const auto& item : llmtrace::detail::split_list(*v))
    if (llmtrace::detail::iequals(llmtrace::detail::trim(item), semconv::genai_stability_dup)) return true;
  return false;
}

/// Every instrument llmtrace's GenAI instrumentation records, for one meter provider. Handles are
/// null (record nothing) when the provider is the no-op one.
struct instruments {
  bool enabled = false;  ///< false: the no-op provider (skip all metric work)
  bool dup = false;      ///< also the older names (OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai/dup)
  // v0.1.0 client metrics
  metrics::histogram<double> inference_duration, time_to_first_chunk, time_per_output_chunk;
  metrics::counter<std::int64_t> usage_input_tokens, usage_output_tokens;
  metrics::histogram<std::int64_t> operation_input_tokens, operation_output_tokens;
  metrics::histogram<double> embeddings_duration;
  metrics::histogram<std::int64_t> embeddings_input_tokens;
  metrics::histogram<double> execute_tool_duration, invoke_workflow_duration;
  // Ollama's own figures
  metrics::histogram<double> load_duration, prompt_eval_duration, eval_duration, tokens_per_second;
  // RAG
  metrics::histogram<double> retrieval_duration, retrieval_best_score;
  metrics::histogram<std::int64_t> retrieval_results;
  // Older names (opt-in)
  metrics::histogram<double> old_operation_duration, old_time_to_first_chunk, old_time_per_output_chunk,
      old_workflow_duration;
  metrics::histogram<std::int64_t> old_token_usage;
};

namespace detail {

inline void make_instruments(metrics::meter_provider& p, instruments& in) {
  in.enabled = p.enabled();
  if (!in.enabled) return;
  in.dup = stability_dup_from_env();
  using metrics::histogram_advice;
  metrics::meter m =
      p.get_meter(semconv::ollama_instrumentation_scope, LLMTRACE_VERSION_STRING, semconv::genai_schema_url);
  const auto d = [] { return histogram_advice{duration_buckets()}; };
  const auto t = [] { return histogram_advice{token_buckets()}; };
  in.inference_duration = m.create_double_histogram(semconv::metric_inference_duration, "s",
                                                    "GenAI inference (chat, text completion) duration.", d());
  in.time_to_first_chunk = m.create_double_histogram(semconv::metric_inference_time_to_first_chunk, "s",
                                                     "Time to receive the first chunk of a streamed answer.", d());
  in.time_per_output_chunk = m.create_double_histogram(semconv::metric_inference_time_per_output_chunk, "s",
                                                       "Time per chunk after the first of a streamed answer.", d());
  in.usage_input_tokens =
      m.create_int64_counter(semconv::metric_inference_usage_input_tokens, "{token}", "Input tokens used.");
  in.usage_output_tokens =
      m.create_int64_counter(semconv::metric_inference_usage_output_tokens, "{token}", "Output tokens used.");
  in.operation_input_tokens = m.create_int64_histogram(semconv::metric_inference_operation_input_tokens, "{token}",
                                                       "Input tokens per inference operation.", t());
  in.operation_output_tokens = m.create_int64_histogram(semconv::metric_inference_operation_output_tokens, "{token}",
                                                        "Output tokens per inference operation.", t());
  in.embeddings_duration =
      m.create_double_histogram(semconv::metric_embeddings_duration, "s", "GenAI embeddings operation duration.", d());
  in.embeddings_input_tokens = m.create_int64_histogram(semconv::metric_embeddings_operation_input_tokens, "{token}",
                                                        "Input tokens per embeddings operation.", t());
  in.execute_tool_duration =
      m.create_double_histogram(semconv::metric_execute_tool_duration, "s", "Duration of one tool execution.", d());
  in.load_duration =
      m.create_double_histogram(semconv::metric_ollama_load_duration, "s", "Ollama model load duration.", d());
  in.prompt_eval_duration = m.create_double_histogram(semconv::metric_ollama_prompt_eval_duration, "s",
                                                      "Ollama prompt evaluation duration.", d());
  in.eval_duration =
      m.create_double_histogram(semconv::metric_ollama_eval_duration, "s", "Ollama generation duration.", d());
  in.tokens_per_second = m.create_double_histogram(semconv::metric_ollama_tokens_per_second, "{token}/s",
                                                   "Ollama server-side generation speed.",
                                                   histogram_advice{{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000}});
  if (in.dup) {
    in.old_operation_duration =
        m.create_double_histogram(semconv::metric_old_operation_duration, "s", "GenAI operation duration.", d());
    in.old_time_to_first_chunk = m.create_double_histogram(semconv::metric_old_time_to_first_chunk, "s",
                                                           "Time to receive the first chunk.", d());
    in.old_time_per_output_chunk = m.create_double_histogram(semconv::metric_old_time_per_output_chunk, "s",
                                                             "Time per output chunk after the first.", d());
    in.old_token_usage =
        m.create_int64_histogram(semconv::metric_old_token_usage, "{token}", "Input and output tokens used.", t());
  }
  metrics::meter rag =
      p.get_meter(semconv::rag_instrumentation_scope, LLMTRACE_VERSION_STRING, semconv::genai_schema_url);
  in.invoke_workflow_duration = rag.create_double_histogram(semconv::metric_invoke_workflow_duration, "s",
                                                            "GenAI workflow duration.", {workflow_buckets()});
  if (in.dup)
    in.old_workflow_duration = rag.create_double_histogram(semconv::metric_old_workflow_duration, "s",
                                                           "GenAI workflow duration.", {workflow_buckets()});
  in.retrieval_duration =
      rag.create_double_histogram(semconv::metric_retrieval_duration, "s", "Duration of one retrieval.", d());
  in.retrieval_results =
      rag.create_int64_histogram(semconv::metric_retrieval_results, "{result}", "Results one retrieval returned.",
                                 histogram_advice{{0, 1, 2, 4, 8, 16, 32, 64, 128, 256}});
  in.retrieval_best_score =
      rag.create_double_histogram(semconv::metric_retrieval_best_score, "1", "Best similarity score of one retrieval.",
                                  histogram_advice{{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1}});
}

struct instrument_registry {
  std::mutex mu;
  std::vector<std::pair<const metrics::meter_provider*, std::unique_ptr<instruments>>> made;
};
inline instrument_registry& registry() {
  static instrument_registry* r = new instrument_registry();  // never destroyed: handles outlive statics
  return *r;
}

/// The instruments of `p`, made on first use (meter providers installed globally are never freed).
inline const instruments& instruments_for(metrics::meter_provider& p) noexcept {
  static const instruments none;
  try {
    auto& r = registry();
    std::lock_guard<std::mutex> lk(r.mu);
    for (const auto& e : r.made)
      if (e.first == &p) return *e.second;
    auto in = std::make_unique<instruments>();
    make_instruments(p, *in);
    r.made.emplace_back(&p, std::move(in));
    return *r.made.back().second;
  } catch (...) {
    return none;
  }
}

}  // namespace detail

/// The instruments of the current global meter provider (all disabled until one is set). A
/// per-thread cache keeps this to one pointer comparison on the recording path.
inline const instruments& current() noexcept {
  thread_local const metrics::meter_provider* cached_provider = nullptr;
  thread_local const instruments* cached = nullptr;
  metrics::meter_provider& p = metrics::global_meter_provider();
  if (&p != cached_provider) {
    cached = &detail::instruments_for(p);
    cached_provider = &p;
  }
  return *cached;
}

}  // namespace genai
LLMTRACE_END_NAMESPACE
