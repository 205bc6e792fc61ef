// Self-test of the fake Ollama daemon, driven with a raw httplib::Client (never an llmtrace client).
#include "fake_ollama.hpp"

#include <doctest/doctest.h>
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

using llmtrace_test::fake_ollama;
using llmtrace_test::fake_ollama_config;
using llmtrace_test::stream_behaviour;
using llmtrace_test::stream_mode;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

struct reply {
  bool ok = false;  // a complete HTTP response arrived
  httplib::Error error = httplib::Error::Success;
  int status = 0;
  std::string content_type;
  std::string body;
  std::vector<std::string> pieces;  // one per content-receiver call (one per HTTP chunk or less)
  httplib::Headers headers;
};

using piece_callback = std::function<bool(const reply&)>;

reply call(const std::string& base_url, const std::string& method, const std::string& path,
           const std::string& body = {}, httplib::Headers headers = {}, piece_callback on_piece = {}) {
  httplib::Client cli(base_url);
  cli.set_read_timeout(20, 0);
  httplib::Request req;
  req.method = method;
  req.path = path;
  req.body = body;
  req.headers = std::move(headers);
  if (!body.empty() && req.headers.find("Content-Type") == req.headers.end())
    req.headers.emplace("Content-Type", "application/json");
  reply r;
  if (method != "HEAD") {
    req.content_receiver = [&r, &on_piece](const char* data, std::size_t n, std::uint64_t, std::uint64_t) {
      r.pieces.emplace_back(data, n);
      r.body.append(data, n);
      return on_piece ? on_piece(r) : true;
    };
  }
  auto res = cli.send(req);
  r.error = res.error();
  if (res) {
    r.ok = true;
    r.status = res->status;
    r.content_type = res->get_header_value("Content-Type");
    r.headers = res->headers;
    if (r.body.empty()) r.body = res->body;
  }
  return r;
}

reply post(const fake_ollama& f, const std::string& path, const std::string& body, httplib::Headers headers = {}) {
  return call(f.base_url(), "POST", path, body, std::move(headers));
}

reply post(const fake_ollama& f, const std::string& path, const json& body) { return post(f, path, body.dump()); }

std::vector<std::string> raw_lines(const std::string& body) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < body.size()) {
    const std::size_t nl = body.find('\n', start);
    if (nl == std::string::npos) {
      out.push_back(body.substr(start));
      break;
    }
    out.push_back(body.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

std::vector<json> ndjson(const std::string& body) {
  std::vector<json> out;
  for (const auto& l : raw_lines(body)) out.push_back(json::parse(l));
  return out;
}

std::string error_of(const reply& r) { return json::parse(r.body).at("error").get<std::string>(); }

json chat_body(const std::string& model, const std::string& text) {
  return json{{"model", model}, {"messages", json::array({{{"role", "user"}, {"content", text}}})}};
}

std::string joined_content(const std::vector<json>& chunks) {
  std::string s;
  for (const auto& c : chunks) {
    if (c.contains("message")) s += c["message"].value("content", "");
    if (c.contains("response")) s += c["response"].get<std::string>();
  }
  return s;
}

const char* const metric_keys[] = {"total_duration",       "load_duration", "prompt_eval_count",
                                   "prompt_eval_duration", "eval_count",    "eval_duration"};

double l2(const json& v) {
  double s = 0;
  for (const auto& x : v) s += x.get<double>() * x.get<double>();
  return std::sqrt(s);
}

fake_ollama_config fixed_time() {
  fake_ollama_config c;
  c.fixed_created_at = "2025-07-07T20:22:19.19314Z";
  c.prompt_cache = false;  // identical requests, byte-identical answers
  return c;
}

json weather_tool() {
  return json::parse(R"({"type":"function","function":{"name":"get_weather","description":"Weather of a city",
    "parameters":{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},
    "required":["city"]}}})");
}

}  // namespace

TEST_CASE("fake_ollama: starts on a free loopback port and answers the basic GET routes") {
  fake_ollama f;
  CHECK(f.port() > 0);
  CHECK(f.base_url() == "http://127.0.0.1:" + std::to_string(f.port()));

  auto root = call(f.base_url(), "GET", "/");
  REQUIRE(root.ok);
  CHECK(root.status == 200);
  CHECK(root.body == "Ollama is running");
  CHECK(root.content_type.rfind("text/plain", 0) == 0);

  auto version = call(f.base_url(), "GET", "/api/version");
  CHECK(version.status == 200);
  CHECK(version.content_type == "application/json; charset=utf-8");
  CHECK(version.body == R"({"version":"0.33.0-rc2"})");

  auto head = call(f.base_url(), "HEAD", "/api/version");
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(call(f.base_url(), "HEAD", "/api/tags").status == 200);

  fake_ollama g;  // two instances coexist on different ports
  CHECK(g.port() != f.port());
}

