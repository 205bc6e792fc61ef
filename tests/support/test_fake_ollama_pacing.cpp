// Tests of the fake Ollama's pacing mode (fake_ollama_config::pacing): it takes the time it reports
// (load and prompt evaluation before the first chunk, the generation time over the chunks, the total
// for a whole answer or an embedding), and answers at once without it.
#include "fake_ollama.hpp"

#include <doctest/doctest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

using llmtrace_test::fake_ollama;
using llmtrace_test::fake_ollama_config;
using clock_type = std::chrono::steady_clock;

namespace {

std::int64_t ns_since(clock_type::time_point t0) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - t0).count();
}

struct streamed {
  std::vector<std::int64_t> line_ns;  // arrival of each NDJSON line
  nlohmann::json last;
};

streamed stream_chat(const fake_ollama& f) {
  httplib::Client cli("127.0.0.1", f.port());
  cli.set_read_timeout(30, 0);
  streamed out;
  std::string buf;
  const std::string body =
      R"({"model":"llama3.2","messages":[{"role":"user","content":"say something long enough to stream"}]})";
  httplib::Request req;
  req.method = "POST";
  req.path = "/api/chat";
  req.body = body;
  req.headers.emplace("Content-Type", "application/json");
  const auto t0 = clock_type::now();
  req.content_receiver = [&](const char* data, std::size_t n, std::uint64_t, std::uint64_t) {
    buf.append(data, n);
    for (auto nl = buf.find('\n'); nl != std::string::npos; nl = buf.find('\n')) {
      out.line_ns.push_back(ns_since(t0));
      out.last = nlohmann::json::parse(buf.substr(0, nl));
      buf.erase(0, nl + 1);
    }
    return true;
  };
  auto res = cli.send(req);
  REQUIRE(res);
  CHECK(res->status == 200);
  return out;
}

}  // namespace

TEST_CASE("pacing: the first chunk after load + prompt evaluation, the last after the generation") {
  fake_ollama_config cfg;
  cfg.pacing = true;
  fake_ollama f(cfg);
  const streamed s = stream_chat(f);
  REQUIRE(s.line_ns.size() >= 3);
  REQUIRE(s.last.value("done", false));
  const std::int64_t load = s.last.value("load_duration", std::int64_t{0});
  const std::int64_t prompt = s.last["prompt_eval_duration"].get<std::int64_t>();
  const std::int64_t eval = s.last["eval_duration"].get<std::int64_t>();
  CHECK(eval > 0);
  CHECK(s.line_ns.front() >= load + prompt);
  CHECK(s.line_ns.back() >= load + prompt + eval);
  // every generated line waits its share: the gaps between lines add up to the generation time
  const auto generated = static_cast<std::int64_t>(s.line_ns.size() - 1);
  for (std::size_t i = 1; i + 1 < s.line_ns.size(); ++i)
    CHECK(s.line_ns[i] - s.line_ns.front() >= static_cast<std::int64_t>(i) * (eval / generated));

  httplib::Client cli("127.0.0.1", f.port());
  cli.set_read_timeout(30, 0);
  auto t0 = clock_type::now();
  auto whole = cli.Post("/api/chat",
                        R"({"model":"llama3.2","stream":false,"messages":[{"role":"user","content":"hello there"}]})",
                        "application/json");
  const std::int64_t whole_ns = ns_since(t0);
  REQUIRE(whole);
  const auto w = nlohmann::json::parse(whole->body);
  CHECK(whole_ns >= w.value("load_duration", std::int64_t{0}) + w["prompt_eval_duration"].get<std::int64_t>() +
                        w["eval_duration"].get<std::int64_t>());
  t0 = clock_type::now();
  auto emb = cli.Post("/api/embed", R"({"model":"nomic-embed-text","input":["a","b"]})", "application/json");
  const std::int64_t emb_ns = ns_since(t0);
  REQUIRE(emb);
  CHECK(emb_ns >= nlohmann::json::parse(emb->body)["total_duration"].get<std::int64_t>());
}

TEST_CASE("without pacing the same stream reports the same durations but does not wait for them") {
  fake_ollama f;
  const streamed s = stream_chat(f);
  REQUIRE(s.last.value("done", false));
  const std::int64_t reported = s.last["eval_duration"].get<std::int64_t>();
  CHECK(reported >= 100000000);        // >= 100 ms of generation reported ...
  CHECK(s.line_ns.back() < reported);  // ... and the whole stream arrived sooner than that
}
