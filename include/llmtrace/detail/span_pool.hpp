// llmtrace/detail/span_pool.hpp: recycles records (spans, log records) so a steady stream of them
// allocates nothing, and so each record goes back to the thread that fills it.
//
// Every thread that acquires records has a *home*: a private free list, plus a list other threads
// return records to under the home's own lock. A record remembers the home of the thread that acquired
// it. Released on that thread it goes onto the private list; released elsewhere (the batch worker,
// after export, a whole batch under one lock) it goes onto its home's returned list, and the owner
// takes that whole list with one lock when its private list runs dry. No shared lock per record, no
// records wandering between application threads' cores, and the releasing thread never writes into
// a record (that would pull its cache line to the exporter's core). A global list (locked) serves only
// a thread's first records and those of threads that exited; a home outlives its thread and is adopted
// by the next new thread (homes are never freed: records in flight may still point at them).
// Thread-safety: acquire/release from any thread.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/detail/cache_hint.hpp>
#include <llmtrace/detail/pool_link.hpp>
#include <llmtrace/span_data.hpp>

#include <atomic>
#include <cstddef>
#include <mutex>
#include <new>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE
namespace detail {

/// A pool of `Record`s; `Record` has reset() (clear for reuse), trim() (free what grew too big),
/// prefetch_for_write() and a `pool_link_` member this pool may use (friend).
template <typename Record>
class LLMTRACE_API record_pool {
 public:
  /// Records moved from the global list to a thread at a time.
  static constexpr std::size_t chunk = 32;

  static Record* acquire() {
    home* h = current_home();
    if (LLMTRACE_UNLIKELY(!h)) h = bind_home();  // still null while the thread exits
    Record* r;
    if (LLMTRACE_LIKELY(h && !h->local.empty())) {
      r = h->local.back();
      h->local.pop_back();
      // A two-step pipeline one span ahead: the next record's header was prefetched by the previous
      // acquire, so its buffer addresses can be read now and its buffers prefetched; and the header of
      // the record after it is prefetched for the next acquire.
      const std::size_t left = h->local.size();
      if (left >= 1) h->local[left - 1]->prefetch_for_write();
      if (left >= 2) prefetch(h->local[left - 2]);
    } else {
      r = refill(h);
      r->prefetch_for_write();
    }
    r->pool_link_.home = h;
    // Reset (and trim) here, on the thread that fills the record, not where it was released
    // (usually the exporter's thread): touching it there would pull its cache lines to that core.
    r->trim();
    r->reset();
    return r;
  }

  /// Returns a record for reuse (it is reset when acquired again).
  static void release(Record* r) noexcept {
    if (r) release(&r, 1);
  }

  /// Returns `n` records; consecutive records of the same home are handed back under one lock.
  static void release(Record* const* rs, std::size_t n) noexcept {
    home* mine = current_home();
    for (std::size_t i = 0; i < n;) {
      auto* owner = static_cast<home*>(rs[i]->pool_link_.home);
      std::size_t j = i + 1;
      while (j < n && rs[j]->pool_link_.home == owner) ++j;
      if (owner && owner != mine) {
        give_back(*owner, rs + i, j - i);
      } else if (mine) {
        for (std::size_t k = i; k < j; ++k) keep(*mine, rs[k]);
      } else {
        for (std::size_t k = i; k < j; ++k) to_global(rs[k]);
      }
      i = j;
    }
  }

