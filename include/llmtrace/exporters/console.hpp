// llmtrace/exporters/console.hpp: prints each finished trace as an indented tree a person reads at a
// glance (span name, duration, and the attributes that matter for LLM work), once its root span has
// ended; children that end after their root follow as "late spans". Memory is bounded (see
// console_exporter_options). Thread-safety: all methods are safe concurrently (one mutex).
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/detail/hex.hpp>
#include <llmtrace/detail/terminal.hpp>
#include <llmtrace/detail/utf8.hpp>
#include <llmtrace/error.hpp>
#include <llmtrace/exporter.hpp>
#include <llmtrace/semconv.hpp>
#include <llmtrace/span_data.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <iostream>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE

/// When the console exporter uses ANSI colours.
enum class console_color : unsigned char {
  automatic,  ///< only when writing to a terminal and NO_COLOR is unset or empty
  always,
  never,
};

/// Where and how the console exporter prints.
struct console_exporter_options {
  /// The stream to print to when `stream` is null (not owned; default stdout).
  std::FILE* file = stdout;
  /// Print to this stream instead of `file` (not owned; must outlive the exporter).
  std::ostream* stream = nullptr;
  console_color color = console_color::automatic;
  /// Spans held while they wait for their root (or, for late spans, their parent). Past this, the
  /// oldest waiting trace is printed as it is, marked incomplete.
  std::size_t max_pending_spans = 4096;
  /// Span ids (and names) remembered from printed traces, so a late span can be shown under its
  /// parent. Past this, the oldest printed traces are forgotten; a late span of a forgotten trace
  /// waits and is printed as incomplete at the next flush.
  std::size_t max_remembered_spans = 16384;
};

namespace detail {

struct console_id_hash {
  std::size_t operator()(const trace_id& t) const noexcept { return load(t.data() + 8); }
  std::size_t operator()(const span_id& s) const noexcept { return load(s.data()); }
  static std::size_t load(const std::uint8_t* p) noexcept {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return static_cast<std::size_t>(v ^ (v >> 29));
  }
};

/// `v` with three significant digits at most ("71.4", "1.19", "120").
inline std::string console_number(double v) {
  char buf[32];
  const double a = std::fabs(v);
  const int decimals = a >= 100 ? 0 : a >= 10 ? 1 : 2;
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

/// A duration in the unit that reads best: "850 ns", "12.3 µs", "42.5 ms", "1.37 s", "2m05s", "1h02m".
inline std::string console_duration(std::int64_t ns) {
  if (ns < 0) ns = 0;
  if (ns < 1000) return std::to_string(ns) + " ns";
  static constexpr const char* units[] = {" µs", " ms", " s"};
  double v = static_cast<double>(ns) / 1000.0;
  for (const char* unit : units) {
    const int decimals = v >= 100 ? 0 : v >= 10 ? 1 : 2;
    const double scale = std::pow(10.0, decimals);
    const double rounded = std::round(v * scale) / scale;
    if (rounded < 1000.0 || unit == units[2]) {
      if (unit != units[2] || rounded < 60.0) return console_number(rounded) + unit;
      break;
    }
    v /= 1000.0;
  }
  const auto secs = static_cast<long long>(std::llround(static_cast<double>(ns) / 1e9));
  char buf[48];
  if (secs < 3600)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", secs / 60, secs % 60);
  else
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", secs / 3600, (secs % 3600) / 60);
  return buf;
}

/// Appends `s` as one line of terminal text: invalid UTF-8 repaired, control characters (which
/// could move the cursor or inject escape sequences) shown as spaces, cut at `max_chars` with "…".
inline void console_append_text(std::string& out, std::string_view s, std::size_t max_chars = 120) {
  std::string clean;
  const bool cut = detail::append_utf8(clean, s, max_chars);
  for (char& c : clean) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = ' ';
  }
  out += clean;
  if (cut) out += "…";
}

/// The text of a string or string-array attribute ("stop" or "stop,length"); empty when absent.
inline std::string console_strings(const attribute_set& attrs, std::string_view key) {
  attribute_value v;
  if (!attrs.find(key, v)) return {};
  if (v.type() == value_type::string) return std::string(v.as_string());
  std::string out;
  if (v.type() == value_type::string_array)
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (i) out += ',';
      out += v.string_at(i);
    }
  return out;
}

inline bool console_int(const attribute_set& attrs, std::string_view key, std::int64_t& out) {
  attribute_value v;
  if (!attrs.find(key, v) || v.type() != value_type::int64) return false;
  out = v.as_int();
  return true;
}

