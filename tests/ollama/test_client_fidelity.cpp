// The client against behaviours of the real daemon read from Ollama's source (issue 10's first list)
// and hostile answers (issue 15: deep nesting, numbers out of range): each case failed before its fix.
#include <llmtrace/ollama/client.hpp>

#include <doctest/doctest.h>

#include "client_test_support.hpp"

#include <climits>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using namespace ollama_test;
namespace semconv = llmtrace::semconv;
namespace http = llmtrace::http;

namespace {

/// Answers every request with one canned body (streamed calls get it as one piece).
class canned_transport : public http::transport {
 public:
  explicit canned_transport(std::string body, int status = 200) : body_(std::move(body)), status_(status) {}
  http::response send(const http::request& req) noexcept override {
    last_ = req;
    http::response r;
    r.status = status_;
    r.body = body_;
    return r;
  }
  http::response stream(const http::request& req, const http::data_callback& on_data) noexcept override {
    last_ = req;
    http::response r;
    r.status = status_;
    if (r.ok())
      on_data(body_);
    else
      r.body = body_;
    return r;
  }
  const http::request& last() const { return last_; }

 private:
  std::string body_;
  int status_;
  http::request last_;
};

ol::client canned_client(std::shared_ptr<http::transport> t) {
  ol::client_options o;
  o.host = "127.0.0.1:11434";
  o.transport = std::move(t);
  o.capture_content = ol::content_capture::no_content;
  o.record_gpu = false;
  return ol::client(std::move(o));
}

std::string nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

}  // namespace

TEST_CASE("deep nesting in an answer is a clear invalid_response error, not a stack overflow (issue 15 #1)") {
  const std::size_t depth = 1000000;  // 2 MB of brackets: the recursive copy of old crashed here
  const std::string body = R"({"model":"m","created_at":"2025-07-07T20:22:19Z","message":{"role":"assistant",)"
                           R"("content":"x"},"done":true,"logprobs":)" +
                           nested(depth) + "}";
  SUBCASE("non-streamed") {
    auto c = canned_client(std::make_shared<canned_transport>(body));
    const auto e = expect_error([&] { (void)c.chat(chat_req("m", "hi")); });
    CHECK(e.reason() == ol::error_reason::invalid_response);
    CHECK(std::string(e.what()).find("nested deeper than 256") != std::string::npos);
  }
  SUBCASE("a stream line") {
    auto c = canned_client(std::make_shared<canned_transport>(body + "\n"));
    const auto e =
        expect_error([&] { (void)c.chat(chat_req("m", "hi"), [](const ol::chat_response&) { return true; }); });
    CHECK(e.reason() == ol::error_reason::invalid_response);
    CHECK(std::string(e.what()).find("nested deeper than 256") != std::string::npos);
  }
  SUBCASE("tool-call arguments, 200 levels, are kept (moved, not copied)") {
    const std::string ok = R"({"model":"m","message":{"role":"assistant","content":"","tool_calls":[{"function":)"
                           R"({"name":"f","arguments":{"a":)" +
                           nested(200) + "}}}]},\"done\":true}";
    auto c = canned_client(std::make_shared<canned_transport>(ok));
    const auto r = c.chat(chat_req("m", "hi"));
    REQUIRE(r.message.tool_calls.size() == 1);
    CHECK(r.message.tool_calls[0].function.arguments["a"].is_array());
  }
}

TEST_CASE("counts and durations out of the int64 range saturate (issue 15 #4)") {
  tracing t;
  const std::string body =
      R"({"model":"m","message":{"role":"assistant","content":"x"},"done":true,"done_reason":"stop",)"
      R"("total_duration":1e300,"load_duration":18446744073709551615,"prompt_eval_count":-1e300,)"
      R"("prompt_eval_duration":9223372036854775808,"eval_count":1e19,"eval_duration":2000000000})";
  auto c = canned_client(std::make_shared<canned_transport>(body));
  const auto r = c.chat(chat_req("m", "hi"));
  CHECK(*r.metrics.total_duration == INT64_MAX);
  CHECK(*r.metrics.load_duration == INT64_MAX);
  CHECK(*r.metrics.prompt_eval_count == INT64_MIN);
  CHECK(*r.metrics.prompt_eval_duration == INT64_MAX);
  CHECK(*r.metrics.eval_count == INT64_MAX);
  const auto s = t.one("chat m");
  CHECK(int_of(s, semconv::gen_ai_usage_output_tokens) == INT64_MAX);

  ol::embed_response er;
  ol::decode(ol::json::parse(R"({"embeddings":[[1e300,-1e300,0.5]]})"), er);
  REQUIRE(er.embeddings.size() == 1);
  CHECK(er.embeddings[0][0] == FLT_MAX);
  CHECK(er.embeddings[0][1] == -FLT_MAX);
  ol::generate_response gr;
  ol::decode(ol::json::parse(R"({"context":[1,1e300,18446744073709551615]})"), gr);
  CHECK(gr.context == std::vector<std::int64_t>{1, INT64_MAX, INT64_MAX});
}

