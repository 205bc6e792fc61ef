// 08_spdlog_service: a service that logs through spdlog while it answers a traced RAG question. The
// spdlog sink turns every line into an OpenTelemetry log record carrying the ids of the span current
// when it was written, so a backend links "question received" to the `POST /ask` trace. With
// OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=EVENT_ONLY the chat's prompt and answer arrive
// as a structured `gen_ai.client.inference.operation.details` event, also correlated. Without
// OTEL_TRACES_EXPORTER / OTEL_LOGS_EXPORTER, spans and log records print on the console.
#include <llmtrace/llmtrace.hpp>
#include <llmtrace/spdlog_sink.hpp>

#include <spdlog/logger.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace rag = llmtrace::rag;

namespace {

std::string handle_ask(rag::rag_pipeline& pipeline, spdlog::logger& log, const std::string& question) {
  llmtrace::span server("POST /ask", llmtrace::span_kind::server,
                        {{"http.request.method", "POST"}, {"url.path", "/ask"}});
  SPDLOG_LOGGER_INFO(&log, "question received ({} characters)", question.size());
  const rag::answer a = pipeline.query(question);  // invoke_workflow rag > embeddings, retrieval, chat
  if (a.sources.empty()) log.warn("no source matched the question");
  SPDLOG_LOGGER_INFO(&log, "answered from {} sources", a.sources.size());
  // Another logger's pattern can carry the ids too:
  const auto ids = llmtrace::current_trace_ids();
  std::printf("[trace_id=%.*s span_id=%.*s] answer ready\n", static_cast<int>(ids.trace_id().size()),
              ids.trace_id().data(), static_cast<int>(ids.span_id().size()), ids.span_id().data());
  server.set_attribute("http.response.status_code", 200);
  return a.text;
}

}  // namespace

int main(int argc, char** argv) {
  llmtrace::init_options options;
  options.service_name = "example-spdlog-service";
  if (!std::getenv("OTEL_TRACES_EXPORTER")) options.exporter_names = std::vector<std::string>{"console"};
  if (!std::getenv("OTEL_LOGS_EXPORTER")) options.log_exporter_names = std::vector<std::string>{"console"};
  auto telemetry = llmtrace::init(std::move(options));

  // A synchronous spdlog logger printing to stderr as usual, plus llmtrace's sink.
  auto log = std::make_shared<spdlog::logger>("rag-service", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  log->sinks().push_back(std::make_shared<llmtrace::spdlog_sink_mt>());

  rag::pipeline_options config;
  config.top_k = 2;
  if (const char* m = std::getenv("LLMTRACE_CHAT_MODEL")) config.chat_model = m;
  if (const char* m = std::getenv("LLMTRACE_EMBED_MODEL")) config.embedding_model = m;
  rag::rag_pipeline pipeline(llmtrace::ollama::client(), std::make_shared<rag::in_memory_vector_store>("handbook"),
                             config);
  const std::vector<rag::document> docs = {
      {"oncall.md", "handbook/oncall.md",
       "The on-call engineer answers pages within fifteen minutes and writes an incident report the next day."},
      {"deploy.md", "handbook/deploy.md",
       "Deployments happen on weekdays before 16:00; a deployment needs one approval and a green pipeline."},
  };
  try {
    const auto stats = pipeline.ingest(docs);
    log->info("service ready: {} documents, {} chunks", stats.documents, stats.chunks);  // no span current here
    const std::string question = argc > 1 ? argv[1] : "How fast must the on-call engineer answer a page?";
    const std::string answer = handle_ask(pipeline, *log, question);
    std::printf("Q: %s\nA: %s\n\n", question.c_str(), answer.c_str());
  } catch (const std::exception& e) {
    log->error("request failed: {}", e.what());
    return 1;
  }
  log->info("shutting down");
  return 0;
}
