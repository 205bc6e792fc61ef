// Client tests, part 5: the spans. Attributes set at start (samplers see them), request options,
// usage and Ollama timings, phase spans laid out inside the call, cold starts, streaming attributes,
// cancellation, content capture in every mode with truncation, a tool loop's span tree, the
// traced_chat pattern, and a tracer given in the options.
#include "client_test_support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

using namespace ollama_test;
namespace semconv = llmtrace::semconv;
using ol::json;

namespace {

// A structured log value back as JSON (key order kept), to compare with the span attributes' text.
nlohmann::ordered_json to_ordered_json(const llmtrace::any_value& v) {
  using kind = llmtrace::any_value::kind;
  switch (v.type()) {
    case kind::boolean:
      return v.as_bool();
    case kind::int64:
      return v.as_int();
    case kind::float64:
      return v.as_double();
    case kind::string:
      return std::string(v.as_string());
    case kind::array: {
      nlohmann::ordered_json a = nlohmann::ordered_json::array();
      for (std::size_t i = 0; i < v.size(); ++i) a.push_back(to_ordered_json(v.at(i)));
      return a;
    }
    case kind::kvlist: {
      nlohmann::ordered_json o = nlohmann::ordered_json::object();
      for (std::size_t i = 0; i < v.size(); ++i) o[std::string(v.key_at(i))] = to_ordered_json(v.at(i));
      return o;
    }
    default:
      return nullptr;
  }
}

/// Remembers which attribute keys each span had when it started.
class start_recorder final : public llmtrace::span_processor {
 public:
  explicit start_recorder(std::shared_ptr<std::map<std::string, std::set<std::string>>> out) : out_(std::move(out)) {}
  void on_start(llmtrace::span_data& s) noexcept override {
    std::lock_guard<std::mutex> lk(mu_);
    auto& keys = (*out_)[std::string(s.name())];
    for (const auto a : s.attributes) keys.insert(std::string(a.key));
  }
  void on_end(llmtrace::span_ptr) noexcept override {}
  bool force_flush(std::chrono::milliseconds) noexcept override { return true; }
  bool shutdown(std::chrono::milliseconds) noexcept override { return true; }

 private:
  std::mutex mu_;
  std::shared_ptr<std::map<std::string, std::set<std::string>>> out_;
};

void check_inside(const llmtrace::span_data& child, const llmtrace::span_data& parent) {
  CHECK(child.start_time_unix_nano >= parent.start_time_unix_nano);
  CHECK(child.end_time_unix_nano <= parent.end_time_unix_nano);
  CHECK(child.start_time_unix_nano <= child.end_time_unix_nano);
}

}  // namespace

