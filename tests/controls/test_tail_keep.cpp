// Tests for llmtrace/controls/tail_keep.hpp: with a 10% ratio every error trace and every slow trace
// arrives whole and exactly the traceidratio share of the rest (deterministic ids); children ending
// after the root follow its decision; held memory stays under the caps when roots never end;
// record_all() lets record-only spans be kept; traces whose root never ends are released after
// max_wait; holding and deciding run on the stage's worker, not on the thread ending a span;
// LLMTRACE_TAIL_KEEP parses. The stage is asynchronous: every check follows a force_flush.
#include <llmtrace/controls/tail_keep.hpp>
#include <llmtrace/exporters/in_memory.hpp>
#include <llmtrace/span.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace llmtrace;

namespace {

std::atomic<std::uint64_t> id_counter{0};
std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}
// Deterministic, well-spread trace ids: the same every run.
trace_id next_trace_id() noexcept {
  const std::uint64_t n = ++id_counter;
  trace_id t;
  const std::uint64_t hi = splitmix(n), lo = splitmix(n ^ 0xABCDEFull);
  for (int i = 0; i < 8; ++i) {
    t.bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(hi >> (56 - 8 * i));
    t.bytes[static_cast<std::size_t>(8 + i)] = static_cast<std::uint8_t>(lo >> (56 - 8 * i));
  }
  return t;
}

struct pipeline {
  std::shared_ptr<in_memory_span_store> store = std::make_shared<in_memory_span_store>();
  std::unique_ptr<tracer_provider> provider;
  tail_keep_processor* tail = nullptr;
  tracer t;
  explicit pipeline(tail_keep_options o, sampler s = sampler::parent_based(sampler::always_on())) {
    id_counter = 0;
    provider_options po;
    po.sampler = std::move(s);
    po.new_trace_id = next_trace_id;
    auto k = std::make_unique<tail_keep_processor>(
        std::move(o), std::make_unique<simple_processor>(std::make_unique<in_memory_exporter>(store)));
    tail = k.get();
    po.processors.push_back(std::move(k));
    provider = std::make_unique<tracer_provider>(std::move(po));
    t = provider->get_tracer("test");
  }
  std::map<std::string, std::size_t> spans_per_trace() const {
    std::map<std::string, std::size_t> out;
    for (const auto& s : store->spans()) ++out[s.context.trace_id.to_hex()];
    return out;
  }
};

bool ratio_keeps(const trace_id& t, double r) {
  const span_context none{};
  return sampler::trace_id_ratio(r).should_sample(sampling_parameters{none, t, {}, span_kind::internal, {}}) ==
         sampling_decision::record_and_sample;
}

}  // namespace

TEST_CASE("10% ratio: every error and slow trace arrives whole, and exactly the traceidratio share of the rest") {
  pipeline p(tail_keep_options::parse("errors,slow>2s,ratio=0.1"));
  std::set<std::string> must_keep;
  std::vector<trace_id> rest;
  const int traces = 1000;
  for (int i = 0; i < traces; ++i) {
    span_start_options ro;
    const bool slow = i % 20 == 1;
    if (slow) ro.start_time_unix_nano = p.provider->now() - 3'000'000'000LL;
    span root(p.t, "request", ro);
    {
      span a(p.t, "retrieve");
      span b(p.t, "chat");
      if (i % 20 == 0) b.set_status(status_code::error, "boom");
    }
    if (i % 20 == 0 || slow)
      must_keep.insert(root.span_context().trace_id.to_hex());
    else
      rest.push_back(root.span_context().trace_id);
    if (i % 100 == 99) REQUIRE(p.provider->force_flush());  // the stage's per-thread queue holds 2048
  }
  REQUIRE(p.provider->force_flush());
  const auto got = p.spans_per_trace();
  for (const auto& id : must_keep) {
    const auto it = got.find(id);
    REQUIRE_MESSAGE(it != got.end(), "trace " << id << " missing");
    CHECK(it->second == 3);
  }
  std::size_t expected = 0, arrived = 0;
  for (const auto& id : rest) {
    const bool keep = ratio_keeps(id, 0.1);
    expected += keep;
    const auto it = got.find(id.to_hex());
    if (it != got.end()) {
      ++arrived;
      CHECK(it->second == 3);
    }
    CHECK(keep == (it != got.end()));
  }
  CHECK(arrived == expected);
  const double share = static_cast<double>(arrived) / static_cast<double>(rest.size());
  CHECK(share > 0.06);
  CHECK(share < 0.14);
  const auto st = p.tail->tail_stats();
  CHECK(st.kept_traces == must_keep.size() + arrived);
  CHECK(st.not_kept_traces == rest.size() - arrived);
  CHECK(st.held_spans == 0);
  CHECK(p.provider->stats().not_kept == 3 * (rest.size() - arrived));
  CHECK(p.provider->stats().dropped() == 0);
}

