// Tests for llmtrace/rag/pipeline.hpp against the fake Ollama daemon: the exact trace shape of
// ingest and query (names, kinds, parent links, attributes), retrieval through real embeddings,
// the prompt sent, streaming, content capture, failures, and record -> replay giving the same
// answers and the same span tree.
#include <llmtrace/rag/pipeline.hpp>

#include <doctest/doctest.h>

#include <llmtrace/exporters/in_memory.hpp>
#include <llmtrace/http/curl_transport.hpp>
#include <llmtrace/http/record_replay.hpp>
#include <llmtrace/trace.hpp>

#include "ollama/metrics_fixture.hpp"
#include "support/fake_ollama.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace rag = llmtrace::rag;
namespace ol = llmtrace::ollama;
namespace sc = llmtrace::semconv;
using llmtrace::span_data;

namespace {

/// A provider exporting synchronously into memory, and tracers for the client and the pipeline.
struct traced {
  std::shared_ptr<llmtrace::in_memory_span_store> spans = std::make_shared<llmtrace::in_memory_span_store>();
  std::shared_ptr<llmtrace::tracer_provider> provider;
  traced() {
    llmtrace::provider_options o;
    o.processors.push_back(
        std::make_unique<llmtrace::simple_processor>(std::make_unique<llmtrace::in_memory_exporter>(spans)));
    provider = std::make_shared<llmtrace::tracer_provider>(std::move(o));
  }
  llmtrace::tracer client_tracer() { return provider->get_tracer(sc::ollama_instrumentation_scope); }
  llmtrace::tracer rag_tracer() { return provider->get_tracer(sc::rag_instrumentation_scope); }
};

std::vector<rag::document> corpus() {
  return {
      {"fruit.md", "docs/fruit.md",
       "Bananas are a yellow fruit rich in potassium. Monkeys and people eat bananas every day.\n\n"
       "Apples are red or green fruit that grow on apple trees in orchards."},
      {"ships.md", "docs/ships.md",
       "Container ships carry steel boxes across the ocean between harbours.\n\n"
       "A lighthouse warns ships about rocks near the coast at night."},
      {"stars.md", "docs/stars.md", "Stars are giant balls of hot gas. The sun is the closest star to the earth."},
  };
}

rag::pipeline_options options_for(traced& t, ol::content_capture capture = ol::content_capture::no_content) {
  rag::pipeline_options o;
  o.chunking = {90, 10};
  o.embed_batch_size = 2;
  o.top_k = 2;
  o.tracer = t.rag_tracer();
  o.capture_content = capture;
  o.progress = rag::progress_mode::never;
  return o;
}

ol::client client_for(const std::string& base_url, traced& t, std::shared_ptr<llmtrace::http::transport> transport,
                      ol::content_capture capture = ol::content_capture::no_content) {
  ol::client_options o;
  o.host = base_url;
  o.transport = std::move(transport);
  o.tracer = t.client_tracer();
  o.capture_content = capture;
  o.timeout = std::chrono::seconds(60);
  return ol::client(std::move(o));
}

/// The fake daemon, a traced provider, a store named `store_name` and a pipeline over libcurl.
struct live_pipeline {
  llmtrace_test::fake_ollama fake;
  traced t;
  std::shared_ptr<rag::in_memory_vector_store> store;
  rag::rag_pipeline p;
  explicit live_pipeline(std::string store_name = "in_memory",
                         ol::content_capture capture = ol::content_capture::no_content,
                         std::size_t max_question_chars = 1000)
      : store(std::make_shared<rag::in_memory_vector_store>(std::move(store_name))),
        p(client_for(fake.base_url(), t, std::make_shared<llmtrace::http::curl_transport>(), capture), store,
          with_question_limit(options_for(t, capture), max_question_chars)) {}
  /// Ingests the corpus and forgets its spans.
  live_pipeline& ingested() {
    p.ingest(corpus());
    t.spans->clear();
    return *this;
  }
  static rag::pipeline_options with_question_limit(rag::pipeline_options o, std::size_t n) {
    o.max_question_chars = n;
    return o;
  }
};

const span_data& only(const std::vector<span_data>& spans, std::string_view name) {
  const span_data* found = nullptr;
  int n = 0;
  for (const auto& s : spans)
    if (s.name() == name) {
      found = &s;
      ++n;
    }
  REQUIRE_MESSAGE(n == 1, "expected one span named " << name << ", found " << n);
  return *found;
}

std::vector<const span_data*> children_of(const std::vector<span_data>& spans, const span_data& parent) {
  std::vector<const span_data*> out;
  for (const auto& s : spans)
    if (s.has_parent() && s.parent_span_id == parent.context.span_id && s.context.trace_id == parent.context.trace_id)
      out.push_back(&s);
  std::sort(out.begin(), out.end(), [](const span_data* a, const span_data* b) {
    return a->start_time_unix_nano < b->start_time_unix_nano ||
           (a->start_time_unix_nano == b->start_time_unix_nano && a->name() < b->name());
  });
  return out;
}

/// The tree under `root` as indented names (children by start time), for comparing two runs.
void render(const std::vector<span_data>& spans, const span_data& root, int depth, std::string& out) {
  out += std::string(static_cast<std::size_t>(depth) * 2, ' ') + std::string(root.name()) + "\n";
  for (const auto* c : children_of(spans, root)) render(spans, *c, depth + 1, out);
}

std::string tree_of(const std::vector<span_data>& spans, std::string_view root_name) {
  std::string out;
  render(spans, only(spans, root_name), 0, out);
  return out;
}

std::int64_t int_attr(const span_data& s, std::string_view key) {
  llmtrace::attribute_value v;
  REQUIRE_MESSAGE(s.attributes.find(key, v), s.name() << " lacks " << key);
  return v.as_int();
}
double double_attr(const span_data& s, std::string_view key) {
  llmtrace::attribute_value v;
  REQUIRE_MESSAGE(s.attributes.find(key, v), s.name() << " lacks " << key);
  return v.as_double();
}

}  // namespace

