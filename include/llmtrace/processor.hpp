// llmtrace/processor.hpp: span processors see every recorded span start and end. The simple
// processor exports each span synchronously as it ends (for tests and debugging); production code
// uses batch_processor. Thread-safety: on_start/on_end are called concurrently from application
// threads; implementations synchronise themselves.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/detail/span_pool.hpp>
#include <llmtrace/error.hpp>
#include <llmtrace/exporter.hpp>
#include <llmtrace/span_data.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>

LLMTRACE_BEGIN_NAMESPACE

/// Owns a finished span record; returns it to the SDK's pool when destroyed.
using span_record_deleter = detail::pool_deleter<span_data>;
using span_ptr = std::unique_ptr<span_data, span_record_deleter>;

/// Counts a processor keeps; exported + dropped accounts for every sampled span it received.
struct processor_stats {
  std::uint64_t exported = 0;          ///< spans handed to a successful export
  std::uint64_t dropped_queue = 0;     ///< dropped because the queue was full
  std::uint64_t dropped_export = 0;    ///< dropped because the export failed
  std::uint64_t dropped_shutdown = 0;  ///< ended after shutdown, or left when shutdown timed out
  std::uint64_t export_failures = 0;   ///< export calls that failed (their spans: dropped_export)
  std::uint64_t queued = 0;            ///< accepted and not yet exported or dropped (now)
  std::uint64_t filtered = 0;          ///< removed on purpose by a filter stage (not a drop)
  std::uint64_t not_kept = 0;          ///< of traces a tail-keep stage decided not to export (not a drop)
  std::uint64_t dropped() const noexcept { return dropped_queue + dropped_export + dropped_shutdown; }
  /// Adds another stage's counts (the providers and fan-outs sum their processors' this way).
  processor_stats& operator+=(const processor_stats& o) noexcept {
    exported += o.exported;
    dropped_queue += o.dropped_queue;
    dropped_export += o.dropped_export;
    dropped_shutdown += o.dropped_shutdown;
    export_failures += o.export_failures;
    queued += o.queued;
    filtered += o.filtered;
    not_kept += o.not_kept;
    return *this;
  }
};

class span_processor {
 public:
  virtual ~span_processor() = default;
  /// Called when a recorded span starts, on the starting thread.
  virtual void on_start(span_data& /*span*/) noexcept {}
  /// Called when a recorded span ends; the processor takes ownership of the record.
  virtual void on_end(span_ptr span) noexcept = 0;
  virtual bool force_flush(std::chrono::milliseconds timeout) noexcept = 0;
  virtual bool shutdown(std::chrono::milliseconds timeout) noexcept = 0;
  virtual processor_stats stats() const noexcept { return {}; }
  /// Called once by the provider: `owner` keeps alive what the records point to (the provider's
  /// resource and scopes). A processor that exports on its own thread keeps it for as long as that
  /// thread may still read records, even past a shutdown that timed out.
  virtual void retain_while_exporting(std::shared_ptr<const void> /*owner*/) noexcept {}
};

namespace detail {

/// Exports each record synchronously on the calling thread, one at a time (shared by the simple
/// span and log processors); counts like the batch engine.
template <typename Record, typename Exporter, typename Batch>
class simple_engine {
 public:
  explicit simple_engine(std::unique_ptr<Exporter> exp) : exporter_(std::move(exp)) {}
  void export_one(const Record* one) noexcept {
    if (shutdown_.load(std::memory_order_acquire)) {
      dropped_shutdown_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    std::lock_guard<std::mutex> lk(mu_);
    if (shutdown_.load(std::memory_order_relaxed)) {  // shut down while this thread waited for the lock
      dropped_shutdown_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (exporter_->export_batch(Batch(&one, 1)) == export_result::success)
      exported_.fetch_add(1, std::memory_order_relaxed);
    else
      dropped_export_.fetch_add(1, std::memory_order_relaxed);
  }
  bool force_flush(std::chrono::milliseconds timeout) noexcept {
    std::lock_guard<std::mutex> lk(mu_);
    return exporter_->force_flush(timeout);
  }
  bool shutdown(std::chrono::milliseconds timeout) noexcept {
    if (shutdown_.exchange(true)) return true;
    std::lock_guard<std::mutex> lk(mu_);
    return exporter_->shutdown(timeout);
  }
  processor_stats stats() const noexcept {
    processor_stats s;
    s.exported = exported_.load();
    s.dropped_export = dropped_export_.load();
    s.dropped_shutdown = dropped_shutdown_.load();
    return s;
  }

 private:
  std::unique_ptr<Exporter> exporter_;
  std::mutex mu_;
  std::atomic<bool> shutdown_{false};
  std::atomic<std::uint64_t> exported_{0}, dropped_export_{0}, dropped_shutdown_{0};
};

}  // namespace detail

/// Exports every sampled span as it ends, on the ending thread, one at a time.
class simple_processor final : public span_processor {
 public:
  explicit simple_processor(std::unique_ptr<exporter> exp) : engine_(std::move(exp)) {}
  ~simple_processor() override { shutdown(std::chrono::milliseconds(5000)); }

  void on_end(span_ptr span) noexcept override {
    if (span->recorded_sampled) engine_.export_one(span.get());
  }
  bool force_flush(std::chrono::milliseconds timeout) noexcept override { return engine_.force_flush(timeout); }
  bool shutdown(std::chrono::milliseconds timeout) noexcept override { return engine_.shutdown(timeout); }
  processor_stats stats() const noexcept override { return engine_.stats(); }

 private:
  detail::simple_engine<span_data, exporter, span_batch> engine_;
};

LLMTRACE_END_NAMESPACE
