#include "test_support.hpp"

#include <doctest/doctest.h>

#include <cmath>

using namespace llmtrace;

namespace {
sampling_decision decide(const sampler& s, const span_context& parent, const trace_id& t) {
  return s.should_sample(sampling_parameters{parent, t, "op", span_kind::internal, {}});
}
span_context parent_ctx(bool sampled, bool remote) {
  span_context p;
  p.trace_id = trace_id::random();
  p.span_id = span_id::random();
  p.trace_flags = sampled ? 1 : 0;
  p.is_remote = remote;
  return p;
}
}  // namespace

TEST_CASE("always_on and always_off") {
  const span_context none;
  const auto t = trace_id::random();
  CHECK(decide(sampler::always_on(), none, t) == sampling_decision::record_and_sample);
  CHECK(decide(sampler::always_off(), none, t) == sampling_decision::drop);
}

TEST_CASE("traceidratio is deterministic on the trace id and accurate over many ids") {
  const span_context none;
  for (double ratio : {0.0, 0.01, 0.1, 0.25, 0.5, 0.9, 1.0}) {
    const auto s = sampler::trace_id_ratio(ratio);
    const int n = 100000;
    int sampled = 0;
    for (int i = 0; i < n; ++i) {
      const auto t = trace_id::random();
      const bool first = decide(s, none, t) == sampling_decision::record_and_sample;
      CHECK(first == (decide(s, none, t) == sampling_decision::record_and_sample));  // same id, same answer
      sampled += first ? 1 : 0;
    }
    const double observed = static_cast<double>(sampled) / n;
    // Binomial standard deviation at n=1e5 is at most 0.0016; allow 4 sigma plus exact ends.
    CHECK(std::abs(observed - ratio) < 0.0064);
    if (ratio == 0.0) CHECK(sampled == 0);
    if (ratio == 1.0) CHECK(sampled == n);
  }
}

TEST_CASE("traceidratio decisions nest: what 0.1 samples, 0.5 samples too") {
  const span_context none;
  const auto low = sampler::trace_id_ratio(0.1), high = sampler::trace_id_ratio(0.5);
  for (int i = 0; i < 20000; ++i) {
    const auto t = trace_id::random();
    if (decide(low, none, t) == sampling_decision::record_and_sample)
      CHECK(decide(high, none, t) == sampling_decision::record_and_sample);
  }
}

TEST_CASE("traceidratio uses the id's last 8 bytes, like the other OpenTelemetry SDKs") {
  const span_context none;
  const auto half = sampler::trace_id_ratio(0.5);
  // Low 63 bits of bytes 8..15 (big-endian, shifted right by one) below 2^62 are sampled.
  CHECK(decide(half, none, *trace_id::from_hex("ffffffffffffffff0000000000000001")) ==
        sampling_decision::record_and_sample);
  CHECK(decide(half, none, *trace_id::from_hex("00000000000000007fffffffffffffff")) ==
        sampling_decision::record_and_sample);
  CHECK(decide(half, none, *trace_id::from_hex("00000000000000018000000000000000")) == sampling_decision::drop);
}

TEST_CASE("parentbased follows the parent and uses the root sampler without one") {
  const auto s = sampler::parent_based(sampler::always_off());
  const auto t = trace_id::random();
  CHECK(decide(s, span_context{}, t) == sampling_decision::drop);
  CHECK(decide(s, parent_ctx(true, false), t) == sampling_decision::record_and_sample);
  CHECK(decide(s, parent_ctx(false, false), t) == sampling_decision::drop);
  CHECK(decide(s, parent_ctx(true, true), t) == sampling_decision::record_and_sample);
  CHECK(decide(s, parent_ctx(false, true), t) == sampling_decision::drop);
  const auto custom = sampler::parent_based(sampler::always_on(), sampler::always_off(), sampler::always_on());
  CHECK(decide(custom, parent_ctx(true, true), t) == sampling_decision::drop);
  CHECK(decide(custom, parent_ctx(false, true), t) == sampling_decision::record_and_sample);
}

TEST_CASE("descriptions name the configuration") {
  CHECK(sampler::always_on().description() == "AlwaysOnSampler");
  CHECK(sampler::parent_based(sampler::trace_id_ratio(0.25)).description().find("TraceIdRatioBased{0.250000}") !=
        std::string::npos);
}

namespace {
struct only_named : custom_sampler {
  sampling_decision should_sample(const sampling_parameters& p) const noexcept override {
    for (const auto& a : p.attributes)
      if (a.key == "keep") return sampling_decision::record_and_sample;
    return p.name == "wanted" ? sampling_decision::record_only : sampling_decision::drop;
  }
  std::string description() const override { return "OnlyNamed"; }
};
}  // namespace

TEST_CASE("a custom sampler sees the name and start attributes; record_only spans are not exported") {
  core_test::recording_provider rp(sampler::custom(std::make_shared<only_named>()));
  {
    span a(rp.tracer, "wanted");
    CHECK(a.is_recording());
    CHECK_FALSE(a.span_context().sampled());
    span b(rp.tracer, "other", span_kind::internal, {{"keep", true}});
    CHECK(b.span_context().sampled());
    span c(rp.tracer, "dropped");
    CHECK_FALSE(c.is_recording());
  }
  CHECK(rp.store->size() == 1);
  CHECK(rp.store->spans()[0].name() == "other");
}