TEST_CASE("ingest: chunks, batches and tokens in one trace of its own") {
  live_pipeline lp("docs");
  auto& [fake, t, store, p] = lp;
  const auto r = p.ingest(corpus());
  CHECK(r.documents == 3);
  CHECK(r.chunks >= 5);
  CHECK(r.batches == (r.chunks + 1) / 2);
  CHECK(r.input_tokens > 0);
  CHECK(r.store_size == r.chunks);
  CHECK(store->size() == r.chunks);
  CHECK(store->dimension() == 768);  // nomic-embed-text on the fake

  const auto spans = t.spans->spans();
  const auto& root = only(spans, "invoke_workflow rag.ingest");
  CHECK_FALSE(root.has_parent());
  CHECK(root.kind == llmtrace::span_kind::internal);
  CHECK(root.attributes.get_string(sc::gen_ai_operation_name) == "invoke_workflow");
  CHECK(root.attributes.get_string(sc::gen_ai_agent_name) == "rag.ingest");  // GenAI v0.1.0
  CHECK_FALSE(root.attributes.contains(sc::gen_ai_workflow_name));
  CHECK(root.attributes.get_string(sc::gen_ai_data_source_id) == "docs");
  CHECK(int_attr(root, sc::llmtrace_ingest_document_count) == 3);
  CHECK(int_attr(root, sc::llmtrace_ingest_chunk_count) == static_cast<std::int64_t>(r.chunks));
  CHECK(int_attr(root, sc::llmtrace_ingest_batch_count) == static_cast<std::int64_t>(r.batches));
  CHECK(int_attr(root, sc::llmtrace_ingest_batch_size) == 2);
  CHECK(int_attr(root, sc::gen_ai_usage_input_tokens) == r.input_tokens);
  const auto kids = children_of(spans, root);
  REQUIRE(kids.size() == 1 + r.batches);
  CHECK(kids[0]->name() == "rag.chunk");
  CHECK(int_attr(*kids[0], sc::llmtrace_ingest_chunk_count) == static_cast<std::int64_t>(r.chunks));
  std::int64_t inputs = 0;
  for (std::size_t i = 1; i < kids.size(); ++i) {
    CHECK(kids[i]->name() == "embeddings nomic-embed-text");
    CHECK(kids[i]->kind == llmtrace::span_kind::client);
    inputs += int_attr(*kids[i], sc::ollama_request_input_count);
  }
  CHECK(inputs == static_cast<std::int64_t>(r.chunks));
  CHECK(spans.size() == 2 + r.batches);
  // Every embed request carried at most a batch of inputs.
  for (const auto& req : fake.requests())
    if (req.path == "/api/embed") CHECK(req.json["input"].size() <= 2);
}

