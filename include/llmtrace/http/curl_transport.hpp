// llmtrace/http/curl_transport.hpp: the libcurl implementation of http::transport (connection reuse
// through a pool of easy handles, timeouts, TLS, streaming with cancellation) and default_transport().
// Thread-safety: one curl_transport may serve any number of threads at once; each request borrows its
// own easy handle from the pool. Nothing here throws.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/detail/url.hpp>
#include <llmtrace/detail/utf8.hpp>
#include <llmtrace/http/transport.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#if defined(LLMTRACE_HAS_CURL)
#include <curl/curl.h>
#endif

LLMTRACE_BEGIN_NAMESPACE
namespace http {

/// Settings of a curl_transport.
struct curl_transport_options {
  /// Idle easy handles (each keeps its open connections) kept for reuse; extra ones are closed.
  std::size_t max_idle_handles = 8;
  /// Never route loopback hosts (127.0.0.0/8, ::1, localhost) through an environment proxy, as Go's
  /// net/http does.
  bool bypass_proxy_for_loopback = true;
};

#if defined(LLMTRACE_HAS_CURL)

}  // namespace http

namespace detail {

/// curl_global_init, exactly once per process (never cleaned up: other libraries may still use curl).
LLMTRACE_API inline bool curl_global_ready() noexcept {
  static const bool ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  return ok;
}

/// The host part of an http(s) URL (or of a bare `host[:port][/path]`), without brackets or port.
inline std::string_view url_host(std::string_view url) noexcept {
  url_parts p = split_url(url);
  if (!p.has_authority) split_authority(url.substr(0, url.find_first_of("/?#")), p);
  return p.host;
}

inline bool is_loopback_host(std::string_view host) noexcept {
  return iequals(host, "localhost") || host == "::1" || host.substr(0, 4) == "127.";
}

/// Maps a libcurl result to the transport's error kinds.
inline http::error_kind classify_curl_error(CURLcode rc) noexcept {
  switch (rc) {
    case CURLE_OK:
      return http::error_kind::none;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return http::error_kind::resolve;
    case CURLE_COULDNT_CONNECT:
      return http::error_kind::connect;
    case CURLE_OPERATION_TIMEDOUT:
      return http::error_kind::timeout;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_USE_SSL_FAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
      return http::error_kind::tls;
    case CURLE_WRITE_ERROR:
    case CURLE_ABORTED_BY_CALLBACK:
      return http::error_kind::aborted;
    case CURLE_SEND_ERROR:
    case CURLE_READ_ERROR:
      return http::error_kind::send;
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_WEIRD_SERVER_REPLY:
      return http::error_kind::receive;
    default:
      return http::error_kind::other;
  }
}

/// Everything one transfer's callbacks share.
struct curl_transfer {
  using clock = std::chrono::steady_clock;
  /// Bytes of an oversized body kept in response::body (the message quotes fewer).
  static constexpr std::size_t kept_prefix_bytes = 64 * 1024;

