// llmtrace/metrics/detail/storage.hpp: where measurements go. Each instrument owns a fixed-size
// open-addressing table of series (one per attribute set), looked up without a lock; a series keeps
// its aggregate in per-thread-group stripes of relaxed atomics, so two threads recording the same
// series do not share cache lines. Collection folds the stripes under the provider's collection lock.
// Thread-safety: record paths are lock-free and allocation-free once a series exists; creating a
// series takes the instrument's own mutex; collection runs on one thread at a time.
#pragma once

#include <llmtrace/attributes.hpp>
#include <llmtrace/config.hpp>
#include <llmtrace/context.hpp>
#include <llmtrace/detail/clock.hpp>
#include <llmtrace/error.hpp>
#include <llmtrace/metrics/data.hpp>
#include <llmtrace/span_data.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#if defined(__GNUC__) || defined(__clang__)
#define LLMTRACE_METRICS_INLINE inline __attribute__((always_inline))
#else
#define LLMTRACE_METRICS_INLINE inline
#endif

LLMTRACE_BEGIN_NAMESPACE
namespace metrics {
namespace detail {

using llmtrace::detail::report_error;

// ---- attribute-set identity: an order-independent hash and an equality that tries the same order first ----

LLMTRACE_METRICS_INLINE std::uint64_t mix64(std::uint64_t h) noexcept {
  h ^= h >> 31;
  h *= 0x7fb5d329728ea185ULL;
  h ^= h >> 27;
  h *= 0x81dadef4bc2dd44dULL;
  return h ^ (h >> 33);
}

LLMTRACE_METRICS_INLINE std::uint64_t load8(const char* p) noexcept {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}
LLMTRACE_METRICS_INLINE std::uint64_t load4(const char* p) noexcept {
  std::uint32_t w;
  std::memcpy(&w, p, 4);
  return w;
}

/// A constant-time string hash from the length and up to three 8-byte samples (start, middle, end):
/// a collision only costs a longer probe, because lookups always compare the whole attribute set.
LLMTRACE_METRICS_INLINE std::uint64_t hash_bytes(const char* p, std::size_t n, std::uint64_t h) noexcept {
  std::uint64_t a = 0, b = 0, c = 0;
  if (n >= 8) {
    a = load8(p);
    b = load8(p + n - 8);
    if (n > 16) c = load8(p + n / 2 - 4);
  } else if (n >= 4) {
    a = load4(p);
    b = load4(p + n - 4);
  } else if (n) {
    a = static_cast<unsigned char>(p[0]) | static_cast<std::uint64_t>(static_cast<unsigned char>(p[n / 2])) << 8 |
        static_cast<std::uint64_t>(static_cast<unsigned char>(p[n - 1])) << 16;
  }
  return (a ^ h) * 0x9e3779b97f4a7c15ULL + ((b ^ (h >> 7)) * 0xc2b2ae3d27d4eb4fULL ^ (b >> 29)) +
         (c * 0x165667b19e3779f9ULL ^ (c >> 31)) + static_cast<std::uint64_t>(n) * 0xd6e8feb86659fd93ULL;
}

/// Equality of short strings without a library call (attribute keys and values are mostly short).
LLMTRACE_METRICS_INLINE bool same_bytes(std::string_view x, std::string_view y) noexcept {
  const std::size_t n = x.size();
  if (n != y.size()) return false;
  const char *p = x.data(), *q = y.data();
  if (n >= 8 && n <= 16) return load8(p) == load8(q) && load8(p + n - 8) == load8(q + n - 8);
  if (n > 16 && n <= 32)
    return load8(p) == load8(q) && load8(p + 8) == load8(q + 8) && load8(p + n - 16) == load8(q + n - 16) &&
           load8(p + n - 8) == load8(q + n - 8);
  if (n >= 4 && n < 8) return load4(p) == load4(q) && load4(p + n - 4) == load4(q + n - 4);
  return n < 4 ? x == y : std::memcmp(p, q, n) == 0;
}

inline std::uint64_t double_bits(double d) noexcept {
  if (d == 0) d = 0;  // -0.0 and 0.0 are one value
  std::uint64_t u;
  std::memcpy(&u, &d, 8);
  return u;
}
inline double bits_double(std::uint64_t u) noexcept {
  double d;
  std::memcpy(&d, &u, 8);
  return d;
}

LLMTRACE_METRICS_INLINE std::uint64_t hash_value(const attribute_value& v) noexcept {
  std::uint64_t h = static_cast<std::uint64_t>(v.type()) + 1;
  switch (v.type()) {
    case value_type::boolean:
      return h ^ (v.as_bool() ? 0x100 : 0x200);  // hash_attribute mixes the result
    case value_type::int64:
      return h ^ static_cast<std::uint64_t>(v.as_int()) * 0x9e3779b97f4a7c15ULL;
    case value_type::float64:
      return h ^ double_bits(v.as_double()) * 0x9e3779b97f4a7c15ULL;
    case value_type::string: {
      const auto s = v.as_string();
      return hash_bytes(s.data(), s.size(), h);
    }
    default:
      for (std::size_t i = 0; i < v.size(); ++i) {
        switch (v.type()) {
          case value_type::bool_array:
            h = mix64(h ^ (v.bool_at(i) ? 3u : 5u));
            break;
          case value_type::int64_array:
            h = mix64(h ^ static_cast<std::uint64_t>(v.int_at(i)));
            break;
          case value_type::float64_array:
            h = mix64(h ^ double_bits(v.double_at(i)));
            break;
          default: {
            const auto s = v.string_at(i);
            h = hash_bytes(s.data(), s.size(), h);
          }
        }
      }
      return h;
  }
}

/// One attribute's contribution; the set's hash is the sum, so the order of the list does not matter.
/// Keys enter only through their length (an instrument sees few distinct keys, and every lookup
/// compares keys in full), which halves the hashing work of the recording path.
LLMTRACE_METRICS_INLINE std::uint64_t hash_attribute(const attribute& a) noexcept {
  return hash_value(a.value) * (2 * static_cast<std::uint64_t>(a.key.size()) + 1);
}

LLMTRACE_METRICS_INLINE std::uint64_t hash_attributes(attribute_list attrs) noexcept {
  std::uint64_t h = 0x2545f4914f6cdd1dULL + attrs.size();
  for (const auto& a : attrs) h += hash_attribute(a);
  return mix64(h);
}

LLMTRACE_METRICS_INLINE bool values_equal(const attribute_value& a, const attribute_value& b) noexcept {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case value_type::boolean:
      return a.as_bool() == b.as_bool();
    case value_type::int64:
      return a.as_int() == b.as_int();
    case value_type::float64:
      return double_bits(a.as_double()) == double_bits(b.as_double());
    case value_type::string:
      return same_bytes(a.as_string(), b.as_string());
    default:
      if (a.size() != b.size()) return false;
      for (std::size_t i = 0; i < a.size(); ++i) {
        switch (a.type()) {
          case value_type::bool_array:
            if (a.bool_at(i) != b.bool_at(i)) return false;
            break;
          case value_type::int64_array:
            if (a.int_at(i) != b.int_at(i)) return false;
            break;
          case value_type::float64_array:
            if (double_bits(a.double_at(i)) != double_bits(b.double_at(i))) return false;
            break;
          default:
            if (a.string_at(i) != b.string_at(i)) return false;
        }
      }
      return true;
  }
}

// ---- one series ----

/// A cache line of eight atomic cells; a stripe is one or more lines.
struct alignas(64) cell_line {
  std::atomic<std::uint64_t> v[8];
};

/// The latest measurement of one histogram bucket made inside a span, behind a sequence lock
/// (a writer that finds the lock taken skips: an exemplar is a sample).
struct exemplar_slot {
  std::atomic<std::uint32_t> seq{0};
  std::atomic<std::uint64_t> value{0}, time{0}, trace_hi{0}, trace_lo{0}, span{0};

