// llmtrace/metrics/reader.hpp: metric readers. A reader is registered with one meter provider and
// collects from it: on demand (manual_reader, e.g. a Prometheus scrape) or on a schedule
// (periodic_exporting_reader: one background thread, bounded force_flush and shutdown).
// Thread-safety: collect, force_flush and shutdown are safe from any thread.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/error.hpp>
#include <llmtrace/metrics/data.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

LLMTRACE_BEGIN_NAMESPACE
namespace metrics {

class metric_reader;

namespace detail {
/// What a reader collects from (the meter provider).
class metric_producer {
 public:
  virtual ~metric_producer() = default;
  /// Fills `out` with the metrics for reader slot `slot`; false after shutdown.
  virtual bool produce(std::size_t slot, const metric_reader& reader, resource_metrics& out) noexcept = 0;
};
}  // namespace detail

/// Collects metrics from the meter provider it is registered with (through meter_provider_options).
class metric_reader {
 public:
  virtual ~metric_reader() = default;
  metric_reader() = default;
  metric_reader(const metric_reader&) = delete;
  metric_reader& operator=(const metric_reader&) = delete;

  /// The temporality this reader wants for an instrument kind.
  virtual aggregation_temporality temporality(instrument_kind kind) const noexcept = 0;

  /// Collects now into `out`; false when the reader is not registered or was shut down.
  bool collect(resource_metrics& out) noexcept {
    std::lock_guard<std::mutex> lk(attach_mu_);
    return producer_ && producer_->produce(slot_, *this, out);
  }

  /// Exports what is collectable now (pull readers: nothing to do).
  virtual bool force_flush(std::chrono::milliseconds /*timeout*/) noexcept { return true; }
  /// Stops the reader (a final export for push readers); collect() fails afterwards.
  virtual bool shutdown(std::chrono::milliseconds /*timeout*/) noexcept {
    detach();
    return true;
  }

  /// Called by the meter provider when it registers this reader.
  void attach(detail::metric_producer* producer, std::size_t slot) noexcept {
    {
      std::lock_guard<std::mutex> lk(attach_mu_);
      producer_ = producer;
      slot_ = slot;
    }
    on_attached();
  }

 protected:
  /// A push reader starts its thread here.
  virtual void on_attached() noexcept {}
  /// Forgets the provider (waits for a collection in progress).
  void detach() noexcept {
    std::lock_guard<std::mutex> lk(attach_mu_);
    producer_ = nullptr;
  }

 private:
  std::mutex attach_mu_;
  detail::metric_producer* producer_ = nullptr;
  std::size_t slot_ = 0;
};

/// A reader that collects only when asked (collect()): for pull exporters and tests.
class manual_reader final : public metric_reader {
 public:
  explicit manual_reader(temporality_preference p = temporality_preference::cumulative) noexcept : pref_(p) {}
  aggregation_temporality temporality(instrument_kind kind) const noexcept override {
    return temporality_for(pref_, kind);
  }

 private:
  temporality_preference pref_;
};

/// OTEL_METRIC_EXPORT_INTERVAL / OTEL_METRIC_EXPORT_TIMEOUT.
struct periodic_reader_options {
  std::chrono::milliseconds interval{60000};  ///< between the starts of two exports
  std::chrono::milliseconds timeout{30000};   ///< bounds one export, force_flush and shutdown waits
};

/// Collects and exports on one background thread every `interval`; force_flush exports now and
/// shutdown exports a last time, each waiting at most the timeout.
class periodic_exporting_reader final : public metric_reader {
 public:
  explicit periodic_exporting_reader(std::unique_ptr<metric_exporter> exporter, periodic_reader_options options = {})
      : st_(std::make_shared<state>(std::move(exporter), options)) {}
  ~periodic_exporting_reader() override { shutdown(st_->opt.timeout); }

  aggregation_temporality temporality(instrument_kind kind) const noexcept override {
    return st_->exp ? st_->exp->temporality(kind) : aggregation_temporality::cumulative;
  }

