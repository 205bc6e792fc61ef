// Tests for llmtrace/ollama/host.hpp: every OLLAMA_HOST rule of the Go and Python clients.
#include <llmtrace/ollama/host.hpp>

#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

using llmtrace::ollama::host_from_env;
using llmtrace::ollama::parse_host;

namespace {
std::string url(const char* v) { return parse_host(v).base_url(); }
}  // namespace

TEST_CASE("empty and whitespace give the default") {
  CHECK(url("") == "http://127.0.0.1:11434");
  CHECK(url("   ") == "http://127.0.0.1:11434");
  CHECK(url("\"\"") == "http://127.0.0.1:11434");
}

TEST_CASE("no scheme: http on port 11434") {
  CHECK(url("1.2.3.4") == "http://1.2.3.4:11434");
  CHECK(url("example.com") == "http://example.com:11434");
  CHECK(url(":56789") == "http://127.0.0.1:56789");
  CHECK(url("1.2.3.4:56789") == "http://1.2.3.4:56789");
  CHECK(url("0.0.0.0") == "http://0.0.0.0:11434");
  const auto h = parse_host("gpu-box:8080");
  CHECK(h.scheme == "http");
  CHECK(h.host == "gpu-box");
  CHECK(h.port == 8080);
  CHECK(h.path.empty());
}

TEST_CASE("explicit schemes default to 80 and 443") {
  CHECK(url("http://example.com") == "http://example.com:80");
  CHECK(url("https://example.com") == "https://example.com:443");
  CHECK(url("http://example.com:56789") == "http://example.com:56789");
  CHECK(url("https://example.com:56789") == "https://example.com:56789");
  CHECK(url("HTTPS://example.com") == "https://example.com:443");
  CHECK(url("http://:56789") == "http://127.0.0.1:56789");
}

TEST_CASE("ollama.com means the hosted service") {
  CHECK(url("ollama.com") == "https://ollama.com:443");
  CHECK(url("https://ollama.com") == "https://ollama.com:443");
  CHECK(url("http://ollama.com") == "http://ollama.com:80");  // an explicit scheme is kept
}

TEST_CASE("IPv6 literals") {
  CHECK(url("[0001:002:003:0004::1]") == "http://[0001:002:003:0004::1]:11434");
  CHECK(url("[0001:002:003:0004::1]:56789") == "http://[0001:002:003:0004::1]:56789");
  CHECK(url("http://[0001:002:003:0004::1]") == "http://[0001:002:003:0004::1]:80");
  CHECK(url("https://[0001:002:003:0004::1]:56789/path/") == "https://[0001:002:003:0004::1]:56789/path");
  CHECK(url("::1") == "http://[::1]:11434");
  const auto h = parse_host("[::1]:8080");
  CHECK(h.host == "::1");  // server.address without brackets
  CHECK(h.port == 8080);
}

TEST_CASE("paths are kept and trailing slashes dropped") {
  CHECK(url("example.com/") == "http://example.com:11434");
  CHECK(url("example.com/path/") == "http://example.com:11434/path");
  CHECK(url("example.com:56789/path") == "http://example.com:56789/path");
  CHECK(url("https://example.com:56789/path/to/ollama//") == "https://example.com:56789/path/to/ollama");
  CHECK(url("http://127.0.0.1:11434/") == "http://127.0.0.1:11434");
  CHECK(parse_host("http://proxy/ollama/").path == "/ollama");
}

TEST_CASE("invalid ports fall back to the scheme's default (Go)") {
  CHECK(url("example.com:abc") == "http://example.com:11434");
  CHECK(url("example.com:99999") == "http://example.com:11434");
  CHECK(url("https://example.com:-1") == "https://example.com:443");
  CHECK(url("example.com:") == "http://example.com:11434");
}

TEST_CASE("quotes and spaces are trimmed, userinfo is kept out of server.address") {
  CHECK(url("  \"1.2.3.4:5678\"  ") == "http://1.2.3.4:5678");
  CHECK(url("'example.com'") == "http://example.com:11434");
  const auto h = parse_host("https://user:pw@example.com:8443/x");
  CHECK(h.userinfo == "user:pw");
  CHECK(h.host == "example.com");
  CHECK(h.base_url() == "https://user:pw@example.com:8443/x");
}

TEST_CASE("host_from_env reads OLLAMA_HOST") {
  const char* saved = std::getenv("OLLAMA_HOST");
  const std::string keep = saved ? saved : "";
  ::unsetenv("OLLAMA_HOST");
  CHECK(host_from_env().base_url() == "http://127.0.0.1:11434");
  ::setenv("OLLAMA_HOST", ":56789", 1);
  CHECK(host_from_env().base_url() == "http://127.0.0.1:56789");
  ::setenv("OLLAMA_HOST", "", 1);
  CHECK(host_from_env().base_url() == "http://127.0.0.1:11434");
  if (saved)
    ::setenv("OLLAMA_HOST", keep.c_str(), 1);
  else
    ::unsetenv("OLLAMA_HOST");
}