  void write(double v, std::int64_t t, const span_context& sc) noexcept {
    std::uint32_t s = seq.load(std::memory_order_relaxed);
    if ((s & 1u) || !seq.compare_exchange_strong(s, s + 1, std::memory_order_acquire, std::memory_order_relaxed))
      return;
    std::uint64_t w[3];
    std::memcpy(w, sc.trace_id.data(), 16);
    std::memcpy(w + 2, sc.span_id.data(), 8);
    value.store(double_bits(v), std::memory_order_relaxed);
    time.store(static_cast<std::uint64_t>(t), std::memory_order_relaxed);
    trace_hi.store(w[0], std::memory_order_relaxed);
    trace_lo.store(w[1], std::memory_order_relaxed);
    span.store(w[2], std::memory_order_relaxed);
    seq.store(s + 2, std::memory_order_release);
  }
  /// A consistent copy; false when empty or when writers kept it busy.
  bool read(exemplar& out) const noexcept {
    for (int attempt = 0; attempt < 8; ++attempt) {
      const std::uint32_t s1 = seq.load(std::memory_order_acquire);
      if (s1 == 0) return false;
      if (s1 & 1u) continue;
      std::uint64_t w[3];
      // Acquire loads (no fence: TSan does not model fences) keep the re-check below after them.
      const std::uint64_t v = value.load(std::memory_order_acquire);
      const std::uint64_t t = time.load(std::memory_order_acquire);
      w[0] = trace_hi.load(std::memory_order_acquire);
      w[1] = trace_lo.load(std::memory_order_acquire);
      w[2] = span.load(std::memory_order_acquire);
      if (seq.load(std::memory_order_relaxed) != s1) continue;
      out.value = bits_double(v);
      out.time_unix_nano = static_cast<std::int64_t>(t);
      std::memcpy(out.trace_id.bytes.data(), w, 16);
      std::memcpy(out.span_id.bytes.data(), w + 2, 8);
      return true;
    }
    return false;
  }
};

/// What one reader remembers about one series between its collections.
struct reader_state {
  std::uint64_t last_raw = 0;  ///< sums: the value at this reader's previous collection (raw bits)
  std::vector<std::uint64_t> last_buckets;
  double last_sum = 0;
  double pending_min = std::numeric_limits<double>::infinity();  ///< since this reader's previous collection
  double pending_max = -std::numeric_limits<double>::infinity();
  double lifetime_min = std::numeric_limits<double>::infinity();
  double lifetime_max = -std::numeric_limits<double>::infinity();
  bool pending = false;  ///< a measurement arrived since this reader's previous collection
  bool ever = false;     ///< a measurement ever arrived
};

struct series {
  series(attribute_list attrs, std::uint64_t h, std::size_t stripes, std::size_t cells, std::size_t exemplar_slots)
      : attributes(attrs),
        hash(h),
        lines_per_stripe((cells + 7) / 8),
        lines(new cell_line[stripes * ((cells + 7) / 8)]) {
    for (std::size_t i = 0; i < stripes * lines_per_stripe; ++i)
      for (auto& c : lines[i].v) c.store(0, std::memory_order_relaxed);
    for (const attribute a : attributes) view.push_back(a);
    if (exemplar_slots) exemplars.reset(new exemplar_slot[exemplar_slots]);
  }
  std::atomic<std::uint64_t>& cell(std::size_t stripe, std::size_t k) noexcept {
    return lines[stripe * lines_per_stripe + (k >> 3)].v[k & 7];
  }

