// llmtrace/exporters/console_metrics.hpp: the console metric exporter: at each collection (and at
// exit) a compact table per metric and series: the value of sums and gauges; count, sum and the
// p50 / p95 / p99 estimated from the buckets for histograms, in the units a person reads (ms, s,
// tokens, bytes). Also metrics::summarize() for printing a collection yourself.
// Thread-safety: export_metrics is called by one thread at a time; it writes whole tables.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/metrics/data.hpp>
#include <llmtrace/metrics/prometheus.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE
namespace metrics {

/// The value at quantile `q` (0..1) of a histogram point, estimated by linear interpolation inside
/// the bucket that holds it (the first bucket starts at the minimum, the last ends at the maximum).
/// 0 for an empty point.
inline double histogram_quantile(const histogram_point& p, double q) noexcept {
  if (p.count == 0 || !p.bounds) return 0;
  const auto& b = *p.bounds;
  const double rank = q * static_cast<double>(p.count);
  std::uint64_t before = 0;
  for (std::size_t i = 0; i < p.bucket_counts.size(); ++i) {
    const std::uint64_t c = p.bucket_counts[i];
    if (c == 0 || static_cast<double>(before + c) < rank) {
      before += c;
      continue;
    }
    double lo = i == 0 ? p.min : std::max(b[i - 1], p.min);
    double hi = i < b.size() ? std::min(b[i], p.max) : p.max;
    if (hi < lo) hi = lo;
    const double frac = (rank - static_cast<double>(before)) / static_cast<double>(c);
    return lo + (hi - lo) * std::min(1.0, std::max(0.0, frac));
  }
  return p.max;
}

namespace detail {

/// A value in the unit a person reads: seconds as ns / µs / ms / s, bytes as B / KiB / MiB / GiB,
/// {token} as tokens ({token}/s as tokens/s), anything else with its unit (annotations without braces).
inline std::string human_value(double v, std::string_view unit) {
  char buf[64];
  const auto fmt = [&](double x, const char* suffix) {
    const double a = std::fabs(x);
    const int digits = a >= 100 || a == std::floor(a) ? 0 : a >= 10 ? 1 : 2;
    std::snprintf(buf, sizeof buf, "%.*f%s", digits, x, suffix);
    return std::string(buf);
  };
  if (unit == "s") {
    const double a = std::fabs(v);
    if (a == 0) return "0 s";
    if (a < 1e-6) return fmt(v * 1e9, " ns");
    if (a < 1e-3) return fmt(v * 1e6, " µs");
    if (a < 1) return fmt(v * 1e3, " ms");
    return fmt(v, " s");
  }
  if (unit == "ms") return human_value(v / 1e3, "s");
  if (unit == "By") {
    const double a = std::fabs(v);
    if (a >= 1024.0 * 1024 * 1024) return fmt(v / (1024.0 * 1024 * 1024), " GiB");
    if (a >= 1024.0 * 1024) return fmt(v / (1024.0 * 1024), " MiB");
    if (a >= 1024.0) return fmt(v / 1024.0, " KiB");
    return fmt(v, " B");
  }
  if (unit.find('{') != std::string_view::npos) {  // annotations as plural words: {token}/s -> tokens/s
    std::string text;
    for (std::size_t i = 0; i < unit.size();) {
      const std::size_t close = unit[i] == '{' ? unit.find('}', i) : std::string_view::npos;
      if (close == std::string_view::npos) {
        text.push_back(unit[i++]);
        continue;
      }
      std::string word(unit.substr(i + 1, close - i - 1));
      if (!word.empty() && word.back() != 's') word += "s";
      text += word;
      i = close + 1;
    }
    return fmt(v, (" " + text).c_str());
  }
  if (unit.empty() || unit == "1") return fmt(v, "");
  return fmt(v, (" " + std::string(unit)).c_str());
}

inline std::string series_label(const attribute_set* attrs) {
  std::string out;
  if (attrs)
    for (const attribute a : *attrs) {
      if (!out.empty()) out += ' ';
      out.append(a.key);
      out += '=';
      out += prometheus_label_value(a.value);
    }
  return out.empty() ? std::string("(no attributes)") : out;
}

}  // namespace detail

/// A table of the collection: one block per metric, one line per series.
inline std::string summarize(const resource_metrics& data) {
  std::string out;
  for (const auto& sm : data.scopes)
    for (const auto& m : sm.metrics) {
      const char* kind = m.type == metric_type::histogram ? "histogram"
                         : m.type == metric_type::gauge   ? "gauge"
                         : m.is_monotonic                 ? "counter"
                                                          : "up-down counter";
      out += m.name + "  (" + kind;
      if (!m.unit.empty()) out += ", " + m.unit;
      if (m.temporality == aggregation_temporality::delta && m.type != metric_type::gauge) out += ", since last";
      out += ")\n";
      std::vector<std::pair<std::string, std::string>> rows;
      for (const auto& p : m.number_points)
        rows.emplace_back(detail::series_label(p.attributes), detail::human_value(p.value(), m.unit));
      for (const auto& p : m.histogram_points) {
        std::string v = "count " + std::to_string(p.count) + "  sum " + detail::human_value(p.sum, m.unit);
        if (p.count) {
          v += "  p50 " + detail::human_value(histogram_quantile(p, 0.50), m.unit);
          v += "  p95 " + detail::human_value(histogram_quantile(p, 0.95), m.unit);
          v += "  p99 " + detail::human_value(histogram_quantile(p, 0.99), m.unit);
        }
        rows.emplace_back(detail::series_label(p.attributes), std::move(v));
      }
      std::size_t width = 0;
      for (const auto& r : rows) width = std::max(width, r.first.size());
      width = std::min<std::size_t>(width, 80);
      for (const auto& r : rows) {
        out += "  " + r.first;
        out.append(r.first.size() < width ? width - r.first.size() : 0, ' ');
        out += "  " + r.second + "\n";
      }
    }
  return out;
}

/// What a console_metric_exporter writes to.
struct console_metric_exporter_options {
  std::FILE* file = stdout;        ///< not owned
  std::ostream* stream = nullptr;  ///< instead of `file` (not owned; must outlive the exporter)
};

/// Prints each collection with summarize().
class console_metric_exporter final : public metric_exporter {
 public:
  explicit console_metric_exporter(console_metric_exporter_options o = {}) : opt_(o) {}
  export_result export_metrics(const resource_metrics& data) noexcept override {
    try {
      std::string text = "metrics";
      if (data.resource) {
        const auto svc = data.resource->attributes.get_string("service.name");
        if (!svc.empty()) text += " (" + std::string(svc) + ")";
      }
      text += ":\n" + summarize(data);
      if (opt_.stream) {
        opt_.stream->write(text.data(), static_cast<std::streamsize>(text.size()));
        opt_.stream->flush();
      } else if (opt_.file) {
        std::fwrite(text.data(), 1, text.size(), opt_.file);
        std::fflush(opt_.file);
      }
      return export_result::success;
    } catch (...) {
      return export_result::failure;
    }
  }

 private:
  console_metric_exporter_options opt_;
};

}  // namespace metrics
LLMTRACE_END_NAMESPACE