  http::response* resp = nullptr;
  const http::data_callback* on_data = nullptr;  ///< null: buffer the body (send())
  std::size_t max_body_bytes = http::default_max_body_bytes;
  bool stopped_by_caller = false;
  bool callback_threw = false;
  bool too_large = false;
  bool got_response = false;  // the status line arrived
  enum class timed_out_t : unsigned char { no, read, first_byte, line } timed_out = timed_out_t::no;
  clock::duration read_timeout{};
  clock::duration first_byte_timeout{};
  clock::duration line_timeout{};
  clock::time_point last_activity{};
  clock::time_point started{};
  clock::time_point last_line{};  // start, then the last `\n` of a streamed 2xx body
  curl_off_t last_received = 0;
};

inline bool is_success_status(int status) noexcept { return status >= 200 && status < 300; }

/// The status of a header-callback line that is a status line ("HTTP/2 200"); nullopt for others.
inline std::optional<int> curl_status_line(std::string_view line) noexcept {
  if (line.size() <= 5 || line.substr(0, 5) != "HTTP/") return std::nullopt;
  const auto sp = line.find(' ');
  int status = 0;
  const std::size_t first = sp == std::string_view::npos ? line.size() : sp + 1;
  for (std::size_t i = first; i < line.size() && i < first + 3; ++i) {  // a status code has three digits
    if (line[i] < '0' || line[i] > '9') break;
    status = status * 10 + (line[i] - '0');
  }
  return status;
}

/// The options every llmtrace transfer shares: error buffer, URL, no signals, http(s) only, no
/// redirects, TCP keep-alive and no-delay, no environment proxy for loopback hosts (when asked) and
/// the TLS settings. False when libcurl refused one of them.
inline bool curl_set_common(CURL* h, const std::string& url, const http::tls_options& tls, bool bypass_proxy,
                            char* error_buffer) noexcept {
  bool ok = true;
  const auto set = [&](CURLoption opt, auto value) {
    if (curl_easy_setopt(h, opt, value) != CURLE_OK) ok = false;
  };
  set(CURLOPT_ERRORBUFFER, error_buffer);
  set(CURLOPT_URL, url.c_str());
  set(CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500  // 7.85.0
  set(CURLOPT_PROTOCOLS_STR, "http,https");
#else
  set(CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  set(CURLOPT_FOLLOWLOCATION, 0L);
  set(CURLOPT_TCP_KEEPALIVE, 1L);
  set(CURLOPT_TCP_NODELAY, 1L);
  if (bypass_proxy && is_loopback_host(url_host(url))) set(CURLOPT_PROXY, "");
  if (!tls.ca_file.empty()) set(CURLOPT_CAINFO, tls.ca_file.c_str());
  if (!tls.client_cert_file.empty()) set(CURLOPT_SSLCERT, tls.client_cert_file.c_str());
  if (!tls.client_key_file.empty()) set(CURLOPT_SSLKEY, tls.client_key_file.c_str());
  set(CURLOPT_SSL_VERIFYPEER, tls.verify ? 1L : 0L);
  set(CURLOPT_SSL_VERIFYHOST, tls.verify ? 2L : 0L);
  return ok;
}

inline std::size_t curl_on_header(char* data, std::size_t size, std::size_t count, void* user) noexcept {
  auto* t = static_cast<curl_transfer*>(user);
  const std::size_t n = size * count;
  t->got_response = true;
  try {
    std::string_view line(data, n);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (const auto status = curl_status_line(line)) {
      // A new status line (after 1xx or a redirect): the headers so far belong to another response.
      t->resp->headers.clear();
      t->resp->status = *status;
      return n;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return n;
    t->resp->headers.push_back(
        http::header{std::string(line.substr(0, colon)), std::string(trim(line.substr(colon + 1)))});
  } catch (...) {
    return 0;  // out of memory: fail the transfer
  }
  return n;
}

/// Appends to a buffered body within the cap; past it keeps a prefix and fails the transfer.
inline std::size_t curl_buffer_body(curl_transfer& t, const char* data, std::size_t n) noexcept {
  std::string& body = t.resp->body;
  try {
    if (n > t.max_body_bytes - std::min(body.size(), t.max_body_bytes)) {
      t.too_large = true;
      if (body.size() < curl_transfer::kept_prefix_bytes)
        body.append(data, std::min(n, curl_transfer::kept_prefix_bytes - body.size()));
      if (body.size() > curl_transfer::kept_prefix_bytes) {
        body.resize(curl_transfer::kept_prefix_bytes);
        body.shrink_to_fit();
      }
      return 0;
    }
    body.append(data, n);
    return n;
  } catch (...) {
    return 0;
  }
}

inline std::size_t curl_on_body(char* data, std::size_t size, std::size_t count, void* user) noexcept {
  auto* t = static_cast<curl_transfer*>(user);
  const std::size_t n = size * count;
  t->last_activity = curl_transfer::clock::now();
  if (!t->on_data || !is_success_status(t->resp->status)) return curl_buffer_body(*t, data, n);
  if (std::memchr(data, '\n', n) != nullptr) t->last_line = t->last_activity;
  bool keep_going = false;
  try {
    keep_going = (*t->on_data)(std::string_view(data, n));
  } catch (...) {
    t->callback_threw = true;
  }
  if (!keep_going) {
    t->stopped_by_caller = true;
    return 0;  // any count other than n makes libcurl abort with CURLE_WRITE_ERROR
  }
  return n;
}

/// Enforces the read (silence), first-byte and line timeouts; libcurl calls it at least once a
/// second and on every read.
inline int curl_on_progress(void* user, curl_off_t, curl_off_t now_received, curl_off_t, curl_off_t) noexcept {
  auto* t = static_cast<curl_transfer*>(user);
  const auto now = curl_transfer::clock::now();
  using timed_out_t = curl_transfer::timed_out_t;
  if (t->first_byte_timeout.count() > 0 && !t->got_response && now - t->started > t->first_byte_timeout) {
    t->timed_out = timed_out_t::first_byte;
    return 1;
  }
  if (t->line_timeout.count() > 0 && now - t->last_line > t->line_timeout) {
    t->timed_out = timed_out_t::line;
    return 1;
  }
  if (now_received != t->last_received) {
    t->last_received = now_received;
    t->last_activity = now;
    return 0;
  }
  if (t->read_timeout.count() > 0 && now - t->last_activity > t->read_timeout) {
    t->timed_out = timed_out_t::read;
    return 1;
  }
  return 0;
}

/// Owns a curl_slist.
struct curl_slist_holder {
  curl_slist* list = nullptr;
  curl_slist_holder() = default;
  curl_slist_holder(const curl_slist_holder&) = delete;
  curl_slist_holder& operator=(const curl_slist_holder&) = delete;
  ~curl_slist_holder() {
    if (list) curl_slist_free_all(list);
  }
  bool append(const std::string& line) noexcept {
    curl_slist* next = curl_slist_append(list, line.c_str());
    if (!next) return false;
    list = next;
    return true;
  }
};

}  // namespace detail

namespace http {

/// http::transport over libcurl. Requests borrow an easy handle from an internal pool, so keep-alive
/// connections are reused across requests and threads. A stream stopped by its callback closes its
/// connection (the handle is discarded rather than returned to the pool). The read (silence),
/// first-byte and line timeouts are checked on every read and at least once a second, so they fire up
/// to a second after their limit. Buffered bodies are capped by request::max_body_bytes.
class curl_transport final : public transport {
 public:
  explicit curl_transport(curl_transport_options options = {}) noexcept : options_(options) {}
  ~curl_transport() override {
    for (CURL* h : idle_) curl_easy_cleanup(h);
  }
  curl_transport(const curl_transport&) = delete;
  curl_transport& operator=(const curl_transport&) = delete;

  response send(const request& req) noexcept override { return perform(req, nullptr); }
  response stream(const request& req, const data_callback& on_data) noexcept override { return perform(req, &on_data); }

  /// Idle handles currently pooled (for tests and diagnostics).
  std::size_t idle_handles() const noexcept {
    std::lock_guard<std::mutex> lk(mu_);
    return idle_.size();
  }

 private:
  CURL* acquire() noexcept {
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (!idle_.empty()) {
        CURL* h = idle_.back();
        idle_.pop_back();
        return h;
      }
    }
    if (!detail::curl_global_ready()) return nullptr;
    return curl_easy_init();
  }

  void release(CURL* h, bool reusable) noexcept {
    if (reusable) {
      curl_easy_reset(h);  // keeps live connections, DNS and TLS session caches
      try {
        std::lock_guard<std::mutex> lk(mu_);
        if (idle_.size() < options_.max_idle_handles) {
          idle_.push_back(h);
          return;
        }
      } catch (...) {
      }
    }
    curl_easy_cleanup(h);
  }

  static bool configure(CURL* h, const request& req, detail::curl_transfer& t, detail::curl_slist_holder& headers,
                        char* error_buffer, bool bypass_proxy) noexcept {
    bool ok = true;
    const auto set = [&](CURLoption opt, auto value) {
      if (curl_easy_setopt(h, opt, value) != CURLE_OK) ok = false;
    };
    ok = detail::curl_set_common(h, req.url, req.tls, bypass_proxy, error_buffer);

    if (req.method == "GET") {
      set(CURLOPT_HTTPGET, 1L);
    } else if (req.method == "HEAD") {
      set(CURLOPT_NOBODY, 1L);
    } else {
      if (req.method == "POST" || !req.body.empty()) {
        set(CURLOPT_POSTFIELDS, req.body.data());
        set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
      }
      if (req.method != "POST") set(CURLOPT_CUSTOMREQUEST, req.method.c_str());
    }

    try {
      bool has_content_type = false;
      for (const auto& hd : req.headers) {
        if (detail::iequals(hd.name, "content-type")) has_content_type = true;
        ok = headers.append(hd.value.empty() ? hd.name + ";" : hd.name + ": " + hd.value) && ok;
      }
      // No `Expect: 100-continue` round trip for large bodies, and no form encoding by default.
      ok = headers.append("Expect:") && ok;
      if (!has_content_type && !req.body.empty()) ok = headers.append("Content-Type:") && ok;
    } catch (...) {
      ok = false;
    }
    set(CURLOPT_HTTPHEADER, headers.list);

    if (req.connect_timeout.count() > 0) set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(req.connect_timeout.count()));
    if (req.timeout.count() > 0) set(CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout.count()));
    t.max_body_bytes = req.max_body_bytes;
    t.started = t.last_activity = t.last_line = detail::curl_transfer::clock::now();
    t.read_timeout = req.read_timeout;
    t.first_byte_timeout = req.first_byte_timeout;
    if (t.on_data) t.line_timeout = req.line_timeout;
    if (t.read_timeout.count() > 0 || t.first_byte_timeout.count() > 0 || t.line_timeout.count() > 0) {
      set(CURLOPT_NOPROGRESS, 0L);
      set(CURLOPT_XFERINFOFUNCTION, &detail::curl_on_progress);
      set(CURLOPT_XFERINFODATA, static_cast<void*>(&t));
    }

    set(CURLOPT_HEADERFUNCTION, &detail::curl_on_header);
    set(CURLOPT_HEADERDATA, static_cast<void*>(&t));
    set(CURLOPT_WRITEFUNCTION, &detail::curl_on_body);
    set(CURLOPT_WRITEDATA, static_cast<void*>(&t));
    return ok;
  }

  response perform(const request& req, const data_callback* on_data) noexcept {
    response resp;
    CURL* h = acquire();
    if (!h) {
      resp.error = error_kind::other;
      assign(resp.error_message, "libcurl could not be initialised");
      return resp;
    }
    detail::curl_transfer t;
    t.resp = &resp;
    t.on_data = on_data;
    char error_buffer[CURL_ERROR_SIZE] = {0};
    CURLcode rc;
    {
      detail::curl_slist_holder headers;
      if (!configure(h, req, t, headers, error_buffer, options_.bypass_proxy_for_loopback)) {
        resp.error = error_kind::other;
        assign(resp.error_message, "could not configure the request");
        release(h, false);
        return resp;
      }
      rc = curl_easy_perform(h);
      long code = 0;
      if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code > 0)
        resp.status = static_cast<int>(code);
    }
    if (rc != CURLE_OK) {
      resp.error = detail::classify_curl_error(rc);
      if (t.timed_out != detail::curl_transfer::timed_out_t::no) {
        resp.error = error_kind::timeout;
        timeout_message(resp.error_message, t.timed_out, req);
      } else if (t.too_large) {
        resp.error = error_kind::too_large;
        too_large_message(resp, req.max_body_bytes);
      } else if (t.stopped_by_caller) {
        resp.error = error_kind::aborted;
        assign(resp.error_message, t.callback_threw ? "the data callback threw; transfer stopped"
                                                    : "transfer stopped by the data callback");
      } else {
        try {
          resp.error_message = curl_easy_strerror(rc);
          if (error_buffer[0]) resp.error_message.append(": ").append(error_buffer);
          while (!resp.error_message.empty() && resp.error_message.back() == '\n') resp.error_message.pop_back();
        } catch (...) {
        }
      }
    }
    // A transfer cut short leaves its connection in an unknown state: drop the handle with it.
    release(h, rc == CURLE_OK);
    return resp;
  }

