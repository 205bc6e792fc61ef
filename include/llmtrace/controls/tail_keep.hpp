// llmtrace/controls/tail_keep.hpp: in-process tail keep. Spans are held per trace until the trace's
// local root (no parent, or a remote parent) ends; then the whole trace is kept when it holds an
// error, is slower than a threshold (the root, a named span, or time to first chunk), or falls in a
// trace-id ratio (the same rule as the traceidratio sampler, so services agree); otherwise it is not
// exported (counted in processor_stats::not_kept). Spans ending after the decision follow it. Held
// spans are capped in count and bytes and in time (max_wait): past a cap or the wait the oldest
// undecided trace is released by the ratio rule (counted). record_all() makes a head sampler record
// what it would drop so this stage sees every span. Thread-safety: the thread ending a span only
// pushes it onto its own single-producer queue (no lock, no allocation: the batch processor's rings);
// holding, deciding and forwarding run on the stage's own worker thread.
#pragma once

#include <llmtrace/attributes.hpp>
#include <llmtrace/batch_processor.hpp>
#include <llmtrace/config.hpp>
#include <llmtrace/controls/filter.hpp>
#include <llmtrace/detail/env.hpp>
#include <llmtrace/error.hpp>
#include <llmtrace/sampler.hpp>
#include <llmtrace/semconv.hpp>
#include <llmtrace/span_data.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE

/// A span (by name, exact or `prefix*`) slower than `threshold` keeps its trace.
struct slow_span_rule {
  std::string name;
  std::chrono::nanoseconds threshold{0};
};

/// When a trace is kept, and how much a tail_keep_processor may hold.
struct tail_keep_options {
  bool errors = true;                      ///< keep traces with a span of status Error
  std::chrono::nanoseconds slow_trace{0};  ///< keep when the local root lasts at least this (0: off)
  std::vector<slow_span_rule> slow_spans;  ///< keep when a named span lasts at least its threshold
  std::chrono::nanoseconds slow_ttft{0};   ///< keep when gen_ai.response.time_to_first_chunk exceeds this (0: off)
  double ratio = 0.0;                      ///< keep this share of the other traces (by trace id)
  std::size_t max_spans = 8192;            ///< held undecided spans at most
  std::size_t max_bytes = 32u << 20;       ///< held undecided bytes at most (estimated)
  std::size_t max_decided = 65536;         ///< remembered decisions (for spans ending after the root)
  /// An undecided trace is released by the ratio rule once a span ending this long after its first
  /// held span arrives (roots that never end; 0: off).
  std::chrono::nanoseconds max_wait = std::chrono::minutes(5);
  std::size_t queue_size =
      2048;  ///< spans each ending thread may queue for the stage's worker (full: dropped, counted)

