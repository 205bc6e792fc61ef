// llmtrace/detail/url.hpp: the one URL splitter (scheme, userinfo, host, port, path, query, fragment)
// that the OTLP exporters, the libcurl transport and record/replay share, plus the redacted form of a
// URL for messages. Standard headers only. Thread-safety: pure functions on string views.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/detail/env.hpp>

#include <string>
#include <string_view>

LLMTRACE_BEGIN_NAMESPACE
namespace detail {

/// The parts of `scheme://[userinfo@]host[:port][/path][?query][#fragment]`, as views into the URL.
/// Without "://" the whole text is a reference: scheme, userinfo, host and port are empty.
struct url_parts {
  std::string_view scheme;     ///< "http" (as written)
  std::string_view userinfo;   ///< "user:password" (without '@')
  std::string_view host_port;  ///< "host:port" or "[::1]:port" as written, without userinfo
  std::string_view host;       ///< without IPv6 brackets
  std::string_view port;       ///< the text after the host's ':' ("" when absent)
  std::string_view target;     ///< path and query: "/v1/traces?x" (without '#fragment'; may be "")
  std::string_view path;       ///< "/v1/traces" (may be "")
  std::string_view query;      ///< after '?' (without '#'), "" when absent
  bool has_authority = false;  ///< the URL has "scheme://"
};

/// Fills userinfo, host_port, host and port of `p` from `[userinfo@]host[:port]`.
inline void split_authority(std::string_view authority, url_parts& p) noexcept {
  const auto at = authority.rfind('@');
  if (at != std::string_view::npos) {
    p.userinfo = authority.substr(0, at);
    authority.remove_prefix(at + 1);
  }
  p.host_port = authority;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close != std::string_view::npos) {
      p.host = authority.substr(1, close - 1);
      if (close + 1 < authority.size() && authority[close + 1] == ':') p.port = authority.substr(close + 2);
    }
  } else {
    const auto colon = authority.find(':');
    p.host = authority.substr(0, colon);
    if (colon != std::string_view::npos) p.port = authority.substr(colon + 1);
  }
}

/// Splits `url` (no validation, no decoding; every view points into `url`).
inline url_parts split_url(std::string_view url) noexcept {
  url_parts p;
  std::string_view rest = url;
  const auto sep = url.find("://");
  if (sep != std::string_view::npos) {
    p.has_authority = true;
    p.scheme = url.substr(0, sep);
    rest = url.substr(sep + 3);
    const auto end = rest.find_first_of("/?#");
    split_authority(rest.substr(0, end), p);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  }
  p.target = rest.substr(0, rest.find('#'));
  const auto q = p.target.find('?');
  p.path = p.target.substr(0, q);
  if (q != std::string_view::npos) p.query = p.target.substr(q + 1);
  return p;
}

/// True for an absolute http:// or https:// URL with a host part (case-insensitive scheme).
/// A host is required (`http:///` and `http://:4318` are not URLs) and a port, when given, is decimal
/// from 1 to 65535.
inline bool is_http_url(std::string_view url) noexcept {
  const auto p = split_url(url);
  if (!p.has_authority || p.host.empty() || !(iequals(p.scheme, "http") || iequals(p.scheme, "https"))) return false;
  if (p.host_port.front() == '[' && p.host_port.find(']') == std::string_view::npos) return false;
  const bool colon = p.host_port.size() > p.host.size() + (p.host_port.front() == '[' ? 2 : 0);
  if (!colon) return true;
  if (p.port.empty() || p.port.size() > 5) return false;
  unsigned n = 0;
  for (char c : p.port) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<unsigned>(c - '0');
  }
  return n >= 1 && n <= 65535;
}

/// A URL safe to put in a message: scheme, host, port and path; no user:password@, query or fragment.
inline std::string redact_url(std::string_view url) {
  const auto p = split_url(url);
  if (!p.has_authority) return "<not an http(s) URL>";
  return std::string(p.scheme) + "://" + std::string(p.host_port) + std::string(p.path);
}

}  // namespace detail
LLMTRACE_END_NAMESPACE
