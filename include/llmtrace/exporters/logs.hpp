// llmtrace/exporters/logs.hpp: the console, file and fan-out exporters for log records. The console prints one
// readable line per record (UTC time, severity, scope, event name, body, attributes, short trace and
// span ids); the file appends one OTLP/JSON ExportLogsServiceRequest per batch as a line (the
// Collector's otlpjsonfile format). Thread-safety: all methods are safe concurrently (one mutex each).
#pragma once

#include <llmtrace/any_value.hpp>
#include <llmtrace/config.hpp>
#include <llmtrace/detail/env.hpp>
#include <llmtrace/detail/hex.hpp>
#include <llmtrace/exporters/console.hpp>
#include <llmtrace/exporters/file.hpp>
#include <llmtrace/exporters/multi.hpp>
#include <llmtrace/logs/log_record.hpp>
#include <llmtrace/logs/processor.hpp>
#include <llmtrace/otlp/logs.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

LLMTRACE_BEGIN_NAMESPACE

namespace detail {

/// A structured value as compact text: `{role=user, parts=[{type=text, content=hi}]}`.
inline void console_any(std::string& out, const any_value& v, std::size_t max_chars) {
  switch (v.type()) {
    case any_value::kind::empty:
      out += "null";
      return;
    case any_value::kind::boolean:
      out += v.as_bool() ? "true" : "false";
      return;
    case any_value::kind::int64:
      out += std::to_string(v.as_int());
      return;
    case any_value::kind::float64:
      out += console_number(v.as_double());
      return;
    case any_value::kind::string:
      console_append_text(out, v.as_string(), max_chars);
      return;
    case any_value::kind::array:
      out += '[';
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (i) out += ", ";
        console_any(out, v.at(i), max_chars);
      }
      out += ']';
      return;
    case any_value::kind::kvlist:
      out += '{';
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (i) out += ", ";
        console_append_text(out, v.key_at(i), 80);
        out += '=';
        console_any(out, v.at(i), max_chars);
      }
      out += '}';
      return;
  }
}

/// "2026-12-01T15:31:29.123Z"
inline void console_utc_time(std::string& out, std::int64_t unix_nano) {
  const std::time_t secs = static_cast<std::time_t>(unix_nano / 1000000000);
  const auto ms = static_cast<int>((unix_nano / 1000000) % 1000);
  std::tm tm{};
#if defined(_WIN32)
  gmtime_s(&tm, &secs);
#else
  gmtime_r(&secs, &tm);
#endif
  char buf[96];  // room for any int fields (the compiler checks the worst case)
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  out += buf;
}

/// One log record as one line (with the trailing newline).
inline void console_log_line(std::string& out, const log_record& r, const console_style& st) {
  console_utc_time(out, r.time_unix_nano ? r.time_unix_nano : r.observed_time_unix_nano);
  out += ' ';
  const std::string_view level = to_string(r.severity);
  const bool loud = r.severity >= severity::warn;
  if (loud) out += st.error();
  std::string lv(level.empty() ? std::string_view("-") : level);
  lv.resize(5, ' ');
  out += lv;
  if (loud) out += st.reset();
  out += ' ';
  out += st.dim();
  console_append_text(out, r.scope ? std::string_view(r.scope->name) : std::string_view("-"), 60);
  out += st.reset();
  if (!r.event_name.empty()) {
    out += " [";
    out += st.name();
    console_append_text(out, r.event_name, 80);
    out += st.reset();
    out += ']';
  }
  if (!r.body.empty()) {
    out += ' ';
    console_any(out, r.body, 400);
  }
  auto attr_sep = [&, first = true]() mutable {
    out += first ? "  " : " ";
    first = false;
  };
  for (const attribute a : r.attributes) {
    attr_sep();
    console_append_text(out, a.key, 80);
    out += '=';
    console_any(out, any_value(a.value), 120);
  }
  for (const auto& a : r.structured_attributes) {
    attr_sep();
    console_append_text(out, a.key, 80);
    out += '=';
    console_any(out, a.value, 120);
  }
  if (r.has_span()) {
    char tid[32], sid[16];
    to_hex(r.trace_id.data(), 16, tid);
    to_hex(r.span_id.data(), 8, sid);
    out += "  ";
    out += st.dim();
    out += "trace=";
    out.append(tid, 8);
    out += " span=";
    out.append(sid, 8);
    out += st.reset();
  }
  out += '\n';
}

struct otlp_json_logs_encoding {
  static constexpr const char* noun = "log records";
  static void append(std::string& out, const log_batch& records) { otlp::append_json(out, records); }
};

}  // namespace detail

/// Prints one line per log record: `2026-12-01T15:31:29.123Z INFO  my.scope body  k=v  trace=0af76519
/// span=b7ad6b71` (the first 8 hex digits of the ids; the event name in brackets for events).
/// Strings are cut and control characters blanked so a record cannot garble the terminal.
class console_log_exporter final : public log_exporter {
 public:
  explicit console_log_exporter(console_exporter_options options = {}) : opt_(options) {
    if (!opt_.stream && !opt_.file) opt_.file = stdout;
    style_.on = detail::console_use_color(opt_);
  }
  export_result export_batch(const log_batch& records) noexcept override {
    std::lock_guard<std::mutex> lk(mu_);
    if (shut_down_) return export_result::failure;
    try {
      line_.clear();
      for (const log_record& r : records) detail::console_log_line(line_, r, style_);
    } catch (...) {
      return export_result::failure;
    }
    return detail::console_write(opt_, line_, failing_) ? export_result::success : export_result::failure;
  }
  bool shutdown(std::chrono::milliseconds) noexcept override {
    std::lock_guard<std::mutex> lk(mu_);
    shut_down_ = true;
    return true;
  }

 private:
  console_exporter_options opt_;
  detail::console_style style_;
  std::mutex mu_;
  std::string line_;
  bool failing_ = false;
  bool shut_down_ = false;
};

/// Fans each batch of log records out to its exporters, in the order they were added.
class multi_log_exporter final : public detail::basic_multi_exporter<log_exporter, log_batch> {
 public:
  using basic_multi_exporter::basic_multi_exporter;
};

/// The file written when neither the path given nor LLMTRACE_LOGS_FILE names one.
inline constexpr std::string_view default_logs_file = "llmtrace-logs.jsonl";

/// Appends one OTLP/JSON ExportLogsServiceRequest per batch as a line to a file; an empty path means
/// LLMTRACE_LOGS_FILE, else `llmtrace-logs.jsonl`. Failures are handled like the span file exporter's.
class file_log_exporter final
    : public detail::jsonl_file_exporter<log_exporter, log_batch, detail::otlp_json_logs_encoding> {
 public:
  explicit file_log_exporter(std::string path = {}) : jsonl_file_exporter(resolve(std::move(path))) {}

 private:
  static std::string resolve(std::string path) {
    if (!path.empty()) return path;
    const auto v = detail::get_env("LLMTRACE_LOGS_FILE");
    return v ? *v : std::string(default_logs_file);
  }
};

LLMTRACE_END_NAMESPACE
