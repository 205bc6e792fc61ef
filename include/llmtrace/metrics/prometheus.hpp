// llmtrace/metrics/prometheus.hpp: renders a (cumulative) metric collection in the Prometheus text
// exposition format 0.0.4 or in OpenMetrics 1.0 (the only one that carries exemplars), with names,
// units and labels translated as the OpenTelemetry-to-Prometheus compatibility specification says.
// For serving from your own HTTP server or for node_exporter's textfile collector. Standard headers
// only. Thread-safety: pure functions of their arguments.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/metrics/data.hpp>
#include <llmtrace/span_data.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE
namespace metrics {

/// The exposition formats: Prometheus text 0.0.4, or OpenMetrics 1.0 (with exemplars).
enum class prometheus_format : std::uint8_t { text, openmetrics };

/// The Content-Type header for a format.
inline std::string_view prometheus_content_type(prometheus_format f) noexcept {
  return f == prometheus_format::openmetrics ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                                             : "text/plain; version=0.0.4; charset=utf-8";
}

/// OpenMetrics when a scraper's Accept header asks for it, else the text format.
inline prometheus_format prometheus_format_for_accept(std::string_view accept) noexcept {
  return accept.find("application/openmetrics-text") != std::string_view::npos ? prometheus_format::openmetrics
                                                                               : prometheus_format::text;
}

namespace detail {

/// Characters outside [a-zA-Z0-9_:] become '_', runs of '_' collapse, a leading digit gets '_'. An
/// empty input stays empty (an empty unit part has no suffix); names use prometheus_name_part.
inline std::string prometheus_sanitize(std::string_view name, bool allow_colon) {
  std::string out;
  out.reserve(name.size() + 1);
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    (allow_colon && c == ':');
    const char d = ok ? c : '_';
    if (d == '_' && !out.empty() && out.back() == '_') continue;
    out.push_back(d);
  }
  if (!out.empty() && out[0] >= '0' && out[0] <= '9') out.insert(out.begin(), '_');
  return out;
}

/// A metric or label name: sanitized, and never empty ('_'), which the exposition cannot parse.
inline std::string prometheus_name_part(std::string_view name, bool allow_colon) {
  std::string out = prometheus_sanitize(name, allow_colon);
  if (out.empty()) out = "_";
  return out;
}

/// The Prometheus spelling of a UCUM unit ("s" -> "seconds"); empty for annotations ("{token}")
/// and for units without a translation that are not valid name parts either.
inline std::string prometheus_unit(std::string_view unit) {
  // Annotations in braces are dropped.
  std::string u;
  int depth = 0;
  for (char c : unit) {
    if (c == '{')
      ++depth;
    else if (c == '}')
      depth = depth > 0 ? depth - 1 : 0;
    else if (!depth)
      u.push_back(c);
  }
  static const std::pair<std::string_view, std::string_view> table[] = {{"d", "days"},          {"h", "hours"},
                                                                        {"min", "minutes"},     {"s", "seconds"},
                                                                        {"ms", "milliseconds"}, {"us", "microseconds"},
                                                                        {"ns", "nanoseconds"},  {"By", "bytes"},
                                                                        {"KiBy", "kibibytes"},  {"MiBy", "mebibytes"},
                                                                        {"GiBy", "gibibytes"},  {"TiBy", "tibibytes"},
                                                                        {"KBy", "kilobytes"},   {"MBy", "megabytes"},
                                                                        {"GBy", "gigabytes"},   {"TBy", "terabytes"},
                                                                        {"m", "meters"},        {"V", "volts"},
                                                                        {"A", "amperes"},       {"J", "joules"},
                                                                        {"W", "watts"},         {"g", "grams"},
                                                                        {"Cel", "celsius"},     {"Hz", "hertz"},
                                                                        {"%", "percent"},       {"1", ""}};
  const auto translate = [&](std::string_view part) -> std::string {
    for (const auto& e : table)
      if (e.first == part) return std::string(e.second);
    return prometheus_sanitize(part, false);
  };
  const auto slash = u.find('/');
  if (slash == std::string::npos) return translate(u);
  const std::string a = translate(std::string_view(u).substr(0, slash));
  static const std::pair<std::string_view, std::string_view> per[] = {
      {"s", "second"}, {"m", "minute"}, {"h", "hour"}, {"d", "day"}, {"w", "week"}, {"mo", "month"}, {"y", "year"}};
  const std::string_view denom = std::string_view(u).substr(slash + 1);
  std::string b;
  for (const auto& e : per)
    if (e.first == denom) b = std::string(e.second);
  if (b.empty()) b = translate(denom);
  if (a.empty()) return b.empty() ? std::string() : "per_" + b;
  return b.empty() ? a : a + "_per_" + b;
}

/// The metric family name: sanitized name, then the unit suffix (unless the name ends with it),
/// then "_total" for monotonic sums; "_ratio" for unit "1" gauges.
inline std::string prometheus_name(const metric_data& m) {
  std::string name = prometheus_name_part(m.name, true);
  const std::string unit = prometheus_unit(m.unit);
  const auto ends_with = [&](std::string_view suffix) {
    return name.size() >= suffix.size() + 1 && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
           name[name.size() - suffix.size() - 1] == '_';
  };
  if (!unit.empty() && !ends_with(unit)) name += "_" + unit;
  if (m.unit == "1" && m.type == metric_type::gauge && !ends_with("ratio")) name += "_ratio";
  if (m.type == metric_type::sum && m.is_monotonic && !ends_with("total")) name += "_total";
  return name;
}

inline void prometheus_escape(std::string& out, std::string_view s, bool quote) {
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (quote && c == '"')
      out += "\\\"";
    else
      out.push_back(c);
  }
}

