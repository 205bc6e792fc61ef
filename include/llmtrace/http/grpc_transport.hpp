// llmtrace/http/grpc_transport.hpp: gRPC unary calls over libcurl's HTTP/2 (no gRPC library), for the
// OTLP exporters of every signal: the 5-byte message framing (optionally gzip), request metadata,
// grpc-timeout, trailers and trailers-only answers, status codes, RetryInfo and OTLP's retry rules.
// Thread-safety: one grpc_channel serves one call at a time (concurrent callers wait their turn, and
// every call reuses the channel's one HTTP/2 connection); shutdown() may be called from any thread.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/detail/env.hpp>
#include <llmtrace/detail/gzip.hpp>
#include <llmtrace/detail/url.hpp>
#include <llmtrace/http/curl_transport.hpp>
#include <llmtrace/http/transport.hpp>
#include <llmtrace/otlp/protobuf.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE
namespace http {

/// gRPC status codes (grpc-status).
enum class grpc_code : int {
  ok = 0,
  cancelled = 1,
  unknown = 2,
  invalid_argument = 3,
  deadline_exceeded = 4,
  not_found = 5,
  already_exists = 6,
  permission_denied = 7,
  resource_exhausted = 8,
  failed_precondition = 9,
  aborted = 10,
  out_of_range = 11,
  unimplemented = 12,
  internal = 13,
  unavailable = 14,
  data_loss = 15,
  unauthenticated = 16,
};

/// "UNAVAILABLE" and so on; "UNKNOWN_CODE" outside 0..16.
inline std::string_view grpc_code_name(int code) noexcept {
  static constexpr std::string_view names[] = {
      "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
      "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
      "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
      "DATA_LOSS", "UNAUTHENTICATED"};
  return code >= 0 && code <= 16 ? names[code] : std::string_view("UNKNOWN_CODE");
}

/// OTLP/gRPC's retry rule: CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE and
/// DATA_LOSS are retried; RESOURCE_EXHAUSTED only when the server sent RetryInfo; nothing else.
inline bool grpc_code_retryable(int code, bool has_retry_info) noexcept {
  switch (static_cast<grpc_code>(code)) {
    case grpc_code::cancelled:
    case grpc_code::deadline_exceeded:
    case grpc_code::aborted:
    case grpc_code::out_of_range:
    case grpc_code::unavailable:
    case grpc_code::data_loss:
      return true;
    case grpc_code::resource_exhausted:
      return has_retry_info;
    default:
      return false;
  }
}

/// gRPC's mapping of an HTTP status that came without grpc-status (e.g. from a proxy).
inline int grpc_code_from_http(int http_status) noexcept {
  switch (http_status) {
    case 400:
      return static_cast<int>(grpc_code::internal);
    case 401:
      return static_cast<int>(grpc_code::unauthenticated);
    case 403:
      return static_cast<int>(grpc_code::permission_denied);
    case 404:
      return static_cast<int>(grpc_code::unimplemented);
    case 429:
    case 502:
    case 503:
    case 504:
      return static_cast<int>(grpc_code::unavailable);
    default:
      return static_cast<int>(grpc_code::unknown);
  }
}

/// One unary call.
struct grpc_request {
  /// "http://host:port" (plain text, HTTP/2 with prior knowledge) or "https://host:port" (TLS, ALPN
  /// must choose h2). A path in it is ignored: gRPC addresses the method by `method` alone.
  std::string target;
  /// The method's path, e.g. "/opentelemetry.proto.collector.trace.v1.TraceService/Export".
  std::string method;
  /// Request metadata (OTEL_EXPORTER_OTLP_HEADERS); names are sent lower-cased, values are never
  /// written to any message. Names the transport sets itself (content-type, te, grpc-*, ...) are skipped.
  std::vector<header> metadata;
  /// The serialized request message. Not owned: it must stay valid during the call.
  std::string_view message;
  /// Compress the message with gzip (grpc-encoding: gzip); ignored when built without zlib.
  bool gzip = false;
  /// Deadline of the call, sent as grpc-timeout and enforced locally (connecting included).
  std::chrono::milliseconds timeout{10000};
  tls_options tls;
  /// Sent unless `metadata` has a user-agent.
  std::string user_agent = "OTel-OTLP-Exporter-Cpp-llmtrace/" LLMTRACE_VERSION_STRING;
};

/// What a call came to. ok() is HTTP 200 over HTTP/2 with grpc-status 0.
struct grpc_response {
  /// Set when no complete gRPC answer arrived (then `error_message` says why), including protocol
  /// failures such as a server that does not speak HTTP/2 (error_kind::other).
  error_kind error = error_kind::none;
  std::string error_message;
  int http_status = 0;                                   ///< :status (0 when nothing arrived)
  std::optional<int> status;                             ///< grpc-status from the trailers (or a trailers-only answer)
  std::string status_message;                            ///< grpc-message, percent-decoded
  std::optional<std::chrono::milliseconds> retry_delay;  ///< RetryInfo from grpc-status-details-bin
  std::string message;                                   ///< the response message, unframed and decompressed
  std::vector<header> headers;                           ///< response headers
  std::vector<header> trailers;                          ///< response trailers

