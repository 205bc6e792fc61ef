// Self-test of the OTLP receiving side (otlp_decode.hpp, fake_collector, js_decoder.hpp).
// Payloads are built here by a tiny hand-rolled protobuf writer and by hand-written OTLP/JSON, so
// nothing depends on the SDK's exporter.
#include <doctest/doctest.h>

#include "support/fake_collector.hpp"
#include "support/js_decoder.hpp"
#include "support/otlp_decode.hpp"

#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace llmtrace_test;
using namespace std::chrono_literals;

namespace {

// ---------------------------------------------------------------------------------------------
// A tiny protobuf writer (independent of the SDK and of otlp_decode.hpp).
// ---------------------------------------------------------------------------------------------
struct pb {
  std::string s;

  pb& raw_varint(std::uint64_t v) {
    while (v >= 0x80) {
      s.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    s.push_back(static_cast<char>(v));
    return *this;
  }
  pb& tag(std::uint32_t field, std::uint32_t wire) { return raw_varint((std::uint64_t{field} << 3) | wire); }
  pb& varint(std::uint32_t field, std::uint64_t v) { return tag(field, 0).raw_varint(v); }
  pb& fixed64(std::uint32_t field, std::uint64_t v) {
    tag(field, 1);
    for (int i = 0; i < 8; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return *this;
  }
  pb& fixed32(std::uint32_t field, std::uint32_t v) {
    tag(field, 5);
    for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return *this;
  }
  pb& dbl(std::uint32_t field, double d) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &d, sizeof bits);
    return fixed64(field, bits);
  }
  pb& bytes(std::uint32_t field, std::string_view b) {
    tag(field, 2).raw_varint(b.size());
    s.append(b.data(), b.size());
    return *this;
  }
  pb& msg(std::uint32_t field, const pb& m) { return bytes(field, m.s); }
};

std::string unhex(std::string_view h) {
  std::string out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

pb any_string(std::string_view v) { return pb().bytes(1, v); }
pb any_bool(bool v) { return pb().varint(2, v ? 1 : 0); }
pb any_int(std::int64_t v) { return pb().varint(3, static_cast<std::uint64_t>(v)); }
pb any_double(double v) { return pb().dbl(4, v); }
pb any_bytes(std::string_view v) { return pb().bytes(7, v); }
pb any_array(const std::vector<pb>& items) {
  pb arr;
  for (const auto& i : items) arr.msg(1, i);
  return pb().msg(5, arr);
}
pb kv(std::string_view key, const pb& value) { return pb().bytes(1, key).msg(2, value); }
pb kv_no_value(std::string_view key) { return pb().bytes(1, key); }
pb any_kvlist(const std::vector<pb>& kvs) {
  pb list;
  for (const auto& k : kvs) list.msg(1, k);
  return pb().msg(6, list);
}

constexpr const char* trace_hex = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr const char* span_hex = "00f067aa0ba902b7";
constexpr const char* parent_hex = "53995c3f42cd8ad8";
constexpr const char* link_trace_hex = "0af7651916cd43dd8448eb211c80319c";
constexpr const char* link_span_hex = "b7ad6b7169203331";
constexpr const char* span2_hex = "1111222233334444";
constexpr std::uint64_t t_start = 1700000000123456789ULL;
constexpr std::uint64_t t_end = 1700000001987654321ULL;
constexpr std::uint64_t t_ev1 = 1700000000500000000ULL;
constexpr std::uint64_t t_ev2 = 1700000001000000001ULL;
const std::string unicode_text = "h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80";  // "héllo ✓ 😀"

// The reference request: one resource, two scopes, a fully populated span and a minimal one, plus
// unknown fields of every wire type that a decoder must skip.
std::string reference_protobuf() {
  const pb resource =
      pb().msg(1, kv("service.name", any_string("llm-svc"))).msg(1, kv("host.cpu", any_int(8))).varint(2, 1);
  const pb scope = pb().bytes(1, "llmtrace").bytes(2, "0.1.0").msg(3, kv("scope.attr", any_bool(true)));
  const pb ev1 = pb().fixed64(1, t_ev1).bytes(2, "gen_ai.content.prompt").msg(3, kv("gen_ai.prompt", any_string("hi")));
  const pb ev2 = pb().fixed64(1, t_ev2)
                     .bytes(2, "exception")
                     .msg(3, kv("exception.type", any_string("std::runtime_error")))
                     .msg(3, kv("exception.message", any_string("boom")))
                     .varint(4, 1);
  const pb link = pb().bytes(1, unhex(link_trace_hex))
                      .bytes(2, unhex(link_span_hex))
                      .bytes(3, "a=b")
                      .msg(4, kv("link.kind", any_string("retry")))
                      .varint(5, 5)
                      .fixed32(6, 0x101);
  const pb span = pb().bytes(1, unhex(trace_hex))
                      .bytes(2, unhex(span_hex))
                      .bytes(3, "vendor=x,other=y")
                      .bytes(4, unhex(parent_hex))
                      .bytes(5, "chat llama3")
                      .varint(6, 3)
                      .fixed64(7, t_start)
                      .fixed64(8, t_end)
                      .msg(9, kv("gen_ai.system", any_string("ollama")))
                      .msg(9, kv("gen_ai.usage.input_tokens", any_int(42)))
                      .msg(9, kv("neg", any_int(-7)))
                      .msg(9, kv("temperature", any_double(0.7)))
                      .msg(9, kv("stream", any_bool(false)))
                      .msg(9, kv("stop", any_array({any_string("a"), any_int(1), any_double(2.5), any_bool(true)})))
                      .msg(9, kv("kv", any_kvlist({kv("inner", any_string("v")), kv("n", any_int(3))})))
                      .msg(9, kv("blob", any_bytes(std::string("\x00\x01\xfe\xff", 4))))
                      .msg(9, kv("unicode", any_string(unicode_text)))
                      .msg(9, kv_no_value("novalue"))
                      .varint(10, 2)
                      .msg(11, ev1)
                      .msg(11, ev2)
                      .varint(12, 3)
                      .msg(13, link)
                      .varint(14, 4)
                      .msg(15, pb().bytes(2, "boom").varint(3, 2))
                      .varint(100, 12345)       // unknown varint
                      .fixed64(101, 99)         // unknown fixed64
                      .bytes(102, "ignore me")  // unknown length-delimited
                      .fixed32(103, 7)          // unknown fixed32
                      .fixed32(16, 0x301);
  const pb span2 = pb().bytes(1, unhex(trace_hex))
                       .bytes(2, unhex(span2_hex))
                       .bytes(5, "retrieve")
                       .varint(6, 1)
                       .fixed64(7, t_start + 1)
                       .fixed64(8, t_start + 2)
                       .fixed32(16, 1);
  const pb scope_spans1 = pb().msg(1, scope).msg(2, span).bytes(3, "https://example.com/scope-schema");
  const pb scope_spans2 = pb().msg(1, pb().bytes(1, "other")).msg(2, span2);
  const pb resource_spans = pb().msg(1, resource)
                                .msg(2, scope_spans1)
                                .msg(2, scope_spans2)
                                .bytes(3, "https://opentelemetry.io/schemas/1.24.0");
  return pb().msg(1, resource_spans).s;
}

// The same request in OTLP/JSON (one id in uppercase hex, one int as a JSON number, an unknown key).
const char* reference_json = R"json({
 "resourceSpans": [{
  "resource": {"attributes": [
     {"key": "service.name", "value": {"stringValue": "llm-svc"}},
     {"key": "host.cpu", "value": {"intValue": 8}}], "droppedAttributesCount": 1},
  "scopeSpans": [{
    "scope": {"name": "llmtrace", "version": "0.1.0",
              "attributes": [{"key": "scope.attr", "value": {"boolValue": true}}]},
    "spans": [{
      "traceId": "4BF92F3577B34DA6A3CE929D0E0E4736",
      "spanId": "00f067aa0ba902b7",
      "traceState": "vendor=x,other=y",
      "parentSpanId": "53995c3f42cd8ad8",
      "flags": 769,
      "name": "chat llama3",
      "kind": 3,
      "startTimeUnixNano": "1700000000123456789",
      "endTimeUnixNano": "1700000001987654321",
      "attributes": [
        {"key": "gen_ai.system", "value": {"stringValue": "ollama"}},
        {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "42"}},
        {"key": "neg", "value": {"intValue": "-7"}},
        {"key": "temperature", "value": {"doubleValue": 0.7}},
        {"key": "stream", "value": {"boolValue": false}},
        {"key": "stop", "value": {"arrayValue": {"values": [
            {"stringValue": "a"}, {"intValue": "1"}, {"doubleValue": 2.5}, {"boolValue": true}]}}},
        {"key": "kv", "value": {"kvlistValue": {"values": [
            {"key": "inner", "value": {"stringValue": "v"}},
            {"key": "n", "value": {"intValue": "3"}}]}}},
        {"key": "blob", "value": {"bytesValue": "AAH+/w=="}},
        {"key": "unicode", "value": {"stringValue": "h\u00e9llo \u2713 \ud83d\ude00"}},
        {"key": "novalue"}],
      "droppedAttributesCount": 2,
      "events": [
        {"timeUnixNano": "1700000000500000000", "name": "gen_ai.content.prompt",
         "attributes": [{"key": "gen_ai.prompt", "value": {"stringValue": "hi"}}]},
        {"timeUnixNano": "1700000001000000001", "name": "exception",
         "attributes": [{"key": "exception.type", "value": {"stringValue": "std::runtime_error"}},
                        {"key": "exception.message", "value": {"stringValue": "boom"}}],
         "droppedAttributesCount": 1}],
      "droppedEventsCount": 3,
      "links": [{"traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "b7ad6b7169203331",
                 "traceState": "a=b", "attributes": [{"key": "link.kind", "value": {"stringValue": "retry"}}],
                 "droppedAttributesCount": 5, "flags": 257}],
      "droppedLinksCount": 4,
      "status": {"code": 2, "message": "boom"},
      "someFutureField": {"ignored": true}
    }],
    "schemaUrl": "https://example.com/scope-schema"
  }, {
    "scope": {"name": "other"},
    "spans": [{"traceId": "4bf92f3577b34da6a3ce929d0e0e4736", "spanId": "1111222233334444",
               "name": "retrieve", "kind": 1, "startTimeUnixNano": "1700000000123456790",
               "endTimeUnixNano": "1700000000123456791", "flags": 1}]
  }],
  "schemaUrl": "https://opentelemetry.io/schemas/1.24.0"
 }]
})json";

