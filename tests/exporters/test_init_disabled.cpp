// llmtrace/init.hpp under LLMTRACE_DISABLE: init() reads nothing and installs nothing.
#define LLMTRACE_DISABLE
#include "exporter_test_support.hpp"

#include <llmtrace/init.hpp>

#include <doctest/doctest.h>

#include <filesystem>

TEST_CASE("under LLMTRACE_DISABLE, init returns a guard that does nothing whatever the environment says") {
  const auto path = llmtrace_test::temp_path("disabled.jsonl");
  llmtrace_test::scoped_env exporters("OTEL_TRACES_EXPORTER", "file,console");
  llmtrace_test::scoped_env file("LLMTRACE_TRACES_FILE", path.string());
  llmtrace_test::captured_errors errors;
  {
    auto guard = llmtrace::init();
    CHECK_FALSE(guard.active());
    CHECK(guard.exporter_names().empty());
    CHECK_FALSE(llmtrace::global_provider().active());
    { llmtrace::span s("nothing"); }
    CHECK(guard.stats().exported == 0);
    CHECK(guard.shutdown());
  }
  CHECK_FALSE(std::filesystem::exists(path));
  CHECK(errors.size() == 0);
}
