// Tests for llmtrace/otlp/json.hpp: the exact OTLP/JSON shape of ExportTraceServiceRequest.
#include <llmtrace/otlp/json.hpp>
#include <llmtrace/otlp/protobuf.hpp>

#include "support/js_decoder.hpp"
#include "support/otlp_decode.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace llmtrace;
using nlohmann::json;

namespace {

trace_id tid(std::string_view hex) { return *trace_id::from_hex(hex); }
span_id sid(std::string_view hex) { return *span_id::from_hex(hex); }

// Encodes `spans` as one batch.
std::string encode(const std::vector<const span_data*>& spans) {
  return otlp::encode_json(span_batch(spans.data(), spans.size()));
}
json to_doc(const std::vector<const span_data*>& spans) {
  return nlohmann::json::parse(otlp::encode_json(span_batch(spans.data(), spans.size())));
}

span_data basic_span(const resource* r, const instrumentation_scope* sc, std::string_view name) {
  span_data s;
  s.context.trace_id = tid("0af7651916cd43dd8448eb211c80319c");
  s.context.span_id = sid("b7ad6b7169203331");
  s.context.trace_flags = trace_flag_sampled;
  s.set_name(name);
  s.kind = span_kind::client;
  s.start_time_unix_nano = 1700000000000000000;
  s.end_time_unix_nano = 1700000000250000000;
  s.resource = r;
  s.scope = sc;
  return s;
}

}  // namespace

TEST_CASE("an empty batch is an empty request") { CHECK(encode({}) == R"({"resourceSpans":[]})"); }

TEST_CASE("a span with every attribute type, events, links and status has the exact OTLP/JSON shape") {
  resource res;
  res.attributes.set("service.name", "rag-demo");
  res.schema_url = "https://opentelemetry.io/schemas/1.26.0";
  instrumentation_scope scope{"llmtrace.ollama", "0.1.0", "https://opentelemetry.io/schemas/gen-ai/1.42.0", {}};
  scope.attributes.set("library.flavour", "header-only");

  span_data s = basic_span(&res, &scope, "chat llama3.2");
  s.parent_span_id = sid("00f067aa0ba902b7");
  s.trace_state = "vendor=abc";
  s.attributes.set("gen_ai.request.model", "llama3.2");
  s.attributes.set("gen_ai.request.stream", true);
  s.attributes.set("gen_ai.usage.input_tokens", 230);
  s.attributes.set("gen_ai.request.temperature", 0.25);
  s.attributes.set("gen_ai.response.finish_reasons", std::vector<std::string>{"stop", "length"});
  s.attributes.set("ints", std::vector<std::int64_t>{1, -2, std::numeric_limits<std::int64_t>::max()});
  s.attributes.set("doubles", std::vector<double>{0.5, -1.0});
  s.attributes.set("bools", std::vector<bool>{true, false});
  s.attributes.set("empty", std::vector<std::string>{});
  s.attributes.add_dropped(3);
  s.events.push_back(span_event{"exception", 1700000000100000000, {}});
  s.events.back().attributes.set("exception.type", "std::runtime_error");
  s.events.back().attributes.add_dropped(1);
  s.events.push_back(span_event{"first_chunk", 1700000000120000000, {}});
  s.dropped_events_count = 2;
  span_link link;
  link.context.trace_id = tid("4bf92f3577b34da6a3ce929d0e0e4736");
  link.context.span_id = sid("00f067aa0ba902b7");
  link.context.trace_flags = 1;
  link.context.is_remote = true;
  link.trace_state = "k=v";
  link.attributes.set("link.kind", "batch");
  s.links.push_back(link);
  s.dropped_links_count = 1;
  s.status = status_code::error;
  s.status_message = "model \"x\" not found";

  const json expected = R"({"resourceSpans":[{
    "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"rag-demo"}}]},
    "scopeSpans":[{
      "scope":{"name":"llmtrace.ollama","version":"0.1.0",
               "attributes":[{"key":"library.flavour","value":{"stringValue":"header-only"}}]},
      "spans":[{
        "traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331",
        "traceState":"vendor=abc","parentSpanId":"00f067aa0ba902b7","flags":257,
        "name":"chat llama3.2","kind":3,
        "startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000250000000",
        "attributes":[
          {"key":"gen_ai.request.model","value":{"stringValue":"llama3.2"}},
          {"key":"gen_ai.request.stream","value":{"boolValue":true}},
          {"key":"gen_ai.usage.input_tokens","value":{"intValue":"230"}},
          {"key":"gen_ai.request.temperature","value":{"doubleValue":0.25}},
          {"key":"gen_ai.response.finish_reasons","value":{"arrayValue":{"values":[
            {"stringValue":"stop"},{"stringValue":"length"}]}}},
          {"key":"ints","value":{"arrayValue":{"values":[
            {"intValue":"1"},{"intValue":"-2"},{"intValue":"9223372036854775807"}]}}},
          {"key":"doubles","value":{"arrayValue":{"values":[{"doubleValue":0.5},{"doubleValue":-1.0}]}}},
          {"key":"bools","value":{"arrayValue":{"values":[{"boolValue":true},{"boolValue":false}]}}},
          {"key":"empty","value":{"arrayValue":{}}}],
        "droppedAttributesCount":3,
        "events":[
          {"timeUnixNano":"1700000000100000000","name":"exception",
           "attributes":[{"key":"exception.type","value":{"stringValue":"std::runtime_error"}}],
           "droppedAttributesCount":1},
          {"timeUnixNano":"1700000000120000000","name":"first_chunk"}],
        "droppedEventsCount":2,
        "links":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7",
                  "traceState":"k=v",
                  "attributes":[{"key":"link.kind","value":{"stringValue":"batch"}}],
                  "flags":769}],
        "droppedLinksCount":1,
        "status":{"code":2,"message":"model \"x\" not found"}}],
      "schemaUrl":"https://opentelemetry.io/schemas/gen-ai/1.42.0"}],
    "schemaUrl":"https://opentelemetry.io/schemas/1.26.0"}]})"_json;
  CHECK(to_doc({&s}) == expected);
}

