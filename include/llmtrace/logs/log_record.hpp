// llmtrace/logs/log_record.hpp: the record of one log line or event (times, severity, body,
// attributes, event name, the ids of the span current when it was written) as processors and
// exporters read it, and the limits that bound it.
// Thread-safety: a record is written by the emitting thread, then read by one processor/exporter at a time.
#pragma once

#include <llmtrace/any_value.hpp>
#include <llmtrace/attributes.hpp>
#include <llmtrace/config.hpp>
#include <llmtrace/detail/pool_link.hpp>
#include <llmtrace/ids.hpp>
#include <llmtrace/span_data.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE

/// OpenTelemetry severity numbers (the OTLP SeverityNumber values); 2..4 of each range are finer
/// levels (e.g. `static_cast<severity>(10)` is INFO2).
enum class severity : std::uint8_t {
  unspecified = 0,
  trace = 1,
  debug = 5,
  info = 9,
  warn = 13,
  error = 17,
  fatal = 21,
};

/// The short name of a severity range: "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL" (also for
/// the finer levels 2..4 of each range); "" for unspecified.
inline std::string_view to_string(severity s) noexcept {
  const auto n = static_cast<unsigned>(s);
  if (n == 0 || n > 24) return {};
  static constexpr std::string_view names[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"};
  return names[(n - 1) / 4];
}

/// Limits on a log record's attributes (OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT and
/// OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT, falling back to OTEL_ATTRIBUTE_*).
struct log_limits {
  std::uint32_t attribute_count = 128;
  std::uint32_t attribute_value_length = span_limits::unlimited;
};

/// The record of one log line or event. Exporters receive it read-only; the SDK recycles records
/// after export, so copy what you keep (log_record is copyable).
class log_record {
 public:
  std::int64_t time_unix_nano = 0;           ///< when it happened (0: unknown)
  std::int64_t observed_time_unix_nano = 0;  ///< when the SDK saw it
  llmtrace::severity severity = llmtrace::severity::unspecified;
  std::string severity_text;  ///< the level as the source named it ("info", "warn", ...)
  any_value body;             ///< a string or a structured value
  attribute_set attributes;   ///< flat attributes (scalars and arrays of scalars)
  /// Attributes whose values are structured (kvlists, arrays of any), e.g. gen_ai.input.messages.
  std::vector<any_attribute> structured_attributes;
  std::string event_name;                        ///< set for events (e.g. gen_ai.client.inference.operation.details)
  llmtrace::trace_id trace_id{};                 ///< of the span current when the record was emitted (all-zero: none)
  llmtrace::span_id span_id{};                   ///< idem
  std::uint8_t trace_flags = 0;                  ///< W3C flags of that span
  std::uint32_t dropped_structured = 0;          ///< structured attributes dropped by the count limit
  const llmtrace::resource* resource = nullptr;  ///< owned by the logger provider
  const instrumentation_scope* scope = nullptr;  ///< owned by the logger provider

  bool has_span() const noexcept { return span_id.valid(); }
  /// Attributes dropped by the count limit (flat and structured).
  std::uint32_t dropped_attributes_count() const noexcept { return attributes.dropped() + dropped_structured; }
  /// Number of attributes (flat and structured).
  std::size_t attribute_count() const noexcept { return attributes.size() + structured_attributes.size(); }

  /// Sets a structured attribute (replacing an earlier one of the same key); false when the count
  /// limit dropped it.
  bool set_structured(std::string_view key, any_value value, std::uint32_t max_count = span_limits::unlimited) {
    for (auto& a : structured_attributes)
      if (a.key == key) {
        a.value = std::move(value);
        return true;
      }
    if (attribute_count() >= max_count) {
      ++dropped_structured;
      return false;
    }
    structured_attributes.push_back(any_attribute{std::string(key), std::move(value)});
    return true;
  }
  /// The structured attribute `key`, or nullptr.
  const any_value* find_structured(std::string_view key) const noexcept {
    for (const auto& a : structured_attributes)
      if (a.key == key) return &a.value;
    return nullptr;
  }

  /// Resets the record for reuse while keeping the memory it grew.
  void reset() noexcept {
    time_unix_nano = observed_time_unix_nano = 0;
    severity = llmtrace::severity::unspecified;
    severity_text.clear();
    body.clear();
    attributes.clear();
    structured_attributes.clear();
    event_name.clear();
    trace_id = {};
    span_id = {};
    trace_flags = 0;
    dropped_structured = 0;
    resource = nullptr;
    scope = nullptr;
  }
  /// Brings the buffers a new record fills first into cache (called by the pool as it hands it out).
  void prefetch_for_write() const noexcept { attributes.prefetch_for_write(); }
  /// Asks the CPU to bring the record into cache ahead of reading it (see span_data).
  void prefetch_for_read(int stage) const noexcept {
    if (stage == 0) {
      detail::prefetch_lines_for_read(this, sizeof(*this));
    } else {
      attributes.prefetch_for_read();
    }
  }
  /// Frees memory grown far past the usual working size.
  void trim() {
    constexpr std::size_t keep = 64 * 1024;
    attributes.trim(keep);
    body.trim(keep, 256);
    if (structured_attributes.capacity() > 64) std::vector<any_attribute>().swap(structured_attributes);
    if (severity_text.capacity() > 256) std::string().swap(severity_text);
    if (event_name.capacity() > 256) std::string().swap(event_name);
  }

 private:
  template <typename Record>
  friend class detail::record_pool;
  detail::pool_link pool_link_;
};

LLMTRACE_END_NAMESPACE
