// Fuzz target: parse_json (depth-limited) against nlohmann's own parser: the same verdict and value
// whenever the input nests within the limit, and never a crash when it does not.
#include <llmtrace/detail/json_parse.hpp>

#include <nlohmann/json.hpp>

#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto small = llmtrace::detail::parse_json(text, 8);
  const auto r = llmtrace::detail::parse_json<nlohmann::ordered_json>(text);
  if (small.ok() && !r.ok()) __builtin_trap();  // a looser limit accepts what a stricter one does
  if (r.too_deep) return 0;                     // nlohmann's recursive operations must not see it
  const auto reference = nlohmann::json::parse(text, nullptr, false);
  if (reference.is_discarded() != !r.ok()) __builtin_trap();
  if (r.ok() && nlohmann::json::parse(r.value.dump()) != reference) __builtin_trap();
  return 0;
}
