// The Ollama client's tracing cost and NDJSON throughput (../shared/reference/performance.md: traced vs
// untraced chat <= 5 us added per call). Each traced case has its untraced twin beside it:
// - *_fake: a real HTTP round trip to the in-process fake daemon (tests/support/fake_ollama), the
//   honest end-to-end number (network noise is much larger than the tracing cost: compare medians);
// - *_canned: the same client over an in-memory transport that replays a recorded answer, which
//   isolates the client's own work (encode, parse, spans) from the network.
// Spans go through the batch processor (worker thread alive) to a null exporter.
// ndjson_*: the line reader alone, and reader + JSON decoding, on a realistic 300-chunk chat stream.
#include "alloc_counter.hpp"

#include <llmtrace/batch_processor.hpp>
#include <llmtrace/metrics.hpp>
#include <llmtrace/ollama/client.hpp>
#include <llmtrace/trace.hpp>

#include "fake_ollama.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ol = llmtrace::ollama;
namespace http = llmtrace::http;

namespace {

struct null_exporter final : llmtrace::exporter {
  llmtrace::export_result export_batch(const llmtrace::span_batch& spans) noexcept override {
    benchmark::DoNotOptimize(spans.size());
    return llmtrace::export_result::success;
  }
};

/// Installs a sampled provider with a batch processor as the global provider, once.
void install_provider() {
  static const bool done = [] {
    llmtrace::provider_options o;
    llmtrace::batch_options b;
    b.max_queue_size = 1 << 16;
    o.processors.push_back(std::make_unique<llmtrace::batch_processor>(std::make_unique<null_exporter>(), b));
    llmtrace::set_global_provider(std::make_shared<llmtrace::tracer_provider>(std::move(o)));
    return true;
  }();
  benchmark::DoNotOptimize(done);
}

llmtrace_test::fake_ollama& fake() {
  static llmtrace_test::fake_ollama* f = [] {
    auto* p = new llmtrace_test::fake_ollama();  // lives until exit: benchmarks share it
    p->set_reply("llama3.2", "The sky is blue because of Rayleigh scattering of sunlight.");
    return p;
  }();
  return *f;
}

ol::chat_request request() {
  ol::chat_request r;
  r.model = "llama3.2";
  r.messages.push_back(ol::message::system("Be brief."));
  r.messages.push_back(ol::message::user("Why is the sky blue?"));
  r.options.temperature = 0.2;
  r.options.num_predict = 128;
  return r;
}

/// Installs a meter provider with a manual reader as the global meter provider, once (the GenAI
/// metrics the client records go there; nothing collects them during the run).
void install_meter_provider() {
  static const bool done = [] {
    llmtrace::metrics::meter_provider_options o;
    o.readers.push_back(std::make_unique<llmtrace::metrics::manual_reader>());
    llmtrace::metrics::set_global_meter_provider(std::make_shared<llmtrace::metrics::meter_provider>(std::move(o)));
    return true;
  }();
  benchmark::DoNotOptimize(done);
}

ol::client make_client(bool traced, std::shared_ptr<http::transport> t, bool metered = false) {
  ol::client_options o;
  o.host = fake().base_url();
  o.instrument = traced;
  o.record_metrics = metered;
  o.capture_content = ol::content_capture::no_content;
  o.transport = std::move(t);
  return ol::client(o);
}

/// Replays recorded bodies: the non-streamed answer for send(), the NDJSON lines one per read for
/// stream().
class canned_transport final : public http::transport {
 public:
  canned_transport() {
    // Record the two bodies from the fake through a pass-through transport.
    struct recorder final : http::transport {
      std::shared_ptr<http::transport> inner = std::make_shared<http::curl_transport>();
      std::string body;
      std::vector<std::string> pieces;
      http::response send(const http::request& r) noexcept override {
        auto resp = inner->send(r);
        body = resp.body;
        return resp;
      }
      http::response stream(const http::request& r, const http::data_callback& cb) noexcept override {
        return inner->stream(r, [&](std::string_view b) {
          pieces.emplace_back(b);
          return cb(b);
        });
      }
    };
    auto rec = std::make_shared<recorder>();
    auto c = make_client(false, rec);
    (void)c.chat(request());
    (void)c.chat(request(), [](const ol::chat_response&) { return true; });
    body_ = rec->body;
    // One read per line, as the server flushes them.
    std::string all;
    for (const auto& p : rec->pieces) all += p;
    for (std::size_t pos = 0; pos < all.size();) {
      const auto nl = all.find('\n', pos);
      lines_.push_back(all.substr(pos, nl - pos + 1));
      pos = nl + 1;
    }
  }
  http::response send(const http::request&) noexcept override {
    http::response r;
    r.status = 200;
    r.body = body_;
    return r;
  }
  http::response stream(const http::request&, const http::data_callback& cb) noexcept override {
    http::response r;
    r.status = 200;
    for (const auto& l : lines_)
      if (!cb(l)) {
        r.error = http::error_kind::aborted;
        break;
      }
    return r;
  }
  std::size_t lines() const { return lines_.size(); }