TEST_CASE("root spans omit parentSpanId; flags carry the parent's remoteness") {
  span_data root = basic_span(nullptr, nullptr, "root");
  span_data local_child = basic_span(nullptr, nullptr, "local child");
  local_child.parent_span_id = sid("1111111111111111");
  span_data remote_child = basic_span(nullptr, nullptr, "server");
  remote_child.parent_span_id = sid("2222222222222222");
  remote_child.parent_is_remote = true;
  remote_child.kind = span_kind::server;
  span_data unsampled = basic_span(nullptr, nullptr, "record only");
  unsampled.context.trace_flags = 0;

  const json doc = to_doc({&root, &local_child, &remote_child, &unsampled});
  const json& spans = doc["resourceSpans"][0]["scopeSpans"][0]["spans"];
  REQUIRE(spans.size() == 4);
  CHECK_FALSE(spans[0].contains("parentSpanId"));
  CHECK(spans[0]["flags"] == 0x101);
  CHECK(spans[1]["parentSpanId"] == "1111111111111111");
  CHECK(spans[1]["flags"] == 0x101);
  CHECK(spans[2]["parentSpanId"] == "2222222222222222");
  CHECK(spans[2]["flags"] == 0x301);
  CHECK(spans[2]["kind"] == 2);
  CHECK(spans[3]["flags"] == 0x100);
  // No resource and no scope: empty objects with an empty scope name.
  CHECK(doc["resourceSpans"][0]["resource"] == json::object());
  CHECK(doc["resourceSpans"][0]["scopeSpans"][0]["scope"] == R"({"name":""})"_json);
}

