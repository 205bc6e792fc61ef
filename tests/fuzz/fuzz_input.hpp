// tests/fuzz/fuzz_input.hpp: splits a libFuzzer input into the pieces a target needs (numbers,
// bytes, strings cut at a separator), deterministically and without ever reading past the end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fuzz {

class input {
 public:
  input(const std::uint8_t* data, std::size_t size) : rest_(reinterpret_cast<const char*>(data), size) {}
  bool empty() const noexcept { return rest_.empty(); }
  /// One byte (0 when nothing is left).
  std::uint8_t byte() noexcept {
    if (rest_.empty()) return 0;
    const auto b = static_cast<std::uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return b;
  }
  std::uint64_t u64() noexcept {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | byte();
    return v;
  }
  /// The bytes up to the next `sep` (removed), or everything left.
  std::string_view until(char sep) noexcept {
    const auto at = rest_.find(sep);
    const std::string_view piece = rest_.substr(0, at);
    rest_.remove_prefix(at == std::string_view::npos ? rest_.size() : at + 1);
    return piece;
  }
  /// Everything left.
  std::string_view rest() noexcept {
    const std::string_view r = rest_;
    rest_ = {};
    return r;
  }

 private:
  std::string_view rest_;
};

/// Cuts `bytes` into pieces at positions chosen by `cuts` (each byte: the next piece's length, 0 =
/// 1 byte), the last piece taking the remainder: arbitrary read boundaries.
inline std::vector<std::string_view> split_points(std::string_view bytes, std::string_view cuts) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  for (char c : cuts) {
    if (bytes.empty()) break;
    const std::size_t n = static_cast<unsigned char>(c) % 64 + 1;
    if (n >= bytes.size()) break;
    out.push_back(bytes.substr(0, n));
    bytes.remove_prefix(n);
    ++i;
  }
  if (!bytes.empty()) out.push_back(bytes);
  return out;
}

}  // namespace fuzz
