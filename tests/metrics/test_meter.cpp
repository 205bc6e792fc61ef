#include "metrics_test_support.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

using namespace llmtrace;
using namespace metrics_test;
namespace m = llmtrace::metrics;

namespace {
std::atomic<std::int64_t> fake_now{1000};
std::int64_t fake_clock() noexcept { return fake_now.load(); }
}  // namespace

TEST_CASE("the global meter provider is never null and is a no-op until set") {
  m::set_global_meter_provider(nullptr);
  auto meter = m::get_meter("x");
  CHECK_FALSE(meter.enabled());
  auto c = meter.create_int64_counter("requests");
  CHECK_FALSE(c.enabled());
  c.add(1, {{"k", "v"}});  // records nothing, does not crash

  manual_provider mp;
  m::set_global_meter_provider(mp.provider);
  CHECK(&m::global_meter_provider() == mp.provider.get());
  auto live = m::get_meter("x").create_int64_counter("requests");
  CHECK(live.enabled());
  live.add(2);
  CHECK(number(mp.collect(), "requests").as_int == 2);
  m::set_global_meter_provider(nullptr);
  CHECK_FALSE(m::global_meter_provider().enabled());
}

TEST_CASE("counters sum per attribute set, whatever the order of the attributes") {
  manual_provider mp;
  auto c = mp.meter.create_int64_counter("tokens", "{token}", "tokens used");
  c.add(3, {{"model", "a"}, {"kind", "in"}});
  c.add(4, {{"kind", "in"}, {"model", "a"}});
  c.add(10, {{"model", "b"}, {"kind", "in"}});
  auto d = mp.meter.create_double_counter("seconds", "s");
  d.add(0.25);
  d.add(0.5);
  const auto rm = mp.collect();
  const auto* md = rm.find("tokens");
  REQUIRE(md);
  CHECK(md->unit == "{token}");
  CHECK(md->description == "tokens used");
  CHECK(md->type == m::metric_type::sum);
  CHECK(md->is_monotonic);
  CHECK(md->temporality == m::aggregation_temporality::cumulative);
  REQUIRE(md->number_points.size() == 2);
  CHECK(number(rm, "tokens", "model", "a").as_int == 7);
  CHECK(number(rm, "tokens", "model", "b").as_int == 10);
  CHECK(number(rm, "seconds").as_double == doctest::Approx(0.75));
  CHECK_FALSE(number(rm, "seconds").is_int);
  REQUIRE(rm.scopes.size() == 1);
  CHECK(rm.scopes[0].scope->name == "test");
  CHECK(rm.scopes[0].scope->version == "1.0");
  CHECK(rm.resource == &mp.provider->resource());
}

TEST_CASE("the same name gives the same instrument; up-down counters go down") {
  manual_provider mp;
  auto a = mp.meter.create_int64_counter("Requests");
  auto b = mp.meter.create_int64_counter("requests");
  a.add(1);
  b.add(1);
  auto q = mp.meter.create_int64_up_down_counter("queue");
  q.add(5);
  q.add(-7);
  const auto rm = mp.collect();
  CHECK(number(rm, "Requests").as_int == 2);
  CHECK(number(rm, "queue").as_int == -2);
  CHECK_FALSE(rm.find("queue")->is_monotonic);
}

TEST_CASE("invalid values and names are reported once and dropped") {
  core_test::captured_errors errors;
  manual_provider mp;
  auto c = mp.meter.create_int64_counter("c");
  c.add(-1);
  c.add(-2);
  c.add(5);
  auto h = mp.meter.create_double_histogram("h");
  h.record(-1.0);
  h.record(std::numeric_limits<double>::quiet_NaN());
  auto bad = mp.meter.create_int64_counter("1bad name");
  CHECK_FALSE(bad.enabled());
  const auto rm = mp.collect();
  CHECK(number(rm, "c").as_int == 5);
  CHECK(rm.find("h") == nullptr);  // nothing valid recorded
  CHECK(errors.count("metric c:") == 1);
  CHECK(errors.count("metric h:") == 1);
  CHECK(errors.count("invalid instrument name '1bad name'") == 1);
}

