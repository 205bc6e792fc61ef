// 07_incoming_traceparent: a service handling a request. The caller's `traceparent` header is
// extracted and attached, so the service's SERVER span and the LLM spans beneath it join the
// caller's trace instead of starting a new one. Pass a traceparent as the first argument, or the
// example uses a fixed one.
#include <llmtrace/llmtrace.hpp>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

namespace ollama = llmtrace::ollama;

namespace {

// What an HTTP framework hands a handler: the request headers and body.
struct incoming_request {
  std::map<std::string, std::string> headers;
  std::string body;
};

std::string handle(const ollama::client& client, const incoming_request& req) {
  llmtrace::context_scope attach(llmtrace::extract(req.headers));  // the caller's trace becomes current
  llmtrace::span server("POST /ask", llmtrace::span_kind::server,
                        {{"http.request.method", "POST"}, {"url.path", "/ask"}});
  ollama::chat_request chat;
  chat.model = std::getenv("LLMTRACE_CHAT_MODEL") ? std::getenv("LLMTRACE_CHAT_MODEL") : "llama3.2";
  chat.messages = {ollama::message::user(req.body)};
  const auto answer = client.chat(chat);  // `chat {model}` under `POST /ask`, in the caller's trace
  server.set_attribute("http.response.status_code", 200);
  return answer.message.content;
}

}  // namespace

int main(int argc, char** argv) {
  llmtrace::init_options options;
  options.service_name = "example-service";
  if (!std::getenv("OTEL_TRACES_EXPORTER")) options.exporter_names = std::vector<std::string>{"console"};
  auto tracing = llmtrace::init(std::move(options));

  incoming_request req;
  req.headers["traceparent"] = argc > 1 ? argv[1] : "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  req.body = "Summarise the incident report in one line.";
  const auto caller = llmtrace::parse_traceparent(req.headers["traceparent"]);
  if (!caller) {
    std::fprintf(stderr, "invalid traceparent: %s\n", req.headers["traceparent"].c_str());
    return 2;
  }
  try {
    const std::string answer = handle(ollama::client(), req);
    std::printf("%s\n", answer.c_str());
    std::printf("joined the caller's trace %s (parent span %s)\n\n", caller->trace_id.to_hex().c_str(),
                caller->span_id.to_hex().c_str());
  } catch (const ollama::error& e) {
    std::fprintf(stderr, "request failed: %s\n", e.what());
    return 1;
  }
  return 0;
}