inline bool console_double(const attribute_set& attrs, std::string_view key, double& out) {
  attribute_value v;
  if (!attrs.find(key, v) || (v.type() != value_type::float64 && v.type() != value_type::int64)) return false;
  out = v.as_double();
  return true;
}

/// Seconds (an attribute in seconds) as a duration.
inline std::string console_seconds(double s) {
  return console_duration(static_cast<std::int64_t>(std::llround(s * 1e9)));
}

/// ANSI styling, or nothing when colour is off.
struct console_style {
  bool on = false;
  const char* name() const noexcept { return on ? "\x1b[1m" : ""; }
  const char* duration() const noexcept { return on ? "\x1b[36m" : ""; }
  const char* dim() const noexcept { return on ? "\x1b[2m" : ""; }
  const char* error() const noexcept { return on ? "\x1b[1;31m" : ""; }
  const char* reset() const noexcept { return on ? "\x1b[0m" : ""; }
};

/// Whether output to `o`'s stream is coloured: as asked, or (automatic) on a terminal without NO_COLOR.
inline bool console_use_color(const console_exporter_options& o) noexcept {
  if (o.color != console_color::automatic) return o.color == console_color::always;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color && *no_color) return false;
  if (o.stream)
    return detail::is_terminal(o.stream == &std::cout                               ? 1
                               : (o.stream == &std::cerr || o.stream == &std::clog) ? 2
                                                                                    : -1);
  return detail::is_terminal(o.file);
}

/// Writes and flushes `text` to `o`'s stream; a failure is reported once per streak (`failing`).
inline bool console_write(const console_exporter_options& o, const std::string& text, bool& failing) noexcept {
  if (text.empty()) return true;
  bool ok;
  try {
    if (o.stream) {
      o.stream->write(text.data(), static_cast<std::streamsize>(text.size()));
      o.stream->flush();
      ok = o.stream->good();
    } else {
      ok = std::fwrite(text.data(), 1, text.size(), o.file) == text.size() && std::fflush(o.file) == 0;
    }
  } catch (...) {
    ok = false;
  }
  if (!ok && !failing) detail::report_error("console exporter: cannot write to its output stream");
  failing = !ok;
  return ok;
}

/// One span as a line (without tree connectors): name, duration, then the facts that matter for LLM
/// work. `leaf` says whether the span has no children shown under it (then Ollama's phase timings
/// are printed from the attributes, since no phase spans show them).
inline void console_span_line(std::string& out, const span_data& s, bool leaf, const console_style& st) {
  namespace sc = semconv;
  const auto& a = s.attributes;
  out += st.name();
  console_append_text(out, s.name());
  out += st.reset();
  out += "  ";
  out += st.duration();
  out += console_duration(s.duration_ns());
  out += st.reset();
  auto fact = [&](const std::string& text) {
    out += "  ";
    out += text;
  };

  const std::string req = console_strings(a, sc::gen_ai_request_model);
  const std::string resp = console_strings(a, sc::gen_ai_response_model);
  if (!resp.empty() && resp != req) {
    std::string t = "model=";
    console_append_text(t, req.empty() ? resp : req + " → " + resp);
    fact(t);
  } else if (!req.empty()) {
    std::string t = "model=";
    console_append_text(t, req);
    fact(t);
  }
  if (double g = 0; console_double(a, sc::ollama_model_gpu_fraction, g)) {
    // Where the model ran (from Ollama's /api/ps): a model on the CPU only is the usual reason for
    // a slow call, so it stands out.
    long gpu = std::lround(g * 100.0);
    if (g > 0 && gpu == 0) gpu = 1;
    if (g < 1 && gpu == 100) gpu = 99;
    if (g <= 0) {
      fact(std::string(st.error()) + "CPU only" + st.reset());
    } else if (gpu >= 100) {
      fact("gpu 100%");
    } else {
      fact("gpu " + std::to_string(gpu) + "% cpu " + std::to_string(100 - gpu) + "%");
    }
  }
  std::int64_t in = 0, outn = 0;
  const bool has_in = console_int(a, sc::gen_ai_usage_input_tokens, in);
  const bool has_out = console_int(a, sc::gen_ai_usage_output_tokens, outn);
  if (has_in || has_out) {
    std::string t = "tokens";
    if (has_in) t += " in=" + std::to_string(in);
    if (has_out) t += " out=" + std::to_string(outn);
    fact(t);
  }
  double d = 0;
  if (console_double(a, sc::ollama_tokens_per_second, d)) fact(console_number(d) + " tok/s");
  if (console_double(a, sc::gen_ai_response_time_to_first_chunk, d) ||
      console_double(a, sc::llmtrace_workflow_time_to_first_chunk, d))
    fact("first chunk " + console_seconds(d));
  if (const std::string f = console_strings(a, sc::gen_ai_response_finish_reasons); !f.empty()) {
    std::string t = "finish=";
    console_append_text(t, f, 40);
    fact(t);
  }
  std::int64_t n = 0;
  if (console_int(a, sc::gen_ai_embeddings_dimension_count, n)) fact("dim=" + std::to_string(n));
  if (console_int(a, sc::gen_ai_retrieval_top_k, n)) fact("top_k=" + std::to_string(n));
  if (console_int(a, sc::llmtrace_retrieval_result_count, n)) fact("results=" + std::to_string(n));
  if (console_double(a, sc::llmtrace_retrieval_score_best, d)) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "best score %.2f", d);
    fact(buf);
  }
  if (leaf) {
    std::string phases;
    const std::pair<std::string_view, const char*> keys[] = {{sc::ollama_load_duration, "load="},
                                                             {sc::ollama_prompt_eval_duration, "prompt_eval="},
                                                             {sc::ollama_eval_duration, "eval="}};
    for (const auto& k : keys)
      if (console_double(a, k.first, d)) {
        phases += phases.empty() ? "ollama " : " ";
        phases += k.second + console_seconds(d);
      }
    if (!phases.empty()) fact(phases);
  }
  attribute_value cold;
  if (a.find(sc::ollama_cold_start, cold) && cold.as_bool()) fact("cold start");

  const std::string err_type = console_strings(a, sc::error_type);
  std::string_view message = s.status_message;
  if (s.status == status_code::error && message.empty())
    for (const auto& e : s.events)
      if (e.name == "exception") message = e.attributes.get_string(sc::exception_message);
  if (s.status == status_code::error || !err_type.empty()) {
    std::string t = st.error();
    t += "ERROR";
    if (!err_type.empty()) {
      t += ' ';
      console_append_text(t, err_type, 40);
    }
    if (!message.empty()) {
      t += ": ";
      console_append_text(t, message);
    }
    t += st.reset();
    fact(t);
  }
}

}  // namespace detail

