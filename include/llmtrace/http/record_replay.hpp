// llmtrace/http/record_replay.hpp: record real HTTP traffic to a human-readable JSON-lines file,
// then replay it deterministically: tests of LLM code that need no model and give the same answers,
// timings aside, on every run. Thread-safety: both transports may be used from several threads.
//
// Recording: wrap the transport your client uses, run your code once against a real daemon.
//
//     auto rec = std::make_shared<llmtrace::http::recording_transport>(
//         llmtrace::http::default_transport(), "tests/data/chat.jsonl", llmtrace::http::recording_options{"llama3.2 on
//         my laptop"});
//     llmtrace::ollama::client_options options;
//     options.transport = rec;
//     llmtrace::ollama::client ollama(options);
//
// Replaying: the same code with a replay_transport; no daemon, no network.
//
//     options.transport = std::make_shared<llmtrace::http::replay_transport>("tests/data/chat.jsonl");
//
// File format (one JSON object per line, UTF-8). The first line is a header,
//   {"llmtrace_recording":2,"label":"..."}
// and each further line one exchange:
//   {"request":{"method":"POST","path":"/api/chat","body":{...}},
//    "response":{"status":200,"headers":[["Content-Type","application/x-ndjson"]],
//                "chunks":["{...}\n","{...}\n"]}}
// Bytes are kept exactly. A body is written as JSON when that reproduces its bytes exactly, else as
// a string when it is valid UTF-8, else as `"body_base64"` (standard base64) instead of `"body"`. A
// streamed 2xx response keeps its bytes as `chunks`, split where they arrived (a chunk that is not
// valid UTF-8 on its own, e.g. one ending inside a multi-byte character, is written as
// `{"base64":"..."}`), and is replayed through the data callback piece by piece; any other response
// keeps `body`. Version 1 files (no base64) are read as before. Readers ignore fields they do not
// know, so later versions can add fields (timings, redaction marks) without breaking older files;
// a file whose version is newer than this reader's is refused with a clear error. JSON nested deeper
// than 256 levels in a line is refused too (detail/json_parse.hpp).
// When the exchange was timed, "response" also holds
// `"timing":{"headers_us":N,"chunks_us":[...],"end_us":N}`: microseconds from sending the request to
// the response headers, to each streamed chunk's arrival, and to the end of the response. (The
// transport interface reports no separate header event: headers_us is the first chunk's arrival for a
// stream, where Ollama sends its headers with the first chunk, and the end for a whole response.) A
// recording without timing replays at once. A request that got no response
// keeps `"error":"connect"` (an http::error_kind name) and `"error_message"`. Request headers are
// never written (they may carry credentials). Lines starting with `//` are comments; edit freely.
//
// Matching: method + path (with any query, without scheme, host and port) + the canonical body
// (JSON parsed and re-serialised with sorted keys, so key order and spacing do not matter). Headers
// are not compared (traceparent changes on every run). Identical requests are answered in recorded
// order; once a request's recordings are used up, its last one is repeated (set
// replay_options::repeat_last = false to make that an error instead).
//
// A request with no recording gets no exception (transports never throw): replay returns an
// http::response with `error == error_kind::other`, status 0, and an `error_message` beginning with
// "llmtrace replay: no recording for " followed by the method, path and body (shortened), plus the
// recorded requests for that path when there are any.
//
// Timing: replay reproduces the recorded timing by default (the response, or each chunk, is handed
// over when its recorded offset from the request has passed), so traces of a replayed run show the
// recorded run's proportions. replay_options::recorded_timing = false answers at once (tests). The Ollama client turns
// it into an ollama::error (reason transport, error.type "_OTHER") carrying that message. replay_transport also counts
// misses (misses()) and lists them (missed_requests()) for test assertions.
// Heavy: needs nlohmann_json; link llmtrace::llmtrace.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/detail/json_parse.hpp>
#include <llmtrace/detail/url.hpp>
#include <llmtrace/detail/utf8.hpp>
#include <llmtrace/http/transport.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <functional>
#include <istream>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE
namespace http {
/// Thrown by replay_transport's constructor when the recording cannot be read, and by
/// recording_transport's constructor when the file cannot be created.
class recording_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace http

namespace detail {
// Internals of the record/replay transports (kept out of http::, whose code names llmtrace::detail
// as plain `detail::`).
namespace replay {

/// The path (and query) of a URL: "http://h:1/api/chat?x" -> "/api/chat?x"; "" -> "/".
inline std::string url_path(std::string_view url) {
  const std::string_view target = llmtrace::detail::split_url(url).target;
  if (target.empty() || target.front() == '?') return "/" + std::string(target);
  return std::string(target);
}

/// The newest file format version this code writes and reads.
inline constexpr int format_version = 2;

/// The body as canonical JSON (sorted keys, no spaces), or the raw bytes when it is not JSON (or
/// nests too deeply to be re-serialised safely).
inline std::string canonical_body(std::string_view body) {
  if (body.empty()) return std::string();
  auto j = detail::parse_json(body);
  if (!j.ok()) return std::string(body);
  return j.value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

using ordered_json = nlohmann::ordered_json;

inline constexpr std::string_view base64_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

inline std::string base64_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  const auto at = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(in[k])); };
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t v = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
    for (int s = 18; s >= 0; s -= 6) out += base64_alphabet[(v >> s) & 63];
  }
  if (i + 1 == in.size()) {
    const std::uint32_t v = at(i) << 16;
    out += base64_alphabet[(v >> 18) & 63];
    out += base64_alphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const std::uint32_t v = at(i) << 16 | at(i + 1) << 8;
    out += base64_alphabet[(v >> 18) & 63];
    out += base64_alphabet[(v >> 12) & 63];
    out += base64_alphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

/// Standard base64 (padding required, no whitespace); throws std::invalid_argument otherwise.
inline std::string base64_decode(std::string_view in) {
  if (in.size() % 4 != 0) throw std::invalid_argument("base64 length is not a multiple of 4");
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (std::size_t i = 0; i < in.size(); i += 4) {
    std::uint32_t v = 0;
    int pad = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      const char c = in[i + k];
      std::uint32_t d = 0;
      if (c == '=' && i + 4 == in.size() && k >= 2) {
        ++pad;
      } else {
        if (pad) throw std::invalid_argument("base64 padding in the middle");
        const auto pos = base64_alphabet.find(c);
        if (pos == std::string_view::npos) throw std::invalid_argument("not a base64 character");
        d = static_cast<std::uint32_t>(pos);
      }
      v = v << 6 | d;
    }
    out += static_cast<char>((v >> 16) & 0xFF);
    if (pad < 2) out += static_cast<char>((v >> 8) & 0xFF);
    if (pad < 1) out += static_cast<char>(v & 0xFF);
  }
  return out;
}

/// Writes `body` under `key` of `obj`: as JSON when re-serialising it gives back the same bytes
/// (readable, lossless), else as a string when valid UTF-8, else base64 under `key`_base64.
inline void put_body(ordered_json& obj, const std::string& key, std::string_view body) {
  if (!llmtrace::detail::is_valid_utf8(body)) {
    obj[key + "_base64"] = base64_encode(body);
    return;
  }
  if (!body.empty()) {
    // Shallower than the reader's limit: the body nests inside the line's own two levels.
    auto j = detail::parse_json<ordered_json>(body, detail::json_max_depth - 8);
    if (j.ok() && !j.value.is_string() && j.value.dump() == body) {
      obj[key] = std::move(j.value);
      return;
    }
  }
  obj[key] = std::string(body);
}

/// The bytes of the body under `key` (or `key`_base64) of `obj`; empty when neither is there.
inline std::string get_body(const ordered_json& obj, const std::string& key) {
  const auto b64 = obj.find(key + "_base64");
  if (b64 != obj.end()) return base64_decode(b64->get_ref<const std::string&>());
  const auto j = obj.find(key);
  if (j == obj.end()) return std::string();
  if (j->is_string()) return j->get<std::string>();
  return j->dump(-1, ' ', false, ordered_json::error_handler_t::strict);
}

/// A chunk as written: the string when valid UTF-8, else {"base64": "..."}.
inline ordered_json chunk_to_json(std::string_view chunk) {
  if (llmtrace::detail::is_valid_utf8(chunk)) return ordered_json(std::string(chunk));
  ordered_json j = ordered_json::object();
  j["base64"] = base64_encode(chunk);
  return j;
}

inline std::string chunk_from_json(const ordered_json& j) {
  if (j.is_object()) return base64_decode(j.at("base64").get_ref<const std::string&>());
  return j.get<std::string>();
}

inline std::string shorten(std::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return std::string(s);
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return std::string(s.substr(0, cut)) + "...(" + std::to_string(s.size()) + " bytes)";
}

inline http::error_kind error_kind_from_string(std::string_view s) noexcept {
  for (auto k : {http::error_kind::resolve, http::error_kind::connect, http::error_kind::timeout, http::error_kind::tls,
                 http::error_kind::aborted, http::error_kind::send, http::error_kind::receive,
                 http::error_kind::too_large, http::error_kind::other})
    if (http::to_string(k) == s) return k;
  return http::error_kind::none;
}

/// When the parts of a response arrived, in microseconds after the request was sent.
struct exchange_timing {
  bool recorded = false;
  std::int64_t headers_us = 0;
  std::vector<std::int64_t> chunks_us;  // one per streamed chunk
  std::int64_t end_us = 0;
};

/// Microseconds from `from` to now.
inline std::int64_t micros_since(std::chrono::steady_clock::time_point from) noexcept {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - from).count();
}

