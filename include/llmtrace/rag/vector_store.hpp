// llmtrace/rag/vector_store.hpp: where a RAG pipeline keeps chunk vectors: the vector_store
// interface (implement it over your database) and in_memory_vector_store, an exact cosine search
// over contiguous float rows. Standard headers only.
// Thread-safety: in_memory_vector_store allows concurrent searches; add() takes an exclusive lock.
#pragma once

#include <llmtrace/config.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

LLMTRACE_BEGIN_NAMESPACE
namespace rag {

/// A chunk to store with its vector.
struct vector_record {
  std::string id;      ///< unique id, e.g. "README.md#3"
  std::string text;    ///< the chunk text given to the model as context
  std::string source;  ///< where it came from (file, URL), shown with answers
  std::vector<float> vector;
};

/// One search hit.
struct search_result {
  std::string id;
  std::string text;
  std::string source;
  float score = 0;  ///< cosine similarity in [-1, 1]; higher is closer
};

/// The storage a rag_pipeline retrieves from. Implement it to put a database behind the pipeline.
class vector_store {
 public:
  virtual ~vector_store() = default;
  /// Stores records (a store may normalise or copy the vectors). Throws std::invalid_argument for
  /// vectors of the wrong dimension.
  virtual void add(std::vector<vector_record> records) = 0;
  /// The `k` records closest to `query`, best first; fewer when the store holds fewer than k, none
  /// when it is empty or k is 0. Equal scores come in insertion order.
  virtual std::vector<search_result> search(const std::vector<float>& query, std::size_t k) const = 0;
  /// Number of records stored.
  virtual std::size_t size() const = 0;
  /// The store's name as the retrieval span reports it (gen_ai.data_source.id).
  virtual std::string name() const = 0;
  /// True when searches run in this process (the retrieval span is then INTERNAL); a store behind
  /// a network call returns false (CLIENT).
  virtual bool in_process() const { return true; }
};

namespace detail {

/// Dot product with 16 independent accumulators written out as straight-line code: the compiler's
/// SLP vectoriser keeps them in SIMD registers (4 x 4 lanes with SSE2) without -ffast-math, as no
/// single running sum has to be reassociated.
inline float dot(const float* a, const float* b, std::size_t n) noexcept {
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
  float s8 = 0, s9 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0, s14 = 0, s15 = 0;
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const float* x = a + i;
    const float* y = b + i;
    s0 += x[0] * y[0];
    s1 += x[1] * y[1];
    s2 += x[2] * y[2];
    s3 += x[3] * y[3];
    s4 += x[4] * y[4];
    s5 += x[5] * y[5];
    s6 += x[6] * y[6];
    s7 += x[7] * y[7];
    s8 += x[8] * y[8];
    s9 += x[9] * y[9];
    s10 += x[10] * y[10];
    s11 += x[11] * y[11];
    s12 += x[12] * y[12];
    s13 += x[13] * y[13];
    s14 += x[14] * y[14];
    s15 += x[15] * y[15];
  }
  float tail = 0;
  for (; i < n; ++i) tail += a[i] * b[i];
  return (((s0 + s4) + (s8 + s12)) + ((s1 + s5) + (s9 + s13))) +
         (((s2 + s6) + (s10 + s14)) + ((s3 + s7) + (s11 + s15))) + tail;
}

/// Scales `v` to unit length in place; a zero vector stays zero. Returns false for a non-finite value.
inline bool normalise(float* v, std::size_t n) noexcept {
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum += static_cast<double>(v[i]) * static_cast<double>(v[i]);
  if (!std::isfinite(sum)) return false;
  if (sum <= 0) return true;
  const auto inv = static_cast<float>(1.0 / std::sqrt(sum));
  for (std::size_t i = 0; i < n; ++i) v[i] *= inv;
  return true;
}

/// A candidate during top-k selection: higher score first, then lower row (insertion order).
struct scored_row {
  float score;
  std::size_t row;
};
inline bool better(const scored_row& a, const scored_row& b) noexcept {
  return a.score > b.score || (a.score == b.score && a.row < b.row);
}

/// The k best rows of `scores` (best first, ties by row), with a bounded heap: O(n log k).
inline std::vector<scored_row> top_k(const float* scores, std::size_t n, std::size_t k) {
  std::vector<scored_row> heap;
  if (k == 0 || n == 0) return heap;
  if (k > n) k = n;
  heap.reserve(k);
  // The heap's top is the worst kept candidate (std heap with `better` as "less" keeps the max-by-
  // better, i.e. the worst, at the front).
  for (std::size_t r = 0; r < n; ++r) {
    const scored_row c{scores[r], r};
    if (heap.size() < k) {
      heap.push_back(c);
      std::push_heap(heap.begin(), heap.end(), better);
    } else if (better(c, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), better);
      heap.back() = c;
      std::push_heap(heap.begin(), heap.end(), better);
    }
  }
  std::sort_heap(heap.begin(), heap.end(), better);
  return heap;
}

}  // namespace detail

