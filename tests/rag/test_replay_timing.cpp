// Tests for the timing part of llmtrace/http/record_replay.hpp: recordings keep when the headers,
// each streamed chunk and the end arrived; replay hands them over at those offsets by default and at
// once with replay_options::recorded_timing = false; bad timing is reported with the line.
#include <llmtrace/http/record_replay.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace http = llmtrace::http;
using clock_type = std::chrono::steady_clock;

namespace {

/// A server that takes its time: `gap` before each chunk (it stands for a slow model, it does not
/// synchronise anything).
class slow_transport final : public http::transport {
 public:
  std::chrono::milliseconds gap{25};
  std::vector<std::string> chunks{"{\"a\":1}\n", "{\"b\":2}\n", "{\"done\":true}\n"};

  http::response send(const http::request&) noexcept override {
    std::this_thread::sleep_for(gap);
    http::response r;
    r.status = 200;
    r.body = "{}";
    return r;
  }
  http::response stream(const http::request&, const http::data_callback& on_data) noexcept override {
    http::response r;
    r.status = 200;
    for (const auto& c : chunks) {
      std::this_thread::sleep_for(gap);
      if (!on_data(c)) break;
    }
    return r;
  }
};

http::request post(const std::string& path, const std::string& body) {
  http::request r;
  r.url = "http://127.0.0.1:1" + path;
  r.body = body;
  return r;
}

std::int64_t us_since(clock_type::time_point t0) {
  return std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - t0).count();
}

const char* header_line = R"({"llmtrace_recording":1,"label":"t"})";

/// A recording of one streamed /api/chat with the given timing object.
std::string timed_stream(const std::string& timing) {
  return std::string(header_line) + "\n" +
         R"({"request":{"method":"POST","path":"/api/chat","body":{"m":1}},"response":{"status":200,"headers":[],)"
         R"("chunks":["a\n","b\n","c\n"],"timing":)" +
         timing + "}}\n";
}

}  // namespace

TEST_CASE("a recording keeps the time to headers, each chunk's offset and the end") {
  const std::string path = "rr_timing_record.jsonl";
  std::remove(path.c_str());
  auto inner = std::make_shared<slow_transport>();
  {
    http::recording_transport rec(inner, path);
    (void)rec.stream(post("/api/chat", R"({"m":1})"), [](std::string_view) { return true; });
    (void)rec.send(post("/api/embed", R"({"e":1})"));
  }
  std::ifstream in(path);
  std::vector<nlohmann::json> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(nlohmann::json::parse(l));
  std::remove(path.c_str());
  REQUIRE(lines.size() == 3);
  const auto& t = lines[1]["response"]["timing"];
  REQUIRE(t["chunks_us"].size() == 3);
  const std::int64_t gap_us = 25000;
  CHECK(t["chunks_us"][0].get<std::int64_t>() >= gap_us);
  CHECK(t["chunks_us"][1].get<std::int64_t>() >= t["chunks_us"][0].get<std::int64_t>() + gap_us);
  CHECK(t["chunks_us"][2].get<std::int64_t>() >= t["chunks_us"][1].get<std::int64_t>() + gap_us);
  CHECK(t["headers_us"] == t["chunks_us"][0]);  // Ollama's headers come with the first chunk
  CHECK(t["end_us"].get<std::int64_t>() >= t["chunks_us"][2].get<std::int64_t>());
  const auto& whole = lines[2]["response"]["timing"];
  CHECK(!whole.contains("chunks_us"));
  CHECK(whole["headers_us"].get<std::int64_t>() >= gap_us);
  CHECK(whole["end_us"] == whole["headers_us"]);
}

TEST_CASE("replay hands each chunk over at its recorded offset, or at once with recorded_timing=false") {
  std::istringstream rec(timed_stream(R"({"headers_us":30000,"chunks_us":[30000,90000,150000],"end_us":160000})"));
  http::replay_transport replay(rec, "timed");
  std::vector<std::int64_t> at;
  auto t0 = clock_type::now();
  const auto r = replay.stream(post("/api/chat", R"({"m":1})"), [&](std::string_view) {
    at.push_back(us_since(t0));
    return true;
  });
  const auto total = us_since(t0);
  CHECK(r.ok());
  REQUIRE(at.size() == 3);
  CHECK(at[0] >= 30000);
  CHECK(at[1] >= 90000);
  CHECK(at[2] >= 150000);
  CHECK(total >= 160000);
  // Asked for whole, the response comes when the recorded response ended.
  t0 = clock_type::now();
  CHECK(replay.send(post("/api/chat", R"({"m":1})")).body == "a\nb\nc\n");
  CHECK(us_since(t0) >= 160000);

  // recorded_timing = false: the same recording, with a 100 s stream, answers at once.
  std::istringstream slow(timed_stream(R"({"headers_us":0,"chunks_us":[0,50000000,100000000],"end_us":100000000})"));
  http::replay_options fast;
  fast.recorded_timing = false;
  http::replay_transport quick(slow, "slow", fast);
  t0 = clock_type::now();
  std::size_t n = 0;
  CHECK(quick.stream(post("/api/chat", R"({"m":1})"), [&](std::string_view) { return ++n > 0; }).ok());
  CHECK(n == 3);
  CHECK(us_since(t0) < 50000000);
}

TEST_CASE("a recording without timing replays at once; bad timing names the line") {
  std::istringstream plain(std::string(header_line) + "\n" +
                           R"({"request":{"method":"POST","path":"/p","body":""},"response":{"status":200,)"
                           R"("headers":[],"chunks":["x"]}})" +
                           "\n");
  http::replay_transport untimed(plain, "plain");
  std::size_t n = 0;
  CHECK(untimed.stream(post("/p", ""), [&](std::string_view) { return ++n > 0; }).ok());
  CHECK(n == 1);

  std::istringstream wrong_count(timed_stream(R"({"headers_us":1,"chunks_us":[1,2],"end_us":3})"));
  CHECK_THROWS_WITH_AS(http::replay_transport(wrong_count, "w.jsonl"),
                       doctest::Contains("w.jsonl:2: not a recorded exchange (timing.chunks_us has 2 entries for 3"),
                       http::recording_error);
  std::istringstream negative(timed_stream(R"({"headers_us":-1,"chunks_us":[1,2,3],"end_us":3})"));
  CHECK_THROWS_WITH_AS(http::replay_transport(negative, "n.jsonl"), doctest::Contains("timing.headers_us"),
                       http::recording_error);
}
