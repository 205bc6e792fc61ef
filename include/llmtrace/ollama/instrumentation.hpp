// llmtrace/ollama/instrumentation.hpp: what the Ollama client records beyond the wire: the GenAI
// content-capture mode, the conventions' JSON message format with per-message truncation that keeps
// JSON and UTF-8 valid, the layout of the load / prompt_eval / eval phase spans, and tool_span for
// `execute_tool` spans in an application's tool loop.
// Thread-safety: pure functions and values; a tool_span belongs to one thread, like any span guard.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/detail/env.hpp>
#include <llmtrace/detail/utf8.hpp>
#include <llmtrace/error.hpp>
#include <llmtrace/ollama/types.hpp>
#include <llmtrace/provider.hpp>
#include <llmtrace/semconv.hpp>
#include <llmtrace/span.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <numeric>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE
namespace ollama {

// ---------------------------------------------------------------------------------------------
// Content capture mode
// ---------------------------------------------------------------------------------------------

/// Whether prompts and answers are recorded (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT).
enum class content_capture : unsigned char {
  no_content,      ///< NO_CONTENT (default): no message text anywhere
  span_only,       ///< SPAN_ONLY: gen_ai.input.messages & co. as span attributes
  event_only,      ///< EVENT_ONLY: the same keys on a `gen_ai.client.inference.operation.details` event
  span_and_event,  ///< SPAN_AND_EVENT: both
};

inline bool captures_on_span(content_capture c) noexcept {
  return c == content_capture::span_only || c == content_capture::span_and_event;
}
inline bool captures_on_event(content_capture c) noexcept {
  return c == content_capture::event_only || c == content_capture::span_and_event;
}

/// Parses a capture setting (case-insensitive): NO_CONTENT, SPAN_ONLY, EVENT_ONLY, SPAN_AND_EVENT,
/// and the legacy true (= SPAN_ONLY) / false (= NO_CONTENT). nullopt when invalid.
inline std::optional<content_capture> parse_content_capture(std::string_view value) {
  const auto v = llmtrace::detail::trim(value);
  using llmtrace::detail::iequals;
  if (iequals(v, "NO_CONTENT") || iequals(v, "false")) return content_capture::no_content;
  if (iequals(v, "SPAN_ONLY") || iequals(v, "true")) return content_capture::span_only;
  if (iequals(v, "EVENT_ONLY")) return content_capture::event_only;
  if (iequals(v, "SPAN_AND_EVENT")) return content_capture::span_and_event;
  return std::nullopt;
}

/// The mode from the environment (read at each call); an invalid value is reported once per
/// process through llmtrace's error handler and NO_CONTENT is used.
inline content_capture content_capture_from_env() {
  static std::atomic<bool> reported{false};
  const std::string name(semconv::genai_capture_content_env);
  const auto v = llmtrace::detail::get_env(name.c_str());
  if (!v) return content_capture::no_content;
  if (const auto mode = parse_content_capture(*v)) return *mode;
  if (!reported.exchange(true))
    llmtrace::detail::report_invalid(name, *v, "NO_CONTENT, SPAN_ONLY, EVENT_ONLY, SPAN_AND_EVENT, true or false",
                                     "NO_CONTENT");
  return content_capture::no_content;
}

// ---------------------------------------------------------------------------------------------
// The conventions' JSON message format, with truncation
// ---------------------------------------------------------------------------------------------

namespace detail {

/// Characters (code points) of valid UTF-8 text.
inline std::size_t count_chars(std::string_view s) noexcept {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

/// Characters one byte adds when nlohmann::json writes it inside a string (UTF-8 kept raw).
inline std::size_t escaped_cost(unsigned char c) noexcept {
  if ((c & 0xC0) == 0x80) return 0;  // continuation byte: counted with its lead byte
  if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t') return 2;
  if (c < 0x20) return 6;  // \u00XX
  return 1;
}

inline std::size_t escaped_chars(std::string_view s) noexcept {
  std::size_t n = 0;
  for (char c : s) n += escaped_cost(static_cast<unsigned char>(c));
  return n;
}

/// The longest prefix of valid UTF-8 `s` whose JSON-escaped form has at most `budget` characters
/// (never splits a character).
inline std::string_view escaped_prefix(std::string_view s, std::size_t budget) noexcept {
  std::size_t used = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t cost = escaped_cost(static_cast<unsigned char>(s[i]));
    if (used + cost > budget) break;
    used += cost;
    ++i;
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
  }
  return s.substr(0, i);
}

/// Keys whose string values are structure (never cut): roles, part types, names, ids.
inline bool is_structural_key(std::string_view key) noexcept {
  return key == "role" || key == "type" || key == "name" || key == "id" || key == "finish_reason" ||
         key == "modality" || key == "mime_type";
}

inline void collect_text_leaves(json& j, std::vector<json*>& out) {
  if (j.is_string()) {
    out.push_back(&j);
  } else if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it)
      if (!(it.value().is_string() && is_structural_key(it.key()))) collect_text_leaves(it.value(), out);
  } else if (j.is_array()) {
    for (auto& e : j) collect_text_leaves(e, out);
  }
}

