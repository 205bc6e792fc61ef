// Tests for llmtrace/ollama/instrumentation.hpp: capture-mode parsing, the conventions' message JSON,
// truncation that keeps JSON and UTF-8 valid within the limit, phase layout, and tool_span.
#include <llmtrace/ollama/instrumentation.hpp>

#include "ollama_test_support.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace ol = llmtrace::ollama;
namespace semconv = llmtrace::semconv;
using ol::json;

namespace {

class env_guard {
 public:
  explicit env_guard(const char* name) : name_(name) {
    const char* v = std::getenv(name);
    had_ = v != nullptr;
    if (had_) saved_ = v;
  }
  ~env_guard() {
    if (had_)
      ::setenv(name_, saved_.c_str(), 1);
    else
      ::unsetenv(name_);
  }
  env_guard(const env_guard&) = delete;
  env_guard& operator=(const env_guard&) = delete;

 private:
  const char* name_;
  bool had_ = false;
  std::string saved_;
};

std::size_t chars(const std::string& s) { return llmtrace::detail::utf8_char_count(s); }

}  // namespace

TEST_CASE("capture modes parse case-insensitively, legacy booleans included") {
  CHECK(ol::parse_content_capture("NO_CONTENT") == ol::content_capture::no_content);
  CHECK(ol::parse_content_capture("span_only") == ol::content_capture::span_only);
  CHECK(ol::parse_content_capture(" EVENT_ONLY ") == ol::content_capture::event_only);
  CHECK(ol::parse_content_capture("Span_And_Event") == ol::content_capture::span_and_event);
  CHECK(ol::parse_content_capture("true") == ol::content_capture::span_only);
  CHECK(ol::parse_content_capture("FALSE") == ol::content_capture::no_content);
  CHECK_FALSE(ol::parse_content_capture("yes"));
  CHECK(ol::captures_on_span(ol::content_capture::span_and_event));
  CHECK_FALSE(ol::captures_on_span(ol::content_capture::event_only));
  CHECK(ol::captures_on_event(ol::content_capture::event_only));
}

TEST_CASE("the environment variable: unset means NO_CONTENT, invalid is reported once") {
  env_guard g("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT");
  std::vector<std::string> reports;
  llmtrace::set_error_handler([&](std::string_view m) { reports.emplace_back(m); });
  ::unsetenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT");
  CHECK(ol::content_capture_from_env() == ol::content_capture::no_content);
  ::setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "SPAN_AND_EVENT", 1);
  CHECK(ol::content_capture_from_env() == ol::content_capture::span_and_event);
  ::setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "bogus", 1);
  CHECK(ol::content_capture_from_env() == ol::content_capture::no_content);
  CHECK(ol::content_capture_from_env() == ol::content_capture::no_content);
  llmtrace::set_error_handler({});
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].find("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT") != std::string::npos);
  CHECK(reports[0].find("NO_CONTENT") != std::string::npos);
}

TEST_CASE("input, output, system and tool JSON follow the conventions' shapes") {
  std::vector<ol::message> msgs;
  msgs.push_back(ol::message::system("Be brief."));
  msgs.push_back(ol::message::user("Weather in Tokyo?"));
  ol::message call = ol::message::assistant("");
  call.tool_calls.push_back(ol::tool_call{"call_1", {0, "get_weather", json{{"city", "Tokyo"}}}});
  msgs.push_back(call);
  msgs.push_back(ol::message::tool("sunny", "get_weather", "call_1"));
  bool cut = false;
  const json in = json::parse(ol::input_messages_json(msgs, 1u << 30, cut));
  CHECK_FALSE(cut);
  CHECK(
      in.dump() ==
      R"([{"role":"system","parts":[{"type":"text","content":"Be brief."}]},)"
      R"({"role":"user","parts":[{"type":"text","content":"Weather in Tokyo?"}]},)"
      R"({"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"get_weather","arguments":{"city":"Tokyo"}}]},)"
      R"({"role":"tool","parts":[{"type":"tool_call_response","id":"call_1","response":"sunny"}]}])");

  CHECK(ol::system_instructions_json({"Be brief."}, 1000, cut) == R"([{"type":"text","content":"Be brief."}])");
  CHECK(ol::system_instructions_json({}, 1000, cut).empty());

  ol::message answer = ol::message::assistant("It is sunny.");
  answer.thinking = "Check the tool result.";
  CHECK(ol::output_messages_json(answer, "stop", 1000, cut) ==
        R"([{"role":"assistant","parts":[{"type":"reasoning","content":"Check the tool result."},)"
        R"({"type":"text","content":"It is sunny."}],"finish_reason":"stop"}])");

  std::vector<ol::tool> tools{ol::tool::make_function("get_weather", "Weather", json{{"type", "object"}})};
  CHECK(ol::tool_definitions_json(tools, 1000, cut) ==
        R"([{"type":"function","name":"get_weather","description":"Weather","parameters":{"type":"object"}}])");
  CHECK_FALSE(cut);
}

