// The fake Ollama daemon's request validation: bodies decoded into the Go structs of api/types.go
// with Go's UnmarshalTypeError wording, keys canonicalised the way Go matches them, durations,
// options and keep_alive as the server reads them. Pure functions, thread-safe.
#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "fake_ollama_detail.hpp"

namespace llmtrace_test::fake_detail {

// ------------------------------------------------------------------------------------------
// Typed request validation (Go's UnmarshalTypeError wording) and key canonicalisation
// ------------------------------------------------------------------------------------------

enum class fk {
  string,
  boolean,
  integer,
  number,
  any,
  map,
  duration,
  think,
  struct_array,
  struct_object,
  string_list,
  int_list,
  images,
  arguments
};

struct schema;
struct field_spec {
  const char* name;
  fk kind;
  const char* go_type;
  const schema* nested = nullptr;
  const char* elem_type = nullptr;
};
struct schema {
  std::vector<field_spec> fields;
};

const char* json_kind(const ojson& v) {
  if (v.is_string()) return "string";
  if (v.is_number()) return "number";
  if (v.is_boolean()) return "bool";
  if (v.is_array()) return "array";
  if (v.is_object()) return "object";
  return "null";
}

const char* go_any_type(const ojson& v) {
  if (v.is_string()) return "string";
  if (v.is_number()) return "float64";
  if (v.is_boolean()) return "bool";
  if (v.is_array()) return "[]interface {}";
  return "map[string]interface {}";
}

// Go's time.ParseDuration. Returns the error text, or "" with `ns` set.
std::string parse_go_duration(const std::string& orig, std::int64_t& ns) {
  auto quoted = [&]() {
    std::string q = "\"";
    for (char c : orig) {
      if (c == '"' || c == '\\') q += '\\';
      q += c;
    }
    return q + "\"";
  };
  const std::string invalid = "time: invalid duration " + quoted();
  std::string_view s = orig;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") {
    ns = 0;
    return {};
  }
  if (s.empty()) return invalid;
  long double total = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || (s[0] >= '0' && s[0] <= '9'))) return invalid;
    std::size_t k = 0;
    long double v = 0;
    while (k < s.size() && s[k] >= '0' && s[k] <= '9') v = v * 10 + (s[k++] - '0');
    const bool pre = k > 0;
    bool post = false;
    if (k < s.size() && s[k] == '.') {
      ++k;
      long double scale = 1;
      while (k < s.size() && s[k] >= '0' && s[k] <= '9') {
        scale /= 10;
        v += (s[k++] - '0') * scale;
        post = true;
      }
    }
    if (!pre && !post) return invalid;
    s.remove_prefix(k);
    std::size_t u = 0;
    while (u < s.size() && s[u] != '.' && !(s[u] >= '0' && s[u] <= '9')) ++u;
    if (u == 0) return "time: missing unit in duration " + quoted();
    const std::string unit(s.substr(0, u));
    s.remove_prefix(u);
    long double mult = 0;
    if (unit == "ns")
      mult = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs")
      mult = 1e3L;
    else if (unit == "ms")
      mult = 1e6L;
    else if (unit == "s")
      mult = 1e9L;
    else if (unit == "m")
      mult = 60e9L;
    else if (unit == "h")
      mult = 3600e9L;
    else
      return "time: unknown unit \"" + unit + "\" in duration " + quoted();
    total += v * mult;
  }
  if (total > static_cast<long double>(std::numeric_limits<std::int64_t>::max())) return invalid;
  ns = static_cast<std::int64_t>(total);
  if (neg) ns = -ns;
  return {};
}

// Go's base64.StdEncoding.Decode verdict: "" or "illegal base64 data at input byte N" (a `data:`
// URL fails at its ':'). Newlines are skipped; padding is required and only at the end.
std::string go_base64_error(const std::string& s) {
  auto illegal = [](std::size_t at) { return "illegal base64 data at input byte " + std::to_string(at); };
  auto is_b64 = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
  };
  std::size_t j = 0;  // position inside the current 4-character quantum
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\r' || c == '\n') continue;
    if (c == '=') {
      if (j < 2) return illegal(i);
      std::size_t k = i + 1;
      if (j == 2) {  // "xx==": a second '=' must follow
        while (k < s.size() && (s[k] == '\r' || s[k] == '\n')) ++k;
        if (k == s.size() || s[k] != '=') return illegal(k == s.size() ? s.size() : k);
        ++k;
      }
      for (; k < s.size(); ++k)
        if (s[k] != '\r' && s[k] != '\n') return illegal(k);
      return {};
    }
    if (!is_b64(c)) return illegal(i);
    j = (j + 1) % 4;
  }
  if (j != 0) return illegal(s.size() - j);
  return {};
}

