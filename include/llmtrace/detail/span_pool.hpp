// llmtrace/detail/span_pool.hpp: recycles records (spans, log records) so a steady stream of them
// allocates nothing. Each thread keeps a small cache per record type; caches trade records with one
// global free list in chunks, so the global mutex is taken once per chunk, never per record.
// Thread-safety: acquire/release from any thread.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/span_data.hpp>

#include <cstddef>
#include <mutex>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE
namespace detail {

/// A pool of `Record`s; `Record` has reset() (clear for reuse) and trim() (free what grew too big).
template <typename Record>
class LLMTRACE_API record_pool {
 public:
  static constexpr std::size_t chunk = 32;
  static constexpr std::size_t cache_max = 4 * chunk;

  static Record* acquire() {
    auto& c = cache().items;
    if (LLMTRACE_UNLIKELY(c.empty())) refill(c);
    if (c.empty()) return new Record();
    Record* r = c.back();
    c.pop_back();
    // Reset (and trim) here, on the thread that fills the record, not where it was released
    // (usually the exporter's thread): touching it there would pull its cache lines to that core.
    r->trim();
    r->reset();
    return r;
  }

  /// Returns a record for reuse (it is reset when acquired again).
  static void release(Record* r) noexcept {
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
    std::vector<Record*> free;
  };
  struct thread_cache {
    std::vector<Record*> items;
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
  LLMTRACE_NOINLINE static void refill(std::vector<Record*>& c) {
    auto& g = global();
    std::lock_guard<std::mutex> lk(g.mu);
    const std::size_t n = g.free.size() < chunk ? g.free.size() : chunk;
    c.insert(c.end(), g.free.end() - static_cast<std::ptrdiff_t>(n), g.free.end());
    g.free.resize(g.free.size() - n);
  }
  LLMTRACE_NOINLINE static void spill(std::vector<Record*>& c) noexcept {
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

using span_pool = record_pool<span_data>;

/// Returns a record to its pool (the deleter of the SDK's owning record pointers).
template <typename Record>
struct pool_deleter {
  void operator()(Record* r) const noexcept { record_pool<Record>::release(r); }
};

}  // namespace detail
LLMTRACE_END_NAMESPACE
