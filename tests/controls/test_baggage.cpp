// Tests for W3C Baggage (llmtrace/baggage.hpp), its place in the context (context.hpp), its
// propagation beside traceparent under OTEL_PROPAGATORS (propagation.hpp), request scopes and the
// baggage span processor (controls/request_scope.hpp), and baggage reaching the Ollama request
// headers (fake Ollama).
#include <llmtrace/baggage.hpp>
#include <llmtrace/controls/request_scope.hpp>
#include <llmtrace/exporters/in_memory.hpp>
#include <llmtrace/propagation.hpp>
#include <llmtrace/span.hpp>

#include "ollama/client_test_support.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace llmtrace;

namespace {
class null_processor final : public span_processor {
 public:
  void on_end(span_ptr) noexcept override {}
  bool force_flush(std::chrono::milliseconds) noexcept override { return true; }
  bool shutdown(std::chrono::milliseconds) noexcept override { return true; }
};

struct captured {
  std::vector<std::string> messages;
  captured() {
    set_error_handler([this](std::string_view m) { messages.emplace_back(m); });
  }
  ~captured() { set_error_handler(nullptr); }
};

struct propagators_guard {
  ~propagators_guard() { reset_propagators(); }
};
}  // namespace

TEST_CASE("baggage parses W3C headers, percent-decodes, skips invalid members and keeps limits") {
  const auto b = baggage::parse(
      "key1=value1;property1;property2, key2 = value2 ,key3=va%20l%2Cue%3B3;p=v,"
      "bad key=x,novalue,=empty,key4=\xC3\xA9");
  CHECK(b.size() == 3);
  CHECK(b.get("key1") == std::string_view("value1"));
  CHECK(b.entries()[0].properties == "property1;property2");
  CHECK(b.get("key2") == std::string_view("value2"));
  CHECK(b.get("key3") == std::string_view("va l,ue;3"));
  CHECK_FALSE(b.get("key4"));  // raw non-ASCII is not a baggage-octet
  CHECK(b.to_header() == "key1=value1;property1;property2,key2=value2,key3=va%20l%2Cue%3B3;p=v");
  CHECK(baggage::parse(b.to_header()) == b);
  const auto unicode = baggage().set("city", "Zürich 100%");
  CHECK(unicode.to_header() == "city=Z%C3%BCrich%20100%25");
  CHECK(baggage::parse(unicode.to_header()).get("city") == std::string_view("Zürich 100%"));
  CHECK(baggage::parse("a=1,a=2").get("a") == std::string_view("2"));
  CHECK(baggage::parse("a=%zz").empty());
  std::string many;
  for (int i = 0; i < 70; ++i) many += "k" + std::to_string(i) + "=v,";
  CHECK(baggage::parse(many).size() == baggage::max_members);
  baggage big;
  for (int i = 0; i < 20; ++i) big = big.set("k" + std::to_string(i), std::string(1000, 'x'));
  CHECK(big.to_header().size() <= baggage::max_header_bytes);
  CHECK(baggage::parse(big.to_header()).size() == 8);
  CHECK(big.set("bad key", "x").size() == 20);
  CHECK(big.remove("k0").size() == 19);
}

TEST_CASE("baggage round-trips through inject/extract beside traceparent") {
  propagators_guard pg;
  set_propagators(propagators::tracecontext | propagators::baggage);
  const span_context sc{trace_id::random(), span_id::random(), trace_flag_sampled, false};
  const context ctx(sc, "vendor=1", baggage().set("tenant.id", "acme").set("user.id", "u 7"));
  std::map<std::string, std::string> headers;
  inject(ctx, headers);
  CHECK(headers["baggage"] == "tenant.id=acme,user.id=u%207");
  CHECK(headers.count("traceparent") == 1);
  const auto back = extract(headers);
  CHECK(back.valid());
  CHECK(back.span().trace_id == sc.trace_id);
  CHECK(back.trace_state() == "vendor=1");
  CHECK(back.baggage() == ctx.baggage());

  // Baggage without a traceparent still arrives; the span context stays invalid.
  const auto only = extract(std::map<std::string, std::string>{{"Baggage", "a=1"}});
  CHECK_FALSE(only.valid());
  CHECK(only.baggage().get("a") == std::string_view("1"));
}

