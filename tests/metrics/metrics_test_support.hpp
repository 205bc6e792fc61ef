// Shared fixtures for the metrics tests: a meter provider with manual readers, and point lookups.
#pragma once

#include "../core/test_support.hpp"

#include <llmtrace/metrics.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace metrics_test {

namespace m = llmtrace::metrics;

/// A meter provider with one manual reader per temporality preference given.
struct manual_provider {
  std::shared_ptr<m::meter_provider> provider;
  std::vector<m::metric_reader*> readers;
  m::meter meter;

  explicit manual_provider(std::vector<m::temporality_preference> prefs = {m::temporality_preference::cumulative},
                           m::meter_provider_options o = {}) {
    for (auto p : prefs) {
      auto r = std::make_unique<m::manual_reader>(p);
      readers.push_back(r.get());
      o.readers.push_back(std::move(r));
    }
    provider = std::make_shared<m::meter_provider>(std::move(o));
    meter = provider->get_meter("test", "1.0");
  }
  m::resource_metrics collect(std::size_t reader = 0) const {
    m::resource_metrics out;
    if (!readers[reader]->collect(out)) throw std::runtime_error("collect failed");
    return out;
  }
};

/// The string value of `key` in a point's attributes ("" when absent).
inline std::string attr(const llmtrace::attribute_set* a, std::string_view key) {
  return a ? std::string(a->get_string(key)) : std::string();
}

/// The number point of `metric` whose attribute `key` has `value`.
inline const m::number_point& number(const m::resource_metrics& rm, std::string_view metric, std::string_view key = {},
                                     std::string_view value = {}) {
  const auto* md = rm.find(metric);
  if (!md) throw std::runtime_error("no metric " + std::string(metric));
  for (const auto& p : md->number_points)
    if (key.empty() || attr(p.attributes, key) == value) return p;
  throw std::runtime_error("no point of " + std::string(metric) + " with " + std::string(key) + "=" +
                           std::string(value));
}

inline const m::histogram_point& hist(const m::resource_metrics& rm, std::string_view metric, std::string_view key = {},
                                      std::string_view value = {}) {
  const auto* md = rm.find(metric);
  if (!md) throw std::runtime_error("no metric " + std::string(metric));
  for (const auto& p : md->histogram_points)
    if (key.empty() || attr(p.attributes, key) == value) return p;
  throw std::runtime_error("no histogram point of " + std::string(metric));
}

}  // namespace metrics_test
