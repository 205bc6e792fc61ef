// llmtrace/ollama/ndjson.hpp: an incremental NDJSON (newline-delimited JSON) line splitter for
// streamed responses: lines split across reads, several lines per read, CRLF, blank lines and very
// long lines (capped, with a clear status). It frames lines only; parsing JSON is the caller's job.
// Standard headers only. Thread-safety: one reader per stream; not shared between threads.
#pragma once

#include <llmtrace/config.hpp>

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

LLMTRACE_BEGIN_NAMESPACE
namespace ollama {

/// What feed()/finish() ended with.
enum class ndjson_status : unsigned char {
  ok,             ///< every complete line was delivered
  stopped,        ///< the line callback returned false; the reader delivers nothing more
  line_too_long,  ///< a line grew past max_line_bytes; the reader delivers nothing more
};

/// Splits a byte stream into lines. A line is delivered (without its `\n` and an optional `\r`)
/// once its newline arrives, or by finish() when the stream ends without one; lines holding only
/// whitespace are skipped. Lines are cut on the `\n` byte alone, which never occurs inside a
/// multi-byte UTF-8 character, so characters split across reads are reassembled untouched.
class ndjson_reader {
 public:
  /// The default line cap (64 MiB): far above Ollama's largest lines (a final generate chunk with a
  /// `context` of hundreds of thousands of token ids is a few MB; Go's client caps at 8 MB).
  static constexpr std::size_t default_max_line_bytes = std::size_t{64} * 1024 * 1024;

  explicit ndjson_reader(std::size_t max_line_bytes = default_max_line_bytes) noexcept
      : max_line_bytes_(max_line_bytes) {}

  /// Feeds the next bytes; calls `on_line(std::string_view line) -> bool` for every complete line
  /// (return false to stop). The view is valid only during the call. Throws only std::bad_alloc.
  template <typename OnLine>
  ndjson_status feed(std::string_view bytes, OnLine&& on_line) {
    if (status_ != ndjson_status::ok) return status_;
    const char* p = bytes.data();
    const char* const end = p + bytes.size();
    if (!pending_.empty()) {
      // Complete the line started in an earlier read.
      const char* nl = find_newline(p, end);
      if (!nl) return append_pending(p, end);
      if (append_pending(p, nl) != ndjson_status::ok) return status_;
      p = nl + 1;
      const bool go_on = deliver(std::string_view(pending_), on_line);
      pending_.clear();
      if (!go_on) return status_ = ndjson_status::stopped;
    }
    // Whole lines inside this read are delivered straight from the caller's buffer.
    while (p < end) {
      const char* nl = find_newline(p, end);
      if (!nl) return append_pending(p, end);
      if (static_cast<std::size_t>(nl - p) > max_line_bytes_) return status_ = ndjson_status::line_too_long;
      if (!deliver(std::string_view(p, static_cast<std::size_t>(nl - p)), on_line))
        return status_ = ndjson_status::stopped;
      p = nl + 1;
    }
    return status_;
  }

  /// Ends the stream: delivers a last line that had no newline (Ollama's non-streaming bodies and
  /// load/unload replies end without one).
  template <typename OnLine>
  ndjson_status finish(OnLine&& on_line) {
    if (status_ != ndjson_status::ok || pending_.empty()) return status_;
    std::string last;
    last.swap(pending_);
    if (!deliver(std::string_view(last), on_line)) status_ = ndjson_status::stopped;
    return status_;
  }

  ndjson_status status() const noexcept { return status_; }
  /// Bytes of an unfinished line held since the last newline.
  std::size_t pending_bytes() const noexcept { return pending_.size(); }
  std::size_t max_line_bytes() const noexcept { return max_line_bytes_; }
  /// Lines delivered so far.
  std::size_t lines() const noexcept { return lines_; }
  /// Forgets everything (for reuse on a new stream), keeping the buffer's memory.
  void reset() noexcept {
    pending_.clear();
    status_ = ndjson_status::ok;
    lines_ = 0;
  }

 private:
  static const char* find_newline(const char* p, const char* end) noexcept {
    return static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
  }
  ndjson_status append_pending(const char* p, const char* end) {
    const auto n = static_cast<std::size_t>(end - p);
    if (pending_.size() + n > max_line_bytes_) {
      pending_.clear();
      pending_.shrink_to_fit();
      return status_ = ndjson_status::line_too_long;
    }
    pending_.append(p, n);
    return status_;
  }
  static bool is_blank(std::string_view line) noexcept {
    for (char c : line)
      if (c != ' ' && c != '\t' && c != '\r') return false;
    return true;
  }
  template <typename OnLine>
  bool deliver(std::string_view line, OnLine& on_line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (is_blank(line)) return true;
    ++lines_;
    return on_line(line);
  }

  std::string pending_;
  std::size_t max_line_bytes_;
  std::size_t lines_ = 0;
  ndjson_status status_ = ndjson_status::ok;
};

}  // namespace ollama
LLMTRACE_END_NAMESPACE
