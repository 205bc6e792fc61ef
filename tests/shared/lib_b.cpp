// Test library B (built with -fvisibility=hidden): a span that is a child of whatever is current.
#include <llmtrace/logs/provider.hpp>
#include <llmtrace/metrics/meter.hpp>
#include <llmtrace/trace.hpp>

#include "shared_api.hpp"

void shared_lib_b_step() {
  llmtrace::span s("lib_b.step", llmtrace::span_kind::internal, {{"lib", "b"}});
  llmtrace::detail::report_error("lib_b: reported through the application's error handler");
}

bool shared_lib_b_sees_provider() { return llmtrace::global_provider().active(); }

const void* shared_lib_b_logger_provider() { return &llmtrace::global_logger_provider(); }

const void* shared_lib_b_meter_provider() { return &llmtrace::metrics::global_meter_provider(); }
