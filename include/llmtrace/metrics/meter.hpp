// llmtrace/metrics/meter.hpp: the meter provider (beside the tracer provider: same resource, its own
// readers), meters per instrumentation scope, and the instruments: counter, up_down_counter,
// histogram, and the observable counter / up-down counter / gauge whose callbacks run at collection.
// The global meter provider is never null: a no-op until set. What collected data points to lives in a
// registry the provider shares with its readers' export workers (see detail::meter_registry).
// Thread-safety: instruments record from any thread without a lock; creating meters and instruments
// takes the provider's registry lock.
#pragma once

#include <llmtrace/attributes.hpp>
#include <llmtrace/config.hpp>
#include <llmtrace/detail/clock.hpp>
#include <llmtrace/detail/global_slot.hpp>
#include <llmtrace/error.hpp>
#include <llmtrace/metrics/data.hpp>
#include <llmtrace/metrics/detail/storage.hpp>
#include <llmtrace/metrics/reader.hpp>
#include <llmtrace/provider.hpp>
#include <llmtrace/resource.hpp>
#include <llmtrace/span_data.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE
namespace metrics {

/// The default explicit bucket bounds of the SDK specification.
inline const std::vector<double>& default_histogram_bounds() {
  static const std::vector<double> b{0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000};
  return b;
}

/// Everything a meter provider is built from. Move-only (it owns the readers).
struct meter_provider_options {
  llmtrace::resource resource = make_resource();
  std::vector<std::unique_ptr<metric_reader>> readers;
  metrics::exemplar_filter exemplar_filter = metrics::exemplar_filter::trace_based;
  /// Attribute sets per instrument, the overflow series included (past it: otel.metric.overflow=true).
  std::uint32_t cardinality_limit = 2000;
  clock_function clock = nullptr;  ///< default: the anchored steady clock
  /// Record stripes per series (power of two; 0: one per hardware thread, up to 8). More stripes
  /// keep threads that record the same series off each other's cache lines.
  std::size_t stripes = 0;
};

/// A synchronous instrument handle: cheap to copy, valid while its provider lives. A
/// default-constructed handle (or one from the no-op provider) records nothing.
template <typename T>
class counter {
  static_assert(std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>, "counter<int64_t> or counter<double>");

 public:
  counter() noexcept = default;
  explicit counter(detail::instrument_storage* s) noexcept : s_(s) {}
  /// Adds `value` (>= 0; a negative value is dropped and reported once).
  void add(T value, attribute_list attributes = {}) const noexcept {
    if (!s_) return;
    if constexpr (std::is_same_v<T, double>)
      s_->add_double(value, attributes);
    else
      s_->add_int(value, attributes);
  }
  bool enabled() const noexcept { return s_ != nullptr; }

 private:
  detail::instrument_storage* s_ = nullptr;
};

/// A sum that may go down (queue lengths, in-flight requests).
template <typename T>
class up_down_counter {
  static_assert(std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>, "int64_t or double");

 public:
  up_down_counter() noexcept = default;
  explicit up_down_counter(detail::instrument_storage* s) noexcept : s_(s) {}
  void add(T value, attribute_list attributes = {}) const noexcept {
    if (!s_) return;
    if constexpr (std::is_same_v<T, double>)
      s_->add_double(value, attributes);
    else
      s_->add_int(value, attributes);
  }
  bool enabled() const noexcept { return s_ != nullptr; }

 private:
  detail::instrument_storage* s_ = nullptr;
};

/// An explicit-bucket histogram (count, sum, min, max, bucket counts, exemplars).
template <typename T>
class histogram {
  static_assert(std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>, "int64_t or double");

 public:
  histogram() noexcept = default;
  explicit histogram(detail::instrument_storage* s) noexcept : s_(s) {}
  /// Records `value` (>= 0; a negative or NaN value is dropped and reported once). Lock-free,
  /// allocation-free once the attribute set has been seen.
  void record(T value, attribute_list attributes = {}) const noexcept {
    if (s_) s_->record(static_cast<double>(value), attributes);
  }
  bool enabled() const noexcept { return s_ != nullptr; }

 private:
  detail::instrument_storage* s_ = nullptr;
};

/// The handle of an observable instrument (its callback runs at each collection).
class observable_instrument {
 public:
  observable_instrument() noexcept = default;
  explicit observable_instrument(detail::instrument_storage* s) noexcept : s_(s) {}
  bool enabled() const noexcept { return s_ != nullptr; }

