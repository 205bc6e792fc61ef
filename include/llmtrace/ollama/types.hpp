// llmtrace/ollama/types.hpp: typed requests and responses of Ollama's native REST API (/api/chat,
// /api/generate, /api/embed, /api/embeddings, /api/tags, /api/show, /api/ps, /api/version) and their
// JSON encoding (nlohmann::ordered_json: keys keep their order, as tool-call arguments must).
// Requests serialise only the fields you set; responses parse leniently (absent fields stay empty).
// Thread-safety: plain values.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/ollama/error.hpp>

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
  std::optional<std::int64_t> total_duration, load_duration, prompt_eval_count, prompt_eval_duration, eval_count,
      eval_duration;

  bool empty() const noexcept {
    return !total_duration && !load_duration && !prompt_eval_count && !prompt_eval_duration && !eval_count &&
           !eval_duration;
  }
  /// Generation speed: eval_count / eval_duration, in tokens per second.
  std::optional<double> tokens_per_second() const noexcept { return rate(eval_count, eval_duration); }
  /// Prompt processing (prefill) speed: prompt_eval_count / prompt_eval_duration.
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
  std::string model;       ///< echoed exactly as the request sent it
  std::string created_at;  ///< RFC 3339 as the server wrote it (see parse_time)
  ollama::message message;
  bool done = false;
  std::string done_reason;  ///< "stop", "length", "load", "unload"; empty when absent (old servers)
  ollama::metrics metrics;
  json logprobs;  ///< null when absent
};

/// A /api/generate response or stream chunk.
struct generate_response {
  std::string model;
  std::string created_at;
  std::string response;
  std::string thinking;
  bool done = false;
  std::string done_reason;
  std::vector<std::int64_t> context;  ///< final chunk only (absent with raw)
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

/// /api/show.
struct show_response {
  std::string license, modelfile, parameters, template_text, system;
  model_details details;
  json model_info = json::object();  ///< e.g. "general.architecture", "llama.context_length"
  std::vector<std::string> capabilities;
  std::string modified_at;
};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

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

namespace detail {

inline bool is_digits(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}
inline int to_int(std::string_view s) noexcept {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}
/// Days since 1970-01-01 of a proleptic Gregorian date.
inline std::int64_t days_since_epoch(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

}  // namespace detail

/// Parses an RFC 3339 time as Ollama writes it (`2025-07-07T20:22:19.19314Z`, 0-9 fraction digits,
/// `Z` or an offset such as `-07:00`) into Unix nanoseconds; nullopt when it is not one.
inline std::optional<std::int64_t> parse_time(std::string_view s) noexcept {
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' ||
      s[16] != ':')
    return std::nullopt;
  const auto y = s.substr(0, 4), mo = s.substr(5, 2), d = s.substr(8, 2), h = s.substr(11, 2), mi = s.substr(14, 2),
             se = s.substr(17, 2);
  for (auto part : {y, mo, d, h, mi, se})
    if (!detail::is_digits(part)) return std::nullopt;
  const int month = detail::to_int(mo), day = detail::to_int(d), hour = detail::to_int(h), minute = detail::to_int(mi),
            second = detail::to_int(se);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  std::size_t i = 19;
  std::int64_t frac_ns = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    std::int64_t scale = 100000000;
    const std::size_t start = i;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
      frac_ns += (s[i] - '0') * scale;
      scale /= 10;
    }
    if (i == start) return std::nullopt;
  }
  if (i >= s.size()) return std::nullopt;
  std::int64_t offset_s = 0;
  if (s[i] == 'Z' || s[i] == 'z') {
    ++i;
  } else if (s[i] == '+' || s[i] == '-') {
    const auto oh = s.substr(i + 1, 2), om = s.substr(i + 4, 2);
    if (i + 6 > s.size() || s[i + 3] != ':' || !detail::is_digits(oh) || !detail::is_digits(om)) return std::nullopt;
    offset_s = (detail::to_int(oh) * 3600 + detail::to_int(om) * 60) * (s[i] == '-' ? -1 : 1);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  const std::int64_t days =
      detail::days_since_epoch(detail::to_int(y), static_cast<unsigned>(month), static_cast<unsigned>(day));
  const std::int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_s;
  return secs * 1000000000 + frac_ns;
}

// ---------------------------------------------------------------------------------------------
// JSON encoding (requests) and lenient decoding (responses)
// ---------------------------------------------------------------------------------------------

