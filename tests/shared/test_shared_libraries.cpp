// Two shared libraries built with -fvisibility=hidden (lib_a, lib_b) and this executable share one
// global provider, one current context per thread and one error handler: the executable calls
// init(), a span started in library A is the parent of a span started in library B, and both are
// exported once; the global logger and meter providers are the same objects in all three.
#include <llmtrace/exporters/in_memory.hpp>
#include <llmtrace/init.hpp>
#include <llmtrace/metrics/meter.hpp>
#include <llmtrace/trace.hpp>

#include "shared_api.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

TEST_CASE("two -fvisibility=hidden shared libraries and the executable share one provider and context") {
  std::mutex mu;
  std::vector<std::string> errors;
  llmtrace::set_error_handler([&](std::string_view m) {
    std::lock_guard<std::mutex> lk(mu);
    errors.emplace_back(m);
  });

  auto store = std::make_shared<llmtrace::in_memory_span_store>();
  llmtrace::init_options o;
  o.exporter_names = std::vector<std::string>{};
  o.exporters.push_back(std::make_unique<llmtrace::in_memory_exporter>(store));
  auto guard = llmtrace::init(std::move(o));
  REQUIRE(guard.active());
  CHECK(shared_lib_b_sees_provider());
  CHECK(shared_lib_b_logger_provider() == &llmtrace::global_logger_provider());
  CHECK(shared_lib_b_meter_provider() == &llmtrace::metrics::global_meter_provider());

  {
    llmtrace::span app("app.request");
    shared_lib_a_call();
  }
  REQUIRE(guard.force_flush());
  REQUIRE(store->find("lib_a.call").size() == 1);
  REQUIRE(store->find("lib_b.step").size() == 1);
  CHECK(store->size() == 3);
  const auto app = store->find("app.request").front();
  const auto a = store->find("lib_a.call").front();
  const auto b = store->find("lib_b.step").front();
  CHECK(a.parent_span_id == app.context.span_id);
  CHECK(b.parent_span_id == a.context.span_id);
  CHECK(b.context.trace_id == app.context.trace_id);
  CHECK(a.attributes.get_string("lib") == "a");
  CHECK(b.attributes.get_string("lib") == "b");
  {
    std::lock_guard<std::mutex> lk(mu);
    CHECK(errors.size() == 1);
    if (!errors.empty()) CHECK(errors.front().find("lib_b: reported") != std::string::npos);
  }
  CHECK_FALSE(llmtrace::current_span_context().valid());
  CHECK(guard.shutdown());
  CHECK_FALSE(shared_lib_b_sees_provider());
  llmtrace::set_error_handler(nullptr);
}