/// One recorded exchange.
struct exchange {
  std::string method;
  std::string path;
  std::string request_body;
  std::string body_key;  // canonical request body
  http::response resp;
  bool streamed = false;  // a 2xx stream: the body is in `chunks`
  std::vector<std::string> chunks;
  exchange_timing timing;
};

/// Applies `redact` to everything of `x` that is written. Streamed pieces are redacted as one text
/// (a secret split across two pieces is still found); when that changes anything, each rewritten
/// line goes to the piece its original line ended in (a piece with no line end becomes empty).
inline void redact_exchange(exchange& x, const std::function<void(std::string&)>& redact) {
  redact(x.path);
  redact(x.request_body);
  redact(x.resp.body);
  redact(x.resp.error_message);
  for (auto& h : x.resp.headers) redact(h.value);
  if (x.chunks.empty()) return;
  std::string joined;
  for (const auto& c : x.chunks) joined += c;
  std::vector<std::string> lines;  // each with its '\n', the last maybe without
  std::vector<std::size_t> owner;  // the piece each line ends in
  std::size_t piece = 0, piece_end = x.chunks[0].size(), start = 0;
  for (std::size_t i = 0; i <= joined.size(); ++i) {
    if (i < joined.size() && joined[i] != '\n') continue;
    if (i == joined.size() && start == i) break;
    const std::size_t end = i < joined.size() ? i + 1 : i;
    while (piece + 1 < x.chunks.size() && end > piece_end) piece_end += x.chunks[++piece].size();
    lines.push_back(joined.substr(start, end - start));
    owner.push_back(piece);
    start = end;
  }
  bool changed = false;
  for (auto& l : lines) {
    const std::string before = l;
    redact(l);
    changed = changed || l != before;
  }
  if (!changed) return;
  std::vector<std::string> out(x.chunks.size());
  for (std::size_t i = 0; i < lines.size(); ++i) out[owner[i]] += lines[i];
  x.chunks = std::move(out);
}

