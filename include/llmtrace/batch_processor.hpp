// llmtrace/batch_processor.hpp: exports records (spans here, log records in logs/processor.hpp) in
// batches from one background worker (detail::batch_engine, shared by both signals).
// Each application thread hands finished spans to its own single-producer ring (no lock, no atomic
// read-modify-write per span); the worker drains every ring when a batch fills, when the schedule
// delay passes, on force_flush and at shutdown. A full ring drops the span and counts it: the
// application never waits for export. Thread-safety: all public methods are safe concurrently.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/detail/span_pool.hpp>
#include <llmtrace/error.hpp>
#include <llmtrace/exporter.hpp>
#include <llmtrace/processor.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE

/// Batch settings; the defaults and the environment variables are OpenTelemetry's (OTEL_BSP_* for
/// spans, OTEL_BLRP_* for log records, which has a 1000 ms schedule delay).
struct batch_options {
  std::chrono::milliseconds schedule_delay{5000};   ///< OTEL_BSP_SCHEDULE_DELAY
  std::chrono::milliseconds export_timeout{30000};  ///< OTEL_BSP_EXPORT_TIMEOUT (bounds flush and shutdown waits)
  std::size_t max_queue_size = 2048;                ///< OTEL_BSP_MAX_QUEUE_SIZE, per producing thread
  std::size_t max_export_batch_size = 512;          ///< OTEL_BSP_MAX_EXPORT_BATCH_SIZE
};

namespace detail {

/// One producer thread's queue of finished records.
template <typename Record>
struct record_ring {
  explicit record_ring(std::size_t limit_) : limit(limit_ ? limit_ : 1) {
    std::size_t cap = 1;
    while (cap < limit) cap <<= 1;
    mask = cap - 1;
    slots.reset(new Record*[cap]);
  }
  ~record_ring() {
    for (auto t = tail.load(); t != head.load(); ++t) record_pool<Record>::release(slots[t & mask]);
  }
  record_ring(const record_ring&) = delete;
  record_ring& operator=(const record_ring&) = delete;

