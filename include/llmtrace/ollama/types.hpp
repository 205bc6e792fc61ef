// llmtrace/ollama/types.hpp: typed requests and responses of Ollama's native REST API (/api/chat,
// /api/generate, /api/embed, /api/embeddings, /api/tags, /api/show, /api/ps, /api/version). Their JSON
// coding is in codec.hpp, RFC 3339 time parsing in time.hpp.
// Thread-safety: plain values.
// Heavy: needs nlohmann_json; link llmtrace::llmtrace.
#pragma once

#include <llmtrace/config.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE
namespace ollama {

/// JSON values in requests and responses (insertion-ordered objects).
using json = nlohmann::ordered_json;

// ---------------------------------------------------------------------------------------------
// Messages and tools
// ---------------------------------------------------------------------------------------------

/// The function part of a tool call. `arguments` is a JSON object (Ollama's native API never uses a
/// string here; a string holding a JSON object is converted back to the object when sent).
struct tool_call_function {
  std::optional<std::int64_t> index;  ///< position in a parallel call (newer servers only)
  std::string name;
  json arguments = json::object();
};

/// A tool call the model asked for.
struct tool_call {
  std::string id;  ///< "call_xxxxxxxx" on newer servers; empty on older ones
  tool_call_function function;
};

/// One chat message. Roles: "system", "user", "assistant", "tool".
struct message {
  std::string role;
  std::string content;
  std::string thinking;               ///< reasoning text (thinking models); empty when absent
  std::vector<std::string> images;    ///< base64-encoded images (see base64_encode)
  std::vector<tool_call> tool_calls;  ///< calls requested by the assistant
  std::string tool_name;              ///< for role "tool": the tool that produced `content`
  std::string tool_call_id;           ///< for role "tool": the id of the call answered

  static message system(std::string text) { return message{"system", std::move(text), {}, {}, {}, {}, {}}; }
  static message user(std::string text, std::vector<std::string> base64_images = {}) {
    return message{"user", std::move(text), {}, std::move(base64_images), {}, {}, {}};
  }
  static message assistant(std::string text) { return message{"assistant", std::move(text), {}, {}, {}, {}, {}}; }
  /// The result of a tool call, to append after the assistant message that requested it.
  static message tool(std::string result, std::string name, std::string call_id = {}) {
    return message{"tool", std::move(result), {}, {}, {}, std::move(name), std::move(call_id)};
  }
};

/// The function a tool exposes: a name, a description and a JSON-Schema object for its parameters.
struct tool_function {
  std::string name;
  std::string description;
  json parameters = json::object();
};

/// A tool the model may call (`type` is always "function" today).
struct tool {
  std::string type = "function";
  tool_function function;

  static tool make_function(std::string name, std::string description, json parameters) {
    return tool{"function", tool_function{std::move(name), std::move(description), std::move(parameters)}};
  }
};

// ---------------------------------------------------------------------------------------------
// Request options
// ---------------------------------------------------------------------------------------------

/// Model options (api.Options). Every field is unset by default and only set fields are sent; the
/// server then applies its own defaults (temperature 0.8, top_k 40, top_p 0.9, num_predict -1, ...).
struct options {
  // integers
  std::optional<std::int64_t> num_keep, seed, num_predict, top_k, repeat_last_n, num_ctx, num_batch, num_gpu, main_gpu,
      num_thread, draft_num_predict;
  // floats
  std::optional<double> top_p, min_p, typical_p, temperature, repeat_penalty, presence_penalty, frequency_penalty;
  std::optional<bool> use_mmap;
  std::optional<std::vector<std::string>> stop;
  /// Any other keys, sent as given (the server logs and ignores keys it does not know).
  json extra = json::object();

  /// True when nothing is set (the `options` object is then left out).
  bool empty() const { return to_json().empty(); }

