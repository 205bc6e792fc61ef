// llmtrace/ollama/client.hpp: the Ollama client: requests, streaming and errors (thrown as
// llmtrace::ollama::error). What each call records (one CLIENT span with the GenAI attributes,
// Ollama's timings, phase spans) is instrumentation.hpp's call_recorder; every request carries W3C
// traceparent. Thread-safety: a client is immutable after construction and may
// be used from any number of threads at once.
// Heavy: needs nlohmann_json, libcurl (LLMTRACE_HAS_CURL); link llmtrace::llmtrace.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/context.hpp>
#include <llmtrace/detail/env.hpp>
#include <llmtrace/detail/json_parse.hpp>
#include <llmtrace/detail/utf8.hpp>
#include <llmtrace/http/curl_transport.hpp>
#include <llmtrace/http/transport.hpp>
#include <llmtrace/ollama/codec.hpp>
#include <llmtrace/ollama/error.hpp>
#include <llmtrace/ollama/host.hpp>
#include <llmtrace/ollama/instrumentation.hpp>
#include <llmtrace/ollama/ndjson.hpp>
#include <llmtrace/ollama/time.hpp>
#include <llmtrace/ollama/types.hpp>
#include <llmtrace/propagation.hpp>
#include <llmtrace/provider.hpp>
#include <llmtrace/semconv.hpp>
#include <llmtrace/span.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE
namespace ollama {

/// Receives each chunk of a streamed chat; return false to stop the stream (the connection closes).
using chat_callback = std::function<bool(const chat_response& chunk)>;
/// Receives each chunk of a streamed generate; return false to stop the stream.
using generate_callback = std::function<bool(const generate_response& chunk)>;
/// Receives each progress object of a pull / push / create; return false to cancel (the connection
/// closes; the server stops the transfer). terminal_progress_bar (progress.hpp) is one.
using progress_callback = std::function<bool(const progress_response& progress)>;

/// How a client is built. The defaults work against a local daemon.
struct client_options {
  /// Base URL or OLLAMA_HOST-style value ("127.0.0.1:11434", "http://gpu-box", ...); empty: read
  /// OLLAMA_HOST (default http://127.0.0.1:11434). See parse_host for the rules.
  std::string host;
  /// Limit for connecting to the daemon (TCP, TLS).
  std::chrono::milliseconds connect_timeout{10000};
  /// Limit from sending a request to the first byte of the answer; 0: none (a cold load of a large
  /// model sends nothing for a long time). Enforced to about a second.
  std::chrono::milliseconds first_byte_timeout{0};
  /// Streamed calls: longest wait for the next complete NDJSON line (counted from the request for
  /// the first one, so it includes a cold load); a server trickling bytes without finishing a line
  /// cannot defeat it. 0: none. Enforced to about a second.
  std::chrono::milliseconds line_timeout{std::chrono::minutes(5)};
  /// Non-streamed calls: the whole-call deadline (the daemon sends nothing until the whole answer is
  /// ready; a slow CPU model can take minutes). 0: none.
  std::chrono::milliseconds response_timeout{std::chrono::minutes(10)};
  /// Longest silence while waiting for bytes; 0: none. Reset by every byte, so prefer the two above.
  std::chrono::milliseconds read_timeout{0};
  /// Whole-call limit for every call, streamed or not; 0: none (a long generation may take minutes).
  std::chrono::milliseconds timeout{0};
  /// Largest non-streamed or error body read (beyond it: ollama::error with the transport kind
  /// http::error_kind::too_large and the body's first bytes in the message).
  std::size_t max_body_bytes = http::default_max_body_bytes;
  /// HTTP transport; null: http::default_transport() (libcurl, shared connection pool).
  std::shared_ptr<http::transport> transport;
  /// Extra headers on every request (e.g. Authorization). When none is named Authorization and
  /// OLLAMA_API_KEY is set, `Authorization: Bearer $OLLAMA_API_KEY` is sent, as ollama-python does.
  std::vector<http::header> headers;
  http::tls_options tls;
  /// Record spans (on by default). Off: no spans, but traceparent is still sent.
  bool instrument = true;
  /// Record the GenAI client metrics and Ollama's own figures (on by default) to the global meter
  /// provider (llmtrace::metrics::global_meter_provider(); nothing is recorded until one is set).
  /// Independent of `instrument` and of sampling.
  bool record_metrics = true;
  /// The tracer for spans; default: "llmtrace.ollama" from the global provider at each call.
  std::optional<llmtrace::tracer> tracer;
  /// Content capture; default: OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT (read when the
  /// client is built).
  std::optional<content_capture> capture_content;
  /// A load_duration above this marks the call a cold start (ollama.cold_start).
  std::chrono::nanoseconds cold_start_threshold{std::chrono::seconds(1)};
  /// Longest NDJSON line accepted (the final generate chunk carries the whole `context`).
  std::size_t max_line_bytes = ndjson_reader::default_max_line_bytes;
  /// Send traceparent / tracestate with requests for cloud models too (`:cloud` / `-cloud` names:
  /// the server proxies them to ollama.com and copies every request header). Off by default: the
  /// trace context does not leave the machine unless you ask for it.
  bool propagate_to_cloud = false;
  /// Record where the model runs on inference and embeddings spans (ollama.model.size, size_vram,
  /// gpu_fraction) from Ollama's /api/ps. The answer is cached per client and asked again only after
  /// a cold start (load_duration above cold_start_threshold) or for a model not seen yet: no extra
  /// request per call in steady state. Off: /api/ps is never asked.
  bool record_gpu = true;
};

namespace detail {

inline std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 429:
      return "Too Many Requests";
    case 499:
      return "Client Closed Request";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

/// The server's message in an error response: {"error": "..."} (or OpenAI's {"error": {"message"}}),
/// else the plain-text body ("404 page not found"), else the status's reason phrase.
inline std::string server_message(const http::response& r) {
  const json j = llmtrace::detail::parse_json<json>(r.body).value;
  if (j.is_object()) {
    const auto e = j.find("error");
    if (e != j.end()) {
      if (e->is_string()) return e->get<std::string>();
      if (e->is_object() && e->contains("message") && (*e)["message"].is_string())
        return (*e)["message"].get<std::string>();
      return e->dump();
    }
  }
  const auto text = llmtrace::detail::trim(r.body);
  if (!text.empty()) return llmtrace::detail::sanitize_utf8(llmtrace::detail::utf8_prefix_bytes(text, 4096));
  const auto phrase = reason_phrase(r.status);
  return phrase.empty() ? "HTTP " + std::to_string(r.status) : std::string(phrase);
}

/// Where the loaded models run, from /api/ps, shared by a client and its copies (a small mutex; one
/// lookup per call that records a span, never a request unless the client refreshes it).
class residency_cache {
 public:
  struct entry {
    std::int64_t size = 0, size_vram = 0;  ///< size 0: not loaded when last asked
  };
  std::optional<entry> find(std::string_view key) const {
    std::lock_guard<std::mutex> lk(mu_);
    for (const auto& e : entries_)
      if (e.first == key) return e.second;
    return std::nullopt;
  }
  void replace(const ps_response& ps) {
    std::vector<std::pair<std::string, entry>> fresh;
    fresh.reserve(ps.models.size());
    for (const auto& m : ps.models)
      fresh.push_back({residency_key(m.model.empty() ? m.name : m.model), {m.size, m.size_vram}});
    std::lock_guard<std::mutex> lk(mu_);
    entries_ = std::move(fresh);
  }
  void remember_absent(std::string key) {
    std::lock_guard<std::mutex> lk(mu_);
    entries_.push_back({std::move(key), entry{}});
  }
  /// "llama3.2" and "registry.ollama.ai/library/llama3.2:latest" name the same model.
  static std::string residency_key(std::string_view model) {
    for (std::string_view prefix : {"registry.ollama.ai/library/", "registry.ollama.ai/", "library/"})
      if (model.size() > prefix.size() && model.substr(0, prefix.size()) == prefix) {
        model.remove_prefix(prefix.size());
        break;
      }
    std::string key(model);
    const std::size_t slash = key.rfind('/'), colon = key.rfind(':');
    if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) key += ":latest";
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return key;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, entry>> entries_;
};

/// Appends a streamed chat chunk to the running answer.
inline void merge_chunk(chat_response& into, chat_response&& chunk) {
  into.model = std::move(chunk.model);
  into.created_at = std::move(chunk.created_at);
  if (!chunk.message.role.empty()) into.message.role = std::move(chunk.message.role);
  if (!chunk.remote_model.empty()) into.remote_model = std::move(chunk.remote_model);
  if (!chunk.remote_host.empty()) into.remote_host = std::move(chunk.remote_host);
  into.message.content += chunk.message.content;
  into.message.thinking += chunk.message.thinking;
  for (auto& c : chunk.message.tool_calls) into.message.tool_calls.push_back(std::move(c));
  for (auto& i : chunk.message.images) into.message.images.push_back(std::move(i));
  if (chunk.done) {
    into.done = true;
    into.done_reason = std::move(chunk.done_reason);
    into.metrics = chunk.metrics;
  }
  if (!chunk.logprobs.is_null()) {
    if (!into.logprobs.is_array()) into.logprobs = json::array();
    if (chunk.logprobs.is_array())
      for (auto& l : chunk.logprobs) into.logprobs.push_back(std::move(l));
  }
}

/// Appends a streamed generate chunk to the running answer.
inline void merge_chunk(generate_response& into, generate_response&& chunk) {
  into.model = std::move(chunk.model);
  into.created_at = std::move(chunk.created_at);
  if (!chunk.remote_model.empty()) into.remote_model = std::move(chunk.remote_model);
  if (!chunk.remote_host.empty()) into.remote_host = std::move(chunk.remote_host);
  into.response += chunk.response;
  into.thinking += chunk.thinking;
  for (auto& c : chunk.tool_calls) into.tool_calls.push_back(std::move(c));
  if (chunk.done) {
    into.done = true;
    into.done_reason = std::move(chunk.done_reason);
    into.metrics = chunk.metrics;
    into.context = std::move(chunk.context);
  }
  if (!chunk.logprobs.is_null()) {
    if (!into.logprobs.is_array()) into.logprobs = json::array();
    if (chunk.logprobs.is_array())
      for (auto& l : chunk.logprobs) into.logprobs.push_back(std::move(l));
  }
}

inline const std::string& text_of(const chat_response& r) noexcept { return r.message.content; }
inline const std::string& text_of(const generate_response& r) noexcept { return r.response; }
inline const std::string& thinking_of(const chat_response& r) noexcept { return r.message.thinking; }
inline const std::string& thinking_of(const generate_response& r) noexcept { return r.thinking; }

}  // namespace detail

// What each call records: see "What one call records" in instrumentation.hpp.

/// The Ollama client (native API). Every method either returns the server's answer or throws
/// ollama::error; nothing is retried automatically (error::retryable() says when a retry may help).
class client {
 public:
  /// A client for OLLAMA_HOST (default http://127.0.0.1:11434) with default settings.
  client() : client(client_options{}) {}
  explicit client(client_options opts) : opts_(std::move(opts)) {
    host_ = opts_.host.empty() ? host_from_env() : parse_host(opts_.host);
    base_url_ = host_.base_url();
    if (!opts_.transport) opts_.transport = http::default_transport();
    capture_ = opts_.capture_content ? *opts_.capture_content : content_capture_from_env();
    bool has_auth = false;
    for (const auto& h : opts_.headers)
      if (llmtrace::detail::iequals(h.name, "authorization")) has_auth = true;
    if (!has_auth)
      if (const auto key = llmtrace::detail::get_env("OLLAMA_API_KEY"))
        opts_.headers.push_back({"Authorization", "Bearer " + *key});
  }

