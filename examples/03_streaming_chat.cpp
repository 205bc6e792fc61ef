// 03_streaming_chat: a streamed chat printed as it arrives, with the time to the first chunk
// measured by the application and recorded by the client (gen_ai.response.time_to_first_chunk on
// the `chat {model}` span, with the Ollama phases beneath it).
#include <llmtrace/llmtrace.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace ollama = llmtrace::ollama;

int main() {
  llmtrace::init_options options;
  options.service_name = "example-streaming";
  if (!std::getenv("OTEL_TRACES_EXPORTER")) options.exporter_names = std::vector<std::string>{"console"};
  auto tracing = llmtrace::init(std::move(options));

  const ollama::client client;  // OLLAMA_HOST, default http://127.0.0.1:11434
  ollama::chat_request request;
  request.model = std::getenv("LLMTRACE_CHAT_MODEL") ? std::getenv("LLMTRACE_CHAT_MODEL") : "llama3.2";
  request.messages = {ollama::message::user("Write a haiku about latency.")};

  llmtrace::span turn("answer_user");  // the chat span becomes its child
  const auto start = std::chrono::steady_clock::now();
  double first_chunk = -1;
  std::size_t chunks = 0;
  try {
    const auto response = client.chat(request, [&](const ollama::chat_response& chunk) {
      if (!chunk.message.content.empty()) {
        if (first_chunk < 0)
          first_chunk = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        ++chunks;
        std::fwrite(chunk.message.content.data(), 1, chunk.message.content.size(), stdout);
        std::fflush(stdout);
      }
      return true;  // false would stop the stream (the span then records ollama.stream.cancelled)
    });
    std::printf("\n\ntime to first chunk: %.1f ms, %zu chunks, %lld output tokens\n\n", first_chunk * 1e3, chunks,
                static_cast<long long>(response.metrics.eval_count.value_or(0)));
    turn.set_attribute("app.time_to_first_chunk", first_chunk);
  } catch (const ollama::error& e) {
    std::fprintf(stderr, "chat failed: %s\n", e.what());
    turn.set_status(llmtrace::status_code::error, e.what());
    return 1;
  }
  return 0;
}
