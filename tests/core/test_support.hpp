// Shared fixtures for the core tests: a provider wired to an in-memory store, and a captured error
// handler.
#pragma once

#include <llmtrace/batch_processor.hpp>
#include <llmtrace/env.hpp>
#include <llmtrace/exporters/in_memory.hpp>
#include <llmtrace/trace.hpp>

#include "../support/fixtures.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace core_test {

/// A provider with a simple processor exporting into an in-memory store.
struct recording_provider {
  std::shared_ptr<llmtrace::in_memory_span_store> store = std::make_shared<llmtrace::in_memory_span_store>();
  std::shared_ptr<llmtrace::tracer_provider> provider;
  llmtrace::tracer tracer;

  explicit recording_provider(llmtrace::sampler s = llmtrace::sampler::parent_based(llmtrace::sampler::always_on()),
                              llmtrace::span_limits limits = {}) {
    llmtrace::provider_options o;
    o.sampler = std::move(s);
    o.limits = limits;
    o.processors.push_back(
        std::make_unique<llmtrace::simple_processor>(std::make_unique<llmtrace::in_memory_exporter>(store)));
    provider = std::make_shared<llmtrace::tracer_provider>(std::move(o));
    tracer = provider->get_tracer("test", "1.0");
  }
  llmtrace::span_data only(std::string_view name) const {
    auto found = store->find(name);
    if (found.size() != 1) throw std::runtime_error("expected exactly one span named " + std::string(name));
    return found.front();
  }
};

using llmtrace_test::captured_errors;
using llmtrace_test::scoped_env;

}  // namespace core_test
