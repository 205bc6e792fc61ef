// llmtrace/exporters/otlp_options.hpp: what an OTLP exporter is built from (endpoint, protocol,
// headers, timeout, compression, TLS, retries) and how it is read from the OTEL_EXPORTER_OTLP_*
// variables, for any signal (traces, metrics, logs). Standard headers only.
// Thread-safety: plain values; otlp_http_options_from_env reads the environment (call at start-up).
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/detail/env.hpp>
#include <llmtrace/detail/url.hpp>
#include <llmtrace/error.hpp>
#include <llmtrace/http/transport.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE

/// The OpenTelemetry signal an exporter sends; it picks the signal-specific variables
/// (OTEL_EXPORTER_OTLP_<SIGNAL>_*) and the default URL path.
enum class otlp_signal : unsigned char { traces, metrics, logs };

/// "TRACES", "METRICS" or "LOGS": the infix of the signal-specific variables.
constexpr std::string_view otlp_signal_env_name(otlp_signal s) noexcept {
  switch (s) {
    case otlp_signal::metrics:
      return "METRICS";
    case otlp_signal::logs:
      return "LOGS";
    case otlp_signal::traces:
      break;
  }
  return "TRACES";
}

/// "/v1/traces", "/v1/metrics" or "/v1/logs": the path OTLP/HTTP appends to a base endpoint.
constexpr std::string_view otlp_signal_path(otlp_signal s) noexcept {
  switch (s) {
    case otlp_signal::metrics:
      return "/v1/metrics";
    case otlp_signal::logs:
      return "/v1/logs";
    case otlp_signal::traces:
      break;
  }
  return "/v1/traces";
}

/// `base` (OTEL_EXPORTER_OTLP_ENDPOINT) with the signal's path appended ("/v1/traces" for traces).
inline std::string otlp_signal_url(std::string_view base, otlp_signal s) {
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  return std::string(base) + std::string(otlp_signal_path(s));
}

/// The body encoding (OTEL_EXPORTER_OTLP_PROTOCOL): binary protobuf or OTLP/JSON.
enum class otlp_protocol : unsigned char { http_protobuf, http_json };

/// Request body compression (OTEL_EXPORTER_OTLP_COMPRESSION).
enum class otlp_compression : unsigned char { none, gzip };

/// How failed exports are retried: only on 429, 502, 503, 504 and connection failures, with
/// exponential backoff and jitter (or the server's Retry-After), never past the export timeout.
struct otlp_retry_options {
  std::uint32_t max_attempts = 5;                   ///< attempts per batch, the first included (1: never retry)
  std::chrono::milliseconds initial_backoff{1000};  ///< wait before the first retry (before jitter)
  std::chrono::milliseconds max_backoff{5000};      ///< cap on one wait (Retry-After is honoured above it)
  double backoff_multiplier = 1.5;                  ///< growth of the wait from one retry to the next
};

/// Everything an OTLP exporter is built from, whatever the signal. otlp_http_options_from_env()
/// fills it from the OTEL_EXPORTER_OTLP_* variables; the defaults are the specification's (for traces:
/// build it with otlp_signal_url("http://localhost:4318", s) as endpoint for another signal).
struct otlp_http_options {
  /// The full URL data is POSTed to (from OTEL_EXPORTER_OTLP_ENDPOINT: the base URL + the signal path).
  std::string endpoint = "http://localhost:4318/v1/traces";
  otlp_protocol protocol = otlp_protocol::http_protobuf;
  /// Extra request headers (API keys, tenant ids). Their values are never written to any message.
  std::vector<http::header> headers;
  /// Limit for one export, retries and waits included.
  std::chrono::milliseconds timeout{10000};
  otlp_compression compression = otlp_compression::none;
  /// CA bundle and client certificate for https endpoints.
  http::tls_options tls;
  otlp_retry_options retry;
};

namespace detail {

/// The OTEL_EXPORTER_OTLP_<SIGNAL>_<suffix> variable if set, else OTEL_EXPORTER_OTLP_<suffix>:
/// (variable name, trimmed value); nullopt when neither is set.
inline std::optional<std::pair<std::string, std::string>> otlp_env(otlp_signal s, std::string_view suffix) {
  const std::string specific = "OTEL_EXPORTER_OTLP_" + std::string(otlp_signal_env_name(s)) + "_" + std::string(suffix);
  const std::string generic = "OTEL_EXPORTER_OTLP_" + std::string(suffix);
  return get_env_first({specific.c_str(), generic.c_str()});
}

}  // namespace detail

