// llmtrace/span.hpp: the span guard. A span starts when the guard is built, is the current span of
// its thread until it ends, and ends when the guard dies (or at end()). Unsampled spans record
// nothing but still carry context to their children and to outgoing requests.
// Thread-safety: one thread uses a guard at a time. A guard may be moved to any thread and ended there:
// ending it never changes another thread's current span (on its starting thread it stops being current;
// see context.hpp). For async work prefer span::detached, which never becomes current. Never throws.
#pragma once

#include <llmtrace/attributes.hpp>
#include <llmtrace/config.hpp>
#include <llmtrace/context.hpp>
#include <llmtrace/detail/span_pool.hpp>
#include <llmtrace/provider.hpp>
#include <llmtrace/sampler.hpp>
#include <llmtrace/semconv.hpp>
#include <llmtrace/span_data.hpp>

#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <typeinfo>
#include <utility>

#if defined(__GNUG__) && __has_include(<cxxabi.h>)
#include <cxxabi.h>
#include <cstdlib>
#define LLMTRACE_HAS_CXXABI 1
#endif

LLMTRACE_BEGIN_NAMESPACE

/// How to start a span beyond name, kind and attributes.
struct span_start_options {
  span_kind kind = span_kind::internal;
  attribute_list attributes;
  /// Explicit parent instead of the current span (e.g. a context captured on another thread).
  const context* parent = nullptr;
  /// Start a new trace even if a span is current.
  bool new_root = false;
  /// Become the current span of this thread until the span ends.
  bool make_current = true;
  /// Start time in Unix nanoseconds; 0 means now.
  std::int64_t start_time_unix_nano = 0;
};

namespace detail {
#define LLMTRACE_DETAIL_STR_EX(x) #x
#define LLMTRACE_DETAIL_STR(x) LLMTRACE_DETAIL_STR_EX(x)
/// The demangled dynamic type of an exception (e.g. "std::runtime_error"), without llmtrace's ABI
/// namespace ("llmtrace::ollama::error", not "llmtrace::v0_1::ollama::error"), so recorded types
/// stay the same across versions.
inline std::string exception_type_name(const std::exception& e) {
  const char* raw = typeid(e).name();
  std::string out;
#if defined(LLMTRACE_HAS_CXXABI)
  int status = 0;
  char* demangled = abi::__cxa_demangle(raw, nullptr, nullptr, &status);
  if (status == 0 && demangled) out = demangled;
  std::free(demangled);
#endif
  if (out.empty()) return raw;
  static constexpr std::string_view abi_part = "llmtrace::" LLMTRACE_DETAIL_STR(LLMTRACE_ABI_NAMESPACE) "::";
  for (std::size_t at = out.find(abi_part); at != std::string::npos; at = out.find(abi_part, at))
    out.erase(at + 10, abi_part.size() - 10);  // keep "llmtrace::"
  return out;
}
#undef LLMTRACE_DETAIL_STR
#undef LLMTRACE_DETAIL_STR_EX
}  // namespace detail

#if LLMTRACE_ENABLED

class [[nodiscard]] span {
 public:
  /// A span from the global provider's default tracer, child of the current span, made current.
  explicit span(std::string_view name, span_kind kind = span_kind::internal, attribute_list attributes = {}) noexcept {
    span_start_options o;
    o.kind = kind;
    o.attributes = attributes;
    start(global_provider().default_tracer(), name, o);
  }
  span(const tracer& t, std::string_view name, span_kind kind = span_kind::internal,
       attribute_list attributes = {}) noexcept {
    span_start_options o;
    o.kind = kind;
    o.attributes = attributes;
    start(t, name, o);
  }
  span(const tracer& t, std::string_view name, const span_start_options& options) noexcept { start(t, name, options); }

  /// A span with an explicit parent that does not become current (async work, callbacks).
  static span detached(const tracer& t, std::string_view name, const llmtrace::context& parent,
                       span_kind kind = span_kind::internal, attribute_list attributes = {}) noexcept {
    span_start_options o;
    o.kind = kind;
    o.attributes = attributes;
    o.parent = &parent;
    o.make_current = false;
    return span(t, name, o);
  }

