// llmtrace/ollama/instrumentation.hpp: what the Ollama client records: the GenAI content-capture mode,
// the conventions' JSON message format with per-message truncation that keeps JSON and UTF-8 valid,
// the layout of the load / prompt_eval / eval phase spans, tool_span for `execute_tool` spans in an
// application's tool loop, and the recorder of one client call (its span and every attribute).
// Thread-safety: pure functions and values; a tool_span or call_recorder belongs to one call/thread.
// Heavy: needs nlohmann_json; link llmtrace::llmtrace.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/detail/clock.hpp>
#include <llmtrace/detail/env.hpp>
#include <llmtrace/detail/utf8.hpp>
#include <llmtrace/error.hpp>
#include <llmtrace/logs/genai_events.hpp>
#include <llmtrace/metrics/genai.hpp>
#include <llmtrace/ollama/error.hpp>
#include <llmtrace/ollama/host.hpp>
#include <llmtrace/ollama/types.hpp>
#include <llmtrace/provider.hpp>
#include <llmtrace/semconv.hpp>
#include <llmtrace/span.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <initializer_list>
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
  std::size_t total = llmtrace::detail::utf8_char_count(out);
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
        return llmtrace::detail::utf8_char_count(out) <= limit ? out : std::string();
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
    total = llmtrace::detail::utf8_char_count(out);
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

/// gen_ai.input.messages for a chat request: every message in order, system messages of the history
/// included (GenAI v0.1.0), `limit` characters at most.
inline std::string input_messages_json(const std::vector<message>& messages, std::size_t limit, bool& truncated) {
  json arr = json::array();
  for (const auto& m : messages) {
    json o = json::object();
    o["role"] = m.role;
    o["parts"] = detail::message_parts(m);
    arr.push_back(std::move(o));
  }
  return detail::fit_json(std::move(arr), limit, truncated);
}

/// gen_ai.system_instructions: instructions given apart from the chat history (generate's `system`)
/// as text parts ("" when there are none).
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
  if (llmtrace::detail::utf8_char_count(out) <= limit) return out;
  truncated = true;
  const std::string_view marker = semconv::ollama_truncation_marker;
  if (limit < marker.size()) return std::string();
  std::string cut;
  llmtrace::detail::append_utf8(cut, out, limit - marker.size());
  cut.append(marker.data(), marker.size());
  return cut;
}

/// Writes captured content where `mode` says: JSON-string attributes on `s`, and/or one
/// `gen_ai.client.inference.operation.details` log-record event with the span's GenAI attributes and
/// the same keys as structured values (logs/genai_events.hpp; it needs a logger provider, which
/// llmtrace::init installs).
inline void record_content(llmtrace::span& s, content_capture mode, const captured_content& c) {
  if (!s.is_recording() || mode == content_capture::no_content) return;
  if (captures_on_span(mode)) {
    std::vector<attribute> attrs;
    attrs.reserve(4);
    if (!c.system_instructions.empty()) attrs.push_back({semconv::gen_ai_system_instructions, c.system_instructions});
    if (!c.input_messages.empty()) attrs.push_back({semconv::gen_ai_input_messages, c.input_messages});
    if (!c.output_messages.empty()) attrs.push_back({semconv::gen_ai_output_messages, c.output_messages});
    if (!c.tool_definitions.empty()) attrs.push_back({semconv::gen_ai_tool_definitions, c.tool_definitions});
    s.set_attributes(attrs);
  }
  if (c.truncated) s.set_attribute(semconv::ollama_content_truncated, true);
  if (captures_on_event(mode))
    genai::emit_inference_details(s, c.system_instructions, c.input_messages, c.output_messages, c.tool_definitions,
                                  c.truncated);
}

// ---------------------------------------------------------------------------------------------
// Phase spans
// ---------------------------------------------------------------------------------------------

/// One server-side phase laid out on the client's timeline (a reconstruction: Ollama reports only the
/// durations, in the final chunk).
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

namespace detail {
struct ollama_scope {
  static constexpr std::string_view name = semconv::ollama_instrumentation_scope;
  static constexpr std::string_view version = LLMTRACE_VERSION_STRING;
  static constexpr std::string_view schema_url = semconv::genai_schema_url;
};
}  // namespace detail

/// The tracer the Ollama instrumentation uses by default: "llmtrace.ollama" from the current global
/// provider (cached per thread, looked up again whenever the global provider changes).
inline llmtrace::tracer default_tracer() { return llmtrace::detail::cached_global_tracer<detail::ollama_scope>(); }