  bool transport_ok() const noexcept { return error == error_kind::none; }
  bool ok() const noexcept { return transport_ok() && http_status == 200 && status && *status == 0; }

  /// The status that counts: grpc-status, else the HTTP status mapped the way gRPC maps it, else
  /// UNKNOWN (an HTTP 200 without grpc-status). Meaningful only when transport_ok().
  int code() const noexcept {
    if (status) return *status;
    return http_status == 200 ? static_cast<int>(grpc_code::unknown) : grpc_code_from_http(http_status);
  }

  /// Whether OTLP says to try again: the retryable codes (see grpc_code_retryable), and connection
  /// failures (refused, reset, timed out), which count as UNAVAILABLE. TLS and protocol errors,
  /// cancellation and a missing grpc-status on HTTP 200 are final.
  bool retryable() const noexcept {
    if (!transport_ok()) {
      return error == error_kind::resolve || error == error_kind::connect || error == error_kind::timeout ||
             error == error_kind::send || error == error_kind::receive;
    }
    if (ok()) return false;
    if (!status && http_status == 200) return false;
    return grpc_code_retryable(code(), retry_delay.has_value());
  }

  /// A one-line account for messages, e.g. "gRPC status 3 INVALID_ARGUMENT: bad span". Never
  /// contains metadata values.
  std::string describe() const {
    if (!transport_ok()) return std::string(to_string(error)) + " error: " + error_message;
    std::string out;
    if (status) {
      out = "gRPC status " + std::to_string(*status) + " " + std::string(grpc_code_name(*status));
    } else if (http_status == 200) {
      out = "HTTP 200 without grpc-status (not a gRPC server?)";
    } else {
      out = "HTTP " + std::to_string(http_status) + " without grpc-status (taken as " +
            std::string(grpc_code_name(code())) + ")";
    }
    if (!status_message.empty()) out += ": " + status_message;
    return out;
  }
};

/// Settings of a grpc_channel.
struct grpc_channel_options {
  /// Largest response accepted (framed, before decompression); gRPC's default limit.
  std::size_t max_response_bytes = 4 * 1024 * 1024;
  /// Never route loopback hosts through an environment proxy (as curl_transport does).
  bool bypass_proxy_for_loopback = true;
};

/// Sends unary gRPC calls. Implementations never throw from call().
class grpc_transport {
 public:
  virtual ~grpc_transport() = default;
  /// Performs one call and returns its outcome. Never throws.
  virtual grpc_response call(const grpc_request& req) noexcept = 0;
  /// Ends a call in progress at once and fails every later one (error_kind::aborted).
  virtual void shutdown() noexcept = 0;
};

}  // namespace http