struct validation {
  std::string type_error;  // first UnmarshalTypeError (Go keeps decoding and reports it at the end)
  std::string hard_error;  // an error from a custom UnmarshalJSON (aborts decoding)
};

void type_error(validation& v, const ojson& value, const std::string& path, const char* go_type) {
  if (!v.type_error.empty()) return;
  std::string kind = json_kind(value);
  if (value.is_number_float()) kind += " " + value.dump();
  v.type_error = "json: cannot unmarshal " + kind + " into Go struct field " + path + " of type " + go_type;
}

ojson canonicalize(const ojson& in, const schema& sc, const std::string& path, validation& v);

void check_field(const field_spec& f, const ojson& val, ojson& out, const std::string& path, validation& v) {
  const std::string fpath = path + "." + f.name;
  switch (f.kind) {
    case fk::string:
      if (!val.is_string()) return type_error(v, val, fpath, f.go_type);
      break;
    case fk::boolean:
      if (!val.is_boolean()) return type_error(v, val, fpath, f.go_type);
      break;
    case fk::integer:
      if (!val.is_number_integer()) return type_error(v, val, fpath, f.go_type);
      break;
    case fk::number:
      if (!val.is_number()) return type_error(v, val, fpath, f.go_type);
      break;
    case fk::any:
      break;
    case fk::map:
      if (!val.is_object()) return type_error(v, val, fpath, f.go_type);
      break;
    case fk::arguments:
      if (!val.is_object()) return type_error(v, val, fpath, f.go_type);
      break;
    case fk::duration:
      if (val.is_string()) {
        std::int64_t ns = 0;
        std::string e = parse_go_duration(val.get<std::string>(), ns);
        if (!e.empty() && v.hard_error.empty()) v.hard_error = e;
      } else if (!val.is_number() && v.hard_error.empty()) {
        v.hard_error = std::string("Unsupported type: '") + go_any_type(val) + "'";
      }
      break;
    case fk::think:
      if (!val.is_boolean() && !val.is_string() && v.hard_error.empty())
        v.hard_error = "think must be a boolean or string";
      break;
    case fk::string_list:
      if (!val.is_array()) return type_error(v, val, fpath, f.go_type);
      for (const auto& e : val) {
        if (!e.is_string() && !e.is_null()) return type_error(v, e, fpath, f.elem_type);
      }
      break;
    case fk::images:  // []byte: base64.StdEncoding, errors saved like type errors (first one wins)
      if (!val.is_array()) return type_error(v, val, fpath, f.go_type);
      for (const auto& e : val) {
        if (!e.is_string() && !e.is_null()) return type_error(v, e, fpath, f.elem_type);
        if (e.is_string() && v.type_error.empty()) v.type_error = go_base64_error(e.get<std::string>());
      }
      break;
    case fk::int_list:
      if (!val.is_array()) return type_error(v, val, fpath, f.go_type);
      for (const auto& e : val) {
        if (!e.is_number_integer() && !e.is_null()) return type_error(v, e, fpath, f.elem_type);
      }
      break;
    case fk::struct_array: {
      if (!val.is_array()) return type_error(v, val, fpath, f.go_type);
      ojson arr = ojson::array();
      for (const auto& e : val) {
        if (e.is_null()) {
          arr.push_back(ojson::object());
        } else if (!e.is_object()) {
          type_error(v, e, fpath, f.elem_type);
          arr.push_back(ojson::object());
        } else {
          arr.push_back(canonicalize(e, *f.nested, fpath, v));
        }
      }
      out[f.name] = std::move(arr);
      return;
    }
    case fk::struct_object:
      if (!val.is_object()) return type_error(v, val, fpath, f.go_type);
      out[f.name] = canonicalize(val, *f.nested, fpath, v);
      return;
  }
  out[f.name] = val;
}

ojson canonicalize(const ojson& in, const schema& sc, const std::string& path, validation& v) {
  ojson out = ojson::object();
  for (auto it = in.begin(); it != in.end(); ++it) {
    const field_spec* match = nullptr;
    for (const auto& f : sc.fields) {
      if (it.key() == f.name) {
        match = &f;
        break;
      }
    }
    if (match == nullptr) {
      for (const auto& f : sc.fields) {
        if (iequals(it.key(), f.name)) {
          match = &f;
          break;
        }
      }
    }
    if (match == nullptr) {
      out[it.key()] = it.value();  // unknown fields are ignored by the server; kept for the log
      continue;
    }
    if (it.value().is_null()) continue;  // null leaves the Go field at its zero value
    check_field(*match, it.value(), out, path, v);
  }
  return out;
}

