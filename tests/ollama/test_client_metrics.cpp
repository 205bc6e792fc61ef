// The GenAI metrics the Ollama client and tool_span record (metrics/genai.hpp, instrumentation.hpp),
// read back through an in-memory (manual) reader, against the fake daemon: names, units, advised
// buckets, attributes, values equal to what the span and the server reported, streams (time to first
// chunk, per chunk), embeddings, failed calls (error.type, usage 0/unknown), Ollama's own figures,
// exemplars naming the call's span, the opt-in older names, and nothing without a meter provider.
#include "client_test_support.hpp"
#include "metrics_fixture.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <vector>

using namespace ollama_test;
using namespace metrics_fixture;
namespace semconv = llmtrace::semconv;
namespace genai = llmtrace::genai;

namespace {

double secs(std::int64_t ns) { return static_cast<double>(ns) / 1e9; }

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

/// The common client-metric attributes of a call to `fake` for `model`.
void check_call_attributes(const llmtrace::attribute_set* a, const fake_ollama& fake, std::string_view op,
                           std::string_view model) {
  CHECK(str(a, semconv::gen_ai_operation_name) == op);
  CHECK(str(a, semconv::gen_ai_provider_name) == "ollama");
  CHECK(str(a, semconv::gen_ai_request_model) == model);
  CHECK(str(a, semconv::gen_ai_response_model) == model);
  CHECK(str(a, semconv::server_address) == "127.0.0.1");
  CHECK(int_of(a, semconv::server_port) == fake.port());
}

/// RAII: sets an environment variable for one test.
struct scoped_env {
  scoped_env(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~scoped_env() { ::unsetenv(name_); }
  const char* name_;
};

}  // namespace

TEST_CASE("chat: inference duration equals the span, usage counters, token histograms, Ollama's figures") {
  tracing tr;
  metering mt;
  fake_ollama fake;
  const auto c = make_client(fake);
  const auto r = c.chat(chat_req("llama3.2", "Why is the sky blue?"));
  const auto s = tr.one("chat llama3.2");
  const auto rm = mt.collect();

  const auto& md = metric(rm, semconv::metric_inference_duration);
  CHECK(md.unit == "s");
  CHECK(md.type == llmtrace::metrics::metric_type::histogram);
  const auto& d = one_hist(rm, semconv::metric_inference_duration);
  CHECK(d.count == 1);
  CHECK(d.sum == secs(s.duration_ns()));  // the span's own clock: exactly its duration
  REQUIRE(d.bounds);
  CHECK(*d.bounds == genai::duration_buckets());
  check_call_attributes(d.attributes, fake, "chat", "llama3.2");
  CHECK(keys(d.attributes) == sorted({"gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model",
                                      "gen_ai.response.model", "server.address", "server.port"}));

  // Usage counters, modality text.
  const auto& in_md = metric(rm, semconv::metric_inference_usage_input_tokens);
  CHECK(in_md.type == llmtrace::metrics::metric_type::sum);
  CHECK(in_md.is_monotonic);
  CHECK(in_md.unit == "{token}");
  REQUIRE(in_md.number_points.size() == 1);
  const auto& in = in_md.number_points.front();
  CHECK(in.as_int == *r.metrics.prompt_eval_count);
  CHECK(str(in.attributes, semconv::gen_ai_token_modality) == "text");
  check_call_attributes(in.attributes, fake, "chat", "llama3.2");
  const auto& out = number(rm, semconv::metric_inference_usage_output_tokens, semconv::gen_ai_token_modality, "text");
  CHECK(out.as_int == *r.metrics.eval_count);

  // Per-operation token histograms, token buckets, no modality.
  const auto& ti = one_hist(rm, semconv::metric_inference_operation_input_tokens);
  CHECK(ti.count == 1);
  CHECK(ti.sum == static_cast<double>(*r.metrics.prompt_eval_count));
  REQUIRE(ti.bounds);
  CHECK(*ti.bounds == genai::token_buckets());
  CHECK_FALSE(has(ti.attributes, semconv::gen_ai_token_modality));
  const auto& to = one_hist(rm, semconv::metric_inference_operation_output_tokens);
  CHECK(to.sum == static_cast<double>(*r.metrics.eval_count));

  // Ollama's figures: exactly what the server reported.
  const auto& load = one_hist(rm, semconv::metric_ollama_load_duration);
  CHECK(load.sum == secs(*r.metrics.load_duration));
  CHECK_FALSE(boolean(load.attributes, semconv::ollama_cold_start));
  CHECK(one_hist(rm, semconv::metric_ollama_prompt_eval_duration).sum == secs(*r.metrics.prompt_eval_duration));
  CHECK(one_hist(rm, semconv::metric_ollama_eval_duration).sum == secs(*r.metrics.eval_duration));
  CHECK(one_hist(rm, semconv::metric_ollama_tokens_per_second).sum == *r.metrics.tokens_per_second());
  CHECK(metric(rm, semconv::metric_ollama_tokens_per_second).unit == "{token}/s");

  // Not a stream: no chunk metrics; no embeddings metrics; no older names by default.
  for (auto name :
       {semconv::metric_inference_time_to_first_chunk, semconv::metric_inference_time_per_output_chunk,
        semconv::metric_embeddings_duration, semconv::metric_old_operation_duration, semconv::metric_old_token_usage})
    CHECK_MESSAGE(rm.find(name) == nullptr, std::string(name));
}

TEST_CASE("streamed chat: time to first chunk equals the span's, one per-chunk point after each later chunk") {
  tracing tr;
  metering mt;
  fake_ollama fake;
  const auto c = make_client(fake);
  std::int64_t chunks = 0;
  (void)c.chat(chat_req("llama3.2", "stream please"), [&](const ol::chat_response&) {
    ++chunks;
    return true;
  });
  REQUIRE(chunks >= 3);
  const auto s = tr.one("chat llama3.2");
  const auto rm = mt.collect();
  const auto& ttfc = one_hist(rm, semconv::metric_inference_time_to_first_chunk);
  CHECK(ttfc.count == 1);
  CHECK(ttfc.sum == dbl(s, semconv::gen_ai_response_time_to_first_chunk));
  CHECK(*ttfc.bounds == genai::duration_buckets());
  check_call_attributes(ttfc.attributes, fake, "chat", "llama3.2");
  CHECK_FALSE(has(ttfc.attributes, semconv::error_type));
  const auto& tpoc = one_hist(rm, semconv::metric_inference_time_per_output_chunk);
  CHECK(static_cast<std::int64_t>(tpoc.count) == chunks - 1);
  CHECK(tpoc.sum >= 0);
  CHECK(ttfc.sum + tpoc.sum <= one_hist(rm, semconv::metric_inference_duration).sum);
  check_call_attributes(tpoc.attributes, fake, "chat", "llama3.2");
}

TEST_CASE("generate: text_completion on the inference metrics") {
  metering mt;
  fake_ollama fake;
  const auto c = make_client(fake);
  const auto r = c.generate(gen_req("llama3.2", "Say hi"));
  const auto rm = mt.collect();
  const auto& d = one_hist(rm, semconv::metric_inference_duration);
  check_call_attributes(d.attributes, fake, "text_completion", "llama3.2");
  CHECK(number(rm, semconv::metric_inference_usage_output_tokens, semconv::gen_ai_token_modality, "text").as_int ==
        *r.metrics.eval_count);
}

TEST_CASE("embeddings: embeddings duration and input tokens, no inference metrics") {
  tracing tr;
  metering mt;
  fake_ollama fake;
  const auto c = make_client(fake);
  ol::embed_request req;
  req.model = "nomic-embed-text";
  req.input = {"one", "two words"};
  const auto r = c.embed(req);
  const auto s = tr.one("embeddings nomic-embed-text");
  const auto rm = mt.collect();
  const auto& d = one_hist(rm, semconv::metric_embeddings_duration);
  CHECK(d.sum == secs(s.duration_ns()));
  CHECK(*d.bounds == genai::duration_buckets());
  check_call_attributes(d.attributes, fake, "embeddings", "nomic-embed-text");
  const auto& t = one_hist(rm, semconv::metric_embeddings_operation_input_tokens);
  REQUIRE(r.metrics.prompt_eval_count);
  CHECK(t.sum == static_cast<double>(*r.metrics.prompt_eval_count));
  CHECK(*t.bounds == genai::token_buckets());
  CHECK(rm.find(semconv::metric_inference_duration) == nullptr);
  CHECK(rm.find(semconv::metric_inference_usage_input_tokens) == nullptr);
  // The span no longer claims an encoding format the request did not ask for.
  CHECK_FALSE(has(s, semconv::gen_ai_request_encoding_formats));
}

TEST_CASE("a failed call: error.type on the duration, usage 0 with modality unknown, no token histograms") {
  tracing tr;
  metering mt;
  fake_ollama fake;
  const auto c = make_client(fake);
  fake.fail_next(503, fake_ollama::server_busy_message);
  (void)expect_error([&] { (void)c.chat(chat_req("llama3.2", "hi")); });
  const auto s = tr.one("chat llama3.2");
  const auto rm = mt.collect();
  const auto& d = one_hist(rm, semconv::metric_inference_duration);
  CHECK(str(d.attributes, semconv::error_type) == "503");
  CHECK(str(d.attributes, semconv::error_type) == str(s, semconv::error_type));
  CHECK(d.sum == secs(s.duration_ns()));
  CHECK_FALSE(has(d.attributes, semconv::gen_ai_response_model));  // no answer came back
  const auto& in = number(rm, semconv::metric_inference_usage_input_tokens, semconv::gen_ai_token_modality, "unknown");
  CHECK(in.as_int == 0);
  CHECK_FALSE(has(in.attributes, semconv::error_type));
  CHECK(number(rm, semconv::metric_inference_usage_output_tokens, semconv::gen_ai_token_modality, "unknown").as_int ==
        0);
  CHECK(rm.find(semconv::metric_inference_operation_input_tokens) == nullptr);
  CHECK(rm.find(semconv::metric_inference_operation_output_tokens) == nullptr);
  CHECK(rm.find(semconv::metric_ollama_load_duration) == nullptr);

  // An embeddings failure carries error.type too.
  fake.fail_next(404, "model \"nope\" not found, try pulling it first", 1, "/api/embed");
  ol::embed_request er;
  er.model = "nope";
  er.input = {"x"};
  (void)expect_error([&] { (void)c.embed(er); });
  const auto rm2 = mt.collect();
  CHECK(str(one_hist(rm2, semconv::metric_embeddings_duration).attributes, semconv::error_type) == "404");
  CHECK(rm2.find(semconv::metric_embeddings_operation_input_tokens) == nullptr);
}

TEST_CASE("a cold start: load duration with ollama.cold_start=true") {
  metering mt;
  fake_ollama fake;
  const auto c = make_client(fake);
  const auto r = c.chat(chat_req("cold-llama", "wake up"));
  const auto rm = mt.collect();
  const auto& load = one_hist(rm, semconv::metric_ollama_load_duration);
  CHECK(boolean(load.attributes, semconv::ollama_cold_start));
  CHECK(load.sum == secs(*r.metrics.load_duration));
  CHECK(load.sum > 1.0);
}

TEST_CASE("a sampled call's histogram points carry exemplars naming its span") {
  tracing tr;
  metering mt;
  fake_ollama fake;
  const auto c = make_client(fake);
  (void)c.chat(chat_req("llama3.2", "hi"));
  const auto s = tr.one("chat llama3.2");
  const auto rm = mt.collect();
  const auto& d = one_hist(rm, semconv::metric_inference_duration);
  REQUIRE(d.exemplars.size() == 1);
  CHECK(d.exemplars.front().trace_id == s.context.trace_id);
  CHECK(d.exemplars.front().span_id == s.context.span_id);
  CHECK(d.exemplars.front().value == d.sum);
}

TEST_CASE("metrics are recorded without spans, and not at all when turned off or without a meter provider") {
  fake_ollama fake;
  {
    metering mt;
    ol::client_options o;
    o.instrument = false;  // no spans
    const auto c = make_client(fake, o);
    (void)c.chat(chat_req("llama3.2", "hi"));
    const auto rm = mt.collect();
    CHECK(one_hist(rm, semconv::metric_inference_duration).count == 1);
    CHECK(one_hist(rm, semconv::metric_inference_duration).exemplars.empty());  // no span, no exemplar
  }
  {
    metering mt;
    ol::client_options o;
    o.record_metrics = false;
    const auto c = make_client(fake, o);
    (void)c.chat(chat_req("llama3.2", "hi"));
    CHECK(mt.collect().empty());
  }
  // No meter provider set: the no-op provider's instruments record nothing (and cost nothing).
  CHECK_FALSE(genai::current().enabled);
  const auto c = make_client(fake);
  (void)c.chat(chat_req("llama3.2", "hi"));
}

TEST_CASE("OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai/dup adds the older metric names beside v0.1.0's") {
  scoped_env env("OTEL_SEMCONV_STABILITY_OPT_IN", "http, gen_ai/dup");
  metering mt;
  fake_ollama fake;
  const auto c = make_client(fake);
  const auto r = c.chat(chat_req("llama3.2", "stream please"), [](const ol::chat_response&) { return true; });
  const auto rm = mt.collect();
  const auto& now = one_hist(rm, semconv::metric_inference_duration);
  const auto& old = one_hist(rm, semconv::metric_old_operation_duration);
  CHECK(old.sum == now.sum);
  CHECK(*old.bounds == genai::duration_buckets());
  CHECK(one_hist(rm, semconv::metric_old_time_to_first_chunk).sum ==
        one_hist(rm, semconv::metric_inference_time_to_first_chunk).sum);
  CHECK(one_hist(rm, semconv::metric_old_time_per_output_chunk).count ==
        one_hist(rm, semconv::metric_inference_time_per_output_chunk).count);
  const auto& usage = metric(rm, semconv::metric_old_token_usage);
  REQUIRE(usage.histogram_points.size() == 2);
  for (const auto& p : usage.histogram_points) {
    const std::string type = str(p.attributes, semconv::gen_ai_token_type);
    CHECK(p.sum == static_cast<double>(type == "input" ? *r.metrics.prompt_eval_count : *r.metrics.eval_count));
    CHECK(*p.bounds == genai::token_buckets());
  }
}

TEST_CASE("tool_span records gen_ai.execute_tool.duration equal to its span, with error.type after set_error") {
  tracing tr;
  metering mt;
  { ol::tool_span ts("get_weather", "call_1"); }
  {
    ol::tool_span ts("search", "call_2");
    ts.set_error(std::runtime_error("backend down"));
  }
  const auto ok = tr.one("execute_tool get_weather");
  const auto bad = tr.one("execute_tool search");
  const auto rm = mt.collect();
  const auto& md = metric(rm, semconv::metric_execute_tool_duration);
  CHECK(md.unit == "s");
  REQUIRE(md.histogram_points.size() == 2);
  for (const auto& p : md.histogram_points) {
    CHECK(*p.bounds == genai::duration_buckets());
    CHECK(str(p.attributes, semconv::gen_ai_tool_type) == "function");
    if (str(p.attributes, semconv::gen_ai_tool_name) == "get_weather") {
      CHECK(p.sum == secs(ok.duration_ns()));
      CHECK(keys(p.attributes) == sorted({"gen_ai.tool.name", "gen_ai.tool.type"}));
    } else {
      CHECK(str(p.attributes, semconv::gen_ai_tool_name) == "search");
      CHECK(p.sum == secs(bad.duration_ns()));
      CHECK(str(p.attributes, semconv::error_type) == "std::runtime_error");
    }
  }
}

TEST_CASE("span changes of GenAI v0.1.0: max_tokens only for a real limit, tool_call finish reason") {
  tracing tr;
  fake_ollama fake;
  const auto c = make_client(fake);
  auto req = chat_req("llama3.2", "no limit");
  req.options.num_predict = -1;
  (void)c.chat(req);
  CHECK_FALSE(has(tr.one("chat llama3.2"), semconv::gen_ai_request_max_tokens));
  tr.clear();
  req.options.num_predict = -2;
  (void)c.chat(req);
  CHECK_FALSE(has(tr.one("chat llama3.2"), semconv::gen_ai_request_max_tokens));
  tr.clear();

  auto treq = chat_req("llama3.2", "What is the weather in Tokyo?");
  treq.tools.push_back(weather_tool());
  const auto r = c.chat(treq);
  REQUIRE_FALSE(r.message.tool_calls.empty());
  CHECK(strings(tr.one("chat llama3.2"), semconv::gen_ai_response_finish_reasons) ==
        std::vector<std::string>{"tool_call"});
}

TEST_CASE("loaded-model gauges from /api/ps: only when enabled, one request per collection") {
  fake_ollama fake;
  const auto c = make_client(fake);
  {
    metering mt;
    (void)c.chat(chat_req("llama3.2", "hi"));
    fake.clear_requests();
    const auto rm = mt.collect();
    CHECK(rm.find(semconv::metric_ollama_model_vram) == nullptr);  // not enabled: no gauge, no request
    CHECK(rm.find(semconv::metric_ollama_model_total) == nullptr);
    CHECK(fake.request_count() == 0);
  }
  CHECK_FALSE(ol::observe_loaded_models(c));  // no meter provider: nothing registered
  metering mt;
  REQUIRE(ol::observe_loaded_models(c));
  REQUIRE(ol::observe_loaded_models(c));   // a second call registers nothing more
  (void)c.chat(chat_req("gemma3", "hi"));  // gemma3 runs 48% in GPU memory
  const auto ps = c.ps();
  REQUIRE(ps.models.size() >= 2);
  fake.clear_requests();
  const auto rm = mt.collect();
  std::size_t ps_requests = 0;
  for (const auto& r : fake.requests())
    if (r.path == "/api/ps") ++ps_requests;
  CHECK(ps_requests == 1);  // both gauges from one answer
  std::size_t gauges = 0;
  for (const auto& sc : rm.scopes)
    for (const auto& md : sc.metrics) gauges += md.name == semconv::metric_ollama_model_vram ? 1u : 0u;
  CHECK(gauges == 1);
  const auto& vram = metric(rm, semconv::metric_ollama_model_vram);
  const auto& total = metric(rm, semconv::metric_ollama_model_total);
  CHECK(vram.unit == "By");
  CHECK(vram.type == llmtrace::metrics::metric_type::gauge);
  REQUIRE(vram.number_points.size() == ps.models.size());
  REQUIRE(total.number_points.size() == ps.models.size());
  for (const auto& m : ps.models) {
    const std::string name = m.model.empty() ? m.name : m.model;
    CAPTURE(name);
    CHECK(number(rm, semconv::metric_ollama_model_total, semconv::ollama_model_name, name).as_int == m.size);
    CHECK(number(rm, semconv::metric_ollama_model_vram, semconv::ollama_model_name, name).as_int ==
          std::min(m.size_vram, m.size));
  }
  bool split = false;
  for (const auto& m : ps.models) split = split || (m.size_vram > 0 && m.size_vram < m.size);
  CHECK(split);  // gemma3: part of it on the CPU
}
