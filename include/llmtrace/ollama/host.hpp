// llmtrace/ollama/host.hpp: where the Ollama daemon is, from a host string or OLLAMA_HOST, resolved
// with the rules of Ollama's Go `envconfig.Host()` and ollama-python's `_parse_host`.
// Standard headers only. Thread-safety: pure functions (host_from_env reads the environment).
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/detail/env.hpp>

#include <cstdint>
#include <string>
#include <string_view>

LLMTRACE_BEGIN_NAMESPACE
namespace ollama {

inline constexpr std::string_view default_host = "127.0.0.1";
inline constexpr std::uint16_t default_port = 11434;

/// A resolved Ollama base URL, split into the parts spans record (server.address, server.port).
struct host_config {
  std::string scheme = "http";
  std::string userinfo;                          ///< "user:pass" when the value carried one (never recorded)
  std::string host = std::string(default_host);  ///< without IPv6 brackets
  std::uint16_t port = default_port;
  std::string path;  ///< "" or "/prefix" (no trailing slash)

  /// `scheme://[userinfo@]host:port[/path]`, IPv6 hosts in brackets; API paths are appended to it.
  std::string base_url() const {
    std::string out = scheme + "://";
    if (!userinfo.empty()) out += userinfo + "@";
    out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
    out += ":" + std::to_string(port) + path;
    return out;
  }
};

namespace detail {
/// A decimal port in 0..65535; false otherwise (Go then falls back to the scheme's default).
inline bool parse_port(std::string_view s, std::uint16_t& out) noexcept {
  if (s.empty() || s.size() > 5) return false;
  unsigned v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v > 65535) return false;
  out = static_cast<std::uint16_t>(v);
  return true;
}
}  // namespace detail

/// Resolves an OLLAMA_HOST-style value:
/// - surrounding spaces and quotes are ignored; empty gives `http://127.0.0.1:11434`;
/// - no scheme: `http` on port 11434 (`1.2.3.4` -> `http://1.2.3.4:11434`, `:56789` ->
///   `http://127.0.0.1:56789`); the bare value `ollama.com` becomes `https://ollama.com:443`;
/// - `http://x` defaults to port 80, `https://x` to 443 (other schemes keep 11434);
/// - IPv6 literals may come bracketed, with or without a port (`[::1]:8080`, `[::1]`) or bare (`::1`);
/// - a path is kept (`http://proxy/ollama/` -> `http://proxy:80/ollama`), trailing slashes dropped;
/// - an empty host means 127.0.0.1; an invalid port falls back to the default, as Go does.
inline host_config parse_host(std::string_view value) {
  value = llmtrace::detail::trim(value);
  while (!value.empty() && (value.front() == '"' || value.front() == '\'')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '"' || value.back() == '\'')) value.remove_suffix(1);
  value = llmtrace::detail::trim(value);

  host_config out;
  if (value.empty()) return out;
  if (value == "ollama.com") {
    out.scheme = "https";
    out.host = "ollama.com";
    out.port = 443;
    return out;
  }

  std::uint16_t fallback_port = default_port;
  std::string_view rest = value;
  const auto sep = value.find("://");
  if (sep != std::string_view::npos) {
    out.scheme = llmtrace::detail::to_lower(value.substr(0, sep));
    rest = value.substr(sep + 3);
    if (out.scheme == "http") fallback_port = 80;
    if (out.scheme == "https") fallback_port = 443;
  }

  // host[:port] / path
  std::string_view hostport = rest;
  const auto slash = rest.find('/');
  if (slash != std::string_view::npos) {
    hostport = rest.substr(0, slash);
    std::string_view path = rest.substr(slash);
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    out.path = std::string(path);
  }
  const auto at = hostport.rfind('@');
  if (at != std::string_view::npos) {
    out.userinfo = std::string(hostport.substr(0, at));
    hostport = hostport.substr(at + 1);
  }

  std::string_view host;
  std::string_view port;
  bool has_port = false;
  if (!hostport.empty() && hostport.front() == '[') {
    const auto close = hostport.find(']');
    if (close == std::string_view::npos) {
      host = hostport.substr(1);
    } else {
      host = hostport.substr(1, close - 1);
      if (close + 1 < hostport.size() && hostport[close + 1] == ':') {
        port = hostport.substr(close + 2);
        has_port = true;
      }
    }
  } else {
    const auto colon = hostport.find(':');
    if (colon != std::string_view::npos && hostport.find(':', colon + 1) == std::string_view::npos) {
      host = hostport.substr(0, colon);
      port = hostport.substr(colon + 1);
      has_port = true;
    } else {
      host = hostport;  // a bare name, or a bare IPv6 literal (several colons)
    }
  }
  out.host = host.empty() ? std::string(default_host) : std::string(host);
  out.port = fallback_port;
  if (has_port) {
    std::uint16_t p = 0;
    if (detail::parse_port(port, p)) out.port = p;
  }
  return out;
}

/// The host from OLLAMA_HOST (default `http://127.0.0.1:11434` when unset).
inline host_config host_from_env() {
  const auto v = llmtrace::detail::get_env("OLLAMA_HOST");
  return parse_host(v ? std::string_view(*v) : std::string_view());
}

}  // namespace ollama
LLMTRACE_END_NAMESPACE