/// An `execute_tool {name}` INTERNAL span around one tool execution in an application's tool loop:
/// gen_ai.operation.name=execute_tool, gen_ai.tool.name, gen_ai.tool.call.id, gen_ai.tool.type=function,
/// and (only when content capture is on) gen_ai.tool.call.arguments / gen_ai.tool.call.result. It is
/// the current span while it lives, so a chat issued from inside the tool nests under it. When it ends
/// it records gen_ai.execute_tool.duration (gen_ai.tool.name, gen_ai.tool.type, error.type after
/// set_error) to the global meter provider, equal to the span's duration.
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
    if (span_.is_recording()) provider_ = t.provider();
    const genai::instruments& in = genai::current();
    if (in.enabled) {
      ins_ = &in;
      name_.assign(name.data(), name.size());
      start_ = provider_ ? span_.start_time_unix_nano() : now();
    }
    if (arguments && capture_ != content_capture::no_content && span_.is_recording()) {
      bool cut = false;
      const std::string text = detail::fit_json(*arguments, limit(), cut);
      span_.set_attribute(semconv::gen_ai_tool_call_arguments, text);
      if (cut) span_.set_attribute(semconv::ollama_content_truncated, true);
    }
  }

  tool_span(const tool_span&) = delete;
  tool_span& operator=(const tool_span&) = delete;
  ~tool_span() { end(); }

  /// Records the tool's text result (only under content capture), JSON-encoded as the conventions ask
  /// (`"text"` with quotes and escapes; cut inside the string to fit the length limit).
  tool_span& set_result(std::string_view result) {
    if (capture_ != content_capture::no_content && span_.is_recording()) {
      bool cut = false;
      span_.set_attribute(semconv::gen_ai_tool_call_result,
                          detail::fit_json(json(llmtrace::detail::sanitize_utf8(result)), limit(), cut));
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
    span_.set_error(e);
    if (ins_) {
      try {
        error_type_ = llmtrace::detail::exception_type_name(e);
      } catch (...) {
        error_type_ = semconv::error_type_other;
      }
    }
    return *this;
  }
  /// Marks the execution failed with a low-cardinality `type` and a message.
  tool_span& set_error(std::string_view type, std::string_view message) noexcept {
    span_.set_error(type, message);
    try {
      if (ins_) error_type_.assign(type.data(), type.size());
    } catch (...) {
      error_type_ = semconv::error_type_other;
    }
    return *this;
  }
  /// The underlying span (add your own attributes).
  llmtrace::span& span() noexcept { return span_; }
  /// Ends the span now (otherwise it ends when the tool_span dies) and records the duration metric.
  void end() noexcept {
    if (ended_) return;
    ended_ = true;
    const std::int64_t t = now();
    if (ins_) {
      attribute a[3];
      std::size_t n = 0;
      a[n++] = {semconv::gen_ai_tool_name, name_};
      a[n++] = {semconv::gen_ai_tool_type, semconv::tool_type_function};
      if (!error_type_.empty()) a[n++] = {semconv::error_type, error_type_};
      ins_->execute_tool_duration.record(static_cast<double>(std::max<std::int64_t>(t - start_, 0)) / 1e9,
                                         attribute_list(a, n));
    }
    span_.end(t);
  }

 private:
  std::size_t limit() const noexcept { return limit_; }
  std::int64_t now() const noexcept { return provider_ ? provider_->now() : llmtrace::detail::unix_now_ns(); }
  content_capture capture_;
  std::size_t limit_ = span_limits::unlimited;
  llmtrace::span span_;
  tracer_provider* provider_ = nullptr;  // while the span records: its clock
  const genai::instruments* ins_ = nullptr;
  std::string name_;
  std::string error_type_;
  std::int64_t start_ = 0;
  bool ended_ = false;
};

// ---------------------------------------------------------------------------------------------
// What one call records
// ---------------------------------------------------------------------------------------------

