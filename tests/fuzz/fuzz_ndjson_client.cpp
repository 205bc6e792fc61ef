// Fuzz target: a streamed body cut at arbitrary read boundaries through the NDJSON reader, then every
// decoder, through the Ollama client over a canned transport (chat and generate, streamed and not).
// Input: <cut lengths> '\x00' <status byte> <body>.
#include <llmtrace/ollama/client.hpp>
#include <llmtrace/ollama/ndjson.hpp>

#include "fuzz_input.hpp"
#include "support/canned_transport.hpp"

#include <memory>
#include <string>
#include <vector>

namespace {

namespace http = llmtrace::http;
namespace ol = llmtrace::ollama;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::input in(data, size);
  const std::string_view cuts = in.until('\0');
  const std::uint8_t status_byte = in.byte();
  const std::string_view body = in.rest();

  // The reader alone: the same lines whatever the read boundaries.
  std::vector<std::string> whole_lines, split_lines;
  ol::ndjson_reader a(1 << 16), b(1 << 16);
  const auto collect = [](std::vector<std::string>& out) {
    return [&out](std::string_view line) {
      out.emplace_back(line);
      return true;
    };
  };
  const auto sa = a.feed(body, collect(whole_lines));
  if (sa == ol::ndjson_status::ok) a.finish(collect(whole_lines));
  ol::ndjson_status sb = ol::ndjson_status::ok;
  for (auto p : fuzz::split_points(body, cuts))
    if ((sb = b.feed(p, collect(split_lines))) != ol::ndjson_status::ok) break;
  if (sb == ol::ndjson_status::ok) b.finish(collect(split_lines));
  if (sa == ol::ndjson_status::ok && sb == ol::ndjson_status::ok && whole_lines != split_lines) __builtin_trap();

  // The client over a canned transport: any outcome but a crash or a non-ollama exception is fine.
  auto t = std::make_shared<llmtrace_test::canned_transport>();
  t->status = status_byte < 200 ? 200 : (status_byte < 230 ? 400 + status_byte % 104 : 200);
  for (auto p : fuzz::split_points(body, cuts)) t->chunks.emplace_back(p);
  t->body = std::string(body);
  ol::client_options o;
  o.host = "http://127.0.0.1:1";
  o.transport = t;
  o.instrument = (status_byte & 1) != 0;
  o.capture_content = ol::content_capture::span_only;
  o.max_line_bytes = 1 << 16;
  const ol::client c(o);
  ol::chat_request chat;
  chat.model = "m";
  chat.messages.push_back(ol::message::user("hi"));
  ol::generate_request gen;
  gen.model = "m";
  gen.prompt = "hi";
  const auto attempt = [](auto&& call) {
    try {
      call();
    } catch (const ol::error&) {
    }
  };
  attempt([&] { (void)c.chat(chat, [](const ol::chat_response&) { return true; }); });
  attempt([&] { (void)c.chat(chat); });
  attempt([&] { (void)c.generate(gen, [](const ol::generate_response&) { return true; }); });
  attempt([&] { (void)c.generate(gen); });
  attempt([&] { (void)c.list_models(); });
  attempt([&] { (void)c.ps(); });
  attempt([&] { (void)c.show("m"); });
  attempt([&] {
    ol::embed_request e;
    e.model = "m";
    e.input = {"a", "b"};
    (void)c.embed(e);
  });
  return 0;
}
