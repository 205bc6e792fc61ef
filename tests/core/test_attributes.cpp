#include <doctest/doctest.h>
#include <llmtrace/attributes.hpp>
#include <llmtrace/span_data.hpp>

#include <initializer_list>
#include <string>
#include <type_traits>
#include <vector>

using namespace llmtrace;

namespace {
attribute_value get(const attribute_set& s, std::string_view k) {
  attribute_value v;
  REQUIRE(s.find(k, v));
  return v;
}
constexpr auto unl = span_limits::unlimited;
}  // namespace

// A borrowed list may be passed, never stored from something that dies at the `;` (the compile-fail
// check tests/compile/dangling_attributes.cpp builds the braced-list form itself).
static_assert(!std::is_assignable_v<attribute_list&, std::initializer_list<attribute>>,
              "assigning a braced list to an attribute_list must not compile");
static_assert(!std::is_assignable_v<attribute_list&, std::vector<attribute>&&>,
              "assigning a temporary vector to an attribute_list must not compile");
static_assert(std::is_assignable_v<attribute_list&, const std::vector<attribute>&>,
              "a vector that outlives the list can be assigned");
static_assert(std::is_constructible_v<attribute_list, std::initializer_list<attribute>>,
              "a braced list still passes as a function argument");

TEST_CASE("every value type round-trips with its type") {
  attribute_set s;
  const std::vector<std::string> strs{"stop", "length"};
  const std::vector<std::int64_t> ints{1, -2, 3};
  const std::vector<double> dbls{0.5, 1.5};
  const std::vector<bool> bools{true, false, true};
  s.set("b", true);
  s.set("i", 42);
  s.set("u", 7u);
  s.set("d", 0.25);
  s.set("s", "text");
  s.set("sa", strs);
  s.set("sv", {"x", "y"});
  s.set("ia", ints);
  s.set("da", dbls);
  s.set("ba", bools);
  CHECK(get(s, "b").type() == value_type::boolean);
  CHECK(get(s, "b").as_bool());
  CHECK(get(s, "i").type() == value_type::int64);
  CHECK(get(s, "i").as_int() == 42);
  CHECK(get(s, "u").as_int() == 7);
  CHECK(get(s, "d").type() == value_type::float64);
  CHECK(get(s, "d").as_double() == 0.25);
  CHECK(get(s, "s").as_string() == "text");
  auto sa = get(s, "sa");
  REQUIRE(sa.type() == value_type::string_array);
  REQUIRE(sa.size() == 2);
  CHECK(sa.string_at(0) == "stop");
  CHECK(sa.string_at(1) == "length");
  auto sv = get(s, "sv");
  REQUIRE(sv.size() == 2);
  CHECK(sv.string_at(1) == "y");
  auto ia = get(s, "ia");
  REQUIRE(ia.type() == value_type::int64_array);
  CHECK(ia.int_at(1) == -2);
  auto da = get(s, "da");
  CHECK(da.double_at(1) == 1.5);
  auto ba = get(s, "ba");
  REQUIRE(ba.type() == value_type::bool_array);
  CHECK(ba.bool_at(0));
  CHECK_FALSE(ba.bool_at(1));
  CHECK(s.size() == 10);
}

TEST_CASE("setting a key again replaces its value and keeps the order") {
  attribute_set s;
  s.set("a", 1);
  s.set("b", 2);
  s.set("a", "now a string");
  REQUIRE(s.size() == 2);
  auto it = s.begin();
  CHECK((*it).key == "a");
  CHECK((*it).value.as_string() == "now a string");
  CHECK(get(s, "b").as_int() == 2);
}

TEST_CASE("the count limit drops new keys and counts them, but still allows replacement") {
  attribute_set s;
  for (int i = 0; i < 5; ++i) s.set("k" + std::to_string(i), i, 3, unl);
  CHECK(s.size() == 3);
  CHECK(s.dropped() == 2);
  CHECK(s.set("k0", 100, 3, unl));
  CHECK(get(s, "k0").as_int() == 100);
  CHECK(s.dropped() == 2);
  CHECK_FALSE(s.set("", 1));  // empty keys are invalid
}

TEST_CASE("truncation counts characters and never splits a UTF-8 sequence") {
  attribute_set s;
  s.set("ascii", "abcdefgh", unl, 5);
  CHECK(get(s, "ascii").as_string() == "abcde");
  s.set("cjk", "日本語テキスト", unl, 3);  // 3-byte characters
  CHECK(get(s, "cjk").as_string() == "日本語");
  s.set("emoji", "a😀b😀c", unl, 2);  // 4-byte characters
  CHECK(get(s, "emoji").as_string() == "a😀");
  s.set("combining", "e\u0301e\u0301", unl, 3);  // combining marks count as characters
  CHECK(get(s, "combining").as_string() == "e\u0301e");
  const std::vector<std::string> arr{"héllo wörld", "short"};
  s.set("arr", arr, unl, 4);
  auto a = get(s, "arr");
  CHECK(a.string_at(0) == "héll");
  CHECK(a.string_at(1) == "shor");
  s.set("fits", "ok", unl, 2);
  CHECK(get(s, "fits").as_string() == "ok");
}

TEST_CASE("invalid UTF-8 is repaired with the replacement character") {
  attribute_set s;
  s.set("lone_continuation", std::string("a\x80z"));
  CHECK(get(s, "lone_continuation").as_string() == "a\xEF\xBF\xBDz");
  s.set("truncated_sequence", std::string("x\xE6\x97"));  // first two bytes of 日
  CHECK(get(s, "truncated_sequence").as_string() == "x\xEF\xBF\xBD");
  s.set("overlong", std::string("\xC0\xAF"));
  CHECK(detail::is_valid_utf8(get(s, "overlong").as_string()));
  s.set("surrogate", std::string("\xED\xA0\x80"));
  CHECK(detail::is_valid_utf8(get(s, "surrogate").as_string()));
  s.set("too_big", std::string("\xF4\x90\x80\x80"));
  CHECK(detail::is_valid_utf8(get(s, "too_big").as_string()));
  CHECK(get(s, "too_big").as_string().find("\xEF\xBF\xBD") != std::string_view::npos);
}

TEST_CASE("utf8 byte-prefix helper keeps whole characters") {
  CHECK(detail::utf8_prefix_bytes("日本", 4) == "日");
  CHECK(detail::utf8_prefix_bytes("日本", 6) == "日本");
  CHECK(detail::utf8_prefix_bytes("ab😀", 5) == "ab");
}

TEST_CASE("a copied set is independent and clear keeps working") {
  attribute_set s;
  s.set("k", "v");
  attribute_set copy = s;
  s.clear();
  CHECK(s.empty());
  CHECK(copy.get_string("k") == "v");
  s.set("n", 1);
  CHECK(s.size() == 1);
}
