// Tests for llmtrace/exporters/file.hpp: OTLP/JSON lines, appended per batch; failures reported once.
#include "exporter_test_support.hpp"

#include <llmtrace/batch_processor.hpp>
#include <llmtrace/exporters/file.hpp>
#include <llmtrace/provider.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

using namespace llmtrace;
using namespace llmtrace_test;
using nlohmann::json;

namespace {

constexpr std::chrono::milliseconds timeout{10000};

std::size_t span_count(const json& request) {
  std::size_t n = 0;
  for (const auto& rs : request["resourceSpans"])
    for (const auto& ss : rs["scopeSpans"]) n += ss["spans"].size();
  return n;
}

}  // namespace

TEST_CASE("one ExportTraceServiceRequest per line, appended across batches (golden)") {
  reset_determinism();
  const auto path = temp_path("golden.jsonl");
  {
    auto opt = deterministic_options();
    opt.processors.push_back(
        std::make_unique<batch_processor>(std::make_unique<file_exporter>(file_exporter_options{path.string()})));
    tracer_provider provider(std::move(opt));
    const auto t = provider.get_tracer("rag-demo", "1.0.0");
    emit_rag_trace(t);
    REQUIRE(provider.force_flush(timeout));
    emit_failed_chat(t, 2000);
    REQUIRE(provider.force_flush(timeout));
    CHECK(provider.stats().exported == 8);
  }
  const auto lines = read_lines(path);
  REQUIRE(lines.size() == 2);
  const json first = json::parse(lines[0]);
  const json second = json::parse(lines[1]);
  CHECK(span_count(first) == 7);
  CHECK(span_count(second) == 1);
  CHECK(first["resourceSpans"][0]["scopeSpans"][0]["scope"] == R"({"name":"rag-demo","version":"1.0.0"})"_json);
  check_golden("file_exporter.jsonl", read_file(path));
}

TEST_CASE("a second exporter on the same file appends; nothing is truncated") {
  const auto path = temp_path("append.jsonl");
  {
    file_exporter e(file_exporter_options{path.string()});
    CHECK(export_one(e, test_span("a")) == export_result::success);
    CHECK(export_one(e, test_span("b")) == export_result::success);
  }
  {
    file_exporter e(file_exporter_options{path.string()});
    CHECK(export_one(e, test_span("c")) == export_result::success);
    // Flushed per batch: a reader sees the line before shutdown.
    CHECK(read_lines(path).size() == 3);
    CHECK(e.shutdown(timeout));
  }
  const auto lines = read_lines(path);
  REQUIRE(lines.size() == 3);
  CHECK(json::parse(lines[0])["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["name"] == "a");
  CHECK(json::parse(lines[2])["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["name"] == "c");
}

TEST_CASE("a line torn by an earlier failure is ended before the next request") {
  const auto path = temp_path("torn.jsonl");
  std::ofstream(path, std::ios::binary) << "{\"resourceSpans\":[{\"reso";
  file_exporter e(file_exporter_options{path.string()});
  CHECK(export_one(e, test_span("after")) == export_result::success);
  const auto lines = read_lines(path);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "{\"resourceSpans\":[{\"reso");
  CHECK(json::parse(lines[1])["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["name"] == "after");
}

TEST_CASE("an unwritable path is reported once per failure streak, never thrown") {
  captured_errors errors;
  const auto dir = temp_path("missing-dir");
  const auto path = dir / "traces.jsonl";
  file_exporter e(file_exporter_options{path.string()});
  CHECK(export_one(e, test_span("x")) == export_result::failure);
  CHECK(export_one(e, test_span("y")) == export_result::failure);
  REQUIRE(errors.size() == 1);
  CHECK(errors.count("file exporter: cannot open " + path.string()) == 1);
  CHECK(errors.count("No such file or directory") == 1);

  // The directory appears: the next batch opens the file and succeeds; the streak is over.
  std::filesystem::create_directories(dir);
  CHECK(export_one(e, test_span("z")) == export_result::success);
  CHECK(read_lines(path).size() == 1);
  CHECK(errors.size() == 1);
}

TEST_CASE("a full disk is reported once, and the batch counts as failed") {
  if (!std::filesystem::exists("/dev/full")) {
    MESSAGE("skipped: no /dev/full on this system");
    return;
  }
  captured_errors errors;
  file_exporter e(file_exporter_options{"/dev/full"});
  CHECK(export_one(e, test_span("a")) == export_result::failure);
  CHECK(export_one(e, test_span("b")) == export_result::failure);
  CHECK(errors.size() == 1);
  CHECK(errors.count("cannot write to /dev/full: No space left on device") == 1);
}

TEST_CASE("the path comes from the options, else LLMTRACE_TRACES_FILE, else the default name") {
  {
    scoped_env env("LLMTRACE_TRACES_FILE", std::nullopt);
    CHECK(file_exporter().path() == "llmtrace-traces.jsonl");
    CHECK(file_exporter_options_from_env().path == "llmtrace-traces.jsonl");
  }
  {
    scoped_env env("LLMTRACE_TRACES_FILE", "/tmp/from-env.jsonl");
    CHECK(file_exporter().path() == "/tmp/from-env.jsonl");
    CHECK(file_exporter(file_exporter_options{"/tmp/explicit.jsonl"}).path() == "/tmp/explicit.jsonl");
  }
}

TEST_CASE("after shutdown, batches are refused and the file is left alone") {
  const auto path = temp_path("shutdown.jsonl");
  file_exporter e(file_exporter_options{path.string()});
  CHECK(export_one(e, test_span("a")) == export_result::success);
  CHECK(e.shutdown(timeout));
  CHECK(export_one(e, test_span("b")) == export_result::failure);
  CHECK(read_lines(path).size() == 1);
}

TEST_CASE("an empty batch writes nothing") {
  const auto path = temp_path("empty.jsonl");
  file_exporter e(file_exporter_options{path.string()});
  CHECK(e.export_batch(span_batch(nullptr, 0)) == export_result::success);
  CHECK_FALSE(std::filesystem::exists(path));
}