/// Prints finished traces as trees, e.g.
///
///     trace 4bf92f3577b34da6a3ce929d0e0e4736 (rag-demo)
///     invoke_workflow rag  1.37 s
///     ├─ embeddings nomic-embed-text  42.5 ms  model=nomic-embed-text  tokens in=12  dim=768
///     ├─ retrieval docs  2.25 ms  top_k=4  results=3
///     └─ chat llama3.2  1.32 s  model=llama3.2 → llama3.2:latest  tokens in=230 out=85  71.4 tok/s ...
///        ├─ ollama.load  2.00 ms
///        ...
///
/// A trace is printed when its root (a span without a parent, or with a remote parent) arrives, with
/// every span of the trace received so far; spans wait (bounded by max_pending_spans) until then.
/// A span arriving after its trace was printed is printed as soon as its parent has been, under a
/// "late spans" heading that names the parent. force_flush and shutdown print whatever still waits
/// (spans whose root or parent never arrived), marked incomplete. Never throws.
class console_exporter final : public exporter {
 public:
  explicit console_exporter(console_exporter_options options = {}) : opt_(options) {
    if (!opt_.stream && !opt_.file) opt_.file = stdout;
    style_.on = detail::console_use_color(opt_);
  }
  ~console_exporter() override { shutdown(std::chrono::milliseconds(0)); }
  console_exporter(const console_exporter&) = delete;
  console_exporter& operator=(const console_exporter&) = delete;

  export_result export_batch(const span_batch& spans) noexcept override {
    std::lock_guard<std::mutex> lk(mu_);
    if (shut_down_) return export_result::failure;
    std::string out;
    try {
      std::vector<trace_id> touched;
      for (const span_data& s : spans) {
        auto it = pending_.find(s.context.trace_id);
        if (it == pending_.end()) {
          it = pending_.emplace(s.context.trace_id, pending_trace{{}, ++seq_}).first;
          touched.push_back(s.context.trace_id);
        } else if (std::find(touched.begin(), touched.end(), s.context.trace_id) == touched.end()) {
          touched.push_back(s.context.trace_id);
        }
        it->second.spans.push_back(s);
        ++pending_count_;
      }
      for (const auto& t : touched) resolve(t, false, out);
      while (pending_count_ > opt_.max_pending_spans && !pending_.empty()) {
        auto oldest = pending_.begin();
        for (auto it = pending_.begin(); it != pending_.end(); ++it)
          if (it->second.seq < oldest->second.seq) oldest = it;
        resolve(trace_id(oldest->first), true, out);
      }
      forget_old_traces();
    } catch (...) {
      write(out);
      return export_result::failure;
    }
    return write(out) ? export_result::success : export_result::failure;
  }