TEST_CASE("no prefill rate: prompt_eval_count includes cached tokens since v0.30.1") {
  tracing t;
  fake_ollama fake;
  auto c = make_client(fake);
  // The second call continues the conversation: the fake's prompt cache serves the earlier tokens,
  // so prompt_eval_duration covers only the new ones while prompt_eval_count counts them all.
  auto req = chat_req("llama3.2", "tell me about the sky and the sea and the wind");
  const auto first = c.chat(req);
  req.messages.push_back(first.message);
  req.messages.push_back(ol::message::user("and the stars?"));
  const auto second = c.chat(req);
  REQUIRE(second.metrics.prompt_eval_count);
  REQUIRE(second.metrics.prompt_eval_duration);
  const double naive = *second.metrics.prompt_tokens_per_second();
  const double uncached_tokens = (static_cast<double>(*second.metrics.prompt_eval_duration) - 1e6) / 250000.0;
  CHECK(uncached_tokens < static_cast<double>(*second.metrics.prompt_eval_count));  // the fake caches
  CHECK(naive > 4000.0);  // what the old attribute would have claimed (the fake's real rate is 4000 tok/s)
  for (const auto& s : t.find("chat llama3.2")) {
    CHECK_FALSE(has(s, semconv::ollama_prompt_tokens_per_second));
    CHECK(has(s, semconv::gen_ai_usage_input_tokens));  // documented: includes cached tokens
  }
}

TEST_CASE("requests the server would reject with 400 fail before sending, with the server's reason") {
  fake_ollama fake;
  auto c = make_client(fake);
  auto invalid = [&](ol::chat_request r, const char* needle) {
    const std::size_t before = fake.request_count();
    const auto e = expect_error([&] { (void)c.chat(r); });
    CHECK(e.reason() == ol::error_reason::invalid_request);
    CHECK_MESSAGE(std::string(e.what()).find(needle) != std::string::npos, e.what());
    CHECK(fake.request_count() == before);  // nothing was sent
  };
  SUBCASE("keep_alive: a string that is not a Go duration") {
    auto r = chat_req("llama3.2", "hi");
    r.keep_alive = ol::keep_alive_value("5 minutes");
    invalid(r, "keep_alive \"5 minutes\"");
  }
  SUBCASE("keep_alive: an integer string means seconds and is sent as a number") {
    auto r = chat_req("llama3.2", "hi");
    r.keep_alive = ol::keep_alive_value("300");
    (void)c.chat(r);
    CHECK(last_for(fake, "/api/chat").json["keep_alive"] == 300);
    r.keep_alive = ol::keep_alive_value("-1");
    (void)c.chat(r);
    CHECK(last_for(fake, "/api/chat").json["keep_alive"] == -1);
    r.keep_alive = ol::keep_alive_value("1h30m");
    (void)c.chat(r);
    CHECK(last_for(fake, "/api/chat").json["keep_alive"] == "1h30m");
  }
  SUBCASE("think: only a bool or low/medium/high/max") {
    auto r = chat_req("qwen3", "hi");
    r.think = ol::think_option("extreme");
    invalid(r, "invalid think value: \"extreme\" (must be \"high\", \"medium\", \"low\", \"max\", true, or false)");
  }
  SUBCASE("top_logprobs outside 0-20") {
    auto r = chat_req("llama3.2", "hi");
    r.top_logprobs = 21;
    invalid(r, "top_logprobs must be between 0 and 20");
  }
  SUBCASE("a data: URL as an image") {
    auto r = chat_req("gemma3", "what is this?");
    r.messages[0].images = {"data:image/png;base64,iVBORw0KGgo="};
    invalid(r, "data: URL");
  }
  SUBCASE("an image that is not base64") {
    auto r = chat_req("gemma3", "what is this?");
    r.messages[0].images = {"not base64!"};
    invalid(r, "not valid base64");
  }
  SUBCASE("a list-valued top-level type in a tool's parameters") {
    auto r = chat_req("llama3.2", "weather?");
    r.tools = {
        ol::tool::make_function("f", "d", ol::json{{"type", {"object", "null"}}, {"properties", ol::json::object()}})};
    invalid(r, "parameters.type must be a string");
  }
}

