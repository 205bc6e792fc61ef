// Fuzz target: every reader of the environment (OTEL_*, OLLAMA_HOST, LLMTRACE_TRACES_FILE) and the
// endpoint parsers. Input: values separated by '\n', assigned in order to the variables below.
#include <llmtrace/env.hpp>
#include <llmtrace/error.hpp>
#include <llmtrace/exporters/file.hpp>
#include <llmtrace/exporters/otlp_http.hpp>
#include <llmtrace/ollama/host.hpp>
#include <llmtrace/resource.hpp>

#include "fuzz_input.hpp"

#include <cstdlib>
#include <string>

namespace {

const char* const variables[] = {
    "OLLAMA_HOST",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TIMEOUT",
    "OTEL_EXPORTER_OTLP_COMPRESSION",
    "OTEL_RESOURCE_ATTRIBUTES",
    "OTEL_SERVICE_NAME",
    "OTEL_TRACES_SAMPLER",
    "OTEL_TRACES_SAMPLER_ARG",
    "OTEL_TRACES_EXPORTER",
    "OTEL_SDK_DISABLED",
    "OTEL_BSP_SCHEDULE_DELAY",
    "OTEL_BSP_EXPORT_TIMEOUT",
    "OTEL_BSP_MAX_QUEUE_SIZE",
    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
    "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT",
    "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT",
    "OTEL_SPAN_EVENT_COUNT_LIMIT",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
    "LLMTRACE_TRACES_FILE",
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool quiet = [] {
    llmtrace::set_error_handler([](std::string_view) {});  // reports are expected; printing them is noise
    return true;
  }();
  (void)quiet;
  fuzz::input in(data, size);
  for (const char* name : variables) {
    if (in.empty()) {
      unsetenv(name);
      continue;
    }
    const std::string value(in.until('\n'));  // setenv stops at a NUL: so does the environment
    setenv(name, value.c_str(), 1);
  }
  (void)llmtrace::ollama::host_from_env();
  (void)llmtrace::ollama::parse_host(in.rest());
  const auto otlp = llmtrace::otlp_http_options_from_env();
  (void)llmtrace::detail::redact_url(otlp.endpoint);
  (void)llmtrace::sampler_from_env();
  (void)llmtrace::limits_from_env();
  (void)llmtrace::batch_options_from_env();
  (void)llmtrace::sdk_disabled_from_env();
  (void)llmtrace::exporter_names_from_env();
  (void)llmtrace::make_resource();
  (void)llmtrace::file_exporter_options_from_env();
  return 0;
}
