// llmtrace/exporters/otlp_http.hpp: the OTLP trace exporter (http/protobuf, http/json or grpc, optional
// gzip) with retries, Retry-After, partial-success reporting, rate-limited failure summaries and
// counters. Adds libcurl (the default transport), nlohmann_json and zlib (with LLMTRACE_HAS_ZLIB);
// its options and their OTEL_EXPORTER_OTLP_* reading are in otlp_options.hpp (standard headers only).
// Thread-safety: export_batch is called by one thread at a time (the batch worker); stats(),
// force_flush() and shutdown() may be called from any thread, also while an export is running.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/detail/civil_date.hpp>
#include <llmtrace/detail/clock.hpp>
#include <llmtrace/detail/env.hpp>
#include <llmtrace/detail/gzip.hpp>
#include <llmtrace/detail/random.hpp>
#include <llmtrace/error.hpp>
#include <llmtrace/exporter.hpp>
#include <llmtrace/exporters/otlp_options.hpp>
#include <llmtrace/http/curl_transport.hpp>
#include <llmtrace/http/grpc_transport.hpp>
#include <llmtrace/http/transport.hpp>
#include <llmtrace/otlp/json.hpp>
#include <llmtrace/otlp/protobuf.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE

/// Counters of an otlp_http_exporter (monotonic since construction).
struct otlp_http_stats {
  std::uint64_t exported_spans = 0;  ///< spans the collector accepted
  std::uint64_t dropped_spans = 0;   ///< spans of failed batches (not retried any further)
  std::uint64_t failed_batches = 0;  ///< batches given up on
  std::uint64_t retries = 0;         ///< requests repeated after a retryable failure
  std::uint64_t rejected_spans = 0;  ///< spans the collector reported as rejected (partial success)
};

namespace detail {

/// Parses an HTTP-date (IMF-fixdate, RFC 850 or asctime form) into seconds since the Unix epoch.
inline std::optional<std::int64_t> otlp_parse_http_date(std::string_view s) noexcept {
  static constexpr std::string_view months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                "jul", "aug", "sep", "oct", "nov", "dec"};
  unsigned month = 0;
  long numbers[2] = {-1, -1};
  std::size_t numbers_seen = 0;
  long hms[3] = {-1, -1, -1};
  std::size_t digits_of_year = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == ' ' || c == ',' || c == '-') {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != ',' && s[j] != '-') ++j;
    const std::string_view tok = s.substr(i, j - i);
    i = j;
    if (tok.find(':') != std::string_view::npos) {  // hh:mm:ss
      if (tok.size() != 8 || tok[2] != ':' || tok[5] != ':') return std::nullopt;
      for (std::size_t k = 0; k < 3; ++k) {
        const char a = tok[k * 3], b = tok[k * 3 + 1];
        if (a < '0' || a > '9' || b < '0' || b > '9') return std::nullopt;
        hms[k] = (a - '0') * 10 + (b - '0');
      }
    } else if (tok[0] >= '0' && tok[0] <= '9') {
      if (numbers_seen == 2 || tok.size() > 4) return std::nullopt;
      long v = 0;
      for (char d : tok) {
        if (d < '0' || d > '9') return std::nullopt;
        v = v * 10 + (d - '0');
      }
      if (numbers_seen == 1) digits_of_year = tok.size();
      numbers[numbers_seen++] = v;
    } else if (tok.size() == 3 && month == 0) {
      for (unsigned m = 0; m < 12; ++m)
        if (iequals(tok, months[m])) month = m + 1;
      // day names ("Sun") and "GMT" match no month and are skipped
    }
  }
  if (month == 0 || numbers_seen != 2 || hms[0] < 0) return std::nullopt;
  long day = numbers[0], year = numbers[1];
  if (digits_of_year == 2) year += year >= 70 ? 1900 : 2000;  // RFC 850
  if (day < 1 || day > 31 || hms[0] > 23 || hms[1] > 59 || hms[2] > 60) return std::nullopt;
  const std::int64_t days = days_from_civil(year, month, static_cast<unsigned>(day));
  return days * 86400 + hms[0] * 3600 + hms[1] * 60 + hms[2];
}

/// The wait a Retry-After header asks for (delay-seconds or HTTP-date); nullopt if unparsable.
inline std::optional<std::chrono::milliseconds> otlp_parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) noexcept {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return std::chrono::milliseconds(std::chrono::hours(24 * 365));
    long long secs = 0;
    for (char c : value) secs = secs * 10 + (c - '0');
    return std::chrono::milliseconds(secs * 1000);
  }
  const auto when = otlp_parse_http_date(value);
  if (!when) return std::nullopt;
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const long long wait = *when * 1000 - now_ms;
  return std::chrono::milliseconds(wait > 0 ? wait : 0);
}

