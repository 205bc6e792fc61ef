// llmtrace/propagation.hpp: W3C Trace Context (`traceparent`, `tracestate`) and W3C Baggage
// (`baggage`) injection into outgoing headers and extraction from incoming ones, over any header
// container: a map, a vector of pairs, or a getter/setter callable. Invalid headers are ignored (a
// new trace starts); higher versions parse. Which propagators run follows OTEL_PROPAGATORS (default
// `tracecontext,baggage`) or set_propagators(). Thread-safety: pure functions over the caller's
// containers; the propagator set is an atomic read once from the environment.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/context.hpp>
#include <llmtrace/detail/env.hpp>
#include <llmtrace/detail/hex.hpp>
#include <llmtrace/span_data.hpp>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE

inline constexpr std::string_view traceparent_header = "traceparent";
inline constexpr std::string_view tracestate_header = "tracestate";
inline constexpr std::string_view baggage_header = "baggage";

/// The propagators inject/extract run (combine with |).
enum class propagators : std::uint8_t { none = 0, tracecontext = 1, baggage = 2 };
inline constexpr propagators operator|(propagators a, propagators b) noexcept {
  return static_cast<propagators>(static_cast<std::uint8_t>(a) | static_cast<std::uint8_t>(b));
}
inline constexpr bool has(propagators set, propagators p) noexcept {
  return (static_cast<std::uint8_t>(set) & static_cast<std::uint8_t>(p)) != 0;
}

/// Parses an OTEL_PROPAGATORS value: `tracecontext`, `baggage`, `none` (alone: no propagation);
/// other known OpenTelemetry names (b3, b3multi, jaeger, xray, ottrace) and unknown names are
/// reported once each and skipped. Empty: the default `tracecontext,baggage`.
inline propagators parse_propagators(std::string_view list) {
  propagators out = propagators::none;
  bool any = false, saw_none = false;
  for (const auto& raw : detail::split_list(list)) {
    const std::string n = detail::to_lower(detail::trim(raw));
    if (n.empty()) continue;
    any = true;
    if (n == "tracecontext")
      out = out | propagators::tracecontext;
    else if (n == "baggage")
      out = out | propagators::baggage;
    else if (n == "none")
      saw_none = true;
    else
      detail::report_error("OTEL_PROPAGATORS: propagator '" + n +
                           "' is not supported by llmtrace and is ignored (supported: tracecontext, baggage, none)");
  }
  if (!any) return propagators::tracecontext | propagators::baggage;
  if (saw_none && out != propagators::none)
    detail::report_error("OTEL_PROPAGATORS: 'none' combined with other propagators; 'none' ignored");
  return out;
}

namespace detail {
inline std::atomic<int>& propagator_state() noexcept {
  static std::atomic<int> state{-1};  // -1: not read yet
  return state;
}
}  // namespace detail

/// The propagators in use: set_propagators(), else OTEL_PROPAGATORS (read once).
inline propagators active_propagators() {
  auto& st = detail::propagator_state();
  int v = st.load(std::memory_order_acquire);
  if (v < 0) {
    const auto env = detail::get_env("OTEL_PROPAGATORS");
    const int parsed = static_cast<int>(parse_propagators(env ? *env : std::string()));
    int expected = -1;
    st.compare_exchange_strong(expected, parsed, std::memory_order_acq_rel);
    v = st.load(std::memory_order_acquire);
  }
  return static_cast<propagators>(v);
}
/// Replaces the propagator set (e.g. in tests, or to ignore OTEL_PROPAGATORS).
inline void set_propagators(propagators p) noexcept {
  detail::propagator_state().store(static_cast<int>(p), std::memory_order_release);
}
/// Forgets set_propagators(): OTEL_PROPAGATORS is read again on next use.
inline void reset_propagators() noexcept { detail::propagator_state().store(-1, std::memory_order_release); }

/// Parses a `traceparent` value; nullopt when invalid. The result is marked remote.
inline std::optional<span_context> parse_traceparent(std::string_view v) noexcept {
  v = detail::trim(v);
  if (v.size() < 55 || v[2] != '-' || v[35] != '-' || v[52] != '-') return std::nullopt;
  std::uint8_t version = 0, flags = 0;
  if (!detail::from_hex(v.substr(0, 2), &version, 1) || version == 0xff) return std::nullopt;
  if (version == 0 && v.size() != 55) return std::nullopt;
  if (version != 0 && v.size() > 55 && v[55] != '-') return std::nullopt;  // future versions: more fields after '-'
  span_context sc;
  if (!detail::from_hex(v.substr(3, 32), sc.trace_id.bytes.data(), 16) || !sc.trace_id.valid()) return std::nullopt;
  if (!detail::from_hex(v.substr(36, 16), sc.span_id.bytes.data(), 8) || !sc.span_id.valid()) return std::nullopt;
  if (!detail::from_hex(v.substr(53, 2), &flags, 1)) return std::nullopt;
  sc.trace_flags = static_cast<std::uint8_t>(flags & trace_flag_sampled);
  sc.is_remote = true;
  return sc;
}

