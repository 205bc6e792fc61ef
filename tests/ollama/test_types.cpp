// Tests for llmtrace/ollama/types.hpp, codec.hpp and time.hpp: request encoding (only set fields,
// `stream` explicit, tool-call arguments always objects, keep_alive / think / format as given),
// lenient response decoding and RFC 3339 times.
#include <llmtrace/ollama/codec.hpp>
#include <llmtrace/ollama/time.hpp>
#include <llmtrace/ollama/types.hpp>

#include <doctest/doctest.h>

#include <climits>
#include <string>

namespace ol = llmtrace::ollama;
using ol::json;

TEST_CASE("chat request: minimal body, stream always sent, nothing unset") {
  ol::chat_request req;
  req.model = "llama3.2";
  req.messages = {ol::message::user("hi")};
  CHECK(ol::encode(req, false) == R"({"model":"llama3.2","messages":[{"role":"user","content":"hi"}],"stream":false})");
  CHECK(ol::encode(req, true) == R"({"model":"llama3.2","messages":[{"role":"user","content":"hi"}],"stream":true})");
}

TEST_CASE("chat request: every field, in Ollama's key order") {
  ol::chat_request req;
  req.model = "qwen3";
  req.messages.push_back(ol::message::system("be brief"));
  req.messages.push_back(ol::message::user("look", {ol::base64_encode("\x89PNG")}));
  ol::message call = ol::message::assistant("");
  call.thinking = "hmm";
  call.tool_calls.push_back(ol::tool_call{"call_ab12cd34", {0, "get_weather", json{{"city", "Tokyo"}}}});
  req.messages.push_back(call);
  req.messages.push_back(ol::message::tool("sunny", "get_weather", "call_ab12cd34"));
  req.tools.push_back(ol::tool::make_function(
      "get_weather", "Weather for a city",
      json{{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}, {"required", {"city"}}}));
  req.format = ol::format_option::json_mode();
  req.options.temperature = 0.2;
  req.options.top_k = 40;
  req.options.num_predict = 128;
  req.options.stop = std::vector<std::string>{"\n\n"};
  req.options.extra["mirostat"] = 0;
  req.keep_alive = "5m";
  req.think = "high";
  req.truncate = false;
  req.conversation_id = "conv-1";  // never sent

  const json j = json::parse(ol::encode(req, true));
  CHECK(j["model"] == "qwen3");
  CHECK(j["messages"].size() == 4);
  CHECK(j["messages"][1]["images"][0] == "iVBORw==");
  const json& a = j["messages"][2];
  CHECK(
      a.dump() ==
      R"({"role":"assistant","content":"","thinking":"hmm","tool_calls":[{"id":"call_ab12cd34","function":{"index":0,"name":"get_weather","arguments":{"city":"Tokyo"}}}]})");
  CHECK(j["messages"][3].dump() ==
        R"({"role":"tool","content":"sunny","tool_name":"get_weather","tool_call_id":"call_ab12cd34"})");
  CHECK(j["tools"][0]["type"] == "function");
  CHECK(j["tools"][0]["function"]["name"] == "get_weather");
  CHECK(j["tools"][0]["function"]["parameters"]["required"][0] == "city");
  CHECK(j["stream"] == true);
  CHECK(j["format"] == "json");
  CHECK(j["options"].dump() == R"({"num_predict":128,"top_k":40,"temperature":0.2,"stop":["\n\n"],"mirostat":0})");
  CHECK(j["keep_alive"] == "5m");
  CHECK(j["think"] == "high");
  CHECK(j["truncate"] == false);
  CHECK_FALSE(j.contains("conversation_id"));
  CHECK_FALSE(j.contains("shift"));
}

TEST_CASE("tool-call arguments are always sent as an object (tricky case 14)") {
  ol::chat_request req;
  req.model = "llama3.2";
  ol::message m = ol::message::assistant("");
  m.tool_calls.push_back(ol::tool_call{"", {std::nullopt, "f", json(R"({"b":1,"a":2})")}});  // a JSON string
  m.tool_calls.push_back(ol::tool_call{"", {std::nullopt, "g", json(nullptr)}});
  req.messages.push_back(m);
  const json j = json::parse(ol::encode(req, false));
  CHECK(j["messages"][0]["tool_calls"][0]["function"]["arguments"].dump() == R"({"b":1,"a":2})");  // order kept
  CHECK(j["messages"][0]["tool_calls"][1]["function"]["arguments"].dump() == "{}");
  CHECK_FALSE(j["messages"][0]["tool_calls"][0].contains("id"));

  req.messages[0].tool_calls[0].function.arguments = json("not json");
  CHECK_THROWS_AS(ol::encode(req, false), ol::error);
  try {
    (void)ol::encode(req, false);
  } catch (const ol::error& e) {
    CHECK(e.reason() == ol::error_reason::invalid_request);
    CHECK(e.endpoint() == "/api/chat");
  }
}