TEST_CASE("truncation: per message, valid JSON and UTF-8, within the limit, marked (tricky case 16)") {
  const std::string cjk = "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E";  // 日本語
  const std::string emoji = "\xF0\x9F\x9A\x80";
  std::vector<ol::message> msgs;
  msgs.push_back(ol::message::user("short question"));
  std::string long_text;
  for (int i = 0; i < 400; ++i) long_text += cjk + emoji + "\"<&>\n";
  msgs.push_back(ol::message::assistant(long_text));
  msgs.push_back(ol::message::user("and a last, medium sized message " + std::string(200, 'x')));

  for (std::size_t limit : {std::size_t{400}, std::size_t{250}, std::size_t{1000}, std::size_t{3000}}) {
    bool cut = false;
    const std::string out = ol::input_messages_json(msgs, limit, cut);
    CAPTURE(limit);
    CHECK(cut);
    CHECK(chars(out) <= limit);
    CHECK(llmtrace::detail::is_valid_utf8(out));
    const json j = json::parse(out);                         // valid JSON
    REQUIRE(j.size() == 3);                                  // every message kept, in order
    CHECK(j[0]["parts"][0]["content"] == "short question");  // short texts stay whole
    const std::string second = j[1]["parts"][0]["content"];
    CHECK(second.size() < long_text.size());
    CHECK(second.find(std::string(semconv::ollama_truncation_marker)) ==
          second.size() - semconv::ollama_truncation_marker.size());
    CHECK(j[2]["role"] == "user");
  }

  // Structure that cannot fit drops the oldest messages first.
  std::vector<ol::message> many(50, ol::message::user("m"));
  bool cut = false;
  const std::string out = ol::input_messages_json(many, 200, cut);
  CHECK(cut);
  CHECK(chars(out) <= 200);
  const json j = json::parse(out);
  CHECK(j.size() < 50);
  CHECK(j.size() > 0);

  // Nothing cut when it fits.
  bool none = false;
  CHECK(ol::input_messages_json({ol::message::user("hi")}, 1000, none) ==
        R"([{"role":"user","parts":[{"type":"text","content":"hi"}]}])");
  CHECK_FALSE(none);
}

TEST_CASE("truncate_text never splits a character and counts the marker") {
  bool cut = false;
  const std::string s = std::string(30, 'a') + "\xF0\x9F\x9A\x80\xF0\x9F\x9A\x80";
  CHECK(ol::truncate_text(s, 100, cut) == s);
  CHECK_FALSE(cut);
  const std::string t = ol::truncate_text(s, 20, cut);
  CHECK(cut);
  CHECK(chars(t) <= 20);
  CHECK(llmtrace::detail::is_valid_utf8(t));
  CHECK(t == std::string(6, 'a') + std::string(semconv::ollama_truncation_marker));
  const std::string invalid = "ok\xC3";
  CHECK(llmtrace::detail::is_valid_utf8(ol::truncate_text(invalid, 100, cut)));
}

TEST_CASE("phases are laid out back to back, ending at the last chunk") {
  ol::metrics m;
  m.load_duration = 100;
  m.prompt_eval_duration = 50;
  m.eval_duration = 200;
  auto p = ol::layout_phases(1000, 2000, m);
  REQUIRE(p.size() == 3);
  CHECK(p[0].name == semconv::ollama_span_load);
  CHECK(p[0].start_unix_nano == 1650);
  CHECK(p[0].end_unix_nano == 1750);
  CHECK(p[1].name == semconv::ollama_span_prompt_eval);
  CHECK(p[1].start_unix_nano == 1750);
  CHECK(p[1].end_unix_nano == 1800);
  CHECK(p[2].name == semconv::ollama_span_eval);
  CHECK(p[2].start_unix_nano == 1800);
  CHECK(p[2].end_unix_nano == 2000);
  CHECK(p[2].server_duration_ns == 200);

  // More server time than the client saw: scaled into the window, never before the request.
  m.load_duration = 6000;
  auto q = ol::layout_phases(1000, 2000, m);
  REQUIRE(q.size() == 3);
  CHECK(q[0].start_unix_nano >= 1000);
  CHECK(q[2].end_unix_nano == 2000);
  CHECK(q[0].end_unix_nano == q[1].start_unix_nano);
  CHECK(q[1].end_unix_nano == q[2].start_unix_nano);
  CHECK(q[0].end_unix_nano - q[0].start_unix_nano > q[2].end_unix_nano - q[2].start_unix_nano);  // proportions kept
  CHECK(q[0].server_duration_ns == 6000);

  ol::metrics partial;
  partial.prompt_eval_duration = 10;
  auto r = ol::layout_phases(0, 100, partial);
  REQUIRE(r.size() == 1);
  CHECK(r[0].name == semconv::ollama_span_prompt_eval);
  CHECK(ol::layout_phases(0, 100, ol::metrics{}).empty());

  // A clock that did not move (or went backwards): zero-length phases at the request time.
  const auto z = ol::layout_phases(500, 400, m);
  REQUIRE(z.size() == 3);
  for (const auto& ph : z) {
    CHECK(ph.start_unix_nano == 500);
    CHECK(ph.end_unix_nano == 500);
  }
}

