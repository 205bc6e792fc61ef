// llmtrace/ollama/codec.hpp: the JSON coding of the types in types.hpp (nlohmann::ordered_json: keys
// keep their order, as tool-call arguments must). Requests serialise only the fields you set;
// responses parse leniently (absent fields stay empty, wrong types are ignored).
// Thread-safety: pure functions.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/detail/json_parse.hpp>
#include <llmtrace/ollama/error.hpp>
#include <llmtrace/ollama/types.hpp>

#include <nlohmann/json.hpp>

#include <cfloat>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE
namespace ollama {

// ---------------------------------------------------------------------------------------------
// JSON encoding (requests) and lenient decoding (responses)
// ---------------------------------------------------------------------------------------------

namespace detail {

inline std::string get_string(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
/// A JSON number as int64, saturated at the int64 range (a count or duration >= 2^63, or 1e300,
/// becomes INT64_MAX; never undefined behaviour); fractions are truncated; nullopt for non-numbers.
inline std::optional<std::int64_t> to_int64(const json& v) noexcept {
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    return u > static_cast<std::uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<std::int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (d != d) return std::nullopt;                   // NaN (not from JSON text, but a json value may hold it)
    if (d >= 9223372036854775808.0) return INT64_MAX;  // 2^63
    if (d <= -9223372036854775808.0) return INT64_MIN;
    return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}
/// A JSON number as float, saturated at +-FLT_MAX (embedding values).
inline float to_float(const json& v) noexcept {
  const double d = v.get<double>();
  if (d > static_cast<double>(FLT_MAX)) return FLT_MAX;
  if (d < -static_cast<double>(FLT_MAX)) return -FLT_MAX;
  return static_cast<float>(d);
}
inline std::optional<std::int64_t> get_int(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end()) return std::nullopt;
  return to_int64(*it);
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

[[noreturn]] inline void invalid_request(const std::string& endpoint, std::string message) {
  throw error(error_reason::invalid_request, endpoint, 0, 0, http::error_kind::none, std::move(message));
}

/// Go's time.ParseDuration grammar: "0", or [-+] followed by one or more <decimal><unit> with units
/// ns, us, µs, μs, ms, s, m, h ("5m", "1h30m", "-1s", "1.5h").
inline bool is_go_duration(std::string_view s) noexcept {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s == "0") return true;
  if (s.empty()) return false;
  while (!s.empty()) {
    std::size_t i = 0;
    bool digits = false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, digits = true;
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, digits = true;
    }
    if (!digits) return false;
    s.remove_prefix(i);
    bool unit = false;
    for (std::string_view u : {"ns", "us", "\xC2\xB5s", "\xCE\xBCs", "ms", "s", "m", "h"}) {
      if (s.substr(0, u.size()) == u) {
        // "m" must not eat the "m" of "ms"; the list tries "ms" first.
        s.remove_prefix(u.size());
        unit = true;
        break;
      }
    }
    if (!unit) return false;
  }
  return true;
}

/// keep_alive as the server accepts it: a JSON number is seconds; a string must be a Go duration.
/// An integer string ("300", "-1") means seconds unambiguously and is sent as a number; anything
/// else is rejected here (the server would answer 400).
inline json keep_alive_json(const keep_alive_value& k, const std::string& endpoint) {
  const json& v = k.value();
  if (!v.is_string()) return v;
  const std::string& s = v.get_ref<const std::string&>();
  if (is_go_duration(s)) return v;
  std::string_view digits = s;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.remove_prefix(1);
  if (!digits.empty() && digits.size() <= 18 && digits.find_first_not_of("0123456789") == std::string_view::npos) {
    std::int64_t n = 0;
    for (char c : digits) n = n * 10 + (c - '0');
    return s[0] == '-' ? -n : n;
  }
  invalid_request(
      endpoint, "keep_alive \"" + s + "\" is neither a Go duration (\"5m\", \"1h30m\", \"0\") nor a number of seconds");
}

/// Standard, padded base64 as Go's encoding/json decodes []byte (no data: URL prefix).
inline void check_image(const std::string& image, std::size_t index, const std::string& endpoint) {
  if (image.compare(0, 5, "data:") == 0)
    invalid_request(endpoint, "image " + std::to_string(index) +
                                  " is a data: URL; Ollama wants plain base64 (drop the \"data:...;base64,\" prefix)");
  std::size_t n = 0, pad = 0;
  for (char c : image) {
    if (c == '\r' || c == '\n') continue;
    const bool b64 = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (c == '=') {
      ++pad;
    } else if (!b64 || pad) {
      invalid_request(endpoint,
                      "image " + std::to_string(index) + " is not valid base64 (character " + std::to_string(n) + ")");
    }
    ++n;
  }
  if (n % 4 != 0 || pad > 2)
    invalid_request(endpoint, "image " + std::to_string(index) + " is not valid base64 (length or padding)");
}

inline void check_images(const std::vector<std::string>& images, const std::string& endpoint) {
  for (std::size_t i = 0; i < images.size(); ++i) check_image(images[i], i, endpoint);
}

inline json encode_message(const message& m, const std::string& endpoint) {
  json o = json::object();
  o["role"] = m.role;
  o["content"] = m.content;
  if (!m.thinking.empty()) o["thinking"] = m.thinking;
  check_images(m.images, endpoint);
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

inline json encode_tool(const tool& t, const std::string& endpoint = "/api/chat") {
  const auto type = t.function.parameters.is_object() ? t.function.parameters.find("type") : json::const_iterator{};
  if (t.function.parameters.is_object() && type != t.function.parameters.end() && !type->is_string())
    invalid_request(endpoint, "tool \"" + t.function.name +
                                  "\": parameters.type must be a string such as \"object\" (Ollama rejects " +
                                  std::string(type->type_name()) + " here)");
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
inline void encode_common(json& o, const inference_settings& r, bool stream, const std::string& endpoint) {
  o["stream"] = stream;
  if (r.format) o["format"] = r.format->value();
  if (!r.options.empty()) o["options"] = r.options.to_json();
  if (r.keep_alive) o["keep_alive"] = keep_alive_json(*r.keep_alive, endpoint);
  if (r.think) {
    if (r.think->is_level()) {
      const std::string l = r.think->level();
      if (l != "low" && l != "medium" && l != "high" && l != "max")
        invalid_request(endpoint, "invalid think value: " + json(l).dump() +
                                      " (must be \"high\", \"medium\", \"low\", \"max\", true, or false)");
    }
    o["think"] = r.think->value();
  }
  if (r.top_logprobs && (*r.top_logprobs < 0 || *r.top_logprobs > 20))
    invalid_request(endpoint, "top_logprobs must be between 0 and 20");
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

/// Decodes `tool_calls`, moving the arguments out of `j` (never a recursive copy of a foreign tree).
inline void decode_tool_calls(json& j, std::vector<tool_call>& out) {
  const auto it = j.find("tool_calls");
  if (it == j.end() || !it->is_array()) return;
  for (auto& c : *it) {
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
          auto parsed = llmtrace::detail::parse_json<json>(args->get_ref<const std::string&>());
          call.function.arguments = parsed.ok() ? std::move(parsed.value) : std::move(*args);
        } else {
          call.function.arguments = std::move(*args);
        }
      }
    }
    out.push_back(std::move(call));
  }
}

inline void decode_message(json& j, message& m) {
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
  d.context_length = get_int(*it, "context_length");
  d.embedding_length = get_int(*it, "embedding_length");
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
    for (const auto& t : r.tools) tools.push_back(detail::encode_tool(t, endpoint));
    o["tools"] = std::move(tools);
  }
  detail::encode_common(o, r, stream, endpoint);
  return o.dump();
}

