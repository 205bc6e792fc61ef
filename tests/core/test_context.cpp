#include "test_support.hpp"

#include <doctest/doctest.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <utility>

using namespace llmtrace;
using core_test::recording_provider;

TEST_CASE("a captured context parents spans on another thread") {
  recording_provider rp;
  {
    span root(rp.tracer, "request");
    const context ctx = current_context();
    std::thread worker([&] {
      CHECK_FALSE(current_span_context().valid());  // nothing crosses implicitly
      context_scope attach(ctx);
      span s(rp.tracer, "on worker");
    });
    worker.join();
  }
  CHECK(rp.only("on worker").parent_span_id == rp.only("request").context.span_id);
  CHECK(rp.only("on worker").context.trace_id == rp.only("request").context.trace_id);
}

TEST_CASE("std::async tasks join the caller's trace") {
  recording_provider rp;
  {
    span root(rp.tracer, "fan-out");
    std::vector<std::future<void>> fs;
    for (int i = 0; i < 4; ++i)
      fs.push_back(std::async(std::launch::async, [&rp, ctx = current_context(), i] {
        context_scope attach(ctx);
        span s(rp.tracer, "task " + std::to_string(i));
      }));
    for (auto& f : fs) f.get();
  }
  const auto root = rp.only("fan-out");
  for (int i = 0; i < 4; ++i) CHECK(rp.only("task " + std::to_string(i)).parent_span_id == root.context.span_id);
}

TEST_CASE("a worker pool runs tasks under the context they were submitted with") {
  recording_provider rp;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void()>> tasks;
  bool done = false;
  std::thread pool_thread([&] {
    for (;;) {
      std::function<void()> t;
      {
        std::unique_lock<std::mutex> lk(mu);
        cv.wait(lk, [&] { return done || !tasks.empty(); });
        if (tasks.empty()) return;
        t = std::move(tasks.front());
        tasks.pop_front();
      }
      t();
    }
  });
  auto submit = [&](std::function<void()> f) {
    std::lock_guard<std::mutex> lk(mu);
    tasks.push_back([f = std::move(f), ctx = current_context()] {
      context_scope attach(ctx);
      f();
    });
    cv.notify_one();
  };
  {
    span a(rp.tracer, "request a");
    submit([&] { span s(rp.tracer, "job a"); });
  }
  {
    span b(rp.tracer, "request b");
    submit([&] { span s(rp.tracer, "job b"); });
  }
  {
    std::lock_guard<std::mutex> lk(mu);
    done = true;
  }
  cv.notify_one();
  pool_thread.join();
  CHECK(rp.only("job a").parent_span_id == rp.only("request a").context.span_id);
  CHECK(rp.only("job b").parent_span_id == rp.only("request b").context.span_id);
}

TEST_CASE("context_scope restores the previous context and keeps tracestate") {
  recording_provider rp;
  span_context remote;
  remote.trace_id = *trace_id::from_hex("4bf92f3577b34da6a3ce929d0e0e4736");
  remote.span_id = *span_id::from_hex("00f067aa0ba902b7");
  remote.trace_flags = 1;
  remote.is_remote = true;
  {
    context_scope attach(context(remote, "vendor=abc"));
    CHECK(current_context().trace_state() == "vendor=abc");
    span s(rp.tracer, "server work", span_kind::server);
    CHECK(current_context().trace_state() == "vendor=abc");
  }
  CHECK_FALSE(current_span_context().valid());
  const auto s = rp.only("server work");
  CHECK(s.parent_is_remote);
  CHECK(s.trace_state == "vendor=abc");
  CHECK(s.context.trace_id == remote.trace_id);
}

TEST_CASE("very deep nesting degrades without corrupting the stack") {
  core_test::captured_errors errs;
  recording_provider rp;
  std::vector<span> spans;
  spans.reserve(200);
  for (int i = 0; i < 200; ++i) spans.emplace_back(rp.tracer, "deep");
  while (!spans.empty()) spans.pop_back();
  CHECK_FALSE(current_span_context().valid());
  CHECK(rp.store->size() == 200);
  CHECK(errs.count("context stack") == 1);
}

// ---- A span guard moved to another thread (defect: the guard remembered only a depth in the starting
// thread's stack, and that stack pointed into the span's pooled record). It may be ended anywhere;
// ending it never changes another thread's current span; the starting thread's current context is
// never a recycled record. These run under ASan and TSan too.