const schema& tool_call_function_schema() {
  static const schema s{{{"index", fk::integer, "int"},
                         {"name", fk::string, "string"},
                         {"arguments", fk::arguments, "api.ToolCallFunctionArguments"}}};
  return s;
}
const schema& tool_call_schema() {
  static const schema s{{{"id", fk::string, "string"},
                         {"function", fk::struct_object, "api.ToolCallFunction", &tool_call_function_schema()}}};
  return s;
}
const schema& message_schema() {
  static const schema s{{{"role", fk::string, "string"},
                         {"content", fk::string, "string"},
                         {"thinking", fk::string, "string"},
                         {"images", fk::images, "[]api.ImageData", nullptr, "api.ImageData"},
                         {"tool_calls", fk::struct_array, "[]api.ToolCall", &tool_call_schema(), "api.ToolCall"},
                         {"tool_name", fk::string, "string"},
                         {"tool_call_id", fk::string, "string"}}};
  return s;
}
// api.ToolFunctionParameters: the top-level `type` is a plain string (a list is a type error);
// property schemas are kept as sent here (the server drops keywords it has no field for).
const schema& tool_parameters_schema() {
  static const schema s{{{"type", fk::string, "string"},
                         {"$defs", fk::any, "any"},
                         {"items", fk::any, "any"},
                         {"required", fk::string_list, "[]string", nullptr, "string"},
                         {"properties", fk::map, "map[string]api.ToolProperty"}}};
  return s;
}
const schema& tool_function_schema() {
  static const schema s{{{"name", fk::string, "string"},
                         {"description", fk::string, "string"},
                         {"parameters", fk::struct_object, "api.ToolFunctionParameters", &tool_parameters_schema()}}};
  return s;
}
const schema& tool_schema() {
  static const schema s{
      {{"type", fk::string, "string"}, {"function", fk::struct_object, "api.ToolFunction", &tool_function_schema()}}};
  return s;
}
const schema& chat_schema() {
  static const schema s{{{"model", fk::string, "string"},
                         {"messages", fk::struct_array, "[]api.Message", &message_schema(), "api.Message"},
                         {"stream", fk::boolean, "bool"},
                         {"format", fk::any, "json.RawMessage"},
                         {"keep_alive", fk::duration, "api.Duration"},
                         {"tools", fk::struct_array, "api.Tools", &tool_schema(), "api.Tool"},
                         {"options", fk::map, "map[string]interface {}"},
                         {"think", fk::think, "api.ThinkValue"},
                         {"truncate", fk::boolean, "bool"},
                         {"shift", fk::boolean, "bool"},
                         {"logprobs", fk::boolean, "bool"},
                         {"top_logprobs", fk::integer, "int"}}};
  return s;
}
const schema& generate_schema() {
  static const schema s{{{"model", fk::string, "string"},
                         {"prompt", fk::string, "string"},
                         {"suffix", fk::string, "string"},
                         {"system", fk::string, "string"},
                         {"template", fk::string, "string"},
                         {"context", fk::int_list, "[]int", nullptr, "int"},
                         {"stream", fk::boolean, "bool"},
                         {"raw", fk::boolean, "bool"},
                         {"format", fk::any, "json.RawMessage"},
                         {"keep_alive", fk::duration, "api.Duration"},
                         {"images", fk::images, "[]api.ImageData", nullptr, "api.ImageData"},
                         {"options", fk::map, "map[string]interface {}"},
                         {"think", fk::think, "api.ThinkValue"},
                         {"truncate", fk::boolean, "bool"},
                         {"shift", fk::boolean, "bool"},
                         {"logprobs", fk::boolean, "bool"},
                         {"top_logprobs", fk::integer, "int"}}};
  return s;
}
const schema& embed_schema() {
  static const schema s{{{"model", fk::string, "string"},
                         {"input", fk::any, "interface {}"},
                         {"keep_alive", fk::duration, "api.Duration"},
                         {"truncate", fk::boolean, "bool"},
                         {"dimensions", fk::integer, "int"},
                         {"options", fk::map, "map[string]interface {}"}}};
  return s;
}
const schema& embeddings_schema() {
  static const schema s{{{"model", fk::string, "string"},
                         {"prompt", fk::string, "string"},
                         {"keep_alive", fk::duration, "api.Duration"},
                         {"options", fk::map, "map[string]interface {}"}}};
  return s;
}
const schema& show_schema() {
  static const schema s{{{"model", fk::string, "string"},
                         {"system", fk::string, "string"},
                         {"template", fk::string, "string"},
                         {"verbose", fk::boolean, "bool"},
                         {"options", fk::map, "map[string]interface {}"},
                         {"name", fk::string, "string"}}};
  return s;
}

