// The console and file log exporters: one readable line per record with short ids; OTLP/JSON lines
// that the official JS decoder reads back.
#include <llmtrace/exporters/logs.hpp>
#include <llmtrace/logs.hpp>
#include <llmtrace/trace.hpp>

#include "support/js_decoder.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace llmtrace;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::int64_t fixed_clock() noexcept { return 1764603089123000000; }  // 2025-12-01T15:31:29.123Z

}  // namespace

TEST_CASE("console log exporter: one line per record, severity, scope, event, body, attributes, short ids") {
  std::ostringstream os;
  console_exporter_options co;
  co.stream = &os;
  co.color = console_color::never;
  logger_provider_options lo;
  lo.clock = fixed_clock;
  lo.processors.push_back(std::make_unique<simple_log_processor>(std::make_unique<console_log_exporter>(co)));
  logger_provider lp(std::move(lo));
  tracer_provider tp;
  const logger lg = lp.get_logger("svc.http");
  lg.emit(severity::info, "listening", {{"port", 8080}});
  std::string tid, sid;
  {
    span s(tp.get_tracer("t"), "req");
    tid = s.span_context().trace_id.to_hex();
    sid = s.span_context().span_id.to_hex();
    lg.emit(severity::error, "bad\nthing \x1b[31mred", {{"tags", std::vector<std::string>{"a", "b"}}});
    lg.emit_with([](log_builder& b) {
      b.event_name("my.event").severity(severity::warn).structured("m", any_value::kvlist({{"role", "user"}}));
    });
  }
  const auto lines = lines_of(os.str());
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == "2025-12-01T15:31:29.123Z INFO  svc.http listening  port=8080");
  CHECK(lines[1] == "2025-12-01T15:31:29.123Z ERROR svc.http bad thing  [31mred  tags=[a, b]  trace=" +
                        tid.substr(0, 8) + " span=" + sid.substr(0, 8));
  CHECK(lines[2] == "2025-12-01T15:31:29.123Z WARN  svc.http [my.event]  m={role=user}  trace=" + tid.substr(0, 8) +
                        " span=" + sid.substr(0, 8));
}

TEST_CASE("file log exporter: OTLP/JSON lines the official decoder reads, appended batch by batch") {
  const auto path =
      std::filesystem::temp_directory_path() / ("llmtrace-logs-test-" + std::to_string(::getpid()) + ".jsonl");
  std::filesystem::remove(path);
  {
    logger_provider_options lo;
    lo.processors.push_back(std::make_unique<batch_log_processor>(std::make_unique<file_log_exporter>(path.string())));
    logger_provider lp(std::move(lo));
    const logger lg = lp.get_logger("file.test");
    lg.emit(severity::info, "one");
    REQUIRE(lp.force_flush(std::chrono::seconds(10)));
    lg.emit(severity::warn, any_value::kvlist({{"k", any_value::array({1, "two"})}}));
    lg.emit(severity::debug, "three");
    REQUIRE(lp.shutdown(std::chrono::seconds(10)));
    CHECK(lp.stats().exported == 3);
  }
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  const auto lines = lines_of(ss.str());
  REQUIRE(lines.size() == 2);
  std::vector<std::string> bodies;
  for (const auto& line : lines) {
    const auto doc = nlohmann::json::parse(line);
    for (const auto& rec : doc["resourceLogs"][0]["scopeLogs"][0]["logRecords"]) bodies.push_back(rec["body"].dump());
    if (llmtrace_test::node_available()) {
      const auto decoded = llmtrace_test::js_decode(line, llmtrace_test::otlp_encoding::json, "logs");
      CHECK(decoded["resourceLogs"][0]["scopeLogs"][0]["scope"]["name"] == "file.test");
    }
  }
  REQUIRE(bodies.size() == 3);
  CHECK(bodies[0] == R"({"stringValue":"one"})");
  CHECK(
      bodies[1] ==
      R"({"kvlistValue":{"values":[{"key":"k","value":{"arrayValue":{"values":[{"intValue":"1"},{"stringValue":"two"}]}}}]}})");
  std::filesystem::remove(path);
}

TEST_CASE("file log exporter: an unwritable path drops and counts, it does not throw") {
  logger_provider_options lo;
  auto bp = std::make_unique<batch_log_processor>(
      std::make_unique<file_log_exporter>("/nonexistent-dir-llmtrace/never/logs.jsonl"));
  auto* raw = bp.get();
  lo.processors.push_back(std::move(bp));
  logger_provider lp(std::move(lo));
  lp.get_logger("x").emit(severity::info, "lost");
  lp.force_flush(std::chrono::seconds(10));
  CHECK(raw->stats().dropped_export == 1);
}
