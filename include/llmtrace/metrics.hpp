// llmtrace/metrics.hpp: the metrics SDK of the light core (standard headers only): meter provider,
// meters, instruments, readers, the in-memory exporter and the OTEL_* metrics configuration.
// Thread-safety: see each header; recording is lock-free from any thread.
#pragma once

#include <llmtrace/metrics/data.hpp>
#include <llmtrace/metrics/env.hpp>
#include <llmtrace/metrics/in_memory.hpp>
#include <llmtrace/metrics/meter.hpp>
#include <llmtrace/metrics/reader.hpp>
