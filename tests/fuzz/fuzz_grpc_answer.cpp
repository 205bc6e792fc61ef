// Fuzz target: what a gRPC server answers. Arbitrary header and trailer lines (as libcurl hands them
// over, status lines included) and an arbitrary response body go through the transport's header and
// body callbacks and grpc_read_answer (grpc-status, grpc-message percent-decoding, RetryInfo from
// base64 grpc-status-details-bin, the 5-byte message prefix, gzip), then the OTLP export response
// decoder, describe() and retryable(). Nothing may crash, hang, or grow past the body limit.
#include <llmtrace/http/grpc_transport.hpp>
#include <llmtrace/otlp/protobuf.hpp>

#include "fuzz_input.hpp"

#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
#if defined(LLMTRACE_HAS_CURL)
  fuzz::input in(data, size);
  constexpr std::size_t max_body = 64 * 1024;
  llmtrace::http::grpc_response resp;
  std::string body;
  llmtrace::detail::grpc_transfer t;
  t.resp = &resp;
  t.body = &body;
  t.max_body = max_body;
  const std::string_view head = in.until('\0');
  for (std::string_view rest = head; !rest.empty();) {
    const auto nl = rest.find('\n');
    std::string line(rest.substr(0, nl == std::string_view::npos ? rest.size() : nl + 1));
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    if (llmtrace::detail::grpc_on_header(line.data(), 1, line.size(), &t) != line.size()) __builtin_trap();
  }
  std::string chunk(in.rest());
  const std::size_t took = llmtrace::detail::grpc_on_body(chunk.data(), 1, chunk.size(), &t);
  if (took != chunk.size() && took != 0) __builtin_trap();
  if (body.size() > max_body) __builtin_trap();
  llmtrace::detail::grpc_read_answer(resp, body, max_body);
  if (resp.message.size() > max_body) __builtin_trap();
  if (resp.ok()) {
    llmtrace::otlp::partial_success ps;
    (void)llmtrace::otlp::decode_export_response(resp.message, ps);
  }
  (void)resp.describe();
  (void)resp.retryable();
#else
  (void)data;
  (void)size;
#endif
  return 0;
}