  /// True when `attrs` is this series' attribute set (tries the creating call's order first).
  bool matches(std::uint64_t h, attribute_list attrs) const noexcept {
    if (h != hash || attrs.size() != view.size()) return false;
    std::size_t i = 0;
    for (const auto& a : attrs) {
      const attribute* s = &view[i++];
      if (!same_bytes(s->key, a.key)) {
        s = nullptr;
        for (const auto& cand : view)
          if (same_bytes(cand.key, a.key)) s = &cand;
        if (!s) return false;
      }
      if (!values_equal(s->value, a.value)) return false;
    }
    return true;
  }

  attribute_set attributes;
  std::vector<attribute> view;  ///< views into `attributes`, which never changes after construction
  std::uint64_t hash;
  std::size_t lines_per_stripe;
  std::unique_ptr<cell_line[]> lines;
  std::unique_ptr<exemplar_slot[]> exemplars;
  // Collector-only state (under the provider's collection lock).
  std::vector<reader_state> readers;
  std::uint64_t folded_count = 0;    ///< histograms: the count at the previous fold
  double folded_sum = 0;             ///< histograms: the sum at the previous fold
  std::uint64_t observed_epoch = 0;  ///< observable instruments: the collection that last observed it
};

/// The calling thread's stripe (threads are numbered in the order they first record).
inline std::size_t thread_stripe() noexcept {
  static std::atomic<std::size_t> next{0};
  thread_local std::size_t mine = ~std::size_t{0};  // constant-initialised: no TLS guard on each read
  if (LLMTRACE_UNLIKELY(mine == ~std::size_t{0})) mine = next.fetch_add(1, std::memory_order_relaxed);
  return mine;
}

inline std::size_t default_stripes() noexcept {
  const unsigned hw = std::thread::hardware_concurrency();
  std::size_t s = 1;
  while (s < hw && s < 8) s <<= 1;
  return s;
}

/// Adds to a double kept as bits in an atomic cell.
inline void atomic_add_double(std::atomic<std::uint64_t>& c, double v) noexcept {
  std::uint64_t old = c.load(std::memory_order_relaxed);
  while (!c.compare_exchange_weak(old, double_bits(bits_double(old) + v), std::memory_order_relaxed)) {
  }
}

/// What an instrument is: name, unit, kind, number type and (histograms) bucket bounds.
struct instrument_descriptor {
  std::string name;
  std::string description;
  std::string unit;
  instrument_kind kind = instrument_kind::counter;
  bool is_int = false;
  std::vector<double> bounds;  ///< histograms
};

/// How a provider configures its instruments' storage.
struct storage_config {
  std::uint32_t cardinality_limit = 2000;
  exemplar_filter exemplars = exemplar_filter::trace_based;
  std::int64_t (*clock)() noexcept = nullptr;
  std::size_t stripes = 1;  ///< a power of two
};

/// What a collection asks of one instrument.
struct collect_request {
  std::size_t reader = 0;   ///< the collecting reader's slot
  std::size_t readers = 1;  ///< how many readers the provider has
  aggregation_temporality temporality = aggregation_temporality::cumulative;
  std::int64_t start_time = 0;     ///< the provider's start (cumulative points)
  std::int64_t previous_time = 0;  ///< the reader's previous collection (delta points, exemplars)
  std::int64_t now = 0;
  std::uint64_t epoch = 0;  ///< increases with every collection (observable instruments)
};

class instrument_storage;

/// Handed to observable instruments' callbacks: each observe() reports one series' current value.
class observer {
 public:
  explicit observer(instrument_storage* s, std::uint64_t epoch) noexcept : s_(s), epoch_(epoch) {}
  inline void observe(double value, attribute_list attributes = {}) noexcept;
  inline void observe(std::int64_t value, attribute_list attributes = {}) noexcept;
  void observe(int value, attribute_list attributes = {}) noexcept {
    observe(static_cast<std::int64_t>(value), attributes);
  }