TEST_CASE("the fake rejects what the client now catches, as the server does") {
  fake_ollama fake;
  llmtrace::http::curl_transport t;
  auto post = [&](const std::string& path, const std::string& body) {
    llmtrace::http::request r;
    r.url = fake.base_url() + path;
    r.body = body;
    return t.send(r);
  };
  auto r = post(
      "/api/chat",
      R"({"model":"gemma3","stream":false,"messages":[{"role":"user","content":"x","images":["data:image/png;base64,AAAA"]}]})");
  CHECK(r.status == 400);
  CHECK(r.body == R"({"error":"illegal base64 data at input byte 4"})");
  r = post(
      "/api/chat",
      R"({"model":"llama3.2","stream":false,"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":["object","null"]}}}]})");
  CHECK(r.status == 400);
  CHECK(r.body.find("cannot unmarshal array into Go struct field") != std::string::npos);
  CHECK(r.body.find("parameters.type of type string") != std::string::npos);
  r = post("/api/chat", R"({"model":"llama3.2","stream":false,"keep_alive":"300","messages":[]})");
  CHECK(r.status == 400);
  r = post("/api/chat",
           R"({"model":"llama3.2","stream":false,"format":"xml","messages":[{"role":"user","content":"x"}]})");
  CHECK(r.status == 500);  // after the model loads, like the runner
  CHECK(r.body == R"({"error":"invalid format: \"\\\"xml\\\"\"; expected \"json\" or a valid JSON Schema object"})");
  r = post("/api/embed", R"({"model":"","input":"x"})");
  CHECK(r.status == 404);
  CHECK(r.body == R"({"error":"model '' not found"})");
}

TEST_CASE("fields the server sends are kept: generate tool_calls, remote_*, details lengths, show extras") {
  fake_ollama fake;
  auto c = make_client(fake);
  fake.set_generate_tool_calls(nlohmann::json::parse(
      R"([{"id":"call_1","function":{"index":0,"name":"get_weather","arguments":{"city":"Tokyo"}}}])"));
  SUBCASE("generate's final chunk carries tool_calls (non-streamed and streamed)") {
    const auto g = c.generate(gen_req("llama3.2", "weather in Tokyo?"));
    REQUIRE(g.tool_calls.size() == 1);
    CHECK(g.tool_calls[0].function.name == "get_weather");
    CHECK(g.tool_calls[0].function.arguments["city"] == "Tokyo");
    const auto s =
        c.generate(gen_req("llama3.2", "weather in Tokyo?"), [](const ol::generate_response&) { return true; });
    REQUIRE(s.tool_calls.size() == 1);
  }
  SUBCASE("cloud models: remote_model / remote_host, the remote name as model") {
    const auto r = c.chat(chat_req("gpt-oss:120b-cloud", "hi"));
    CHECK(r.model == "gpt-oss:120b");
    CHECK(r.remote_model == "gpt-oss:120b");
    CHECK(r.remote_host == "https://ollama.com:443");
  }
  SUBCASE("/api/tags details.context_length and embedding_length") {
    bool seen = false;
    for (const auto& m : c.tags().models)
      if (m.name == "nomic-embed-text:latest") {
        seen = true;
        CHECK(m.details.context_length == 2048);
        CHECK(m.details.embedding_length == 768);
      }
    CHECK(seen);
  }
  SUBCASE("/api/show: renderer, parser, messages, projector_info, tensors, requires, remote_*") {
    const auto q = c.show("qwen3");
    CHECK(q.renderer == "qwen3");
    CHECK(q.parser == "qwen3");
    CHECK(c.show("llama3.2").messages.size() == 2);
    CHECK(c.show("gemma3").projector_info.contains("clip.has_vision_encoder"));
    CHECK(c.show(ol::show_request{"llama3.2", true}).tensors.size() == 2);
    const auto cloud = c.show("gpt-oss:120b-cloud");
    CHECK(cloud.remote_host == "https://ollama.com:443");
    CHECK(cloud.requires_version == "0.12.0");
  }
}