TEST_CASE("keep_alive and think are serialised as given (tricky case 19)") {
  ol::generate_request req;
  req.model = "m";
  req.prompt = "p";
  const auto ka = [&](ol::keep_alive_value v) {
    req.keep_alive = v;
    return json::parse(ol::encode(req, false))["keep_alive"].dump();
  };
  CHECK(ka("5m") == "\"5m\"");
  CHECK(ka(300) == "300");
  CHECK(ka(-1) == "-1");
  CHECK(ka("0") == "\"0\"");
  CHECK(ka(0) == "0");
  CHECK(ka(1.5) == "1.5");
  CHECK(ol::keep_alive_value(-1).to_string() == "-1");
  CHECK(ol::keep_alive_value("10m").to_string() == "10m");

  req.think = true;
  CHECK(json::parse(ol::encode(req, false))["think"] == true);
  req.think = false;
  CHECK(json::parse(ol::encode(req, false))["think"] == false);
  req.think = "low";
  CHECK(json::parse(ol::encode(req, false))["think"] == "low");
  CHECK(ol::think_option("max").level() == "max");
  CHECK(ol::think_option(true).level().empty());
}

TEST_CASE("generate, embed, embeddings and show requests") {
  ol::generate_request g;
  g.model = "llama3.2";
  g.prompt = "Why?";
  g.system = "sys";
  g.suffix = "end";
  g.template_text = "{{ .Prompt }}";
  g.context = {1, 2, 3};
  g.raw = false;
  g.format = ol::format_option::schema(json{{"type", "object"}});
  const json j = json::parse(ol::encode(g, true));
  CHECK(
      j.dump() ==
      R"({"model":"llama3.2","prompt":"Why?","suffix":"end","system":"sys","template":"{{ .Prompt }}","context":[1,2,3],"raw":false,"stream":true,"format":{"type":"object"}})");

  ol::embed_request e;
  e.model = "nomic-embed-text";
  e.input = {"a", "b"};
  e.dimensions = 256;
  e.truncate = true;
  CHECK(ol::encode(e) == R"({"model":"nomic-embed-text","input":["a","b"],"truncate":true,"dimensions":256})");

  ol::embeddings_request l;
  l.model = "all-minilm";
  l.prompt = "x";
  l.keep_alive = 0;
  CHECK(ol::encode(l) == R"({"model":"all-minilm","prompt":"x","keep_alive":0})");

  CHECK(ol::encode(ol::show_request{"llama3.2", false}) == R"({"model":"llama3.2"})");
  CHECK(ol::encode(ol::show_request{"llama3.2", true}) == R"({"model":"llama3.2","verbose":true})");
}

TEST_CASE("chat chunks decode leniently: metrics only on the final chunk (tricky case 4)") {
  ol::chat_response mid;
  ol::decode(json::parse(R"({"model":"llama3.2","created_at":"2025-07-07T20:22:19.19314Z",)"
                         R"("message":{"role":"assistant","content":"The"},"done":false})"),
             mid);
  CHECK(mid.model == "llama3.2");
  CHECK(mid.message.content == "The");
  CHECK_FALSE(mid.done);
  CHECK(mid.done_reason.empty());
  CHECK(mid.metrics.empty());
  CHECK_FALSE(mid.metrics.tokens_per_second());

  ol::chat_response fin;
  ol::decode(json::parse(R"({"model":"llama3.2","created_at":"2025-07-07T20:22:19Z","message":{"role":"assistant",)"
                         R"("content":""},"done":true,"done_reason":"length","total_duration":10706818083,)"
                         R"("load_duration":6338219291,"prompt_eval_count":26,"prompt_eval_duration":130079000,)"
                         R"("eval_count":259,"eval_duration":4232710000})"),
             fin);
  CHECK(fin.done);
  CHECK(fin.done_reason == "length");
  CHECK(*fin.metrics.total_duration == 10706818083);  // > int32
  CHECK(*fin.metrics.load_duration == 6338219291);
  CHECK(*fin.metrics.eval_count == 259);
  CHECK(*fin.metrics.tokens_per_second() == doctest::Approx(259 / 4.23271));
  CHECK(*fin.metrics.prompt_tokens_per_second() == doctest::Approx(26 / 0.130079));
}