 private:
  std::string body_;
  std::vector<std::string> lines_;
};

std::shared_ptr<canned_transport> canned() {
  static auto t = std::make_shared<canned_transport>();
  return t;
}

void run_chat(benchmark::State& state, bool traced, bool streaming, std::shared_ptr<http::transport> t,
              bool metered = false) {
  install_provider();
  if (metered) install_meter_provider();
  const auto c = make_client(traced, std::move(t), metered);
  const auto req = request();
  const std::uint64_t allocs_before = bench::allocations();
  for (auto _ : state) {
    if (streaming) {
      std::size_t n = 0;
      auto r = c.chat(req, [&](const ol::chat_response&) {
        ++n;
        return true;
      });
      benchmark::DoNotOptimize(n);
      benchmark::DoNotOptimize(r.done);
    } else {
      auto r = c.chat(req);
      benchmark::DoNotOptimize(r.done);
    }
  }
  state.counters["allocs"] =
      static_cast<double>(bench::allocations() - allocs_before) / static_cast<double>(state.iterations());
}

// ---- against the fake daemon over HTTP ----
void chat_fake_untraced(benchmark::State& s) { run_chat(s, false, false, std::make_shared<http::curl_transport>()); }
void chat_fake_traced(benchmark::State& s) { run_chat(s, true, false, std::make_shared<http::curl_transport>()); }
void chat_stream_fake_untraced(benchmark::State& s) {
  run_chat(s, false, true, std::make_shared<http::curl_transport>());
}
void chat_stream_fake_traced(benchmark::State& s) { run_chat(s, true, true, std::make_shared<http::curl_transport>()); }
BENCHMARK(chat_fake_untraced)->UseRealTime();
BENCHMARK(chat_fake_traced)->UseRealTime();
BENCHMARK(chat_stream_fake_untraced)->UseRealTime();
BENCHMARK(chat_stream_fake_traced)->UseRealTime();

/// Traced and untraced calls alternate, so the machine's slow periods hit both alike; reports the
/// median of each and the median of the per-pair difference (the added cost per call). With
/// `same_headers` the untraced call runs inside a remote parent context, so it sends a traceparent
/// too: the difference is then the client's tracing work alone, without the server reading one more
/// header.
void run_interleaved(benchmark::State& state, bool streaming, bool same_headers) {
  install_provider();
  const auto plain = make_client(false, std::make_shared<http::curl_transport>());
  const auto traced = make_client(true, std::make_shared<http::curl_transport>());
  const auto req = request();
  std::vector<double> u, t, d;
  llmtrace::span_context remote;
  remote.trace_id = llmtrace::trace_id::random();
  remote.span_id = llmtrace::span_id::random();
  remote.is_remote = true;
  const auto one = [&](const ol::client& c) {
    std::optional<llmtrace::context_scope> parent;
    if (same_headers && !c.config().instrument) parent.emplace(llmtrace::context(remote));
    const auto t0 = std::chrono::steady_clock::now();
    if (streaming) {
      auto r = c.chat(req, [](const ol::chat_response&) { return true; });
      benchmark::DoNotOptimize(r.done);
    } else {
      auto r = c.chat(req);
      benchmark::DoNotOptimize(r.done);
    }
    return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  };
  bool traced_first = false;
  for (auto _ : state) {
    double a, b;
    if (traced_first) {
      b = one(traced);
      a = one(plain);
    } else {
      a = one(plain);
      b = one(traced);
    }
    traced_first = !traced_first;
    u.push_back(a);
    t.push_back(b);
    d.push_back(b - a);
  }
  const auto median = [](std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
    return v[v.size() / 2];
  };
  state.counters["untraced_us"] = median(u);
  state.counters["traced_us"] = median(t);
  state.counters["added_us"] = median(d);
}
void chat_fake_interleaved(benchmark::State& s) { run_interleaved(s, false, false); }
void chat_stream_fake_interleaved(benchmark::State& s) { run_interleaved(s, true, false); }
void chat_fake_interleaved_same_headers(benchmark::State& s) { run_interleaved(s, false, true); }
void chat_stream_fake_interleaved_same_headers(benchmark::State& s) { run_interleaved(s, true, true); }
BENCHMARK(chat_fake_interleaved)->UseRealTime();
BENCHMARK(chat_stream_fake_interleaved)->UseRealTime();
BENCHMARK(chat_fake_interleaved_same_headers)->UseRealTime();
BENCHMARK(chat_stream_fake_interleaved_same_headers)->UseRealTime();

// ---- over the in-memory transport: the client's own work ----
void chat_canned_untraced(benchmark::State& s) { run_chat(s, false, false, canned()); }
void chat_canned_traced(benchmark::State& s) { run_chat(s, true, false, canned()); }
void chat_stream_canned_untraced(benchmark::State& s) {
  run_chat(s, false, true, canned());
  s.counters["chunks"] = static_cast<double>(canned()->lines());
}
void chat_stream_canned_traced(benchmark::State& s) {
  run_chat(s, true, true, canned());
  s.counters["chunks"] = static_cast<double>(canned()->lines());
}
// The GenAI metrics alone (no span): inference duration, usage counters, token histograms,
// Ollama's figures; streamed: time to first chunk and one time-per-chunk point per chunk.
void chat_canned_metered(benchmark::State& s) { run_chat(s, false, false, canned(), true); }
void chat_stream_canned_metered(benchmark::State& s) {
  run_chat(s, false, true, canned(), true);
  s.counters["chunks"] = static_cast<double>(canned()->lines());
}
BENCHMARK(chat_canned_untraced);
BENCHMARK(chat_canned_traced);
BENCHMARK(chat_canned_metered);
BENCHMARK(chat_stream_canned_untraced);
BENCHMARK(chat_stream_canned_traced);
BENCHMARK(chat_stream_canned_metered);

// ---- NDJSON ----

/// A realistic chat stream: 300 content chunks (Go key order, created_at, short tokens incl. UTF-8)
/// and a final chunk with metrics.
const std::string& stream_bytes() {
  static const std::string s = [] {
    std::string out;
    const char* words[] = {" The",
                           " sky",
                           " appears",
                           " blue",
                           " because",
                           " of",
                           " Rayleigh",
                           " scattering",
                           " \xE6\x97\xA5\xE6\x9C\xAC",
                           " \xF0\x9F\x9A\x80"};
    for (int i = 0; i < 300; ++i)
      out +=
          std::string(
              R"({"model":"llama3.2","created_at":"2025-07-07T20:22:19.19314Z","message":{"role":"assistant","content":")") +
          words[i % 10] + R"("},"done":false})" + "\n";
    out +=
        R"({"model":"llama3.2","created_at":"2025-07-07T20:22:19.19314Z","message":{"role":"assistant","content":""},)"
        R"("done":true,"done_reason":"stop","total_duration":10706818083,"load_duration":6338219291,)"
        R"("prompt_eval_count":26,"prompt_eval_duration":130079000,"eval_count":300,"eval_duration":4232710000})"
        "\n";
    return out;
  }();
  return s;
}

