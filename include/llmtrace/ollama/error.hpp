// llmtrace/ollama/error.hpp: the one exception type the Ollama client throws, carrying the HTTP
// status or transport failure, the server's own message, the endpoint, whether a retry may help,
// and whatever a failed stream had already produced. Standard headers only.
// Thread-safety: an error is an immutable value once thrown.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/http/transport.hpp>

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

LLMTRACE_BEGIN_NAMESPACE
namespace ollama {

/// Why a call failed.
enum class error_reason : unsigned char {
  http_status,        ///< the server answered with a non-2xx status and (usually) {"error": ...}
  stream_error,       ///< an {"error": ...} line arrived inside a 200 stream (after some chunks)
  incomplete_stream,  ///< the stream ended without a done:true chunk
  transport,          ///< no usable response: resolve, connect, timeout, TLS, send or receive failure
  invalid_response,   ///< a 2xx body that is not the JSON Ollama sends (or a line past the size cap)
  invalid_request,    ///< the request could not be encoded (e.g. tool-call arguments that are not an object)
};

inline std::string_view to_string(error_reason r) noexcept {
  switch (r) {
    case error_reason::http_status:
      return "http_status";
    case error_reason::stream_error:
      return "stream_error";
    case error_reason::incomplete_stream:
      return "incomplete_stream";
    case error_reason::transport:
      return "transport";
    case error_reason::invalid_response:
      return "invalid_response";
    default:
      return "invalid_request";
  }
}

/// Thrown by every failing llmtrace::ollama::client call.
///
/// status(): the HTTP status of an error response (400, 404, 429, 500, 503, ...); -1 when the error
/// arrived as an {"error"} line inside a successful (HTTP 200) stream or the stream ended without
/// done:true (ollama-python's ResponseError convention); 0 when no response arrived (transport()).
/// http_status() is the status line actually received (200 for the mid-stream cases).
class error : public std::runtime_error {
 public:
  error(error_reason reason, std::string endpoint, int status, int http_status, http::error_kind transport,
        std::string server_message, std::string partial_content = {}, std::string partial_thinking = {},
        std::string signin_url = {})
      : std::runtime_error(describe(endpoint, reason, status, transport, server_message, signin_url)),
        reason_(reason),
        endpoint_(std::move(endpoint)),
        status_(status),
        http_status_(http_status),
        transport_(transport),
        server_message_(std::move(server_message)),
        partial_content_(std::move(partial_content)),
        partial_thinking_(std::move(partial_thinking)),
        signin_url_(std::move(signin_url)) {}

  error_reason reason() const noexcept { return reason_; }
  /// The API path called, e.g. "/api/chat".
  const std::string& endpoint() const noexcept { return endpoint_; }
  /// See the class comment: HTTP status, -1 for mid-stream failures, 0 without a response.
  int status() const noexcept { return status_; }
  /// The HTTP status received (0 when none).
  int http_status() const noexcept { return http_status_; }
  /// The transport failure (http::error_kind::none when a response arrived).
  http::error_kind transport() const noexcept { return transport_; }
  /// The server's message: the `error` field of {"error": ...}, or a plain-text body such as
  /// "404 page not found"; for other reasons a description of the failure.
  const std::string& server_message() const noexcept { return server_message_; }
  /// Text the stream produced before it failed (message content for chat, `response` for generate).
  const std::string& partial_content() const noexcept { return partial_content_; }
  /// Thinking text produced before the failure.
  const std::string& partial_thinking() const noexcept { return partial_thinking_; }
  /// Where to sign in, from a 401 for a cloud model ({"error":"unauthorized","signin_url":...});
  /// also in what(). Empty otherwise.
  const std::string& signin_url() const noexcept { return signin_url_; }

  /// True when trying again later may succeed: 408, 429, 502, 503, 504, connection failures,
  /// timeouts, broken or incomplete streams. False for 400, 403, 404, 405, 499, 500 and errors the
  /// model reported inside a stream.
  bool retryable() const noexcept {
    switch (reason_) {
      case error_reason::http_status:
        return status_ == 408 || status_ == 429 || status_ == 502 || status_ == 503 || status_ == 504;
      case error_reason::transport:
        return transport_ == http::error_kind::connect || transport_ == http::error_kind::timeout ||
               transport_ == http::error_kind::send || transport_ == http::error_kind::receive ||
               transport_ == http::error_kind::resolve;
      case error_reason::incomplete_stream:
        return true;
      default:
        return false;
    }
  }

  /// The low-cardinality `error.type` value spans record for this error: the HTTP status as text
  /// ("404", "503"), the transport kind ("timeout", "connect", "resolve", "tls", "send", "receive"),
  /// "stream_error", "incomplete_stream", "invalid_response", "invalid_request", or "_OTHER".
  std::string error_type() const {
    switch (reason_) {
      case error_reason::http_status:
        return std::to_string(status_);
      case error_reason::transport: {
        const auto k = http::to_string(transport_);
        return k == "other" || k == "none" || k == "aborted" ? std::string("_OTHER") : std::string(k);
      }
      default:
        return std::string(to_string(reason_));
    }
  }

 private:
  static std::string describe(const std::string& endpoint, error_reason reason, int status, http::error_kind kind,
                              const std::string& message, const std::string& signin_url) {
    std::string out = "ollama " + endpoint + ": ";
    switch (reason) {
      case error_reason::http_status:
        out += "HTTP " + std::to_string(status) + ": ";
        break;
      case error_reason::stream_error:
        out += "error in stream: ";
        break;
      case error_reason::incomplete_stream:
        out += "incomplete stream: ";
        break;
      case error_reason::transport:
        out += std::string(http::to_string(kind)) + " error: ";
        break;
      case error_reason::invalid_response:
        out += "invalid response: ";
        break;
      case error_reason::invalid_request:
        out += "invalid request: ";
        break;
    }
    out += message;
    if (!signin_url.empty()) out += " (sign in at " + signin_url + ")";
    return out;
  }

  error_reason reason_;
  std::string endpoint_;
  int status_;
  int http_status_;
  http::error_kind transport_;
  std::string server_message_;
  std::string partial_content_;
  std::string partial_thinking_;
  std::string signin_url_;
};

}  // namespace ollama
LLMTRACE_END_NAMESPACE