// Edge cases for the canonical form: duplicate keys, NaN/infinities, extreme integers, empty ids.
std::string edge_protobuf() {
  const pb span = pb().bytes(5, "edge")
                      .fixed64(7, std::numeric_limits<std::uint64_t>::max())
                      .fixed64(8, 0)
                      .msg(9, kv("dup", any_string("first")))
                      .msg(9, kv("dup", any_int(2)))
                      .msg(9, kv("dup", any_bool(true)))
                      .msg(9, kv("nan", any_double(std::numeric_limits<double>::quiet_NaN())))
                      .msg(9, kv("inf", any_double(std::numeric_limits<double>::infinity())))
                      .msg(9, kv("ninf", any_double(-std::numeric_limits<double>::infinity())))
                      .msg(9, kv("min", any_int(std::numeric_limits<std::int64_t>::min())))
                      .msg(9, kv("max", any_int(std::numeric_limits<std::int64_t>::max())))
                      .msg(9, kv("tiny", any_double(5e-324)))
                      .msg(9, kv("big", any_double(1.7976931348623157e308)))
                      .msg(9, kv("emptyarr", any_array({})))
                      .msg(9, kv("emptystr", any_string("")))
                      .msg(9, kv("nested", any_array({any_array({any_kvlist({kv("deep", any_double(-0.125))})})})))
                      .msg(15, pb());
  return pb().msg(1, pb().msg(2, pb().msg(2, span))).msg(1, pb()).s;
}

// ---------------------------------------------------------------------------------------------
// A small libcurl client.
// ---------------------------------------------------------------------------------------------
struct http_result {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased

  std::string header(const std::string& lname) const {
    for (const auto& h : headers) {
      if (h.first == lname) return h.second;
    }
    return {};
  }
};

struct curl_global {
  curl_global() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  ~curl_global() { curl_global_cleanup(); }
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  std::string line(data, size * n);
  const auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.pop_back();
    static_cast<http_result*>(user)->headers.emplace_back(std::move(name), std::move(value));
  }
  return size * n;
}

http_result post(const std::string& url, const std::string& body, const std::vector<std::string>& headers,
                 long timeout_ms = 10000) {
  static curl_global global;
  http_result r;
  CURL* h = curl_easy_init();
  REQUIRE(h != nullptr);
  curl_slist* list = nullptr;
  for (const auto& hd : headers) list = curl_slist_append(list, hd.c_str());
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &r);
  r.code = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(list);
  curl_easy_cleanup(h);
  return r;
}

const std::vector<std::string> pb_headers = {"Content-Type: application/x-protobuf"};
const std::vector<std::string> json_headers = {"Content-Type: application/json"};

std::string hex_lower(std::string_view s) { return to_hex(s); }

}  // namespace

// =============================================================================================

TEST_CASE("protobuf request: the fake decodes exact ids, names, typed attributes, times, events, links, status") {
  fake_collector c;
  const std::string payload = reference_protobuf();
  const auto r = post(c.traces_url(), payload,
                      {"Content-Type: application/x-protobuf", "User-Agent: OTel-OTLP-Exporter-Cpp/0.1.0 selftest",
                       "x-api-key: secret-123", "X-Multi: one", "X-Multi: two"});
  REQUIRE(r.code == CURLE_OK);
  CHECK(r.status == 200);
  CHECK(r.header("content-type") == "application/x-protobuf");
  CHECK(r.body.empty());  // an empty ExportTraceServiceResponse

  REQUIRE(c.request_count() == 1);
  const received_request req = c.request(0);
  CHECK(req.method == "POST");
  CHECK(req.path == "/v1/traces");
  CHECK(req.header("user-agent") == "OTel-OTLP-Exporter-Cpp/0.1.0 selftest");
  CHECK(req.header("X-API-KEY") == "secret-123");
  CHECK(req.header_count("x-multi") == 2);
  CHECK(req.header("Content-Type") == "application/x-protobuf");
  CHECK_FALSE(req.has_header("Content-Encoding"));
  CHECK_FALSE(req.has_header("REMOTE_ADDR"));  // httplib's pseudo headers are not the client's
  CHECK_FALSE(req.gzip);
  CHECK(req.raw_body == payload);
  CHECK(req.body == payload);
  REQUIRE(req.ok());
  CHECK(*req.encoding == otlp_encoding::protobuf);
  CHECK(req.response_status == 200);
  CHECK(req.arrival <= std::chrono::steady_clock::now());

  const decoded_request& d = req.decoded;
  REQUIRE(d.resource_spans.size() == 1);
  const auto& rs = d.resource_spans[0];
  CHECK(rs.schema_url == "https://opentelemetry.io/schemas/1.24.0");
  CHECK(rs.resource.attributes.get("service.name").as_string() == "llm-svc");
  CHECK(rs.resource.attributes.get("host.cpu").as_int() == 8);
  CHECK(rs.resource.dropped_attributes_count == 1);
  REQUIRE(rs.scope_spans.size() == 2);
  CHECK(rs.scope_spans[0].scope.name == "llmtrace");
  CHECK(rs.scope_spans[0].scope.version == "0.1.0");
  CHECK(rs.scope_spans[0].scope.attributes.get("scope.attr").as_bool());
  CHECK(rs.scope_spans[0].schema_url == "https://example.com/scope-schema");
  CHECK(rs.scope_spans[1].scope.name == "other");
  CHECK(rs.scope_spans[1].scope.version.empty());

  const auto spans = c.spans();
  REQUIRE(spans.size() == 2);
  CHECK(c.span_count() == 2);
  const flat_span& s = spans[0];
  CHECK(s.request_index == 0);
  CHECK(s.resource.attributes.get("service.name").as_string() == "llm-svc");
  CHECK(s.scope.name == "llmtrace");
  CHECK(s.trace_id == trace_hex);
  CHECK(s.span_id == span_hex);
  CHECK(s.parent_span_id == parent_hex);
  CHECK(s.trace_state == "vendor=x,other=y");
  CHECK(s.flags == 0x301u);
  CHECK(s.name == "chat llama3");
  CHECK(s.kind == 3);
  CHECK(s.start_time_unix_nano == t_start);
  CHECK(s.end_time_unix_nano == t_end);
  CHECK(s.dropped_attributes_count == 2);

  const auto& a = s.attributes;
  CHECK(a.size() == 10);
  CHECK(a.get("gen_ai.system").as_string() == "ollama");
  CHECK(a.get("gen_ai.usage.input_tokens").is_int());
  CHECK_FALSE(a.get("gen_ai.usage.input_tokens").is_string());
  CHECK(a.get("gen_ai.usage.input_tokens").as_int() == 42);
  CHECK(a.get("neg").as_int() == -7);
  CHECK(a.get("temperature").as_double() == 0.7);  // exact bits
  CHECK(a.get("stream").is_bool());
  CHECK(a.get("stream").as_bool() == false);
  CHECK_THROWS_AS(a.get("stream").as_string(), std::logic_error);
  CHECK_THROWS_WITH(a.get("gen_ai.usage.input_tokens").as_string(), "OTLP value is int, not string");
  CHECK_THROWS_AS(a.get("absent"), std::out_of_range);
  const auto& stop = a.get("stop").as_array();
  REQUIRE(stop.size() == 4);
  CHECK(stop[0].as_string() == "a");
  CHECK(stop[1].as_int() == 1);
  CHECK(stop[2].as_double() == 2.5);
  CHECK(stop[3].as_bool() == true);
  const auto& kvl = a.get("kv").as_kvlist();
  CHECK(kvl.get("inner").as_string() == "v");
  CHECK(kvl.get("n").as_int() == 3);
  CHECK(a.get("blob").as_bytes() == std::string("\x00\x01\xfe\xff", 4));
  CHECK(a.get("unicode").as_string() == unicode_text);
  CHECK(a.get("novalue").is_empty());

  REQUIRE(s.events.size() == 2);
  CHECK(s.events[0].time_unix_nano == t_ev1);
  CHECK(s.events[0].name == "gen_ai.content.prompt");
  CHECK(s.events[0].attributes.get("gen_ai.prompt").as_string() == "hi");
  CHECK(s.events[0].dropped_attributes_count == 0);
  CHECK(s.events[1].name == "exception");
  CHECK(s.events[1].time_unix_nano == t_ev2);
  CHECK(s.events[1].attributes.get("exception.message").as_string() == "boom");
  CHECK(s.events[1].dropped_attributes_count == 1);
  CHECK(s.dropped_events_count == 3);

  REQUIRE(s.links.size() == 1);
  CHECK(s.links[0].trace_id == link_trace_hex);
  CHECK(s.links[0].span_id == link_span_hex);
  CHECK(s.links[0].trace_state == "a=b");
  CHECK(s.links[0].attributes.get("link.kind").as_string() == "retry");
  CHECK(s.links[0].dropped_attributes_count == 5);
  CHECK(s.links[0].flags == 0x101u);
  CHECK(s.dropped_links_count == 4);

  CHECK(s.status.code == 2);
  CHECK(s.status.message == "boom");

  const flat_span& s2 = spans[1];
  CHECK(s2.scope.name == "other");
  CHECK(s2.span_id == span2_hex);
  CHECK(s2.parent_span_id.empty());
  CHECK(s2.kind == 1);
  CHECK(s2.flags == 1u);
  CHECK(s2.start_time_unix_nano == t_start + 1);
  CHECK(s2.end_time_unix_nano == t_start + 2);
  CHECK(s2.status.code == 0);
  CHECK(s2.attributes.empty());
  CHECK(s2.events.empty());
  CHECK(s2.links.empty());
}

