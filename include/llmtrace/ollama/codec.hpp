// llmtrace/ollama/codec.hpp: the JSON coding of the types in types.hpp (nlohmann::ordered_json: keys
// keep their order, as tool-call arguments must). Requests serialise only the fields you set;
// responses parse leniently (absent fields stay empty, wrong types are ignored).
// Thread-safety: pure functions.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/ollama/error.hpp>
#include <llmtrace/ollama/types.hpp>

#include <nlohmann/json.hpp>

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