/// One line of a recording.
inline std::string exchange_line(const exchange& x) {
  ordered_json j;
  ordered_json& rq = j["request"];
  rq["method"] = x.method;
  rq["path"] = x.path;
  put_body(rq, "body", x.request_body);
  ordered_json& rs = j["response"];
  if (x.resp.status || x.resp.transport_ok()) rs["status"] = x.resp.status;
  if (!x.resp.transport_ok()) {
    rs["error"] = std::string(http::to_string(x.resp.error));
    rs["error_message"] = x.resp.error_message;
  }
  ordered_json headers = ordered_json::array();
  for (const auto& h : x.resp.headers) headers.push_back(ordered_json::array({h.name, h.value}));
  rs["headers"] = std::move(headers);
  if (x.streamed) {
    ordered_json chunks = ordered_json::array();
    for (const auto& c : x.chunks) chunks.push_back(chunk_to_json(c));
    rs["chunks"] = std::move(chunks);
  } else {
    put_body(rs, "body", x.resp.body);
  }
  if (x.timing.recorded) {
    ordered_json& t = rs["timing"];
    t["headers_us"] = x.timing.headers_us;
    if (x.streamed) t["chunks_us"] = x.timing.chunks_us;
    t["end_us"] = x.timing.end_us;
  }
  return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

inline exchange exchange_from_json(const ordered_json& j) {
  exchange x;
  const auto& rq = j.at("request");
  x.method = rq.at("method").get<std::string>();
  x.path = rq.at("path").get<std::string>();
  x.request_body = get_body(rq, "body");
  x.body_key = canonical_body(x.request_body);
  const auto& rs = j.at("response");
  const auto status = rs.find("status");
  if (status != rs.end() && status->is_number_integer()) x.resp.status = status->get<int>();
  const auto error = rs.find("error");
  if (error != rs.end()) {
    x.resp.error = error_kind_from_string(error->get<std::string>());
    if (x.resp.error == http::error_kind::none) x.resp.error = http::error_kind::other;
    const auto message = rs.find("error_message");
    if (message != rs.end() && message->is_string()) x.resp.error_message = message->get<std::string>();
  }
  if (rs.contains("headers"))
    for (const auto& h : rs.at("headers"))
      x.resp.headers.push_back(http::header{h.at(0).get<std::string>(), h.at(1).get<std::string>()});
  if (rs.contains("chunks")) {
    x.streamed = true;
    for (const auto& c : rs.at("chunks")) x.chunks.push_back(chunk_from_json(c));
  } else {
    x.resp.body = get_body(rs, "body");
  }
  const auto timing = rs.find("timing");
  if (timing != rs.end()) {
    auto micros = [&](const ordered_json& v, const char* what) {
      if (!v.is_number_integer() || v.get<std::int64_t>() < 0)
        throw std::invalid_argument(std::string("timing.") + what + " is not a non-negative integer");
      return v.get<std::int64_t>();
    };
    x.timing.recorded = true;
    x.timing.headers_us = micros(timing->at("headers_us"), "headers_us");
    x.timing.end_us = micros(timing->at("end_us"), "end_us");
    if (x.streamed) {
      for (const auto& c : timing->at("chunks_us")) x.timing.chunks_us.push_back(micros(c, "chunks_us"));
      if (x.timing.chunks_us.size() != x.chunks.size())
        throw std::invalid_argument("timing.chunks_us has " + std::to_string(x.timing.chunks_us.size()) +
                                    " entries for " + std::to_string(x.chunks.size()) + " chunks");
    }
  }
  return x;
}

}  // namespace replay
}  // namespace detail

