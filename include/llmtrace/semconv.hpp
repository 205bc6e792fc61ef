// llmtrace/semconv.hpp: OpenTelemetry semantic-convention keys and values llmtrace records, pinned to
// one version, plus llmtrace's own ollama.* and llmtrace.* keys. Thread-safety: constants only.
#pragma once

#include <llmtrace/config.hpp>

#include <string_view>

LLMTRACE_BEGIN_NAMESPACE
namespace semconv {

/// GenAI conventions version these keys follow (semantic-conventions-genai).
inline constexpr std::string_view genai_version = "1.42.0";
inline constexpr std::string_view genai_schema_url = "https://opentelemetry.io/schemas/gen-ai/1.42.0";

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
inline constexpr std::string_view gen_ai_workflow_name = "gen_ai.workflow.name";

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
inline constexpr std::string_view ollama_prompt_tokens_per_second = "ollama.prompt_tokens_per_second";
inline constexpr std::string_view ollama_client_overhead = "ollama.client_overhead";
inline constexpr std::string_view ollama_cold_start = "ollama.cold_start";
inline constexpr std::string_view ollama_chunk_count = "ollama.chunk_count";
inline constexpr std::string_view ollama_done_reason = "ollama.done_reason";
inline constexpr std::string_view ollama_keep_alive = "ollama.keep_alive";

}  // namespace semconv
LLMTRACE_END_NAMESPACE