TEST_CASE("fake_ollama: 404 for unknown paths, 405 for a wrong method, 403 for a foreign Host") {
  fake_ollama f;
  auto nf = call(f.base_url(), "GET", "/api/nope");
  CHECK(nf.status == 404);
  CHECK(nf.body == "404 page not found");
  CHECK(nf.content_type.rfind("text/plain", 0) == 0);
  CHECK(post(f, "/v1/chat/completions", std::string("{}")).status == 404);

  auto na = call(f.base_url(), "GET", "/api/chat");
  CHECK(na.status == 405);
  CHECK(na.body == "405 method not allowed");
  CHECK(call(f.base_url(), "DELETE", "/api/tags").status == 405);
  CHECK(post(f, "/api/version", std::string("{}")).status == 405);

  auto foreign = call(f.base_url(), "GET", "/api/version", {}, {{"Host", "evil.example.com"}});
  CHECK(foreign.status == 403);
  CHECK(foreign.body.empty());
  CHECK(call(f.base_url(), "GET", "/api/version", {}, {{"Host", "localhost:11434"}}).status == 200);
  auto log = f.requests();
  REQUIRE(log.size() == 7);
  CHECK(log[5].status == 403);
  CHECK(log[5].header("Host") == "evil.example.com");

  // like Go, never compressed even when the client asks for it
  auto plain = call(f.base_url(), "GET", "/", {}, {{"Accept-Encoding", "gzip, deflate"}});
  CHECK(plain.body == "Ollama is running");
  CHECK(plain.headers.find("Content-Encoding") == plain.headers.end());
  CHECK(f.last_request().header("accept-encoding") == "gzip, deflate");
}

TEST_CASE("fake_ollama: chat streams NDJSON by default; metrics only on the final chunk") {
  fake_ollama f;
  for (const char* variant : {"omitted", "null", "true"}) {
    CAPTURE(variant);
    json body = chat_body("llama3.2", "Why is the sky blue today?");
    if (std::string(variant) == "null") body["stream"] = nullptr;
    if (std::string(variant) == "true") body["stream"] = true;
    auto r = post(f, "/api/chat", body);
    REQUIRE(r.status == 200);
    CHECK(r.content_type == "application/x-ndjson");
    CHECK(r.headers.find("Transfer-Encoding") != r.headers.end());
    REQUIRE(!r.body.empty());
    CHECK(r.body.back() == '\n');
    auto chunks = ndjson(r.body);
    REQUIRE(chunks.size() >= 3);
    for (std::size_t i = 0; i + 1 < chunks.size(); ++i) {
      const auto& c = chunks[i];
      CHECK(c["model"] == "llama3.2");
      CHECK(c["done"] == false);
      CHECK(c["message"]["role"] == "assistant");
      CHECK(!c.contains("done_reason"));
      for (const char* k : metric_keys) CHECK(!c.contains(k));
    }
    const auto& fin = chunks.back();
    CHECK(fin["done"] == true);
    CHECK(fin["done_reason"] == "stop");
    CHECK(fin["message"]["content"] == "");
    CHECK(!fin.contains("context"));
    for (const char* k : metric_keys) CHECK(fin.contains(k));
    CHECK(fin["eval_count"].get<std::int64_t>() == static_cast<std::int64_t>(chunks.size() - 1));
    CHECK(fin["total_duration"].get<std::int64_t>() >= fin["load_duration"].get<std::int64_t>() +
                                                           fin["prompt_eval_duration"].get<std::int64_t>() +
                                                           fin["eval_duration"].get<std::int64_t>());
    CHECK(joined_content(chunks) == "You said: Why is the sky blue today?. This is a deterministic reply.");
  }
  // key order as Go writes it
  auto r = post(f, "/api/chat", chat_body("llama3.2", "hi"));
  auto lines = raw_lines(r.body);
  const std::regex chunk_re(
      R"(^\{"model":"llama3\.2","created_at":"[^"]+","message":\{"role":"assistant","content":"[^"]*"\},"done":false\}$)");
  CHECK(std::regex_match(lines.front(), chunk_re));
  const std::regex final_re(
      R"(^\{"model":"llama3\.2","created_at":"[^"]+","message":\{"role":"assistant","content":""\},"done":true,"done_reason":"stop","total_duration":\d+,"load_duration":\d+,"prompt_eval_count":\d+,"prompt_eval_duration":\d+,"eval_count":\d+,"eval_duration":\d+\}$)");
  CHECK(std::regex_match(lines.back(), final_re));
  const std::regex created_re(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,8}[1-9])?Z$)");
  CHECK(std::regex_match(json::parse(lines.front())["created_at"].get<std::string>(), created_re));
}

TEST_CASE("fake_ollama: non-streaming chat and generate return one joined object") {
  fake_ollama f;
  json body = chat_body("llama3.2", "Tell me a story please");
  auto streamed = ndjson(post(f, "/api/chat", body).body);
  body["stream"] = false;
  auto r = post(f, "/api/chat", body);
  REQUIRE(r.status == 200);
  CHECK(r.content_type == "application/json; charset=utf-8");
  CHECK(r.body.find('\n') == std::string::npos);
  auto o = json::parse(r.body);
  CHECK(o["done"] == true);
  CHECK(o["done_reason"] == "stop");
  CHECK(o["message"]["content"] == joined_content(streamed));
  CHECK(o["eval_count"] == streamed.back()["eval_count"]);

  json gen = {{"model", "llama3.2"}, {"prompt", "Say hello"}, {"stream", false}};
  auto g = post(f, "/api/generate", gen);
  REQUIRE(g.status == 200);
  auto go = json::parse(g.body);
  CHECK(go["response"] == "You said: Say hello. This is a deterministic reply.");
  REQUIRE(go.contains("context"));
  CHECK(go["context"].size() ==
        static_cast<std::size_t>(go["prompt_eval_count"].get<int>() + go["eval_count"].get<int>()));
  gen["raw"] = true;
  CHECK(!json::parse(post(f, "/api/generate", gen).body).contains("context"));

  json gstream = {{"model", "llama3.2"}, {"prompt", "Say hello"}};
  auto gs = ndjson(post(f, "/api/generate", gstream).body);
  CHECK(joined_content(gs) == go["response"].get<std::string>());
  CHECK(gs.front().contains("response"));
  CHECK(!gs.front().contains("context"));
  CHECK(gs.back().contains("context"));
}