TEST_CASE("children ending after the root follow the root's decision") {
  pipeline p(tail_keep_options::parse("errors,ratio=0"));
  span kept_root(p.t, "kept", span_kind::server);
  span kept_late = span::detached(p.t, "kept.late", kept_root.context());
  kept_root.set_status(status_code::error, "failed");
  kept_root.end();
  span dropped_root(p.t, "dropped", span_kind::server);
  span dropped_late = span::detached(p.t, "dropped.late", dropped_root.context());
  dropped_root.end();
  kept_late.end();
  dropped_late.end();
  REQUIRE(p.provider->force_flush());
  CHECK(p.store->find("kept").size() == 1);
  CHECK(p.store->find("kept.late").size() == 1);
  CHECK(p.store->find("dropped").empty());
  CHECK(p.store->find("dropped.late").empty());
  const auto st = p.tail->tail_stats();
  CHECK(st.late_spans == 2);
  CHECK(st.not_kept_spans == 2);
}

TEST_CASE("held memory stays under the caps when roots never end") {
  SUBCASE("span cap") {
    auto o = tail_keep_options::parse("errors,ratio=0.1,max_spans=100");
    pipeline p(o);
    std::vector<span> roots;
    for (int i = 0; i < 2000; ++i) {
      span_start_options so;
      so.make_current = false;
      roots.emplace_back(p.t, "never.ends", so);
      const context parent = roots.back().context();
      for (int c = 0; c < 2; ++c) span::detached(p.t, "child", parent).end();
      if (i % 100 == 99) REQUIRE(p.provider->force_flush());
      REQUIRE(p.tail->tail_stats().held_spans <= 100);
    }
    REQUIRE(p.provider->force_flush());
    const auto st = p.tail->tail_stats();
    CHECK(st.peak_held_spans <= 100);
    CHECK(st.released_early >= 1900);
    // Released by the ratio rule: exactly the traceidratio share of the released traces arrived.
    std::size_t expected = 0;
    for (const auto& r : roots) expected += ratio_keeps(r.span_context().trace_id, 0.1) ? 1u : 0u;
    const auto per_trace = p.spans_per_trace();
    for (const auto& [id, n] : per_trace) CHECK(n == 2);
    CHECK(per_trace.size() <= expected);
    CHECK(per_trace.size() + 60 >= expected);  // the last ~50 traces are still held
  }
  SUBCASE("byte cap") {
    auto o = tail_keep_options::parse("ratio=0,max_spans=100000,max_bytes=64k");
    pipeline p(o);
    const std::string big(2048, 'x');
    std::vector<span> roots;
    for (int i = 0; i < 1000; ++i) {
      span_start_options so;
      so.make_current = false;
      roots.emplace_back(p.t, "never.ends", so);
      span::detached(p.t, "child", roots.back().context(), span_kind::internal, {{"payload", big}}).end();
      if (i % 100 == 99) REQUIRE(p.provider->force_flush());
      REQUIRE(p.tail->tail_stats().held_bytes <= 64 * 1024);
    }
    REQUIRE(p.provider->force_flush());
    const auto st = p.tail->tail_stats();
    CHECK(st.peak_held_bytes <= 64 * 1024);
    CHECK(st.held_spans < 32);
    CHECK(st.released_early > 900);
    CHECK(p.store->size() == 0);  // ratio 0: released traces are not exported
  }
}

TEST_CASE("record_all: record-only spans reach the tail stage, and kept ones are exported") {
  pipeline p(tail_keep_options::parse("errors"), record_all(sampler::parent_based(sampler::trace_id_ratio(0.0))));
  {
    span ok(p.t, "fine");
    CHECK_FALSE(ok.span_context().sampled());  // the head decision still propagates as unsampled
    CHECK(ok.is_recording());
  }
  {
    span bad(p.t, "failing");
    span child(p.t, "child");
    child.set_status(status_code::error, "x");
  }
  REQUIRE(p.provider->force_flush());
  CHECK(p.store->find("fine").empty());
  CHECK(p.store->find("failing").size() == 1);
  CHECK(p.store->find("child").size() == 1);
  CHECK(record_all(sampler::always_off()).description() == "RecordAll{AlwaysOffSampler}");
}

TEST_CASE("a named slow span or a slow first chunk keeps the trace; shutdown decides held traces") {
  pipeline p(tail_keep_options::parse("slow(chat*)>500ms,ttft>800ms"));
  const auto now = p.provider->now();
  {
    span root(p.t, "rag");
    span_start_options so;
    so.start_time_unix_nano = now - 600'000'000LL;
    span chat(p.t, "chat llama3.2", so);
  }
  {
    span root(p.t, "rag2");
    span chat(p.t, "chat llama3.2", span_kind::client, {{"gen_ai.response.time_to_first_chunk", 0.9}});
  }
  {
    span root(p.t, "rag3");
    span chat(p.t, "chat llama3.2", span_kind::client, {{"gen_ai.response.time_to_first_chunk", 0.2}});
  }
  REQUIRE(p.provider->force_flush());
  CHECK(p.store->find("rag").size() == 1);
  CHECK(p.store->find("rag2").size() == 1);
  CHECK(p.store->find("rag3").empty());
  span open_root(p.t, "open");
  { span failing(p.t, "failing.child"); }
  open_root.set_status(status_code::error, "late");
  p.provider->shutdown();
  CHECK(p.store->find("failing.child").empty());  // no error seen in what was held at shutdown
}