 private:
  detail::instrument_storage* s_ = nullptr;
};

using detail::observable_callback;
using detail::observer;

/// Per-instrument advice: the explicit bucket bounds a histogram uses (the GenAI conventions advise some).
struct histogram_advice {
  std::vector<double> bounds;
};

class meter_provider;

/// Creates instruments for one instrumentation scope. A cheap, copyable handle; valid while its
/// provider lives. The same name (case-insensitive) and kind give the same instrument.
class meter {
 public:
  meter() noexcept = default;
  meter(meter_provider* p, std::size_t index) noexcept : p_(p), index_(index) {}

  counter<std::int64_t> create_int64_counter(std::string_view name, std::string_view unit = {},
                                             std::string_view description = {});
  counter<double> create_double_counter(std::string_view name, std::string_view unit = {},
                                        std::string_view description = {});
  up_down_counter<std::int64_t> create_int64_up_down_counter(std::string_view name, std::string_view unit = {},
                                                             std::string_view description = {});
  up_down_counter<double> create_double_up_down_counter(std::string_view name, std::string_view unit = {},
                                                        std::string_view description = {});
  histogram<double> create_double_histogram(std::string_view name, std::string_view unit = {},
                                            std::string_view description = {}, histogram_advice advice = {});
  histogram<std::int64_t> create_int64_histogram(std::string_view name, std::string_view unit = {},
                                                 std::string_view description = {}, histogram_advice advice = {});
  observable_instrument create_int64_observable_counter(std::string_view name, observable_callback callback,
                                                        std::string_view unit = {}, std::string_view description = {});
  observable_instrument create_double_observable_counter(std::string_view name, observable_callback callback,
                                                         std::string_view unit = {}, std::string_view description = {});
  observable_instrument create_int64_observable_up_down_counter(std::string_view name, observable_callback callback,
                                                                std::string_view unit = {},
                                                                std::string_view description = {});
  observable_instrument create_double_observable_up_down_counter(std::string_view name, observable_callback callback,
                                                                 std::string_view unit = {},
                                                                 std::string_view description = {});
  observable_instrument create_int64_observable_gauge(std::string_view name, observable_callback callback,
                                                      std::string_view unit = {}, std::string_view description = {});
  observable_instrument create_double_observable_gauge(std::string_view name, observable_callback callback,
                                                       std::string_view unit = {}, std::string_view description = {});

  meter_provider* provider() const noexcept { return p_; }
  /// False for the no-op provider's meters (and default-constructed ones).
  inline bool enabled() const noexcept;

 private:
  inline detail::instrument_storage* make(detail::instrument_descriptor d, observable_callback cb = {});
  meter_provider* p_ = nullptr;
  std::size_t index_ = 0;
};

namespace detail {
/// A valid instrument name: a letter, then up to 254 letters, digits, '_', '.', '-' or '/'.
inline bool valid_instrument_name(std::string_view n) noexcept {
  if (n.empty() || n.size() > 255) return false;
  const auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!alpha(n[0])) return false;
  for (char c : n)
    if (!alpha(c) && !(c >= '0' && c <= '9') && c != '_' && c != '.' && c != '-' && c != '/') return false;
  return true;
}
}  // namespace detail

namespace detail {
/// What collected metrics point to: the provider's resource, its meters' scopes and its instruments
/// (attribute sets, bucket bounds). The meter provider owns it through a shared_ptr and hands a
/// reference to its readers (metric_reader::retain_while_exporting), so an export worker abandoned by
/// a timed-out shutdown never reads a destroyed provider's data. Thread-safety: `resource` is
/// immutable; `meters` and `storage` change under the provider's registry lock only.
struct meter_registry {
  struct meter_state {
    instrumentation_scope scope;
    std::vector<instrument_storage*> instruments;
  };
  explicit meter_registry(llmtrace::resource r) : resource(std::move(r)) {}
  llmtrace::resource resource;
  std::deque<meter_state> meters;                            // addresses stable (scopes are pointed to)
  std::vector<std::unique_ptr<instrument_storage>> storage;  // every instrument, in creation order
};
}  // namespace detail

/// Owns the metric pipeline: resource, readers, meters and their instruments.
class meter_provider final : public detail::metric_producer {
 public:
  explicit meter_provider(meter_provider_options opt = {}) : meter_provider(std::move(opt), true) {}
  ~meter_provider() override { shutdown(std::chrono::milliseconds(30000)); }
  meter_provider(const meter_provider&) = delete;
  meter_provider& operator=(const meter_provider&) = delete;