TEST_CASE("fake_ollama: framing modes deliver byte-identical streams") {
  fake_ollama f(fixed_time());
  f.set_reply("llama3.2", fake_ollama::unicode_reply());
  const json body = chat_body("llama3.2", "unicode please");
  auto normal = post(f, "/api/chat", body);
  REQUIRE(normal.status == 200);
  const auto lines = raw_lines(normal.body);
  CHECK(normal.pieces.size() == lines.size());  // one HTTP chunk per line

  f.set_mode(stream_mode::split_bytes);
  auto split = post(f, "/api/chat", body);
  CHECK(split.body == normal.body);
  CHECK(split.pieces.size() == normal.body.size());
  for (const auto& p : split.pieces) CHECK(p.size() == 1);

  f.set_mode(stream_mode::merge_lines);
  auto merged = post(f, "/api/chat", body);
  CHECK(merged.body == normal.body);
  REQUIRE(!merged.pieces.empty());
  CHECK(std::count(merged.pieces.front().begin(), merged.pieces.front().end(), '\n') >= 2);

  f.set_mode(stream_mode::random_splits, 0, 7);
  auto random1 = post(f, "/api/chat", body);
  auto random2 = post(f, "/api/chat", body);
  CHECK(random1.body == normal.body);
  CHECK(random1.pieces == random2.pieces);  // seeded: the same cuts every time
  bool crosses_line = false;
  for (const auto& p : random1.pieces) {
    const auto nl = p.find('\n');
    if (nl != std::string::npos && nl + 1 < p.size()) crosses_line = true;
  }
  CHECK(crosses_line);

  f.set_mode(stream_mode::normal);
  f.set_next_mode(stream_mode::split_bytes);  // one-shot
  CHECK(post(f, "/api/chat", body).pieces.size() == normal.body.size());
  CHECK(post(f, "/api/chat", body).pieces.size() == lines.size());

  // non-streaming bodies honour the framing too
  json ns = body;
  ns["stream"] = false;
  auto plain = post(f, "/api/chat", ns);
  f.set_next_mode(stream_mode::split_bytes);
  auto plain_split = post(f, "/api/chat", ns);
  CHECK(plain_split.body == plain.body);
  CHECK(plain_split.content_type == "application/json; charset=utf-8");
}

TEST_CASE("fake_ollama: unicode reply is Go-escaped and reassembles exactly") {
  fake_ollama f;
  f.set_reply("llama3.2", fake_ollama::unicode_reply());
  json body = chat_body("llama3.2", "x");
  body["stream"] = false;
  auto r = post(f, "/api/chat", body);
  CHECK(r.body.find("\\u003cb\\u003ebold\\u003c/b\\u003e \\u0026") != std::string::npos);
  CHECK(r.body.find("\\u2028") != std::string::npos);
  CHECK(r.body.find("\xE6\x97\xA5\xE6\x9C\xAC") != std::string::npos);  // CJK stays raw UTF-8
  CHECK(r.body.find('<') == std::string::npos);
  CHECK(json::parse(r.body)["message"]["content"] == fake_ollama::unicode_reply());

  f.set_mode(stream_mode::split_bytes);
  auto s = post(f, "/api/chat", chat_body("llama3.2", "x"));
  CHECK(joined_content(ndjson(s.body)) == fake_ollama::unicode_reply());

  nlohmann::ordered_json v = {{"b", "<&>"}, {"a", "\xE2\x80\xA9\x01\xFF"}};
  CHECK(llmtrace_test::go_json_encode(v) == R"({"b":"\u003c\u0026\u003e","a":"\u2029\u0001\ufffd"})");
}

TEST_CASE("fake_ollama: mid-stream error, EOF without done, dropped connection") {
  fake_ollama f;
  const json body = chat_body("llama3.2", "one two three four five six");

  f.set_next_mode(stream_mode::error_mid_stream, 2);
  auto e = post(f, "/api/chat", body);
  CHECK(e.status == 200);
  auto chunks = ndjson(e.body);
  REQUIRE(chunks.size() == 3);
  CHECK(chunks[0]["done"] == false);
  CHECK(chunks[1]["done"] == false);
  CHECK(chunks[2].size() == 1);
  // The current server's text for a runner that died mid-generation (llm/llama_server.go).
  CHECK(chunks[2]["error"] == "an error was encountered while running the model: unexpected EOF");

  json ns = body;
  ns["stream"] = false;
  f.set_next_mode(stream_mode::error_mid_stream, 2);
  auto e2 = post(f, "/api/chat", ns);
  CHECK(e2.status == 500);
  CHECK(e2.content_type == "application/json; charset=utf-8");
  CHECK(error_of(e2) == "an error was encountered while running the model: unexpected EOF");

  f.set_next_mode(stream_mode::eof_without_done, 3);
  auto eof = post(f, "/api/chat", body);
  REQUIRE(eof.ok);
  auto eof_chunks = ndjson(eof.body);
  CHECK(eof_chunks.size() == 3);
  for (const auto& c : eof_chunks) CHECK(c["done"] == false);

  f.set_next_mode(stream_mode::drop_after_chunks, 1);
  auto dropped = post(f, "/api/chat", body);
  CHECK(!dropped.ok);
  CHECK(raw_lines(dropped.body).size() == 1);

  CHECK(post(f, "/api/chat", body).status == 200);  // modes were one-shot
}