namespace detail {

/// "10000m" and so on: the deadline as grpc-timeout (at most 8 digits and a unit).
inline std::string grpc_timeout_value(std::chrono::milliseconds timeout) {
  long long ms = timeout.count() < 1 ? 1 : static_cast<long long>(timeout.count());
  if (ms <= 99999999) return std::to_string(ms) + "m";
  long long s = (ms + 999) / 1000;
  if (s <= 99999999) return std::to_string(s) + "S";
  return std::to_string(s / 3600 > 99999999 ? 99999999 : s / 3600) + "H";
}

/// Appends the 5-byte gRPC message prefix (compressed flag, big-endian length) to `out`.
inline void grpc_put_prefix(std::string& out, bool compressed, std::size_t length) {
  const auto n = static_cast<std::uint32_t>(length);
  const char prefix[5] = {static_cast<char>(compressed ? 1 : 0), static_cast<char>((n >> 24) & 0xffu),
                          static_cast<char>((n >> 16) & 0xffu), static_cast<char>((n >> 8) & 0xffu),
                          static_cast<char>(n & 0xffu)};
  out.append(prefix, 5);
}

/// Decodes grpc-message's percent-encoding (invalid escapes are kept as they are).
inline std::string grpc_percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

/// Decodes base64 with or without padding (gRPC's -bin metadata); nullopt when malformed.
inline std::optional<std::string> grpc_base64_decode(std::string_view s) {
  while (!s.empty() && s.back() == '=') s.remove_suffix(1);
  std::string out;
  out.reserve(s.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+' || c == '-')
      v = 62;
    else if (c == '/' || c == '_')
      v = 63;
    else
      return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xffu));
    }
  }
  if (bits >= 6) return std::nullopt;  // a lone trailing character
  return out;
}

/// The retry delay of a google.rpc.RetryInfo inside a serialized google.rpc.Status (the value of
/// grpc-status-details-bin, already base64-decoded); nullopt when there is none.
inline std::optional<std::chrono::milliseconds> grpc_retry_delay(std::string_view status_bytes) noexcept {
  using namespace ::llmtrace::detail::pb;
  static constexpr std::string_view retry_info_type = "type.googleapis.com/google.rpc.RetryInfo";
  reader status(status_bytes);
  field f;
  while (status.next(f)) {
    if (f.number != 3 || f.wire != wire_len) continue;  // Status.details: repeated google.protobuf.Any
    reader any(f.bytes);
    field a;
    std::string_view type_url, value;
    while (any.next(a)) {
      if (a.number == 1 && a.wire == wire_len) type_url = a.bytes;
      if (a.number == 2 && a.wire == wire_len) value = a.bytes;
    }
    if (any.failed() || type_url != retry_info_type) continue;
    reader info(value);
    field r;
    while (info.next(r)) {
      if (r.number != 1 || r.wire != wire_len) continue;  // RetryInfo.retry_delay: google.protobuf.Duration
      reader duration(r.bytes);
      field d;
      std::int64_t seconds = 0, nanos = 0;
      while (duration.next(d)) {
        if (d.number == 1 && d.wire == wire_varint) seconds = static_cast<std::int64_t>(d.value);
        if (d.number == 2 && d.wire == wire_varint) nanos = static_cast<std::int32_t>(d.value);
      }
      if (duration.failed() || seconds < 0 || nanos < 0) return std::nullopt;
      if (seconds > 86400 * 365) seconds = 86400 * 365;
      return std::chrono::milliseconds(seconds * 1000 + nanos / 1000000);
    }
  }
  return std::nullopt;
}