TEST_CASE("a current span moved to a worker and ended there leaves the worker's own current span alone") {
  recording_provider rp;
  span_context worker_current_after;
  span_context worker_own;
  {
    span moved(rp.tracer, "moved");  // current on this thread, depth 1
    std::thread worker([&, s = std::move(moved)]() mutable {
      span own(rp.tracer, "worker own");  // the worker's current span, also depth 1
      worker_own = own.span_context();
      s.set_attribute("ended.on", "worker");
      s.end();
      worker_current_after = current_span_context();
    });
    worker.join();
    // The moved span ended on the worker: it is no longer the current span here.
    CHECK_FALSE(current_span_context().valid());
    span later(rp.tracer, "later");
    CHECK(later.span_context().trace_id != rp.only("moved").context.trace_id);  // a new root
  }
  CHECK(worker_current_after.span_id == worker_own.span_id);
  CHECK(rp.only("moved").attributes.get_string("ended.on") == "worker");
  CHECK_FALSE(rp.only("later").has_parent());
}

TEST_CASE("after a moved child ends elsewhere, the starting thread's spans have its parent as parent") {
  recording_provider rp;
  {
    span outer(rp.tracer, "outer");
    span moved(rp.tracer, "moved");
    auto done = std::async(std::launch::async, [s = std::move(moved)]() mutable {
      s.end();
      return current_span_context().valid();
    });
    CHECK_FALSE(done.get());
    // Many spans later the record of "moved" has been recycled; the current span here is "outer".
    for (int i = 0; i < 200; ++i) span filler(rp.tracer, "filler");
    span child(rp.tracer, "child");
    CHECK(child.span_context().trace_id == outer.span_context().trace_id);
    CHECK(current_span_context().span_id == child.span_context().span_id);
  }
  CHECK(rp.only("child").parent_span_id == rp.only("outer").context.span_id);
  CHECK(rp.only("moved").parent_span_id == rp.only("outer").context.span_id);
}

TEST_CASE("a moved span still open stays the starting thread's current span; inner spans survive its end") {
  recording_provider rp;
  std::promise<void> go;
  std::future<void> ended;
  {
    span moved(rp.tracer, "moved");
    ended = std::async(std::launch::async, [s = std::move(moved), g = go.get_future()]() mutable {
      g.wait();
      s.end();
    });
    {
      span inner(rp.tracer, "inner");  // child of "moved", which has not ended yet
      go.set_value();
      ended.get();
      CHECK(current_span_context().span_id == inner.span_context().span_id);  // the inner span is still current
    }
    CHECK_FALSE(current_span_context().valid());  // "moved" ended: nothing is current
  }
  CHECK(rp.only("inner").parent_span_id == rp.only("moved").context.span_id);
}

TEST_CASE("a span moved to a worker and back ends on its thread like any other") {
  recording_provider rp;
  {
    span outer(rp.tracer, "outer");
    std::optional<span> held;
    held.emplace(rp.tracer, "round trip");
    const auto round_trip = held->span_context();
    auto back = std::async(std::launch::async, [s = std::move(*held)]() mutable {
                  s.set_attribute("visited", "worker");
                  return std::move(s);
                }).get();
    held.reset();
    CHECK(current_span_context().span_id == round_trip.span_id);
    back.end();
    CHECK(current_span_context().span_id == outer.span_context().span_id);
  }
  CHECK(rp.only("round trip").attributes.get_string("visited") == "worker");
  CHECK(rp.only("round trip").parent_span_id == rp.only("outer").context.span_id);
}

TEST_CASE("a span that outlives its starting thread ends safely, and the thread's stack is reused") {
  recording_provider rp;
  std::optional<span> from_dead_thread;
  std::thread starter([&] { from_dead_thread.emplace(rp.tracer, "orphan"); });
  starter.join();  // the starting thread has exited; its stack went back to the pool
  std::thread reuser([&] {
    span s(rp.tracer, "on a new thread");
    CHECK(current_span_context().span_id == s.span_context().span_id);
    from_dead_thread->end();  // must not disturb this thread, whichever stack it was given
    CHECK(current_span_context().span_id == s.span_context().span_id);
  });
  reuser.join();
  CHECK(rp.store->size() == 2);
  CHECK_FALSE(rp.only("on a new thread").has_parent());
}