TEST_CASE("chat span: start attributes, request options, response, usage and Ollama timings") {
  auto starts = std::make_shared<std::map<std::string, std::set<std::string>>>();
  tracing tr({}, std::make_unique<start_recorder>(starts));
  fake_ollama fake;
  const auto c = make_client(fake);
  auto req = chat_req("llama3.2", "Why is the sky blue?");
  req.messages.insert(req.messages.begin(), ol::message::system("Be brief."));
  req.options.temperature = 0.3;
  req.options.top_p = 0.8;
  req.options.top_k = 20;
  req.options.seed = 7;
  req.options.num_predict = 64;
  req.options.stop = std::vector<std::string>{"END", "STOP"};
  req.options.frequency_penalty = 0.5;
  req.options.presence_penalty = 0.25;
  req.format = ol::format_option::json_mode();
  req.keep_alive = "10m";
  req.conversation_id = "conv-42";
  req.tools.push_back(weather_tool());
  req.messages.back().content = "Tell me something, no tools";
  const auto r = c.chat(req);

  const auto s = tr.one("chat llama3.2");
  const auto& at_start = (*starts)["chat llama3.2"];
  for (auto k : {semconv::gen_ai_operation_name, semconv::gen_ai_provider_name, semconv::gen_ai_request_model,
                 semconv::server_address, semconv::server_port})
    CHECK_MESSAGE(at_start.count(std::string(k)) == 1, std::string(k));

  CHECK(s.kind == llmtrace::span_kind::client);
  CHECK(s.scope->name == "llmtrace.ollama");
  CHECK(s.scope->schema_url == semconv::genai_schema_url);
  CHECK(str(s, semconv::gen_ai_operation_name) == "chat");
  CHECK(str(s, semconv::gen_ai_provider_name) == "ollama");
  CHECK(str(s, semconv::gen_ai_request_model) == "llama3.2");
  CHECK(str(s, semconv::server_address) == "127.0.0.1");
  CHECK(int_of(s, semconv::server_port) == fake.port());
  CHECK_FALSE(has(s, semconv::gen_ai_request_stream));  // only when streaming
  CHECK(dbl(s, semconv::gen_ai_request_temperature) == doctest::Approx(0.3));
  CHECK(dbl(s, semconv::gen_ai_request_top_p) == doctest::Approx(0.8));
  CHECK(int_of(s, semconv::gen_ai_request_top_k) == 20);
  CHECK(int_of(s, semconv::gen_ai_request_seed) == 7);
  CHECK(int_of(s, semconv::gen_ai_request_max_tokens) == 64);
  CHECK(strings(s, semconv::gen_ai_request_stop_sequences) == std::vector<std::string>{"END", "STOP"});
  CHECK(dbl(s, semconv::gen_ai_request_frequency_penalty) == doctest::Approx(0.5));
  CHECK(dbl(s, semconv::gen_ai_request_presence_penalty) == doctest::Approx(0.25));
  CHECK(str(s, semconv::gen_ai_output_type) == "json");
  CHECK(str(s, semconv::gen_ai_conversation_id) == "conv-42");
  CHECK(str(s, semconv::ollama_keep_alive) == "10m");
  CHECK(int_of(s, semconv::ollama_request_message_count) == 2);
  CHECK(int_of(s, semconv::ollama_request_tool_count) == 1);
  CHECK_FALSE(has(s, semconv::gen_ai_request_reasoning_level));

  CHECK(str(s, semconv::gen_ai_response_model) == "llama3.2");
  // GenAI v0.1.0: an answer that asks for tool calls finishes with `tool_call` (Ollama says "stop").
  CHECK(strings(s, semconv::gen_ai_response_finish_reasons) ==
        std::vector<std::string>{r.message.tool_calls.empty() ? r.done_reason : std::string("tool_call")});
  CHECK(int_of(s, semconv::gen_ai_usage_input_tokens) == *r.metrics.prompt_eval_count);
  CHECK(int_of(s, semconv::gen_ai_usage_output_tokens) == *r.metrics.eval_count);
  CHECK(int_of(s, semconv::ollama_eval_count) == *r.metrics.eval_count);
  CHECK(int_of(s, semconv::ollama_prompt_eval_count) == *r.metrics.prompt_eval_count);
  CHECK(dbl(s, semconv::ollama_total_duration) ==
        doctest::Approx(static_cast<double>(*r.metrics.total_duration) / 1e9));
  CHECK(dbl(s, semconv::ollama_load_duration) == doctest::Approx(static_cast<double>(*r.metrics.load_duration) / 1e9));
  CHECK(dbl(s, semconv::ollama_eval_duration) == doctest::Approx(static_cast<double>(*r.metrics.eval_duration) / 1e9));
  CHECK(dbl(s, semconv::ollama_prompt_eval_duration) ==
        doctest::Approx(static_cast<double>(*r.metrics.prompt_eval_duration) / 1e9));
  CHECK(dbl(s, semconv::ollama_tokens_per_second) == doctest::Approx(*r.metrics.tokens_per_second()));
  CHECK_FALSE(has(s, semconv::ollama_prompt_tokens_per_second));  // count includes cached tokens: no rate
  const double overhead = dbl(s, semconv::ollama_client_overhead);
  CHECK(overhead ==
        doctest::Approx(static_cast<double>(s.duration_ns() - *r.metrics.total_duration) / 1e9).epsilon(1e-6));
  CHECK_FALSE(boolean(s, semconv::ollama_cold_start));
  CHECK_FALSE(has(s, semconv::ollama_chunk_count));
  CHECK(s.status == llmtrace::status_code::unset);
  CHECK_FALSE(has(s, semconv::error_type));
  CHECK_FALSE(has(s, semconv::gen_ai_input_messages));  // content off by default
  CHECK_FALSE(has(s, semconv::gen_ai_output_messages));
}

