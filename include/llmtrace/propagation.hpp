// llmtrace/propagation.hpp: W3C Trace Context (`traceparent`, `tracestate`) injection into outgoing
// headers and extraction from incoming ones, over any header container: a map, a vector of pairs, or
// a getter/setter callable. Invalid headers are ignored (a new trace starts); higher versions parse.
// Thread-safety: pure functions over the caller's containers.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/context.hpp>
#include <llmtrace/detail/env.hpp>
#include <llmtrace/detail/hex.hpp>
#include <llmtrace/span_data.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE

inline constexpr std::string_view traceparent_header = "traceparent";
inline constexpr std::string_view tracestate_header = "tracestate";

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

/// Writes `traceparent` (and `tracestate` when non-empty) for `ctx` into `carrier`. Nothing for an
/// invalid context.
template <typename Carrier>
void inject(const context& ctx, Carrier&& carrier) {
  if (!ctx.valid()) return;
  detail::set_header(carrier, traceparent_header, format_traceparent(ctx.span()));
  if (!ctx.trace_state().empty()) detail::set_header(carrier, tracestate_header, ctx.trace_state());
}

/// Injects the calling thread's current context.
template <typename Carrier>
void inject(Carrier&& carrier) {
  inject(current_context(), carrier);
}

/// Reads `traceparent` / `tracestate` from `carrier`. Returns an invalid context when there is no
/// valid traceparent (the caller then starts a new trace). Attach the result with a context_scope.
template <typename Carrier>
context extract(const Carrier& carrier) {
  const auto tp = detail::get_header(carrier, traceparent_header);
  if (!tp) return context{};
  const auto sc = parse_traceparent(*tp);
  if (!sc) return context{};
  const auto ts = detail::get_header(carrier, tracestate_header);
  return context(*sc, ts ? parse_tracestate(*ts) : std::string());
}

LLMTRACE_END_NAMESPACE
