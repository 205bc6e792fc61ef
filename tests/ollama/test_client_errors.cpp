// Client tests, part 2: every failure path. Statuses before the first byte (400 family, 404, 429,
// 499, 500, 503, 403, plain-text 404), errors inside a 200 stream, EOF without done, broken
// connections, timeouts, refused connections; the error object and the span both describe them.
#include "client_test_support.hpp"
#include "net_test_support.hpp"

#include <doctest/doctest.h>

#include <functional>
#include <string>

using namespace ollama_test;
namespace semconv = llmtrace::semconv;
namespace http = llmtrace::http;
using namespace std::chrono_literals;

namespace {

void check_error_span(const tracing& tr, const std::string& name, const std::string& type, const std::string& message) {
  const auto s = tr.one(name);
  CHECK(s.status == llmtrace::status_code::error);
  CHECK(s.status_message == message);
  CHECK(str(s, semconv::error_type) == type);
  const auto* ev = event(s, "exception");
  REQUIRE(ev);
  llmtrace::attribute_value v;
  REQUIRE(ev->attributes.find(semconv::exception_type, v));
  CHECK(v.as_string() == "llmtrace::ollama::error");
}

}  // namespace

TEST_CASE("unknown models: 404 on every endpoint, matched on the status (tricky case 10)") {
  tracing tr;
  fake_ollama fake;
  const auto c = make_client(fake);
  auto e = expect_error([&] { (void)c.chat(chat_req("nosuch", "hi")); });
  CHECK(e.reason() == ol::error_reason::http_status);
  CHECK(e.status() == 404);
  CHECK(e.server_message() == "model 'nosuch' not found");
  CHECK(e.endpoint() == "/api/chat");
  CHECK_FALSE(e.retryable());
  check_error_span(tr, "chat nosuch", "404", "model 'nosuch' not found");
  CHECK(boolean(tr.one("chat nosuch"), semconv::ollama_error_retryable) == false);
  CHECK(str(tr.one("chat nosuch"), semconv::ollama_error_reason) == "http_status");

  ol::embed_request er;
  er.model = "nosuch";
  er.input = {"x"};
  e = expect_error([&] { (void)c.embed(er); });
  CHECK(e.status() == 404);
  CHECK(e.server_message() == "model \"nosuch\" not found, try pulling it first");
  check_error_span(tr, "embeddings nosuch", "404", "model \"nosuch\" not found, try pulling it first");

  e = expect_error([&] { (void)c.show("nosuch"); });
  CHECK(e.status() == 404);
  CHECK(e.server_message() == "model 'nosuch:latest' not found");

  ol::generate_request g;
  g.model = "";
  g.prompt = "x";
  e = expect_error([&] { (void)c.generate(g); });
  CHECK(e.status() == 404);
  CHECK(e.server_message() == "model '' not found");
  const auto gs = tr.one("text_completion");  // no model: the span name is the operation alone
  CHECK_FALSE(has(gs, semconv::gen_ai_request_model));
}

TEST_CASE("the 400 family (tricky case 11)") {
  fake_ollama fake;
  const auto c = make_client(fake);
  auto e = expect_error([&] { (void)c.chat(chat_req("", "hi")); });
  CHECK(e.status() == 400);
  CHECK(e.server_message() == "model is required");

  auto bad_think = chat_req("qwen3", "hi");
  bad_think.think = "extreme";
  e = expect_error([&] { (void)c.chat(bad_think); });
  CHECK(e.reason() == ol::error_reason::invalid_request);  // caught before sending, the server's words
  CHECK(e.server_message() ==
        "invalid think value: \"extreme\" (must be \"high\", \"medium\", \"low\", \"max\", true, or false)");

  auto tl = chat_req("llama3.2", "hi");
  tl.top_logprobs = 21;
  e = expect_error([&] { (void)c.chat(tl); });
  CHECK(e.reason() == ol::error_reason::invalid_request);
  CHECK(e.server_message() == "top_logprobs must be between 0 and 20");

  auto no_tools = chat_req("gemma3", "weather?");
  no_tools.tools.push_back(weather_tool());
  e = expect_error([&] { (void)c.chat(no_tools); });
  CHECK(e.status() == 400);
  CHECK(e.server_message() == "registry.ollama.ai/library/gemma3:latest does not support tools");

  ol::generate_request raw;
  raw.model = "llama3.2";
  raw.prompt = "x";
  raw.raw = true;
  raw.system = "sys";
  e = expect_error([&] { (void)c.generate(raw); });
  CHECK(e.server_message() == "raw mode does not support template, system, or context");

  ol::chat_request chat_on_embedder = chat_req("nomic-embed-text", "hi");
  e = expect_error([&] { (void)c.chat(chat_on_embedder); });
  CHECK(e.server_message() == "\"nomic-embed-text\" does not support chat");
}