TEST_CASE("reasoning level from a think string") {
  tracing tr;
  fake_ollama fake;
  const auto c = make_client(fake);
  auto req = chat_req("qwen3", "hi");
  req.think = "low";
  (void)c.chat(req);
  CHECK(str(tr.one("chat qwen3"), semconv::gen_ai_request_reasoning_level) == "low");
}

TEST_CASE("phase spans: load, prompt_eval, eval laid out inside the chat span; a cold model shows (tricky case 6)") {
  tracing tr;
  fake_ollama fake;
  const auto c = make_client(fake);
  const auto r = c.chat(chat_req("cold-llama", "Hello there"), [](const ol::chat_response&) { return true; });
  const auto s = tr.one("chat cold-llama");
  CHECK(*r.metrics.load_duration >= 1000000000);
  CHECK(boolean(s, semconv::ollama_cold_start));
  CHECK(dbl(s, semconv::ollama_load_duration) == doctest::Approx(6.3));

  const auto load = tr.one("ollama.load");
  const auto prompt = tr.one("ollama.prompt_eval");
  const auto eval = tr.one("ollama.eval");
  for (const auto* p : {&load, &prompt, &eval}) {
    CHECK(p->kind == llmtrace::span_kind::internal);
    CHECK(p->parent_span_id == s.context.span_id);
    CHECK(p->context.trace_id == s.context.trace_id);
    check_inside(*p, s);
  }
  CHECK(load.end_time_unix_nano == prompt.start_time_unix_nano);
  CHECK(prompt.end_time_unix_nano == eval.start_time_unix_nano);
  // The load dominates the waterfall of a cold call.
  CHECK(load.duration_ns() > eval.duration_ns());
  CHECK(dbl(load, semconv::ollama_load_duration) == doctest::Approx(6.3));
  CHECK(int_of(prompt, semconv::ollama_prompt_eval_count) == *r.metrics.prompt_eval_count);
  CHECK(int_of(eval, semconv::ollama_eval_count) == *r.metrics.eval_count);

  // The same model, now warm.
  tr.clear();
  (void)c.chat(chat_req("cold-llama", "Hello again"));
  const auto warm = tr.one("chat cold-llama");
  CHECK_FALSE(boolean(warm, semconv::ollama_cold_start));
  CHECK(tr.children_of(warm).size() == 3);
  for (const auto& kid : tr.children_of(warm)) check_inside(kid, warm);

  // A load-only request has no metrics and no phases.
  tr.clear();
  ol::chat_request load_only;
  load_only.model = "llama3.2";
  (void)c.chat(load_only);
  const auto lo = tr.one("chat llama3.2");
  CHECK(tr.children_of(lo).empty());
  CHECK(strings(lo, semconv::gen_ai_response_finish_reasons) == std::vector<std::string>{"load"});
  CHECK(int_of(lo, semconv::ollama_request_message_count) == 0);
}

TEST_CASE("streaming: stream flag, time to first chunk, chunk count, usage from the final chunk") {
  tracing tr;
  fake_ollama fake;
  const auto c = make_client(fake);
  std::int64_t chunks = 0;
  const auto r = c.chat(chat_req("llama3.2", "stream please"), [&](const ol::chat_response&) {
    ++chunks;
    return true;
  });
  const auto s = tr.one("chat llama3.2");
  CHECK(boolean(s, semconv::gen_ai_request_stream));
  CHECK(int_of(s, semconv::ollama_chunk_count) == chunks);
  const double ttfc = dbl(s, semconv::gen_ai_response_time_to_first_chunk);
  CHECK(ttfc >= 0);
  CHECK(ttfc <= static_cast<double>(s.duration_ns()) / 1e9);
  CHECK(int_of(s, semconv::gen_ai_usage_output_tokens) == *r.metrics.eval_count);
  CHECK(has(s, semconv::ollama_tokens_per_second));
}

