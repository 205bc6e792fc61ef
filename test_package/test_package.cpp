// Conan test_package: the packaged headers compile and a program that calls llmtrace::init() with the
// OTLP/HTTP exporter links (libcurl, zlib and nlohmann_json through the package's own CMake config)
// and runs: one span is recorded in memory and handed to the OTLP exporter, which has no collector to
// reach here (port 9 refuses) and drops it within its short timeout.
#include <llmtrace/llmtrace.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

int main() {
  ::setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9", 1);
  ::setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "200", 1);
  ::setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip", 1);
  llmtrace::set_error_handler([](std::string_view) {});  // the refused export is expected

  auto store = std::make_shared<llmtrace::in_memory_span_store>();
  llmtrace::init_options options;
  options.service_name = "test_package";
  options.exporter_names = std::vector<std::string>{"otlp"};
  options.exporters.push_back(std::make_unique<llmtrace::in_memory_exporter>(store));
  options.shutdown_timeout = std::chrono::milliseconds(3000);
  auto guard = llmtrace::init(std::move(options));
  {
    llmtrace::span s("test_package.call");
    s.set_attribute("test_package.ok", true);
  }
  guard.force_flush();
  guard.shutdown();
  const auto spans = store->find("test_package.call");
  const bool otlp = guard.exporter_names().size() == 2 && guard.exporter_names()[0] == "otlp";
  std::printf("llmtrace %s: %zu span(s) recorded, OTLP exporter %s\n", LLMTRACE_VERSION_STRING, spans.size(),
              otlp ? "built" : "missing");
  return spans.size() == 1 && otlp ? 0 : 1;
}
