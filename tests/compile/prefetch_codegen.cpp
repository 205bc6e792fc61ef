// Compiled at -O2 and disassembled by check_prefetch.cmake: the record prefetches must be in the
// binary. GCC -O2 deleted loops whose only statements were __builtin_prefetch calls, so the pool's
// "prefetch the recycled record's buffers" compiled to nothing for a whole round (see
// include/llmtrace/detail/cache_hint.hpp).
#include <llmtrace/logs/log_record.hpp>
#include <llmtrace/span_data.hpp>

extern "C" {
// What the span pool does one span ahead: the recycled record's attribute buffers, to be written.
void llmtrace_codegen_prefetch_span_for_write(const llmtrace::span_data* s) { s->prefetch_for_write(); }
// What the OTLP encoder does records ahead: the record itself and then its buffers, to be read.
void llmtrace_codegen_prefetch_span_for_read(const llmtrace::span_data* s) {
  s->prefetch_for_read(0);
  s->prefetch_for_read(1);
}
void llmtrace_codegen_prefetch_log_for_write(const llmtrace::log_record* r) { r->prefetch_for_write(); }
}
