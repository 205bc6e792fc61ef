// llmtrace/spdlog_sink.hpp: an spdlog sink that sends every spdlog line as an OpenTelemetry log record
// (severity mapped, source location when spdlog has it, thread id, and the ids of the span current on
// the logging thread), through the global logger provider (llmtrace::init sets it up). Optional
// dependency: spdlog (CMake option LLMTRACE_WITH_SPDLOG). Thread-safety: spdlog_sink_mt is safe
// from any thread (spdlog's sink mutex); spdlog_sink_st is for single-threaded loggers.
//
//   logger->sinks().push_back(std::make_shared<llmtrace::spdlog_sink_mt>());
//
// Use synchronous spdlog loggers: an async logger formats on its own thread, where no span is current.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/logs/log_record.hpp>
#include <llmtrace/logs/provider.hpp>

#include <spdlog/common.h>
#include <spdlog/details/log_msg.h>
#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/base_sink.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE

/// The OpenTelemetry severity of an spdlog level (trace, debug, info, warn, error, critical -> fatal).
inline severity severity_of(spdlog::level::level_enum l) noexcept {
  switch (l) {
    case spdlog::level::trace:
      return severity::trace;
    case spdlog::level::debug:
      return severity::debug;
    case spdlog::level::info:
      return severity::info;
    case spdlog::level::warn:
      return severity::warn;
    case spdlog::level::err:
      return severity::error;
    case spdlog::level::critical:
      return severity::fatal;
    default:
      return severity::unspecified;
  }
}

/// Sends spdlog lines to llmtrace's logs. The instrumentation scope of each record is the spdlog
/// logger's name ("spdlog" for the unnamed default logger); the body is the formatted message
/// (the sink's own pattern is not applied); attributes: `code.file.path`, `code.line.number`,
/// `code.function.name` (when the SPDLOG_* macros recorded a source location) and `thread.id`.
template <typename Mutex>
class spdlog_sink final : public spdlog::sinks::base_sink<Mutex> {
 public:
  /// Uses the global logger provider as it is at each line (so the sink can be added before init()).
  spdlog_sink() = default;
  /// Uses `provider` (which must outlive the sink) instead of the global one.
  explicit spdlog_sink(logger_provider& provider) : fixed_(&provider) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    logger_provider& p = fixed_ ? *fixed_ : global_logger_provider();
    if (!p.active()) return;
    const std::string_view name(msg.logger_name.data(), msg.logger_name.size());
    const logger& lg = logger_for(p, name.empty() ? std::string_view("spdlog") : name);
    const std::string_view body(msg.payload.data(), msg.payload.size());
    const auto& level = spdlog::level::to_string_view(msg.level);
    const auto time = std::chrono::duration_cast<std::chrono::nanoseconds>(msg.time.time_since_epoch()).count();
    lg.emit_with([&](log_builder& b) {
      b.severity(severity_of(msg.level), std::string_view(level.data(), level.size()))
          .body(body)
          .time(static_cast<std::int64_t>(time));
      if (!msg.source.empty()) {
        if (msg.source.filename) b.attribute("code.file.path", msg.source.filename);
        b.attribute("code.line.number", msg.source.line);
        if (msg.source.funcname) b.attribute("code.function.name", msg.source.funcname);
      }
      b.attribute("thread.id", static_cast<std::int64_t>(msg.thread_id));
    });
  }
  void flush_() override {}  // records are exported by the logger provider's processors

 private:
  // Called under the sink's mutex; a provider change (init after the sink was added) starts over.
  const logger& logger_for(logger_provider& p, std::string_view name) {
    if (&p != cached_provider_) {
      loggers_.clear();
      cached_provider_ = &p;
    }
    for (const auto& l : loggers_)
      if (l.first == name) return l.second;
    loggers_.emplace_back(std::string(name), p.get_logger(name));
    return loggers_.back().second;
  }

  logger_provider* fixed_ = nullptr;
  logger_provider* cached_provider_ = nullptr;
  std::vector<std::pair<std::string, logger>> loggers_;
};

/// The sink for loggers used from several threads.
using spdlog_sink_mt = spdlog_sink<std::mutex>;
/// The sink for single-threaded loggers.
using spdlog_sink_st = spdlog_sink<spdlog::details::null_mutex>;

LLMTRACE_END_NAMESPACE