TEST_CASE("histogram: a value equal to a bound falls in the bucket that bound closes") {
  manual_provider mp;
  auto h = mp.meter.create_double_histogram("latency", "s", "", {{1.0, 2.0, 5.0}});
  for (double v : {0.0, 1.0, 1.5, 2.0, 5.0, 5.0001, 100.0}) h.record(v, {{"op", "chat"}});
  const auto rm = mp.collect();
  const auto& p = hist(rm, "latency");
  CHECK(rm.find("latency")->type == m::metric_type::histogram);
  REQUIRE(p.bounds);
  CHECK(*p.bounds == std::vector<double>{1.0, 2.0, 5.0});
  CHECK(p.bucket_counts == std::vector<std::uint64_t>{2, 2, 1, 2});
  CHECK(p.count == 7);
  CHECK(p.sum == doctest::Approx(114.5001));
  CHECK(p.min == 0.0);
  CHECK(p.max == 100.0);
  CHECK(attr(p.attributes, "op") == "chat");
}

TEST_CASE("histograms without advice use the SDK's default bounds; bad advice is reported") {
  core_test::captured_errors errors;
  manual_provider mp;
  auto h = mp.meter.create_int64_histogram("sizes");
  h.record(7);
  auto bad = mp.meter.create_double_histogram("bad", "", "", {{2.0, 1.0}});
  bad.record(1.0);
  const auto rm = mp.collect();
  CHECK(*hist(rm, "sizes").bounds == m::default_histogram_bounds());
  CHECK(hist(rm, "sizes").bucket_counts[2] == 1);  // (5, 10]
  CHECK(*hist(rm, "bad").bounds == m::default_histogram_bounds());
  CHECK(errors.count("must increase strictly") == 1);
}

TEST_CASE("cumulative and delta readers of one provider, with start times") {
  fake_now = 1000;
  m::meter_provider_options o;
  o.clock = fake_clock;
  manual_provider mp({m::temporality_preference::cumulative, m::temporality_preference::delta}, std::move(o));
  auto c = mp.meter.create_int64_counter("c");
  auto u = mp.meter.create_int64_up_down_counter("u");
  auto h = mp.meter.create_double_histogram("h", "", "", {{10.0}});

  c.add(5);
  u.add(2);
  h.record(1.0);
  h.record(20.0);
  fake_now = 2000;
  auto cum1 = mp.collect(0);
  auto del1 = mp.collect(1);
  CHECK(number(cum1, "c").as_int == 5);
  CHECK(number(cum1, "c").start_time_unix_nano == 1000);
  CHECK(number(cum1, "c").time_unix_nano == 2000);
  CHECK(number(del1, "c").as_int == 5);
  CHECK(number(del1, "c").start_time_unix_nano == 1000);
  CHECK(del1.find("c")->temporality == m::aggregation_temporality::delta);
  CHECK(del1.find("u")->temporality == m::aggregation_temporality::cumulative);  // up-down: always cumulative
  CHECK(hist(del1, "h").count == 2);
  CHECK(hist(del1, "h").min == 1.0);
  CHECK(hist(del1, "h").max == 20.0);

  c.add(3);
  h.record(4.0);
  fake_now = 3000;
  auto cum2 = mp.collect(0);
  auto del2 = mp.collect(1);
  CHECK(number(cum2, "c").as_int == 8);
  CHECK(number(cum2, "c").start_time_unix_nano == 1000);
  CHECK(number(del2, "c").as_int == 3);
  CHECK(number(del2, "c").start_time_unix_nano == 2000);  // the previous collection
  CHECK(number(del2, "c").time_unix_nano == 3000);
  const auto& hc = hist(cum2, "h");
  CHECK(hc.count == 3);
  CHECK(hc.bucket_counts == std::vector<std::uint64_t>{2, 1});
  CHECK(hc.min == 1.0);  // lifetime extremes, though the delta reader consumed the interval's first
  CHECK(hc.max == 20.0);
  const auto& hd = hist(del2, "h");
  CHECK(hd.count == 1);
  CHECK(hd.bucket_counts == std::vector<std::uint64_t>{1, 0});
  CHECK(hd.sum == 4.0);
  CHECK(hd.min == 4.0);
  CHECK(hd.max == 4.0);
  CHECK(hd.start_time_unix_nano == 2000);

  // An interval without measurements: the delta reader exports no point, the cumulative one still does.
  fake_now = 4000;
  auto cum3 = mp.collect(0);
  auto del3 = mp.collect(1);
  CHECK(number(cum3, "c").as_int == 8);
  CHECK(del3.find("c") == nullptr);
  CHECK(del3.find("h") == nullptr);
  CHECK(number(del3, "u").as_int == 2);
}

