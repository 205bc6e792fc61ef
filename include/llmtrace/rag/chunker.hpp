// llmtrace/rag/chunker.hpp: splits documents into overlapping chunks for embedding. Sizes count
// characters (UTF-8 code points); cuts prefer a paragraph break, then a sentence end, then a line
// break, then a space, and never fall inside a UTF-8 character. Standard headers only.
// Thread-safety: pure functions; a chunker is an immutable value usable from any thread.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/detail/utf8.hpp>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE
namespace rag {

/// A document to ingest: an id (unique in the store), where it came from, and its text.
struct document {
  std::string id;      ///< e.g. "README.md"; chunk ids are "<id>#<index>"
  std::string source;  ///< shown with answers (a path or URL); defaults to the id when empty
  std::string text;
};

/// How text is cut. Sizes are in characters (code points); invalid UTF-8 bytes count as one each.
struct chunk_options {
  /// Longest chunk, in characters (before trimming surrounding white space). Must be > 0.
  std::size_t max_chars = 1000;
  /// Characters repeated from the end of one chunk at the start of the next. Must be < max_chars.
  std::size_t overlap = 150;
  /// A natural boundary (paragraph, sentence, line, space) is taken only if the chunk gets at
  /// least this fraction of max_chars; otherwise the cut falls where the window ends.
  double min_fill = 0.5;
};

/// One piece of a document.
struct chunk {
  std::string text;        ///< trimmed of leading and trailing white space; never empty
  std::size_t offset = 0;  ///< byte offset of `text` in the document
  std::size_t index = 0;   ///< 0-based position among the document's chunks
};

namespace detail {

inline bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/// The byte index `n` characters after byte `pos` (or s.size()).
inline std::size_t advance_chars(std::string_view s, std::size_t pos, std::size_t n) noexcept {
  while (n > 0 && pos < s.size()) {
    pos += llmtrace::detail::utf8_char_length(s, pos);
    --n;
  }
  return pos < s.size() ? pos : s.size();
}

/// Byte offsets where each character starting in [from, to) begins (plus `to`).
inline void char_starts(std::string_view s, std::size_t from, std::size_t to, std::vector<std::size_t>& out) {
  out.clear();
  for (std::size_t i = from; i < to; i += llmtrace::detail::utf8_char_length(s, i)) out.push_back(i);
  out.push_back(to);
}

/// True when s[i..] begins a sentence end followed by white space or the end: ". ", "!\n", "?\t",
/// or one of the CJK full stops (which need no space).
inline std::size_t sentence_end_length(std::string_view s, std::size_t i) noexcept {
  const char c = s[i];
  if (c == '.' || c == '!' || c == '?') {
    if (i + 1 == s.size() || is_space(s[i + 1])) return 1;
    return 0;
  }
  // U+3002 IDEOGRAPHIC FULL STOP, U+FF01 FULLWIDTH EXCLAMATION MARK, U+FF1F FULLWIDTH QUESTION MARK
  const std::string_view rest = s.substr(i);
  if (rest.substr(0, 3) == "\xE3\x80\x82" || rest.substr(0, 3) == "\xEF\xBC\x81" || rest.substr(0, 3) == "\xEF\xBC\x9F")
    return 3;
  return 0;
}

/// Where to end a chunk that starts at `start` and may extend to `hard_end` (exclusive, a character
/// boundary): after the last paragraph break, else sentence end, else line break, else space at or
/// after `min_end`; else `hard_end`.
inline std::size_t choose_cut(std::string_view s, std::size_t min_end, std::size_t hard_end) noexcept {
  std::size_t paragraph = 0, sentence = 0, line = 0, space = 0;
  // Scan backwards over bytes; every candidate is right after an ASCII byte or a whole CJK stop,
  // so it is a character boundary.
  for (std::size_t i = hard_end; i-- > min_end;) {
    const char c = s[i];
    if (c == '\n') {
      if (!line) line = i + 1;
      // A blank line: "\n\n" or "\n \n"-style separated by spaces only.
      std::size_t j = i;
      while (j > 0 && (s[j - 1] == ' ' || s[j - 1] == '\t' || s[j - 1] == '\r')) --j;
      if (j > 0 && s[j - 1] == '\n') {
        paragraph = i + 1;
        break;  // the last paragraph break wins outright
      }
    } else if (is_space(c)) {
      if (!space) space = i + 1;
      if (!sentence && i > 0 && sentence_end_length(s, i - 1) == 1) sentence = i + 1;
    } else if (!sentence && static_cast<unsigned char>(c) >= 0x80) {
      if (i >= 2 && sentence_end_length(s, i - 2) == 3) sentence = i + 1;
    }
  }
  if (paragraph) return paragraph;
  if (sentence) return sentence;
  if (line) return line;
  if (space) return space;
  return hard_end;
}

inline std::pair<std::size_t, std::size_t> trim_range(std::string_view s, std::size_t b, std::size_t e) noexcept {
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return {b, e};
}

}  // namespace detail

/// Splits text into overlapping chunks. Construct once with the sizes you want, then call split().
class chunker {
 public:
  /// Throws std::invalid_argument when max_chars is 0, overlap >= max_chars or min_fill is outside [0, 1].
  explicit chunker(chunk_options options = {}) : o_(options) {
    if (o_.max_chars == 0) throw std::invalid_argument("rag::chunker: max_chars must be > 0");
    if (o_.overlap >= o_.max_chars) throw std::invalid_argument("rag::chunker: overlap must be < max_chars");
    if (!(o_.min_fill >= 0.0 && o_.min_fill <= 1.0))
      throw std::invalid_argument("rag::chunker: min_fill must be in [0, 1]");
  }