  /// An empty guard: not recording, no context.
  span() noexcept = default;
  ~span() { end(); }
  span(span&& o) noexcept : rec_(o.rec_), prov_(o.prov_), sc_(o.sc_), token_(o.token_) {
    o.rec_ = nullptr;
    o.token_ = {};
  }
  span& operator=(span&& o) noexcept {
    if (this != &o) {
      end();
      rec_ = o.rec_;
      prov_ = o.prov_;
      sc_ = o.sc_;
      token_ = o.token_;
      o.rec_ = nullptr;
      o.token_ = {};
    }
    return *this;
  }
  span(const span&) = delete;
  span& operator=(const span&) = delete;

  /// True while the span records (sampled or record-only, and not yet ended).
  bool is_recording() const noexcept { return rec_ != nullptr; }
  /// The attributes recorded so far (nullptr when not recording); valid until the span ends.
  const attribute_set* attributes() const noexcept { return rec_ ? &rec_->attributes : nullptr; }
  /// The ids and flags children and outgoing requests use (valid for unsampled spans too).
  const llmtrace::span_context& span_context() const noexcept { return sc_; }
  /// This span as a context to attach elsewhere (e.g. a worker thread), with the calling thread's
  /// current baggage.
  llmtrace::context context() const {
    return llmtrace::context(sc_, rec_ ? rec_->trace_state : std::string(), current_baggage());
  }

  span& set_attribute(std::string_view key, const attribute_value& value) noexcept {
    if (rec_) {
      try {
        const auto& l = prov_->limits();
        rec_->attributes.set(key, value, l.attribute_count, l.attribute_value_length);
      } catch (...) {
        rec_->attributes.add_dropped(1);
      }
    }
    return *this;
  }
  span& set_attributes(attribute_list attributes) noexcept {
    for (const auto& a : attributes) set_attribute(a.key, a.value);
    return *this;
  }

  /// Adds an event (time 0 means now). Past the event limit, events are dropped and counted.
  span& add_event(std::string_view name, attribute_list attributes = {}, std::int64_t time_unix_nano = 0) noexcept {
    if (!rec_) return *this;
    const auto& l = prov_->limits();
    if (rec_->events.size() >= l.event_count) {
      ++rec_->dropped_events_count;
      return *this;
    }
    try {
      rec_->events.emplace_back();
      auto& e = rec_->events.back();
      e.name.assign(name.data(), name.size());
      e.time_unix_nano = time_unix_nano ? time_unix_nano : prov_->now();
      for (const auto& a : attributes)
        e.attributes.set(a.key, a.value, l.event_attribute_count, l.attribute_value_length);
    } catch (...) {
      ++rec_->dropped_events_count;
    }
    return *this;
  }

  /// Records an `exception` event with exception.type and exception.message (status is unchanged;
  /// call set_status(status_code::error, ...) as well when the operation failed).
  span& record_exception(const std::exception& e) noexcept {
    if (!rec_) return *this;
    try {
      const std::string type = detail::exception_type_name(e);
      return record_exception(type, e.what());
    } catch (...) {
      return record_exception("std::exception", e.what());
    }
  }
  span& record_exception(std::string_view type, std::string_view message) noexcept {
    return add_event("exception", {{"exception.type", type}, {"exception.message", message}});
  }

  /// Marks the span failed by `e`, the one way every llmtrace instrumentation does it: `error.type`
  /// (`error_type` when given, else the exception's type, "_OTHER" if naming it fails), an `exception`
  /// event (the exception's type and message) and status Error with `description` (default: the
  /// message).
  span& set_error(const std::exception& e, std::string_view error_type = {},
                  std::string_view description = {}) noexcept {
    if (!rec_) return *this;
    const char* what = e.what();
    try {
      const std::string type = detail::exception_type_name(e);
      set_attribute(semconv::error_type, error_type.empty() ? std::string_view(type) : error_type);
      record_exception(type, what);
    } catch (...) {
      set_attribute(semconv::error_type, error_type.empty() ? semconv::error_type_other : error_type);
      record_exception("std::exception", what);
    }
    return set_status(status_code::error, description.empty() ? std::string_view(what) : description);
  }
  /// Marks the span failed with a low-cardinality `error_type` and a message when there is no
  /// exception object: `error.type`, an `exception` event (type `error_type`) and status Error.
  span& set_error(std::string_view error_type, std::string_view message) noexcept {
    if (!rec_) return *this;
    set_attribute(semconv::error_type, error_type);
    record_exception(error_type, message);
    return set_status(status_code::error, message);
  }

