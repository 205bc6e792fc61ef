#include "test_support.hpp"

#include <doctest/doctest.h>

using namespace llmtrace;

TEST_CASE("a replaced handler receives every message; an empty one restores the default") {
  core_test::captured_errors errs;
  for (int i = 0; i < 50; ++i) detail::report_error("problem " + std::to_string(i));
  CHECK(errs.all().size() == 50);
  CHECK(errs.all().front() == "problem 0");
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

TEST_CASE("a throwing handler cannot take the application down") {
  set_error_handler([](std::string_view) { throw std::runtime_error("handler bug"); });
  CHECK_NOTHROW(detail::report_error("x"));
  set_error_handler({});
}
