// Test-only OTLP trace decoder: the independent receiving side used by llmtrace's exporter tests.
//
// Decodes an ExportTraceServiceRequest from protobuf bytes (own minimal wire reader) or from
// OTLP/JSON (nlohmann_json) into plain structs, and turns them into one canonical JSON form that
// tests/otlp_js/decode.mjs (the official OpenTelemetry JS decoders) prints too, so the two can be
// compared with ==. Also builds ExportTraceServiceResponse / google.rpc.Status bodies in either
// encoding for the fake collector to send.
//
// Deliberately shares no code with the SDK's exporter: it is written from the field numbers in
// opentelemetry-proto and the OTLP/JSON rules, and it is strict where an exporter bug would
// otherwise slip through a lenient receiver (wrong wire type for a known field, invalid UTF-8,
// enum names instead of integers in JSON, ids that are not hex).
//
// Canonical JSON (decoded_request::to_json(), and what decode.mjs prints):
//   {"resourceSpans": [{
//      "resource": {"attributes": ATTRS, "droppedAttributesCount": 0},
//      "schemaUrl": "",
//      "scopeSpans": [{
//        "scope": {"name": "", "version": "", "attributes": ATTRS, "droppedAttributesCount": 0},
//        "schemaUrl": "",
//        "spans": [{
//          "traceId": "<lowercase hex>", "spanId": "<hex>", "parentSpanId": "<hex or empty>",
//          "traceState": "", "flags": 0, "name": "", "kind": 0,
//          "startTimeUnixNano": "<decimal string>", "endTimeUnixNano": "<decimal string>",
//          "attributes": ATTRS, "droppedAttributesCount": 0,
//          "events": [{"timeUnixNano": "<decimal>", "name": "", "attributes": ATTRS,
//                      "droppedAttributesCount": 0}],
//          "droppedEventsCount": 0,
//          "links": [{"traceId": "", "spanId": "", "traceState": "", "attributes": ATTRS,
//                     "droppedAttributesCount": 0, "flags": 0}],
//          "droppedLinksCount": 0,
//          "status": {"code": 0, "message": ""}}]}]}]}
//   ATTRS  = {"<key>": VALUE, ...}; a key that occurs more than once becomes
//            {"<key>": {"duplicates": [VALUE, VALUE, ...]}} so duplicates are never hidden.
//   VALUE  = {"string": "s"} | {"bool": true} | {"int": "<decimal int64>"} |
//            {"double": <number> | "NaN" | "Infinity" | "-Infinity"} | {"array": [VALUE, ...]} |
//            {"kvlist": ATTRS} | {"bytes": "<standard padded base64>"} | {"empty": null}
//   Absent messages (resource, scope, status) canonicalise to their all-default form.
#pragma once

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmtrace_test {

// Malformed input (protobuf or JSON). The message names the field path and, for protobuf, the
// byte offset in the payload.
class decode_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class otlp_encoding { protobuf, json };

inline const char* to_string(otlp_encoding e) noexcept { return e == otlp_encoding::protobuf ? "protobuf" : "json"; }
inline const char* content_type_of(otlp_encoding e) noexcept {
  return e == otlp_encoding::protobuf ? "application/x-protobuf" : "application/json";
}

// ---------------------------------------------------------------------------------------------
// Decoded structs
// ---------------------------------------------------------------------------------------------

enum class value_type { empty, string, boolean, integer, floating, array, kvlist, bytes };

// "string", "bool", "int", "double", "array", "kvlist", "bytes", "empty" (the canonical JSON tags).
inline const char* type_name(value_type t) noexcept {
  switch (t) {
    case value_type::string:
      return "string";
    case value_type::boolean:
      return "bool";
    case value_type::integer:
      return "int";
    case value_type::floating:
      return "double";
    case value_type::array:
      return "array";
    case value_type::kvlist:
      return "kvlist";
    case value_type::bytes:
      return "bytes";
    case value_type::empty:
      break;
  }
  return "empty";
}

struct decoded_attribute;
struct decoded_value;

// Attributes in wire order, duplicates kept. get()/find()/has() look a key up.
struct decoded_attributes : std::vector<decoded_attribute> {
  inline const decoded_value* find(std::string_view key) const;  // first match or nullptr
  bool has(std::string_view key) const { return find(key) != nullptr; }
  inline std::size_t count(std::string_view key) const;
  // Throws std::out_of_range naming the key and the keys that are present.
  inline const decoded_value& get(std::string_view key) const;
  inline nlohmann::json to_json() const;  // canonical ATTRS
};

// An AnyValue that keeps its type: tests can assert "an int, not a string".
struct decoded_value {
  value_type type = value_type::empty;
  std::string string_value;  // string
  bool bool_value = false;
  std::int64_t int_value = 0;
  double double_value = 0.0;
  std::vector<decoded_value> array_value;
  decoded_attributes kvlist_value;
  std::string bytes_value;  // raw bytes (base64 only in JSON)

  const char* type_name() const noexcept { return llmtrace_test::type_name(type); }
  bool is_empty() const noexcept { return type == value_type::empty; }
  bool is_string() const noexcept { return type == value_type::string; }
  bool is_bool() const noexcept { return type == value_type::boolean; }
  bool is_int() const noexcept { return type == value_type::integer; }
  bool is_double() const noexcept { return type == value_type::floating; }
  bool is_array() const noexcept { return type == value_type::array; }
  bool is_kvlist() const noexcept { return type == value_type::kvlist; }
  bool is_bytes() const noexcept { return type == value_type::bytes; }

  // Typed access; throws std::logic_error("value is int, not string") on a type mismatch.
  const std::string& as_string() const {
    expect(value_type::string);
    return string_value;
  }
  bool as_bool() const {
    expect(value_type::boolean);
    return bool_value;
  }
  std::int64_t as_int() const {
    expect(value_type::integer);
    return int_value;
  }
  double as_double() const {
    expect(value_type::floating);
    return double_value;
  }
  const std::vector<decoded_value>& as_array() const {
    expect(value_type::array);
    return array_value;
  }
  const decoded_attributes& as_kvlist() const {
    expect(value_type::kvlist);
    return kvlist_value;
  }
  const std::string& as_bytes() const {
    expect(value_type::bytes);
    return bytes_value;
  }

  inline nlohmann::json to_json() const;  // canonical VALUE

  static decoded_value make_string(std::string s) {
    decoded_value v;
    v.type = value_type::string;
    v.string_value = std::move(s);
    return v;
  }
  static decoded_value make_bool(bool b) {
    decoded_value v;
    v.type = value_type::boolean;
    v.bool_value = b;
    return v;
  }
  static decoded_value make_int(std::int64_t i) {
    decoded_value v;
    v.type = value_type::integer;
    v.int_value = i;
    return v;
  }
  static decoded_value make_double(double d) {
    decoded_value v;
    v.type = value_type::floating;
    v.double_value = d;
    return v;
  }
  static decoded_value make_bytes(std::string b) {
    decoded_value v;
    v.type = value_type::bytes;
    v.bytes_value = std::move(b);
    return v;
  }

 private:
  void expect(value_type want) const {
    if (type != want) {
      throw std::logic_error(std::string("OTLP value is ") + llmtrace_test::type_name(type) + ", not " +
                             llmtrace_test::type_name(want));
    }
  }
};

struct decoded_attribute {
  std::string key;
  decoded_value value;
};

struct decoded_resource {
  decoded_attributes attributes;
  std::uint32_t dropped_attributes_count = 0;
};

struct decoded_scope {
  std::string name;
  std::string version;
  decoded_attributes attributes;
  std::uint32_t dropped_attributes_count = 0;
};

struct decoded_event {
  std::uint64_t time_unix_nano = 0;
  std::string name;
  decoded_attributes attributes;
  std::uint32_t dropped_attributes_count = 0;
};

struct decoded_link {
  std::string trace_id;  // lowercase hex of the bytes as sent (any length)
  std::string span_id;
  std::string trace_state;
  decoded_attributes attributes;
  std::uint32_t dropped_attributes_count = 0;
  std::uint32_t flags = 0;
};

struct decoded_status {
  int code = 0;  // 0 unset, 1 ok, 2 error
  std::string message;
};

struct decoded_span {
  std::string trace_id;  // lowercase hex ("" when absent)
  std::string span_id;
  std::string trace_state;
  std::string parent_span_id;
  std::uint32_t flags = 0;
  std::string name;
  int kind = 0;
  std::uint64_t start_time_unix_nano = 0;
  std::uint64_t end_time_unix_nano = 0;
  decoded_attributes attributes;
  std::uint32_t dropped_attributes_count = 0;
  std::vector<decoded_event> events;
  std::uint32_t dropped_events_count = 0;
  std::vector<decoded_link> links;
  std::uint32_t dropped_links_count = 0;
  decoded_status status;

  inline nlohmann::json to_json() const;  // canonical span object
};

struct decoded_scope_spans {
  decoded_scope scope;
  std::vector<decoded_span> spans;
  std::string schema_url;
};

struct decoded_resource_spans {
  decoded_resource resource;
  std::vector<decoded_scope_spans> scope_spans;
  std::string schema_url;
};

// A span together with the resource and scope it was sent under.
struct flat_span : decoded_span {
  decoded_resource resource;
  decoded_scope scope;
  std::size_t request_index = 0;  // index into fake_collector::requests() (0 when not from one)
};

struct decoded_request {
  std::vector<decoded_resource_spans> resource_spans;

  inline std::size_t span_count() const;
  inline std::vector<flat_span> flatten(std::size_t request_index = 0) const;
  inline nlohmann::json to_json() const;  // canonical form, see the top of this file
};

// ---------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------

inline decoded_request decode_request_protobuf(std::string_view bytes);
inline decoded_request decode_request_json(std::string_view text);
inline decoded_request decode_request_json_doc(const nlohmann::json& doc);  // an already parsed document
inline decoded_request decode_request(std::string_view body, otlp_encoding encoding);

// ExportTraceServiceResponse bodies (for the fake collector, and for tests of it).
struct decoded_response {
  bool has_partial_success = false;
  std::int64_t rejected_spans = 0;
  std::string error_message;
};
// An empty response: "" (protobuf) or "{}" (JSON).
inline std::string encode_export_response_ok(otlp_encoding encoding);
// A response that carries partial_success, even when both of its fields are defaults.
inline std::string encode_export_response_partial(otlp_encoding encoding, std::int64_t rejected_spans,
                                                  std::string_view error_message);
inline decoded_response decode_export_response(std::string_view body, otlp_encoding encoding);

// google.rpc.Status (code=1 int32, message=2 string, details=3 repeated Any) as an error body.
struct decoded_rpc_status {
  std::int32_t code = 0;
  std::string message;
};
inline std::string encode_rpc_status(otlp_encoding encoding, std::int32_t code, std::string_view message);
inline decoded_rpc_status decode_rpc_status(std::string_view body, otlp_encoding encoding);

// Small helpers tests may want.
inline std::string to_hex(std::string_view bytes);
inline std::string base64_encode(std::string_view bytes);

// =============================================================================================
// Implementation
// =============================================================================================

namespace otlp_detail {

inline std::string hex_of(std::string_view bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0x0f]);
  }
  return out;
}

