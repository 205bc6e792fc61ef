// Client tests, part 1: /api/chat against the fake daemon: non-streamed and streamed answers, every
// framing of the stream, tool calls (and sending them back), thinking, load / unload, done_reason
// "length", model-name echo, Unicode, and cancellation by the caller.
#include "client_test_support.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

using namespace ollama_test;
namespace semconv = llmtrace::semconv;
using ol::json;
using namespace std::chrono_literals;

TEST_CASE("non-streamed chat: the whole answer, stream:false sent explicitly (tricky case 1)") {
  fake_ollama fake;
  const auto c = make_client(fake);
  const auto r = c.chat(chat_req("llama3.2", "Why is the sky blue?"));
  CHECK(r.model == "llama3.2");  // echoed as sent (tricky case 23)
  CHECK(r.message.role == "assistant");
  CHECK(r.message.content == "You said: Why is the sky blue?. This is a deterministic reply.");
  CHECK(r.done);
  CHECK(r.done_reason == "stop");
  CHECK(*r.metrics.eval_count > 0);
  CHECK(*r.metrics.prompt_eval_count > 0);
  CHECK(r.metrics.total_duration);
  CHECK_FALSE(r.created_at.empty());
  CHECK(ol::parse_time(r.created_at));

  const auto req = last_for(fake, "/api/chat");
  REQUIRE(req.json_valid);
  CHECK(req.json.at("stream") == false);
  CHECK(req.header("Content-Type") == "application/json");
  CHECK(req.header("Accept") == "application/json");
  CHECK(req.header("User-Agent").find("llmtrace/") == 0);
}

TEST_CASE("streamed chat: chunks as they arrive, joined answer, stream:true sent") {
  fake_ollama fake;
  const auto c = make_client(fake);
  std::vector<ol::chat_response> chunks;
  const auto r = c.chat(chat_req("llama3.2", "Why is the sky blue?"), [&](const ol::chat_response& ch) {
    chunks.push_back(ch);
    return true;
  });
  REQUIRE(chunks.size() > 2);
  std::string joined;
  for (std::size_t i = 0; i + 1 < chunks.size(); ++i) {
    CHECK_FALSE(chunks[i].done);
    CHECK(chunks[i].metrics.empty());  // metrics only on the final chunk (tricky case 4)
    joined += chunks[i].message.content;
  }
  CHECK(chunks.back().done);
  CHECK(chunks.back().done_reason == "stop");
  CHECK(chunks.back().metrics.eval_count);
  CHECK(joined == "You said: Why is the sky blue?. This is a deterministic reply.");
  CHECK(r.message.content == joined);
  CHECK(r.done);
  CHECK(*r.metrics.eval_count == *chunks.back().metrics.eval_count);
  const auto req = last_for(fake, "/api/chat");
  CHECK(req.json.at("stream") == true);
  CHECK(req.header("Accept") == "application/x-ndjson");
}

TEST_CASE("every framing gives the same answer: byte by byte, merged lines, random splits (tricky cases 2, 16)") {
  fake_ollama fake;
  fake.set_reply("llama3.2", fake_ollama::unicode_reply());
  const auto c = make_client(fake);
  for (auto mode :
       {stream_mode::normal, stream_mode::split_bytes, stream_mode::merge_lines, stream_mode::random_splits}) {
    for (std::uint64_t seed : {1u, 7u, 99u}) {
      CAPTURE(static_cast<int>(mode));
      CAPTURE(seed);
      fake.set_next_mode(mode, 2, seed);
      std::size_t n = 0;
      const auto r = c.chat(chat_req("llama3.2", "unicode please"), [&](const ol::chat_response&) {
        ++n;
        return true;
      });
      CHECK(r.message.content == fake_ollama::unicode_reply());
      CHECK(r.done);
      CHECK(n > 3);
      if (mode == stream_mode::normal) break;
    }
  }
  // Non-streamed bodies written in pieces too.
  fake.set_next_mode(stream_mode::split_bytes);
  CHECK(c.chat(chat_req("llama3.2", "again")).message.content == fake_ollama::unicode_reply());
}