  json to_json() const {
    json o = json::object();
    const auto put_int = [&](const char* k, const std::optional<std::int64_t>& v) {
      if (v) o[k] = *v;
    };
    const auto put_float = [&](const char* k, const std::optional<double>& v) {
      if (v) o[k] = *v;
    };
    put_int("num_keep", num_keep);
    put_int("seed", seed);
    put_int("num_predict", num_predict);
    put_int("top_k", top_k);
    put_float("top_p", top_p);
    put_float("min_p", min_p);
    put_float("typical_p", typical_p);
    put_int("repeat_last_n", repeat_last_n);
    put_float("temperature", temperature);
    put_float("repeat_penalty", repeat_penalty);
    put_float("presence_penalty", presence_penalty);
    put_float("frequency_penalty", frequency_penalty);
    if (stop) o["stop"] = *stop;
    put_int("num_ctx", num_ctx);
    put_int("num_batch", num_batch);
    put_int("num_gpu", num_gpu);
    put_int("main_gpu", main_gpu);
    if (use_mmap) o["use_mmap"] = *use_mmap;
    put_int("num_thread", num_thread);
    put_int("draft_num_predict", draft_num_predict);
    if (extra.is_object())
      for (auto it = extra.begin(); it != extra.end(); ++it) o[it.key()] = it.value();
    return o;
  }
};

/// Structured output: "json" (any JSON) or a JSON-Schema object.
class format_option {
 public:
  /// `"format": "json"`.
  static format_option json_mode() { return format_option(json("json")); }
  /// `"format": {schema}`.
  static format_option schema(json json_schema) { return format_option(std::move(json_schema)); }
  bool is_schema() const noexcept { return value_.is_object(); }
  const json& value() const noexcept { return value_; }

 private:
  explicit format_option(json v) : value_(std::move(v)) {}
  json value_;
};

/// How long the model stays loaded: a Go duration string ("5m", "1h30m", "0") or a number of
/// seconds (0 unloads, negative keeps it loaded forever). Sent exactly as given.
class keep_alive_value {
 public:
  keep_alive_value(std::string duration) : value_(std::move(duration)) {}
  keep_alive_value(const char* duration) : value_(std::string(duration ? duration : "")) {}
  template <typename T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  keep_alive_value(T seconds) : value_(static_cast<std::int64_t>(seconds)) {}
  template <typename T, std::enable_if_t<std::is_floating_point_v<T>, int> = 0>
  keep_alive_value(T seconds) : value_(static_cast<double>(seconds)) {}

  const json& value() const noexcept { return value_; }
  /// The value as text, as recorded in `ollama.keep_alive` ("5m", "300", "-1").
  std::string to_string() const { return value_.is_string() ? value_.get<std::string>() : value_.dump(); }

 private:
  json value_;
};

/// `think`: true/false, or a level "low", "medium", "high", "max" (sent as a string).
class think_option {
 public:
  think_option(bool enabled) : value_(enabled) {}
  think_option(std::string level) : value_(std::move(level)) {}
  think_option(const char* level) : value_(std::string(level ? level : "")) {}
  bool is_level() const noexcept { return value_.is_string(); }
  /// The level string ("" for the boolean form).
  std::string level() const { return is_level() ? value_.get<std::string>() : std::string(); }
  bool enabled() const { return is_level() || value_.get<bool>(); }
  const json& value() const noexcept { return value_; }

 private:
  json value_;
};

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

/// The settings /api/chat and /api/generate share.
struct inference_settings {
  std::optional<format_option> format;
  ollama::options options;
  std::optional<keep_alive_value> keep_alive;
  std::optional<think_option> think;
  std::optional<bool> truncate, shift, logprobs;
  std::optional<std::int64_t> top_logprobs;
  /// Extra top-level fields, sent as given (for fields this version does not know); they override
  /// fields of the same name.
  json extra = json::object();
  /// Recorded as gen_ai.conversation.id when set; never sent to the server.
  std::string conversation_id;
};

/// POST /api/chat. `stream` is not a field: the client sends it according to the overload called.
struct chat_request : inference_settings {
  std::string model;
  std::vector<message> messages;  ///< empty: load the model (keep_alive 0: unload it)
  std::vector<tool> tools;
};

/// POST /api/generate.
struct generate_request : inference_settings {
  std::string model;
  std::string prompt;  ///< empty: load the model (keep_alive 0: unload it)
  std::string suffix;
  std::string system;
  std::string template_text;          ///< sent as `template`
  std::vector<std::int64_t> context;  ///< deprecated token context from an earlier response
  std::vector<std::string> images;    ///< base64
  std::optional<bool> raw;
};

/// POST /api/embed: one vector per input string.
struct embed_request {
  std::string model;
  std::vector<std::string> input;  ///< sent as an array (a single string is the same to the server)
  std::optional<bool> truncate;
  std::optional<std::int64_t> dimensions;
  std::optional<keep_alive_value> keep_alive;
  ollama::options options;
  json extra = json::object();
};

/// POST /api/embeddings (legacy): one unnormalised vector for one prompt.
struct embeddings_request {
  std::string model;
  std::string prompt;
  std::optional<keep_alive_value> keep_alive;
  ollama::options options;
};

/// POST /api/show.
struct show_request {
  std::string model;
  bool verbose = false;
};

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

/// Ollama's timings and counts (durations in int64 nanoseconds). They come only with the final
/// chunk (done:true); each is empty when the server left it out.
struct metrics {
  /// prompt_eval_count includes prompt tokens served from the cache (since v0.30.1);
  /// prompt_eval_duration covers only the uncached ones.
  std::optional<std::int64_t> total_duration, load_duration, prompt_eval_count, prompt_eval_duration, eval_count,
      eval_duration;

