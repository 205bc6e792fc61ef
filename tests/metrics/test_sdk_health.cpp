// llmtrace's own health as observable instruments (metrics/sdk_health.hpp): spans exported, dropped
// by cause, failed exports and queue use, read from the global tracer provider's batch processor at
// each collection.
#include "metrics_test_support.hpp"

#include <llmtrace/batch_processor.hpp>
#include <llmtrace/metrics/sdk_health.hpp>
#include <llmtrace/provider.hpp>
#include <llmtrace/span.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <mutex>

using namespace metrics_test;

namespace {

/// Succeeds or fails every export, as told.
class switch_exporter final : public llmtrace::exporter {
 public:
  explicit switch_exporter(std::shared_ptr<std::atomic<bool>> fail) : fail_(std::move(fail)) {}
  llmtrace::export_result export_batch(const llmtrace::span_batch&) noexcept override {
    return fail_->load() ? llmtrace::export_result::failure : llmtrace::export_result::success;
  }

 private:
  std::shared_ptr<std::atomic<bool>> fail_;
};

std::int64_t value(const m::resource_metrics& rm, std::string_view name, std::string_view reason = {}) {
  return number(rm, name, reason.empty() ? std::string_view() : llmtrace::semconv::llmtrace_drop_reason, reason).as_int;
}

}  // namespace

TEST_CASE("observe_sdk_health: exported, dropped by cause, failed exports, queued") {
  auto fail = std::make_shared<std::atomic<bool>>(false);
  llmtrace::provider_options po;
  po.processors.push_back(
      std::make_unique<llmtrace::batch_processor>(std::make_unique<switch_exporter>(fail), llmtrace::batch_options{}));
  auto tp = std::make_shared<llmtrace::tracer_provider>(std::move(po));
  llmtrace::set_global_provider(tp);

  manual_provider mp;
  CHECK(m::observe_sdk_health(*mp.provider));
  CHECK(m::observe_sdk_health(*mp.provider));  // a second registration does nothing

  const auto t = tp->get_tracer("test");
  for (int i = 0; i < 5; ++i) llmtrace::span(t, "ok").end();
  REQUIRE(tp->force_flush(std::chrono::seconds(10)));
  fail->store(true);
  for (int i = 0; i < 3; ++i) llmtrace::span(t, "lost").end();
  (void)tp->force_flush(std::chrono::seconds(10));  // the export fails: the batch is dropped

  const auto rm = mp.collect();
  const auto* exported = rm.find("llmtrace.sdk.spans.exported");
  REQUIRE(exported);
  CHECK(exported->unit == "{span}");
  CHECK(exported->type == m::metric_type::sum);
  CHECK(exported->is_monotonic);
  CHECK(value(rm, "llmtrace.sdk.spans.exported") == 5);
  CHECK(value(rm, "llmtrace.sdk.spans.dropped", "export_failed") == 3);
  CHECK(value(rm, "llmtrace.sdk.spans.dropped", "queue_full") == 0);
  CHECK(value(rm, "llmtrace.sdk.spans.dropped", "shutdown") == 0);
  CHECK(value(rm, "llmtrace.sdk.spans.export.failures") >= 1);
  CHECK(value(rm, "llmtrace.sdk.spans.queued") == 0);
  CHECK_FALSE(rm.find("llmtrace.sdk.spans.queued")->is_monotonic);
  // Log records: the no-op logger provider counts nothing.
  CHECK(value(rm, "llmtrace.sdk.log_records.exported") == 0);

  llmtrace::set_global_provider(nullptr);
  tp->shutdown();
  CHECK_FALSE(m::observe_sdk_health(*m::meter_provider::make_noop()));
}

namespace {

/// A metric exporter that fails when told and remembers how many points each export carried.
struct health_points_exporter final : m::metric_exporter {
  struct tally {
    std::mutex mu;
    bool fail = false;
    std::int64_t ok_points = 0, failed_points = 0, failed_calls = 0;
  };
  std::shared_ptr<tally> t;
  explicit health_points_exporter(std::shared_ptr<tally> shared) : t(std::move(shared)) {}
  llmtrace::export_result export_metrics(const m::resource_metrics& rm) noexcept override {
    std::lock_guard<std::mutex> lk(t->mu);
    const auto n = static_cast<std::int64_t>(rm.point_count());
    if (t->fail) {
      t->failed_points += n;
      ++t->failed_calls;
      return llmtrace::export_result::failure;
    }
    t->ok_points += n;
    return llmtrace::export_result::success;
  }
};

}  // namespace

TEST_CASE("observe_sdk_health: metric points exported and dropped by the periodic reader, failed exports") {
  auto tally = std::make_shared<health_points_exporter::tally>();
  m::periodic_reader_options po;
  po.interval = std::chrono::hours(1);  // only flushes export
  m::meter_provider_options o;
  o.readers.push_back(
      std::make_unique<m::periodic_exporting_reader>(std::make_unique<health_points_exporter>(tally), po));
  auto manual = std::make_unique<m::manual_reader>();
  m::metric_reader* inspect = manual.get();
  o.readers.push_back(std::move(manual));
  auto provider = std::make_shared<m::meter_provider>(std::move(o));
  REQUIRE(m::observe_sdk_health(
      *provider, [] { return llmtrace::processor_stats{}; }, [] { return llmtrace::processor_stats{}; }));
  auto c = provider->get_meter("app").create_int64_counter("app.calls");
  c.add(1, {{"route", "/a"}});
  c.add(1, {{"route", "/b"}});
  REQUIRE(provider->force_flush(std::chrono::seconds(10)));
  REQUIRE(provider->force_flush(std::chrono::seconds(10)));
  {
    std::lock_guard<std::mutex> lk(tally->mu);
    tally->fail = true;
  }
  CHECK_FALSE(provider->force_flush(std::chrono::seconds(10)));

  m::resource_metrics rm;
  REQUIRE(inspect->collect(rm));
  std::lock_guard<std::mutex> lk(tally->mu);
  REQUIRE(tally->ok_points > 2);  // the app's two series and the health instruments, twice
  REQUIRE(tally->failed_calls == 1);
  const auto* exported = rm.find("llmtrace.sdk.metric_points.exported");
  REQUIRE(exported);
  CHECK(exported->unit == "{data_point}");
  CHECK(exported->is_monotonic);
  CHECK(value(rm, "llmtrace.sdk.metric_points.exported") == tally->ok_points);
  CHECK(value(rm, "llmtrace.sdk.metric_points.dropped", "export_failed") == tally->failed_points);
  CHECK(rm.find("llmtrace.sdk.metric_points.dropped")->number_points.size() == 1);  // no queue: no other cause
  CHECK(value(rm, "llmtrace.sdk.metric_points.export.failures") == 1);
  CHECK(rm.find("llmtrace.sdk.metric_points.queued") == nullptr);
  const auto stats = provider->stats();
  CHECK(stats.exported == static_cast<std::uint64_t>(tally->ok_points));
  CHECK(stats.dropped() == static_cast<std::uint64_t>(tally->failed_points));
  CHECK(stats.export_failures == 1);
}
