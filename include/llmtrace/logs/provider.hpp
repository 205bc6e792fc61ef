// llmtrace/logs/provider.hpp: the logger provider (resource, limits, log processors) and loggers,
// the handles that emit log records and events carrying the ids of the span current on the emitting
// thread. The global logger provider is never null (a no-op until set; llmtrace::init sets it).
// Thread-safety: a provider is immutable after construction except for shutdown; loggers are cheap
// handles usable from any thread; emitting never throws and never blocks on export.
#pragma once

#include <llmtrace/any_value.hpp>
#include <llmtrace/attributes.hpp>
#include <llmtrace/config.hpp>
#include <llmtrace/context.hpp>
#include <llmtrace/detail/clock.hpp>
#include <llmtrace/detail/global_slot.hpp>
#include <llmtrace/detail/hex.hpp>
#include <llmtrace/detail/span_pool.hpp>
#include <llmtrace/error.hpp>
#include <llmtrace/logs/log_record.hpp>
#include <llmtrace/logs/processor.hpp>
#include <llmtrace/provider.hpp>
#include <llmtrace/resource.hpp>

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

class logger_provider;

/// Everything a logger provider is built from. Move-only (it owns the processors).
struct logger_provider_options {
  llmtrace::resource resource = make_resource();
  log_limits limits;
  std::vector<std::unique_ptr<log_processor>> processors;
  clock_function clock = nullptr;  ///< default: the SDK's clock
};

/// Fills one log record inside logger::emit_with; attribute setters apply the provider's limits.
class log_builder {
 public:
  log_builder(log_record& r, const log_limits& l) noexcept : r_(r), limits_(l) {}
  log_builder& severity(llmtrace::severity s, std::string_view text = {}) {
    r_.severity = s;
    if (text.empty()) text = to_string(s);
    r_.severity_text.assign(text.data(), text.size());
    return *this;
  }
  log_builder& body(std::string_view text) {
    r_.body.assign_string(text);
    return *this;
  }
  log_builder& body(any_value v) {
    r_.body = std::move(v);
    return *this;
  }
  log_builder& attribute(std::string_view key, const attribute_value& v) {
    if (r_.find_structured(key) == nullptr)
      r_.attributes.set(key, v, remaining_count(), limits_.attribute_value_length);
    return *this;
  }
  log_builder& attributes(attribute_list attrs) {
    for (const auto& a : attrs) attribute(a.key, a.value);
    return *this;
  }
  /// A structured attribute (kvlist, array of any values).
  log_builder& structured(std::string_view key, any_value v) {
    r_.set_structured(key, std::move(v), limits_.attribute_count);
    return *this;
  }
  log_builder& event_name(std::string_view name) {
    r_.event_name.assign(name.data(), name.size());
    return *this;
  }
  /// When it happened (Unix ns); default: when emitted.
  log_builder& time(std::int64_t unix_nano) noexcept {
    r_.time_unix_nano = unix_nano;
    return *this;
  }
  /// Correlate with `sc` instead of the current span (an invalid context clears the ids).
  log_builder& span_context(const llmtrace::span_context& sc) noexcept {
    r_.trace_id = sc.valid() ? sc.trace_id : llmtrace::trace_id{};
    r_.span_id = sc.valid() ? sc.span_id : llmtrace::span_id{};
    r_.trace_flags = sc.valid() ? sc.trace_flags : 0;
    return *this;
  }
  log_record& record() noexcept { return r_; }

 private:
  std::uint32_t remaining_count() const noexcept {
    // The flat store's limit leaves room for the structured attributes already set.
    const auto used = static_cast<std::uint32_t>(r_.structured_attributes.size());
    return limits_.attribute_count > used ? limits_.attribute_count - used : 0;
  }
  log_record& r_;
  const log_limits& limits_;
};

/// Emits log records for one instrumentation scope. A cheap, copyable handle; valid while its provider lives.
class logger {
 public:
  logger() noexcept = default;
  logger(logger_provider* p, const instrumentation_scope* s) noexcept : provider_(p), scope_(s) {}
  /// False for the no-op provider and after shutdown: nothing is recorded.
  inline bool enabled() const noexcept;
  const instrumentation_scope* scope() const noexcept { return scope_; }

