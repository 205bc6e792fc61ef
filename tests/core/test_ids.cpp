#include <doctest/doctest.h>
#include <llmtrace/ids.hpp>

#include <set>
#include <thread>
#include <vector>

using llmtrace::span_id;
using llmtrace::trace_id;

TEST_CASE("random ids are valid, distinct and lowercase hex") {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    const auto t = trace_id::random();
    CHECK(t.valid());
    const auto hex = t.to_hex();
    REQUIRE(hex.size() == 32);
    for (char c : hex) CHECK(((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')));
    seen.insert(hex);
  }
  CHECK(seen.size() == 10000);
  CHECK(span_id::random().to_hex().size() == 16);
}

TEST_CASE("hex round trip and rejection of invalid ids") {
  const auto t = trace_id::from_hex("4bf92f3577b34da6a3ce929d0e0e4736");
  REQUIRE(t);
  CHECK(t->to_hex() == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK_FALSE(trace_id::from_hex("00000000000000000000000000000000"));  // all zero
  CHECK_FALSE(trace_id::from_hex("4BF92F3577B34DA6A3CE929D0E0E4736"));  // uppercase
  CHECK_FALSE(trace_id::from_hex("4bf92f3577b34da6a3ce929d0e0e473"));   // short
  CHECK_FALSE(trace_id::from_hex("4bf92f3577b34da6a3ce929d0e0e473g"));  // not hex
  const auto s = span_id::from_hex("00f067aa0ba902b7");
  REQUIRE(s);
  CHECK(s->to_hex() == "00f067aa0ba902b7");
  CHECK_FALSE(span_id::from_hex("0000000000000000"));
  CHECK_FALSE(trace_id{}.valid());
}

TEST_CASE("threads draw from independent generators") {
  std::vector<std::string> a, b;
  std::thread t1([&] {
    for (int i = 0; i < 100; ++i) a.push_back(span_id::random().to_hex());
  });
  std::thread t2([&] {
    for (int i = 0; i < 100; ++i) b.push_back(span_id::random().to_hex());
  });
  t1.join();
  t2.join();
  std::set<std::string> all(a.begin(), a.end());
  all.insert(b.begin(), b.end());
  CHECK(all.size() == 200);
}