  /// Collects and exports now; false when that did not finish within `timeout` or failed.
  bool force_flush(std::chrono::milliseconds timeout) noexcept override {
    auto& st = *st_;
    try {
      std::unique_lock<std::mutex> lk(st.mu);
      if (st.stopping || !st.worker.joinable()) return false;
      const std::uint64_t target = ++st.flush_requested;
      st.wake.notify_all();
      const bool done = st.done.wait_for(lk, timeout, [&] { return st.flush_completed >= target || st.finished; });
      return done && st.flush_completed >= target && st.last_ok;
    } catch (...) {
      return false;
    }
  }

  /// A final collection and export, then the thread stops; waits at most `timeout`. Idempotent.
  bool shutdown(std::chrono::milliseconds timeout) noexcept override {
    auto& st = *st_;
    bool done = true;
    try {
      std::unique_lock<std::mutex> lk(st.mu);
      if (!st.stopping) {
        st.stopping = true;
        st.wake.notify_all();
      }
      if (st.worker.joinable()) {
        done = st.done.wait_for(lk, timeout, [&] { return st.finished; });
        lk.unlock();
        if (done)
          st.worker.join();
        else {
          detail_report_timeout(timeout);
          lk.lock();
          st.abandoned = true;  // the worker keeps `st` alive and returns after the export in progress
          lk.unlock();
          st.worker.detach();
        }
      }
    } catch (...) {
      done = false;
    }
    detach();
    return done && st.last_ok;
  }

  /// Exports that failed so far.
  std::uint64_t failed_exports() const noexcept { return st_->failures.load(std::memory_order_relaxed); }

 private:
  struct state {
    state(std::unique_ptr<metric_exporter> e, periodic_reader_options o) : exp(std::move(e)), opt(o) {
      if (opt.interval.count() <= 0) opt.interval = std::chrono::milliseconds(60000);
    }
    std::unique_ptr<metric_exporter> exp;
    periodic_reader_options opt;
    std::mutex mu;
    std::condition_variable wake, done;
    std::thread worker;
    bool stopping = false, finished = false, abandoned = false, last_ok = true;
    std::uint64_t flush_requested = 0, flush_completed = 0;
    std::atomic<std::uint64_t> failures{0};
  };

  static void detail_report_timeout(std::chrono::milliseconds timeout) noexcept {
    llmtrace::detail::report_error("metric reader: the final export did not finish within " +
                                   std::to_string(timeout.count()) + " ms; abandoned");
  }

  void on_attached() noexcept override {
    auto st = st_;
    try {
      std::lock_guard<std::mutex> lk(st->mu);
      if (st->worker.joinable() || st->stopping) return;
      st->worker = std::thread([this, st] { run(*st); });
    } catch (...) {
      llmtrace::detail::report_error("metric reader: could not start its thread; metrics are not exported");
    }
  }

  /// One collection and export (the worker thread only).
  bool export_once(state& st, resource_metrics& data) noexcept {
    if (!collect(data)) return true;  // detached: nothing to export
    if (data.empty() || !st.exp) return true;
    const bool ok = st.exp->export_metrics(data) == export_result::success;
    if (!ok) st.failures.fetch_add(1, std::memory_order_relaxed);
    return ok;
  }

  void run(state& st) noexcept {
    resource_metrics data;
    std::unique_lock<std::mutex> lk(st.mu);
    auto next = std::chrono::steady_clock::now() + st.opt.interval;
    while (true) {
      st.wake.wait_until(lk, next, [&] { return st.stopping || st.flush_requested > st.flush_completed; });
      const bool stop = st.stopping;
      const std::uint64_t target = st.flush_requested;
      lk.unlock();
      const bool ok = export_once(st, data);
      if (stop && st.exp) st.exp->shutdown(st.opt.timeout);
      lk.lock();
      if (st.abandoned) return;  // the reader (and `this`) may be gone
      st.last_ok = ok;
      st.flush_completed = target;
      if (stop) {
        st.finished = true;
        st.done.notify_all();
        return;
      }
      st.done.notify_all();
      if (std::chrono::steady_clock::now() >= next) next = std::chrono::steady_clock::now() + st.opt.interval;
    }
  }

  std::shared_ptr<state> st_;
};

}  // namespace metrics
LLMTRACE_END_NAMESPACE
