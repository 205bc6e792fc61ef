// llmtrace/controls/cost.hpp: what a GenAI call cost. A price table (per model: input and output
// price per million tokens, and/or a price per second of local GPU time) from code or the JSON file
// named by LLMTRACE_PRICES; cost_processor sets `llmtrace.usage.cost` and
// `llmtrace.usage.cost.currency` on each inference / embeddings span it can price, and on each
// workflow span (gen_ai.operation.name = invoke_workflow) the sum of its descendants' costs. A span
// whose model has no price gets no cost attribute (never a 0). Each priced inference span also adds
// its cost to the `llmtrace.usage.cost` counter of the global meter provider (a no-op until one is
// set). Thread-safety: the table is immutable; the processor locks its workflow table only while a
// workflow span is open, and its counter table only when the global meter provider changed.
#pragma once

#include <llmtrace/attributes.hpp>
#include <llmtrace/config.hpp>
#include <llmtrace/controls/filter.hpp>
#include <llmtrace/controls/forwarding.hpp>
#include <llmtrace/detail/env.hpp>
#include <llmtrace/detail/json_parse.hpp>
#include <llmtrace/error.hpp>
#include <llmtrace/metrics/meter.hpp>
#include <llmtrace/semconv.hpp>
#include <llmtrace/span_data.hpp>

#include <atomic>
#include <cmath>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE

/// The cost attribute (double, in the table's currency) and its currency (string, e.g. "USD").
inline constexpr std::string_view usage_cost_key = "llmtrace.usage.cost";
inline constexpr std::string_view usage_cost_currency_key = "llmtrace.usage.cost.currency";
/// The counter (double, unit `{currency}`) summing the cost of priced inference spans, with the
/// attributes gen_ai.operation.name, gen_ai.provider.name, gen_ai.request.model,
/// gen_ai.response.model (when set) and llmtrace.usage.cost.currency (all bounded; no ids). Workflow
/// sums are not added again.
inline constexpr std::string_view usage_cost_metric = "llmtrace.usage.cost";

/// Prices of one model (`model` exact, or a prefix when ending in `*`). A price left unset is NaN.
struct model_price {
  std::string model;
  double input_per_million = std::nan("");   ///< per 1,000,000 input tokens
  double output_per_million = std::nan("");  ///< per 1,000,000 output tokens
  double per_second = std::nan("");          ///< per second of the call (local GPU time)
};

/// A price table: one currency, prices per model.
struct price_table {
  std::string currency = "USD";
  std::vector<model_price> models;

  /// The prices for `model`: an exact entry, else the longest matching prefix; nullptr when none.
  const model_price* find(std::string_view model) const noexcept {
    const model_price* best = nullptr;
    std::size_t best_len = 0;
    for (const auto& m : models) {
      if (m.model == model) return &m;
      if (!m.model.empty() && m.model.back() == '*' && detail::name_matches(model, m.model) &&
          m.model.size() > best_len) {
        best = &m;
        best_len = m.model.size();
      }
    }
    return best;
  }

  /// Parses `{"currency": "USD", "models": {"gpt-4o": {"input": 2.5, "output": 10},
  /// "llama3.2*": {"per_second": 0.0004}}}`. Throws std::runtime_error saying what is wrong.
  static price_table from_json(std::string_view text) {
    const auto parsed = detail::parse_json(text);
    if (!parsed) throw std::runtime_error("price table: " + parsed.error);
    const auto& j = parsed.value;
    if (!j.is_object() || !j.contains("models") || !j["models"].is_object())
      throw std::runtime_error("price table: expected an object with a \"models\" object");
    price_table t;
    if (j.contains("currency")) {
      if (!j["currency"].is_string()) throw std::runtime_error("price table: \"currency\" must be a string");
      t.currency = j["currency"].get<std::string>();
    }
    for (const auto& item : j["models"].items()) {
      // Named references, not a structured binding: lambdas capture those only from C++20 (clang 14
      // rejects it in C++17).
      const std::string& name = item.key();
      const nlohmann::json& p = item.value();
      if (!p.is_object()) throw std::runtime_error("price table: model \"" + name + "\" must be an object");
      model_price m;
      m.model = name;
      auto num = [&](const char* k, double& out) {
        if (!p.contains(k)) return;
        if (!p[k].is_number() || p[k].get<double>() < 0)
          throw std::runtime_error("price table: \"" + name + "\"." + k + " must be a number >= 0");
        out = p[k].get<double>();
      };
      num("input", m.input_per_million);
      num("output", m.output_per_million);
      num("per_second", m.per_second);
      if (std::isnan(m.input_per_million) && std::isnan(m.output_per_million) && std::isnan(m.per_second))
        throw std::runtime_error("price table: \"" + name + "\" has no input, output or per_second price");
      t.models.push_back(std::move(m));
    }
    return t;
  }