TEST_CASE("query: one trace with embeddings, retrieval and chat (with its phases) under the workflow") {
  live_pipeline lp("docs");
  auto& [fake, t, store, p] = lp.ingested();

  std::string streamed;
  const std::string question = "Which yellow fruit is rich in potassium?";
  const auto a = p.query(question, [&](std::string_view piece) {
    streamed += piece;
    return true;
  });

  // The answer, streamed and joined, and its sources (retrieved through the fake's word-hash
  // embeddings: the banana chunk shares the most words with the question).
  CHECK(a.complete);
  CHECK(a.done_reason == "stop");
  CHECK(a.text == streamed);
  CHECK(a.text.find("deterministic reply") != std::string::npos);
  REQUIRE(a.sources.size() == 2);
  CHECK(a.sources[0].id == "fruit.md#0");
  CHECK(a.sources[0].source == "docs/fruit.md");
  CHECK(a.sources[0].text.find("Bananas") == 0);
  CHECK(a.sources[0].score >= a.sources[1].score);
  CHECK(a.input_tokens > 0);
  CHECK(a.output_tokens > 0);
  CHECK(a.time_to_first_chunk >= 0);
  CHECK(a.time_to_first_chunk <= a.duration);
  CHECK(a.model == "llama3.2");

  // The prompt: the sources in the system message, the question as the user message.
  const auto all = fake.requests();
  const auto chat = std::find_if(all.rbegin(), all.rend(), [](const auto& r) { return r.path == "/api/chat"; });
  REQUIRE(chat != all.rend());
  CHECK(chat->json["stream"] == true);
  REQUIRE(chat->json["messages"].size() == 2);
  CHECK(chat->json["messages"][0]["role"] == "system");
  const std::string system = chat->json["messages"][0]["content"];
  CHECK(system.find("[1] (docs/fruit.md)\nBananas are a yellow fruit") != std::string::npos);
  CHECK(system.find("[2] (") != std::string::npos);
  CHECK(chat->json["messages"][1]["content"] == question);
  CHECK(chat->header("traceparent").find(a.trace_id) != std::string::npos);

  // The trace.
  const auto spans = t.spans->spans();
  CHECK(tree_of(spans, "invoke_workflow rag") ==
        "invoke_workflow rag\n"
        "  embeddings nomic-embed-text\n"
        "  retrieval docs\n"
        "  chat llama3.2\n"
        "    ollama.load\n"
        "    ollama.prompt_eval\n"
        "    ollama.eval\n");
  CHECK(spans.size() == 7);
  const auto& root = only(spans, "invoke_workflow rag");
  CHECK_FALSE(root.has_parent());
  CHECK(root.context.trace_id.to_hex() == a.trace_id);
  for (const auto& s : spans) CHECK(s.context.trace_id == root.context.trace_id);
  CHECK(root.kind == llmtrace::span_kind::internal);
  CHECK(root.status == llmtrace::status_code::unset);
  CHECK(root.attributes.get_string(sc::gen_ai_operation_name) == "invoke_workflow");
  CHECK(root.attributes.get_string(sc::gen_ai_agent_name) == "rag");
  CHECK_FALSE(root.attributes.contains(sc::gen_ai_workflow_name));
  CHECK(int_attr(root, sc::llmtrace_workflow_question_length) == static_cast<std::int64_t>(question.size()));
  CHECK(double_attr(root, sc::llmtrace_workflow_time_to_first_chunk) == doctest::Approx(a.time_to_first_chunk));
  CHECK(int_attr(root, sc::llmtrace_workflow_source_count) == 2);
  CHECK_FALSE(root.attributes.contains(sc::llmtrace_workflow_question));  // content capture is off

  const auto& ret = only(spans, "retrieval docs");
  CHECK(ret.kind == llmtrace::span_kind::client);  // GenAI v0.1.0: CLIENT, in-process stores too
  CHECK(ret.parent_span_id == root.context.span_id);
  CHECK(ret.attributes.get_string(sc::gen_ai_operation_name) == "retrieval");
  CHECK(ret.attributes.get_string(sc::gen_ai_data_source_id) == "docs");
  CHECK(int_attr(ret, sc::gen_ai_retrieval_top_k) == 2);
  CHECK(int_attr(ret, sc::llmtrace_retrieval_result_count) == 2);
  CHECK(int_attr(ret, sc::llmtrace_retrieval_store_size) == static_cast<std::int64_t>(store->size()));
  CHECK(double_attr(ret, sc::llmtrace_retrieval_score_best) ==
        doctest::Approx(static_cast<double>(a.sources[0].score)));
  CHECK(double_attr(ret, sc::llmtrace_retrieval_score_worst) ==
        doctest::Approx(static_cast<double>(a.sources[1].score)));
  CHECK(double_attr(ret, sc::llmtrace_retrieval_score_mean) ==
        doctest::Approx((double(a.sources[0].score) + double(a.sources[1].score)) / 2));
  CHECK_FALSE(ret.attributes.contains(sc::gen_ai_retrieval_documents));
  CHECK_FALSE(ret.attributes.contains(sc::gen_ai_retrieval_query_text));

  const auto& emb = only(spans, "embeddings nomic-embed-text");
  CHECK(emb.parent_span_id == root.context.span_id);
  CHECK(int_attr(emb, sc::ollama_request_input_count) == 1);
  const auto& ch = only(spans, "chat llama3.2");
  CHECK(ch.parent_span_id == root.context.span_id);
  CHECK(ch.kind == llmtrace::span_kind::client);
  CHECK(ch.attributes.get_string(sc::gen_ai_request_model) == "llama3.2");
  CHECK(int_attr(ch, sc::gen_ai_usage_output_tokens) == a.output_tokens);
  llmtrace::attribute_value stream_flag;
  REQUIRE(ch.attributes.find(sc::gen_ai_request_stream, stream_flag));
  CHECK(stream_flag.as_bool());
  // The order of the steps: embed, then retrieve, then chat.
  CHECK(emb.end_time_unix_nano <= ret.start_time_unix_nano);
  CHECK(ret.end_time_unix_nano <= ch.start_time_unix_nano);
  CHECK(ch.end_time_unix_nano <= root.end_time_unix_nano);
}