TEST_CASE("fake_ollama: a hanging stream notices a client that goes away") {
  fake_ollama f;
  f.set_mode(stream_mode::hang_after_chunks, 2);
  auto r = call(f.base_url(), "POST", "/api/chat", chat_body("llama3.2", "a b c d e f").dump(), {},
                [](const reply& so_far) { return raw_lines(so_far.body).size() < 2 || so_far.body.back() != '\n'; });
  CHECK(!r.ok);
  CHECK(r.error == httplib::Error::Canceled);
  CHECK(f.wait_for_hung_streams(1, 10s));
  CHECK(f.wait_for_disconnects(1, 10s));
  CHECK(f.disconnects() == 1);
}

TEST_CASE("fake_ollama: release_hung lets a hanging stream finish") {
  fake_ollama f;
  f.set_next_mode(stream_mode::hang_after_chunks, 1);
  reply r;
  std::thread client(
      [&r, url = f.base_url()] { r = call(url, "POST", "/api/chat", chat_body("llama3.2", "a b c").dump()); });
  REQUIRE(f.wait_for_hung_streams(1, 10s));
  f.release_hung();
  client.join();
  REQUIRE(r.ok);
  auto chunks = ndjson(r.body);
  CHECK(chunks.back()["done"] == true);
  CHECK(f.disconnects() == 0);
}

TEST_CASE("fake_ollama: the destructor does not wait for a hanging stream") {
  reply r;
  std::thread client;
  const auto start = std::chrono::steady_clock::now();
  {
    fake_ollama f;
    f.set_mode(stream_mode::hang_after_chunks, 1);
    client = std::thread(
        [&r, url = f.base_url()] { r = call(url, "POST", "/api/chat", chat_body("llama3.2", "a b c").dump()); });
    REQUIRE(f.wait_for_hung_streams(1, 10s));
  }
  client.join();
  CHECK(std::chrono::steady_clock::now() - start < 4s);
  CHECK(!r.ok);
  CHECK(raw_lines(r.body).size() == 1);
}

TEST_CASE("fake_ollama: the destructor is quick with an idle keep-alive client") {
  const auto start = std::chrono::steady_clock::now();
  {
    fake_ollama f;
    httplib::Client cli(f.base_url());
    cli.set_keep_alive(true);
    auto r1 = cli.Get("/api/version");
    auto r2 = cli.Get("/api/version");
    REQUIRE(r1);
    REQUIRE(r2);
    CHECK(f.wait_for_requests(2, 1s));
  }
  CHECK(std::chrono::steady_clock::now() - start < 4s);
}

TEST_CASE("fake_ollama: injected failures before the first byte") {
  fake_ollama f;
  f.fail_next(503, fake_ollama::server_busy_message);
  auto busy = post(f, "/api/chat", chat_body("llama3.2", "hi"));
  CHECK(busy.status == 503);
  CHECK(busy.content_type == "application/json; charset=utf-8");
  CHECK(busy.body == R"({"error":"server busy, please try again.  maximum pending requests exceeded"})");
  CHECK(post(f, "/api/chat", chat_body("llama3.2", "hi")).status == 200);

  f.fail_next(429, "rate limit exceeded", 2);
  CHECK(post(f, "/api/generate", json{{"model", "llama3.2"}, {"prompt", "x"}}).status == 429);
  CHECK(post(f, "/api/embed", json{{"model", "all-minilm"}, {"input", "x"}}).status == 429);
  CHECK(post(f, "/api/embed", json{{"model", "all-minilm"}, {"input", "x"}}).status == 200);

  f.fail_next(499, fake_ollama::request_canceled_message, 1, "/api/embed");
  CHECK(post(f, "/api/chat", chat_body("llama3.2", "hi")).status == 200);  // other path unaffected
  auto canceled = post(f, "/api/embed", json{{"model", "all-minilm"}, {"input", "x"}});
  CHECK(canceled.status == 499);
  CHECK(error_of(canceled) == "request canceled");

  f.fail_next(500, "an error was encountered while running the model");
  CHECK(post(f, "/api/chat", chat_body("llama3.2", "hi")).status == 500);
}