  /// POST /api/chat, not streamed: the whole answer (content, thinking and tool calls joined).
  /// An empty `messages` loads the model (done_reason "load"; with keep_alive 0, "unload").
  chat_response chat(const chat_request& req) const {
    return inference<chat_response>(req, static_cast<const chat_callback*>(nullptr));
  }
  /// POST /api/chat, streamed: `on_chunk` sees every chunk as it arrives. Returns the joined answer
  /// (done is false when the callback stopped the stream early).
  chat_response chat(const chat_request& req, const chat_callback& on_chunk) const {
    return inference<chat_response>(req, &on_chunk);
  }
  /// POST /api/generate, not streamed. An empty prompt loads the model.
  generate_response generate(const generate_request& req) const {
    return inference<generate_response>(req, static_cast<const generate_callback*>(nullptr));
  }
  /// POST /api/generate, streamed (see chat).
  generate_response generate(const generate_request& req, const generate_callback& on_chunk) const {
    return inference<generate_response>(req, &on_chunk);
  }

  /// POST /api/embed: one L2-normalised vector per input.
  embed_response embed(const embed_request& req) const {
    static const std::string endpoint = "/api/embed";
    detail::call_recorder rec(opts_.instrument, tracer(), semconv::op_embeddings, endpoint, req.model, host_, false,
                              opts_.record_metrics);
    rec.embeddings_request(static_cast<std::int64_t>(req.input.size()), req.dimensions, req.keep_alive);
    auto out = fetch<embed_response>(rec, "POST", endpoint, encode(req), req.model);
    rec.response(out.model, {}, out.metrics, false, opts_.cold_start_threshold);
    if (!req.dimensions && !out.embeddings.empty()) rec.dimensions(out.embeddings.front().size());
    record_residency(rec, req.model, out.metrics);
    return out;
  }