inline int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

inline const char* b64_alphabet() noexcept {
  return "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}

inline std::string b64_encode(std::string_view in) {
  const char* a = b64_alphabet();
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t n = (std::uint32_t{static_cast<unsigned char>(in[i])} << 16) |
                            (std::uint32_t{static_cast<unsigned char>(in[i + 1])} << 8) |
                            std::uint32_t{static_cast<unsigned char>(in[i + 2])};
    out.push_back(a[(n >> 18) & 63]);
    out.push_back(a[(n >> 12) & 63]);
    out.push_back(a[(n >> 6) & 63]);
    out.push_back(a[n & 63]);
  }
  const std::size_t rest = in.size() - i;
  if (rest == 1) {
    const std::uint32_t n = std::uint32_t{static_cast<unsigned char>(in[i])} << 16;
    out.push_back(a[(n >> 18) & 63]);
    out.push_back(a[(n >> 12) & 63]);
    out += "==";
  } else if (rest == 2) {
    const std::uint32_t n = (std::uint32_t{static_cast<unsigned char>(in[i])} << 16) |
                            (std::uint32_t{static_cast<unsigned char>(in[i + 1])} << 8);
    out.push_back(a[(n >> 18) & 63]);
    out.push_back(a[(n >> 12) & 63]);
    out.push_back(a[(n >> 6) & 63]);
    out.push_back('=');
  }
  return out;
}

// Standard or URL-safe alphabet, padding optional (the proto3 JSON mapping accepts both).
inline std::string b64_decode(std::string_view in, const std::string& path) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  std::string out;
  out.reserve(in.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = -1;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+' || c == '-')
      v = 62;
    else if (c == '/' || c == '_')
      v = 63;
    if (v < 0) throw decode_error("OTLP/JSON: " + path + ": invalid base64 character '" + std::string(1, c) + "'");
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xffu));
    }
  }
  if (bits >= 6) throw decode_error("OTLP/JSON: " + path + ": truncated base64");
  return out;
}