TEST_CASE("past the cardinality limit measurements go to the overflow series, reported once") {
  core_test::captured_errors errors;
  m::meter_provider_options o;
  o.cardinality_limit = 3;  // two attribute sets plus the overflow series
  manual_provider mp({m::temporality_preference::cumulative}, std::move(o));
  auto c = mp.meter.create_int64_counter("c");
  c.add(1, {{"k", "a"}});
  c.add(1, {{"k", "b"}});
  c.add(1, {{"k", "c"}});
  c.add(1, {{"k", "d"}});
  c.add(1, {{"k", "a"}});  // a known set still gets its own series
  const auto rm = mp.collect();
  const auto* md = rm.find("c");
  REQUIRE(md->number_points.size() == 3);
  CHECK(number(rm, "c", "k", "a").as_int == 2);
  CHECK(number(rm, "c", "k", "b").as_int == 1);
  const m::number_point* overflow = nullptr;
  for (const auto& p : md->number_points) {
    attribute_value v;
    if (p.attributes->find("otel.metric.overflow", v)) {
      CHECK(v.as_bool());
      CHECK(p.attributes->size() == 1);
      overflow = &p;
    }
  }
  REQUIRE(overflow);
  CHECK(overflow->as_int == 2);
  CHECK(errors.count("otel.metric.overflow") == 1);
}

TEST_CASE("exemplars follow OTEL_METRICS_EXEMPLAR_FILTER and name the span they were recorded in") {
  core_test::recording_provider tracing;
  SUBCASE("trace_based: only inside a sampled span") {
    manual_provider mp;
    auto h = mp.meter.create_double_histogram("d", "s", "", {{1.0, 10.0}});
    h.record(0.5);  // no span: no exemplar
    span_context sc;
    {
      span s(tracing.tracer, "work");
      sc = s.span_context();
      h.record(5.0);
    }
    {
      core_test::recording_provider off(sampler::always_off());
      span s(off.tracer, "unsampled");
      h.record(50.0);  // unsampled span: no exemplar
    }
    const auto rm = mp.collect();
    const auto& p = hist(rm, "d");
    REQUIRE(p.exemplars.size() == 1);
    CHECK(p.exemplars[0].value == 5.0);
    CHECK(p.exemplars[0].trace_id == sc.trace_id);
    CHECK(p.exemplars[0].span_id == sc.span_id);
    CHECK(p.exemplars[0].time_unix_nano > 0);
    CHECK(tracing.only("work").context.span_id == sc.span_id);             // it names an exported span
    CHECK(mp.collect().find("d")->histogram_points[0].exemplars.empty());  // not repeated next time
  }
  SUBCASE("always_on and always_off") {
    m::meter_provider_options on;
    on.exemplar_filter = m::exemplar_filter::always_on;
    manual_provider a({m::temporality_preference::cumulative}, std::move(on));
    auto ha = a.meter.create_double_histogram("d", "", "", {{1.0}});
    ha.record(0.5);
    const auto ra = a.collect();
    REQUIRE(hist(ra, "d").exemplars.size() == 1);
    CHECK_FALSE(hist(ra, "d").exemplars[0].trace_id.valid());

    m::meter_provider_options off;
    off.exemplar_filter = m::exemplar_filter::always_off;
    manual_provider b({m::temporality_preference::cumulative}, std::move(off));
    auto hb = b.meter.create_double_histogram("d", "", "", {{1.0}});
    span s(tracing.tracer, "work");
    hb.record(0.5);
    CHECK(hist(b.collect(), "d").exemplars.empty());
  }
}

