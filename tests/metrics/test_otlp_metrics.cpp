// OTLP metrics encoding (protobuf and JSON) cross-checked with the official OpenTelemetry JS
// decoders (tests/otlp_js); the console metrics table.
#include "otlp_metrics_support.hpp"
#include "support/js_decoder.hpp"

#include <llmtrace/exporters/console_metrics.hpp>
#include <llmtrace/otlp/metrics_json.hpp>
#include <llmtrace/otlp/metrics_protobuf.hpp>

#include <doctest/doctest.h>

using namespace llmtrace;
using namespace metrics_test;
namespace t = llmtrace_test;

namespace {

/// A collection with every metric shape: int and double sums, an up-down counter, a histogram with
/// an exemplar from a sampled span, observable gauge and counter, attributes of every type.
struct sample_collection {
  core_test::recording_provider tracing;
  manual_provider mp;
  m::resource_metrics rm;
  span_context sc;

  explicit sample_collection(m::temporality_preference pref = m::temporality_preference::cumulative) : mp({pref}) {
    auto meter = mp.meter;
    meter.create_int64_counter("gen_ai.client.inference.usage.input_tokens", "{token}", "input tokens")
        .add(42, {{"gen_ai.operation.name", "chat"},
                  {"server.port", 11434},
                  {"ok", true},
                  {"ratio", 0.5},
                  {"tags", std::vector<std::string>{"a", "b"}}});
    meter.create_double_counter("bytes").add(1.25);
    meter.create_int64_up_down_counter("inflight").add(-3);
    auto h = meter.create_double_histogram("gen_ai.client.inference.duration", "s", "",
                                           {{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28}});
    {
      span s(tracing.tracer, "chat llama3.2");
      sc = s.span_context();
      h.record(0.3, {{"gen_ai.request.model", "llama3.2"}});
    }
    h.record(0.08, {{"gen_ai.request.model", "llama3.2"}});
    h.record(5.0, {{"gen_ai.request.model", "qwen"}});
    meter.create_double_observable_gauge("temperature", [](m::observer& o) { o.observe(21.5, {{"room", "a"}}); });
    meter.create_int64_observable_counter("reads", [](m::observer& o) { o.observe(std::int64_t{1} << 40); });
    rm = mp.collect();
  }
};

void cross_check(const m::resource_metrics& rm) {
  if (!t::node_available()) {
    FAIL("node is missing: the official-decoder cross-check cannot run (scripts/setup.sh installs it)");
    return;
  }
  std::string pb;
  otlp::encode_metrics_protobuf(rm, pb);
  const std::string js = otlp::encode_metrics_json(rm);
  const auto expected = expected_canonical(rm);
  const auto from_pb = t::js_decode(pb, t::otlp_encoding::protobuf, "metrics");
  const auto from_json = t::js_decode(js, t::otlp_encoding::json, "metrics");
  CHECK(from_pb == expected);
  CHECK(from_json == expected);
  if (from_pb != expected) MESSAGE("protobuf decoded: " << from_pb.dump() << "\nexpected: " << expected.dump());
  if (from_json != expected) MESSAGE("json decoded: " << from_json.dump());
}

}  // namespace

TEST_CASE("the official JS decoders read llmtrace's metrics in both encodings (cumulative)") {
  sample_collection s;
  REQUIRE(s.rm.point_count() == 7);
  const auto& h = hist(s.rm, "gen_ai.client.inference.duration", "gen_ai.request.model", "llama3.2");
  REQUIRE(h.exemplars.size() == 1);
  CHECK(h.exemplars[0].span_id == s.sc.span_id);
  cross_check(s.rm);
}

TEST_CASE("the official JS decoders read llmtrace's metrics in both encodings (delta)") {
  sample_collection s(m::temporality_preference::delta);
  CHECK(s.rm.find("gen_ai.client.inference.duration")->temporality == m::aggregation_temporality::delta);
  cross_check(s.rm);
}

TEST_CASE("OTLP/JSON metrics: 64-bit integers and bucket counts are strings, enums integers") {
  sample_collection s;
  const auto doc = otlp::metrics_to_json(s.rm);
  const auto& metrics = doc["resourceMetrics"][0]["scopeMetrics"][0]["metrics"];
  bool seen_hist = false, seen_sum = false;
  for (const auto& md : metrics) {
    if (md["name"] == "gen_ai.client.inference.duration") {
      seen_hist = true;
      const auto& p = md["histogram"]["dataPoints"][0];
      CHECK(p["count"].is_string());
      CHECK(p["bucketCounts"][0].is_string());
      CHECK(md["histogram"]["aggregationTemporality"] == 2);
    }
    if (md["name"] == "reads") {
      seen_sum = true;
      CHECK(md["sum"]["dataPoints"][0]["asInt"] == "1099511627776");
      CHECK(md["sum"]["isMonotonic"] == true);
    }
  }
  CHECK(seen_hist);
  CHECK(seen_sum);
}

TEST_CASE("console table: percentiles from buckets in human units") {
  manual_provider mp;
  auto h = mp.meter.create_double_histogram("d", "s", "", {{0.1, 0.2, 0.4, 0.8}});
  for (int i = 0; i < 100; ++i) h.record(i < 50 ? 0.15 : 0.3);
  const auto rm = mp.collect();
  const auto& p = hist(rm, "d");
  const double q50 = m::histogram_quantile(p, 0.5);  // the 50th value ends bucket (0.1, 0.2]
  CHECK(q50 >= 0.15);
  CHECK(q50 <= 0.2);
  CHECK(m::histogram_quantile(p, 0.99) > 0.2);
  CHECK(m::histogram_quantile(p, 0.99) <= 0.3);  // never past the max
  CHECK(m::detail::human_value(0.25, "s") == "250 ms");
  CHECK(m::detail::human_value(421, "{token}") == "421 tokens");
  CHECK(m::detail::human_value(50, "{token}/s") == "50 tokens/s");
  CHECK(m::detail::human_value(3, "{request") == "3 {request");  // an unclosed brace stays as written
  CHECK(m::detail::human_value(2.0 * 1024 * 1024, "By") == "2 MiB");
}