// Returns the offset of the first invalid UTF-8 sequence, or npos.
inline std::size_t invalid_utf8_at(std::string_view s) noexcept {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xe0) == 0xc0) {
      len = 2;
      cp = c & 0x1fu;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0fu;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      cp = c & 0x07u;
    } else
      return i;
    if (i + len > s.size()) return i;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3fu);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
      return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

// ----- protobuf wire reading -------------------------------------------------------------------

enum wire_type : std::uint32_t { wt_varint = 0, wt_fixed64 = 1, wt_len = 2, wt_fixed32 = 5 };

inline const char* wire_name(std::uint32_t wt) noexcept {
  switch (wt) {
    case 0:
      return "varint";
    case 1:
      return "fixed64";
    case 2:
      return "length-delimited";
    case 3:
      return "start-group";
    case 4:
      return "end-group";
    case 5:
      return "fixed32";
    default:
      return "invalid";
  }
}

struct pb_field {
  std::uint32_t number = 0;
  std::uint32_t wire = 0;
  std::uint64_t value = 0;  // varint, fixed64 or fixed32 payload
  std::string_view bytes;   // length-delimited payload
  std::size_t offset = 0;   // absolute offset of the tag in the whole payload
  std::size_t payload_offset = 0;
};

class pb_reader {
 public:
  pb_reader(std::string_view data, std::size_t base, std::string path)
      : data_(data), base_(base), path_(std::move(path)) {}

  const std::string& path() const noexcept { return path_; }

  // Reads the next field (tag and whole value). Returns false at the end of the message.
  bool next(pb_field& f) {
    if (pos_ >= data_.size()) return false;
    f = pb_field{};
    f.offset = base_ + pos_;
    const std::uint64_t tag = varint("field tag");
    const std::uint64_t number = tag >> 3;
    f.wire = static_cast<std::uint32_t>(tag & 7u);
    if (number == 0 || number > 536870911u) fail(f.offset, "invalid field number " + std::to_string(number));
    f.number = static_cast<std::uint32_t>(number);
    switch (f.wire) {
      case wt_varint:
        f.value = varint("varint value of field " + std::to_string(number));
        break;
      case wt_fixed64:
        f.value = fixed(8, number);
        break;
      case wt_fixed32:
        f.value = fixed(4, number);
        break;
      case wt_len: {
        const std::size_t at = base_ + pos_;
        const std::uint64_t len = varint("length of field " + std::to_string(number));
        if (len > data_.size() - pos_) {
          fail(at, "length-delimited field " + std::to_string(number) + " claims " + std::to_string(len) +
                       " bytes but only " + std::to_string(data_.size() - pos_) + " remain");
        }
        f.payload_offset = base_ + pos_;
        f.bytes = data_.substr(pos_, static_cast<std::size_t>(len));
        pos_ += static_cast<std::size_t>(len);
        break;
      }
      case 3:
      case 4:
        fail(f.offset, std::string("field ") + std::to_string(number) + " uses wire type " + wire_name(f.wire) +
                           " (groups are not used by OTLP)");
      default:
        fail(f.offset, "field " + std::to_string(number) + " has invalid wire type " + std::to_string(f.wire));
    }
    return true;
  }

  [[noreturn]] void fail(std::size_t at, const std::string& what) const {
    throw decode_error("OTLP protobuf: " + path_ + ": " + what + " (at byte " + std::to_string(at) + ")");
  }

  void expect_wire(const pb_field& f, std::uint32_t wt, const char* field_name) const {
    if (f.wire != wt) {
      fail(f.offset, std::string("field ") + field_name + " (" + std::to_string(f.number) + ") must be " +
                         wire_name(wt) + " but has wire type " + wire_name(f.wire));
    }
  }

  std::uint32_t as_uint32(const pb_field& f, const char* name) const {
    expect_wire(f, wt_varint, name);
    if (f.value > std::numeric_limits<std::uint32_t>::max()) {
      fail(f.offset, std::string("uint32 field ") + name + " holds " + std::to_string(f.value) + ", out of range");
    }
    return static_cast<std::uint32_t>(f.value);
  }
  int as_enum(const pb_field& f, const char* name) const {
    expect_wire(f, wt_varint, name);
    const auto v = static_cast<std::int64_t>(f.value);
    if (v < std::numeric_limits<std::int32_t>::min() || v > std::numeric_limits<std::int32_t>::max()) {
      fail(f.offset, std::string("enum field ") + name + " is out of int32 range");
    }
    return static_cast<int>(v);
  }
  std::int64_t as_int64(const pb_field& f, const char* name) const {
    expect_wire(f, wt_varint, name);
    return static_cast<std::int64_t>(f.value);
  }
  bool as_bool(const pb_field& f, const char* name) const {
    expect_wire(f, wt_varint, name);
    if (f.value > 1) fail(f.offset, std::string("bool field ") + name + " holds " + std::to_string(f.value));
    return f.value == 1;
  }
  std::uint64_t as_fixed64(const pb_field& f, const char* name) const {
    expect_wire(f, wt_fixed64, name);
    return f.value;
  }
  std::uint32_t as_fixed32(const pb_field& f, const char* name) const {
    expect_wire(f, wt_fixed32, name);
    return static_cast<std::uint32_t>(f.value);
  }
  double as_double(const pb_field& f, const char* name) const {
    expect_wire(f, wt_fixed64, name);
    double d = 0;
    static_assert(sizeof(d) == sizeof(f.value), "double must be 64-bit");
    std::memcpy(&d, &f.value, sizeof d);
    return d;
  }
  std::string as_bytes(const pb_field& f, const char* name) const {
    expect_wire(f, wt_len, name);
    return std::string(f.bytes);
  }
  std::string as_string(const pb_field& f, const char* name) const {
    expect_wire(f, wt_len, name);
    const std::size_t bad = invalid_utf8_at(f.bytes);
    if (bad != std::string_view::npos) {
      fail(f.payload_offset + bad, std::string("string field ") + name + " is not valid UTF-8");
    }
    return std::string(f.bytes);
  }
  pb_reader sub(const pb_field& f, const char* name, const std::string& sub_path) const {
    expect_wire(f, wt_len, name);
    return pb_reader(f.bytes, f.payload_offset, sub_path);
  }

 private:
  std::uint64_t varint(const std::string& what) {
    const std::size_t start = pos_;
    std::uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (pos_ >= data_.size()) fail(base_ + start, "truncated " + what);
      const auto b = static_cast<unsigned char>(data_[pos_++]);
      if (shift == 63 && (b & 0x7eu) != 0) fail(base_ + start, what + " overflows 64 bits");
      v |= std::uint64_t{b & 0x7fu} << shift;
      if ((b & 0x80u) == 0) return v;
    }
    fail(base_ + start, what + " is longer than 10 bytes");
  }
  std::uint64_t fixed(std::size_t n, std::uint64_t number) {
    if (data_.size() - pos_ < n) {
      fail(base_ + pos_, "truncated fixed" + std::to_string(n * 8) + " value of field " + std::to_string(number));
    }
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) {
      v |= std::uint64_t{static_cast<unsigned char>(data_[pos_ + i])} << (8 * i);
    }
    pos_ += n;
    return v;
  }

  std::string_view data_;
  std::size_t base_ = 0;
  std::size_t pos_ = 0;
  std::string path_;
};

