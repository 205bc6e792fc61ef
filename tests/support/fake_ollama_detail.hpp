// Internals of the fake Ollama daemon shared by its translation units (not for tests): Go-style JSON
// (fake_ollama_go_json.cpp), request validation (fake_ollama_validation.cpp), model names and
// embedding vectors (fake_ollama_models.cpp). The server and its stream framing live in
// fake_ollama.cpp and fake_ollama_stream.cpp. Every function here is pure and thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "fake_ollama.hpp"

namespace llmtrace_test::fake_detail {

using ojson = nlohmann::ordered_json;
using clock_type = std::chrono::system_clock;

inline constexpr const char* k_json_type = "application/json; charset=utf-8";
inline constexpr const char* k_ndjson_type = "application/x-ndjson";
inline constexpr std::int64_t k_overhead_ns = 1234567;

// ---- small helpers: hashing, UTF-8, strings (fake_ollama_go_json.cpp) ----
std::uint64_t fnv1a(std::string_view s, std::uint64_t h = 1469598103934665603ULL);
std::uint64_t splitmix64(std::uint64_t& state);
std::string to_lower_ascii(std::string s);
bool iequals(std::string_view a, std::string_view b);
std::string sanitize_utf8(std::string_view s);  // invalid sequences -> U+FFFD, as Go does
std::vector<std::string> split_words(std::string_view s);
std::string first_words(std::string_view s, std::size_t n);
// Word-ish tokens (leading whitespace + a run of non-whitespace): concatenated they give the text.
std::vector<std::string> tokenize(std::string_view s);
std::string fake_digest(const std::string& name);  // 64 hex digits derived from the name
std::int64_t count_words(const std::string& s);

// ---- time ----
// Go's time.RFC3339Nano in a zone `offset_minutes` east of UTC ("Z" for 0), as Go writes a
// time.Time in that location; rfc3339nano_at takes the time as Unix seconds + nanoseconds (any year).
std::string rfc3339nano(clock_type::time_point tp, int offset_minutes = 0);
std::string rfc3339nano_at(std::int64_t unix_s, std::int64_t nanos, int offset_minutes);

// ---- Go encoding/json ----
// Key order kept, "<>&" as \u003c..., U+2028/2029 escaped, invalid UTF-8 -> U+FFFD; f32: floats
// are written as Go writes float32 values.
std::string go_encode(const ojson& j, bool f32 = false);

struct decoded_body {
  bool ok = false;
  bool empty = false;  // io.EOF: nothing but whitespace
  std::string error;   // Go's decoder message when !ok
  ojson value;
};
// Decodes the first JSON value of `body` like Go's json.Decoder (trailing data is ignored).
decoded_body go_decode(std::string_view body);
const char* json_kind(const ojson& v);  // "string", "number", "bool", "array", "object", "null"

// ---- request validation (fake_ollama_validation.cpp) ----
struct schema;  // the Go struct a request body is decoded into
const schema& chat_schema();
const schema& generate_schema();
const schema& embed_schema();
const schema& embeddings_schema();
const schema& show_schema();
const schema& pull_schema();  // pull and push
const schema& create_schema();
const schema& copy_schema();
const schema& delete_schema();
// Decodes and validates a request body like the server's ShouldBindJSON into `api.<go_struct>`:
// the canonical request, or nullopt with the 400 message in `error`.
std::optional<ojson> decode_and_validate(std::string_view body, const schema& sc, const char* go_struct,
                                         std::string& error);
// Go's time.ParseDuration. Returns the error text, or "" with `ns` set.
std::string parse_go_duration(const std::string& orig, std::int64_t& ns);
std::string check_options(const ojson& req);  // api.Options.FromMap's error, "" when fine
std::int64_t option_int(const ojson& req, const char* key, std::int64_t def);
std::int64_t keep_alive_ns(const ojson& req);  // default 5m, negative = forever (INT64_MAX)

// ---- model names and embedding vectors (fake_ollama_models.cpp) ----
std::string normalize_model(std::string name);  // "llama3.2" -> "llama3.2:latest", default registry stripped
bool valid_model_name(const std::string& name);
std::string with_tag(const std::string& name);
// Deterministic vectors: texts sharing words are similar, identical texts are identical.
std::vector<double> raw_embedding(const std::string& model, const std::string& text, std::size_t dims);
std::vector<double> normalized(std::vector<double> v);  // L2
std::int64_t estimate_tokens(const std::string& text);

}  // namespace llmtrace_test::fake_detail