/// Cuts the text of `doc` so that its JSON form fits in `limit` characters: every text gets a fair
/// share of the room left by the structure (short texts stay whole, long ones are cut at a character
/// boundary and end with the marker, which counts inside the limit). When the structure alone does
/// not fit, whole leading array elements (the oldest messages) are dropped. Returns the JSON text
/// and sets `truncated` when anything was cut.
inline std::string fit_json(json doc, std::size_t limit, bool& truncated) {
  std::string out = doc.dump();
  std::size_t total = count_chars(out);
  if (total <= limit) return out;
  truncated = true;
  const std::string_view marker = semconv::ollama_truncation_marker;
  const std::size_t marker_chars = marker.size();
  for (int attempt = 0; attempt < 64; ++attempt) {
    std::vector<json*> leaves;
    collect_text_leaves(doc, leaves);
    std::vector<std::size_t> cost(leaves.size());
    std::size_t text = 0;
    for (std::size_t i = 0; i < leaves.size(); ++i)
      text += cost[i] = escaped_chars(leaves[i]->get_ref<const std::string&>());
    const std::size_t skeleton = total - text;
    if (skeleton > limit) {
      if (doc.is_array() && doc.size() > 1) {
        doc.erase(doc.begin());
      } else {
        doc = doc.is_array() ? json::array() : json::object();
        out = doc.dump();
        return count_chars(out) <= limit ? out : std::string();
      }
    } else {
      // Water-filling: the smallest texts first, each taking at most an equal share of what is left.
      std::vector<std::size_t> order(leaves.size());
      std::iota(order.begin(), order.end(), std::size_t{0});
      std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return cost[a] < cost[b]; });
      std::size_t room = limit - skeleton;
      for (std::size_t k = 0; k < order.size(); ++k) {
        const std::size_t i = order[k];
        const std::size_t share = room / (order.size() - k);
        if (cost[i] <= share) {
          room -= cost[i];
          continue;
        }
        room -= share;
        const std::string& s = leaves[i]->get_ref<const std::string&>();
        std::string cut;
        if (share >= marker_chars) {
          cut.assign(escaped_prefix(s, share - marker_chars));
          cut.append(marker.data(), marker.size());
        }
        *leaves[i] = std::move(cut);
      }
    }
    out = doc.dump();
    total = count_chars(out);
    if (total <= limit) return out;
  }
  return std::string();
}

inline json text_part(std::string_view type, const std::string& content) {
  json p = json::object();
  p["type"] = type;
  p["content"] = llmtrace::detail::sanitize_utf8(content);
  return p;
}

inline json id_or_null(const std::string& id) { return id.empty() ? json(nullptr) : json(id); }

/// The conventions' parts of one Ollama message.
inline json message_parts(const message& m) {
  json parts = json::array();
  if (!m.thinking.empty()) parts.push_back(text_part("reasoning", m.thinking));
  if (!m.content.empty() || (m.tool_calls.empty() && m.images.empty())) {
    if (m.role == "tool") {
      json p = json::object();
      p["type"] = "tool_call_response";
      p["id"] = id_or_null(m.tool_call_id);
      p["response"] = llmtrace::detail::sanitize_utf8(m.content);
      parts.push_back(std::move(p));
    } else {
      parts.push_back(text_part("text", m.content));
    }
  }
  for (const auto& img : m.images) {
    json p = json::object();
    p["type"] = "blob";
    p["modality"] = "image";
    p["content"] = img;
    parts.push_back(std::move(p));
  }
  for (const auto& c : m.tool_calls) {
    json p = json::object();
    p["type"] = "tool_call";
    p["id"] = id_or_null(c.id);
    p["name"] = c.function.name;
    p["arguments"] = c.function.arguments;
    parts.push_back(std::move(p));
  }
  return parts;
}

}  // namespace detail