TEST_CASE("JSON request: same canonical form as the protobuf one, response in JSON") {
  fake_collector c;
  const auto r = post(c.traces_url(), reference_json, json_headers);
  REQUIRE(r.code == CURLE_OK);
  CHECK(r.status == 200);
  CHECK(r.header("content-type") == "application/json");
  CHECK(nlohmann::json::parse(r.body) == nlohmann::json::object());
  CHECK_FALSE(decode_export_response(r.body, otlp_encoding::json).has_partial_success);

  REQUIRE(c.request_count() == 1);
  const received_request req = c.request(0);
  REQUIRE(req.ok());
  CHECK(*req.encoding == otlp_encoding::json);
  nlohmann::json from_json = req.decoded.to_json();
  const nlohmann::json from_pb = decode_request_protobuf(reference_protobuf()).to_json();
  CHECK(from_json == from_pb);

  // Spot checks of the canonical shape itself.
  auto& span = from_json["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
  CHECK(span["traceId"] == trace_hex);  // uppercase hex in, lowercase out
  CHECK(span["startTimeUnixNano"] == "1700000000123456789");
  CHECK(span["kind"] == 3);
  CHECK(span["flags"] == 769);
  CHECK(span["attributes"]["gen_ai.usage.input_tokens"] == nlohmann::json{{"int", "42"}});
  CHECK(span["attributes"]["gen_ai.system"] == nlohmann::json{{"string", "ollama"}});
  CHECK(span["attributes"]["temperature"] == nlohmann::json{{"double", 0.7}});
  CHECK(span["attributes"]["stream"] == nlohmann::json{{"bool", false}});
  CHECK(span["attributes"]["blob"] == nlohmann::json{{"bytes", "AAH+/w=="}});
  CHECK(span["attributes"]["novalue"] == nlohmann::json{{"empty", nullptr}});
  CHECK(span["attributes"]["kv"]["kvlist"]["n"] == nlohmann::json{{"int", "3"}});
  CHECK(span["attributes"]["stop"]["array"][1] == nlohmann::json{{"int", "1"}});
  CHECK(span["events"][1]["timeUnixNano"] == "1700000001000000001");
  CHECK(span["status"] == nlohmann::json{{"code", 2}, {"message", "boom"}});
  CHECK(from_json["resourceSpans"][0]["resource"]["attributes"]["host.cpu"] == nlohmann::json{{"int", "8"}});

  // A Content-Type with parameters is still JSON.
  const auto r2 = post(c.traces_url(), reference_json, {"Content-Type: application/json; charset=utf-8"});
  CHECK(r2.status == 200);
  CHECK(c.request(1).ok());
}

TEST_CASE("canonical JSON keeps duplicates, special doubles and extreme integers") {
  nlohmann::json j = decode_request_protobuf(edge_protobuf()).to_json();
  REQUIRE(j["resourceSpans"].size() == 2);
  CHECK(j["resourceSpans"][1] ==
        nlohmann::json{{"resource", {{"attributes", nlohmann::json::object()}, {"droppedAttributesCount", 0}}},
                       {"schemaUrl", ""},
                       {"scopeSpans", nlohmann::json::array()}});
  auto& ss = j["resourceSpans"][0]["scopeSpans"][0];
  CHECK(ss["scope"] ==
        nlohmann::json{
            {"name", ""}, {"version", ""}, {"attributes", nlohmann::json::object()}, {"droppedAttributesCount", 0}});
  auto& span = ss["spans"][0];
  CHECK(span["traceId"] == "");
  CHECK(span["startTimeUnixNano"] == "18446744073709551615");
  CHECK(span["endTimeUnixNano"] == "0");
  auto& at = span["attributes"];
  CHECK(at["dup"] == nlohmann::json::parse(R"({"duplicates":[{"string":"first"},{"int":"2"},{"bool":true}]})"));
  CHECK(at["nan"] == nlohmann::json{{"double", "NaN"}});
  CHECK(at["inf"] == nlohmann::json{{"double", "Infinity"}});
  CHECK(at["ninf"] == nlohmann::json{{"double", "-Infinity"}});
  CHECK(at["min"] == nlohmann::json{{"int", "-9223372036854775808"}});
  CHECK(at["max"] == nlohmann::json{{"int", "9223372036854775807"}});
  CHECK(at["emptyarr"] == nlohmann::json{{"array", nlohmann::json::array()}});
  CHECK(span["status"] == nlohmann::json{{"code", 0}, {"message", ""}});

  const decoded_request d = decode_request_protobuf(edge_protobuf());
  const auto& attrs = d.resource_spans[0].scope_spans[0].spans[0].attributes;
  CHECK(attrs.count("dup") == 3);
  CHECK(attrs.get("dup").is_string());  // get() returns the first
  CHECK(std::isnan(attrs.get("nan").as_double()));
}

TEST_CASE("gzip: the fake gunzips, keeps the wire bytes, and rejects a mislabelled body") {
  fake_collector c;
  const std::string payload = reference_protobuf();
  const std::string gz = gzip_compress(payload);
  REQUIRE(gz.size() > 2);
  CHECK(static_cast<unsigned char>(gz[0]) == 0x1f);
  CHECK(static_cast<unsigned char>(gz[1]) == 0x8b);
  CHECK(gunzip(gz) == payload);

  auto r = post(c.traces_url(), gz, {"Content-Type: application/x-protobuf", "Content-Encoding: gzip"});
  REQUIRE(r.code == CURLE_OK);
  CHECK(r.status == 200);
  REQUIRE(c.request_count() == 1);
  auto req = c.request(0);
  CHECK(req.gzip);
  CHECK(req.header("content-encoding") == "gzip");
  CHECK(req.raw_body == gz);
  CHECK(req.body == payload);
  REQUIRE(req.ok());
  CHECK(req.decoded.to_json() == decode_request_protobuf(payload).to_json());

  // gzip + JSON
  r = post(c.traces_url(), gzip_compress(reference_json), {"Content-Type: application/json", "Content-Encoding: gzip"});
  CHECK(r.status == 200);
  CHECK(c.request(1).ok());
  CHECK(c.request(1).decoded.to_json() == decode_request_protobuf(payload).to_json());

  // Claims gzip but is not: recorded, answered 400 with a google.rpc.Status, the script is kept.
  c.enqueue(scripted_response::status(503));
  r = post(c.traces_url(), payload, {"Content-Type: application/x-protobuf", "Content-Encoding: gzip"});
  CHECK(r.status == 400);
  REQUIRE(c.request_count() == 3);
  CHECK_FALSE(c.request(2).ok());
  CHECK(c.request(2).decode_error.find("does not gunzip") != std::string::npos);
  CHECK(c.request(2).response_status == 400);
  CHECK(decode_rpc_status(r.body, otlp_encoding::protobuf).message.find("gunzip") != std::string::npos);
  CHECK(c.pending_responses() == 1);
  CHECK(post(c.traces_url(), payload, pb_headers).status == 503);

  // Unsupported Content-Encoding.
  r = post(c.traces_url(), payload, {"Content-Type: application/x-protobuf", "Content-Encoding: br"});
  CHECK(r.status == 415);

  // Direct gunzip failures.
  CHECK_THROWS_WITH_AS(gunzip(gz.substr(0, gz.size() / 2)), doctest::Contains("truncated"), std::runtime_error);
  CHECK_THROWS_WITH_AS(gunzip(gz + "xx"), doctest::Contains("after the gzip stream"), std::runtime_error);
  CHECK_THROWS_AS(gunzip("not gzip at all"), std::runtime_error);

  // A big compressed body (curl sends Expect: 100-continue for it).
  pb big_scope;
  for (int i = 0; i < 3000; ++i) {
    big_scope.msg(2, pb().bytes(5, "span-" + std::to_string(i)).fixed64(7, static_cast<std::uint64_t>(i)));
  }
  const std::string big = pb().msg(1, pb().msg(2, big_scope)).s;
  r = post(c.traces_url(), gzip_compress(big), {"Content-Type: application/x-protobuf", "Content-Encoding: gzip"});
  CHECK(r.status == 200);
  CHECK(c.request(c.request_count() - 1).decoded.span_count() == 3000);
}

TEST_CASE("malformed protobuf is rejected with a clear message") {
  const auto err = [](const std::string& bytes) -> std::string {
    try {
      decode_request_protobuf(bytes);
    } catch (const decode_error& e) {
      return e.what();
    }
    return "no error";
  };
  CHECK(err(std::string("\x0a\x80", 2)).find("truncated length of field 1") != std::string::npos);
  CHECK(err(std::string("\x0a\x05\x12", 3)).find("claims 5 bytes but only 1 remain") != std::string::npos);
  CHECK(err(std::string("\x0f", 1)).find("invalid wire type 7") != std::string::npos);
  CHECK(err(std::string("\x0b", 1)).find("groups") != std::string::npos);
  CHECK(err(std::string("\x00", 1)).find("invalid field number 0") != std::string::npos);
  CHECK(err("\x08" + std::string(10, '\x80') + "\x01").find("longer than 10 bytes") != std::string::npos);
  CHECK(err("\x08" + std::string(9, '\xff') + "\x02").find("overflows 64 bits") != std::string::npos);
  CHECK(err(std::string("\x09\x01\x02", 3)).find("truncated fixed64") != std::string::npos);

  const auto wrap_span = [](const pb& span) { return pb().msg(1, pb().msg(2, pb().msg(2, span))).s; };
  // A time written as a varint instead of fixed64: a real exporter bug, named precisely.
  const std::string wrong_wire = err(wrap_span(pb().varint(7, 1700000000)));
  CHECK(wrong_wire.find("start_time_unix_nano (7) must be fixed64 but has wire type varint") != std::string::npos);
  CHECK(wrong_wire.find("request.resource_spans[0].scope_spans[0].spans[0]") != std::string::npos);
  // flags as a varint instead of fixed32
  CHECK(err(wrap_span(pb().varint(16, 1))).find("flags (16) must be fixed32") != std::string::npos);
  // A string cut in the middle of a UTF-8 sequence (e.g. a bad attribute truncation).
  const std::string bad_utf8 = err(wrap_span(pb().msg(9, kv("k", any_string("caf\xc3")))));
  CHECK(bad_utf8.find("string_value is not valid UTF-8") != std::string::npos);
  CHECK(bad_utf8.find("attributes[0].value") != std::string::npos);
  CHECK(err(wrap_span(pb().varint(10, std::uint64_t{1} << 33))).find("out of range") != std::string::npos);
  CHECK(err(wrap_span(pb().msg(9, kv("b", pb().varint(2, 7))))).find("bool field bool_value holds 7") !=
        std::string::npos);
  CHECK(err(std::string("\x0a\x02\x0a\x05", 4)).find("(at byte 3)") != std::string::npos);  // the inner length

  // Through the collector: 400 with a google.rpc.Status body in protobuf.
  fake_collector c;
  const auto r = post(c.traces_url(), wrap_span(pb().varint(7, 5)), pb_headers);
  CHECK(r.status == 400);
  CHECK(r.header("content-type") == "application/x-protobuf");
  const decoded_rpc_status st = decode_rpc_status(r.body, otlp_encoding::protobuf);
  CHECK(st.code == 3);
  CHECK(st.message.find("must be fixed64") != std::string::npos);
  REQUIRE(c.request_count() == 1);
  CHECK(c.request(0).decode_error == st.message);
  CHECK(c.span_count() == 0);
}

TEST_CASE("malformed OTLP/JSON is rejected with a clear message") {
  const auto err = [](const std::string& text) -> std::string {
    try {
      decode_request_json(text);
    } catch (const decode_error& e) {
      return e.what();
    }
    return "no error";
  };
  const auto span_doc = [](const std::string& span) {
    return R"({"resourceSpans":[{"scopeSpans":[{"spans":[)" + span + "]}]}]}";
  };
  CHECK(err("{not json").find("not valid JSON") != std::string::npos);
  CHECK(err("[]").find("expected an object") != std::string::npos);
  CHECK(err(span_doc(R"({"traceId":"abc"})")).find("odd number of digits") != std::string::npos);
  CHECK(err(span_doc(R"({"traceId":"S/kvNXezTaajzpKdDg5HNg=="})")).find("not hex") != std::string::npos);
  CHECK(err(span_doc(R"({"kind":"SPAN_KIND_SERVER"})")).find("requires an integer") != std::string::npos);
  CHECK(err(span_doc(R"({"status":{"code":"STATUS_CODE_ERROR"}})")).find("status.code") != std::string::npos);
  CHECK(err(span_doc(R"({"startTimeUnixNano":1.7e18})")).find("floating-point") != std::string::npos);
  CHECK(err(span_doc(R"({"startTimeUnixNano":"-5"})")).find("decimal unsigned") != std::string::npos);
  CHECK(err(span_doc(R"({"attributes":[{"key":"a","value":{"intValue":"4x"}}]})"))
            .find("spans[0].attributes[0].value.intValue") != std::string::npos);
  CHECK(err(span_doc(R"({"attributes":[{"key":"a","value":{"stringValue":"s","intValue":"1"}}]})"))
            .find("more than one") != std::string::npos);
  CHECK(err(span_doc(R"({"attributes":[{"key":"a","value":{"bytesValue":"!!"}}]})")).find("base64") !=
        std::string::npos);
  CHECK(err(span_doc(R"({"droppedAttributesCount":4294967296})")).find("out of range") != std::string::npos);
  CHECK(err(span_doc(R"({"name":5})")).find("expected a string") != std::string::npos);
  CHECK(err(R"({"resourceSpans":{}})").find("expected an array") != std::string::npos);

  // Accepted variants of the proto3 JSON mapping: numbers for 64-bit ints, strings for uint32,
  // special doubles, nulls, unpadded/url-safe base64, unknown keys.
  const decoded_request d = decode_request_json(span_doc(
      R"({"startTimeUnixNano":5,"flags":"3","name":null,"attributes":[
          {"key":"d","value":{"doubleValue":"NaN"}},{"key":"b","value":{"bytesValue":"_-8"}},
          {"key":"i","value":{"intValue":-3}}],"unknown":[1,2]})"));
  const auto& s = d.resource_spans[0].scope_spans[0].spans[0];
  CHECK(s.start_time_unix_nano == 5u);
  CHECK(s.flags == 3u);
  CHECK(s.name.empty());
  CHECK(std::isnan(s.attributes.get("d").as_double()));
  CHECK(s.attributes.get("b").as_bytes() == "\xff\xef");
  CHECK(s.attributes.get("i").as_int() == -3);

  // Through the collector: 400 with a JSON google.rpc.Status.
  fake_collector c;
  const auto r = post(c.traces_url(), span_doc(R"({"kind":"SPAN_KIND_CLIENT"})"), json_headers);
  CHECK(r.status == 400);
  CHECK(r.header("content-type") == "application/json");
  const auto st = decode_rpc_status(r.body, otlp_encoding::json);
  CHECK(st.code == 3);
  CHECK(st.message.find("requires an integer") != std::string::npos);
}

