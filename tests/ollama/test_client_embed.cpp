// Client tests, part 4: /api/embed and legacy /api/embeddings (tricky case 17) with their spans, and
// the model-management endpoints: tags, show, ps, version, is_running; traceparent on every request.
#include "client_test_support.hpp"

#include <llmtrace/propagation.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

using namespace ollama_test;
namespace semconv = llmtrace::semconv;

namespace {
double norm(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += static_cast<double>(x) * static_cast<double>(x);
  return std::sqrt(s);
}
ol::embed_request embed_req(std::string model, std::vector<std::string> input) {
  ol::embed_request r;
  r.model = std::move(model);
  r.input = std::move(input);
  return r;
}
}  // namespace

TEST_CASE("embed: one normalised vector per input, model-specific sizes, always an array of arrays") {
  tracing tr;
  fake_ollama fake;
  const auto c = make_client(fake);
  const auto one = c.embed(embed_req("nomic-embed-text", {"The sky is blue"}));
  REQUIRE(one.embeddings.size() == 1);
  CHECK(one.embeddings[0].size() == 768);
  CHECK(norm(one.embeddings[0]) == doctest::Approx(1.0).epsilon(1e-4));
  CHECK(one.model == "nomic-embed-text");
  CHECK(*one.metrics.prompt_eval_count > 0);
  const auto again = c.embed(embed_req("nomic-embed-text", {"The sky is blue"}));
  CHECK(again.embeddings == one.embeddings);  // deterministic

  const auto two = c.embed(embed_req("all-minilm", {"first text", "second text"}));
  REQUIRE(two.embeddings.size() == 2);
  CHECK(two.embeddings[1].size() == 384);
  CHECK(two.embeddings[0] != two.embeddings[1]);

  auto dims = embed_req("nomic-embed-text", {"truncate me"});
  dims.dimensions = 256;
  const auto d = c.embed(dims);
  REQUIRE(d.embeddings.size() == 1);
  CHECK(d.embeddings[0].size() == 256);
  CHECK(norm(d.embeddings[0]) == doctest::Approx(1.0).epsilon(1e-4));

  const auto empty = c.embed(embed_req("all-minilm", {}));
  CHECK(empty.embeddings.empty());
  CHECK(empty.metrics.empty());

  const auto spans = tr.find("embeddings nomic-embed-text");
  REQUIRE(spans.size() == 3);
  const auto& s = spans.front();
  CHECK(s.kind == llmtrace::span_kind::client);
  CHECK(str(s, semconv::gen_ai_operation_name) == "embeddings");
  CHECK(str(s, semconv::gen_ai_provider_name) == "ollama");
  CHECK(str(s, semconv::gen_ai_request_model) == "nomic-embed-text");
  CHECK(str(s, semconv::gen_ai_response_model) == "nomic-embed-text");
  CHECK(int_of(s, semconv::gen_ai_embeddings_dimension_count) == 768);
  CHECK_FALSE(has(s, semconv::gen_ai_request_encoding_formats));  // Ollama's API names no format
  CHECK(int_of(s, semconv::gen_ai_usage_input_tokens) == *one.metrics.prompt_eval_count);
  CHECK(int_of(s, semconv::ollama_request_input_count) == 1);
  CHECK(str(s, semconv::server_address) == "127.0.0.1");
  CHECK(int_of(s, semconv::server_port) == fake.port());
  CHECK(dbl(s, semconv::ollama_total_duration) > 0);
  CHECK(has(s, semconv::ollama_client_overhead));
  CHECK_FALSE(has(s, semconv::gen_ai_input_messages));  // never the input text by default
  CHECK(tr.children_of(s).empty());
  CHECK(int_of(spans[2], semconv::gen_ai_embeddings_dimension_count) == 256);  // the requested size
  const auto minilm = tr.find("embeddings all-minilm");
  REQUIRE(minilm.size() == 2);
  CHECK(int_of(minilm[0], semconv::ollama_request_input_count) == 2);
  CHECK(int_of(minilm[1], semconv::ollama_request_input_count) == 0);
}

TEST_CASE("legacy /api/embeddings: a single unnormalised vector, empty prompt gives []") {
  tracing tr;
  fake_ollama fake;
  const auto c = make_client(fake);
  ol::embeddings_request r;
  r.model = "nomic-embed-text";
  r.prompt = "The sky is blue";
  const auto e = c.embeddings(r);
  REQUIRE(e.embedding.size() == 768);
  double n = 0;
  for (double x : e.embedding) n += x * x;
  CHECK(std::sqrt(n) > 1.5);  // not normalised
  r.prompt.clear();
  CHECK(c.embeddings(r).embedding.empty());
  const auto spans = tr.find("embeddings nomic-embed-text");
  REQUIRE(spans.size() == 2);
  CHECK(str(spans[0], semconv::ollama_api) == "/api/embeddings");
  CHECK(int_of(spans[0], semconv::gen_ai_embeddings_dimension_count) == 768);
  CHECK_FALSE(has(spans[0], semconv::gen_ai_response_model));  // the legacy reply has no model
}