TEST_CASE("tool_span: execute_tool INTERNAL span, content only when captured") {
  ollama_test::tracing tr;
  {
    llmtrace::span parent("agent");
    ol::tool_call call{"call_ab12cd34", {0, "get_weather", json{{"city", "Tokyo"}}}};
    ol::tool_span_options o;
    o.capture = ol::content_capture::no_content;
    o.description = "Weather for a city";
    ol::tool_span ts(call, o);
    ts.set_result("sunny");
  }
  auto s = tr.one("execute_tool get_weather");
  const auto parent = tr.one("agent");
  CHECK(s.kind == llmtrace::span_kind::internal);
  CHECK(s.parent_span_id == parent.context.span_id);
  CHECK(ollama_test::str(s, semconv::gen_ai_operation_name) == "execute_tool");
  CHECK(ollama_test::str(s, semconv::gen_ai_tool_name) == "get_weather");
  CHECK(ollama_test::str(s, semconv::gen_ai_tool_call_id) == "call_ab12cd34");
  CHECK(ollama_test::str(s, semconv::gen_ai_tool_type) == "function");
  CHECK(ollama_test::str(s, semconv::gen_ai_tool_description) == "Weather for a city");
  CHECK_FALSE(ollama_test::has(s, semconv::gen_ai_tool_call_arguments));
  CHECK_FALSE(ollama_test::has(s, semconv::gen_ai_tool_call_result));
  CHECK(s.status == llmtrace::status_code::unset);

  tr.clear();
  {
    ol::tool_span_options o;
    o.capture = ol::content_capture::span_only;
    const json args{{"q", "x"}};
    ol::tool_span ts("search", "", &args, o);
    ts.set_result_json(json{{"hits", 3}});
    ts.set_error(std::runtime_error("backend down"));
  }
  s = tr.one("execute_tool search");
  CHECK(ollama_test::str(s, semconv::gen_ai_tool_call_arguments) == R"({"q":"x"})");
  CHECK(ollama_test::str(s, semconv::gen_ai_tool_call_result) == R"({"hits":3})");
  CHECK_FALSE(ollama_test::has(s, semconv::gen_ai_tool_call_id));
  CHECK(ollama_test::str(s, semconv::error_type) == "std::runtime_error");
  CHECK(s.status == llmtrace::status_code::error);
  CHECK(s.status_message == "backend down");
  REQUIRE(ollama_test::event(s, "exception"));
}

TEST_CASE("tool_span content respects the attribute length limit") {
  llmtrace::span_limits limits;
  limits.attribute_value_length = 64;
  ollama_test::tracing tr(limits);
  {
    ol::tool_span_options o;
    o.capture = ol::content_capture::span_and_event;
    const json args{{"text", std::string(500, 'z')}};
    ol::tool_span ts("echo", "call_1", &args, o);
    ts.set_result(std::string(500, 'y'));
  }
  const auto s = tr.one("execute_tool echo");
  const std::string a = ollama_test::str(s, semconv::gen_ai_tool_call_arguments);
  CHECK(a.size() <= 64);
  CHECK(json::parse(a)["text"].get<std::string>().find("[truncated]") != std::string::npos);
  const std::string r = ollama_test::str(s, semconv::gen_ai_tool_call_result);
  CHECK(r.size() <= 64);
  // A text result is a JSON string, cut inside the string so it stays valid JSON.
  CHECK(json::parse(r).get<std::string>().find("[truncated]") != std::string::npos);
  CHECK(ollama_test::boolean(s, semconv::ollama_content_truncated));
}

TEST_CASE("tool_span: a text result is recorded JSON-encoded") {
  ollama_test::tracing tr;
  {
    ol::tool_span_options o;
    o.capture = ol::content_capture::span_only;
    ol::tool_span ts("echo", "call_1", nullptr, o);
    ts.set_result("sunny \"and\" warm\n");
  }
  const auto s = tr.one("execute_tool echo");
  CHECK(ollama_test::str(s, semconv::gen_ai_tool_call_result) == R"("sunny \"and\" warm\n")");
}
