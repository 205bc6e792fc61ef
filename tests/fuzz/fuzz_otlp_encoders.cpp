// Fuzz target: spans built from arbitrary bytes (names, strings of any bytes, numbers, arrays,
// events, links) through both OTLP encoders and the console exporter. The protobuf is re-read by a
// wire walker that descends into every length-delimited field that parses as a message; the JSON must
// parse (depth-limited) and be valid UTF-8 throughout.
#include <llmtrace/detail/json_parse.hpp>
#include <llmtrace/detail/utf8.hpp>
#include <llmtrace/exporters/console.hpp>
#include <llmtrace/otlp/json.hpp>
#include <llmtrace/otlp/protobuf.hpp>
#include <llmtrace/resource.hpp>

#include "fuzz_spans.hpp"
#include "fuzz_wire.hpp"

#include <cstring>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::input in(data, size);
  const fuzz::span_set set(in);
  const llmtrace::span_batch batch = set.batch();

  std::string proto;
  llmtrace::otlp::encode_protobuf(batch, proto);
  if (!fuzz::walk_protobuf(proto, 32)) __builtin_trap();

  const std::string json = llmtrace::otlp::encode_json(batch);
  if (!llmtrace::detail::is_valid_utf8(json)) __builtin_trap();
  if (!llmtrace::detail::parse_json(json).ok()) __builtin_trap();

  std::ostringstream out;
  llmtrace::console_exporter_options co;
  co.stream = &out;
  co.color = llmtrace::console_color::never;
  llmtrace::console_exporter console(co);
  (void)console.export_batch(batch);
  (void)console.force_flush(std::chrono::milliseconds(0));
  return 0;
}
