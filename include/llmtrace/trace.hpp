// llmtrace/trace.hpp: what instrumenting code needs, standard headers only: span guards, the current
// context and its propagation (traceparent), tracers of the global provider, the semconv keys and the
// error handler. Include this in hot code and in libraries; setup (processors, exporters, init()) is in
// <llmtrace/init.hpp>, everything else in <llmtrace/llmtrace.hpp>. Link llmtrace::core for this alone.
#pragma once

#include <llmtrace/attributes.hpp>
#include <llmtrace/config.hpp>
#include <llmtrace/context.hpp>
#include <llmtrace/error.hpp>
#include <llmtrace/ids.hpp>
#include <llmtrace/propagation.hpp>
#include <llmtrace/provider.hpp>
#include <llmtrace/semconv.hpp>
#include <llmtrace/span.hpp>
#include <llmtrace/span_data.hpp>