inline std::string idx(const std::string& path, const char* field, std::size_t i) {
  return path + "." + field + "[" + std::to_string(i) + "]";
}

inline void pb_key_value(pb_reader r, decoded_attribute& out);

inline void pb_any_value(pb_reader r, decoded_value& out) {
  out = decoded_value{};
  pb_field f;
  while (r.next(f)) {
    switch (f.number) {
      case 1: {
        auto s = r.as_string(f, "string_value");
        out = decoded_value::make_string(std::move(s));
        break;
      }
      case 2: {
        const bool b = r.as_bool(f, "bool_value");
        out = decoded_value::make_bool(b);
        break;
      }
      case 3: {
        const auto i = r.as_int64(f, "int_value");
        out = decoded_value::make_int(i);
        break;
      }
      case 4: {
        const double d = r.as_double(f, "double_value");
        out = decoded_value::make_double(d);
        break;
      }
      case 5: {
        decoded_value v;
        v.type = value_type::array;
        pb_reader arr = r.sub(f, "array_value", r.path() + ".array_value");
        pb_field e;
        while (arr.next(e)) {
          if (e.number != 1) continue;
          decoded_value item;
          pb_any_value(arr.sub(e, "values", idx(arr.path(), "values", v.array_value.size())), item);
          v.array_value.push_back(std::move(item));
        }
        out = std::move(v);
        break;
      }
      case 6: {
        decoded_value v;
        v.type = value_type::kvlist;
        pb_reader kvl = r.sub(f, "kvlist_value", r.path() + ".kvlist_value");
        pb_field e;
        while (kvl.next(e)) {
          if (e.number != 1) continue;
          decoded_attribute kv;
          pb_key_value(kvl.sub(e, "values", idx(kvl.path(), "values", v.kvlist_value.size())), kv);
          v.kvlist_value.push_back(std::move(kv));
        }
        out = std::move(v);
        break;
      }
      case 7: {
        auto b = r.as_bytes(f, "bytes_value");
        out = decoded_value::make_bytes(std::move(b));
        break;
      }
      default:
        break;  // unknown field: skipped
    }
  }
}

inline void pb_key_value(pb_reader r, decoded_attribute& out) {
  pb_field f;
  while (r.next(f)) {
    if (f.number == 1)
      out.key = r.as_string(f, "key");
    else if (f.number == 2)
      pb_any_value(r.sub(f, "value", r.path() + ".value"), out.value);
  }
}

inline void pb_attribute(pb_reader& r, const pb_field& f, decoded_attributes& attrs) {
  decoded_attribute kv;
  pb_key_value(r.sub(f, "attributes", idx(r.path(), "attributes", attrs.size())), kv);
  attrs.push_back(std::move(kv));
}

inline void pb_resource(pb_reader r, decoded_resource& out) {
  out = decoded_resource{};
  pb_field f;
  while (r.next(f)) {
    if (f.number == 1)
      pb_attribute(r, f, out.attributes);
    else if (f.number == 2)
      out.dropped_attributes_count = r.as_uint32(f, "dropped_attributes_count");
  }
}

inline void pb_scope(pb_reader r, decoded_scope& out) {
  out = decoded_scope{};
  pb_field f;
  while (r.next(f)) {
    switch (f.number) {
      case 1:
        out.name = r.as_string(f, "name");
        break;
      case 2:
        out.version = r.as_string(f, "version");
        break;
      case 3:
        pb_attribute(r, f, out.attributes);
        break;
      case 4:
        out.dropped_attributes_count = r.as_uint32(f, "dropped_attributes_count");
        break;
      default:
        break;
    }
  }
}

inline void pb_event(pb_reader r, decoded_event& out) {
  pb_field f;
  while (r.next(f)) {
    switch (f.number) {
      case 1:
        out.time_unix_nano = r.as_fixed64(f, "time_unix_nano");
        break;
      case 2:
        out.name = r.as_string(f, "name");
        break;
      case 3:
        pb_attribute(r, f, out.attributes);
        break;
      case 4:
        out.dropped_attributes_count = r.as_uint32(f, "dropped_attributes_count");
        break;
      default:
        break;
    }
  }
}

inline void pb_link(pb_reader r, decoded_link& out) {
  pb_field f;
  while (r.next(f)) {
    switch (f.number) {
      case 1:
        out.trace_id = hex_of(r.as_bytes(f, "trace_id"));
        break;
      case 2:
        out.span_id = hex_of(r.as_bytes(f, "span_id"));
        break;
      case 3:
        out.trace_state = r.as_string(f, "trace_state");
        break;
      case 4:
        pb_attribute(r, f, out.attributes);
        break;
      case 5:
        out.dropped_attributes_count = r.as_uint32(f, "dropped_attributes_count");
        break;
      case 6:
        out.flags = r.as_fixed32(f, "flags");
        break;
      default:
        break;
    }
  }
}

inline void pb_status(pb_reader r, decoded_status& out) {
  out = decoded_status{};
  pb_field f;
  while (r.next(f)) {
    if (f.number == 2)
      out.message = r.as_string(f, "message");
    else if (f.number == 3)
      out.code = r.as_enum(f, "code");
  }
}

inline void pb_span(pb_reader r, decoded_span& out) {
  pb_field f;
  while (r.next(f)) {
    switch (f.number) {
      case 1:
        out.trace_id = hex_of(r.as_bytes(f, "trace_id"));
        break;
      case 2:
        out.span_id = hex_of(r.as_bytes(f, "span_id"));
        break;
      case 3:
        out.trace_state = r.as_string(f, "trace_state");
        break;
      case 4:
        out.parent_span_id = hex_of(r.as_bytes(f, "parent_span_id"));
        break;
      case 5:
        out.name = r.as_string(f, "name");
        break;
      case 6:
        out.kind = r.as_enum(f, "kind");
        break;
      case 7:
        out.start_time_unix_nano = r.as_fixed64(f, "start_time_unix_nano");
        break;
      case 8:
        out.end_time_unix_nano = r.as_fixed64(f, "end_time_unix_nano");
        break;
      case 9:
        pb_attribute(r, f, out.attributes);
        break;
      case 10:
        out.dropped_attributes_count = r.as_uint32(f, "dropped_attributes_count");
        break;
      case 11: {
        decoded_event e;
        pb_event(r.sub(f, "events", idx(r.path(), "events", out.events.size())), e);
        out.events.push_back(std::move(e));
        break;
      }
      case 12:
        out.dropped_events_count = r.as_uint32(f, "dropped_events_count");
        break;
      case 13: {
        decoded_link l;
        pb_link(r.sub(f, "links", idx(r.path(), "links", out.links.size())), l);
        out.links.push_back(std::move(l));
        break;
      }
      case 14:
        out.dropped_links_count = r.as_uint32(f, "dropped_links_count");
        break;
      case 15:
        pb_status(r.sub(f, "status", r.path() + ".status"), out.status);
        break;
      case 16:
        out.flags = r.as_fixed32(f, "flags");
        break;
      default:
        break;
    }
  }
}

