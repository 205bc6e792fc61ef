// llmtrace/context.hpp: the current span context of each thread, as a stack, and how a context
// crosses threads: capture it with current_context(), attach it on the other thread with a
// context_scope. Thread-safety: the stack is thread-local; a captured context is a plain value.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/error.hpp>
#include <llmtrace/span_data.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

LLMTRACE_BEGIN_NAMESPACE

/// A captured span context (ids, flags, tracestate), safe to copy to another thread.
class context {
 public:
  context() = default;
  explicit context(const span_context& sc, std::string trace_state = {})
      : sc_(sc), trace_state_(std::move(trace_state)) {}

  const span_context& span() const noexcept { return sc_; }
  const std::string& trace_state() const noexcept { return trace_state_; }
  bool valid() const noexcept { return sc_.valid(); }
  bool sampled() const noexcept { return sc_.sampled(); }
  bool is_remote() const noexcept { return sc_.is_remote; }

 private:
  span_context sc_;
  std::string trace_state_;
};

namespace detail {

struct context_entry {
  span_context sc;
  const std::string* trace_state;  // owned by the span or context_scope that pushed the entry
};

/// A fixed-size, trivially destructible stack: reading and pushing is a plain thread-local access.
struct context_stack {
  static constexpr std::uint32_t capacity = 128;
  context_entry entries[capacity];
  std::uint32_t depth;  // logical depth, may exceed capacity
  bool overflow_reported;
};

LLMTRACE_API inline context_stack& thread_context() noexcept {
  thread_local context_stack stack{};
  return stack;
}

/// Pushes an entry; returns the depth to pass to pop_context (always > 0).
inline std::uint32_t push_context(const span_context& sc, const std::string* ts) noexcept {
  auto& st = thread_context();
  if (LLMTRACE_LIKELY(st.depth < context_stack::capacity)) {
    st.entries[st.depth] = context_entry{sc, ts};
  } else if (!st.overflow_reported) {
    st.overflow_reported = true;
    report_error("context stack deeper than 128 spans: deeper spans are not made current");
  }
  return ++st.depth;
}

/// Restores the context that was current before the push that returned `depth`. Ending an outer
/// span first also discards the inner entries above it (they cannot be current once it ended).
inline void pop_context(std::uint32_t depth) noexcept {
  auto& st = thread_context();
  if (st.depth >= depth) st.depth = depth - 1;
}

inline const context_entry* current_entry() noexcept {
  const auto& st = thread_context();
  if (st.depth == 0) return nullptr;
  const std::uint32_t top = st.depth <= context_stack::capacity ? st.depth : context_stack::capacity;
  return &st.entries[top - 1];
}

}  // namespace detail

/// The calling thread's current span context (invalid when no span is current).
inline span_context current_span_context() noexcept {
  const auto* e = detail::current_entry();
  return e ? e->sc : span_context{};
}

/// Captures the calling thread's current context, to attach on another thread.
inline context current_context() {
  const auto* e = detail::current_entry();
  if (!e) return context{};
  return context(e->sc, e->trace_state ? *e->trace_state : std::string());
}

/// Makes `ctx` the current context of this thread until the scope ends (e.g. in a worker that runs
/// a task for a request, or a server handler after extracting `traceparent`).
class [[nodiscard]] context_scope {
 public:
  explicit context_scope(context ctx) noexcept : ctx_(std::move(ctx)) {
    if (ctx_.valid()) depth_ = detail::push_context(ctx_.span(), &ctx_.trace_state());
  }
  ~context_scope() {
    if (depth_) detail::pop_context(depth_);
  }
  context_scope(const context_scope&) = delete;
  context_scope& operator=(const context_scope&) = delete;
  context_scope(context_scope&&) = delete;
  context_scope& operator=(context_scope&&) = delete;

 private:
  context ctx_;
  std::uint32_t depth_ = 0;
};

LLMTRACE_END_NAMESPACE