TEST_CASE("fake_ollama: request errors with the server's exact statuses and messages") {
  fake_ollama f;
  struct expectation {
    const char* path;
    std::string body;
    int status;
    std::string message;
  };
  const std::vector<expectation> cases = {
      {"/api/chat", "", 400, "missing request body"},
      {"/api/chat", "   \n", 400, "missing request body"},
      {"/api/chat", "xyz", 400, "invalid character 'x' looking for beginning of value"},
      {"/api/chat", R"({"model":"llama3.2",)", 400, "unexpected EOF"},
      {"/api/chat", R"({"model" "llama3.2"})", 400, "invalid character '\"' after object key"},
      {"/api/chat", R"({"model":"llama3.2","stream":"yes"})", 400,
       "json: cannot unmarshal string into Go struct field ChatRequest.stream of type bool"},
      {"/api/chat", R"([1,2])", 400, "json: cannot unmarshal array into Go value of type api.ChatRequest"},
      {"/api/chat", R"({"model":"","messages":[]})", 400, "model is required"},
      {"/api/chat", R"({"messages":[]})", 400, "model is required"},
      {"/api/generate", R"({"model":"","prompt":"hi"})", 404, "model '' not found"},
      {"/api/chat", R"({"model":"nosuch","messages":[]})", 404, "model 'nosuch' not found"},
      {"/api/generate", R"({"model":"nosuch","prompt":"x"})", 404, "model 'nosuch' not found"},
      {"/api/embed", R"({"model":"nosuch","input":"x"})", 404, "model \"nosuch\" not found, try pulling it first"},
      {"/api/embeddings", R"({"model":"nosuch","prompt":"x"})", 404,
       "model \"nosuch\" not found, try pulling it first"},
      {"/api/show", R"({"model":"nosuch"})", 404, "model 'nosuch:latest' not found"},
      {"/api/show", R"({})", 400, "model is required"},
      {"/api/chat", R"({"model":"llama3.2","messages":[{"role":"user","content":"hi"}],"think":true})", 400,
       "\"llama3.2\" does not support thinking"},
      {"/api/chat", R"({"model":"qwen3","messages":[{"role":"user","content":"hi"}],"think":"x"})", 400,
       "invalid think value: \"x\" (must be \"high\", \"medium\", \"low\", \"max\", true, or false)"},
      {"/api/chat", R"({"model":"nomic-embed-text","messages":[{"role":"user","content":"hi"}]})", 400,
       "\"nomic-embed-text\" does not support chat"},
      {"/api/generate", R"({"model":"all-minilm","prompt":"hi"})", 400, "\"all-minilm\" does not support generate"},
      {"/api/chat",
       R"({"model":"gemma3","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f"}}]})",
       400, "registry.ollama.ai/library/gemma3:latest does not support tools"},
      {"/api/chat", R"({"model":"llama3.2","messages":[{"role":"user","content":"hi"}],"top_logprobs":21})", 400,
       "top_logprobs must be between 0 and 20"},
      {"/api/chat",
       R"({"model":"llama3.2","messages":[{"role":"user","content":"hi"}],"options":{"temperature":"hot"}})", 500,
       "option \"temperature\" must be of type float32"},
      {"/api/chat", R"({"model":"llama3.2","messages":[{"role":"user","content":"hi"}],"options":{"num_predict":"3"}})",
       500, "option \"num_predict\" must be of type integer"},
      {"/api/chat",
       R"({"model":"llama3.2","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"","tool_calls":[{"function":{"name":"get_weather","arguments":"{\"city\":\"Tokyo\"}"}}]}]})",
       400,
       "json: cannot unmarshal string into Go struct field ChatRequest.messages.tool_calls.function.arguments of type "
       "api.ToolCallFunctionArguments"},
      {"/api/chat", R"({"model":"llama3.2","messages":[{"role":"user","content":5}]})", 400,
       "json: cannot unmarshal number into Go struct field ChatRequest.messages.content of type string"},
      {"/api/chat", R"({"model":"llama3.2","messages":[],"keep_alive":"-1"})", 400,
       "time: missing unit in duration \"-1\""},
      {"/api/generate", R"({"model":"llama3.2","prompt":"x","raw":true,"system":"s"})", 400,
       "raw mode does not support template, system, or context"},
      {"/api/embed", R"({"model":"all-minilm","input":5})", 400, "invalid input type"},
      {"/api/embed", R"({"model":"all-minilm","input":["ok",5]})", 400, "invalid input type"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.path);
    CAPTURE(c.body);
    auto r = post(f, c.path, c.body);
    CHECK(r.status == c.status);
    CHECK(r.content_type == "application/json; charset=utf-8");
    CHECK(error_of(r) == c.message);
  }
  // Go's decoder ignores unknown fields, trailing data after the first value and key case.
  auto lenient = post(f, "/api/chat", std::string(R"({"Model":"llama3.2","messages":[],"mirostat":1} trailing)"));
  CHECK(lenient.status == 200);
  CHECK(json::parse(lenient.body)["done_reason"] == "load");
}

TEST_CASE("fake_ollama: load and unload requests answer one object even when streaming") {
  fake_ollama f;
  auto load = post(f, "/api/chat", json{{"model", "llama3.2"}, {"messages", json::array()}, {"stream", true}});
  REQUIRE(load.status == 200);
  CHECK(load.content_type == "application/json; charset=utf-8");
  auto o = json::parse(load.body);
  CHECK(o["done"] == true);
  CHECK(o["done_reason"] == "load");
  CHECK(o["message"] == json{{"role", "assistant"}, {"content", ""}});
  for (const char* k : metric_keys) CHECK(!o.contains(k));
  CHECK(f.is_loaded("llama3.2"));

  for (const json& ka : {json(0), json("0"), json("0s")}) {
    CAPTURE(ka.dump());
    auto unload = post(f, "/api/chat", json{{"model", "llama3.2"}, {"messages", json::array()}, {"keep_alive", ka}});
    CHECK(json::parse(unload.body)["done_reason"] == "unload");
    CHECK(!f.is_loaded("llama3.2"));
  }

  auto gload = post(f, "/api/generate", json{{"model", "llama3.2"}, {"prompt", ""}});
  auto go = json::parse(gload.body);
  CHECK(go["done_reason"] == "load");
  CHECK(go["response"] == "");
  CHECK(f.is_loaded("llama3.2"));
  auto gunload = post(f, "/api/generate", json{{"model", "llama3.2"}, {"keep_alive", 0}});
  CHECK(json::parse(gunload.body)["done_reason"] == "unload");

  for (const json& ka : {json("5m"), json(300), json(-1), json("1h30m"), json(2.5)}) {
    CAPTURE(ka.dump());
    json body = chat_body("llama3.2", "hi");
    body["keep_alive"] = ka;
    CHECK(post(f, "/api/chat", body).status == 200);
  }
}