/// Feeds the stream in reads of `state.range(0)` bytes.
void ndjson_lines(benchmark::State& state) {
  const std::string& data = stream_bytes();
  const auto read = static_cast<std::size_t>(state.range(0));
  std::size_t lines = 0;
  for (auto _ : state) {
    ol::ndjson_reader r;
    for (std::size_t pos = 0; pos < data.size(); pos += read)
      r.feed(std::string_view(data).substr(pos, read), [&](std::string_view l) {
        benchmark::DoNotOptimize(l.data());
        ++lines;
        return true;
      });
    r.finish([](std::string_view) { return true; });
  }
  benchmark::DoNotOptimize(lines);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(data.size()));
}
BENCHMARK(ndjson_lines)->Arg(64)->Arg(512)->Arg(16384);

/// Framing plus JSON decoding into chat_response, as the client does per chunk.
void ndjson_decode(benchmark::State& state) {
  const std::string& data = stream_bytes();
  for (auto _ : state) {
    ol::ndjson_reader r;
    std::size_t chars = 0;
    r.feed(data, [&](std::string_view l) {
      ol::chat_response chunk;
      ol::decode(ol::json::parse(l), chunk);
      chars += chunk.message.content.size();
      return true;
    });
    benchmark::DoNotOptimize(chars);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(data.size()));
}
BENCHMARK(ndjson_decode);

}  // namespace

BENCHMARK_MAIN();