namespace detail {

inline std::string get_string(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
inline std::optional<std::int64_t> get_int(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end()) return std::nullopt;
  if (it->is_number_integer()) return it->get<std::int64_t>();
  if (it->is_number_float()) return static_cast<std::int64_t>(it->get<double>());
  return std::nullopt;
}
inline bool get_bool(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}
inline std::vector<std::string> get_strings(const json& j, const char* key) {
  std::vector<std::string> out;
  const auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& e : *it)
    if (e.is_string()) out.push_back(e.get<std::string>());
  return out;
}

/// Tool-call arguments as the object Ollama requires (a string holding a JSON object is parsed
/// back; null becomes {}). Throws ollama::error (invalid_request) for anything else.
inline json arguments_object(const json& arguments, const std::string& endpoint) {
  if (arguments.is_object()) return arguments;
  if (arguments.is_null()) return json::object();
  if (arguments.is_string()) {
    json parsed = json::parse(arguments.get<std::string>(), nullptr, false);
    if (parsed.is_object()) return parsed;
  }
  throw error(error_reason::invalid_request, endpoint, 0, 0, http::error_kind::none,
              "tool call arguments must be a JSON object (Ollama rejects strings)");
}

inline json encode_message(const message& m, const std::string& endpoint) {
  json o = json::object();
  o["role"] = m.role;
  o["content"] = m.content;
  if (!m.thinking.empty()) o["thinking"] = m.thinking;
  if (!m.images.empty()) o["images"] = m.images;
  if (!m.tool_calls.empty()) {
    json calls = json::array();
    for (const auto& c : m.tool_calls) {
      json call = json::object();
      if (!c.id.empty()) call["id"] = c.id;
      json fn = json::object();
      if (c.function.index) fn["index"] = *c.function.index;
      fn["name"] = c.function.name;
      fn["arguments"] = arguments_object(c.function.arguments, endpoint);
      call["function"] = std::move(fn);
      calls.push_back(std::move(call));
    }
    o["tool_calls"] = std::move(calls);
  }
  if (!m.tool_name.empty()) o["tool_name"] = m.tool_name;
  if (!m.tool_call_id.empty()) o["tool_call_id"] = m.tool_call_id;
  return o;
}

inline json encode_tool(const tool& t) {
  json fn = json::object();
  fn["name"] = t.function.name;
  if (!t.function.description.empty()) fn["description"] = t.function.description;
  fn["parameters"] = t.function.parameters.is_null() ? json::object() : t.function.parameters;
  json o = json::object();
  o["type"] = t.type.empty() ? std::string("function") : t.type;
  o["function"] = std::move(fn);
  return o;
}

/// Fields chat and generate share, after the endpoint-specific ones.
inline void encode_common(json& o, const inference_settings& r, bool stream) {
  o["stream"] = stream;
  if (r.format) o["format"] = r.format->value();
  if (!r.options.empty()) o["options"] = r.options.to_json();
  if (r.keep_alive) o["keep_alive"] = r.keep_alive->value();
  if (r.think) o["think"] = r.think->value();
  if (r.truncate) o["truncate"] = *r.truncate;
  if (r.shift) o["shift"] = *r.shift;
  if (r.logprobs) o["logprobs"] = *r.logprobs;
  if (r.top_logprobs) o["top_logprobs"] = *r.top_logprobs;
  if (r.extra.is_object())
    for (auto it = r.extra.begin(); it != r.extra.end(); ++it) o[it.key()] = it.value();
}

inline void decode_metrics(const json& j, metrics& m) {
  m.total_duration = get_int(j, "total_duration");
  m.load_duration = get_int(j, "load_duration");
  m.prompt_eval_count = get_int(j, "prompt_eval_count");
  m.prompt_eval_duration = get_int(j, "prompt_eval_duration");
  m.eval_count = get_int(j, "eval_count");
  m.eval_duration = get_int(j, "eval_duration");
}

