// llmtrace/html/render.hpp: turns spans (an exporter's batches, or the OTLP/JSON lines the file
// exporter writes) into ONE self-contained HTML file: a trace list and a per-trace waterfall with
// span details, inline CSS and JavaScript, no network. Every string from the spans is untrusted: it
// travels as JSON inside a <script type="application/json"> block with '<', '>' and '&' escaped, and
// the page puts it into the DOM with textContent only. Thread-safety: a trace_document is not
// synchronised (one thread at a time); render_html() is a pure function of its arguments.
// Heavy: needs nlohmann_json; link llmtrace::llmtrace.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/detail/json_parse.hpp>
#include <llmtrace/detail/utf8.hpp>
#include <llmtrace/exporter.hpp>
#include <llmtrace/html/detail/viewer_assets.hpp>
#include <llmtrace/otlp/json.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <istream>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE
namespace html {

/// Thrown by trace_document::add_otlp_json for text that is not an OTLP/JSON trace request.
class input_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Which traces go into the page and how it is titled.
struct render_options {
  /// The page title (shown as text, escaped).
  std::string title = "llmtrace traces";
  /// Only this trace (32 hex digits, case-insensitive); empty: every trace.
  std::string trace_id;
  /// Only the N traces that started last; 0: every trace.
  std::size_t last = 0;
  /// Spans the producer dropped before rendering (shown in the page header).
  std::uint64_t dropped_spans = 0;
};

namespace detail {

/// An OTLP/JSON AnyValue as plain JSON: strings, numbers (intValue, which OTLP/JSON writes as a
/// string, becomes a number when it fits a double exactly, else stays a string), booleans, arrays,
/// objects (kvlistValue); bytesValue stays its base64 text.
inline nlohmann::json plain_value(const nlohmann::json& v) {
  if (!v.is_object() || v.empty()) return nullptr;
  // Iterate the object itself: items() returns a temporary proxy that would not outlive this line.
  const auto first = v.begin();
  const std::string& key = first.key();
  const nlohmann::json& val = first.value();
  if (key == "stringValue" || key == "bytesValue") return val.is_string() ? val : nlohmann::json(val.dump());
  if (key == "boolValue") return val.is_boolean() ? val : nlohmann::json(val.dump());
  if (key == "doubleValue") return val;
  if (key == "intValue") {
    if (val.is_number_integer()) return val;
    if (val.is_string()) {
      const std::string& s = val.get_ref<const std::string&>();
      try {
        std::size_t used = 0;
        const long long n = std::stoll(s, &used);
        if (used == s.size() && n > -(1LL << 53) && n < (1LL << 53)) return n;
      } catch (...) {
      }
      return s;
    }
    return val;
  }
  if (key == "arrayValue") {
    nlohmann::json out = nlohmann::json::array();
    if (val.is_object() && val.contains("values") && val["values"].is_array())
      for (const auto& x : val["values"]) out.push_back(plain_value(x));
    return out;
  }
  if (key == "kvlistValue") {
    nlohmann::json out = nlohmann::json::object();
    if (val.is_object() && val.contains("values") && val["values"].is_array())
      for (const auto& kv : val["values"])
        if (kv.is_object() && kv.contains("key") && kv["key"].is_string())
          out[kv["key"].get<std::string>()] = kv.contains("value") ? plain_value(kv["value"]) : nullptr;
    return out;
  }
  return val;
}

/// OTLP attributes ([{key, value}]) as [[key, plain value], ...].
inline nlohmann::json plain_attributes(const nlohmann::json& obj) {
  nlohmann::json out = nlohmann::json::array();
  const auto it = obj.find("attributes");
  if (it == obj.end() || !it->is_array()) return out;
  for (const auto& kv : *it) {
    if (!kv.is_object() || !kv.contains("key") || !kv["key"].is_string()) continue;
    out.push_back(nlohmann::json::array({kv["key"], kv.contains("value") ? plain_value(kv["value"]) : nullptr}));
  }
  return out;
}

/// A decimal nanosecond timestamp (OTLP/JSON writes them as strings; numbers are accepted too).
inline std::int64_t nanos(const nlohmann::json& obj, const char* key) {
  const auto it = obj.find(key);
  if (it == obj.end()) return 0;
  if (it->is_number_integer()) return it->get<std::int64_t>();
  if (it->is_number_unsigned()) return static_cast<std::int64_t>(it->get<std::uint64_t>());
  if (it->is_string()) {
    try {
      return static_cast<std::int64_t>(std::stoull(it->get_ref<const std::string&>()));
    } catch (...) {
      throw input_error(std::string("bad ") + key);
    }
  }
  throw input_error(std::string("bad ") + key);
}

inline std::string str(const nlohmann::json& obj, const char* key) {
  const auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

inline std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

/// The JSON text made safe inside <script type="application/json">: '<', '>' and '&' appear only
/// inside JSON strings, where \u003c etc. mean the same characters, so `</script>` cannot occur.
inline void append_script_safe_json(std::string& out, const nlohmann::json& j) {
  const std::string text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out.reserve(out.size() + text.size() + text.size() / 16);
  for (const char c : text) {
    if (c == '<')
      out += "\\u003c";
    else if (c == '>')
      out += "\\u003e";
    else if (c == '&')
      out += "\\u0026";
    else
      out.push_back(c);
  }
}

/// Text escaped for HTML element content and attribute values.
inline void append_escaped(std::string& out, std::string_view s) {
  for (const char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
}

}  // namespace detail

/// The spans of one page, gathered from OTLP/JSON requests or exporter batches, then rendered.
class trace_document {
 public:
  /// Adds the spans of one OTLP/JSON ExportTraceServiceRequest (one line of a file exporter's file).
  /// Throws input_error when the text is not JSON (nesting deeper than detail::json_max_depth
  /// included) or has no resourceSpans array; spans are then not added (the document keeps what it
  /// had).
  void add_otlp_json(std::string_view text) {
    const auto parsed = llmtrace::detail::parse_json(text);
    if (!parsed) throw input_error("not JSON: " + parsed.error);
    add_otlp_request(parsed.value);
  }

  /// Adds the spans of a parsed OTLP/JSON ExportTraceServiceRequest (see above).
  void add_otlp_request(const nlohmann::json& request) {
    if (!request.is_object() || !request.contains("resourceSpans") || !request["resourceSpans"].is_array())
      throw input_error("not an OTLP/JSON trace request (no resourceSpans array)");
    std::vector<pending> added;
    for (const auto& rs : request["resourceSpans"]) {
      if (!rs.is_object()) throw input_error("a resourceSpans entry is not an object");
      const nlohmann::json res = rs.contains("resource") ? rs["resource"] : nlohmann::json::object();
      nlohmann::json attrs = detail::plain_attributes(res);
      std::string service;
      for (const auto& a : attrs)
        if (a[0] == "service.name" && a[1].is_string()) service = a[1].get<std::string>();
      const std::size_t res_index = resource_index(service, std::move(attrs));
      const auto ss_it = rs.find("scopeSpans");
      if (ss_it == rs.end()) continue;
      if (!ss_it->is_array()) throw input_error("scopeSpans is not an array");
      for (const auto& ss : *ss_it) {
        std::string scope;
        if (ss.contains("scope") && ss["scope"].is_object()) scope = detail::str(ss["scope"], "name");
        const auto sp_it = ss.find("spans");
        if (sp_it == ss.end()) continue;
        if (!sp_it->is_array()) throw input_error("spans is not an array");
        for (const auto& s : *sp_it) added.push_back(span_from(s, res_index, scope));
      }
    }
    for (auto& p : added) spans_.push_back(std::move(p));
  }

  /// Adds the spans of an exporter batch (copied: the batch may be recycled afterwards).
  void add(const span_batch& batch) {
    if (batch.empty()) return;
    add_otlp_json(otlp::encode_json(batch));
  }

  /// Reads OTLP/JSON lines (blank lines skipped). A line that is not a trace request is skipped and
  /// reported to `on_bad_line(line_number, reason)` when given, else throws input_error naming it.
  template <class OnBadLine>
  std::size_t read_lines(std::istream& in, OnBadLine&& on_bad_line) {
    std::size_t line_no = 0, added = 0;
    std::string line;
    while (std::getline(in, line)) {
      ++line_no;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      const std::size_t before = spans_.size();
      try {
        add_otlp_json(line);
      } catch (const input_error& e) {
        on_bad_line(line_no, std::string(e.what()));
        continue;
      }
      added += spans_.size() - before;
    }
    return added;
  }

  /// Number of spans gathered.
  std::size_t span_count() const noexcept { return spans_.size(); }
  /// Number of distinct traces gathered.
  std::size_t trace_count() const {
    std::vector<std::string> ids;
    for (const auto& s : spans_) ids.push_back(s.trace_id);
    std::sort(ids.begin(), ids.end());
    return static_cast<std::size_t>(std::unique(ids.begin(), ids.end()) - ids.begin());
  }

  /// Number of spans `options` selects (trace_id, last).
  std::size_t selected_span_count(const render_options& options) const { return select(options).size(); }

  /// The page: one self-contained HTML document (UTF-8).
  std::string render(const render_options& options = {}) const {
    const std::vector<const pending*> chosen = select(options);
    std::int64_t base = std::numeric_limits<std::int64_t>::max();
    for (const auto* s : chosen) base = std::min(base, s->start);
    if (chosen.empty()) base = 0;
    std::vector<int> res_map(resources_.size(), -1);
    nlohmann::json resources = nlohmann::json::array();
    nlohmann::json spans = nlohmann::json::array();
    for (const auto* s : chosen) {
      int& r = res_map[s->resource];
      if (r < 0) {
        r = static_cast<int>(resources.size());
        resources.push_back({{"service", resources_[s->resource].first}, {"attrs", resources_[s->resource].second}});
      }
      nlohmann::json j = s->json;
      j["st"] = s->start - base;
      j["d"] = std::max<std::int64_t>(0, s->end - s->start);
      j["r"] = r;
      nlohmann::json events = nlohmann::json::array();
      for (const auto& e : s->events) events.push_back({{"n", e.name}, {"t", e.time - base}, {"a", e.attrs}});
      j["e"] = std::move(events);
      spans.push_back(std::move(j));
    }
    nlohmann::json data = {{"v", 1},
                           {"title", options.title},
                           {"base_ns", std::to_string(base)},
                           {"dropped", options.dropped_spans},
                           {"resources", std::move(resources)},
                           {"spans", std::move(spans)}};
    std::string out;
    out.reserve(64 * 1024 + chosen.size() * 512);
    out +=
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n"
        "<meta name=\"generator\" content=\"llmtrace\">\n<title>";
    detail::append_escaped(out, llmtrace::detail::sanitize_utf8(options.title));  // the page is UTF-8
    out += "</title>\n<style>";
    out += detail::viewer_css;
    out +=
        "</style>\n</head><body>\n<div id=\"app\"></div>\n"
        "<noscript>This trace viewer needs JavaScript.</noscript>\n"
        "<script type=\"application/json\" id=\"llmtrace-data\">";
    detail::append_script_safe_json(out, data);
    out += "</script>\n<script>";
    out += detail::viewer_js;
    out += "</script>\n</body></html>\n";
    return out;
  }

 private:
  struct event {
    std::string name;
    std::int64_t time = 0;
    nlohmann::json attrs;
  };
  struct pending {
    std::string trace_id;
    std::int64_t start = 0, end = 0;
    std::size_t resource = 0;
    nlohmann::json json;  // t, s, p, n, k, sc, a, l, code, msg
    std::vector<event> events;
  };

  std::size_t resource_index(const std::string& service, nlohmann::json attrs) {
    std::string key = attrs.dump();
    const auto it = resource_ids_.find(key);
    if (it != resource_ids_.end()) return it->second;
    resources_.emplace_back(service, std::move(attrs));
    resource_ids_.emplace(std::move(key), resources_.size() - 1);
    return resources_.size() - 1;
  }

  static pending span_from(const nlohmann::json& s, std::size_t res, const std::string& scope) {
    if (!s.is_object()) throw input_error("a span is not an object");
    pending p;
    p.trace_id = detail::lower(detail::str(s, "traceId"));
    if (p.trace_id.empty()) throw input_error("a span has no traceId");
    p.start = detail::nanos(s, "startTimeUnixNano");
    p.end = detail::nanos(s, "endTimeUnixNano");
    p.resource = res;
    int kind = 0, code = 0;
    if (s.contains("kind") && s["kind"].is_number_integer()) kind = s["kind"].get<int>();
    std::string message;
    if (s.contains("status") && s["status"].is_object()) {
      const auto& st = s["status"];
      if (st.contains("code") && st["code"].is_number_integer()) code = st["code"].get<int>();
      message = detail::str(st, "message");
    }
    nlohmann::json links = nlohmann::json::array();
    if (s.contains("links") && s["links"].is_array())
      for (const auto& l : s["links"])
        if (l.is_object())
          links.push_back({{"t", detail::lower(detail::str(l, "traceId"))},
                           {"s", detail::lower(detail::str(l, "spanId"))},
                           {"a", detail::plain_attributes(l)}});
    if (s.contains("events") && s["events"].is_array())
      for (const auto& e : s["events"])
        if (e.is_object())
          p.events.push_back(
              event{detail::str(e, "name"), detail::nanos(e, "timeUnixNano"), detail::plain_attributes(e)});
    p.json = {{"t", p.trace_id},
              {"s", detail::lower(detail::str(s, "spanId"))},
              {"p", detail::lower(detail::str(s, "parentSpanId"))},
              {"n", detail::str(s, "name")},
              {"k", kind},
              {"sc", scope},
              {"a", detail::plain_attributes(s)},
              {"l", std::move(links)},
              {"code", code},
              {"msg", std::move(message)}};
    return p;
  }

  std::vector<const pending*> select(const render_options& o) const {
    std::vector<const pending*> out;
    const std::string want = detail::lower(o.trace_id);
    if (!want.empty()) {
      for (const auto& s : spans_)
        if (s.trace_id == want) out.push_back(&s);
      return out;
    }
    if (o.last == 0) {
      for (const auto& s : spans_) out.push_back(&s);
      return out;
    }
    std::unordered_map<std::string, std::int64_t> starts;
    for (const auto& s : spans_) {
      auto [it, fresh] = starts.emplace(s.trace_id, s.start);
      if (!fresh) it->second = std::min(it->second, s.start);
    }
    std::vector<std::pair<std::int64_t, std::string>> order;
    for (auto& [id, st] : starts) order.emplace_back(st, id);
    std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a > b; });
    if (order.size() > o.last) order.resize(o.last);
    std::unordered_map<std::string, bool> keep;
    for (auto& [st, id] : order) keep[id] = true;
    for (const auto& s : spans_)
      if (keep.count(s.trace_id)) out.push_back(&s);
    return out;
  }

  std::vector<pending> spans_;
  std::vector<std::pair<std::string, nlohmann::json>> resources_;
  std::map<std::string, std::size_t> resource_ids_;
};

/// The page for one batch of spans (e.g. an in_memory_span_store's, through a span_batch).
inline std::string render_html(const span_batch& spans, const render_options& options = {}) {
  trace_document doc;
  doc.add(spans);
  return doc.render(options);
}

}  // namespace html
LLMTRACE_END_NAMESPACE