/// Captured content as attribute values (empty strings are not recorded).
struct captured_content {
  std::string input_messages;       ///< gen_ai.input.messages
  std::string output_messages;      ///< gen_ai.output.messages
  std::string system_instructions;  ///< gen_ai.system_instructions
  std::string tool_definitions;     ///< gen_ai.tool.definitions
  bool truncated = false;           ///< something was cut to fit the limit
};

/// gen_ai.input.messages for a chat request: every non-system message in order, `limit` characters
/// at most (system messages go to system_instructions_json).
inline std::string input_messages_json(const std::vector<message>& messages, std::size_t limit, bool& truncated) {
  json arr = json::array();
  for (const auto& m : messages) {
    if (m.role == "system") continue;
    json o = json::object();
    o["role"] = m.role;
    o["parts"] = detail::message_parts(m);
    arr.push_back(std::move(o));
  }
  return detail::fit_json(std::move(arr), limit, truncated);
}

/// gen_ai.system_instructions: the text parts of the system messages ("" when there are none).
inline std::string system_instructions_json(const std::vector<std::string>& texts, std::size_t limit, bool& truncated) {
  if (texts.empty()) return {};
  json arr = json::array();
  for (const auto& t : texts) arr.push_back(detail::text_part("text", t));
  return detail::fit_json(std::move(arr), limit, truncated);
}

/// gen_ai.output.messages: the assistant's answer with its finish_reason.
inline std::string output_messages_json(const message& answer, std::string_view finish_reason, std::size_t limit,
                                        bool& truncated) {
  json o = json::object();
  o["role"] = answer.role.empty() ? std::string("assistant") : answer.role;
  o["parts"] = detail::message_parts(answer);
  o["finish_reason"] = finish_reason;
  json arr = json::array();
  arr.push_back(std::move(o));
  return detail::fit_json(std::move(arr), limit, truncated);
}

/// gen_ai.tool.definitions ("" when there are no tools).
inline std::string tool_definitions_json(const std::vector<tool>& tools, std::size_t limit, bool& truncated) {
  if (tools.empty()) return {};
  json arr = json::array();
  for (const auto& t : tools) {
    json o = json::object();
    o["type"] = t.type.empty() ? std::string("function") : t.type;
    o["name"] = t.function.name;
    if (!t.function.description.empty()) o["description"] = llmtrace::detail::sanitize_utf8(t.function.description);
    o["parameters"] = t.function.parameters;
    arr.push_back(std::move(o));
  }
  return detail::fit_json(std::move(arr), limit, truncated);
}

/// Text cut to `limit` characters including the truncation marker (UTF-8 repaired, never split).
inline std::string truncate_text(std::string_view text, std::size_t limit, bool& truncated) {
  std::string out = llmtrace::detail::sanitize_utf8(text);
  if (detail::count_chars(out) <= limit) return out;
  truncated = true;
  const std::string_view marker = semconv::ollama_truncation_marker;
  if (limit < marker.size()) return std::string();
  std::string cut;
  llmtrace::detail::append_utf8(cut, out, limit - marker.size());
  cut.append(marker.data(), marker.size());
  return cut;
}

/// Writes captured content where `mode` says: attributes on `s`, and/or one
/// `gen_ai.client.inference.operation.details` event carrying the same keys.
inline void record_content(llmtrace::span& s, content_capture mode, const captured_content& c) {
  if (!s.is_recording() || mode == content_capture::no_content) return;
  std::vector<attribute> attrs;
  attrs.reserve(4);
  if (!c.system_instructions.empty()) attrs.push_back({semconv::gen_ai_system_instructions, c.system_instructions});
  if (!c.input_messages.empty()) attrs.push_back({semconv::gen_ai_input_messages, c.input_messages});
  if (!c.output_messages.empty()) attrs.push_back({semconv::gen_ai_output_messages, c.output_messages});
  if (!c.tool_definitions.empty()) attrs.push_back({semconv::gen_ai_tool_definitions, c.tool_definitions});
  if (captures_on_span(mode)) s.set_attributes(attrs);
  if (captures_on_event(mode)) s.add_event(semconv::gen_ai_client_inference_operation_details, attrs);
  if (c.truncated) s.set_attribute(semconv::ollama_content_truncated, true);
}

