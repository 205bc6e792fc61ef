// OTLP costs against ../shared/reference/performance.md: protobuf and JSON encoding per span (with
// bytes per span and allocations per batch), beside a floor that only copies the same bytes; and the
// cost of ending a span through the batch processor + OTLP/HTTP exporter when the collector accepts
// everything, beside the same when the collector is down (connection refused, exporter retrying).
#include "alloc_counter.hpp"

#include <llmtrace/batch_processor.hpp>
#include <llmtrace/exporters/otlp_http.hpp>
#include <llmtrace/otlp/json.hpp>
#include <llmtrace/otlp/protobuf.hpp>
#include <llmtrace/trace.hpp>

#include <benchmark/benchmark.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

using namespace llmtrace;

namespace {

constexpr std::size_t batch_spans = 512;

/// 512 finished spans shaped like bench_span's 6-attribute case: an Ollama chat call with 6 gen_ai
/// attributes (4 strings of ~21 characters, 2 int64), client kind; root spans, or children of a
/// parent span (10 more bytes each for parent_span_id).
struct chat_batch {
  explicit chat_batch(bool with_parent) {
    res = make_resource({{"service.name", "bench"}});
    scope.name = "llmtrace";
    scope.version = LLMTRACE_VERSION_STRING;
    spans.resize(batch_spans);
    for (auto& s : spans) {
      s.context.trace_id = trace_id::random();
      s.context.span_id = span_id::random();
      s.context.trace_flags = trace_flag_sampled;
      if (with_parent) s.parent_span_id = span_id::random();
      s.set_name("chat llama3.2");
      s.kind = span_kind::client;
      s.start_time_unix_nano = 1'700'000'000'000'000'000;
      s.end_time_unix_nano = s.start_time_unix_nano + 250'000'000;
      s.attributes.set(semconv::gen_ai_operation_name, "chat.completion.v1.ab");
      s.attributes.set(semconv::gen_ai_provider_name, "ollama-local-daemon-1");
      s.attributes.set(semconv::gen_ai_request_model, "llama3.2:3b-instruct1");
      s.attributes.set(semconv::server_address, "inference-gpu-node-07");
      s.attributes.set(semconv::gen_ai_usage_input_tokens, 412);
      s.attributes.set(semconv::gen_ai_usage_output_tokens, 128);
      s.resource = &res;
      s.scope = &scope;
    }
    for (const auto& s : spans) ptrs.push_back(&s);
  }
  span_batch batch() const { return span_batch(ptrs.data(), ptrs.size()); }