TEST_CASE("embed with truncate:false on an input past the context is a 400") {
  fake_ollama fake;
  const auto c = make_client(fake);
  std::string long_text;
  for (int i = 0; i < 2000; ++i) long_text += "word ";
  auto req = embed_req("all-minilm", {long_text});
  req.truncate = false;
  try {
    (void)c.embed(req);
    FAIL("expected an error");
  } catch (const ol::error& e) {
    CHECK(e.status() == 400);
    CHECK(e.server_message() == "the input length exceeds the context length");
  }
}

TEST_CASE("tags, show, ps, version and is_running") {
  fake_ollama fake;
  const auto c = make_client(fake);
  CHECK(c.is_running());
  CHECK(c.version() == "0.33.0-rc2");

  const auto tags = c.list_models();
  REQUIRE_FALSE(tags.models.empty());
  bool found = false;
  for (const auto& m : tags.models)
    if (m.name == "llama3.2:latest") {
      found = true;
      CHECK(m.details.family == "llama");
      CHECK(m.size > 0);
      CHECK(m.digest.size() == 64);
      CHECK(ol::parse_time(m.modified_at));  // offset form "-07:00"
    }
  CHECK(found);
  CHECK(c.tags().models.size() == tags.models.size());

  const auto show = c.show("llama3.2");
  CHECK(show.details.family == "llama");
  CHECK(show.model_info["general.architecture"] == "llama");
  CHECK(std::find(show.capabilities.begin(), show.capabilities.end(), "tools") != show.capabilities.end());
  CHECK_FALSE(show.template_text.empty());
  CHECK(last_for(fake, "/api/show").json["model"] == "llama3.2");

  const auto ps = c.ps();
  for (const auto& m : ps.models) CHECK_FALSE(m.expires_at.empty());
}

TEST_CASE("every request carries traceparent from the current span; the chat span is the parent") {
  tracing tr;
  fake_ollama fake;
  const auto c = make_client(fake);
  std::string root_trace;
  {
    llmtrace::span root("request handler");
    (void)c.chat(chat_req("llama3.2", "hi"));
    (void)c.list_models();
    (void)c.embed(embed_req("all-minilm", {"x"}));
  }
  const auto root = tr.one("request handler");
  const auto chat = tr.one("chat llama3.2");
  const auto chat_req_log = last_for(fake, "/api/chat");
  CHECK(chat_req_log.header("traceparent") == llmtrace::format_traceparent(chat.context));
  CHECK(chat.parent_span_id == root.context.span_id);
  // Untraced endpoints carry the caller's context.
  CHECK(last_for(fake, "/api/tags").header("traceparent") == llmtrace::format_traceparent(root.context));
  CHECK(last_for(fake, "/api/embed").header("traceparent") ==
        llmtrace::format_traceparent(tr.one("embeddings all-minilm").context));

  // tracestate travels with traceparent.
  tr.clear();
  llmtrace::span_context remote;
  remote.trace_id = llmtrace::trace_id::random();
  remote.span_id = llmtrace::span_id::random();
  remote.trace_flags = llmtrace::trace_flag_sampled;
  remote.is_remote = true;
  {
    llmtrace::context_scope incoming(llmtrace::context(remote, "vendor=abc"));
    (void)c.chat(chat_req("llama3.2", "hi"));
  }
  const auto child = tr.one("chat llama3.2");
  CHECK(child.context.trace_id == remote.trace_id);
  CHECK(child.parent_span_id == remote.span_id);
  CHECK(child.parent_is_remote);
  CHECK(last_for(fake, "/api/chat").header("tracestate") == "vendor=abc");
  CHECK(last_for(fake, "/api/chat").header("traceparent") == llmtrace::format_traceparent(child.context));

  // Instrumentation off: no spans, the caller's context still propagates.
  tr.clear();
  ol::client_options off;
  off.instrument = false;
  const auto quiet = make_client(fake, off);
  {
    llmtrace::span root2("handler 2");
    (void)quiet.chat(chat_req("llama3.2", "hi"));
  }
  CHECK(tr.find("chat llama3.2").empty());
  CHECK(last_for(fake, "/api/chat").header("traceparent") == llmtrace::format_traceparent(tr.one("handler 2").context));
}
