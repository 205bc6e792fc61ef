#include "test_support.hpp"

#include <doctest/doctest.h>

using namespace llmtrace;
using core_test::scoped_env;

TEST_CASE("the global provider is never null and is a no-op until set") {
  set_global_provider(nullptr);
  CHECK_FALSE(global_provider().active());
  CHECK_FALSE(get_tracer("x").enabled());
  core_test::recording_provider rp;
  set_global_provider(rp.provider);
  CHECK(&global_provider() == rp.provider.get());
  CHECK(get_tracer("x").enabled());
  set_global_provider(nullptr);
  CHECK_FALSE(global_provider().active());
}

TEST_CASE("get_tracer returns one scope per name and version") {
  core_test::recording_provider rp;
  auto a = rp.provider->get_tracer("lib", "1");
  auto b = rp.provider->get_tracer("lib", "1");
  auto c = rp.provider->get_tracer("lib", "2");
  CHECK(a.scope() == b.scope());
  CHECK(a.scope() != c.scope());
}

TEST_CASE("after shutdown, new spans record nothing and shutdown is idempotent") {
  core_test::recording_provider rp;
  CHECK(rp.provider->shutdown());
  CHECK(rp.provider->shutdown());
  span s(rp.tracer, "late");
  CHECK_FALSE(s.is_recording());
}

TEST_CASE("every processor sees every span (each gets its own copy)") {
  auto s1 = std::make_shared<in_memory_span_store>();
  auto s2 = std::make_shared<in_memory_span_store>();
  provider_options o;
  o.processors.push_back(std::make_unique<simple_processor>(std::make_unique<in_memory_exporter>(s1)));
  o.processors.push_back(std::make_unique<simple_processor>(std::make_unique<in_memory_exporter>(s2)));
  tracer_provider p(std::move(o));
  { span s(p.get_tracer("t"), "shared", span_kind::internal, {{"k", "v"}}); }
  REQUIRE(s1->size() == 1);
  REQUIRE(s2->size() == 1);
  CHECK(s1->spans()[0].attributes.get_string("k") == "v");
  CHECK(s2->spans()[0].attributes.get_string("k") == "v");
  CHECK(p.stats().exported == 2);
}

TEST_CASE("injected clock and id generators make output deterministic") {
  static std::int64_t now = 1'700'000'000'000'000'000;
  static std::uint8_t next = 0;
  provider_options o;
  o.clock = []() noexcept { return now += 1000; };
  o.new_trace_id = []() noexcept {
    trace_id t;
    t.bytes[15] = 1;
    return t;
  };
  o.new_span_id = []() noexcept {
    span_id s;
    s.bytes[7] = ++next;
    return s;
  };
  auto store = std::make_shared<in_memory_span_store>();
  o.processors.push_back(std::make_unique<simple_processor>(std::make_unique<in_memory_exporter>(store)));
  tracer_provider p(std::move(o));
  { span s(p.get_tracer("t"), "fixed"); }
  const auto s = store->spans().at(0);
  CHECK(s.context.trace_id.to_hex() == "00000000000000000000000000000001");
  CHECK(s.context.span_id.to_hex() == "0000000000000001");
  CHECK(s.start_time_unix_nano == 1'700'000'000'000'001'000);
  CHECK(s.end_time_unix_nano == 1'700'000'000'000'002'000);
}

TEST_CASE("resource: OTEL_SERVICE_NAME wins over OTEL_RESOURCE_ATTRIBUTES, which wins over code") {
  {
    scoped_env a("OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attrs,deployment.environment=prod%20eu,team=ai");
    scoped_env b("OTEL_SERVICE_NAME", "from-name");
    const auto r = make_resource({{"service.name", "from-code"}, {"code.only", 1}});
    CHECK(r.attributes.get_string("service.name") == "from-name");
    CHECK(r.attributes.get_string("deployment.environment") == "prod eu");
    CHECK(r.attributes.get_string("team") == "ai");
    attribute_value v;
    CHECK(r.attributes.find("code.only", v));
    CHECK(r.attributes.get_string("telemetry.sdk.language") == "cpp");
    CHECK(r.attributes.get_string("telemetry.sdk.version") == LLMTRACE_VERSION_STRING);
  }
  {
    scoped_env a("OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attrs");
    scoped_env b("OTEL_SERVICE_NAME", nullptr);
    CHECK(make_resource({{"service.name", "from-code"}}).attributes.get_string("service.name") == "from-attrs");
  }
  {
    scoped_env a("OTEL_RESOURCE_ATTRIBUTES", nullptr);
    scoped_env b("OTEL_SERVICE_NAME", nullptr);
    const auto name = std::string(make_resource().attributes.get_string("service.name"));
    CHECK(name.rfind("unknown_service", 0) == 0);
    CHECK(name.find("test_provider") != std::string::npos);  // unknown_service:<executable>
  }
}
