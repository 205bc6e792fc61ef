// Tests for llmtrace/ollama/error.hpp: statuses, retryable(), error_type() and the message.
#include <llmtrace/ollama/error.hpp>

#include <doctest/doctest.h>

#include <string>

namespace ol = llmtrace::ollama;
namespace http = llmtrace::http;

namespace {
ol::error http_error(int status, std::string msg = "m") {
  return ol::error(ol::error_reason::http_status, "/api/chat", status, status, http::error_kind::none, std::move(msg));
}
ol::error transport_error(http::error_kind k) {
  return ol::error(ol::error_reason::transport, "/api/chat", 0, 0, k, "detail");
}
}  // namespace

TEST_CASE("HTTP statuses: retryable only for overload and gateway statuses") {
  for (int s : {408, 429, 502, 503, 504}) CHECK_MESSAGE(http_error(s).retryable(), s);
  for (int s : {400, 403, 404, 405, 499, 500}) CHECK_MESSAGE(!http_error(s).retryable(), s);
  const auto e = http_error(404, "model 'nosuch' not found");
  CHECK(e.status() == 404);
  CHECK(e.http_status() == 404);
  CHECK(e.error_type() == "404");
  CHECK(e.server_message() == "model 'nosuch' not found");
  CHECK(e.endpoint() == "/api/chat");
  CHECK(std::string(e.what()) == "ollama /api/chat: HTTP 404: model 'nosuch' not found");
  CHECK(e.transport() == http::error_kind::none);
}

TEST_CASE("transport failures") {
  CHECK(transport_error(http::error_kind::connect).retryable());
  CHECK(transport_error(http::error_kind::timeout).retryable());
  CHECK(transport_error(http::error_kind::receive).retryable());
  CHECK_FALSE(transport_error(http::error_kind::tls).retryable());
  CHECK_FALSE(transport_error(http::error_kind::other).retryable());
  CHECK(transport_error(http::error_kind::timeout).error_type() == "timeout");
  CHECK(transport_error(http::error_kind::connect).error_type() == "connect");
  CHECK(transport_error(http::error_kind::other).error_type() == "_OTHER");
  CHECK(transport_error(http::error_kind::connect).status() == 0);
  CHECK(std::string(transport_error(http::error_kind::connect).what()) == "ollama /api/chat: connect error: detail");
}

TEST_CASE("mid-stream failures keep the partial output and report status -1") {
  const ol::error e(ol::error_reason::stream_error, "/api/generate", -1, 200, http::error_kind::none,
                    "prediction aborted, token repeat limit reached", "partial text", "partial thought");
  CHECK(e.status() == -1);
  CHECK(e.http_status() == 200);
  CHECK(e.partial_content() == "partial text");
  CHECK(e.partial_thinking() == "partial thought");
  CHECK_FALSE(e.retryable());
  CHECK(e.error_type() == "stream_error");
  const ol::error eof(ol::error_reason::incomplete_stream, "/api/chat", -1, 200, http::error_kind::none, "eof");
  CHECK(eof.retryable());
  CHECK(eof.error_type() == "incomplete_stream");
  CHECK(ol::to_string(ol::error_reason::invalid_response) == "invalid_response");
  const std::runtime_error& base = e;  // one exception style: a std::runtime_error
  CHECK(std::string(base.what()).find("prediction aborted, token repeat limit reached") != std::string::npos);
}