// What a client call records (tracer "llmtrace.ollama", schema semconv::genai_schema_url):
//
// chat / generate / embed / embeddings: one CLIENT span `chat {model}`, `text_completion {model}`,
// `embeddings {model}`, child of the caller's current span and current while the call runs (so the
// traceparent sent names it as the parent).
// - At start: gen_ai.operation.name, gen_ai.provider.name=ollama, gen_ai.request.model, server.address,
//   server.port. Then ollama.api, gen_ai.request.stream (true, streaming calls only), the request
//   options (temperature, top_p, top_k, seed, max_tokens <- num_predict, stop_sequences,
//   frequency/presence_penalty), gen_ai.request.reasoning.level (think level string),
//   gen_ai.output.type=json (format set), gen_ai.conversation.id (only when given), ollama.keep_alive,
//   ollama.request.message_count, ollama.request.tool_count; embeddings: gen_ai.request.encoding_formats
//   ["float"], ollama.request.input_count, gen_ai.embeddings.dimension.count.
// - From the answer: gen_ai.response.model, gen_ai.response.finish_reasons [done_reason],
//   gen_ai.usage.input_tokens (prompt_eval_count: since Ollama v0.30.1 it INCLUDES prompt tokens
//   served from the cache, while prompt_eval_duration covers only the uncached ones, so no prefill
//   rate is recorded), gen_ai.usage.output_tokens (eval_count), the ollama.* timings in seconds and
//   counts, ollama.tokens_per_second, ollama.client_overhead, ollama.cold_start,
//   ollama.response.tool_call_count; streaming: gen_ai.response.time_to_first_chunk (request sent ->
//   first chunk) and ollama.chunk_count. Where the model runs (client_options::record_gpu, cached
//   /api/ps): ollama.model.size, ollama.model.size_vram, ollama.model.gpu_fraction.
// - Phases (chat and generate, when the final chunk has metrics): INTERNAL children ollama.load,
//   ollama.prompt_eval, ollama.eval with explicit times. They are CLIENT-SIDE RECONSTRUCTIONS: laid out
//   back to back from the durations in the final chunk and ending at the last chunk (see
//   layout_phases), each with its server duration. Ollama's server emits no spans of its own and
//   ignores an incoming traceparent.
// - Failure: status Error with the server's message, error.type (see error::error_type(): "404",
//   "503", "timeout", "connect", "resolve", "tls", "send", "receive", "stream_error",
//   "incomplete_stream", "invalid_response", "invalid_request", "_OTHER", or the exception's type when
//   the caller's chunk callback threw), ollama.error.reason, ollama.error.retryable, and an `exception`
//   event.
// - Cancellation (the chunk callback returned false): not a failure. Status stays Unset, no
//   error.type; ollama.stream.cancelled=true, and the chunks seen so far are counted.
// - Content (off by default; see content_capture): gen_ai.system_instructions, gen_ai.input.messages,
//   gen_ai.output.messages, gen_ai.tool.definitions as attributes (SPAN_*) and/or on one
//   gen_ai.client.inference.operation.details event (*_EVENT), each cut per message to the provider's
//   attribute value length limit (ollama.content.truncated=true when cut).
// pull / push / create / copy / delete: one CLIENT span `ollama.pull {model}` (copy: the source)
// with gen_ai.request.model, server.address, server.port, ollama.api, ollama.progress.total_bytes /
// completed_bytes / layers / status (pull, push, create), ollama.stream.cancelled when the progress
// callback stopped it, and failures as above (see management_recorder).
// tags, show, ps, version, is_running record no span; traceparent is still sent (except for cloud
// models, see client_options::propagate_to_cloud).
//
// The ollama.* values (from the final chunk; durations in seconds, counts are ints):
//   ollama.total_duration / load_duration / prompt_eval_duration / eval_duration  double, seconds
//   ollama.prompt_eval_count / eval_count      int, as reported (same as gen_ai.usage.*_tokens)
//   ollama.tokens_per_second                   double, eval_count / eval_duration (server-side speed)
//   ollama.prompt_tokens_per_second            double, prompt_eval_count / prompt_eval_duration (prefill)
//   ollama.client_overhead                     double, seconds: span duration minus total_duration
//                                              (network, queueing, parsing; negative when the server's
//                                              clock reports more than the client saw)
//   ollama.cold_start                          bool, load_duration above the client's threshold (1 s)
//   ollama.chunk_count                         int, NDJSON chunks received (streaming calls only)
//   ollama.keep_alive                          string, the request's keep_alive as sent ("5m", "0", "-1")
//   ollama.model.size / size_vram              int, bytes of the model / in GPU memory (from /api/ps)
//   ollama.model.gpu_fraction                  double, size_vram / size (0: CPU only)

