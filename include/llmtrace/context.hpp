// llmtrace/context.hpp: the current span context of each thread, as a stack, plus the current W3C
// baggage, and how both cross threads: capture them with current_context(), attach them on the other
// thread with a context_scope (baggage alone: baggage_scope). Thread-safety: each thread's stack is
// written by that thread only (by value: ids, flags and tracestate are copied in, nothing points into a
// span's record); a span ended on another thread only marks its entry dead through one atomic word.
// The baggage pointer is thread-local. A captured context is a plain value.
#pragma once

#include <llmtrace/baggage.hpp>
#include <llmtrace/config.hpp>
#include <llmtrace/error.hpp>
#include <llmtrace/span_data.hpp>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE

/// A captured span context (ids, flags, tracestate) and baggage, safe to copy to another thread.
class context {
 public:
  context() = default;
  explicit context(const span_context& sc, std::string trace_state = {}, llmtrace::baggage bag = {})
      : sc_(sc), trace_state_(std::move(trace_state)), baggage_(std::move(bag)) {}

  const span_context& span() const noexcept { return sc_; }
  const std::string& trace_state() const noexcept { return trace_state_; }
  /// The W3C baggage travelling with this context (empty when none).
  const llmtrace::baggage& baggage() const noexcept { return baggage_; }
  /// A copy carrying `bag` instead.
  context with_baggage(llmtrace::baggage bag) const { return context(sc_, trace_state_, std::move(bag)); }
  /// True when the span context is valid (baggage alone does not make a context valid).
  bool valid() const noexcept { return sc_.valid(); }
  bool sampled() const noexcept { return sc_.sampled(); }
  bool is_remote() const noexcept { return sc_.is_remote; }

 private:
  span_context sc_;
  std::string trace_state_;
  llmtrace::baggage baggage_;
};

namespace detail {

/// One entry of a thread's context stack, held by value.
struct context_entry {
  span_context sc;
  std::string trace_state;
  /// (generation << 1) | alive. Written by the owning thread when it pushes; a span ended on another
  /// thread clears the alive bit (compare-and-swap on its own generation, so a reused slot is safe).
  std::atomic<std::uint64_t> state{0};
};

/// A thread's context stack. Allocated on the thread's first push and recycled (never freed) when the
/// thread exits, so a span guard that outlives its starting thread still points at a live object.
struct context_stack {
  static constexpr std::uint32_t capacity = 128;
  context_entry entries[capacity];
  std::uint32_t depth = 0;  // logical depth, may exceed capacity
  std::uint64_t next_generation = 1;
  bool overflow_reported = false;
};

/// What a push returns and a pop takes: which stack, which depth, which generation of the slot.
struct context_token {
  context_stack* stack = nullptr;
  std::uint32_t depth = 0;  // > 0 when something was pushed
  std::uint64_t generation = 0;
  explicit operator bool() const noexcept { return depth != 0; }
};

/// The calling thread's stack pointer slot (trivially constructible: a plain thread-local access).
LLMTRACE_API inline context_stack*& thread_context_slot() noexcept {
  thread_local context_stack* stack = nullptr;
  return stack;
}

/// Stacks of exited threads, reused by new threads (never destroyed: guards may still point at them).
struct context_stack_pool {
  std::mutex mu;
  std::vector<context_stack*> free;
};
LLMTRACE_API inline context_stack_pool& context_stacks() noexcept {
  static context_stack_pool* p = new context_stack_pool();
  return *p;
}

/// Set once the calling thread's releaser ran (the thread is exiting): no new stack is made then.
LLMTRACE_API inline bool& thread_context_exiting() noexcept {
  thread_local bool exiting = false;
  return exiting;
}

/// Gives the thread's stack back to the pool when the thread exits.
struct context_stack_releaser {
  ~context_stack_releaser() {
    thread_context_exiting() = true;
    context_stack*& s = thread_context_slot();
    if (!s) return;
    s->depth = 0;
    for (auto& e : s->entries) e.state.fetch_and(~std::uint64_t{1}, std::memory_order_relaxed);
    try {
      auto& pool = context_stacks();
      std::lock_guard<std::mutex> lk(pool.mu);
      pool.free.push_back(s);
    } catch (...) {
      // out of memory: the stack leaks (a guard may still point at it, so it is never freed)
    }
    s = nullptr;
  }
};

/// The calling thread's stack, allocated (or taken from the pool) on first use; null when out of
/// memory or while the thread is exiting.
LLMTRACE_API LLMTRACE_NOINLINE inline context_stack* make_thread_context() noexcept {
  if (thread_context_exiting()) return nullptr;
  thread_local context_stack_releaser releaser;  // destroyed at thread exit
  (void)releaser;
  context_stack* s = nullptr;
  try {
    auto& pool = context_stacks();
    std::lock_guard<std::mutex> lk(pool.mu);
    if (!pool.free.empty()) {
      s = pool.free.back();
      pool.free.pop_back();
    }
  } catch (...) {
  }
  if (!s) s = new (std::nothrow) context_stack();
  if (!s) return nullptr;
  thread_context_slot() = s;
  return s;
}

inline context_stack* thread_context() noexcept {
  context_stack* s = thread_context_slot();
  return LLMTRACE_LIKELY(s != nullptr) ? s : make_thread_context();
}

/// Pushes an entry (copied in) and sets `t` to the token to pass to pop_context (empty on failure).
/// Writing the caller's token in place (rather than returning it) spares the span hot path a copy that
/// would read the token's fields right after they were stored.
inline void push_context(const span_context& sc, const std::string* ts, context_token& t) noexcept {
  t = context_token{};
  context_stack* st = thread_context();
  if (LLMTRACE_UNLIKELY(!st)) return;
  // Entries ended on other threads are dead: drop the dead ones on top before pushing.
  while (st->depth > 0 && st->depth <= context_stack::capacity &&
         (st->entries[st->depth - 1].state.load(std::memory_order_relaxed) & 1) == 0)
    --st->depth;
  t.stack = st;
  if (LLMTRACE_LIKELY(st->depth < context_stack::capacity)) {
    auto& e = st->entries[st->depth];
    copy_span_context(e.sc, sc);
    if (ts && !ts->empty()) {
      try {
        e.trace_state.assign(*ts);
      } catch (...) {
        e.trace_state.clear();  // out of memory: the entry carries no tracestate
      }
    } else {
      e.trace_state.clear();
    }
    t.generation = st->next_generation++;
    e.state.store((t.generation << 1) | 1, std::memory_order_relaxed);
  } else if (!st->overflow_reported) {
    st->overflow_reported = true;
    report_error("context stack deeper than 128 spans: deeper spans are not made current");
  }
  t.depth = ++st->depth;
}

/// Pushes an entry (copied in) and returns the token to pass to pop_context (empty on failure).
inline context_token push_context(const span_context& sc, const std::string* ts) noexcept {
  context_token t;
  push_context(sc, ts, t);
  return t;
}

/// Ends what push_context returned. On the thread that pushed: restores the context that was current
/// before (ending an outer span first also discards the inner entries above it). On any other thread:
/// only marks the entry dead (the owning thread skips it), never touching that thread's current span.
inline void pop_context(const context_token& t) noexcept {
  if (!t.depth) return;
  const bool stored = t.depth <= context_stack::capacity;
  context_stack* mine = thread_context_slot();
  if (t.stack == mine) {
    if (stored) {
      auto& e = mine->entries[t.depth - 1];
      if (e.state.load(std::memory_order_relaxed) != ((t.generation << 1) | 1)) return;  // gone already
      e.state.store(t.generation << 1, std::memory_order_relaxed);
    }
    if (mine->depth >= t.depth) mine->depth = t.depth - 1;
    return;
  }
  if (stored) {
    std::uint64_t expected = (t.generation << 1) | 1;
    t.stack->entries[t.depth - 1].state.compare_exchange_strong(expected, t.generation << 1, std::memory_order_relaxed);
  }
}

/// The calling thread's current baggage, owned by the innermost context_scope / baggage_scope.
LLMTRACE_API inline const baggage*& current_baggage_slot() noexcept {
  thread_local const baggage* current = nullptr;
  return current;
}

/// The calling thread's innermost live entry, or null.
inline const context_entry* current_entry() noexcept {
  const context_stack* st = thread_context_slot();
  if (!st) return nullptr;
  std::uint32_t top = st->depth <= context_stack::capacity ? st->depth : context_stack::capacity;
  for (; top > 0; --top) {
    const auto& e = st->entries[top - 1];
    if (LLMTRACE_LIKELY((e.state.load(std::memory_order_relaxed) & 1) != 0)) return &e;
  }
  return nullptr;
}

}  // namespace detail