 private:
  instrument_storage* s_;
  std::uint64_t epoch_;
};

using observable_callback = std::function<void(observer&)>;

/// One instrument's series and aggregation.
class instrument_storage {
 public:
  instrument_storage(instrument_descriptor d, const storage_config& c, observable_callback cb = {})
      : desc_(std::move(d)), cfg_(c), callback_(std::move(cb)) {
    if (cfg_.cardinality_limit < 2) cfg_.cardinality_limit = 2;
    if (cfg_.stripes == 0 || (cfg_.stripes & (cfg_.stripes - 1))) cfg_.stripes = 1;
    if (observable()) cfg_.stripes = 1;
    std::size_t cap = 16;
    while (cap < 2u * cfg_.cardinality_limit) cap <<= 1;
    mask_ = cap - 1;
    slots_.reset(new std::atomic<series*>[cap]);
    for (std::size_t i = 0; i < cap; ++i) slots_[i].store(nullptr, std::memory_order_relaxed);
    const attribute overflow_attr{"otel.metric.overflow", true};
    overflow_ = make_series(attribute_list(&overflow_attr, 1), 0);
  }
  instrument_storage(const instrument_storage&) = delete;
  instrument_storage& operator=(const instrument_storage&) = delete;

  const instrument_descriptor& descriptor() const noexcept { return desc_; }
  bool observable() const noexcept {
    return desc_.kind == instrument_kind::observable_counter ||
           desc_.kind == instrument_kind::observable_up_down_counter || desc_.kind == instrument_kind::observable_gauge;
  }
  bool histogram() const noexcept { return desc_.kind == instrument_kind::histogram; }
  bool monotonic() const noexcept {
    return desc_.kind == instrument_kind::counter || desc_.kind == instrument_kind::observable_counter ||
           desc_.kind == instrument_kind::histogram;
  }

