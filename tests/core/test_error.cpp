// Tests for llmtrace/error.hpp: a replaced handler, restoring the default (stderr, rate-limited), a
// handler that reports again, a handler that throws.
#include "test_support.hpp"

#include <doctest/doctest.h>

#include <unistd.h>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

using namespace llmtrace;

namespace {

// Runs `f` with file descriptor 2 redirected to a temporary file and returns what was written there.
template <typename F>
std::string stderr_of(F&& f) {
  char path[] = "/tmp/llmtrace_test_error_XXXXXX";
  const int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  std::fflush(stderr);
  const int saved = ::dup(2);
  REQUIRE(saved >= 0);
  REQUIRE(::dup2(fd, 2) == 2);
  f();
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  ::close(fd);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  ::unlink(path);
  return text.str();
}

std::size_t count_lines_containing(const std::string& text, std::string_view needle) {
  std::size_t n = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.find(needle) != std::string::npos) ++n;
  return n;
}

}  // namespace

static_assert(noexcept(detail::report_error("x")), "reporting never throws");

TEST_CASE("a replaced handler receives every message; an empty one restores the default") {
  std::string printed;
  {
    core_test::captured_errors errs;
    printed = stderr_of([] {
      for (int i = 0; i < 50; ++i) detail::report_error("problem " + std::to_string(i));
    });
    REQUIRE(errs.size() == 50);
    CHECK(errs.messages().front() == "problem 0");
    CHECK(errs.messages().back() == "problem 49");
  }                        // restores the default handler
  CHECK(printed.empty());  // nothing went to stderr while the handler was installed

  // The default handler writes to stderr, a burst of 10 and then about one message per 6 s.
  printed = stderr_of([] {
    for (int i = 0; i < 30; ++i) detail::report_error("default " + std::to_string(i));
  });
  CHECK(printed.find("llmtrace: default 0\n") != std::string::npos);
  const std::size_t lines = count_lines_containing(printed, "llmtrace: default ");
  CHECK(lines >= 10);
  CHECK(lines <= 11);  // one more only if the machine stalled for 6 s in between
}

TEST_CASE("a handler may report again without deadlocking") {
  int depth = 0;
  set_error_handler([&](std::string_view) {
    if (++depth < 3) detail::report_error("again");
  });
  detail::report_error("first");
  CHECK(depth == 3);
  set_error_handler({});
}

TEST_CASE("a throwing handler cannot take the application down, and keeps receiving messages") {
  // report_error is noexcept: an exception escaping it would terminate this test program.
  int calls = 0;
  set_error_handler([&](std::string_view m) {
    ++calls;
    throw std::runtime_error("handler bug: " + std::string(m));
  });
  detail::report_error("x");
  detail::report_error("y");
  CHECK(calls == 2);
  set_error_handler({});
}
