// Tests for llmtrace/http/record_replay.hpp: the file format, matching (method, path, canonical
// body; headers ignored), streamed chunks replayed with their boundaries, misses that name the
// request, repeats, and a round trip through the real libcurl transport against the fake Ollama.
#include <llmtrace/http/record_replay.hpp>

#include <doctest/doctest.h>

#include <llmtrace/http/curl_transport.hpp>

#include "support/fake_ollama.hpp"

#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace http = llmtrace::http;

namespace {

/// A scripted inner transport: answers every request with fixed chunks, counts calls.
class scripted_transport final : public http::transport {
 public:
  std::vector<std::string> chunks{"{\"a\":1}\n{\"b\"", ":2}\n", "{\"done\":true}\n"};
  int status = 200;
  std::atomic<int> calls{0};

  http::response send(const http::request& req) noexcept override {
    ++calls;
    http::response r;
    r.status = status;
    r.headers.push_back({"Content-Type", "application/json; charset=utf-8"});
    r.body = "{\"echo\":" + std::to_string(req.body.size()) + "}";
    return r;
  }
  http::response stream(const http::request&, const http::data_callback& on_data) noexcept override {
    ++calls;
    http::response r;
    r.status = status;
    r.headers.push_back({"Content-Type", "application/x-ndjson"});
    if (status != 200) {
      r.body = "{\"error\":\"model 'x' not found\"}";
      return r;
    }
    for (const auto& c : chunks)
      if (!on_data(c)) {
        r.error = http::error_kind::aborted;
        return r;
      }
    return r;
  }
};

struct temp_file {
  std::string path;
  explicit temp_file(const std::string& name) : path("rr_test_" + name + ".jsonl") { std::remove(path.c_str()); }
  ~temp_file() { std::remove(path.c_str()); }
  std::vector<std::string> lines() const {
    std::ifstream in(path);
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  }
};

http::request post(const std::string& url, const std::string& body) {
  http::request r;
  r.url = url;
  r.body = body;
  r.headers.push_back({"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"});
  return r;
}

std::vector<std::string> collect(http::transport& t, const http::request& req, http::response& out) {
  std::vector<std::string> got;
  out = t.stream(req, [&](std::string_view b) {
    got.emplace_back(b);
    return true;
  });
  return got;
}

}  // namespace

TEST_CASE("url_path and canonical_body") {
  using llmtrace::detail::replay::canonical_body;
  using llmtrace::detail::replay::url_path;
  CHECK(url_path("http://127.0.0.1:11434/api/chat") == "/api/chat");
  CHECK(url_path("https://proxy.example/ollama/api/embed?x=1#frag") == "/ollama/api/embed?x=1");
  CHECK(url_path("http://host:80") == "/");
  CHECK(url_path("http://host?q") == "/?q");
  CHECK(url_path("/api/tags") == "/api/tags");
  CHECK(canonical_body("{ \"b\": 1, \"a\": [1, 2] }") == canonical_body("{\"a\":[1,2],\"b\":1}"));
  CHECK(canonical_body("not json") == "not json");
  CHECK(canonical_body("") == "");
}

TEST_CASE("a recording is JSON lines with a labelled header, the request body as JSON and chunks") {
  temp_file f("format");
  auto inner = std::make_shared<scripted_transport>();
  {
    http::recording_transport rec(inner, f.path, {"unit test recording", false});
    http::response r;
    const auto got = collect(rec, post("http://127.0.0.1:1/api/chat", R"({"model":"m","stream":true})"), r);
    CHECK(got == inner->chunks);  // the caller sees the inner transport's chunks unchanged
    CHECK(r.status == 200);
    (void)rec.send(post("http://127.0.0.1:1/api/embed", R"({"model":"e","input":["x"]})"));
    CHECK(rec.recorded() == 2);
  }
  const auto lines = f.lines();
  REQUIRE(lines.size() == 3);
  const auto header = nlohmann::json::parse(lines[0]);
  CHECK(header["llmtrace_recording"] == 2);
  CHECK(header["label"] == "unit test recording");
  const auto first = nlohmann::ordered_json::parse(lines[1]);
  CHECK(first.begin().key() == "request");
  CHECK(first["request"]["method"] == "POST");
  CHECK(first["request"]["path"] == "/api/chat");
  CHECK(first["request"]["body"]["model"] == "m");  // a JSON object, not an escaped string
  CHECK(first["response"]["status"] == 200);
  CHECK(first["response"]["chunks"].size() == 3);
  CHECK(first["response"]["chunks"][0] == "{\"a\":1}\n{\"b\"");
  CHECK(first["response"]["headers"][0][0] == "Content-Type");
  const auto second = nlohmann::json::parse(lines[2]);
  CHECK(second["response"]["body"]["echo"] == 27);
  // Request headers (traceparent, credentials) are never written.
  CHECK(lines[1].find("traceparent") == std::string::npos);
}