TEST_CASE("a stream the caller abandons: ollama.stream.cancelled, status Unset, no error.type") {
  tracing tr;
  fake_ollama fake;
  const auto c = make_client(fake);
  fake.set_next_mode(stream_mode::hang_after_chunks, 3);
  int n = 0;
  (void)c.chat(chat_req("llama3.2", "long answer please"), [&](const ol::chat_response&) { return ++n < 2; });
  const auto s = tr.one("chat llama3.2");
  CHECK(boolean(s, semconv::ollama_stream_cancelled));
  CHECK(s.status == llmtrace::status_code::unset);
  CHECK_FALSE(has(s, semconv::error_type));
  CHECK(int_of(s, semconv::ollama_chunk_count) == 2);
  CHECK(has(s, semconv::gen_ai_response_time_to_first_chunk));
  CHECK_FALSE(has(s, semconv::gen_ai_usage_output_tokens));
  CHECK(tr.children_of(s).empty());
}

TEST_CASE("content capture: SPAN_ONLY, EVENT_ONLY, SPAN_AND_EVENT, NO_CONTENT") {
  fake_ollama fake;
  auto req = chat_req("llama3.2", "What is the weather in Tokyo?");
  req.messages.insert(req.messages.begin(), ol::message::system("You are a weather bot."));
  req.tools.push_back(weather_tool());

  for (auto mode : {ol::content_capture::span_only, ol::content_capture::event_only,
                    ol::content_capture::span_and_event, ol::content_capture::no_content}) {
    CAPTURE(static_cast<int>(mode));
    tracing tr;
    // The EVENT modes emit a log-record event through the global logger provider.
    auto logs = std::make_shared<llmtrace::in_memory_log_store>();
    llmtrace::logger_provider_options lo;
    lo.processors.push_back(
        std::make_unique<llmtrace::simple_log_processor>(std::make_unique<llmtrace::in_memory_log_exporter>(logs)));
    llmtrace::set_global_logger_provider(std::make_shared<llmtrace::logger_provider>(std::move(lo)));
    ol::client_options o;
    o.capture_content = mode;
    const auto c = make_client(fake, o);
    const auto r = c.chat(req);
    llmtrace::set_global_logger_provider(nullptr);
    const auto s = tr.one("chat llama3.2");
    CHECK(event(s, semconv::gen_ai_client_inference_operation_details) == nullptr);  // no span events any more
    const auto evs = logs->events(semconv::gen_ai_client_inference_operation_details);
    CHECK(has(s, semconv::gen_ai_input_messages) == ol::captures_on_span(mode));
    CHECK(evs.size() == (ol::captures_on_event(mode) ? 1u : 0u));
    CHECK(logs->size() == evs.size());  // the client logs nothing else
    if (mode == ol::content_capture::no_content) continue;

    std::string input, output, tools;
    // GenAI v0.1.0: a system message of the chat history stays in gen_ai.input.messages.
    CHECK_FALSE(has(s, semconv::gen_ai_system_instructions));
    if (ol::captures_on_span(mode)) {
      input = str(s, semconv::gen_ai_input_messages);
      output = str(s, semconv::gen_ai_output_messages);
      tools = str(s, semconv::gen_ai_tool_definitions);
    } else {
      CHECK_FALSE(has(s, semconv::gen_ai_output_messages));
    }
    if (ol::captures_on_event(mode)) {
      // The event: correlated with the chat span, its GenAI attributes, STRUCTURED content (the
      // same document as the span attribute's JSON text).
      REQUIRE(evs.size() == 1);
      const auto& ev = evs[0];
      CHECK(ev.span_id == s.context.span_id);
      CHECK(ev.trace_id == s.context.trace_id);
      CHECK(ev.attributes.get_string(semconv::gen_ai_operation_name) == "chat");
      CHECK(ev.attributes.get_string(semconv::gen_ai_provider_name) == "ollama");
      CHECK(ev.attributes.get_string(semconv::gen_ai_request_model) == "llama3.2");
      CHECK(ev.attributes.contains(semconv::gen_ai_response_model));
      CHECK(ev.attributes.contains(semconv::server_port));
      CHECK_FALSE(ev.attributes.contains(semconv::gen_ai_input_messages));
      const auto* in = ev.find_structured(semconv::gen_ai_input_messages);
      REQUIRE(in != nullptr);
      CHECK(in->at(0).find("role")->as_string() == "system");
      CHECK(in->at(1).find("role")->as_string() == "user");
      CHECK(in->at(1).find("parts")->at(0).find("content")->as_string() == "What is the weather in Tokyo?");
      const auto* out = ev.find_structured(semconv::gen_ai_output_messages);
      REQUIRE(out != nullptr);
      CHECK(out->at(0).find("parts")->at(0).find("arguments")->find("city")->as_string() == "Tokyo");
      CHECK(ev.find_structured(semconv::gen_ai_system_instructions) == nullptr);
      CHECK(ev.find_structured(semconv::gen_ai_tool_definitions)->at(0).find("name")->as_string() == "get_weather");
      if (!ol::captures_on_span(mode)) {
        // Rebuild the JSON texts from the structured values for the shared checks below.
        const auto text = [](const llmtrace::any_value& v) { return to_ordered_json(v).dump(); };
        input = text(*in);
        output = text(*out);
        tools = text(*ev.find_structured(semconv::gen_ai_tool_definitions));
      }
    }
    CHECK(input == R"([{"role":"system","parts":[{"type":"text","content":"You are a weather bot."}]},)"
                   R"({"role":"user","parts":[{"type":"text","content":"What is the weather in Tokyo?"}]}])");
    const json out = json::parse(output);
    REQUIRE(out.size() == 1);
    CHECK(out[0]["role"] == "assistant");
    CHECK(out[0]["finish_reason"] == "tool_call");  // Ollama says "stop"; the answer asks for tool calls
    CHECK(out[0]["parts"][0]["type"] == "tool_call");
    CHECK(out[0]["parts"][0]["name"] == "get_weather");
    CHECK(out[0]["parts"][0]["id"] == r.message.tool_calls[0].id);
    CHECK(out[0]["parts"][0]["arguments"]["city"] == "Tokyo");
    CHECK(json::parse(tools)[0]["name"] == "get_weather");
  }
}