  /// The table in the file named by LLMTRACE_PRICES; nullopt when unset, or (reported once through
  /// the error handler) when the file cannot be read or parsed.
  static std::optional<price_table> from_env() {
    const auto path = detail::get_env("LLMTRACE_PRICES");
    if (!path || detail::trim(*path).empty()) return std::nullopt;
    std::ifstream in(*path, std::ios::binary);
    if (!in) {
      detail::report_error("LLMTRACE_PRICES: cannot read '" + *path + "'; no cost is recorded");
      return std::nullopt;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    try {
      return from_json(ss.str());
    } catch (const std::exception& e) {
      detail::report_error("LLMTRACE_PRICES: " + *path + ": " + e.what() + "; no cost is recorded");
      return std::nullopt;
    }
  }

  /// The cost of an inference or embeddings span, or nullopt when it cannot be priced (no model
  /// price, or none of the priced quantities recorded). Uses gen_ai.response.model, then
  /// gen_ai.request.model; tokens from gen_ai.usage.*; seconds from ollama.total_duration, else the
  /// span's duration.
  std::optional<double> cost_of(const span_data& s) const noexcept {
    attribute_value v;
    const model_price* p = nullptr;
    if (s.attributes.find(semconv::gen_ai_response_model, v)) p = find(v.as_string());
    if (!p && s.attributes.find(semconv::gen_ai_request_model, v)) p = find(v.as_string());
    if (!p) return std::nullopt;
    double total = 0;
    bool priced = false;
    if (!std::isnan(p->input_per_million) && s.attributes.find(semconv::gen_ai_usage_input_tokens, v) &&
        v.type() == value_type::int64) {
      total += static_cast<double>(v.as_int()) * p->input_per_million / 1e6;
      priced = true;
    }
    if (!std::isnan(p->output_per_million) && s.attributes.find(semconv::gen_ai_usage_output_tokens, v) &&
        v.type() == value_type::int64) {
      total += static_cast<double>(v.as_int()) * p->output_per_million / 1e6;
      priced = true;
    }
    if (!std::isnan(p->per_second)) {
      double seconds = static_cast<double>(s.duration_ns()) / 1e9;
      if (s.attributes.find(semconv::ollama_total_duration, v) && v.type() == value_type::float64)
        seconds = v.as_double();
      total += seconds * p->per_second;
      priced = true;
    }
    if (!priced) return std::nullopt;
    return total;
  }
};

/// Prices inference and embeddings spans and sums workflow spans (see the header comment).
class cost_processor final : public forwarding_processor {
 public:
  cost_processor(std::shared_ptr<const price_table> prices, std::unique_ptr<span_processor> next)
      : forwarding_processor(std::move(next)), prices_(std::move(prices)) {}

  void on_start(span_data& s) noexcept override {
    try {
      const bool workflow = s.attributes.get_string(semconv::gen_ai_operation_name) == semconv::op_invoke_workflow;
      if (workflow || (open_.load(std::memory_order_acquire) > 0 && s.has_parent())) {
        std::lock_guard<std::mutex> lk(mu_);
        const auto self = detail::span_key(s.context.trace_id, s.context.span_id);
        if (workflow) {
          workflows_[self] = 0.0;
          owner_[self] = owner_of(s);  // a nested workflow adds its total to the outer one
        } else if (const auto o = owner_of(s); o.second != 0 || o.first != 0) {
          owner_[self] = o;
        }
        open_.store(workflows_.size() + owner_.size(), std::memory_order_release);
      }
    } catch (...) {
      detail::report_error("cost: out of memory tracking a workflow span");
    }
    forwarding_processor::on_start(s);
  }