/// `00-<trace id>-<span id>-<flags>` for a valid context; empty otherwise.
inline std::string format_traceparent(const span_context& sc) {
  if (!sc.valid()) return {};
  std::string out = "00-";
  out.resize(55);
  detail::to_hex(sc.trace_id.data(), 16, &out[3]);
  out[35] = '-';
  detail::to_hex(sc.span_id.data(), 8, &out[36]);
  out[52] = '-';
  const std::uint8_t f = sc.trace_flags & trace_flag_sampled;
  detail::to_hex(&f, 1, &out[53]);
  return out;
}

/// Validates and normalises a `tracestate` value (members trimmed, at most 32 kept). An invalid
/// list is discarded as a whole (empty result), as W3C allows.
inline std::string parse_tracestate(std::string_view v) {
  const auto members = detail::split_list(v);
  std::string out;
  std::vector<std::string_view> keys;
  for (const auto& m : members) {
    if (keys.size() == 32) break;
    const auto eq = m.find('=');
    if (eq == std::string::npos || eq == 0 || eq > 256 || m.size() - eq - 1 > 256 || eq + 1 == m.size()) return {};
    const std::string_view key(m.data(), eq);
    for (char c : key)
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '*' || c == '/' ||
            c == '@'))
        return {};
    for (std::size_t i = eq + 1; i < m.size(); ++i)
      if (m[i] < 0x20 || m[i] > 0x7e || m[i] == ',' || m[i] == '=') return {};
    for (auto k : keys)
      if (k == key) return {};  // duplicate keys make the list invalid
    keys.push_back(key);
    if (!out.empty()) out.push_back(',');
    out.append(m);
  }
  return out;
}

namespace detail {

template <typename C, typename = void>
struct is_associative : std::false_type {};
template <typename C>
struct is_associative<C, std::void_t<typename C::key_type, typename C::mapped_type>> : std::true_type {};

template <typename C>
void set_header(C& carrier, std::string_view name, const std::string& value) {
  if constexpr (std::is_invocable_v<C&, std::string_view, std::string_view>) {
    carrier(name, std::string_view(value));
  } else if constexpr (is_associative<C>::value) {
    for (auto it = carrier.begin(); it != carrier.end();) {
      if (iequals(std::string_view(it->first), name))
        it = carrier.erase(it);
      else
        ++it;
    }
    carrier.emplace(typename C::key_type(name), typename C::mapped_type(value));
  } else {
    for (auto it = carrier.begin(); it != carrier.end();) {
      if (iequals(std::string_view(it->first), name))
        it = carrier.erase(it);
      else
        ++it;
    }
    carrier.emplace_back(std::string(name), value);
  }
}

/// All values of header `name` (case-insensitive), joined with ',' as HTTP combines repeated headers.
template <typename C>
std::optional<std::string> get_header(const C& carrier, std::string_view name) {
  if constexpr (std::is_invocable_v<const C&, std::string_view>) {
    auto r = carrier(name);
    using R = decltype(r);
    if constexpr (std::is_same_v<R, std::optional<std::string>>) {
      return r;
    } else if constexpr (std::is_pointer_v<R>) {
      if (!r) return std::nullopt;
      return std::string(r);
    } else {
      std::string s(r);
      if (s.empty()) return std::nullopt;
      return s;
    }
  } else {
    std::optional<std::string> out;
    for (const auto& kv : carrier) {
      if (!iequals(std::string_view(kv.first), name)) continue;
      if (out)
        out->append(",").append(std::string_view(kv.second));
      else
        out = std::string(std::string_view(kv.second));
    }
    return out;
  }
}

}  // namespace detail

/// Writes `traceparent` (and `tracestate` when non-empty) for a valid `ctx`, and `baggage` when
/// the context carries any, into `carrier`, as the active propagators allow.
template <typename Carrier>
void inject(const context& ctx, Carrier&& carrier) {
  const propagators p = active_propagators();
  if (has(p, propagators::tracecontext) && ctx.valid()) {
    detail::set_header(carrier, traceparent_header, format_traceparent(ctx.span()));
    if (!ctx.trace_state().empty()) detail::set_header(carrier, tracestate_header, ctx.trace_state());
  }
  if (has(p, propagators::baggage) && !ctx.baggage().empty()) {
    const std::string b = ctx.baggage().to_header();
    if (!b.empty()) detail::set_header(carrier, baggage_header, b);
  }
}

/// Injects the calling thread's current context.
template <typename Carrier>
void inject(Carrier&& carrier) {
  inject(current_context(), carrier);
}

/// Reads `traceparent` / `tracestate` and `baggage` from `carrier`, as the active propagators
/// allow. The span context is invalid when there is no valid traceparent (the caller then starts a
/// new trace); the baggage is read either way. Attach the result with a context_scope.
template <typename Carrier>
context extract(const Carrier& carrier) {
  const propagators p = active_propagators();
  baggage bag;
  if (has(p, propagators::baggage))
    if (const auto b = detail::get_header(carrier, baggage_header)) bag = baggage::parse(*b);
  if (!has(p, propagators::tracecontext)) return context(span_context{}, std::string(), std::move(bag));
  const auto tp = detail::get_header(carrier, traceparent_header);
  const auto sc = tp ? parse_traceparent(*tp) : std::nullopt;
  if (!sc) return context(span_context{}, std::string(), std::move(bag));
  const auto ts = detail::get_header(carrier, tracestate_header);
  return context(*sc, ts ? parse_tracestate(*ts) : std::string(), std::move(bag));
}

LLMTRACE_END_NAMESPACE