  const chunk_options& options() const noexcept { return o_; }

  /// The chunks of `text`, in order. Empty or all-white-space text gives none; text of at most
  /// max_chars characters gives one (trimmed). Each chunk is at most max_chars characters, ends at
  /// the best natural boundary in its window and starts at most `overlap` characters before the
  /// previous chunk's end: at the first sentence or paragraph start in that overlap, else at a word
  /// start.
  std::vector<chunk> split(std::string_view text) const {
    std::vector<chunk> out;
    const std::size_t min_chars = static_cast<std::size_t>(static_cast<double>(o_.max_chars) * o_.min_fill);
    std::vector<std::size_t> starts;
    std::size_t pos = 0;
    while (pos < text.size()) {
      // Skip white space between chunks.
      while (pos < text.size() && detail::is_space(text[pos])) ++pos;
      if (pos >= text.size()) break;
      const std::size_t hard_end = detail::advance_chars(text, pos, o_.max_chars);
      std::size_t cut = hard_end;
      if (hard_end < text.size()) {
        const std::size_t min_end = detail::advance_chars(text, pos, min_chars > 0 ? min_chars : 1);
        cut = detail::choose_cut(text, min_end, hard_end);
        if (cut <= pos) cut = hard_end;
      }
      const auto r = detail::trim_range(text, pos, cut);
      if (r.second > r.first)
        out.push_back(chunk{std::string(text.substr(r.first, r.second - r.first)), r.first, out.size()});
      if (cut >= text.size()) break;
      pos = next_start(text, pos, cut, starts);
    }
    return out;
  }

  /// Chunks of several documents; calls `sink(doc, chunk)` for each chunk in order.
  template <typename Sink>
  void split(const std::vector<document>& docs, Sink&& sink) const {
    for (const auto& d : docs)
      for (auto& c : split(d.text)) sink(d, std::move(c));
  }

 private:
  // The start of the chunk after [pos, cut): `overlap` characters before `cut`, moved forward to the
  // first sentence or paragraph start in that overlap (a single line break is not one: prose is often
  // hard-wrapped), else to the next word start, and always past `pos`.
  std::size_t next_start(std::string_view text, std::size_t pos, std::size_t cut,
                         std::vector<std::size_t>& starts) const {
    if (o_.overlap == 0) return cut;
    detail::char_starts(text, pos, cut, starts);
    const std::size_t chars = starts.size() - 1;
    std::size_t back = o_.overlap < chars ? o_.overlap : chars - 1;  // leave at least one character behind
    std::size_t next = starts[chars - back];
    // Prefer to start the overlap at a sentence or paragraph start inside it, else at a word start.
    const bool at_sentence_start =
        next == pos || (detail::is_space(text[next - 1]) && next >= 2 &&
                        (detail::sentence_end_length(text, next - 2) == 1 || text[next - 2] == '\n'));
    for (std::size_t i = next; !at_sentence_start && i < cut; ++i) {
      const bool boundary = detail::is_space(text[i]) && i > next &&
                            (detail::sentence_end_length(text, i - 1) == 1 || (text[i] == '\n' && text[i - 1] == '\n'));
      if (!boundary) continue;
      std::size_t j = i;
      while (j < cut && detail::is_space(text[j])) ++j;
      if (j < cut) return j > pos ? j : cut;
      break;
    }
    const bool at_word_start = next == pos || detail::is_space(text[next - 1]);
    for (std::size_t i = next; !at_word_start && i < cut; ++i) {
      if (detail::is_space(text[i])) {
        std::size_t j = i;
        while (j < cut && detail::is_space(text[j])) ++j;
        if (j < cut) next = j;
        break;
      }
    }
    return next > pos ? next : cut;
  }

  chunk_options o_;
};

/// Shorthand: chunker(options).split(text).
inline std::vector<chunk> split_text(std::string_view text, const chunk_options& options = {}) {
  return chunker(options).split(text);
}

}  // namespace rag
LLMTRACE_END_NAMESPACE