  /// Prints every span still waiting for its root or parent, marked incomplete.
  bool force_flush(std::chrono::milliseconds) noexcept override {
    std::lock_guard<std::mutex> lk(mu_);
    return flush_pending();
  }

  bool shutdown(std::chrono::milliseconds) noexcept override {
    std::lock_guard<std::mutex> lk(mu_);
    if (shut_down_) return true;
    const bool ok = flush_pending();
    shut_down_ = true;
    pending_.clear();
    printed_.clear();
    printed_order_.clear();
    return ok;
  }

  /// Whether output is coloured (decided at construction).
  bool color() const noexcept { return style_.on; }

 private:
  struct pending_trace {
    std::vector<span_data> spans;
    std::uint64_t seq;  // arrival order of the trace, for evicting the oldest
  };
  struct printed_trace {
    std::unordered_map<span_id, std::string, detail::console_id_hash> names;  // printed spans
  };

  static bool is_local_root(const span_data& s) noexcept { return !s.has_parent() || s.parent_is_remote; }

  bool write(const std::string& text) noexcept { return detail::console_write(opt_, text, write_failing_); }

  bool flush_pending() noexcept {
    std::string out;
    try {
      std::vector<std::pair<std::uint64_t, trace_id>> order;
      for (const auto& p : pending_) order.emplace_back(p.second.seq, p.first);
      std::sort(order.begin(), order.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
      for (const auto& o : order) resolve(o.second, true, out);
      forget_old_traces();
    } catch (...) {
      write(out);
      return false;
    }
    return write(out);
  }

  /// Prints what can be printed of trace `t`: spans whose parent has been printed (or who are roots),
  /// with their waiting descendants. With `flush`, prints every waiting span of `t`.
  void resolve(const trace_id& t, bool flush, std::string& out) {
    auto pit = pending_.find(t);
    if (pit == pending_.end()) return;
    std::vector<span_data>& P = pit->second.spans;
    auto prit = printed_.find(t);
    printed_trace* pr = prit == printed_.end() ? nullptr : &prit->second;

    std::unordered_map<span_id, std::size_t, detail::console_id_hash> index;
    for (std::size_t i = 0; i < P.size(); ++i) index.emplace(P[i].context.span_id, i);
    std::unordered_map<span_id, std::vector<std::size_t>, detail::console_id_hash> children;
    auto by_start = [&](std::size_t x, std::size_t y) {
      if (P[x].start_time_unix_nano != P[y].start_time_unix_nano)
        return P[x].start_time_unix_nano < P[y].start_time_unix_nano;
      return P[x].context.span_id.bytes < P[y].context.span_id.bytes;
    };

    // Anchors: spans printed at the top of a block (roots, and spans whose parent was printed before).
    struct anchor {
      std::size_t idx;
      bool orphan;  // parent neither printed nor waiting
    };
    std::vector<anchor> anchors;
    for (std::size_t i = 0; i < P.size(); ++i) {
      const span_data& s = P[i];
      if (is_local_root(s) || (pr && pr->names.count(s.parent_span_id))) {
        anchors.push_back({i, false});
      } else if (index.count(s.parent_span_id) && s.parent_span_id != s.context.span_id) {
        children[s.parent_span_id].push_back(i);
      } else if (flush) {
        anchors.push_back({i, true});
      }
    }
    if (anchors.empty() && !flush) return;
    for (auto& c : children) std::sort(c.second.begin(), c.second.end(), by_start);

    std::vector<bool> done(P.size(), false);
    std::string body;
    bool late = pr != nullptr, incomplete = false;
    const span_data* header_span = nullptr;

    auto render = [&](std::size_t root, const std::string& base, bool connector, bool last) {
      struct frame {
        std::size_t idx;
        std::string prefix;
        bool connector;
        bool last;
      };
      std::vector<frame> stack{{root, base, connector, last}};
      while (!stack.empty()) {
        frame f = std::move(stack.back());
        stack.pop_back();
        if (done[f.idx]) continue;
        done[f.idx] = true;
        const span_data& s = P[f.idx];
        auto kids = children.find(s.context.span_id);
        std::vector<std::size_t> shown;
        if (kids != children.end())
          for (auto k : kids->second)
            if (!done[k]) shown.push_back(k);
        body += style_.dim();
        body += f.prefix;
        if (f.connector) body += f.last ? "└─ " : "├─ ";
        body += style_.reset();
        detail::console_span_line(body, s, shown.empty(), style_);
        body += '\n';
        const std::string child_prefix = f.prefix + (f.connector ? (f.last ? "   " : "│  ") : "");
        for (std::size_t k = shown.size(); k-- > 0;)
          stack.push_back({shown[k], child_prefix, true, k + 1 == shown.size()});
      }
    };

    // Roots first, then groups of late or orphaned spans under the parent they belong to.
    std::sort(anchors.begin(), anchors.end(), [&](const anchor& x, const anchor& y) {
      const bool rx = is_local_root(P[x.idx]), ry = is_local_root(P[y.idx]);
      if (rx != ry) return rx;
      return by_start(x.idx, y.idx);
    });
    std::vector<bool> grouped(anchors.size(), false);
    for (std::size_t a = 0; a < anchors.size(); ++a) {
      if (grouped[a]) continue;
      const span_data& s = P[anchors[a].idx];
      if (!header_span) header_span = &s;
      if (is_local_root(s)) {
        render(anchors[a].idx, "", false, true);
        continue;
      }
      // Everything anchored under the same parent, in start order.
      std::vector<std::size_t> group;
      for (std::size_t b = a; b < anchors.size(); ++b)
        if (!grouped[b] && P[anchors[b].idx].parent_span_id == s.parent_span_id) {
          grouped[b] = true;
          group.push_back(anchors[b].idx);
        }
      body += style_.dim();
      body += "… ";
      if (anchors[a].orphan) {
        incomplete = true;
        char hex[17] = {};
        detail::to_hex(s.parent_span_id.data(), 8, hex);
        body += "span ";
        body += hex;
        body += " (not received)";
      } else {
        append_parent_name(body, pr, s.parent_span_id);
      }
      body += style_.reset();
      body += '\n';
      for (std::size_t g = 0; g < group.size(); ++g) render(group[g], "  ", true, g + 1 == group.size());
    }
    // Spans caught in a parent cycle (malformed input) are shown on their own rather than lost.
    if (flush)
      for (std::size_t i = 0; i < P.size(); ++i)
        if (!done[i]) {
          incomplete = true;
          if (!header_span) header_span = &P[i];
          render(i, "", false, true);
        }

    if (!body.empty()) {
      char hex[33] = {};
      detail::to_hex(t.data(), 16, hex);
      out += style_.dim();
      out += "trace ";
      out += hex;
      const std::string_view service = header_span && header_span->resource
                                           ? header_span->resource->attributes.get_string("service.name")
                                           : std::string_view();
      if (!service.empty()) {
        out += " (";
        detail::console_append_text(out, service, 60);
        out += ')';
      }
      if (late) out += " late spans";
      if (incomplete) out += late ? ", parent not received" : " incomplete: parent not received";
      out += style_.reset();
      out += '\n';
      out += body;
      out += '\n';
    }

    // Remember what was printed; keep what still waits.
    if (!pr) {
      pr = &printed_[t];
      printed_order_.push_back(t);
    }
    std::vector<span_data> keep;
    for (std::size_t i = 0; i < P.size(); ++i) {
      if (done[i]) {
        std::string name;
        detail::console_append_text(name, P[i].name(), 80);
        if (pr->names.emplace(P[i].context.span_id, std::move(name)).second) ++printed_count_;
        --pending_count_;
      } else {
        keep.push_back(std::move(P[i]));
      }
    }
    if (keep.empty())
      pending_.erase(pit);
    else
      P.swap(keep);
  }

  static void append_parent_name(std::string& out, const printed_trace* pr, const span_id& parent) {
    if (!pr) return;
    auto it = pr->names.find(parent);
    if (it != pr->names.end()) out += it->second;
  }

  void forget_old_traces() {
    while (printed_count_ > opt_.max_remembered_spans && !printed_order_.empty()) {
      auto it = printed_.find(printed_order_.front());
      if (it != printed_.end()) {
        printed_count_ -= it->second.names.size();
        printed_.erase(it);
      }
      printed_order_.pop_front();
    }
  }

  console_exporter_options opt_;
  detail::console_style style_;
  std::mutex mu_;
  std::unordered_map<trace_id, pending_trace, detail::console_id_hash> pending_;
  std::unordered_map<trace_id, printed_trace, detail::console_id_hash> printed_;
  std::deque<trace_id> printed_order_;
  std::size_t pending_count_ = 0;
  std::size_t printed_count_ = 0;
  std::uint64_t seq_ = 0;
  bool shut_down_ = false;
  bool write_failing_ = false;
};

LLMTRACE_END_NAMESPACE
