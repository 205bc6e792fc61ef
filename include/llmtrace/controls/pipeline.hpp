// llmtrace/controls/pipeline.hpp: puts the control stages in front of a pipeline's exporting
// processors, in a fixed order: baggage attributes -> filter -> cost -> tail keep -> the exporting
// processors, whose exporters sit behind the redacting_exporter (a span is filtered before anything
// holds it; cost sums see every span; kept traces are redacted on the export side as they leave).
// Each stage is built from code (controls_options) or, when left unset, from its environment
// variable; a stage with nothing to do is not built at all. Thread-safety: build once at start-up.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/controls/cost.hpp>
#include <llmtrace/controls/filter.hpp>
#include <llmtrace/controls/forwarding.hpp>
#include <llmtrace/controls/redact.hpp>
#include <llmtrace/controls/request_scope.hpp>
#include <llmtrace/controls/tail_keep.hpp>
#include <llmtrace/detail/span_pool.hpp>
#include <llmtrace/error.hpp>
#include <llmtrace/processor.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE

/// The control stages of a pipeline; an unset member is read from the environment
/// (LLMTRACE_REDACT / LLMTRACE_REDACT_KEYS, LLMTRACE_FILTER_SPANS / LLMTRACE_FILTER_CHILDREN,
/// LLMTRACE_TAIL_KEEP, LLMTRACE_PRICES, LLMTRACE_BAGGAGE_ATTRIBUTES). Set a member to a
/// default-constructed value to turn a stage off in code.
struct controls_options {
  /// Baggage entries copied onto spans; the GenAI identity (request_scope) is copied by default.
  std::optional<baggage_attributes_options> baggage_attributes;
  /// Prices for llmtrace.usage.cost; nullopt: LLMTRACE_PRICES (no cost stage when unset).
  std::optional<price_table> prices;
  std::optional<redaction_options> redaction;
  std::optional<filter_options> filter;
  std::optional<tail_keep_options> tail_keep;  ///< nullopt: LLMTRACE_TAIL_KEEP; off when that is unset too
  bool tail_keep_off = false;                  ///< true: no tail keep whatever the environment says
};

/// Hands every span to several processors (a copy for each but the last), like the provider does.
class fanout_processor final : public span_processor {
 public:
  explicit fanout_processor(std::vector<std::unique_ptr<span_processor>> targets) : targets_(std::move(targets)) {}
  void on_start(span_data& s) noexcept override {
    for (auto& t : targets_) t->on_start(s);
  }
  void on_end(span_ptr span) noexcept override {
    const std::size_t n = targets_.size();
    for (std::size_t i = 0; i + 1 < n; ++i) {
      try {
        span_ptr copy(detail::span_pool::acquire());
        *copy = *span;
        targets_[i]->on_end(std::move(copy));
      } catch (...) {
        detail::report_error("out of memory copying a span for a processor");
      }
    }
    if (n) targets_[n - 1]->on_end(std::move(span));
  }
  bool force_flush(std::chrono::milliseconds timeout) noexcept override {
    bool ok = true;
    for (auto& t : targets_) ok = t->force_flush(timeout) && ok;
    return ok;
  }
  bool shutdown(std::chrono::milliseconds timeout) noexcept override {
    bool ok = true;
    for (auto& t : targets_) ok = t->shutdown(timeout) && ok;
    return ok;
  }
  void retain_while_exporting(std::shared_ptr<const void> owner) noexcept override {
    for (auto& t : targets_) t->retain_while_exporting(owner);
  }
  processor_stats stats() const noexcept override {
    processor_stats total;
    for (const auto& t : targets_) total += t->stats();
    return total;
  }

 private:
  std::vector<std::unique_ptr<span_processor>> targets_;
};

/// What with_controls built (for a sampler change and for reporting).
struct controls_built {
  bool filter = false;
  bool tail_keep = false;
  bool cost = false;
  bool baggage_attributes = false;
};

/// The redactor controls_options (or LLMTRACE_REDACT / LLMTRACE_REDACT_KEYS) ask for, or null when
/// redaction is off. An invalid user pattern is reported once and turns redaction off.
inline std::shared_ptr<const redactor> redactor_from(const controls_options& options) {
  redaction_options ro = options.redaction ? *options.redaction : redactor::options_from_env();
  std::shared_ptr<const redactor> r;
  try {
    r = std::make_shared<const redactor>(std::move(ro));
  } catch (const std::exception& e) {
    detail::report_error(std::string("redaction: invalid pattern (") + e.what() + "); redaction off");
    return nullptr;
  }
  return r->enabled() ? r : nullptr;
}

/// Wraps `exporting` (the processors that export) in the configured processor stages (baggage
/// attributes, filter, cost, tail keep) and returns the one processor to install, or `exporting`
/// unchanged (as one fanout, or itself when alone) when no stage is configured. Redaction is not a
/// processor stage: wrap the exporters with with_redaction(exp, redactor_from(options)) so it runs
/// on the export side. Invalid environment values are reported once and ignored.
inline std::vector<std::unique_ptr<span_processor>> with_controls(
    std::vector<std::unique_ptr<span_processor>> exporting, const controls_options& options,
    controls_built* built = nullptr) {
  controls_built b;
  filter_options fo = options.filter ? *options.filter : filter_options::from_env();
  std::optional<tail_keep_options> to;
  if (!options.tail_keep_off) to = options.tail_keep ? options.tail_keep : tail_keep_options::from_env();
  b.filter = fo.any();
  b.tail_keep = to.has_value();
  std::optional<price_table> prices = options.prices ? options.prices : price_table::from_env();
  b.cost = prices.has_value();
  baggage_attributes_options bo =
      options.baggage_attributes ? *options.baggage_attributes : baggage_attributes_options::from_env();
  b.baggage_attributes = bo.genai_identity || !bo.keys.empty();
  if (built) *built = b;
  if ((!b.filter && !b.tail_keep && !b.cost && !b.baggage_attributes) || exporting.empty()) return exporting;
  std::unique_ptr<span_processor> p;
  if (exporting.size() == 1)
    p = std::move(exporting.front());
  else
    p = std::make_unique<fanout_processor>(std::move(exporting));
  if (b.tail_keep) p = std::make_unique<tail_keep_processor>(std::move(*to), std::move(p));
  if (b.cost)
    p = std::make_unique<cost_processor>(std::make_shared<const price_table>(std::move(*prices)), std::move(p));
  if (b.filter) p = std::make_unique<filtering_processor>(std::move(fo), std::move(p));
  if (b.baggage_attributes) p = std::make_unique<baggage_span_processor>(std::move(bo), std::move(p));
  std::vector<std::unique_ptr<span_processor>> out;
  out.push_back(std::move(p));
  return out;
}

LLMTRACE_END_NAMESPACE
