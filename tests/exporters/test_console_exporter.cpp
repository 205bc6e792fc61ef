// Tests for llmtrace/exporters/console.hpp: trace trees (golden), late and orphaned spans, bounded
// memory, colour only on terminals, NO_COLOR.
#include "exporter_test_support.hpp"

#include <llmtrace/batch_processor.hpp>
#include <llmtrace/exporters/console.hpp>
#include <llmtrace/processor.hpp>
#include <llmtrace/provider.hpp>
#include <llmtrace/span.hpp>

#include <doctest/doctest.h>

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace llmtrace;
using namespace llmtrace_test;

namespace {

constexpr std::chrono::milliseconds timeout{10000};

enum class processing { simple, batch };

// A deterministic provider whose only processor feeds a console exporter writing to `out`.
std::unique_ptr<tracer_provider> console_provider(std::ostream& out, processing p = processing::simple,
                                                  console_exporter_options o = {}) {
  reset_determinism();
  o.stream = &out;
  auto exp = std::make_unique<console_exporter>(o);
  auto opt = deterministic_options();
  if (p == processing::simple)
    opt.processors.push_back(std::make_unique<simple_processor>(std::move(exp)));
  else
    opt.processors.push_back(std::make_unique<batch_processor>(std::move(exp)));
  return std::make_unique<tracer_provider>(std::move(opt));
}

std::size_t occurrences(const std::string& text, std::string_view needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

// A context whose span was never recorded here: children of it wait for a parent that never comes.
context missing_parent() {
  span_context sc;
  sc.trace_id = *trace_id::from_hex("4b0000000000000000000000000000aa");
  sc.span_id = *span_id::from_hex("5a000000000000bb");
  sc.trace_flags = trace_flag_sampled;
  return context(sc);
}

}  // namespace

TEST_CASE("a RAG trace prints as one tree once its root ends (golden)") {
  std::ostringstream out;
  auto provider = console_provider(out);
  const auto t = provider->get_tracer("rag-demo");
  emit_rag_trace(t);
  const std::string after_rag = out.str();
  emit_failed_chat(t, 2000);
  CHECK(occurrences(after_rag, "trace ") == 1);
  check_golden("console_rag.txt", out.str());
}

TEST_CASE("children that arrive in earlier batches wait for their root; the batch processor gives the same tree") {
  std::ostringstream simple_out, batch_out;
  {
    auto provider = console_provider(simple_out);
    emit_rag_trace(provider->get_tracer("rag-demo"));
    emit_failed_chat(provider->get_tracer("rag-demo"), 2000);
  }
  {
    auto provider = console_provider(batch_out, processing::batch);
    emit_rag_trace(provider->get_tracer("rag-demo"));
    emit_failed_chat(provider->get_tracer("rag-demo"), 2000);
    REQUIRE(provider->force_flush(timeout));
  }
  CHECK(batch_out.str() == simple_out.str());
}

TEST_CASE("nothing of a trace is printed before its root ends") {
  std::ostringstream out;
  auto provider = console_provider(out);
  const auto t = provider->get_tracer("rag-demo");
  at_ms(0);
  span root(t, "invoke_workflow rag");
  {
    at_ms(1);
    span child(t, "retrieval docs");
    at_ms(2);
  }
  CHECK(out.str().empty());
  at_ms(3);
  root.end();
  CHECK(out.str().find("└─ retrieval docs  1.00 ms") != std::string::npos);
}

TEST_CASE("children that end after their root are printed later, under their parent (golden)") {
  std::ostringstream out;
  auto provider = console_provider(out);
  const auto t = provider->get_tracer("rag-demo");
  at_ms(0);
  span root(t, "invoke_workflow rag");
  at_ms(1);
  span chat(t, "chat llama3.2", span_kind::client, {{semconv::gen_ai_request_model, "llama3.2"}});
  const context chat_ctx = chat.context();
  at_ms(2);
  span stream_reader = span::detached(t, "read stream", chat_ctx);
  at_ms(3);
  span early(t, "early child");  // a child of chat (current), ends before the root
  at_ms(4);
  early.end();
  at_ms(10);
  root.end();  // chat and the stream reader are still running
  const std::string first = out.str();
  CHECK(occurrences(first, "trace ") == 1);
  CHECK(first.find("chat llama3.2") == std::string::npos);
  CHECK(first.find("early child") == std::string::npos);  // waits for chat, its parent

  at_ms(12);
  {
    span grandchild = span::detached(t, "parse chunk", stream_reader.context());
    at_ms(13);
  }
  at_ms(15);
  stream_reader.end();  // its parent (chat) has not been printed: waits
  CHECK(out.str() == first);
  at_ms(20);
  chat.end();  // chat's parent (the root) was printed: chat and everything under it follow
  check_golden("console_late.txt", out.str());
}

TEST_CASE("orphans whose parent never arrives are printed at flush, marked incomplete") {
  std::ostringstream out;
  auto provider = console_provider(out);
  const auto t = provider->get_tracer("rag-demo");
  const context parent = missing_parent();
  at_ms(0);
  {
    span_start_options o;
    o.parent = &parent;
    span orphan(t, "embeddings nomic-embed-text", o);
    orphan.set_attribute(semconv::gen_ai_usage_input_tokens, 7);
    at_ms(5);
  }
  CHECK(out.str().empty());
  REQUIRE(provider->force_flush(timeout));
  CHECK(out.str() ==
        "trace 4b0000000000000000000000000000aa (rag-demo) incomplete: parent not received\n"
        "… span 5a000000000000bb (not received)\n"
        "  └─ embeddings nomic-embed-text  5.00 ms  tokens in=7\n"
        "\n");
  // Flushed spans are not printed twice.
  REQUIRE(provider->force_flush(timeout));
  CHECK(occurrences(out.str(), "trace ") == 1);
}

TEST_CASE("shutdown prints what still waits") {
  std::ostringstream out;
  auto provider = console_provider(out);
  const context parent = missing_parent();
  {
    span_start_options o;
    o.parent = &parent;
    span orphan(provider->get_tracer("x"), "orphan", o);
  }
  CHECK(out.str().empty());
  provider->shutdown(timeout);
  CHECK(out.str().find("└─ orphan") != std::string::npos);
}

TEST_CASE("memory is bounded: past max_pending_spans the oldest waiting trace is printed incomplete") {
  std::ostringstream out;
  console_exporter_options o;
  o.max_pending_spans = 2;
  auto provider = console_provider(out, processing::simple, o);
  const auto t = provider->get_tracer("x");
  // Three open roots (not current, so each starts its own trace), each with a finished child.
  std::vector<span> open_roots;
  for (int i = 0; i < 3; ++i) {
    span_start_options so;
    so.new_root = true;
    so.make_current = false;
    open_roots.emplace_back(t, "open " + std::to_string(i), so);
    span child = span::detached(t, "waiting " + std::to_string(i), open_roots.back().context());
    child.end();
  }
  // Three waiting spans, limit two: the oldest trace (waiting 0) was printed as incomplete.
  CHECK(occurrences(out.str(), "trace ") == 1);
  CHECK(out.str().find("waiting 0") != std::string::npos);
  CHECK(out.str().find("incomplete") != std::string::npos);
  CHECK(out.str().find("waiting 1") == std::string::npos);
  // Its root, arriving later, attaches nothing twice.
  open_roots[0].end();
  CHECK(occurrences(out.str(), "waiting 0") == 1);
  CHECK(out.str().find("open 0") != std::string::npos);
}

TEST_CASE("a late span of a forgotten trace is printed at flush instead of being lost") {
  std::ostringstream out;
  console_exporter_options o;
  o.max_remembered_spans = 1;
  auto provider = console_provider(out, processing::simple, o);
  const auto t = provider->get_tracer("x");
  span first(t, "first root");
  const context first_ctx = first.context();
  first.end();
  { span other(t, "second root"); }  // printing it forgets the first trace
  { span late = span::detached(t, "late child", first_ctx); }
  CHECK(out.str().find("late child") == std::string::npos);
  REQUIRE(provider->force_flush(timeout));
  CHECK(out.str().find("incomplete") != std::string::npos);
  CHECK(out.str().find("late child") != std::string::npos);
}

TEST_CASE("a remote parent makes a local root") {
  std::ostringstream out;
  auto provider = console_provider(out);
  span_context remote;
  remote.trace_id = *trace_id::from_hex("0af7651916cd43dd8448eb211c80319c");
  remote.span_id = *span_id::from_hex("b7ad6b7169203331");
  remote.trace_flags = trace_flag_sampled;
  remote.is_remote = true;
  const context parent(remote);
  {
    span_start_options o;
    o.kind = span_kind::server;
    o.parent = &parent;
    span server(provider->get_tracer("x"), "POST /ask", o);
  }
  CHECK(out.str().rfind("trace 0af7651916cd43dd8448eb211c80319c (rag-demo)\nPOST /ask  0 ns\n", 0) == 0);
}

TEST_CASE("colour: never for a non-terminal stream, always on request, ANSI around the name") {
  std::ostringstream a, b;
  CHECK_FALSE(console_exporter(console_exporter_options{nullptr, &a, console_color::automatic}).color());
  CHECK(console_exporter(console_exporter_options{nullptr, &b, console_color::always}).color());
  CHECK_FALSE(console_exporter(console_exporter_options{nullptr, &b, console_color::never}).color());

  std::ostringstream plain, coloured;
  {
    auto provider = console_provider(plain);
    emit_failed_chat(provider->get_tracer("x"), 0);
  }
  {
    console_exporter_options o;
    o.color = console_color::always;
    auto provider = console_provider(coloured, processing::simple, o);
    emit_failed_chat(provider->get_tracer("x"), 0);
  }
  CHECK(plain.str().find('\x1b') == std::string::npos);
  CHECK(coloured.str().find("\x1b[1mchat llama3.2\x1b[0m") != std::string::npos);
  CHECK(coloured.str().find("\x1b[1;31mERROR timeout") != std::string::npos);
}

TEST_CASE("colour on a terminal unless NO_COLOR is set (pseudo-terminal)") {
  const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) {
    MESSAGE("skipped: no pseudo-terminals here");
    if (master >= 0) ::close(master);
    return;
  }
  std::FILE* tty = std::fopen(::ptsname(master), "w");
  REQUIRE(tty != nullptr);
  {
    scoped_env env("NO_COLOR", std::nullopt);
    CHECK(console_exporter(console_exporter_options{tty}).color());
  }
  {
    scoped_env env("NO_COLOR", "");  // empty counts as unset (no-color.org)
    CHECK(console_exporter(console_exporter_options{tty}).color());
  }
  {
    scoped_env env("NO_COLOR", "1");
    CHECK_FALSE(console_exporter(console_exporter_options{tty}).color());
    CHECK(console_exporter(console_exporter_options{tty, nullptr, console_color::always}).color());
  }
  {
    // A real write to the terminal arrives with colour.
    scoped_env env("NO_COLOR", std::nullopt);
    console_exporter e(console_exporter_options{tty});
    CHECK(export_one(e, test_span("tty span")) == export_result::success);
    // Read what the terminal received (it may come in pieces) until the span's line is there.
    std::string received;
    while (received.find("tty span") == std::string::npos) {
      pollfd pfd{master, POLLIN, 0};
      if (::poll(&pfd, 1, 5000) != 1) break;
      char buf[512];
      const auto n = ::read(master, buf, sizeof buf);
      if (n <= 0) break;
      received.append(buf, static_cast<std::size_t>(n));
    }
    CHECK(received.find("\x1b[1mtty span") != std::string::npos);
  }
  std::fclose(tty);
  ::close(master);
}