  /// Measurements that went to the overflow series because the cardinality limit was reached.
  std::uint64_t overflowed() const noexcept { return overflowed_.load(std::memory_order_relaxed); }
  /// Measurements dropped as invalid (negative for a counter or histogram, NaN).
  std::uint64_t invalid() const noexcept { return invalid_.load(std::memory_order_relaxed); }
  /// Distinct attribute sets seen (the overflow series excluded).
  std::size_t series_count() const noexcept { return count_.load(std::memory_order_relaxed); }

  // ---- hot path ----

  void add_int(std::int64_t v, attribute_list attrs) noexcept {
    if (LLMTRACE_UNLIKELY(v < 0 && monotonic())) return reject("a negative value");
    series* s = find(attrs);
    auto& c = s->cell(stripe(), 0);
    c.fetch_add(static_cast<std::uint64_t>(v), std::memory_order_relaxed);
    mark(s);
  }
  void add_double(double v, attribute_list attrs) noexcept {
    if (LLMTRACE_UNLIKELY(!(v == v) || (v < 0 && monotonic()))) return reject("a negative or NaN value");
    series* s = find(attrs);
    atomic_add_double(s->cell(stripe(), 0), v);
    mark(s);
  }
  void record(double v, attribute_list attrs) noexcept {
    if (LLMTRACE_UNLIKELY(!(v >= 0))) return reject("a negative or NaN value");
    series* s = find(attrs);
    const std::size_t n = desc_.bounds.size();
    const std::size_t b =
        static_cast<std::size_t>(std::lower_bound(desc_.bounds.begin(), desc_.bounds.end(), v) - desc_.bounds.begin());
    const std::size_t st = stripe();
    s->cell(st, b).fetch_add(1, std::memory_order_relaxed);
    atomic_add_double(s->cell(st, n + 1), v);
    auto& mn = s->cell(st, n + 2);
    std::uint64_t old = mn.load(std::memory_order_relaxed);
    while (v < bits_double(old) && !mn.compare_exchange_weak(old, double_bits(v), std::memory_order_relaxed)) {
    }
    auto& mx = s->cell(st, n + 3);
    old = mx.load(std::memory_order_relaxed);
    while (v > bits_double(old) && !mx.compare_exchange_weak(old, double_bits(v), std::memory_order_relaxed)) {
    }
    if (s->exemplars) offer_exemplar(*s, b, v);
  }

  // ---- series lookup ----

  series* find(attribute_list attrs) noexcept {
    const std::uint64_t h = hash_attributes(attrs);
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      series* s = slots_[i].load(std::memory_order_acquire);
      if (!s) break;
      if (s->matches(h, attrs)) return s;
    }
    if (count_.load(std::memory_order_relaxed) + 1 >= cfg_.cardinality_limit) return overflow();
    return create(attrs);
  }

  // ---- collection (one thread at a time: the provider's collection lock) ----