TEST_CASE("observable instruments: callbacks run at each collection; only observed series are exported") {
  fake_now = 10;
  m::meter_provider_options o;
  o.clock = fake_clock;
  manual_provider mp({m::temporality_preference::cumulative, m::temporality_preference::delta}, std::move(o));
  std::int64_t total = 100;
  bool second_series = true;
  int calls = 0;
  mp.meter.create_int64_observable_counter(
      "bytes",
      [&](m::observer& obs) {
        ++calls;
        obs.observe(total, {{"dir", "in"}});
        if (second_series) obs.observe(std::int64_t{7}, {{"dir", "out"}});
      },
      "By");
  mp.meter.create_double_observable_gauge("temp", [](m::observer& obs) { obs.observe(21.5); });
  mp.meter.create_int64_observable_up_down_counter("inflight", [](m::observer& obs) { obs.observe(3); });
  mp.meter.create_int64_observable_gauge("boom", [](m::observer&) { throw std::runtime_error("callback failed"); });

  core_test::captured_errors errors;
  fake_now = 20;
  auto cum1 = mp.collect(0);
  auto del1 = mp.collect(1);
  CHECK(calls == 2);
  CHECK(number(cum1, "bytes", "dir", "in").as_int == 100);
  CHECK(number(del1, "bytes", "dir", "in").as_int == 100);  // the first delta covers everything since start
  CHECK(number(cum1, "temp").as_double == 21.5);
  CHECK(cum1.find("temp")->type == m::metric_type::gauge);
  CHECK(number(cum1, "temp").start_time_unix_nano == 0);
  CHECK(number(del1, "inflight").as_int == 3);
  CHECK(cum1.find("boom") == nullptr);
  CHECK(errors.count("callback failed") == 2);

  total = 130;
  second_series = false;
  fake_now = 30;
  auto cum2 = mp.collect(0);
  auto del2 = mp.collect(1);
  CHECK(number(cum2, "bytes", "dir", "in").as_int == 130);
  CHECK(number(del2, "bytes", "dir", "in").as_int == 30);
  CHECK(number(del2, "bytes", "dir", "in").start_time_unix_nano == 20);
  CHECK(cum2.find("bytes")->number_points.size() == 1);  // "out" was not observed this time
}

TEST_CASE("concurrent recording from several threads gives exact totals") {
  manual_provider mp;
  auto c = mp.meter.create_int64_counter("c");
  auto d = mp.meter.create_double_counter("d");
  auto h = mp.meter.create_double_histogram("h", "", "", {{0.5, 1.5}});
  constexpr int threads = 4, per_thread = 20000;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      const std::string model = t % 2 ? "a" : "b";
      for (int i = 0; i < per_thread; ++i) {
        c.add(1, {{"model", model}, {"op", "chat"}});
        d.add(0.5, {{"model", model}});
        h.record(i % 2 ? 1.0 : 2.0, {{"model", model}});
      }
    });
  for (auto& t : pool) t.join();
  const auto rm = mp.collect();
  CHECK(number(rm, "c", "model", "a").as_int == 2 * per_thread);
  CHECK(number(rm, "c", "model", "b").as_int == 2 * per_thread);
  CHECK(number(rm, "d", "model", "a").as_double == doctest::Approx(per_thread));
  const auto& ha = hist(rm, "h", "model", "a");
  CHECK(ha.count == 2 * per_thread);
  CHECK(ha.bucket_counts == std::vector<std::uint64_t>{0, per_thread, per_thread});
  CHECK(ha.sum == 3.0 * per_thread);
  CHECK(ha.min == 1.0);
  CHECK(ha.max == 2.0);
}

TEST_CASE("collection while recording loses nothing (run under TSan)") {
  manual_provider mp({m::temporality_preference::delta});
  auto c = mp.meter.create_int64_counter("c");
  auto h = mp.meter.create_double_histogram("h", "", "", {{1.0}});
  constexpr int writers = 2, per_thread = 30000;
  std::vector<std::thread> pool;
  for (int t = 0; t < writers; ++t)
    pool.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        c.add(1, {{"w", static_cast<std::int64_t>(i % 8)}});
        h.record(0.5, {{"t", static_cast<std::int64_t>(t)}});
      }
    });
  std::int64_t counted = 0;
  std::uint64_t hist_count = 0;
  double hist_sum = 0;
  auto drain = [&] {
    const auto rm = mp.collect();
    if (const auto* md = rm.find("c"))
      for (const auto& p : md->number_points) counted += p.as_int;
    if (const auto* md = rm.find("h"))
      for (const auto& p : md->histogram_points) {
        hist_count += p.count;
        hist_sum += p.sum;
      }
  };
  int collections = 0;
  while (collections < 200) {
    drain();
    ++collections;
  }
  for (auto& t : pool) t.join();
  drain();  // the rest
  CHECK(counted == writers * per_thread);
  CHECK(hist_count == writers * per_thread);
  CHECK(hist_sum == doctest::Approx(0.5 * writers * per_thread));
}
