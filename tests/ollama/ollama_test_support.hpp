// Shared helpers for the Ollama client tests: a local tracer provider with an in-memory exporter
// installed as the global provider for the test's lifetime, and readers for span attributes.
#pragma once

#include <llmtrace/exporters/in_memory.hpp>
#include <llmtrace/processor.hpp>
#include <llmtrace/provider.hpp>
#include <llmtrace/span_data.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ollama_test {

/// A provider exporting every span synchronously into an in-memory store, installed as the global
/// provider until the fixture dies (the no-op provider is restored).
class tracing {
 public:
  explicit tracing(llmtrace::span_limits limits = {}, std::unique_ptr<llmtrace::span_processor> extra = nullptr) {
    llmtrace::provider_options o;
    o.limits = limits;
    if (extra) o.processors.push_back(std::move(extra));
    o.processors.push_back(
        std::make_unique<llmtrace::simple_processor>(std::make_unique<llmtrace::in_memory_exporter>(store_)));
    provider_ = std::make_shared<llmtrace::tracer_provider>(std::move(o));
    llmtrace::set_global_provider(provider_);
  }
  ~tracing() {
    llmtrace::set_global_provider(nullptr);
    provider_->shutdown();
  }
  tracing(const tracing&) = delete;
  tracing& operator=(const tracing&) = delete;

  std::vector<llmtrace::span_data> spans() const { return store_->spans(); }
  std::vector<llmtrace::span_data> find(std::string_view name) const { return store_->find(name); }
  /// The only finished span named `name` (fails the test when there is not exactly one).
  llmtrace::span_data one(std::string_view name) const {
    auto v = store_->find(name);
    REQUIRE_MESSAGE(v.size() == 1, "expected one span named ", std::string(name), ", found ", v.size());
    return v.front();
  }
  /// Finished spans whose parent is `parent`, in end order.
  std::vector<llmtrace::span_data> children_of(const llmtrace::span_data& parent) const {
    std::vector<llmtrace::span_data> out;
    for (const auto& s : store_->spans())
      if (s.context.trace_id == parent.context.trace_id && s.parent_span_id == parent.context.span_id) out.push_back(s);
    return out;
  }
  void clear() { store_->clear(); }
  llmtrace::tracer_provider& provider() { return *provider_; }

 private:
  std::shared_ptr<llmtrace::in_memory_span_store> store_ = std::make_shared<llmtrace::in_memory_span_store>();
  std::shared_ptr<llmtrace::tracer_provider> provider_;
};

inline std::optional<llmtrace::attribute_value> attr(const llmtrace::span_data& s, std::string_view key) {
  llmtrace::attribute_value v;
  if (s.attributes.find(key, v)) return v;
  return std::nullopt;
}
inline bool has(const llmtrace::span_data& s, std::string_view key) { return attr(s, key).has_value(); }
inline std::string str(const llmtrace::span_data& s, std::string_view key) {
  const auto v = attr(s, key);
  REQUIRE_MESSAGE(v.has_value(), "missing attribute ", std::string(key));
  REQUIRE_MESSAGE(v->type() == llmtrace::value_type::string, "attribute ", std::string(key), " is not a string");
  return std::string(v->as_string());
}
inline std::int64_t int_of(const llmtrace::span_data& s, std::string_view key) {
  const auto v = attr(s, key);
  REQUIRE_MESSAGE(v.has_value(), "missing attribute ", std::string(key));
  REQUIRE_MESSAGE(v->type() == llmtrace::value_type::int64, "attribute ", std::string(key), " is not an int");
  return v->as_int();
}
inline double dbl(const llmtrace::span_data& s, std::string_view key) {
  const auto v = attr(s, key);
  REQUIRE_MESSAGE(v.has_value(), "missing attribute ", std::string(key));
  REQUIRE_MESSAGE(v->type() == llmtrace::value_type::float64, "attribute ", std::string(key), " is not a double");
  return v->as_double();
}
inline bool boolean(const llmtrace::span_data& s, std::string_view key) {
  const auto v = attr(s, key);
  REQUIRE_MESSAGE(v.has_value(), "missing attribute ", std::string(key));
  REQUIRE_MESSAGE(v->type() == llmtrace::value_type::boolean, "attribute ", std::string(key), " is not a bool");
  return v->as_bool();
}
inline std::vector<std::string> strings(const llmtrace::span_data& s, std::string_view key) {
  const auto v = attr(s, key);
  REQUIRE_MESSAGE(v.has_value(), "missing attribute ", std::string(key));
  REQUIRE_MESSAGE(v->type() == llmtrace::value_type::string_array, "attribute ", std::string(key),
                  " is not a string array");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v->size(); ++i) out.emplace_back(v->string_at(i));
  return out;
}
/// The first event named `name`, or nullptr.
inline const llmtrace::span_event* event(const llmtrace::span_data& s, std::string_view name) {
  for (const auto& e : s.events)
    if (e.name == name) return &e;
  return nullptr;
}

}  // namespace ollama_test
