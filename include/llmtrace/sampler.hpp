// llmtrace/sampler.hpp: decides at span start whether a span is recorded and exported.
// Built-ins: always_on, always_off, traceidratio (deterministic on the trace id, so every service in
// a trace agrees) and parentbased(...). Custom samplers implement custom_sampler.
// Thread-safety: samplers are immutable once built; should_sample is called concurrently.
#pragma once

#include <llmtrace/attributes.hpp>
#include <llmtrace/config.hpp>
#include <llmtrace/span_data.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

LLMTRACE_BEGIN_NAMESPACE

enum class sampling_decision : std::uint8_t {
  drop,              ///< not recorded; context still propagates (flags: not sampled)
  record_only,       ///< recorded and seen by processors, not exported
  record_and_sample  ///< recorded and exported
};

/// What a sampler sees about the span being started.
struct sampling_parameters {
  const span_context& parent;  ///< invalid for a root span
  const trace_id& trace;
  std::string_view name;
  span_kind kind;
  attribute_list attributes;
};

/// Implement this for a sampler of your own.
class custom_sampler {
 public:
  virtual ~custom_sampler() = default;
  virtual sampling_decision should_sample(const sampling_parameters& p) const noexcept = 0;
  virtual std::string description() const = 0;
};

/// A sampler value: cheap to copy, immutable.
class sampler {
 public:
  static sampler always_on() { return sampler(kind::always_on); }
  static sampler always_off() { return sampler(kind::always_off); }
  /// Samples about `ratio` of traces, decided from the trace id alone (ratio clamped to [0, 1]).
  static sampler trace_id_ratio(double ratio) {
    sampler s(kind::ratio);
    if (!(ratio >= 0.0)) ratio = 0.0;  // also NaN
    if (ratio > 1.0) ratio = 1.0;
    s.ratio_ = ratio;
    // Sample when the id's low 63 bits (bytes 8..15 big-endian, shifted) fall below ratio * 2^63.
    s.bound_ = ratio >= 1.0 ? (std::uint64_t{1} << 63) : static_cast<std::uint64_t>(ratio * 9223372036854775808.0);
    return s;
  }
  /// Follows the parent's decision; uses `root` when there is no parent.
  static sampler parent_based(sampler root, sampler remote_sampled = always_on(),
                              sampler remote_not_sampled = always_off(), sampler local_sampled = always_on(),
                              sampler local_not_sampled = always_off());
  static sampler custom(std::shared_ptr<const custom_sampler> impl) {
    sampler s(kind::custom);
    s.custom_ = std::move(impl);
    return s;
  }

  sampling_decision should_sample(const sampling_parameters& p) const noexcept;

  /// The OpenTelemetry-style description, e.g. `ParentBased{root:TraceIdRatioBased{0.250000},...}`.
  std::string description() const;

 private:
  enum class kind : std::uint8_t { always_on, always_off, ratio, parent_based, custom };
  struct parent_children;
  explicit sampler(kind k) : kind_(k) {}

  kind kind_;
  double ratio_ = 0;
  std::uint64_t bound_ = 0;
  std::shared_ptr<const parent_children> children_;
  std::shared_ptr<const custom_sampler> custom_;
};

struct sampler::parent_children {
  sampler root, remote_sampled, remote_not_sampled, local_sampled, local_not_sampled;
};

inline sampler sampler::parent_based(sampler root, sampler remote_sampled, sampler remote_not_sampled,
                                     sampler local_sampled, sampler local_not_sampled) {
  sampler s(kind::parent_based);
  s.children_ = std::make_shared<const parent_children>(
      parent_children{std::move(root), std::move(remote_sampled), std::move(remote_not_sampled),
                      std::move(local_sampled), std::move(local_not_sampled)});
  return s;
}

inline sampling_decision sampler::should_sample(const sampling_parameters& p) const noexcept {
  switch (kind_) {
    case kind::always_on:
      return sampling_decision::record_and_sample;
    case kind::always_off:
      return sampling_decision::drop;
    case kind::ratio:
      return (p.trace.low_u64_be() >> 1) < bound_ ? sampling_decision::record_and_sample : sampling_decision::drop;
    case kind::parent_based: {
      const auto& c = *children_;
      if (!p.parent.valid()) return c.root.should_sample(p);
      if (p.parent.is_remote) return (p.parent.sampled() ? c.remote_sampled : c.remote_not_sampled).should_sample(p);
      return (p.parent.sampled() ? c.local_sampled : c.local_not_sampled).should_sample(p);
    }
    case kind::custom:
      return custom_ ? custom_->should_sample(p) : sampling_decision::drop;
  }
  return sampling_decision::drop;
}

inline std::string sampler::description() const {
  switch (kind_) {
    case kind::always_on:
      return "AlwaysOnSampler";
    case kind::always_off:
      return "AlwaysOffSampler";
    case kind::ratio: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "TraceIdRatioBased{%f}", ratio_);
      return buf;
    }
    case kind::parent_based: {
      const auto& c = *children_;
      return "ParentBased{root:" + c.root.description() + ",remoteParentSampled:" + c.remote_sampled.description() +
             ",remoteParentNotSampled:" + c.remote_not_sampled.description() +
             ",localParentSampled:" + c.local_sampled.description() +
             ",localParentNotSampled:" + c.local_not_sampled.description() + "}";
    }
    case kind::custom:
      return custom_ ? custom_->description() : "CustomSampler";
  }
  return {};
}

LLMTRACE_END_NAMESPACE