TEST_CASE("captured content is cut per message to the attribute limit, staying valid JSON and UTF-8") {
  llmtrace::span_limits limits;
  limits.attribute_value_length = 300;
  tracing tr(limits);
  fake_ollama fake;
  fake.set_reply("llama3.2", fake_ollama::unicode_reply() + " " + fake_ollama::unicode_reply());
  ol::client_options o;
  o.capture_content = ol::content_capture::span_only;
  const auto c = make_client(fake, o);
  ol::chat_request req;
  req.model = "llama3.2";
  req.messages.push_back(ol::message::user("first question"));
  req.messages.push_back(ol::message::assistant(std::string(1000, 'a')));
  req.messages.push_back(ol::message::user(fake_ollama::unicode_reply() + fake_ollama::unicode_reply()));
  (void)c.chat(req, [](const ol::chat_response&) { return true; });
  const auto s = tr.one("chat llama3.2");
  for (auto key : {semconv::gen_ai_input_messages, semconv::gen_ai_output_messages}) {
    const std::string v = str(s, key);
    CHECK(llmtrace::detail::utf8_char_count(v) <= 300);
    CHECK(llmtrace::detail::is_valid_utf8(v));
    CHECK(v.find("[truncated]") != std::string::npos);
    CHECK(json::accept(v));
  }
  const json in = json::parse(str(s, semconv::gen_ai_input_messages));
  CHECK(in.size() == 3);
  CHECK(in[0]["parts"][0]["content"] == "first question");
  CHECK(boolean(s, semconv::ollama_content_truncated));
}