TEST_CASE("Go decoder messages pass through unchanged (tricky case 11)") {
  fake_ollama fake;
  const auto c = make_client(fake);
  auto req = chat_req("llama3.2", "hi");
  req.extra["stream"] = "yes";  // extra fields override: a wrong type for `stream`
  const auto e = expect_error([&] { (void)c.chat(req); });
  CHECK(e.status() == 400);
  CHECK(e.server_message() == "json: cannot unmarshal string into Go struct field ChatRequest.stream of type bool");
}

TEST_CASE("wrong option types are a 500 (tricky case 20); unknown option keys are ignored") {
  fake_ollama fake;
  const auto c = make_client(fake);
  auto req = chat_req("llama3.2", "hi");
  req.options.extra["temperature"] = "hot";
  const auto e = expect_error([&] { (void)c.chat(req); });
  CHECK(e.status() == 500);
  CHECK(e.server_message() == "option \"temperature\" must be of type float32");
  CHECK_FALSE(e.retryable());

  auto ok = chat_req("llama3.2", "hi");
  ok.options.extra["mirostat"] = 2;
  CHECK(c.chat(ok).done);
}

TEST_CASE("overload, rate limit, cancel and crash statuses (tricky case 12), before the first byte (9)") {
  tracing tr;
  fake_ollama fake;
  const auto c = make_client(fake);

  fake.fail_next(503, fake_ollama::server_busy_message);
  bool called = false;
  auto e = expect_error([&] {
    (void)c.chat(chat_req("llama3.2", "hi"), [&](const ol::chat_response&) {
      called = true;
      return true;
    });
  });
  CHECK_FALSE(called);  // the status is checked before any NDJSON parsing
  CHECK(e.status() == 503);
  CHECK(e.server_message() == "server busy, please try again.  maximum pending requests exceeded");
  CHECK(e.retryable());
  check_error_span(tr, "chat llama3.2", "503", fake_ollama::server_busy_message);
  tr.clear();

  fake.fail_next(429, "rate limit exceeded");
  e = expect_error([&] { (void)c.generate(gen_req("llama3.2", "hi")); });
  CHECK(e.status() == 429);
  CHECK(e.retryable());
  CHECK(str(tr.one("text_completion llama3.2"), semconv::error_type) == "429");

  fake.fail_next(499, fake_ollama::request_canceled_message);
  e = expect_error([&] { (void)c.chat(chat_req("llama3.2", "hi")); });
  CHECK(e.status() == 499);
  CHECK_FALSE(e.retryable());

  fake.fail_next(500, "an error was encountered while running the model");
  e = expect_error([&] { (void)c.chat(chat_req("llama3.2", "hi")); });
  CHECK(e.status() == 500);
  CHECK(e.server_message() == "an error was encountered while running the model");
  CHECK_FALSE(e.retryable());

  fake.fail_next(503, "model is overloaded", 1, "/api/embed");
  ol::embed_request er;
  er.model = "all-minilm";
  er.input = {"x"};
  e = expect_error([&] { (void)c.embed(er); });
  CHECK(e.status() == 503);
  CHECK(e.server_message() == "model is overloaded");
}