TEST_CASE("tool calls: arguments are objects, calls arrive in a done:false chunk, and go back as objects (13, 14)") {
  fake_ollama fake;
  const auto c = make_client(fake);
  auto req = chat_req("llama3.2", "What is the weather in Tokyo?");
  req.tools.push_back(weather_tool());

  const auto r = c.chat(req);
  REQUIRE(r.message.tool_calls.size() == 1);
  const auto& call = r.message.tool_calls[0];
  CHECK(call.function.name == "get_weather");
  CHECK(call.function.arguments.is_object());
  CHECK(call.function.arguments["city"] == "Tokyo");
  CHECK(call.id.rfind("call_", 0) == 0);
  CHECK(call.id.size() == 13);
  CHECK(*call.function.index == 0);
  CHECK(r.message.content.empty());

  // Streamed: current servers put the call on the final done:true chunk, with empty content (older
  // ones used a separate done:false chunk: test_client_fidelity covers both).
  std::vector<ol::chat_response> chunks;
  const auto rs = c.chat(req, [&](const ol::chat_response& ch) {
    chunks.push_back(ch);
    return true;
  });
  REQUIRE_FALSE(chunks.empty());
  CHECK(chunks.back().done);
  CHECK(chunks.back().message.content.empty());
  CHECK(chunks.back().message.tool_calls.size() == 1);
  REQUIRE(rs.message.tool_calls.size() == 1);

  // Send the call back with the tool's answer; arguments travel as an object (a string would be a 400).
  auto next = req;
  next.messages.push_back(r.message);
  next.messages.push_back(ol::message::tool("22 degrees and sunny", "get_weather", call.id));
  const auto answer = c.chat(next);
  CHECK(answer.message.content.rfind("The tool returned: 22 degrees and sunny", 0) == 0);
  const auto sent = last_for(fake, "/api/chat");
  CHECK(sent.status == 200);
  CHECK(sent.json["messages"][1]["tool_calls"][0]["function"]["arguments"].is_object());
  CHECK(sent.json["messages"][2]["tool_name"] == "get_weather");

  // Several calls in one array.
  fake.set_parallel_tool_calls(true);
  auto two = req;
  two.tools.push_back(ol::tool::make_function(
      "get_time", "Local time", json{{"type", "object"}, {"properties", {{"zone", {{"type", "string"}}}}}}));
  const auto r2 = c.chat(two);
  REQUIRE(r2.message.tool_calls.size() == 2);
  CHECK(r2.message.tool_calls[1].function.name == "get_time");
  CHECK(*r2.message.tool_calls[1].function.index == 1);
}

TEST_CASE("thinking: thinking chunks first, levels as strings, 400 on a model that cannot think (15)") {
  fake_ollama fake;
  fake.set_thinking("qwen3", "First I consider the question.");
  const auto c = make_client(fake);
  std::vector<ol::chat_response> chunks;
  auto req = chat_req("qwen3", "Is 7 prime?");
  req.think = "high";
  const auto r = c.chat(req, [&](const ol::chat_response& ch) {
    chunks.push_back(ch);
    return true;
  });
  CHECK(r.message.thinking == "First I consider the question.");
  CHECK_FALSE(r.message.content.empty());
  REQUIRE(chunks.size() > 2);
  CHECK_FALSE(chunks.front().message.thinking.empty());
  CHECK(chunks.front().message.content.empty());
  CHECK(last_for(fake, "/api/chat").json["think"] == "high");

  // Thinking models think by default (think omitted).
  CHECK_FALSE(c.chat(chat_req("qwen3", "again")).message.thinking.empty());
  // think:false turns it off.
  auto off = chat_req("qwen3", "quick");
  off.think = false;
  CHECK(c.chat(off).message.thinking.empty());

  auto bad = chat_req("llama3.2", "think!");
  bad.think = true;
  try {
    (void)c.chat(bad);
    FAIL("expected an error");
  } catch (const ol::error& e) {
    CHECK(e.status() == 400);
    CHECK(e.server_message() == "\"llama3.2\" does not support thinking");
    CHECK_FALSE(e.retryable());
  }
}

TEST_CASE("load and unload: empty messages give one object even when streaming (tricky case 7)") {
  fake_ollama fake;
  const auto c = make_client(fake);
  ol::chat_request load;
  load.model = "cold-llama";
  std::vector<ol::chat_response> chunks;
  const auto r = c.chat(load, [&](const ol::chat_response& ch) {
    chunks.push_back(ch);
    return true;
  });
  REQUIRE(chunks.size() == 1);
  CHECK(r.done);
  CHECK(r.done_reason == "load");
  CHECK(r.metrics.empty());
  CHECK(fake.is_loaded("cold-llama"));
  bool listed = false;
  for (const auto& m : c.ps().models) listed = listed || m.name == "cold-llama:latest";
  CHECK(listed);

  ol::chat_request unload;
  unload.model = "cold-llama";
  unload.keep_alive = 0;
  const auto u = c.chat(unload);
  CHECK(u.done_reason == "unload");
  CHECK_FALSE(fake.is_loaded("cold-llama"));
  CHECK(last_for(fake, "/api/chat").json["keep_alive"] == 0);
}

