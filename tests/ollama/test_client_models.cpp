// Model management (pull / push / create / copy / delete with streamed progress, cancellation and
// CLIENT spans), the terminal progress bar, and "is my model on the GPU?" (cached /api/ps lookup,
// ollama.model.* attributes, the console tree's gpu/cpu split), against the fake daemon.
#include <llmtrace/exporters/console.hpp>
#include <llmtrace/ollama/client.hpp>
#include <llmtrace/ollama/progress.hpp>

#include <doctest/doctest.h>

#include "client_test_support.hpp"

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

using namespace ollama_test;
namespace semconv = llmtrace::semconv;

namespace {

std::size_t count_path(const fake_ollama& fake, const std::string& path) {
  std::size_t n = 0;
  for (const auto& r : fake.requests())
    if (r.path == path) ++n;
  return n;
}

std::string read_all(std::FILE* f) {
  std::rewind(f);
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  return out;
}

}  // namespace

TEST_CASE("pull: streamed progress per layer ending in success, a CLIENT span with bytes and layers") {
  tracing t;
  fake_ollama fake;
  auto c = make_client(fake);
  REQUIRE_FALSE(fake.has_model("mistral"));
  std::vector<ol::progress_response> seen;
  const auto r = c.pull("mistral", [&](const ol::progress_response& p) {
    seen.push_back(p);
    return true;
  });
  CHECK(fake.has_model("mistral"));
  CHECK(r.status == "success");
  CHECK_FALSE(r.cancelled);
  CHECK(r.layers == 4);
  CHECK(r.total_bytes == 2019393189 + 1429 + 7711 + 96);
  CHECK(r.completed_bytes == r.total_bytes);
  REQUIRE(seen.size() == 1 + 16 + 3);
  CHECK(seen.front().status == "pulling manifest");
  CHECK(seen[1].status.rfind("pulling ", 0) == 0);
  CHECK(seen[1].digest.rfind("sha256:", 0) == 0);
  CHECK(seen[1].total == 2019393189);
  CHECK(seen[1].completed == 2019393189 / 4);
  CHECK(seen.back().status == "success");
  CHECK(last_for(fake, "/api/pull").json["stream"] == true);

  const auto s = t.one("ollama.pull mistral");
  CHECK(s.kind == llmtrace::span_kind::client);
  CHECK(str(s, semconv::gen_ai_request_model) == "mistral");
  CHECK(str(s, semconv::ollama_api) == "/api/pull");
  CHECK(int_of(s, semconv::ollama_progress_total_bytes) == r.total_bytes);
  CHECK(int_of(s, semconv::ollama_progress_completed_bytes) == r.total_bytes);
  CHECK(int_of(s, semconv::ollama_progress_layers) == 4);
  CHECK(str(s, semconv::ollama_progress_status) == "success");
  CHECK(s.status == llmtrace::status_code::unset);
}

TEST_CASE("pull: an {\"error\"} line is a stream_error on the span; without a callback too") {
  tracing t;
  fake_ollama fake;
  auto c = make_client(fake);
  const auto e = expect_error([&] { (void)c.pull("nosuch-model"); });
  CHECK(e.reason() == ol::error_reason::stream_error);
  CHECK(e.server_message() == "pull model manifest: file does not exist");
  const auto s = t.one("ollama.pull nosuch-model");
  CHECK(s.status == llmtrace::status_code::error);
  CHECK(str(s, semconv::error_type) == "stream_error");
  CHECK(str(s, semconv::ollama_progress_status) == "pulling manifest");
}

TEST_CASE("pull: a stream that ends without success is an incomplete_stream error") {
  fake_ollama fake;
  fake.set_next_mode(stream_mode::eof_without_done, 5);
  auto c = make_client(fake);
  const auto e = expect_error([&] { (void)c.pull("mistral"); });
  CHECK(e.reason() == ol::error_reason::incomplete_stream);
}