  /// A log line with a text body.
  void emit(severity sev, std::string_view body, attribute_list attributes = {}) const noexcept {
    emit_with([&](log_builder& b) { b.severity(sev).body(body).attributes(attributes); });
  }
  void emit(severity sev, const char* body, attribute_list attributes = {}) const noexcept {
    emit(sev, std::string_view(body ? body : ""), attributes);
  }
  void emit(severity sev, const std::string& body, attribute_list attributes = {}) const noexcept {
    emit(sev, std::string_view(body), attributes);
  }
  /// A log line with a structured body.
  void emit(severity sev, const any_value& body, attribute_list attributes = {}) const noexcept {
    emit_with([&](log_builder& b) { b.severity(sev).body(body).attributes(attributes); });
  }
  /// An event: a named record (e.g. "gen_ai.client.inference.operation.details").
  void emit_event(std::string_view name, severity sev, attribute_list attributes = {}) const noexcept {
    emit_with([&](log_builder& b) { b.event_name(name).severity(sev).attributes(attributes); });
  }
  /// The general form: `fill(log_builder&)` sets what it wants. Observed time, the time (unless set),
  /// the resource, the scope and the current span's ids (unless set) are filled in. Never throws: an
  /// exception from `fill` or out of memory drops the record (reported once).
  template <typename Fill>
  void emit_with(Fill&& fill) const noexcept;

 private:
  logger_provider* provider_ = nullptr;
  const instrumentation_scope* scope_ = nullptr;
};

class logger_provider {
 public:
  explicit logger_provider(logger_provider_options opt = {}) : logger_provider(std::move(opt), true) {}
  ~logger_provider() { shutdown(std::chrono::milliseconds(30000)); }
  logger_provider(const logger_provider&) = delete;
  logger_provider& operator=(const logger_provider&) = delete;

  /// A provider that records nothing (what the global logger provider is until you set one).
  static std::shared_ptr<logger_provider> make_noop() {
    return std::shared_ptr<logger_provider>(new logger_provider(logger_provider_options{}, false));
  }

  /// The logger for an instrumentation scope; the same name and version give the same scope.
  llmtrace::logger get_logger(std::string_view name, std::string_view version = {}, std::string_view schema_url = {}) {
    return llmtrace::logger(this, &identity_->scope(name, version, schema_url));
  }

  /// Exports everything emitted so far; false on timeout or failure.
  bool force_flush(std::chrono::milliseconds timeout = std::chrono::milliseconds(30000)) noexcept {
    bool ok = true;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (auto& p : processors_) ok = p->force_flush(detail::time_left(deadline)) && ok;
    return ok;
  }
  /// Flushes and stops every processor; records emitted afterwards are discarded. Idempotent.
  bool shutdown(std::chrono::milliseconds timeout = std::chrono::milliseconds(30000)) noexcept {
    if (shut_down_.exchange(true)) return true;
    active_.store(false, std::memory_order_release);
    bool ok = true;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (auto& p : processors_) ok = p->shutdown(detail::time_left(deadline)) && ok;
    return ok;
  }
  /// Record counts summed over the processors.
  processor_stats stats() const noexcept {
    processor_stats total;
    for (const auto& p : processors_) total += p->stats();
    return total;
  }

  const llmtrace::resource& resource() const noexcept { return identity_->resource(); }
  const log_limits& limits() const noexcept { return limits_; }
  bool active() const noexcept { return active_.load(std::memory_order_relaxed); }
  std::int64_t now() const noexcept { return clock_ ? clock_() : detail::unix_now_ns(); }

  /// Hands a record to the processors (a copy for each but the last).
  void on_emit(log_ptr rec) noexcept {
    const std::size_t n = processors_.size();
    for (std::size_t i = 0; i + 1 < n; ++i) {
      try {
        log_ptr copy(detail::record_pool<log_record>::acquire());
        *copy = *rec;
        processors_[i]->on_emit(std::move(copy));
      } catch (...) {
        detail::report_error("out of memory copying a log record for a processor");
      }
    }
    if (n) processors_[n - 1]->on_emit(std::move(rec));
  }

