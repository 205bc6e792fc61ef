// Tests for llmtrace/detail/json_parse.hpp: the depth-limited JSON parser for everything from outside.
// The deep inputs here are far larger than libFuzzer's default input size (4096 bytes), so the fuzz
// targets alone would never reach them.
#include <llmtrace/detail/json_parse.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <string>

using llmtrace::detail::json_max_depth;
using llmtrace::detail::parse_json;
using nlohmann::json;
using nlohmann::ordered_json;

namespace {

// `depth` nested arrays around `inner`: [[[...inner...]]].
std::string nested_arrays(std::size_t depth, std::string_view inner = "1") {
  std::string s(depth, '[');
  s += inner;
  s.append(depth, ']');
  return s;
}

// `depth` nested objects: {"a":{"a":...{"a":1}...}}.
std::string nested_objects(std::size_t depth) {
  std::string s;
  s.reserve(depth * 6 + 1);
  for (std::size_t i = 0; i < depth; ++i) s += "{\"a\":";
  s += '1';
  s.append(depth, '}');
  return s;
}

}  // namespace

TEST_CASE("parse_json: the same values as nlohmann::json::parse for ordinary documents") {
  const char* docs[] = {
      R"({"model":"llama3.2","message":{"role":"assistant","content":"h\u00e9llo \ud83d\ude00"},"done":false})",
      R"([1, -2, 3.5, 1e300, 18446744073709551615, -9223372036854775808, true, false, null, "", {}, []])",
      R"("just a string")",
      R"(  42  )",
      R"({"a":1,"a":2})",  // duplicate keys: the last wins, as in nlohmann's parser
  };
  for (const char* d : docs) {
    CAPTURE(d);
    const auto r = parse_json(d);
    REQUIRE(r.ok());
    CHECK(r.value == json::parse(d));
  }
}

TEST_CASE("parse_json: ordered_json keeps the key order") {
  const auto r = parse_json<ordered_json>(R"({"z":1,"a":{"y":2,"b":3}})");
  REQUIRE(r);
  CHECK(r.value.dump() == R"({"z":1,"a":{"y":2,"b":3}})");
}

TEST_CASE("parse_json: invalid JSON is a one-line error and a discarded value, never an exception") {
  for (const std::string d :
       {"", "{", "[1,]", "{\"a\" 1}", "[1] x", "nul", "\"unterminated", "[1e999999]", "{\"a\":1}{"}) {
    CAPTURE(d);
    const auto r = parse_json(d);
    CHECK_FALSE(r.ok());
    CHECK_FALSE(r.too_deep);
    CHECK(r.value.is_discarded());
    CHECK(r.error.rfind("[json.exception.", 0) == 0);  // nlohmann's message: what and where
    CHECK(r.error.find('\n') == std::string::npos);
  }
}

TEST_CASE("parse_json: the error quotes a short prefix of a huge bad token, as valid UTF-8") {
  const std::string bad = "[\"" + std::string(std::size_t{1} << 20, 'x') + "\xC3\x01\"]";
  const auto r = parse_json(bad);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error.size() <= llmtrace::detail::json_error_max_chars + 3);
  CHECK(r.error.substr(r.error.size() - 3) == "...");
  CHECK(llmtrace::detail::is_valid_utf8(r.error));
}

TEST_CASE("parse_json: exactly the limit parses, one level more is a clear error") {
  SUBCASE("arrays") {
    const auto at = parse_json(nested_arrays(json_max_depth));
    REQUIRE(at.ok());
    const auto over = parse_json(nested_arrays(json_max_depth + 1));
    CHECK_FALSE(over.ok());
    CHECK(over.too_deep);
    CHECK(over.value.is_discarded());
    CHECK(over.error == "JSON nested deeper than 256 levels");
  }
  SUBCASE("objects") {
    CHECK(parse_json(nested_objects(json_max_depth)).ok());
    const auto over = parse_json(nested_objects(json_max_depth + 1));
    CHECK(over.too_deep);
  }
  SUBCASE("a custom limit") {
    CHECK(parse_json(nested_arrays(3), 3).ok());
    CHECK(parse_json(nested_arrays(4), 3).too_deep);
    CHECK(parse_json("1", 0).ok());  // a scalar has depth 0
    CHECK(parse_json("[]", 0).too_deep);
  }
}

TEST_CASE("parse_json: a tree at the limit survives every recursive operation nlohmann has") {
  // Copy, compare, dump and destroy recurse once per level in nlohmann (destroy is iterative since
  // 3.10, the rest is not): bounded depth is what keeps them off the end of the stack.
  std::string text = nested_objects(json_max_depth / 2);
  text = "[" + text + "," + nested_arrays(json_max_depth - 1) + "]";
  auto r = parse_json(text);
  REQUIRE(r.ok());
  const json copy = r.value;  // NOLINT(performance-unnecessary-copy-initialization): the copy is the test
  CHECK(copy == r.value);
  CHECK(copy.dump() == json::parse(text).dump());
}

TEST_CASE("parse_json: megabytes of nesting fail fast without recursing (a 2 MB Ollama line crashed the client)") {
  // 8 MiB of '[' (an unterminated line from a hostile server) and 2 MiB of '{"a":'.
  for (const std::string& deep :
       {std::string(std::size_t{8} << 20, '['), nested_arrays(std::size_t{1} << 20), nested_objects(400'000)}) {
    CAPTURE(deep.size());
    const auto r = parse_json(deep);
    CHECK(r.too_deep);
    CHECK(r.value.is_discarded());
  }
  // Deep nesting inside a string is just text.
  const std::string in_string = "\"" + std::string(std::size_t{4} << 20, '[') + "\"";
  const auto s = parse_json(in_string);
  REQUIRE(s.ok());
  CHECK(s.value.get_ref<const std::string&>().size() == std::size_t{4} << 20);
}

TEST_CASE("parse_json: a wide, flat document of many megabytes parses (the limit is depth, not size)") {
  std::string wide = "[";
  for (int i = 0; i < 500'000; ++i) wide += i == 0 ? "[0]" : ",[0]";
  wide += "]";
  const auto r = parse_json(wide);
  REQUIRE(r.ok());
  CHECK(r.value.size() == 500'000);
}
