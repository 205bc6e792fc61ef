#include "metrics_test_support.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

using namespace llmtrace;
using namespace metrics_test;
namespace m = llmtrace::metrics;

namespace {

/// Counts exports and lets a test wait for the n-th one (no sleeps).
struct signalling_exporter final : m::metric_exporter {
  struct shared {
    std::mutex mu;
    std::condition_variable cv;
    int exports = 0;
    int shutdowns = 0;
    std::int64_t last_value = 0;
    bool block = false;  // make exports hang until released
  };
  std::shared_ptr<shared> s = std::make_shared<shared>();
  export_result export_metrics(const m::resource_metrics& rm) noexcept override {
    std::unique_lock<std::mutex> lk(s->mu);
    s->cv.wait(lk, [&] { return !s->block; });
    ++s->exports;
    if (const auto* md = rm.find("c"))
      if (!md->number_points.empty()) s->last_value = md->number_points[0].as_int;
    s->cv.notify_all();
    return export_result::success;
  }
  bool shutdown(std::chrono::milliseconds) noexcept override {
    std::lock_guard<std::mutex> lk(s->mu);
    ++s->shutdowns;
    return true;
  }
};

}  // namespace

TEST_CASE("periodic reader: force_flush exports now, shutdown exports a last time") {
  auto exp = std::make_unique<signalling_exporter>();
  auto shared = exp->s;
  m::periodic_reader_options po;
  po.interval = std::chrono::hours(1);  // only flushes export in this test
  po.timeout = std::chrono::seconds(10);
  m::meter_provider_options o;
  o.readers.push_back(std::make_unique<m::periodic_exporting_reader>(std::move(exp), po));
  auto provider = std::make_shared<m::meter_provider>(std::move(o));
  auto c = provider->get_meter("t").create_int64_counter("c");
  c.add(4);
  CHECK(provider->force_flush(std::chrono::seconds(10)));
  {
    std::lock_guard<std::mutex> lk(shared->mu);
    CHECK(shared->exports == 1);
    CHECK(shared->last_value == 4);
  }
  c.add(1);
  CHECK(provider->shutdown(std::chrono::seconds(10)));
  {
    std::lock_guard<std::mutex> lk(shared->mu);
    CHECK(shared->exports == 2);
    CHECK(shared->last_value == 5);
    CHECK(shared->shutdowns == 1);
  }
  CHECK(provider->shutdown());  // idempotent
  CHECK_FALSE(provider->force_flush(std::chrono::milliseconds(100)));
}

TEST_CASE("periodic reader exports on its interval") {
  auto exp = std::make_unique<signalling_exporter>();
  auto shared = exp->s;
  m::periodic_reader_options po;
  po.interval = std::chrono::milliseconds(20);
  m::meter_provider_options o;
  o.readers.push_back(std::make_unique<m::periodic_exporting_reader>(std::move(exp), po));
  auto provider = std::make_shared<m::meter_provider>(std::move(o));
  provider->get_meter("t").create_int64_counter("c").add(1);
  std::unique_lock<std::mutex> lk(shared->mu);
  CHECK(shared->cv.wait_for(lk, std::chrono::seconds(20), [&] { return shared->exports >= 3; }));
}

TEST_CASE("periodic reader: flush and shutdown are bounded when the exporter hangs") {
  core_test::captured_errors errors;
  auto exp = std::make_unique<signalling_exporter>();
  auto shared = exp->s;
  shared->block = true;
  m::periodic_reader_options po;
  po.interval = std::chrono::hours(1);
  m::meter_provider_options o;
  o.readers.push_back(std::make_unique<m::periodic_exporting_reader>(std::move(exp), po));
  auto provider = std::make_shared<m::meter_provider>(std::move(o));
  provider->get_meter("t").create_int64_counter("c").add(1);
  const auto t0 = std::chrono::steady_clock::now();
  CHECK_FALSE(provider->force_flush(std::chrono::milliseconds(50)));
  CHECK_FALSE(provider->shutdown(std::chrono::milliseconds(50)));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  CHECK(errors.count("final export did not finish within") == 1);
  {
    std::lock_guard<std::mutex> lk(shared->mu);
    shared->block = false;  // the abandoned worker finishes its export and exits on its own
  }
  shared->cv.notify_all();
  std::unique_lock<std::mutex> lk(shared->mu);
  CHECK(shared->cv.wait_for(lk, std::chrono::seconds(10), [&] { return shared->exports >= 1; }));
}

TEST_CASE("a reader collects nothing before it is registered or after shutdown") {
  m::manual_reader loose;
  m::resource_metrics out;
  CHECK_FALSE(loose.collect(out));
  manual_provider mp;
  mp.meter.create_int64_counter("c").add(1);
  CHECK(mp.readers[0]->collect(out));
  CHECK(mp.provider->shutdown());
  CHECK_FALSE(mp.readers[0]->collect(out));
}

