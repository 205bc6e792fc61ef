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

/// The OTLP/gRPC method a signal's exports call.
constexpr std::string_view otlp_grpc_method(otlp_signal s) noexcept {
  switch (s) {
    case otlp_signal::metrics:
      return "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
    case otlp_signal::logs:
      return "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
    case otlp_signal::traces:
      break;
  }
  return "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
}

/// `base` (OTEL_EXPORTER_OTLP_ENDPOINT) with the signal's path appended ("/v1/traces" for traces).
inline std::string otlp_signal_url(std::string_view base, otlp_signal s) {
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  return std::string(base) + std::string(otlp_signal_path(s));
}

/// The protocol (OTEL_EXPORTER_OTLP_PROTOCOL): OTLP/HTTP with binary protobuf or OTLP/JSON bodies, or
/// OTLP/gRPC (protobuf over HTTP/2, http/grpc_transport.hpp). grpc is only ever used when chosen.
enum class otlp_protocol : unsigned char { http_protobuf, http_json, grpc };

/// The OTLP/gRPC endpoint when none is configured (the collector's gRPC port).
inline constexpr std::string_view otlp_grpc_default_endpoint = "http://localhost:4317";

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
  /// For grpc, the collector's address ("http://host:4317", "https://host:4317" or "host:4317", see
  /// `insecure`); left at the HTTP default, it becomes otlp_grpc_default_endpoint.
  std::string endpoint = "http://localhost:4318/v1/traces";
  otlp_protocol protocol = otlp_protocol::http_protobuf;
  /// grpc with an endpoint without scheme: plain text (h2c) when true, TLS when false (the
  /// specification's default). Ignored when the endpoint says http:// or https://.
  bool insecure = false;
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

/// An OTLP/gRPC endpoint as the transport takes it: an http(s) URL as given, or a scheme-less
/// `host:port` with "http://" (insecure) or "https://" in front; nullopt for anything else.
inline std::optional<std::string> otlp_grpc_target(std::string_view endpoint, bool insecure) {
  if (is_http_url(endpoint)) return std::string(endpoint);
  if (endpoint.empty() || endpoint.find("://") != std::string_view::npos ||
      endpoint.find_first_of(" /?#@") != std::string_view::npos)
    return std::nullopt;
  return std::string(insecure ? "http://" : "https://") + std::string(endpoint);
}

}  // namespace detail

/// Reads OTEL_EXPORTER_OTLP_<SIGNAL>_* and OTEL_EXPORTER_OTLP_* (the signal-specific variable wins):
/// ENDPOINT (a base URL: the signal path, e.g. "/v1/traces", is appended; the <SIGNAL>_ENDPOINT URL is
/// used as is), PROTOCOL (http/protobuf, http/json, grpc: then the endpoint defaults to
/// http://localhost:4317 and both ENDPOINT variables are used as given, a scheme-less host:port
/// with INSECURE=true meaning plain text and TLS otherwise), INSECURE (true, false), HEADERS (percent-decoded key=value
/// list), TIMEOUT (ms), COMPRESSION (gzip, none), CERTIFICATE, CLIENT_KEY, CLIENT_CERTIFICATE. Invalid values are
/// reported once each through the error handler and the default is used. Header values never appear in any message.
inline otlp_http_options otlp_http_options_from_env(otlp_signal signal = otlp_signal::traces) {
  otlp_http_options o;
  o.endpoint = otlp_signal_url("http://localhost:4318", signal);

  if (const auto v = detail::otlp_env(signal, "PROTOCOL")) {
    const std::string p = detail::to_lower(v->second);
    if (p == "http/protobuf") {
      o.protocol = otlp_protocol::http_protobuf;
    } else if (p == "http/json") {
      o.protocol = otlp_protocol::http_json;
    } else if (p == "grpc") {
      o.protocol = otlp_protocol::grpc;
    } else {
      detail::report_invalid(v->first, v->second, "http/protobuf, http/json or grpc", "http/protobuf");
    }
  }

  const std::string signal_endpoint = "OTEL_EXPORTER_OTLP_" + std::string(otlp_signal_env_name(signal)) + "_ENDPOINT";
  if (o.protocol == otlp_protocol::grpc) {
    // OTLP/gRPC: the endpoint is the collector's address, used as given (no signal path), from the
    // signal-specific and the generic variable alike; INSECURE only matters without a scheme.
    o.endpoint = std::string(otlp_grpc_default_endpoint);
    if (const auto v = detail::otlp_env(signal, "INSECURE"))
      o.insecure = detail::parse_bool(v->first, v->second, false);
    if (const auto v = detail::get_env_first({signal_endpoint.c_str(), "OTEL_EXPORTER_OTLP_ENDPOINT"})) {
      if (auto target = detail::otlp_grpc_target(v->second, o.insecure)) {
        o.endpoint = std::move(*target);
      } else {
        detail::report_error("invalid " + v->first + "=" + detail::redact_url(v->second) +
                             " (expected http://host:port, https://host:port or host:port for grpc); using the "
                             "default " +
                             o.endpoint);
      }
    }
  } else {
    if (const auto v = detail::get_env(signal_endpoint.c_str())) {
      if (detail::is_http_url(*v)) {
        o.endpoint = *v;
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