inline void pb_scope_spans(pb_reader r, decoded_scope_spans& out) {
  pb_field f;
  while (r.next(f)) {
    switch (f.number) {
      case 1:
        pb_scope(r.sub(f, "scope", r.path() + ".scope"), out.scope);
        break;
      case 2: {
        decoded_span s;
        pb_span(r.sub(f, "spans", idx(r.path(), "spans", out.spans.size())), s);
        out.spans.push_back(std::move(s));
        break;
      }
      case 3:
        out.schema_url = r.as_string(f, "schema_url");
        break;
      default:
        break;
    }
  }
}

inline void pb_resource_spans(pb_reader r, decoded_resource_spans& out) {
  pb_field f;
  while (r.next(f)) {
    switch (f.number) {
      case 1:
        pb_resource(r.sub(f, "resource", r.path() + ".resource"), out.resource);
        break;
      case 2: {
        decoded_scope_spans ss;
        pb_scope_spans(r.sub(f, "scope_spans", idx(r.path(), "scope_spans", out.scope_spans.size())), ss);
        out.scope_spans.push_back(std::move(ss));
        break;
      }
      case 3:
        out.schema_url = r.as_string(f, "schema_url");
        break;
      default:
        break;
    }
  }
}

// ----- protobuf wire writing (response bodies only) --------------------------------------------

inline void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7fu) | 0x80u));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
inline void put_tag(std::string& out, std::uint32_t number, std::uint32_t wt) {
  put_varint(out, (std::uint64_t{number} << 3) | wt);
}
inline void put_len(std::string& out, std::uint32_t number, std::string_view bytes) {
  put_tag(out, number, wt_len);
  put_varint(out, bytes.size());
  out.append(bytes.data(), bytes.size());
}

// ----- OTLP/JSON reading -----------------------------------------------------------------------

using json = nlohmann::json;

[[noreturn]] inline void jfail(const std::string& path, const std::string& what) {
  throw decode_error("OTLP/JSON: " + path + ": " + what);
}

inline const char* jtype(const json& j) noexcept { return j.type_name(); }

// The member, or nullptr when absent or null (null means "default" in the proto3 JSON mapping).
inline const json* member(const json& obj, const char* key) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

inline const json& expect_object(const json& j, const std::string& path) {
  if (!j.is_object()) jfail(path, std::string("expected an object, got ") + jtype(j));
  return j;
}

inline const json* array_member(const json& obj, const char* key, const std::string& path) {
  const json* m = member(obj, key);
  if (m != nullptr && !m->is_array()) jfail(path + "." + key, std::string("expected an array, got ") + jtype(*m));
  return m;
}

inline std::string string_member(const json& obj, const char* key, const std::string& path) {
  const json* m = member(obj, key);
  if (m == nullptr) return {};
  if (!m->is_string()) jfail(path + "." + key, std::string("expected a string, got ") + jtype(*m));
  return m->get<std::string>();
}

inline bool all_digits(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

inline std::uint64_t parse_u64(std::string_view s, const std::string& path, std::uint64_t max) {
  if (!all_digits(s)) jfail(path, "expected a decimal unsigned integer, got \"" + std::string(s) + "\"");
  std::uint64_t v = 0;
  for (char c : s) {
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (max - d) / 10) jfail(path, "integer \"" + std::string(s) + "\" is out of range");
    v = v * 10 + d;
  }
  return v;
}

// A number or a decimal string (OTLP/JSON writes 64-bit integers as strings).
inline std::uint64_t unsigned_value(const json& j, const std::string& path, std::uint64_t max) {
  if (j.is_number_unsigned()) {
    const auto v = j.get<std::uint64_t>();
    if (v > max) jfail(path, "integer " + j.dump() + " is out of range");
    return v;
  }
  if (j.is_number_integer()) jfail(path, "expected a non-negative integer, got " + j.dump());
  if (j.is_number_float()) jfail(path, "expected an integer, got the floating-point number " + j.dump());
  if (j.is_string()) return parse_u64(j.get_ref<const std::string&>(), path, max);
  jfail(path, std::string("expected an integer or a decimal string, got ") + jtype(j));
}

inline std::int64_t signed_value(const json& j, const std::string& path) {
  if (j.is_number_unsigned()) {
    const auto v = j.get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) jfail(path, "int64 out of range");
    return static_cast<std::int64_t>(v);
  }
  if (j.is_number_integer()) return j.get<std::int64_t>();
  if (j.is_number_float()) jfail(path, "expected an integer, got the floating-point number " + j.dump());
  if (j.is_string()) {
    std::string_view s = j.get_ref<const std::string&>();
    const bool negative = !s.empty() && s.front() == '-';
    if (negative) s.remove_prefix(1);
    const std::uint64_t limit = negative ? std::uint64_t{1} << 63 : (std::uint64_t{1} << 63) - 1;
    const std::uint64_t mag = parse_u64(s, path, limit);
    if (!negative) return static_cast<std::int64_t>(mag);
    if (mag == (std::uint64_t{1} << 63)) return std::numeric_limits<std::int64_t>::min();
    return -static_cast<std::int64_t>(mag);
  }
  jfail(path, std::string("expected an integer or a decimal string, got ") + jtype(j));
}

inline std::uint32_t u32_member(const json& obj, const char* key, const std::string& path) {
  const json* m = member(obj, key);
  if (m == nullptr) return 0;
  return static_cast<std::uint32_t>(unsigned_value(*m, path + "." + key, std::numeric_limits<std::uint32_t>::max()));
}

inline std::uint64_t u64_member(const json& obj, const char* key, const std::string& path) {
  const json* m = member(obj, key);
  if (m == nullptr) return 0;
  return unsigned_value(*m, path + "." + key, std::numeric_limits<std::uint64_t>::max());
}

