// Tests for llmtrace/ollama/ndjson.hpp: framing across reads, several lines per read, UTF-8 split
// inside a character, CRLF, blank lines, a final line without newline, the line cap, stopping.
#include <llmtrace/ollama/ndjson.hpp>

#include <doctest/doctest.h>

#include <cstddef>
#include <random>
#include <string>
#include <vector>

using llmtrace::ollama::ndjson_reader;
using llmtrace::ollama::ndjson_status;

namespace {

struct collector {
  std::vector<std::string> lines;
  bool operator()(std::string_view l) {
    lines.emplace_back(l);
    return true;
  }
};

std::vector<std::string> feed_in_pieces(const std::string& data, const std::vector<std::size_t>& cuts) {
  ndjson_reader r;
  collector c;
  std::size_t pos = 0;
  for (std::size_t cut : cuts) {
    REQUIRE(r.feed(std::string_view(data).substr(pos, cut - pos), c) == ndjson_status::ok);
    pos = cut;
  }
  REQUIRE(r.feed(std::string_view(data).substr(pos), c) == ndjson_status::ok);
  REQUIRE(r.finish(c) == ndjson_status::ok);
  return c.lines;
}

}  // namespace

TEST_CASE("several lines in one read, and one line per read") {
  const std::string data = "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n";
  const std::vector<std::string> want = {"{\"a\":1}", "{\"b\":2}", "{\"c\":3}"};
  CHECK(feed_in_pieces(data, {}) == want);
  CHECK(feed_in_pieces(data, {8, 16}) == want);
}

TEST_CASE("every possible split point, byte by byte, and random splits give the same lines") {
  // "日本" and an emoji: multi-byte characters get split between reads.
  const std::string data =
      "{\"message\":{\"content\":\"\xE6\x97\xA5\xE6\x9C\xAC\"}}\n{\"message\":{\"content\":\"\xF0\x9F\x9A\x80\"}}\n"
      "{\"done\":true}\n";
  const std::vector<std::string> want = {"{\"message\":{\"content\":\"\xE6\x97\xA5\xE6\x9C\xAC\"}}",
                                         "{\"message\":{\"content\":\"\xF0\x9F\x9A\x80\"}}", "{\"done\":true}"};
  for (std::size_t cut = 0; cut <= data.size(); ++cut) CHECK(feed_in_pieces(data, {cut}) == want);

  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < data.size(); ++i) every.push_back(i);
  CHECK(feed_in_pieces(data, every) == want);

  std::mt19937 rng(42);
  for (int round = 0; round < 50; ++round) {
    std::vector<std::size_t> cuts;
    std::size_t pos = 0;
    while (true) {
      pos += 1 + rng() % 9;
      if (pos >= data.size()) break;
      cuts.push_back(pos);
    }
    CHECK(feed_in_pieces(data, cuts) == want);
  }
}

TEST_CASE("CRLF, blank lines and a last line without a newline") {
  ndjson_reader r;
  collector c;
  CHECK(r.feed("{\"a\":1}\r\n\r\n\n  \n{\"b\":2}\r", c) == ndjson_status::ok);
  CHECK(r.feed("\n{\"c\":3}", c) == ndjson_status::ok);
  CHECK(c.lines == std::vector<std::string>{"{\"a\":1}", "{\"b\":2}"});
  CHECK(r.pending_bytes() == 7);
  CHECK(r.finish(c) == ndjson_status::ok);
  CHECK(c.lines.back() == "{\"c\":3}");
  CHECK(r.lines() == 3);
  CHECK(r.finish(c) == ndjson_status::ok);  // nothing left: no duplicate
  CHECK(c.lines.size() == 3);
}

TEST_CASE("a multi-megabyte line (generate's final chunk with `context`)") {
  std::string big = "{\"done\":true,\"context\":[";
  for (int i = 0; i < 400000; ++i) big += std::to_string(100000 + i % 28000) + ",";
  big += "1]}";
  REQUIRE(big.size() > 2u * 1024 * 1024);
  const std::string data = "{\"response\":\"x\",\"done\":false}\n" + big + "\n";
  ndjson_reader r;
  collector c;
  for (std::size_t pos = 0; pos < data.size(); pos += 16384)
    REQUIRE(r.feed(std::string_view(data).substr(pos, 16384), c) == ndjson_status::ok);
  REQUIRE(c.lines.size() == 2);
  CHECK(c.lines[1] == big);
}

TEST_CASE("a line past the cap stops the reader with line_too_long") {
  ndjson_reader r(16);
  collector c;
  CHECK(r.feed("{\"ok\":1}\n{\"this line is far too long", c) == ndjson_status::line_too_long);
  CHECK(c.lines == std::vector<std::string>{"{\"ok\":1}"});
  CHECK(r.feed("\n{\"x\":1}\n", c) == ndjson_status::line_too_long);  // stays failed
  CHECK(c.lines.size() == 1);

  ndjson_reader whole(8);
  collector c2;
  CHECK(whole.feed("0123456789abcdef\n", c2) == ndjson_status::line_too_long);  // complete but too long
  CHECK(c2.lines.empty());

  ndjson_reader across(10);
  collector c3;
  CHECK(across.feed("012345", c3) == ndjson_status::ok);
  CHECK(across.feed("6789abc", c3) == ndjson_status::line_too_long);
}

TEST_CASE("the callback stops the reader") {
  ndjson_reader r;
  int seen = 0;
  auto stop_after_two = [&](std::string_view) { return ++seen < 2; };
  CHECK(r.feed("1\n2\n3\n", stop_after_two) == ndjson_status::stopped);
  CHECK(seen == 2);
  CHECK(r.feed("4\n", stop_after_two) == ndjson_status::stopped);
  CHECK(seen == 2);
  r.reset();
  CHECK(r.status() == ndjson_status::ok);
  CHECK(r.feed("5\n", [&](std::string_view l) { return l == "5"; }) == ndjson_status::ok);
}
