// llmtrace/exporters/multi.hpp: one exporter that hands every batch to several others, so one batch
// processor (one queue, one worker) can feed e.g. OTLP and a file at once: a span is queued once.
// The fan-out (detail::basic_multi_exporter) serves log exporters too (multi_log_exporter).
// Thread-safety: add() before handing the multi_exporter to a processor; afterwards the SDK's usual
// rules apply (export_batch never concurrently; force_flush/shutdown from any thread).
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/detail/clock.hpp>
#include <llmtrace/exporter.hpp>

#include <chrono>
#include <memory>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE

namespace detail {

/// Fans each batch out to its exporters (`Base`: the exporter interface, `Batch`: its batch), in the
/// order they were added.
template <typename Base, typename Batch>
class basic_multi_exporter : public Base {
 public:
  basic_multi_exporter() = default;
  explicit basic_multi_exporter(std::vector<std::unique_ptr<Base>> exporters) {
    for (auto& e : exporters) add(std::move(e));
  }

  /// Adds an exporter (null is ignored). Call before the first export.
  void add(std::unique_ptr<Base> e) {
    if (e) exporters_.push_back(std::move(e));
  }
  std::size_t size() const noexcept { return exporters_.size(); }
  bool empty() const noexcept { return exporters_.empty(); }

  /// Every exporter gets the batch, even after one fails. Success only when all succeeded (the
  /// processor then counts the batch as exported; otherwise as dropped, although some destinations
  /// may have it).
  export_result export_batch(const Batch& spans) noexcept override {
    bool ok = true;
    for (auto& e : exporters_) ok = e->export_batch(spans) == export_result::success && ok;
    return ok ? export_result::success : export_result::failure;
  }

  /// Flushes each exporter within what is left of `timeout`; true when all succeeded.
  bool force_flush(std::chrono::milliseconds timeout) noexcept override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool ok = true;
    for (auto& e : exporters_) ok = e->force_flush(time_left(deadline)) && ok;
    return ok;
  }

  /// Shuts each exporter down within what is left of `timeout`; true when all succeeded.
  bool shutdown(std::chrono::milliseconds timeout) noexcept override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool ok = true;
    for (auto& e : exporters_) ok = e->shutdown(time_left(deadline)) && ok;
    return ok;
  }

 private:
  std::vector<std::unique_ptr<Base>> exporters_;
};

}  // namespace detail

/// Fans each batch of spans out to its exporters, in the order they were added.
class multi_exporter final : public detail::basic_multi_exporter<exporter, span_batch> {
 public:
  using basic_multi_exporter::basic_multi_exporter;
};

LLMTRACE_END_NAMESPACE
