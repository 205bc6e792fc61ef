// llmtrace/llmtrace.hpp: everything an application needs: the core (trace.hpp), logs (logs.hpp), the HTTP transport,
// exporters and one-line setup, the Ollama client and the RAG pipeline. Instrument hot code with
// <llmtrace/trace.hpp> alone.
// Heavy: needs nlohmann_json, libcurl (LLMTRACE_HAS_CURL), zlib (LLMTRACE_HAS_ZLIB); link llmtrace::llmtrace.
#pragma once

#include <llmtrace/exporters/console.hpp>
#include <llmtrace/exporters/file.hpp>
#include <llmtrace/exporters/html.hpp>
#include <llmtrace/exporters/logs.hpp>
#include <llmtrace/exporters/multi.hpp>
#include <llmtrace/exporters/otlp_http.hpp>
#include <llmtrace/exporters/otlp_http_logs.hpp>
#include <llmtrace/exporters/otlp_options.hpp>
#include <llmtrace/http/curl_transport.hpp>
#include <llmtrace/http/grpc_transport.hpp>
#include <llmtrace/http/record_replay.hpp>
#include <llmtrace/http/transport.hpp>
#include <llmtrace/init.hpp>
#include <llmtrace/logs.hpp>
#include <llmtrace/logs/genai_events.hpp>
#include <llmtrace/metrics/sdk_health.hpp>
#include <llmtrace/ollama/client.hpp>
#include <llmtrace/ollama/progress.hpp>
#include <llmtrace/otlp/json.hpp>
#include <llmtrace/otlp/logs.hpp>
#include <llmtrace/otlp/protobuf.hpp>
#include <llmtrace/rag/chunker.hpp>
#include <llmtrace/rag/pipeline.hpp>
#include <llmtrace/rag/vector_store.hpp>
#include <llmtrace/trace.hpp>