// Options validation as in api.Options.FromMap; "" when fine.
std::string check_options(const ojson& req) {
  if (!req.contains("options")) return {};
  static const std::set<std::string> ints = {"num_keep",      "seed",       "num_predict",      "top_k",
                                             "repeat_last_n", "num_ctx",    "num_batch",        "num_gpu",
                                             "main_gpu",      "num_thread", "draft_num_predict"};
  static const std::set<std::string> floats = {
      "top_p", "min_p", "typical_p", "temperature", "repeat_penalty", "presence_penalty", "frequency_penalty"};
  for (auto it = req["options"].begin(); it != req["options"].end(); ++it) {
    const std::string& key = it.key();
    const ojson& val = it.value();
    if (val.is_null()) continue;
    if (ints.count(key)) {
      if (!val.is_number()) return "option \"" + key + "\" must be of type integer";
    } else if (floats.count(key)) {
      if (!val.is_number()) return "option \"" + key + "\" must be of type float32";
    } else if (key == "use_mmap") {
      if (!val.is_boolean()) return "option \"" + key + "\" must be of type boolean";
    } else if (key == "stop") {
      if (!val.is_array()) return "option \"" + key + "\" must be of type array";
      for (const auto& e : val) {
        if (!e.is_string()) return "option \"" + key + "\" must be of an array of strings";
      }
    }
    // unknown keys: logged and ignored by the server
  }
  return {};
}

std::int64_t option_int(const ojson& req, const char* key, std::int64_t def) {
  if (!req.contains("options") || !req["options"].contains(key)) return def;
  const ojson& v = req["options"][key];
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_number()) return static_cast<std::int64_t>(v.get<double>());
  return def;
}

// keep_alive in ns: default 5m, negative = forever (INT64_MAX).
std::int64_t keep_alive_ns(const ojson& req) {
  constexpr std::int64_t forever = std::numeric_limits<std::int64_t>::max();
  if (!req.contains("keep_alive")) return 300LL * 1000000000LL;
  const ojson& v = req["keep_alive"];
  if (v.is_number()) {
    const double d = v.get<double>();
    if (d < 0) return forever;
    return static_cast<std::int64_t>(std::trunc(d)) * 1000000000LL;
  }
  std::int64_t ns = 0;
  if (v.is_string() && parse_go_duration(v.get<std::string>(), ns).empty()) return ns < 0 ? forever : ns;
  return 300LL * 1000000000LL;
}

const schema& pull_schema() {  // api.PullRequest, api.PushRequest
  static const schema s{{{"model", fk::string, "string"},
                         {"insecure", fk::boolean, "bool"},
                         {"username", fk::string, "string"},
                         {"password", fk::string, "string"},
                         {"stream", fk::boolean, "bool"},
                         {"name", fk::string, "string"}}};
  return s;
}
const schema& create_schema() {
  static const schema s{{{"model", fk::string, "string"},
                         {"stream", fk::boolean, "bool"},
                         {"quantize", fk::string, "string"},
                         {"from", fk::string, "string"},
                         {"files", fk::map, "map[string]string"},
                         {"adapters", fk::map, "map[string]string"},
                         {"template", fk::string, "string"},
                         {"license", fk::any, "interface {}"},
                         {"system", fk::string, "string"},
                         {"parameters", fk::map, "map[string]interface {}"},
                         {"messages", fk::struct_array, "[]api.Message", &message_schema(), "api.Message"},
                         {"name", fk::string, "string"}}};
  return s;
}
const schema& copy_schema() {
  static const schema s{{{"source", fk::string, "string"}, {"destination", fk::string, "string"}}};
  return s;
}
const schema& delete_schema() {
  static const schema s{{{"model", fk::string, "string"}, {"name", fk::string, "string"}}};
  return s;
}

std::optional<ojson> decode_and_validate(std::string_view body, const schema& sc, const char* go_struct,
                                         std::string& error) {
  decoded_body d = go_decode(body);
  if (d.empty) {
    error = "missing request body";
    return std::nullopt;
  }
  if (!d.ok) {
    error = d.error;
    return std::nullopt;
  }
  if (d.value.is_null()) return ojson::object();
  if (!d.value.is_object()) {
    error = std::string("json: cannot unmarshal ") + json_kind(d.value) + " into Go value of type api." + go_struct;
    return std::nullopt;
  }
  validation v;
  ojson out = canonicalize(d.value, sc, go_struct, v);
  if (!v.hard_error.empty()) {
    error = v.hard_error;
    return std::nullopt;
  }
  if (!v.type_error.empty()) {
    error = v.type_error;
    return std::nullopt;
  }
  return out;
}

}  // namespace llmtrace_test::fake_detail
