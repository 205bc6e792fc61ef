// First of two translation units that include everything: a non-inline definition in a header
// would make the link fail.
#include <llmtrace/llmtrace.hpp>

#include <doctest/doctest.h>

int odr_b_count_spans();
bool disabled_tu_init_installs_a_provider();  // disabled.cpp (LLMTRACE_DISABLE)
bool disabled_tu_span_records();

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

TEST_CASE("a disabled translation unit linked with enabled ones: each keeps its own mode") {
  // Before the mode was part of the ABI namespace, the linker kept one init() for both modes, so
  // one of the two checks below failed whatever the link order. Both sides call init() through its
  // address, so the out-of-line copy the linker kept runs (inlining would hide the violation).
  llmtrace::sdk_guard (*volatile init_fn)(llmtrace::init_options) = &llmtrace::init;
  CHECK_FALSE(disabled_tu_init_installs_a_provider());
  CHECK_FALSE(llmtrace::global_provider().active());

  auto store = std::make_shared<llmtrace::in_memory_span_store>();
  llmtrace::init_options o;
  o.exporter_names = std::vector<std::string>{};
  o.exporters.push_back(std::make_unique<llmtrace::in_memory_exporter>(store));
  auto guard = init_fn(std::move(o));
  REQUIRE(guard.active());
  CHECK(llmtrace::global_provider().active());
  CHECK_FALSE(disabled_tu_span_records());
  {
    llmtrace::span s("enabled");
    CHECK(s.is_recording());
  }
  CHECK(guard.force_flush());
  CHECK(store->size() == 1);
  CHECK(store->find("enabled").size() == 1);
}
