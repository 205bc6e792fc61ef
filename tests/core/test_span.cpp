#include "test_support.hpp"

#include <doctest/doctest.h>

#include <stdexcept>
#include <type_traits>

using namespace llmtrace;
using core_test::recording_provider;

// The tracing path is noexcept: these lock it.
static_assert(std::is_nothrow_constructible_v<span, const tracer&, std::string_view, span_kind, attribute_list>);
static_assert(std::is_nothrow_destructible_v<span>);
static_assert(std::is_nothrow_move_constructible_v<span>);
static_assert(!std::is_copy_constructible_v<span>);
static_assert(noexcept(std::declval<span&>().set_attribute("k", 1)));
static_assert(noexcept(std::declval<span&>().add_event("e")));
static_assert(noexcept(std::declval<span&>().set_status(status_code::error, "x")));
static_assert(noexcept(std::declval<span&>().end()));

TEST_CASE("nested spans link to their parents and restore the previous current span") {
  recording_provider rp;
  span_context root_ctx, child_ctx, sibling_ctx;
  {
    span root(rp.tracer, "root");
    root_ctx = root.span_context();
    CHECK(current_span_context().span_id == root_ctx.span_id);
    {
      span child(rp.tracer, "child");
      child_ctx = child.span_context();
      CHECK(current_span_context().span_id == child_ctx.span_id);
    }
    CHECK(current_span_context().span_id == root_ctx.span_id);
    span sibling(rp.tracer, "sibling");
    sibling_ctx = sibling.span_context();
  }
  CHECK_FALSE(current_span_context().valid());
  const auto root = rp.only("root");
  const auto child = rp.only("child");
  const auto sibling = rp.only("sibling");
  CHECK_FALSE(root.has_parent());
  CHECK(child.parent_span_id == root.context.span_id);
  CHECK(sibling.parent_span_id == root.context.span_id);
  CHECK(child.context.trace_id == root.context.trace_id);
  CHECK(child.context.span_id == child_ctx.span_id);
  CHECK(root.start_time_unix_nano <= child.start_time_unix_nano);
  CHECK(child.end_time_unix_nano <= root.end_time_unix_nano);
  CHECK(root.scope->name == "test");
  CHECK(root.scope->version == "1.0");
  CHECK(root.resource->attributes.get_string("telemetry.sdk.name") == "llmtrace");
}

TEST_CASE("explicit end() ends once and stops being current") {
  recording_provider rp;
  span s(rp.tracer, "early");
  s.end();
  CHECK_FALSE(s.is_recording());
  CHECK_FALSE(current_span_context().valid());
  s.end();
  s.set_attribute("ignored", 1);
  CHECK(rp.store->size() == 1);
}

TEST_CASE("a moved guard ends exactly once, with what was set before and after the move") {
  recording_provider rp;
  {
    span a(rp.tracer, "moved");
    a.set_attribute("before", 1);
    span b(std::move(a));
    CHECK_FALSE(a.is_recording());
    b.set_attribute("after", 2);
    CHECK(current_span_context().span_id == b.span_context().span_id);
  }
  const auto s = rp.only("moved");
  CHECK(s.attributes.size() == 2);
  CHECK(rp.store->size() == 1);
}

TEST_CASE("ending an outer span first also pops the inner entries") {
  recording_provider rp;
  span outer(rp.tracer, "outer");
  span inner(rp.tracer, "inner");
  outer.end();
  CHECK_FALSE(current_span_context().valid());
  inner.end();
  CHECK_FALSE(current_span_context().valid());
}

TEST_CASE("attributes, events, exceptions, status, kind and links are recorded") {
  recording_provider rp;
  span_context other;
  {
    span o(rp.tracer, "other", span_kind::producer);
    other = o.span_context();
  }
  {
    span s(rp.tracer, "work", span_kind::client, {{"start.attr", "v"}});
    s.set_attribute("n", 3).set_attribute("ratio", 0.5);
    s.add_event("first chunk", {{"index", 0}});
    s.record_exception(std::runtime_error("boom"));
    s.set_status(status_code::error, "it failed");
    s.add_link(other, {{"link.kind", "batch"}});
    s.update_name("work renamed");
  }
  const auto s = rp.only("work renamed");
  CHECK(s.kind == span_kind::client);
  CHECK(s.attributes.get_string("start.attr") == "v");
  REQUIRE(s.events.size() == 2);
  CHECK(s.events[0].name == "first chunk");
  CHECK(s.events[1].name == "exception");
  CHECK(s.events[1].attributes.get_string("exception.type") == "std::runtime_error");
  CHECK(s.events[1].attributes.get_string("exception.message") == "boom");
  CHECK(s.status == status_code::error);
  CHECK(s.status_message == "it failed");
  REQUIRE(s.links.size() == 1);
  CHECK(s.links[0].context.span_id == other.span_id);
  CHECK(s.links[0].attributes.get_string("link.kind") == "batch");
}