TEST_CASE("tool calls, thinking and unusual shapes") {
  ol::chat_response r;
  ol::decode(
      json::parse(R"({"model":"m","message":{"role":"assistant","content":"","thinking":"I should call",)"
                  R"("tool_calls":[{"id":"call_ab12cd34","function":{"index":0,"name":"get_weather",)"
                  R"("arguments":{"z":1,"city":"Tokyo"}}},{"function":{"name":"old","arguments":"{\"q\":2}"}}]},)"
                  R"("done":false})"),
      r);
  REQUIRE(r.message.tool_calls.size() == 2);
  CHECK(r.message.thinking == "I should call");
  CHECK(r.message.tool_calls[0].id == "call_ab12cd34");
  CHECK(*r.message.tool_calls[0].function.index == 0);
  CHECK(r.message.tool_calls[0].function.arguments.dump() == R"({"z":1,"city":"Tokyo"})");  // model's order
  CHECK(r.message.tool_calls[1].id.empty());  // older servers: no id, no index
  CHECK_FALSE(r.message.tool_calls[1].function.index);
  CHECK(r.message.tool_calls[1].function.arguments["q"] == 2);  // OpenAI-style string tolerated

  ol::chat_response odd;  // wrong types and missing fields do not throw
  ol::decode(json::parse(R"({"model":5,"message":"x","done":"yes","eval_count":1.9})"), odd);
  CHECK(odd.model.empty());
  CHECK_FALSE(odd.done);
  CHECK(*odd.metrics.eval_count == 1);
}

TEST_CASE("generate, embed, embeddings, tags, ps and show responses") {
  ol::generate_response g;
  ol::decode(json::parse(R"({"model":"m","response":"","done":true,"done_reason":"load"})"), g);
  CHECK(g.done_reason == "load");
  CHECK(g.context.empty());
  ol::decode(
      json::parse(R"({"model":"m","response":"Hi","thinking":"t","done":true,"context":[1,2,3],"eval_count":2})"), g);
  CHECK(g.context == std::vector<std::int64_t>{1, 2, 3});

  ol::embed_response e;
  ol::decode(
      json::parse(R"({"model":"all-minilm","embeddings":[[0.6,0.8],[1,0]],"total_duration":5,"prompt_eval_count":4})"),
      e);
  REQUIRE(e.embeddings.size() == 2);
  CHECK(static_cast<double>(e.embeddings[0][1]) == doctest::Approx(static_cast<double>(0.8f)));
  CHECK(*e.metrics.prompt_eval_count == 4);
  ol::embed_response empty;
  ol::decode(json::parse(R"({"model":"all-minilm","embeddings":[]})"), empty);
  CHECK(empty.embeddings.empty());
  CHECK(empty.metrics.empty());

  ol::embeddings_response legacy;
  ol::decode(json::parse(R"({"embedding":[3.5,-1.25]})"), legacy);
  CHECK(legacy.embedding == std::vector<double>{3.5, -1.25});

  ol::list_response tags;
  ol::decode(
      json::parse(
          R"({"models":[{"name":"llama3.2:latest","model":"llama3.2:latest","modified_at":"2025-06-01T10:20:30.1-07:00",)"
          R"("size":2019393189,"digest":"abc","details":{"parent_model":"","format":"gguf","family":"llama",)"
          R"("families":["llama"],"parameter_size":"3.2B","quantization_level":"Q4_K_M"},"capabilities":["completion","tools"]}]})"),
      tags);
  REQUIRE(tags.models.size() == 1);
  CHECK(tags.models[0].name == "llama3.2:latest");
  CHECK(tags.models[0].size == 2019393189);
  CHECK(tags.models[0].details.families == std::vector<std::string>{"llama"});
  CHECK(tags.models[0].capabilities.size() == 2);

  ol::ps_response ps;
  ol::decode(
      json::parse(
          R"({"models":[{"name":"a","model":"a","size":1,"expires_at":"2025-01-01T00:00:00Z","size_vram":1,"context_length":4096}]})"),
      ps);
  REQUIRE(ps.models.size() == 1);
  CHECK(ps.models[0].context_length == 4096);

  ol::show_response show;
  ol::decode(
      json::parse(
          R"({"license":"L","template":"T","model_info":{"general.architecture":"llama"},"capabilities":["completion"]})"),
      show);
  CHECK(show.template_text == "T");
  CHECK(show.model_info["general.architecture"] == "llama");
}