TEST_CASE("a 401 for a cloud model keeps signin_url on the error and in its message") {
  fake_ollama fake;
  fake.set_signed_in(false);
  auto c = make_client(fake);
  const auto e = expect_error([&] { (void)c.chat(chat_req("gpt-oss:120b-cloud", "hi")); });
  CHECK(e.status() == 401);
  CHECK(e.server_message() == "unauthorized");
  CHECK(e.signin_url().rfind("https://ollama.com/connect?", 0) == 0);
  CHECK(std::string(e.what()).find(e.signin_url()) != std::string::npos);
}

TEST_CASE("trace context stays on the machine for cloud models unless asked for") {
  tracing t;
  fake_ollama fake;
  {
    auto c = make_client(fake);
    (void)c.chat(chat_req("gpt-oss:120b-cloud", "hi"));
    CHECK_FALSE(last_for(fake, "/api/chat").has_header("traceparent"));
    (void)c.chat(chat_req("llama3.2", "hi"));
    CHECK(last_for(fake, "/api/chat").has_header("traceparent"));
  }
  ol::client_options o;
  o.propagate_to_cloud = true;
  auto c = make_client(fake, o);
  (void)c.chat(chat_req("gpt-oss:120b-cloud", "hi"));
  CHECK(last_for(fake, "/api/chat").has_header("traceparent"));
  CHECK(ol::is_cloud_model("kimi-k2:1t-cloud"));
  CHECK(ol::is_cloud_model("gpt-oss:cloud"));
  CHECK_FALSE(ol::is_cloud_model("cloud"));
  CHECK_FALSE(ol::is_cloud_model("llama3.2:latest"));
  CHECK_FALSE(ol::is_cloud_model("soundcloud/model"));
}

TEST_CASE("tool calls on the final done:true chunk (current servers) and in a separate chunk (older)") {
  fake_ollama fake;
  auto c = make_client(fake);
  auto r = chat_req("llama3.2", "weather in Paris?");
  r.tools = {weather_tool()};
  for (bool separate : {false, true}) {
    CAPTURE(separate);
    fake.set_tool_calls_in_separate_chunk(separate);
    std::vector<ol::chat_response> chunks;
    const auto out = c.chat(r, [&](const ol::chat_response& ch) {
      chunks.push_back(ch);
      return true;
    });
    REQUIRE(out.message.tool_calls.size() == 1);
    CHECK(out.message.tool_calls[0].function.name == "get_weather");
    REQUIRE_FALSE(chunks.empty());
    CHECK(chunks.back().done);
    CHECK(chunks.back().message.tool_calls.empty() == separate);
  }
}

TEST_CASE("/api/ps: a model kept forever expires around 2318 in the server's offset; parse_rfc3339 keeps it") {
  fake_ollama fake;
  auto c = make_client(fake);
  auto r = chat_req("llama3.2", "hi");
  r.keep_alive = ol::keep_alive_value(-1);
  (void)c.chat(r);
  const auto ps = c.ps();
  bool seen = false;
  for (const auto& m : ps.models) {
    const auto t = ol::parse_rfc3339(m.expires_at);
    REQUIRE_MESSAGE(t, m.expires_at);
    CHECK(t->offset_seconds == -7 * 3600);  // the fake's local zone
    if (m.name == "llama3.2:latest") {
      seen = true;
      CHECK(m.expires_at.rfind("23", 0) == 0);  // year 23xx
      CHECK_FALSE(t->fits_unix_nanos());
      CHECK(*ol::parse_time(m.expires_at) == INT64_MAX);
    }
  }
  CHECK(seen);
  CHECK(ps.models.front().name == "llama3.2:latest");  // latest expiry first
}