  std::unique_ptr<Record*[]> slots;
  std::size_t limit;
  std::size_t mask;
  alignas(64) std::atomic<std::uint64_t> head{0};  // written by the producer
  alignas(64) std::atomic<std::uint64_t> tail{0};  // written by the worker
  std::atomic<bool> orphaned{false};               // the producer thread has exited
  std::atomic<bool> closed{false};                 // the processor is gone
};

using span_ring = record_ring<span_data>;

/// The calling thread's rings, one per batch processor it has fed.
template <typename Record>
struct ring_bindings {
  std::uint64_t last_id = 0;
  record_ring<Record>* last = nullptr;
  std::vector<std::pair<std::uint64_t, std::shared_ptr<record_ring<Record>>>> rings;
  ring_bindings() = default;
  ring_bindings(const ring_bindings&) = delete;
  ring_bindings& operator=(const ring_bindings&) = delete;
  ~ring_bindings() {
    for (auto& r : rings) r.second->orphaned.store(true, std::memory_order_release);
  }
};

template <typename Record>
LLMTRACE_API ring_bindings<Record>& thread_rings() noexcept {
  thread_local ring_bindings<Record> b;
  return b;
}

LLMTRACE_API inline std::uint64_t next_processor_id() noexcept {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace detail

namespace detail {

/// The batching machinery shared by the span and the log batch processors: per-thread rings, one
/// worker, flush and bounded shutdown, accounting and drop reports. `Record` comes from
/// record_pool<Record>; `Exporter::export_batch(Batch(const Record* const*, n))` exports a batch;
/// `noun` names the records in messages ("spans") and `queue_variable` the queue-size setting
/// ("OTEL_BSP_MAX_QUEUE_SIZE").
template <typename Record, typename Exporter, typename Batch>
class batch_engine {
 public:
  batch_engine(std::unique_ptr<Exporter> exp, batch_options opt, const char* noun, const char* queue_variable)
      : st_(std::make_shared<state>(std::move(exp), sanitize(opt), noun, queue_variable)) {
    st_->worker = std::thread([st = st_] { run(*st); });
  }
  ~batch_engine() {
    shutdown(st_->opt.export_timeout);
    if (st_->worker.joinable()) st_->worker.detach();
    std::lock_guard<std::mutex> lk(st_->mu);
    for (auto& r : st_->rings) r->closed.store(true, std::memory_order_release);
  }
  batch_engine(const batch_engine&) = delete;
  batch_engine& operator=(const batch_engine&) = delete;

  /// Queues `rec` (taking ownership) without waiting; a full queue drops it and counts it.
  void enqueue(Record* rec) noexcept {
    state& st = *st_;
    if (LLMTRACE_UNLIKELY(st.stopped.load(std::memory_order_acquire))) {
      st.dropped_shutdown.fetch_add(1, std::memory_order_relaxed);
      record_pool<Record>::release(rec);
      return;
    }
    record_ring<Record>* r = ring_for_this_thread();
    if (LLMTRACE_UNLIKELY(!r)) {
      st.dropped_queue.fetch_add(1, std::memory_order_relaxed);
      record_pool<Record>::release(rec);
      return;
    }
    const std::uint64_t h = r->head.load(std::memory_order_relaxed);
    const std::uint64_t t = r->tail.load(std::memory_order_acquire);
    if (LLMTRACE_UNLIKELY(h - t >= r->limit)) {
      st.dropped_queue.fetch_add(1, std::memory_order_relaxed);
      record_pool<Record>::release(rec);
      return;
    }
    r->slots[h & r->mask] = rec;
    r->head.store(h + 1, std::memory_order_release);
    if (LLMTRACE_UNLIKELY(h + 1 - t >= st.opt.max_export_batch_size) && !st.wake.load(std::memory_order_relaxed))
      wake(st);
  }

  /// Exports everything queued before the call; false if that did not finish within `timeout`.
  bool force_flush(std::chrono::milliseconds timeout) noexcept {
    state& st = *st_;
    std::unique_lock<std::mutex> lk(st.mu);
    if (st.worker_done) return true;
    const std::uint64_t target = ++st.flush_requested;
    st.cv.notify_one();
    return st.done_cv.wait_for(lk, timeout, [&] { return st.flush_completed >= target || st.worker_done; });
  }

  /// Drains the queues, exports, shuts the exporter down. Never waits longer than `timeout`: a worker
  /// stuck in a slow exporter is abandoned (its records counted as dropped) rather than waited for.
  /// False (and one "shutdown timed out" report) only when records were left unexported; a worker
  /// that has nothing left and is merely still stopping is left to finish on its own.
  bool shutdown(std::chrono::milliseconds timeout) noexcept {
    state& st = *st_;
    if (st.stopped.exchange(true)) return true;
    std::unique_lock<std::mutex> lk(st.mu);
    st.stop = true;
    st.cv.notify_one();
    // Half the budget for a normal drain; then tell the exporter to stop (ending any retry wait,
    // e.g. while the collector is down) and give the worker the rest.
    const auto half = timeout / 2;
    bool done = st.done_cv.wait_for(lk, half, [&] { return st.worker_done; });
    if (!done) {
      lk.unlock();
      st.exp->shutdown(std::chrono::milliseconds(0));
      lk.lock();
      done = st.done_cv.wait_for(lk, timeout - half, [&] { return st.worker_done; });
    }
    lk.unlock();
    if (done) {
      if (st.worker.joinable()) st.worker.join();
    } else {
      // Whatever the worker still holds or has not drained is dropped: counted now, and anything it
      // exports later is no longer counted (exported + dropped stays exactly what was produced).
      std::uint64_t settled_out = 0;
      {
        std::lock_guard<std::mutex> acct(st.acct_mu);
        st.settled = true;
        settled_out = st.exported.load() + st.dropped_export.load();
      }
      // A worker that is merely still stopping (idle, nothing queued or in flight, e.g. left with no
      // budget because another signal's hung export used it up) loses nothing: no timeout then.
      if (enqueued(st) > settled_out) {
        try {
          report_error(std::string("batch processor: shutdown timed out after ") + std::to_string(timeout.count()) +
                       " ms; the exporter is still busy and the " + st.noun + " it has not exported are dropped");
        } catch (...) {
        }
      } else {
        done = true;
      }
      if (st.worker.joinable()) st.worker.detach();
    }
    {
      std::lock_guard<std::mutex> acct(st.acct_mu);
      st.settled = true;
    }
    report_final_summary(st);
    return done;
  }

  /// Counters; after shutdown, exported + dropped() equals the number of records enqueued.
  processor_stats stats() const noexcept { return snapshot(*st_); }
  /// Keeps `owner` alive as long as the worker runs (see span_processor::retain_while_exporting).
  void retain(std::shared_ptr<const void> owner) noexcept {
    std::lock_guard<std::mutex> lk(st_->mu);
    try {
      st_->retained.push_back(std::move(owner));
    } catch (...) {
      report_error("batch processor: out of memory keeping the provider's resource for the export worker");
    }
  }
  const batch_options& options() const noexcept { return st_->opt; }

 private:
  struct state {
    state(std::unique_ptr<Exporter> e, batch_options o, const char* n, const char* qv)
        : opt(o), exp(std::move(e)), noun(n), queue_variable(qv) {}
    const std::uint64_t id = next_processor_id();
    batch_options opt;
    std::unique_ptr<Exporter> exp;
    const char* noun;            // "spans", "log records"
    const char* queue_variable;  // "OTEL_BSP_MAX_QUEUE_SIZE", ...
    std::thread worker;

    std::mutex mu;                    // guards everything below except the atomics
    std::condition_variable cv;       // wakes the worker
    std::condition_variable done_cv;  // wakes flush/shutdown waiters
    std::vector<std::shared_ptr<record_ring<Record>>> rings;
    std::vector<std::shared_ptr<const void>> retained;  // what the records point to (provider identity)
    bool stop = false;
    bool worker_done = false;
    std::uint64_t flush_requested = 0;
    std::uint64_t flush_completed = 0;

    std::uint64_t retired_enqueued = 0;  // records ever enqueued on rings no longer in `rings`

    std::atomic<bool> wake{false};
    std::atomic<bool> stopped{false};
    std::atomic<std::uint64_t> exported{0}, dropped_queue{0}, dropped_export{0}, dropped_shutdown{0};
    std::atomic<std::uint64_t> export_failures{0};

    // Export results are counted under acct_mu until shutdown settles the books; from then on every
    // enqueued span not yet counted is a shutdown drop (stats() derives it from the ring counters).
    mutable std::mutex acct_mu;
    bool settled = false;

    // Drop reports (worker and shutdown only): what was reported so far, and when.
    std::chrono::steady_clock::time_point last_drop_report{};
    std::uint64_t reported_queue = 0;
  };

  /// Spans ever accepted into a ring (each ring's head counts its pushes).
  static std::uint64_t enqueued(state& st) noexcept {
    try {
      std::lock_guard<std::mutex> lk(st.mu);
      std::uint64_t n = st.retired_enqueued;
      for (const auto& r : st.rings) n += r->head.load(std::memory_order_acquire);
      return n;
    } catch (...) {
      return 0;
    }
  }

  static processor_stats snapshot(state& st) noexcept {
    processor_stats s;
    bool settled = false;
    {
      try {
        std::lock_guard<std::mutex> acct(st.acct_mu);
        settled = st.settled;
        s.exported = st.exported.load();
        s.dropped_export = st.dropped_export.load();
      } catch (...) {
      }
    }
    s.dropped_queue = st.dropped_queue.load();
    s.dropped_shutdown = st.dropped_shutdown.load();
    s.export_failures = st.export_failures.load(std::memory_order_relaxed);
    const std::uint64_t in = enqueued(st), out = s.exported + s.dropped_export;
    if (settled) {
      if (in > out) s.dropped_shutdown += in - out;
    } else if (in > out) {
      s.queued = in - out;  // in the rings or in the batch being exported
    }
    return s;
  }

  static std::string drop_causes(const state& st, std::uint64_t queue, std::uint64_t exp, std::uint64_t shut) {
    std::string m;
    const auto add = [&](std::uint64_t n, const char* what) {
      if (n == 0) return;
      if (!m.empty()) m += ", ";
      m += std::to_string(n) + " " + what;
    };
    add(queue, ("because the queue was full (" + std::string(st.queue_variable) + " per thread)").c_str());
    add(exp, "because the export failed");
    add(shut, "at shutdown (ended after it, or not exported in time)");
    return m;
  }

  /// Queue-full drops are reported by the worker: the first at once, then at most once per
  /// drop_report_interval (export failures are reported by the exporter itself).
  static void report_queue_drops(state& st) noexcept {
    try {
      const std::uint64_t q = st.dropped_queue.load(std::memory_order_relaxed);
      if (q == st.reported_queue) return;
      const auto now = std::chrono::steady_clock::now();
      const bool first = st.reported_queue == 0;
      if (!first && now - st.last_drop_report < drop_report_interval) return;
      report_error("batch processor: " + std::to_string(q - st.reported_queue) + " " + st.noun +
                   " dropped because the queue was full (" + st.queue_variable + "=" +
                   std::to_string(st.opt.max_queue_size) + " per thread)" +
                   (first ? "; further drops are reported at most once a minute" : " since the last report"));
      st.reported_queue = q;
      st.last_drop_report = now;
    } catch (...) {
    }
  }

  /// One line at shutdown when anything was lost: every cause, with the totals.
  static void report_final_summary(state& st) noexcept {
    try {
      const processor_stats s = snapshot(st);
      if (s.dropped() == 0) return;
      detail::report_error("batch processor summary at shutdown: " + std::to_string(s.dropped()) + " of " +
                           std::to_string(s.exported + s.dropped()) + " " + st.noun + " dropped (" +
                           drop_causes(st, s.dropped_queue, s.dropped_export, s.dropped_shutdown) + "); " +
                           std::to_string(s.exported) + " exported");
    } catch (...) {
    }
  }

  static constexpr std::chrono::seconds drop_report_interval{60};

  static batch_options sanitize(batch_options o) {
    if (o.max_queue_size == 0) o.max_queue_size = 2048;
    if (o.max_export_batch_size == 0) o.max_export_batch_size = 512;
    if (o.max_export_batch_size > o.max_queue_size) o.max_export_batch_size = o.max_queue_size;
    if (o.schedule_delay.count() <= 0) o.schedule_delay = std::chrono::milliseconds(1);
    return o;
  }

  LLMTRACE_NOINLINE static void wake(state& st) noexcept {
    if (st.wake.exchange(true, std::memory_order_acq_rel)) return;
    try {
      std::lock_guard<std::mutex> lk(st.mu);
    } catch (...) {
    }
    st.cv.notify_one();
  }

  record_ring<Record>* ring_for_this_thread() noexcept {
    auto& b = thread_rings<Record>();
    if (LLMTRACE_LIKELY(b.last_id == st_->id)) return b.last;
    return bind_ring(b);
  }

  LLMTRACE_NOINLINE record_ring<Record>* bind_ring(ring_bindings<Record>& b) noexcept {
    try {
      // Forget rings of processors that no longer exist.
      b.rings.erase(std::remove_if(b.rings.begin(), b.rings.end(),
                                   [](const auto& r) { return r.second->closed.load(std::memory_order_acquire); }),
                    b.rings.end());
      for (auto& r : b.rings)
        if (r.first == st_->id) {
          b.last_id = r.first;
          b.last = r.second.get();
          return b.last;
        }
      auto ring = std::make_shared<record_ring<Record>>(st_->opt.max_queue_size);
      {
        std::lock_guard<std::mutex> lk(st_->mu);
        st_->rings.push_back(ring);
      }
      b.rings.emplace_back(st_->id, ring);
      b.last_id = st_->id;
      b.last = ring.get();
      return b.last;
    } catch (...) {
      return nullptr;
    }
  }

  static void export_and_release(state& st, std::vector<Record*>& batch) noexcept {
    if (batch.empty()) return;
    const auto n = static_cast<std::uint64_t>(batch.size());
    const bool ok = st.exp->export_batch(Batch(batch.data(), batch.size())) == export_result::success;
    if (!ok) st.export_failures.fetch_add(1, std::memory_order_relaxed);
    try {
      std::lock_guard<std::mutex> acct(st.acct_mu);
      if (!st.settled) (ok ? st.exported : st.dropped_export).fetch_add(n, std::memory_order_relaxed);
    } catch (...) {
    }
    record_pool<Record>::release(batch.data(), batch.size());
    batch.clear();
  }

  /// Moves everything queued now into batches and exports them.
  static void drain(state& st, std::vector<std::shared_ptr<record_ring<Record>>>& rings,
                    std::vector<Record*>& batch) noexcept {
    for (auto& r : rings) {
      std::uint64_t t = r->tail.load(std::memory_order_relaxed);
      const std::uint64_t h = r->head.load(std::memory_order_acquire);
      while (t != h) {
        batch.push_back(r->slots[t & r->mask]);
        ++t;
        if (batch.size() >= st.opt.max_export_batch_size) {
          r->tail.store(t, std::memory_order_release);
          export_and_release(st, batch);
        }
      }
      r->tail.store(t, std::memory_order_release);
    }
    export_and_release(st, batch);
  }

  static void run(state& st) noexcept {
    std::vector<Record*> batch;
    std::vector<std::shared_ptr<record_ring<Record>>> rings;
    try {
      batch.reserve(st.opt.max_export_batch_size);
    } catch (...) {
    }
    for (;;) {
      bool stopping;
      bool flushing;
      std::uint64_t flush_target;
      {
        std::unique_lock<std::mutex> lk(st.mu);
        st.cv.wait_for(lk, st.opt.schedule_delay, [&] {
          return st.stop || st.wake.load(std::memory_order_acquire) || st.flush_requested != st.flush_completed;
        });
        st.wake.store(false, std::memory_order_release);
        stopping = st.stop;
        flush_target = st.flush_requested;
        flushing = flush_target != st.flush_completed;
        // Rings of exited threads are dropped once empty (they cannot refill); their pushes stay counted.
        st.rings.erase(std::remove_if(st.rings.begin(), st.rings.end(),
                                      [&st](const auto& r) {
                                        const std::uint64_t h = r->head.load(std::memory_order_acquire);
                                        const bool gone = r->orphaned.load(std::memory_order_acquire) &&
                                                          h == r->tail.load(std::memory_order_relaxed);
                                        if (gone) st.retired_enqueued += h;
                                        return gone;
                                      }),
                       st.rings.end());
        try {
          rings = st.rings;
        } catch (...) {
        }
      }
      drain(st, rings, batch);
      report_queue_drops(st);
      if (flushing || stopping) st.exp->force_flush(st.opt.export_timeout);
      rings.clear();
      std::lock_guard<std::mutex> lk(st.mu);
      if (flush_target > st.flush_completed) st.flush_completed = flush_target;
      if (stopping) {
        st.exp->shutdown(st.opt.export_timeout);
        st.worker_done = true;
        st.done_cv.notify_all();
        return;
      }
      st.done_cv.notify_all();
    }
  }

  std::shared_ptr<state> st_;
};

}  // namespace detail

/// Exports sampled spans in batches from a background worker (see the top of this file).
class batch_processor final : public span_processor {
 public:
  explicit batch_processor(std::unique_ptr<exporter> exp, batch_options opt = {})
      : engine_(std::move(exp), opt, "spans", "OTEL_BSP_MAX_QUEUE_SIZE") {}
  batch_processor(const batch_processor&) = delete;
  batch_processor& operator=(const batch_processor&) = delete;

  void on_end(span_ptr span) noexcept override {
    if (!span->recorded_sampled) return;
    engine_.enqueue(span.release());
  }
  /// Exports everything queued before the call; false if that did not finish within `timeout`.
  bool force_flush(std::chrono::milliseconds timeout) noexcept override { return engine_.force_flush(timeout); }
  /// Drains the queues, exports, shuts the exporter down; never waits longer than `timeout` (a worker
  /// stuck in a slow exporter is abandoned and its spans counted as dropped).
  bool shutdown(std::chrono::milliseconds timeout) noexcept override { return engine_.shutdown(timeout); }
  /// Counters; after shutdown, exported + dropped() equals the number of sampled spans ended.
  processor_stats stats() const noexcept override { return engine_.stats(); }
  void retain_while_exporting(std::shared_ptr<const void> owner) noexcept override { engine_.retain(std::move(owner)); }
  const batch_options& options() const noexcept { return engine_.options(); }

 private:
  detail::batch_engine<span_data, exporter, span_batch> engine_;
};

LLMTRACE_END_NAMESPACE