  bool empty() const noexcept {
    return !total_duration && !load_duration && !prompt_eval_count && !prompt_eval_duration && !eval_count &&
           !eval_duration;
  }
  /// Generation speed: eval_count / eval_duration, in tokens per second.
  std::optional<double> tokens_per_second() const noexcept { return rate(eval_count, eval_duration); }
  /// prompt_eval_count / prompt_eval_duration. Not a prefill rate on Ollama >= v0.30.1: the count
  /// includes prompt tokens served from the cache while the duration covers only the uncached ones
  /// (2050 tokens "in" 25 ms reads as 82,000 tok/s), so llmtrace records no such attribute.
  std::optional<double> prompt_tokens_per_second() const noexcept {
    return rate(prompt_eval_count, prompt_eval_duration);
  }

 private:
  static std::optional<double> rate(const std::optional<std::int64_t>& n,
                                    const std::optional<std::int64_t>& ns) noexcept {
    if (!n || !ns || *ns <= 0) return std::nullopt;
    return static_cast<double>(*n) * 1e9 / static_cast<double>(*ns);
  }
};

/// A /api/chat response, or one chunk of a stream (intermediate chunks carry a piece of content,
/// thinking or tool calls; the final one has done:true, done_reason and the metrics).
struct chat_response {
  std::string model;  ///< as the request sent it for local models; for cloud models (`:cloud`, `-cloud`) the
                      ///< remote name the server proxied to (see remote_model)
  std::string remote_model, remote_host;  ///< cloud / remote-alias models: where the answer came from
  std::string created_at;                 ///< RFC 3339 as the server wrote it (see parse_time)
  ollama::message message;
  bool done = false;
  std::string done_reason;  ///< "stop", "length", "load", "unload"; empty when absent (old servers)
  ollama::metrics metrics;
  json logprobs;  ///< null when absent
};

/// A /api/generate response or stream chunk.
struct generate_response {
  std::string model;
  std::string remote_model, remote_host;
  std::string created_at;
  std::string response;
  std::string thinking;
  bool done = false;
  std::string done_reason;
  std::vector<std::int64_t> context;  ///< final chunk only (absent with raw)
  std::vector<tool_call> tool_calls;  ///< final chunk, models that call tools from generate (e.g. gpt-oss)
  ollama::metrics metrics;
  json logprobs;
};

/// /api/embed: always one vector per input (L2-normalised float32); empty for an empty input.
struct embed_response {
  std::string model;
  std::vector<std::vector<float>> embeddings;
  ollama::metrics metrics;  ///< total_duration, load_duration, prompt_eval_count
};

/// /api/embeddings (legacy): one vector, not normalised.
struct embeddings_response {
  std::vector<double> embedding;
};

struct model_details {
  std::string parent_model, format, family;
  std::vector<std::string> families;
  std::string parameter_size, quantization_level;
  std::optional<std::int64_t> context_length, embedding_length;  ///< /api/tags on current servers
};

/// An entry of /api/tags.
struct model_entry {
  std::string name;  ///< "name:tag"
  std::string model;
  std::string modified_at;
  std::int64_t size = 0;
  std::string digest;
  model_details details;
  std::vector<std::string> capabilities;
  std::string remote_model, remote_host;  ///< cloud models only
};

struct list_response {
  std::vector<model_entry> models;
};

/// An entry of /api/ps (a loaded model).
struct running_model {
  std::string name, model;
  std::int64_t size = 0;
  std::string digest;
  model_details details;
  std::string expires_at;
  std::int64_t size_vram = 0;
  std::int64_t context_length = 0;
};

struct ps_response {
  std::vector<running_model> models;  ///< latest expiry first; empty when nothing is loaded
};

/// A tensor of /api/show (verbose).
struct tensor_info {
  std::string name, type;
  std::vector<std::int64_t> shape;
};

/// /api/show.
struct show_response {
  std::string license, modelfile, parameters, template_text, system;
  std::string renderer, parser;  ///< built-in prompt renderer / output parser (e.g. "qwen3"), when any
  model_details details;
  std::vector<message> messages;         ///< MESSAGE lines of the Modelfile
  json model_info = json::object();      ///< e.g. "general.architecture", "llama.context_length"
  json projector_info = json::object();  ///< vision projector metadata (vision models)
  std::vector<tensor_info> tensors;      ///< verbose only
  std::vector<std::string> capabilities;
  std::string modified_at;
  std::string requires_version;           ///< `requires`: the server version the model needs
  std::string remote_model, remote_host;  ///< cloud models
};

// ---------------------------------------------------------------------------------------------
// Model management
// ---------------------------------------------------------------------------------------------

/// One status object of a streamed pull / push / create (api.ProgressResponse): "pulling manifest",
/// then per layer "pulling <12 hex>" with digest / total / completed (repeated as bytes arrive),
/// "verifying sha256 digest", "writing manifest", "success".
struct progress_response {
  std::string status;
  std::string digest;          ///< "sha256:..." while a layer transfers, else empty
  std::int64_t total = 0;      ///< bytes of that layer (0 when absent)
  std::int64_t completed = 0;  ///< bytes of it done so far
};

/// What a pull / push / create did.
struct progress_result {
  std::string status;                ///< the last status: "success" unless cancelled
  std::int64_t total_bytes = 0;      ///< sum of the layers' sizes
  std::int64_t completed_bytes = 0;  ///< sum of the bytes done per layer
  std::size_t layers = 0;            ///< distinct layers (digests) reported
  bool cancelled = false;            ///< the progress callback returned false
};

/// POST /api/pull: download a model from its registry.
struct pull_request {
  std::string model;
  bool insecure = false;  ///< allow a registry without TLS
};

/// POST /api/push: upload a model (named `namespace/model:tag`) to its registry.
struct push_request {
  std::string model;
  bool insecure = false;
};

/// POST /api/create: a new model from an existing one with a system prompt, parameters, a template
/// or messages (the JSON form of a Modelfile).
struct create_request {
  std::string model;  ///< the new model's name
  std::string from;   ///< the model it is built on (e.g. "llama3.2")
  std::string system;
  std::string template_text;         ///< sent as `template`
  json parameters = json::object();  ///< e.g. {"temperature": 0.2, "num_ctx": 8192}
  std::vector<message> messages;
  std::string quantize;  ///< e.g. "q4_K_M" (from an unquantised model)
};

/// POST /api/copy.
struct copy_request {
  std::string source, destination;
};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// True for Ollama's cloud models (`gpt-oss:120b-cloud`, `kimi-k2:1t-cloud`, `name:cloud`): the
/// local server proxies them to ollama.com.
inline bool is_cloud_model(std::string_view model) noexcept {
  const std::size_t colon = model.rfind(':');
  const std::size_t slash = model.rfind('/');
  if (colon == std::string_view::npos || (slash != std::string_view::npos && colon < slash)) return false;
  const std::string_view tag = model.substr(colon + 1);
  constexpr std::string_view cloud = "cloud";
  if (tag == cloud) return true;
  return tag.size() > cloud.size() && tag.compare(tag.size() - cloud.size(), cloud.size(), cloud) == 0 &&
         tag[tag.size() - cloud.size() - 1] == '-';
}

/// Standard base64 (with padding), for message images.
inline std::string base64_encode(std::string_view bytes) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  const auto byte = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest) {
    std::uint32_t v = byte(i) << 16;
    if (rest == 2) v |= byte(i + 1) << 8;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += rest == 2 ? alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace ollama
LLMTRACE_END_NAMESPACE