TEST_CASE("unsupported Content-Type and wrong paths are recorded and refused") {
  fake_collector c;
  auto r = post(c.traces_url(), reference_protobuf(), {"Content-Type: text/plain"});
  CHECK(r.status == 415);
  r = post(c.traces_url(), reference_protobuf(), {"Content-Type:"});  // curl: drop the header
  CHECK(r.status == 415);
  r = post(c.endpoint() + "/v1/traces/v1/traces", reference_protobuf(), pb_headers);
  CHECK(r.status == 404);
  r = post(c.endpoint() + "/v1/profiles", reference_protobuf(), pb_headers);
  CHECK(r.status == 404);
  REQUIRE(c.request_count() == 4);
  const auto reqs = c.requests();
  CHECK(reqs[0].decode_error.find("unsupported Content-Type") != std::string::npos);
  CHECK_FALSE(reqs[0].encoding.has_value());
  CHECK(reqs[2].path == "/v1/traces/v1/traces");
  CHECK(reqs[3].path == "/v1/profiles");
  CHECK(reqs[3].response_status == 404);
  CHECK(c.span_count() == 0);
  CHECK(c.spans().empty());
}

TEST_CASE("scripted responses: 503/429 with Retry-After, 400 rpc status, 500, partial success, then the default") {
  fake_collector c;
  const std::string when = http_date(std::chrono::system_clock::now() + 2s);
  CHECK(when.size() == 29);
  CHECK(when.substr(when.size() - 4) == " GMT");
  c.enqueue(scripted_response::retry_after(503, "1"));
  c.enqueue({scripted_response::retry_after(429, when), scripted_response::rpc_status(400, 3, "invalid span"),
             scripted_response::status(500, "oops", {{"Content-Type", "text/plain"}, {"X-Debug", "yes"}}),
             scripted_response::partial_success(2, "2 spans dropped")});
  CHECK(c.pending_responses() == 5);
  const std::string payload = reference_protobuf();

  auto r = post(c.traces_url(), payload, pb_headers);
  CHECK(r.status == 503);
  CHECK(r.header("retry-after") == "1");
  r = post(c.traces_url(), payload, pb_headers);
  CHECK(r.status == 429);
  CHECK(r.header("retry-after") == when);
  r = post(c.traces_url(), payload, pb_headers);
  CHECK(r.status == 400);
  CHECK(r.header("content-type") == "application/x-protobuf");
  const auto st = decode_rpc_status(r.body, otlp_encoding::protobuf);
  CHECK(st.code == 3);
  CHECK(st.message == "invalid span");
  r = post(c.traces_url(), payload, pb_headers);
  CHECK(r.status == 500);
  CHECK(r.body == "oops");
  CHECK(r.header("content-type") == "text/plain");
  CHECK(r.header("x-debug") == "yes");
  r = post(c.traces_url(), payload, pb_headers);
  CHECK(r.status == 200);
  const auto ps = decode_export_response(r.body, otlp_encoding::protobuf);
  CHECK(ps.has_partial_success);
  CHECK(ps.rejected_spans == 2);
  CHECK(ps.error_message == "2 spans dropped");
  r = post(c.traces_url(), payload, pb_headers);
  CHECK(r.status == 200);
  CHECK(r.body.empty());
  CHECK(c.pending_responses() == 0);

  // Every one of them was recorded and decoded, with what it was answered.
  REQUIRE(c.request_count() == 6);
  CHECK(c.span_count() == 12);
  const auto reqs = c.requests();
  const int expected[] = {503, 429, 400, 500, 200, 200};
  for (std::size_t i = 0; i < reqs.size(); ++i) {
    CHECK(reqs[i].ok());
    CHECK(reqs[i].response_status == expected[i]);
  }
  CHECK(reqs[0].arrival <= reqs[5].arrival);

  // JSON requests get JSON bodies.
  c.enqueue({scripted_response::partial_success(3, "three"), scripted_response::rpc_status(400, 3, "bad json span")});
  r = post(c.traces_url(), reference_json, json_headers);
  CHECK(r.status == 200);
  CHECK(r.header("content-type") == "application/json");
  auto body = nlohmann::json::parse(r.body);
  CHECK(body["partialSuccess"]["rejectedSpans"] == "3");  // int64 as a decimal string
  CHECK(body["partialSuccess"]["errorMessage"] == "three");
  r = post(c.traces_url(), reference_json, json_headers);
  CHECK(r.status == 400);
  CHECK(nlohmann::json::parse(r.body) == nlohmann::json{{"code", 3}, {"message", "bad json span"}});

  // A new default.
  c.set_default_response(scripted_response::status(502));
  CHECK(post(c.traces_url(), payload, pb_headers).status == 502);
  CHECK(post(c.traces_url(), payload, pb_headers).status == 502);
}