/// Reads OTEL_EXPORTER_OTLP_<SIGNAL>_* and OTEL_EXPORTER_OTLP_* (the signal-specific variable wins):
/// ENDPOINT (a base URL: the signal path, e.g. "/v1/traces", is appended; the <SIGNAL>_ENDPOINT URL is
/// used as is), PROTOCOL (http/protobuf, http/json; grpc is not supported yet: reported, and
/// http/protobuf to port 4318 is used), HEADERS (percent-decoded key=value list), TIMEOUT (ms),
/// COMPRESSION (gzip, none), CERTIFICATE, CLIENT_KEY, CLIENT_CERTIFICATE. Invalid values are reported
/// once each through the error handler and the default is used. Header values never appear in any message.
inline otlp_http_options otlp_http_options_from_env(otlp_signal signal = otlp_signal::traces) {
  otlp_http_options o;
  o.endpoint = otlp_signal_url("http://localhost:4318", signal);

  bool grpc_requested = false;
  std::string grpc_variable;
  if (const auto v = detail::otlp_env(signal, "PROTOCOL")) {
    const std::string p = detail::to_lower(v->second);
    if (p == "http/protobuf") {
      o.protocol = otlp_protocol::http_protobuf;
    } else if (p == "http/json") {
      o.protocol = otlp_protocol::http_json;
    } else if (p == "grpc") {
      grpc_requested = true;
      grpc_variable = v->first;
    } else {
      detail::report_invalid(v->first, v->second, "http/protobuf, http/json or grpc", "http/protobuf");
    }
  }

  const std::string signal_endpoint = "OTEL_EXPORTER_OTLP_" + std::string(otlp_signal_env_name(signal)) + "_ENDPOINT";
  bool endpoint_is_signal_url = false;
  if (const auto v = detail::get_env(signal_endpoint.c_str())) {
    if (detail::is_http_url(*v)) {
      o.endpoint = *v;
      endpoint_is_signal_url = true;
    } else {
      detail::report_error("invalid " + signal_endpoint + "=" + detail::redact_url(*v) +
                           " (expected an http:// or https:// URL); using the default " + o.endpoint);
    }
  } else if (const auto b = detail::get_env("OTEL_EXPORTER_OTLP_ENDPOINT")) {
    if (detail::is_http_url(*b)) {
      o.endpoint = otlp_signal_url(*b, signal);
    } else {
      detail::report_error("invalid OTEL_EXPORTER_OTLP_ENDPOINT=" + detail::redact_url(*b) +
                           " (expected an http:// or https:// URL); using the default " + o.endpoint);
    }
  }

  if (grpc_requested) {
    // A gRPC endpoint names the collector's gRPC port (4317) and has no path: point it at OTLP/HTTP.
    o.protocol = otlp_protocol::http_protobuf;
    const auto parts = detail::split_url(o.endpoint);
    if (parts.port == "4317")
      o.endpoint.replace(static_cast<std::size_t>(parts.port.data() - o.endpoint.data()), 4, "4318");
    const auto path = detail::split_url(o.endpoint).path;
    if (endpoint_is_signal_url && (path.empty() || path == "/")) o.endpoint = otlp_signal_url(o.endpoint, signal);
    detail::report_error(grpc_variable +
                         "=grpc: the OTLP/gRPC exporter is not supported yet by llmtrace; exporting with "
                         "http/protobuf to " +
                         detail::redact_url(o.endpoint) +
                         " instead (OTLP/HTTP, the collector's port 4318). Set the protocol to http/protobuf "
                         "to silence this message.");
  }

  if (const auto v = detail::otlp_env(signal, "HEADERS"))
    for (auto& kv : detail::parse_key_values(v->first, v->second))
      o.headers.push_back(http::header{std::move(kv.first), std::move(kv.second)});

  if (const auto v = detail::otlp_env(signal, "TIMEOUT"))
    o.timeout = std::chrono::milliseconds(detail::parse_int(v->first, v->second, 10000, 1, 3600000));

  if (const auto v = detail::otlp_env(signal, "COMPRESSION")) {
    if (detail::iequals(v->second, "gzip"))
      o.compression = otlp_compression::gzip;
    else if (detail::iequals(v->second, "none"))
      o.compression = otlp_compression::none;
    else
      detail::report_invalid(v->first, v->second, "gzip or none", "none");
  }

  if (const auto v = detail::otlp_env(signal, "CERTIFICATE")) o.tls.ca_file = v->second;
  if (const auto v = detail::otlp_env(signal, "CLIENT_CERTIFICATE")) o.tls.client_cert_file = v->second;
  if (const auto v = detail::otlp_env(signal, "CLIENT_KEY")) o.tls.client_key_file = v->second;
  return o;
}

LLMTRACE_END_NAMESPACE
