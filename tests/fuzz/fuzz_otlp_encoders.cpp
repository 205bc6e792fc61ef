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

#include "fuzz_input.hpp"

#include <cstring>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace pb = llmtrace::detail::pb;

// Walks a message: every field must be well-formed; nested messages are walked when they parse.
// Depth is bounded by the OTLP schema (an AnyValue array nests at most a few levels here).
bool walk(std::string_view msg, int depth) {
  if (depth > 32) return true;
  pb::reader r(msg);
  pb::field f;
  while (r.next(f))
    if (f.wire == pb::wire_len) (void)walk(f.bytes, depth + 1);
  return !r.failed();
}

// attribute_value views its array (set() copies it): the arrays live here until then.
struct value_storage {
  std::vector<std::string> strings;
  std::vector<std::int64_t> ints;
  std::vector<bool> bools;
};

llmtrace::attribute_value value_from(fuzz::input& in, value_storage& st) {
  switch (in.byte() % 7) {
    case 0:
      return llmtrace::attribute_value(in.byte() & 1);
    case 1:
      return llmtrace::attribute_value(static_cast<std::int64_t>(in.u64()));
    case 2: {
      const std::uint64_t bits = in.u64();
      double d;
      std::memcpy(&d, &bits, sizeof d);  // NaN, infinities, subnormals included
      return llmtrace::attribute_value(d);
    }
    case 3: {
      auto& v = st.strings;
      for (int n = in.byte() % 4; n > 0; --n) v.emplace_back(in.until('\x01'));
      return llmtrace::attribute_value(v);
    }
    case 4: {
      auto& v = st.ints;
      for (int n = in.byte() % 4; n > 0; --n) v.push_back(static_cast<std::int64_t>(in.u64()));
      return llmtrace::attribute_value(v);
    }
    case 5: {
      auto& v = st.bools;
      for (int n = in.byte() % 4; n > 0; --n) v.push_back(in.byte() & 1);
      return llmtrace::attribute_value(v);
    }
    default:
      return llmtrace::attribute_value(in.until('\x01'));  // any bytes, invalid UTF-8 included
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::input in(data, size);
  static const llmtrace::resource res = llmtrace::make_resource({{"service.name", "fuzz"}});
  llmtrace::instrumentation_scope scope{std::string(in.until('\x02')), "1.0", "", {}};
  std::vector<llmtrace::span_data> spans(in.byte() % 4 + 1);
  for (auto& s : spans) {
    s.set_name(in.until('\x02'));
    for (auto& b : s.context.trace_id.bytes) b = in.byte();
    for (auto& b : s.context.span_id.bytes) b = in.byte();
    for (auto& b : s.parent_span_id.bytes) b = in.byte();
    s.context.trace_flags = in.byte();
    s.kind = static_cast<llmtrace::span_kind>(in.byte() % 6);
    s.status = static_cast<llmtrace::status_code>(in.byte() % 3);
    s.status_message = std::string(in.until('\x02'));
    s.trace_state = std::string(in.until('\x02'));
    s.start_time_unix_nano = static_cast<std::int64_t>(in.u64());
    s.end_time_unix_nano = static_cast<std::int64_t>(in.u64());
    for (int n = in.byte() % 6; n > 0; --n) {
      const std::string key(in.until('\x03'));
      value_storage st;
      s.attributes.set(key, value_from(in, st));
    }
    for (int n = in.byte() % 3; n > 0; --n) {
      llmtrace::span_event e;
      e.name = std::string(in.until('\x02'));
      e.time_unix_nano = static_cast<std::int64_t>(in.u64());
      value_storage st;
      e.attributes.set(std::string(in.until('\x03')), value_from(in, st));
      s.events.push_back(std::move(e));
    }
    if (in.byte() & 1) {
      llmtrace::span_link l;
      for (auto& b : l.context.trace_id.bytes) b = in.byte();
      l.trace_state = std::string(in.until('\x02'));
      s.links.push_back(std::move(l));
    }
    s.resource = &res;
    s.scope = &scope;
  }
  std::vector<const llmtrace::span_data*> ptrs;
  for (const auto& s : spans) ptrs.push_back(&s);
  const llmtrace::span_batch batch(ptrs.data(), ptrs.size());

  std::string proto;
  llmtrace::otlp::encode_protobuf(batch, proto);
  if (!walk(proto, 0)) __builtin_trap();

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
