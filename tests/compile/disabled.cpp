// LLMTRACE_DISABLE: the same API compiles, and a span is an empty object whose calls do nothing.
#define LLMTRACE_DISABLE
#include <llmtrace/trace.hpp>

#include <doctest/doctest.h>

#include <stdexcept>
#include <type_traits>

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
