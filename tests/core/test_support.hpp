// Shared fixtures for the core tests: a provider wired to an in-memory store, and a captured error
// handler.
#pragma once

#include <llmtrace/trace.hpp>

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

/// Installs a capturing error handler for the scope.
struct captured_errors {
  std::shared_ptr<std::vector<std::string>> messages = std::make_shared<std::vector<std::string>>();
  std::shared_ptr<std::mutex> mu = std::make_shared<std::mutex>();
  captured_errors() {
    auto m = messages;
    auto lock = mu;
    llmtrace::set_error_handler([m, lock](std::string_view msg) {
      std::lock_guard<std::mutex> lk(*lock);
      m->emplace_back(msg);
    });
  }
  ~captured_errors() { llmtrace::set_error_handler({}); }
  std::vector<std::string> all() const {
    std::lock_guard<std::mutex> lk(*mu);
    return *messages;
  }
  std::size_t count_containing(std::string_view needle) const {
    std::size_t n = 0;
    for (const auto& m : all())
      if (m.find(needle) != std::string::npos) ++n;
    return n;
  }
};

/// Sets an environment variable for the scope (restoring the previous value).
struct scoped_env {
  std::string name;
  bool had = false;
  std::string old;
  scoped_env(const char* n, const char* value) : name(n) {
    if (const char* v = std::getenv(n)) {
      had = true;
      old = v;
    }
    if (value)
      ::setenv(n, value, 1);
    else
      ::unsetenv(n);
  }
  ~scoped_env() {
    if (had)
      ::setenv(name.c_str(), old.c_str(), 1);
    else
      ::unsetenv(name.c_str());
  }
};

}  // namespace core_test
