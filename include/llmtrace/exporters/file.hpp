// llmtrace/exporters/file.hpp: appends each exported batch to a file as one OTLP/JSON
// ExportTraceServiceRequest per line (the OpenTelemetry Collector's file exporter/receiver format),
// flushed per batch. Write failures go to the error handler, once per streak; nothing throws. The
// writing machinery (detail::jsonl_file_exporter) is shared with the log file exporter.
// Thread-safety: all methods are safe concurrently (one mutex; the SDK exports from one thread).
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/detail/env.hpp>
#include <llmtrace/error.hpp>
#include <llmtrace/exporter.hpp>
#include <llmtrace/otlp/json.hpp>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

LLMTRACE_BEGIN_NAMESPACE

/// The file written when neither file_exporter_options::path nor LLMTRACE_TRACES_FILE names one.
inline constexpr std::string_view default_traces_file = "llmtrace-traces.jsonl";

/// Where the file exporter writes.
struct file_exporter_options {
  /// The file to append to (created if missing). Empty: LLMTRACE_TRACES_FILE, else
  /// `llmtrace-traces.jsonl` in the working directory.
  std::string path;
};

/// file_exporter_options with the path from LLMTRACE_TRACES_FILE (or the default file name).
inline file_exporter_options file_exporter_options_from_env() {
  file_exporter_options o;
  const auto v = detail::get_env("LLMTRACE_TRACES_FILE");
  o.path = v ? *v : std::string(default_traces_file);
  return o;
}

namespace detail {

/// Appends OTLP/JSON lines to a file. A batch is written with one write and flushed before
/// export_batch returns, so a reader (or `otelcol` with the otlpjsonfile receiver) sees whole lines.
/// A failed open or write (missing directory, permissions, disk full) drops the batch, returns
/// failure and is reported through the error handler once until a write succeeds again; the file is
/// reopened on the next batch. A line torn by an earlier failure is ended before new lines are added.
/// `Base` is the exporter interface, `Batch` its batch type, `Encoding::append(std::string&, const
/// Batch&)` writes one request and `Encoding::noun` names the records in messages.
template <typename Base, typename Batch, typename Encoding>
class jsonl_file_exporter : public Base {
 public:
  explicit jsonl_file_exporter(std::string path) : path_(std::move(path)) {}
  ~jsonl_file_exporter() override { close(); }
  jsonl_file_exporter(const jsonl_file_exporter&) = delete;
  jsonl_file_exporter& operator=(const jsonl_file_exporter&) = delete;

  export_result export_batch(const Batch& spans) noexcept override {
    std::lock_guard<std::mutex> lk(mu_);
    if (shut_down_) return export_result::failure;
    if (spans.empty()) return export_result::success;
    try {
      line_.clear();
      Encoding::append(line_, spans);
      line_.push_back('\n');
    } catch (...) {
      fail("cannot encode a batch for", ENOMEM);
      return export_result::failure;
    }
    if (!file_ && !open()) return export_result::failure;
    errno = 0;
    const bool ok = std::fwrite(line_.data(), 1, line_.size(), file_) == line_.size() && std::fflush(file_) == 0;
    if (!ok) {
      fail("cannot write to", errno);
      close();  // reopen next time (the file may have been rotated, or space freed)
      return export_result::failure;
    }
    failing_ = false;
    if (line_.capacity() > keep_buffer_bytes) std::string().swap(line_);
    return export_result::success;
  }

  bool force_flush(std::chrono::milliseconds) noexcept override {
    std::lock_guard<std::mutex> lk(mu_);
    return !file_ || std::fflush(file_) == 0;
  }

  bool shutdown(std::chrono::milliseconds) noexcept override {
    std::lock_guard<std::mutex> lk(mu_);
    shut_down_ = true;
    return close();
  }

  /// The file this exporter appends to.
  const std::string& path() const noexcept { return path_; }

 private:
  static constexpr std::size_t keep_buffer_bytes = 1 << 20;

  bool open() noexcept {
    errno = 0;
    file_ = std::fopen(path_.c_str(), "a+b");
    if (!file_) {
      fail("cannot open", errno);
      return false;
    }
    // If the file ends in the middle of a line (a write torn by a full disk or a crash), end it so
    // the next request starts on a line of its own.
    if (std::fseek(file_, -1, SEEK_END) == 0) {
      const int last = std::fgetc(file_);
      std::fseek(file_, 0, SEEK_END);
      if (last != EOF && last != '\n') std::fputc('\n', file_);
    }
    std::clearerr(file_);
    return true;
  }

  bool close() noexcept {
    if (!file_) return true;
    const bool ok = std::fclose(file_) == 0;
    file_ = nullptr;
    return ok;
  }

  // Reports the first failure of a streak: "file exporter: <what> <path>: <reason>; ...".
  void fail(const char* what, int err) noexcept {
    if (failing_) return;
    failing_ = true;
    try {
      detail::report_error(std::string("file exporter: ") + what + " " + path_ + ": " + std::strerror(err ? err : EIO) +
                           "; " + Encoding::noun + " are dropped (not reported again until a write succeeds)");
    } catch (...) {
    }
  }

  std::mutex mu_;
  std::string path_;
  std::FILE* file_ = nullptr;
  std::string line_;
  bool failing_ = false;
  bool shut_down_ = false;
};

struct otlp_json_traces_encoding {
  static constexpr const char* noun = "spans";
  static void append(std::string& out, const span_batch& spans) { otlp::append_json(out, spans); }
};

}  // namespace detail

/// Appends one OTLP/JSON ExportTraceServiceRequest per batch as a line to a file (see
/// detail::jsonl_file_exporter for the failure behaviour).
class file_exporter final
    : public detail::jsonl_file_exporter<exporter, span_batch, detail::otlp_json_traces_encoding> {
 public:
  explicit file_exporter(file_exporter_options options = {})
      : jsonl_file_exporter(options.path.empty() ? file_exporter_options_from_env().path : std::move(options.path)) {}
};

LLMTRACE_END_NAMESPACE
