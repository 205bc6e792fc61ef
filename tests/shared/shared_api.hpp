// The functions the two test libraries export (everything else in them is hidden).
#pragma once

#define LLMTRACE_TEST_EXPORT __attribute__((visibility("default")))

/// Library A: starts "lib_a.call" (current) and calls lib B inside it.
LLMTRACE_TEST_EXPORT void shared_lib_a_call();
/// Library B: starts "lib_b.step", a child of the current span, and reports an error through llmtrace.
LLMTRACE_TEST_EXPORT void shared_lib_b_step();
/// Library B: whether it sees an active global provider.
LLMTRACE_TEST_EXPORT bool shared_lib_b_sees_provider();
/// Library B: the global logger provider and the global meter provider it sees.
LLMTRACE_TEST_EXPORT const void* shared_lib_b_logger_provider();
LLMTRACE_TEST_EXPORT const void* shared_lib_b_meter_provider();