  /// Appends this instrument's points for one reader to `out` (cleared first).
  void collect(const collect_request& rq, metric_data& out) {
    out.name = desc_.name;
    out.description = desc_.description;
    out.unit = desc_.unit;
    out.kind = desc_.kind;
    out.type = histogram()                                       ? metric_type::histogram
               : desc_.kind == instrument_kind::observable_gauge ? metric_type::gauge
                                                                 : metric_type::sum;
    out.temporality = rq.temporality;
    out.is_monotonic = monotonic();
    out.number_points.clear();
    out.histogram_points.clear();
    if (observable()) run_callback(rq.epoch);
    {
      std::lock_guard<std::mutex> lk(mu_);
      scratch_.assign(owned_.begin(), owned_.end());
    }
    scratch_.push_back(overflow_);
    for (series* s : scratch_) {
      if (s->readers.size() < rq.readers) s->readers.resize(rq.readers);
      if (histogram())
        collect_histogram(*s, rq, out);
      else if (observable())
        collect_observed(*s, rq, out);
      else
        collect_sum(*s, rq, out);
    }
  }

 private:
  friend class observer;

  std::size_t stripe() const noexcept { return thread_stripe() & (cfg_.stripes - 1); }
  std::int64_t now() const noexcept { return cfg_.clock ? cfg_.clock() : llmtrace::detail::unix_now_ns(); }

  void mark(series* s) noexcept {
    auto& dirty = s->cell(stripe(), 1);
    if (dirty.load(std::memory_order_relaxed) == 0) dirty.store(1, std::memory_order_relaxed);
  }

  void reject(const char* what) noexcept {
    if (invalid_.fetch_add(1, std::memory_order_relaxed) == 0)
      report_error("metric " + desc_.name + ": " + what +
                   " was dropped (counters and histograms take values >= 0); later ones are counted, not reported");
  }

  void offer_exemplar(series& s, std::size_t bucket, double v) noexcept {
    if (cfg_.exemplars == exemplar_filter::always_off) return;
    const auto* e = llmtrace::detail::current_entry();
    if (cfg_.exemplars == exemplar_filter::trace_based && (!e || !e->sc.sampled())) return;
    s.exemplars[bucket].write(v, now(), e ? e->sc : span_context{});
  }

  std::size_t cells() const noexcept { return histogram() ? desc_.bounds.size() + 4 : 2; }

  series* make_series(attribute_list attrs, std::uint64_t h) {
    const std::size_t ex = histogram() && cfg_.exemplars != exemplar_filter::always_off ? desc_.bounds.size() + 1 : 0;
    owned_storage_.push_back(std::make_unique<series>(attrs, h, cfg_.stripes, cells(), ex));
    series* s = owned_storage_.back().get();
    if (histogram()) {
      const std::size_t n = desc_.bounds.size();
      for (std::size_t st = 0; st < cfg_.stripes; ++st) {
        s->cell(st, n + 2).store(double_bits(std::numeric_limits<double>::infinity()), std::memory_order_relaxed);
        s->cell(st, n + 3).store(double_bits(-std::numeric_limits<double>::infinity()), std::memory_order_relaxed);
      }
    }
    return s;
  }

  series* overflow() noexcept {
    if (!overflow_reported_.exchange(true, std::memory_order_relaxed))
      report_error("metric " + desc_.name + ": more than " + std::to_string(cfg_.cardinality_limit - 1) +
                   " attribute sets; further ones are recorded in the series otel.metric.overflow=true "
                   "(reported once; see the instrument's overflow count)");
    overflowed_.fetch_add(1, std::memory_order_relaxed);
    return overflow_;
  }

  LLMTRACE_NOINLINE series* create(attribute_list attrs) noexcept {
    try {
      // The canonical set: empty keys dropped, a repeated key keeps its last value.
      std::vector<attribute> canon;
      canon.reserve(attrs.size());
      for (const auto& a : attrs) {
        if (a.key.empty()) continue;
        bool replaced = false;
        for (auto& c : canon)
          if (c.key == a.key) {
            c.value = a.value;
            replaced = true;
          }
        if (!replaced) canon.push_back(a);
      }
      const attribute_list cl(canon);
      const std::uint64_t h = hash_attributes(cl);
      std::lock_guard<std::mutex> lk(mu_);
      std::size_t i = h & mask_;
      for (;; i = (i + 1) & mask_) {
        series* s = slots_[i].load(std::memory_order_acquire);
        if (!s) break;
        if (s->matches(h, cl)) return s;
      }
      if (count_.load(std::memory_order_relaxed) + 1 >= cfg_.cardinality_limit) return overflow();
      series* s = make_series(cl, h);
      owned_.push_back(s);
      slots_[i].store(s, std::memory_order_release);
      count_.fetch_add(1, std::memory_order_relaxed);
      return s;
    } catch (...) {
      return overflow_;  // out of memory: the measurement is still counted
    }
  }