  /// Parses `errors,slow>2s,slow(chat*)>500ms,ttft>800ms,ratio=0.1,max_spans=4096,max_bytes=16m,
  /// max_wait=5m,queue=2048`.
  /// Durations take ns, us, ms, s or m (no unit: ms); sizes k or m (KiB, MiB). `errors` present
  /// or not decides `errors`. Unknown or invalid items are reported once each and skipped.
  static tail_keep_options parse(std::string_view spec, std::string_view source = "LLMTRACE_TAIL_KEEP") {
    tail_keep_options o;
    o.errors = false;
    for (const auto& raw : detail::split_list(spec)) {
      const std::string item(detail::trim(raw));
      if (item.empty()) continue;
      const std::string low = detail::to_lower(item);
      bool ok = false;
      if (low == "errors") {
        o.errors = ok = true;
      } else if (low.rfind("slow>", 0) == 0) {
        ok = parse_duration(low.substr(5), o.slow_trace);
      } else if (low.rfind("slow(", 0) == 0) {
        const auto close = item.find(")>");
        slow_span_rule r;
        if (close != std::string::npos && close > 5) {
          r.name = item.substr(5, close - 5);
          ok = parse_duration(low.substr(close + 2), r.threshold);
          if (ok) o.slow_spans.push_back(std::move(r));
        }
      } else if (low.rfind("ttft>", 0) == 0) {
        ok = parse_duration(low.substr(5), o.slow_ttft);
      } else if (low.rfind("ratio=", 0) == 0) {
        char* end = nullptr;
        const std::string v = low.substr(6);
        const double r = std::strtod(v.c_str(), &end);
        ok = end != v.c_str() && *end == '\0' && r >= 0.0 && r <= 1.0;
        if (ok) o.ratio = r;
      } else if (low.rfind("max_spans=", 0) == 0) {
        ok = parse_size(low.substr(10), o.max_spans);
      } else if (low.rfind("max_bytes=", 0) == 0) {
        ok = parse_size(low.substr(10), o.max_bytes);
      } else if (low.rfind("max_wait=", 0) == 0) {
        ok = parse_duration(low.substr(9), o.max_wait);
      } else if (low.rfind("queue=", 0) == 0) {
        ok = parse_size(low.substr(6), o.queue_size);
      }
      if (!ok)
        detail::report_error(std::string(source) + ": invalid item '" + item +
                             "' ignored (expected errors, slow>2s, slow(name)>500ms, ttft>800ms, ratio=0.1, "
                             "max_spans=N, max_bytes=N[k|m], max_wait=5m, queue=N)");
    }
    return o;
  }
  /// LLMTRACE_TAIL_KEEP parsed, or nullopt when it is unset or empty (tail keep off).
  static std::optional<tail_keep_options> from_env() {
    const auto v = detail::get_env("LLMTRACE_TAIL_KEEP");
    if (!v || detail::trim(*v).empty()) return std::nullopt;
    return parse(*v);
  }

 private:
  static bool parse_duration(const std::string& s, std::chrono::nanoseconds& out) {
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (end == s.c_str() || !(v >= 0)) return false;
    const std::string unit(end);
    double ns = 0;
    if (unit == "ns")
      ns = v;
    else if (unit == "us")
      ns = v * 1e3;
    else if (unit == "ms" || unit.empty())
      ns = v * 1e6;
    else if (unit == "s")
      ns = v * 1e9;
    else if (unit == "m")
      ns = v * 60e9;
    else
      return false;
    out = std::chrono::nanoseconds(static_cast<std::int64_t>(ns));
    return true;
  }
  static bool parse_size(const std::string& s, std::size_t& out) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
    if (end == s.c_str() || s[0] == '-') return false;
    const std::string unit(end);
    std::size_t mul = 1;
    if (unit == "k")
      mul = 1024;
    else if (unit == "m")
      mul = 1024 * 1024;
    else if (!unit.empty())
      return false;
    out = static_cast<std::size_t>(v) * mul;
    return out > 0;
  }
};

/// What a tail_keep_processor holds and decided.
struct tail_keep_stats {
  std::size_t held_spans = 0;         ///< undecided spans held now
  std::size_t held_bytes = 0;         ///< their estimated bytes
  std::uint64_t kept_traces = 0;      ///< traces decided "keep"
  std::uint64_t not_kept_traces = 0;  ///< traces decided "do not export"
  std::uint64_t released_early = 0;   ///< undecided traces released by the ratio rule at a cap
  std::uint64_t timed_out = 0;        ///< undecided traces released by the ratio rule after max_wait
  std::uint64_t lost_spans = 0;       ///< spans the worker could not hold (out of memory; not exported)
  std::uint64_t not_kept_spans = 0;   ///< spans not exported because of a decision
  std::uint64_t late_spans = 0;       ///< spans that ended after their trace was decided
  std::size_t peak_held_spans = 0;    ///< most spans ever held at once
  std::size_t peak_held_bytes = 0;    ///< most bytes ever held at once
};