/// Reads a complete HTTP/2 answer: grpc-status (from the trailers, or the headers of a trailers-only
/// answer), grpc-message, RetryInfo, and the one length-prefixed response message in `body`
/// (decompressed when the server says gzip, up to `max_message` bytes). A malformed answer sets a
/// protocol error unless grpc-status already says the call failed. Pure: the fuzz target drives it.
inline void grpc_read_answer(http::grpc_response& resp, std::string_view body, std::size_t max_message) {
  const auto find = [](const std::vector<http::header>& list, std::string_view name) -> const std::string* {
    for (const auto& h : list)
      if (h.name == name) return &h.value;
    return nullptr;
  };
  const auto protocol_error = [&resp](const char* what) {
    if (resp.status && *resp.status != 0) return;  // the status says enough
    resp.error = http::error_kind::other;
    resp.error_message = std::string("the server sent ") + what;
  };
  const std::vector<http::header>& meta = find(resp.trailers, "grpc-status") ? resp.trailers : resp.headers;
  if (const std::string* s = find(meta, "grpc-status")) {
    int v = 0;
    bool valid = !s->empty() && s->size() <= 4;
    for (std::size_t i = 0; valid && i < s->size(); ++i) {  // at most 4 digits: no overflow
      const char c = (*s)[i];
      if (c < '0' || c > '9') valid = false;
      v = v * 10 + (c - '0');
    }
    resp.status = valid ? v : static_cast<int>(http::grpc_code::unknown);
  }
  if (const std::string* m = find(meta, "grpc-message")) resp.status_message = grpc_percent_decode(*m);
  if (const std::string* d = find(meta, "grpc-status-details-bin"))
    if (const auto bytes = grpc_base64_decode(*d)) resp.retry_delay = grpc_retry_delay(*bytes);

  if (body.empty()) return;
  if (body.size() < 5) return protocol_error("a truncated response message");
  const auto* p = reinterpret_cast<const unsigned char*>(body.data());
  const std::size_t length = (std::size_t{p[1]} << 24) | (std::size_t{p[2]} << 16) | (std::size_t{p[3]} << 8) | p[4];
  if (length != body.size() - 5) return protocol_error("a response message of the wrong length");
  const std::string_view payload(body.data() + 5, length);
  if (p[0] == 0) {
    resp.message.assign(payload.data(), payload.size());
  } else {
    const std::string* enc = find(resp.headers, "grpc-encoding");
    if (!enc || *enc != "gzip") return protocol_error("a compressed response in an unsupported encoding");
    if (!gunzip(payload, resp.message, max_message)) return protocol_error("a corrupt gzip response message");
  }
}

/// The scheme and authority of `target` ("https://host:port" without any path, query or fragment).
inline std::string_view grpc_target_base(std::string_view target) noexcept {
  const url_parts p = split_url(target);
  if (!p.has_authority) return target;
  return target.substr(0, static_cast<std::size_t>(p.host_port.data() + p.host_port.size() - target.data()));
}

/// Header names the transport sets itself; metadata with these names is not sent.
inline bool grpc_reserved_metadata(std::string_view lower_name) noexcept {
  return lower_name.empty() || lower_name.front() == ':' || lower_name == "content-type" || lower_name == "te" ||
         lower_name == "content-length" || lower_name == "host" || lower_name == "connection" ||
         lower_name == "transfer-encoding" || lower_name == "expect" || lower_name == "upgrade" ||
         lower_name.substr(0, 5) == "grpc-";
}

}  // namespace detail

#if defined(LLMTRACE_HAS_CURL)