TEST_CASE("replay answers matching requests with the recorded bytes and chunk boundaries") {
  temp_file f("replay");
  auto inner = std::make_shared<scripted_transport>();
  {
    http::recording_transport rec(inner, f.path);
    http::response r;
    collect(rec, post("http://127.0.0.1:1/api/chat", R"({"model":"m","messages":[{"role":"user","content":"hi"}]})"),
            r);
    (void)rec.send(post("http://127.0.0.1:1/api/embed", R"({"model":"e","input":["x"]})"));
  }
  http::replay_transport replay(f.path);
  CHECK(replay.size() == 2);
  // Another host and port, keys in another order, other spacing, other headers: still a match.
  http::request req =
      post("http://other-host:9999/api/chat", R"({ "messages": [ {"content":"hi", "role":"user"} ], "model":"m" })");
  req.headers = {{"traceparent", "00-11111111111111111111111111111111-2222222222222222-01"}};
  http::response r;
  const auto got = collect(replay, req, r);
  CHECK(got == inner->chunks);
  CHECK(r.ok());
  CHECK(r.find_header("content-type").value_or("") == "application/x-ndjson");
  const auto e = replay.send(post("http://x/api/embed", R"({"input":["x"],"model":"e"})"));
  CHECK(e.status == 200);
  CHECK(e.body == "{\"echo\":27}");
  // A streamed recording asked for with send() comes back whole.
  const auto whole = replay.send(req);
  CHECK(whole.body == "{\"a\":1}\n{\"b\":2}\n{\"done\":true}\n");
  CHECK(replay.misses() == 0);
  CHECK(inner->calls == 2);
}

TEST_CASE("a request with no recording gets a transport error naming it") {
  temp_file f("miss");
  {
    http::recording_transport rec(std::make_shared<scripted_transport>(), f.path);
    (void)rec.send(post("http://h/api/embed", R"({"model":"e","input":["recorded question"]})"));
  }
  http::replay_transport replay(f.path);
  bool called = false;
  const auto r = replay.stream(post("http://h/api/chat", R"({"model":"m"})"), [&](std::string_view) {
    called = true;
    return true;
  });
  CHECK_FALSE(called);
  CHECK(r.error == http::error_kind::other);
  CHECK(r.status == 0);
  CHECK(r.error_message.rfind("llmtrace replay: no recording for POST /api/chat", 0) == 0);
  CHECK(r.error_message.find("{\"model\":\"m\"}") != std::string::npos);
  CHECK(r.error_message.find("no POST /api/chat request at all") != std::string::npos);

  // Same path, another body: the message shows what was recorded for that path.
  const auto r2 = replay.send(post("http://h/api/embed", R"({"model":"e","input":["another question"]})"));
  CHECK(r2.error == http::error_kind::other);
  CHECK(r2.error_message.find("another question") != std::string::npos);
  CHECK(r2.error_message.find("recorded question") != std::string::npos);
  // Another method on a recorded path is a miss too.
  http::request get = post("http://h/api/embed", R"({"model":"e","input":["recorded question"]})");
  get.method = "GET";
  CHECK(replay.send(get).error == http::error_kind::other);
  CHECK(replay.misses() == 3);
  REQUIRE(replay.missed_requests().size() == 3);
  CHECK(replay.missed_requests()[0] == "POST /api/chat {\"model\":\"m\"}");
}

TEST_CASE("identical requests replay in recorded order, then repeat the last (or miss)") {
  temp_file f("order");
  auto inner = std::make_shared<scripted_transport>();
  {
    http::recording_transport rec(inner, f.path);
    (void)rec.send(post("http://h/a", "{}"));
    inner->status = 503;
    (void)rec.send(post("http://h/a", "{}"));
  }
  {
    http::replay_transport replay(f.path);
    CHECK(replay.send(post("http://h/a", "{}")).status == 200);
    CHECK(replay.send(post("http://h/a", "{}")).status == 503);
    CHECK(replay.send(post("http://h/a", "{}")).status == 503);
  }
  {
    http::replay_transport strict(f.path, http::replay_options{false});
    CHECK(strict.send(post("http://h/a", "{}")).status == 200);
    CHECK(strict.send(post("http://h/a", "{}")).status == 503);
    CHECK(strict.send(post("http://h/a", "{}")).error == http::error_kind::other);
  }
}

