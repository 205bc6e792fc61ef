// llmtrace/controls/request_scope.hpp: who and what a request is for. request_scope puts
// gen_ai.conversation.id, session.id and user.id into the current W3C baggage for a scope (so they
// cross threads with the context and services in the `baggage` header); baggage_span_processor
// copies chosen baggage entries onto spans as attributes when they start, and in its GenAI mode puts
// the three ids on every GenAI span (a span with gen_ai.operation.name). They are never added to
// metrics (unbounded values). Thread-safety: scopes are per thread; the processor is stateless.
#pragma once

#include <llmtrace/baggage.hpp>
#include <llmtrace/config.hpp>
#include <llmtrace/context.hpp>
#include <llmtrace/controls/filter.hpp>
#include <llmtrace/controls/forwarding.hpp>
#include <llmtrace/detail/env.hpp>
#include <llmtrace/semconv.hpp>
#include <llmtrace/span_data.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE

inline constexpr std::string_view session_id_key = "session.id";
inline constexpr std::string_view user_id_key = "user.id";

/// The ids of one request; empty ones are not set.
struct request_identity {
  std::string conversation_id;  ///< gen_ai.conversation.id (only when you have one; never invent it)
  std::string session_id;       ///< session.id
  std::string user_id;          ///< user.id (mind privacy: it leaves the process in `baggage`)
};

/// Adds the identity to the current baggage until the scope ends.
class [[nodiscard]] request_scope {
 public:
  explicit request_scope(const request_identity& id) : scope_(with(current_baggage(), id)) {}

 private:
  static baggage with(baggage b, const request_identity& id) {
    if (!id.conversation_id.empty()) b = b.set(semconv::gen_ai_conversation_id, id.conversation_id);
    if (!id.session_id.empty()) b = b.set(session_id_key, id.session_id);
    if (!id.user_id.empty()) b = b.set(user_id_key, id.user_id);
    return b;
  }
  baggage_scope scope_;
};

/// Which baggage entries become span attributes.
struct baggage_attributes_options {
  /// Keys copied (exact, `prefix*`, or `*` for all) onto every span at start.
  std::vector<std::string> keys;
  /// Also copy gen_ai.conversation.id, session.id and user.id onto GenAI spans (on by default).
  bool genai_identity = true;

  /// LLMTRACE_BAGGAGE_ATTRIBUTES: keys to copy onto every span (`tenant.id,feature.*`).
  static baggage_attributes_options from_env() {
    baggage_attributes_options o;
    if (const auto v = detail::get_env("LLMTRACE_BAGGAGE_ATTRIBUTES"))
      for (const auto& k : detail::split_list(*v))
        if (!detail::trim(k).empty()) o.keys.emplace_back(detail::trim(k));
    return o;
  }
};

/// Copies baggage entries of the starting thread's current baggage onto spans (an attribute the
/// span already has at start is kept). A detached span started with an explicit parent context
/// sees the starting thread's baggage, not that context's.
class baggage_span_processor final : public forwarding_processor {
 public:
  baggage_span_processor(baggage_attributes_options options, std::unique_ptr<span_processor> next)
      : forwarding_processor(std::move(next)), opt_(std::move(options)) {}

  void on_start(span_data& s) noexcept override {
    const baggage* b = detail::current_baggage_slot();
    if (b && !b->empty()) {
      try {
        const bool genai = opt_.genai_identity && s.attributes.contains(semconv::gen_ai_operation_name);
        for (const auto& e : b->entries()) {
          bool copy = false;
          for (const auto& k : opt_.keys) copy = copy || k == "*" || detail::name_matches(e.key, k);
          if (!copy && genai)
            copy = e.key == semconv::gen_ai_conversation_id || e.key == session_id_key || e.key == user_id_key;
          if (copy && !s.attributes.contains(e.key)) s.attributes.set(e.key, std::string_view(e.value));
        }
      } catch (...) {
      }
    }
    forwarding_processor::on_start(s);
  }

 private:
  baggage_attributes_options opt_;
};

LLMTRACE_END_NAMESPACE
