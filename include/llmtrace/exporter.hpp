// llmtrace/exporter.hpp: the exporter extension point. One required method: export a batch of
// finished spans and say whether it worked. Thread-safety: the SDK never calls export_batch
// concurrently on one exporter; force_flush and shutdown may come from any thread.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/span_data.hpp>

#include <chrono>
#include <cstddef>

LLMTRACE_BEGIN_NAMESPACE

enum class export_result : unsigned char { success, failure };

/// A read-only view of the records (spans, log records) handed to an exporter; valid only during
/// export_batch.
template <typename Record>
class record_batch {
 public:
  record_batch(const Record* const* records, std::size_t n) noexcept : p_(records), n_(n) {}
  class iterator {
   public:
    explicit iterator(const Record* const* p) noexcept : p_(p) {}
    const Record& operator*() const noexcept { return **p_; }
    const Record* operator->() const noexcept { return *p_; }
    iterator& operator++() noexcept {
      ++p_;
      return *this;
    }
    bool operator!=(const iterator& o) const noexcept { return p_ != o.p_; }
    bool operator==(const iterator& o) const noexcept { return p_ == o.p_; }

   private:
    const Record* const* p_;
  };
  iterator begin() const noexcept { return iterator(p_); }
  iterator end() const noexcept { return iterator(p_ + n_); }
  std::size_t size() const noexcept { return n_; }
  bool empty() const noexcept { return n_ == 0; }
  const Record& operator[](std::size_t i) const noexcept { return *p_[i]; }

 private:
  const Record* const* p_;
  std::size_t n_;
};

/// The spans handed to an exporter.
using span_batch = record_batch<span_data>;

/// Sends finished spans somewhere. Implement export_batch; the rest is optional.
class exporter {
 public:
  virtual ~exporter() = default;
  /// Exports `spans`. Must not throw; must return within its own timeout.
  virtual export_result export_batch(const span_batch& spans) noexcept = 0;
  /// Pushes out anything the exporter buffers itself.
  virtual bool force_flush(std::chrono::milliseconds /*timeout*/) noexcept { return true; }
  /// Releases resources; export_batch is not called afterwards.
  virtual bool shutdown(std::chrono::milliseconds /*timeout*/) noexcept { return true; }
};

LLMTRACE_END_NAMESPACE
