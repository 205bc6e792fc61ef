// The fake Ollama daemon's models: name normalisation as Ollama does it, deterministic embedding
// vectors, token estimates and the default model list. Pure functions, thread-safe.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "fake_ollama_detail.hpp"

namespace llmtrace_test {
namespace fake_detail {

// ------------------------------------------------------------------------------------------
// Model names
// ------------------------------------------------------------------------------------------

// "llama3.2" -> "llama3.2:latest"; strips the default registry/namespace.
std::string normalize_model(std::string name) {
  for (const char* prefix : {"registry.ollama.ai/library/", "registry.ollama.ai/", "library/"}) {
    const std::size_t n = std::strlen(prefix);
    if (name.size() > n && name.compare(0, n, prefix) == 0) {
      name.erase(0, n);
      break;
    }
  }
  const std::size_t slash = name.rfind('/');
  const std::size_t colon = name.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) name += ":latest";
  return to_lower_ascii(name);
}

bool valid_model_name(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (!(std::isalnum(u) || c == '.' || c == '_' || c == '-' || c == ':' || c == '/')) return false;
  }
  return true;
}

std::string with_tag(const std::string& name) {
  const std::size_t slash = name.rfind('/');
  const std::size_t colon = name.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) return name + ":latest";
  return name;
}

// ------------------------------------------------------------------------------------------
// Embedding vectors
// ------------------------------------------------------------------------------------------

std::vector<double> raw_embedding(const std::string& model, const std::string& text, std::size_t dims) {
  std::vector<double> v(dims, 0.0);
  if (dims == 0) return v;
  // Feature hashing of the lower-cased words: texts sharing words are similar.
  for (const auto& w : split_words(to_lower_ascii(text))) {
    std::string word;
    for (char c : w) {
      if (std::isalnum(static_cast<unsigned char>(c)) || (static_cast<unsigned char>(c) & 0x80U)) word += c;
    }
    if (word.empty()) continue;
    const std::uint64_t h = fnv1a(word);
    v[h % dims] += (h >> 63) ? 1.0 : -1.0;
    v[(h >> 20) % dims] += ((h >> 62) & 1U) ? 0.5 : -0.5;
  }
  // Text-seeded noise: different texts always differ, identical texts are identical.
  std::uint64_t state = fnv1a(model + '\0' + text);
  for (auto& x : v) {
    const double u = static_cast<double>(splitmix64(state) >> 11) / 9007199254740992.0;  // [0,1)
    x += 0.05 * (2.0 * u - 1.0);
  }
  return v;
}

std::vector<double> normalized(std::vector<double> v) {
  double sum = 0;
  for (double x : v) sum += x * x;
  const double norm = std::sqrt(sum);
  if (norm > 0) {
    for (auto& x : v) x /= norm;
  }
  return v;
}

std::int64_t estimate_tokens(const std::string& text) {
  const auto words = static_cast<std::int64_t>(split_words(text).size());
  const auto bytes = static_cast<std::int64_t>((text.size() + 3) / 4);
  return std::max(words, bytes);
}

}  // namespace fake_detail

std::vector<model_spec> default_models() {
  std::vector<model_spec> m;
  {
    model_spec s;
    s.name = "llama3.2";
    m.push_back(s);
  }
  {
    model_spec s;
    s.name = "qwen3";
    s.family = "qwen3";
    s.parameter_size = "8.2B";
    s.thinking = true;
    s.embedding_length = 4096;
    s.context_length = 40960;
    s.size = 5225387923;
    m.push_back(s);
  }
  {
    model_spec s;
    s.name = "cold-llama";
    s.starts_loaded = false;
    m.push_back(s);
  }
  {
    model_spec s;
    s.name = "gemma3";
    s.family = "gemma3";
    s.parameter_size = "4.3B";
    s.tools = false;
    s.vision = true;
    s.embedding_length = 2560;
    s.context_length = 131072;
    s.size = 3338801804;
    s.size_vram = 1602624866;  // 48% in GPU memory: split between GPU and CPU
    m.push_back(s);
  }
  {
    model_spec s;
    s.name = "nomic-embed-text";
    s.family = "nomic-bert";
    s.parameter_size = "137M";
    s.quantization_level = "F16";
    s.completion = false;
    s.tools = false;
    s.embedding = true;
    s.embedding_length = 768;
    s.context_length = 2048;
    s.size = 274302450;
    m.push_back(s);
  }
  {
    model_spec s;
    s.name = "all-minilm";
    s.family = "bert";
    s.parameter_size = "23M";
    s.quantization_level = "F16";
    s.completion = false;
    s.tools = false;
    s.embedding = true;
    s.embedding_length = 384;
    s.context_length = 512;
    s.size = 45960996;
    s.size_vram = 0;  // CPU only
    m.push_back(s);
  }
  {
    model_spec s;
    s.name = "gpt-oss:120b-cloud";
    s.family = "gptoss";
    s.parameter_size = "116.8B";
    s.quantization_level = "MXFP4";
    s.thinking = true;
    s.embedding_length = 2880;
    s.context_length = 131072;
    s.size = 384;
    s.remote_model = "gpt-oss:120b";
    s.remote_host = "https://ollama.com:443";
    m.push_back(s);
  }
  return m;
}

}  // namespace llmtrace_test