namespace llmtrace {
inline namespace LLMTRACE_ABI_NAMESPACE {
// An exception type inside llmtrace's ABI namespace: its recorded type must not show the namespace.
struct test_failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};
}  // namespace LLMTRACE_ABI_NAMESPACE
}  // namespace llmtrace

TEST_CASE("set_error: error.type, one exception event and status Error, the same way for every caller") {
  static_assert(noexcept(std::declval<span&>().set_error(std::declval<const std::exception&>())));
  static_assert(noexcept(std::declval<span&>().set_error(std::string_view(), std::string_view())));
  recording_provider rp;
  {
    span s(rp.tracer, "by type");
    s.set_error(std::invalid_argument("bad input"));
  }
  {
    span s(rp.tracer, "given type");
    s.set_error(test_failure("server said no"), "503", "Service Unavailable");
  }
  {
    span s(rp.tracer, "no exception");
    s.set_error("timeout", "no answer within 5 s");
  }
  const auto a = rp.only("by type");
  CHECK(a.attributes.get_string(semconv::error_type) == "std::invalid_argument");
  REQUIRE(a.events.size() == 1);
  CHECK(a.events[0].name == "exception");
  CHECK(a.events[0].attributes.get_string("exception.type") == "std::invalid_argument");
  CHECK(a.events[0].attributes.get_string("exception.message") == "bad input");
  CHECK(a.status == status_code::error);
  CHECK(a.status_message == "bad input");

  const auto b = rp.only("given type");
  CHECK(b.attributes.get_string(semconv::error_type) == "503");
  REQUIRE(b.events.size() == 1);
  CHECK(b.events[0].attributes.get_string("exception.type") == "llmtrace::test_failure");  // no ABI tag
  CHECK(b.events[0].attributes.get_string("exception.message") == "server said no");
  CHECK(b.status_message == "Service Unavailable");

  const auto c = rp.only("no exception");
  CHECK(c.attributes.get_string(semconv::error_type) == "timeout");
  REQUIRE(c.events.size() == 1);
  CHECK(c.events[0].attributes.get_string("exception.type") == "timeout");
  CHECK(c.status == status_code::error);
  CHECK(c.status_message == "no answer within 5 s");
}

TEST_CASE("status rules: ok is final, unset is ignored, messages only with error") {
  recording_provider rp;
  {
    span s(rp.tracer, "ok");
    s.set_status(status_code::ok, "ignored description");
    s.set_status(status_code::error, "too late");
  }
  {
    span s(rp.tracer, "unset");
    s.set_status(status_code::error, "bad");
    s.set_status(status_code::unset);
  }
  CHECK(rp.only("ok").status == status_code::ok);
  CHECK(rp.only("ok").status_message.empty());
  CHECK(rp.only("unset").status == status_code::error);
  CHECK(rp.only("unset").status_message == "bad");
}

TEST_CASE("event, link and attribute limits drop and count") {
  span_limits l;
  l.attribute_count = 2;
  l.event_count = 1;
  l.link_count = 1;
  l.event_attribute_count = 1;
  l.attribute_value_length = 4;
  recording_provider rp(sampler::always_on(), l);
  span_context other;
  {
    span o(rp.tracer, "o");
    other = o.span_context();
  }
  {
    span s(rp.tracer, "limited");
    s.set_attribute("a", "abcdefgh").set_attribute("b", 1).set_attribute("c", 2);
    s.add_event("e1", {{"x", 1}, {"y", 2}});
    s.add_event("e2");
    s.add_link(other);
    s.add_link(other);
  }
  const auto s = rp.only("limited");
  CHECK(s.attributes.size() == 2);
  CHECK(s.dropped_attributes_count() == 1);
  CHECK(s.attributes.get_string("a") == "abcd");
  REQUIRE(s.events.size() == 1);
  CHECK(s.events[0].attributes.size() == 1);
  CHECK(s.events[0].attributes.dropped() == 1);
  CHECK(s.dropped_events_count == 1);
  CHECK(s.links.size() == 1);
  CHECK(s.dropped_links_count == 1);
}

