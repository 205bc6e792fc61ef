// llmtrace/controls/forwarding.hpp: the base of every control stage (redaction, filtering, tail
// keep, cost, baggage attributes): a span processor that owns the next processor of the pipeline and
// forwards to it, so stages compose as `redacting(filtering(batch_processor(...)))`.
// Thread-safety: forwards calls as they come; subclasses synchronise their own state.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/processor.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <utility>

LLMTRACE_BEGIN_NAMESPACE

/// A processor stage in front of `next`. Subclasses override on_start/on_end and call forward_*.
class forwarding_processor : public span_processor {
 public:
  /// Throws std::invalid_argument when `next` is null.
  explicit forwarding_processor(std::unique_ptr<span_processor> next) : next_(std::move(next)) {
    if (!next_) throw std::invalid_argument("llmtrace: a control stage needs a next processor");
  }
  void on_start(span_data& span) noexcept override { next_->on_start(span); }
  void on_end(span_ptr span) noexcept override { next_->on_end(std::move(span)); }
  bool force_flush(std::chrono::milliseconds timeout) noexcept override { return next_->force_flush(timeout); }
  bool shutdown(std::chrono::milliseconds timeout) noexcept override { return next_->shutdown(timeout); }
  processor_stats stats() const noexcept override { return next_->stats(); }
  void retain_while_exporting(std::shared_ptr<const void> owner) noexcept override {
    next_->retain_while_exporting(std::move(owner));
  }

  /// The processor this stage forwards to.
  span_processor& next() const noexcept { return *next_; }

 private:
  std::unique_ptr<span_processor> next_;
};

LLMTRACE_END_NAMESPACE
