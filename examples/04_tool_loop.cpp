// 04_tool_loop: a tool-calling loop. The model asks for a tool, the application runs it inside an
// `execute_tool {name}` span (ollama::tool_span), sends the result back, and repeats until the model
// answers in text. Every step nests under one `weather_agent` span.
#include <llmtrace/llmtrace.hpp>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace ollama = llmtrace::ollama;

namespace {

// The application's tool. A real one would call a weather service.
std::string get_weather(const ollama::json& arguments) {
  const auto city = arguments.find("city");
  if (city == arguments.end() || !city->is_string()) throw std::invalid_argument("get_weather needs a city");
  return "{\"city\":" + city->dump() + ",\"temperature_c\":21,\"sky\":\"clear\"}";
}

}  // namespace

int main() {
  llmtrace::init_options options;
  options.service_name = "example-tool-loop";
  if (!std::getenv("OTEL_TRACES_EXPORTER")) options.exporter_names = std::vector<std::string>{"console"};
  auto tracing = llmtrace::init(std::move(options));

  const ollama::client client;
  ollama::chat_request request;
  request.model = std::getenv("LLMTRACE_CHAT_MODEL") ? std::getenv("LLMTRACE_CHAT_MODEL") : "llama3.2";
  request.tools = {ollama::tool::make_function(
      "get_weather", "Get the current weather for a city",
      ollama::json{{"type", "object"},
                   {"properties", {{"city", {{"type", "string"}, {"description", "City name"}}}}},
                   {"required", {"city"}}})};
  request.messages = {ollama::message::user("What is the weather in Tokyo?")};

  llmtrace::span agent("weather_agent");
  try {
    for (int round = 0; round < 4; ++round) {
      const ollama::chat_response response = client.chat(request);
      request.messages.push_back(response.message);  // the assistant turn, with its tool calls
      if (response.message.tool_calls.empty()) {
        std::printf("%s\n\n", response.message.content.c_str());
        return 0;
      }
      for (const auto& call : response.message.tool_calls) {
        ollama::tool_span tool(call, {{}, {}, "Get the current weather for a city"});
        std::string result;
        try {
          result = get_weather(call.function.arguments);
          tool.set_result(result);
        } catch (const std::exception& e) {
          tool.set_error(e);
          result = std::string("error: ") + e.what();
        }
        std::printf("tool %s(%s) -> %s\n", call.function.name.c_str(), call.function.arguments.dump().c_str(),
                    result.c_str());
        request.messages.push_back(ollama::message::tool(result, call.function.name, call.id));
      }
    }
    std::fprintf(stderr, "the model kept calling tools; giving up after 4 rounds\n");
    return 1;
  } catch (const ollama::error& e) {
    std::fprintf(stderr, "chat failed: %s\n", e.what());
    agent.set_status(llmtrace::status_code::error, e.what());
    return 1;
  }
}
