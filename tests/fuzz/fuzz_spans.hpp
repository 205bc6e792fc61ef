// tests/fuzz/fuzz_spans.hpp: spans built from arbitrary bytes (names, strings of any bytes, numbers,
// arrays, events, links) for the fuzz targets that feed span exporters and renderers.
#pragma once

#include <llmtrace/exporter.hpp>
#include <llmtrace/resource.hpp>
#include <llmtrace/span_data.hpp>

#include "fuzz_input.hpp"

#include <cstring>
#include <string>
#include <vector>

namespace fuzz {

// attribute_value views its array (set() copies it): the arrays live here until then.
struct value_storage {
  std::vector<std::string> strings;
  std::vector<std::int64_t> ints;
  std::vector<bool> bools;
};

inline llmtrace::attribute_value value_from(fuzz::input& in, value_storage& st) {
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

/// One to four spans of one scope, every field taken from the input.
struct span_set {
  llmtrace::resource res = llmtrace::make_resource({{"service.name", "fuzz"}});
  llmtrace::instrumentation_scope scope;
  std::vector<llmtrace::span_data> spans;
  std::vector<const llmtrace::span_data*> ptrs;

  explicit span_set(input& in) {
    scope = llmtrace::instrumentation_scope{std::string(in.until('\x02')), "1.0", "", {}};
    spans = std::vector<llmtrace::span_data>(in.byte() % 4 + 1);
    for (auto& s : spans) {
      fill(in, s);
      ptrs.push_back(&s);
    }
  }
  span_set(const span_set&) = delete;
  span_set& operator=(const span_set&) = delete;
  llmtrace::span_batch batch() const noexcept { return llmtrace::span_batch(ptrs.data(), ptrs.size()); }

 private:
  void fill(input& in, llmtrace::span_data& s) {
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
};

}  // namespace fuzz
