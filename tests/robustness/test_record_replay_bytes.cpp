// Record/replay keeps every byte: bodies and stream chunks that are not valid UTF-8 (a read that
// splits a multi-byte character, binary protobuf bodies) come back exactly; recordings nested
// deeper than the JSON limit are refused clearly; newer format versions are refused, older read.
#include <llmtrace/http/record_replay.hpp>

#include "support/canned_transport.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace http = llmtrace::http;

namespace {

struct temp_file {
  std::string path = "/tmp/llmtrace-rr-bytes-" + std::to_string(getpid()) + ".jsonl";
  ~temp_file() { std::remove(path.c_str()); }
  std::string text() const {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
};

http::request post(std::string body) {
  http::request r;
  r.url = "http://collector:4318/v1/traces";
  r.body = std::move(body);
  return r;
}

}  // namespace

TEST_CASE("a stream chunk that splits a multi-byte character replays byte for byte") {
  // "€" is E2 82 AC; the network read ends after E2 82. Before: two U+FFFD on replay.
  temp_file f;
  auto inner = std::make_shared<llmtrace_test::canned_transport>();
  inner->chunks = {"{\"content\":\"5 \xE2\x82", "\xAC\"}\n"};
  {
    http::recording_transport rec(inner, f.path);
    (void)rec.stream(post("{}"), [](std::string_view) { return true; });
  }
  CHECK(f.text().find("{\"base64\":") != std::string::npos);
  http::replay_transport replay(f.path);
  std::vector<std::string> got;
  const auto r = replay.stream(post("{}"), [&](std::string_view c) {
    got.emplace_back(c);
    return true;
  });
  CHECK(r.ok());
  CHECK(got == inner->chunks);
}

TEST_CASE("a binary (protobuf) request body is found on replay, and a binary response body is kept") {
  temp_file f;
  const std::string proto("\x0A\x8C\x01\x12\x00\xFF\xFE\x80", 8);
  auto inner = std::make_shared<llmtrace_test::canned_transport>();
  inner->status = 400;
  inner->body = std::string("\x08\x03\x12\x04\xC3\x28\x00\x01", 8);
  {
    http::recording_transport rec(inner, f.path);
    (void)rec.send(post(proto));
  }
  CHECK(f.text().find("\"body_base64\":") != std::string::npos);
  http::replay_transport replay(f.path);
  const auto r = replay.send(post(proto));
  CHECK(r.transport_ok());
  CHECK(r.status == 400);
  CHECK(r.body == inner->body);
  CHECK(replay.misses() == 0);
}

TEST_CASE("valid UTF-8 stays readable: JSON bodies as JSON, text as strings") {
  temp_file f;
  auto inner = std::make_shared<llmtrace_test::canned_transport>();
  inner->body = "plain text é";
  {
    http::recording_transport rec(inner, f.path);
    (void)rec.send(post(R"({"model":"m"})"));
  }
  const std::string text = f.text();
  CHECK(text.find(R"("body":{"model":"m"})") != std::string::npos);
  CHECK(text.find("\"body\":\"plain text é\"") != std::string::npos);
  CHECK(text.find("base64") == std::string::npos);
}

TEST_CASE("a deeply nested body is recorded as text and still replays; a too-deep line is a clear error") {
  temp_file f;
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  auto inner = std::make_shared<llmtrace_test::canned_transport>();
  inner->body = deep;
  {
    http::recording_transport rec(inner, f.path);
    (void)rec.send(post(deep));
  }
  http::replay_transport replay(f.path);
  const auto r = replay.send(post(deep));
  CHECK(r.body == deep);

  std::istringstream hostile("{\"llmtrace_recording\":2}\n{\"request\":" + std::string(100000, '[') + "\n");
  try {
    http::replay_transport bad(hostile, "hostile.jsonl");
    FAIL("loaded");
  } catch (const http::recording_error& e) {
    CHECK(std::string(e.what()).find("hostile.jsonl:2: not a JSON object (JSON nested deeper than 256 levels)") !=
          std::string::npos);
  }
}

TEST_CASE("format versions: 1 is read, a newer one is refused clearly") {
  std::istringstream v1(
      "{\"llmtrace_recording\":1}\n"
      "{\"request\":{\"method\":\"POST\",\"path\":\"/v1/traces\",\"body\":\"x\"},\"response\":{\"status\":200,"
      "\"headers\":[],\"body\":\"ok\",\"offset_ms\":12}}\n");  // unknown fields are ignored
  http::replay_transport old(v1, "v1");
  CHECK(old.send(post("x")).body == "ok");
  std::istringstream v9("{\"llmtrace_recording\":9}\n");
  CHECK_THROWS_WITH_AS(http::replay_transport(v9, "v9"),
                       doctest::Contains("v9:1: recording format 9 is not one this llmtrace reads (1 to 2)"),
                       http::recording_error);
}
