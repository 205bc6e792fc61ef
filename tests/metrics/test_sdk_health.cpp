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