TEST_CASE("status: unset is an empty object, ok has no message, error keeps its message") {
  span_data unset = basic_span(nullptr, nullptr, "a");
  span_data ok = basic_span(nullptr, nullptr, "b");
  ok.status = status_code::ok;
  span_data err = basic_span(nullptr, nullptr, "c");
  err.status = status_code::error;
  span_data err_no_msg = basic_span(nullptr, nullptr, "d");
  err_no_msg.status = status_code::error;
  const json spans = to_doc({&unset, &ok, &err, &err_no_msg})["resourceSpans"][0]["scopeSpans"][0]["spans"];
  CHECK(spans[0]["status"] == json::object());
  CHECK(spans[1]["status"] == R"({"code":1})"_json);
  CHECK(spans[2]["status"] == R"({"code":2})"_json);
  CHECK(spans[3]["status"] == R"({"code":2})"_json);
  err.status_message = "timeout";
  CHECK(to_doc({&err})["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["status"] ==
        R"({"code":2,"message":"timeout"})"_json);
}

TEST_CASE("64-bit integers are decimal strings, doubles are numbers (NaN and infinities as strings)") {
  span_data s = basic_span(nullptr, nullptr, "n");
  s.start_time_unix_nano = std::numeric_limits<std::int64_t>::max() - 1;
  s.end_time_unix_nano = std::numeric_limits<std::int64_t>::max();
  s.attributes.set("min", std::numeric_limits<std::int64_t>::min());
  s.attributes.set("zero", 0);
  s.attributes.set("tenth", 0.1);
  s.attributes.set("big", 1e300);
  s.attributes.set("nan", std::nan(""));
  s.attributes.set("inf", std::numeric_limits<double>::infinity());
  s.attributes.set("-inf", -std::numeric_limits<double>::infinity());
  const std::string text = encode({&s});
  CHECK(text.find(R"("startTimeUnixNano":"9223372036854775806")") != std::string::npos);
  CHECK(text.find(R"("endTimeUnixNano":"9223372036854775807")") != std::string::npos);
  CHECK(text.find(R"({"intValue":"-9223372036854775808"})") != std::string::npos);
  CHECK(text.find(R"({"intValue":"0"})") != std::string::npos);
  CHECK(text.find(R"({"doubleValue":0.1})") != std::string::npos);
  CHECK(text.find(R"({"doubleValue":1e+300})") != std::string::npos);
  CHECK(text.find(R"({"doubleValue":"NaN"})") != std::string::npos);
  CHECK(text.find(R"({"doubleValue":"Infinity"})") != std::string::npos);
  CHECK(text.find(R"({"doubleValue":"-Infinity"})") != std::string::npos);
  const json attrs = json::parse(text)["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"];
  CHECK(attrs[2]["value"]["doubleValue"].get<double>() == 0.1);
  CHECK(attrs[3]["value"]["doubleValue"].get<double>() == 1e300);
}

TEST_CASE("ids are lowercase hex of the exact width") {
  span_data s = basic_span(nullptr, nullptr, "ids");
  s.context.trace_id = tid("000102030405060708090a0b0c0d0eff");
  s.context.span_id = sid("a0b1c2d3e4f5a6b7");
  s.parent_span_id = sid("0000000000000001");
  const json sp = to_doc({&s})["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
  CHECK(sp["traceId"] == "000102030405060708090a0b0c0d0eff");
  CHECK(sp["spanId"] == "a0b1c2d3e4f5a6b7");
  CHECK(sp["parentSpanId"] == "0000000000000001");
}

TEST_CASE("strings are escaped: quotes, backslashes, control characters; unicode passes through") {
  span_data s = basic_span(nullptr, nullptr, "say \"hi\"\\ \x01\x1f\n\t\r\b\f end");
  s.attributes.set("gen_ai.input.messages", "[{\"role\":\"user\",\"content\":\"héllo ✓ 😀\"}]");
  s.attributes.set("k\"ey\n", "v");
  const std::string text = encode({&s});
  CHECK(text.find(R"("name":"say \"hi\"\\ \u0001\u001f\n\t\r\b\f end")") != std::string::npos);
  CHECK(text.find(R"({"key":"k\"ey\n","value":{"stringValue":"v"}})") != std::string::npos);
  CHECK(text.find("héllo ✓ 😀") != std::string::npos);  // raw UTF-8, not \u escapes
  const json sp = json::parse(text)["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
  CHECK(sp["name"] == "say \"hi\"\\ \x01\x1f\n\t\r\b\f end");
  CHECK(sp["attributes"][0]["value"]["stringValue"] == "[{\"role\":\"user\",\"content\":\"héllo ✓ 😀\"}]");
}

TEST_CASE("invalid UTF-8 in strings the core does not repair (names, keys, trace state) becomes U+FFFD") {
  span_data s = basic_span(nullptr, nullptr, std::string_view("bad \xff\xfe name \xe2\x82", 14));
  s.trace_state = "k=\xc3";
  instrumentation_scope scope{"scope \x80", "", "", {}};
  s.scope = &scope;
  const std::string text = encode({&s});
  const json doc = json::parse(text);  // throws on invalid UTF-8
  const json& sp = doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
  CHECK(sp["name"] == "bad \xEF\xBF\xBD\xEF\xBF\xBD name \xEF\xBF\xBD");  // a truncated sequence is one
  CHECK(sp["traceState"] == "k=\xEF\xBF\xBD");
  CHECK(doc["resourceSpans"][0]["scopeSpans"][0]["scope"]["name"] == "scope \xEF\xBF\xBD");
}

TEST_CASE("spans are grouped by resource, then scope, in order of first appearance") {
  resource r1, r2;
  r1.attributes.set("service.name", "one");
  r2.attributes.set("service.name", "two");
  instrumentation_scope a{"a", "1", "", {}}, b{"b", "", "", {}};
  span_data s1 = basic_span(&r1, &a, "s1"), s2 = basic_span(&r2, &a, "s2"), s3 = basic_span(&r1, &b, "s3"),
            s4 = basic_span(&r1, &a, "s4"), s5 = basic_span(&r2, &a, "s5"), s6 = basic_span(&r1, &b, "s6");
  const json doc = to_doc({&s1, &s2, &s3, &s4, &s5, &s6});
  const json& rs = doc["resourceSpans"];
  REQUIRE(rs.size() == 2);
  auto names = [](const json& scope_spans) {
    std::vector<std::string> out;
    for (const auto& sp : scope_spans["spans"]) out.push_back(sp["name"]);
    return out;
  };
  CHECK(rs[0]["resource"]["attributes"][0]["value"]["stringValue"] == "one");
  REQUIRE(rs[0]["scopeSpans"].size() == 2);
  CHECK(rs[0]["scopeSpans"][0]["scope"] == R"({"name":"a","version":"1"})"_json);
  CHECK(names(rs[0]["scopeSpans"][0]) == std::vector<std::string>{"s1", "s4"});
  CHECK(rs[0]["scopeSpans"][1]["scope"] == R"({"name":"b"})"_json);
  CHECK(names(rs[0]["scopeSpans"][1]) == std::vector<std::string>{"s3", "s6"});
  CHECK(rs[1]["resource"]["attributes"][0]["value"]["stringValue"] == "two");
  REQUIRE(rs[1]["scopeSpans"].size() == 1);
  CHECK(names(rs[1]["scopeSpans"][0]) == std::vector<std::string>{"s2", "s5"});
  CHECK_FALSE(rs[0].contains("schemaUrl"));
  CHECK_FALSE(rs[0]["scopeSpans"][0].contains("schemaUrl"));
}

TEST_CASE("a resource's dropped attribute count is encoded") {
  resource r;
  r.attributes.set("service.name", "x");
  r.attributes.add_dropped(2);
  span_data s = basic_span(&r, nullptr, "s");
  CHECK(to_doc({&s})["resourceSpans"][0]["resource"] ==
        R"({"attributes":[{"key":"service.name","value":{"stringValue":"x"}}],"droppedAttributesCount":2})"_json);
  resource only_dropped;
  only_dropped.attributes.add_dropped(1);
  s.resource = &only_dropped;
  CHECK(to_doc({&s})["resourceSpans"][0]["resource"] == R"({"droppedAttributesCount":1})"_json);
}

TEST_CASE("append_json appends to what the buffer holds") {
  span_data s = basic_span(nullptr, nullptr, "s");
  const span_data* p = &s;
  std::string buf = "prefix ";
  otlp::append_json(buf, span_batch(&p, 1));
  CHECK(buf.rfind("prefix {\"resourceSpans\":[", 0) == 0);
  CHECK(buf.substr(7) == otlp::encode_json(span_batch(&p, 1)));
}

TEST_CASE("random bytes anywhere still give valid JSON that round-trips valid text") {
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> byte(0, 255), len(0, 40);
  auto random_string = [&] {
    std::string out(static_cast<std::size_t>(len(rng)), '\0');
    for (auto& c : out) c = static_cast<char>(byte(rng));
    return out;
  };
  for (int round = 0; round < 300; ++round) {
    span_data s = basic_span(nullptr, nullptr, random_string());
    const std::string value = random_string();
    s.attributes.set("v", value);
    s.status = status_code::error;
    s.status_message = random_string();
    const std::string text = encode({&s});
    json doc;
    REQUIRE_NOTHROW(doc = json::parse(text));
    // The core repaired the attribute value; the encoder must keep it byte for byte.
    CHECK(doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"][0]["value"]["stringValue"] ==
          detail::sanitize_utf8(value));
    if (detail::is_valid_utf8(std::string(s.name())))
      CHECK(doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["name"] == std::string(s.name()));
  }
}

TEST_CASE("independent decoders agree: strict test decoder, protobuf encoding, official OpenTelemetry JS") {
  resource r1, r2;
  r1.attributes.set("service.name", "one");
  r1.schema_url = "https://opentelemetry.io/schemas/1.26.0";
  r2.attributes.set("service.name", "two");
  instrumentation_scope a{"a", "1", "https://opentelemetry.io/schemas/gen-ai/1.42.0", {}}, b{"b", "", "", {}};
  a.attributes.set("scope.attr", 7);
  span_data s1 = basic_span(&r1, &a, "chat \"llama3.2\"\n\x01 ✓");
  s1.parent_span_id = sid("00f067aa0ba902b7");
  s1.parent_is_remote = true;
  s1.trace_state = "congo=t61rcWkgMzE";
  s1.attributes.set("s", "héllo\t");
  s1.attributes.set("b", false);
  s1.attributes.set("i", std::numeric_limits<std::int64_t>::min());
  s1.attributes.set("d", 0.1);
  s1.attributes.set("sa", std::vector<std::string>{"x", ""});
  s1.attributes.set("ia", std::vector<std::int64_t>{-1, 2});
  s1.attributes.set("da", std::vector<double>{1.5});
  s1.attributes.set("ba", std::vector<bool>{true});
  s1.attributes.add_dropped(1);
  s1.events.push_back(span_event{"exception", 1700000000100000001, {}});
  s1.events.back().attributes.set("exception.message", "boom");
  s1.dropped_events_count = 4;
  span_link link;
  link.context.trace_id = tid("4bf92f3577b34da6a3ce929d0e0e4736");
  link.context.span_id = sid("00f067aa0ba902b7");
  link.context.is_remote = true;
  s1.links.push_back(link);
  s1.dropped_links_count = 5;
  s1.status = status_code::error;
  s1.status_message = "failed";
  span_data s2 = basic_span(&r2, &b, "second");
  s2.status = status_code::ok;
  span_data s3 = basic_span(&r1, &b, "third");
  s3.kind = span_kind::consumer;

  const std::vector<const span_data*> spans{&s1, &s2, &s3};
  const span_batch batch(spans.data(), spans.size());
  const std::string text = otlp::encode_json(batch);
  std::string proto;
  otlp::encode_protobuf(batch, proto);

  using llmtrace_test::otlp_encoding;
  const json from_json = llmtrace_test::decode_request(text, otlp_encoding::json).to_json();
  CHECK(from_json == llmtrace_test::decode_request(proto, otlp_encoding::protobuf).to_json());
  const auto flat = llmtrace_test::decode_request(text, otlp_encoding::json).flatten();
  REQUIRE(flat.size() == 3);
  CHECK(flat[0].flags == 0x301);
  CHECK(flat[0].attributes.get("i").as_int() == std::numeric_limits<std::int64_t>::min());
  CHECK(flat[0].status.message == "failed");

  if (!llmtrace_test::node_available()) {
    MESSAGE("skipped the official JS decoder: node is missing");
    return;
  }
  try {
    CHECK(llmtrace_test::js_decode(text, otlp_encoding::json) == from_json);
  } catch (const llmtrace_test::js_decoder_unavailable& e) {
    MESSAGE("skipped the official JS decoder: " << e.what());
  }
}
