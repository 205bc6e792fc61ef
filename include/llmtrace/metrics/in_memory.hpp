// llmtrace/metrics/in_memory.hpp: keeps copies of exported metric collections in memory, for tests
// and for applications that inspect their own metrics. Thread-safety: all methods are safe concurrently.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/metrics/data.hpp>

#include <memory>
#include <mutex>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE
namespace metrics {

/// The storage an in_memory_metric_exporter writes to. The attribute sets the copies point to are
/// owned by the meter provider: read them while it lives.
class in_memory_metric_store {
 public:
  std::vector<resource_metrics> collections() const {
    std::lock_guard<std::mutex> lk(mu_);
    return data_;
  }
  /// The latest collection (empty when there was none).
  resource_metrics last() const {
    std::lock_guard<std::mutex> lk(mu_);
    return data_.empty() ? resource_metrics{} : data_.back();
  }
  std::size_t size() const {
    std::lock_guard<std::mutex> lk(mu_);
    return data_.size();
  }
  void clear() {
    std::lock_guard<std::mutex> lk(mu_);
    data_.clear();
  }
  void add(const resource_metrics& d) {
    std::lock_guard<std::mutex> lk(mu_);
    data_.push_back(d);
  }

 private:
  mutable std::mutex mu_;
  std::vector<resource_metrics> data_;
};

/// Copies every exported collection into an in_memory_metric_store.
class in_memory_metric_exporter final : public metric_exporter {
 public:
  explicit in_memory_metric_exporter(
      std::shared_ptr<in_memory_metric_store> store = std::make_shared<in_memory_metric_store>(),
      temporality_preference preference = temporality_preference::cumulative)
      : store_(std::move(store)), pref_(preference) {}
  export_result export_metrics(const resource_metrics& data) noexcept override {
    try {
      store_->add(data);
      return export_result::success;
    } catch (...) {
      return export_result::failure;
    }
  }
  aggregation_temporality temporality(instrument_kind kind) const noexcept override {
    return temporality_for(pref_, kind);
  }
  const std::shared_ptr<in_memory_metric_store>& store() const noexcept { return store_; }

 private:
  std::shared_ptr<in_memory_metric_store> store_;
  temporality_preference pref_;
};

}  // namespace metrics
LLMTRACE_END_NAMESPACE