  /// POST /api/embeddings (legacy): one vector, not normalised.
  embeddings_response embeddings(const embeddings_request& req) const {
    static const std::string endpoint = "/api/embeddings";
    detail::call_recorder rec(opts_.instrument, tracer(), semconv::op_embeddings, endpoint, req.model, host_, false,
                              opts_.record_metrics);
    rec.embeddings_request(1, std::nullopt, req.keep_alive);
    auto out = fetch<embeddings_response>(rec, "POST", endpoint, encode(req), req.model);
    if (!out.embedding.empty()) rec.dimensions(out.embedding.size());
    record_residency(rec, req.model, out_metrics_none());
    return out;
  }

  /// GET /api/tags: the models available locally.
  list_response list_models() const { return untraced<list_response>("GET", "/api/tags", {}); }
  /// Same as list_models().
  list_response tags() const { return list_models(); }
  /// POST /api/show: details of one model (404 error for an unknown model).
  show_response show(const show_request& req) const {
    return untraced<show_response>("POST", "/api/show", encode(req));
  }
  show_response show(const std::string& model) const { return show(show_request{model, false}); }
  /// POST /api/pull: downloads a model, streaming progress to `on_progress` (may be empty). Returns
  /// when the server reports "success" (or the callback cancelled); throws ollama::error otherwise
  /// (an {"error"} line, a stream that ends without "success", a failed request). One CLIENT span
  /// `ollama.pull {model}`.
  progress_result pull(const pull_request& req, const progress_callback& on_progress = {}) const {
    return progress_call("ollama.pull", "/api/pull", req.model, encode(req), on_progress);
  }
  progress_result pull(const std::string& model, const progress_callback& on_progress = {}) const {
    return pull(pull_request{model, false}, on_progress);
  }
  /// POST /api/push: uploads `namespace/model:tag` to its registry (see pull).
  progress_result push(const push_request& req, const progress_callback& on_progress = {}) const {
    return progress_call("ollama.push", "/api/push", req.model, encode(req), on_progress);
  }
  /// POST /api/create: a model from an existing one with a system prompt, parameters, ... (see pull).
  progress_result create(const create_request& req, const progress_callback& on_progress = {}) const {
    return progress_call("ollama.create", "/api/create", req.model, encode(req), on_progress);
  }
  /// POST /api/copy: `destination` becomes another name for `source` (404 error when it is absent).
  void copy(const copy_request& req) const {
    management_call("ollama.copy", "POST", "/api/copy", req.source, encode(req));
  }
  void copy(const std::string& source, const std::string& destination) const {
    copy(copy_request{source, destination});
  }
  /// DELETE /api/delete: removes a model (404 error when it is absent).
  void delete_model(const std::string& model) const {
    json o = json::object();
    o["model"] = model;
    management_call("ollama.delete", "DELETE", "/api/delete", model, o.dump());
  }

