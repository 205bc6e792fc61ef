// Tests for llmtrace/rag/vector_store.hpp: exact cosine top-k, ties, k beyond the size, empty store,
// normalisation on insert, dimension checks, and agreement with a brute-force reference.
#include <llmtrace/rag/vector_store.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace rag = llmtrace::rag;

namespace {

rag::vector_record rec(std::string id, std::vector<float> v) {
  return rag::vector_record{id, "text of " + id, "src/" + id, std::move(v)};
}

std::vector<std::string> ids(const std::vector<rag::search_result>& r) {
  std::vector<std::string> out;
  for (const auto& x : r) out.push_back(x.id);
  return out;
}

}  // namespace

TEST_CASE("an empty store returns nothing") {
  rag::in_memory_vector_store s;
  CHECK(s.size() == 0);
  CHECK(s.search({1, 0, 0}, 3).empty());
  CHECK(s.name() == "in_memory");
}

TEST_CASE("known nearest neighbours, best first, with text and source") {
  rag::in_memory_vector_store s("docs");
  s.add({rec("x", {1, 0, 0}), rec("y", {0, 1, 0}), rec("xy", {1, 1, 0}), rec("-x", {-1, 0, 0})});
  CHECK(s.size() == 4);
  CHECK(s.dimension() == 3);
  const auto r = s.search({2, 0.1f, 0}, 3);
  REQUIRE(r.size() == 3);
  CHECK(ids(r) == std::vector<std::string>{"x", "xy", "y"});
  CHECK(r[0].text == "text of x");
  CHECK(r[0].source == "src/x");
  CHECK(r[0].score == doctest::Approx(2 / std::sqrt(4.01)).epsilon(1e-5));
  CHECK(r[1].score == doctest::Approx((2 + 0.1) / std::sqrt(4.01) / std::sqrt(2.0)).epsilon(1e-5));
  // The opposite vector scores -1.
  const auto all = s.search({1, 0, 0}, 10);
  CHECK(all.back().id == "-x");
  CHECK(all.back().score == doctest::Approx(-1.0));
}

TEST_CASE("vectors are normalised on insert: scale does not change the ranking") {
  rag::in_memory_vector_store s;
  s.add({rec("small", {0.001f, 0.001f}), rec("big", {1000, 0})});
  const auto r = s.search({1, 1}, 2);
  CHECK(r[0].id == "small");
  CHECK(r[0].score == doctest::Approx(1.0));
  CHECK(r[1].score == doctest::Approx(std::sqrt(0.5)));
}

TEST_CASE("k larger than the store returns everything; k = 0 returns nothing") {
  rag::in_memory_vector_store s;
  s.add({rec("a", {1, 0}), rec("b", {0, 1})});
  CHECK(s.search({1, 0}, 100).size() == 2);
  CHECK(s.search({1, 0}, 0).empty());
}

TEST_CASE("equal scores come in insertion order, whatever k is") {
  rag::in_memory_vector_store s;
  // Five identical vectors and one better one in the middle.
  s.add({rec("t0", {1, 1}), rec("t1", {1, 1}), rec("best", {1, 0}), rec("t2", {1, 1}), rec("t3", {1, 1})});
  s.add(rec("t4", {2, 2}));
  CHECK(ids(s.search({1, 0}, 3)) == std::vector<std::string>{"best", "t0", "t1"});
  CHECK(ids(s.search({1, 0}, 6)) == std::vector<std::string>{"best", "t0", "t1", "t2", "t3", "t4"});
  // Repeated searches give the same order.
  for (int i = 0; i < 5; ++i) CHECK(ids(s.search({1, 0}, 4)) == std::vector<std::string>{"best", "t0", "t1", "t2"});
}

TEST_CASE("dimension mismatches and non-finite values are rejected without changing the store") {
  rag::in_memory_vector_store s("s", 3);
  CHECK_THROWS_AS(s.add({rec("ok", {1, 0, 0}), rec("bad", {1, 0})}), std::invalid_argument);
  CHECK(s.size() == 0);
  CHECK_THROWS_AS(s.add(rec("nan", {1, std::nanf(""), 0})), std::invalid_argument);
  CHECK(s.size() == 0);
  s.add(rec("ok", {1, 0, 0}));
  CHECK(s.size() == 1);
  CHECK_THROWS_AS((void)s.search({1, 0}, 1), std::invalid_argument);
  CHECK_THROWS_AS(s.add(rec("empty", {})), std::invalid_argument);
}

