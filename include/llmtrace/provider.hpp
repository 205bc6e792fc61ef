// llmtrace/provider.hpp: the tracer provider owns the pipeline (resource, sampler, limits,
// processors) and hands out tracers; the global provider is never null (a no-op until you set one).
// Thread-safety: a provider is immutable after construction except for shutdown; tracers are
// cheap handles usable from any thread.
#pragma once

#include <llmtrace/attributes.hpp>
#include <llmtrace/config.hpp>
#include <llmtrace/detail/clock.hpp>
#include <llmtrace/detail/global_slot.hpp>
#include <llmtrace/error.hpp>
#include <llmtrace/processor.hpp>
#include <llmtrace/resource.hpp>
#include <llmtrace/sampler.hpp>
#include <llmtrace/span_data.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE

class tracer_provider;

/// Returns Unix nanoseconds; inject one for deterministic (golden) output.
using clock_function = std::int64_t (*)() noexcept;
using trace_id_function = trace_id (*)() noexcept;
using span_id_function = span_id (*)() noexcept;

/// Everything a provider is built from. Move-only (it owns the processors).
struct provider_options {
  llmtrace::resource resource = make_resource();
  llmtrace::sampler sampler = sampler::parent_based(sampler::always_on());
  span_limits limits;
  std::vector<std::unique_ptr<span_processor>> processors;
  clock_function clock = nullptr;            ///< default: anchored steady clock
  trace_id_function new_trace_id = nullptr;  ///< default: random
  span_id_function new_span_id = nullptr;    ///< default: random
};

/// Creates spans for one instrumentation scope (library). A cheap, copyable handle; valid while its
/// provider lives.
class tracer {
 public:
  tracer() noexcept = default;
  tracer(tracer_provider* p, const instrumentation_scope* s) noexcept : provider_(p), scope_(s) {}
  tracer_provider* provider() const noexcept { return provider_; }
  const instrumentation_scope* scope() const noexcept { return scope_; }
  /// False for the no-op provider and after shutdown: spans started now record nothing.
  inline bool enabled() const noexcept;

 private:
  tracer_provider* provider_ = nullptr;
  const instrumentation_scope* scope_ = nullptr;
};

class tracer_provider {
 public:
  explicit tracer_provider(provider_options opt = {}) : tracer_provider(std::move(opt), true) {}
  ~tracer_provider() { shutdown(std::chrono::milliseconds(30000)); }
  tracer_provider(const tracer_provider&) = delete;
  tracer_provider& operator=(const tracer_provider&) = delete;

  /// A provider that records nothing (what the global provider is until you set one).
  static std::shared_ptr<tracer_provider> make_noop() {
    return std::shared_ptr<tracer_provider>(new tracer_provider(provider_options{}, false));
  }

  /// The tracer for an instrumentation scope; the same name and version give the same scope.
  llmtrace::tracer get_tracer(std::string_view name, std::string_view version = {}, std::string_view schema_url = {}) {
    return llmtrace::tracer(this, &identity_->scope(name, version, schema_url));
  }
  /// The tracer behind `llmtrace::span s("name")`: scope "llmtrace".
  llmtrace::tracer default_tracer() noexcept { return llmtrace::tracer(this, default_scope_); }

  /// Exports everything ended so far; false on timeout or failure.
  bool force_flush(std::chrono::milliseconds timeout = std::chrono::milliseconds(30000)) noexcept {
    bool ok = true;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (auto& p : processors_) ok = p->force_flush(detail::time_left(deadline)) && ok;
    return ok;
  }
  /// Flushes and stops every processor; spans started afterwards record nothing. Idempotent.
  bool shutdown(std::chrono::milliseconds timeout = std::chrono::milliseconds(30000)) noexcept {
    if (shut_down_.exchange(true)) return true;
    active_.store(false, std::memory_order_release);
    bool ok = true;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (auto& p : processors_) ok = p->shutdown(detail::time_left(deadline)) && ok;
    return ok;
  }

  /// Span counts summed over the processors.
  processor_stats stats() const noexcept {
    processor_stats total;
    for (const auto& p : processors_) total += p->stats();
    return total;
  }