  /// GET /api/ps: the models loaded now.
  ps_response ps() const { return untraced<ps_response>("GET", "/api/ps", {}); }
  /// GET /api/version: the server's version string (e.g. "0.33.0-rc2").
  std::string version() const {
    detail::call_recorder none(false, {}, {}, {}, {}, host_, false);
    const json j = call_json(none, "GET", "/api/version", {});
    return detail::get_string(j, "version");
  }
  /// GET /: true when the server answers "Ollama is running". Never throws.
  bool is_running() const noexcept {
    try {
      const auto r = opts_.transport->send(make_request("GET", "/", {}, false));
      return r.ok() && llmtrace::detail::trim(r.body) == "Ollama is running";
    } catch (...) {
      return false;
    }
  }

  /// The resolved server location.
  const host_config& host() const noexcept { return host_; }
  /// e.g. "http://127.0.0.1:11434".
  const std::string& base_url() const noexcept { return base_url_; }
  content_capture capture_mode() const noexcept { return capture_; }
  const client_options& config() const noexcept { return opts_; }
  /// The tracer calls record with now.
  llmtrace::tracer tracer() const { return opts_.tracer ? *opts_.tracer : default_tracer(); }

 private:
  static const std::string& endpoint_of(const chat_request&) {
    static const std::string e = "/api/chat";
    return e;
  }
  static const std::string& endpoint_of(const generate_request&) {
    static const std::string e = "/api/generate";
    return e;
  }
  static std::string_view operation_of(const chat_request&) noexcept { return semconv::op_chat; }
  static std::string_view operation_of(const generate_request&) noexcept { return semconv::op_text_completion; }
  static std::int64_t message_count(const chat_request& r) noexcept {
    return static_cast<std::int64_t>(r.messages.size());
  }
  static std::int64_t message_count(const generate_request& r) noexcept { return r.prompt.empty() ? 0 : 1; }
  static bool has_images(const chat_request& r) noexcept {
    for (const auto& m : r.messages)
      if (!m.images.empty()) return true;
    return false;
  }
  static bool has_images(const generate_request& r) noexcept { return !r.images.empty(); }
  static const std::vector<tool_call>& tool_calls_of(const chat_response& r) noexcept { return r.message.tool_calls; }
  static const std::vector<tool_call>& tool_calls_of(const generate_response& r) noexcept { return r.tool_calls; }

  /// `model`: the model the request is for; a cloud model gets no trace context unless
  /// client_options::propagate_to_cloud.
  http::request make_request(std::string_view method, std::string_view path, std::string body, bool streaming,
                             std::string_view model = {}) const {
    http::request r;
    r.method = std::string(method);
    r.url = base_url_;
    r.url.append(path.data(), path.size());
    r.body = std::move(body);
    r.connect_timeout = opts_.connect_timeout;
    r.first_byte_timeout = opts_.first_byte_timeout;
    r.read_timeout = opts_.read_timeout;
    r.timeout = opts_.timeout;
    if (streaming) {
      r.line_timeout = opts_.line_timeout;
    } else if (opts_.response_timeout.count() > 0 && (r.timeout.count() == 0 || opts_.response_timeout < r.timeout)) {
      r.timeout = opts_.response_timeout;
    }
    r.max_body_bytes = opts_.max_body_bytes;
    r.tls = opts_.tls;
    r.headers.reserve(opts_.headers.size() + 5);
    if (!r.body.empty()) r.headers.push_back({"Content-Type", "application/json"});
    r.headers.push_back({"Accept", streaming ? "application/x-ndjson" : "application/json"});
    r.headers.push_back({"User-Agent", "llmtrace/" LLMTRACE_VERSION_STRING " (ollama; C++)"});
    for (const auto& h : opts_.headers) r.headers.push_back(h);
    auto setter = [&r](std::string_view name, std::string_view value) {
      r.headers.push_back({std::string(name), std::string(value)});
    };
    if (opts_.propagate_to_cloud || !is_cloud_model(model)) llmtrace::inject(setter);
    return r;
  }