TEST_CASE("hang: the request is recorded, the client gives up, other requests still get answers") {
  auto c = std::make_unique<fake_collector>();
  c->enqueue(scripted_response::hang());
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = post(c->traces_url(), reference_protobuf(), pb_headers, 300);
  CHECK(r.code == CURLE_OPERATION_TIMEDOUT);
  CHECK(std::chrono::steady_clock::now() - t0 >= 250ms);
  CHECK(c->request_count() == 1);
  CHECK(c->span_count() == 2);
  CHECK(c->wait_for_hung(1, 5s));
  CHECK(c->request(0).response_status == 0);  // still held

  // A concurrent request is answered while the first one hangs.
  CHECK(post(c->traces_url(), reference_protobuf(), pb_headers).status == 200);
  CHECK(c->hung_count() == 1);

  // The destructor releases the hung handler and returns promptly.
  const auto t1 = std::chrono::steady_clock::now();
  c.reset();
  CHECK(std::chrono::steady_clock::now() - t1 < 4s);
}

TEST_CASE("hang: release_hung() answers a client that is still waiting") {
  fake_collector c;
  c.enqueue(scripted_response::hang());
  http_result r;
  std::thread client([&] { r = post(c.traces_url(), reference_protobuf(), pb_headers, 20000); });
  REQUIRE(c.wait_for_hung(1, 10s));
  c.release_hung();
  client.join();
  CHECK(r.code == CURLE_OK);
  CHECK(r.status == 504);
  CHECK(c.hung_count() == 0);
  CHECK(c.request(0).response_status == 504);
}