TEST_CASE("fake_ollama: cold start then warm; re-armable and unloaded by keep_alive 0") {
  fake_ollama f;
  json body = chat_body("cold-llama", "hello there");
  body["stream"] = false;
  CHECK(!f.is_loaded("cold-llama"));
  auto first = json::parse(post(f, "/api/chat", body).body);
  CHECK(first["load_duration"] == 6300000000LL);
  CHECK(first["total_duration"].get<std::int64_t>() > 6300000000LL);
  auto second = json::parse(post(f, "/api/chat", body).body);
  CHECK(second["load_duration"].get<std::int64_t>() < 100000000LL);
  CHECK(second["load_duration"].get<std::int64_t>() > 0);

  f.set_cold("cold-llama");
  CHECK(json::parse(post(f, "/api/chat", body).body)["load_duration"] == 6300000000LL);

  json unload = body;
  unload["keep_alive"] = 0;
  post(f, "/api/chat", unload);
  CHECK(!f.is_loaded("cold-llama"));
  CHECK(json::parse(post(f, "/api/chat", body).body)["load_duration"] == 6300000000LL);

  // warm models start loaded
  auto warm =
      json::parse(post(f, "/api/generate", json{{"model", "llama3.2"}, {"prompt", "x"}, {"stream", false}}).body);
  CHECK(warm["load_duration"].get<std::int64_t>() < 100000000LL);
}

TEST_CASE("fake_ollama: num_predict stops with done_reason length") {
  fake_ollama f;
  json body = chat_body("llama3.2", "one two three four five six seven");
  body["options"] = {{"num_predict", 3}, {"temperature", 0}, {"mirostat", 2}};
  auto chunks = ndjson(post(f, "/api/chat", body).body);
  REQUIRE(chunks.size() == 4);
  CHECK(chunks.back()["done_reason"] == "length");
  CHECK(chunks.back()["eval_count"] == 3);
  CHECK(joined_content(chunks) == "You said: one");

  body["options"] = {{"num_predict", 2.9}};  // numbers are truncated for int options
  CHECK(ndjson(post(f, "/api/chat", body).body).back()["eval_count"] == 2);

  body["options"] = {{"stop", {"three"}}};
  auto stopped = ndjson(post(f, "/api/chat", body).body);
  CHECK(stopped.back()["done_reason"] == "stop");
  CHECK(joined_content(stopped) == "You said: one two ");
}

TEST_CASE("fake_ollama: tool calls arrive on the final done:true chunk, then a text answer after the tool result") {
  fake_ollama f;
  json body = chat_body("llama3.2", "What's the weather in Tokyo?");
  body["tools"] = json::array({weather_tool(), json::parse(R"({"type":"function","function":{"name":"other"}})")});
  auto chunks = ndjson(post(f, "/api/chat", body).body);
  REQUIRE(chunks.size() == 1);  // the llama-server path (v0.30.0+): one final chunk with the calls
  const auto& call_chunk = chunks[0];
  CHECK(call_chunk["done"] == true);
  CHECK(call_chunk["message"]["content"] == "");
  REQUIRE(call_chunk["message"]["tool_calls"].size() == 1);
  const auto& tc = call_chunk["message"]["tool_calls"][0];
  CHECK(std::regex_match(tc["id"].get<std::string>(), std::regex("^call_[a-z0-9]{8}$")));
  CHECK(tc["function"]["index"] == 0);
  CHECK(tc["function"]["name"] == "get_weather");
  CHECK(tc["function"]["arguments"] == json{{"city", "Tokyo"}});
  CHECK(call_chunk["eval_count"].get<int>() > 0);

  f.set_tool_calls_in_separate_chunk(true);  // servers before v0.30.0
  auto old = ndjson(post(f, "/api/chat", body).body);
  REQUIRE(old.size() == 2);
  CHECK(old[0]["done"] == false);
  CHECK(old[0]["message"]["tool_calls"] == call_chunk["message"]["tool_calls"]);
  CHECK(!old[1]["message"].contains("tool_calls"));
  CHECK(old[1]["done"] == true);
  f.set_tool_calls_in_separate_chunk(false);

  body["stream"] = false;
  auto whole = json::parse(post(f, "/api/chat", body).body);
  CHECK(whole["message"]["tool_calls"] == call_chunk["message"]["tool_calls"]);  // deterministic id too
  json other = body;
  other["messages"][0]["content"] = "Weather in Paris?";
  auto other_call = json::parse(post(f, "/api/chat", other).body)["message"]["tool_calls"][0];
  CHECK(other_call["id"] != tc["id"]);

  f.set_parallel_tool_calls(true);
  f.set_tool_arguments({{"q", "x"}});
  auto both = json::parse(post(f, "/api/chat", body).body);
  REQUIRE(both["message"]["tool_calls"].size() == 2);
  CHECK(both["message"]["tool_calls"][1]["function"]["index"] == 1);
  CHECK(both["message"]["tool_calls"][1]["function"]["name"] == "other");
  CHECK(both["message"]["tool_calls"][1]["function"]["arguments"] == json{{"q", "x"}});

  json follow = body;
  follow["messages"].push_back(
      {{"role", "assistant"}, {"content", ""}, {"tool_calls", call_chunk["message"]["tool_calls"]}});
  follow["messages"].push_back({{"role", "tool"}, {"content", "Sunny, 25 C"}, {"tool_name", "get_weather"}});
  auto answer = json::parse(post(f, "/api/chat", follow).body);
  CHECK(!answer["message"].contains("tool_calls"));
  CHECK(answer["message"]["content"] == "The tool returned: Sunny, 25 C");
}