TEST_CASE("non-2xx streams, transport errors and callback stops replay faithfully") {
  temp_file f("errors");
  auto inner = std::make_shared<scripted_transport>();
  {
    http::recording_transport rec(inner, f.path);
    inner->status = 404;
    http::response r;
    CHECK(collect(rec, post("http://h/api/chat", R"({"model":"x"})"), r).empty());
    CHECK(r.status == 404);
  }
  // A transport failure, written by hand (the format is meant to be edited).
  {
    std::ofstream out(f.path, std::ios::app);
    out << "// a comment line\n";
    out << R"({"request":{"method":"POST","path":"/down","body":""},"response":{"error":"connect","error_message":"Connection refused","headers":[]}})"
        << "\n";
  }
  http::replay_transport replay(f.path);
  http::response r;
  CHECK(collect(replay, post("http://h/api/chat", R"({"model":"x"})"), r).empty());
  CHECK(r.status == 404);
  CHECK(r.body == "{\"error\":\"model 'x' not found\"}");
  http::request down;
  down.url = "http://h/down";
  const auto d = replay.send(down);
  CHECK(d.error == http::error_kind::connect);
  CHECK(d.error_message == "Connection refused");
}

TEST_CASE("a data callback that stops or throws ends the replayed stream as aborted") {
  temp_file f("abort");
  {
    http::recording_transport rec(std::make_shared<scripted_transport>(), f.path);
    http::response r;
    collect(rec, post("http://h/s", "{}"), r);
  }
  http::replay_transport replay(f.path);
  int seen = 0;
  auto r = replay.stream(post("http://h/s", "{}"), [&](std::string_view) { return ++seen < 2; });
  CHECK(seen == 2);
  CHECK(r.error == http::error_kind::aborted);
  r = replay.stream(post("http://h/s", "{}"), [&](std::string_view) -> bool { throw std::runtime_error("boom"); });
  CHECK(r.error == http::error_kind::aborted);
}

TEST_CASE("bad recordings are reported with the file and line") {
  std::istringstream garbage("{\"llmtrace_recording\":1}\nnot json\n");
  CHECK_THROWS_WITH_AS(http::replay_transport(garbage, "x.jsonl"), doctest::Contains("x.jsonl:2"),
                       http::recording_error);
  std::istringstream wrong("{\"something\":\"else\"}\n");
  CHECK_THROWS_AS(http::replay_transport(wrong, "y.jsonl"), http::recording_error);
  CHECK_THROWS_AS(http::replay_transport("/nonexistent/dir/file.jsonl"), http::recording_error);
  CHECK_THROWS_AS(http::recording_transport(std::make_shared<scripted_transport>(), "/nonexistent/dir/f.jsonl"),
                  http::recording_error);
}

TEST_CASE("record through libcurl against the fake Ollama, then replay without it") {
  temp_file f("curl");
  std::vector<std::string> live_chunks;
  std::string live_embed;
  const std::string chat_body =
      R"({"model":"llama3.2","messages":[{"role":"user","content":"Why is the sky blue?"}],"stream":true})";
  const std::string embed_body = R"({"model":"nomic-embed-text","input":["alpha","beta"]})";
  {
    llmtrace_test::fake_ollama server;
    http::recording_transport rec(http::default_transport(), f.path, {"fake ollama", false});
    http::response r;
    live_chunks = collect(rec, post(server.base_url() + "/api/chat", chat_body), r);
    REQUIRE(r.ok());
    const auto e = rec.send(post(server.base_url() + "/api/embed", embed_body));
    REQUIRE(e.ok());
    live_embed = e.body;
  }  // the server is gone now
  http::replay_transport replay(f.path);
  CHECK(replay.label() == "fake ollama");
  http::response r;
  const auto replayed = collect(replay, post("http://127.0.0.1:11434/api/chat", chat_body), r);
  CHECK(r.ok());
  CHECK(replayed == live_chunks);
  std::string joined;
  for (const auto& c : replayed) joined += c;
  CHECK(joined.find("\"done\":true") != std::string::npos);
  CHECK(replay.send(post("http://127.0.0.1:11434/api/embed", embed_body)).body == live_embed);
}
