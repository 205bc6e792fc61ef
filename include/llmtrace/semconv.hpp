// llmtrace/semconv.hpp: OpenTelemetry semantic-convention keys and values llmtrace records, pinned to
// one version, plus llmtrace's own ollama.* and llmtrace.* keys. Thread-safety: constants only.
#pragma once

#include <llmtrace/config.hpp>

#include <string_view>

LLMTRACE_BEGIN_NAMESPACE
namespace semconv {

/// GenAI conventions version these keys follow: the first release of
/// open-telemetry/semantic-conventions-genai, v0.1.0 (the GenAI conventions left the core repository
/// after v1.41; there never was a released "1.42.0"). Older names are emitted only under the opt-in
/// below (genai_stability_opt_in_env).
inline constexpr std::string_view genai_version = "0.1.0";
inline constexpr std::string_view genai_schema_url = "https://opentelemetry.io/schemas/gen-ai/0.1.0";

// gen_ai.* (Development status upstream)
inline constexpr std::string_view gen_ai_operation_name = "gen_ai.operation.name";
inline constexpr std::string_view gen_ai_provider_name = "gen_ai.provider.name";
inline constexpr std::string_view gen_ai_request_model = "gen_ai.request.model";
inline constexpr std::string_view gen_ai_request_stream = "gen_ai.request.stream";
inline constexpr std::string_view gen_ai_request_temperature = "gen_ai.request.temperature";
inline constexpr std::string_view gen_ai_request_top_p = "gen_ai.request.top_p";
inline constexpr std::string_view gen_ai_request_top_k = "gen_ai.request.top_k";
inline constexpr std::string_view gen_ai_request_seed = "gen_ai.request.seed";
inline constexpr std::string_view gen_ai_request_max_tokens = "gen_ai.request.max_tokens";
inline constexpr std::string_view gen_ai_request_stop_sequences = "gen_ai.request.stop_sequences";
inline constexpr std::string_view gen_ai_request_frequency_penalty = "gen_ai.request.frequency_penalty";
inline constexpr std::string_view gen_ai_request_presence_penalty = "gen_ai.request.presence_penalty";
inline constexpr std::string_view gen_ai_request_reasoning_level = "gen_ai.request.reasoning.level";
inline constexpr std::string_view gen_ai_request_encoding_formats = "gen_ai.request.encoding_formats";
inline constexpr std::string_view gen_ai_output_type = "gen_ai.output.type";
inline constexpr std::string_view gen_ai_conversation_id = "gen_ai.conversation.id";
inline constexpr std::string_view gen_ai_response_model = "gen_ai.response.model";
inline constexpr std::string_view gen_ai_response_id = "gen_ai.response.id";
inline constexpr std::string_view gen_ai_response_finish_reasons = "gen_ai.response.finish_reasons";
inline constexpr std::string_view gen_ai_response_time_to_first_chunk = "gen_ai.response.time_to_first_chunk";
inline constexpr std::string_view gen_ai_usage_input_tokens = "gen_ai.usage.input_tokens";
inline constexpr std::string_view gen_ai_usage_output_tokens = "gen_ai.usage.output_tokens";
inline constexpr std::string_view gen_ai_input_messages = "gen_ai.input.messages";
inline constexpr std::string_view gen_ai_output_messages = "gen_ai.output.messages";
inline constexpr std::string_view gen_ai_system_instructions = "gen_ai.system_instructions";
inline constexpr std::string_view gen_ai_tool_definitions = "gen_ai.tool.definitions";
inline constexpr std::string_view gen_ai_embeddings_dimension_count = "gen_ai.embeddings.dimension.count";
inline constexpr std::string_view gen_ai_data_source_id = "gen_ai.data_source.id";
inline constexpr std::string_view gen_ai_retrieval_top_k = "gen_ai.retrieval.top_k";
inline constexpr std::string_view gen_ai_retrieval_query_text = "gen_ai.retrieval.query.text";
inline constexpr std::string_view gen_ai_retrieval_documents = "gen_ai.retrieval.documents";
inline constexpr std::string_view gen_ai_tool_name = "gen_ai.tool.name";
inline constexpr std::string_view gen_ai_tool_call_id = "gen_ai.tool.call.id";
inline constexpr std::string_view gen_ai_tool_description = "gen_ai.tool.description";
inline constexpr std::string_view gen_ai_tool_type = "gen_ai.tool.type";
inline constexpr std::string_view gen_ai_tool_call_arguments = "gen_ai.tool.call.arguments";
inline constexpr std::string_view gen_ai_tool_call_result = "gen_ai.tool.call.result";
/// The workflow root (`invoke_workflow {name}`) names its workflow with gen_ai.agent.name (v0.1.0).
inline constexpr std::string_view gen_ai_agent_name = "gen_ai.agent.name";
/// Before v0.1.0 the workflow root carried gen_ai.workflow.name; recorded only under the opt-in.
inline constexpr std::string_view gen_ai_workflow_name = "gen_ai.workflow.name";
/// Metric attribute: text, image, audio, video, document or unknown (usage counters).
inline constexpr std::string_view gen_ai_token_modality = "gen_ai.token.modality";
inline constexpr std::string_view token_modality_text = "text";
inline constexpr std::string_view token_modality_unknown = "unknown";
/// Metric attribute of the older gen_ai.client.token.usage histogram: input / output (opt-in only).
inline constexpr std::string_view gen_ai_token_type = "gen_ai.token.type";
inline constexpr std::string_view token_type_input = "input";
inline constexpr std::string_view token_type_output = "output";
/// gen_ai.response.finish_reasons value of an answer that requests tool calls (Ollama says "stop").
inline constexpr std::string_view finish_reason_tool_call = "tool_call";

// GenAI metrics (v0.1.0). D = duration buckets, T = token buckets (see genai_duration_buckets).
/// histogram, s, D: chat / text_completion calls (equals the inference span's duration).
inline constexpr std::string_view metric_inference_duration = "gen_ai.client.inference.duration";
/// histogram, s, D: streamed calls only, request sent -> first chunk.
inline constexpr std::string_view metric_inference_time_to_first_chunk = "gen_ai.client.inference.time_to_first_chunk";
/// histogram, s, D: streamed calls only, one point per chunk after the first (since the previous one).
inline constexpr std::string_view metric_inference_time_per_output_chunk =
    "gen_ai.client.inference.time_per_output_chunk";
/// counters, {token}, with gen_ai.token.modality: every call, failed ones too (0, `unknown`).
inline constexpr std::string_view metric_inference_usage_input_tokens = "gen_ai.client.inference.usage.input_tokens";
inline constexpr std::string_view metric_inference_usage_output_tokens = "gen_ai.client.inference.usage.output_tokens";
/// histograms, {token}, T: successful calls that reported usage (for percentiles, not totals).
inline constexpr std::string_view metric_inference_operation_input_tokens =
    "gen_ai.client.inference.operation.input_tokens";
inline constexpr std::string_view metric_inference_operation_output_tokens =
    "gen_ai.client.inference.operation.output_tokens";
/// histogram, s, D: embeddings calls.
inline constexpr std::string_view metric_embeddings_duration = "gen_ai.client.embeddings.duration";
/// histogram, {token}, T: successful embeddings calls that reported usage.
inline constexpr std::string_view metric_embeddings_operation_input_tokens =
    "gen_ai.client.embeddings.operation.input_tokens";
/// histogram, s, D: one tool execution (tool_span).
inline constexpr std::string_view metric_execute_tool_duration = "gen_ai.execute_tool.duration";
/// histogram, s, W: one workflow (the RAG pipeline's ask / ingest).
inline constexpr std::string_view metric_invoke_workflow_duration = "gen_ai.invoke_workflow.duration";
// The older names (GenAI 1.41 / 1.42-dev), recorded only under the opt-in.
inline constexpr std::string_view metric_old_operation_duration = "gen_ai.client.operation.duration";
inline constexpr std::string_view metric_old_token_usage = "gen_ai.client.token.usage";
inline constexpr std::string_view metric_old_time_to_first_chunk = "gen_ai.client.operation.time_to_first_chunk";
inline constexpr std::string_view metric_old_time_per_output_chunk = "gen_ai.client.operation.time_per_output_chunk";
inline constexpr std::string_view metric_old_workflow_duration = "gen_ai.workflow.duration";
/// OTEL_SEMCONV_STABILITY_OPT_IN (comma-separated). llmtrace emits v0.1.0 by default (the GenAI docs'
/// `gen_ai_latest_experimental` is accepted and changes nothing); `gen_ai/dup` also emits the older
/// names listed above, as the stability-migration `/dup` values do for other areas.
inline constexpr std::string_view genai_stability_opt_in_env = "OTEL_SEMCONV_STABILITY_OPT_IN";
inline constexpr std::string_view genai_stability_latest = "gen_ai_latest_experimental";
inline constexpr std::string_view genai_stability_dup = "gen_ai/dup";

// gen_ai.operation.name values
inline constexpr std::string_view op_chat = "chat";
inline constexpr std::string_view op_text_completion = "text_completion";
inline constexpr std::string_view op_embeddings = "embeddings";
inline constexpr std::string_view op_retrieval = "retrieval";
inline constexpr std::string_view op_execute_tool = "execute_tool";
inline constexpr std::string_view op_invoke_workflow = "invoke_workflow";
/// gen_ai.provider.name for Ollama (no registered value exists; lowercase by common practice).
inline constexpr std::string_view provider_ollama = "ollama";

// server.*, error.*, exception.* (stable)
inline constexpr std::string_view server_address = "server.address";
inline constexpr std::string_view server_port = "server.port";
inline constexpr std::string_view error_type = "error.type";
inline constexpr std::string_view error_type_other = "_OTHER";
inline constexpr std::string_view exception_type = "exception.type";
inline constexpr std::string_view exception_message = "exception.message";

// ollama.*: Ollama's own timings and derived figures (llmtrace's namespace; durations in seconds).
inline constexpr std::string_view ollama_total_duration = "ollama.total_duration";
inline constexpr std::string_view ollama_load_duration = "ollama.load_duration";
inline constexpr std::string_view ollama_prompt_eval_duration = "ollama.prompt_eval_duration";
inline constexpr std::string_view ollama_eval_duration = "ollama.eval_duration";
inline constexpr std::string_view ollama_prompt_eval_count = "ollama.prompt_eval_count";
inline constexpr std::string_view ollama_eval_count = "ollama.eval_count";
inline constexpr std::string_view ollama_tokens_per_second = "ollama.tokens_per_second";
/// Deprecated, no longer recorded: since Ollama v0.30.1 prompt_eval_count includes cached prompt
/// tokens while prompt_eval_duration covers only the uncached ones (count / duration is no rate).
inline constexpr std::string_view ollama_prompt_tokens_per_second = "ollama.prompt_tokens_per_second";
inline constexpr std::string_view ollama_client_overhead = "ollama.client_overhead";
inline constexpr std::string_view ollama_cold_start = "ollama.cold_start";
inline constexpr std::string_view ollama_chunk_count = "ollama.chunk_count";
inline constexpr std::string_view ollama_done_reason = "ollama.done_reason";
inline constexpr std::string_view ollama_keep_alive = "ollama.keep_alive";

// Ollama's own figures as metrics (llmtrace's names; meter "llmtrace.ollama"; see metrics/genai.hpp).
/// histogram, s, D: load_duration of every call that reported one, with ollama.cold_start (bool).
inline constexpr std::string_view metric_ollama_load_duration = "ollama.load.duration";
/// histograms, s, D: prompt_eval_duration and eval_duration as the server reported them.
inline constexpr std::string_view metric_ollama_prompt_eval_duration = "ollama.prompt_eval.duration";
inline constexpr std::string_view metric_ollama_eval_duration = "ollama.eval.duration";
/// histogram, {token}/s: eval_count / eval_duration (server-side generation speed).
inline constexpr std::string_view metric_ollama_tokens_per_second = "ollama.eval.tokens_per_second";
/// observable gauges, By, per loaded model (/api/ps; opt-in, see ollama::observe_loaded_models):
/// bytes of the model in GPU memory and in total, with ollama.model.name.
inline constexpr std::string_view metric_ollama_model_vram = "ollama.model.memory.vram";
inline constexpr std::string_view metric_ollama_model_total = "ollama.model.memory.total";
/// string: the loaded model's name on the /api/ps gauges.
inline constexpr std::string_view ollama_model_name = "ollama.model.name";

// What the Ollama client records with these keys, and how: ollama/instrumentation.hpp.
/// int: number of messages in a chat request (prompt + history), 1 for generate.
inline constexpr std::string_view ollama_request_message_count = "ollama.request.message_count";
/// int: number of input strings of an embeddings request.
inline constexpr std::string_view ollama_request_input_count = "ollama.request.input_count";
/// int: number of tool definitions sent with a chat request.
inline constexpr std::string_view ollama_request_tool_count = "ollama.request.tool_count";
/// int: number of tool calls in the answer.
inline constexpr std::string_view ollama_response_tool_call_count = "ollama.response.tool_call_count";
/// string: the API path called ("/api/chat", "/api/generate", "/api/embed", "/api/embeddings").
inline constexpr std::string_view ollama_api = "ollama.api";
/// bool: the caller stopped the stream early (its chunk callback returned false). Status stays Unset.
inline constexpr std::string_view ollama_stream_cancelled = "ollama.stream.cancelled";
/// bool: captured content (gen_ai.input.messages and friends) was cut to fit the attribute limit;
/// each cut text ends with ollama_truncation_marker.
inline constexpr std::string_view ollama_content_truncated = "ollama.content.truncated";
/// The text appended to captured content that was cut (counted inside the length limit).
inline constexpr std::string_view ollama_truncation_marker = "...[truncated]";
/// int: bytes of the model (/api/ps `size`) on inference and embeddings spans.
inline constexpr std::string_view ollama_model_size = "ollama.model.size";
/// int: bytes of it in GPU memory (/api/ps `size_vram`).
inline constexpr std::string_view ollama_model_size_vram = "ollama.model.size_vram";
/// double 0..1: size_vram / size (0: the model runs on the CPU only; below 1: split GPU/CPU).
inline constexpr std::string_view ollama_model_gpu_fraction = "ollama.model.gpu_fraction";
/// pull / push / create spans: bytes of all layers, bytes done, distinct layers, the last status.
inline constexpr std::string_view ollama_progress_total_bytes = "ollama.progress.total_bytes";
inline constexpr std::string_view ollama_progress_completed_bytes = "ollama.progress.completed_bytes";
inline constexpr std::string_view ollama_progress_layers = "ollama.progress.layers";
inline constexpr std::string_view ollama_progress_status = "ollama.progress.status";
/// string: on an error, ollama::error's reason ("http_status", "stream_error", "incomplete_stream", ...).
inline constexpr std::string_view ollama_error_reason = "ollama.error.reason";
/// bool: the error is transient (503, 429, timeouts, connection failures).
inline constexpr std::string_view ollama_error_retryable = "ollama.error.retryable";
/// Names of the INTERNAL phase spans under a chat / text_completion span, laid out from the
/// server-reported durations (load, then prompt evaluation, then generation ending at the last chunk).
inline constexpr std::string_view ollama_span_load = "ollama.load";
inline constexpr std::string_view ollama_span_prompt_eval = "ollama.prompt_eval";
inline constexpr std::string_view ollama_span_eval = "ollama.eval";
/// The instrumentation scope of the Ollama client's spans.
inline constexpr std::string_view ollama_instrumentation_scope = "llmtrace.ollama";

// GenAI content capture and events
/// OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: NO_CONTENT (default), SPAN_ONLY, EVENT_ONLY,
/// SPAN_AND_EVENT; legacy true (= SPAN_ONLY) / false.
inline constexpr std::string_view genai_capture_content_env = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT";
/// Span event holding captured content in the EVENT_ONLY / SPAN_AND_EVENT modes.
inline constexpr std::string_view gen_ai_client_inference_operation_details =
    "gen_ai.client.inference.operation.details";
/// gen_ai.tool.type value for function tools.
inline constexpr std::string_view tool_type_function = "function";
/// gen_ai.output.type value when a `format` (JSON mode or schema) is requested.
inline constexpr std::string_view output_type_json = "json";

// llmtrace.workflow.*, llmtrace.retrieval.*, llmtrace.ingest.*: the RAG pipeline
// (include/llmtrace/rag/pipeline.hpp). Its query trace is `invoke_workflow {name}` with
// `embeddings {model}`, `retrieval {data source}` and `chat {model}` beneath it.
/// int: characters (code points) in the question; always recorded on the workflow span.
inline constexpr std::string_view llmtrace_workflow_question_length = "llmtrace.workflow.question.length";
/// string: the question, truncated; only with content capture on.
inline constexpr std::string_view llmtrace_workflow_question = "llmtrace.workflow.question";
/// double, seconds: from the start of the workflow to the first answer chunk (embedding, retrieval
/// and the model's own time to first chunk together).
inline constexpr std::string_view llmtrace_workflow_time_to_first_chunk = "llmtrace.workflow.time_to_first_chunk";
/// int: sources returned with the answer.
inline constexpr std::string_view llmtrace_workflow_source_count = "llmtrace.workflow.source_count";
/// int: results a retrieval returned (at most gen_ai.retrieval.top_k).
inline constexpr std::string_view llmtrace_retrieval_result_count = "llmtrace.retrieval.result_count";
/// double: the best, worst and mean similarity score of the returned results (cosine, -1..1).
inline constexpr std::string_view llmtrace_retrieval_score_best = "llmtrace.retrieval.score.best";
inline constexpr std::string_view llmtrace_retrieval_score_worst = "llmtrace.retrieval.score.worst";
inline constexpr std::string_view llmtrace_retrieval_score_mean = "llmtrace.retrieval.score.mean";
/// int: records in the store searched.
inline constexpr std::string_view llmtrace_retrieval_store_size = "llmtrace.retrieval.store_size";
/// int: documents, chunks and embedding batches of one ingest; the configured batch size.
inline constexpr std::string_view llmtrace_ingest_document_count = "llmtrace.ingest.document_count";
inline constexpr std::string_view llmtrace_ingest_chunk_count = "llmtrace.ingest.chunk_count";
inline constexpr std::string_view llmtrace_ingest_batch_count = "llmtrace.ingest.batch_count";
inline constexpr std::string_view llmtrace_ingest_batch_size = "llmtrace.ingest.batch_size";
/// int: characters of all chunks of one ingest.
inline constexpr std::string_view llmtrace_ingest_chunk_chars = "llmtrace.ingest.chunk_chars";
// RAG metrics (meter "llmtrace.rag"), with gen_ai.data_source.id and error.type on failure.
/// histogram, s, D: one retrieval.
inline constexpr std::string_view metric_retrieval_duration = "llmtrace.retrieval.duration";
/// histogram, {result}: results a retrieval returned.
inline constexpr std::string_view metric_retrieval_results = "llmtrace.retrieval.results";
/// histogram, 1: the best similarity score of a retrieval that returned results (negative as 0).
inline constexpr std::string_view metric_retrieval_best_score = "llmtrace.retrieval.best_score";
/// string: why the SDK dropped records (llmtrace.sdk.*.dropped, metrics/sdk_health.hpp).
inline constexpr std::string_view llmtrace_drop_reason = "llmtrace.drop.reason";
inline constexpr std::string_view drop_reason_queue_full = "queue_full";
inline constexpr std::string_view drop_reason_export_failed = "export_failed";
inline constexpr std::string_view drop_reason_shutdown = "shutdown";
/// Name of the INTERNAL span that covers splitting the documents into chunks during an ingest.
inline constexpr std::string_view llmtrace_span_chunk = "rag.chunk";
/// The instrumentation scope of the RAG pipeline's own spans.
inline constexpr std::string_view rag_instrumentation_scope = "llmtrace.rag";
}  // namespace semconv
LLMTRACE_END_NAMESPACE
