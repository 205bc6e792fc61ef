// llmtrace/error.hpp: the one place internal problems go (invalid configuration, export failures,
// dropped data summaries). The default handler writes to stderr, rate-limited; replace it to route
// messages into your own logging. Thread-safety: reporting and replacing are safe from any thread.
#pragma once

#include <llmtrace/config.hpp>

#include <chrono>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

LLMTRACE_BEGIN_NAMESPACE

/// Receives one human-readable message per internal problem. It must not throw; it is never called
/// on the span hot path.
using error_handler = std::function<void(std::string_view message)>;

namespace detail {

struct error_state {
  std::mutex mu;
  error_handler handler;  // empty: the default stderr handler
  // Default handler rate limit: a burst of `burst` messages, then one per `refill` interval.
  static constexpr double burst = 10.0;
  static constexpr std::chrono::seconds refill{6};
  double tokens = burst;
  std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
  unsigned long suppressed = 0;
};

LLMTRACE_API inline error_state& errors() {
  static error_state* s = new error_state();  // never destroyed: usable during static destruction
  return *s;
}

/// Reports an internal problem through the current handler. Never throws.
inline void report_error(std::string_view message) noexcept {
  try {
    auto& st = errors();
    std::unique_lock<std::mutex> lk(st.mu);
    if (st.handler) {
      auto h = st.handler;  // call outside the lock: a handler may report again
      lk.unlock();
      h(message);
      return;
    }
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - st.last).count();
    st.last = now;
    st.tokens += elapsed / static_cast<double>(error_state::refill.count());
    if (st.tokens > error_state::burst) st.tokens = error_state::burst;
    if (st.tokens < 1.0) {
      ++st.suppressed;
      return;
    }
    st.tokens -= 1.0;
    if (st.suppressed) {
      std::fprintf(stderr, "llmtrace: (%lu similar messages suppressed)\n", st.suppressed);
      st.suppressed = 0;
    }
    std::fprintf(stderr, "llmtrace: %.*s\n", static_cast<int>(message.size()), message.data());
  } catch (...) {
    // Reporting must never take the application down.
  }
}

}  // namespace detail

/// Replaces the error handler; pass an empty function to restore the default (stderr, rate-limited).
inline void set_error_handler(error_handler handler) {
  auto& st = detail::errors();
  std::lock_guard<std::mutex> lk(st.mu);
  st.handler = std::move(handler);
}

LLMTRACE_END_NAMESPACE
