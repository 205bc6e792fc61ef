// Helpers shared by the exporter tests: a deterministic provider (fake clock, sequential ids, fixed
// resource), a RAG-shaped trace, temporary files, golden files, captured errors and scoped
// environment variables. Test-only; not part of the SDK.
#pragma once

#include <llmtrace/error.hpp>
#include <llmtrace/exporter.hpp>
#include <llmtrace/provider.hpp>
#include <llmtrace/semconv.hpp>
#include <llmtrace/span.hpp>

#include <doctest/doctest.h>

#include "../support/fixtures.hpp"

#include <unistd.h>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#ifndef LLMTRACE_EXPORTERS_GOLDEN_DIR
#error "LLMTRACE_EXPORTERS_GOLDEN_DIR must name tests/exporters/golden (tests/exporters/CMakeLists.txt sets it)"
#endif

namespace llmtrace_test {

// --- deterministic time and ids ---------------------------------------------------------------
inline constexpr std::int64_t epoch_ns = 1700000000000000000;  // 2023-11-14T22:13:20Z

inline std::atomic<std::int64_t>& fake_now() {
  static std::atomic<std::int64_t> now{epoch_ns};
  return now;
}
/// Sets the fake clock to `ms` milliseconds after epoch_ns.
inline void at_ms(double ms) { fake_now() = epoch_ns + static_cast<std::int64_t>(ms * 1e6); }
inline std::int64_t fake_clock() noexcept { return fake_now().load(); }

inline std::atomic<std::uint64_t>& id_counter() {
  static std::atomic<std::uint64_t> n{0};
  return n;
}
/// An id whose first byte is `lead` and whose last bytes count up (0x4b...01, 0x5a...02, ...).
template <typename Id>
Id sequential_id(std::uint8_t lead) noexcept {
  Id id;
  const std::uint64_t n = ++id_counter();
  id.bytes[0] = lead;
  for (std::size_t i = 0; i < 7; ++i) id.bytes[Id::size() - 1 - i] = static_cast<std::uint8_t>(n >> (8 * i));
  return id;
}
inline llmtrace::trace_id sequential_trace_id() noexcept { return sequential_id<llmtrace::trace_id>(0x4b); }
inline llmtrace::span_id sequential_span_id() noexcept { return sequential_id<llmtrace::span_id>(0x5a); }

/// A finished, sampled root span named `name` with fresh sequential ids, for exporting directly.
inline llmtrace::span_data test_span(std::string_view name) {
  llmtrace::span_data s;
  s.context.trace_id = sequential_trace_id();
  s.context.span_id = sequential_span_id();
  s.context.trace_flags = llmtrace::trace_flag_sampled;
  s.set_name(name);
  s.start_time_unix_nano = epoch_ns;
  s.end_time_unix_nano = epoch_ns + 1000;
  return s;
}

/// Exports `s` alone.
inline llmtrace::export_result export_one(llmtrace::exporter& e, const llmtrace::span_data& s) {
  const llmtrace::span_data* p = &s;
  return e.export_batch(llmtrace::span_batch(&p, 1));
}

/// Resets the clock and id counters so each test produces the same ids and times.
inline void reset_determinism() {
  fake_now() = epoch_ns;
  id_counter() = 0;
}

/// provider_options with the fake clock, sequential ids and a fixed resource (service.name=rag-demo).
inline llmtrace::provider_options deterministic_options() {
  llmtrace::provider_options o;
  o.resource = llmtrace::resource{};
  o.resource.attributes.set("service.name", "rag-demo");
  o.clock = &fake_clock;
  o.new_trace_id = &sequential_trace_id;
  o.new_span_id = &sequential_span_id;
  return o;
}

// --- traces -----------------------------------------------------------------------------------
namespace sc = llmtrace::semconv;

/// A RAG request: invoke_workflow rag > embeddings, retrieval, chat (> load, prompt_eval, eval).
/// Every start and end time comes from the fake clock; returns the root's trace id.
inline llmtrace::trace_id emit_rag_trace(const llmtrace::tracer& t, double start_ms = 0) {
  using llmtrace::span;
  using llmtrace::span_kind;
  auto at = [&](double ms) { at_ms(start_ms + ms); };
  at(0);
  span root(t, "invoke_workflow rag", span_kind::internal,
            {{sc::gen_ai_operation_name, sc::op_invoke_workflow}, {sc::gen_ai_workflow_name, "rag"}});
  {
    at(1);
    span emb(t, "embeddings nomic-embed-text", span_kind::client,
             {{sc::gen_ai_operation_name, sc::op_embeddings},
              {sc::gen_ai_provider_name, sc::provider_ollama},
              {sc::gen_ai_request_model, "nomic-embed-text"}});
    emb.set_attribute(sc::gen_ai_response_model, "nomic-embed-text");
    emb.set_attribute(sc::gen_ai_usage_input_tokens, 12);
    emb.set_attribute(sc::gen_ai_embeddings_dimension_count, 768);
    at(43.5);
  }
  {
    at(44);
    span ret(t, "retrieval docs", span_kind::internal,
             {{sc::gen_ai_operation_name, sc::op_retrieval},
              {sc::gen_ai_data_source_id, "docs"},
              {sc::gen_ai_retrieval_top_k, 4}});
    ret.set_attribute(sc::llmtrace_retrieval_result_count, 3);
    ret.set_attribute(sc::llmtrace_retrieval_score_best, 0.8312);
    at(46.25);
  }
  {
    at(48);
    span chat(t, "chat llama3.2", span_kind::client,
              {{sc::gen_ai_operation_name, sc::op_chat},
               {sc::gen_ai_provider_name, sc::provider_ollama},
               {sc::gen_ai_request_model, "llama3.2"},
               {sc::gen_ai_request_stream, true}});
    {
      llmtrace::span_start_options o;
      o.start_time_unix_nano = epoch_ns + static_cast<std::int64_t>((start_ms + 50) * 1e6);
      span load(t, "ollama.load", o);
      load.end(epoch_ns + static_cast<std::int64_t>((start_ms + 52) * 1e6));
      o.start_time_unix_nano = epoch_ns + static_cast<std::int64_t>((start_ms + 52) * 1e6);
      span prompt(t, "ollama.prompt_eval", o);
      prompt.end(epoch_ns + static_cast<std::int64_t>((start_ms + 172) * 1e6));
      o.start_time_unix_nano = epoch_ns + static_cast<std::int64_t>((start_ms + 172) * 1e6);
      span eval(t, "ollama.eval", o);
      eval.end(epoch_ns + static_cast<std::int64_t>((start_ms + 1362) * 1e6));
    }
    chat.set_attribute(sc::gen_ai_response_model, "llama3.2:latest");
    chat.set_attribute(sc::gen_ai_usage_input_tokens, 230);
    chat.set_attribute(sc::gen_ai_usage_output_tokens, 85);
    chat.set_attribute(sc::gen_ai_response_finish_reasons, {std::string_view("stop")});
    chat.set_attribute(sc::gen_ai_response_time_to_first_chunk, 0.2125);
    chat.set_attribute(sc::ollama_tokens_per_second, 71.43);
    at(1365);
  }
  root.set_attribute(sc::llmtrace_workflow_time_to_first_chunk, 0.2635);
  at(1370.5);
  return root.span_context().trace_id;
}

/// A chat that failed: error.type=timeout and an Error status.
inline void emit_failed_chat(const llmtrace::tracer& t, double start_ms) {
  at_ms(start_ms);
  llmtrace::span chat(t, "chat llama3.2", llmtrace::span_kind::client,
                      {{sc::gen_ai_operation_name, sc::op_chat},
                       {sc::gen_ai_provider_name, sc::provider_ollama},
                       {sc::gen_ai_request_model, "llama3.2"}});
  chat.set_attribute(sc::error_type, "timeout");
  chat.record_exception("llmtrace::ollama::timeout_error", "no response within 30 s");
  chat.set_status(llmtrace::status_code::error, "no response within 30 s");
  at_ms(start_ms + 30000);
}

// --- files ------------------------------------------------------------------------------------
/// A fresh path in this process's temporary directory, which is removed when the process exits.
inline std::filesystem::path temp_path(std::string_view name) {
  struct temp_dir {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("llmtrace-exporters-" + std::to_string(::getpid()));
    temp_dir() { std::filesystem::create_directories(path); }
    ~temp_dir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static temp_dir dir;
  const auto p = dir.path / std::string(name);
  std::filesystem::remove_all(p);
  return p;
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::vector<std::string> read_lines(const std::filesystem::path& p) {
  std::vector<std::string> out;
  std::ifstream in(p, std::ios::binary);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

/// Compares `actual` with tests/exporters/golden/<name>; LLMTRACE_UPDATE_GOLDEN=1 rewrites the file.
inline void check_golden(std::string_view name, const std::string& actual) {
  const auto path = std::filesystem::path(LLMTRACE_EXPORTERS_GOLDEN_DIR) / std::string(name);
  if (const char* u = std::getenv("LLMTRACE_UPDATE_GOLDEN"); u && std::string_view(u) == "1") {
    std::ofstream(path, std::ios::binary) << actual;
    MESSAGE("golden file rewritten: " << path.string());
    return;
  }
  REQUIRE_MESSAGE(std::filesystem::exists(path),
                  "missing golden file " << path.string() << " (run with LLMTRACE_UPDATE_GOLDEN=1)");
  const std::string expected = read_file(path);
  CHECK_MESSAGE(actual == expected, "output differs from " << path.string() << "\n--- actual ---\n"
                                                           << actual << "--- expected ---\n"
                                                           << expected);
}

}  // namespace llmtrace_test