// OTLP/JSON: "enums as integers" (names are rejected on purpose, an exporter must not send them).
inline int enum_member(const json& obj, const char* key, const std::string& path) {
  const json* m = member(obj, key);
  if (m == nullptr) return 0;
  if (m->is_string())
    jfail(path + "." + key, "enum given as the string " + m->dump() + "; OTLP/JSON requires an integer");
  if (!m->is_number_integer()) jfail(path + "." + key, std::string("expected an integer enum, got ") + jtype(*m));
  const bool too_big = m->is_number_unsigned() &&
                       m->get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max());
  const std::int64_t v = too_big ? 0 : m->get<std::int64_t>();
  if (too_big || v < std::numeric_limits<std::int32_t>::min() || v > std::numeric_limits<std::int32_t>::max()) {
    jfail(path + "." + key, "enum value " + m->dump() + " is out of int32 range");
  }
  return static_cast<int>(v);
}

// OTLP/JSON ids are hex (not base64 as in the generic proto3 mapping). Returned lowercase.
inline std::string id_member(const json& obj, const char* key, const std::string& path) {
  const json* m = member(obj, key);
  if (m == nullptr) return {};
  if (!m->is_string()) jfail(path + "." + key, std::string("expected a hex string, got ") + jtype(*m));
  const auto& s = m->get_ref<const std::string&>();
  if (s.size() % 2 != 0) jfail(path + "." + key, "hex id \"" + s + "\" has an odd number of digits");
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    const int d = hex_digit(c);
    if (d < 0) jfail(path + "." + key, "id \"" + s + "\" is not hex (OTLP/JSON ids are hex, not base64)");
    out.push_back("0123456789abcdef"[d]);
  }
  return out;
}

inline double double_value(const json& j, const std::string& path) {
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (s == "Infinity") return std::numeric_limits<double>::infinity();
    if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
    // A numeric string is allowed by the proto3 JSON mapping.
    try {
      std::size_t used = 0;
      const double d = std::stod(s, &used);
      if (used == s.size() && !s.empty()) return d;
    } catch (const std::exception&) {
    }
    jfail(path, "\"" + s + "\" is not a number");
  }
  jfail(path, std::string("expected a number, got ") + jtype(j));
}

inline void json_key_value(const json& j, const std::string& path, decoded_attribute& out);

inline void json_any_value(const json& j, const std::string& path, decoded_value& out) {
  expect_object(j, path);
  out = decoded_value{};
  int set = 0;
  for (const auto& [k, v] : j.items()) {
    if (v.is_null()) continue;
    const std::string p = path + "." + k;
    if (k == "stringValue") {
      if (!v.is_string()) jfail(p, std::string("expected a string, got ") + jtype(v));
      out = decoded_value::make_string(v.get<std::string>());
    } else if (k == "boolValue") {
      if (!v.is_boolean()) jfail(p, std::string("expected a boolean, got ") + jtype(v));
      out = decoded_value::make_bool(v.get<bool>());
    } else if (k == "intValue") {
      out = decoded_value::make_int(signed_value(v, p));
    } else if (k == "doubleValue") {
      out = decoded_value::make_double(double_value(v, p));
    } else if (k == "bytesValue") {
      if (!v.is_string()) jfail(p, std::string("expected a base64 string, got ") + jtype(v));
      out = decoded_value::make_bytes(b64_decode(v.get_ref<const std::string&>(), p));
    } else if (k == "arrayValue") {
      expect_object(v, p);
      decoded_value a;
      a.type = value_type::array;
      if (const json* vals = array_member(v, "values", p)) {
        for (std::size_t i = 0; i < vals->size(); ++i) {
          decoded_value item;
          json_any_value((*vals)[i], idx(p, "values", i), item);
          a.array_value.push_back(std::move(item));
        }
      }
      out = std::move(a);
    } else if (k == "kvlistValue") {
      expect_object(v, p);
      decoded_value a;
      a.type = value_type::kvlist;
      if (const json* vals = array_member(v, "values", p)) {
        for (std::size_t i = 0; i < vals->size(); ++i) {
          decoded_attribute kv;
          json_key_value((*vals)[i], idx(p, "values", i), kv);
          a.kvlist_value.push_back(std::move(kv));
        }
      }
      out = std::move(a);
    } else {
      continue;  // unknown key: ignored
    }
    if (++set > 1) jfail(path, "AnyValue sets more than one of its value fields");
  }
}

inline void json_key_value(const json& j, const std::string& path, decoded_attribute& out) {
  expect_object(j, path);
  out.key = string_member(j, "key", path);
  if (const json* v = member(j, "value")) json_any_value(*v, path + ".value", out.value);
}

inline void json_attributes(const json& obj, const std::string& path, decoded_attributes& out) {
  if (const json* a = array_member(obj, "attributes", path)) {
    for (std::size_t i = 0; i < a->size(); ++i) {
      decoded_attribute kv;
      json_key_value((*a)[i], idx(path, "attributes", i), kv);
      out.push_back(std::move(kv));
    }
  }
}

inline void json_span(const json& j, const std::string& path, decoded_span& s) {
  expect_object(j, path);
  s.trace_id = id_member(j, "traceId", path);
  s.span_id = id_member(j, "spanId", path);
  s.trace_state = string_member(j, "traceState", path);
  s.parent_span_id = id_member(j, "parentSpanId", path);
  s.flags = u32_member(j, "flags", path);
  s.name = string_member(j, "name", path);
  s.kind = enum_member(j, "kind", path);
  s.start_time_unix_nano = u64_member(j, "startTimeUnixNano", path);
  s.end_time_unix_nano = u64_member(j, "endTimeUnixNano", path);
  json_attributes(j, path, s.attributes);
  s.dropped_attributes_count = u32_member(j, "droppedAttributesCount", path);
  if (const json* evs = array_member(j, "events", path)) {
    for (std::size_t i = 0; i < evs->size(); ++i) {
      const std::string p = idx(path, "events", i);
      const json& ej = expect_object((*evs)[i], p);
      decoded_event e;
      e.time_unix_nano = u64_member(ej, "timeUnixNano", p);
      e.name = string_member(ej, "name", p);
      json_attributes(ej, p, e.attributes);
      e.dropped_attributes_count = u32_member(ej, "droppedAttributesCount", p);
      s.events.push_back(std::move(e));
    }
  }
  s.dropped_events_count = u32_member(j, "droppedEventsCount", path);
  if (const json* ls = array_member(j, "links", path)) {
    for (std::size_t i = 0; i < ls->size(); ++i) {
      const std::string p = idx(path, "links", i);
      const json& lj = expect_object((*ls)[i], p);
      decoded_link l;
      l.trace_id = id_member(lj, "traceId", p);
      l.span_id = id_member(lj, "spanId", p);
      l.trace_state = string_member(lj, "traceState", p);
      json_attributes(lj, p, l.attributes);
      l.dropped_attributes_count = u32_member(lj, "droppedAttributesCount", p);
      l.flags = u32_member(lj, "flags", p);
      s.links.push_back(std::move(l));
    }
  }
  s.dropped_links_count = u32_member(j, "droppedLinksCount", path);
  if (const json* st = member(j, "status")) {
    const std::string p = path + ".status";
    expect_object(*st, p);
    s.status.code = enum_member(*st, "code", p);
    s.status.message = string_member(*st, "message", p);
  }
}

