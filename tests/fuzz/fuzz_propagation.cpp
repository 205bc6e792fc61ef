// Fuzz target: W3C traceparent / tracestate parsing and extraction from a header map, and the round
// trip of whatever parses. Input: <traceparent> '\n' <tracestate>.
#include <llmtrace/propagation.hpp>

#include "fuzz_input.hpp"

#include <map>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::input in(data, size);
  const std::string_view traceparent = in.until('\n');
  const std::string_view tracestate = in.rest();
  if (const auto sc = llmtrace::parse_traceparent(traceparent)) {
    // What parses formats back to something that parses to the same context.
    const auto again = llmtrace::parse_traceparent(llmtrace::format_traceparent(*sc));
    if (!again || again->trace_id != sc->trace_id || again->span_id != sc->span_id) __builtin_trap();
  }
  const std::string ts = llmtrace::parse_tracestate(tracestate);
  if (llmtrace::parse_tracestate(ts) != ts) __builtin_trap();  // canonical form is a fixed point
  std::map<std::string, std::string> headers{{"traceparent", std::string(traceparent)},
                                             {"TraceState", std::string(tracestate)}};
  (void)llmtrace::extract(headers);
  return 0;
}