inline void decode_tool_calls(const json& j, std::vector<tool_call>& out) {
  const auto it = j.find("tool_calls");
  if (it == j.end() || !it->is_array()) return;
  for (const auto& c : *it) {
    if (!c.is_object()) continue;
    tool_call call;
    call.id = get_string(c, "id");
    const auto fn = c.find("function");
    if (fn != c.end() && fn->is_object()) {
      call.function.index = get_int(*fn, "index");
      call.function.name = get_string(*fn, "name");
      const auto args = fn->find("arguments");
      if (args != fn->end()) {
        // Native API: an object. Tolerate a JSON string (OpenAI style) by parsing it back.
        if (args->is_string()) {
          json parsed = json::parse(args->get<std::string>(), nullptr, false);
          call.function.arguments = parsed.is_discarded() ? *args : parsed;
        } else {
          call.function.arguments = *args;
        }
      }
    }
    out.push_back(std::move(call));
  }
}

inline void decode_message(const json& j, message& m) {
  m.role = get_string(j, "role");
  m.content = get_string(j, "content");
  m.thinking = get_string(j, "thinking");
  m.images = get_strings(j, "images");
  decode_tool_calls(j, m.tool_calls);
  m.tool_name = get_string(j, "tool_name");
  m.tool_call_id = get_string(j, "tool_call_id");
}

inline void decode_details(const json& j, model_details& d) {
  const auto it = j.find("details");
  if (it == j.end() || !it->is_object()) return;
  d.parent_model = get_string(*it, "parent_model");
  d.format = get_string(*it, "format");
  d.family = get_string(*it, "family");
  d.families = get_strings(*it, "families");
  d.parameter_size = get_string(*it, "parameter_size");
  d.quantization_level = get_string(*it, "quantization_level");
}

}  // namespace detail

/// The JSON body of a /api/chat request (`stream` always present). Throws ollama::error
/// (invalid_request) for tool-call arguments that cannot be sent as an object.
inline std::string encode(const chat_request& r, bool stream) {
  static const std::string endpoint = "/api/chat";
  json o = json::object();
  o["model"] = r.model;
  json msgs = json::array();
  for (const auto& m : r.messages) msgs.push_back(detail::encode_message(m, endpoint));
  o["messages"] = std::move(msgs);
  if (!r.tools.empty()) {
    json tools = json::array();
    for (const auto& t : r.tools) tools.push_back(detail::encode_tool(t));
    o["tools"] = std::move(tools);
  }
  detail::encode_common(o, r, stream);
  return o.dump();
}

/// The JSON body of a /api/generate request.
inline std::string encode(const generate_request& r, bool stream) {
  json o = json::object();
  o["model"] = r.model;
  o["prompt"] = r.prompt;
  if (!r.suffix.empty()) o["suffix"] = r.suffix;
  if (!r.system.empty()) o["system"] = r.system;
  if (!r.template_text.empty()) o["template"] = r.template_text;
  if (!r.context.empty()) o["context"] = r.context;
  if (!r.images.empty()) o["images"] = r.images;
  if (r.raw) o["raw"] = *r.raw;
  detail::encode_common(o, r, stream);
  return o.dump();
}

/// The JSON body of a /api/embed request.
inline std::string encode(const embed_request& r) {
  json o = json::object();
  o["model"] = r.model;
  o["input"] = r.input;
  if (r.truncate) o["truncate"] = *r.truncate;
  if (r.dimensions) o["dimensions"] = *r.dimensions;
  if (r.keep_alive) o["keep_alive"] = r.keep_alive->value();
  if (!r.options.empty()) o["options"] = r.options.to_json();
  if (r.extra.is_object())
    for (auto it = r.extra.begin(); it != r.extra.end(); ++it) o[it.key()] = it.value();
  return o.dump();
}

/// The JSON body of a legacy /api/embeddings request.
inline std::string encode(const embeddings_request& r) {
  json o = json::object();
  o["model"] = r.model;
  o["prompt"] = r.prompt;
  if (r.keep_alive) o["keep_alive"] = r.keep_alive->value();
  if (!r.options.empty()) o["options"] = r.options.to_json();
  return o.dump();
}

/// The JSON body of a /api/show request.
inline std::string encode(const show_request& r) {
  json o = json::object();
  o["model"] = r.model;
  if (r.verbose) o["verbose"] = true;
  return o.dump();
}

/// Reads a chat response or chunk from its JSON object (missing fields stay empty).
inline void decode(const json& j, chat_response& r) {
  r.model = detail::get_string(j, "model");
  r.created_at = detail::get_string(j, "created_at");
  const auto m = j.find("message");
  if (m != j.end() && m->is_object()) detail::decode_message(*m, r.message);
  r.done = detail::get_bool(j, "done");
  r.done_reason = detail::get_string(j, "done_reason");
  detail::decode_metrics(j, r.metrics);
  const auto lp = j.find("logprobs");
  if (lp != j.end()) r.logprobs = *lp;
}