/// A short, printable excerpt of a response body for a message ("" when it is not text).
inline std::string otlp_body_excerpt(std::string_view body, std::size_t max = 200) {
  std::string out;
  for (char c : body.substr(0, max)) {
    const auto u = static_cast<unsigned char>(c);
    if (u == '\n' || u == '\r' || u == '\t') {
      out.push_back(' ');
    } else if (u < 0x20 || u == 0x7f) {
      return {};  // binary
    } else {
      out.push_back(c);
    }
  }
  if (body.size() > max) out += "...";
  return out;
}

/// Replaces every occurrence of `secret` in `s` with "[REDACTED]".
inline void otlp_scrub(std::string& s, std::string_view secret) {
  if (secret.empty()) return;
  for (auto pos = s.find(secret); pos != std::string::npos; pos = s.find(secret, pos + 10))
    s.replace(pos, secret.size(), "[REDACTED]");
}

}  // namespace detail

namespace detail {

/// The OTLP exporter machinery, for any signal, over OTLP/HTTP or, with otlp_protocol::grpc,
/// OTLP/gRPC (same retries, timeouts, counters and reports; gRPC statuses are retried as OTLP says,
/// RetryInfo taking the place of Retry-After): `Signal::base` is the exporter interface,
/// `Signal::batch` its batch, `Signal::signal` the OTLP signal (its gRPC Export method),
/// `Signal::encode(protocol, batch, out)` writes the request body, `Signal::noun` names the records in
/// messages and `Signal::rejected_key` is the JSON name of the partial-success count ("rejectedSpans",
/// ...). Export failures are counted (stats()) and reported through the error handler at most once per
/// minute while they last, with header values (API keys) scrubbed from every message.
template <typename Signal>
class basic_otlp_http_exporter : public Signal::base {
  using batch_type = typename Signal::batch;

 public:
  /// `transport` defaults to the process-wide libcurl transport (http::default_transport()); with the
  /// grpc protocol, `grpc` defaults to a channel of the exporter's own (one HTTP/2 connection, ended
  /// by shutdown()).
  explicit basic_otlp_http_exporter(otlp_http_options options = {},
                                    std::shared_ptr<http::transport> transport = nullptr,
                                    std::shared_ptr<http::grpc_transport> grpc = nullptr)
      : opt_(std::move(options)), transport_(transport ? std::move(transport) : http::default_transport()) {
    if (opt_.protocol == otlp_protocol::grpc) {
      owns_grpc_ = !grpc;
      grpc_ = grpc ? std::move(grpc) : std::make_shared<http::grpc_channel>();
      if (opt_.endpoint == otlp_http_options{}.endpoint) opt_.endpoint = std::string(otlp_grpc_default_endpoint);
      if (auto target = detail::otlp_grpc_target(opt_.endpoint, opt_.insecure)) opt_.endpoint = std::move(*target);
    }
    if (opt_.timeout.count() <= 0) opt_.timeout = std::chrono::milliseconds(10000);
    if (opt_.retry.max_attempts == 0) opt_.retry.max_attempts = 1;
    if (opt_.retry.backoff_multiplier < 1.0) opt_.retry.backoff_multiplier = 1.0;
    for (const auto& h : opt_.headers) remember_secret(h.value);
    url_for_messages_ = detail::redact_url(opt_.endpoint);
    if (!detail::is_http_url(opt_.endpoint))
      report("OTLP exporter: the endpoint " + url_for_messages_ + " is not an http:// or https:// URL");
    if (opt_.compression == otlp_compression::gzip) {
#if defined(LLMTRACE_HAS_ZLIB)
      gzip_ = true;
#else
      report(
          "OTLP exporter: gzip compression was requested but llmtrace was built without zlib; sending "
          "uncompressed");
#endif
    }
    if (grpc_)
      build_grpc_request();
    else
      build_request();
  }
  ~basic_otlp_http_exporter() override { shutdown(std::chrono::milliseconds(0)); }
  basic_otlp_http_exporter(const basic_otlp_http_exporter&) = delete;
  basic_otlp_http_exporter& operator=(const basic_otlp_http_exporter&) = delete;