TEST_CASE("content capture adds the question, the retrieval query and documents") {
  live_pipeline lp("in_memory", ol::content_capture::span_only, 20);
  auto& [fake, t, store, p] = lp.ingested();
  const std::string question = "Where do container ships carry their steel boxes?";
  const auto a = p.query(question);
  const auto spans = t.spans->spans();
  const auto& root = only(spans, "invoke_workflow rag");
  const auto q = root.attributes.get_string(sc::llmtrace_workflow_question);
  CHECK(q.size() <= 20);
  CHECK(q.find("...[truncated]") != std::string_view::npos);
  CHECK(int_attr(root, sc::llmtrace_workflow_question_length) == static_cast<std::int64_t>(question.size()));
  const auto& ret = only(spans, "retrieval in_memory");
  const auto docs = nlohmann::json::parse(std::string(ret.attributes.get_string(sc::gen_ai_retrieval_documents)));
  REQUIRE(docs.size() == a.sources.size());
  CHECK(docs[0]["id"] == a.sources[0].id);
  CHECK(docs[0]["id"].get<std::string>().rfind("ships.md#", 0) == 0);
  CHECK(docs[0]["score"].get<double>() == doctest::Approx(static_cast<double>(a.sources[0].score)));
  CHECK_FALSE(ret.attributes.get_string(sc::gen_ai_retrieval_query_text).empty());
}