namespace http {

/// What goes into a recording's header line.
struct recording_options {
  /// Free text saying what this recording is (which server, which models, when); shown by tools
  /// that replay it (replay_transport::label()).
  std::string label;
  /// Append to an existing recording instead of starting a new file (no header line is added).
  bool append = false;
  /// Rewrites every text before it is written (path, bodies, streamed pieces, response header
  /// values, error messages), e.g. `llmtrace::recording_redaction(redactor)` from
  /// <llmtrace/controls/redact.hpp>. Empty: written as received.
  std::function<void(std::string& text)> redact = nullptr;
};

/// Passes every request to `inner` and appends the exchange to a JSON-lines file (see the header
/// comment for the format). Streamed responses reach the caller unchanged, chunk by chunk.
class recording_transport final : public transport {
 public:
  /// Creates (or truncates, unless options.append) `path`. Throws recording_error when it cannot.
  recording_transport(std::shared_ptr<transport> inner, std::string path, recording_options options = {})
      : inner_(std::move(inner)), path_(std::move(path)), redact_(std::move(options.redact)) {
    if (!inner_) throw std::invalid_argument("http::recording_transport: inner transport is null");
    out_.open(path_, options.append ? std::ios::app : std::ios::trunc);
    if (!out_) throw recording_error("http::recording_transport: cannot write " + path_);
    if (!options.append) {
      llmtrace::detail::replay::ordered_json h;
      h["llmtrace_recording"] = llmtrace::detail::replay::format_version;
      h["label"] = options.label;
      out_ << h.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
      out_.flush();
    }
  }

