// Tests for llmtrace/processor.hpp: simple_processor's accounting (exported, failed exports, spans
// ended after shutdown), one exporter shutdown however often the processor is shut down, and no
// export after the exporter's shutdown, also for a span that was waiting for the exporter meanwhile.
#include "test_support.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

using namespace llmtrace;

namespace {

// An exporter that counts, can fail, and can hold its first export until released.
struct probe_exporter final : exporter {
  struct state {
    std::mutex mu;
    std::condition_variable cv;
    bool hold_first = false, holding = false, released = false;
    int exports = 0, shutdowns = 0, exports_after_shutdown = 0;
    bool fail = false;
  };
  std::shared_ptr<state> st;
  explicit probe_exporter(std::shared_ptr<state> s) : st(std::move(s)) {}
  export_result export_batch(const span_batch& spans) noexcept override {
    std::unique_lock<std::mutex> lk(st->mu);
    if (st->shutdowns > 0) ++st->exports_after_shutdown;
    st->exports += static_cast<int>(spans.size());
    if (st->hold_first && !st->released) {
      st->holding = true;
      st->cv.notify_all();
      st->cv.wait(lk, [&] { return st->released; });
    }
    return st->fail ? export_result::failure : export_result::success;
  }
  bool shutdown(std::chrono::milliseconds) noexcept override {
    std::lock_guard<std::mutex> lk(st->mu);
    ++st->shutdowns;
    return true;
  }
};

struct probe_provider {
  std::shared_ptr<probe_exporter::state> st = std::make_shared<probe_exporter::state>();
  simple_processor* proc = nullptr;
  std::shared_ptr<tracer_provider> provider;
  tracer t;
  probe_provider() {
    auto p = std::make_unique<simple_processor>(std::make_unique<probe_exporter>(st));
    proc = p.get();
    provider_options o;
    o.processors.push_back(std::move(p));
    provider = std::make_shared<tracer_provider>(std::move(o));
    t = provider->get_tracer("test");
  }
  void one(const char* name) { span s(t, name); }
};

}  // namespace

TEST_CASE("simple_processor counts exported, failed and after-shutdown spans; the exporter shuts down once") {
  probe_provider p;
  p.one("a");
  p.one("b");
  p.st->fail = true;
  p.one("failed");
  p.st->fail = false;
  processor_stats s = p.proc->stats();
  CHECK(s.exported == 2);
  CHECK(s.dropped_export == 1);
  CHECK(s.dropped_shutdown == 0);

  CHECK(p.proc->shutdown(std::chrono::milliseconds(100)));
  CHECK(p.proc->shutdown(std::chrono::milliseconds(100)));  // idempotent
  p.one("late 1");                                          // the provider is still active
  p.one("late 2");
  s = p.proc->stats();
  CHECK(s.exported == 2);
  CHECK(s.dropped_export == 1);
  CHECK(s.dropped_shutdown == 2);
  CHECK(s.dropped() == 3);
  std::lock_guard<std::mutex> lk(p.st->mu);
  CHECK(p.st->exports == 3);
  CHECK(p.st->shutdowns == 1);
  CHECK(p.st->exports_after_shutdown == 0);
}

TEST_CASE("a span ending while shutdown waits for a slow export is dropped, never exported after shutdown") {
  // One thread is inside a held export; a second ends a span (it waits for the exporter, or is turned
  // away at the door); shutdown starts; then the export is released. Whichever of the waiting span
  // and the shutdown gets the exporter first, the exporter must see no batch after its shutdown and
  // the span must be counted as dropped at shutdown. Repeated so that the waiting span often got
  // past the first check before shutdown began.
  for (int round = 0; round < 20; ++round) {
    probe_provider p;
    p.st->hold_first = true;
    std::thread first([&] { p.one("held"); });
    {
      std::unique_lock<std::mutex> lk(p.st->mu);
      p.st->cv.wait(lk, [&] { return p.st->holding; });
    }
    std::thread second([&] { p.one("waiting"); });
    std::thread closer([&] { p.proc->shutdown(std::chrono::milliseconds(1000)); });
    {
      std::lock_guard<std::mutex> lk(p.st->mu);
      p.st->released = true;
    }
    p.st->cv.notify_all();
    first.join();
    second.join();
    closer.join();
    const processor_stats s = p.proc->stats();
    std::lock_guard<std::mutex> lk(p.st->mu);
    CHECK(p.st->exports_after_shutdown == 0);
    CHECK(p.st->shutdowns == 1);
    CHECK(s.exported + s.dropped_shutdown == 2);
    CHECK(s.exported >= 1);  // the held span was exported before shutdown
  }
}