namespace detail {

inline double seconds(std::int64_t ns) noexcept { return static_cast<double>(ns) / 1e9; }

/// A failed call on its span: error.type, ollama.error.reason / retryable, an `exception` event and
/// status Error with the server's message.
inline void record_failure(llmtrace::span& s, const error& e) noexcept {
  if (!s.is_recording()) return;
  std::string type;
  try {
    type = e.error_type();
  } catch (...) {
  }
  s.set_error(e, type.empty() ? semconv::error_type_other : std::string_view(type), e.server_message());
  s.set_attribute(semconv::ollama_error_reason, to_string(e.reason()));
  s.set_attribute(semconv::ollama_error_retryable, e.retryable());
}
/// Any exception: ollama::error as above, others by their type (e.g. thrown by a caller's callback).
inline void record_failure(llmtrace::span& s, std::exception_ptr ep) noexcept {
  if (!s.is_recording()) return;
  try {
    std::rethrow_exception(ep);
  } catch (const error& e) {
    record_failure(s, e);
  } catch (const std::exception& e) {
    s.set_error(e);
  } catch (...) {
    s.set_error(semconv::error_type_other, "unknown exception");
  }
}

/// A CLIENT span `{operation} {model}` (current while it lives) with its start attributes.
inline llmtrace::span start_client_span(const llmtrace::tracer& t, std::string_view operation, const std::string& model,
                                        attribute_list start) {
  std::string name(operation);
  if (!model.empty()) name.append(" ").append(model);
  span_start_options o;
  o.kind = span_kind::client;
  o.attributes = start;
  return llmtrace::span(t, name, o);
}

/// One traced inference or embeddings call: the CLIENT span and what it records, and the GenAI
/// metrics (see "What one call records"). The span part does nothing when instrumentation is off or
/// the span is not recording; the metric part does nothing when `metrics` is false or the global
/// meter provider is the no-op one. Metrics are recorded whether or not the span is sampled.
class call_recorder {
 public:
  call_recorder(bool enabled, const llmtrace::tracer& t, std::string_view operation, std::string_view endpoint,
                const std::string& model, const host_config& host, bool streaming, bool metrics = false) noexcept
      : operation_(operation), model_(&model), host_(&host) {
    if (metrics) {
      const genai::instruments& in = genai::current();
      if (in.enabled) ins_ = &in;
    }
    if (enabled && t.enabled()) {
      try {
        attribute start[5];
        std::size_t n = 0;
        start[n++] = {semconv::gen_ai_operation_name, operation};
        start[n++] = {semconv::gen_ai_provider_name, semconv::provider_ollama};
        if (!model.empty()) start[n++] = {semconv::gen_ai_request_model, model};  // conditionally required
        start[n++] = {semconv::server_address, host.host};
        start[n++] = {semconv::server_port, static_cast<std::int64_t>(host.port)};
        span_ = start_client_span(t, operation, model, attribute_list(start, n));
        if (span_.is_recording()) {
          provider_ = t.provider();
          tracer_ = t;
          span_.set_attribute(semconv::ollama_api, endpoint);
          if (streaming) span_.set_attribute(semconv::gen_ai_request_stream, true);
        }
      } catch (...) {
        span_ = llmtrace::span();
      }
    }
    if (timing()) start_ = recording() ? span_.start_time_unix_nano() : now();
  }
  call_recorder(const call_recorder&) = delete;
  call_recorder& operator=(const call_recorder&) = delete;
  ~call_recorder() { end(); }

  bool recording() const noexcept { return span_.is_recording(); }
  /// Metrics are recorded for this call.
  bool measuring() const noexcept { return ins_ != nullptr; }
  llmtrace::span& span() noexcept { return span_; }
  std::size_t value_limit() const noexcept {
    return provider_ ? provider_->limits().attribute_value_length : span_limits::unlimited;
  }
  /// The span's clock while it records (so the duration metric equals the span's duration), else
  /// llmtrace's anchored monotonic clock.
  std::int64_t now() const noexcept { return provider_ ? provider_->now() : llmtrace::detail::unix_now_ns(); }