TEST_CASE("OTEL_PROPAGATORS: default, single propagators, none, unknown names") {
  propagators_guard pg;
  CHECK(parse_propagators("") == (propagators::tracecontext | propagators::baggage));
  CHECK(parse_propagators("tracecontext") == propagators::tracecontext);
  CHECK(parse_propagators("none") == propagators::none);
  {
    captured c;
    CHECK(parse_propagators("b3,baggage") == propagators::baggage);
    REQUIRE(c.messages.size() == 1);
    CHECK(c.messages[0].find("b3") != std::string::npos);
  }
  const context ctx(span_context{trace_id::random(), span_id::random(), 1, false}, {}, baggage().set("k", "v"));
  std::map<std::string, std::string> h;
  ::setenv("OTEL_PROPAGATORS", "tracecontext", 1);
  reset_propagators();
  inject(ctx, h);
  CHECK(h.count("traceparent") == 1);
  CHECK(h.count("baggage") == 0);
  h.clear();
  ::setenv("OTEL_PROPAGATORS", "none", 1);
  reset_propagators();
  inject(ctx, h);
  CHECK(h.empty());
  CHECK_FALSE(extract(std::map<std::string, std::string>{{"traceparent", format_traceparent(ctx.span())}}).valid());
  ::setenv("OTEL_PROPAGATORS", "baggage", 1);
  reset_propagators();
  inject(ctx, h);
  CHECK(h.count("traceparent") == 0);
  CHECK(h["baggage"] == "k=v");
  ::unsetenv("OTEL_PROPAGATORS");
  reset_propagators();
  CHECK(active_propagators() == (propagators::tracecontext | propagators::baggage));
}

TEST_CASE("baggage crosses threads with the context; request scopes reach GenAI spans") {
  auto store = std::make_shared<in_memory_span_store>();
  provider_options po;
  baggage_attributes_options bo;
  bo.keys = {"tenant.*"};
  po.processors.push_back(std::make_unique<baggage_span_processor>(bo, std::make_unique<null_processor>()));
  po.processors.push_back(std::make_unique<simple_processor>(std::make_unique<in_memory_exporter>(store)));
  tracer_provider p(std::move(po));
  const auto t = p.get_tracer("test");
  CHECK(current_baggage().empty());
  {
    baggage_scope tenant(current_baggage().set("tenant.id", "acme").set("feature", "search"));
    request_scope rs(request_identity{"conv-1", "sess-9", "user-3"});
    CHECK(current_baggage().size() == 5);
    span root(t, "handle");
    context captured = current_context();
    CHECK(captured.baggage().get("session.id") == std::string_view("sess-9"));
    std::thread worker([&] {
      CHECK(current_baggage().empty());
      context_scope attach(captured);
      CHECK(current_baggage().get("tenant.id") == std::string_view("acme"));
      span chat(t, "chat llama3.2", span_kind::client, {{"gen_ai.operation.name", "chat"}});
      span plain(t, "plain");
    });
    worker.join();
  }
  CHECK(current_baggage().empty());
  const auto chat = store->find("chat llama3.2").at(0);
  CHECK(chat.attributes.get_string("gen_ai.conversation.id") == "conv-1");
  CHECK(chat.attributes.get_string("session.id") == "sess-9");
  CHECK(chat.attributes.get_string("user.id") == "user-3");
  CHECK(chat.attributes.get_string("tenant.id") == "acme");
  CHECK_FALSE(chat.attributes.contains("feature"));
  const auto plain = store->find("plain").at(0);
  CHECK(plain.attributes.get_string("tenant.id") == "acme");
  CHECK_FALSE(plain.attributes.contains("session.id"));  // not a GenAI span, key not chosen
  CHECK(store->find("handle").at(0).attributes.get_string("tenant.id") == "acme");
  ::setenv("LLMTRACE_BAGGAGE_ATTRIBUTES", "tenant.id, session.id", 1);
  CHECK(baggage_attributes_options::from_env().keys == std::vector<std::string>{"tenant.id", "session.id"});
  ::unsetenv("LLMTRACE_BAGGAGE_ATTRIBUTES");
}

TEST_CASE("baggage reaches the Ollama request headers; the chat span carries the request identity") {
  propagators_guard pg;
  reset_propagators();
  baggage_attributes_options bo;
  ollama_test::tracing tr({}, std::make_unique<baggage_span_processor>(bo, std::make_unique<null_processor>()));
  ollama_test::fake_ollama fake;
  const auto c = ollama_test::make_client(fake);
  {
    request_scope rs(request_identity{"conv-7", "sess-1", ""});
    baggage_scope extra(current_baggage().set("tenant.id", "acme-corp"));
    (void)c.chat(ollama_test::chat_req("llama3.2", "hi"));
  }
  const auto reqs = fake.requests();
  REQUIRE_FALSE(reqs.empty());
  const auto header = reqs.back().header("baggage");
  const auto sent = baggage::parse(header);
  INFO("baggage header: " << header);
  CHECK(sent.get("gen_ai.conversation.id") == std::string_view("conv-7"));
  CHECK(sent.get("session.id") == std::string_view("sess-1"));
  CHECK(sent.get("tenant.id") == std::string_view("acme-corp"));
  CHECK_FALSE(reqs.back().header("traceparent").empty());
  const auto chat = tr.one("chat llama3.2");
  CHECK(chat.attributes.get_string("gen_ai.conversation.id") == "conv-7");
  CHECK(chat.attributes.get_string("session.id") == "sess-1");
  CHECK_FALSE(chat.attributes.contains("user.id"));
  CHECK_FALSE(chat.attributes.contains("tenant.id"));
}
