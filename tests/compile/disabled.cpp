// LLMTRACE_DISABLE: the same API compiles (the whole umbrella header), a span is an empty object
// whose calls do nothing, and init() installs nothing. This translation unit is linked with enabled
// ones (odr_a.cpp, odr_b.cpp): its names live in the _disabled ABI namespace, so each side keeps its
// own behaviour (odr_a.cpp checks both).
#define LLMTRACE_DISABLE
#include <llmtrace/llmtrace.hpp>

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>

static_assert(std::is_empty_v<llmtrace::span>, "a disabled span holds nothing");

TEST_CASE("disabled mode compiles the whole span API to nothing") {
  llmtrace::span s("disabled", llmtrace::span_kind::client, {{"k", 1}});
  s.set_attribute("a", "b").add_event("e", {{"x", 2}}).set_status(llmtrace::status_code::error, "m");
  s.record_exception(std::runtime_error("x"));
  s.update_name("n");
  auto d = llmtrace::span::detached(llmtrace::tracer(), "d", llmtrace::context());
  CHECK_FALSE(d.is_recording());
  CHECK_FALSE(s.is_recording());
  CHECK_FALSE(s.span_context().valid());
  LLMTRACE_SPAN("macro");
  s.end();
}

#define LLMTRACE_TEST_STR_EX(x) #x
#define LLMTRACE_TEST_STR(x) LLMTRACE_TEST_STR_EX(x)

TEST_CASE("the ABI namespace names the minor version (until 1.0) and the mode") {
  const std::string expected = LLMTRACE_VERSION_MAJOR == 0
                                   ? "v0_" + std::to_string(LLMTRACE_VERSION_MINOR) + "_disabled"
                                   : "v" + std::to_string(LLMTRACE_VERSION_MAJOR) + "_disabled";
  CHECK(std::string(LLMTRACE_TEST_STR(LLMTRACE_ABI_NAMESPACE)) == expected);
  CHECK(std::string(typeid(llmtrace::span).name()).find(expected) != std::string::npos);
}

// Used by odr_a.cpp (an enabled translation unit of the same program). init() is called through its
// address, so the out-of-line copy the linker keeps runs (inlining would hide an ODR violation).
bool disabled_tu_init_installs_a_provider() {
  llmtrace::sdk_guard (*volatile init_fn)(llmtrace::init_options) = &llmtrace::init;
  llmtrace::init_options o;
  o.exporter_names = std::vector<std::string>{"console"};
  auto guard = init_fn(std::move(o));
  return guard.active() || llmtrace::global_provider().active();
}
bool disabled_tu_span_records() {
  llmtrace::span s("from the disabled translation unit");
  return s.is_recording() || s.span_context().valid();
}
