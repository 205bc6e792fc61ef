#include <doctest/doctest.h>
#include <llmtrace/detail/span_pool.hpp>

#include <algorithm>
#include <set>
#include <thread>
#include <vector>

using llmtrace::span_data;
using llmtrace::detail::span_pool;

namespace {
std::vector<span_data*> acquire_n(std::size_t n) {
  std::vector<span_data*> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(span_pool::acquire());
  return out;
}
std::size_t common(const std::vector<span_data*>& a, const std::vector<span_data*>& b) {
  const std::set<span_data*> sa(a.begin(), a.end());
  return static_cast<std::size_t>(std::count_if(b.begin(), b.end(), [&](span_data* r) { return sa.count(r) != 0; }));
}
}  // namespace

TEST_CASE("records released on another thread go back to the thread that acquired them") {
  constexpr std::size_t n = 600;
  std::vector<span_data*> first, again, other;
  std::thread owner([&] {
    first = acquire_n(n);
    for (auto* r : first) r->set_name("filled by the owner");
    // Another thread (an exporter, say) releases them, as one batch and one at a time.
    std::thread([&] {
      span_pool::release(first.data(), n / 2);
      for (std::size_t i = n / 2; i < n; ++i) span_pool::release(first[i]);
    }).join();
    // A third thread acquiring meanwhile gets none of them: they wait for their owner.
    std::thread([&] {
      other = acquire_n(n);
      for (auto* r : other) span_pool::release(r);  // its own: kept on its own home
    }).join();
    again = acquire_n(n);
    for (auto* r : again) {
      CHECK(r->name().empty());  // reset when handed out again
      span_pool::release(r);
    }
  });
  owner.join();
  CHECK(common(first, other) == 0);
  CHECK(common(first, again) == n);  // every one of them came back to the owner
}

TEST_CASE("an exited thread's records serve other threads") {
  constexpr std::size_t n = 300;
  std::vector<span_data*> theirs, mine;
  std::thread([&] {
    theirs = acquire_n(n);
    for (auto* r : theirs) span_pool::release(r);
  }).join();
  std::thread([&] {
    mine = acquire_n(n);  // a new thread adopts the exited one's home or draws on the global list
    for (auto* r : mine) span_pool::release(r);
  }).join();
  CHECK(common(theirs, mine) == n);
}

TEST_CASE("records released by a thread that never acquired one (no pool home) go back to their owner") {
  std::vector<span_data*> first, again;
  std::thread owner([&] {
    first = acquire_n(64);
    std::thread([&] { span_pool::release(first.data(), first.size()); }).join();
    again = acquire_n(64);
    span_pool::release(again.data(), again.size());
  });
  owner.join();
  CHECK(common(first, again) == 64);
}
