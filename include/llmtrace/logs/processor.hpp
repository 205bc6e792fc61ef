// llmtrace/logs/processor.hpp: the log pipeline's extension points (log_exporter, log_processor) and
// the processors: simple (exports each record on the emitting thread) and batch (the span batch
// processor's machinery: per-thread rings, one worker, drop-and-count, bounded shutdown), plus an
// in-memory exporter for tests. Thread-safety: processors' methods are safe concurrently; the SDK
// never calls export_batch concurrently on one exporter.
#pragma once

#include <llmtrace/batch_processor.hpp>
#include <llmtrace/config.hpp>
#include <llmtrace/detail/span_pool.hpp>
#include <llmtrace/exporter.hpp>
#include <llmtrace/logs/log_record.hpp>
#include <llmtrace/processor.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <string_view>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE

/// The log records handed to a log exporter; valid only during export_batch.
using log_batch = record_batch<log_record>;

/// Owns a log record; returns it to the SDK's pool when destroyed.
using log_ptr = std::unique_ptr<log_record, detail::pool_deleter<log_record>>;

/// Sends log records somewhere. Implement export_batch; the rest is optional.
class log_exporter {
 public:
  virtual ~log_exporter() = default;
  /// Exports `records`. Must not throw; must return within its own timeout.
  virtual export_result export_batch(const log_batch& records) noexcept = 0;
  /// Pushes out anything the exporter buffers itself.
  virtual bool force_flush(std::chrono::milliseconds /*timeout*/) noexcept { return true; }
  /// Releases resources; export_batch is not called afterwards.
  virtual bool shutdown(std::chrono::milliseconds /*timeout*/) noexcept { return true; }
};

/// Sees every emitted log record.
class log_processor {
 public:
  virtual ~log_processor() = default;
  /// Called on the emitting thread; the processor takes ownership of the record.
  virtual void on_emit(log_ptr record) noexcept = 0;
  virtual bool force_flush(std::chrono::milliseconds timeout) noexcept = 0;
  virtual bool shutdown(std::chrono::milliseconds timeout) noexcept = 0;
  /// exported + dropped accounts for every record the processor received.
  virtual processor_stats stats() const noexcept { return {}; }
  /// Called once by the provider: `owner` keeps alive what the records point to (the provider's
  /// resource and scopes). A processor that exports on its own thread keeps it for as long as that
  /// thread may still read records, even past a shutdown that timed out.
  virtual void retain_while_exporting(std::shared_ptr<const void> /*owner*/) noexcept {}
};

/// Exports every record as it is emitted, on the emitting thread, one at a time (tests, the console).
class simple_log_processor final : public log_processor {
 public:
  explicit simple_log_processor(std::unique_ptr<log_exporter> exp) : engine_(std::move(exp)) {}
  ~simple_log_processor() override { shutdown(std::chrono::milliseconds(5000)); }
  void on_emit(log_ptr record) noexcept override { engine_.export_one(record.get()); }
  bool force_flush(std::chrono::milliseconds timeout) noexcept override { return engine_.force_flush(timeout); }
  bool shutdown(std::chrono::milliseconds timeout) noexcept override { return engine_.shutdown(timeout); }
  processor_stats stats() const noexcept override { return engine_.stats(); }

 private:
  detail::simple_engine<log_record, log_exporter, log_batch> engine_;
};

/// The batch log record processor: the emitting thread never waits for export; a full queue drops
/// the record and counts it; shutdown is bounded. Settings: OTEL_BLRP_* (batch_log_options_from_env).
class batch_log_processor final : public log_processor {
 public:
  /// Defaults of the OpenTelemetry batch log record processor: 1000 ms delay, queue 2048, batch 512,
  /// export timeout 30000 ms.
  static batch_options default_options() noexcept {
    batch_options o;
    o.schedule_delay = std::chrono::milliseconds(1000);
    return o;
  }
  explicit batch_log_processor(std::unique_ptr<log_exporter> exp, batch_options opt = default_options())
      : engine_(std::move(exp), opt, "log records", "OTEL_BLRP_MAX_QUEUE_SIZE") {}
  void on_emit(log_ptr record) noexcept override { engine_.enqueue(record.release()); }
  bool force_flush(std::chrono::milliseconds timeout) noexcept override { return engine_.force_flush(timeout); }
  bool shutdown(std::chrono::milliseconds timeout) noexcept override { return engine_.shutdown(timeout); }
  processor_stats stats() const noexcept override { return engine_.stats(); }
  void retain_while_exporting(std::shared_ptr<const void> owner) noexcept override { engine_.retain(std::move(owner)); }
  const batch_options& options() const noexcept { return engine_.options(); }

 private:
  detail::batch_engine<log_record, log_exporter, log_batch> engine_;
};

/// Keeps copies of exported log records; keep a shared_ptr to read them after handing the exporter over.
class in_memory_log_store {
 public:
  std::vector<log_record> records() const {
    std::lock_guard<std::mutex> lk(mu_);
    return records_;
  }
  std::size_t size() const {
    std::lock_guard<std::mutex> lk(mu_);
    return records_.size();
  }
  /// The records whose event name is `name`.
  std::vector<log_record> events(std::string_view name) const {
    std::lock_guard<std::mutex> lk(mu_);
    std::vector<log_record> out;
    for (const auto& r : records_)
      if (r.event_name == name) out.push_back(r);
    return out;
  }
  void clear() {
    std::lock_guard<std::mutex> lk(mu_);
    records_.clear();
  }
  void add(const log_batch& batch) {
    std::lock_guard<std::mutex> lk(mu_);
    for (const auto& r : batch) records_.push_back(r);
  }

 private:
  mutable std::mutex mu_;
  std::vector<log_record> records_;
};

/// Copies every exported record into an in_memory_log_store.
class in_memory_log_exporter final : public log_exporter {
 public:
  explicit in_memory_log_exporter(std::shared_ptr<in_memory_log_store> store = std::make_shared<in_memory_log_store>())
      : store_(std::move(store)) {}
  export_result export_batch(const log_batch& records) noexcept override {
    try {
      store_->add(records);
      return export_result::success;
    } catch (...) {
      return export_result::failure;
    }
  }
  const std::shared_ptr<in_memory_log_store>& store() const noexcept { return store_; }

 private:
  std::shared_ptr<in_memory_log_store> store_;
};

LLMTRACE_END_NAMESPACE
