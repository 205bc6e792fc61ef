// Test fixtures shared by every test area: a captured error handler and a scoped environment
// variable. Thread-safety: captured_errors may be written from any thread; scoped_env is for the
// test's own thread (setenv is not thread-safe).
#pragma once

#include <llmtrace/error.hpp>

#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmtrace_test {

/// Captures every message sent to the llmtrace error handler while alive (then restores the default).
class captured_errors {
 public:
  captured_errors() {
    llmtrace::set_error_handler([this](std::string_view m) {
      std::lock_guard<std::mutex> lk(mu_);
      messages_.emplace_back(m);
    });
  }
  ~captured_errors() { llmtrace::set_error_handler({}); }
  captured_errors(const captured_errors&) = delete;
  captured_errors& operator=(const captured_errors&) = delete;

  std::vector<std::string> messages() const {
    std::lock_guard<std::mutex> lk(mu_);
    return messages_;
  }
  /// How many messages contain `needle`.
  std::size_t count(std::string_view needle) const {
    std::lock_guard<std::mutex> lk(mu_);
    std::size_t n = 0;
    for (const auto& m : messages_)
      if (m.find(needle) != std::string::npos) ++n;
    return n;
  }
  std::size_t size() const {
    std::lock_guard<std::mutex> lk(mu_);
    return messages_.size();
  }
  /// Every message, one per line (for failure output).
  std::string joined() const {
    std::string out;
    for (const auto& m : messages()) out.append(m).append("\n");
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> messages_;
};

/// Sets (or, with nullptr / nullopt, unsets) an environment variable for the guard's lifetime.
class scoped_env {
 public:
  scoped_env(const char* name, const char* value)
      : scoped_env(name, value ? std::optional<std::string>(value) : std::nullopt) {}
  scoped_env(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      ::setenv(name, value->c_str(), 1);
    else
      ::unsetenv(name);
  }
  ~scoped_env() {
    if (old_)
      ::setenv(name_.c_str(), old_->c_str(), 1);
    else
      ::unsetenv(name_.c_str());
  }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

}  // namespace llmtrace_test
