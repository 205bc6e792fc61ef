// llmtrace/detail/json_parse.hpp: parse_json, the one way llmtrace parses JSON that comes from outside
// (servers, collectors, recordings, the environment). Nesting deeper than a limit (default 256) is a
// clear error instead of a tree that later recursive copies, comparisons or dumps would overflow the
// stack on; nothing here recurses per nesting level. Thread-safety: pure functions.
// Heavy: needs nlohmann_json; link llmtrace::llmtrace.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/detail/utf8.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE
namespace detail {

/// Longest error message parse_json returns (nlohmann quotes the offending token, which can be huge).
inline constexpr std::size_t json_error_max_chars = 240;

/// Default nesting limit of parse_json: far beyond any real answer (Ollama's deepest is about 8).
inline constexpr std::size_t json_max_depth = 256;

/// What parse_json returns: the value (discarded when parsing failed, so `is_discarded()` checks keep
/// working) and, on failure, a one-line reason.
template <class Json = nlohmann::json>
struct json_parse_result {
  Json value = Json(Json::value_t::discarded);
  std::string error;  ///< empty on success
  bool too_deep = false;
  [[nodiscard]] bool ok() const noexcept { return error.empty(); }
  explicit operator bool() const noexcept { return ok(); }
};

namespace json_parse_detail {

// One line, valid UTF-8, at most json_error_max_chars characters (then "...").
inline std::string short_error(std::string_view what) {
  std::string out;
  if (append_utf8(out, what, json_error_max_chars)) out += "...";
  for (char& c : out)
    if (c == '\n' || c == '\r') c = ' ';
  return out;
}

// A SAX handler building the DOM with an explicit stack of open containers (no recursion), refusing
// to open a container deeper than the limit. Keys repeat as in nlohmann's own parser: the last wins.
template <class Json>
class bounded_dom_builder {
 public:
  using number_integer_t = typename Json::number_integer_t;
  using number_unsigned_t = typename Json::number_unsigned_t;
  using number_float_t = typename Json::number_float_t;
  using string_t = typename Json::string_t;
  using binary_t = typename Json::binary_t;

  bounded_dom_builder(Json& root, std::size_t max_depth) : root_(root), max_depth_(max_depth) {}

  bool null() { return put(Json(nullptr)) != nullptr; }
  bool boolean(bool v) { return put(Json(v)) != nullptr; }
  bool number_integer(number_integer_t v) { return put(Json(v)) != nullptr; }
  bool number_unsigned(number_unsigned_t v) { return put(Json(v)) != nullptr; }
  bool number_float(number_float_t v, const string_t&) { return put(Json(v)) != nullptr; }
  bool string(string_t& v) { return put(Json(v)) != nullptr; }
  bool binary(binary_t& v) { return put(Json::binary(v)) != nullptr; }
  bool start_object(std::size_t) { return open(Json::value_t::object); }
  bool key(string_t& k) {
    key_ = k;
    return true;
  }
  bool end_object() {
    open_.pop_back();
    return true;
  }
  bool start_array(std::size_t) { return open(Json::value_t::array); }
  bool end_array() {
    open_.pop_back();
    return true;
  }
  template <class Exception>
  bool parse_error(std::size_t, const std::string&, const Exception& ex) {
    error_ = short_error(ex.what());
    return false;
  }

  [[nodiscard]] const std::string& error() const noexcept { return error_; }
  [[nodiscard]] bool too_deep() const noexcept { return too_deep_; }

 private:
  bool open(typename Json::value_t t) {
    if (open_.size() >= max_depth_) {
      too_deep_ = true;
      error_ = "JSON nested deeper than " + std::to_string(max_depth_) + " levels";
      return false;
    }
    Json* c = put(Json(t));
    if (c == nullptr) return false;
    open_.push_back(c);
    return true;
  }
  Json* put(Json&& v) {
    if (open_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    Json& top = *open_.back();
    if (top.is_array()) {
      top.push_back(std::move(v));
      return &top.back();
    }
    Json& slot = top[key_];
    slot = std::move(v);
    return &slot;
  }

  Json& root_;
  std::size_t max_depth_;
  std::vector<Json*> open_;
  string_t key_;
  std::string error_;
  bool too_deep_ = false;
};

}  // namespace json_parse_detail

/// Parses `text` as one JSON document (nothing but whitespace may follow it), refusing nesting deeper
/// than `max_depth` arrays/objects. Never throws for bad input (only std::bad_alloc can escape); the
/// result carries a one-line error instead. `Json` is nlohmann::json or nlohmann::ordered_json.
template <class Json = nlohmann::json>
json_parse_result<Json> parse_json(std::string_view text, std::size_t max_depth = json_max_depth) {
  json_parse_result<Json> r;
  Json doc;
  json_parse_detail::bounded_dom_builder<Json> builder(doc, max_depth);
  bool ok = false;
  try {
    ok = Json::sax_parse(text.begin(), text.end(), &builder);
  } catch (const nlohmann::json::exception& e) {  // e.g. an invalid number the lexer rejects late
    r.error = json_parse_detail::short_error(e.what());
    return r;
  }
  if (!ok) {
    r.error = builder.error().empty() ? std::string("invalid JSON") : builder.error();
    r.too_deep = builder.too_deep();
    return r;
  }
  r.value = std::move(doc);
  return r;
}

}  // namespace detail
LLMTRACE_END_NAMESPACE
