// llmtrace/detail/span_pool.hpp: recycles span records so a steady stream of spans allocates nothing.
// Each thread keeps a small cache; caches trade records with one global free list in chunks, so the
// global mutex is taken once per chunk, never per span.
// Thread-safety: acquire/release from any thread.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/span_data.hpp>

#include <cstddef>
#include <mutex>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE
namespace detail {

class span_pool {
 public:
  static constexpr std::size_t chunk = 32;
  static constexpr std::size_t cache_max = 4 * chunk;

  static span_data* acquire() {
    auto& c = cache().items;
    if (LLMTRACE_UNLIKELY(c.empty())) refill(c);
    if (c.empty()) return new span_data();
    span_data* r = c.back();
    c.pop_back();
    // Reset (and trim) here, on the thread that fills the record, not where it was released
    // (usually the exporter's thread): touching it there would pull its cache lines to that core.
    r->trim();
    r->reset();
    return r;
  }

  /// Returns a record for reuse (it is reset when acquired again).
  static void release(span_data* r) noexcept {
    if (!r) return;
    auto& c = cache().items;
    try {
      c.push_back(r);
    } catch (...) {
      delete r;
      return;
    }
    if (LLMTRACE_UNLIKELY(c.size() > cache_max)) spill(c);
  }

 private:
  struct global_list {
    std::mutex mu;
    std::vector<span_data*> free;
  };
  struct thread_cache {
    std::vector<span_data*> items;
    thread_cache() { items.reserve(cache_max + 1); }
    ~thread_cache() {
      auto& g = global();
      std::lock_guard<std::mutex> lk(g.mu);
      for (auto* r : items) g.free.push_back(r);
    }
    thread_cache(const thread_cache&) = delete;
    thread_cache& operator=(const thread_cache&) = delete;
  };

  static global_list& global() {
    // Deliberately never destroyed: threads may return records during static destruction.
    static global_list* g = new global_list();
    return *g;
  }
  static thread_cache& cache() {
    thread_local thread_cache c;
    return c;
  }
  LLMTRACE_NOINLINE static void refill(std::vector<span_data*>& c) {
    auto& g = global();
    std::lock_guard<std::mutex> lk(g.mu);
    const std::size_t n = g.free.size() < chunk ? g.free.size() : chunk;
    c.insert(c.end(), g.free.end() - static_cast<std::ptrdiff_t>(n), g.free.end());
    g.free.resize(g.free.size() - n);
  }
  LLMTRACE_NOINLINE static void spill(std::vector<span_data*>& c) noexcept {
    auto& g = global();
    try {
      std::lock_guard<std::mutex> lk(g.mu);
      while (c.size() > cache_max - chunk) {
        g.free.push_back(c.back());
        c.pop_back();
      }
    } catch (...) {
      while (c.size() > cache_max - chunk) {
        delete c.back();
        c.pop_back();
      }
    }
  }
};

}  // namespace detail
LLMTRACE_END_NAMESPACE