  /// Encodes and POSTs `spans`, retrying as the options say. Never throws; returns within the
  /// export timeout (plus the transport's own overrun), and at once after shutdown().
  export_result export_batch(const batch_type& spans) noexcept override {
    if (spans.empty()) return export_result::success;
    const std::uint64_t n = spans.size();
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (stopping_) {
        count_failure(n);
        return export_result::failure;
      }
      busy_ = true;
    }
    const export_result r = send_batch(spans, n);
    {
      std::lock_guard<std::mutex> lk(mu_);
      busy_ = false;
    }
    idle_cv_.notify_all();
    return r;
  }

  /// Nothing is buffered here: every export_batch call finishes its own request.
  bool force_flush(std::chrono::milliseconds /*timeout*/) noexcept override { return true; }

  /// Stops the exporter: later exports fail at once, a retry wait in progress ends now. Waits up to
  /// `timeout` for an export in progress to return; true when none is running any more.
  bool shutdown(std::chrono::milliseconds timeout) noexcept override {
    try {
      std::unique_lock<std::mutex> lk(mu_);
      stopping_ = true;
      wake_cv_.notify_all();
      if (grpc_ && owns_grpc_) grpc_->shutdown();  // ends a call in progress at once
      return idle_cv_.wait_for(lk, timeout, [&] { return !busy_; });
    } catch (...) {
      return false;
    }
  }

  /// A snapshot of the counters.
  otlp_http_stats stats() const noexcept {
    otlp_http_stats s;
    s.exported_spans = exported_.load(std::memory_order_relaxed);
    s.dropped_spans = dropped_.load(std::memory_order_relaxed);
    s.failed_batches = failed_batches_.load(std::memory_order_relaxed);
    s.retries = retries_.load(std::memory_order_relaxed);
    s.rejected_spans = rejected_.load(std::memory_order_relaxed);
    return s;
  }
  const otlp_http_options& options() const noexcept { return opt_; }

 private:
  using clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds summary_interval{60};

  /// What one attempt came to.
  struct attempt_result {
    enum kind_t { success, retryable, final } kind = final;
    std::string reason;  ///< for messages
    std::optional<std::chrono::milliseconds> retry_after;
  };

  void remember_secret(const std::string& value) {
    // Short values ("1", "yes") are not secrets and scrubbing them would garble numbers in messages.
    if (value.size() >= 4) secrets_.push_back(value);
    std::size_t start = 0;  // also the token of "Bearer <token>" and similar
    while (start < value.size()) {
      auto end = value.find(' ', start);
      if (end == std::string::npos) end = value.size();
      if (end - start >= 6 && end - start < value.size()) secrets_.push_back(value.substr(start, end - start));
      start = end + 1;
    }
  }

  void report(std::string message) noexcept {
    try {
      for (const auto& s : secrets_) detail::otlp_scrub(message, s);
      detail::report_error(message);
    } catch (...) {
    }
  }

  void build_request() {
    req_.method = "POST";
    req_.url = opt_.endpoint;
    req_.tls = opt_.tls;
    req_.headers.clear();
    req_.headers.push_back(
        {"Content-Type", opt_.protocol == otlp_protocol::http_json ? "application/json" : "application/x-protobuf"});
    if (gzip_) req_.headers.push_back({"Content-Encoding", "gzip"});
    bool user_agent = false;
    for (const auto& h : opt_.headers) {
      if (detail::iequals(h.name, "content-type") || detail::iequals(h.name, "content-encoding") ||
          detail::iequals(h.name, "content-length")) {
        report("OTLP exporter: ignoring the configured header " + h.name + " (the exporter sets it)");
        continue;
      }
      if (detail::iequals(h.name, "user-agent")) user_agent = true;
      req_.headers.push_back(h);
    }
    if (!user_agent) req_.headers.push_back({"User-Agent", "OTel-OTLP-Exporter-Cpp-llmtrace/" LLMTRACE_VERSION_STRING});
  }

  void build_grpc_request() {
    grpc_req_.target = opt_.endpoint;
    grpc_req_.method = std::string(otlp_grpc_method(Signal::signal));
    grpc_req_.tls = opt_.tls;
    grpc_req_.gzip = gzip_;
    for (const auto& h : opt_.headers) {
      if (detail::grpc_reserved_metadata(detail::to_lower(h.name))) {
        report("OTLP exporter: ignoring the configured header " + h.name + " (gRPC sets it)");
        continue;
      }
      grpc_req_.metadata.push_back(h);
    }
  }

