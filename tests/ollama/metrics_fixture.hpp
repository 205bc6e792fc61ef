// A meter provider with one manual reader installed as the global meter provider for a test's
// lifetime (what the Ollama client, tool_span and the RAG pipeline record to), and point lookups.
#pragma once

#include <llmtrace/metrics.hpp>
#include <llmtrace/metrics/genai.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace metrics_fixture {

namespace m = llmtrace::metrics;

class metering {
 public:
  explicit metering(m::exemplar_filter filter = m::exemplar_filter::trace_based) {
    auto r = std::make_unique<m::manual_reader>();
    reader_ = r.get();
    m::meter_provider_options o;
    o.readers.push_back(std::move(r));
    o.exemplar_filter = filter;
    provider_ = std::make_shared<m::meter_provider>(std::move(o));
    m::set_global_meter_provider(provider_);
  }
  ~metering() {
    m::set_global_meter_provider(nullptr);
    provider_->shutdown();
  }
  metering(const metering&) = delete;
  metering& operator=(const metering&) = delete;

  m::resource_metrics collect() const {
    m::resource_metrics out;
    REQUIRE(reader_->collect(out));
    return out;
  }

 private:
  std::shared_ptr<m::meter_provider> provider_;
  m::metric_reader* reader_ = nullptr;
};

/// The attribute `key` of a point ("" / nullopt-like defaults when absent).
inline bool has(const llmtrace::attribute_set* a, std::string_view key) { return a && a->contains(key); }
inline std::string str(const llmtrace::attribute_set* a, std::string_view key) {
  return a ? std::string(a->get_string(key)) : std::string();
}
inline std::int64_t int_of(const llmtrace::attribute_set* a, std::string_view key) {
  llmtrace::attribute_value v;
  REQUIRE_MESSAGE((a && a->find(key, v) && v.type() == llmtrace::value_type::int64), "no int ", std::string(key));
  return v.as_int();
}
inline bool boolean(const llmtrace::attribute_set* a, std::string_view key) {
  llmtrace::attribute_value v;
  REQUIRE_MESSAGE((a && a->find(key, v) && v.type() == llmtrace::value_type::boolean), "no bool ", std::string(key));
  return v.as_bool();
}
/// The keys of a point's attributes, sorted.
inline std::vector<std::string> keys(const llmtrace::attribute_set* a) {
  std::vector<std::string> out;
  if (a)
    for (const auto& kv : *a) out.emplace_back(kv.key);
  std::sort(out.begin(), out.end());
  return out;
}

/// The metric `name` (fails the test when it was not collected).
inline const m::metric_data& metric(const m::resource_metrics& rm, std::string_view name) {
  const auto* md = rm.find(name);
  REQUIRE_MESSAGE(md != nullptr, "no metric ", std::string(name));
  return *md;
}
/// The only histogram point of `name` (fails the test otherwise).
inline const m::histogram_point& one_hist(const m::resource_metrics& rm, std::string_view name) {
  const auto& md = metric(rm, name);
  REQUIRE_MESSAGE(md.histogram_points.size() == 1, std::string(name), " has ", md.histogram_points.size(), " points");
  return md.histogram_points.front();
}
/// The number point of `name` whose attribute `key` is `value`.
inline const m::number_point& number(const m::resource_metrics& rm, std::string_view name, std::string_view key,
                                     std::string_view value) {
  const auto& md = metric(rm, name);
  for (const auto& p : md.number_points)
    if (str(p.attributes, key) == value) return p;
  FAIL("no point of " << std::string(name) << " with " << std::string(key) << "=" << std::string(value));
  return md.number_points.front();
}

}  // namespace metrics_fixture
