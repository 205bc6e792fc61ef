// The light core must stay light: no JSON, HTTP client or HTTP server header behind trace.hpp or
// metrics.hpp, nor behind the OTLP exporter options (their environment reading is standard-only too)
// or the OTLP encoders.
#include <llmtrace/exporters/otlp_options.hpp>
#include <llmtrace/metrics.hpp>
#include <llmtrace/otlp/json.hpp>
#include <llmtrace/otlp/protobuf.hpp>
#include <llmtrace/trace.hpp>

#if defined(NLOHMANN_JSON_VERSION_MAJOR) || defined(INCLUDE_NLOHMANN_JSON_HPP_)
#error "a light header pulled in nlohmann/json.hpp"
#endif
#if defined(CURLINC_CURL_H) || defined(__CURL_CURL_H)
#error "a light header pulled in curl/curl.h"
#endif
#if defined(CPPHTTPLIB_HTTPLIB_H)
#error "a light header pulled in httplib.h"
#endif

#include <doctest/doctest.h>

TEST_CASE("the light core works on its own") {
  llmtrace::span s("light");
  CHECK_FALSE(s.is_recording());  // no provider installed in this test
}
