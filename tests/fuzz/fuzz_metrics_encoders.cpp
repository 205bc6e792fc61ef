// Fuzz target: collected metrics built from arbitrary bytes (names, units and descriptions of any
// bytes, sums, gauges and histograms with any values: NaN, infinities, unsorted bounds, exemplars,
// attribute sets of every type) through both OTLP metric encoders, the Prometheus / OpenMetrics
// renderer and the console summary. The protobuf is re-read by a wire walker; the JSON must parse
// (depth-limited) and be valid UTF-8; every exposition line must be a comment or start a sample
// with a valid metric name character.
#include <llmtrace/detail/json_parse.hpp>
#include <llmtrace/detail/utf8.hpp>
#include <llmtrace/exporters/console_metrics.hpp>
#include <llmtrace/metrics/prometheus.hpp>
#include <llmtrace/otlp/metrics_json.hpp>
#include <llmtrace/otlp/metrics_protobuf.hpp>

#include "fuzz_spans.hpp"
#include "fuzz_wire.hpp"

#include <cstring>
#include <deque>
#include <string>
#include <vector>

namespace {

namespace m = llmtrace::metrics;

double any_double(fuzz::input& in) {
  const std::uint64_t bits = in.u64();
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

void check_exposition(const std::string& text) {
  std::size_t at = 0;
  while (at < text.size()) {
    const auto nl = text.find('\n', at);
    const std::string_view line(text.data() + at, (nl == std::string::npos ? text.size() : nl) - at);
    at = nl == std::string::npos ? text.size() : nl + 1;
    if (line.empty() || line[0] == '#') continue;
    const char c = line[0];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':')) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::input in(data, size);
  const llmtrace::resource res = llmtrace::make_resource({{"service.name", "fuzz"}});
  const llmtrace::instrumentation_scope scope{std::string(in.until('\x02')), "1.0", "", {}};
  std::deque<llmtrace::attribute_set> attribute_sets;  // stable addresses for the points
  std::deque<std::vector<double>> bounds;

  m::resource_metrics rm;
  rm.resource = &res;
  rm.scopes.emplace_back();
  rm.scopes.back().scope = &scope;
  for (int n = in.byte() % 4 + 1; n > 0; --n) {
    m::metric_data md;
    md.name = std::string(in.until('\x02'));
    md.unit = std::string(in.until('\x02'));
    md.description = std::string(in.until('\x02'));
    md.type = static_cast<m::metric_type>(in.byte() % 3);
    md.kind = static_cast<m::instrument_kind>(in.byte() % 6);
    md.temporality = in.byte() & 1 ? m::aggregation_temporality::delta : m::aggregation_temporality::cumulative;
    md.is_monotonic = in.byte() & 1;
    for (int p = in.byte() % 3 + 1; p > 0; --p) {
      llmtrace::attribute_set& attrs = attribute_sets.emplace_back();
      for (int a = in.byte() % 4; a > 0; --a) {
        const std::string key(in.until('\x03'));
        fuzz::value_storage st;
        attrs.set(key, fuzz::value_from(in, st));
      }
      if (md.type == m::metric_type::histogram) {
        m::histogram_point hp;
        hp.attributes = &attrs;
        hp.start_time_unix_nano = static_cast<std::int64_t>(in.u64());
        hp.time_unix_nano = static_cast<std::int64_t>(in.u64());
        std::vector<double>& b = bounds.emplace_back();
        for (int k = in.byte() % 5; k > 0; --k) b.push_back(any_double(in));
        hp.bounds = &b;
        hp.bucket_counts.resize(b.size() + 1);
        for (auto& c : hp.bucket_counts) {
          c = in.byte();
          hp.count += c;
        }
        hp.sum = any_double(in);
        hp.min = any_double(in);
        hp.max = any_double(in);
        for (int e = in.byte() % 3; e > 0; --e) {
          m::exemplar ex;
          ex.time_unix_nano = static_cast<std::int64_t>(in.u64());
          ex.value = any_double(in);
          for (auto& x : ex.trace_id.bytes) x = in.byte();
          for (auto& x : ex.span_id.bytes) x = in.byte();
          hp.exemplars.push_back(ex);
        }
        md.histogram_points.push_back(std::move(hp));
      } else {
        m::number_point np;
        np.attributes = &attrs;
        np.start_time_unix_nano = static_cast<std::int64_t>(in.u64());
        np.time_unix_nano = static_cast<std::int64_t>(in.u64());
        np.is_int = in.byte() & 1;
        if (np.is_int)
          np.as_int = static_cast<std::int64_t>(in.u64());
        else
          np.as_double = any_double(in);
        md.number_points.push_back(np);
      }
    }
    rm.scopes.back().metrics.push_back(std::move(md));
  }

  std::string proto;
  llmtrace::otlp::encode_metrics_protobuf(rm, proto);
  if (!fuzz::walk_protobuf(proto, 32)) __builtin_trap();

  const std::string json = llmtrace::otlp::encode_metrics_json(rm);
  if (!llmtrace::detail::is_valid_utf8(json)) __builtin_trap();
  if (!llmtrace::detail::parse_json(json).ok()) __builtin_trap();

  check_exposition(m::render_prometheus(rm, m::prometheus_format::text));
  check_exposition(m::render_prometheus(rm, m::prometheus_format::openmetrics));
  (void)m::summarize(rm);
  return 0;
}