TEST_CASE("a zero vector is stored and scores 0") {
  rag::in_memory_vector_store s;
  s.add({rec("zero", {0, 0}), rec("one", {0, 1})});
  const auto r = s.search({0, 1}, 2);
  CHECK(r[0].id == "one");
  CHECK(r[1].id == "zero");
  CHECK(r[1].score == 0.0f);
}

TEST_CASE("top-k agrees with a brute-force sort on random 768-dimensional data") {
  std::mt19937 rng(42);
  std::normal_distribution<float> nd;
  constexpr std::size_t dim = 768, n = 1500;
  std::vector<std::vector<float>> vs(n, std::vector<float>(dim));
  rag::in_memory_vector_store s;
  std::vector<rag::vector_record> batch;
  for (std::size_t i = 0; i < n; ++i) {
    for (auto& x : vs[i]) x = nd(rng);
    batch.push_back(rec("r" + std::to_string(i), vs[i]));
  }
  s.add(std::move(batch));
  for (int q = 0; q < 5; ++q) {
    std::vector<float> query(dim);
    for (auto& x : query) x = nd(rng);
    std::vector<std::pair<double, std::size_t>> ref;
    double qn = 0;
    for (float x : query) qn += double(x) * double(x);
    for (std::size_t i = 0; i < n; ++i) {
      double d = 0, vn = 0;
      for (std::size_t k = 0; k < dim; ++k) {
        d += double(query[k]) * double(vs[i][k]);
        vn += double(vs[i][k]) * double(vs[i][k]);
      }
      ref.push_back({d / std::sqrt(qn * vn), i});
    }
    std::sort(ref.begin(), ref.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    const auto got = s.search(query, 10);
    REQUIRE(got.size() == 10);
    for (std::size_t k = 0; k < 10; ++k) {
      CHECK(got[k].id == "r" + std::to_string(ref[k].second));
      CHECK(got[k].score == doctest::Approx(ref[k].first).epsilon(1e-4));
    }
  }
}

TEST_CASE("the dot product handles every tail length") {
  for (std::size_t n = 0; n < 40; ++n) {
    std::vector<float> a(n), b(n);
    double ref = 0;
    for (std::size_t i = 0; i < n; ++i) {
      a[i] = static_cast<float>(i) * 0.5f - 3;
      b[i] = 1.0f / static_cast<float>(i + 1);
      ref += double(a[i]) * double(b[i]);
    }
    CHECK(rag::detail::dot(a.data(), b.data(), n) == doctest::Approx(ref).epsilon(1e-5));
  }
}

TEST_CASE("concurrent searches while adding see consistent results") {
  rag::in_memory_vector_store s;
  s.add(rec("first", {1, 0, 0, 0}));
  std::thread writer([&] {
    for (int i = 0; i < 200; ++i) s.add(rec("w" + std::to_string(i), {0, 1, float(i), 1}));
  });
  for (int i = 0; i < 200; ++i) {
    const auto r = s.search({1, 0, 0, 0}, 1);
    REQUIRE(r.size() == 1);
    CHECK(r[0].id == "first");
  }
  writer.join();
  CHECK(s.size() == 201);
}

TEST_CASE("the interface can be implemented by another store") {
  struct counting_store final : rag::vector_store {
    std::size_t n = 0;
    void add(std::vector<rag::vector_record> r) override { n += r.size(); }
    std::vector<rag::search_result> search(const std::vector<float>&, std::size_t) const override { return {}; }
    std::size_t size() const override { return n; }
    std::string name() const override { return "counting"; }
  };
  counting_store c;
  rag::vector_store& base = c;
  base.add({rec("a", {1})});
  CHECK(base.size() == 1);
  CHECK(base.name() == "counting");
}