  /// Sets the status. Ok is final; Unset is ignored; a description is kept only with Error.
  span& set_status(status_code code, std::string_view description = {}) noexcept {
    if (!rec_ || code == status_code::unset || rec_->status == status_code::ok) return *this;
    rec_->status = code;
    try {
      if (code == status_code::error)
        rec_->status_message = detail::sanitize_utf8(description, prov_->limits().attribute_value_length);
      else
        rec_->status_message.clear();
    } catch (...) {
    }
    return *this;
  }

  span& update_name(std::string_view name) noexcept {
    if (rec_) {
      try {
        rec_->set_name(name);
      } catch (...) {
      }
    }
    return *this;
  }

  /// Links this span to another (e.g. the trace that enqueued a batch).
  span& add_link(const llmtrace::span_context& other, attribute_list attributes = {},
                 std::string_view trace_state = {}) noexcept {
    if (!rec_ || !other.valid()) return *this;
    const auto& l = prov_->limits();
    if (rec_->links.size() >= l.link_count) {
      ++rec_->dropped_links_count;
      return *this;
    }
    try {
      rec_->links.emplace_back();
      auto& k = rec_->links.back();
      k.context = other;
      k.trace_state.assign(trace_state.data(), trace_state.size());
      for (const auto& a : attributes)
        k.attributes.set(a.key, a.value, l.link_attribute_count, l.attribute_value_length);
    } catch (...) {
      ++rec_->dropped_links_count;
    }
    return *this;
  }

  /// Start time in Unix nanoseconds (0 when not recording).
  std::int64_t start_time_unix_nano() const noexcept { return rec_ ? rec_->start_time_unix_nano : 0; }

  /// Ends the span now (or at `end_time_unix_nano`). On the thread that started it, the previous
  /// current span becomes current again; on another thread (a moved guard) no thread's current span
  /// changes, and the starting thread stops treating it as current. Later calls do nothing.
  void end(std::int64_t end_time_unix_nano = 0) noexcept {
    if (token_) {
      detail::pop_context(token_);
      token_ = {};
    }
    if (!rec_) return;
    span_data* r = rec_;
    rec_ = nullptr;
    const std::int64_t t = end_time_unix_nano ? end_time_unix_nano : prov_->now();
    r->end_time_unix_nano = t < r->start_time_unix_nano ? r->start_time_unix_nano : t;
    prov_->on_end(r);
  }

