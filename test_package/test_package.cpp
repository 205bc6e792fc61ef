// Conan test_package: the packaged headers compile, link and record a span into memory.
#include <llmtrace/llmtrace.hpp>

#include <cstdio>
#include <memory>
#include <utility>

int main() {
  auto store = std::make_shared<llmtrace::in_memory_span_store>();
  llmtrace::provider_options options;
  options.processors.push_back(
      std::make_unique<llmtrace::simple_processor>(std::make_unique<llmtrace::in_memory_exporter>(store)));
  llmtrace::tracer_provider provider(std::move(options));
  {
    llmtrace::span s(provider.get_tracer("test_package"), "test_package.call");
    s.set_attribute("test_package.ok", true);
  }
  provider.force_flush();
  const auto spans = store->find("test_package.call");
  std::printf("llmtrace %s: %zu span(s) recorded\n", LLMTRACE_VERSION_STRING, spans.size());
  return spans.size() == 1 ? 0 : 1;
}
