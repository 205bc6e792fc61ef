// tests/fuzz/fuzz_wire.hpp: re-reads an encoded protobuf message the way a decoder would: every field
// must be well-formed; nested messages are walked when they parse (depth bounded by `max_depth`).
#pragma once

#include <llmtrace/otlp/protobuf.hpp>

#include <string_view>

namespace fuzz {

inline bool walk_protobuf(std::string_view msg, int max_depth, int depth = 0) {
  if (depth > max_depth) return true;
  llmtrace::detail::pb::reader r(msg);
  llmtrace::detail::pb::field f;
  while (r.next(f))
    if (f.wire == llmtrace::detail::pb::wire_len) (void)walk_protobuf(f.bytes, max_depth, depth + 1);
  return !r.failed();
}

}  // namespace fuzz