/// The JSON body of a /api/generate request.
inline std::string encode(const generate_request& r, bool stream) {
  static const std::string endpoint = "/api/generate";
  json o = json::object();
  o["model"] = r.model;
  o["prompt"] = r.prompt;
  if (!r.suffix.empty()) o["suffix"] = r.suffix;
  if (!r.system.empty()) o["system"] = r.system;
  if (!r.template_text.empty()) o["template"] = r.template_text;
  if (!r.context.empty()) o["context"] = r.context;
  detail::check_images(r.images, endpoint);
  if (!r.images.empty()) o["images"] = r.images;
  if (r.raw) o["raw"] = *r.raw;
  detail::encode_common(o, r, stream, endpoint);
  return o.dump();
}

/// The JSON body of a /api/embed request.
inline std::string encode(const embed_request& r) {
  json o = json::object();
  o["model"] = r.model;
  o["input"] = r.input;
  if (r.truncate) o["truncate"] = *r.truncate;
  if (r.dimensions) o["dimensions"] = *r.dimensions;
  if (r.keep_alive) o["keep_alive"] = detail::keep_alive_json(*r.keep_alive, "/api/embed");
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
  if (r.keep_alive) o["keep_alive"] = detail::keep_alive_json(*r.keep_alive, "/api/embeddings");
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

// Every decode() below has two forms: `json&&` moves nested values (tool-call arguments, logprobs,
// model_info, ...) out of the document, which is what the client does with what it parsed; `const
// json&` works on a copy. Numbers are saturated to their C++ type (see detail::to_int64).

/// Reads a chat response or chunk from its JSON object (missing fields stay empty).
inline void decode(json&& j, chat_response& r) {
  r.model = detail::get_string(j, "model");
  r.remote_model = detail::get_string(j, "remote_model");
  r.remote_host = detail::get_string(j, "remote_host");
  r.created_at = detail::get_string(j, "created_at");
  const auto m = j.find("message");
  if (m != j.end() && m->is_object()) detail::decode_message(*m, r.message);
  r.done = detail::get_bool(j, "done");
  r.done_reason = detail::get_string(j, "done_reason");
  detail::decode_metrics(j, r.metrics);
  const auto lp = j.find("logprobs");
  if (lp != j.end()) r.logprobs = std::move(*lp);
}

inline void decode(json&& j, generate_response& r) {
  r.model = detail::get_string(j, "model");
  r.remote_model = detail::get_string(j, "remote_model");
  r.remote_host = detail::get_string(j, "remote_host");
  r.created_at = detail::get_string(j, "created_at");
  r.response = detail::get_string(j, "response");
  r.thinking = detail::get_string(j, "thinking");
  r.done = detail::get_bool(j, "done");
  r.done_reason = detail::get_string(j, "done_reason");
  const auto ctx = j.find("context");
  if (ctx != j.end() && ctx->is_array()) {
    r.context.reserve(ctx->size());
    for (const auto& t : *ctx)
      if (const auto v = detail::to_int64(t)) r.context.push_back(*v);
  }
  detail::decode_tool_calls(j, r.tool_calls);  // gpt-oss & co. (since v0.11.1), final chunk
  detail::decode_metrics(j, r.metrics);
  const auto lp = j.find("logprobs");
  if (lp != j.end()) r.logprobs = std::move(*lp);
}

inline void decode(json&& j, embed_response& r) {
  r.model = detail::get_string(j, "model");
  const auto e = j.find("embeddings");
  if (e != j.end() && e->is_array()) {
    r.embeddings.reserve(e->size());
    for (const auto& v : *e) {
      std::vector<float> vec;
      if (v.is_array()) {
        vec.reserve(v.size());
        for (const auto& x : v)
          if (x.is_number()) vec.push_back(detail::to_float(x));
      }
      r.embeddings.push_back(std::move(vec));
    }
  }
  detail::decode_metrics(j, r.metrics);
}

inline void decode(json&& j, embeddings_response& r) {
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

inline void decode(json&& j, list_response& r) {
  detail::decode_models(j, r.models, [](const json& m, model_entry& e) {
    e.modified_at = detail::get_string(m, "modified_at");
    e.capabilities = detail::get_strings(m, "capabilities");
    e.remote_model = detail::get_string(m, "remote_model");
    e.remote_host = detail::get_string(m, "remote_host");
  });
}

inline void decode(json&& j, ps_response& r) {
  detail::decode_models(j, r.models, [](const json& m, running_model& e) {
    e.expires_at = detail::get_string(m, "expires_at");
    e.size_vram = detail::get_int(m, "size_vram").value_or(0);
    e.context_length = detail::get_int(m, "context_length").value_or(0);
  });
}

inline void decode(json&& j, show_response& r) {
  r.license = detail::get_string(j, "license");
  r.modelfile = detail::get_string(j, "modelfile");
  r.parameters = detail::get_string(j, "parameters");
  r.template_text = detail::get_string(j, "template");
  r.system = detail::get_string(j, "system");
  r.renderer = detail::get_string(j, "renderer");
  r.parser = detail::get_string(j, "parser");
  detail::decode_details(j, r.details);
  const auto msgs = j.find("messages");
  if (msgs != j.end() && msgs->is_array()) {
    for (auto& m : *msgs) {
      if (!m.is_object()) continue;
      message out;
      detail::decode_message(m, out);
      r.messages.push_back(std::move(out));
    }
  }
  const auto mi = j.find("model_info");
  if (mi != j.end() && mi->is_object()) r.model_info = std::move(*mi);
  const auto pi = j.find("projector_info");
  if (pi != j.end() && pi->is_object()) r.projector_info = std::move(*pi);
  const auto ts = j.find("tensors");
  if (ts != j.end() && ts->is_array()) {
    for (const auto& t : *ts) {
      if (!t.is_object()) continue;
      tensor_info ti;
      ti.name = detail::get_string(t, "name");
      ti.type = detail::get_string(t, "type");
      const auto shape = t.find("shape");
      if (shape != t.end() && shape->is_array())
        for (const auto& d : *shape)
          if (const auto v = detail::to_int64(d)) ti.shape.push_back(*v);
      r.tensors.push_back(std::move(ti));
    }
  }
  r.capabilities = detail::get_strings(j, "capabilities");
  r.modified_at = detail::get_string(j, "modified_at");
  r.requires_version = detail::get_string(j, "requires");
  r.remote_model = detail::get_string(j, "remote_model");
  r.remote_host = detail::get_string(j, "remote_host");
}

/// A progress object of pull / push / create.
inline void decode(json&& j, progress_response& r) {
  r.status = detail::get_string(j, "status");
  r.digest = detail::get_string(j, "digest");
  r.total = detail::get_int(j, "total").value_or(0);
  r.completed = detail::get_int(j, "completed").value_or(0);
}

/// The JSON body of a /api/pull request (always streamed: progress comes as NDJSON).
inline std::string encode(const pull_request& r) {
  json o = json::object();
  o["model"] = r.model;
  if (r.insecure) o["insecure"] = true;
  o["stream"] = true;
  return o.dump();
}

/// The JSON body of a /api/push request (streamed).
inline std::string encode(const push_request& r) {
  json o = json::object();
  o["model"] = r.model;
  if (r.insecure) o["insecure"] = true;
  o["stream"] = true;
  return o.dump();
}

/// The JSON body of a /api/create request (streamed).
inline std::string encode(const create_request& r) {
  static const std::string endpoint = "/api/create";
  json o = json::object();
  o["model"] = r.model;
  if (!r.from.empty()) o["from"] = r.from;
  if (!r.system.empty()) o["system"] = r.system;
  if (!r.template_text.empty()) o["template"] = r.template_text;
  if (r.parameters.is_object() && !r.parameters.empty()) o["parameters"] = r.parameters;
  if (!r.messages.empty()) {
    json msgs = json::array();
    for (const auto& m : r.messages) msgs.push_back(detail::encode_message(m, endpoint));
    o["messages"] = std::move(msgs);
  }
  if (!r.quantize.empty()) o["quantize"] = r.quantize;
  o["stream"] = true;
  return o.dump();
}

/// The JSON body of a /api/copy request.
inline std::string encode(const copy_request& r) {
  json o = json::object();
  o["source"] = r.source;
  o["destination"] = r.destination;
  return o.dump();
}

/// Copying forms of decode() (see above). One overload per response type: a generic template
/// constrained on the moving form recursed without end in clang's overload resolution.
inline void decode(const json& j, chat_response& r) { decode(json(j), r); }
inline void decode(const json& j, generate_response& r) { decode(json(j), r); }
inline void decode(const json& j, embed_response& r) { decode(json(j), r); }
inline void decode(const json& j, embeddings_response& r) { decode(json(j), r); }
inline void decode(const json& j, list_response& r) { decode(json(j), r); }
inline void decode(const json& j, ps_response& r) { decode(json(j), r); }
inline void decode(const json& j, show_response& r) { decode(json(j), r); }
inline void decode(const json& j, progress_response& r) { decode(json(j), r); }

/// Message JSON as Ollama expects it (for logging or custom requests).
inline json to_json(const message& m) { return detail::encode_message(m, "/api/chat"); }
/// Tool definition JSON as Ollama expects it.
inline json to_json(const tool& t) { return detail::encode_tool(t); }

}  // namespace ollama
LLMTRACE_END_NAMESPACE
