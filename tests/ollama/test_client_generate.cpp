// Client tests, part 3: /api/generate: non-streamed and streamed answers, the multi-MB final chunk
// with `context`, load / unload, thinking, and the text_completion span with its phase spans.
#include "client_test_support.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace ollama_test;
namespace semconv = llmtrace::semconv;

TEST_CASE("non-streamed generate: response, context and metrics") {
  fake_ollama fake;
  const auto c = make_client(fake);
  const auto r = c.generate(gen_req("llama3.2", "Why is the sky blue?"));
  CHECK(r.model == "llama3.2");
  CHECK(r.response == "You said: Why is the sky blue?. This is a deterministic reply.");
  CHECK(r.done);
  CHECK(r.done_reason == "stop");
  CHECK_FALSE(r.context.empty());
  CHECK(*r.metrics.eval_count > 0);
  const auto req = last_for(fake, "/api/generate");
  CHECK(req.json.at("stream") == false);
  CHECK(req.json.at("prompt") == "Why is the sky blue?");
}

TEST_CASE("streamed generate with a multi-megabyte final line (tricky case 3)") {
  fake_ollama fake;
  fake.set_huge_context(true, 300000);
  const auto c = make_client(fake);
  for (auto mode : {stream_mode::normal, stream_mode::random_splits}) {
    fake.set_next_mode(mode, 2, 5);
    std::size_t chunks = 0;
    std::size_t final_context = 0;
    const auto r = c.generate(gen_req("llama3.2", "Tell me a story"), [&](const ol::generate_response& ch) {
      ++chunks;
      if (ch.done) final_context = ch.context.size();
      return true;
    });
    CHECK(r.done);
    CHECK(final_context == 300000);
    CHECK(r.context.size() == 300000);
    CHECK(r.response == "You said: Tell me a story. This is a deterministic reply.");
    CHECK(chunks > 3);
  }
  // Non-streamed, the same huge body.
  CHECK(c.generate(gen_req("llama3.2", "again")).context.size() == 300000);

  // A cap below the line size fails clearly instead of buffering without bound.
  ol::client_options small;
  small.max_line_bytes = 64 * 1024;
  const auto capped = make_client(fake, small);
  try {
    (void)capped.generate(gen_req("llama3.2", "x"), [](const ol::generate_response&) { return true; });
    FAIL("expected an error");
  } catch (const ol::error& e) {
    CHECK(e.reason() == ol::error_reason::invalid_response);
    CHECK(std::string(e.what()).find("longer than 65536 bytes") != std::string::npos);
    CHECK_FALSE(e.partial_content().empty());
  }
}

TEST_CASE("empty prompt loads, keep_alive 0 unloads, even when streaming (tricky case 7)") {
  fake_ollama fake;
  const auto c = make_client(fake);
  ol::generate_request load;
  load.model = "cold-llama";
  int chunks = 0;
  const auto r = c.generate(load, [&](const ol::generate_response&) {
    ++chunks;
    return true;
  });
  CHECK(chunks == 1);
  CHECK(r.done_reason == "load");
  CHECK(r.response.empty());
  load.keep_alive = "0";
  CHECK(c.generate(load).done_reason == "unload");
  CHECK(last_for(fake, "/api/generate").json["keep_alive"] == "0");
}

TEST_CASE("generate with thinking and a JSON-schema format") {
  fake_ollama fake;
  fake.set_thinking("qwen3", "Pondering.");
  const auto c = make_client(fake);
  auto req = gen_req("qwen3", "Is 9 prime?");
  req.think = true;
  const auto r = c.generate(req, [](const ol::generate_response&) { return true; });
  CHECK(r.thinking == "Pondering.");
  CHECK_FALSE(r.response.empty());

  auto structured = gen_req("llama3.2", "Describe Tokyo");
  structured.format =
      ol::format_option::schema(ol::json{{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}});
  const auto s = c.generate(structured);
  const auto parsed = ol::json::parse(s.response);
  CHECK(parsed["city"] == "Tokyo");
  CHECK(last_for(fake, "/api/generate").json["format"]["type"] == "object");
}

TEST_CASE("text_completion span with usage, timings and three phase children") {
  tracing tr;
  fake_ollama fake;
  const auto c = make_client(fake);
  auto req = gen_req("llama3.2", "Why is the sky blue?");
  req.system = "Be brief.";
  req.options.temperature = 0.1;
  const auto r = c.generate(req, [](const ol::generate_response&) { return true; });
  const auto s = tr.one("text_completion llama3.2");
  CHECK(s.kind == llmtrace::span_kind::client);
  CHECK(str(s, semconv::gen_ai_operation_name) == "text_completion");
  CHECK(str(s, semconv::gen_ai_provider_name) == "ollama");
  CHECK(str(s, semconv::gen_ai_request_model) == "llama3.2");
  CHECK(str(s, semconv::gen_ai_response_model) == "llama3.2");
  CHECK(boolean(s, semconv::gen_ai_request_stream));
  CHECK(dbl(s, semconv::gen_ai_request_temperature) == doctest::Approx(0.1));
  CHECK(int_of(s, semconv::gen_ai_usage_input_tokens) == *r.metrics.prompt_eval_count);
  CHECK(int_of(s, semconv::gen_ai_usage_output_tokens) == *r.metrics.eval_count);
  CHECK(int_of(s, semconv::ollama_request_message_count) == 1);
  CHECK(str(s, semconv::ollama_api) == "/api/generate");
  CHECK(strings(s, semconv::gen_ai_response_finish_reasons) == std::vector<std::string>{"stop"});
  CHECK(int_of(s, semconv::ollama_chunk_count) > 1);
  const auto kids = tr.children_of(s);
  REQUIRE(kids.size() == 3);
  CHECK(tr.one("ollama.load").parent_span_id == s.context.span_id);
  CHECK(tr.one("ollama.prompt_eval").parent_span_id == s.context.span_id);
  CHECK(tr.one("ollama.eval").parent_span_id == s.context.span_id);
}