TEST_CASE("pull: the callback cancels; the connection closes and the span says so") {
  tracing t;
  fake_ollama fake;
  fake.set_next_mode(stream_mode::hang_after_chunks, 3);
  auto c = make_client(fake);
  std::size_t calls = 0;
  const auto r = c.pull("mistral", [&](const ol::progress_response&) { return ++calls < 2; });
  CHECK(r.cancelled);
  CHECK(calls == 2);
  CHECK(fake.wait_for_disconnects(1, std::chrono::seconds(10)));
  const auto s = t.one("ollama.pull mistral");
  CHECK(boolean(s, semconv::ollama_stream_cancelled));
  CHECK(s.status == llmtrace::status_code::unset);
}

TEST_CASE("create from an existing model, copy, delete (404 when absent), push (namespace required)") {
  tracing t;
  fake_ollama fake;
  auto c = make_client(fake);
  ol::create_request cr;
  cr.model = "pirate";
  cr.from = "llama3.2";
  cr.system = "You are a pirate.";
  cr.parameters = ol::json{{"temperature", 0.2}};
  std::vector<std::string> statuses;
  const auto r = c.create(cr, [&](const ol::progress_response& p) {
    statuses.push_back(p.status);
    return true;
  });
  CHECK(r.status == "success");
  CHECK(statuses.front() == "gathering model components");
  CHECK(fake.has_model("pirate"));
  const auto body = last_for(fake, "/api/create").json;
  CHECK(body["from"] == "llama3.2");
  CHECK(body["system"] == "You are a pirate.");
  CHECK(body["parameters"]["temperature"] == 0.2);
  CHECK(t.one("ollama.create pirate").status == llmtrace::status_code::unset);

  cr.from = "nosuch";
  CHECK(expect_error([&] { (void)c.create(cr); }).server_message() == "model 'nosuch:latest' not found");

  c.copy("pirate", "me/pirate");
  CHECK(fake.has_model("me/pirate"));
  CHECK(t.one("ollama.copy pirate").status == llmtrace::status_code::unset);
  CHECK(expect_error([&] { c.copy("nosuch", "x"); }).status() == 404);

  const auto pushed = c.push(ol::push_request{"me/pirate", false});
  CHECK(pushed.status == "success");
  CHECK(pushed.layers == 4);
  CHECK(expect_error([&] {
          (void)c.push(ol::push_request{"pirate", false});
        })
            .server_message()
            .find("namespace") != std::string::npos);

  c.delete_model("pirate");
  CHECK_FALSE(fake.has_model("pirate"));
  CHECK(last_for(fake, "/api/delete").method == "DELETE");
  const auto e = expect_error([&] { c.delete_model("pirate"); });
  CHECK(e.status() == 404);
  CHECK(e.server_message() == "model 'pirate' not found");
  const auto spans = t.find("ollama.delete pirate");
  REQUIRE(spans.size() == 2);
  CHECK(str(spans[1], semconv::error_type) == "404");
}

TEST_CASE("terminal_progress_bar: bytes, percentage, rate, ETA; status lines; nothing when not a tty") {
  std::FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  ol::progress_bar_options o;
  o.out = f;
  o.force = true;
  o.now = [&] { return now; };
  ol::terminal_progress_bar bar(o);
  CHECK(bar.enabled());
  bar(ol::progress_response{"pulling manifest", "", 0, 0});
  bar(ol::progress_response{"pulling 6a0746a1ec1a", "sha256:6a0746a1ec1a", 2000000000, 0});
  now += std::chrono::seconds(10);
  bar(ol::progress_response{"pulling 6a0746a1ec1a", "sha256:6a0746a1ec1a", 2000000000, 900000000});
  now += std::chrono::seconds(1);
  bar(ol::progress_response{"pulling 6a0746a1ec1a", "sha256:6a0746a1ec1a", 2000000000, 2000000000});
  bar(ol::progress_response{"verifying sha256 digest", "", 0, 0});
  bar.finish();
  const std::string out = read_all(f);
  std::fclose(f);
  CHECK(out.find("pulling manifest\n") == 0);
  CHECK(out.find(" 45% [") != std::string::npos);
  CHECK(out.find("900 MB/2.0 GB  90 MB/s  ETA 12s") != std::string::npos);
  CHECK(out.find("100% [") != std::string::npos);
  CHECK(out.find("\nverifying sha256 digest\n") != std::string::npos);
  CHECK(ol::format_bytes(96) == "96 B");
  CHECK(ol::format_bytes(1429) == "1.4 KB");
  CHECK(ol::format_bytes(274302450) == "274 MB");

  std::FILE* g = std::tmpfile();
  ol::progress_bar_options quiet;
  quiet.out = g;  // a file is not a terminal
  ol::terminal_progress_bar off(quiet);
  CHECK_FALSE(off.enabled());
  off(ol::progress_response{"pulling manifest", "", 0, 0});
  CHECK(read_all(g).empty());
  std::fclose(g);
}

