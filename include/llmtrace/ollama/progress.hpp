// llmtrace/ollama/progress.hpp: a ready-made terminal progress bar for client::pull / push / create
// (bytes, percentage, rate, ETA per layer; status lines such as "verifying sha256 digest"). It draws
// only on a terminal unless forced, and never cancels. Thread-safety: one bar per call, used from the
// thread that runs the call (the progress callback's thread).
// Heavy: needs nlohmann_json; link llmtrace::llmtrace.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/detail/terminal.hpp>
#include <llmtrace/ollama/types.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>

LLMTRACE_BEGIN_NAMESPACE
namespace ollama {

/// How a terminal_progress_bar draws.
struct progress_bar_options {
  std::FILE* out = stderr;  ///< where the bar goes
  /// Draw even when `out` is not a terminal (tests, logs); by default a non-terminal gets nothing.
  bool force = false;
  /// Shortest interval between two redraws of the same layer's bar (a pull sends many objects).
  std::chrono::milliseconds redraw_interval{100};
  int bar_width = 24;  ///< characters between the brackets
  /// The clock (tests inject one); default std::chrono::steady_clock::now.
  std::function<std::chrono::steady_clock::time_point()> now;
};

/// Human-readable bytes with decimal units, as `ollama pull` shows them ("1.2 GB", "640 MB", "96 B").
inline std::string format_bytes(std::int64_t bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes < 0 ? 0 : bytes);
  int u = 0;
  while (v >= 1000.0 && u < 4) {
    v /= 1000.0;
    ++u;
  }
  char buf[32];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(bytes < 0 ? 0 : bytes));
  else
    std::snprintf(buf, sizeof buf, v < 10 ? "%.1f %s" : "%.0f %s", v, units[u]);
  return buf;
}

/// A progress callback that draws one line per layer (redrawn in place with '\r') and one line per
/// other status:
///
///     pulling 6a0746a1ec1a  45% [==========>             ]  900 MB/2.0 GB  52 MB/s  ETA 21s
///     verifying sha256 digest
///
/// Pass it where a progress_callback is expected (`client.pull("llama3.2", bar)`; it is copied, so
/// keep using the same object through std::ref if you call finish()).
class terminal_progress_bar {
 public:
  explicit terminal_progress_bar(progress_bar_options o = {}) : opts_(std::move(o)) {
    if (!opts_.now) opts_.now = [] { return std::chrono::steady_clock::now(); };
    enabled_ = opts_.out != nullptr && (opts_.force || llmtrace::detail::is_terminal(opts_.out));
  }

  /// True when the bar draws (a terminal, or force).
  bool enabled() const noexcept { return enabled_; }

  /// Draws one progress object; always returns true (the bar never cancels).
  bool operator()(const progress_response& p) {
    if (!enabled_) return true;
    const auto t = opts_.now();
    if (p.total > 0 && !p.digest.empty()) {
      if (p.digest != digest_) {
        end_line();
        digest_ = p.digest;
        layer_start_ = t;
        start_completed_ = p.completed;
        last_draw_ = {};
      }
      const bool complete = p.completed >= p.total;
      if (!complete && last_draw_ != std::chrono::steady_clock::time_point{} && t - last_draw_ < opts_.redraw_interval)
        return true;
      last_draw_ = t;
      draw_layer(p, t);
      open_line_ = true;
      return true;
    }
    if (p.status == last_status_ && digest_.empty()) return true;  // repeated status objects
    end_line();
    digest_.clear();
    last_status_ = p.status;
    std::fprintf(opts_.out, "%s\n", p.status.c_str());
    std::fflush(opts_.out);
    return true;
  }

  /// Ends a bar line left open (call once the operation returned or failed).
  void finish() {
    if (enabled_) end_line();
  }

 private:
  void end_line() {
    if (!open_line_) return;
    std::fputc('\n', opts_.out);
    std::fflush(opts_.out);
    open_line_ = false;
  }

  void draw_layer(const progress_response& p, std::chrono::steady_clock::time_point t) {
    const std::int64_t done = p.completed < 0 ? 0 : (p.completed > p.total ? p.total : p.completed);
    const double fraction = static_cast<double>(done) / static_cast<double>(p.total);
    const int width = opts_.bar_width < 4 ? 4 : opts_.bar_width;
    const int filled = static_cast<int>(fraction * width);
    std::string bar(static_cast<std::size_t>(width), ' ');
    for (int i = 0; i < filled && i < width; ++i) bar[static_cast<std::size_t>(i)] = '=';
    if (filled < width) bar[static_cast<std::size_t>(filled)] = '>';
    std::string line = "\r" + p.status;
    char buf[96];
    std::snprintf(buf, sizeof buf, "  %3d%% [", static_cast<int>(fraction * 100.0));
    line += buf;
    line += bar;
    line += "]  " + format_bytes(done) + "/" + format_bytes(p.total);
    const double seconds = std::chrono::duration<double>(t - layer_start_).count();
    const double rate = seconds > 0.05 ? static_cast<double>(done - start_completed_) / seconds : 0.0;
    if (rate > 0) {
      line += "  " + format_bytes(static_cast<std::int64_t>(rate)) + "/s";
      if (done < p.total) {
        const auto eta = static_cast<long long>(static_cast<double>(p.total - done) / rate + 0.5);
        if (eta >= 3600)
          std::snprintf(buf, sizeof buf, "  ETA %lldh%02lldm", eta / 3600, (eta / 60) % 60);
        else if (eta >= 60)
          std::snprintf(buf, sizeof buf, "  ETA %lldm%02llds", eta / 60, eta % 60);
        else
          std::snprintf(buf, sizeof buf, "  ETA %llds", eta);
        line += buf;
      }
    }
    line += "\x1b[K";  // clear what a longer previous line left behind
    std::fputs(line.c_str(), opts_.out);
    std::fflush(opts_.out);
  }

  progress_bar_options opts_;
  bool enabled_ = false;
  bool open_line_ = false;
  std::string digest_, last_status_;
  std::chrono::steady_clock::time_point layer_start_{}, last_draw_{};
  std::int64_t start_completed_ = 0;
};

}  // namespace ollama
LLMTRACE_END_NAMESPACE