  /// Request options mapped to gen_ai.request.* (chat and generate).
  void request(const inference_settings& r) noexcept {
    if (!recording()) return;
    const options& o = r.options;
    if (o.temperature) span_.set_attribute(semconv::gen_ai_request_temperature, *o.temperature);
    if (o.top_p) span_.set_attribute(semconv::gen_ai_request_top_p, *o.top_p);
    if (o.top_k) span_.set_attribute(semconv::gen_ai_request_top_k, *o.top_k);
    if (o.seed) span_.set_attribute(semconv::gen_ai_request_seed, *o.seed);
    // Only a real limit: Ollama's -1 (no limit) and -2 (fill the context) are not max_tokens.
    if (o.num_predict && *o.num_predict >= 0) span_.set_attribute(semconv::gen_ai_request_max_tokens, *o.num_predict);
    if (o.stop) span_.set_attribute(semconv::gen_ai_request_stop_sequences, *o.stop);
    if (o.frequency_penalty) span_.set_attribute(semconv::gen_ai_request_frequency_penalty, *o.frequency_penalty);
    if (o.presence_penalty) span_.set_attribute(semconv::gen_ai_request_presence_penalty, *o.presence_penalty);
    try {
      if (r.think && r.think->is_level())
        span_.set_attribute(semconv::gen_ai_request_reasoning_level, r.think->level());
      if (r.keep_alive) span_.set_attribute(semconv::ollama_keep_alive, r.keep_alive->to_string());
    } catch (...) {
    }
    if (r.format) span_.set_attribute(semconv::gen_ai_output_type, semconv::output_type_json);
    if (!r.conversation_id.empty()) span_.set_attribute(semconv::gen_ai_conversation_id, r.conversation_id);
  }

  /// The request carries images: its input tokens are of mixed modality (`unknown`), not `text`.
  void input_has_images(bool images) noexcept { images_ = images; }

  /// Embeddings request attributes. Ollama's API names no encoding format, so
  /// gen_ai.request.encoding_formats is never recorded (only a requested format would be).
  void embeddings_request(std::int64_t inputs, const std::optional<std::int64_t>& dims,
                          const std::optional<keep_alive_value>& keep_alive) noexcept {
    if (!recording()) return;
    span_.set_attribute(semconv::ollama_request_input_count, inputs);
    if (dims) span_.set_attribute(semconv::gen_ai_embeddings_dimension_count, *dims);
    try {
      if (keep_alive) span_.set_attribute(semconv::ollama_keep_alive, keep_alive->to_string());
    } catch (...) {
    }
  }
  /// gen_ai.embeddings.dimension.count from the vectors received.
  void dimensions(std::size_t n) noexcept {
    if (recording()) span_.set_attribute(semconv::gen_ai_embeddings_dimension_count, static_cast<std::int64_t>(n));
  }

  void request_sent() noexcept {
    if (timing()) sent_ = now();
  }
  /// A chunk arrived (streaming); `model` is the chunk's model. Records the time to the first chunk
  /// and, for every later chunk, the time since the previous one.
  void chunk(bool done, const std::string& model = {}) noexcept {
    if (!timing()) return;
    const std::int64_t t = now();
    ++chunks_;
    if (ins_ && !model.empty() && model != response_model_) {
      try {
        response_model_ = model;
      } catch (...) {
      }
    }
    if (!first_chunk_) {
      first_chunk_ = t;
      if (ins_ && sent_) record_chunk_time(ins_->time_to_first_chunk, ins_->old_time_to_first_chunk, t - sent_);
    } else if (ins_) {
      record_chunk_time(ins_->time_per_output_chunk, ins_->old_time_per_output_chunk, t - previous_chunk_);
    }
    previous_chunk_ = t;
    if (done) last_chunk_ = t;
  }
  /// The whole (non-streamed) answer arrived.
  void response_received() noexcept {
    if (timing()) last_chunk_ = now();
  }

