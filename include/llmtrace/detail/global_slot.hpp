// llmtrace/detail/global_slot.hpp: the one shape of every global provider (traces, logs, metrics): an
// atomic pointer that is never null (a no-op provider until one is installed), and every provider
// ever installed kept alive until exit, since a thread may still be using one that was just replaced.
// Thread-safety: get() is one acquire load; set() takes the slot's mutex.
#pragma once

#include <llmtrace/config.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE
namespace detail {

/// One global provider of type `Provider` (which has a static `make_noop()`). Create it once, in a
/// function-local static of an `LLMTRACE_API` function, and never destroy it: tracers, loggers and
/// instrument handles point into installed providers until the process ends.
template <typename Provider>
class global_slot {
 public:
  global_slot() : noop_(Provider::make_noop()) { current_.store(noop_.get(), std::memory_order_release); }
  global_slot(const global_slot&) = delete;
  global_slot& operator=(const global_slot&) = delete;

  /// The installed provider, or the no-op one: never null.
  Provider& get() const noexcept { return *current_.load(std::memory_order_acquire); }
  /// The no-op provider (what get() returns before anything is installed).
  Provider& noop() const noexcept { return *noop_; }
  /// Installs `p` (nullptr restores the no-op). The previous provider stays alive, not shut down.
  void set(std::shared_ptr<Provider> p) {
    std::lock_guard<std::mutex> lk(mu_);
    if (!p) {
      current_.store(noop_.get(), std::memory_order_release);
      return;
    }
    installed_.push_back(p);
    current_.store(p.get(), std::memory_order_release);
  }

 private:
  std::atomic<Provider*> current_{nullptr};
  std::mutex mu_;
  std::shared_ptr<Provider> noop_;
  std::vector<std::shared_ptr<Provider>> installed_;
};

}  // namespace detail
LLMTRACE_END_NAMESPACE
