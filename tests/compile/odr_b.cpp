// Second translation unit including everything (see odr_a.cpp).
#include <llmtrace/llmtrace.hpp>

int odr_b_count_spans() {
  { llmtrace::span s("from b"); }
  return 1;
}
