// 01_hello_span: the smallest traced program. llmtrace::init() sets tracing up from the OTEL_*
// variables (here: the console exporter unless OTEL_TRACES_EXPORTER says otherwise), spans are
// RAII guards, and the console exporter prints the finished trace as a tree.
#include <llmtrace/llmtrace.hpp>

#include <cstdlib>
#include <string>
#include <vector>

int main() {
  llmtrace::init_options options;
  options.service_name = "example-hello";
  if (!std::getenv("OTEL_TRACES_EXPORTER")) options.exporter_names = std::vector<std::string>{"console"};
  auto tracing = llmtrace::init(std::move(options));  // flushes and shuts down when main returns

  llmtrace::span request("handle_request", llmtrace::span_kind::server);
  request.set_attribute("app.user_tier", "pro");
  {
    llmtrace::span step("load_index");  // a child of handle_request while it lives
    step.set_attribute("app.index.documents", 42);
  }
  {
    llmtrace::span step("rank_results");
    step.add_event("cache_miss", {{"app.cache.key", "q:42"}});
  }
  request.set_status(llmtrace::status_code::ok);
  return 0;
}
