// llmtrace/otlp/detail/encoding_common.hpp: what every OTLP encoder shares (protobuf and JSON, spans
// and log records): the Span / Span.Link flags field and the grouping of a batch by resource, then
// instrumentation scope. Standard headers only.
// Thread-safety: otlp_span_flags is pure; an otlp_grouping is used by one thread at a time.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/span_data.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE

namespace detail {

/// W3C flags in the low byte; 0x100: the parent's remoteness is known; 0x200: the parent is remote.
inline constexpr std::uint32_t otlp_flag_has_is_remote = 0x100;
inline constexpr std::uint32_t otlp_flag_is_remote = 0x200;

/// Span.flags / Span.Link.flags: the W3C flags plus the remoteness bits (always known here).
constexpr std::uint32_t otlp_span_flags(std::uint8_t trace_flags, bool remote) noexcept {
  return std::uint32_t{trace_flags} | otlp_flag_has_is_remote | (remote ? otlp_flag_is_remote : 0u);
}

/// Orders a batch (of spans or log records: anything with `resource` and `scope` pointers) by
/// resource, then scope, each in order of first appearance, so that each ResourceSpans/ResourceLogs
/// and ScopeSpans/ScopeLogs is written once. build() reuses the object's storage: an encoder that
/// keeps one grouping per thread does not allocate in steady state, and a batch from one resource
/// and scope (the usual case) is one group without any reordering.
struct otlp_grouping {
  struct group {
    const resource* res;
    const instrumentation_scope* scope;
    std::size_t res_rank;  // first-appearance rank of `res`
    std::size_t count;
    std::size_t offset;  // of the group's first record in the output order
  };
  std::vector<group> groups;  // in output order after build()

  /// The batch index of the `k`-th record of group `g` in the output order.
  std::size_t index(std::size_t g, std::size_t k) const noexcept { return uniform_ ? k : order_[groups[g].offset + k]; }
  /// Whether group `g` opens a new resource, and whether it is the last group of its resource.
  bool opens_resource(std::size_t g) const noexcept { return g == 0 || groups[g].res != groups[g - 1].res; }
  bool closes_resource(std::size_t g) const noexcept {
    return g + 1 == groups.size() || groups[g + 1].res != groups[g].res;
  }

  template <typename Batch>
  void build(const Batch& batch) {
    groups.clear();
    const std::size_t n = batch.size();
    uniform_ = true;
    if (n == 0) return;
    for (std::size_t i = 1; i < n && uniform_; ++i)
      uniform_ = batch[i].resource == batch[0].resource && batch[i].scope == batch[0].scope;
    if (uniform_) {
      groups.push_back(group{batch[0].resource, batch[0].scope, 0, n, 0});
      return;
    }
    group_of_.assign(n, 0);
    resources_.clear();
    std::size_t last = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const auto& s = batch[i];
      std::size_t g = last;
      if (groups.empty() || groups[g].res != s.resource || groups[g].scope != s.scope) {
        for (g = 0; g < groups.size(); ++g)
          if (groups[g].res == s.resource && groups[g].scope == s.scope) break;
        if (g == groups.size()) {
          std::size_t rank = 0;
          while (rank < resources_.size() && resources_[rank] != s.resource) ++rank;
          if (rank == resources_.size()) resources_.push_back(s.resource);
          groups.push_back(group{s.resource, s.scope, rank, 0, 0});
        }
      }
      last = g;
      ++groups[g].count;
      group_of_[i] = static_cast<std::uint32_t>(g);
    }
    // Output order of groups: by resource rank, then first appearance (stable), as offsets.
    rank_of_group_.assign(groups.size(), 0);
    std::size_t offset = 0, next = 0;
    for (std::size_t r = 0; r < resources_.size(); ++r)
      for (std::size_t g = 0; g < groups.size(); ++g)
        if (groups[g].res_rank == r) {
          groups[g].offset = offset;
          offset += groups[g].count;
          rank_of_group_[g] = next++;
        }
    order_.assign(n, 0);
    fill_.assign(groups.size(), 0);
    for (std::size_t g = 0; g < groups.size(); ++g) fill_[g] = groups[g].offset;
    for (std::size_t i = 0; i < n; ++i) order_[fill_[group_of_[i]]++] = static_cast<std::uint32_t>(i);
    sorted_.assign(groups.size(), group{});
    for (std::size_t g = 0; g < groups.size(); ++g) sorted_[rank_of_group_[g]] = groups[g];
    groups.swap(sorted_);
  }

 private:
  bool uniform_ = true;
  std::vector<std::uint32_t> order_;  // batch indices, grouped (unused when uniform_)
  std::vector<std::uint32_t> group_of_;
  std::vector<const resource*> resources_;
  std::vector<std::size_t> rank_of_group_, fill_;
  std::vector<group> sorted_;
};

/// The calling thread's grouping scratch (the encoders run on exporter threads; reused per call).
inline otlp_grouping& otlp_grouping_scratch() {
  thread_local otlp_grouping g;
  return g;
}

}  // namespace detail

LLMTRACE_END_NAMESPACE
