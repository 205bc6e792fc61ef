// llmtrace/exporters/in_memory.hpp: keeps copies of exported spans in memory, for tests and for
// applications that inspect their own traces. Thread-safety: all methods are safe concurrently.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/exporter.hpp>

#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE

/// The storage an in_memory_exporter writes to; keep a shared_ptr to read it after the exporter
/// has been handed to a processor.
class in_memory_span_store {
 public:
  std::vector<span_data> spans() const {
    std::lock_guard<std::mutex> lk(mu_);
    return spans_;
  }
  std::size_t size() const {
    std::lock_guard<std::mutex> lk(mu_);
    return spans_.size();
  }
  /// The finished spans named `name`.
  std::vector<span_data> find(std::string_view name) const {
    std::lock_guard<std::mutex> lk(mu_);
    std::vector<span_data> out;
    for (const auto& s : spans_)
      if (s.name() == name) out.push_back(s);
    return out;
  }
  void clear() {
    std::lock_guard<std::mutex> lk(mu_);
    spans_.clear();
  }
  void add(const span_batch& batch) {
    std::lock_guard<std::mutex> lk(mu_);
    for (const auto& s : batch) spans_.push_back(s);
  }

 private:
  mutable std::mutex mu_;
  std::vector<span_data> spans_;
};

/// Copies every exported span into an in_memory_span_store.
class in_memory_exporter final : public exporter {
 public:
  explicit in_memory_exporter(std::shared_ptr<in_memory_span_store> store = std::make_shared<in_memory_span_store>())
      : store_(std::move(store)) {}
  export_result export_batch(const span_batch& spans) noexcept override {
    try {
      store_->add(spans);
      return export_result::success;
    } catch (...) {
      return export_result::failure;
    }
  }
  const std::shared_ptr<in_memory_span_store>& store() const noexcept { return store_; }

 private:
  std::shared_ptr<in_memory_span_store> store_;
};

LLMTRACE_END_NAMESPACE