  /// Response model, finish reason, usage and Ollama's timings; phases for chat / generate.
  /// `tool_calls`: the answer asks for tool calls (finish reason `tool_call`, whatever Ollama says).
  void response(const std::string& model, const std::string& done_reason, const metrics& m, bool phases,
                std::chrono::nanoseconds cold_threshold, bool tool_calls = false) noexcept {
    if (ins_) {
      usage_ = m;
      answered_ = true;
      cold_ = m.load_duration.value_or(0) > cold_threshold.count();
      try {
        if (!model.empty()) response_model_ = model;
      } catch (...) {
      }
    }
    if (!recording()) return;
    if (!model.empty()) span_.set_attribute(semconv::gen_ai_response_model, model);
    if (tool_calls)
      span_.set_attribute(semconv::gen_ai_response_finish_reasons, {semconv::finish_reason_tool_call});
    else if (!done_reason.empty())
      span_.set_attribute(semconv::gen_ai_response_finish_reasons, {std::string_view(done_reason)});
    if (m.prompt_eval_count) span_.set_attribute(semconv::gen_ai_usage_input_tokens, *m.prompt_eval_count);
    if (m.eval_count) span_.set_attribute(semconv::gen_ai_usage_output_tokens, *m.eval_count);
    if (m.total_duration) span_.set_attribute(semconv::ollama_total_duration, seconds(*m.total_duration));
    if (m.load_duration) span_.set_attribute(semconv::ollama_load_duration, seconds(*m.load_duration));
    if (m.prompt_eval_duration)
      span_.set_attribute(semconv::ollama_prompt_eval_duration, seconds(*m.prompt_eval_duration));
    if (m.eval_duration) span_.set_attribute(semconv::ollama_eval_duration, seconds(*m.eval_duration));
    if (m.prompt_eval_count) span_.set_attribute(semconv::ollama_prompt_eval_count, *m.prompt_eval_count);
    if (m.eval_count) span_.set_attribute(semconv::ollama_eval_count, *m.eval_count);
    if (const auto tps = m.tokens_per_second()) span_.set_attribute(semconv::ollama_tokens_per_second, *tps);
    // No prefill rate: since v0.30.1 prompt_eval_count includes cached prompt tokens while
    // prompt_eval_duration covers only the uncached ones, so count / duration is not a rate.
    if (!m.empty())
      span_.set_attribute(semconv::ollama_cold_start, m.load_duration.value_or(0) > cold_threshold.count());
    total_duration_ = m.total_duration.value_or(-1);
    if (phases && !m.empty()) add_phases(m);
  }

  /// Where the model runs (from /api/ps): ollama.model.size, ollama.model.size_vram and
  /// ollama.model.gpu_fraction (size_vram / size, 0 = CPU only, 1 = fully on the GPU).
  void residency(std::int64_t size, std::int64_t size_vram) noexcept {
    if (!recording() || size <= 0) return;
    span_.set_attribute(semconv::ollama_model_size, size);
    span_.set_attribute(semconv::ollama_model_size_vram, size_vram);
    const double f =
        static_cast<double>(std::min(std::max<std::int64_t>(size_vram, 0), size)) / static_cast<double>(size);
    span_.set_attribute(semconv::ollama_model_gpu_fraction, f);
  }

  /// The caller's callback stopped the stream: not an error (status stays Unset).
  void cancelled() noexcept {
    if (recording()) span_.set_attribute(semconv::ollama_stream_cancelled, true);
  }

  void failed(const error& e) noexcept {
    record_failure(span_, e);
    if (!ins_) return;
    try {
      error_type_ = e.error_type();
    } catch (...) {
      error_type_ = semconv::error_type_other;
    }
  }
  /// Any other exception (e.g. thrown by the caller's chunk callback).
  void failed(std::exception_ptr ep) noexcept {
    record_failure(span_, ep);
    note_failure(ep);
  }

  /// Ends the span (time to first chunk, chunk count and client overhead are computed here) and
  /// records the call's metrics (while the span is still current, so exemplars name it).
  void end() noexcept {
    if (ended_) return;
    ended_ = true;
    if (!timing()) return;
    const std::int64_t t = now();
    if (ins_) record_metrics(t);
    if (!recording()) return;
    if (chunks_) {
      span_.set_attribute(semconv::ollama_chunk_count, static_cast<std::int64_t>(chunks_));
      if (first_chunk_ && sent_)
        span_.set_attribute(semconv::gen_ai_response_time_to_first_chunk, seconds(first_chunk_ - sent_));
    }
    if (total_duration_ >= 0)
      span_.set_attribute(semconv::ollama_client_overhead, seconds(t - span_.start_time_unix_nano() - total_duration_));
    span_.end(t);
  }

 private:
  bool timing() const noexcept { return ins_ != nullptr || span_.is_recording(); }

  void note_failure(std::exception_ptr ep) noexcept {
    if (!ins_ || !ep) return;
    try {
      std::rethrow_exception(ep);
    } catch (const error& e) {
      try {
        error_type_ = e.error_type();
      } catch (...) {
        error_type_ = semconv::error_type_other;
      }
    } catch (const std::exception& e) {
      try {
        error_type_ = llmtrace::detail::exception_type_name(e);
      } catch (...) {
        error_type_ = semconv::error_type_other;
      }
    } catch (...) {
      error_type_ = semconv::error_type_other;
    }
    if (error_type_.empty()) error_type_ = semconv::error_type_other;
  }