inline void prometheus_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

/// An attribute value as label text (arrays as JSON-like lists).
inline std::string prometheus_label_value(const attribute_value& v) {
  std::string out;
  switch (v.type()) {
    case value_type::string:
      return std::string(v.as_string());
    case value_type::boolean:
      return v.as_bool() ? "true" : "false";
    case value_type::int64:
      return std::to_string(v.as_int());
    case value_type::float64:
      prometheus_number(out, v.as_double());
      return out;
    default:
      out.push_back('[');
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (i) out.push_back(',');
        switch (v.type()) {
          case value_type::bool_array:
            out += v.bool_at(i) ? "true" : "false";
            break;
          case value_type::int64_array:
            out += std::to_string(v.int_at(i));
            break;
          case value_type::float64_array:
            prometheus_number(out, v.double_at(i));
            break;
          default:
            out.push_back('"');
            out.append(v.string_at(i));
            out.push_back('"');
        }
      }
      out.push_back(']');
      return out;
  }
}

/// Label pairs of a point: its attributes (sanitized names; values of colliding names joined with
/// ';' in key order) plus the scope's otel_scope_name / otel_scope_version.
inline std::vector<std::pair<std::string, std::string>> prometheus_labels(const attribute_set* attrs,
                                                                          const instrumentation_scope* scope) {
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> by_name;
  if (attrs)
    for (const attribute a : *attrs) {
      std::string n = prometheus_name_part(a.key, false);
      if (n.empty()) continue;
      if (n.size() >= 2 && n[0] == '_' && n[1] == '_') n = "key" + n;  // "__" is reserved
      by_name[n].emplace_back(std::string(a.key), prometheus_label_value(a.value));
    }
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& e : by_name) {
    std::sort(e.second.begin(), e.second.end());
    std::string v;
    for (std::size_t i = 0; i < e.second.size(); ++i) v += (i ? ";" : "") + e.second[i].second;
    out.emplace_back(e.first, std::move(v));
  }
  if (scope && !scope->name.empty()) out.emplace_back("otel_scope_name", scope->name);
  if (scope && !scope->version.empty()) out.emplace_back("otel_scope_version", scope->version);
  return out;
}

inline void prometheus_label_text(std::string& out, const std::vector<std::pair<std::string, std::string>>& labels,
                                  std::string_view extra_name = {}, std::string_view extra_value = {}) {
  if (labels.empty() && extra_name.empty()) return;
  out.push_back('{');
  bool first = true;
  for (const auto& l : labels) {
    if (!first) out.push_back(',');
    first = false;
    out += l.first;
    out += "=\"";
    prometheus_escape(out, l.second, true);
    out.push_back('"');
  }
  if (!extra_name.empty()) {
    if (!first) out.push_back(',');
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out.push_back('"');
  }
  out.push_back('}');
}

/// ` # {trace_id="...",span_id="..."} value timestamp` after an OpenMetrics bucket sample.
inline void prometheus_exemplar(std::string& out, const exemplar& e) {
  out += " # {";
  bool comma = false;
  if (e.trace_id.valid()) {
    out += "trace_id=\"" + e.trace_id.to_hex() + "\"";
    comma = true;
  }
  if (e.span_id.valid()) {
    if (comma) out.push_back(',');
    out += "span_id=\"" + e.span_id.to_hex() + "\"";
  }
  out += "} ";
  prometheus_number(out, e.value);
  out.push_back(' ');
  char buf[48];
  const std::int64_t secs = e.time_unix_nano / 1000000000;
  const std::int64_t frac = e.time_unix_nano % 1000000000;
  const int n =
      std::snprintf(buf, sizeof buf, "%lld.%09lld", static_cast<long long>(secs), static_cast<long long>(frac));
  if (n > 0) out.append(buf, static_cast<std::size_t>(n));
}

}  // namespace detail