// ----- canonical JSON ------------------------------------------------------------------------

inline json canonical_double(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  return json(d);
}

}  // namespace otlp_detail

// ----- decoded_attributes / decoded_value / decoded_request members --------------------------

inline const decoded_value* decoded_attributes::find(std::string_view key) const {
  for (const auto& kv : *this) {
    if (kv.key == key) return &kv.value;
  }
  return nullptr;
}

inline std::size_t decoded_attributes::count(std::string_view key) const {
  std::size_t n = 0;
  for (const auto& kv : *this) {
    if (kv.key == key) ++n;
  }
  return n;
}

inline const decoded_value& decoded_attributes::get(std::string_view key) const {
  if (const decoded_value* v = find(key)) return *v;
  std::string have;
  for (const auto& kv : *this) {
    if (!have.empty()) have += ", ";
    have += kv.key;
  }
  throw std::out_of_range("OTLP attribute '" + std::string(key) + "' is absent; present: [" + have + "]");
}

inline nlohmann::json decoded_attributes::to_json() const {
  nlohmann::json out = nlohmann::json::object();
  std::vector<std::string> dup;
  for (const auto& kv : *this) {
    auto v = kv.value.to_json();
    auto it = out.find(kv.key);
    if (it == out.end()) {
      out[kv.key] = std::move(v);
    } else if (std::find(dup.begin(), dup.end(), kv.key) == dup.end()) {
      dup.push_back(kv.key);
      nlohmann::json both = nlohmann::json::array({*it, std::move(v)});
      *it = nlohmann::json{{"duplicates", std::move(both)}};
    } else {
      (*it)["duplicates"].push_back(std::move(v));
    }
  }
  return out;
}

inline nlohmann::json decoded_value::to_json() const {
  nlohmann::json inner;
  switch (type) {
    case value_type::string:
      inner = string_value;
      break;
    case value_type::boolean:
      inner = bool_value;
      break;
    case value_type::integer:
      inner = std::to_string(int_value);
      break;
    case value_type::floating:
      inner = otlp_detail::canonical_double(double_value);
      break;
    case value_type::array: {
      inner = nlohmann::json::array();
      for (const auto& v : array_value) inner.push_back(v.to_json());
      break;
    }
    case value_type::kvlist:
      inner = kvlist_value.to_json();
      break;
    case value_type::bytes:
      inner = otlp_detail::b64_encode(bytes_value);
      break;
    case value_type::empty:
      inner = nullptr;
      break;
  }
  nlohmann::json out = nlohmann::json::object();
  out[type_name()] = std::move(inner);
  return out;
}

inline nlohmann::json decoded_span::to_json() const {
  using nlohmann::json;
  json events_j = json::array();
  for (const auto& e : events) {
    events_j.push_back(json{{"timeUnixNano", std::to_string(e.time_unix_nano)},
                            {"name", e.name},
                            {"attributes", e.attributes.to_json()},
                            {"droppedAttributesCount", e.dropped_attributes_count}});
  }
  json links_j = json::array();
  for (const auto& l : links) {
    links_j.push_back(json{{"traceId", l.trace_id},
                           {"spanId", l.span_id},
                           {"traceState", l.trace_state},
                           {"attributes", l.attributes.to_json()},
                           {"droppedAttributesCount", l.dropped_attributes_count},
                           {"flags", l.flags}});
  }
  return json{{"traceId", trace_id},
              {"spanId", span_id},
              {"parentSpanId", parent_span_id},
              {"traceState", trace_state},
              {"flags", flags},
              {"name", name},
              {"kind", kind},
              {"startTimeUnixNano", std::to_string(start_time_unix_nano)},
              {"endTimeUnixNano", std::to_string(end_time_unix_nano)},
              {"attributes", attributes.to_json()},
              {"droppedAttributesCount", dropped_attributes_count},
              {"events", std::move(events_j)},
              {"droppedEventsCount", dropped_events_count},
              {"links", std::move(links_j)},
              {"droppedLinksCount", dropped_links_count},
              {"status", json{{"code", status.code}, {"message", status.message}}}};
}

inline std::size_t decoded_request::span_count() const {
  std::size_t n = 0;
  for (const auto& rs : resource_spans) {
    for (const auto& ss : rs.scope_spans) n += ss.spans.size();
  }
  return n;
}

inline std::vector<flat_span> decoded_request::flatten(std::size_t request_index) const {
  std::vector<flat_span> out;
  for (const auto& rs : resource_spans) {
    for (const auto& ss : rs.scope_spans) {
      for (const auto& s : ss.spans) {
        flat_span f;
        static_cast<decoded_span&>(f) = s;
        f.resource = rs.resource;
        f.scope = ss.scope;
        f.request_index = request_index;
        out.push_back(std::move(f));
      }
    }
  }
  return out;
}

inline nlohmann::json decoded_request::to_json() const {
  using nlohmann::json;
  json rss = json::array();
  for (const auto& rs : resource_spans) {
    json sss = json::array();
    for (const auto& ss : rs.scope_spans) {
      json spans = json::array();
      for (const auto& s : ss.spans) spans.push_back(s.to_json());
      sss.push_back(json{{"scope", json{{"name", ss.scope.name},
                                        {"version", ss.scope.version},
                                        {"attributes", ss.scope.attributes.to_json()},
                                        {"droppedAttributesCount", ss.scope.dropped_attributes_count}}},
                         {"schemaUrl", ss.schema_url},
                         {"spans", std::move(spans)}});
    }
    rss.push_back(json{{"resource", json{{"attributes", rs.resource.attributes.to_json()},
                                         {"droppedAttributesCount", rs.resource.dropped_attributes_count}}},
                       {"schemaUrl", rs.schema_url},
                       {"scopeSpans", std::move(sss)}});
  }
  return json{{"resourceSpans", std::move(rss)}};
}

// ----- entry points ----------------------------------------------------------------------------

inline decoded_request decode_request_protobuf(std::string_view bytes) {
  using namespace otlp_detail;
  decoded_request out;
  pb_reader r(bytes, 0, "ExportTraceServiceRequest");
  pb_field f;
  while (r.next(f)) {
    if (f.number != 1) continue;
    decoded_resource_spans rs;
    pb_resource_spans(r.sub(f, "resource_spans", idx("request", "resource_spans", out.resource_spans.size())), rs);
    out.resource_spans.push_back(std::move(rs));
  }
  return out;
}

