// Conformance: both OTLP encoders (and the attribute repair) replace invalid UTF-8 the same way, one
// U+FFFD per maximal invalid subpart (Unicode's recommended practice, the WHATWG Encoding Standard).
// Before, protobuf gave one per broken sequence and JSON one per byte.
#include <llmtrace/detail/utf8.hpp>
#include <llmtrace/otlp/json.hpp>
#include <llmtrace/otlp/protobuf.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <utility>

using namespace llmtrace;

namespace {

const std::string R = "\xEF\xBF\xBD";  // U+FFFD

const std::pair<std::string, std::string> cases[] = {
    {"a\x80z", "a" + R + "z"},            // a stray continuation byte
    {"\x80\x80", R + R},                  // each stray continuation byte
    {"x\xE6\x97", "x" + R},               // a truncated sequence is one
    {"\xE2\x82!", R + "!"},               // truncated, then ASCII
    {"\xC0\xAF", R + R},                  // overlong: C0 is never a lead
    {"\xED\xA0\x80", R + R + R},          // a UTF-16 surrogate
    {"\xF4\x90\x80\x80", R + R + R + R},  // above U+10FFFF
    {"\xF0\x9F\x98", R},                  // 3 of 4 bytes of an emoji
    {"\xF0\x9F\x98\xF0\x9F\x98\x80", R + "\xF0\x9F\x98\x80"},
    {"\xff\xfe", R + R},
    {"ok \xC3\xA9", "ok \xC3\xA9"},  // valid text is untouched
};

}  // namespace

TEST_CASE("one U+FFFD per maximal invalid subpart, in the repair helper and in both OTLP encoders") {
  resource res;
  instrumentation_scope scope{"s", "", "", {}};
  for (const auto& c : cases) {
    const std::string& in = c.first;  // named references: CAPTURE's lambda cannot capture a binding in C++17
    const std::string& want = c.second;
    CAPTURE(in);
    CHECK(detail::sanitize_utf8(in) == want);

    span_data s;
    s.context.trace_id.bytes[0] = 1;
    s.context.span_id.bytes[0] = 1;
    s.resource = &res;
    s.scope = &scope;
    s.set_name("<" + in + ">");
    const span_data* p = &s;
    const span_batch batch(&p, 1);

    const auto doc = nlohmann::json::parse(otlp::encode_json(batch));
    CHECK(doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["name"] == "<" + want + ">");

    std::string proto;
    otlp::encode_protobuf(batch, proto);
    CHECK(proto.find("<" + want + ">") != std::string::npos);
  }
}