TEST_CASE("fake_ollama: thinking models think by default, before the content") {
  fake_ollama f;
  auto chunks = ndjson(post(f, "/api/chat", chat_body("qwen3", "Is 17 prime?")).body);
  REQUIRE(chunks.size() > 2);
  std::size_t first_content = chunks.size();
  std::size_t last_thinking = 0;
  std::string thinking;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    const auto& m = chunks[i]["message"];
    if (m.contains("thinking")) {
      last_thinking = i;
      thinking += m["thinking"].get<std::string>();
      CHECK(m["content"] == "");
    }
    if (!m["content"].get<std::string>().empty() && first_content == chunks.size()) first_content = i;
  }
  CHECK(!thinking.empty());
  CHECK(last_thinking < first_content);

  json body = chat_body("qwen3", "Is 17 prime?");
  body["think"] = false;
  for (const auto& c : ndjson(post(f, "/api/chat", body).body)) CHECK(!c["message"].contains("thinking"));

  f.set_thinking("qwen3", "Hmm, primes.");
  for (const json& level : {json("high"), json("low"), json(true)}) {
    body["think"] = level;
    body["stream"] = false;
    auto o = json::parse(post(f, "/api/chat", body).body);
    CHECK(o["message"]["thinking"] == "Hmm, primes.");
    CHECK(!o["message"]["content"].get<std::string>().empty());
  }
  auto gen = json::parse(post(f, "/api/generate", json{{"model", "qwen3"}, {"prompt", "x"}, {"stream", false}}).body);
  CHECK(gen["thinking"] == "Hmm, primes.");
  CHECK(post(f, "/api/chat", json{{"model", "llama3.2"}, {"messages", json::array()}, {"think", false}}).status == 200);
}

TEST_CASE("fake_ollama: format json and schema produce parseable JSON content") {
  fake_ollama f;
  json body = chat_body("llama3.2", "give me json");
  body["stream"] = false;
  body["format"] = "json";
  auto o = json::parse(post(f, "/api/chat", body).body);
  CHECK(json::parse(o["message"]["content"].get<std::string>()).contains("reply"));
  body["format"] = json::parse(R"({"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}}})");
  auto s = json::parse(post(f, "/api/chat", body).body);
  CHECK(json::parse(s["message"]["content"].get<std::string>()) == json{{"name", "example"}, {"age", 42}});
  body["format"] = "xml";  // checked by the runner once the model is loaded: a 500
  const auto bad = post(f, "/api/chat", body);
  CHECK(bad.status == 500);
  CHECK(json::parse(bad.body)["error"] ==
        "invalid format: \"\\\"xml\\\"\"; expected \"json\" or a valid JSON Schema object");
}

TEST_CASE("fake_ollama: /api/embed vectors are normalised, deterministic and sized per model") {
  fake_ollama f;
  auto r = post(f, "/api/embed", json{{"model", "nomic-embed-text"}, {"input", "The sky is blue"}});
  REQUIRE(r.status == 200);
  CHECK(r.content_type == "application/json; charset=utf-8");
  auto o = json::parse(r.body);
  CHECK(o["model"] == "nomic-embed-text");
  REQUIRE(o["embeddings"].is_array());
  REQUIRE(o["embeddings"].size() == 1);
  CHECK(o["embeddings"][0].size() == 768);
  CHECK(std::fabs(l2(o["embeddings"][0]) - 1.0) < 1e-5);
  CHECK(o.contains("total_duration"));
  CHECK(o.contains("load_duration"));
  CHECK(o["prompt_eval_count"].get<int>() > 0);
  CHECK(r.body.rfind(R"({"model":"nomic-embed-text","embeddings":[[)", 0) == 0);

  auto batch = json::parse(
      post(f, "/api/embed",
           json{{"model", "nomic-embed-text"}, {"input", {"The sky is blue", "The sky is grey", "Bananas"}}})
          .body);
  REQUIRE(batch["embeddings"].size() == 3);
  CHECK(batch["embeddings"][0] == o["embeddings"][0]);  // deterministic across requests
  CHECK(batch["embeddings"][0] != batch["embeddings"][1]);
  auto dot = [](const json& a, const json& b) {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) s += a[i].get<double>() * b[i].get<double>();
    return s;
  };
  CHECK(dot(batch["embeddings"][0], batch["embeddings"][1]) > dot(batch["embeddings"][0], batch["embeddings"][2]));

  auto mini = json::parse(post(f, "/api/embed", json{{"model", "all-minilm"}, {"input", {"x"}}}).body);
  CHECK(mini["embeddings"][0].size() == 384);

  auto dims = json::parse(
      post(f, "/api/embed", json{{"model", "nomic-embed-text"}, {"input", "The sky is blue"}, {"dimensions", 256}})
          .body);
  REQUIRE(dims["embeddings"][0].size() == 256);
  CHECK(std::fabs(l2(dims["embeddings"][0]) - 1.0) < 1e-5);
  CHECK(dims["embeddings"][0][0] != o["embeddings"][0][0]);  // renormalised

  for (const json& empty : {json(""), json::array(), json()}) {
    json body = {{"model", "all-minilm"}};
    if (!empty.is_null()) body["input"] = empty;
    auto e = post(f, "/api/embed", body);
    CHECK(e.body == R"({"model":"all-minilm","embeddings":[]})");
  }

  const std::string long_text(20000, 'a');
  auto too_long = post(f, "/api/embed", json{{"model", "all-minilm"}, {"input", long_text}, {"truncate", false}});
  CHECK(too_long.status == 400);
  CHECK(error_of(too_long) == "the input length exceeds the context length");
  CHECK(post(f, "/api/embed", json{{"model", "all-minilm"}, {"input", long_text}}).status == 200);
}