  [[noreturn]] static void throw_http(const std::string& endpoint, const http::response& r, std::string partial = {},
                                      std::string partial_thinking = {}) {
    if (!r.transport_ok())
      throw error(error_reason::transport, endpoint, 0, r.status, r.error, r.error_message, std::move(partial),
                  std::move(partial_thinking));
    std::string signin_url;
    if (r.status == 401) {  // cloud models while signed out: {"error":"unauthorized","signin_url":...}
      const json j = llmtrace::detail::parse_json<json>(r.body).value;
      if (j.is_object()) signin_url = detail::get_string(j, "signin_url");
    }
    throw error(error_reason::http_status, endpoint, r.status, r.status, http::error_kind::none,
                detail::server_message(r), std::move(partial), std::move(partial_thinking), std::move(signin_url));
  }

  /// Parses a body or stream line from the server (nesting bounded; see detail::parse_json):
  /// a JSON object, or ollama::error (invalid_response) saying why not.
  static json parse_object(std::string_view text, const std::string& endpoint, int status, const char* what) {
    auto parsed = llmtrace::detail::parse_json<json>(text);
    if (parsed.ok() && parsed.value.is_object()) return std::move(parsed.value);
    std::string why = std::string(what) + " is not a JSON object (" + std::to_string(text.size()) + " bytes)";
    if (parsed.too_deep) why = std::string(what) + ": " + parsed.error;
    throw error(error_reason::invalid_response, endpoint, status, status, http::error_kind::none, std::move(why));
  }

  /// A non-streamed call: checks the transport and the status, then parses the JSON object.
  json call_json(detail::call_recorder& rec, std::string_view method, const std::string& endpoint, std::string body,
                 std::string_view model = {}) const {
    const http::request hr = make_request(method, endpoint, std::move(body), false, model);
    rec.request_sent();
    const http::response r = opts_.transport->send(hr);
    rec.response_received();
    if (!r.ok()) throw_http(endpoint, r);
    json j = parse_object(r.body, endpoint, r.status, "the body");
    const auto e = j.find("error");
    if (e != j.end())
      throw error(error_reason::stream_error, endpoint, -1, r.status, http::error_kind::none,
                  e->is_string() ? e->get<std::string>() : e->dump());
    return j;
  }

  /// A non-streamed call decoded into `Response`; failures are recorded on `rec` and rethrown.
  template <typename Response>
  Response fetch(detail::call_recorder& rec, std::string_view method, const std::string& endpoint, std::string body,
                 std::string_view model = {}) const {
    Response out;
    try {
      decode(call_json(rec, method, endpoint, std::move(body), model), out);
    } catch (...) {
      rec.failed(std::current_exception());
      throw;
    }
    return out;
  }

  /// Model-management calls: no span (the caller's context still propagates).
  template <typename Response>
  Response untraced(std::string_view method, const std::string& endpoint, std::string body) const {
    detail::call_recorder none(false, {}, {}, {}, {}, host_, false);
    return fetch<Response>(none, method, endpoint, std::move(body));
  }

  /// Chat and generate, streamed (on_chunk set) or not.
  template <typename Response, typename Request, typename Callback>
  Response inference(const Request& req, const Callback* on_chunk) const {
    const std::string& endpoint = endpoint_of(req);
    const bool streaming = on_chunk != nullptr;
    const llmtrace::tracer t = tracer();
    detail::call_recorder rec(opts_.instrument, t, operation_of(req), endpoint, req.model, host_, streaming,
                              opts_.record_metrics);
    rec.input_has_images(has_images(req));
    captured_content content;
    if (rec.recording()) {
      rec.request(req);
      rec.span().set_attribute(semconv::ollama_request_message_count, message_count(req));
      if constexpr (std::is_same_v<Request, chat_request>)
        if (!req.tools.empty())
          rec.span().set_attribute(semconv::ollama_request_tool_count, static_cast<std::int64_t>(req.tools.size()));
      if (capture_ != content_capture::no_content) capture_input(req, rec.value_limit(), content);
    }
    Response out;
    bool cancelled = false;
    try {
      std::string body = encode(req, streaming);
      if (streaming)
        cancelled = !stream(rec, endpoint, std::move(body), *on_chunk, out, req.model);
      else
        decode(call_json(rec, "POST", endpoint, std::move(body), req.model), out);  // failures recorded below
    } catch (...) {
      rec.failed(std::current_exception());  // first: the events repeat the span's error.type
      if (rec.recording() && capture_ != content_capture::no_content) detail_record(rec, content);
      if (rec.recording() && captures_on_event(capture_)) exception_event(rec.span(), std::current_exception());
      throw;
    }
    rec.response(out.model, out.done_reason, out.metrics, true, opts_.cold_start_threshold,
                 !tool_calls_of(out).empty());
    if (rec.recording()) {
      if (cancelled) rec.cancelled();
      record_residency(rec, req.model, out.metrics);
      if (!tool_calls_of(out).empty())
        rec.span().set_attribute(semconv::ollama_response_tool_call_count,
                                 static_cast<std::int64_t>(tool_calls_of(out).size()));
      if (capture_ != content_capture::no_content) {
        capture_output(out, rec.value_limit(), content);
        detail_record(rec, content);
      }
    }
    return out;
  }

