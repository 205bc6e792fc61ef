// llmtrace/logs/genai_events.hpp: the GenAI conventions' events as log records:
// `gen_ai.client.inference.operation.details` (captured content, STRUCTURED gen_ai.input.messages /
// output.messages / system_instructions / tool.definitions, with the span's GenAI attributes) and
// `gen_ai.client.operation.exception` (WARN) for failures. Both carry the span's trace and span ids
// and go through the global logger provider (scope "llmtrace.genai"): nothing is emitted until one
// is installed (llmtrace::init does). Thread-safety: call from the thread that owns the span.
// Heavy: needs nlohmann_json; link llmtrace::llmtrace.
#pragma once

#include <llmtrace/any_value.hpp>
#include <llmtrace/config.hpp>
#include <llmtrace/detail/json_parse.hpp>
#include <llmtrace/logs/provider.hpp>
#include <llmtrace/semconv.hpp>
#include <llmtrace/span.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <exception>
#include <limits>
#include <string>
#include <string_view>

LLMTRACE_BEGIN_NAMESPACE

namespace genai {

/// Event name: a failed GenAI operation (severity WARN).
inline constexpr std::string_view client_operation_exception = "gen_ai.client.operation.exception";
/// The instrumentation scope of the GenAI events.
inline constexpr std::string_view events_scope = "llmtrace.genai";

/// A JSON value as a structured log value (objects keep their order; null becomes an empty value).
template <class Json>
any_value to_any_value(const Json& j) {
  switch (j.type()) {
    case Json::value_t::boolean:
      return any_value(j.template get<bool>());
    case Json::value_t::number_integer:
      return any_value(j.template get<std::int64_t>());
    case Json::value_t::number_unsigned: {
      const auto u = j.template get<std::uint64_t>();
      if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return any_value(static_cast<std::int64_t>(u));
      return any_value(static_cast<double>(u));
    }
    case Json::value_t::number_float:
      return any_value(j.template get<double>());
    case Json::value_t::string:
      return any_value(j.template get_ref<const typename Json::string_t&>());
    case Json::value_t::array: {
      any_value a = any_value::array();
      for (const auto& e : j) a.push_back(to_any_value(e));
      return a;
    }
    case Json::value_t::object: {
      any_value o = any_value::kvlist();
      for (auto it = j.begin(); it != j.end(); ++it) o.set(it.key(), to_any_value(it.value()));
      return o;
    }
    default:
      return any_value();
  }
}

namespace detail {

inline const logger& events_logger() {
  // Re-asked when the global provider changes (init after first use); a provider is never freed.
  thread_local logger_provider* provider = nullptr;
  thread_local logger lg;
  logger_provider& now = global_logger_provider();
  if (&now != provider) {
    lg = now.get_logger(events_scope, LLMTRACE_VERSION_STRING, semconv::genai_schema_url);
    provider = &now;
  }
  return lg;
}

/// The span's attributes an event repeats: gen_ai.* (but content, which the event carries
/// structured), server.address, server.port, error.type.
inline bool repeated_on_events(std::string_view key) noexcept {
  if (key == semconv::gen_ai_input_messages || key == semconv::gen_ai_output_messages ||
      key == semconv::gen_ai_system_instructions || key == semconv::gen_ai_tool_definitions)
    return false;
  return key.substr(0, 7) == "gen_ai." || key == semconv::server_address || key == semconv::server_port ||
         key == semconv::error_type;
}

inline void copy_span_attributes(log_builder& b, const llmtrace::span& s) {
  if (const attribute_set* attrs = s.attributes())
    for (const attribute a : *attrs)
      if (repeated_on_events(a.key)) b.attribute(a.key, a.value);
}

/// Parses captured-content JSON into a structured value; an unparsable text stays a string.
inline any_value content_value(std::string_view json_text) {
  auto parsed = ::llmtrace::detail::parse_json<nlohmann::ordered_json>(json_text);
  if (!parsed) return any_value(json_text);
  return to_any_value(parsed.value);
}

}  // namespace detail

/// True when emitting a GenAI event would record anything (a logger provider is installed).
inline bool events_enabled() noexcept { return global_logger_provider().active(); }

/// Emits `gen_ai.client.inference.operation.details` (INFO) for the operation of span `s`: the span's
/// GenAI attributes plus the non-empty content keys, parsed from their JSON text into structured values
/// (the conventions require structured content on events). Never throws.
inline void emit_inference_details(const llmtrace::span& s, std::string_view system_instructions,
                                   std::string_view input_messages, std::string_view output_messages,
                                   std::string_view tool_definitions, bool truncated = false) noexcept {
  try {
    const logger& lg = detail::events_logger();
    if (!lg.enabled()) return;
    lg.emit_with([&](log_builder& b) {
      b.event_name(semconv::gen_ai_client_inference_operation_details)
          .severity(severity::info)
          .span_context(s.span_context());
      detail::copy_span_attributes(b, s);
      if (!system_instructions.empty())
        b.structured(semconv::gen_ai_system_instructions, detail::content_value(system_instructions));
      if (!input_messages.empty()) b.structured(semconv::gen_ai_input_messages, detail::content_value(input_messages));
      if (!output_messages.empty())
        b.structured(semconv::gen_ai_output_messages, detail::content_value(output_messages));
      if (!tool_definitions.empty())
        b.structured(semconv::gen_ai_tool_definitions, detail::content_value(tool_definitions));
      if (truncated) b.attribute(semconv::ollama_content_truncated, true);
    });
  } catch (...) {
  }
}

/// Emits `gen_ai.client.operation.exception` (WARN) for the failed operation of span `s`: the span's
/// GenAI attributes (error.type included when set) and exception.type / exception.message. Never throws.
inline void emit_operation_exception(const llmtrace::span& s, std::string_view exception_type,
                                     std::string_view exception_message) noexcept {
  try {
    const logger& lg = detail::events_logger();
    if (!lg.enabled()) return;
    lg.emit_with([&](log_builder& b) {
      b.event_name(client_operation_exception).severity(severity::warn).span_context(s.span_context());
      detail::copy_span_attributes(b, s);
      b.attribute(semconv::exception_type, exception_type);
      b.attribute(semconv::exception_message, exception_message);
    });
  } catch (...) {
  }
}

}  // namespace genai

LLMTRACE_END_NAMESPACE