  static void timeout_message(std::string& out, detail::curl_transfer::timed_out_t which, const request& req) noexcept {
    using timed_out_t = detail::curl_transfer::timed_out_t;
    try {
      if (which == timed_out_t::first_byte)
        out = "no response within the first-byte timeout of " + std::to_string(req.first_byte_timeout.count()) + " ms";
      else if (which == timed_out_t::line)
        out = "no complete line within the line timeout of " + std::to_string(req.line_timeout.count()) + " ms";
      else
        out = "no data received within the read timeout of " + std::to_string(req.read_timeout.count()) + " ms";
    } catch (...) {
    }
  }

  static void too_large_message(response& resp, std::size_t limit) noexcept {
    try {
      resp.error_message = "the response body (HTTP " + std::to_string(resp.status) + ") is larger than the limit of " +
                           std::to_string(limit) + " bytes (request::max_body_bytes); it begins: ";
      detail::append_utf8(resp.error_message, resp.body, 200);
      resp.error_message += "...";
    } catch (...) {
    }
  }

  static void assign(std::string& out, const char* text) noexcept {
    try {
      out = text;
    } catch (...) {
    }
  }

  curl_transport_options options_;
  mutable std::mutex mu_;
  std::vector<CURL*> idle_;
};

/// The process-wide libcurl transport (shared pool); never null.
LLMTRACE_API inline std::shared_ptr<transport> default_transport() {
  static const std::shared_ptr<transport> instance = std::make_shared<curl_transport>();
  return instance;
}

#else  // built without libcurl

}  // namespace http
namespace detail {
/// Answers every request with error_kind::other: llmtrace was built without libcurl.
class unavailable_transport final : public http::transport {
 public:
  http::response send(const http::request&) noexcept override { return fail(); }
  http::response stream(const http::request&, const http::data_callback&) noexcept override { return fail(); }

 private:
  static http::response fail() noexcept {
    http::response r;
    r.error = http::error_kind::other;
    try {
      r.error_message = "llmtrace was built without libcurl (LLMTRACE_HAS_CURL): no default HTTP transport";
    } catch (...) {
    }
    return r;
  }
};
}  // namespace detail
namespace http {

/// Without libcurl: a transport that fails every request with error_kind::other. Never null.
LLMTRACE_API inline std::shared_ptr<transport> default_transport() {
  static const std::shared_ptr<transport> instance = std::make_shared<detail::unavailable_transport>();
  return instance;
}

#endif

}  // namespace http
LLMTRACE_END_NAMESPACE
