// GenAI events as log records: gen_ai.client.inference.operation.details with the span's GenAI
// attributes and STRUCTURED content, gen_ai.client.operation.exception (WARN), correlated with the
// span; the OTLP payload keeps the structure (official JS decoder).
#include <llmtrace/logs.hpp>
#include <llmtrace/logs/genai_events.hpp>
#include <llmtrace/otlp/logs.hpp>
#include <llmtrace/trace.hpp>

#include "support/js_decoder.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <string>

using namespace llmtrace;
namespace sc = llmtrace::semconv;

namespace {

struct global_logs {
  std::shared_ptr<in_memory_log_store> store = std::make_shared<in_memory_log_store>();
  std::shared_ptr<logger_provider> provider;
  global_logs() {
    logger_provider_options o;
    o.processors.push_back(std::make_unique<simple_log_processor>(std::make_unique<in_memory_log_exporter>(store)));
    provider = std::make_shared<logger_provider>(std::move(o));
    set_global_logger_provider(provider);
  }
  ~global_logs() { set_global_logger_provider(nullptr); }
};

constexpr const char* input_json =
    R"([{"role":"user","parts":[{"type":"text","content":"What is the weather in Tokyo?"}]}])";
constexpr const char* output_json =
    R"([{"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"get_weather","arguments":{"city":"Tokyo","days":3}}],"finish_reason":"stop"}])";
constexpr const char* system_json = R"([{"type":"text","content":"You are a weather bot."}])";
constexpr const char* tools_json =
    R"([{"type":"function","name":"get_weather","parameters":{"type":"object","required":["city"]}}])";

span chat_span(tracer_provider& tp) {
  span s(tp.get_tracer("t"), "chat llama3.2", span_kind::client,
         {{sc::gen_ai_operation_name, "chat"},
          {sc::gen_ai_provider_name, "ollama"},
          {sc::gen_ai_request_model, "llama3.2"},
          {sc::server_address, "127.0.0.1"},
          {sc::server_port, 11434}});
  s.set_attribute(sc::gen_ai_usage_input_tokens, 12);
  s.set_attribute(sc::gen_ai_input_messages, input_json);  // SPAN_AND_EVENT: also on the span as JSON text
  s.set_attribute("app.custom", "not repeated");
  return s;
}

}  // namespace

TEST_CASE("inference details event: structured content, the span's GenAI attributes, the span's ids") {
  global_logs logs;
  tracer_provider tp;
  span s = chat_span(tp);
  genai::emit_inference_details(s, system_json, input_json, output_json, tools_json);
  const auto evs = logs.store->events(sc::gen_ai_client_inference_operation_details);
  REQUIRE(evs.size() == 1);
  const log_record& r = evs[0];
  CHECK(r.severity == severity::info);
  CHECK(r.span_id == s.span_context().span_id);
  CHECK(r.trace_id == s.span_context().trace_id);
  CHECK(r.scope->name == genai::events_scope);
  CHECK(r.body.empty());
  // Required / conditionally required attributes, repeated from the span.
  CHECK(r.attributes.get_string(sc::gen_ai_operation_name) == "chat");
  CHECK(r.attributes.get_string(sc::gen_ai_provider_name) == "ollama");
  CHECK(r.attributes.get_string(sc::gen_ai_request_model) == "llama3.2");
  CHECK(r.attributes.get_string(sc::server_address) == "127.0.0.1");
  attribute_value v;
  REQUIRE(r.attributes.find(sc::server_port, v));
  CHECK(v.as_int() == 11434);
  REQUIRE(r.attributes.find(sc::gen_ai_usage_input_tokens, v));
  CHECK(v.as_int() == 12);
  CHECK_FALSE(r.attributes.contains("app.custom"));
  // Content is structured, never a JSON string, and not duplicated as a flat attribute.
  CHECK_FALSE(r.attributes.contains(sc::gen_ai_input_messages));
  for (auto key : {sc::gen_ai_input_messages, sc::gen_ai_output_messages, sc::gen_ai_system_instructions,
                   sc::gen_ai_tool_definitions}) {
    const any_value* c = r.find_structured(key);
    REQUIRE(c != nullptr);
    CHECK(c->type() == any_value::kind::array);
  }
  const any_value& in = *r.find_structured(sc::gen_ai_input_messages);
  CHECK(in.at(0).find("role")->as_string() == "user");
  CHECK(in.at(0).find("parts")->at(0).find("content")->as_string() == "What is the weather in Tokyo?");
  const any_value& out = *r.find_structured(sc::gen_ai_output_messages);
  CHECK(out.at(0).key_at(0) == "role");  // the message's own key order is kept
  CHECK(out.at(0).find("finish_reason")->as_string() == "stop");
  const any_value& args = *out.at(0).find("parts")->at(0).find("arguments");
  CHECK(args.type() == any_value::kind::kvlist);
  CHECK(args.find("days")->as_int() == 3);
  CHECK(r.find_structured(sc::gen_ai_tool_definitions)->at(0).find("parameters")->find("required")->at(0).as_string() ==
        "city");
}

