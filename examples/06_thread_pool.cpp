// 06_thread_pool: context carried into a thread pool. Texts are embedded in parallel batches; each
// task attaches the context captured on the submitting thread, so every `embeddings {model}` span,
// whichever worker ran it, is a child of the one `embed_corpus` span.
#include <llmtrace/llmtrace.hpp>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <mutex>
#include <queue>
#include <string>
#include <thread>
#include <vector>

namespace ollama = llmtrace::ollama;

namespace {

// A minimal fixed-size pool.
class thread_pool {
 public:
  explicit thread_pool(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) workers_.emplace_back([this] { run(); });
  }
  ~thread_pool() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
  }
  template <typename F>
  auto submit(F f) -> std::future<decltype(f())> {
    auto task = std::make_shared<std::packaged_task<decltype(f())()>>(std::move(f));
    auto result = task->get_future();
    {
      std::lock_guard<std::mutex> lk(mu_);
      tasks_.push([task] { (*task)(); });
    }
    cv_.notify_one();
    return result;
  }

 private:
  void run() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [this] { return stop_ || !tasks_.empty(); });
        if (tasks_.empty()) return;
        task = std::move(tasks_.front());
        tasks_.pop();
      }
      task();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::queue<std::function<void()>> tasks_;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace

int main() {
  llmtrace::init_options options;
  options.service_name = "example-thread-pool";
  if (!std::getenv("OTEL_TRACES_EXPORTER")) options.exporter_names = std::vector<std::string>{"console"};
  auto tracing = llmtrace::init(std::move(options));

  const ollama::client client;  // thread-safe: one client for every worker
  const std::string model =
      std::getenv("LLMTRACE_EMBED_MODEL") ? std::getenv("LLMTRACE_EMBED_MODEL") : "nomic-embed-text";
  std::vector<std::string> texts;
  for (int i = 0; i < 12; ++i) texts.push_back("Paragraph " + std::to_string(i) + " of the user manual.");

  thread_pool pool(3);
  std::size_t vectors = 0;
  try {
    llmtrace::span root("embed_corpus");
    root.set_attribute("app.text_count", static_cast<std::int64_t>(texts.size()));
    const llmtrace::context ctx = llmtrace::current_context();  // capture on this thread...
    std::vector<std::future<std::size_t>> results;
    for (std::size_t first = 0; first < texts.size(); first += 4) {
      ollama::embed_request batch;
      batch.model = model;
      batch.input.assign(texts.begin() + static_cast<std::ptrdiff_t>(first),
                         texts.begin() + static_cast<std::ptrdiff_t>(first + 4));
      results.push_back(pool.submit([&client, ctx, batch] {
        llmtrace::context_scope attach(ctx);  // ...attach on the worker: spans here join the trace
        return client.embed(batch).embeddings.size();
      }));
    }
    for (auto& r : results) vectors += r.get();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "embedding failed: %s\n", e.what());
    return 1;
  }
  std::printf("embedded %zu texts into %zu vectors on 3 threads\n\n", texts.size(), vectors);
  return vectors == texts.size() ? 0 : 1;
}