  /// Sends through the inner transport and records the exchange with its timing.
  response send(const request& req) noexcept override {
    const auto t0 = std::chrono::steady_clock::now();
    response r = inner_->send(req);
    llmtrace::detail::replay::exchange_timing timing;
    timing.recorded = true;
    timing.headers_us = timing.end_us = llmtrace::detail::replay::micros_since(t0);
    record(req, r, false, {}, std::move(timing));
    return r;
  }

  /// Streams through the inner transport (the caller sees every piece as it arrives) and records
  /// the pieces with their boundaries.
  response stream(const request& req, const data_callback& on_data) noexcept override {
    std::vector<std::string> chunks;
    llmtrace::detail::replay::exchange_timing timing;
    timing.recorded = true;
    bool cb_ok = true;
    const auto t0 = std::chrono::steady_clock::now();
    response r = inner_->stream(req, [&](std::string_view bytes) {
      try {
        timing.chunks_us.push_back(llmtrace::detail::replay::micros_since(t0));
        chunks.emplace_back(bytes);
      } catch (...) {
        cb_ok = false;
      }
      return on_data(bytes);
    });
    timing.end_us = llmtrace::detail::replay::micros_since(t0);
    timing.headers_us = timing.chunks_us.empty() ? timing.end_us : timing.chunks_us.front();
    if (r.status < 200 || r.status >= 300) timing.chunks_us.clear();  // a non-2xx answer is recorded whole
    if (cb_ok) record(req, r, true, std::move(chunks), std::move(timing));
    return r;
  }

  /// Number of exchanges written so far.
  std::size_t recorded() const {
    std::lock_guard<std::mutex> lk(mu_);
    return count_;
  }
  /// The recording's file.
  const std::string& path() const noexcept { return path_; }

 private:
  void record(const request& req, const response& r, bool streamed, std::vector<std::string> chunks,
              llmtrace::detail::replay::exchange_timing timing) noexcept {
    try {
      llmtrace::detail::replay::exchange x;
      x.method = req.method;
      x.path = llmtrace::detail::replay::url_path(req.url);
      x.request_body = req.body;
      x.resp = r;
      x.streamed = streamed && r.status >= 200 && r.status < 300;
      x.chunks = std::move(chunks);
      x.timing = std::move(timing);
      if (redact_) llmtrace::detail::replay::redact_exchange(x, redact_);
      const std::string line = llmtrace::detail::replay::exchange_line(x);
      std::lock_guard<std::mutex> lk(mu_);
      out_ << line << '\n';
      out_.flush();
      ++count_;
    } catch (...) {
      // A recording that cannot be written must not break the call being recorded.
    }
  }

