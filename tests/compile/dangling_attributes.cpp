// Compile-fail check (tests/compile/CMakeLists.txt): storing a braced attribute list in
// span_start_options must not compile, since the list would be gone at the `;`. Built twice: with
// LLMTRACE_EXPECT_COMPILE_ERROR the dangling form (the build must fail with a deleted-function error),
// without it the safe form (the build must succeed, so the first failure is about the dangling form).
#include <llmtrace/span.hpp>

#include <vector>

int main() {
  llmtrace::span_start_options o;
#if defined(LLMTRACE_EXPECT_COMPILE_ERROR)
  o.attributes = {{"k", 42}};
#else
  const std::vector<llmtrace::attribute> kept{{"k", 42}};
  o.attributes = kept;
#endif
  llmtrace::span s(llmtrace::tracer(), "dangling", o);
  return s.is_recording() ? 1 : 0;
}
