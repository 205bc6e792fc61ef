// Tests for llmtrace/otlp/protobuf.hpp: spans from a real tracer provider and hand-filled records are
// encoded, then decoded by the independent test decoder (tests/support/otlp_decode.hpp) and, when node
// is available, by the official OpenTelemetry JS decoders.
#include <llmtrace/otlp/protobuf.hpp>

#include <llmtrace/exporters/in_memory.hpp>
#include <llmtrace/processor.hpp>
#include <llmtrace/provider.hpp>
#include <llmtrace/span.hpp>

#include "support/js_decoder.hpp"
#include "support/otlp_decode.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

using namespace llmtrace;
namespace t = llmtrace_test;

namespace {

std::atomic<std::uint64_t> next_id{0x1000};

trace_id counting_trace_id() noexcept {
  trace_id id;
  const std::uint64_t v = ++next_id;
  for (std::size_t i = 0; i < 8; ++i) id.bytes[15 - i] = static_cast<std::uint8_t>(v >> (8 * i));
  id.bytes[0] = 0xab;
  return id;
}
span_id counting_span_id() noexcept {
  span_id id;
  const std::uint64_t v = ++next_id;
  for (std::size_t i = 0; i < 8; ++i) id.bytes[7 - i] = static_cast<std::uint8_t>(v >> (8 * i));
  return id;
}
std::atomic<std::int64_t> fake_now{1'700'000'000'000'000'000};
std::int64_t stepping_clock() noexcept { return fake_now += 1000; }

/// Encodes records and decodes them with the test decoder.
t::decoded_request round_trip(const std::vector<const span_data*>& spans, std::string* bytes_out = nullptr) {
  std::string bytes;
  otlp::encode_protobuf(span_batch(spans.data(), spans.size()), bytes);
  if (bytes_out) *bytes_out = bytes;
  return t::decode_request_protobuf(bytes);
}

std::vector<const span_data*> pointers(const std::vector<span_data>& spans) {
  std::vector<const span_data*> out;
  for (const auto& s : spans) out.push_back(&s);
  return out;
}

span_data make_record(const resource* res, const instrumentation_scope* scope, std::string_view name) {
  span_data s;
  s.context.trace_id = *trace_id::from_hex("0102030405060708090a0b0c0d0e0f10");
  s.context.span_id = *span_id::from_hex("1112131415161718");
  s.context.trace_flags = trace_flag_sampled;
  s.set_name(name);
  s.start_time_unix_nano = 1'700'000'000'123'456'789;
  s.end_time_unix_nano = 1'700'000'001'000'000'000;
  s.resource = res;
  s.scope = scope;
  return s;
}

const t::flat_span& by_name(const std::vector<t::flat_span>& spans, std::string_view name) {
  for (const auto& s : spans)
    if (s.name == name) return s;
  FAIL("no span named " << name);
  return spans.front();
}

}  // namespace