TEST_CASE("GPU residency on inference and embeddings spans from a cached /api/ps") {
  tracing t;
  fake_ollama fake;
  auto c = make_client(fake);
  (void)c.chat(chat_req("llama3.2", "hi"));
  CHECK(count_path(fake, "/api/ps") == 1);  // first sight of the model
  for (int i = 0; i < 3; ++i) (void)c.chat(chat_req("llama3.2", "hi"));
  CHECK(count_path(fake, "/api/ps") == 1);  // steady state: no extra request per call
  for (const auto& s : t.find("chat llama3.2")) {
    CHECK(int_of(s, semconv::ollama_model_size) == 2019393189);
    CHECK(int_of(s, semconv::ollama_model_size_vram) == 2019393189);
    CHECK(dbl(s, semconv::ollama_model_gpu_fraction) == doctest::Approx(1.0));
  }
  (void)c.chat(chat_req("gemma3", "hi"));  // split between GPU and CPU
  const auto g = t.one("chat gemma3");
  CHECK(dbl(g, semconv::ollama_model_gpu_fraction) == doctest::Approx(1602624866.0 / 3338801804.0));
  ol::embed_request er;
  er.model = "all-minilm";
  er.input = {"hello"};
  (void)c.embed(er);
  const auto e = t.one("embeddings all-minilm");
  CHECK(dbl(e, semconv::ollama_model_gpu_fraction) == 0.0);  // CPU only

  const std::size_t before = count_path(fake, "/api/ps");
  fake.set_cold("llama3.2");
  (void)c.chat(chat_req("llama3.2", "hi"));  // a cold start: asked again
  CHECK(count_path(fake, "/api/ps") == before + 1);

  ol::client_options off;
  off.record_gpu = false;
  auto quiet = make_client(fake, off);
  t.clear();
  const std::size_t n = count_path(fake, "/api/ps");
  (void)quiet.chat(chat_req("qwen3", "hi"));
  CHECK(count_path(fake, "/api/ps") == n);
  CHECK_FALSE(has(t.one("chat qwen3"), semconv::ollama_model_gpu_fraction));
}

TEST_CASE("the console tree shows gpu 100% / gpu 48% cpu 52% and calls out CPU-only models") {
  tracing t;
  fake_ollama fake;
  auto c = make_client(fake);
  (void)c.chat(chat_req("llama3.2", "hi"));
  (void)c.chat(chat_req("gemma3", "hi"));
  ol::embed_request er;
  er.model = "all-minilm";
  er.input = {"hello"};
  (void)c.embed(er);
  std::string out;
  for (const auto& s : t.spans()) {
    llmtrace::detail::console_span_line(out, s, false, llmtrace::detail::console_style{});
    out += "\n";
  }
  CHECK(out.find("model=llama3.2  gpu 100%") != std::string::npos);
  CHECK(out.find("model=gemma3  gpu 48% cpu 52%") != std::string::npos);
  CHECK(out.find("model=all-minilm  CPU only") != std::string::npos);
}