  /// gen_ai.client.operation.exception (WARN) for a failed call, in the EVENT content modes.
  static void exception_event(const llmtrace::span& s, std::exception_ptr ep) noexcept {
    try {
      std::rethrow_exception(ep);
    } catch (const error& e) {
      genai::emit_operation_exception(s, "llmtrace::ollama::error", e.what());
    } catch (const std::exception& e) {
      try {
        genai::emit_operation_exception(s, llmtrace::detail::exception_type_name(e), e.what());
      } catch (...) {
      }
    } catch (...) {
      genai::emit_operation_exception(s, semconv::error_type_other, "unknown exception");
    }
  }

  void detail_record(detail::call_recorder& rec, const captured_content& content) const {
    try {
      record_content(rec.span(), capture_, content);
    } catch (...) {
    }
  }

  static void capture_input(const chat_request& req, std::size_t limit, captured_content& c) {
    try {
      // System messages are part of the chat history: they stay in gen_ai.input.messages (GenAI
      // v0.1.0); gen_ai.system_instructions is for instructions given apart (generate's `system`).
      c.input_messages = input_messages_json(req.messages, limit, c.truncated);
      c.tool_definitions = tool_definitions_json(req.tools, limit, c.truncated);
    } catch (...) {
    }
  }
  static void capture_input(const generate_request& req, std::size_t limit, captured_content& c) {
    try {
      if (!req.system.empty()) c.system_instructions = system_instructions_json({req.system}, limit, c.truncated);
      message m = message::user(req.prompt, req.images);
      c.input_messages = input_messages_json({m}, limit, c.truncated);
    } catch (...) {
    }
  }
  /// `tool_call` when the answer asks for tool calls (Ollama reports "stop"), else Ollama's reason.
  static std::string_view finish_reason_of(const std::string& done_reason, const std::vector<tool_call>& calls) {
    return calls.empty() ? std::string_view(done_reason) : semconv::finish_reason_tool_call;
  }
  static void capture_output(const chat_response& r, std::size_t limit, captured_content& c) {
    try {
      c.output_messages =
          output_messages_json(r.message, finish_reason_of(r.done_reason, r.message.tool_calls), limit, c.truncated);
    } catch (...) {
    }
  }
  static void capture_output(const generate_response& r, std::size_t limit, captured_content& c) {
    try {
      message m = message::assistant(r.response);
      m.thinking = r.thinking;
      c.output_messages = output_messages_json(m, finish_reason_of(r.done_reason, r.tool_calls), limit, c.truncated);
    } catch (...) {
    }
  }

  /// Streams an NDJSON response into `out`, calling `on_chunk` for every chunk. Returns false when
  /// the callback stopped the stream; throws ollama::error for every failure (the status is checked
  /// before any line is parsed; an {"error"} line, a broken connection or a missing done:true chunk
  /// keep the partial content on the error).
  template <typename Response, typename Callback>
  bool stream(detail::call_recorder& rec, const std::string& endpoint, std::string body, const Callback& on_chunk,
              Response& out, std::string_view model) const {
    const http::request hr = make_request("POST", endpoint, std::move(body), true, model);
    ndjson_reader reader(opts_.max_line_bytes);
    bool done = false;
    bool stopped = false;
    bool error_line = false;
    std::string error_message;
    std::string invalid;
    std::exception_ptr thrown;

    auto on_line = [&](std::string_view line) -> bool {
      if (error_line) return true;  // drain what follows the error line (the server ends the stream)
      try {
        auto parsed = llmtrace::detail::parse_json<json>(line);
        if (!parsed.ok() || !parsed.value.is_object()) {
          invalid = parsed.too_deep ? "a stream line: " + parsed.error
                                    : "a stream line is not a JSON object (" + std::to_string(line.size()) + " bytes)";
          return false;
        }
        json& j = parsed.value;
        const auto e = j.find("error");
        if (e != j.end()) {
          error_line = true;
          error_message = e->is_string() ? e->get<std::string>() : e->dump();
          return true;
        }
        Response chunk;
        decode(std::move(j), chunk);
        const bool last = chunk.done;
        rec.chunk(last, chunk.model);
        bool go_on = on_chunk(chunk);
        detail::merge_chunk(out, std::move(chunk));
        if (last) {
          done = true;
          go_on = true;  // the answer is complete: stopping now changes nothing
        }
        if (!go_on) stopped = true;
        return go_on;
      } catch (...) {
        thrown = std::current_exception();
        return false;
      }
    };
    bool too_long = false;
    rec.request_sent();
    const http::response r = opts_.transport->stream(hr, [&](std::string_view bytes) {
      const ndjson_status st = reader.feed(bytes, on_line);
      if (st == ndjson_status::line_too_long) too_long = true;
      return st == ndjson_status::ok;
    });
    if (r.transport_ok() && r.ok()) {
      reader.finish(on_line);
      rec.response_received();
    }

    if (thrown) std::rethrow_exception(thrown);
    if (stopped) return false;
    if (too_long)
      throw error(error_reason::invalid_response, endpoint, r.status, r.status, http::error_kind::none,
                  "a stream line is longer than " + std::to_string(reader.max_line_bytes()) + " bytes",
                  detail::text_of(out), detail::thinking_of(out));
    if (!invalid.empty())
      throw error(error_reason::invalid_response, endpoint, r.status, r.status, http::error_kind::none, invalid,
                  detail::text_of(out), detail::thinking_of(out));
    if (error_line)
      throw error(error_reason::stream_error, endpoint, -1, r.status, http::error_kind::none, error_message,
                  detail::text_of(out), detail::thinking_of(out));
    if (!r.ok()) throw_http(endpoint, r, detail::text_of(out), detail::thinking_of(out));
    if (!done)
      throw error(error_reason::incomplete_stream, endpoint, -1, r.status, http::error_kind::none,
                  "the stream ended without a done:true chunk", detail::text_of(out), detail::thinking_of(out));
    return true;
  }