namespace detail {

/// What one gRPC transfer's callbacks share.
struct grpc_transfer {
  http::grpc_response* resp = nullptr;
  std::string* body = nullptr;
  std::size_t max_body = 0;
  bool headers_done = false;
  bool body_too_big = false;
};

inline std::size_t grpc_on_header(char* data, std::size_t size, std::size_t count, void* user) noexcept {
  auto* t = static_cast<grpc_transfer*>(user);
  const std::size_t n = size * count;
  try {
    std::string_view line(data, n);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (const auto status = curl_status_line(line)) {
      t->resp->headers.clear();
      t->headers_done = false;
      t->resp->http_status = *status;
      return n;
    }
    if (line.empty()) {
      // The blank line ends the headers; libcurl hands HTTP/2 trailers over after it.
      if (t->resp->http_status >= 200) t->headers_done = true;
      return n;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return n;
    (t->headers_done ? t->resp->trailers : t->resp->headers)
        .push_back(http::header{to_lower(line.substr(0, colon)), std::string(trim(line.substr(colon + 1)))});
  } catch (...) {
    return 0;  // out of memory: fail the transfer
  }
  return n;
}

inline std::size_t grpc_on_body(char* data, std::size_t size, std::size_t count, void* user) noexcept {
  auto* t = static_cast<grpc_transfer*>(user);
  const std::size_t n = size * count;
  if (t->body->size() + n > t->max_body) {
    t->body_too_big = true;
    return 0;
  }
  try {
    t->body->append(data, n);
  } catch (...) {
    return 0;
  }
  return n;
}

}  // namespace detail

namespace http {

/// grpc_transport over libcurl HTTP/2: one easy handle on one multi handle, so consecutive calls to
/// the same server share one HTTP/2 connection. `http://` targets use HTTP/2 with prior knowledge
/// (h2c); `https://` targets use TLS and fail with a clear message unless ALPN chose h2. Calls are
/// serialised; shutdown() ends a call in progress at once (curl_multi_wakeup) rather than at its
/// deadline.
class grpc_channel final : public grpc_transport {
 public:
  explicit grpc_channel(grpc_channel_options options = {}) noexcept : options_(options) {}
  ~grpc_channel() override {
    if (easy_) curl_easy_cleanup(easy_);
    if (probe_) curl_easy_cleanup(probe_);
    if (multi_) curl_multi_cleanup(multi_);
  }
  grpc_channel(const grpc_channel&) = delete;
  grpc_channel& operator=(const grpc_channel&) = delete;

  grpc_response call(const grpc_request& req) noexcept override {
    grpc_response resp;
    const auto deadline = std::chrono::steady_clock::now() + req.timeout;
    std::lock_guard<std::mutex> call_lock(call_mu_);
    if (stopped_.load(std::memory_order_acquire))
      return fail(resp, error_kind::aborted, "the gRPC channel is shut down");
    if (!ready()) return fail(resp, error_kind::other, "libcurl could not be initialised");
    try {
      frame(req);
      url_.assign(detail::grpc_target_base(req.target));
      url_ += req.method;
    } catch (...) {
      return fail(resp, error_kind::other, "out of memory while framing the request");
    }
    response_body_.clear();
    detail::grpc_transfer t;
    t.resp = &resp;
    t.body = &response_body_;
    t.max_body = options_.max_response_bytes;
    char error_buffer[CURL_ERROR_SIZE] = {0};
    const bool https = is_https(req.target);
    bool reuse_only = !https && !h2c_base_.empty() && h2c_base_ == detail::grpc_target_base(req.target);
    CURLcode rc;
    for (;;) {
      detail::curl_slist_holder headers;
      new_socket_refused_ = false;
      if (!configure(req, t, headers, error_buffer, reuse_only))
        return fail(resp, error_kind::other, "could not configure the call");
      rc = perform(easy_);
      if (!(reuse_only && new_socket_refused_)) break;
      reuse_only = false;  // the h2c connection was gone: connect again, with prior knowledge
      resp = grpc_response{};
      response_body_.clear();
      error_buffer[0] = 0;
    }
    long version = 0;
    curl_easy_getinfo(easy_, CURLINFO_HTTP_VERSION, &version);
    long code = 0;
    if (curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code > 0)
      resp.http_status = static_cast<int>(code);
    // A server may reset the stream (RST_STREAM) right after a complete answer, e.g. a trailers-only
    // error sent before the request body was read; libcurl then reports a stream error although the
    // answer, grpc-status included, is all there.
    const bool answered = rc != CURLE_OK && !stopped_.load(std::memory_order_acquire) && !t.body_too_big &&
                          version == CURL_HTTP_VERSION_2_0 && resp.http_status == 200 && has_grpc_status(resp);
    try {
      if (rc != CURLE_OK && !answered) {
        h2c_base_.clear();
        describe_failure(resp, rc, t, error_buffer);
        if (!https && !reuse_only && is_http1_symptom(rc) && answers_http1(deadline)) {
          resp.error = error_kind::other;
          resp.error_message = "the server at " + std::string(detail::grpc_target_base(req.target)) +
                               " speaks HTTP/1.1 but not HTTP/2, so it is not a gRPC endpoint (OTLP/gRPC is usually "
                               "port 4317, OTLP/HTTP 4318)";
        }
      } else if (version != CURL_HTTP_VERSION_2_0) {
        resp.error = error_kind::other;
        resp.error_message = "the server at " + std::string(detail::grpc_target_base(req.target)) +
                             " answered over HTTP/1.x, not HTTP/2" +
                             (is_https(req.target) ? " (TLS ALPN did not choose h2)" : "") +
                             ": it is not a gRPC endpoint (OTLP/gRPC is usually port 4317, OTLP/HTTP 4318)";
      } else {
        detail::grpc_read_answer(resp, response_body_, options_.max_response_bytes);
        if (!https) h2c_base_.assign(detail::grpc_target_base(req.target));
      }
    } catch (...) {
      resp.error = error_kind::other;
    }
    return resp;
  }

