// llmtrace/exporters/html.hpp: keeps the exported spans (as OTLP/JSON, within a byte budget) and, at
// shutdown, writes them as one self-contained HTML trace viewer (html/render.hpp). Enabled by
// OTEL_TRACES_EXPORTER=html (llmtrace::init); the file is LLMTRACE_HTML_FILE, else llmtrace-traces.html.
// Thread-safety: all methods are safe concurrently (one mutex; the SDK exports from one thread).
// Heavy: needs nlohmann_json; link llmtrace::llmtrace.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/detail/env.hpp>
#include <llmtrace/error.hpp>
#include <llmtrace/exporter.hpp>
#include <llmtrace/html/render.hpp>
#include <llmtrace/otlp/json.hpp>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE

/// The file written when neither html_exporter_options::path nor LLMTRACE_HTML_FILE names one.
inline constexpr std::string_view default_html_file = "llmtrace-traces.html";

/// Where and how much the HTML exporter writes.
struct html_exporter_options {
  /// The HTML file written at shutdown (replaced). Empty: LLMTRACE_HTML_FILE, else
  /// `llmtrace-traces.html` in the working directory.
  std::string path;
  /// The page title.
  std::string title = "llmtrace traces";
  /// Bytes of OTLP/JSON kept for the page; later batches are dropped, counted and reported once
  /// (the page header shows the count). Default 64 MiB (about 100,000 typical spans).
  std::size_t max_bytes = 64u << 20;
};

/// html_exporter_options with the path from LLMTRACE_HTML_FILE (or the default file name).
inline html_exporter_options html_exporter_options_from_env() {
  html_exporter_options o;
  const auto v = detail::get_env("LLMTRACE_HTML_FILE");
  o.path = v && !v->empty() ? *v : std::string(default_html_file);
  return o;
}

/// Collects spans and writes the HTML trace viewer at shutdown (to a temporary file renamed over
/// `path`, so a reader never sees half a page). Exporting only encodes the batch (OTLP/JSON) and
/// appends it to memory; rendering and the file write happen once, in shutdown(). A failed write is
/// reported through the error handler and makes shutdown() return false.
class html_exporter final : public exporter {
 public:
  explicit html_exporter(html_exporter_options options = {}) : options_(std::move(options)) {
    if (options_.path.empty()) options_.path = html_exporter_options_from_env().path;
  }
  ~html_exporter() override { shutdown(std::chrono::milliseconds(0)); }
  html_exporter(const html_exporter&) = delete;
  html_exporter& operator=(const html_exporter&) = delete;

  export_result export_batch(const span_batch& spans) noexcept override {
    std::lock_guard<std::mutex> lk(mu_);
    if (shut_down_) return export_result::failure;
    if (spans.empty()) return export_result::success;
    try {
      std::string line = otlp::encode_json(spans);
      if (bytes_ + line.size() > options_.max_bytes) {
        dropped_ += spans.size();
        if (!reported_full_)
          detail::report_error("html exporter: more than " + std::to_string(options_.max_bytes) +
                               " bytes of spans kept for " + options_.path +
                               "; later spans are dropped (counted in the page)");
        reported_full_ = true;
        return export_result::failure;
      }
      bytes_ += line.size();
      batches_.push_back(std::move(line));
      return export_result::success;
    } catch (...) {
      dropped_ += spans.size();
      return export_result::failure;
    }
  }

  bool force_flush(std::chrono::milliseconds) noexcept override { return true; }

  /// Writes the page (once); false when it could not be written.
  bool shutdown(std::chrono::milliseconds) noexcept override {
    std::lock_guard<std::mutex> lk(mu_);
    if (shut_down_) return written_;
    shut_down_ = true;
    try {
      html::trace_document doc;
      for (const auto& b : batches_) doc.add_otlp_json(b);
      std::vector<std::string>().swap(batches_);
      html::render_options ro;
      ro.title = options_.title;
      ro.dropped_spans = dropped_;
      written_ = write_file(doc.render(ro));
    } catch (const std::exception& e) {
      detail::report_error(std::string("html exporter: cannot render ") + options_.path + ": " + e.what());
      written_ = false;
    }
    return written_;
  }

  /// The HTML file written at shutdown.
  const std::string& path() const noexcept { return options_.path; }
  /// Spans dropped because the byte budget was used up.
  std::uint64_t dropped_spans() const {
    std::lock_guard<std::mutex> lk(mu_);
    return dropped_;
  }

 private:
  bool write_file(const std::string& page) noexcept {
    const std::string tmp = options_.path + ".tmp";
    errno = 0;
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    bool ok = f && std::fwrite(page.data(), 1, page.size(), f) == page.size();
    if (f) ok = std::fclose(f) == 0 && ok;
    if (ok) ok = std::rename(tmp.c_str(), options_.path.c_str()) == 0;
    if (!ok) {
      const int err = errno;
      std::remove(tmp.c_str());
      try {
        detail::report_error("html exporter: cannot write " + options_.path + ": " + std::strerror(err ? err : EIO));
      } catch (...) {
      }
    }
    return ok;
  }

  mutable std::mutex mu_;
  html_exporter_options options_;
  std::vector<std::string> batches_;
  std::size_t bytes_ = 0;
  std::uint64_t dropped_ = 0;
  bool reported_full_ = false;
  bool shut_down_ = false;
  bool written_ = false;
};

LLMTRACE_END_NAMESPACE
