// The spdlog sink: every line becomes a log record with the mapped severity, the source location and
// the ids of the span current on the logging thread; exact under several threads.
#include <llmtrace/logs.hpp>
#include <llmtrace/spdlog_sink.hpp>
#include <llmtrace/trace.hpp>

#include <doctest/doctest.h>
#include <spdlog/logger.h>
#include <spdlog/spdlog.h>

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace llmtrace;
using namespace std::chrono_literals;

namespace {

struct fixture {
  std::shared_ptr<in_memory_log_store> store = std::make_shared<in_memory_log_store>();
  std::shared_ptr<logger_provider> provider;
  tracer_provider tracing;
  explicit fixture(bool batch = false) {
    logger_provider_options o;
    auto exp = std::make_unique<in_memory_log_exporter>(store);
    if (batch) {
      batch_options b = batch_log_processor::default_options();
      b.max_queue_size = 1 << 14;
      o.processors.push_back(std::make_unique<batch_log_processor>(std::move(exp), b));
    } else {
      o.processors.push_back(std::make_unique<simple_log_processor>(std::move(exp)));
    }
    provider = std::make_shared<logger_provider>(std::move(o));
  }
};

std::int64_t int_attr(const log_record& r, std::string_view key) {
  attribute_value v;
  return r.attributes.find(key, v) ? v.as_int() : -1;
}

}  // namespace

TEST_CASE("spdlog sink: severity, body, time, source location, scope, and no ids outside a span") {
  fixture f;
  auto lg = std::make_shared<spdlog::logger>("app.http", std::make_shared<spdlog_sink_mt>(*f.provider));
  lg->set_level(spdlog::level::trace);
  lg->trace("t {}", 1);
  lg->debug("d");
  lg->info("hello {}", "world");
  lg->warn("w");
  lg->error("e");
  lg->critical("c");
  SPDLOG_LOGGER_INFO(lg, "with location");
  const int line = __LINE__ - 1;
  const auto recs = f.store->records();
  REQUIRE(recs.size() == 7);
  const severity expected[] = {severity::trace, severity::debug, severity::info, severity::warn,
                               severity::error, severity::fatal, severity::info};
  const char* texts[] = {"trace", "debug", "info", "warning", "error", "critical", "info"};
  for (std::size_t i = 0; i < recs.size(); ++i) {
    CHECK(recs[i].severity == expected[i]);
    CHECK(recs[i].severity_text == texts[i]);
    CHECK_FALSE(recs[i].has_span());
    CHECK(recs[i].scope->name == "app.http");
    CHECK(recs[i].time_unix_nano > 0);
    CHECK(int_attr(recs[i], "thread.id") > 0);
  }
  CHECK(recs[0].body.as_string() == "t 1");
  CHECK(recs[2].body.as_string() == "hello world");
  CHECK_FALSE(recs[2].attributes.contains("code.line.number"));
  CHECK(int_attr(recs[6], "code.line.number") == line);
  CHECK(recs[6].attributes.get_string("code.file.path").find("test_spdlog_sink.cpp") != std::string_view::npos);
  CHECK_FALSE(recs[6].attributes.get_string("code.function.name").empty());
}

TEST_CASE("spdlog sink under several threads: exact counts, each line carries its own thread's span") {
  fixture f(true);
  auto lg = std::make_shared<spdlog::logger>("workers", std::make_shared<spdlog_sink_mt>(*f.provider));
  constexpr int threads = 6, per_thread = 500;
  std::vector<std::string> span_of_thread(threads), trace_of_thread(threads);
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&, t] {
      span s(f.tracing.get_tracer("w"), "work");
      span_of_thread[static_cast<std::size_t>(t)] = s.span_context().span_id.to_hex();
      trace_of_thread[static_cast<std::size_t>(t)] = s.span_context().trace_id.to_hex();
      for (int i = 0; i < per_thread; ++i) lg->info("thread={} line={}", t, i);
    });
  for (auto& t : ts) t.join();
  lg->info("outside");
  REQUIRE(f.provider->force_flush(10s));
  const auto recs = f.store->records();
  REQUIRE(recs.size() == threads * per_thread + 1);
  std::map<int, int> count;
  int outside = 0;
  for (const auto& r : recs) {
    const std::string body(r.body.as_string());
    if (body == "outside") {
      ++outside;
      CHECK_FALSE(r.has_span());
      continue;
    }
    const int t = std::stoi(body.substr(body.find('=') + 1));
    ++count[t];
    REQUIRE(t >= 0);
    REQUIRE(t < threads);
    CHECK(r.span_id.to_hex() == span_of_thread[static_cast<std::size_t>(t)]);
    CHECK(r.trace_id.to_hex() == trace_of_thread[static_cast<std::size_t>(t)]);
  }
  CHECK(outside == 1);
  for (int t = 0; t < threads; ++t) CHECK(count[t] == per_thread);
  CHECK(f.provider->stats().dropped() == 0);
}

TEST_CASE("spdlog sink on the global provider: silent until a provider is installed, then used") {
  auto lg = std::make_shared<spdlog::logger>("global.sink", std::make_shared<spdlog_sink_st>());
  lg->info("before");  // the no-op provider: nothing happens
  fixture f;
  set_global_logger_provider(f.provider);
  lg->info("after");
  set_global_logger_provider(nullptr);
  const auto recs = f.store->records();
  REQUIRE(recs.size() == 1);
  CHECK(recs[0].body.as_string() == "after");
}
