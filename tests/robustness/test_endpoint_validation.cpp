// An OTLP endpoint without a host (http:///) or with a bad port is rejected once, clearly, and the
// default used (it was accepted and mangled into "http:/v1/traces").
#include <llmtrace/error.hpp>
#include <llmtrace/exporters/otlp_http.hpp>

#include <doctest/doctest.h>

#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

namespace {

struct env_var {
  const char* name;
  env_var(const char* n, const char* v) : name(n) { setenv(n, v, 1); }
  ~env_var() { unsetenv(name); }
};

struct messages {
  std::shared_ptr<std::vector<std::string>> all = std::make_shared<std::vector<std::string>>();
  messages() {
    llmtrace::set_error_handler([a = all](std::string_view m) { a->emplace_back(m); });
  }
  ~messages() { llmtrace::set_error_handler({}); }
};

}  // namespace

TEST_CASE("URLs without a usable host or port are not http URLs") {
  using llmtrace::detail::is_http_url;
  for (const char* bad :
       {"http:///", "http://", "https:///v1/traces", "http://:4318", "http://user@/x", "http://host:", "http://host:0",
        "http://host:65536", "http://host:12a", "http://[]:1", "http://[::1", "ftp://host"})
    CHECK_MESSAGE(!is_http_url(bad), bad);
  for (const char* good : {"http://localhost:4318/v1/traces", "https://collector", "HTTP://h:1",
                           "http://user:pw@h:65535/x?y#z", "http://[::1]:4318", "http://[fe80::1]"})
    CHECK_MESSAGE(is_http_url(good), good);
}

TEST_CASE("OTEL_EXPORTER_OTLP_ENDPOINT=http:/// is reported once and the default used") {
  const std::string fallback = llmtrace::otlp_http_options{}.endpoint;
  for (const char* var : {"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"}) {
    CAPTURE(var);
    env_var e(var, "http:///");
    messages m;
    const auto o = llmtrace::otlp_http_options_from_env();
    CHECK(o.endpoint == fallback);
    REQUIRE(m.all->size() == 1);
    CHECK(m.all->front() == std::string("invalid ") + var +
                                "=http:/// (expected an http:// or https:// URL); using the default " + fallback);
  }
}

TEST_CASE("with OTEL_EXPORTER_OTLP_PROTOCOL=grpc a hostless endpoint no longer throws") {
  env_var p("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc");
  env_var e("OTEL_EXPORTER_OTLP_ENDPOINT", "http:///");
  messages m;
  const auto o = llmtrace::otlp_http_options_from_env();  // threw std::out_of_range (found by fuzz_config)
  CHECK(llmtrace::detail::is_http_url(o.endpoint));
}