  /// A provider that records nothing (what the global meter provider is until you set one).
  static std::shared_ptr<meter_provider> make_noop() {
    return std::shared_ptr<meter_provider>(new meter_provider(meter_provider_options{}, false));
  }

  /// The meter for an instrumentation scope; the same name, version and schema URL give the same meter.
  metrics::meter get_meter(std::string_view name, std::string_view version = {}, std::string_view schema_url = {}) {
    if (!enabled_) return metrics::meter(this, 0);
    std::lock_guard<std::mutex> lk(mu_);
    auto& meters = reg_->meters;
    for (std::size_t i = 0; i < meters.size(); ++i) {
      const auto& s = meters[i].scope;
      if (s.name == name && s.version == version && s.schema_url == schema_url) return metrics::meter(this, i);
    }
    meters.emplace_back();
    meters.back().scope = instrumentation_scope{std::string(name), std::string(version), std::string(schema_url), {}};
    return metrics::meter(this, meters.size() - 1);
  }

  /// True when one of this provider's meters has an instrument named `name` (case-insensitive).
  bool has_instrument(std::string_view name) {
    std::lock_guard<std::mutex> lk(mu_);
    for (const auto& st : reg_->storage)
      if (llmtrace::detail::iequals(st->descriptor().name, name)) return true;
    return false;
  }

  /// Exports what every push reader can export now; false on timeout or failure.
  bool force_flush(std::chrono::milliseconds timeout = std::chrono::milliseconds(30000)) noexcept {
    bool ok = true;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (auto& r : readers_) ok = r->force_flush(remaining(deadline)) && ok;
    return ok;
  }
  /// Shuts every reader down (push readers export a last time); instruments record nothing
  /// afterwards that anyone collects. Idempotent.
  bool shutdown(std::chrono::milliseconds timeout = std::chrono::milliseconds(30000)) noexcept {
    if (shut_down_.exchange(true)) return true;
    active_.store(false, std::memory_order_release);
    bool ok = true;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (auto& r : readers_) ok = r->shutdown(remaining(deadline)) && ok;
    return ok;
  }

  const llmtrace::resource& resource() const noexcept { return reg_->resource; }
  /// The readers' counts summed (metric points exported and dropped, failed exports).
  processor_stats stats() const noexcept {
    processor_stats total;
    for (const auto& r : readers_) total += r->stats();
    return total;
  }
  bool active() const noexcept { return active_.load(std::memory_order_relaxed); }
  bool enabled() const noexcept { return enabled_; }
  std::size_t reader_count() const noexcept { return readers_.size(); }
  /// The provider's readers, in registration order.
  metric_reader& reader(std::size_t i) const noexcept { return *readers_[i]; }
  /// When the provider started: the start time of every cumulative point.
  std::int64_t start_time() const noexcept { return start_; }

  /// Collects for reader slot `slot` (metric_reader::collect calls this).
  bool produce(std::size_t slot, const metric_reader& reader, resource_metrics& out) noexcept override {
    if (!enabled_ || slot >= readers_.size()) return false;
    try {
      std::lock_guard<std::mutex> collect_lk(collect_mu_);
      detail::collect_request rq;
      rq.reader = slot;
      rq.readers = readers_.size();
      rq.start_time = start_;
      rq.previous_time = last_collect_[slot];
      rq.now = now();
      rq.epoch = ++epoch_;
      out.resource = &reg_->resource;
      std::size_t scopes = 0;
      std::unique_lock<std::mutex> lk(mu_);
      const std::size_t n_meters = reg_->meters.size();
      lk.unlock();
      if (out.scopes.size() < n_meters) out.scopes.resize(n_meters);
      for (std::size_t m = 0; m < n_meters; ++m) {
        lk.lock();
        auto& ms = reg_->meters[m];
        instruments_.assign(ms.instruments.begin(), ms.instruments.end());
        lk.unlock();
        auto& sc = out.scopes[scopes];
        sc.scope = &ms.scope;
        std::size_t used = 0;
        for (auto* inst : instruments_) {
          rq.temporality = reader.temporality(inst->descriptor().kind);
          if (sc.metrics.size() <= used) sc.metrics.emplace_back();
          inst->collect(rq, sc.metrics[used]);
          if (!sc.metrics[used].empty()) ++used;
        }
        sc.metrics.resize(used);
        if (used) ++scopes;
      }
      out.scopes.resize(scopes);
      last_collect_[slot] = rq.now;
      return true;
    } catch (...) {
      llmtrace::detail::report_error("metrics: a collection failed (out of memory)");
      return false;
    }
  }

