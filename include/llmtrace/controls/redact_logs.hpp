// llmtrace/controls/redact_logs.hpp: the redaction of controls/redact.hpp applied to log records
// (GenAI events such as gen_ai.client.inference.operation.details, and any other log line): the
// body, the flat attributes and the structured attributes, whose strings are redacted where they
// sit in the tree (the structure is kept). Like redacting_exporter it runs on the export side.
// Thread-safety: export_batch is never called concurrently (log_exporter contract); the redactor
// is shared read-only.
#pragma once

#include <llmtrace/any_value.hpp>
#include <llmtrace/config.hpp>
#include <llmtrace/controls/redact.hpp>
#include <llmtrace/error.hpp>
#include <llmtrace/logs/log_record.hpp>
#include <llmtrace/logs/processor.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE

/// Redacts every string of structured value `in` (array elements, kvlist values and nested ones)
/// as plain text, `key` naming the attribute for the user callback. Returns the finds; when > 0,
/// `out` holds a copy of `in` of the same shape with the strings rewritten (untouched otherwise,
/// and nothing is allocated).
inline std::size_t redact_any_value(const redactor& r, std::string_view key, const any_value& in, any_value& out,
                                    redact_scratch& sc) {
  if (in.type() == any_value::kind::string) {
    const std::size_t k = r.redact_piece(key, in.as_string(), sc.value, sc.callback);
    if (k) out.assign_string(sc.value);
    return k;
  }
  if (in.type() != any_value::kind::array && in.type() != any_value::kind::kvlist) return 0;
  std::vector<std::pair<std::size_t, any_value>> changed;
  std::size_t n = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    any_value x;
    if (const std::size_t k = redact_any_value(r, key, in.at(i), x, sc)) {
      changed.emplace_back(i, std::move(x));
      n += k;
    }
  }
  if (!n) return 0;
  const bool array = in.type() == any_value::kind::array;
  any_value fresh = array ? any_value::array() : any_value::kvlist();
  std::size_t next = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const bool replaced = next < changed.size() && changed[next].first == i;
    any_value v = replaced ? std::move(changed[next++].second) : in.at(i);
    if (array)
      fresh.push_back(std::move(v));
    else
      fresh.set(in.key_at(i), std::move(v));
  }
  out = std::move(fresh);
  return n;
}

/// Redacts a log record: drops flat and structured attributes by key (drop_keys), redacts the
/// string body, every string of a structured body and of the structured attributes, and the flat
/// attributes as on spans, setting `llmtrace.redacted_count` when anything was found. Returns `in`
/// itself when nothing changes (no copy), else the record `copy()` returned, rewritten.
template <typename GetCopy>
const log_record& redact_log_record(const redactor& r, const log_record& in, GetCopy&& copy, redact_scratch& sc) {
  std::size_t n = 0;
  attribute_set attrs;
  const bool attrs_changed = r.redact_attributes(in.attributes, attrs, n, sc);
  any_value body;
  const std::size_t body_finds = redact_any_value(r, {}, in.body, body, sc);
  n += body_finds;
  std::vector<std::pair<std::size_t, any_value>> structured;
  bool dropped = false;
  for (std::size_t i = 0; i < in.structured_attributes.size(); ++i) {
    const auto& a = in.structured_attributes[i];
    if (detail::redact::key_matches(a.key, r.options().drop_keys)) {
      dropped = true;
      continue;
    }
    any_value x;
    if (const std::size_t k = redact_any_value(r, a.key, a.value, x, sc)) {
      structured.emplace_back(i, std::move(x));
      n += k;
    }
  }
  if (!attrs_changed && !body_finds && structured.empty() && !dropped) return in;
  log_record& out = copy();
  out = in;
  if (attrs_changed) out.attributes = std::move(attrs);
  if (body_finds) out.body = std::move(body);
  if (dropped || !structured.empty()) {
    std::vector<any_attribute> kept;
    std::size_t next = 0;
    for (std::size_t i = 0; i < in.structured_attributes.size(); ++i) {
      const auto& a = in.structured_attributes[i];
      if (next < structured.size() && structured[next].first == i)
        kept.push_back(any_attribute{a.key, std::move(structured[next++].second)});
      else if (!detail::redact::key_matches(a.key, r.options().drop_keys))
        kept.push_back(a);
    }
    out.structured_attributes = std::move(kept);
  }
  if (n) out.attributes.set(redacted_count_key, static_cast<std::int64_t>(n));
  return out;
}

/// A log exporter wrapper that redacts on the export side (the batch log worker, or the emitting
/// thread behind a simple log processor): a record with nothing to redact is handed on as it is, a
/// record with a find as a rewritten copy. A record that cannot be redacted (out of memory) is not
/// exported and is reported.
class redacting_log_exporter final : public log_exporter {
 public:
  /// Throws std::invalid_argument when `next` is null.
  redacting_log_exporter(std::shared_ptr<const redactor> r, std::unique_ptr<log_exporter> next)
      : redactor_(std::move(r)), next_(std::move(next)) {
    if (!next_) throw std::invalid_argument("llmtrace: redacting_log_exporter needs an exporter to wrap");
  }

  export_result export_batch(const log_batch& records) noexcept override {
    if (!redactor_) return next_->export_batch(records);
    return batch_.run(
        records, "log record",
        [&](const log_record& r, auto&& copy, redact_scratch& sc) -> const log_record& {
          return redact_log_record(*redactor_, r, copy, sc);
        },
        [&](const log_record* const* p, std::size_t n) { return next_->export_batch(log_batch(p, n)); });
  }
  bool force_flush(std::chrono::milliseconds timeout) noexcept override { return next_->force_flush(timeout); }
  bool shutdown(std::chrono::milliseconds timeout) noexcept override { return next_->shutdown(timeout); }

  /// The exporter this one feeds.
  log_exporter& next() const noexcept { return *next_; }

 private:
  std::shared_ptr<const redactor> redactor_;
  std::unique_ptr<log_exporter> next_;
  detail::redacting_batch<log_record> batch_;
};

/// `exp` behind a redacting_log_exporter when `r` changes anything, else `exp` itself.
inline std::unique_ptr<log_exporter> with_log_redaction(std::unique_ptr<log_exporter> exp,
                                                        std::shared_ptr<const redactor> r) {
  if (!exp || !r || !r->enabled()) return exp;
  return std::make_unique<redacting_log_exporter>(std::move(r), std::move(exp));
}

LLMTRACE_END_NAMESPACE