/// The calling thread's current span context (invalid when no span is current).
inline span_context current_span_context() noexcept {
  const auto* e = detail::current_entry();
  return e ? e->sc : span_context{};
}

/// The calling thread's current baggage (empty when none is attached).
inline baggage current_baggage() {
  const baggage* b = detail::current_baggage_slot();
  return b ? *b : baggage();
}

/// Captures the calling thread's current context (span context and baggage), to attach on another
/// thread.
inline context current_context() {
  const auto* e = detail::current_entry();
  const baggage* b = detail::current_baggage_slot();
  if (!e) return context(span_context{}, std::string(), b ? *b : baggage());
  return context(e->sc, e->trace_state, b ? *b : baggage());
}

/// Makes `bag` the current baggage of this thread until the scope ends (spans and outgoing requests
/// started meanwhile see it). Build the new value from current_baggage().set(...).
class [[nodiscard]] baggage_scope {
 public:
  explicit baggage_scope(baggage bag) noexcept : bag_(std::move(bag)), previous_(detail::current_baggage_slot()) {
    detail::current_baggage_slot() = &bag_;
  }
  ~baggage_scope() { detail::current_baggage_slot() = previous_; }
  baggage_scope(const baggage_scope&) = delete;
  baggage_scope& operator=(const baggage_scope&) = delete;
  baggage_scope(baggage_scope&&) = delete;
  baggage_scope& operator=(baggage_scope&&) = delete;

 private:
  baggage bag_;
  const baggage* previous_;
};

/// Makes `ctx` the current context of this thread until the scope ends (e.g. in a worker that runs
/// a task for a request, or a server handler after extracting `traceparent`).
class [[nodiscard]] context_scope {
 public:
  /// Attaches the span context (when valid) and the baggage (always: a context without baggage
  /// clears the current baggage for the scope).
  explicit context_scope(context ctx) noexcept
      : ctx_(std::move(ctx)), previous_baggage_(detail::current_baggage_slot()) {
    if (ctx_.valid()) detail::push_context(ctx_.span(), &ctx_.trace_state(), token_);
    detail::current_baggage_slot() = &ctx_.baggage();
  }
  ~context_scope() {
    detail::current_baggage_slot() = previous_baggage_;
    detail::pop_context(token_);
  }
  context_scope(const context_scope&) = delete;
  context_scope& operator=(const context_scope&) = delete;
  context_scope(context_scope&&) = delete;
  context_scope& operator=(context_scope&&) = delete;

 private:
  context ctx_;
  const baggage* previous_baggage_;
  detail::context_token token_;
};

LLMTRACE_END_NAMESPACE
