// Helpers for the client tests: a client pointed at the fake daemon (content capture pinned so the
// environment cannot change a test), and request-log readers.
#pragma once

#include <llmtrace/ollama/client.hpp>

#include "fake_ollama.hpp"
#include "ollama_test_support.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <string>

namespace ollama_test {

namespace ol = llmtrace::ollama;
using llmtrace_test::fake_ollama;
using llmtrace_test::stream_mode;

/// A client for `fake` (bounded timeouts so that a broken test fails instead of hanging). Each
/// client gets its own libcurl transport, so its keep-alive connections close with it (before the
/// fake, declared earlier, stops) instead of lingering in the process-wide pool.
inline ol::client make_client(const fake_ollama& fake, ol::client_options o = {}) {
  o.host = fake.base_url();
  if (!o.transport) o.transport = std::make_shared<llmtrace::http::curl_transport>();
  if (!o.capture_content) o.capture_content = ol::content_capture::no_content;
  if (o.timeout.count() == 0) o.timeout = std::chrono::seconds(60);
  return ol::client(std::move(o));
}

inline ol::chat_request chat_req(std::string model, std::string text) {
  ol::chat_request r;
  r.model = std::move(model);
  r.messages.push_back(ol::message::user(std::move(text)));
  return r;
}

inline ol::generate_request gen_req(std::string model, std::string prompt) {
  ol::generate_request r;
  r.model = std::move(model);
  r.prompt = std::move(prompt);
  return r;
}

inline ol::tool weather_tool() {
  return ol::tool::make_function(
      "get_weather", "Get the weather for a city",
      ol::json{{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}, {"required", {"city"}}});
}

/// Runs `f`, which must throw ol::error, and returns a copy of it.
inline ol::error expect_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const ol::error& e) {
    return e;
  }
  FAIL("no ollama::error thrown");
  return ol::error(ol::error_reason::invalid_request, "", 0, 0, llmtrace::http::error_kind::none, "");
}

/// The last request the fake received for `path`.
inline llmtrace_test::recorded_request last_for(const fake_ollama& fake, const std::string& path) {
  const auto all = fake.requests();
  for (auto it = all.rbegin(); it != all.rend(); ++it)
    if (it->path == path) return *it;
  FAIL("no request to " << path);
  return {};
}

}  // namespace ollama_test