namespace detail {
class record_all_sampler final : public custom_sampler {
 public:
  explicit record_all_sampler(sampler inner) : inner_(std::move(inner)) {}
  sampling_decision should_sample(const sampling_parameters& p) const noexcept override {
    const auto d = inner_.should_sample(p);
    return d == sampling_decision::drop ? sampling_decision::record_only : d;
  }
  std::string description() const override { return "RecordAll{" + inner_.description() + "}"; }

 private:
  sampler inner_;
};
}  // namespace detail

/// `inner` with every `drop` turned into `record_only`: the propagated sampled flag still follows
/// `inner`, but every span is recorded and reaches the processors (a tail-keep stage then decides).
inline sampler record_all(sampler inner) {
  return sampler::custom(std::make_shared<const detail::record_all_sampler>(std::move(inner)));
}

namespace detail {

/// The spans the tail-keep worker receives from the batch engine (writable: it takes their contents).
struct tail_keep_batch {
  tail_keep_batch(span_data* const* records, std::size_t count) noexcept : p(records), n(count) {}
  span_data* const* p;
  std::size_t n;
};

/// The tail-keep decision, run only on the stage's worker thread (the batch engine's "exporter"):
/// holds spans per trace, decides at the local root, at a cap, after max_wait or at shutdown, and
/// hands the kept spans to `next` on that thread. Its mutex is shared only with stats readers.
class tail_keep_core {
 public:
  tail_keep_core(tail_keep_options options, std::shared_ptr<span_processor> next)
      : opt_(std::move(options)), ratio_sampler_(sampler::trace_id_ratio(opt_.ratio)), next_(std::move(next)) {}

  export_result export_batch(const tail_keep_batch& batch) noexcept {
    {
      std::lock_guard<std::mutex> lk(mu_);
      for (std::size_t i = 0; i < batch.n; ++i) {
        try {
          span_ptr s(span_pool::acquire());
          std::swap(*s, *batch.p[i]);  // takes the buffers; the engine recycles the emptied record
          take(std::move(s));
        } catch (...) {
          ++stats_.lost_spans;
          report_once("tail keep: out of memory holding a span; span not exported");
        }
      }
      if (closed_)
        decide_all();  // spans drained after a shutdown that could not wait for the worker
      else
        expire();
    }
    forward();
    return export_result::success;
  }
  bool force_flush(std::chrono::milliseconds) noexcept { return true; }  // undecided traces wait for their roots
  /// Decides every held trace with what is known (errors and slow spans seen so far, else the ratio).
  /// Called by the worker at shutdown, or by the shutting-down thread when the worker is slow.
  bool shutdown(std::chrono::milliseconds) noexcept {
    {
      std::lock_guard<std::mutex> lk(mu_);
      closed_ = true;
      decide_all();
    }
    forward();
    return true;
  }

  tail_keep_stats stats() const noexcept {
    std::lock_guard<std::mutex> lk(mu_);
    return stats_;
  }
  const tail_keep_options& options() const noexcept { return opt_; }

 private:
  using key_t = std::pair<std::uint64_t, std::uint64_t>;
  struct held_trace {
    std::vector<span_ptr> spans;
    std::size_t bytes = 0;
    std::uint64_t seq = 0;
    std::int64_t first_end = 0;  // end time of the first span held (for max_wait)
    bool interesting = false;
  };
  struct key_hash {
    std::size_t operator()(const key_t& k) const noexcept {
      return static_cast<std::size_t>(k.second ^ (k.first * 0x9E3779B97F4A7C15ull));
    }
  };

  static key_t trace_key(const trace_id& t) noexcept {
    key_t k{};
    std::memcpy(&k.first, t.bytes.data(), 8);
    std::memcpy(&k.second, t.bytes.data() + 8, 8);
    return k;
  }

  void report_once(const char* message) noexcept {
    if (reported_) return;
    reported_ = true;
    detail::report_error(message);
  }

