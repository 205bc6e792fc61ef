// llmtrace/http/transport.hpp: the narrow HTTP interface the OTLP exporter and the Ollama client
// speak through (libcurl by default; tests, record/replay and other stacks plug in here).
// Standard headers only. Thread-safety: a transport may be used from several threads at once.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/detail/env.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE
namespace http {

/// Why a request got no HTTP response (none when it did, whatever the status).
enum class error_kind : unsigned char {
  none,
  resolve,    ///< host name lookup failed
  connect,    ///< connection refused / unreachable
  timeout,    ///< connect, read or total timeout
  tls,        ///< TLS handshake or certificate problem
  aborted,    ///< the caller's callback stopped the transfer
  send,       ///< failed while sending the request
  receive,    ///< connection broke while receiving
  too_large,  ///< a buffered body passed request::max_body_bytes (the status and a prefix are kept)
  other,
};

inline std::string_view to_string(error_kind k) noexcept {
  switch (k) {
    case error_kind::none:
      return "none";
    case error_kind::resolve:
      return "resolve";
    case error_kind::connect:
      return "connect";
    case error_kind::timeout:
      return "timeout";
    case error_kind::tls:
      return "tls";
    case error_kind::aborted:
      return "aborted";
    case error_kind::send:
      return "send";
    case error_kind::receive:
      return "receive";
    case error_kind::too_large:
      return "too_large";
    default:
      return "other";
  }
}

struct header {
  std::string name;
  std::string value;
};

/// TLS settings (OTEL_EXPORTER_OTLP_CERTIFICATE and friends).
struct tls_options {
  std::string ca_file;           ///< PEM bundle to verify the server with (empty: system store)
  std::string client_cert_file;  ///< PEM client certificate for mTLS
  std::string client_key_file;   ///< PEM client key for mTLS
  bool verify = true;
};

/// Default cap on a buffered response body (request::max_body_bytes): 64 MiB, the NDJSON line cap.
inline constexpr std::size_t default_max_body_bytes = std::size_t{64} * 1024 * 1024;

/// One HTTP request. Every timeout is 0 for "none"; the transport enforces the ones it checks itself
/// (first byte, line, read) to within about a second.
struct request {
  std::string method = "POST";
  std::string url;
  std::vector<header> headers;
  std::string body;
  /// Limit for establishing the connection (TCP, TLS).
  std::chrono::milliseconds connect_timeout{10000};
  /// Whole-transfer limit; 0 means none (streams that may run for minutes).
  std::chrono::milliseconds timeout{0};
  /// Longest silence allowed while receiving (reset by every byte, so a trickling server defeats
  /// it: bound streams with line_timeout and whole calls with timeout); 0 means none.
  std::chrono::milliseconds read_timeout{0};
  /// Limit from the start of the request to the first byte of the response (its status line).
  std::chrono::milliseconds first_byte_timeout{0};
  /// stream() only: longest wait, from the start and then from each `\n` of a 2xx body, for the next
  /// `\n` (one complete NDJSON line); any other response must arrive whole within it. Unlike
  /// read_timeout, a server trickling bytes without finishing a line cannot defeat it.
  std::chrono::milliseconds line_timeout{0};
  /// Largest body buffered whole (send(), and non-2xx answers of stream()); beyond it the transfer
  /// stops with error_kind::too_large, keeping the status and the first bytes of the body. Streamed
  /// 2xx bodies are not buffered here (the reader caps its lines).
  std::size_t max_body_bytes = default_max_body_bytes;
  tls_options tls;
};

struct response {
  int status = 0;  ///< HTTP status; 0 when error != none and nothing was received
  std::vector<header> headers;
  std::string body;  ///< whole body (for stream(): only for non-2xx responses); a prefix when too_large
  error_kind error = error_kind::none;
  std::string error_message;  ///< transport detail; never contains request header values

  bool transport_ok() const noexcept { return error == error_kind::none; }
  bool ok() const noexcept { return transport_ok() && status >= 200 && status < 300; }
  /// First header named `name` (case-insensitive).
  std::optional<std::string_view> find_header(std::string_view name) const noexcept {
    for (const auto& h : headers)
      if (detail::iequals(h.name, name)) return std::string_view(h.value);
    return std::nullopt;
  }
};

/// Receives body bytes as they arrive; return false to stop (the connection is closed).
using data_callback = std::function<bool(std::string_view bytes)>;

class transport {
 public:
  virtual ~transport() = default;
  /// Sends `req` and returns the whole response. Never throws.
  virtual response send(const request& req) noexcept = 0;
  /// Sends `req`; for a 2xx response, passes the body to `on_data` piece by piece as it arrives
  /// (response.body stays empty); any other status is returned with its whole body and `on_data` is
  /// not called. Never throws.
  virtual response stream(const request& req, const data_callback& on_data) noexcept = 0;
};

}  // namespace http
LLMTRACE_END_NAMESPACE
