// RAG costs outside the model, each beside its floor:
// - search: exact cosine top-4 over N chunks of 768 dims (in_memory_vector_store), in queries per
//   second; floor: one pass summing the same floats (any exact search reads every row once, so
//   memory bandwidth bounds it).
// - ingest per chunk without the model: split text (rag::chunker), attach a stub embedding (a copy
//   of a precomputed vector), normalise and store; floor: copying the vectors into one array.
#include <llmtrace/rag/chunker.hpp>
#include <llmtrace/rag/vector_store.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace rag = llmtrace::rag;

namespace {

constexpr std::size_t dims = 768;
constexpr std::size_t top_k = 4;

/// Deterministic pseudo-random floats in [-1, 1) (xorshift: fast enough to fill 100k x 768).
struct rng {
  std::uint64_t s = 0x9E3779B97F4A7C15ULL;
  float next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return static_cast<float>(static_cast<double>(s >> 40) / static_cast<double>(1ULL << 23) - 1.0);
  }
};

std::vector<float> random_vector(rng& r) {
  std::vector<float> v(dims);
  for (auto& x : v) x = r.next();
  return v;
}

/// A store of `n` random chunks, built once per size.
const rag::in_memory_vector_store& store_of(std::size_t n) {
  static std::map<std::size_t, std::unique_ptr<rag::in_memory_vector_store>> stores;
  auto& s = stores[n];
  if (!s) {
    s = std::make_unique<rag::in_memory_vector_store>("bench", dims);
    s->reserve(n);
    rng r;
    std::vector<rag::vector_record> batch;
    for (std::size_t i = 0; i < n; ++i) {
      batch.push_back({"doc#" + std::to_string(i), "chunk text", "bench", random_vector(r)});
      if (batch.size() == 1024 || i + 1 == n) s->add(std::move(batch)), batch.clear();
    }
  }
  return *s;
}

/// The same amount of float data as a store of `n` chunks, for the floor.
const std::vector<float>& raw_of(std::size_t n) {
  static std::map<std::size_t, std::vector<float>> raws;
  auto& v = raws[n];
  if (v.empty()) {
    rng r;
    v.resize(n * dims);
    for (auto& x : v) x = r.next();
  }
  return v;
}

void BM_search(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto& store = store_of(n);
  rng r;
  r.s = 12345;
  const std::vector<float> query = random_vector(r);
  for (auto _ : state) {
    auto results = store.search(query, top_k);
    benchmark::DoNotOptimize(results.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));  // items/s = queries/s
  state.counters["GB/s"] = benchmark::Counter(static_cast<double>(n * dims * sizeof(float)) * 1e-9,
                                              benchmark::Counter::kIsIterationInvariantRate);
}

/// Floor: read every float once (four independent sums per 16 floats, which the compiler keeps in
/// SIMD registers as it does for the search's dot product).
void BM_search_floor_scan(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto& v = raw_of(n);
  for (auto _ : state) {
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    float s8 = 0, s9 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0, s14 = 0, s15 = 0;
    for (std::size_t i = 0; i + 16 <= v.size(); i += 16) {
      const float* x = v.data() + i;
      s0 += x[0], s1 += x[1], s2 += x[2], s3 += x[3], s4 += x[4], s5 += x[5], s6 += x[6], s7 += x[7];
      s8 += x[8], s9 += x[9], s10 += x[10], s11 += x[11], s12 += x[12], s13 += x[13], s14 += x[14], s15 += x[15];
    }
    float total =
        ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)) + ((s8 + s9) + (s10 + s11)) + ((s12 + s13) + (s14 + s15));
    benchmark::DoNotOptimize(total);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["GB/s"] = benchmark::Counter(static_cast<double>(n * dims * sizeof(float)) * 1e-9,
                                              benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK(BM_search_floor_scan)->Arg(10000)->Arg(100000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_search)->Arg(10000)->Arg(100000)->Unit(benchmark::kMicrosecond);

// ---- ingest without the model ----

/// About 64 KB of markdown-like prose: headings, paragraphs, sentences.
const std::string& corpus_text() {
  static const std::string text = [] {
    std::string t;
    for (int p = 0; t.size() < 64 * 1024; ++p) {
      t += "## Section " + std::to_string(p) + "\n\n";
      for (int s = 0; s < 6; ++s)
        t += "Sentence " + std::to_string(s) +
             " explains how spans, traces and retrieval scores fit together "
             "in a pipeline that answers questions. ";
      t += "\n\n";
    }
    return t;
  }();
  return text;
}

const std::vector<std::vector<float>>& stub_embeddings() {
  static const std::vector<std::vector<float>> pool = [] {
    rng r;
    std::vector<std::vector<float>> p;
    for (int i = 0; i < 64; ++i) p.push_back(random_vector(r));
    return p;
  }();
  return pool;
}

void BM_ingest_per_chunk(benchmark::State& state) {
  const rag::chunker chunker({1000, 150});
  const auto& text = corpus_text();
  const auto& pool = stub_embeddings();
  std::size_t chunks = 0;
  for (auto _ : state) {
    rag::in_memory_vector_store store("bench", dims);
    std::vector<rag::vector_record> records;
    for (auto& c : chunker.split(text)) {
      records.push_back({"doc#" + std::to_string(c.index), std::move(c.text), "bench.md", pool[c.index % pool.size()]});
    }
    chunks += records.size();
    store.add(std::move(records));
    benchmark::DoNotOptimize(store.size());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(chunks));  // items/s = chunks/s
}

void BM_ingest_chunk_only(benchmark::State& state) {
  const rag::chunker chunker({1000, 150});
  const auto& text = corpus_text();
  std::size_t chunks = 0;
  for (auto _ : state) {
    const auto out = chunker.split(text);
    chunks += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(chunks));
}

/// Floor: copy as many 768-float vectors as the text has chunks into one contiguous array.
void BM_ingest_floor_copy(benchmark::State& state) {
  const std::size_t n = rag::chunker({1000, 150}).split(corpus_text()).size();
  const auto& pool = stub_embeddings();
  std::size_t chunks = 0;
  for (auto _ : state) {
    std::vector<float> all;
    all.reserve(n * dims);
    for (std::size_t i = 0; i < n; ++i)
      all.insert(all.end(), pool[i % pool.size()].begin(), pool[i % pool.size()].end());
    chunks += n;
    benchmark::DoNotOptimize(all.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(chunks));
}

BENCHMARK(BM_ingest_floor_copy);
BENCHMARK(BM_ingest_chunk_only);
BENCHMARK(BM_ingest_per_chunk);

}  // namespace

BENCHMARK_MAIN();