  void take(span_ptr span) {
    if (span->end_time_unix_nano > newest_end_) newest_end_ = span->end_time_unix_nano;
    const auto key = trace_key(span->context.trace_id);
    const auto decided = decided_.find(key);
    if (decided != decided_.end()) {
      ++stats_.late_spans;
      if (decided->second)
        out_.push_back(std::move(span));
      else
        ++stats_.not_kept_spans;
      return;
    }
    const bool root = !span->has_parent() || span->parent_is_remote;
    auto& t = traces_[key];
    if (t.spans.empty()) {
      t.seq = ++seq_;
      t.first_end = span->end_time_unix_nano;
      order_.emplace_back(key, t.seq);
    }
    t.interesting = t.interesting || interesting(*span, root);
    const std::size_t bytes = estimate(*span);
    t.bytes += bytes;
    stats_.held_spans += 1;
    stats_.held_bytes += bytes;
    const trace_id tid = span->context.trace_id;
    t.spans.push_back(std::move(span));
    if (root)
      release(key, t.interesting || by_ratio(tid));
    else
      evict_over_cap();
    if (stats_.held_spans > stats_.peak_held_spans) stats_.peak_held_spans = stats_.held_spans;
    if (stats_.held_bytes > stats_.peak_held_bytes) stats_.peak_held_bytes = stats_.held_bytes;
  }

  bool by_ratio(const trace_id& t) const noexcept {
    const span_context none{};
    return ratio_sampler_.should_sample(sampling_parameters{none, t, {}, span_kind::internal, {}}) ==
           sampling_decision::record_and_sample;
  }

  bool interesting(const span_data& s, bool root) const noexcept {
    if (opt_.errors && s.status == status_code::error) return true;
    const std::int64_t d = s.duration_ns();
    if (root && opt_.slow_trace.count() > 0 && d >= opt_.slow_trace.count()) return true;
    for (const auto& r : opt_.slow_spans)
      if (r.threshold.count() > 0 && d >= r.threshold.count() && detail::name_matches(s.name(), r.name)) return true;
    if (opt_.slow_ttft.count() > 0) {
      attribute_value v;
      if (s.attributes.find(semconv::gen_ai_response_time_to_first_chunk, v) &&
          v.as_double() * 1e9 > static_cast<double>(opt_.slow_ttft.count()))
        return true;
    }
    return false;
  }

  static std::size_t value_bytes(const attribute_value& v) noexcept {
    if (v.type() == value_type::string) return v.as_string().size();
    if (v.type() == value_type::string_array) {
      std::size_t n = 0;
      for (std::size_t i = 0; i < v.size(); ++i) n += v.string_at(i).size() + 8;
      return n;
    }
    return v.is_array() ? v.size() * 8 : 0;
  }
  static std::size_t attributes_bytes(const attribute_set& a) noexcept {
    std::size_t n = 0;
    for (const attribute x : a) n += 40 + x.key.size() + value_bytes(x.value);
    return n;
  }
  /// An estimate of the memory a held span pins (record, strings, attributes, events, links).
  static std::size_t estimate(const span_data& s) noexcept {
    std::size_t n = sizeof(span_data) + s.name().size() + s.trace_state.size() + s.status_message.size() +
                    attributes_bytes(s.attributes);
    for (const auto& e : s.events) n += sizeof(span_event) + e.name.size() + attributes_bytes(e.attributes);
    for (const auto& l : s.links) n += sizeof(span_link) + l.trace_state.size() + attributes_bytes(l.attributes);
    return n;
  }

  /// Moves a trace's spans to out_ (keep) or frees them, and remembers the decision.
  void release(const key_t& key, bool keep) {
    auto it = traces_.find(key);
    if (it == traces_.end()) return;
    auto& t = it->second;
    stats_.held_spans -= t.spans.size();
    stats_.held_bytes -= t.bytes;
    if (keep) {
      ++stats_.kept_traces;
      for (auto& s : t.spans) out_.push_back(std::move(s));
    } else {
      ++stats_.not_kept_traces;
      stats_.not_kept_spans += t.spans.size();
    }
    traces_.erase(it);
    remember(key, keep);
    if (order_.size() > 2 * traces_.size() + 64) compact_order();
  }

