// llmtrace/rag/pipeline.hpp: a traced retrieval-augmented generation pipeline over Ollama: ingest
// (chunk, embed in batches through /api/embed, store) and query (embed the question, retrieve the
// top k chunks, prompt with them, stream the answer from /api/chat), each as one nested trace.
// Thread-safety: query() may run on several threads at once; ingest() may run alongside queries.
// Heavy: needs nlohmann_json, libcurl (LLMTRACE_HAS_CURL); link llmtrace::llmtrace.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/detail/clock.hpp>
#include <llmtrace/detail/terminal.hpp>
#include <llmtrace/detail/utf8.hpp>
#include <llmtrace/metrics/genai.hpp>
#include <llmtrace/ollama/client.hpp>
#include <llmtrace/ollama/instrumentation.hpp>
#include <llmtrace/provider.hpp>
#include <llmtrace/rag/chunker.hpp>
#include <llmtrace/rag/vector_store.hpp>
#include <llmtrace/semconv.hpp>
#include <llmtrace/span.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE
namespace rag {

/// When ingest() shows its progress on stderr.
enum class progress_mode : unsigned char {
  automatic,  ///< only when stderr is a terminal (never in CI logs or when redirected)
  always,
  never,
};

/// The instructions that precede the retrieved context in the system message.
inline constexpr std::string_view default_system_prompt =
    "You answer questions using only the context below, taken from the project's documentation. "
    "If the context does not contain the answer, say that you do not know. Cite the sources you "
    "used by their number, like [1].";

/// How a rag_pipeline behaves.
struct pipeline_options {
  /// gen_ai.agent.name of the query trace's workflow root (`invoke_workflow {name}`; GenAI v0.1.0);
  /// ingest uses `{name}.ingest`.
  std::string workflow_name = "rag";
  std::string chat_model = "llama3.2";
  std::string embedding_model = "nomic-embed-text";
  /// Chunks retrieved per question.
  std::size_t top_k = 4;
  /// Chunks per /api/embed request during ingest (> 0).
  std::size_t embed_batch_size = 16;
  chunk_options chunking;
  std::string system_prompt = std::string(default_system_prompt);
  /// Options for the chat request (temperature, seed, num_predict, ...).
  ollama::options chat_options;
  std::optional<ollama::keep_alive_value> keep_alive;
  /// Content capture for the pipeline's own attributes (the question, the retrieval query and
  /// documents); default: the client's mode (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT).
  std::optional<ollama::content_capture> capture_content;
  /// Longest question text recorded under content capture, in characters (the provider's attribute
  /// length limit applies too).
  std::size_t max_question_chars = 1000;
  /// The tracer for the pipeline's spans; default: scope "llmtrace.rag" from the global provider.
  std::optional<llmtrace::tracer> tracer;
  progress_mode progress = progress_mode::automatic;
};

/// What ingest() did.
struct ingest_result {
  std::size_t documents = 0;
  std::size_t chunks = 0;
  std::size_t batches = 0;
  std::int64_t input_tokens = 0;  ///< sum of the embedding calls' prompt_eval_count
  std::size_t store_size = 0;     ///< records in the store afterwards
};

/// An answer and where it came from.
struct answer {
  std::string text;                    ///< the model's answer (partial when the callback stopped it)
  std::vector<search_result> sources;  ///< the retrieved chunks the prompt carried, best first
  std::string model;                   ///< the chat model as the server echoed it
  std::int64_t input_tokens = 0;       ///< chat prompt tokens (prompt_eval_count)
  std::int64_t output_tokens = 0;      ///< chat answer tokens (eval_count)
  std::string done_reason;             ///< "stop", "length", ...; empty when stopped early
  bool complete = false;               ///< false when the chunk callback stopped the stream
  /// Seconds from the start of query() to the first non-empty answer chunk (negative when none came).
  double time_to_first_chunk = -1;
  double duration = 0;   ///< seconds, the whole query
  std::string trace_id;  ///< hex id of the query's trace (empty when not traced)
};

/// Receives each piece of the answer as it streams; return false to stop.
using text_callback = std::function<bool(std::string_view text)>;

namespace detail {

/// gen_ai.retrieval.documents: `[{"id": ..., "score": ...}]`.
inline std::string documents_json(const std::vector<search_result>& results) {
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (const auto& r : results) {
    nlohmann::ordered_json o;
    o["id"] = r.id;
    o["score"] = static_cast<double>(r.score);
    arr.push_back(std::move(o));
  }
  return arr.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

/// The pipeline's default scope (see tracer()).
struct rag_scope {
  static constexpr std::string_view name = semconv::rag_instrumentation_scope;
  static constexpr std::string_view version = LLMTRACE_VERSION_STRING;
  static constexpr std::string_view schema_url = semconv::genai_schema_url;
};

/// Marks `s` failed by `e`: error.type (an Ollama error's own type, else the exception's), an
/// exception event and status Error.
inline void record_failure(llmtrace::span& s, const std::exception& e) noexcept {
  const auto* oe = dynamic_cast<const ollama::error*>(&e);
  std::string type;
  try {
    if (oe) type = oe->error_type();
  } catch (...) {
  }
  s.set_error(e, type);
}

/// Ends a span when it dies and, just before (while it is still current, so exemplars name it),
/// records its duration in seconds on a histogram (and on the older-name one, when set) with the
/// attributes added plus error.type after failed(). With a recording span the duration is the span's
/// own; otherwise it is measured on llmtrace's monotonic clock. Declare it after the span.
class span_metric {
 public:
  span_metric(llmtrace::span& s, const llmtrace::tracer& t, const llmtrace::metrics::histogram<double>& h,
              const llmtrace::metrics::histogram<double>* old = nullptr) noexcept
      : s_(s), h_(h), old_(old), provider_(s.is_recording() ? t.provider() : nullptr) {
    start_ = provider_ ? s.start_time_unix_nano() : now();
  }
  span_metric(const span_metric&) = delete;
  span_metric& operator=(const span_metric&) = delete;
  ~span_metric() {
    const std::int64_t t = now();
    const double d = static_cast<double>(std::max<std::int64_t>(t - start_, 0)) / 1e9;
    if (!error_type_.empty()) attrs_[n_++] = {semconv::error_type, error_type_};
    h_.record(d, attribute_list(attrs_, n_));
    if (old_ && old_->enabled()) {
      if (old_key_.empty())
        old_->record(d, attribute_list(attrs_, n_));
      else {
        // The older metric names the workflow with the older key.
        attribute o[max_attributes];
        for (std::size_t i = 0; i < n_; ++i)
          o[i] = attrs_[i].key == semconv::gen_ai_agent_name ? attribute{old_key_, attrs_[i].value} : attrs_[i];
        old_->record(d, attribute_list(o, n_));
      }
    }
    s_.end(t);
  }
  /// Adds a metric attribute (its string value must outlive this object); at most 3.
  span_metric& add(attribute a) noexcept {
    if (n_ + 1 < max_attributes) attrs_[n_++] = a;
    return *this;
  }
  /// On the older metric, gen_ai.agent.name is recorded as `key` (gen_ai.workflow.name).
  void old_agent_key(std::string_view key) noexcept { old_key_ = key; }
  /// The operation failed with `e` (error.type as record_failure sets it on the span).
  void failed(const std::exception& e) noexcept {
    try {
      if (const auto* oe = dynamic_cast<const ollama::error*>(&e))
        error_type_ = oe->error_type();
      else
        error_type_ = llmtrace::detail::exception_type_name(e);
    } catch (...) {
      error_type_ = semconv::error_type_other;
    }
  }
  /// Failed with an exception that is not a std::exception.
  void failed() noexcept {
    if (error_type_.empty()) error_type_ = semconv::error_type_other;
  }

 private:
  static constexpr std::size_t max_attributes = 4;
  std::int64_t now() const noexcept { return provider_ ? provider_->now() : llmtrace::detail::unix_now_ns(); }
  llmtrace::span& s_;
  const llmtrace::metrics::histogram<double>& h_;
  const llmtrace::metrics::histogram<double>* old_;
  tracer_provider* provider_;
  std::int64_t start_ = 0;
  attribute attrs_[max_attributes];
  std::size_t n_ = 0;
  std::string error_type_;
  std::string_view old_key_;
};

inline double seconds_between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace detail

/// The pipeline. Build it with a client (its transport decides where requests go: a daemon, the
/// test fake, or a replay_transport) and a store, ingest documents, then ask questions.
class rag_pipeline {
 public:
  /// Throws std::invalid_argument for a null store, top_k of 0 or embed_batch_size of 0.
  rag_pipeline(ollama::client client, std::shared_ptr<vector_store> store, pipeline_options options = {})
      : client_(std::move(client)), store_(std::move(store)), opts_(std::move(options)), chunker_(opts_.chunking) {
    if (!store_) throw std::invalid_argument("rag::rag_pipeline: store is null");
    if (opts_.top_k == 0) throw std::invalid_argument("rag::rag_pipeline: top_k must be > 0");
    if (opts_.embed_batch_size == 0) throw std::invalid_argument("rag::rag_pipeline: embed_batch_size must be > 0");
  }

  /// Chunks, embeds (embed_batch_size chunks per request) and stores `docs`, as one trace:
  /// `invoke_workflow {workflow}.ingest` with a `rag.chunk` span and one `embeddings {model}` span
  /// per batch. Chunk ids are "<document id>#<index>". Throws ollama::error when a call fails
  /// (chunks of earlier batches stay stored).
  ingest_result ingest(const std::vector<document>& docs) {
    const std::string workflow = opts_.workflow_name + ".ingest";
    const std::string source = store_->name();
    llmtrace::span root(tracer(), std::string(semconv::op_invoke_workflow) + " " + workflow, span_kind::internal,
                        {{semconv::gen_ai_operation_name, semconv::op_invoke_workflow},
                         {semconv::gen_ai_agent_name, workflow},
                         {semconv::gen_ai_data_source_id, source},
                         {semconv::llmtrace_ingest_document_count, static_cast<std::int64_t>(docs.size())},
                         {semconv::llmtrace_ingest_batch_size, static_cast<std::int64_t>(opts_.embed_batch_size)}});
    const genai::instruments& in = genai::current();
    detail::span_metric timing(root, tracer(), in.invoke_workflow_duration,
                               in.dup ? &in.old_workflow_duration : nullptr);
    workflow_metric(root, timing, workflow);
    ingest_result out;
    out.documents = docs.size();
    try {
      std::vector<vector_record> pending;
      std::size_t chars = 0;
      {
        llmtrace::span chunk_span(tracer(), semconv::llmtrace_span_chunk, span_kind::internal,
                                  {{semconv::llmtrace_ingest_document_count, static_cast<std::int64_t>(docs.size())}});
        chunker_.split(docs, [&](const document& d, chunk c) {
          chars += llmtrace::detail::utf8_char_count(c.text);
          pending.push_back(vector_record{
              d.id + "#" + std::to_string(c.index), std::move(c.text), d.source.empty() ? d.id : d.source, {}});
        });
        chunk_span.set_attribute(semconv::llmtrace_ingest_chunk_count, static_cast<std::int64_t>(pending.size()));
        chunk_span.set_attribute(semconv::llmtrace_ingest_chunk_chars, static_cast<std::int64_t>(chars));
      }
      out.chunks = pending.size();
      root.set_attribute(semconv::llmtrace_ingest_chunk_count, static_cast<std::int64_t>(out.chunks));
      root.set_attribute(semconv::llmtrace_ingest_chunk_chars, static_cast<std::int64_t>(chars));
      const bool show = show_progress();
      for (std::size_t first = 0; first < pending.size(); first += opts_.embed_batch_size) {
        const std::size_t last = std::min(pending.size(), first + opts_.embed_batch_size);
        ollama::embed_request req;
        req.model = opts_.embedding_model;
        req.keep_alive = opts_.keep_alive;
        for (std::size_t i = first; i < last; ++i) req.input.push_back(pending[i].text);
        const ollama::embed_response res = client_.embed(req);
        if (res.embeddings.size() != last - first)
          throw std::runtime_error("rag::rag_pipeline: /api/embed returned " + std::to_string(res.embeddings.size()) +
                                   " vectors for " + std::to_string(last - first) + " inputs");
        if (res.metrics.prompt_eval_count) out.input_tokens += *res.metrics.prompt_eval_count;
        std::vector<vector_record> batch;
        batch.reserve(last - first);
        for (std::size_t i = first; i < last; ++i) {
          pending[i].vector = res.embeddings[i - first];
          batch.push_back(std::move(pending[i]));
        }
        store_->add(std::move(batch));
        ++out.batches;
        if (show) std::fprintf(stderr, "\rllmtrace: embedded %zu/%zu chunks", last, pending.size());
      }
      if (show && !pending.empty()) std::fprintf(stderr, "\n");
      out.store_size = store_->size();
      root.set_attribute(semconv::llmtrace_ingest_batch_count, static_cast<std::int64_t>(out.batches));
      root.set_attribute(semconv::gen_ai_usage_input_tokens, out.input_tokens);
      root.set_attribute(semconv::llmtrace_retrieval_store_size, static_cast<std::int64_t>(out.store_size));
    } catch (const std::exception& e) {
      detail::record_failure(root, e);
      timing.failed(e);
      throw;
    } catch (...) {
      timing.failed();
      throw;
    }
    return out;
  }

  /// Answers `question` as one trace: `invoke_workflow {workflow}` (INTERNAL) with
  /// `embeddings {model}`, `retrieval {store}` and `chat {model}` (streamed, with its Ollama phase
  /// spans) beneath it. `on_text` sees the answer as it streams (return false to stop). Throws
  /// ollama::error when a call fails, after recording the failure on the workflow span.
  answer query(std::string_view question, const text_callback& on_text = {}) const {
    const auto t0 = std::chrono::steady_clock::now();
    const ollama::content_capture capture = capture_mode();
    llmtrace::span root(tracer(), std::string(semconv::op_invoke_workflow) + " " + opts_.workflow_name,
                        span_kind::internal,
                        {{semconv::gen_ai_operation_name, semconv::op_invoke_workflow},
                         {semconv::gen_ai_agent_name, opts_.workflow_name},
                         {semconv::llmtrace_workflow_question_length,
                          static_cast<std::int64_t>(llmtrace::detail::utf8_char_count(question))}});
    const genai::instruments& in = genai::current();
    detail::span_metric timing(root, tracer(), in.invoke_workflow_duration,
                               in.dup ? &in.old_workflow_duration : nullptr);
    workflow_metric(root, timing, opts_.workflow_name);
    if (capture != ollama::content_capture::no_content && root.is_recording()) {
      bool cut = false;
      root.set_attribute(semconv::llmtrace_workflow_question, ollama::truncate_text(question, question_limit(), cut));
      if (cut) root.set_attribute(semconv::ollama_content_truncated, true);
    }
    answer out;
    if (root.is_recording()) out.trace_id = root.span_context().trace_id.to_hex();
    try {
      // 1. Embed the question.
      ollama::embed_request ereq;
      ereq.model = opts_.embedding_model;
      ereq.keep_alive = opts_.keep_alive;
      ereq.input.emplace_back(question);
      const ollama::embed_response eres = client_.embed(ereq);
      if (eres.embeddings.size() != 1)
        throw std::runtime_error("rag::rag_pipeline: /api/embed returned " + std::to_string(eres.embeddings.size()) +
                                 " vectors for the question");
      // 2. Retrieve.
      out.sources = retrieve(eres.embeddings.front(), question, capture);
      root.set_attribute(semconv::llmtrace_workflow_source_count, static_cast<std::int64_t>(out.sources.size()));
      // 3. Generate, streaming.
      ollama::chat_request creq;
      creq.model = opts_.chat_model;
      creq.options = opts_.chat_options;
      creq.keep_alive = opts_.keep_alive;
      creq.messages.push_back(ollama::message::system(build_system_message(out.sources)));
      creq.messages.push_back(ollama::message::user(std::string(question)));
      bool first = true;
      const ollama::chat_response res = client_.chat(creq, [&](const ollama::chat_response& chunk) {
        const std::string& piece = chunk.message.content;
        if (piece.empty()) return true;
        if (first) {
          first = false;
          out.time_to_first_chunk = detail::seconds_between(t0, std::chrono::steady_clock::now());
          root.set_attribute(semconv::llmtrace_workflow_time_to_first_chunk, out.time_to_first_chunk);
        }
        return on_text ? on_text(piece) : true;
      });
      out.text = res.message.content;
      out.model = res.model;
      out.done_reason = res.done_reason;
      out.complete = res.done;
      if (res.metrics.prompt_eval_count) out.input_tokens = *res.metrics.prompt_eval_count;
      if (res.metrics.eval_count) out.output_tokens = *res.metrics.eval_count;
    } catch (const std::exception& e) {
      detail::record_failure(root, e);
      timing.failed(e);
      throw;
    } catch (...) {
      timing.failed();
      throw;
    }
    out.duration = detail::seconds_between(t0, std::chrono::steady_clock::now());
    return out;
  }

  /// Retrieves the top_k chunks for an already embedded question, as a `retrieval {store}` span
  /// (child of the current span): gen_ai.operation.name=retrieval, gen_ai.data_source.id,
  /// gen_ai.retrieval.top_k, llmtrace.retrieval.result_count / score.best / score.worst /
  /// score.mean / store_size and, with content capture on, gen_ai.retrieval.documents and
  /// gen_ai.retrieval.query.text.
  std::vector<search_result> retrieve(const std::vector<float>& query_vector, std::string_view query_text,
                                      std::optional<ollama::content_capture> capture = std::nullopt) const {
    const ollama::content_capture mode = capture ? *capture : capture_mode();
    const std::string source = store_->name();
    // GenAI v0.1.0: `retrieval {gen_ai.data_source.id}`, kind CLIENT (for in-process stores too).
    llmtrace::span s(tracer(), std::string(semconv::op_retrieval) + " " + source, span_kind::client,
                     {{semconv::gen_ai_operation_name, semconv::op_retrieval},
                      {semconv::gen_ai_data_source_id, source},
                      {semconv::gen_ai_retrieval_top_k, static_cast<std::int64_t>(opts_.top_k)}});
    const genai::instruments& in = genai::current();
    detail::span_metric timing(s, tracer(), in.retrieval_duration);
    timing.add({semconv::gen_ai_data_source_id, source});
    try {
      if (mode != ollama::content_capture::no_content && s.is_recording()) {
        bool cut = false;
        s.set_attribute(semconv::gen_ai_retrieval_query_text, ollama::truncate_text(query_text, question_limit(), cut));
        if (cut) s.set_attribute(semconv::ollama_content_truncated, true);
      }
      std::vector<search_result> results = store_->search(query_vector, opts_.top_k);
      if (in.enabled) {
        const attribute a[] = {{semconv::gen_ai_data_source_id, source}};
        in.retrieval_results.record(static_cast<std::int64_t>(results.size()), attribute_list(a, 1));
        if (!results.empty())
          in.retrieval_best_score.record(std::max(0.0, static_cast<double>(results.front().score)),
                                         attribute_list(a, 1));
      }
      if (s.is_recording()) {
        s.set_attribute(semconv::llmtrace_retrieval_result_count, static_cast<std::int64_t>(results.size()));
        s.set_attribute(semconv::llmtrace_retrieval_store_size, static_cast<std::int64_t>(store_->size()));
        if (!results.empty()) {
          double sum = 0;
          for (const auto& r : results) sum += static_cast<double>(r.score);
          s.set_attribute(semconv::llmtrace_retrieval_score_best, static_cast<double>(results.front().score));
          s.set_attribute(semconv::llmtrace_retrieval_score_worst, static_cast<double>(results.back().score));
          s.set_attribute(semconv::llmtrace_retrieval_score_mean, sum / static_cast<double>(results.size()));
        }
        if (mode != ollama::content_capture::no_content)
          s.set_attribute(semconv::gen_ai_retrieval_documents, detail::documents_json(results));
      }
      return results;
    } catch (const std::exception& e) {
      detail::record_failure(s, e);
      timing.failed(e);
      throw;
    } catch (...) {
      timing.failed();
      throw;
    }
  }

  /// The system message for a question: the system prompt, then each source numbered
  /// `[n] (source)` followed by its text.
  std::string build_system_message(const std::vector<search_result>& sources) const {
    std::string out = opts_.system_prompt;
    out += "\n\nContext:\n";
    for (std::size_t i = 0; i < sources.size(); ++i) {
      out += "\n[" + std::to_string(i + 1) + "] (" + sources[i].source + ")\n";
      out += sources[i].text;
      out += "\n";
    }
    return out;
  }

  const pipeline_options& options() const noexcept { return opts_; }
  vector_store& store() noexcept { return *store_; }
  const vector_store& store() const noexcept { return *store_; }
  const ollama::client& client() const noexcept { return client_; }

 private:
  /// The workflow duration metric's attributes (gen_ai.operation.name=invoke_workflow,
  /// gen_ai.agent.name); under OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai/dup also gen_ai.workflow.name on
  /// the span, and the older gen_ai.workflow.duration naming the workflow with it.
  static void workflow_metric(llmtrace::span& root, detail::span_metric& m, const std::string& name) {
    m.add({semconv::gen_ai_operation_name, semconv::op_invoke_workflow}).add({semconv::gen_ai_agent_name, name});
    m.old_agent_key(semconv::gen_ai_workflow_name);
    if (root.is_recording() && genai::stability_dup_from_env()) root.set_attribute(semconv::gen_ai_workflow_name, name);
  }
  llmtrace::tracer tracer() const {
    return opts_.tracer ? *opts_.tracer : llmtrace::detail::cached_global_tracer<detail::rag_scope>();
  }
  ollama::content_capture capture_mode() const noexcept {
    return opts_.capture_content ? *opts_.capture_content : client_.capture_mode();
  }
  std::size_t question_limit() const noexcept {
    std::size_t limit = opts_.max_question_chars;
    const llmtrace::tracer t = tracer();
    if (t.provider() && t.provider()->limits().attribute_value_length < limit)
      limit = t.provider()->limits().attribute_value_length;
    return limit;
  }
  bool show_progress() const noexcept {
    switch (opts_.progress) {
      case progress_mode::always:
        return true;
      case progress_mode::never:
        return false;
      default:
        return llmtrace::detail::is_terminal(2);
    }
  }

  ollama::client client_;
  std::shared_ptr<vector_store> store_;
  pipeline_options opts_;
  chunker chunker_;
};

}  // namespace rag
LLMTRACE_END_NAMESPACE