  void count_failure(std::uint64_t n) noexcept {
    dropped_.fetch_add(n, std::memory_order_relaxed);
    failed_batches_.fetch_add(1, std::memory_order_relaxed);
  }

  export_result send_batch(const batch_type& spans, std::uint64_t n) noexcept {
    const auto deadline = clock::now() + opt_.timeout;
    try {
      encode(spans);
    } catch (...) {
      return give_up(n, "could not encode the batch (out of memory)");
    }
    for (std::uint32_t attempt = 1;; ++attempt) {
      const auto left = detail::time_left(deadline);
      if (left.count() == 0) return give_up(n, "the export timeout of " + ms_text(opt_.timeout) + " passed");
      attempt_result r;
      otlp::partial_success ps;
      try {
        if (grpc_) {
          grpc_req_.timeout = left;
          const http::grpc_response g = grpc_->call(grpc_req_);
          r = classify(g);
          if (r.kind == attempt_result::success) otlp::decode_export_response(g.message, ps);
        } else {
          req_.timeout = left;
          req_.connect_timeout = left;
          const http::response resp = transport_->send(req_);
          r = classify(resp);
          if (r.kind == attempt_result::success) ps = partial(resp);
        }
      } catch (...) {
        r.kind = attempt_result::final;
        r.reason = "could not read the response (out of memory)";
      }
      if (r.kind == attempt_result::success) {
        on_success(n, ps);
        return export_result::success;
      }
      if (r.kind == attempt_result::final) return give_up(n, r.reason);
      if (attempt >= opt_.retry.max_attempts)
        return give_up(n, r.reason + " (gave up after " + std::to_string(attempt) + " attempts)");
      const auto wait = r.retry_after ? *r.retry_after : backoff(attempt);
      if (clock::now() + wait >= deadline) {
        return give_up(n, r.reason + "; the next attempt (in " + ms_text(wait) + ") would pass the export timeout of " +
                              ms_text(opt_.timeout));
      }
      retries_.fetch_add(1, std::memory_order_relaxed);
      if (!wait_or_stop(wait)) return give_up(n, r.reason + "; retry abandoned because the exporter is shutting down");
    }
  }

  void encode(const batch_type& spans) {
    if (grpc_) {  // the channel frames (and compresses) the message
      Signal::encode(otlp_protocol::http_protobuf, spans, plain_);
      grpc_req_.message = plain_;
      return;
    }
    std::string& target = gzip_ ? plain_ : req_.body;
    Signal::encode(opt_.protocol, spans, target);
    if (gzip_) compress(plain_, req_.body);
  }

  void compress(const std::string& in, std::string& out) { gzip_compressor_.compress(in, out); }

  /// Exponential backoff for the wait after attempt `attempt` (1-based), with jitter in [50%, 100%].
  std::chrono::milliseconds backoff(std::uint32_t attempt) const noexcept {
    double ms = static_cast<double>(opt_.retry.initial_backoff.count());
    for (std::uint32_t i = 1; i < attempt; ++i) ms *= opt_.retry.backoff_multiplier;
    const double cap = static_cast<double>(opt_.retry.max_backoff.count());
    if (ms > cap) ms = cap;
    const double unit = static_cast<double>(detail::random_u64() >> 11) / 9007199254740992.0;  // [0, 1)
    return std::chrono::milliseconds(static_cast<long long>(ms * (0.5 + 0.5 * unit)));
  }

  /// Waits `d` unless shutdown() comes first; false when it did.
  bool wait_or_stop(std::chrono::milliseconds d) noexcept {
    try {
      std::unique_lock<std::mutex> lk(mu_);
      return !wake_cv_.wait_for(lk, d, [&] { return stopping_; });
    } catch (...) {
      return false;
    }
  }