TEST_CASE("done_reason length when num_predict is reached (tricky case 5)") {
  fake_ollama fake;
  const auto c = make_client(fake);
  auto req = chat_req("llama3.2", "Tell me a long story about the sea and the sky");
  req.options.num_predict = 3;
  const auto r = c.chat(req);
  CHECK(r.done_reason == "length");
  CHECK(*r.metrics.eval_count == 3);
  CHECK(last_for(fake, "/api/chat").json["options"]["num_predict"] == 3);
}

TEST_CASE("model names are echoed verbatim (tricky case 23)") {
  fake_ollama fake;
  const auto c = make_client(fake);
  CHECK(c.chat(chat_req("llama3.2:latest", "hi")).model == "llama3.2:latest");
  CHECK(c.chat(chat_req("registry.ollama.ai/library/llama3.2:latest", "hi")).model ==
        "registry.ollama.ai/library/llama3.2:latest");
}

TEST_CASE("the caller stops a stream: no hang, connection closed, server stops (tricky case 24)") {
  fake_ollama fake;
  const auto c = make_client(fake);
  // The server stalls after two chunks and only notices the client going away: a client that did
  // not close the connection would wait here until the 60 s timeout.
  fake.set_next_mode(stream_mode::hang_after_chunks, 2);
  int seen = 0;
  const auto start = std::chrono::steady_clock::now();
  const auto r = c.chat(chat_req("llama3.2", "Write an essay"), [&](const ol::chat_response&) { return ++seen < 1; });
  CHECK(seen == 1);
  CHECK_FALSE(r.done);
  CHECK_FALSE(r.message.content.empty());
  CHECK(fake.wait_for_disconnects(1, 10s));
  CHECK(std::chrono::steady_clock::now() - start < 10s);

  // Stopping on the final chunk changes nothing; the client keeps working.
  const auto again = c.chat(chat_req("llama3.2", "hi"), [&](const ol::chat_response& ch) { return !ch.done; });
  CHECK(again.done);
  CHECK(c.chat(chat_req("llama3.2", "hi")).done);
}

TEST_CASE("a callback that throws stops the stream; the exception reaches the caller") {
  fake_ollama fake;
  const auto c = make_client(fake);
  fake.set_next_mode(stream_mode::hang_after_chunks, 3);
  CHECK_THROWS_AS(
      c.chat(chat_req("llama3.2", "x"), [](const ol::chat_response&) -> bool { throw std::logic_error("app bug"); }),
      std::logic_error);
  CHECK(fake.wait_for_disconnects(1, 10s));
}

TEST_CASE("every keep_alive form is accepted by the server as sent (tricky case 19)") {
  fake_ollama fake;
  const auto c = make_client(fake);
  const std::vector<ol::keep_alive_value> forms = {"5m", 300, -1, "0", 0, "1h30m", 2.5};
  const std::vector<std::string> sent = {"\"5m\"", "300", "-1", "\"0\"", "0", "\"1h30m\"", "2.5"};
  for (std::size_t i = 0; i < forms.size(); ++i) {
    auto req = chat_req("llama3.2", "hi");
    req.keep_alive = forms[i];
    CHECK(c.chat(req).done);
    CHECK(last_for(fake, "/api/chat").json["keep_alive"].dump() == sent[i]);
  }
}

TEST_CASE("one client serves several threads at once; each thread's spans nest under its own parent") {
  tracing tr;
  fake_ollama fake;
  const auto c = make_client(fake);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      llmtrace::span worker("worker " + std::to_string(t));
      for (int i = 0; i < 5; ++i) {
        const auto r =
            c.chat(chat_req("llama3.2", "thread " + std::to_string(t)), [](const ol::chat_response&) { return true; });
        if (r.done && r.message.content.find("thread " + std::to_string(t)) != std::string::npos) ++ok;
      }
    });
  for (auto& th : threads) th.join();
  CHECK(ok.load() == 20);
  for (int t = 0; t < 4; ++t) {
    const auto w = tr.one("worker " + std::to_string(t));
    const auto kids = tr.children_of(w);
    CHECK(kids.size() == 5);
    for (const auto& k : kids) CHECK(tr.children_of(k).size() == 3);
  }
}