TEST_CASE("spans from a tracer provider keep ids, parent links, times, resource and scope") {
  auto store = std::make_shared<in_memory_span_store>();
  provider_options opt;
  opt.resource = make_resource({{"service.name", "rag-api"}, {"deployment.environment", "test"}});
  opt.processors.push_back(std::make_unique<simple_processor>(std::make_unique<in_memory_exporter>(store)));
  opt.clock = stepping_clock;
  opt.new_trace_id = counting_trace_id;
  opt.new_span_id = counting_span_id;
  tracer_provider provider(std::move(opt));
  const tracer app = provider.get_tracer("rag-app", "1.2.3", "https://opentelemetry.io/schemas/1.26.0");
  const tracer lib = provider.get_tracer("ollama-client", "0.9");

  span_context linked{};
  linked.trace_id = *trace_id::from_hex("fedcba98765432100123456789abcdef");
  linked.span_id = *span_id::from_hex("0badc0ffee0ddf00");
  linked.trace_flags = trace_flag_sampled;
  linked.is_remote = true;
  {
    span root(app, "POST /ask", span_kind::server, {{"http.request.method", "POST"}, {"retrieval.k", 4}});
    root.add_link(linked, {{"link.reason", "batch"}}, "vendor=1");
    {
      span chat(lib, "chat llama3.2", span_kind::client,
                {{"gen_ai.request.model", "llama3.2"}, {"gen_ai.request.temperature", 0.25}, {"gen_ai.stream", true}});
      chat.add_event("gen_ai.content.prompt", {{"gen_ai.prompt", "What is RAG?"}});
      chat.record_exception("std::runtime_error", "model not found");
      chat.set_status(status_code::error, "model not found");
    }
    root.set_status(status_code::ok);
  }
  const auto recorded = store->spans();
  REQUIRE(recorded.size() == 2);
  std::string bytes;
  const auto decoded = round_trip(pointers(recorded), &bytes);

  // One resource, two scopes in order of first appearance (the child ended first).
  REQUIRE(decoded.resource_spans.size() == 1);
  const auto& rs = decoded.resource_spans[0];
  CHECK(rs.resource.attributes.get("service.name").as_string() == "rag-api");
  CHECK(rs.resource.attributes.get("deployment.environment").as_string() == "test");
  CHECK(rs.resource.attributes.get("telemetry.sdk.language").as_string() == "cpp");
  CHECK(rs.resource.attributes.get("telemetry.sdk.name").as_string() == "llmtrace");
  REQUIRE(rs.scope_spans.size() == 2);
  CHECK(rs.scope_spans[0].scope.name == "ollama-client");
  CHECK(rs.scope_spans[0].scope.version == "0.9");
  CHECK(rs.scope_spans[0].schema_url.empty());
  CHECK(rs.scope_spans[1].scope.name == "rag-app");
  CHECK(rs.scope_spans[1].scope.version == "1.2.3");
  CHECK(rs.scope_spans[1].schema_url == "https://opentelemetry.io/schemas/1.26.0");

  const auto flat = decoded.flatten();
  const auto& root = by_name(flat, "POST /ask");
  const auto& chat = by_name(flat, "chat llama3.2");
  const span_data& root_rec = recorded[1].name() == "POST /ask" ? recorded[1] : recorded[0];
  const span_data& chat_rec = recorded[1].name() == "POST /ask" ? recorded[0] : recorded[1];

  CHECK(root.trace_id == root_rec.context.trace_id.to_hex());
  CHECK(root.span_id == root_rec.context.span_id.to_hex());
  CHECK(root.parent_span_id.empty());
  CHECK(chat.trace_id == root.trace_id);
  CHECK(chat.parent_span_id == root.span_id);
  CHECK(chat.span_id == chat_rec.context.span_id.to_hex());
  CHECK(root.kind == 2);
  CHECK(chat.kind == 3);
  CHECK(root.start_time_unix_nano == static_cast<std::uint64_t>(root_rec.start_time_unix_nano));
  CHECK(root.end_time_unix_nano == static_cast<std::uint64_t>(root_rec.end_time_unix_nano));
  CHECK(chat.start_time_unix_nano == static_cast<std::uint64_t>(chat_rec.start_time_unix_nano));
  CHECK(chat.end_time_unix_nano == static_cast<std::uint64_t>(chat_rec.end_time_unix_nano));
  CHECK(chat.start_time_unix_nano > root.start_time_unix_nano);
  CHECK(root.flags == 0x101u);
  CHECK(chat.flags == 0x101u);

  // Attributes keep their types.
  CHECK(root.attributes.get("http.request.method").as_string() == "POST");
  CHECK(root.attributes.get("retrieval.k").as_int() == 4);
  CHECK(chat.attributes.get("gen_ai.request.model").as_string() == "llama3.2");
  CHECK(chat.attributes.get("gen_ai.request.temperature").as_double() == 0.25);
  CHECK(chat.attributes.get("gen_ai.stream").as_bool() == true);

  // Events, links, status.
  REQUIRE(chat.events.size() == 2);
  CHECK(chat.events[0].name == "gen_ai.content.prompt");
  CHECK(chat.events[0].time_unix_nano == static_cast<std::uint64_t>(chat_rec.events[0].time_unix_nano));
  CHECK(chat.events[0].attributes.get("gen_ai.prompt").as_string() == "What is RAG?");
  CHECK(chat.events[1].name == "exception");
  CHECK(chat.events[1].attributes.get("exception.type").as_string() == "std::runtime_error");
  CHECK(chat.events[1].attributes.get("exception.message").as_string() == "model not found");
  CHECK(chat.status.code == 2);
  CHECK(chat.status.message == "model not found");
  CHECK(root.status.code == 1);
  CHECK(root.status.message.empty());
  REQUIRE(root.links.size() == 1);
  CHECK(root.links[0].trace_id == "fedcba98765432100123456789abcdef");
  CHECK(root.links[0].span_id == "0badc0ffee0ddf00");
  CHECK(root.links[0].trace_state == "vendor=1");
  CHECK(root.links[0].flags == 0x301u);
  CHECK(root.links[0].attributes.get("link.reason").as_string() == "batch");

  if (t::node_available()) {
    try {
      CHECK(t::js_decode(bytes, t::otlp_encoding::protobuf) == decoded.to_json());
    } catch (const t::js_decoder_unavailable& e) {
      MESSAGE("OTLP/JS cross-check skipped: " << e.what());
    }
  } else {
    MESSAGE("OTLP/JS cross-check skipped: node is missing");
  }
}

