// llmtrace/trace.hpp: the light core, standard headers only: span guards, context and propagation,
// samplers, processors, the provider and the semconv keys. Include this in hot code; include
// <llmtrace/llmtrace.hpp> where you set up exporters or call Ollama.
#pragma once

#include <llmtrace/attributes.hpp>
#include <llmtrace/batch_processor.hpp>
#include <llmtrace/config.hpp>
#include <llmtrace/context.hpp>
#include <llmtrace/env.hpp>
#include <llmtrace/error.hpp>
#include <llmtrace/exporter.hpp>
#include <llmtrace/exporters/in_memory.hpp>
#include <llmtrace/ids.hpp>
#include <llmtrace/processor.hpp>
#include <llmtrace/propagation.hpp>
#include <llmtrace/provider.hpp>
#include <llmtrace/resource.hpp>
#include <llmtrace/sampler.hpp>
#include <llmtrace/semconv.hpp>
#include <llmtrace/span.hpp>
#include <llmtrace/span_data.hpp>