TEST_CASE("LLMTRACE_TAIL_KEEP syntax") {
  const auto o = tail_keep_options::parse(
      "errors, slow>2s, slow(chat*)>500ms, ttft>800ms, ratio=0.25, max_spans=4096, "
      "max_bytes=16m, max_wait=90s, queue=512");
  CHECK(o.errors);
  CHECK(o.slow_trace == std::chrono::seconds(2));
  REQUIRE(o.slow_spans.size() == 1);
  CHECK(o.slow_spans[0].name == "chat*");
  CHECK(o.slow_spans[0].threshold == std::chrono::milliseconds(500));
  CHECK(o.slow_ttft == std::chrono::milliseconds(800));
  CHECK(o.ratio == doctest::Approx(0.25));
  CHECK(o.max_spans == 4096);
  CHECK(o.max_bytes == 16u << 20);
  CHECK(o.max_wait == std::chrono::seconds(90));
  CHECK(o.queue_size == 512);
  std::vector<std::string> errors;
  set_error_handler([&](std::string_view m) { errors.emplace_back(m); });
  const auto bad = tail_keep_options::parse("ratio=2,slow>fast,sometimes");
  set_error_handler(nullptr);
  CHECK(errors.size() == 3);
  CHECK(bad.ratio == 0.0);
  CHECK_FALSE(bad.errors);
  ::setenv("LLMTRACE_TAIL_KEEP", "errors,ratio=0.1", 1);
  const auto env = tail_keep_options::from_env();
  ::unsetenv("LLMTRACE_TAIL_KEEP");
  REQUIRE(env);
  CHECK(env->ratio == doctest::Approx(0.1));
  CHECK_FALSE(tail_keep_options::from_env());
}

namespace {
// Records the thread each exported span arrived on.
struct tail_keep_thread_probe final : exporter {
  std::mutex mu;
  std::vector<std::thread::id> threads;
  export_result export_batch(const span_batch& spans) noexcept override {
    std::lock_guard<std::mutex> lk(mu);
    for (std::size_t i = 0; i < spans.size(); ++i) threads.push_back(std::this_thread::get_id());
    return export_result::success;
  }
};
}  // namespace

TEST_CASE("the thread ending a span only queues it: holding, deciding and forwarding run on the stage's worker") {
  auto probe = std::make_unique<tail_keep_thread_probe>();
  tail_keep_thread_probe* seen = probe.get();
  provider_options po;
  po.processors.push_back(std::make_unique<tail_keep_processor>(tail_keep_options::parse("ratio=1"),
                                                                std::make_unique<simple_processor>(std::move(probe))));
  tracer_provider provider(std::move(po));
  const auto t = provider.get_tracer("test");
  for (int i = 0; i < 10; ++i) {
    span root(t, "request");
    span child(t, "chat");
  }
  REQUIRE(provider.force_flush());
  std::lock_guard<std::mutex> lk(seen->mu);
  REQUIRE(seen->threads.size() == 20);
  for (const auto& id : seen->threads) CHECK(id != std::this_thread::get_id());
}

TEST_CASE("max_wait releases traces whose root never ends, by what is known, then the ratio") {
  pipeline p(tail_keep_options::parse("errors,ratio=0,max_wait=1m"));
  const std::int64_t now = p.provider->now();
  const std::int64_t long_ago = now - 10LL * 60 * 1'000'000'000;
  span_start_options so;
  so.make_current = false;
  so.start_time_unix_nano = long_ago - 1'000'000;
  span failing_root(p.t, "failing.open", so);  // never ends in this test
  span quiet_root(p.t, "quiet.open", so);      // never ends either
  {
    const context parent = failing_root.context();
    span_start_options co = so;
    co.parent = &parent;
    span c(p.t, "failing.child", co);
    c.set_status(status_code::error, "boom");
    c.end(long_ago);
  }
  {
    const context parent = quiet_root.context();
    span_start_options co = so;
    co.parent = &parent;
    span(p.t, "quiet.child", co).end(long_ago);
  }
  REQUIRE(p.provider->force_flush());
  // Nothing newer has ended yet: both traces are still held.
  CHECK(p.tail->tail_stats().held_spans == 2);
  CHECK(p.store->size() == 0);
  { span fresh(p.t, "fresh.child.of.nothing", span_kind::internal); }  // a root ending now (ratio 0: dropped)
  REQUIRE(p.provider->force_flush());
  const auto st = p.tail->tail_stats();
  CHECK(st.timed_out == 2);
  CHECK(st.held_spans == 0);
  CHECK(p.store->find("failing.child").size() == 1);  // its error keeps it
  CHECK(p.store->find("quiet.child").empty());        // ratio 0
  // The roots, ending later, follow the decisions taken for their traces.
  failing_root.end();
  quiet_root.end();
  REQUIRE(p.provider->force_flush());
  CHECK(p.store->find("failing.open").size() == 1);
  CHECK(p.store->find("quiet.open").empty());
}