  const llmtrace::resource& resource() const noexcept { return identity_->resource(); }
  const llmtrace::sampler& sampler() const noexcept { return sampler_; }
  const span_limits& limits() const noexcept { return limits_; }
  bool active() const noexcept { return active_.load(std::memory_order_relaxed); }

  // --- used by span guards ---
  std::int64_t now() const noexcept { return clock_ ? clock_() : detail::unix_now_ns(); }
  trace_id make_trace_id() const noexcept { return new_trace_id_ ? new_trace_id_() : trace_id::random(); }
  span_id make_span_id() const noexcept { return new_span_id_ ? new_span_id_() : span_id::random(); }
  void on_start(span_data& s) noexcept {
    for (auto& p : processors_) p->on_start(s);
  }
  /// Hands a finished record to the processors (a copy for each but the last).
  void on_end(span_data* rec) noexcept {
    span_ptr owned(rec);
    const std::size_t n = processors_.size();
    for (std::size_t i = 0; i + 1 < n; ++i) {
      try {
        span_ptr copy(detail::span_pool::acquire());
        *copy = *owned;
        processors_[i]->on_end(std::move(copy));
      } catch (...) {
        detail::report_error("out of memory copying a span for a processor");
      }
    }
    if (n) processors_[n - 1]->on_end(std::move(owned));
  }

 private:
  tracer_provider(provider_options opt, bool active)
      : identity_(std::make_shared<detail::provider_identity>(std::move(opt.resource))),
        sampler_(std::move(opt.sampler)),
        limits_(opt.limits),
        processors_(std::move(opt.processors)),
        clock_(opt.clock),
        new_trace_id_(opt.new_trace_id),
        new_span_id_(opt.new_span_id),
        active_(active) {
    processors_.erase(std::remove(processors_.begin(), processors_.end(), nullptr), processors_.end());
    for (auto& p : processors_) p->retain_while_exporting(identity_);
    default_scope_ = get_tracer("llmtrace", LLMTRACE_VERSION_STRING).scope();
  }

  std::shared_ptr<detail::provider_identity> identity_;  // resource + scopes, shared with export workers
  llmtrace::sampler sampler_;
  span_limits limits_;
  std::vector<std::unique_ptr<span_processor>> processors_;
  clock_function clock_;
  trace_id_function new_trace_id_;
  span_id_function new_span_id_;
  std::atomic<bool> active_;
  std::atomic<bool> shut_down_{false};
  const instrumentation_scope* default_scope_ = nullptr;
};

inline bool tracer::enabled() const noexcept { return provider_ && provider_->active(); }

namespace detail {
/// The process-wide slot (default visibility: one per process, also across shared libraries).
LLMTRACE_API inline global_slot<tracer_provider>& global_providers() {
  static auto* s = new global_slot<tracer_provider>();  // never destroyed (see global_slot)
  return *s;
}
}  // namespace detail

/// The global provider: never null; a no-op until set_global_provider is called.
inline tracer_provider& global_provider() noexcept { return detail::global_providers().get(); }

/// Installs `p` as the global provider (nullptr restores the no-op). The previous provider is kept
/// alive, not shut down: shut it down yourself (llmtrace::init's guard does).
inline void set_global_provider(std::shared_ptr<tracer_provider> p) { detail::global_providers().set(std::move(p)); }

/// A tracer from the global provider.
inline tracer get_tracer(std::string_view name, std::string_view version = {}, std::string_view schema_url = {}) {
  return global_provider().get_tracer(name, version, schema_url);
}

namespace detail {
/// The tracer of scope `Scope::name` / `Scope::version` / `Scope::schema_url` (static string_views)
/// from the current global provider, cached per thread: the provider's scope lock is taken again only
/// when the global provider changes. For instrumentation that has no tracer of its own to keep.
/// Installed providers are never freed (see set_global_provider), so a provider's address identifies
/// it for the life of the process and the cache cannot dangle.
template <typename Scope>
tracer cached_global_tracer() {
  thread_local const tracer_provider* cached_provider = nullptr;
  thread_local tracer cached;
  tracer_provider& p = global_provider();
  if (&p != cached_provider) {
    cached = p.get_tracer(Scope::name, Scope::version, Scope::schema_url);
    cached_provider = &p;
  }
  return cached;
}
}  // namespace detail

LLMTRACE_END_NAMESPACE