TEST_CASE("plain-text 404 for an unknown path and an empty 403 (tricky case 22)") {
  fake_ollama fake;
  ol::client_options o;
  const auto wrong_prefix = [&] {
    ol::client_options p;
    p.host = fake.base_url() + "/not-ollama/";
    p.capture_content = ol::content_capture::no_content;
    p.transport = std::make_shared<llmtrace::http::curl_transport>();
    return ol::client(p);
  }();
  CHECK(wrong_prefix.base_url() == fake.base_url() + "/not-ollama");
  auto e = expect_error([&] { (void)wrong_prefix.chat(chat_req("llama3.2", "hi")); });
  CHECK(e.status() == 404);
  CHECK(e.server_message() == "404 page not found");
  CHECK(last_for(fake, "/not-ollama/api/chat").method == "POST");

  o.headers.push_back({"Host", "evil.example"});
  const auto remote_host = make_client(fake, o);
  e = expect_error([&] { (void)remote_host.chat(chat_req("llama3.2", "hi")); });
  CHECK(e.status() == 403);
  CHECK(e.server_message() == "Forbidden");  // empty body: the reason phrase

  llmtrace::http::response r405;
  r405.status = 405;
  r405.body = "405 method not allowed";
  CHECK(ol::detail::server_message(r405) == "405 method not allowed");
  llmtrace::http::response openai;
  openai.status = 404;
  openai.body = R"({"error":{"message":"model not found","type":"not_found_error","param":null,"code":null}})";
  CHECK(ol::detail::server_message(openai) == "model not found");
}

TEST_CASE("an error line inside a 200 stream: status -1, partial content kept (tricky case 8)") {
  tracing tr;
  fake_ollama fake;
  fake.set_reply("llama3.2", "alpha beta gamma delta epsilon");
  const auto c = make_client(fake);
  fake.set_next_mode(stream_mode::error_mid_stream, 2);
  int chunks = 0;
  const auto e = expect_error([&] {
    (void)c.chat(chat_req("llama3.2", "hi"), [&](const ol::chat_response&) {
      ++chunks;
      return true;
    });
  });
  CHECK(chunks == 2);
  CHECK(e.reason() == ol::error_reason::stream_error);
  CHECK(e.status() == -1);
  CHECK(e.http_status() == 200);
  CHECK(e.server_message() == "an error was encountered while running the model: unexpected EOF");
  CHECK(e.partial_content() == "alpha beta");
  CHECK_FALSE(e.retryable());
  const auto s = tr.one("chat llama3.2");
  CHECK(str(s, semconv::error_type) == "stream_error");
  CHECK(s.status == llmtrace::status_code::error);
  CHECK(s.status_message == e.server_message());
  CHECK(int_of(s, semconv::ollama_chunk_count) == 2);
  CHECK(tr.find("ollama.eval").empty());  // no final metrics, no phases

  // Non-streamed, the same failure is an HTTP 500 with {"error"}.
  fake.set_next_mode(stream_mode::error_mid_stream, 2);
  const auto e2 = expect_error([&] { (void)c.chat(chat_req("llama3.2", "hi")); });
  CHECK(e2.status() == 500);
  CHECK(e2.reason() == ol::error_reason::http_status);

  // generate keeps its partial `response` the same way.
  fake.set_reply("llama3.2", "one two three four");
  fake.set_next_mode(stream_mode::error_mid_stream, 3);
  ol::generate_request g;
  g.model = "llama3.2";
  g.prompt = "count";
  const auto e3 = expect_error([&] { (void)c.generate(g, [](const ol::generate_response&) { return true; }); });
  CHECK(e3.partial_content() == "one two three");
}