TEST_CASE("fake_ollama: legacy /api/embeddings returns one unnormalised vector") {
  fake_ollama f;
  auto r = post(f, "/api/embeddings", json{{"model", "nomic-embed-text"}, {"prompt", "hello"}});
  REQUIRE(r.status == 200);
  auto o = json::parse(r.body);
  CHECK(o.size() == 1);
  REQUIRE(o["embedding"].size() == 768);
  CHECK(std::fabs(l2(o["embedding"]) - 1.0) > 0.1);
  auto again = json::parse(post(f, "/api/embeddings", json{{"model", "nomic-embed-text"}, {"prompt", "hello"}}).body);
  CHECK(again == o);
  auto empty = post(f, "/api/embeddings", json{{"model", "nomic-embed-text"}, {"prompt", ""}});
  CHECK(empty.body == R"({"embedding":[]})");
}

TEST_CASE("fake_ollama: tags, ps and show") {
  fake_ollama f;
  auto tags = json::parse(call(f.base_url(), "GET", "/api/tags").body);
  std::vector<std::string> names;
  for (const auto& m : tags["models"]) {
    names.push_back(m["name"].get<std::string>());
    CHECK(m["digest"].get<std::string>().size() == 64);
    CHECK(m["details"]["format"] == "gguf");
    CHECK(m["size"].get<std::int64_t>() > 0);
  }
  for (const char* n :
       {"llama3.2:latest", "qwen3:latest", "cold-llama:latest", "nomic-embed-text:latest", "all-minilm:latest"}) {
    CHECK(std::find(names.begin(), names.end(), n) != names.end());
  }

  auto ps_names = [&] {
    std::vector<std::string> v;
    const json ps = json::parse(call(f.base_url(), "GET", "/api/ps").body);
    for (const auto& m : ps["models"]) {
      v.push_back(m["name"].get<std::string>());
      CHECK(m.contains("expires_at"));
      CHECK(m.contains("size_vram"));
    }
    return v;
  };
  auto before = ps_names();
  CHECK(std::find(before.begin(), before.end(), "cold-llama:latest") == before.end());
  CHECK(std::find(before.begin(), before.end(), "llama3.2:latest") != before.end());
  post(f, "/api/chat", json{{"model", "cold-llama"}, {"messages", json::array()}, {"keep_alive", -1}});
  auto after = ps_names();
  REQUIRE(!after.empty());
  CHECK(after.front() == "cold-llama:latest");  // sorted by expiry, latest (forever) first

  auto show = json::parse(post(f, "/api/show", json{{"model", "qwen3"}}).body);
  CHECK(show["details"]["family"] == "qwen3");
  CHECK(std::find(show["capabilities"].begin(), show["capabilities"].end(), "thinking") != show["capabilities"].end());
  CHECK(show["model_info"]["qwen3.context_length"] == 40960);
  auto legacy = post(f, "/api/show", json{{"name", "nomic-embed-text:latest"}});
  CHECK(legacy.status == 200);
  CHECK(json::parse(legacy.body)["capabilities"] == json{"embedding"});
}

TEST_CASE("fake_ollama: model names are matched like Ollama and echoed verbatim") {
  fake_ollama f;
  for (const char* name : {"llama3.2", "llama3.2:latest", "registry.ollama.ai/library/llama3.2:latest"}) {
    CAPTURE(name);
    json body = chat_body(name, "hi");
    body["stream"] = false;
    auto r = post(f, "/api/chat", body);
    REQUIRE(r.status == 200);
    CHECK(json::parse(r.body)["model"] == name);
  }
  CHECK(post(f, "/api/chat", chat_body("llama3.2:70b", "hi")).status == 404);
}

TEST_CASE("fake_ollama: huge generate context is one multi-megabyte line") {
  fake_ollama f;
  f.set_huge_context(true, 300000);
  auto r = post(f, "/api/generate", json{{"model", "llama3.2"}, {"prompt", "hi"}});
  auto lines = raw_lines(r.body);
  REQUIRE(!lines.empty());
  CHECK(lines.back().size() > 2000000);
  auto fin = json::parse(lines.back());
  CHECK(fin["context"].size() == 300000);
  CHECK(fin["done"] == true);
}

TEST_CASE("fake_ollama: request log keeps headers and bodies; waiting is condition based") {
  fake_ollama f;
  CHECK(f.request_count() == 0);
  CHECK(!f.wait_for_requests(1, 10ms));
  const std::string tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  auto r = post(f, "/api/chat", chat_body("llama3.2", "hi").dump(),
                {{"traceparent", tp},
                 {"tracestate", "k=v"},
                 {"User-Agent", "llmtrace-test/1.0"},
                 {"Accept", "application/x-ndjson"}});
  CHECK(r.status == 200);
  REQUIRE(f.wait_for_requests(1, 1s));
  auto last = f.last_request();
  CHECK(last.method == "POST");
  CHECK(last.path == "/api/chat");
  CHECK(last.header("traceparent") == tp);
  CHECK(last.header("TRACEPARENT") == tp);
  CHECK(last.header("tracestate") == "k=v");
  CHECK(last.header("user-agent") == "llmtrace-test/1.0");
  CHECK(last.header("Content-Type") == "application/json");
  CHECK(last.header("Accept") == "application/x-ndjson");
  CHECK(!last.has_header("x-missing"));
  CHECK(last.json_valid);
  CHECK(last.json["messages"][0]["content"] == "hi");
  CHECK(last.status == 200);

  post(f, "/api/chat", std::string("not json"));
  auto all = f.requests();
  REQUIRE(all.size() == 2);
  CHECK(all[1].index == 1);
  CHECK(!all[1].json_valid);
  CHECK(all[1].body == "not json");
  CHECK(all[1].status == 400);
  f.clear_requests();
  CHECK(f.requests().empty());
}
