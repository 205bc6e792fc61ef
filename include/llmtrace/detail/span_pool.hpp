// llmtrace/detail/span_pool.hpp: recycles records (spans, log records) so a steady stream of them
// allocates nothing, and so each record goes back to the thread that fills it.
//
// Every thread that acquires records has a *home*: a private free list plus a lock-free stack that
// other threads push to. A record remembers the home of the thread that acquired it; released on that
// thread it goes onto the private list, released elsewhere (the batch worker, after export) it is pushed
// onto its home's stack with one compare-and-swap. An empty private list takes the whole stack with one
// exchange. So the application thread reuses its own records: no shared lock per record or per chunk,
// no records wandering between application threads' cores. A global list (locked) serves only a thread's
// first records and the records of threads that exited; a home outlives its thread and is adopted by
// the next new thread (homes are never freed: records in flight may still point at them).
// Thread-safety: acquire/release from any thread.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/detail/pool_link.hpp>
#include <llmtrace/span_data.hpp>

#include <atomic>
#include <cstddef>
#include <mutex>
#include <new>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE
namespace detail {

/// A pool of `Record`s; `Record` has reset() (clear for reuse), trim() (free what grew too big) and
/// a `pool_link_` member this pool may use (friend).
template <typename Record>
class LLMTRACE_API record_pool {
 public:
  /// Records moved from the global list to a thread at a time.
  static constexpr std::size_t chunk = 32;

  static Record* acquire() {
    home* h = current_home();
    if (LLMTRACE_UNLIKELY(!h)) h = bind_home();  // still null while the thread exits
    Record* r;
    if (LLMTRACE_LIKELY(h && h->local)) {
      r = h->local;
      h->local = static_cast<Record*>(r->pool_link_.next);
      if (h->local) prefetch(h->local);
    } else {
      r = refill(h);
    }
    r->pool_link_.home = h;
    r->pool_link_.next = nullptr;
    // Reset (and trim) here, on the thread that fills the record, not where it was released
    // (usually the exporter's thread): touching it there would pull its cache lines to that core.
    r->trim();
    r->reset();
    return r;
  }

  /// Returns a record for reuse (it is reset when acquired again).
  static void release(Record* r) noexcept {
    if (!r) return;
    auto* owner = static_cast<home*>(r->pool_link_.home);
    home* mine = current_home();
    if (owner == nullptr || owner == mine) {
      if (LLMTRACE_UNLIKELY(!mine)) {
        to_global(r);
        return;
      }
      r->pool_link_.next = mine->local;
      mine->local = r;
      return;
    }
    void* top = owner->returned.load(std::memory_order_relaxed);
    do {
      r->pool_link_.next = top;
    } while (!owner->returned.compare_exchange_weak(top, r, std::memory_order_release, std::memory_order_relaxed));
  }

 private:
  /// One thread's free records. Never freed; recycled when its thread exits.
  struct home {
    Record* local = nullptr;                 // only the owning thread touches it
    alignas(64) std::atomic<void*> returned{nullptr};  // pushed by other threads, taken whole by the owner
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
        std::lock_guard<std::mutex> lk(g.mu);
        for (Record* r = take_all(*mine); r;) {
          Record* next = static_cast<Record*>(r->pool_link_.next);
          g.free.push_back(r);
          r = next;
        }
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

  /// Everything on `h`: its private list, then what other threads returned.
  static Record* take_all(home& h) noexcept {
    Record* list = h.local;
    h.local = nullptr;
    auto* returned = static_cast<Record*>(h.returned.exchange(nullptr, std::memory_order_acquire));
    if (!list) return returned;
    Record* tail = list;
    while (tail->pool_link_.next) tail = static_cast<Record*>(tail->pool_link_.next);
    tail->pool_link_.next = returned;
    return list;
  }

  /// A record for a thread whose private list is empty: the first of what others returned (the rest
  /// becomes the private list), else of a chunk from the global list, else a new one.
  LLMTRACE_NOINLINE static Record* refill(home* h) {
    Record* list = h ? static_cast<Record*>(h->returned.exchange(nullptr, std::memory_order_acquire)) : nullptr;
    if (!list) {
      auto& g = global();
      std::lock_guard<std::mutex> lk(g.mu);
      const std::size_t want = h ? chunk : 1;
      const std::size_t n = g.free.size() < want ? g.free.size() : want;
      for (std::size_t i = 0; i < n; ++i) {
        Record* r = g.free.back();
        g.free.pop_back();
        r->pool_link_.next = list;
        list = r;
      }
    }
    if (!list) return new Record();
    if (h) h->local = static_cast<Record*>(list->pool_link_.next);
    return list;
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
#if defined(__GNUC__) || defined(__clang__)
    // The next span's record: its first lines are written as soon as it is acquired.
    const char* p = reinterpret_cast<const char*>(r);
    for (std::size_t off = 0; off < sizeof(Record); off += 64) __builtin_prefetch(p + off, 1, 3);
#else
    (void)r;
#endif
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