TEST_CASE("the current server's mid-stream error texts reach the error and the span exactly") {
  // Texts from Ollama's llm/llama_server.go (runner crash with its stderr line, runner crash without
  // one, tool-call arguments that are not JSON, a token loop), written by server/routes.go's
  // streamResponse as one {"error"} line under HTTP 200.
  tracing tr;
  fake_ollama fake;
  fake.set_reply("llama3.2", "alpha beta gamma delta epsilon");
  const auto c = make_client(fake);
  const char* const texts[] = {
      llmtrace_test::ollama_stream_error::runner_out_of_memory,
      llmtrace_test::ollama_stream_error::runner_unexpected_eof,
      llmtrace_test::ollama_stream_error::invalid_tool_call_arguments,
      llmtrace_test::ollama_stream_error::token_repeat_limit,
  };
  CHECK(std::string(texts[0]).find('\n') != std::string::npos);  // the runner's two stderr lines
  for (const char* text : texts) {
    CAPTURE(text);
    llmtrace_test::stream_behaviour b;
    b.mode = stream_mode::error_mid_stream;
    b.after_chunks = 1;
    b.error_message = text;
    fake.set_next_mode(b);
    const auto e =
        expect_error([&] { (void)c.chat(chat_req("llama3.2", "hi"), [](const ol::chat_response&) { return true; }); });
    CHECK(e.reason() == ol::error_reason::stream_error);
    CHECK(e.status() == -1);
    CHECK(e.server_message() == text);
    CHECK(std::string(e.what()).find(text) != std::string::npos);
    CHECK(e.partial_content() == "alpha");
  }
  const auto spans = tr.find("chat llama3.2");
  REQUIRE(spans.size() == 4);
  CHECK(spans[0].status_message == llmtrace_test::ollama_stream_error::runner_out_of_memory);
  CHECK(spans[3].status_message == llmtrace_test::ollama_stream_error::token_repeat_limit);
}

TEST_CASE("EOF without done:true is an error with the partial content (tricky case 8)") {
  tracing tr;
  fake_ollama fake;
  fake.set_reply("llama3.2", "alpha beta gamma delta");
  const auto c = make_client(fake);
  fake.set_next_mode(stream_mode::eof_without_done, 3);
  const auto e =
      expect_error([&] { (void)c.chat(chat_req("llama3.2", "hi"), [](const ol::chat_response&) { return true; }); });
  CHECK(e.reason() == ol::error_reason::incomplete_stream);
  CHECK(e.status() == -1);
  CHECK(e.partial_content() == "alpha beta gamma");
  CHECK(e.retryable());
  CHECK(str(tr.one("chat llama3.2"), semconv::error_type) == "incomplete_stream");

  // Non-streamed: the body is cut short and the connection closed.
  fake.set_next_mode(stream_mode::eof_without_done);
  const auto e2 = expect_error([&] { (void)c.chat(chat_req("llama3.2", "hi")); });
  CHECK(e2.reason() == ol::error_reason::transport);
  CHECK(e2.transport() == http::error_kind::receive);
  CHECK(e2.retryable());
}

TEST_CASE("a connection dropped mid-stream is a receive error that keeps the partial content") {
  fake_ollama fake;
  fake.set_reply("llama3.2", "alpha beta gamma delta");
  const auto c = make_client(fake);
  fake.set_next_mode(stream_mode::drop_after_chunks, 2);
  const auto e =
      expect_error([&] { (void)c.chat(chat_req("llama3.2", "hi"), [](const ol::chat_response&) { return true; }); });
  CHECK(e.reason() == ol::error_reason::transport);
  CHECK(e.transport() == http::error_kind::receive);
  CHECK(e.error_type() == "receive");
  CHECK(e.partial_content() == "alpha beta");
  CHECK(e.http_status() == 200);
}

TEST_CASE("read timeout on a stalled stream and on a stalled answer") {
  tracing tr;
  fake_ollama fake;
  ol::client_options o;
  o.read_timeout = 300ms;
  const auto c = make_client(fake, o);
  fake.set_next_mode(stream_mode::hang_after_chunks, 2);
  int chunks = 0;
  const auto start = std::chrono::steady_clock::now();
  const auto e = expect_error([&] {
    (void)c.chat(chat_req("llama3.2", "hi"), [&](const ol::chat_response&) {
      ++chunks;
      return true;
    });
  });
  CHECK(std::chrono::steady_clock::now() - start < 10s);
  CHECK(chunks == 2);
  CHECK(e.transport() == http::error_kind::timeout);
  CHECK(e.retryable());
  CHECK_FALSE(e.partial_content().empty());
  CHECK(str(tr.one("chat llama3.2"), semconv::error_type) == "timeout");
  CHECK(fake.wait_for_disconnects(1, 10s));

  fake.set_next_mode(stream_mode::hang_after_chunks);
  const auto e2 = expect_error([&] { (void)c.chat(chat_req("llama3.2", "hi")); });
  CHECK(e2.transport() == http::error_kind::timeout);
}