  void run_callback(std::uint64_t epoch) {
    if (!callback_) return;
    observer o(this, epoch);
    try {
      callback_(o);
    } catch (const std::exception& e) {
      report_error("metric " + desc_.name + ": the observable callback threw: " + e.what());
    } catch (...) {
      report_error("metric " + desc_.name + ": the observable callback threw");
    }
  }

  std::int64_t point_start(const collect_request& rq) const noexcept {
    return rq.temporality == aggregation_temporality::delta ? rq.previous_time : rq.start_time;
  }

  void collect_sum(series& s, const collect_request& rq, metric_data& out) {
    bool dirty = false;  // read before the values: a racing measurement at worst shows up as a 0 delta later
    for (std::size_t st = 0; st < cfg_.stripes; ++st)
      if (s.cell(st, 1).load(std::memory_order_relaxed)) dirty = s.cell(st, 1).exchange(0) != 0 || dirty;
    std::uint64_t raw = 0;
    double dsum = 0;
    for (std::size_t st = 0; st < cfg_.stripes; ++st) {
      const std::uint64_t v = s.cell(st, 0).load(std::memory_order_relaxed);
      if (desc_.is_int)
        raw += v;
      else
        dsum += bits_double(v);
    }
    if (!desc_.is_int) raw = double_bits(dsum);
    for (auto& r : s.readers) r.pending = r.pending || dirty;
    emit_number(s, rq, raw, out);
  }

  void collect_observed(series& s, const collect_request& rq, metric_data& out) {
    if (s.observed_epoch != rq.epoch) return;  // not observed by this collection's callback
    s.readers[rq.reader].pending = true;
    emit_number(s, rq, s.cell(0, 0).load(std::memory_order_relaxed), out);
  }

  void emit_number(series& s, const collect_request& rq, std::uint64_t raw, metric_data& out) {
    reader_state& r = s.readers[rq.reader];
    const bool pending = r.pending;
    r.pending = false;
    r.ever = r.ever || pending;
    const bool delta = rq.temporality == aggregation_temporality::delta && out.type != metric_type::gauge;
    if (delta ? !pending : !r.ever) return;
    number_point p;
    p.attributes = &s.attributes;
    p.start_time_unix_nano = out.type == metric_type::gauge ? 0 : point_start(rq);
    p.time_unix_nano = rq.now;
    p.is_int = desc_.is_int;
    if (desc_.is_int) {
      auto v = static_cast<std::int64_t>(raw);
      if (delta) {
        const auto last = static_cast<std::int64_t>(r.last_raw);
        v = monotonic() && v < last ? v : v - last;  // a smaller observed counter restarted from 0
      }
      p.as_int = v;
    } else {
      double v = bits_double(raw);
      if (delta) {
        const double last = bits_double(r.last_raw);
        v = monotonic() && v < last ? v : v - last;
      }
      p.as_double = v;
    }
    r.last_raw = raw;
    out.number_points.push_back(p);
  }