// ---------------------------------------------------------------------------------------------
// Phase spans
// ---------------------------------------------------------------------------------------------

/// One server-side phase laid out on the client's timeline.
struct phase_interval {
  std::string_view name;  ///< ollama.load, ollama.prompt_eval, ollama.eval
  std::int64_t start_unix_nano = 0;
  std::int64_t end_unix_nano = 0;
  std::int64_t server_duration_ns = 0;  ///< what the server reported
};

/// Lays out the phases the server reported (load, then prompt evaluation, then generation) so that
/// generation ends at `last_chunk` and they sit back to back inside [request_sent, last_chunk]. When
/// their sum does not fit (clock differences, or a reply that was buffered), all three are scaled down
/// proportionally; each keeps its reported duration in server_duration_ns. Phases the server did not
/// report are left out.
inline std::vector<phase_interval> layout_phases(std::int64_t request_sent, std::int64_t last_chunk, const metrics& m) {
  std::vector<phase_interval> out;
  const std::array<std::pair<std::string_view, std::optional<std::int64_t>>, 3> phases = {{
      {semconv::ollama_span_load, m.load_duration},
      {semconv::ollama_span_prompt_eval, m.prompt_eval_duration},
      {semconv::ollama_span_eval, m.eval_duration},
  }};
  double sum = 0;
  for (const auto& p : phases)
    if (p.second && *p.second > 0) sum += static_cast<double>(*p.second);
  if (sum <= 0) return out;
  last_chunk = std::max(last_chunk, request_sent);
  const double window = static_cast<double>(std::max<std::int64_t>(0, last_chunk - request_sent));
  const double scale = sum > window ? window / sum : 1.0;
  std::int64_t lengths[3] = {0, 0, 0};
  std::int64_t total = 0;
  for (std::size_t i = 0; i < phases.size(); ++i) {
    const auto& d = phases[i].second;
    if (d && *d > 0) total += lengths[i] = static_cast<std::int64_t>(static_cast<double>(*d) * scale);
  }
  // Back to back, the last one ending at the last chunk.
  std::int64_t t = std::max(request_sent, last_chunk - total);
  out.reserve(3);
  for (std::size_t i = 0; i < phases.size(); ++i) {
    const auto& d = phases[i].second;
    if (!d || *d <= 0) continue;
    const std::int64_t end = std::min(last_chunk, t + lengths[i]);
    out.push_back(phase_interval{phases[i].first, t, end, *d});
    t = end;
  }
  if (!out.empty()) out.back().end_unix_nano = last_chunk;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Tool execution spans
// ---------------------------------------------------------------------------------------------

/// How a tool_span is made.
struct tool_span_options {
  /// The tracer to use; default: "llmtrace.ollama" on the global provider.
  std::optional<llmtrace::tracer> tracer;
  /// Content capture for arguments and result; default: from the environment.
  std::optional<content_capture> capture;
  /// gen_ai.tool.description.
  std::string description;
};

/// The tracer the Ollama instrumentation uses by default: "llmtrace.ollama" from the current global
/// provider (looked up again whenever the global provider changes).
inline llmtrace::tracer default_tracer() {
  // Installed providers are never freed (see set_global_provider), so a provider's address
  // identifies it for the life of the process and the per-thread cache cannot dangle.
  thread_local const tracer_provider* cached_provider = nullptr;
  thread_local llmtrace::tracer cached;
  tracer_provider& p = llmtrace::global_provider();
  if (&p != cached_provider) {
    cached = p.get_tracer(semconv::ollama_instrumentation_scope, LLMTRACE_VERSION_STRING, semconv::genai_schema_url);
    cached_provider = &p;
  }
  return cached;
}

/// An `execute_tool {name}` INTERNAL span around one tool execution in an application's tool loop:
/// gen_ai.operation.name=execute_tool, gen_ai.tool.name, gen_ai.tool.call.id, gen_ai.tool.type=function,
/// and (only when content capture is on) gen_ai.tool.call.arguments / gen_ai.tool.call.result. It is
/// the current span while it lives, so a chat issued from inside the tool nests under it.
class [[nodiscard]] tool_span {
 public:
  /// Starts the span for the model's tool call (name, id and arguments taken from it).
  explicit tool_span(const tool_call& call, tool_span_options opts = {})
      : tool_span(call.function.name, call.id, &call.function.arguments, std::move(opts)) {}
  /// Starts the span for a tool named `name`; `arguments` is recorded only under content capture.
  explicit tool_span(std::string_view name, std::string_view call_id = {}, const json* arguments = nullptr,
                     tool_span_options opts = {})
      : capture_(opts.capture ? *opts.capture : content_capture_from_env()) {
    const llmtrace::tracer t = opts.tracer ? *opts.tracer : default_tracer();
    if (t.provider()) limit_ = t.provider()->limits().attribute_value_length;
    std::string span_name = std::string(semconv::op_execute_tool) + " " + std::string(name);
    std::vector<attribute> attrs{{semconv::gen_ai_operation_name, semconv::op_execute_tool},
                                 {semconv::gen_ai_tool_name, name},
                                 {semconv::gen_ai_tool_type, semconv::tool_type_function}};
    if (!call_id.empty()) attrs.push_back({semconv::gen_ai_tool_call_id, call_id});
    if (!opts.description.empty()) attrs.push_back({semconv::gen_ai_tool_description, opts.description});
    span_ = llmtrace::span(t, span_name, span_kind::internal, attrs);
    if (arguments && capture_ != content_capture::no_content && span_.is_recording()) {
      bool cut = false;
      const std::string text = detail::fit_json(*arguments, limit(), cut);
      span_.set_attribute(semconv::gen_ai_tool_call_arguments, text);
      if (cut) span_.set_attribute(semconv::ollama_content_truncated, true);
    }
  }

  /// Records the tool's result (only under content capture).
  tool_span& set_result(std::string_view result) {
    if (capture_ != content_capture::no_content && span_.is_recording()) {
      bool cut = false;
      span_.set_attribute(semconv::gen_ai_tool_call_result, truncate_text(result, limit(), cut));
      if (cut) span_.set_attribute(semconv::ollama_content_truncated, true);
    }
    return *this;
  }
  /// Records a JSON result (only under content capture).
  tool_span& set_result_json(const json& result) {
    if (capture_ != content_capture::no_content && span_.is_recording()) {
      bool cut = false;
      span_.set_attribute(semconv::gen_ai_tool_call_result, detail::fit_json(result, limit(), cut));
      if (cut) span_.set_attribute(semconv::ollama_content_truncated, true);
    }
    return *this;
  }
  /// Marks the execution failed: error.type (the exception's type), status Error, exception event.
  tool_span& set_error(const std::exception& e) noexcept {
    try {
      const std::string type = llmtrace::detail::exception_type_name(e);
      span_.set_attribute(semconv::error_type, type);
      span_.record_exception(type, e.what());
    } catch (...) {
      span_.set_attribute(semconv::error_type, semconv::error_type_other);
    }
    span_.set_status(status_code::error, e.what());
    return *this;
  }
  /// Marks the execution failed with a low-cardinality `type` and a message.
  tool_span& set_error(std::string_view type, std::string_view message) noexcept {
    span_.set_attribute(semconv::error_type, type);
    span_.record_exception(type, message);
    span_.set_status(status_code::error, message);
    return *this;
  }
  /// The underlying span (add your own attributes).
  llmtrace::span& span() noexcept { return span_; }
  /// Ends the span now (otherwise it ends when the tool_span dies).
  void end() noexcept { span_.end(); }

 private:
  std::size_t limit() const noexcept { return limit_; }
  content_capture capture_;
  std::size_t limit_ = span_limits::unlimited;
  llmtrace::span span_;
};

}  // namespace ollama
LLMTRACE_END_NAMESPACE
