// llmtrace/resource.hpp: builds the resource every span is attached to: telemetry.sdk.* plus
// service.name from OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES (or unknown_service:<executable>).
// Thread-safety: reads the environment; call at start-up.
#pragma once

#include <llmtrace/attributes.hpp>
#include <llmtrace/config.hpp>
#include <llmtrace/detail/env.hpp>
#include <llmtrace/span_data.hpp>

#include <string>
#include <string_view>

#if defined(__linux__)
#include <unistd.h>
#endif

LLMTRACE_BEGIN_NAMESPACE

namespace detail {
inline std::string executable_name() {
#if defined(__linux__)
  char buf[4096];
  const auto n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) {
    std::string_view p(buf, static_cast<std::size_t>(n));
    const auto slash = p.rfind('/');
    return std::string(slash == std::string_view::npos ? p : p.substr(slash + 1));
  }
#endif
  return {};
}
}  // namespace detail

/// The default resource. Precedence, lowest first: `attributes` given here, OTEL_RESOURCE_ATTRIBUTES,
/// OTEL_SERVICE_NAME. telemetry.sdk.* always describe llmtrace.
inline resource make_resource(attribute_list attributes = {}) {
  resource r;
  auto& a = r.attributes;
  for (const auto& kv : attributes) a.set(kv.key, kv.value);
  if (auto env = detail::get_env("OTEL_RESOURCE_ATTRIBUTES"))
    for (const auto& kv : detail::parse_key_values("OTEL_RESOURCE_ATTRIBUTES", *env)) a.set(kv.first, kv.second);
  if (auto svc = detail::get_env("OTEL_SERVICE_NAME")) a.set("service.name", *svc);
  if (!a.contains("service.name")) {
    const auto exe = detail::executable_name();
    a.set("service.name", exe.empty() ? std::string("unknown_service") : "unknown_service:" + exe);
  }
  a.set("telemetry.sdk.name", "llmtrace");
  a.set("telemetry.sdk.language", "cpp");
  a.set("telemetry.sdk.version", LLMTRACE_VERSION_STRING);
  return r;
}

LLMTRACE_END_NAMESPACE