inline decoded_request decode_request_json_doc(const nlohmann::json& doc) {
  using namespace otlp_detail;
  const std::string root = "request";
  expect_object(doc, root);
  decoded_request out;
  const json* rss = array_member(doc, "resourceSpans", root);
  if (rss == nullptr) return out;
  for (std::size_t i = 0; i < rss->size(); ++i) {
    const std::string p = idx(root, "resourceSpans", i);
    const json& rsj = expect_object((*rss)[i], p);
    decoded_resource_spans rs;
    if (const json* res = member(rsj, "resource")) {
      const std::string rp = p + ".resource";
      expect_object(*res, rp);
      json_attributes(*res, rp, rs.resource.attributes);
      rs.resource.dropped_attributes_count = u32_member(*res, "droppedAttributesCount", rp);
    }
    rs.schema_url = string_member(rsj, "schemaUrl", p);
    if (const json* sss = array_member(rsj, "scopeSpans", p)) {
      for (std::size_t k = 0; k < sss->size(); ++k) {
        const std::string sp = idx(p, "scopeSpans", k);
        const json& ssj = expect_object((*sss)[k], sp);
        decoded_scope_spans ss;
        if (const json* sc = member(ssj, "scope")) {
          const std::string cp = sp + ".scope";
          expect_object(*sc, cp);
          ss.scope.name = string_member(*sc, "name", cp);
          ss.scope.version = string_member(*sc, "version", cp);
          json_attributes(*sc, cp, ss.scope.attributes);
          ss.scope.dropped_attributes_count = u32_member(*sc, "droppedAttributesCount", cp);
        }
        ss.schema_url = string_member(ssj, "schemaUrl", sp);
        if (const json* spans = array_member(ssj, "spans", sp)) {
          for (std::size_t n = 0; n < spans->size(); ++n) {
            decoded_span s;
            json_span((*spans)[n], idx(sp, "spans", n), s);
            ss.spans.push_back(std::move(s));
          }
        }
        rs.scope_spans.push_back(std::move(ss));
      }
    }
    out.resource_spans.push_back(std::move(rs));
  }
  return out;
}

inline decoded_request decode_request_json(std::string_view text) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    throw decode_error(std::string("OTLP/JSON: not valid JSON: ") + e.what());
  }
  return decode_request_json_doc(doc);
}

inline decoded_request decode_request(std::string_view body, otlp_encoding encoding) {
  return encoding == otlp_encoding::protobuf ? decode_request_protobuf(body) : decode_request_json(body);
}

inline std::string encode_export_response_ok(otlp_encoding encoding) {
  return encoding == otlp_encoding::protobuf ? std::string() : std::string("{}");
}

inline std::string encode_export_response_partial(otlp_encoding encoding, std::int64_t rejected_spans,
                                                  std::string_view error_message) {
  if (encoding == otlp_encoding::json) {
    nlohmann::json ps = nlohmann::json::object();
    if (rejected_spans != 0) ps["rejectedSpans"] = std::to_string(rejected_spans);
    if (!error_message.empty()) ps["errorMessage"] = std::string(error_message);
    return nlohmann::json{{"partialSuccess", std::move(ps)}}.dump();
  }
  using namespace otlp_detail;
  std::string inner;
  if (rejected_spans != 0) {
    put_tag(inner, 1, wt_varint);
    put_varint(inner, static_cast<std::uint64_t>(rejected_spans));
  }
  if (!error_message.empty()) put_len(inner, 2, error_message);
  std::string out;
  put_len(out, 1, inner);
  return out;
}

inline decoded_response decode_export_response(std::string_view body, otlp_encoding encoding) {
  using namespace otlp_detail;
  decoded_response out;
  if (encoding == otlp_encoding::json) {
    json doc;
    try {
      doc = json::parse(body.begin(), body.end());
    } catch (const json::parse_error& e) {
      throw decode_error(std::string("OTLP/JSON response: not valid JSON: ") + e.what());
    }
    expect_object(doc, "response");
    if (const json* ps = member(doc, "partialSuccess")) {
      expect_object(*ps, "response.partialSuccess");
      out.has_partial_success = true;
      if (const json* r = member(*ps, "rejectedSpans"))
        out.rejected_spans = signed_value(*r, "response.partialSuccess.rejectedSpans");
      out.error_message = string_member(*ps, "errorMessage", "response.partialSuccess");
    }
    return out;
  }
  pb_reader r(body, 0, "ExportTraceServiceResponse");
  pb_field f;
  while (r.next(f)) {
    if (f.number != 1) continue;
    out.has_partial_success = true;
    pb_reader ps = r.sub(f, "partial_success", "ExportTraceServiceResponse.partial_success");
    pb_field g;
    while (ps.next(g)) {
      if (g.number == 1)
        out.rejected_spans = ps.as_int64(g, "rejected_spans");
      else if (g.number == 2)
        out.error_message = ps.as_string(g, "error_message");
    }
  }
  return out;
}

inline std::string encode_rpc_status(otlp_encoding encoding, std::int32_t code, std::string_view message) {
  if (encoding == otlp_encoding::json) {
    return nlohmann::json{{"code", code}, {"message", std::string(message)}}.dump();
  }
  using namespace otlp_detail;
  std::string out;
  if (code != 0) {
    put_tag(out, 1, wt_varint);
    put_varint(out, static_cast<std::uint64_t>(static_cast<std::int64_t>(code)));
  }
  if (!message.empty()) put_len(out, 2, message);
  return out;
}

inline decoded_rpc_status decode_rpc_status(std::string_view body, otlp_encoding encoding) {
  using namespace otlp_detail;
  decoded_rpc_status out;
  if (encoding == otlp_encoding::json) {
    json doc;
    try {
      doc = json::parse(body.begin(), body.end());
    } catch (const json::parse_error& e) {
      throw decode_error(std::string("google.rpc.Status JSON: not valid JSON: ") + e.what());
    }
    expect_object(doc, "status");
    out.code = enum_member(doc, "code", "status");
    out.message = string_member(doc, "message", "status");
    return out;
  }
  pb_reader r(body, 0, "google.rpc.Status");
  pb_field f;
  while (r.next(f)) {
    if (f.number == 1)
      out.code = r.as_enum(f, "code");
    else if (f.number == 2)
      out.message = r.as_string(f, "message");
  }
  return out;
}

inline std::string to_hex(std::string_view bytes) { return otlp_detail::hex_of(bytes); }
inline std::string base64_encode(std::string_view bytes) { return otlp_detail::b64_encode(bytes); }

}  // namespace llmtrace_test