TEST_CASE("a failing chat marks the workflow span failed and throws ollama::error") {
  live_pipeline lp;
  auto& [fake, t, store, p] = lp.ingested();
  fake.fail_next(404, "model 'llama3.2' not found", 1, "/api/chat");
  CHECK_THROWS_AS(p.query("What is the sun?"), ol::error);
  const auto spans = t.spans->spans();
  const auto& root = only(spans, "invoke_workflow rag");
  CHECK(root.status == llmtrace::status_code::error);
  CHECK(root.attributes.get_string(sc::error_type) == "404");
  REQUIRE_FALSE(root.events.empty());
  CHECK(root.events[0].name == "exception");
  CHECK(only(spans, "chat llama3.2").status == llmtrace::status_code::error);
  CHECK(only(spans, "retrieval in_memory").status == llmtrace::status_code::unset);
}

TEST_CASE("a text callback that returns false stops the answer early") {
  live_pipeline lp;
  auto& p = lp.ingested().p;
  int pieces = 0;
  const auto a = p.query("Tell me about stars", [&](std::string_view) { return ++pieces < 2; });
  CHECK(pieces == 2);
  CHECK_FALSE(a.complete);
  CHECK(a.sources.size() == 2);
}

TEST_CASE("the pipeline nests under the caller's current span and works on an empty store") {
  live_pipeline lp;
  auto& [fake, t, store, p] = lp;
  llmtrace::span_context parent;
  {
    llmtrace::span request(t.rag_tracer(), "handle_request", llmtrace::span_kind::server);
    parent = request.span_context();
    const auto a = p.query("Anything there?");
    CHECK(a.sources.empty());
    CHECK(a.complete);
  }
  const auto spans = t.spans->spans();
  const auto& root = only(spans, "invoke_workflow rag");
  CHECK(root.parent_span_id == parent.span_id);
  CHECK(int_attr(only(spans, "retrieval in_memory"), sc::llmtrace_retrieval_result_count) == 0);
  CHECK_FALSE(only(spans, "retrieval in_memory").attributes.contains(sc::llmtrace_retrieval_score_best));
}

TEST_CASE("invalid options are rejected") {
  traced t;
  auto c = client_for("http://127.0.0.1:1", t, std::make_shared<llmtrace::http::curl_transport>());
  CHECK_THROWS_AS(rag::rag_pipeline(c, nullptr), std::invalid_argument);
  rag::pipeline_options o;
  o.top_k = 0;
  CHECK_THROWS_AS(rag::rag_pipeline(c, std::make_shared<rag::in_memory_vector_store>(), o), std::invalid_argument);
  o.top_k = 1;
  o.embed_batch_size = 0;
  CHECK_THROWS_AS(rag::rag_pipeline(c, std::make_shared<rag::in_memory_vector_store>(), o), std::invalid_argument);
}

TEST_CASE("record then replay: same answers, same sources, same span tree; unrecorded questions name the request") {
  const std::string file = "rag_pipeline_recording.jsonl";
  std::remove(file.c_str());
  const std::string question = "What warns ships about rocks?";
  rag::answer live;
  std::string live_tree, live_ingest_tree;
  {
    llmtrace_test::fake_ollama fake;
    traced t;
    auto rec = std::make_shared<llmtrace::http::recording_transport>(
        std::make_shared<llmtrace::http::curl_transport>(), file, llmtrace::http::recording_options{"test", false});
    rag::rag_pipeline p(client_for(fake.base_url(), t, rec), std::make_shared<rag::in_memory_vector_store>(),
                        options_for(t));
    p.ingest(corpus());
    live = p.query(question);
    live_tree = tree_of(t.spans->spans(), "invoke_workflow rag");
    live_ingest_tree = tree_of(t.spans->spans(), "invoke_workflow rag.ingest");
  }
  traced t;
  auto replay = std::make_shared<llmtrace::http::replay_transport>(file);
  // Another address: replay ignores scheme, host and port.
  rag::rag_pipeline p(client_for("http://127.0.0.1:11434", t, replay), std::make_shared<rag::in_memory_vector_store>(),
                      options_for(t));
  p.ingest(corpus());
  const auto again = p.query(question);
  CHECK(again.text == live.text);
  REQUIRE(again.sources.size() == live.sources.size());
  for (std::size_t i = 0; i < live.sources.size(); ++i) {
    CHECK(again.sources[i].id == live.sources[i].id);
    CHECK(again.sources[i].score == live.sources[i].score);
  }
  CHECK(again.input_tokens == live.input_tokens);
  CHECK(again.output_tokens == live.output_tokens);
  CHECK(tree_of(t.spans->spans(), "invoke_workflow rag") == live_tree);
  CHECK(tree_of(t.spans->spans(), "invoke_workflow rag.ingest") == live_ingest_tree);
  CHECK(replay->misses() == 0);

  // A question that was not recorded: the error names the request.
  try {
    (void)p.query("An unrecorded question?");
    FAIL("expected ollama::error");
  } catch (const ol::error& e) {
    CHECK(e.reason() == ol::error_reason::transport);
    const std::string what = e.what();
    CHECK(what.find("no recording for POST /api/embed") != std::string::npos);
    CHECK(what.find("An unrecorded question?") != std::string::npos);
  }
  CHECK(replay->misses() == 1);
  std::remove(file.c_str());
}