  /// The metric attributes of this call: operation, provider, request model, server, response model
  /// (when known), error.type (when `with_error` and the call failed), then `extra` (at most 2).
  std::size_t metric_attributes(attribute (&out)[9], bool with_error,
                                std::initializer_list<attribute> extra = {}) const noexcept {
    std::size_t n = 0;
    out[n++] = {semconv::gen_ai_operation_name, operation_};
    out[n++] = {semconv::gen_ai_provider_name, semconv::provider_ollama};
    if (!model_->empty()) out[n++] = {semconv::gen_ai_request_model, *model_};
    out[n++] = {semconv::server_address, host_->host};
    out[n++] = {semconv::server_port, static_cast<std::int64_t>(host_->port)};
    if (!response_model_.empty()) out[n++] = {semconv::gen_ai_response_model, response_model_};
    if (with_error && !error_type_.empty()) out[n++] = {semconv::error_type, error_type_};
    for (const auto& a : extra) out[n++] = a;
    return n;
  }

  void record_chunk_time(const llmtrace::metrics::histogram<double>& h, const llmtrace::metrics::histogram<double>& old,
                         std::int64_t ns) const noexcept {
    attribute a[9];
    const std::size_t n = metric_attributes(a, false);
    h.record(seconds(std::max<std::int64_t>(ns, 0)), attribute_list(a, n));
    if (ins_->dup) old.record(seconds(std::max<std::int64_t>(ns, 0)), attribute_list(a, n));
  }

  void record_metrics(std::int64_t t) noexcept {
    const genai::instruments& in = *ins_;
    const bool embeddings = operation_ == semconv::op_embeddings;
    const bool ok = error_type_.empty();
    const double duration = seconds(std::max<std::int64_t>(t - start_, 0));
    attribute a[9];
    std::size_t n = metric_attributes(a, true);
    (embeddings ? in.embeddings_duration : in.inference_duration).record(duration, attribute_list(a, n));
    if (in.dup) in.old_operation_duration.record(duration, attribute_list(a, n));
    const auto& input = usage_.prompt_eval_count;
    const auto& output = usage_.eval_count;
    if (embeddings) {
      if (ok && input) in.embeddings_input_tokens.record(*input, attribute_list(a, n));
    } else {
      // Usage counters: every call, failed ones too (0 with modality `unknown` when none came back).
      const std::string_view in_modality =
          input && !images_ ? semconv::token_modality_text : semconv::token_modality_unknown;
      n = metric_attributes(a, false, {{semconv::gen_ai_token_modality, in_modality}});
      in.usage_input_tokens.add(input.value_or(0), attribute_list(a, n));
      n = metric_attributes(
          a, false,
          {{semconv::gen_ai_token_modality, output ? semconv::token_modality_text : semconv::token_modality_unknown}});
      in.usage_output_tokens.add(output.value_or(0), attribute_list(a, n));
      // Per-operation histograms: successful calls only.
      n = metric_attributes(a, true);
      if (ok && input) in.operation_input_tokens.record(*input, attribute_list(a, n));
      if (ok && output) in.operation_output_tokens.record(*output, attribute_list(a, n));
    }
    if (in.dup && ok) {
      if (input) {
        n = metric_attributes(a, false, {{semconv::gen_ai_token_type, semconv::token_type_input}});
        in.old_token_usage.record(*input, attribute_list(a, n));
      }
      if (output && !embeddings) {
        n = metric_attributes(a, false, {{semconv::gen_ai_token_type, semconv::token_type_output}});
        in.old_token_usage.record(*output, attribute_list(a, n));
      }
    }
    if (!answered_) return;
    // Ollama's own figures, as the server reported them.
    n = metric_attributes(a, false);
    if (usage_.prompt_eval_duration)
      in.prompt_eval_duration.record(seconds(*usage_.prompt_eval_duration), attribute_list(a, n));
    if (usage_.eval_duration) in.eval_duration.record(seconds(*usage_.eval_duration), attribute_list(a, n));
    if (const auto tps = usage_.tokens_per_second()) in.tokens_per_second.record(*tps, attribute_list(a, n));
    if (usage_.load_duration) {
      a[n] = {semconv::ollama_cold_start, cold_};
      in.load_duration.record(seconds(*usage_.load_duration), attribute_list(a, n + 1));
    }
  }

