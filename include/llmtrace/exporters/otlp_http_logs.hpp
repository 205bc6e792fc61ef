// llmtrace/exporters/otlp_http_logs.hpp: the OTLP/HTTP log exporter: ExportLogsServiceRequest
// (http/protobuf or http/json, optional gzip) POSTed to <endpoint>/v1/logs with the trace exporter's
// retries, Retry-After, partial-success reporting and counters (the same machinery,
// detail::basic_otlp_http_exporter). Thread-safety: as the trace exporter's.
// Heavy: needs nlohmann_json, libcurl (LLMTRACE_HAS_CURL), zlib (LLMTRACE_HAS_ZLIB); link llmtrace::llmtrace.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/exporters/otlp_http.hpp>
#include <llmtrace/exporters/otlp_options.hpp>
#include <llmtrace/logs/processor.hpp>
#include <llmtrace/otlp/logs.hpp>

#include <memory>
#include <string>
#include <utility>

LLMTRACE_BEGIN_NAMESPACE

namespace detail {

/// The log signal of the OTLP/HTTP exporter.
struct otlp_logs_signal {
  using base = log_exporter;
  using batch = log_batch;
  static constexpr otlp_signal signal = otlp_signal::logs;
  static constexpr const char* noun = "log records";
  static constexpr const char* rejected_key = "rejectedLogRecords";
  static constexpr const char* rejected_key_snake = "rejected_log_records";
  static void encode(otlp_protocol protocol, const log_batch& records, std::string& out) {
    if (protocol == otlp_protocol::http_json) {
      out.clear();
      otlp::append_json(out, records);
    } else {
      otlp::encode_protobuf(records, out);
    }
  }
};

}  // namespace detail

/// The defaults of an OTLP log exporter: otlp_http_options with http://localhost:4318/v1/logs.
inline otlp_http_options otlp_http_log_options() {
  otlp_http_options o;
  o.endpoint = otlp_signal_url("http://localhost:4318", otlp_signal::logs);
  return o;
}

/// Sends batches of log records to an OpenTelemetry collector over OTLP/HTTP. Configure it with
/// otlp_http_options_from_env(otlp_signal::logs) (OTEL_EXPORTER_OTLP_LOGS_* and OTEL_EXPORTER_OTLP_*);
/// stats() counts log records (in the fields named for spans).
class otlp_http_log_exporter final : public detail::basic_otlp_http_exporter<detail::otlp_logs_signal> {
 public:
  explicit otlp_http_log_exporter(otlp_http_options options = otlp_http_log_options(),
                                  std::shared_ptr<http::transport> transport = nullptr)
      : basic_otlp_http_exporter(std::move(options), std::move(transport)) {}
};

LLMTRACE_END_NAMESPACE