namespace {

/// What the abandoned-export test shares with its exporter (outlives both the provider and the test's
/// scope: the exporter holds it too).
struct abandoned_export_gate {
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false, open = false, read_done = false, exporter_gone = false;
  std::vector<std::string> seen;  // what the export read from the collected data
};

/// Blocks in its first export until the gate opens, then reads everything collected data points to
/// (resource, scopes, attribute sets, bucket bounds), as an encoder does.
struct late_reading_metric_exporter final : m::metric_exporter {
  std::shared_ptr<abandoned_export_gate> g;
  explicit late_reading_metric_exporter(std::shared_ptr<abandoned_export_gate> gate) : g(std::move(gate)) {}
  ~late_reading_metric_exporter() override {
    std::lock_guard<std::mutex> lk(g->mu);
    g->exporter_gone = true;
    g->cv.notify_all();
  }
  export_result export_metrics(const m::resource_metrics& rm) noexcept override {
    std::unique_lock<std::mutex> lk(g->mu);
    if (g->read_done) return export_result::success;
    g->entered = true;
    g->cv.notify_all();
    g->cv.wait(lk, [&] { return g->open; });
    g->seen.push_back("resource " + std::string(rm.resource->attributes.get_string("service.name")));
    for (const auto& sc : rm.scopes) {
      g->seen.push_back("scope " + sc.scope->name + "/" + sc.scope->version);
      for (const auto& md : sc.metrics) {
        for (const auto& p : md.number_points)
          g->seen.push_back(md.name + " " + std::string(p.attributes->get_string("route")) + " " +
                            std::to_string(p.as_int));
        for (const auto& p : md.histogram_points) {
          std::string b;
          for (double x : *p.bounds) b += std::to_string(static_cast<int>(x)) + ",";
          g->seen.push_back(md.name + " " + std::string(p.attributes->get_string("route")) + " " +
                            std::to_string(p.count) + " [" + b + "]");
        }
      }
    }
    g->read_done = true;
    g->cv.notify_all();
    return export_result::success;
  }
};

}  // namespace

TEST_CASE(
    "periodic reader: an export abandoned by a timed-out shutdown still reads the provider's data after the provider "
    "is gone") {
  // Before: the provider owned its resource, scopes and instruments (attribute sets, bounds) outright,
  // so the abandoned worker read freed memory once the provider was destroyed (ASan:
  // heap-use-after-free). Now the worker shares the provider's registry and the reader's link.
  core_test::captured_errors errors;
  auto gate = std::make_shared<abandoned_export_gate>();
  {
    m::periodic_reader_options po;
    po.interval = std::chrono::hours(1);
    po.timeout = std::chrono::milliseconds(50);
    m::meter_provider_options o;
    o.resource = make_resource({{"service.name", "abandoned-metrics"}});
    o.readers.push_back(
        std::make_unique<m::periodic_exporting_reader>(std::make_unique<late_reading_metric_exporter>(gate), po));
    auto provider = std::make_unique<m::meter_provider>(std::move(o));
    auto meter = provider->get_meter("abandoned.scope", "3.1");
    meter.create_int64_counter("reqs").add(3, {{"route", "/chat"}});
    meter.create_double_histogram("lat", "s", "", {{1, 2, 4}}).record(3, {{"route", "/embed"}});
    CHECK_FALSE(provider->force_flush(std::chrono::milliseconds(50)));  // the worker is in the export now
    {
      std::unique_lock<std::mutex> lk(gate->mu);
      REQUIRE(gate->cv.wait_for(lk, std::chrono::seconds(10), [&] { return gate->entered; }));
    }
    CHECK_FALSE(provider->shutdown(std::chrono::milliseconds(50)));
    CHECK(errors.count("final export did not finish within") == 1);
  }  // the provider, its meters, instruments and reader are destroyed here; the export is in flight
  std::unique_lock<std::mutex> lk(gate->mu);
  gate->open = true;
  gate->cv.notify_all();
  REQUIRE(gate->cv.wait_for(lk, std::chrono::seconds(10), [&] { return gate->read_done; }));
  CHECK(gate->seen == std::vector<std::string>{"resource abandoned-metrics", "scope abandoned.scope/3.1",
                                               "reqs /chat 3", "lat /embed 1 [1,2,4,]"});
  // The worker releases the registry and then the exporter as it returns.
  CHECK(gate->cv.wait_for(lk, std::chrono::seconds(10), [&] { return gate->exporter_gone; }));
}