  void shutdown() noexcept override {
    stopped_.store(true, std::memory_order_release);
    std::lock_guard<std::mutex> lk(multi_mu_);
    if (multi_) curl_multi_wakeup(multi_);
  }

 private:
  static grpc_response& fail(grpc_response& resp, error_kind kind, const char* text) noexcept {
    resp.error = kind;
    try {
      resp.error_message = text;
    } catch (...) {
    }
    return resp;
  }

  static bool has_grpc_status(const grpc_response& resp) noexcept {
    for (const auto* list : {&resp.headers, &resp.trailers})
      for (const auto& h : *list)
        if (h.name == "grpc-status") return true;
    return false;
  }

  static bool is_https(std::string_view target) noexcept {
    return target.size() >= 8 && detail::iequals(target.substr(0, 8), "https://");
  }

  bool ready() noexcept {
    if (easy_) return true;
    if (!detail::curl_global_ready()) return false;
    std::lock_guard<std::mutex> lk(multi_mu_);
    multi_ = curl_multi_init();
    easy_ = multi_ ? curl_easy_init() : nullptr;
    return easy_ != nullptr;
  }

  void frame(const grpc_request& req) {
    body_.clear();
    if (req.gzip && detail::gzip_available) {
      body_.resize(5);
      gzip_.append(req.message, body_, 5);
      std::string prefix;
      detail::grpc_put_prefix(prefix, true, body_.size() - 5);
      body_.replace(0, 5, prefix);
    } else {
      detail::grpc_put_prefix(body_, false, req.message.size());
      body_.append(req.message.data(), req.message.size());
    }
  }

  static curl_socket_t refuse_new_socket(void* refused, curlsocktype, curl_sockaddr*) noexcept {
    *static_cast<bool*>(refused) = true;
    return CURL_SOCKET_BAD;
  }