  void collect_histogram(series& s, const collect_request& rq, metric_data& out) {
    const std::size_t n = desc_.bounds.size();
    constexpr double inf = std::numeric_limits<double>::infinity();
    std::vector<std::uint64_t> cur(n + 1, 0);
    double sum = 0, mn = inf, mx = -inf;
    for (std::size_t st = 0; st < cfg_.stripes; ++st) {
      for (std::size_t b = 0; b <= n; ++b) cur[b] += s.cell(st, b).load(std::memory_order_relaxed);
      sum += bits_double(s.cell(st, n + 1).load(std::memory_order_relaxed));
      mn = std::min(mn, bits_double(s.cell(st, n + 2).exchange(double_bits(inf), std::memory_order_relaxed)));
      mx = std::max(mx, bits_double(s.cell(st, n + 3).exchange(double_bits(-inf), std::memory_order_relaxed)));
    }
    std::uint64_t count = 0;
    for (auto c : cur) count += c;
    // Changed since the previous fold: the count, or the sum alone (a measurement whose bucket
    // increment the previous fold saw and whose sum it did not: the cells are read one by one while
    // threads record). Checking the count only lost that sum for good when nothing was recorded after.
    const bool dirty = count != s.folded_count || sum != s.folded_sum;
    s.folded_count = count;
    s.folded_sum = sum;
    for (auto& r : s.readers) {  // every reader sees the interval's extremes at its next collection
      r.pending = r.pending || dirty;
      r.pending_min = std::min(r.pending_min, mn);
      r.pending_max = std::max(r.pending_max, mx);
    }
    reader_state& r = s.readers[rq.reader];
    const bool pending = r.pending;
    r.pending = false;
    r.ever = r.ever || pending;
    r.lifetime_min = std::min(r.lifetime_min, r.pending_min);
    r.lifetime_max = std::max(r.lifetime_max, r.pending_max);
    const double interval_min = r.pending_min, interval_max = r.pending_max;
    r.pending_min = inf;
    r.pending_max = -inf;
    const bool delta = rq.temporality == aggregation_temporality::delta;
    if (delta ? !pending : !r.ever) {
      r.last_buckets = std::move(cur);
      r.last_sum = sum;
      return;
    }
    histogram_point p;
    p.attributes = &s.attributes;
    p.start_time_unix_nano = point_start(rq);
    p.time_unix_nano = rq.now;
    p.bounds = &desc_.bounds;
    p.bucket_counts = cur;
    if (delta && r.last_buckets.size() == n + 1)
      for (std::size_t b = 0; b <= n; ++b) p.bucket_counts[b] -= r.last_buckets[b];
    p.sum = delta ? sum - r.last_sum : sum;
    p.min = delta ? interval_min : r.lifetime_min;
    p.max = delta ? interval_max : r.lifetime_max;
    r.last_buckets = std::move(cur);
    r.last_sum = sum;
    for (auto c : p.bucket_counts) p.count += c;
    if (p.count == 0 || !(p.min <= p.max)) p.min = p.max = 0;
    if (s.exemplars)
      for (std::size_t b = 0; b <= n; ++b) {
        exemplar e;
        if (s.exemplars[b].read(e) && e.time_unix_nano >= rq.previous_time) p.exemplars.push_back(e);
      }
    out.histogram_points.push_back(std::move(p));
  }

  void observe_raw(std::uint64_t raw, attribute_list attrs, std::uint64_t epoch) noexcept {
    series* s = find(attrs);
    s->cell(0, 0).store(raw, std::memory_order_relaxed);
    s->observed_epoch = epoch;
  }

  instrument_descriptor desc_;
  storage_config cfg_;
  observable_callback callback_;
  std::unique_ptr<std::atomic<series*>[]> slots_;
  std::size_t mask_ = 0;
  std::atomic<std::size_t> count_{0};
  series* overflow_ = nullptr;
  std::atomic<bool> overflow_reported_{false};
  std::atomic<std::uint64_t> overflowed_{0}, invalid_{0};
  std::mutex mu_;                                       // series creation
  std::vector<series*> owned_;                          // insertion order (under mu_)
  std::vector<std::unique_ptr<series>> owned_storage_;  // (under mu_, or in the constructor)
  std::vector<series*> scratch_;                        // collector only
};

inline void observer::observe(double value, attribute_list attributes) noexcept {
  if (!s_) return;
  if (s_->descriptor().is_int) return observe(static_cast<std::int64_t>(value), attributes);
  if (!(value == value)) return;
  s_->observe_raw(double_bits(value), attributes, epoch_);
}
inline void observer::observe(std::int64_t value, attribute_list attributes) noexcept {
  if (!s_) return;
  if (!s_->descriptor().is_int) return observe(static_cast<double>(value), attributes);
  s_->observe_raw(static_cast<std::uint64_t>(value), attributes, epoch_);
}

}  // namespace detail
}  // namespace metrics
LLMTRACE_END_NAMESPACE