  static std::string ms_text(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

  static bool retryable_status(int status) noexcept {
    return status == 429 || status == 502 || status == 503 || status == 504;
  }

  bool json_body(const http::response& resp) const noexcept {
    if (const auto ct = resp.find_header("Content-Type")) return ct->find("json") != std::string_view::npos;
    return opt_.protocol == otlp_protocol::http_json;
  }

  attempt_result classify(const http::response& resp) const {
    attempt_result r;
    if (!resp.transport_ok()) {
      const bool final_error = resp.error == http::error_kind::tls || resp.error == http::error_kind::aborted;
      r.kind = final_error ? attempt_result::final : attempt_result::retryable;
      r.reason = std::string(http::to_string(resp.error)) + " error" +
                 (resp.error_message.empty() ? std::string() : ": " + resp.error_message);
      return r;
    }
    if (resp.status >= 200 && resp.status < 300) {
      r.kind = attempt_result::success;
      return r;
    }
    r.kind = retryable_status(resp.status) ? attempt_result::retryable : attempt_result::final;
    r.reason = "HTTP " + std::to_string(resp.status) + error_detail(resp);
    if (r.kind == attempt_result::retryable)
      if (const auto ra = resp.find_header("Retry-After")) r.retry_after = detail::otlp_parse_retry_after(*ra);
    return r;
  }

  /// A gRPC answer: OK, or retryable as OTLP says (RetryInfo's delay taking Retry-After's place).
  static attempt_result classify(const http::grpc_response& g) {
    attempt_result r;
    if (g.ok()) {
      r.kind = attempt_result::success;
      return r;
    }
    r.kind = g.retryable() ? attempt_result::retryable : attempt_result::final;
    r.reason = g.describe();
    if (r.kind == attempt_result::retryable) r.retry_after = g.retry_delay;
    return r;
  }

  /// ": <google.rpc.Status message>" or a text excerpt of an error body ("" when there is none).
  std::string error_detail(const http::response& resp) const {
    if (resp.body.empty()) return {};
    std::string message;
    if (json_body(resp)) {
      const auto doc = nlohmann::json::parse(resp.body, nullptr, false);
      if (doc.is_object()) {
        const auto m = doc.find("message");
        if (m != doc.end() && m->is_string()) message = m->get<std::string>();
      }
    } else {
      otlp::rpc_status st;
      if (otlp::decode_rpc_status(resp.body, st) && !st.message.empty() && detail::is_valid_utf8(st.message))
        message = std::move(st.message);
    }
    if (message.empty()) message = detail::otlp_body_excerpt(resp.body);
    if (message.size() > 500) message = std::string(detail::utf8_prefix_bytes(message, 500)) + "...";
    return message.empty() ? std::string() : ": " + message;
  }

  /// Reads ExportTraceServiceResponse.partial_success from a 2xx body.
  otlp::partial_success partial(const http::response& resp) const {
    otlp::partial_success ps;
    if (resp.body.empty()) return ps;
    if (!json_body(resp)) {
      otlp::decode_export_response(resp.body, ps);
      return ps;
    }
    const auto doc = nlohmann::json::parse(resp.body, nullptr, false);
    if (!doc.is_object()) return ps;
    auto p = doc.find("partialSuccess");
    if (p == doc.end()) p = doc.find("partial_success");
    if (p == doc.end() || !p->is_object()) return ps;
    for (const char* key : {Signal::rejected_key, Signal::rejected_key_snake}) {
      const auto v = p->find(key);
      if (v == p->end()) continue;
      if (v->is_number_integer()) ps.rejected_spans = v->get<std::int64_t>();
      if (v->is_string()) ps.rejected_spans = std::strtoll(v->get<std::string>().c_str(), nullptr, 10);
    }
    for (const char* key : {"errorMessage", "error_message"}) {
      const auto v = p->find(key);
      if (v != p->end() && v->is_string()) ps.error_message = v->get<std::string>();
    }
    return ps;
  }

  void on_success(std::uint64_t n, const otlp::partial_success& ps) noexcept {
    const auto rejected = static_cast<std::uint64_t>(ps.rejected_spans > 0 ? ps.rejected_spans : 0);
    exported_.fetch_add(n - std::min(n, rejected), std::memory_order_relaxed);
    rejected_.fetch_add(rejected, std::memory_order_relaxed);
    try {
      std::string msg;
      {
        std::lock_guard<std::mutex> lk(report_mu_);
        if (failing_) {
          failing_ = false;
          msg = "OTLP export to " + url_for_messages_ + " works again";
          if (unreported_batches_)
            msg += "; " + std::to_string(unreported_batches_) + " more failed batches (" +
                   std::to_string(unreported_spans_) + " " + Signal::noun + ") were dropped since the last message";
          unreported_batches_ = unreported_spans_ = 0;
        }
      }
      if (!msg.empty()) report(std::move(msg));
      if (ps.any()) report_partial(ps);
    } catch (...) {
    }
  }

  void report_partial(const otlp::partial_success& ps) {
    const auto now = clock::now();
    std::string msg;
    {
      std::lock_guard<std::mutex> lk(report_mu_);
      if (partial_reported_ && now - last_partial_report_ < summary_interval) {
        ++unreported_partials_;
        unreported_rejected_ += static_cast<std::uint64_t>(ps.rejected_spans > 0 ? ps.rejected_spans : 0);
        return;
      }
      msg = "OTLP collector at " + url_for_messages_ +
            " accepted an export partially: " + std::to_string(ps.rejected_spans) + " " + Signal::noun + " rejected" +
            (ps.error_message.empty() ? std::string() : " (" + ps.error_message + ")");
      if (unreported_partials_)
        msg += "; " + std::to_string(unreported_partials_) + " earlier partial successes (" +
               std::to_string(unreported_rejected_) + " " + Signal::noun + " rejected) were not reported one by one";
      partial_reported_ = true;
      last_partial_report_ = now;
      unreported_partials_ = unreported_rejected_ = 0;
    }
    report(std::move(msg));
  }

  /// Counts a failed batch and reports it: the first failure at once, then one summary per
  /// summary_interval while failures continue.
  export_result give_up(std::uint64_t n, const std::string& reason) noexcept {
    count_failure(n);
    try {
      const auto now = clock::now();
      std::string msg;
      {
        std::lock_guard<std::mutex> lk(report_mu_);
        if (!failing_) {
          failing_ = true;
          msg = "OTLP export to " + url_for_messages_ + " failed: " + reason + "; " + std::to_string(n) + " " +
                Signal::noun +
                " dropped (further failures are summarised at most once a minute until an export succeeds)";
        } else if (now - last_failure_report_ >= summary_interval) {
          msg = "OTLP export to " + url_for_messages_ + " still failing: " + std::to_string(unreported_batches_ + 1) +
                " batches (" + std::to_string(unreported_spans_ + n) + " " + Signal::noun +
                ") dropped since the last message; last error: " + reason;
        } else {
          ++unreported_batches_;
          unreported_spans_ += n;
          return export_result::failure;
        }
        last_failure_report_ = now;
        unreported_batches_ = unreported_spans_ = 0;
      }
      report(std::move(msg));
    } catch (...) {
    }
    return export_result::failure;
  }

  otlp_http_options opt_;
  std::shared_ptr<http::transport> transport_;
  std::vector<std::string> secrets_;  // header values (and their tokens) scrubbed from messages
  std::string url_for_messages_;
  bool gzip_ = false;

  // Used by the exporting thread only.
  http::request req_;
  std::string plain_;                           // the uncompressed body when gzip is on (always, for grpc)
  std::shared_ptr<http::grpc_transport> grpc_;  // set for the grpc protocol
  bool owns_grpc_ = false;
  http::grpc_request grpc_req_;
  detail::gzip_compressor gzip_compressor_;

  std::mutex mu_;
  std::condition_variable wake_cv_;  // ends a retry wait at shutdown
  std::condition_variable idle_cv_;  // tells shutdown an export has returned
  bool stopping_ = false;
  bool busy_ = false;

  std::mutex report_mu_;
  bool failing_ = false;
  clock::time_point last_failure_report_{};
  std::uint64_t unreported_batches_ = 0, unreported_spans_ = 0;
  bool partial_reported_ = false;
  clock::time_point last_partial_report_{};
  std::uint64_t unreported_partials_ = 0, unreported_rejected_ = 0;

  std::atomic<std::uint64_t> exported_{0}, dropped_{0}, failed_batches_{0}, retries_{0}, rejected_{0};
};

/// The trace signal of the OTLP/HTTP exporter.
struct otlp_traces_signal {
  using base = exporter;
  using batch = span_batch;
  static constexpr otlp_signal signal = otlp_signal::traces;
  static constexpr const char* noun = "spans";
  static constexpr const char* rejected_key = "rejectedSpans";
  static constexpr const char* rejected_key_snake = "rejected_spans";
  static void encode(otlp_protocol protocol, const span_batch& spans, std::string& out) {
    if (protocol == otlp_protocol::http_json) {
      out.clear();
      otlp::append_json(out, spans);
    } else {
      otlp::encode_protobuf(spans, out);
    }
  }
};

}  // namespace detail

/// Sends batches of spans to an OpenTelemetry collector over OTLP/HTTP (POST <endpoint>, by default
/// .../v1/traces); see detail::basic_otlp_http_exporter for retries, failure reports and counters.
class otlp_http_exporter final : public detail::basic_otlp_http_exporter<detail::otlp_traces_signal> {
 public:
  using basic_otlp_http_exporter::basic_otlp_http_exporter;
};

LLMTRACE_END_NAMESPACE
