// Tests for llmtrace/controls/cost.hpp: the price table (code, JSON, LLMTRACE_PRICES, errors), cost
// on inference and embeddings spans (tokens, per-second from ollama.total_duration or the span
// duration), no attribute without a price, workflow spans summing their descendants (nested
// workflows included), the llmtrace.usage.cost counter on the global meter provider, and a real chat
// through the client against the fake Ollama.
#include <llmtrace/controls/cost.hpp>
#include <llmtrace/exporters/in_memory.hpp>
#include <llmtrace/metrics/reader.hpp>
#include <llmtrace/span.hpp>

#include "ollama/client_test_support.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

using namespace llmtrace;

namespace {

std::shared_ptr<const price_table> prices() {
  return std::make_shared<const price_table>(price_table::from_json(R"({
    "currency": "EUR",
    "models": {
      "gpt-4o": {"input": 2.5, "output": 10},
      "llama3.2*": {"per_second": 0.36},
      "llama3.2:1b": {"input": 0.1, "output": 0.2},
      "nomic-embed-text": {"input": 0.02}
    }})"));
}

struct pipeline {
  std::shared_ptr<in_memory_span_store> store = std::make_shared<in_memory_span_store>();
  std::unique_ptr<tracer_provider> provider;
  tracer t;
  pipeline() {
    provider_options po;
    po.processors.push_back(std::make_unique<cost_processor>(
        prices(), std::make_unique<simple_processor>(std::make_unique<in_memory_exporter>(store))));
    provider = std::make_unique<tracer_provider>(std::move(po));
    t = provider->get_tracer("test");
  }
  span_data one(std::string_view name) const {
    const auto v = store->find(name);
    REQUIRE(v.size() == 1);
    return v.front();
  }
};

double cost(const span_data& s) {
  attribute_value v;
  REQUIRE(s.attributes.find(usage_cost_key, v));
  return v.as_double();
}

void inference(pipeline& p, std::string name, std::string model, std::int64_t in, std::int64_t out,
               std::string_view op = "chat") {
  span s(p.t, name, span_kind::client, {{"gen_ai.operation.name", op}, {"gen_ai.request.model", model}});
  s.set_attribute("gen_ai.usage.input_tokens", in);
  if (out >= 0) s.set_attribute("gen_ai.usage.output_tokens", out);
}

}  // namespace