  std::shared_ptr<transport> inner_;
  std::string path_;
  std::function<void(std::string&)> redact_;
  mutable std::mutex mu_;
  std::ofstream out_;
  std::size_t count_ = 0;
};

/// How replay_transport answers.
struct replay_options {
  /// Once a request's recordings are used up, answer again with its last one (default). false:
  /// answer a further identical request like an unrecorded one.
  bool repeat_last = true;
  /// Reproduce the recorded timing (default): each response, or each streamed chunk, is handed over
  /// once its recorded offset from the request has passed. false: answer at once (tests).
  bool recorded_timing = true;
  /// The redaction the recording was written with (recording_options::redact), applied to each
  /// request's path and body before matching, so a request carrying the real secret finds the
  /// redacted recording. Empty: requests are matched as sent.
  std::function<void(std::string& text)> redact = nullptr;
};

/// Answers requests from a recording (see the header comment): no network, same bytes every run.
class replay_transport final : public transport {
 public:
  /// Reads `path`. Throws recording_error when it is missing, unreadable or not a recording.
  explicit replay_transport(const std::string& path, replay_options options = {}) : options_(options) {
    std::ifstream in(path);
    if (!in) throw recording_error("http::replay_transport: cannot read " + path);
    load(in, path);
  }
  /// Reads a recording from a stream (`name` appears in error messages).
  replay_transport(std::istream& in, const std::string& name, replay_options options = {}) : options_(options) {
    load(in, name);
  }

  /// The recorded response to `req` (a streamed recording comes back whole), or the miss error.
  response send(const request& req) noexcept override { return answer(req, nullptr); }
  /// The recorded response to `req`, its chunks passed to `on_data` one by one as recorded.
  response stream(const request& req, const data_callback& on_data) noexcept override { return answer(req, &on_data); }

  /// The recording's label (its header line).
  const std::string& label() const noexcept { return label_; }
  /// Number of recorded exchanges.
  std::size_t size() const noexcept { return exchanges_.size(); }
  /// Requests that found no recording so far.
  std::size_t misses() const {
    std::lock_guard<std::mutex> lk(mu_);
    return missed_.size();
  }
  /// "METHOD path body" of each request that found no recording, in order.
  std::vector<std::string> missed_requests() const {
    std::lock_guard<std::mutex> lk(mu_);
    return missed_;
  }
  /// The recorded request bodies for `method` and `path` (canonical JSON), in recorded order.
  std::vector<std::string> recorded_bodies(std::string_view method, std::string_view path) const {
    std::vector<std::string> out;
    for (const auto& x : exchanges_)
      if (x.method == method && x.path == path) out.push_back(x.body_key);
    return out;
  }

 private:
  void load(std::istream& in, const std::string& name) {
    std::string line;
    std::size_t line_no = 0;
    bool header_seen = false;
    while (std::getline(in, line)) {
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      std::size_t first = line.find_first_not_of(" \t");
      if (first == std::string::npos || line.compare(first, 2, "//") == 0) continue;
      auto parsed = llmtrace::detail::parse_json<llmtrace::detail::replay::ordered_json>(line);
      if (!parsed.ok() || !parsed.value.is_object())
        throw recording_error("http::replay_transport: " + name + ":" + std::to_string(line_no) +
                              ": not a JSON object" + (parsed.ok() ? std::string() : " (" + parsed.error + ")"));
      auto& j = parsed.value;
      if (j.contains("llmtrace_recording")) {
        header_seen = true;
        const auto& v = j["llmtrace_recording"];
        if (!v.is_number_integer() || v.get<long long>() < 1 ||
            v.get<long long>() > llmtrace::detail::replay::format_version)
          throw recording_error("http::replay_transport: " + name + ":" + std::to_string(line_no) +
                                ": recording format " + v.dump() + " is not one this llmtrace reads (1 to " +
                                std::to_string(llmtrace::detail::replay::format_version) + ")");
        if (j.contains("label") && j["label"].is_string()) label_ = j["label"].get<std::string>();
        continue;
      }
      try {
        exchanges_.push_back(llmtrace::detail::replay::exchange_from_json(j));
      } catch (const std::exception& e) {
        throw recording_error("http::replay_transport: " + name + ":" + std::to_string(line_no) +
                              ": not a recorded exchange (" + e.what() + ")");
      }
    }
    if (!header_seen && exchanges_.empty())
      throw recording_error("http::replay_transport: " + name + " is not an llmtrace recording");
    for (std::size_t i = 0; i < exchanges_.size(); ++i) {
      const auto& x = exchanges_[i];
      index_[key(x.method, x.path, x.body_key)].push_back(i);
    }
  }