TEST_CASE("hang: stop() releases a waiting client and refuses later connections") {
  fake_collector c;
  c.enqueue(scripted_response::hang());
  http_result r;
  std::thread client([&] { r = post(c.traces_url(), reference_protobuf(), pb_headers, 20000); });
  REQUIRE(c.wait_for_hung(1, 10s));
  c.stop();
  client.join();
  CHECK(r.code == CURLE_OK);
  CHECK(r.status == 503);
  CHECK_FALSE(c.running());
}

TEST_CASE("an absent collector: stop() then connections are refused; unused_port() refuses too") {
  fake_collector c;
  CHECK(c.running());
  CHECK(post(c.traces_url(), reference_protobuf(), pb_headers).status == 200);
  const std::string url = c.traces_url();
  c.stop();
  c.stop();  // idempotent
  CHECK_FALSE(c.running());
  const auto r = post(url, reference_protobuf(), pb_headers, 3000);
  CHECK(r.code == CURLE_COULDNT_CONNECT);
  CHECK(c.request_count() == 1);  // what was received stays readable
  CHECK(c.spans().size() == 2);

  const int port = fake_collector::unused_port();
  CHECK(port > 0);
  CHECK(post("http://127.0.0.1:" + std::to_string(port) + "/v1/traces", "", pb_headers, 3000).code ==
        CURLE_COULDNT_CONNECT);
  CHECK(post(fake_collector::unreachable_endpoint() + "/v1/traces", "", pb_headers, 3000).code ==
        CURLE_COULDNT_CONNECT);

  // stop() right after construction (before the accept loop may have started) must not hang.
  fake_collector quick;
  quick.stop();
  CHECK_FALSE(quick.running());
}