  void remember(const key_t& key, bool keep) {
    if (opt_.max_decided == 0) return;
    if (decided_.emplace(key, keep).second) decided_order_.push_back(key);
    while (decided_order_.size() > opt_.max_decided) {
      decided_.erase(decided_order_.front());
      decided_order_.pop_front();
    }
  }

  /// Releases the oldest undecided trace by what is known (else the ratio); false when none is left.
  bool release_oldest(std::uint64_t& counter) {
    while (!order_.empty()) {
      const auto [key, seq] = order_.front();
      order_.pop_front();
      const auto it = traces_.find(key);
      if (it == traces_.end() || it->second.seq != seq) continue;  // decided already
      ++counter;
      release(key, it->second.interesting || by_ratio(it->second.spans.front()->context.trace_id));
      return true;
    }
    return false;
  }

  void evict_over_cap() {
    while (stats_.held_spans > opt_.max_spans || stats_.held_bytes > opt_.max_bytes)
      if (!release_oldest(stats_.released_early)) break;
  }

  void decide_all() noexcept {
    try {
      while (!traces_.empty()) {
        const auto key = traces_.begin()->first;
        const auto& t = traces_.begin()->second;
        release(key, t.interesting || by_ratio(t.spans.front()->context.trace_id));
      }
    } catch (...) {
    }
  }

  /// Releases, oldest first, the traces whose first span ended max_wait before the newest span end
  /// seen (the spans' own clock: the same whichever clock the provider uses).
  void expire() noexcept {
    if (opt_.max_wait.count() <= 0) return;
    const auto wait = static_cast<std::uint64_t>(opt_.max_wait.count());
    while (!order_.empty()) {
      const auto it = traces_.find(order_.front().first);
      if (it == traces_.end() || it->second.seq != order_.front().second) {
        order_.pop_front();
        continue;
      }
      // newest_end_ >= first_end: the difference fits in 64 unsigned bits whatever the times.
      if (static_cast<std::uint64_t>(newest_end_) - static_cast<std::uint64_t>(it->second.first_end) < wait) return;
      try {
        release_oldest(stats_.timed_out);
      } catch (...) {
        return;
      }
    }
  }

  void compact_order() {
    std::deque<std::pair<key_t, std::uint64_t>> live;
    for (const auto& e : order_) {
      const auto it = traces_.find(e.first);
      if (it != traces_.end() && it->second.seq == e.second) live.push_back(e);
    }
    order_.swap(live);
  }

  /// Hands the kept spans to the next stage outside mu_ (it may export right here, and stats readers
  /// must not wait for that); send_mu_ keeps the worker and a shutting-down thread in order.
  void forward() noexcept {
    std::lock_guard<std::mutex> send(send_mu_);
    {
      std::lock_guard<std::mutex> lk(mu_);
      sending_.swap(out_);
    }
    for (auto& s : sending_) {
      s->recorded_sampled = true;  // kept: record-only spans are exported too
      next_->on_end(std::move(s));
    }
    sending_.clear();
  }

  tail_keep_options opt_;
  sampler ratio_sampler_;
  std::shared_ptr<span_processor> next_;
  mutable std::mutex mu_;  // the worker and stats readers only; never the thread ending a span
  std::unordered_map<key_t, held_trace, key_hash> traces_;
  std::deque<std::pair<key_t, std::uint64_t>> order_;
  std::unordered_map<key_t, bool, key_hash> decided_;
  std::deque<key_t> decided_order_;
  std::vector<span_ptr> out_;      // kept spans to forward (under mu_)
  std::mutex send_mu_;             // taken by forward() only
  std::vector<span_ptr> sending_;  // under send_mu_
  bool closed_ = false;            // shut down: every span is decided as it arrives
  std::uint64_t seq_ = 0;
  std::int64_t newest_end_ = INT64_MIN;
  bool reported_ = false;
  tail_keep_stats stats_;
};

}  // namespace detail