TEST_CASE("generate content capture: prompt and system instructions") {
  tracing tr;
  fake_ollama fake;
  ol::client_options o;
  o.capture_content = ol::content_capture::span_only;
  const auto c = make_client(fake, o);
  auto req = gen_req("llama3.2", "Why?");
  req.system = "Be brief.";
  const auto r = c.generate(req);
  const auto s = tr.one("text_completion llama3.2");
  CHECK(str(s, semconv::gen_ai_input_messages) == R"([{"role":"user","parts":[{"type":"text","content":"Why?"}]}])");
  CHECK(str(s, semconv::gen_ai_system_instructions) == R"([{"type":"text","content":"Be brief."}])");
  const json out = json::parse(str(s, semconv::gen_ai_output_messages));
  CHECK(out[0]["parts"][0]["content"] == r.response);
}

TEST_CASE("a tool loop gives the expected span tree") {
  tracing tr;
  fake_ollama fake;
  const auto c = make_client(fake);
  {
    llmtrace::span turn("agent turn");
    auto req = chat_req("llama3.2", "What is the weather in Tokyo?");
    req.tools.push_back(weather_tool());
    const auto first = c.chat(req);
    req.messages.push_back(first.message);
    for (const auto& call : first.message.tool_calls) {
      ol::tool_span_options to;
      to.capture = ol::content_capture::no_content;
      ol::tool_span ts(call, to);
      const std::string result = "22 degrees";
      ts.set_result(result);
      req.messages.push_back(ol::message::tool(result, call.function.name, call.id));
    }
    const auto second = c.chat(req);
    CHECK(second.message.content.rfind("The tool returned", 0) == 0);
  }
  const auto turn = tr.one("agent turn");
  const auto kids = tr.children_of(turn);
  std::vector<std::string> names;
  for (const auto& k : kids) names.emplace_back(k.name());
  CHECK(names == std::vector<std::string>{"chat llama3.2", "execute_tool get_weather", "chat llama3.2"});
  const auto tool = tr.one("execute_tool get_weather");
  CHECK(str(tool, semconv::gen_ai_tool_call_id).rfind("call_", 0) == 0);
  CHECK(int_of(kids[0], semconv::ollama_response_tool_call_count) == 1);
  CHECK(kids[0].end_time_unix_nano <= tool.start_time_unix_nano);
  CHECK(tool.end_time_unix_nano <= kids[2].start_time_unix_nano);
  for (const auto& chat : tr.find("chat llama3.2")) CHECK(tr.children_of(chat).size() == 3);
}

TEST_CASE("traced_chat: the chat span alone carries model, message count, tokens, duration, tokens/s") {
  tracing tr;
  fake_ollama fake;
  const auto c = make_client(fake);
  auto req = chat_req("llama3.2", "hi");
  req.messages.push_back(ol::message::assistant("hello"));
  req.messages.push_back(ol::message::user("how are you?"));
  (void)c.chat(req);
  const auto s = tr.one("chat llama3.2");
  CHECK(str(s, semconv::gen_ai_request_model) == "llama3.2");
  CHECK(int_of(s, semconv::ollama_request_message_count) == 3);
  CHECK(int_of(s, semconv::gen_ai_usage_input_tokens) > 0);
  CHECK(int_of(s, semconv::gen_ai_usage_output_tokens) > 0);
  CHECK(s.duration_ns() > 0);
  CHECK(dbl(s, semconv::ollama_tokens_per_second) > 0);
}

TEST_CASE("a tracer from the options: spans go to that provider, not the global one") {
  tracing global;
  auto store = std::make_shared<llmtrace::in_memory_span_store>();
  llmtrace::provider_options po;
  po.processors.push_back(
      std::make_unique<llmtrace::simple_processor>(std::make_unique<llmtrace::in_memory_exporter>(store)));
  llmtrace::tracer_provider mine(std::move(po));
  fake_ollama fake;
  ol::client_options o;
  o.tracer = mine.get_tracer("my-app");
  const auto c = make_client(fake, o);
  (void)c.chat(chat_req("llama3.2", "hi"));
  CHECK(global.spans().empty());
  CHECK(store->find("chat llama3.2").size() == 1);
  CHECK(store->find("ollama.eval").size() == 1);
  CHECK(store->find("chat llama3.2")[0].scope->name == "my-app");
}