TEST_CASE("an unsampled span records nothing but still propagates its context") {
  recording_provider rp(sampler::always_off());
  {
    span root(rp.tracer, "unsampled");
    CHECK_FALSE(root.is_recording());
    const auto ctx = root.span_context();
    CHECK(ctx.valid());
    CHECK_FALSE(ctx.sampled());
    CHECK(current_span_context().span_id == ctx.span_id);
    span child(rp.tracer, "child");
    CHECK(child.span_context().trace_id == ctx.trace_id);
    std::vector<std::pair<std::string, std::string>> headers;
    inject(headers);
    REQUIRE(headers.size() == 1);
    CHECK(headers[0].second == format_traceparent(child.span_context()));
    CHECK(headers[0].second.substr(53) == "00");
  }
  rp.provider->force_flush();
  CHECK(rp.store->size() == 0);
}

TEST_CASE("the parent-based sampler makes children follow an unsampled root") {
  recording_provider rp(sampler::parent_based(sampler::always_off()));
  {
    span root(rp.tracer, "root");
    span child(rp.tracer, "child");
    CHECK_FALSE(child.is_recording());
  }
  CHECK(rp.store->size() == 0);
}

TEST_CASE("detached spans take an explicit parent and do not become current") {
  recording_provider rp;
  context parent_ctx;
  {
    span parent(rp.tracer, "parent");
    parent_ctx = parent.context();
  }
  {
    span unrelated(rp.tracer, "unrelated");
    auto d = span::detached(rp.tracer, "async", parent_ctx);
    CHECK(current_span_context().span_id == unrelated.span_context().span_id);
    d.end();
  }
  CHECK(rp.only("async").parent_span_id == rp.only("parent").context.span_id);
}

TEST_CASE("explicit start and end times, and a new root ignoring the current span") {
  recording_provider rp;
  {
    span outer(rp.tracer, "outer");
    span_start_options o;
    o.start_time_unix_nano = 1000;
    o.new_root = true;
    span s(rp.tracer, "timed", o);
    s.end(5000);
  }
  const auto s = rp.only("timed");
  CHECK(s.start_time_unix_nano == 1000);
  CHECK(s.end_time_unix_nano == 5000);
  CHECK_FALSE(s.has_parent());
  CHECK(s.context.trace_id != rp.only("outer").context.trace_id);
}

TEST_CASE("spans from the no-op global provider record nothing and leave the context alone") {
  set_global_provider(nullptr);
  span s("noop");
  CHECK_FALSE(s.is_recording());
  CHECK_FALSE(current_span_context().valid());
}

TEST_CASE("the global provider's default tracer and LLMTRACE_SPAN") {
  recording_provider rp;
  set_global_provider(rp.provider);
  { LLMTRACE_SPAN("macro span", span_kind::internal, {{"k", 1}}); }
  set_global_provider(nullptr);
  const auto s = rp.only("macro span");
  CHECK(s.scope->name == "llmtrace");
  CHECK(s.attributes.size() == 1);
}

TEST_CASE("names of every length survive recycled records, copies and renames") {
  recording_provider rp;
  // Lengths around the record's inline name storage (48 bytes), each span in a record the last one
  // used (the simple processor releases it at once), so a long name is followed by short ones.
  const std::string long_name(200, 'n');
  const std::vector<std::string> names = {long_name, "a", std::string(48, 'b'), std::string(49, 'c'), "", "d"};
  for (const auto& n : names) {
    span s(rp.tracer, n);
  }
  {
    span s(rp.tracer, "short");
    s.update_name(long_name + "!");
  }
  {
    span s(rp.tracer, long_name);
    s.update_name("short again");
  }
  const auto spans = rp.store->spans();
  REQUIRE(spans.size() == names.size() + 2);
  for (std::size_t i = 0; i < names.size(); ++i) CHECK(std::string(spans[i].name()) == names[i]);
  CHECK(std::string(spans[names.size()].name()) == long_name + "!");
  CHECK(std::string(spans[names.size() + 1].name()) == "short again");
  // A copy owns its name (the store holds copies of recycled records).
  span_data copy = spans[0];
  span_data other = spans[1];
  other = copy;
  CHECK(std::string(other.name()) == long_name);
}

TEST_CASE("attributes set twice keep one slot with the last value, whatever the key's filter bit") {
  recording_provider rp;
  {
    span s(rp.tracer, "dup");
    // Many keys share filter bits (64 of them): each key set twice must still be stored once.
    for (int round = 0; round < 2; ++round)
      for (int k = 0; k < 100; ++k)
        s.set_attribute("key." + std::to_string(k), round == 0 ? std::string("first") : std::to_string(k));
    s.set_attribute("key.7", std::int64_t{7});  // a string replaced by an integer
  }
  const auto d = rp.only("dup");
  CHECK(d.attributes.size() == 100);
  CHECK(d.attributes.get_string("key.42") == "42");
  attribute_value v;
  REQUIRE(d.attributes.find("key.7", v));
  CHECK(v.as_int() == 7);
}