 private:
  void start(const tracer& t, std::string_view name, const span_start_options& o) noexcept {
    tracer_provider* p = t.provider();
    if (!p || !p->active()) return;  // no-op provider: the current context stays as it is
    prov_ = p;
    // The parent by reference (its entry on this thread's context stack, or the explicit context):
    // nothing is copied before the ids are made.
    const llmtrace::span_context* parent = &detail::no_span_context;
    const std::string* parent_ts = nullptr;
    if (o.parent) {
      parent = &o.parent->span();
      parent_ts = &o.parent->trace_state();
    } else if (!o.new_root) {
      if (const auto* e = detail::current_entry()) {
        parent = &e->sc;
        parent_ts = &e->trace_state;
      }
    }
    // The caller stored the attribute list's pointer and size a moment ago: read them as two words
    // (a 16-byte copy of the pair stalls; see detail::keep_as_word).
    const attribute* attrs_at = o.attributes.begin();
    std::size_t attrs_n = o.attributes.size();
    detail::keep_as_word(attrs_at);
    detail::keep_as_word(attrs_n);
    const attribute_list attrs(attrs_at, attrs_n);
    const bool has_parent = parent->valid();
    sc_.trace_id = has_parent ? parent->trace_id : p->make_trace_id();
    sc_.span_id = p->make_span_id();
    sc_.is_remote = false;
    const auto decision = p->sampler().should_sample(sampling_parameters{*parent, sc_.trace_id, name, o.kind, attrs});
    sc_.trace_flags = decision == sampling_decision::record_and_sample ? trace_flag_sampled : 0;
    if (decision != sampling_decision::drop) {
      try {
        span_data* r = detail::span_pool::acquire();
        detail::copy_span_context(r->context, sc_);
        if (has_parent) {
          r->parent_span_id = parent->span_id;
          r->parent_is_remote = parent->is_remote;
          if (parent_ts && !parent_ts->empty()) r->trace_state = *parent_ts;
        }
        r->kind = o.kind;
        r->set_name(name);
        r->resource = &p->resource();
        r->scope = t.scope();
        r->recorded_sampled = decision == sampling_decision::record_and_sample;
        const auto& l = p->limits();
        for (const auto& a : attrs) r->attributes.set(a.key, a.value, l.attribute_count, l.attribute_value_length);
        r->start_time_unix_nano = o.start_time_unix_nano ? o.start_time_unix_nano : p->now();
        rec_ = r;
        p->on_start(*r);
      } catch (...) {
        if (rec_) detail::span_pool::release(rec_);
        rec_ = nullptr;  // out of memory: behave as an unsampled span
      }
    }
    if (o.make_current) detail::push_context(sc_, rec_ ? &rec_->trace_state : parent_ts, token_);
  }

  span_data* rec_ = nullptr;
  tracer_provider* prov_ = nullptr;
  llmtrace::span_context sc_{};
  detail::context_token token_{};
};

#else  // LLMTRACE_DISABLE: the same API, every body empty (in the _disabled ABI namespace, see config.hpp).

class [[nodiscard]] span {
 public:
  explicit span(std::string_view, span_kind = span_kind::internal, attribute_list = {}) noexcept {}
  span(const tracer&, std::string_view, span_kind = span_kind::internal, attribute_list = {}) noexcept {}
  span(const tracer&, std::string_view, const span_start_options&) noexcept {}
  static span detached(const tracer&, std::string_view, const llmtrace::context&, span_kind = span_kind::internal,
                       attribute_list = {}) noexcept {
    return span();
  }
  span() noexcept = default;
  bool is_recording() const noexcept { return false; }
  const attribute_set* attributes() const noexcept { return nullptr; }
  const llmtrace::span_context& span_context() const noexcept {
    static const llmtrace::span_context none{};
    return none;
  }
  llmtrace::context context() const { return {}; }
  span& set_attribute(std::string_view, const attribute_value&) noexcept { return *this; }
  span& set_attributes(attribute_list) noexcept { return *this; }
  span& add_event(std::string_view, attribute_list = {}, std::int64_t = 0) noexcept { return *this; }
  span& record_exception(const std::exception&) noexcept { return *this; }
  span& record_exception(std::string_view, std::string_view) noexcept { return *this; }
  span& set_error(const std::exception&, std::string_view = {}, std::string_view = {}) noexcept { return *this; }
  span& set_error(std::string_view, std::string_view) noexcept { return *this; }
  span& set_status(status_code, std::string_view = {}) noexcept { return *this; }
  span& update_name(std::string_view) noexcept { return *this; }
  span& add_link(const llmtrace::span_context&, attribute_list = {}, std::string_view = {}) noexcept { return *this; }
  std::int64_t start_time_unix_nano() const noexcept { return 0; }
  void end(std::int64_t = 0) noexcept {}
};

#endif

#define LLMTRACE_CONCAT_INNER(a, b) a##b
#define LLMTRACE_CONCAT(a, b) LLMTRACE_CONCAT_INNER(a, b)
/// A span named `name` covering the rest of the enclosing scope: `LLMTRACE_SPAN("load_index");`
#define LLMTRACE_SPAN(...) ::llmtrace::span LLMTRACE_CONCAT(llmtrace_span_, __LINE__)(__VA_ARGS__)

LLMTRACE_END_NAMESPACE