 private:
  /// One thread's free records. Never freed; recycled when its thread exits.
  struct home {
    std::vector<Record*> local;  // only the owning thread touches it
    alignas(64) std::mutex mu;   // guards `returned`
    std::vector<Record*> returned;
    std::atomic<bool> has_returned{false};
  };
  struct global_list {
    std::mutex mu;
    std::vector<Record*> free;
    std::vector<home*> spare_homes;  // of exited threads, for new threads to adopt
  };
  /// Gives the thread's home back when the thread exits.
  struct home_binding {
    home* h = nullptr;
    home_binding() = default;
    home_binding(const home_binding&) = delete;
    home_binding& operator=(const home_binding&) = delete;
    ~home_binding() {
      if (!h) return;
      home* mine = h;
      thread_exiting() = true;
      current_home() = nullptr;  // releases during the rest of this thread's exit go to the global list
      auto& g = global();
      try {
        std::vector<Record*> returned;
        {
          std::lock_guard<std::mutex> lk(mine->mu);
          returned.swap(mine->returned);
          mine->has_returned.store(false, std::memory_order_relaxed);
        }
        std::lock_guard<std::mutex> lk(g.mu);
        g.free.insert(g.free.end(), mine->local.begin(), mine->local.end());
        g.free.insert(g.free.end(), returned.begin(), returned.end());
        mine->local.clear();
        g.spare_homes.push_back(mine);
      } catch (...) {
        // out of memory: the records stay on the home, which is then never adopted (a bounded leak)
      }
    }
  };

  static global_list& global() {
    // Deliberately never destroyed: threads may return records during static destruction.
    static global_list* g = new global_list();
    return *g;
  }
  /// The calling thread's home, or null before its first acquire and after it started exiting.
  static home*& current_home() noexcept {
    thread_local home* h = nullptr;
    return h;
  }
  /// Set when the thread's home was given back (the thread is exiting): no home is bound again.
  static bool& thread_exiting() noexcept {
    thread_local bool exiting = false;
    return exiting;
  }
  LLMTRACE_NOINLINE static home* bind_home() noexcept {
    if (thread_exiting()) return nullptr;
    thread_local home_binding binding;
    home* h = nullptr;
    try {
      auto& g = global();
      std::lock_guard<std::mutex> lk(g.mu);
      if (!g.spare_homes.empty()) {
        h = g.spare_homes.back();
        g.spare_homes.pop_back();
      }
    } catch (...) {
    }
    if (!h) h = new (std::nothrow) home();
    binding.h = h;
    current_home() = h;
    return h;
  }

  /// On the owning thread: onto the private list.
  static void keep(home& h, Record* r) noexcept {
    try {
      h.local.push_back(r);
    } catch (...) {
      to_global(r);
    }
  }
  /// From another thread: onto the owner's returned list, under its lock.
  LLMTRACE_NOINLINE static void give_back(home& h, Record* const* rs, std::size_t n) noexcept {
    try {
      std::lock_guard<std::mutex> lk(h.mu);
      h.returned.insert(h.returned.end(), rs, rs + n);
      h.has_returned.store(true, std::memory_order_release);
    } catch (...) {
      for (std::size_t k = 0; k < n; ++k) to_global(rs[k]);
    }
  }

  /// A record for a thread whose private list is empty: what others returned (taken whole), else a
  /// chunk from the global list, else a new one.
  LLMTRACE_NOINLINE static Record* refill(home* h) {
    if (h && h->has_returned.load(std::memory_order_acquire)) {
      std::lock_guard<std::mutex> lk(h->mu);
      h->local.swap(h->returned);
      h->has_returned.store(false, std::memory_order_relaxed);
    }
    if (!h || h->local.empty()) {
      auto& g = global();
      std::lock_guard<std::mutex> lk(g.mu);
      if (!h) {
        if (g.free.empty()) return new Record();
        Record* r = g.free.back();
        g.free.pop_back();
        return r;
      }
      const std::size_t n = g.free.size() < chunk ? g.free.size() : chunk;
      h->local.insert(h->local.end(), g.free.end() - static_cast<std::ptrdiff_t>(n), g.free.end());
      g.free.resize(g.free.size() - n);
    }
    if (h->local.empty()) return new Record();
    Record* r = h->local.back();
    h->local.pop_back();
    return r;
  }

  LLMTRACE_NOINLINE static void to_global(Record* r) noexcept {
    auto& g = global();
    try {
      std::lock_guard<std::mutex> lk(g.mu);
      g.free.push_back(r);
    } catch (...) {
      delete r;
    }
  }

  static void prefetch(const Record* r) noexcept {
    // The next span's record: its lines are written as soon as it is acquired.
    prefetch_lines_for_write(r, sizeof(Record));
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
