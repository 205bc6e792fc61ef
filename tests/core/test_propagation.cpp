#include "test_support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <unordered_map>

using namespace llmtrace;

TEST_CASE("traceparent round trip") {
  const std::string tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const auto sc = parse_traceparent(tp);
  REQUIRE(sc);
  CHECK(sc->trace_id.to_hex() == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(sc->span_id.to_hex() == "00f067aa0ba902b7");
  CHECK(sc->sampled());
  CHECK(sc->is_remote);
  CHECK(format_traceparent(*sc) == tp);
  const auto unsampled = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  REQUIRE(unsampled);
  CHECK_FALSE(unsampled->sampled());
}

TEST_CASE("invalid traceparent values are rejected") {
  const char* bad[] = {
      "",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",           // no flags
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",        // zero trace id
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",        // zero span id
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",        // forbidden version
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",        // uppercase
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",  // v00 with extra fields
      "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",        // wrong separator
      "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",        // bad version hex
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0z",        // bad flags
      "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",       // future version, junk after flags
  };
  for (const char* v : bad) {
    CAPTURE(v);
    CHECK_FALSE(parse_traceparent(v));
  }
}

TEST_CASE("future versions parse and extra fields are ignored") {
  CHECK(parse_traceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  const auto sc = parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03-what-the-future-holds");
  REQUIRE(sc);
  CHECK(sc->trace_flags == 1);  // only the sampled flag is carried on
}

TEST_CASE("tracestate is validated, trimmed and capped at 32 members") {
  CHECK(parse_tracestate(" congo=t61rcWkgMzE , rojo=00f067aa0ba902b7 ") == "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
  CHECK(parse_tracestate("a=1,,b=2") == "a=1,b=2");
  CHECK(parse_tracestate("Upper=1").empty());  // keys are lowercase
  CHECK(parse_tracestate("a=1,a=2").empty());  // duplicates invalidate the list
  CHECK(parse_tracestate("novalue").empty());
  std::string many;
  for (int i = 0; i < 40; ++i) many += "k" + std::to_string(i) + "=v,";
  const auto capped = parse_tracestate(many);
  CHECK(std::count(capped.begin(), capped.end(), ',') == 31);
}

TEST_CASE("inject and extract over maps, vectors of pairs and callables") {
  core_test::recording_provider rp;
  span_context sc;
  sc.trace_id = *trace_id::from_hex("4bf92f3577b34da6a3ce929d0e0e4736");
  sc.span_id = *span_id::from_hex("00f067aa0ba902b7");
  sc.trace_flags = 1;
  const context ctx(sc, "vendor=x");

  std::map<std::string, std::string> m{{"traceparent", "stale"}};
  inject(ctx, m);
  CHECK(m["traceparent"] == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  CHECK(m["tracestate"] == "vendor=x");
  const auto back = extract(m);
  CHECK(back.span().span_id == sc.span_id);
  CHECK(back.trace_state() == "vendor=x");
  CHECK(back.is_remote());

  std::vector<std::pair<std::string, std::string>> v{{"TraceParent", "old"}};
  inject(ctx, v);
  REQUIRE(v.size() == 2);
  const auto from_vec = extract(v);
  CHECK(from_vec.span().trace_id == sc.trace_id);

  std::unordered_map<std::string, std::string> um;
  inject(ctx, um);
  CHECK(extract(um).valid());

  std::vector<std::pair<std::string, std::string>> seen;
  inject(ctx, [&](std::string_view k, std::string_view val) { seen.emplace_back(k, val); });
  CHECK(seen.size() == 2);

  const auto from_getter = extract([&](std::string_view k) -> std::optional<std::string> {
    if (k == "traceparent") return m["traceparent"];
    return std::nullopt;
  });
  CHECK(from_getter.span().span_id == sc.span_id);
}

TEST_CASE("an invalid incoming traceparent starts a new trace; a valid one joins it") {
  core_test::recording_provider rp;
  std::map<std::string, std::string> bad{{"traceparent", "00-zz-00f067aa0ba902b7-01"}, {"tracestate", "a=1"}};
  const auto none = extract(bad);
  CHECK_FALSE(none.valid());
  {
    context_scope s(none);
    span root(rp.tracer, "new trace");
  }
  CHECK_FALSE(rp.only("new trace").has_parent());

  std::map<std::string, std::string> good{{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}};
  {
    context_scope s(extract(good));
    span handler(rp.tracer, "handler", span_kind::server);
    std::map<std::string, std::string> outgoing;
    inject(outgoing);
    const auto out = parse_traceparent(outgoing["traceparent"]);
    REQUIRE(out);
    CHECK(out->trace_id.to_hex() == "4bf92f3577b34da6a3ce929d0e0e4736");
    CHECK(out->span_id == handler.span_context().span_id);
  }
  const auto h = rp.only("handler");
  CHECK(h.parent_span_id.to_hex() == "00f067aa0ba902b7");
  CHECK(h.parent_is_remote);
}