  bool configure(const grpc_request& req, detail::grpc_transfer& t, detail::curl_slist_holder& headers,
                 char* error_buffer, bool reuse_only) noexcept {
    curl_easy_reset(easy_);  // the connection cache lives in the multi handle and survives this
    bool ok = true;
    const auto set = [&](CURLoption opt, auto value) {
      if (curl_easy_setopt(easy_, opt, value) != CURLE_OK) ok = false;
    };
    ok = detail::curl_set_common(easy_, url_, req.tls, options_.bypass_proxy_for_loopback, error_buffer);
    if (is_https(req.target)) {
      set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
    } else if (reuse_only) {
      // libcurl 7.88 breaks a reused prior-knowledge connection ("Error in the HTTP2 framing layer",
      // curl issue 10634): on the channel's live h2c connection ask for plain HTTP/2, and refuse any
      // new socket so that this setting can never start an HTTP/1.1 Upgrade; call() then reconnects
      // with prior knowledge.
      set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2_0));
      set(CURLOPT_OPENSOCKETFUNCTION, &refuse_new_socket);
      set(CURLOPT_OPENSOCKETDATA, static_cast<void*>(&new_socket_refused_));
    } else {
      set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE));
    }
    set(CURLOPT_HTTPPROXYTUNNEL, 1L);  // through a proxy only with CONNECT: HTTP/2 must reach the server
    set(CURLOPT_POST, 1L);
    set(CURLOPT_POSTFIELDS, body_.data());
    set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_.size()));
    try {
      bool user_agent = false;
      ok = headers.append("content-type: application/grpc") && ok;
      ok = headers.append("te: trailers") && ok;
      ok = headers.append("grpc-timeout: " + detail::grpc_timeout_value(req.timeout)) && ok;
      if (req.gzip && detail::gzip_available) ok = headers.append("grpc-encoding: gzip") && ok;
      ok = headers.append(detail::gzip_available ? "grpc-accept-encoding: identity,gzip"
                                                 : "grpc-accept-encoding: identity") &&
           ok;
      for (const auto& m : req.metadata) {
        const std::string name = detail::to_lower(m.name);
        if (detail::grpc_reserved_metadata(name) || m.value.find_first_of("\r\n") != std::string::npos) continue;
        if (name == "user-agent") user_agent = true;
        ok = headers.append(m.value.empty() ? name + ";" : name + ": " + m.value) && ok;
      }
      if (!user_agent && !req.user_agent.empty()) ok = headers.append("user-agent: " + req.user_agent) && ok;
      ok = headers.append("Expect:") && ok;  // no 100-continue round trip
      ok = headers.append("Accept:") && ok;  // no "accept: */*"
    } catch (...) {
      ok = false;
    }
    set(CURLOPT_HTTPHEADER, headers.list);
    const long timeout_ms = req.timeout.count() < 1 ? 1L : static_cast<long>(req.timeout.count());
    set(CURLOPT_TIMEOUT_MS, timeout_ms);
    set(CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    set(CURLOPT_HEADERFUNCTION, &detail::grpc_on_header);
    set(CURLOPT_HEADERDATA, static_cast<void*>(&t));
    set(CURLOPT_WRITEFUNCTION, &detail::grpc_on_body);
    set(CURLOPT_WRITEDATA, static_cast<void*>(&t));
    return ok;
  }

  /// Runs the transfer on the multi handle until it ends or shutdown() wakes it.
  CURLcode perform(CURL* easy) noexcept {
    if (curl_multi_add_handle(multi_, easy) != CURLM_OK) return CURLE_FAILED_INIT;
    CURLcode result = CURLE_OK;
    bool done = false;
    while (!done) {
      if (stopped_.load(std::memory_order_acquire)) {
        result = CURLE_ABORTED_BY_CALLBACK;
        break;
      }
      int running = 0;
      if (curl_multi_perform(multi_, &running) != CURLM_OK) {
        result = CURLE_FAILED_INIT;
        break;
      }
      int queued = 0;
      while (CURLMsg* m = curl_multi_info_read(multi_, &queued)) {
        if (m->msg == CURLMSG_DONE && m->easy_handle == easy) {
          result = m->data.result;
          done = true;
        }
      }
      if (done) break;
      if (curl_multi_poll(multi_, nullptr, 0, 1000, nullptr) != CURLM_OK) {
        result = CURLE_FAILED_INIT;
        break;
      }
    }
    curl_multi_remove_handle(multi_, easy);
    return result;
  }

  void describe_failure(grpc_response& resp, CURLcode rc, const detail::grpc_transfer& t, const char* error_buffer) {
    resp.error = detail::classify_curl_error(rc);
    if (rc == CURLE_ABORTED_BY_CALLBACK && stopped_.load(std::memory_order_acquire)) {
      resp.error = error_kind::aborted;
      resp.error_message = "the call was cancelled by shutdown";
      return;
    }
    if (t.body_too_big) {
      resp.error = error_kind::other;
      resp.error_message = "the response is larger than " + std::to_string(options_.max_response_bytes) + " bytes";
      return;
    }
    resp.error_message = curl_easy_strerror(rc);
    if (error_buffer[0]) resp.error_message.append(": ").append(error_buffer);
    while (!resp.error_message.empty() && resp.error_message.back() == '\n') resp.error_message.pop_back();
    if (rc == CURLE_HTTP2_STREAM)
      resp.error_message +=
          " (the server reset the stream; libcurl 7.88 then loses an answer sent with the reset, as gRPC servers "
          "do for a method they do not implement)";
  }

  /// How an HTTP/1 server's answer to the HTTP/2 connection preface looks from here, depending on
  /// timing: a reset while sending, an empty reply, or bytes that are no HTTP/2 frame.
  static bool is_http1_symptom(CURLcode rc) noexcept {
    return rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING || rc == CURLE_HTTP2 ||
           rc == CURLE_WEIRD_SERVER_REPLY;
  }

  static std::size_t discard(char*, std::size_t size, std::size_t count, void*) noexcept { return size * count; }

  /// After a new h2c connection failed: does the server answer HTTP/1.1? One `OPTIONS *` request on
  /// a connection of its own, within the call's deadline (and ended by shutdown() like a call). A
  /// gRPC server never answers it (it expects the HTTP/2 preface), so a transient failure of a real
  /// gRPC server is not mistaken for a wrong port.
  bool answers_http1(std::chrono::steady_clock::time_point deadline) noexcept {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) return false;
    if (!probe_ && !(probe_ = curl_easy_init())) return false;
    curl_easy_reset(probe_);
    bool ok = true;
    const auto set = [&](CURLoption opt, auto value) {
      if (curl_easy_setopt(probe_, opt, value) != CURLE_OK) ok = false;
    };
    char error_buffer[CURL_ERROR_SIZE] = {0};
    ok = detail::curl_set_common(probe_, url_, tls_options{}, options_.bypass_proxy_for_loopback, error_buffer);
    set(CURLOPT_REQUEST_TARGET, "*");
    set(CURLOPT_CUSTOMREQUEST, "OPTIONS");
    set(CURLOPT_NOBODY, 1L);
    set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    set(CURLOPT_FRESH_CONNECT, 1L);
    set(CURLOPT_FORBID_REUSE, 1L);
    set(CURLOPT_TIMEOUT_MS, static_cast<long>(left));
    set(CURLOPT_HTTPPROXYTUNNEL, 1L);
    set(CURLOPT_WRITEFUNCTION, &discard);
    if (!ok || perform(probe_) != CURLE_OK) return false;
    long version = 0, code = 0;
    curl_easy_getinfo(probe_, CURLINFO_HTTP_VERSION, &version);
    curl_easy_getinfo(probe_, CURLINFO_RESPONSE_CODE, &code);
    return code > 0 && (version == CURL_HTTP_VERSION_1_0 || version == CURL_HTTP_VERSION_1_1);
  }

  grpc_channel_options options_;
  std::mutex call_mu_;   // one call at a time
  std::mutex multi_mu_;  // creation of multi_ vs shutdown()'s wakeup
  std::atomic<bool> stopped_{false};
  CURLM* multi_ = nullptr;
  CURL* easy_ = nullptr;
  CURL* probe_ = nullptr;  // answers_http1()
  // Used by the calling thread only (under call_mu_), reused across calls.
  std::string url_;
  std::string body_;
  std::string response_body_;
  detail::gzip_compressor gzip_;
  std::string h2c_base_;  // the target of the live h2c connection ("" when there is none)
  bool new_socket_refused_ = false;
};

#else  // built without libcurl

namespace http {

/// Without libcurl: every call fails with error_kind::other.
class grpc_channel final : public grpc_transport {
 public:
  explicit grpc_channel(grpc_channel_options = {}) noexcept {}
  grpc_response call(const grpc_request&) noexcept override {
    grpc_response r;
    r.error = error_kind::other;
    try {
      r.error_message = "llmtrace was built without libcurl (LLMTRACE_HAS_CURL): no gRPC transport";
    } catch (...) {
    }
    return r;
  }
  void shutdown() noexcept override {}
};

#endif

}  // namespace http
LLMTRACE_END_NAMESPACE
