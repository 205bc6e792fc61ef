// 02_traced_chat: the traced_chat pattern. A few lines wrap one chat call in a span with the model,
// the message count, the token counts, the duration and the tokens per second. llmtrace's own
// client already records the same span (and more), so here it runs with instrument = false to show
// the pattern alone: copy it to wrap any other LLM call you make.
#include <llmtrace/llmtrace.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace ollama = llmtrace::ollama;
namespace semconv = llmtrace::semconv;

// --- the pattern ---------------------------------------------------------------------------------
ollama::chat_response traced_chat(const ollama::client& client, const ollama::chat_request& request) {
  llmtrace::span span("chat " + request.model, llmtrace::span_kind::client,
                      {{semconv::gen_ai_operation_name, semconv::op_chat},
                       {semconv::gen_ai_provider_name, semconv::provider_ollama},
                       {semconv::gen_ai_request_model, request.model},
                       {semconv::ollama_request_message_count, static_cast<std::int64_t>(request.messages.size())}});
  const auto start = std::chrono::steady_clock::now();
  try {
    ollama::chat_response response = client.chat(request);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::int64_t output_tokens = response.metrics.eval_count.value_or(0);
    span.set_attribute(semconv::gen_ai_response_model, response.model);
    span.set_attribute(semconv::gen_ai_usage_input_tokens, response.metrics.prompt_eval_count.value_or(0));
    span.set_attribute(semconv::gen_ai_usage_output_tokens, output_tokens);
    span.set_attribute("app.chat.duration", seconds);  // the span has its own duration too
    if (seconds > 0) span.set_attribute("app.chat.tokens_per_second", static_cast<double>(output_tokens) / seconds);
    return response;
  } catch (const ollama::error& e) {
    span.set_attribute(semconv::error_type, e.error_type());
    span.record_exception(e);
    span.set_status(llmtrace::status_code::error, e.what());
    throw;
  }
}
// -------------------------------------------------------------------------------------------------

int main() {
  llmtrace::init_options options;
  options.service_name = "example-traced-chat";
  if (!std::getenv("OTEL_TRACES_EXPORTER")) options.exporter_names = std::vector<std::string>{"console"};
  auto tracing = llmtrace::init(std::move(options));

  ollama::client_options client_options;  // the server comes from OLLAMA_HOST
  client_options.instrument = false;      // the pattern above makes the span instead
  const ollama::client client(client_options);

  ollama::chat_request request;
  request.model = std::getenv("LLMTRACE_CHAT_MODEL") ? std::getenv("LLMTRACE_CHAT_MODEL") : "llama3.2";
  request.messages = {ollama::message::system("Answer in one sentence."),
                      ollama::message::user("Why do we trace LLM calls?")};
  try {
    const auto response = traced_chat(client, request);
    std::printf("%s\n(%lld output tokens; Ollama generated %.1f tokens/s)\n\n", response.message.content.c_str(),
                static_cast<long long>(response.metrics.eval_count.value_or(0)),
                response.metrics.tokens_per_second().value_or(0.0));
  } catch (const ollama::error& e) {
    std::fprintf(stderr, "chat failed: %s\n", e.what());
    return 1;
  }
  return 0;
}