/// Exact cosine search in memory: vectors are L2-normalised on insert and kept in one contiguous
/// float array, so a query is one dot product per row plus a top-k heap. The dimension is fixed by
/// the constructor or by the first record added. NaN or infinite values are rejected.
class in_memory_vector_store final : public vector_store {
 public:
  /// `dimension` 0: taken from the first record added.
  explicit in_memory_vector_store(std::string name = "in_memory", std::size_t dimension = 0)
      : name_(std::move(name)), dim_(dimension) {}

  void add(std::vector<vector_record> records) override {
    std::unique_lock<std::shared_mutex> lk(mu_);
    std::size_t dim = dim_;
    for (const auto& r : records) {
      if (dim == 0) dim = r.vector.size();
      if (r.vector.size() != dim || dim == 0)
        throw std::invalid_argument("rag::in_memory_vector_store: vector of dimension " +
                                    std::to_string(r.vector.size()) + " for \"" + r.id + "\", expected " +
                                    std::to_string(dim));
    }
    // Validate and normalise everything before changing the store (strong guarantee).
    std::vector<float> rows;
    rows.reserve(records.size() * dim);
    for (const auto& r : records) {
      const std::size_t at = rows.size();
      rows.insert(rows.end(), r.vector.begin(), r.vector.end());
      if (!detail::normalise(rows.data() + at, dim))
        throw std::invalid_argument("rag::in_memory_vector_store: non-finite value in the vector of \"" + r.id + "\"");
    }
    data_.reserve(data_.size() + rows.size());
    entries_.reserve(entries_.size() + records.size());
    dim_ = dim;
    data_.insert(data_.end(), rows.begin(), rows.end());
    for (auto& r : records) entries_.push_back(entry{std::move(r.id), std::move(r.text), std::move(r.source)});
  }

  /// Adds one record.
  void add(vector_record record) {
    std::vector<vector_record> one;
    one.push_back(std::move(record));
    add(std::move(one));
  }

  std::vector<search_result> search(const std::vector<float>& query, std::size_t k) const override {
    std::shared_lock<std::shared_mutex> lk(mu_);
    std::vector<search_result> out;
    const std::size_t n = entries_.size();
    if (n == 0 || k == 0) return out;
    if (query.size() != dim_)
      throw std::invalid_argument("rag::in_memory_vector_store: query of dimension " + std::to_string(query.size()) +
                                  ", expected " + std::to_string(dim_));
    std::vector<float> q(query);
    if (!detail::normalise(q.data(), dim_))
      throw std::invalid_argument("rag::in_memory_vector_store: non-finite value in the query");
    std::vector<float> scores(n);
    const float* row = data_.data();
    for (std::size_t r = 0; r < n; ++r, row += dim_) scores[r] = detail::dot(q.data(), row, dim_);
    const auto best = detail::top_k(scores.data(), n, k);
    out.reserve(best.size());
    for (const auto& b : best) {
      const auto& e = entries_[b.row];
      out.push_back(search_result{e.id, e.text, e.source, b.score});
    }
    return out;
  }

  std::size_t size() const override {
    std::shared_lock<std::shared_mutex> lk(mu_);
    return entries_.size();
  }
  std::string name() const override { return name_; }
  /// The vector dimension (0 until the first record when not given to the constructor).
  std::size_t dimension() const {
    std::shared_lock<std::shared_mutex> lk(mu_);
    return dim_;
  }
  /// Reserves room for `n` records of the store's dimension (or `dimension` when not yet known).
  void reserve(std::size_t n, std::size_t dimension = 0) {
    std::unique_lock<std::shared_mutex> lk(mu_);
    if (dim_ == 0) dim_ = dimension;
    data_.reserve(n * dim_);
    entries_.reserve(n);
  }
  void clear() {
    std::unique_lock<std::shared_mutex> lk(mu_);
    data_.clear();
    entries_.clear();
  }

 private:
  struct entry {
    std::string id, text, source;
  };
  std::string name_;
  mutable std::shared_mutex mu_;
  std::size_t dim_;
  std::vector<float> data_;  // row-major, dim_ floats per entry
  std::vector<entry> entries_;
};

}  // namespace rag
LLMTRACE_END_NAMESPACE
