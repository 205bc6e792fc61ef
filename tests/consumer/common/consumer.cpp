// A consumer's translation unit: includes the umbrella header, makes one traced call (a span with
// attributes) through the global provider into an in-memory exporter, and exits non-zero unless
// exactly that span arrived with its attributes. Shared by the find_package, add_subdirectory and
// fetch_content consumer projects (LLMTRACE_CONSUMER_KIND names which one built it). Built with
// LLMTRACE_CONSUMER_CORE against llmtrace::core: the light core's headers only, and none of the
// dependencies of the full target may be reachable through them.
#if defined(LLMTRACE_CONSUMER_CORE)
#include <llmtrace/exporters/in_memory.hpp>
#include <llmtrace/processor.hpp>
#include <llmtrace/trace.hpp>
#if defined(NLOHMANN_JSON_VERSION_MAJOR) || defined(CURLINC_CURL_H) || defined(LLMTRACE_HAS_CURL) || \
    defined(LLMTRACE_HAS_ZLIB)
#error "llmtrace::core brought in a dependency of the full target"
#endif
#else
#include <llmtrace/llmtrace.hpp>
#endif

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#ifndef LLMTRACE_CONSUMER_KIND
#error "the consumer project defines LLMTRACE_CONSUMER_KIND"
#endif

namespace {

int fail(const char* what) {
  std::fprintf(stderr, "consumer(%s): FAILED: %s\n", LLMTRACE_CONSUMER_KIND, what);
  return 1;
}

// The instrumented application code: a span guard with attributes around the work.
int answer_question(std::string_view question) {
  llmtrace::span s("consumer.answer_question", llmtrace::span_kind::client);
  s.set_attribute("consumer.kind", LLMTRACE_CONSUMER_KIND);
  s.set_attribute("consumer.question_chars", static_cast<std::int64_t>(question.size()));
  const int result = 42;
  s.set_attribute("consumer.answer", result);
  return result;
}

}  // namespace

int main() {
#ifdef LLMTRACE_CONSUMER_EXPECTED_VERSION
  // The version header the package ships must be the version the package claims.
  if (std::strcmp(LLMTRACE_VERSION_STRING, LLMTRACE_CONSUMER_EXPECTED_VERSION) != 0)
    return fail("LLMTRACE_VERSION_STRING differs from the packaged version");
#endif

  auto store = std::make_shared<llmtrace::in_memory_span_store>();
  llmtrace::provider_options options;
  options.processors.push_back(
      std::make_unique<llmtrace::simple_processor>(std::make_unique<llmtrace::in_memory_exporter>(store)));
  llmtrace::set_global_provider(std::make_shared<llmtrace::tracer_provider>(std::move(options)));

  if (answer_question("what is the answer?") != 42) return fail("the traced call returned a wrong value");
  if (!llmtrace::global_provider().force_flush()) return fail("force_flush failed");

  const auto spans = store->find("consumer.answer_question");
  if (spans.size() != 1) return fail("expected exactly one span named consumer.answer_question");
  const auto& s = spans.front();
  llmtrace::attribute_value v;
  if (s.attributes.get_string("consumer.kind") != LLMTRACE_CONSUMER_KIND) return fail("attribute consumer.kind");
  if (!s.attributes.find("consumer.answer", v) || v.as_int() != 42) return fail("attribute consumer.answer");
  if (!s.attributes.find("consumer.question_chars", v) || v.as_int() != 19)
    return fail("attribute consumer.question_chars");
  if (s.kind != llmtrace::span_kind::client) return fail("span kind");
  if (s.resource == nullptr || s.resource->attributes.get_string("telemetry.sdk.version") != LLMTRACE_VERSION_STRING)
    return fail("resource telemetry.sdk.version");

  std::printf("consumer(%s): llmtrace %s, span '%s' with %zu attributes arrived\n", LLMTRACE_CONSUMER_KIND,
              LLMTRACE_VERSION_STRING, std::string(s.name()).c_str(), s.attributes.size());
  llmtrace::set_global_provider(nullptr);
  return 0;
}