inline void decode(const json& j, generate_response& r) {
  r.model = detail::get_string(j, "model");
  r.created_at = detail::get_string(j, "created_at");
  r.response = detail::get_string(j, "response");
  r.thinking = detail::get_string(j, "thinking");
  r.done = detail::get_bool(j, "done");
  r.done_reason = detail::get_string(j, "done_reason");
  const auto ctx = j.find("context");
  if (ctx != j.end() && ctx->is_array()) {
    r.context.reserve(ctx->size());
    for (const auto& t : *ctx)
      if (t.is_number()) r.context.push_back(t.get<std::int64_t>());
  }
  detail::decode_metrics(j, r.metrics);
  const auto lp = j.find("logprobs");
  if (lp != j.end()) r.logprobs = *lp;
}

inline void decode(const json& j, embed_response& r) {
  r.model = detail::get_string(j, "model");
  const auto e = j.find("embeddings");
  if (e != j.end() && e->is_array()) {
    r.embeddings.reserve(e->size());
    for (const auto& v : *e) {
      std::vector<float> vec;
      if (v.is_array()) {
        vec.reserve(v.size());
        for (const auto& x : v)
          if (x.is_number()) vec.push_back(x.get<float>());
      }
      r.embeddings.push_back(std::move(vec));
    }
  }
  detail::decode_metrics(j, r.metrics);
}

inline void decode(const json& j, embeddings_response& r) {
  const auto e = j.find("embedding");
  if (e == j.end() || !e->is_array()) return;
  r.embedding.reserve(e->size());
  for (const auto& x : *e)
    if (x.is_number()) r.embedding.push_back(x.get<double>());
}

namespace detail {
/// The fields /api/tags and /api/ps entries share.
template <typename Entry>
void decode_model_common(const json& m, Entry& e) {
  e.name = get_string(m, "name");
  e.model = get_string(m, "model");
  e.size = get_int(m, "size").value_or(0);
  e.digest = get_string(m, "digest");
  decode_details(m, e.details);
}
/// Decodes the `models` array of a /api/tags or /api/ps response.
template <typename Entry, typename Rest>
void decode_models(const json& j, std::vector<Entry>& out, Rest&& rest) {
  const auto ms = j.find("models");
  if (ms == j.end() || !ms->is_array()) return;
  for (const auto& m : *ms) {
    Entry e;
    decode_model_common(m, e);
    rest(m, e);
    out.push_back(std::move(e));
  }
}
}  // namespace detail

inline void decode(const json& j, list_response& r) {
  detail::decode_models(j, r.models, [](const json& m, model_entry& e) {
    e.modified_at = detail::get_string(m, "modified_at");
    e.capabilities = detail::get_strings(m, "capabilities");
    e.remote_model = detail::get_string(m, "remote_model");
    e.remote_host = detail::get_string(m, "remote_host");
  });
}

inline void decode(const json& j, ps_response& r) {
  detail::decode_models(j, r.models, [](const json& m, running_model& e) {
    e.expires_at = detail::get_string(m, "expires_at");
    e.size_vram = detail::get_int(m, "size_vram").value_or(0);
    e.context_length = detail::get_int(m, "context_length").value_or(0);
  });
}

inline void decode(const json& j, show_response& r) {
  r.license = detail::get_string(j, "license");
  r.modelfile = detail::get_string(j, "modelfile");
  r.parameters = detail::get_string(j, "parameters");
  r.template_text = detail::get_string(j, "template");
  r.system = detail::get_string(j, "system");
  detail::decode_details(j, r.details);
  const auto mi = j.find("model_info");
  if (mi != j.end() && mi->is_object()) r.model_info = *mi;
  r.capabilities = detail::get_strings(j, "capabilities");
  r.modified_at = detail::get_string(j, "modified_at");
}

/// Message JSON as Ollama expects it (for logging or custom requests).
inline json to_json(const message& m) { return detail::encode_message(m, "/api/chat"); }
/// Tool definition JSON as Ollama expects it.
inline json to_json(const tool& t) { return detail::encode_tool(t); }

}  // namespace ollama
LLMTRACE_END_NAMESPACE
