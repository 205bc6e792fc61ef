// A faithful, deterministic fake of the Ollama daemon's native REST API for llmtrace's tests.
//
// The behaviour follows /work/shared/reference/ollama-api.md (its Corrections first, then sections
// 1, 2, 3 and the tricky cases in section 6), checked against Ollama's Go source: tool calls on the
// final done:true chunk, format errors as a 500 after the model loads, Go's base64 errors for images,
// /api/ps expiry in the server's local offset (year ~2318 for a model kept forever), size_vram per
// model, cloud aliases (remote_model / remote_host, 401 with signin_url when signed out), a prompt
// cache (prompt_eval_count includes cached tokens, prompt_eval_duration does not), the current
// server's mid-stream error texts (ollama_stream_error, from llm/llama_server.go), and model
// management: /api/pull, /api/push, /api/create (NDJSON progress ending in "success" or an
// {"error"} line, honouring the stream modes), /api/copy and /api/delete. The server runs on 127.0.0.1 on a free port
// in background threads; the constructor returns once it is accepting connections and the destructor stops it
// (releasing any stream that a test made hang). cpp-httplib stays out of this header: include it cheaply.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace llmtrace_test {

// How a streaming (NDJSON) response is written. Non-streaming replies honour the framing modes
// too (their single JSON body is written with the same splits), see each value.
enum class stream_mode {
  normal,             // one write (one HTTP chunk) per NDJSON line
  split_bytes,        // one write per byte: lines and multi-byte UTF-8 characters are split
  merge_lines,        // every line in a single write
  random_splits,      // the whole stream cut at seeded random offsets (1..64 bytes per write)
  error_mid_stream,   // after `after_chunks` lines: {"error":"..."} line, clean end, no done line
                      //   (non-stream: HTTP 500 with that error, like the server's non-stream path)
  eof_without_done,   // after `after_chunks` lines the response ends cleanly without a done line
                      //   (non-stream: the body is cut short and the connection closed)
  hang_after_chunks,  // after `after_chunks` lines stop writing and wait until the client
                      //   disconnects (counted in disconnects()), release_hung() is called (the
                      //   stream then completes normally) or the server is destroyed
                      //   (non-stream: the status line and headers go out, then it hangs)
  drop_after_chunks,  // after `after_chunks` lines abort the connection (no terminating chunk)
};

// The texts the current server writes as the {"error"} line of a stream that has already started
// (server/routes.go streamResponse: once a chunk is out, the status stays 200 and the error is one
// more NDJSON line; not a StatusError, so 500 when nothing was written yet). They come from
// llm/llama_server.go (Completion / Chat, the llama-server path every GGUF model uses since v0.30)
// and llm/status.go (the runner's last stderr error line). A client that goes away mid-stream
// sees nothing: the server's "context canceled" is never written to a closed connection.
namespace ollama_stream_error {
// The runner process died mid-generation (crash, GPU out of memory): "an error was encountered
// while running the model: " + the runner's last error line(s) from its stderr...
inline constexpr const char* runner_out_of_memory =
    "an error was encountered while running the model: CUDA error\nCUDA error: out of memory";
// ... or, when it left none, the stream read's own error.
inline constexpr const char* runner_unexpected_eof = "an error was encountered while running the model: unexpected EOF";
// The model's tool-call arguments are not JSON (chat; found when the final chunk is assembled).
inline constexpr const char* invalid_tool_call_arguments =
    "llama-server returned invalid tool call arguments for \"get_weather\": unexpected end of JSON input";
// Generation stuck repeating one token (more than 100 times).
inline constexpr const char* token_repeat_limit = "prediction aborted, token repeat limit reached";
}  // namespace ollama_stream_error

struct stream_behaviour {
  stream_mode mode = stream_mode::normal;
  std::size_t after_chunks = 2;  // for the error/eof/hang/drop modes
  std::uint64_t seed = 1;        // for random_splits
  // for error_mid_stream; the default is the commonest one, a runner that died mid-generation
  std::string error_message = ollama_stream_error::runner_unexpected_eof;
};

// A model the fake knows about. Names are matched the way Ollama does: "llama3.2",
// "llama3.2:latest" and "registry.ollama.ai/library/llama3.2:latest" are the same model, and
// responses echo the model string exactly as the client sent it.
struct model_spec {
  std::string name;  // without tag, e.g. "llama3.2" (tag "latest" implied)
  std::string family = "llama";
  std::string parameter_size = "3.2B";
  std::string quantization_level = "Q4_K_M";
  bool completion = true;  // chat + generate
  bool tools = true;
  bool thinking = false;   // omitting `think` then means true
  bool embedding = false;  // embedding-only model ("does not support chat")
  bool vision = false;
  std::size_t embedding_length = 3072;  // vector size on /api/embed
  std::int64_t context_length = 4096;   // tokens; /api/embed truncate:false checks against it
  std::int64_t size = 2019393189;       // bytes
  std::int64_t size_vram = -1;          // bytes in GPU memory when loaded (/api/ps); -1: all of
                                        //   `size` (fully on the GPU), 0: CPU only
  // Cloud alias (e.g. "gpt-oss:120b-cloud"): the server proxies it to remote_host; chunks carry
  // remote_model / remote_host, `model` is the remote name, and a signed-out server answers 401.
  std::string remote_model, remote_host;
  bool starts_loaded = true;               // false: the first request is a cold load
  std::int64_t cold_load_ns = 6300000000;  // load_duration of a cold request
  std::int64_t warm_load_ns = 1843209;     // load_duration once loaded
};