  resource res;
  instrumentation_scope scope;
  std::vector<span_data> spans;
  std::vector<const span_data*> ptrs;
};

const chat_batch& shared_batch(bool with_parent = false) {
  static const chat_batch roots(false), children(true);
  return with_parent ? children : roots;
}

/// Time per span and allocations per batch.
void per_span_counters(benchmark::State& state, std::uint64_t allocs_before) {
  const auto spans = static_cast<double>(state.iterations()) * batch_spans;
  state.SetItemsProcessed(static_cast<std::int64_t>(spans));
  state.counters["per_span"] = benchmark::Counter(spans, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["allocs_per_batch"] = benchmark::Counter(static_cast<double>(bench::allocations() - allocs_before) /
                                                          static_cast<double>(state.iterations()));
}

// ---- encoding (exporter thread) ----

/// Floor: copying as many bytes as the protobuf encoding produces, into a reused buffer.
void floor_copy_encoded_bytes(benchmark::State& state) {
  std::string encoded;
  otlp::encode_protobuf(shared_batch().batch(), encoded);
  std::string out(encoded.size(), '\0');
  const std::size_t per_span = encoded.size() / batch_spans;
  const auto allocs = bench::allocations();
  for (auto _ : state) {
    for (std::size_t i = 0; i < batch_spans; ++i)
      std::memcpy(&out[i * per_span], encoded.data() + i * per_span, per_span);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  per_span_counters(state, allocs);
}
BENCHMARK(floor_copy_encoded_bytes);

/// Arg 0: root spans (the reference shape), 1: child spans.
void otlp_protobuf_encode(benchmark::State& state) {
  const auto& b = shared_batch(state.range(0) != 0);
  std::string out;
  otlp::encode_protobuf(b.batch(), out);  // warm: the buffer reaches its working size
  const auto allocs = bench::allocations();
  for (auto _ : state) {
    otlp::encode_protobuf(b.batch(), out);
    benchmark::DoNotOptimize(out.data());
  }
  per_span_counters(state, allocs);
  state.counters["bytes_per_span"] = static_cast<double>(out.size()) / batch_spans;
}
BENCHMARK(otlp_protobuf_encode)->ArgName("child")->Arg(0)->Arg(1);

void otlp_json_encode(benchmark::State& state) {
  const auto& b = shared_batch();
  std::string out;
  otlp::append_json(out, b.batch());
  const auto allocs = bench::allocations();
  for (auto _ : state) {
    out.clear();
    otlp::append_json(out, b.batch());
    benchmark::DoNotOptimize(out.data());
  }
  per_span_counters(state, allocs);
  state.counters["bytes_per_span"] = static_cast<double>(out.size()) / batch_spans;
}
BENCHMARK(otlp_json_encode);

// ---- span end through batch processor + OTLP/HTTP exporter ----

/// A collector that accepts every request at once (no network): the "normal" case.
struct accepting_transport final : http::transport {
  http::response send(const http::request& req) noexcept override {
    benchmark::DoNotOptimize(req.body.data());
    http::response r;
    r.status = 200;
    return r;
  }
  http::response stream(const http::request& req, const http::data_callback&) noexcept override { return send(req); }
};

/// A localhost port with nothing listening (bound to an ephemeral port, then closed).
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 1;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  if (fd >= 0) ::close(fd);
  return port;
}

std::unique_ptr<tracer_provider> make_otlp_provider(bool collector_down) {
  otlp_http_options o;
  std::shared_ptr<http::transport> transport;
  if (collector_down) {
    o.endpoint = "http://127.0.0.1:" + std::to_string(closed_port()) + "/v1/traces";
    o.timeout = std::chrono::milliseconds(2000);  // bounds the wait at exit; retrying is the same
  } else {
    transport = std::make_shared<accepting_transport>();
  }
  provider_options po;
  batch_options bo;
  bo.max_queue_size = 2048;
  po.processors.push_back(
      std::make_unique<batch_processor>(std::make_unique<otlp_http_exporter>(o, std::move(transport)), bo));
  return std::make_unique<tracer_provider>(std::move(po));
}

void end_chat_span(const tracer& t) {
  span s(t, "chat llama3.2", span_kind::client,
         {{semconv::gen_ai_operation_name, "chat.completion.v1.ab"},
          {semconv::gen_ai_provider_name, "ollama-local-daemon-1"},
          {semconv::gen_ai_request_model, "llama3.2:3b-instruct1"},
          {semconv::server_address, "inference-gpu-node-07"}});
  s.set_attribute(semconv::gen_ai_usage_input_tokens, 412);
  s.set_attribute(semconv::gen_ai_usage_output_tokens, 128);
}

void span_end_otlp(benchmark::State& state, bool collector_down) {
  static std::unique_ptr<tracer_provider> providers[2];
  auto& p = providers[collector_down ? 1 : 0];
  if (!p) p = make_otlp_provider(collector_down);
  const tracer t = p->get_tracer("bench");
  const auto before = p->stats();
  const auto allocs = bench::allocations();
  for (auto _ : state) end_chat_span(t);
  const auto after = p->stats();
  const auto n = static_cast<double>(state.iterations());
  state.counters["allocs"] = benchmark::Counter(static_cast<double>(bench::allocations() - allocs) / n);
  state.counters["dropped_frac"] = benchmark::Counter(static_cast<double>(after.dropped() - before.dropped()) / n);
}

/// Collector up: the exporter thread encodes and "sends" every batch.
void span_end_collector_up(benchmark::State& state) { span_end_otlp(state, false); }
BENCHMARK(span_end_collector_up);

/// Collector down (connection refused): the exporter retries with backoff, the queue fills, spans
/// are dropped and counted; the application thread must not notice.
void span_end_collector_down(benchmark::State& state) { span_end_otlp(state, true); }
BENCHMARK(span_end_collector_down);

}  // namespace

BENCHMARK_MAIN();