  /// Internal: creates (or finds) an instrument in meter `index`.
  detail::instrument_storage* instrument(std::size_t index, detail::instrument_descriptor d,
                                         observable_callback cb) noexcept {
    if (!enabled_) return nullptr;
    try {
      if (!detail::valid_instrument_name(d.name)) {
        llmtrace::detail::report_error("metrics: invalid instrument name '" + d.name +
                                       "' (a letter, then letters, digits, '_', '.', '-' or '/'; at most 255); "
                                       "it records nothing");
        return nullptr;
      }
      if (d.kind == instrument_kind::histogram) {
        auto& b = d.bounds;
        const bool sorted =
            std::adjacent_find(b.begin(), b.end(), [](double x, double y) { return !(x < y); }) == b.end();
        if (!sorted) {
          llmtrace::detail::report_error("metrics: histogram " + d.name +
                                         ": bucket bounds must increase strictly; using the default bounds");
          b.clear();
        }
        if (b.empty()) b = default_histogram_bounds();
      }
      std::lock_guard<std::mutex> lk(mu_);
      auto& ms = reg_->meters[index];
      for (auto& existing : ms.instruments) {
        const auto& e = existing->descriptor();
        if (llmtrace::detail::iequals(e.name, d.name)) {
          if (e.kind == d.kind && e.is_int == d.is_int && !existing->observable()) return existing;
          if (e.kind != d.kind || e.is_int != d.is_int || e.unit != d.unit)
            llmtrace::detail::report_error("metrics: instrument " + d.name +
                                           " registered twice with a different kind, number type or unit; "
                                           "both are exported");
        }
      }
      detail::storage_config cfg = storage_;
      reg_->storage.push_back(std::make_unique<detail::instrument_storage>(std::move(d), cfg, std::move(cb)));
      ms.instruments.push_back(reg_->storage.back().get());
      return ms.instruments.back();
    } catch (...) {
      llmtrace::detail::report_error("metrics: could not create an instrument (out of memory)");
      return nullptr;
    }
  }

  std::int64_t now() const noexcept { return clock_ ? clock_() : llmtrace::detail::unix_now_ns(); }

 private:
  meter_provider(meter_provider_options opt, bool enabled)
      : reg_(std::make_shared<detail::meter_registry>(std::move(opt.resource))),
        readers_(std::move(opt.readers)),
        clock_(opt.clock),
        enabled_(enabled),
        active_(enabled) {
    readers_.erase(std::remove(readers_.begin(), readers_.end(), nullptr), readers_.end());
    storage_.cardinality_limit = opt.cardinality_limit;
    storage_.exemplars = opt.exemplar_filter;
    storage_.clock = opt.clock;
    storage_.stripes = opt.stripes ? opt.stripes : detail::default_stripes();
    start_ = now();
    last_collect_.assign(readers_.size(), start_);
    for (auto& r : readers_) r->retain_while_exporting(reg_);
    for (std::size_t i = 0; i < readers_.size(); ++i) readers_[i]->attach(this, i);
  }
  static std::chrono::milliseconds remaining(std::chrono::steady_clock::time_point deadline) noexcept {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    return left.count() > 0 ? left : std::chrono::milliseconds(0);
  }

  std::shared_ptr<detail::meter_registry> reg_;  // shared with the readers' export workers
  std::vector<std::unique_ptr<metric_reader>> readers_;
  clock_function clock_;
  bool enabled_;
  std::atomic<bool> active_;
  std::atomic<bool> shut_down_{false};
  detail::storage_config storage_;
  std::int64_t start_ = 0;
  std::mutex mu_;          // reg_->meters and reg_->storage
  std::mutex collect_mu_;  // one collection at a time
  std::vector<std::int64_t> last_collect_;
  std::vector<detail::instrument_storage*> instruments_;  // collector scratch
  std::uint64_t epoch_ = 0;
};

inline bool meter::enabled() const noexcept { return p_ && p_->enabled(); }

inline detail::instrument_storage* meter::make(detail::instrument_descriptor d, observable_callback cb) {
  return p_ ? p_->instrument(index_, std::move(d), std::move(cb)) : nullptr;
}

namespace detail {
inline instrument_descriptor describe(std::string_view name, std::string_view unit, std::string_view description,
                                      instrument_kind kind, bool is_int, std::vector<double> bounds = {}) {
  instrument_descriptor d;
  d.name.assign(name.data(), name.size());
  d.unit.assign(unit.data(), unit.size());
  d.description.assign(description.data(), description.size());
  d.kind = kind;
  d.is_int = is_int;
  d.bounds = std::move(bounds);
  return d;
}
}  // namespace detail

