// Fuzz target: log records built from arbitrary bytes (bodies and structured attributes nested a few
// levels, flat attributes of every type, any bytes in strings) through both OTLP log encoders and the
// console log exporter. The protobuf is re-read by a wire walker; the JSON must parse
// (depth-limited) and be valid UTF-8 throughout.
#include <llmtrace/detail/json_parse.hpp>
#include <llmtrace/detail/utf8.hpp>
#include <llmtrace/exporters/logs.hpp>
#include <llmtrace/otlp/logs.hpp>
#include <llmtrace/otlp/protobuf.hpp>

#include "fuzz_spans.hpp"
#include "fuzz_wire.hpp"

#include <chrono>
#include <sstream>
#include <string>
#include <vector>

namespace {

// A value of any shape; arrays and kvlists nest at most `depth` more levels.
llmtrace::any_value any_from(fuzz::input& in, int depth) {
  const int choice = in.byte() % (depth > 0 ? 8 : 6);
  switch (choice) {
    case 0:
      return {};
    case 6: {
      llmtrace::any_value a = llmtrace::any_value::array();
      for (int n = in.byte() % 4; n > 0; --n) a.push_back(any_from(in, depth - 1));
      return a;
    }
    case 7: {
      llmtrace::any_value kv = llmtrace::any_value::kvlist();
      for (int n = in.byte() % 4; n > 0; --n) {
        const std::string key(in.until('\x03'));
        kv.set(key, any_from(in, depth - 1));
      }
      return kv;
    }
    default: {
      fuzz::value_storage st;
      return llmtrace::any_value(fuzz::value_from(in, st));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::input in(data, size);
  const llmtrace::resource res = llmtrace::make_resource({{"service.name", "fuzz"}});
  const llmtrace::instrumentation_scope scope{std::string(in.until('\x02')), "1.0", "", {}};
  std::vector<llmtrace::log_record> records(in.byte() % 3 + 1);
  std::vector<const llmtrace::log_record*> ptrs;
  for (auto& r : records) {
    r.time_unix_nano = static_cast<std::int64_t>(in.u64());
    r.observed_time_unix_nano = static_cast<std::int64_t>(in.u64());
    r.severity = static_cast<llmtrace::severity>(in.byte() % 32);  // out-of-range numbers included
    r.severity_text = std::string(in.until('\x02'));
    r.event_name = std::string(in.until('\x02'));
    r.body = any_from(in, 6);
    for (int n = in.byte() % 4; n > 0; --n) {
      const std::string key(in.until('\x03'));
      fuzz::value_storage st;
      r.attributes.set(key, fuzz::value_from(in, st));
    }
    for (int n = in.byte() % 3; n > 0; --n) {
      const std::string key(in.until('\x03'));
      r.set_structured(key, any_from(in, 4));
    }
    if (in.byte() & 1) {
      for (auto& b : r.trace_id.bytes) b = in.byte();
      for (auto& b : r.span_id.bytes) b = in.byte();
      r.trace_flags = in.byte();
    }
    r.resource = &res;
    r.scope = &scope;
    ptrs.push_back(&r);
  }
  const llmtrace::log_batch batch(ptrs.data(), ptrs.size());

  std::string proto;
  llmtrace::otlp::encode_protobuf(batch, proto);
  if (!fuzz::walk_protobuf(proto, 48)) __builtin_trap();

  const std::string json = llmtrace::otlp::encode_json(batch);
  if (!llmtrace::detail::is_valid_utf8(json)) __builtin_trap();
  if (!llmtrace::detail::parse_json(json).ok()) __builtin_trap();

  std::ostringstream out;
  llmtrace::console_exporter_options co;
  co.stream = &out;
  co.color = llmtrace::console_color::never;
  llmtrace::console_log_exporter console(co);
  (void)console.export_batch(batch);
  (void)console.force_flush(std::chrono::milliseconds(0));
  return 0;
}