TEST_CASE("remote parents, trace state and W3C flags go into Span.flags") {
  resource res;
  instrumentation_scope scope{"s", "", "", {}};
  auto remote_child = make_record(&res, &scope, "remote child");
  remote_child.parent_span_id = *span_id::from_hex("a1a2a3a4a5a6a7a8");
  remote_child.parent_is_remote = true;
  remote_child.trace_state = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7";
  auto local_child = make_record(&res, &scope, "local child");
  local_child.parent_span_id = *span_id::from_hex("b1b2b3b4b5b6b7b8");
  auto unsampled_root = make_record(&res, &scope, "unsampled root");
  unsampled_root.context.trace_flags = 0;
  unsampled_root.parent_is_remote = true;  // meaningless without a parent: ignored

  const std::vector<const span_data*> batch{&remote_child, &local_child, &unsampled_root};
  const auto flat = round_trip(batch).flatten();
  REQUIRE(flat.size() == 3);
  CHECK(flat[0].flags == 0x301u);
  CHECK(flat[0].parent_span_id == "a1a2a3a4a5a6a7a8");
  CHECK(flat[0].trace_state == "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
  CHECK(flat[1].flags == 0x101u);
  CHECK(flat[1].parent_span_id == "b1b2b3b4b5b6b7b8");
  CHECK(flat[1].trace_state.empty());
  CHECK(flat[2].flags == 0x100u);
  CHECK(flat[2].parent_span_id.empty());
  CHECK(flat[0].trace_id == "0102030405060708090a0b0c0d0e0f10");
  CHECK(flat[0].span_id == "1112131415161718");
}

TEST_CASE("every attribute value type, including arrays, empty strings and extreme numbers") {
  resource res;
  instrumentation_scope scope{"types", "", "", {}};
  auto s = make_record(&res, &scope, "types");
  s.attributes.set("str", "hello");
  s.attributes.set("empty_str", "");
  s.attributes.set("utf8", "caf\xC3\xA9 \xE2\x9C\x93");
  s.attributes.set("bool_false", false);
  s.attributes.set("bool_true", true);
  s.attributes.set("int_zero", 0);
  s.attributes.set("int_neg", std::int64_t{-42});
  s.attributes.set("int_min", std::numeric_limits<std::int64_t>::min());
  s.attributes.set("int_max", std::numeric_limits<std::int64_t>::max());
  s.attributes.set("dbl", -1.5e300);
  s.attributes.set("dbl_zero", 0.0);
  s.attributes.set("strs", std::vector<std::string>{"a", "", std::string(200, 'x')});
  s.attributes.set("ints", std::vector<std::int64_t>{1, -1, 300, std::numeric_limits<std::int64_t>::max()});
  s.attributes.set("dbls", std::vector<double>{0.5, -2.0});
  s.attributes.set("bools", std::vector<bool>{true, false, true});
  s.attributes.set("empty_array", std::vector<std::int64_t>{});

  const auto flat = round_trip({&s}).flatten();
  REQUIRE(flat.size() == 1);
  const auto& a = flat[0].attributes;
  CHECK(a.size() == 16);
  CHECK(a.get("str").as_string() == "hello");
  CHECK(a.get("empty_str").is_string());
  CHECK(a.get("empty_str").as_string().empty());
  CHECK(a.get("utf8").as_string() == "caf\xC3\xA9 \xE2\x9C\x93");
  CHECK(a.get("bool_false").is_bool());
  CHECK(a.get("bool_false").as_bool() == false);
  CHECK(a.get("bool_true").as_bool() == true);
  CHECK(a.get("int_zero").is_int());
  CHECK(a.get("int_zero").as_int() == 0);
  CHECK(a.get("int_neg").as_int() == -42);
  CHECK(a.get("int_min").as_int() == std::numeric_limits<std::int64_t>::min());
  CHECK(a.get("int_max").as_int() == std::numeric_limits<std::int64_t>::max());
  CHECK(a.get("dbl").as_double() == -1.5e300);
  CHECK(a.get("dbl_zero").is_double());
  const auto& strs = a.get("strs").as_array();
  REQUIRE(strs.size() == 3);
  CHECK(strs[0].as_string() == "a");
  CHECK(strs[1].as_string().empty());
  CHECK(strs[2].as_string() == std::string(200, 'x'));
  const auto& ints = a.get("ints").as_array();
  REQUIRE(ints.size() == 4);
  CHECK(ints[0].as_int() == 1);
  CHECK(ints[1].as_int() == -1);
  CHECK(ints[2].as_int() == 300);
  CHECK(ints[3].as_int() == std::numeric_limits<std::int64_t>::max());
  const auto& dbls = a.get("dbls").as_array();
  REQUIRE(dbls.size() == 2);
  CHECK(dbls[0].as_double() == 0.5);
  CHECK(dbls[1].as_double() == -2.0);
  const auto& bools = a.get("bools").as_array();
  REQUIRE(bools.size() == 3);
  CHECK(bools[0].as_bool());
  CHECK_FALSE(bools[1].as_bool());
  CHECK(bools[2].as_bool());
  CHECK(a.get("empty_array").as_array().empty());
}

TEST_CASE("dropped counts of attributes, events, links and their attributes") {
  resource res;
  res.attributes.set("service.name", "svc");
  res.attributes.add_dropped(2);
  instrumentation_scope scope{"limits", "1", "", {}};
  scope.attributes.set("scope.attr", 7);
  scope.attributes.add_dropped(1);
  auto s = make_record(&res, &scope, "limited");
  s.attributes.set("a", 1, 1);
  s.attributes.set("b", 2, 1);  // over the count limit of 1: dropped and counted
  s.attributes.set("c", 3, 1);
  span_event e;
  e.name = "ev";
  e.time_unix_nano = 1'700'000'000'500'000'000;
  e.attributes.set("k", "v");
  e.attributes.add_dropped(4);
  s.events.push_back(e);
  s.dropped_events_count = 5;
  span_link l;
  l.context.trace_id = *trace_id::from_hex("00000000000000000000000000000001");
  l.context.span_id = *span_id::from_hex("0000000000000002");
  l.attributes.add_dropped(6);
  s.links.push_back(l);
  s.dropped_links_count = 7;

  const auto decoded = round_trip({&s});
  REQUIRE(decoded.span_count() == 1);
  const auto& rs = decoded.resource_spans[0];
  CHECK(rs.resource.dropped_attributes_count == 2);
  CHECK(rs.scope_spans[0].scope.dropped_attributes_count == 1);
  CHECK(rs.scope_spans[0].scope.attributes.get("scope.attr").as_int() == 7);
  const auto& span = rs.scope_spans[0].spans[0];
  CHECK(span.attributes.size() == 1);
  CHECK(span.dropped_attributes_count == 2);
  REQUIRE(span.events.size() == 1);
  CHECK(span.events[0].dropped_attributes_count == 4);
  CHECK(span.events[0].time_unix_nano == 1'700'000'000'500'000'000u);
  CHECK(span.dropped_events_count == 5);
  REQUIRE(span.links.size() == 1);
  CHECK(span.links[0].dropped_attributes_count == 6);
  CHECK(span.links[0].flags == 0x100u);
  CHECK(span.links[0].trace_state.empty());
  CHECK(span.dropped_links_count == 7);
}

TEST_CASE("status: a message only with error; unset status is omitted") {
  resource res;
  instrumentation_scope scope{"status", "", "", {}};
  auto ok = make_record(&res, &scope, "ok");
  ok.status = status_code::ok;
  ok.status_message = "should not be sent";
  auto err = make_record(&res, &scope, "err");
  err.status = status_code::error;
  err.status_message = "boom";
  auto unset = make_record(&res, &scope, "unset");
  unset.status_message = "ignored";
  auto unspecified = make_record(&res, &scope, "unspecified kind");
  unspecified.kind = span_kind::unspecified;

  std::string bytes;
  const auto flat = round_trip({&ok, &err, &unset, &unspecified}, &bytes).flatten();
  REQUIRE(flat.size() == 4);
  CHECK(flat[0].status.code == 1);
  CHECK(flat[0].status.message.empty());
  CHECK(flat[1].status.code == 2);
  CHECK(flat[1].status.message == "boom");
  CHECK(flat[2].status.code == 0);
  CHECK(flat[0].kind == 1);
  CHECK(flat[3].kind == 0);
  CHECK(bytes.find("should not be sent") == std::string::npos);
  CHECK(bytes.find("ignored") == std::string::npos);
}

TEST_CASE("spans are grouped by resource, then by scope, in order of first appearance") {
  resource r1, r2;
  r1.attributes.set("service.name", "one");
  r1.schema_url = "https://opentelemetry.io/schemas/1.21.0";
  r2.attributes.set("service.name", "two");
  instrumentation_scope sa{"a", "1", "https://example.com/a", {}};
  sa.attributes.set("scope.kind", "lib");
  instrumentation_scope sb{"b", "2", "", {}};

  std::vector<span_data> spans;
  spans.push_back(make_record(&r2, &sa, "r2-a-1"));
  spans.push_back(make_record(&r1, &sb, "r1-b-1"));
  spans.push_back(make_record(&r2, &sb, "r2-b-1"));
  spans.push_back(make_record(&r1, &sa, "r1-a-1"));
  spans.push_back(make_record(&r2, &sa, "r2-a-2"));
  spans.push_back(make_record(nullptr, nullptr, "orphan"));
  spans.push_back(make_record(&r1, &sb, "r1-b-2"));

  const auto decoded = round_trip(pointers(spans));
  REQUIRE(decoded.resource_spans.size() == 3);
  const auto& d2 = decoded.resource_spans[0];
  const auto& d1 = decoded.resource_spans[1];
  const auto& d0 = decoded.resource_spans[2];
  CHECK(d2.resource.attributes.get("service.name").as_string() == "two");
  CHECK(d2.schema_url.empty());
  CHECK(d1.resource.attributes.get("service.name").as_string() == "one");
  CHECK(d1.schema_url == "https://opentelemetry.io/schemas/1.21.0");
  CHECK(d0.resource.attributes.empty());

  REQUIRE(d2.scope_spans.size() == 2);
  CHECK(d2.scope_spans[0].scope.name == "a");
  CHECK(d2.scope_spans[0].schema_url == "https://example.com/a");
  CHECK(d2.scope_spans[0].scope.attributes.get("scope.kind").as_string() == "lib");
  REQUIRE(d2.scope_spans[0].spans.size() == 2);
  CHECK(d2.scope_spans[0].spans[0].name == "r2-a-1");
  CHECK(d2.scope_spans[0].spans[1].name == "r2-a-2");
  CHECK(d2.scope_spans[1].scope.name == "b");
  CHECK(d2.scope_spans[1].scope.version == "2");
  REQUIRE(d2.scope_spans[1].spans.size() == 1);
  CHECK(d2.scope_spans[1].spans[0].name == "r2-b-1");

  REQUIRE(d1.scope_spans.size() == 2);
  CHECK(d1.scope_spans[0].scope.name == "b");
  REQUIRE(d1.scope_spans[0].spans.size() == 2);
  CHECK(d1.scope_spans[0].spans[0].name == "r1-b-1");
  CHECK(d1.scope_spans[0].spans[1].name == "r1-b-2");
  CHECK(d1.scope_spans[1].scope.name == "a");
  CHECK(d1.scope_spans[1].spans.at(0).name == "r1-a-1");

  REQUIRE(d0.scope_spans.size() == 1);
  CHECK(d0.scope_spans[0].scope.name.empty());
  CHECK(d0.scope_spans[0].spans.at(0).name == "orphan");
  CHECK(decoded.span_count() == spans.size());
}

TEST_CASE("the wire bytes of a minimal span are exactly protobuf's") {
  span_data s;
  s.context.trace_id = *trace_id::from_hex("000102030405060708090a0b0c0d0e0f");
  s.context.span_id = *span_id::from_hex("0102030405060708");
  s.context.trace_flags = 1;
  s.set_name("n");
  s.kind = span_kind::client;
  s.start_time_unix_nano = 1;
  s.end_time_unix_nano = 2;
  s.attributes.set("k", 150);
  const span_data* p = &s;
  std::string out;
  otlp::encode_protobuf(span_batch(&p, 1), out);

  std::string span;
  span += "\x0a\x10";  // trace_id
  for (char c = 0; c < 16; ++c) span.push_back(c);
  span += std::string("\x12\x08\x01\x02\x03\x04\x05\x06\x07\x08", 10);  // span_id
  span += "\x2a\x01n";                                                  // name
  span += "\x30\x03";                                                   // kind = client
  span += std::string("\x39\x01\0\0\0\0\0\0\0", 9);                     // start (fixed64)
  span += std::string("\x41\x02\0\0\0\0\0\0\0", 9);                     // end (fixed64)
  span += "\x4a\x08\x0a\x01k\x12\x03\x18\x96\x01";                      // attributes: k = int 150
  span += std::string("\x85\x01\x01\x01\0\0", 6);                       // flags = 0x101 (fixed32)
  REQUIRE(span.size() == 67);
  // No resource and no scope were set: ResourceSpans{ScopeSpans{Span}}.
  const std::string expected = std::string("\x0a\x47\x12\x45\x12\x43", 6) + span;
  CHECK(t::to_hex(out) == t::to_hex(expected));
}

TEST_CASE("length prefixes are right for tiny and huge messages (placeholders that must move)") {
  resource res;
  res.attributes.set("service.name", "big");
  instrumentation_scope scope{"sizes", "", "", {}};
  std::vector<span_data> spans;
  spans.push_back(make_record(nullptr, nullptr, ""));  // under 128 bytes
  auto big = make_record(&res, &scope, "big");
  big.attributes.set("huge", std::string(3 * 1024 * 1024, 'q'));  // over 2 MiB: 4-byte lengths
  span_event ev;
  ev.name = std::string(300, 'e');  // event over 127 bytes
  big.events.push_back(ev);
  spans.push_back(std::move(big));
  for (int i = 0; i < 3; ++i) spans.push_back(make_record(&res, &scope, "small"));

  std::string bytes;
  const auto decoded = round_trip(pointers(spans), &bytes);
  REQUIRE(decoded.resource_spans.size() == 2);
  CHECK(decoded.resource_spans[0].scope_spans.at(0).spans.at(0).name.empty());
  const auto& group = decoded.resource_spans[1].scope_spans.at(0);
  REQUIRE(group.spans.size() == 4);
  CHECK(group.spans[0].attributes.get("huge").as_string().size() == 3u * 1024u * 1024u);
  CHECK(group.spans[0].events.at(0).name == std::string(300, 'e'));
  CHECK(group.spans[3].name == "small");
}

TEST_CASE("the output string is replaced, not appended to, and its capacity is reused") {
  resource res;
  instrumentation_scope scope{"reuse", "", "", {}};
  std::vector<span_data> spans;
  for (int i = 0; i < 50; ++i) spans.push_back(make_record(&res, &scope, "span " + std::to_string(i)));
  const auto ptrs = pointers(spans);
  std::string out = "previous contents";
  otlp::encode_protobuf(span_batch(ptrs.data(), ptrs.size()), out);
  const std::string first = out;
  const auto capacity = out.capacity();
  otlp::encode_protobuf(span_batch(ptrs.data(), 1), out);
  CHECK(out.size() < first.size());
  CHECK(t::decode_request_protobuf(out).span_count() == 1);
  otlp::encode_protobuf(span_batch(ptrs.data(), ptrs.size()), out);
  CHECK(out == first);
  CHECK(out.capacity() == capacity);
  CHECK(t::decode_request_protobuf(first).span_count() == 50);

  otlp::encode_protobuf(span_batch(nullptr, 0), out);
  CHECK(out.empty());
}

TEST_CASE("invalid UTF-8 in names, trace state and status messages is repaired") {
  resource res;
  instrumentation_scope scope{"bad\xff scope", "", "", {}};
  auto s = make_record(&res, &scope, "bad\xc3(name");
  s.status = status_code::error;
  s.status_message = "oops\xe2\x82";
  s.trace_state = "k=\x80";
  span_event e;
  e.name = "ev\xfe";
  s.events.push_back(e);
  const auto flat = round_trip({&s}).flatten();  // the test decoder rejects invalid UTF-8
  REQUIRE(flat.size() == 1);
  CHECK(flat[0].name == "bad\xEF\xBF\xBD(name");
  CHECK(flat[0].scope.name == "bad\xEF\xBF\xBD scope");
  CHECK(flat[0].status.message == "oops\xEF\xBF\xBD");
  CHECK(flat[0].events.at(0).name == "ev\xEF\xBF\xBD");
}

TEST_CASE("ExportTraceServiceResponse partial_success is decoded") {
  otlp::partial_success ps;
  CHECK(otlp::decode_export_response("", ps));
  CHECK_FALSE(ps.any());

  CHECK(otlp::decode_export_response(
      t::encode_export_response_partial(t::otlp_encoding::protobuf, 3, "3 spans too old"), ps));
  CHECK(ps.any());
  CHECK(ps.rejected_spans == 3);
  CHECK(ps.error_message == "3 spans too old");

  CHECK(otlp::decode_export_response(t::encode_export_response_partial(t::otlp_encoding::protobuf, 0, "warning only"),
                                     ps));
  CHECK(ps.any());
  CHECK(ps.rejected_spans == 0);
  CHECK(ps.error_message == "warning only");

  CHECK(otlp::decode_export_response(t::encode_export_response_partial(t::otlp_encoding::protobuf, 0, ""), ps));
  CHECK_FALSE(ps.any());

  // Unknown fields are skipped; malformed input is rejected.
  CHECK(otlp::decode_export_response(std::string("\x10\x05\x0a\x02\x08\x07", 6), ps));
  CHECK(ps.rejected_spans == 7);
  CHECK_FALSE(otlp::decode_export_response(std::string("\x0a\x05\x08", 3), ps));
  CHECK_FALSE(otlp::decode_export_response("{\"partialSuccess\":{}}", ps));
  CHECK_FALSE(ps.any());
}

TEST_CASE("google.rpc.Status bodies are decoded") {
  otlp::rpc_status st;
  CHECK(otlp::decode_rpc_status(t::encode_rpc_status(t::otlp_encoding::protobuf, 3, "span 2 has no trace id"), st));
  CHECK(st.code == 3);
  CHECK(st.message == "span 2 has no trace id");
  CHECK_FALSE(otlp::decode_rpc_status(std::string("\x12\x09"
                                                  "abc",
                                                  5),
                                      st));
  CHECK(st.message.empty());
}