TEST_CASE("wait_for_requests / wait_for_spans with concurrent clients; clear()") {
  fake_collector c;
  const std::string payload = reference_protobuf();  // 2 spans
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        if (post(c.traces_url(), payload, pb_headers).status == 200) ++ok;
      }
    });
  }
  CHECK(c.wait_for_requests(20, 20s));
  CHECK(c.wait_for_spans(40, 20s));
  for (auto& t : clients) t.join();
  CHECK(ok.load() == 20);
  CHECK(c.request_count() == 20);
  CHECK(c.span_count() == 40);
  const auto spans = c.spans();
  REQUIRE(spans.size() == 40);
  CHECK(spans[39].request_index == 19);
  CHECK_FALSE(c.wait_for_spans(41, 100ms));  // times out, does not hang
  CHECK_FALSE(c.wait_for_requests(21, 50ms));

  c.clear();
  CHECK(c.request_count() == 0);
  CHECK(c.span_count() == 0);
  CHECK(post(c.traces_url(), payload, pb_headers).status == 200);
  CHECK(c.wait_for_spans(2, 1s));
  CHECK_THROWS_AS(c.request(1), std::out_of_range);
}

TEST_CASE("keep-alive off: every answer closes the connection") {
  fake_collector_options o;
  o.keep_alive = false;
  fake_collector c(o);
  const auto r = post(c.traces_url(), reference_protobuf(), pb_headers);
  CHECK(r.status == 200);
  CHECK(r.header("connection") == "close");
}

TEST_CASE("response builders round-trip in both encodings") {
  for (const auto enc : {otlp_encoding::protobuf, otlp_encoding::json}) {
    CAPTURE(to_string(enc));
    const auto ok = decode_export_response(encode_export_response_ok(enc), enc);
    CHECK_FALSE(ok.has_partial_success);
    const auto p = decode_export_response(encode_export_response_partial(enc, 7, "seven rejected"), enc);
    CHECK(p.has_partial_success);
    CHECK(p.rejected_spans == 7);
    CHECK(p.error_message == "seven rejected");
    const auto zero = decode_export_response(encode_export_response_partial(enc, 0, ""), enc);
    CHECK(zero.has_partial_success);
    CHECK(zero.rejected_spans == 0);
    const auto st = decode_rpc_status(encode_rpc_status(enc, 8, "resource exhausted"), enc);
    CHECK(st.code == 8);
    CHECK(st.message == "resource exhausted");
  }
  // Exact protobuf bytes: partial_success(1){rejected_spans(1)=2, error_message(2)="x"}.
  CHECK(encode_export_response_partial(otlp_encoding::protobuf, 2, "x") == std::string("\x0a\x05\x08\x02\x12\x01x", 7));
  CHECK(encode_export_response_ok(otlp_encoding::protobuf).empty());
  CHECK(encode_export_response_ok(otlp_encoding::json) == "{}");
  CHECK(base64_encode(std::string("\x00\x01\xfe\xff", 4)) == "AAH+/w==");
  CHECK(hex_lower("\x01\xab") == "01ab");
}

TEST_CASE("the official OpenTelemetry JS decoders agree with the C++ decoder") {
  if (!node_available()) {
    MESSAGE("skipped: node is missing, so the OTLP/JS cross-check (tests/otlp_js) cannot run");
    return;
  }
  INFO("JS decoder dir: " << otlp_js_dir());
  const std::string payload = reference_protobuf();
  const nlohmann::json cpp_pb = decode_request_protobuf(payload).to_json();
  const nlohmann::json js_pb = js_decode(payload, otlp_encoding::protobuf);
  CHECK(js_pb == cpp_pb);

  const nlohmann::json cpp_json = decode_request_json(std::string(reference_json)).to_json();
  const nlohmann::json js_json = js_decode(reference_json, otlp_encoding::json);
  CHECK(js_json == cpp_json);
  CHECK(js_json == js_pb);  // the two encodings of the same request agree on the JS side too

  const std::string edge = edge_protobuf();
  CHECK(js_decode(edge, otlp_encoding::protobuf) == decode_request_protobuf(edge).to_json());
  CHECK(js_decode("", otlp_encoding::protobuf) == nlohmann::json{{"resourceSpans", nlohmann::json::array()}});

  // What the collector received (gzip on the wire) agrees too.
  fake_collector c;
  REQUIRE(
      post(c.traces_url(), gzip_compress(payload), {"Content-Type: application/x-protobuf", "Content-Encoding: gzip"})
          .status == 200);
  const auto req = c.request(0);
  CHECK(js_decode(req.body, *req.encoding) == req.decoded.to_json());

  // Both reject malformed input.
  CHECK_THROWS_AS(js_decode(std::string("\x0a\x05\x12", 3), otlp_encoding::protobuf), decode_error);
  CHECK_THROWS_WITH_AS(
      js_decode(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":"SPAN_KIND_SERVER"}]}]}]})", otlp_encoding::json),
      doctest::Contains("requires an integer"), decode_error);
  CHECK_THROWS_WITH_AS(
      js_decode(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"xyz1"}]}]}]})", otlp_encoding::json),
      doctest::Contains("not hex"), decode_error);
}
