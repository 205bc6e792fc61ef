// Tests for llmtrace/controls/filter.hpp: spans filtered by name, kind, attribute value and
// predicate never reach the exporter; their children are re-parented to the nearest kept ancestor or
// dropped with them; filtered spans count as filtered, not dropped; LLMTRACE_FILTER_* parse.
#include <llmtrace/controls/filter.hpp>
#include <llmtrace/exporters/in_memory.hpp>
#include <llmtrace/span.hpp>

#include <doctest/doctest.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

using namespace llmtrace;

namespace {

struct pipeline {
  std::shared_ptr<in_memory_span_store> store = std::make_shared<in_memory_span_store>();
  std::unique_ptr<tracer_provider> provider;
  filtering_processor* filter = nullptr;
  tracer t;
  explicit pipeline(filter_options o) {
    provider_options po;
    auto f = std::make_unique<filtering_processor>(
        std::move(o), std::make_unique<simple_processor>(std::make_unique<in_memory_exporter>(store)));
    filter = f.get();
    po.processors.push_back(std::move(f));
    provider = std::make_unique<tracer_provider>(std::move(po));
    t = provider->get_tracer("test");
  }
  span_data only(std::string_view name) const {
    const auto found = store->find(name);
    REQUIRE(found.size() == 1);
    return found.front();
  }
};

// request -> health (filtered) -> db -> cache ; request -> work
void run_tree(pipeline& p) {
  span request(p.t, "request", span_kind::server);
  {
    span health(p.t, "GET /healthz", span_kind::server, {{"http.route", "/healthz"}});
    span db(p.t, "db");
    span cache(p.t, "cache");
  }
  span work(p.t, "work");
}

}  // namespace

TEST_CASE("a filtered span never arrives; its children are re-parented to the nearest kept ancestor") {
  filter_options o;
  o.names = {"GET /health*"};
  pipeline p(std::move(o));
  run_tree(p);
  CHECK(p.store->find("GET /healthz").empty());
  const auto request = p.only("request");
  const auto db = p.only("db");
  const auto cache = p.only("cache");
  CHECK(db.parent_span_id == request.context.span_id);
  CHECK(cache.parent_span_id == db.context.span_id);
  CHECK(p.only("work").parent_span_id == request.context.span_id);
  CHECK(p.store->size() == 4);
  const auto s = p.provider->stats();
  CHECK(s.filtered == 1);
  CHECK(s.exported == 4);
  CHECK(s.dropped() == 0);
}

TEST_CASE("children of a filtered span can be dropped with it") {
  filter_options o;
  o.attributes = {{"http.route", "/healthz"}};
  o.children = filtered_children::drop;
  pipeline p(std::move(o));
  run_tree(p);
  CHECK(p.store->find("GET /healthz").empty());
  CHECK(p.store->find("db").empty());
  CHECK(p.store->find("cache").empty());
  CHECK(p.store->size() == 2);
  CHECK(p.provider->stats().filtered == 3);
  CHECK(p.filter->filtered() == 3);
}

TEST_CASE("a filtered root re-parents its children to nothing; kinds and predicates filter too") {
  filter_options o;
  o.kinds = {span_kind::producer};
  o.predicate = [](const span_data& s) {
    attribute_value v;
    return s.attributes.find("synthetic", v) && v.as_bool();
  };
  pipeline p(std::move(o));
  {
    span probe(p.t, "probe", span_kind::internal, {{"synthetic", true}});
    span child(p.t, "child");
  }
  { span q(p.t, "enqueue", span_kind::producer); }
  { span kept(p.t, "kept", span_kind::internal, {{"synthetic", false}}); }
  CHECK(p.store->find("probe").empty());
  CHECK(p.store->find("enqueue").empty());
  CHECK_FALSE(p.only("child").has_parent());
  CHECK(p.store->size() == 2);
  CHECK(p.provider->stats().filtered == 2);
}

TEST_CASE("a child ending after its filtered parent still follows the rule") {
  filter_options o;
  o.names = {"batch"};
  o.children = filtered_children::reparent;
  pipeline p(std::move(o));
  span root(p.t, "root");
  span batch(p.t, "batch");
  span late = span::detached(p.t, "late", batch.context());
  batch.end();
  late.end();
  root.end();
  CHECK(p.only("late").parent_span_id == p.only("root").context.span_id);
}

TEST_CASE("LLMTRACE_FILTER_SPANS and LLMTRACE_FILTER_CHILDREN") {
  ::setenv("LLMTRACE_FILTER_SPANS", "GET /healthz, ping*", 1);
  ::setenv("LLMTRACE_FILTER_CHILDREN", "drop", 1);
  auto o = filter_options::from_env();
  CHECK(o.names == std::vector<std::string>{"GET /healthz", "ping*"});
  CHECK(o.children == filtered_children::drop);
  std::vector<std::string> errors;
  set_error_handler([&](std::string_view m) { errors.emplace_back(m); });
  ::setenv("LLMTRACE_FILTER_CHILDREN", "orphan", 1);
  o = filter_options::from_env();
  set_error_handler(nullptr);
  ::unsetenv("LLMTRACE_FILTER_SPANS");
  ::unsetenv("LLMTRACE_FILTER_CHILDREN");
  CHECK(o.children == filtered_children::reparent);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("LLMTRACE_FILTER_CHILDREN") != std::string::npos);
  CHECK_FALSE(filter_options{}.any());
}

TEST_CASE("control stages pass the provider's identity on to the exporting processor they wrap") {
  struct retaining final : span_processor {
    std::shared_ptr<const void>* kept;
    explicit retaining(std::shared_ptr<const void>* k) : kept(k) {}
    void on_end(span_ptr) noexcept override {}
    bool force_flush(std::chrono::milliseconds) noexcept override { return true; }
    bool shutdown(std::chrono::milliseconds) noexcept override { return true; }
    void retain_while_exporting(std::shared_ptr<const void> owner) noexcept override { *kept = std::move(owner); }
  };
  std::shared_ptr<const void> kept;
  {
    provider_options po;
    filter_options o;
    o.names = {"x"};
    po.processors.push_back(std::make_unique<filtering_processor>(std::move(o), std::make_unique<retaining>(&kept)));
    tracer_provider provider(std::move(po));
    CHECK(kept != nullptr);
  }
  CHECK(kept.use_count() == 1);  // the stage handed it on; the exporting processor now owns it alone
}
