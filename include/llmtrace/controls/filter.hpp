// llmtrace/controls/filter.hpp: drops spans before export (health checks, chatty internal spans) by
// name, kind, attribute value or a predicate, decided when the span starts from what a sampler sees
// (name, kind, start attributes). Children of a filtered span are re-parented to its nearest kept
// ancestor or filtered with it, as chosen; filtered spans are counted in processor_stats::filtered,
// not as drops. Thread-safety: on_start/on_end are called concurrently; the table of live filtered
// spans is locked only while one exists.
#pragma once

#include <llmtrace/attributes.hpp>
#include <llmtrace/config.hpp>
#include <llmtrace/controls/forwarding.hpp>
#include <llmtrace/detail/env.hpp>
#include <llmtrace/error.hpp>
#include <llmtrace/span_data.hpp>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE

/// What happens to the children of a filtered span.
enum class filtered_children : std::uint8_t {
  reparent,  ///< exported, with the filtered span's parent as their parent
  drop       ///< filtered too (the whole subtree)
};

/// Which spans a filtering_processor removes. A span matching any rule is filtered.
struct filter_options {
  /// Span names: exact, or a prefix when ending in `*` (`GET /health*`).
  std::vector<std::string> names;
  /// Span kinds filtered whatever their name.
  std::vector<span_kind> kinds;
  /// Start attributes `key` equal to `value` (strings as is, numbers and bools in their text form:
  /// `http.route` = `/healthz`, `http.response.status_code` = `200`, `synthetic` = `true`).
  std::vector<std::pair<std::string, std::string>> attributes;
  /// Called at start with the span (name, kind, parent and start attributes set); true filters it.
  std::function<bool(const span_data&)> predicate;
  filtered_children children = filtered_children::reparent;

  /// LLMTRACE_FILTER_SPANS (span names, `prefix*` allowed) and LLMTRACE_FILTER_CHILDREN
  /// (`reparent` [default] or `drop`). Invalid values are reported once and the default used.
  static filter_options from_env() {
    filter_options o;
    if (const auto v = detail::get_env("LLMTRACE_FILTER_SPANS"))
      for (const auto& n : detail::split_list(*v))
        if (!detail::trim(n).empty()) o.names.emplace_back(detail::trim(n));
    if (const auto v = detail::get_env("LLMTRACE_FILTER_CHILDREN")) {
      const auto c = detail::to_lower(detail::trim(*v));
      if (c == "drop")
        o.children = filtered_children::drop;
      else if (c != "reparent" && !c.empty())
        detail::report_invalid("LLMTRACE_FILTER_CHILDREN", *v, "reparent or drop", "reparent");
    }
    return o;
  }
  /// True when some rule is set.
  bool any() const noexcept { return !names.empty() || !kinds.empty() || !attributes.empty() || predicate; }
};

namespace detail {
/// The text form of a scalar attribute value for filter and baggage comparisons.
inline std::string attribute_text(const attribute_value& v) {
  switch (v.type()) {
    case value_type::string:
      return std::string(v.as_string());
    case value_type::boolean:
      return v.as_bool() ? "true" : "false";
    case value_type::int64:
      return std::to_string(v.as_int());
    case value_type::float64: {
      std::string s = std::to_string(v.as_double());
      while (s.size() > 1 && s.back() == '0') s.pop_back();
      if (!s.empty() && s.back() == '.') s.pop_back();
      return s;
    }
    default:
      return {};
  }
}
inline bool name_matches(std::string_view name, const std::string& pattern) noexcept {
  if (!pattern.empty() && pattern.back() == '*')
    return name.substr(0, pattern.size() - 1) == std::string_view(pattern).substr(0, pattern.size() - 1);
  return name == pattern;
}
struct span_key_hash {
  std::size_t operator()(const std::pair<std::uint64_t, std::uint64_t>& k) const noexcept {
    return static_cast<std::size_t>(k.first ^ (k.second * 0x9E3779B97F4A7C15ull));
  }
};
inline std::pair<std::uint64_t, std::uint64_t> span_key(const trace_id& t, const span_id& s) noexcept {
  std::uint64_t a = 0, b = 0;
  std::memcpy(&a, t.bytes.data() + 8, 8);
  std::memcpy(&b, s.bytes.data(), 8);
  return {a, b};
}
}  // namespace detail

/// Removes matching spans before `next` sees them (see the header comment).
class filtering_processor final : public forwarding_processor {
 public:
  filtering_processor(filter_options options, std::unique_ptr<span_processor> next)
      : forwarding_processor(std::move(next)), opt_(std::move(options)) {}

  /// True when `s` matches a rule (name, kind, start attributes, predicate).
  bool matches(const span_data& s) const {
    for (const auto& n : opt_.names)
      if (detail::name_matches(s.name(), n)) return true;
    for (auto k : opt_.kinds)
      if (s.kind == k) return true;
    for (const auto& kv : opt_.attributes) {
      attribute_value v;
      if (s.attributes.find(kv.first, v) && detail::attribute_text(v) == kv.second) return true;
    }
    return opt_.predicate && opt_.predicate(s);
  }

  void on_start(span_data& s) noexcept override {
    try {
      bool filtered = false;
      span_id parent = s.parent_span_id;
      bool parent_remote = s.parent_is_remote;
      if (live_.load(std::memory_order_acquire) > 0 && s.has_parent()) {
        std::lock_guard<std::mutex> lk(mu_);
        const auto it = live_spans_.find(detail::span_key(s.context.trace_id, s.parent_span_id));
        if (it != live_spans_.end()) {
          parent = it->second.parent;
          parent_remote = it->second.parent_remote;
          if (opt_.children == filtered_children::drop) {
            filtered = true;
          } else {
            s.parent_span_id = parent;  // the nearest kept ancestor
            s.parent_is_remote = parent_remote;
          }
        }
      }
      if (!filtered) filtered = matches(s);
      if (filtered) {
        std::lock_guard<std::mutex> lk(mu_);
        live_spans_[detail::span_key(s.context.trace_id, s.context.span_id)] = entry{parent, parent_remote};
        live_.store(live_spans_.size(), std::memory_order_release);
        return;
      }
    } catch (...) {
      detail::report_error("span filter failed (out of memory or a throwing predicate): span kept");
    }
    forwarding_processor::on_start(s);
  }

  void on_end(span_ptr span) noexcept override {
    if (live_.load(std::memory_order_acquire) > 0) {
      std::unique_lock<std::mutex> lk(mu_);
      const auto it = live_spans_.find(detail::span_key(span->context.trace_id, span->context.span_id));
      if (it != live_spans_.end()) {
        live_spans_.erase(it);
        live_.store(live_spans_.size(), std::memory_order_release);
        lk.unlock();
        filtered_.fetch_add(1, std::memory_order_relaxed);
        return;  // span_ptr returns the record to the pool
      }
    }
    forwarding_processor::on_end(std::move(span));
  }

  processor_stats stats() const noexcept override {
    auto s = forwarding_processor::stats();
    s.filtered += filtered_.load(std::memory_order_relaxed);
    return s;
  }
  /// Spans filtered so far.
  std::uint64_t filtered() const noexcept { return filtered_.load(std::memory_order_relaxed); }

 private:
  struct entry {
    span_id parent;
    bool parent_remote;
  };
  filter_options opt_;
  std::mutex mu_;
  std::unordered_map<std::pair<std::uint64_t, std::uint64_t>, entry, detail::span_key_hash> live_spans_;
  std::atomic<std::size_t> live_{0};
  std::atomic<std::uint64_t> filtered_{0};
};

LLMTRACE_END_NAMESPACE
