// Test library A (built with -fvisibility=hidden): a span around a call into library B.
#include <llmtrace/trace.hpp>

#include "shared_api.hpp"

void shared_lib_a_call() {
  llmtrace::span s("lib_a.call", llmtrace::span_kind::internal, {{"lib", "a"}});
  shared_lib_b_step();
}
