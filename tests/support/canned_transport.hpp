// tests/support/canned_transport.hpp: an http::transport answering every request with a fixed status
// and body (send(), and non-2xx answers of stream()) or fixed chunks (2xx stream()). Used by the
// record/replay tests and the fuzz targets. Thread-safety: configure before use; then read-only.
#pragma once

#include <llmtrace/http/transport.hpp>

#include <string>
#include <vector>

namespace llmtrace_test {

class canned_transport final : public llmtrace::http::transport {
 public:
  int status = 200;
  std::string body;
  std::vector<std::string> chunks;

  llmtrace::http::response send(const llmtrace::http::request&) noexcept override {
    llmtrace::http::response r;
    r.status = status;
    r.body = body;
    return r;
  }
  llmtrace::http::response stream(const llmtrace::http::request&,
                                  const llmtrace::http::data_callback& on_data) noexcept override {
    llmtrace::http::response r;
    r.status = status;
    if (status < 200 || status >= 300) {
      r.body = body;
      return r;
    }
    for (const auto& c : chunks)
      if (!on_data(c)) {
        r.error = llmtrace::http::error_kind::aborted;
        return r;
      }
    return r;
  }
};

}  // namespace llmtrace_test