/// The collection in the Prometheus text format (or OpenMetrics): one family per metric name (with
/// # HELP and # TYPE), monotonic sums as counters (`_total`), other sums and gauges as gauges,
/// histograms as `_bucket{le=...}` (cumulative counts up to `+Inf`), `_sum` and `_count`, the
/// resource as `target_info`. Delta points are skipped: Prometheus is cumulative (collect with a
/// cumulative reader). OpenMetrics output adds bucket exemplars and ends with `# EOF`.
inline std::string render_prometheus(const resource_metrics& data, prometheus_format format = prometheus_format::text) {
  using namespace detail;
  const bool om = format == prometheus_format::openmetrics;
  std::string out;
  // target_info: the resource.
  if (data.resource && !data.resource->attributes.empty()) {
    out += om ? "# TYPE target info\n# HELP target Target metadata\n"
              : "# HELP target_info Target metadata\n# TYPE target_info gauge\n";
    out += "target_info";
    prometheus_label_text(out, prometheus_labels(&data.resource->attributes, nullptr));
    out += " 1\n";
  }
  // Families by name, in order of first appearance, across scopes.
  struct member {
    const metric_data* m;
    const instrumentation_scope* scope;
  };
  std::vector<std::pair<std::string, std::vector<member>>> families;
  for (const auto& sm : data.scopes)
    for (const auto& m : sm.metrics) {
      if (m.type != metric_type::gauge && m.temporality == aggregation_temporality::delta) continue;
      const std::string name = prometheus_name(m);
      auto it = std::find_if(families.begin(), families.end(), [&](const auto& f) { return f.first == name; });
      if (it == families.end()) {
        families.emplace_back(name, std::vector<member>{});
        it = families.end() - 1;
      }
      it->second.push_back(member{&m, sm.scope});
    }
  for (const auto& f : families) {
    const metric_data& first = *f.second.front().m;
    const bool counter = first.type == metric_type::sum && first.is_monotonic;
    const bool hist = first.type == metric_type::histogram;
    const char* type = hist ? "histogram" : counter ? "counter" : "gauge";
    // OpenMetrics names a counter family without its _total suffix.
    const std::string family = om && counter ? f.first.substr(0, f.first.size() - 6) : f.first;
    out += "# HELP " + family + " ";  // promtool wants help text: the description, else the OTel name
    prometheus_escape(out, first.description.empty() ? first.name : first.description, false);
    out.push_back('\n');
    out += "# TYPE " + family + " " + type + "\n";
    for (const auto& mem : f.second) {
      const metric_data& m = *mem.m;
      if ((m.type == metric_type::histogram) != hist) continue;  // a clash of kinds under one name: keep the first
      for (const auto& p : m.number_points) {
        out += f.first;
        prometheus_label_text(out, prometheus_labels(p.attributes, mem.scope));
        out.push_back(' ');
        if (p.is_int)
          out += std::to_string(p.as_int);
        else
          prometheus_number(out, p.as_double);
        out.push_back('\n');
      }
      for (const auto& p : m.histogram_points) {
        const auto labels = prometheus_labels(p.attributes, mem.scope);
        std::uint64_t cumulative = 0;
        const std::size_t nb = p.bucket_counts.size();
        for (std::size_t b = 0; b < nb; ++b) {
          cumulative += p.bucket_counts[b];
          std::string le;
          if (p.bounds && b < p.bounds->size())
            prometheus_number(le, (*p.bounds)[b]);
          else
            le = "+Inf";
          out += f.first + "_bucket";
          prometheus_label_text(out, labels, "le", le);
          out += " " + std::to_string(cumulative);
          if (om) {
            // The exemplar of this bucket: a value in (bounds[b-1], bounds[b]].
            for (const auto& e : p.exemplars) {
              constexpr double inf = std::numeric_limits<double>::infinity();
              const double lo = b == 0 ? -inf : (*p.bounds)[b - 1];
              const double hi = p.bounds && b < p.bounds->size() ? (*p.bounds)[b] : inf;
              if (e.value > lo && e.value <= hi) {
                prometheus_exemplar(out, e);
                break;
              }
            }
          }
          out.push_back('\n');
        }
        if (nb == 0) {
          out += f.first + "_bucket";
          prometheus_label_text(out, labels, "le", "+Inf");
          out += " " + std::to_string(p.count) + "\n";
        }
        out += f.first + "_sum";
        prometheus_label_text(out, labels);
        out.push_back(' ');
        prometheus_number(out, p.sum);
        out += "\n" + f.first + "_count";
        prometheus_label_text(out, labels);
        out += " " + std::to_string(p.count) + "\n";
      }
    }
  }
  if (om) out += "# EOF\n";
  return out;
}

}  // namespace metrics
LLMTRACE_END_NAMESPACE