TEST_CASE(
    "RAG metrics: workflow duration (invoke_workflow, gen_ai.agent.name), retrieval duration, results, best score") {
  namespace mf = metrics_fixture;
  mf::metering mt;
  live_pipeline lp("docs");
  auto& [fake, t, store, p] = lp.ingested();
  const auto a = p.query("Which yellow fruit is rich in potassium?");
  const auto spans = t.spans->spans();
  const auto rm = mt.collect();

  const auto& wf = mf::metric(rm, sc::metric_invoke_workflow_duration);
  CHECK(wf.unit == "s");
  REQUIRE(wf.histogram_points.size() == 2);  // the ingest and the question
  for (const auto& pt : wf.histogram_points) {
    CHECK(*pt.bounds == llmtrace::genai::workflow_buckets());
    CHECK(mf::str(pt.attributes, sc::gen_ai_operation_name) == "invoke_workflow");
    CHECK(pt.count == 1);
    CHECK_FALSE(mf::has(pt.attributes, sc::error_type));
    if (mf::str(pt.attributes, sc::gen_ai_agent_name) == "rag")
      CHECK(pt.sum == static_cast<double>(only(spans, "invoke_workflow rag").duration_ns()) / 1e9);
    else
      CHECK(mf::str(pt.attributes, sc::gen_ai_agent_name) == "rag.ingest");
  }
  CHECK(rm.find(sc::metric_old_workflow_duration) == nullptr);  // older name only under the opt-in

  const auto& rd = mf::one_hist(rm, sc::metric_retrieval_duration);
  CHECK(rd.sum == static_cast<double>(only(spans, "retrieval docs").duration_ns()) / 1e9);
  CHECK(mf::str(rd.attributes, sc::gen_ai_data_source_id) == "docs");
  const auto& results = mf::one_hist(rm, sc::metric_retrieval_results);
  CHECK(results.sum == 2);
  CHECK(mf::str(results.attributes, sc::gen_ai_data_source_id) == "docs");
  const auto& best = mf::one_hist(rm, sc::metric_retrieval_best_score);
  CHECK(best.sum == static_cast<double>(a.sources[0].score));
  // The calls beneath it recorded theirs too.
  CHECK(mf::metric(rm, sc::metric_embeddings_duration).histogram_points.size() == 1);
  CHECK(mf::one_hist(rm, sc::metric_inference_time_to_first_chunk).count == 1);
}

TEST_CASE("RAG metrics: a failing query's workflow duration carries error.type") {
  namespace mf = metrics_fixture;
  mf::metering mt;
  live_pipeline lp;
  auto& [fake, t, store, p] = lp.ingested();
  fake.fail_next(404, "model 'llama3.2' not found", 1, "/api/chat");
  CHECK_THROWS_AS(p.query("What is the sun?"), ol::error);
  const auto rm = mt.collect();
  bool seen = false;
  for (const auto& pt : mf::metric(rm, sc::metric_invoke_workflow_duration).histogram_points)
    if (mf::str(pt.attributes, sc::gen_ai_agent_name) == "rag") {
      CHECK(mf::str(pt.attributes, sc::error_type) == "404");
      seen = true;
    }
  CHECK(seen);
  CHECK_FALSE(mf::has(mf::one_hist(rm, sc::metric_retrieval_duration).attributes, sc::error_type));
}