TEST_CASE("connection refused: a retryable transport error; header values never leak into messages") {
  tracing tr;
  refused_port closed;
  ol::client_options o;
  o.host = "127.0.0.1:" + std::to_string(closed.port());
  o.capture_content = ol::content_capture::no_content;
  o.headers.push_back({"Authorization", "Bearer top-secret-key"});
  const ol::client c(o);
  CHECK_FALSE(c.is_running());
  const auto e = expect_error([&] { (void)c.chat(chat_req("llama3.2", "hi")); });
  CHECK(e.reason() == ol::error_reason::transport);
  CHECK(e.transport() == http::error_kind::connect);
  CHECK(e.status() == 0);
  CHECK(e.retryable());
  CHECK(std::string(e.what()).find("top-secret") == std::string::npos);
  const auto s = tr.one("chat llama3.2");
  CHECK(str(s, semconv::error_type) == "connect");
  CHECK(s.status_message.find("top-secret") == std::string::npos);
  CHECK(int_of(s, semconv::server_port) == closed.port());

  const auto e2 = expect_error([&] { (void)c.version(); });
  CHECK(e2.transport() == http::error_kind::connect);
  CHECK(e2.endpoint() == "/api/version");
}

TEST_CASE("a user callback exception is recorded with its own type") {
  tracing tr;
  fake_ollama fake;
  const auto c = make_client(fake);
  CHECK_THROWS_AS(
      c.chat(chat_req("llama3.2", "x"), [](const ol::chat_response&) -> bool { throw std::out_of_range("bad index"); }),
      std::out_of_range);
  const auto s = tr.one("chat llama3.2");
  CHECK(str(s, semconv::error_type) == "std::out_of_range");
  CHECK(s.status_message == "bad index");
  REQUIRE(event(s, "exception"));
}

TEST_CASE("EVENT content modes: a failed call emits gen_ai.client.operation.exception (WARN) and the details event") {
  auto logs = std::make_shared<llmtrace::in_memory_log_store>();
  llmtrace::logger_provider_options lo;
  lo.processors.push_back(
      std::make_unique<llmtrace::simple_log_processor>(std::make_unique<llmtrace::in_memory_log_exporter>(logs)));
  llmtrace::set_global_logger_provider(std::make_shared<llmtrace::logger_provider>(std::move(lo)));
  tracing tr;
  fake_ollama fake;
  ol::client_options o;
  o.capture_content = ol::content_capture::event_only;
  const auto c = make_client(fake, o);
  (void)expect_error([&] { (void)c.chat(chat_req("nosuch", "hi")); });
  o.capture_content = ol::content_capture::span_only;  // no events in the SPAN_ONLY mode
  (void)expect_error([&] { (void)make_client(fake, o).chat(chat_req("nosuch", "hi")); });
  llmtrace::set_global_logger_provider(nullptr);

  const auto spans = tr.find("chat nosuch");
  REQUIRE(spans.size() == 2);
  const auto exc = logs->events("gen_ai.client.operation.exception");
  REQUIRE(exc.size() == 1);
  CHECK(exc[0].severity == llmtrace::severity::warn);
  CHECK(exc[0].span_id == spans[0].context.span_id);
  CHECK(exc[0].attributes.get_string(semconv::exception_type) == "llmtrace::ollama::error");
  CHECK(exc[0].attributes.get_string(semconv::error_type) == "404");
  CHECK(exc[0].attributes.get_string(semconv::gen_ai_operation_name) == "chat");
  const auto details = logs->events(semconv::gen_ai_client_inference_operation_details);
  REQUIRE(details.size() == 1);
  CHECK(details[0].attributes.get_string(semconv::error_type) == "404");  // recorded before the event
  REQUIRE(details[0].find_structured(semconv::gen_ai_input_messages) != nullptr);
  CHECK(logs->size() == 2);
}
