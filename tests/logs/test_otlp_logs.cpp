// OTLP log encodings cross-checked with the official OpenTelemetry JS decoders (tests/otlp_js):
// ExportLogsServiceRequest in protobuf and OTLP/JSON, structured bodies and attributes, several
// scopes and resources, records with and without span ids.
#include <llmtrace/logs.hpp>
#include <llmtrace/otlp/logs.hpp>
#include <llmtrace/trace.hpp>

#include "support/js_decoder.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using namespace llmtrace;
using llmtrace_test::otlp_encoding;
using nlohmann::json;

namespace {

// The canonical form of decode.mjs (canonicalLogsRequest), computed here from the records
// themselves, independently of the encoders.
json canonical_value(const any_value& v) {
  switch (v.type()) {
    case any_value::kind::boolean:
      return {{"bool", v.as_bool()}};
    case any_value::kind::int64:
      return {{"int", std::to_string(v.as_int())}};
    case any_value::kind::float64:
      return {{"double", v.as_double()}};
    case any_value::kind::string:
      return {{"string", std::string(v.as_string())}};
    case any_value::kind::array: {
      json a = json::array();
      for (std::size_t i = 0; i < v.size(); ++i) a.push_back(canonical_value(v.at(i)));
      return {{"array", a}};
    }
    case any_value::kind::kvlist: {
      json o = json::object();
      for (std::size_t i = 0; i < v.size(); ++i) o[std::string(v.key_at(i))] = canonical_value(v.at(i));
      return {{"kvlist", o}};
    }
    default:
      return {{"empty", nullptr}};
  }
}

json canonical_attributes(const attribute_set& attrs, const std::vector<any_attribute>& structured = {}) {
  json o = json::object();
  for (const attribute a : attrs) o[std::string(a.key)] = canonical_value(any_value(a.value));
  for (const auto& a : structured) o[a.key] = canonical_value(a.value);
  return o;
}

json canonical_record(const log_record& r) {
  return {{"timeUnixNano", std::to_string(r.time_unix_nano)},
          {"observedTimeUnixNano", std::to_string(r.observed_time_unix_nano)},
          {"severityNumber", static_cast<int>(r.severity)},
          {"severityText", r.severity_text},
          {"body", canonical_value(r.body)},
          {"attributes", canonical_attributes(r.attributes, r.structured_attributes)},
          {"droppedAttributesCount", r.dropped_attributes_count()},
          {"flags", r.has_span() ? r.trace_flags : 0},
          {"traceId", r.has_span() ? r.trace_id.to_hex() : ""},
          {"spanId", r.has_span() ? r.span_id.to_hex() : ""},
          {"eventName", r.event_name}};
}

json canonical_scope(const instrumentation_scope& s) {
  return {{"name", s.name},
          {"version", s.version},
          {"attributes", canonical_attributes(s.attributes)},
          {"droppedAttributesCount", 0}};
}

json canonical_resource(const resource& r) {
  return {{"attributes", canonical_attributes(r.attributes)}, {"droppedAttributesCount", 0}};
}

struct fixture {
  std::shared_ptr<in_memory_log_store> store = std::make_shared<in_memory_log_store>();
  std::shared_ptr<logger_provider> provider;
  std::shared_ptr<tracer_provider> tracing;
  fixture() {
    logger_provider_options o;
    o.resource = make_resource({{"service.name", "otlp-logs-test"}, {"deployment.environment", "ci"}});
    o.processors.push_back(std::make_unique<simple_log_processor>(std::make_unique<in_memory_log_exporter>(store)));
    provider = std::make_shared<logger_provider>(std::move(o));
    tracing = std::make_shared<tracer_provider>();
  }
};

std::vector<log_record> sample_records(fixture& f) {
  const logger a = f.provider->get_logger("scope.a", "1.0.0");
  const logger b = f.provider->get_logger("scope.b");
  a.emit(severity::info, "plain text line", {{"count", 3}, {"ratio", 0.25}, {"ok", true}});
  {
    span s(f.tracing->get_tracer("t"), "in-span");
    b.emit(severity::error, "in a span \xE2\x9C\x93 \"quoted\"\n", {{"tags", std::vector<std::string>{"x", "y"}}});
    a.emit_with([](log_builder& bl) {
      bl.event_name("gen_ai.client.inference.operation.details")
          .severity(severity::info)
          .attribute("gen_ai.operation.name", "chat")
          .structured("gen_ai.input.messages",
                      any_value::array({any_value::kvlist(
                          {{"role", "user"},
                           {"parts", any_value::array({any_value::kvlist({{"type", "text"}, {"content", "hi"}})})}})}))
          .body(any_value::kvlist({{"nested", any_value::array({1, -7, std::numeric_limits<std::int64_t>::min(), 2.5,
                                                                false, any_value(), "s"})}}));
    });
  }
  b.emit(static_cast<severity>(10), "INFO2 with invalid utf8 \xC3", {{"bad\xFFkey", "v"}});
  a.emit(severity::debug, any_value::kvlist({}));
  return f.store->records();
}

json expected_request(const std::vector<log_record>& recs) {
  // Grouped by resource, then scope, in order of first appearance (one resource here).
  json scopes = json::array();
  std::vector<const instrumentation_scope*> order;
  for (const auto& r : recs) {
    bool seen = false;
    for (auto* s : order) seen = seen || s == r.scope;
    if (!seen) order.push_back(r.scope);
  }
  for (auto* s : order) {
    json records = json::array();
    for (const auto& r : recs)
      if (r.scope == s) records.push_back(canonical_record(r));
    scopes.push_back({{"scope", canonical_scope(*s)}, {"schemaUrl", ""}, {"logRecords", records}});
  }
  return {{"resourceLogs", json::array({{{"resource", canonical_resource(*recs.front().resource)},
                                         {"schemaUrl", ""},
                                         {"scopeLogs", scopes}}})}};
}

std::vector<const log_record*> pointers(const std::vector<log_record>& recs) {
  std::vector<const log_record*> p;
  for (const auto& r : recs) p.push_back(&r);
  return p;
}

}  // namespace

