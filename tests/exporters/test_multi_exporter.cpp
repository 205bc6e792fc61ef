// Tests for llmtrace/exporters/multi.hpp: one batch, several exporters.
#include <llmtrace/exporters/in_memory.hpp>
#include <llmtrace/exporters/multi.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <vector>

using namespace llmtrace;

namespace {

// Records calls; fails export when told to.
struct recording_exporter final : exporter {
  struct log {
    int exports = 0, flushes = 0, shutdowns = 0;
    std::chrono::milliseconds last_timeout{-1};
  };
  recording_exporter(std::shared_ptr<log> l, bool fail) : log_(std::move(l)), fail_(fail) {}
  export_result export_batch(const span_batch&) noexcept override {
    ++log_->exports;
    return fail_ ? export_result::failure : export_result::success;
  }
  bool force_flush(std::chrono::milliseconds t) noexcept override {
    ++log_->flushes;
    log_->last_timeout = t;
    return !fail_;
  }
  bool shutdown(std::chrono::milliseconds t) noexcept override {
    ++log_->shutdowns;
    log_->last_timeout = t;
    return true;
  }
  std::shared_ptr<log> log_;
  bool fail_;
};

}  // namespace

TEST_CASE("every exporter gets every batch; success only when all succeed") {
  auto a = std::make_shared<recording_exporter::log>();
  auto b = std::make_shared<recording_exporter::log>();
  auto store = std::make_shared<in_memory_span_store>();
  multi_exporter m;
  m.add(std::make_unique<recording_exporter>(a, true));
  m.add(nullptr);  // ignored
  m.add(std::make_unique<recording_exporter>(b, false));
  m.add(std::make_unique<in_memory_exporter>(store));
  CHECK(m.size() == 3);

  span_data s;
  s.set_name("x");
  const span_data* p = &s;
  CHECK(m.export_batch(span_batch(&p, 1)) == export_result::failure);  // a failed, the rest still ran
  CHECK(a->exports == 1);
  CHECK(b->exports == 1);
  CHECK(store->size() == 1);

  CHECK_FALSE(m.force_flush(std::chrono::milliseconds(1000)));
  CHECK(a->flushes == 1);
  CHECK(b->flushes == 1);
  CHECK(b->last_timeout <= std::chrono::milliseconds(1000));
  CHECK(m.shutdown(std::chrono::milliseconds(1000)));
  CHECK(a->shutdowns == 1);
  CHECK(b->shutdowns == 1);
}

TEST_CASE("built from a vector; all succeeding means success; empty is fine") {
  auto a = std::make_shared<recording_exporter::log>();
  std::vector<std::unique_ptr<exporter>> v;
  v.push_back(std::make_unique<recording_exporter>(a, false));
  multi_exporter m(std::move(v));
  CHECK(m.export_batch(span_batch(nullptr, 0)) == export_result::success);
  multi_exporter none;
  CHECK(none.empty());
  CHECK(none.export_batch(span_batch(nullptr, 0)) == export_result::success);
  CHECK(none.force_flush(std::chrono::milliseconds(0)));
}