  void on_end(span_ptr span) noexcept override {
    std::optional<double> cost;
    const auto op = span->attributes.get_string(semconv::gen_ai_operation_name);
    if (prices_ && (op == semconv::op_chat || op == semconv::op_text_completion || op == semconv::op_embeddings))
      cost = prices_->cost_of(*span);
    if (open_.load(std::memory_order_acquire) > 0 || op == semconv::op_invoke_workflow) {
      std::lock_guard<std::mutex> lk(mu_);
      const auto self = detail::span_key(span->context.trace_id, span->context.span_id);
      const auto wf = workflows_.find(self);
      if (wf != workflows_.end()) {
        if (wf->second > 0 || priced_.count(self)) cost = (cost ? *cost : 0.0) + wf->second;
        workflows_.erase(wf);
        priced_.erase(self);
        open_.store(workflows_.size() + owner_.size(), std::memory_order_release);
      }
      const auto own = owner_.find(self);
      if (own != owner_.end()) {
        const auto target = workflows_.find(own->second);
        if (cost && target != workflows_.end()) {
          target->second += *cost;
          try {
            priced_.insert(own->second);
          } catch (...) {
          }
        }
        owner_.erase(own);
      }
      open_.store(workflows_.size() + owner_.size(), std::memory_order_release);
    }
    if (cost) {
      try {
        span->attributes.set(usage_cost_key, *cost);
        span->attributes.set(usage_cost_currency_key, std::string_view(prices_->currency));
      } catch (...) {
      }
      if (op != semconv::op_invoke_workflow) count(*span, op, *cost);
    }
    forwarding_processor::on_end(std::move(span));
  }

 private:
  using key_t = std::pair<std::uint64_t, std::uint64_t>;
  key_t owner_of(const span_data& s) const {
    if (!s.has_parent()) return {0, 0};
    const auto parent = detail::span_key(s.context.trace_id, s.parent_span_id);
    if (workflows_.count(parent)) return parent;
    const auto it = owner_.find(parent);
    return it != owner_.end() ? it->second : key_t{0, 0};
  }
  struct key_set_hash {
    std::size_t operator()(const key_t& k) const noexcept { return detail::span_key_hash{}(k); }
  };

  /// The cost counter of one meter provider (kept until the processor goes: handles may be in use).
  struct cost_counter {
    const metrics::meter_provider* provider;
    metrics::counter<double> counter;
  };

  /// Adds `cost` to the counter of the current global meter provider (made on first use per provider).
  void count(const span_data& s, std::string_view op, double cost) noexcept {
    const metrics::meter_provider* now = &metrics::global_meter_provider();
    const cost_counter* c = counter_.load(std::memory_order_acquire);
    if (!c || c->provider != now) {
      try {
        std::lock_guard<std::mutex> lk(counters_mu_);
        c = nullptr;
        for (const auto& k : counters_)
          if (k->provider == now) c = k.get();
        if (!c) {
          auto made = std::make_unique<cost_counter>(
              cost_counter{now, metrics::global_meter_provider()
                                    .get_meter("llmtrace.controls")
                                    .create_double_counter(usage_cost_metric, "{" + prices_->currency + "}",
                                                           "Cost of priced GenAI inference and embeddings calls")});
          c = made.get();
          counters_.push_back(std::move(made));
        }
        counter_.store(c, std::memory_order_release);
      } catch (...) {
        return;  // out of memory: the span keeps its attribute, the counter misses this one
      }
    }
    if (!c->counter.enabled()) return;
    const std::string_view response_model = s.attributes.get_string(semconv::gen_ai_response_model);
    const attribute a[] = {{semconv::gen_ai_operation_name, op},
                           {semconv::gen_ai_provider_name, s.attributes.get_string(semconv::gen_ai_provider_name)},
                           {semconv::gen_ai_request_model, s.attributes.get_string(semconv::gen_ai_request_model)},
                           {usage_cost_currency_key, std::string_view(prices_->currency)},
                           {semconv::gen_ai_response_model, response_model}};
    c->counter.add(cost, attribute_list(a, response_model.empty() ? 4 : 5));
  }

  std::shared_ptr<const price_table> prices_;
  std::mutex counters_mu_;
  std::vector<std::unique_ptr<cost_counter>> counters_;
  std::atomic<const cost_counter*> counter_{nullptr};
  std::mutex mu_;
  std::unordered_map<key_t, double, detail::span_key_hash> workflows_;  // open workflow -> sum so far
  std::unordered_map<key_t, key_t, detail::span_key_hash> owner_;       // open span -> its workflow
  std::unordered_set<key_t, key_set_hash> priced_;                      // workflows with a priced child
  std::atomic<std::size_t> open_{0};
};

LLMTRACE_END_NAMESPACE