inline counter<std::int64_t> meter::create_int64_counter(std::string_view name, std::string_view unit,
                                                         std::string_view description) {
  return counter<std::int64_t>(make(detail::describe(name, unit, description, instrument_kind::counter, true)));
}
inline counter<double> meter::create_double_counter(std::string_view name, std::string_view unit,
                                                    std::string_view description) {
  return counter<double>(make(detail::describe(name, unit, description, instrument_kind::counter, false)));
}
inline up_down_counter<std::int64_t> meter::create_int64_up_down_counter(std::string_view name, std::string_view unit,
                                                                         std::string_view description) {
  return up_down_counter<std::int64_t>(
      make(detail::describe(name, unit, description, instrument_kind::up_down_counter, true)));
}
inline up_down_counter<double> meter::create_double_up_down_counter(std::string_view name, std::string_view unit,
                                                                    std::string_view description) {
  return up_down_counter<double>(
      make(detail::describe(name, unit, description, instrument_kind::up_down_counter, false)));
}
inline histogram<double> meter::create_double_histogram(std::string_view name, std::string_view unit,
                                                        std::string_view description, histogram_advice advice) {
  return histogram<double>(
      make(detail::describe(name, unit, description, instrument_kind::histogram, false, std::move(advice.bounds))));
}
inline histogram<std::int64_t> meter::create_int64_histogram(std::string_view name, std::string_view unit,
                                                             std::string_view description, histogram_advice advice) {
  return histogram<std::int64_t>(
      make(detail::describe(name, unit, description, instrument_kind::histogram, true, std::move(advice.bounds))));
}
inline observable_instrument meter::create_int64_observable_counter(std::string_view name, observable_callback cb,
                                                                    std::string_view unit,
                                                                    std::string_view description) {
  return observable_instrument(
      make(detail::describe(name, unit, description, instrument_kind::observable_counter, true), std::move(cb)));
}
inline observable_instrument meter::create_double_observable_counter(std::string_view name, observable_callback cb,
                                                                     std::string_view unit,
                                                                     std::string_view description) {
  return observable_instrument(
      make(detail::describe(name, unit, description, instrument_kind::observable_counter, false), std::move(cb)));
}
inline observable_instrument meter::create_int64_observable_up_down_counter(std::string_view name,
                                                                            observable_callback cb,
                                                                            std::string_view unit,
                                                                            std::string_view description) {
  return observable_instrument(make(
      detail::describe(name, unit, description, instrument_kind::observable_up_down_counter, true), std::move(cb)));
}
inline observable_instrument meter::create_double_observable_up_down_counter(std::string_view name,
                                                                             observable_callback cb,
                                                                             std::string_view unit,
                                                                             std::string_view description) {
  return observable_instrument(make(
      detail::describe(name, unit, description, instrument_kind::observable_up_down_counter, false), std::move(cb)));
}
inline observable_instrument meter::create_int64_observable_gauge(std::string_view name, observable_callback cb,
                                                                  std::string_view unit, std::string_view description) {
  return observable_instrument(
      make(detail::describe(name, unit, description, instrument_kind::observable_gauge, true), std::move(cb)));
}
inline observable_instrument meter::create_double_observable_gauge(std::string_view name, observable_callback cb,
                                                                   std::string_view unit,
                                                                   std::string_view description) {
  return observable_instrument(
      make(detail::describe(name, unit, description, instrument_kind::observable_gauge, false), std::move(cb)));
}

namespace detail {
/// The process-wide slot (default visibility: one per process, also across shared libraries).
LLMTRACE_API inline llmtrace::detail::global_slot<meter_provider>& global_meters() {
  static auto* s =
      new llmtrace::detail::global_slot<meter_provider>();  // never destroyed (instrument handles point into it)
  return *s;
}
}  // namespace detail

/// The global meter provider: never null; a no-op until set_global_meter_provider is called.
inline meter_provider& global_meter_provider() noexcept { return detail::global_meters().get(); }

/// Installs `p` as the global meter provider (nullptr restores the no-op). The previous provider is
/// kept alive, not shut down: shut it down yourself (llmtrace::init's guard does).
inline void set_global_meter_provider(std::shared_ptr<meter_provider> p) { detail::global_meters().set(std::move(p)); }

/// A meter from the global meter provider.
inline meter get_meter(std::string_view name, std::string_view version = {}, std::string_view schema_url = {}) {
  return global_meter_provider().get_meter(name, version, schema_url);
}

}  // namespace metrics
LLMTRACE_END_NAMESPACE