 private:
  logger_provider(logger_provider_options opt, bool active)
      : identity_(std::make_shared<detail::provider_identity>(std::move(opt.resource))),
        limits_(opt.limits),
        processors_(std::move(opt.processors)),
        clock_(opt.clock),
        active_(active) {
    processors_.erase(std::remove(processors_.begin(), processors_.end(), nullptr), processors_.end());
    for (auto& p : processors_) p->retain_while_exporting(identity_);
    if (processors_.empty()) active_.store(false);  // nothing would see the records
  }

  std::shared_ptr<detail::provider_identity> identity_;  // resource + scopes, shared with export workers
  log_limits limits_;
  std::vector<std::unique_ptr<log_processor>> processors_;
  clock_function clock_;
  std::atomic<bool> active_;
  std::atomic<bool> shut_down_{false};
};

inline bool logger::enabled() const noexcept { return provider_ && provider_->active(); }

template <typename Fill>
void logger::emit_with(Fill&& fill) const noexcept {
  if (!enabled()) return;
  try {
    log_ptr rec(detail::record_pool<log_record>::acquire());
    rec->resource = &provider_->resource();
    rec->scope = scope_;
    const std::int64_t now = provider_->now();
    rec->observed_time_unix_nano = now;
    if (const auto* e = detail::current_entry()) {
      rec->trace_id = e->sc.trace_id;
      rec->span_id = e->sc.span_id;
      rec->trace_flags = e->sc.trace_flags;
    }
    log_builder b(*rec, provider_->limits());
    fill(b);
    if (rec->time_unix_nano == 0) rec->time_unix_nano = now;
    provider_->on_emit(std::move(rec));
  } catch (...) {
    static std::atomic<bool> reported{false};
    if (!reported.exchange(true)) {
      try {
        detail::report_error("a log record was dropped: filling it threw (or memory ran out)");
      } catch (...) {
      }
    }
  }
}

namespace detail {
/// The process-wide slot (default visibility: one per process, also across shared libraries).
LLMTRACE_API inline global_slot<logger_provider>& global_logger_providers() {
  static auto* s = new global_slot<logger_provider>();  // never destroyed (see global_slot)
  return *s;
}
}  // namespace detail

/// The global logger provider: never null; a no-op until set_global_logger_provider is called.
inline logger_provider& global_logger_provider() noexcept { return detail::global_logger_providers().get(); }

/// Installs `p` as the global logger provider (nullptr restores the no-op). The previous one is
/// kept alive, not shut down.
inline void set_global_logger_provider(std::shared_ptr<logger_provider> p) {
  detail::global_logger_providers().set(std::move(p));
}

/// A logger from the global logger provider. Keep it: asking again takes the provider's scope lock.
inline logger get_logger(std::string_view name, std::string_view version = {}, std::string_view schema_url = {}) {
  return global_logger_provider().get_logger(name, version, schema_url);
}

/// The current span's ids as lowercase hex, for the patterns of other loggers (empty strings when no
/// span is current). No allocation: the text lives in the returned value.
struct current_ids_text {
  char trace_id_buf[33] = {};
  char span_id_buf[17] = {};
  bool valid = false;
  std::string_view trace_id() const noexcept { return valid ? std::string_view(trace_id_buf, 32) : std::string_view(); }
  std::string_view span_id() const noexcept { return valid ? std::string_view(span_id_buf, 16) : std::string_view(); }
};

/// The calling thread's current trace id and span id as text (see current_ids_text).
inline current_ids_text current_trace_ids() noexcept {
  current_ids_text t;
  const auto* e = detail::current_entry();
  if (!e || !e->sc.valid()) return t;
  detail::to_hex(e->sc.trace_id.data(), 16, t.trace_id_buf);
  detail::to_hex(e->sc.span_id.data(), 8, t.span_id_buf);
  t.valid = true;
  return t;
}

LLMTRACE_END_NAMESPACE