  void add_phases(const metrics& m) noexcept {
    try {
      const std::int64_t sent = sent_ ? sent_ : span_.start_time_unix_nano();
      const std::int64_t last = last_chunk_ ? last_chunk_ : now();
      const llmtrace::context parent = span_.context();
      for (const auto& p : layout_phases(sent, last, m)) {
        span_start_options o;
        o.kind = span_kind::internal;
        o.parent = &parent;
        o.make_current = false;
        o.start_time_unix_nano = p.start_unix_nano;
        attribute attrs[2];
        std::size_t n = 0;
        if (p.name == semconv::ollama_span_load) {
          attrs[n++] = {semconv::ollama_load_duration, seconds(p.server_duration_ns)};
        } else if (p.name == semconv::ollama_span_prompt_eval) {
          attrs[n++] = {semconv::ollama_prompt_eval_duration, seconds(p.server_duration_ns)};
          if (m.prompt_eval_count) attrs[n++] = {semconv::ollama_prompt_eval_count, *m.prompt_eval_count};
        } else {
          attrs[n++] = {semconv::ollama_eval_duration, seconds(p.server_duration_ns)};
          if (m.eval_count) attrs[n++] = {semconv::ollama_eval_count, *m.eval_count};
        }
        o.attributes = attribute_list(attrs, n);
        llmtrace::span phase(tracer_, p.name, o);
        phase.end(p.end_unix_nano);
      }
    } catch (...) {
    }
  }

  llmtrace::span span_;
  tracer_provider* provider_ = nullptr;
  llmtrace::tracer tracer_;
  const genai::instruments* ins_ = nullptr;  // non-null: record metrics
  std::string_view operation_;
  const std::string* model_;
  const host_config* host_;
  std::string response_model_;
  std::string error_type_;  // metrics only; the span has its own
  metrics usage_;
  std::int64_t start_ = 0;
  std::int64_t sent_ = 0;
  std::int64_t first_chunk_ = 0;
  std::int64_t previous_chunk_ = 0;
  std::int64_t last_chunk_ = 0;
  std::int64_t total_duration_ = -1;
  std::size_t chunks_ = 0;
  bool images_ = false;
  bool answered_ = false;
  bool cold_ = false;
  bool ended_ = false;
};

/// One traced model-management call (pull, push, create, copy, delete): a CLIENT span
/// `ollama.pull {model}` with server.address / port, ollama.api, gen_ai.request.model, the progress
/// (ollama.progress.*) and failures as call_recorder records them.
class management_recorder {
 public:
  management_recorder(bool enabled, const llmtrace::tracer& t, std::string_view operation, std::string_view endpoint,
                      const std::string& model, const host_config& host) noexcept {
    if (!enabled || !t.enabled()) return;
    try {
      attribute start[4];
      std::size_t n = 0;
      if (!model.empty()) start[n++] = {semconv::gen_ai_request_model, model};
      start[n++] = {semconv::server_address, host.host};
      start[n++] = {semconv::server_port, static_cast<std::int64_t>(host.port)};
      start[n++] = {semconv::ollama_api, endpoint};
      span_ = start_client_span(t, operation, model, attribute_list(start, n));
    } catch (...) {
      span_ = llmtrace::span();
    }
  }
  management_recorder(const management_recorder&) = delete;
  management_recorder& operator=(const management_recorder&) = delete;

  llmtrace::span& span() noexcept { return span_; }

  /// Bytes, layers and the last status of a pull / push / create; ollama.stream.cancelled when the
  /// progress callback stopped it.
  void progress(const progress_result& r) noexcept {
    if (!span_.is_recording()) return;
    try {
      if (r.layers) {
        span_.set_attribute(semconv::ollama_progress_total_bytes, r.total_bytes);
        span_.set_attribute(semconv::ollama_progress_completed_bytes, r.completed_bytes);
        span_.set_attribute(semconv::ollama_progress_layers, static_cast<std::int64_t>(r.layers));
      }
      if (!r.status.empty()) span_.set_attribute(semconv::ollama_progress_status, r.status);
      if (r.cancelled) span_.set_attribute(semconv::ollama_stream_cancelled, true);
    } catch (...) {
    }
  }
  void failed(std::exception_ptr ep) noexcept { record_failure(span_, ep); }

 private:
  llmtrace::span span_;
};

}  // namespace detail

}  // namespace ollama
LLMTRACE_END_NAMESPACE