  static std::string key(std::string_view method, std::string_view path, std::string_view body) {
    std::string k;
    k.reserve(method.size() + path.size() + body.size() + 2);
    k.append(method).append(1, '\n').append(path).append(1, '\n').append(body);
    return k;
  }

  response answer(const request& req, const data_callback* on_data) noexcept {
    try {
      std::string path = llmtrace::detail::replay::url_path(req.url);
      std::string body;
      if (options_.redact) {
        std::string sent = req.body;
        options_.redact(path);
        options_.redact(sent);
        body = llmtrace::detail::replay::canonical_body(sent);
      } else {
        body = llmtrace::detail::replay::canonical_body(req.body);
      }
      const llmtrace::detail::replay::exchange* x = nullptr;
      {
        std::lock_guard<std::mutex> lk(mu_);
        auto it = index_.find(key(req.method, path, body));
        if (it != index_.end()) {
          std::size_t& used = used_[it->first];
          if (used < it->second.size())
            x = &exchanges_[it->second[used++]];
          else if (options_.repeat_last)
            x = &exchanges_[it->second.back()];
        }
        if (!x) missed_.push_back(req.method + " " + path + " " + llmtrace::detail::replay::shorten(body, 300));
      }
      if (!x) return miss(req.method, path, body);
      const auto t0 = std::chrono::steady_clock::now();
      const bool timed = options_.recorded_timing && x->timing.recorded;
      auto wait_until = [&](std::int64_t us) {
        if (timed) std::this_thread::sleep_until(t0 + std::chrono::microseconds(us));
      };
      response r = x->resp;
      if (!x->streamed || !on_data) {
        if (x->streamed)  // a streamed recording asked for whole
          for (const auto& c : x->chunks) r.body += c;
        wait_until(x->timing.end_us);
        return r;
      }
      for (std::size_t i = 0; i < x->chunks.size(); ++i) {
        const auto& c = x->chunks[i];
        if (i < x->timing.chunks_us.size()) wait_until(x->timing.chunks_us[i]);
        bool go_on = false;
        try {
          go_on = (*on_data)(c);
        } catch (...) {
          r.error = error_kind::aborted;
          r.error_message = "the data callback threw; transfer stopped";
          return r;
        }
        if (!go_on) {
          r.error = error_kind::aborted;
          r.error_message = "transfer stopped by the data callback";
          return r;
        }
      }
      wait_until(x->timing.end_us);
      return r;
    } catch (...) {
      response r;
      r.error = error_kind::other;
      r.error_message = "llmtrace replay: out of memory";
      return r;
    }
  }

  response miss(const std::string& method, const std::string& path, const std::string& body) const {
    response r;
    r.error = error_kind::other;
    std::string msg = "llmtrace replay: no recording for " + method + " " + path;
    msg += body.empty() ? std::string(" (empty body)") : " body " + llmtrace::detail::replay::shorten(body, 300);
    const auto same_path = recorded_bodies(method, path);
    if (same_path.empty()) {
      msg += "; the recording has no " + method + " " + path + " request at all";
    } else {
      msg += "; recorded " + method + " " + path + " bodies: ";
      for (std::size_t i = 0; i < same_path.size() && i < 3; ++i)
        msg += (i ? " | " : "") + llmtrace::detail::replay::shorten(same_path[i], 160);
      if (same_path.size() > 3) msg += " | ... (" + std::to_string(same_path.size()) + " in all)";
    }
    r.error_message = std::move(msg);
    return r;
  }

  replay_options options_;
  std::string label_;
  std::vector<llmtrace::detail::replay::exchange> exchanges_;
  std::map<std::string, std::vector<std::size_t>> index_;
  mutable std::mutex mu_;
  std::map<std::string, std::size_t> used_;
  std::vector<std::string> missed_;
};

}  // namespace http
LLMTRACE_END_NAMESPACE
