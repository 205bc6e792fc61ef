// Fuzz target: the replay file reader on arbitrary bytes, and a record -> replay round trip of
// arbitrary request/response bytes (bodies and chunk boundaries must come back exactly).
// Input: <mode byte> then, for mode 0, a recording file; otherwise <request body> '\x00' <status>
// <cut lengths> '\x00' <response bytes>.
#include <llmtrace/http/record_replay.hpp>

#include "fuzz_input.hpp"
#include "support/canned_transport.hpp"

#include <unistd.h>

#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace http = llmtrace::http;

void read_recording(std::string_view file) {
  std::istringstream in{std::string(file)};
  try {
    http::replay_transport replay(in, "fuzz");
    http::request rq;
    rq.url = "http://h/api/chat";
    rq.body = R"({"model":"m"})";
    (void)replay.send(rq);
    (void)replay.stream(rq, [](std::string_view) { return true; });
  } catch (const http::recording_error&) {
  }
}

void round_trip(fuzz::input& in) {
  static const std::string path = "/tmp/llmtrace-fuzz-replay-" + std::to_string(getpid()) + ".jsonl";
  auto inner = std::make_shared<llmtrace_test::canned_transport>();
  http::request rq;
  rq.url = "http://h/api/chat";
  rq.body = std::string(in.until('\0'));
  const std::uint8_t s = in.byte();
  inner->status = s % 2 ? 200 : 400 + s % 100;
  const std::string_view cuts = in.until('\0');
  const std::string_view bytes = in.rest();
  inner->body = std::string(bytes);
  for (auto p : fuzz::split_points(bytes, cuts)) inner->chunks.emplace_back(p);
  const bool streamed = (s & 2) != 0;
  {
    http::recording_transport rec(inner, path, {"fuzz"});
    if (streamed)
      (void)rec.stream(rq, [](std::string_view) { return true; });
    else
      (void)rec.send(rq);
  }
  http::replay_transport replay(path);  // a recording we wrote must always load
  std::vector<std::string> got;
  const http::response r = streamed ? replay.stream(rq,
                                                    [&](std::string_view c) {
                                                      got.emplace_back(c);
                                                      return true;
                                                    })
                                    : replay.send(rq);
  if (r.status != inner->status || !r.transport_ok()) __builtin_trap();
  const bool chunked = streamed && r.status == 200;
  if (chunked && got != inner->chunks) __builtin_trap();
  if (!chunked && r.body != inner->body) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::input in(data, size);
  if (in.byte() % 2 == 0)
    read_recording(in.rest());
  else
    round_trip(in);
  return 0;
}
