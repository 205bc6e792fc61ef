// Fuzz target: the redaction scanners (every built-in detector on) over arbitrary text, and over
// arbitrary JSON as content capture writes it. Properties: nothing crashes or hangs; valid UTF-8 stays
// valid UTF-8; JSON that parsed before redaction still parses after it (only string literals are
// rewritten); plain text is changed only when the scanners report a find.
#include <llmtrace/controls/redact.hpp>
#include <llmtrace/detail/json_parse.hpp>
#include <llmtrace/detail/utf8.hpp>

#include "fuzz_input.hpp"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const llmtrace::redactor r = [] {
    llmtrace::redaction_options o;
    o.detectors = llmtrace::redact_detector::all;
    return llmtrace::redactor(o);
  }();
  fuzz::input in(data, size);
  const bool as_json = in.byte() & 1;
  const std::string original(in.rest());
  std::string text = original;
  if (as_json) {
    const bool was_json = llmtrace::detail::parse_json(original).ok();
    (void)r.redact_json(text, "gen_ai.input.messages");
    if (was_json && !llmtrace::detail::parse_json(text).ok()) __builtin_trap();
  } else {
    const std::size_t finds = r.redact_text(text);
    if (finds == 0 && text != original) __builtin_trap();
  }
  if (llmtrace::detail::is_valid_utf8(original) && !llmtrace::detail::is_valid_utf8(text)) __builtin_trap();
  return 0;
}