  static const metrics& out_metrics_none() noexcept {
    static const metrics none;
    return none;
  }

  /// Records where `model` runs on the call's span (see client_options::record_gpu). Asks /api/ps
  /// (untraced) only after a cold start or for a model the cache has not seen; never throws.
  void record_residency(detail::call_recorder& rec, const std::string& model, const metrics& m) const noexcept {
    if (!opts_.record_gpu || !rec.recording() || model.empty() || is_cloud_model(model)) return;
    try {
      const std::string key = detail::residency_cache::residency_key(model);
      const bool cold = m.load_duration && *m.load_duration > opts_.cold_start_threshold.count();
      auto hit = residency_->find(key);
      if (!hit || cold) {
        residency_->replace(ps());
        hit = residency_->find(key);
        if (!hit) {
          residency_->remember_absent(key);  // not loaded (keep_alive 0): ask again after a cold start
          return;
        }
      }
      if (hit->size > 0) rec.residency(hit->size, hit->size_vram);
    } catch (...) {
    }
  }

  /// copy / delete: one request, success is any 2xx (the body, if any, is not needed).
  void management_call(std::string_view operation, std::string_view method, const std::string& endpoint,
                       const std::string& model, std::string body) const {
    detail::management_recorder rec(opts_.instrument, tracer(), operation, endpoint, model, host_);
    try {
      const http::response r = opts_.transport->send(make_request(method, endpoint, std::move(body), false, model));
      if (!r.ok()) throw_http(endpoint, r);
    } catch (...) {
      rec.failed(std::current_exception());
      throw;
    }
  }

  /// pull / push / create: an NDJSON stream of progress objects ending in {"status":"success"}.
  progress_result progress_call(std::string_view operation, const std::string& endpoint, const std::string& model,
                                std::string body, const progress_callback& on_progress) const {
    detail::management_recorder rec(opts_.instrument, tracer(), operation, endpoint, model, host_);
    progress_result out;
    try {
      progress_stream(endpoint, std::move(body), model, on_progress, out);
    } catch (...) {
      rec.progress(out);
      rec.failed(std::current_exception());
      throw;
    }
    rec.progress(out);
    return out;
  }

  void progress_stream(const std::string& endpoint, std::string body, const std::string& model,
                       const progress_callback& on_progress, progress_result& out) const {
    const http::request hr = make_request("POST", endpoint, std::move(body), true, model);
    ndjson_reader reader(opts_.max_line_bytes);
    std::vector<std::pair<std::string, std::pair<std::int64_t, std::int64_t>>> layers;  // digest -> total, done
    bool success = false, error_line = false;
    std::string error_message, invalid;
    std::exception_ptr thrown;
    auto on_line = [&](std::string_view line) -> bool {
      if (error_line) return true;
      try {
        json j = parse_object(line, endpoint, 200, "a progress line");
        const auto e = j.find("error");
        if (e != j.end()) {
          error_line = true;
          error_message = e->is_string() ? e->get<std::string>() : e->dump();
          return true;
        }
        progress_response p;
        decode(std::move(j), p);
        out.status = p.status;
        if (!p.digest.empty()) {
          auto it = std::find_if(layers.begin(), layers.end(), [&](const auto& l) { return l.first == p.digest; });
          if (it == layers.end()) it = layers.insert(layers.end(), {p.digest, {0, 0}});
          it->second.first = std::max(it->second.first, p.total);
          it->second.second = std::max(it->second.second, p.completed);
          out.layers = layers.size();
          out.total_bytes = out.completed_bytes = 0;
          for (const auto& l : layers) {
            out.total_bytes += l.second.first;
            out.completed_bytes += l.second.second;
          }
        }
        if (p.status == "success") success = true;
        if (on_progress && !on_progress(p)) {
          out.cancelled = !success;
          return success;  // after "success" there is nothing left to cancel
        }
        return true;
      } catch (const error& e) {
        invalid = e.server_message();
        return false;
      } catch (...) {
        thrown = std::current_exception();
        return false;
      }
    };
    bool too_long = false;
    const http::response r = opts_.transport->stream(hr, [&](std::string_view bytes) {
      const ndjson_status st = reader.feed(bytes, on_line);
      if (st == ndjson_status::line_too_long) too_long = true;
      return st == ndjson_status::ok;
    });
    if (r.transport_ok() && r.ok()) reader.finish(on_line);
    if (thrown) std::rethrow_exception(thrown);
    if (out.cancelled) return;
    if (too_long)
      throw error(error_reason::invalid_response, endpoint, r.status, r.status, http::error_kind::none,
                  "a progress line is longer than " + std::to_string(reader.max_line_bytes()) + " bytes");
    if (!invalid.empty())
      throw error(error_reason::invalid_response, endpoint, r.status, r.status, http::error_kind::none, invalid);
    if (error_line)
      throw error(error_reason::stream_error, endpoint, -1, r.status, http::error_kind::none, error_message);
    if (!r.ok()) throw_http(endpoint, r);
    if (!success)
      throw error(error_reason::incomplete_stream, endpoint, -1, r.status, http::error_kind::none,
                  "the stream ended without a \"success\" status");
  }

