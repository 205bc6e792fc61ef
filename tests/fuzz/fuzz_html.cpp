// Fuzz target: the HTML trace viewer's renderer. Spans built from arbitrary bytes (any bytes in names,
// attributes, events; any ids and times) and an arbitrary OTLP/JSON line (what llmtrace-html reads
// from a file) become one page. Properties: a bad line is an input_error and nothing else; the page is
// valid UTF-8; `</script` occurs only where the page closes its two scripts (no text can end the data
// block early); the data block is JSON that parses back.
#include <llmtrace/detail/json_parse.hpp>
#include <llmtrace/detail/utf8.hpp>
#include <llmtrace/html/render.hpp>

#include "fuzz_spans.hpp"

#include <string>
#include <string_view>

namespace {

std::size_t count(std::string_view hay, std::string_view needle) {
  std::size_t n = 0;
  for (auto at = hay.find(needle); at != std::string_view::npos; at = hay.find(needle, at + 1)) ++n;
  return n;
}

void check_page(const std::string& page) {
  if (!llmtrace::detail::is_valid_utf8(page)) __builtin_trap();
  if (count(page, "</script") != 2) __builtin_trap();
  constexpr std::string_view open = "id=\"llmtrace-data\">";
  const auto begin = page.find(open);
  if (begin == std::string::npos) __builtin_trap();
  const auto from = begin + open.size();
  const auto end = page.find("</script>", from);
  if (!llmtrace::detail::parse_json(std::string_view(page).substr(from, end - from)).ok()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::input in(data, size);
  llmtrace::html::render_options options;
  options.title = std::string(in.until('\x02'));
  const bool as_line = in.byte() & 1;
  llmtrace::html::trace_document doc;
  if (as_line) {
    try {
      doc.add_otlp_json(in.rest());
    } catch (const llmtrace::html::input_error&) {
      // a clear rejection of a bad line is the expected outcome; anything else escapes and fails
    }
  } else {
    const fuzz::span_set set(in);
    doc.add(set.batch());
  }
  check_page(doc.render(options));
  return 0;
}