struct fake_ollama_config {
  std::vector<model_spec> models;      // empty: default_models()
  std::string version = "0.33.0-rc2";  // GET /api/version
  std::string fixed_created_at;        // non-empty: every created_at uses it (byte-stable streams)
  int keep_alive_timeout_s = 2;        // idle keep-alive connections are closed after this
  bool check_host_header = true;       // 403 for a non-local Host header, like the real server
  int utc_offset_minutes = -420;       // the server's local offset: /api/ps expires_at is written in it
  bool prompt_cache = true;            // false: no prompt cache (identical requests, identical answers)
  // Pacing: take the time the responses report instead of answering at once. A chat/generate stream
  // waits load + prompt evaluation before its first chunk, then each generated chunk its share of the
  // generation time; a whole chat/generate answer waits the sum; /api/embed waits its total_duration.
  // Off by default (tests stay fast); on for recordings whose timing matters (the demo's).
  bool pacing = false;
};

// The default models: llama3.2 (warm, tools), qwen3 (thinking, tools), cold-llama (cold start,
// tools), gemma3 (no tools, vision, 48% in GPU memory), nomic-embed-text (768 dims), all-minilm
// (384 dims, CPU only) and gpt-oss:120b-cloud (a cloud alias).
std::vector<model_spec> default_models();

struct recorded_request {
  std::size_t index = 0;                            // 0-based order of arrival
  std::string method;                               // "POST", "GET", "HEAD", ...
  std::string path;                                 // "/api/chat" (no query string)
  std::string target;                               // request target as sent, with query
  std::multimap<std::string, std::string> headers;  // names as sent by the client
  std::string body;                                 // raw body
  nlohmann::json json;                              // parsed body (null when absent or malformed)
  bool json_valid = false;
  int status = 0;  // status the fake answered with (0 if still running)

  // Case-insensitive header lookup; "" when missing.
  std::string header(const std::string& name) const;
  bool has_header(const std::string& name) const;
};

class fake_ollama {
 public:
  static constexpr const char* server_busy_message =
      "server busy, please try again.  maximum pending requests exceeded";
  static constexpr const char* request_canceled_message = "request canceled";

  // A reply mixing CJK, emoji (incl. a ZWJ sequence), combining marks, "<>&", quotes, a
  // backslash and U+2028: exercises UTF-8 splitting and Go's escaping.
  static const std::string& unicode_reply();

  fake_ollama();
  explicit fake_ollama(fake_ollama_config config);
  ~fake_ollama();
  fake_ollama(const fake_ollama&) = delete;
  fake_ollama& operator=(const fake_ollama&) = delete;

  int port() const;
  std::string base_url() const;  // "http://127.0.0.1:PORT"

  // ---- test controls (thread-safe) ----
  void set_mode(stream_behaviour behaviour);  // for every later response
  void set_mode(stream_mode mode, std::size_t after_chunks = 2, std::uint64_t seed = 1);
  // One-shot (queued) override, consumed by the next chat/generate reply that generates text
  // (load/unload answers and errors do not consume it).
  void set_next_mode(stream_behaviour behaviour);
  void set_next_mode(stream_mode mode, std::size_t after_chunks = 2, std::uint64_t seed = 1);
  // The next `count` requests to a model endpoint (chat, generate, embed, embeddings, show; or
  // only `path` when given) fail before the first byte with `status` and {"error":message}.
  void fail_next(int status, std::string message, std::size_t count = 1, std::string path = {});
  void set_reply(const std::string& model, std::string text);  // canned answer for chat/generate
  void clear_reply(const std::string& model);
  void set_thinking(const std::string& model, std::string text);  // thinking text of a thinking model
  void set_cold(const std::string& model, bool cold = true);      // next request pays a cold load
  bool is_loaded(const std::string& model) const;
  bool has_model(const std::string& model) const;  // known (listed by /api/tags); pull/create/copy add, delete removes
  // Tool-call arguments for every tool call (default: derived from the first tool's schema).
  void set_tool_arguments(nlohmann::json arguments);
  // true: one tool call per supplied tool in the same chunk (index 0..n-1).
  void set_parallel_tool_calls(bool on);
  // Older servers (before v0.30.0) sent tool calls in a separate done:false chunk; current ones put
  // them on the final done:true chunk (the default).
  void set_tool_calls_in_separate_chunk(bool on);
  // Generate's final chunk carries these tool_calls (as gpt-oss does since v0.11.1); null: none.
  void set_generate_tool_calls(nlohmann::json tool_calls);
  // false: requests for cloud models get 401 {"error":"unauthorized","signin_url":...}.
  void set_signed_in(bool on);
  // Generate's final chunk carries a `context` of `count` ints (a multi-MB line).
  void set_huge_context(bool on, std::size_t count = 400000);
  // Lets every stream hanging right now continue (they then complete normally). Call it after
  // wait_for_hung_streams(): a stream that reaches the hang point later hangs again.
  void release_hung();

  // ---- observation (thread-safe) ----
  std::vector<recorded_request> requests() const;  // a copy
  recorded_request last_request() const;           // default-constructed when there is none
  std::size_t request_count() const;
  void clear_requests();
  bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const;
  // Responses whose client went away before they were complete (a failed write, or a peer close
  // noticed while hanging). A client that cancels after the last byte was written is not seen.
  std::size_t disconnects() const;
  bool wait_for_disconnects(std::size_t n, std::chrono::milliseconds timeout) const;
  // Streams that reached the hang point (counted once each, never decremented).
  std::size_t hung_streams() const;
  bool wait_for_hung_streams(std::size_t n, std::chrono::milliseconds timeout) const;

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

// Helpers shared with tests: Go-compatible JSON encoding of a value (key order kept,
// "<>&" escaped as \u003c etc., U+2028/2029 escaped, invalid UTF-8 replaced by U+FFFD).
std::string go_json_encode(const nlohmann::ordered_json& value);

}  // namespace llmtrace_test