  client_options opts_;
  std::shared_ptr<detail::residency_cache> residency_ = std::make_shared<detail::residency_cache>();
  host_config host_;
  std::string base_url_;
  content_capture capture_ = content_capture::no_content;
};

namespace detail {

/// What the /api/ps gauges read: the last answer, reused for a second so that the gauges of one
/// collection share one request.
struct loaded_models_state {
  explicit loaded_models_state(client cl) : c(std::move(cl)) {}
  client c;
  std::mutex mu;
  std::chrono::steady_clock::time_point fetched{};
  std::vector<running_model> models;
  bool reported = false;

  void observe(llmtrace::metrics::observer& o, bool vram) {
    std::lock_guard<std::mutex> lk(mu);
    const auto now = std::chrono::steady_clock::now();
    if (fetched == std::chrono::steady_clock::time_point{} || now - fetched >= std::chrono::seconds(1)) {
      fetched = now;
      try {
        models = c.ps().models;
      } catch (const std::exception& e) {
        models.clear();
        if (!reported) {
          reported = true;
          llmtrace::detail::report_error(std::string("ollama: the loaded-model gauges could not read /api/ps (") +
                                         e.what() + "); they report nothing until it answers");
        }
      }
    }
    for (const auto& m : models) {
      const std::string& name = m.model.empty() ? m.name : m.model;
      const std::int64_t total = std::max<std::int64_t>(m.size, 0);
      const std::int64_t bytes = vram ? std::min(std::max<std::int64_t>(m.size_vram, 0), total) : total;
      o.observe(bytes, {{semconv::ollama_model_name, name}});
    }
  }
};

}  // namespace detail

/// Opt-in (it makes a request per collection): two observable gauges of the models loaded now, from
/// the daemon's /api/ps, on the global meter provider's "llmtrace.ollama" meter:
///   ollama.model.memory.vram   By  bytes of the model in GPU memory (size_vram)
///   ollama.model.memory.total  By  bytes of the model (size)
/// each with ollama.model.name. One /api/ps request per collection (the two gauges share it), made
/// by a copy of `c` (same host, transport, headers) with the whole request bounded by `timeout`; a
/// daemon that does not answer makes the gauges report nothing (said once through the error
/// handler). Call it after installing the meter provider; a second call for the same provider does
/// nothing (the first client's daemon is observed). Returns false (and registers nothing) when the
/// global meter provider is the no-op one.
inline bool observe_loaded_models(const client& c, std::chrono::milliseconds timeout = std::chrono::seconds(2)) {
  auto& mp = llmtrace::metrics::global_meter_provider();
  if (!mp.enabled()) return false;
  {
    static std::mutex mu;
    static auto* done = new std::vector<const llmtrace::metrics::meter_provider*>();  // never freed
    std::lock_guard<std::mutex> lk(mu);
    if (std::find(done->begin(), done->end(), &mp) != done->end()) return true;
    done->push_back(&mp);
  }
  client_options o = c.config();
  o.host = c.base_url();
  o.timeout = timeout;
  o.response_timeout = timeout;
  o.connect_timeout = std::min(o.connect_timeout, timeout);
  o.instrument = false;
  o.record_metrics = false;
  auto st = std::make_shared<detail::loaded_models_state>(client(std::move(o)));
  auto m = mp.get_meter(semconv::ollama_instrumentation_scope, LLMTRACE_VERSION_STRING, semconv::genai_schema_url);
  m.create_int64_observable_gauge(
      semconv::metric_ollama_model_vram, [st](llmtrace::metrics::observer& ob) { st->observe(ob, true); }, "By",
      "Bytes of a loaded model in GPU memory (Ollama /api/ps).");
  m.create_int64_observable_gauge(
      semconv::metric_ollama_model_total, [st](llmtrace::metrics::observer& ob) { st->observe(ob, false); }, "By",
      "Bytes of a loaded model (Ollama /api/ps).");
  return true;
}

}  // namespace ollama
LLMTRACE_END_NAMESPACE