TEST_CASE("inference spans get their cost; no price means no attribute") {
  pipeline p;
  inference(p, "chat gpt-4o", "gpt-4o", 1000, 500);
  inference(p, "chat small", "llama3.2:1b", 2'000'000, 1'000'000);
  inference(p, "embeddings", "nomic-embed-text", 500'000, -1, "embeddings");
  inference(p, "chat unknown", "mistral", 1000, 1000);
  {
    span s(p.t, "chat local", span_kind::client,
           {{"gen_ai.operation.name", "chat"}, {"gen_ai.request.model", "llama3.2"}});
    s.set_attribute("gen_ai.response.model", "llama3.2:3b");
    s.set_attribute("ollama.total_duration", 2.5);
  }
  {
    span_start_options so;
    so.kind = span_kind::client;
    attribute a[] = {{"gen_ai.operation.name", "text_completion"}, {"gen_ai.request.model", "llama3.2"}};
    so.attributes = attribute_list(a, 2);
    so.start_time_unix_nano = p.provider->now() - 1'000'000'000;
    span s(p.t, "generate local", so);
  }
  { span s(p.t, "not genai", span_kind::internal, {{"gen_ai.request.model", "gpt-4o"}}); }

  CHECK(cost(p.one("chat gpt-4o")) == doctest::Approx(1000 * 2.5 / 1e6 + 500 * 10 / 1e6));
  CHECK(p.one("chat gpt-4o").attributes.get_string(usage_cost_currency_key) == "EUR");
  CHECK(cost(p.one("chat small")) == doctest::Approx(0.2 + 0.2));  // exact entry beats the prefix
  CHECK(cost(p.one("embeddings")) == doctest::Approx(0.01));
  CHECK_FALSE(p.one("chat unknown").attributes.contains(usage_cost_key));
  CHECK_FALSE(p.one("chat unknown").attributes.contains(usage_cost_currency_key));
  CHECK(cost(p.one("chat local")) == doctest::Approx(2.5 * 0.36));              // Ollama's total_duration
  CHECK(cost(p.one("generate local")) == doctest::Approx(0.36).epsilon(0.05));  // the span's duration
  CHECK_FALSE(p.one("not genai").attributes.contains(usage_cost_key));
}

TEST_CASE("a workflow span carries the sum of its descendants, nested workflows included") {
  pipeline p;
  {
    span wf(p.t, "invoke_workflow rag", span_kind::internal,
            {{"gen_ai.operation.name", "invoke_workflow"}, {"gen_ai.workflow.name", "rag"}});
    inference(p, "embeddings q", "nomic-embed-text", 1'000'000, -1, "embeddings");
    {
      span retrieval(p.t, "retrieval docs", span_kind::internal, {{"gen_ai.operation.name", "retrieval"}});
      inference(p, "chat rerank", "gpt-4o", 100'000, 0);
    }
    {
      span inner(p.t, "invoke_workflow summarise", span_kind::internal, {{"gen_ai.operation.name", "invoke_workflow"}});
      inference(p, "chat summary", "gpt-4o", 0, 100'000);
    }
    inference(p, "chat unpriced", "mistral", 5, 5);
  }
  {
    span empty(p.t, "invoke_workflow nothing", span_kind::internal, {{"gen_ai.operation.name", "invoke_workflow"}});
    inference(p, "chat unpriced 2", "mistral", 5, 5);
  }
  CHECK(cost(p.one("invoke_workflow summarise")) == doctest::Approx(1.0));
  CHECK(cost(p.one("invoke_workflow rag")) == doctest::Approx(0.02 + 0.25 + 1.0));
  CHECK_FALSE(p.one("retrieval docs").attributes.contains(usage_cost_key));
  CHECK_FALSE(p.one("invoke_workflow nothing").attributes.contains(usage_cost_key));
}

TEST_CASE("price table from LLMTRACE_PRICES, and clear errors") {
  const std::string path = "controls_prices.json";
  { std::ofstream(path) << R"({"models": {"gpt-4o": {"input": 2.5, "output": 10}}})"; }
  ::setenv("LLMTRACE_PRICES", path.c_str(), 1);
  auto t = price_table::from_env();
  REQUIRE(t);
  CHECK(t->currency == "USD");
  REQUIRE(t->find("gpt-4o"));
  CHECK(t->find("gpt-4o")->output_per_million == 10);
  std::vector<std::string> errors;
  set_error_handler([&](std::string_view m) { errors.emplace_back(m); });
  { std::ofstream(path) << R"({"models": {"gpt-4o": {"input": "cheap"}}})"; }
  CHECK_FALSE(price_table::from_env());
  ::setenv("LLMTRACE_PRICES", "/nonexistent/prices.json", 1);
  CHECK_FALSE(price_table::from_env());
  set_error_handler(nullptr);
  ::unsetenv("LLMTRACE_PRICES");
  std::remove(path.c_str());
  REQUIRE(errors.size() == 2);
  CHECK(errors[0].find("input") != std::string::npos);
  CHECK(errors[1].find("cannot read") != std::string::npos);
  CHECK_FALSE(price_table::from_env());
  CHECK_THROWS_WITH_AS(price_table::from_json(R"({"models": {"m": {}}})"), doctest::Contains("no input"),
                       std::runtime_error);
}

TEST_CASE("a real chat through the client is priced from its recorded usage") {
  auto table = std::make_shared<const price_table>(
      price_table::from_json(R"({"models": {"llama3.2": {"input": 1000, "output": 2000}}})"));
  class null_processor final : public span_processor {
   public:
    void on_end(span_ptr) noexcept override {}
    bool force_flush(std::chrono::milliseconds) noexcept override { return true; }
    bool shutdown(std::chrono::milliseconds) noexcept override { return true; }
  };
  auto store = std::make_shared<in_memory_span_store>();
  ollama_test::tracing tr({},
                          std::make_unique<cost_processor>(
                              table, std::make_unique<simple_processor>(std::make_unique<in_memory_exporter>(store))));
  ollama_test::fake_ollama fake;
  const auto c = ollama_test::make_client(fake);
  (void)c.chat(ollama_test::chat_req("llama3.2", "Why is the sky blue?"));
  const auto spans = store->find("chat llama3.2");
  REQUIRE(spans.size() == 1);
  const auto& s = spans[0];
  attribute_value in, out;
  REQUIRE(s.attributes.find("gen_ai.usage.input_tokens", in));
  REQUIRE(s.attributes.find("gen_ai.usage.output_tokens", out));
  CHECK(in.as_int() > 0);
  CHECK(cost(s) == doctest::Approx(static_cast<double>(in.as_int()) * 1000 / 1e6 +
                                   static_cast<double>(out.as_int()) * 2000 / 1e6));
}

TEST_CASE("priced inference spans add to the llmtrace.usage.cost counter of the global meter provider") {
  namespace m = llmtrace::metrics;
  pipeline p;
  inference(p, "before any meter provider", "gpt-4o", 1000, 0);  // the no-op provider: nothing to see
  auto reader_owner = std::make_unique<m::manual_reader>(m::temporality_preference::cumulative);
  m::manual_reader* reader = reader_owner.get();
  m::meter_provider_options mo;
  mo.readers.push_back(std::move(reader_owner));
  auto provider = std::make_shared<m::meter_provider>(std::move(mo));
  m::set_global_meter_provider(provider);
  inference(p, "chat a", "gpt-4o", 1000, 500);
  inference(p, "chat b", "gpt-4o", 2000, 0);
  inference(p, "chat c", "llama3.2:1b", 1'000'000, 0);
  inference(p, "chat unpriced", "mistral", 1000, 1000);
  {
    span wf(p.t, "invoke_workflow rag", span_kind::internal, {{"gen_ai.operation.name", "invoke_workflow"}});
    inference(p, "chat in workflow", "gpt-4o", 0, 1000);
  }
  m::resource_metrics rm;
  REQUIRE(reader->collect(rm));
  m::set_global_meter_provider(nullptr);
  const auto* md = rm.find(usage_cost_metric);
  REQUIRE(md != nullptr);
  CHECK(md->unit == "{EUR}");
  double gpt = 0, small = 0, total = 0;
  for (const auto& pt : md->number_points) {
    const double v = pt.value();
    total += v;
    REQUIRE(pt.attributes != nullptr);
    CHECK(pt.attributes->get_string("llmtrace.usage.cost.currency") == "EUR");
    CHECK(pt.attributes->get_string("gen_ai.operation.name") == "chat");
    if (pt.attributes->get_string("gen_ai.request.model") == "gpt-4o") gpt += v;
    if (pt.attributes->get_string("gen_ai.request.model") == "llama3.2:1b") small += v;
  }
  // The spans' own cost attributes are the figures the counter must sum (the workflow's sum is not
  // counted again; the span before the provider existed is not counted at all).
  const double a = cost(p.one("chat a")), b = cost(p.one("chat b")), w = cost(p.one("chat in workflow"));
  CHECK(gpt == doctest::Approx(a + b + w));
  CHECK(small == doctest::Approx(cost(p.one("chat c"))));
  CHECK(total == doctest::Approx(a + b + w + cost(p.one("chat c"))));
}
