#include "test_support.hpp"

#include <doctest/doctest.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <thread>

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
  CHECK(errs.count_containing("context stack") == 1);
}