TEST_CASE("names are sanitised: no control characters or escape sequences reach the terminal") {
  std::ostringstream out;
  auto provider = console_provider(out);
  { span s(provider->get_tracer("x"), "evil\x1b[2J\nname\xff"); }
  CHECK(out.str().find('\x1b') == std::string::npos);
  CHECK(out.str().find("evil [2J name\xEF\xBF\xBD") != std::string::npos);
}

TEST_CASE("ollama phase timings from attributes show when no phase spans do") {
  std::ostringstream out;
  auto provider = console_provider(out);
  {
    at_ms(0);
    span chat(provider->get_tracer("x"), "chat llama3.2");
    chat.set_attribute(semconv::ollama_load_duration, 2.5);
    chat.set_attribute(semconv::ollama_prompt_eval_duration, 0.12);
    chat.set_attribute(semconv::ollama_eval_duration, 1.19);
    chat.set_attribute(semconv::ollama_cold_start, true);
    at_ms(4000);
  }
  CHECK(out.str().find("chat llama3.2  4.00 s  ollama load=2.50 s prompt_eval=120 ms eval=1.19 s  cold start\n") !=
        std::string::npos);
}

TEST_CASE("durations read in human units") {
  using detail::console_duration;
  CHECK(console_duration(0) == "0 ns");
  CHECK(console_duration(850) == "850 ns");
  CHECK(console_duration(12345) == "12.3 µs");
  CHECK(console_duration(999999) == "1.00 ms");
  CHECK(console_duration(42500000) == "42.5 ms");
  CHECK(console_duration(1370500000) == "1.37 s");
  CHECK(console_duration(59999000000) == "1m00s");
  CHECK(console_duration(125000000000) == "2m05s");
  CHECK(console_duration(3720000000000) == "1h02m");
  CHECK(console_duration(-5) == "0 ns");
}

