// llmtrace/metrics/reader.hpp: metric readers. A reader is registered with one meter provider and
// collects from it: on demand (manual_reader, e.g. a Prometheus scrape) or on a schedule
// (periodic_exporting_reader: one background thread, bounded force_flush and shutdown). A worker
// abandoned by a timed-out shutdown shares ownership of everything it may still touch (the reader's
// link to the provider, the provider's registry), so it never reads a destroyed reader or provider.
// Thread-safety: collect, force_flush and shutdown are safe from any thread.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/error.hpp>
#include <llmtrace/metrics/data.hpp>
#include <llmtrace/processor.hpp>

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

/// A reader's registration with its producer, shared with the reader's export worker: a worker that
/// outlives its reader (abandoned by a timed-out shutdown) finds it detached instead of reading freed
/// memory. Thread-safety: every member is read and written under `mu`.
struct reader_link {
  std::mutex mu;
  metric_producer* producer = nullptr;  ///< null until attached and after shutdown
  const metric_reader* reader = nullptr;
  std::size_t slot = 0;
  /// Collects into `out`; false when detached. Holding `mu` makes a detach wait for it.
  bool collect(resource_metrics& out) noexcept {
    std::lock_guard<std::mutex> lk(mu);
    return producer && producer->produce(slot, *reader, out);
  }
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
  bool collect(resource_metrics& out) noexcept { return link_->collect(out); }

  /// Exports what is collectable now (pull readers: nothing to do).
  virtual bool force_flush(std::chrono::milliseconds /*timeout*/) noexcept { return true; }
  /// Stops the reader (a final export for push readers); collect() fails afterwards.
  virtual bool shutdown(std::chrono::milliseconds /*timeout*/) noexcept {
    detach();
    return true;
  }
  /// Metric points this reader exported and dropped, and its failed exports (push readers; a pull
  /// reader reports zeros). `queued` and the queue and shutdown drops are always 0: no queue.
  virtual processor_stats stats() const noexcept { return {}; }

  /// Called by the meter provider when it registers this reader.
  void attach(detail::metric_producer* producer, std::size_t slot) noexcept {
    {
      std::lock_guard<std::mutex> lk(link_->mu);
      link_->producer = producer;
      link_->reader = this;
      link_->slot = slot;
    }
    on_attached();
  }
  /// Called once by the meter provider before attach(): `owner` keeps alive what collected data
  /// points to (resource, scopes, attribute sets, bucket bounds). A reader that exports on its own
  /// thread keeps it for as long as that thread may still read collected data, even past a shutdown
  /// that timed out.
  virtual void retain_while_exporting(std::shared_ptr<const void> /*owner*/) noexcept {}

 protected:
  /// A push reader starts its thread here.
  virtual void on_attached() noexcept {}
  /// Forgets the provider (waits for a collection in progress).
  void detach() noexcept {
    std::lock_guard<std::mutex> lk(link_->mu);
    link_->producer = nullptr;
  }
  /// The registration, for a worker thread that may outlive this reader.
  const std::shared_ptr<detail::reader_link>& link() const noexcept { return link_; }

 private:
  std::shared_ptr<detail::reader_link> link_ = std::make_shared<detail::reader_link>();
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
  /// Points in successful exports (exported), points in failed ones (dropped_export), failed exports.
  processor_stats stats() const noexcept override {
    processor_stats s;
    s.exported = st_->exported_points.load(std::memory_order_relaxed);
    s.dropped_export = st_->dropped_points.load(std::memory_order_relaxed);
    s.export_failures = st_->failures.load(std::memory_order_relaxed);
    return s;
  }
  /// The worker keeps `owner` (the provider's registry) until it returns.
  void retain_while_exporting(std::shared_ptr<const void> owner) noexcept override {
    std::lock_guard<std::mutex> lk(st_->mu);
    st_->retained = std::move(owner);
  }

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
    std::atomic<std::uint64_t> failures{0}, exported_points{0}, dropped_points{0};
    std::shared_ptr<const void> retained;  // what collected data points to (the provider's registry)
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
      // The worker shares the state, the link and (through the state) the provider's registry: it
      // never touches `this`, which a timed-out shutdown may destroy while an export is in flight.
      st->worker = std::thread([st, link = link()] { run(*st, *link); });
    } catch (...) {
      llmtrace::detail::report_error("metric reader: could not start its thread; metrics are not exported");
    }
  }

  /// One collection and export (the worker thread only).
  static bool export_once(state& st, detail::reader_link& link, resource_metrics& data) noexcept {
    if (!link.collect(data)) return true;  // detached: nothing to export
    if (data.empty() || !st.exp) return true;
    const bool ok = st.exp->export_metrics(data) == export_result::success;
    (ok ? st.exported_points : st.dropped_points).fetch_add(data.point_count(), std::memory_order_relaxed);
    if (!ok) st.failures.fetch_add(1, std::memory_order_relaxed);
    return ok;
  }

  static void run(state& st, detail::reader_link& link) noexcept {
    resource_metrics data;
    std::unique_lock<std::mutex> lk(st.mu);
    auto next = std::chrono::steady_clock::now() + st.opt.interval;
    while (true) {
      st.wake.wait_until(lk, next, [&] { return st.stopping || st.flush_requested > st.flush_completed; });
      const bool stop = st.stopping;
      const std::uint64_t target = st.flush_requested;
      lk.unlock();
      const bool ok = export_once(st, link, data);
      if (stop && st.exp) st.exp->shutdown(st.opt.timeout);
      lk.lock();
      if (st.abandoned) return;  // the reader may be gone; `st` and `link` are shared
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
