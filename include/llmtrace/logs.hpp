// llmtrace/logs.hpp: the log signal (standard headers only): log records and events correlated with
// the current span, loggers and the logger provider, the simple and batch log processors.
// Exporters: <llmtrace/exporters/otlp_logs.hpp>, console/file in <llmtrace/exporters/logs.hpp>;
// llmtrace::init sets everything up from OTEL_LOGS_EXPORTER.
#pragma once

#include <llmtrace/any_value.hpp>
#include <llmtrace/logs/log_record.hpp>
#include <llmtrace/logs/processor.hpp>
#include <llmtrace/logs/provider.hpp>