TEST_CASE("OTLP logs: protobuf and JSON decode with the official JS decoders to the records emitted") {
  if (!llmtrace_test::node_available()) {
    MESSAGE("skipped: node is missing");
    return;
  }
  fixture f;
  const auto recs = sample_records(f);
  REQUIRE(recs.size() == 5);
  const auto ptrs = pointers(recs);
  const log_batch batch(ptrs.data(), ptrs.size());

  json expected = expected_request(recs);
  // Invalid UTF-8 is sent repaired (U+FFFD) in both encodings.
  auto& rec3 = expected["resourceLogs"][0]["scopeLogs"][1]["logRecords"][1];
  rec3["body"]["string"] = "INFO2 with invalid utf8 \xEF\xBF\xBD";
  rec3["attributes"] = {{"bad\xEF\xBF\xBDkey", {{"string", "v"}}}};

  std::string pb;
  otlp::encode_protobuf(batch, pb);
  const json from_pb = llmtrace_test::js_decode(pb, otlp_encoding::protobuf, "logs");
  CHECK(from_pb.dump(1) == expected.dump(1));

  const std::string js = otlp::encode_json(batch);
  const json from_json = llmtrace_test::js_decode(js, otlp_encoding::json, "logs");
  CHECK(from_json.dump(1) == expected.dump(1));

  // The record written inside the span carries its ids; the others none.
  const auto& in_span = from_pb["resourceLogs"][0]["scopeLogs"][1]["logRecords"][0];
  CHECK(in_span["traceId"].get<std::string>().size() == 32);
  CHECK(in_span["flags"] == 1);
  CHECK(from_pb["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]["traceId"] == "");
}

TEST_CASE("OTLP logs: an empty batch and records of two resources") {
  if (!llmtrace_test::node_available()) {
    MESSAGE("skipped: node is missing");
    return;
  }
  const log_batch empty(nullptr, 0);
  std::string pb;
  otlp::encode_protobuf(empty, pb);
  CHECK(llmtrace_test::js_decode(pb, otlp_encoding::protobuf, "logs") == json{{"resourceLogs", json::array()}});
  CHECK(llmtrace_test::js_decode(otlp::encode_json(empty), otlp_encoding::json, "logs") ==
        json{{"resourceLogs", json::array()}});

  fixture f1, f2;
  f1.provider->get_logger("one").emit(severity::warn, "r1");
  f2.provider->get_logger("two").emit(severity::fatal, "r2");
  f1.provider->get_logger("one").emit(severity::trace, "r1 again");
  std::vector<log_record> recs = f1.store->records();
  const auto second = f2.store->records();
  recs.insert(recs.begin() + 1, second.begin(), second.end());
  const auto ptrs = pointers(recs);
  const log_batch batch(ptrs.data(), ptrs.size());
  otlp::encode_protobuf(batch, pb);
  for (const auto& decoded : {llmtrace_test::js_decode(pb, otlp_encoding::protobuf, "logs"),
                              llmtrace_test::js_decode(otlp::encode_json(batch), otlp_encoding::json, "logs")}) {
    REQUIRE(decoded["resourceLogs"].size() == 2);
    const auto& first = decoded["resourceLogs"][0]["scopeLogs"][0]["logRecords"];
    REQUIRE(first.size() == 2);
    CHECK(first[0]["body"]["string"] == "r1");
    CHECK(first[1]["body"]["string"] == "r1 again");
    CHECK(first[1]["severityNumber"] == 1);
    CHECK(decoded["resourceLogs"][1]["scopeLogs"][0]["logRecords"][0]["severityNumber"] == 21);
  }
}