TEST_CASE("created_at parses with any fraction length, Z or an offset (tricky case 18)") {
  const auto base = ol::parse_time("2025-07-07T20:22:19Z");
  REQUIRE(base);
  CHECK(*base == 1751919739LL * 1000000000LL);
  CHECK(*ol::parse_time("2025-07-07T20:22:19.19314Z") == *base + 193140000);
  CHECK(*ol::parse_time("2025-07-07T20:22:19.123456789Z") == *base + 123456789);
  CHECK(*ol::parse_time("2025-07-07T13:22:19-07:00") == *base);
  CHECK(*ol::parse_time("2025-07-07T22:22:19.5+02:00") == *base + 500000000);
  CHECK(*ol::parse_time("1970-01-01T00:00:00Z") == 0);
  CHECK(*ol::parse_time("2024-02-29T00:00:00Z") == 1709164800LL * 1000000000LL);
  CHECK_FALSE(ol::parse_time(""));
  CHECK_FALSE(ol::parse_time("2025-07-07"));
  CHECK_FALSE(ol::parse_time("2025-07-07T20:22:19"));
  CHECK_FALSE(ol::parse_time("2025-13-07T20:22:19Z"));
  CHECK_FALSE(ol::parse_time("2025-07-07T20:22:19.Z"));
  CHECK_FALSE(ol::parse_time("2025-07-07T20:22:19Zjunk"));
}

TEST_CASE("parse_time: a truncated offset is not a time, and nothing escapes the noexcept (issue 15 #5)") {
  CHECK_FALSE(ol::parse_time("2025-07-07T20:22:19+"));
  CHECK_FALSE(ol::parse_time("2025-07-07T20:22:19-0"));
  CHECK_FALSE(ol::parse_time("2025-07-07T20:22:19+02"));
  CHECK_FALSE(ol::parse_time("2025-07-07T20:22:19+02:"));
  CHECK_FALSE(ol::parse_time("2025-07-07T20:22:19.5+02:3"));
  CHECK_FALSE(ol::parse_rfc3339("2025-07-07T20:22:19+"));
}

TEST_CASE("times outside int64 nanoseconds: saturated by parse_time, exact in parse_rfc3339") {
  // Go's zero time (modified_at of cloud aliases).
  const auto zero = ol::parse_rfc3339("0001-01-01T00:00:00Z");
  REQUIRE(zero);
  CHECK(zero->unix_seconds == -62135596800LL);
  CHECK_FALSE(zero->fits_unix_nanos());
  CHECK(*ol::parse_time("0001-01-01T00:00:00Z") == INT64_MIN);
  // A model kept loaded forever: expires_at ~292 years ahead, in the server's local offset.
  const auto forever = ol::parse_rfc3339("2318-08-19T14:35:12.123456789+02:00");
  REQUIRE(forever);
  CHECK(forever->offset_seconds == 7200);
  CHECK(forever->nanos == 123456789);
  CHECK_FALSE(forever->fits_unix_nanos());
  CHECK(*ol::parse_time("2318-08-19T14:35:12.123456789+02:00") == INT64_MAX);
  // The edges of the range are exact.
  CHECK(ol::parse_rfc3339("2262-04-11T23:47:16.854775807Z")->fits_unix_nanos());
  CHECK(*ol::parse_time("2262-04-11T23:47:16.854775807Z") == INT64_MAX);
  CHECK_FALSE(ol::parse_rfc3339("2262-04-11T23:47:16.854775808Z")->fits_unix_nanos());
  CHECK(ol::parse_rfc3339("1677-09-21T00:12:43.145224192Z")->fits_unix_nanos());
  CHECK(*ol::parse_time("1677-09-21T00:12:43.145224192Z") == INT64_MIN);
  CHECK_FALSE(ol::parse_rfc3339("1677-09-21T00:12:43.145224191Z")->fits_unix_nanos());
  CHECK(*ol::parse_time("1969-12-31T23:59:59.5Z") == -500000000);
  CHECK(*ol::parse_time("1969-12-31T23:59:59Z") == -1000000000);
}

TEST_CASE("options: only set keys, ints as ints") {
  ol::options o;
  CHECK(o.empty());
  o.seed = 42;
  o.top_p = 0.9;
  o.use_mmap = false;
  CHECK(o.to_json().dump() == R"({"seed":42,"top_p":0.9,"use_mmap":false})");
  CHECK_FALSE(o.empty());
}

TEST_CASE("base64") {
  CHECK(ol::base64_encode("") == "");
  CHECK(ol::base64_encode("f") == "Zg==");
  CHECK(ol::base64_encode("fo") == "Zm8=");
  CHECK(ol::base64_encode("foo") == "Zm9v");
  CHECK(ol::base64_encode("foobar") == "Zm9vYmFy");
  CHECK(ol::base64_encode(std::string("\xff\x00\xfe", 3)) == "/wD+");
}