/// Keeps the traces that matter (see the top of this file). The thread ending a span only pushes it
/// onto its own queue (no lock, no allocation); the stage's worker holds, decides and forwards.
class tail_keep_processor final : public span_processor {
 public:
  /// Throws std::invalid_argument when `next` is null.
  tail_keep_processor(tail_keep_options options, std::unique_ptr<span_processor> next)
      : next_(check(std::move(next))),
        core_(new detail::tail_keep_core(options, next_)),
        engine_(std::unique_ptr<detail::tail_keep_core>(core_), engine_options(options), "spans (tail keep)",
                "LLMTRACE_TAIL_KEEP queue") {}
  ~tail_keep_processor() override { shutdown(std::chrono::milliseconds(5000)); }
  tail_keep_processor(const tail_keep_processor&) = delete;
  tail_keep_processor& operator=(const tail_keep_processor&) = delete;

  void on_start(span_data& span) noexcept override { next_->on_start(span); }
  /// Queues the span for the stage's worker (every recorded span, record-only ones included).
  void on_end(span_ptr span) noexcept override { engine_.enqueue(span.release()); }

  /// Decides and forwards what was queued before the call, then flushes the next stage; traces
  /// still undecided keep waiting for their roots.
  bool force_flush(std::chrono::milliseconds timeout) noexcept override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const bool ok = engine_.force_flush(timeout);
    return next_->force_flush(left(deadline)) && ok;
  }

  /// Decides every held trace with what is known (errors and slow spans seen so far, else the
  /// ratio), exports the kept ones, then shuts the next stage down.
  bool shutdown(std::chrono::milliseconds timeout) noexcept override {
    if (shut_down_.exchange(true)) return true;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const bool ok = engine_.shutdown(timeout);
    return next_->shutdown(left(deadline)) && ok;
  }

  /// The next stage's counts, plus the spans of traces not kept (not_kept) and the spans this
  /// stage's queue dropped (dropped_queue, dropped_shutdown).
  processor_stats stats() const noexcept override {
    auto s = next_->stats();
    const auto mine = engine_.stats();
    s.dropped_queue += mine.dropped_queue;
    s.dropped_shutdown += mine.dropped_shutdown;
    const auto t = core_->stats();
    s.not_kept += t.not_kept_spans;
    s.dropped_shutdown += t.lost_spans;
    return s;
  }
  void retain_while_exporting(std::shared_ptr<const void> owner) noexcept override {
    engine_.retain(owner);
    next_->retain_while_exporting(std::move(owner));
  }
  /// What is held and was decided (as of the last batch the worker handled; force_flush first).
  tail_keep_stats tail_stats() const noexcept { return core_->stats(); }
  const tail_keep_options& options() const noexcept { return core_->options(); }

 private:
  static std::shared_ptr<span_processor> check(std::unique_ptr<span_processor> next) {
    if (!next) throw std::invalid_argument("llmtrace: a control stage needs a next processor");
    return std::shared_ptr<span_processor>(std::move(next));
  }
  static batch_options engine_options(const tail_keep_options& o) {
    batch_options b;
    b.max_queue_size = o.queue_size;
    b.max_export_batch_size = 512;
    b.schedule_delay = std::chrono::milliseconds(200);
    b.export_timeout = std::chrono::milliseconds(30000);
    return b;
  }
  static std::chrono::milliseconds left(std::chrono::steady_clock::time_point deadline) noexcept {
    const auto d = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    return d.count() > 0 ? d : std::chrono::milliseconds(0);
  }

  std::shared_ptr<span_processor> next_;  // shared with the worker, which may outlive a timed-out shutdown
  detail::tail_keep_core* core_;          // owned by the engine's state (alive as long as the worker)
  detail::batch_engine<span_data, detail::tail_keep_core, detail::tail_keep_batch> engine_;
  std::atomic<bool> shut_down_{false};
};

LLMTRACE_END_NAMESPACE