TEST_CASE("a failing output stream is reported once and the export fails") {
  captured_errors errors;
  std::ostringstream out;
  out.setstate(std::ios::badbit);
  console_exporter e(console_exporter_options{nullptr, &out});
  CHECK(export_one(e, test_span("x")) == export_result::failure);
  CHECK(export_one(e, test_span("y")) == export_result::failure);
  CHECK(errors.count("console exporter: cannot write") == 1);
}

TEST_CASE("many threads, one exporter: every trace printed once, completely") {
  std::ostringstream out;
  auto exp = std::make_unique<console_exporter>(console_exporter_options{nullptr, &out});
  provider_options opt;
  opt.processors.push_back(std::make_unique<batch_processor>(std::move(exp)));
  tracer_provider provider(std::move(opt));
  const auto t = provider.get_tracer("x");
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k)
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        span root(t, "root");
        { span a(t, "a"); }
        { span b(t, "b"); }
      }
    });
  for (auto& th : threads) th.join();
  REQUIRE(provider.force_flush(timeout));
  const std::string text = out.str();
  CHECK(occurrences(text, "trace ") == 200);
  CHECK(occurrences(text, "├─ a") == 200);
  CHECK(occurrences(text, "└─ b") == 200);
  CHECK(occurrences(text, "incomplete") == 0);
}