TEST_CASE("inference details event: empty content keys are left out; nothing without a logger provider") {
  tracer_provider tp;
  {
    span s = chat_span(tp);
    genai::emit_inference_details(s, "", input_json, "", "");  // the no-op global provider: nothing, no crash
  }
  global_logs logs;
  span s = chat_span(tp);
  genai::emit_inference_details(s, "", input_json, "", "", true);
  const auto evs = logs.store->events(sc::gen_ai_client_inference_operation_details);
  REQUIRE(evs.size() == 1);
  CHECK(evs[0].structured_attributes.size() == 1);
  attribute_value v;
  REQUIRE(evs[0].attributes.find(sc::ollama_content_truncated, v));
  CHECK(v.as_bool());
}

TEST_CASE("operation exception event: WARN, exception.type/message and error.type, correlated") {
  global_logs logs;
  tracer_provider tp;
  span s = chat_span(tp);
  s.set_attribute(sc::error_type, "404");
  genai::emit_operation_exception(s, "llmtrace::ollama::error", "model 'nope' not found");
  const auto evs = logs.store->events(genai::client_operation_exception);
  REQUIRE(evs.size() == 1);
  CHECK(evs[0].severity == severity::warn);
  CHECK(evs[0].severity_text == "WARN");
  CHECK(evs[0].span_id == s.span_context().span_id);
  CHECK(evs[0].attributes.get_string(sc::exception_type) == "llmtrace::ollama::error");
  CHECK(evs[0].attributes.get_string(sc::exception_message) == "model 'nope' not found");
  CHECK(evs[0].attributes.get_string(sc::error_type) == "404");
  CHECK(evs[0].attributes.get_string(sc::gen_ai_operation_name) == "chat");
}

TEST_CASE("the inference details event on the wire: kvlist/array values the official decoder reads") {
  if (!llmtrace_test::node_available()) {
    MESSAGE("skipped: node is missing");
    return;
  }
  global_logs logs;
  tracer_provider tp;
  span s = chat_span(tp);
  genai::emit_inference_details(s, system_json, input_json, output_json, tools_json);
  const auto recs = logs.store->records();
  REQUIRE(recs.size() == 1);
  const log_record* one = &recs[0];
  const log_batch batch(&one, 1);
  std::string pb;
  otlp::encode_protobuf(batch, pb);
  for (const auto& decoded :
       {llmtrace_test::js_decode(pb, llmtrace_test::otlp_encoding::protobuf, "logs"),
        llmtrace_test::js_decode(otlp::encode_json(batch), llmtrace_test::otlp_encoding::json, "logs")}) {
    const auto& rec = decoded["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0];
    CHECK(rec["eventName"] == "gen_ai.client.inference.operation.details");
    CHECK(rec["spanId"] == s.span_context().span_id.to_hex());
    const auto& in = rec["attributes"]["gen_ai.input.messages"];
    CHECK(in["array"][0]["kvlist"]["role"]["string"] == "user");
    CHECK(in["array"][0]["kvlist"]["parts"]["array"][0]["kvlist"]["content"]["string"] ==
          "What is the weather in Tokyo?");
    CHECK(rec["attributes"]["gen_ai.output.messages"]["array"][0]["kvlist"]["parts"]["array"][0]["kvlist"]["arguments"]
             ["kvlist"]["days"]["int"] == "3");
    CHECK(rec["attributes"]["gen_ai.operation.name"]["string"] == "chat");
  }
}
