// First of two translation units that include everything: a non-inline definition in a header
// would make the link fail.
#include <llmtrace/llmtrace.hpp>

#include <doctest/doctest.h>

int odr_b_count_spans();

TEST_CASE("two translation units share one global provider") {
  auto store = std::make_shared<llmtrace::in_memory_span_store>();
  llmtrace::provider_options o;
  o.processors.push_back(
      std::make_unique<llmtrace::simple_processor>(std::make_unique<llmtrace::in_memory_exporter>(store)));
  llmtrace::set_global_provider(std::make_shared<llmtrace::tracer_provider>(std::move(o)));
  { llmtrace::span s("from a"); }
  CHECK(odr_b_count_spans() == 1);  // b ends its span through the same global state
  CHECK(store->size() == 2);
  llmtrace::set_global_provider(nullptr);
}
