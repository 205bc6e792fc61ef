// Tests for llmtrace/html/render.hpp, llmtrace/exporters/html.hpp and the llmtrace-html tool: the data
// embedded in the page, escaping of untrusted text, OTLP/JSON input, trace selection, the exporter
// through llmtrace::init, and the tool's arguments. What the page shows is checked in a real browser
// by tests/browser.
#include "exporter_test_support.hpp"

#include <llmtrace/batch_processor.hpp>
#include <llmtrace/exporters/file.hpp>
#include <llmtrace/exporters/html.hpp>
#include <llmtrace/exporters/in_memory.hpp>
#include <llmtrace/html/render.hpp>
#include <llmtrace/init.hpp>
#include <llmtrace/provider.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#ifndef LLMTRACE_HTML_TOOL
#error "LLMTRACE_HTML_TOOL must be the path of the llmtrace-html executable"
#endif

using namespace llmtrace;
using namespace llmtrace_test;
using nlohmann::json;

namespace {

constexpr std::chrono::milliseconds timeout{10000};

/// The spans of a deterministic provider's run of `emit`, as exported, and the provider (which owns
/// the resource and scopes the spans point to).
struct recorded {
  std::unique_ptr<tracer_provider> provider;
  std::vector<span_data> spans;
};
recorded record(void (*emit)(const tracer&)) {
  reset_determinism();
  auto store = std::make_shared<in_memory_span_store>();
  auto opt = deterministic_options();
  opt.processors.push_back(std::make_unique<simple_processor>(std::make_unique<in_memory_exporter>(store)));
  recorded r{std::make_unique<tracer_provider>(std::move(opt)), {}};
  emit(r.provider->get_tracer("test"));
  r.provider->shutdown(timeout);
  r.spans = store->spans();
  return r;
}

std::string render(const std::vector<span_data>& spans, const html::render_options& o = {}) {
  std::vector<const span_data*> ptrs;
  for (const auto& s : spans) ptrs.push_back(&s);
  return html::render_html(span_batch(ptrs.data(), ptrs.size()), o);
}

/// The JSON data block of a page.
json page_data(const std::string& page) {
  const std::string open = "<script type=\"application/json\" id=\"llmtrace-data\">";
  const auto a = page.find(open);
  REQUIRE(a != std::string::npos);
  const auto b = page.find("</script>", a);
  REQUIRE(b != std::string::npos);
  return json::parse(page.substr(a + open.size(), b - a - open.size()));
}

std::size_t count(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

json attr(const json& span, const std::string& key) {
  for (const auto& a : span["a"])
    if (a[0] == key) return a[1];
  return nullptr;
}

const json& span_named(const json& data, const std::string& name) {
  for (const auto& s : data["spans"])
    if (s["n"] == name) return s;
  FAIL("no span named " << name);
  static const json none;
  return none;
}

const json& failed_span(const json& data) {
  for (const auto& s : data["spans"])
    if (s["code"] == 2) return s;
  FAIL("no failed span");
  static const json none;
  return none;
}

int run(const std::string& args) {
  const int rc = std::system((std::string(LLMTRACE_HTML_TOOL) + " " + args + " 2>/dev/null >/dev/null").c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

}  // namespace

TEST_CASE("the page embeds every span with times relative to the earliest start") {
  const auto rec = record([](const tracer& t) {
    emit_rag_trace(t, 0);
    emit_failed_chat(t, 5000);
  });
  const auto& spans = rec.spans;
  REQUIRE(spans.size() == 8);
  html::render_options o;
  o.title = "my traces";
  const std::string page = render(spans, o);
  CHECK(page.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(page.find("<title>my traces</title>") != std::string::npos);
  CHECK(page.find("http://") == std::string::npos);  // nothing fetched: no URL at all in the page
  CHECK(page.find("https://") == std::string::npos);
  const json data = page_data(page);
  CHECK(data["v"] == 1);
  CHECK(data["base_ns"] == std::to_string(epoch_ns));
  REQUIRE(data["spans"].size() == spans.size());
  REQUIRE(data["resources"].size() == 1);
  CHECK(data["resources"][0]["service"] == "rag-demo");

  const json& root = span_named(data, "invoke_workflow rag");
  const json& chat = span_named(data, "chat llama3.2");
  const json& failed = failed_span(data);
  CHECK(root["p"] == "");
  CHECK(root["st"] == 0);
  CHECK(chat["t"] == root["t"]);
  CHECK(failed["t"] != root["t"]);
  CHECK(failed["st"] == 5000 * 1000000LL);
  CHECK(failed["code"] == 2);
  CHECK(chat["k"] == static_cast<int>(span_kind::client));
  for (const auto& s : spans)
    if (s.name() == "chat llama3.2" && s.status != status_code::error) {
      CHECK(chat["d"] == s.duration_ns());
      CHECK(chat["s"] == s.context.span_id.to_hex());
    }
  // attribute types survive: ints as numbers, strings as strings
  CHECK(attr(chat, "gen_ai.usage.input_tokens").is_number_integer());
  CHECK(attr(chat, "gen_ai.request.model") == "llama3.2");
}

TEST_CASE("untrusted text cannot end the data block or the title") {
  const std::string evil = "</script><script>window.__pwned=1</script><!-- & \xe2\x80\xa8";
  reset_determinism();
  auto store = std::make_shared<in_memory_span_store>();
  auto opt = deterministic_options();
  opt.processors.push_back(std::make_unique<simple_processor>(std::make_unique<in_memory_exporter>(store)));
  tracer_provider p(std::move(opt));
  {
    span s(p.get_tracer("t"), evil, span_kind::internal, {{"gen_ai.input.messages", evil}});
    s.add_event(evil, {{evil, evil}});
  }
  html::render_options o;
  o.title = "<b>" + evil;
  const std::string page = render(store->spans(), o);
  CHECK(count(page, "</script>") == 2);  // the data block's and the viewer's, nothing else
  CHECK(count(page, "<script") == 2);
  CHECK(page.find("<!--") == std::string::npos);
  CHECK(page.find("<title>&lt;b&gt;&lt;/script&gt;") != std::string::npos);
  const json data = page_data(page);
  CHECK(data["title"] == o.title);
  const json& s = data["spans"][0];
  CHECK(s["n"] == evil);  // the text itself is kept, exactly
  CHECK(attr(s, "gen_ai.input.messages") == evil);
  CHECK(s["e"][0]["n"] == evil);
  CHECK(s["e"][0]["a"][0][0] == evil);
}

TEST_CASE("a title that is not UTF-8 is repaired: the page stays valid UTF-8") {
  // Found by fuzz_html: the title was copied byte for byte into a page declared as UTF-8.
  html::render_options o;
  o.title = "bad \xff\xfe title";
  const std::string page = html::render_html(span_batch(nullptr, 0), o);
  CHECK(llmtrace::detail::is_valid_utf8(page));
  CHECK(page.find("<title>bad \xEF\xBF\xBD\xEF\xBF\xBD title</title>") != std::string::npos);
}

TEST_CASE("OTLP/JSON lines: every request read, bad lines reported and skipped") {
  const auto rec = record([](const tracer& t) { emit_rag_trace(t, 0); });
  const auto& spans = rec.spans;
  std::vector<const span_data*> ptrs;
  for (const auto& s : spans) ptrs.push_back(&s);
  const std::string line = otlp::encode_json(span_batch(ptrs.data(), ptrs.size()));
  const std::string big_int =
      R"({"resourceSpans":[{"resource":{},"scopeSpans":[{"scope":{"name":"x"},"spans":[{"traceId":"0AF7651916CD43DD8448EB211C80319C",)"
      R"("spanId":"00f067aa0ba902b7","name":"n","kind":1,"startTimeUnixNano":"1","endTimeUnixNano":"5",)"
      R"("attributes":[{"key":"big","value":{"intValue":"9223372036854775807"}},{"key":"l","value":{"kvlistValue":)"
      R"({"values":[{"key":"k","value":{"boolValue":true}}]}}}]}]}]}]})";
  std::istringstream in(line + "\n\nnot json\n{\"resourceSpans\":7}\n" + big_int + "\n" + line.substr(0, 40));
  html::trace_document doc;
  std::vector<std::size_t> bad;
  const std::size_t added = doc.read_lines(in, [&](std::size_t n, const std::string& why) {
    bad.push_back(n);
    CHECK(!why.empty());
  });
  CHECK(added == spans.size() + 1);
  CHECK(bad == std::vector<std::size_t>{3, 4, 6});
  CHECK(doc.trace_count() == 2);
  const json data = page_data(doc.render());
  const json& n = span_named(data, "n");
  CHECK(n["t"] == "0af7651916cd43dd8448eb211c80319c");  // ids compared in lower case
  CHECK(attr(n, "big") == "9223372036854775807");       // beyond 2^53: kept as text, not rounded
  CHECK(attr(n, "l") == json{{"k", true}});
  CHECK_THROWS_AS(doc.add_otlp_json("[1,2]"), html::input_error);
  CHECK_THROWS_AS(doc.add_otlp_json(std::string(100000, '[') + std::string(100000, ']')), html::input_error);
}

TEST_CASE("selection: one trace by id, or the N newest") {
  const auto rec = record([](const tracer& t) {
    emit_rag_trace(t, 0);
    emit_rag_trace(t, 2000);
    emit_failed_chat(t, 9000);
  });
  const auto& spans = rec.spans;
  html::trace_document doc;
  std::vector<const span_data*> ptrs;
  for (const auto& s : spans) ptrs.push_back(&s);
  doc.add(span_batch(ptrs.data(), ptrs.size()));
  REQUIRE(doc.trace_count() == 3);
  html::render_options last2;
  last2.last = 2;
  const json two = page_data(doc.render(last2));
  std::set<std::string> ids;
  for (const auto& s : two["spans"]) ids.insert(s["t"].get<std::string>());
  CHECK(ids.size() == 2);
  CHECK(failed_span(two)["st"] == 7000 * 1000000LL);
  CHECK(two["base_ns"] == std::to_string(epoch_ns + 2000 * 1000000LL));  // the oldest trace left out
  html::render_options one;
  one.trace_id = spans.front().context.trace_id.to_hex();
  for (auto& c : one.trace_id) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK(doc.selected_span_count(one) > 0);
  const json only = page_data(doc.render(one));  // a named value: a range-for over a temporary's member dangles
  for (const auto& s : only["spans"]) CHECK(s["t"] == spans.front().context.trace_id.to_hex());
  one.trace_id = std::string(32, 'f');
  CHECK(doc.selected_span_count(one) == 0);
}

TEST_CASE("OTEL_TRACES_EXPORTER=html writes LLMTRACE_HTML_FILE at shutdown") {
  const auto path = temp_path("init.html");
  scoped_env exporter("OTEL_TRACES_EXPORTER", "html");
  scoped_env file("LLMTRACE_HTML_FILE", path.string());
  scoped_env service("OTEL_SERVICE_NAME", "html-test");
  {
    auto guard = init();
    CHECK(guard.exporter_names() == std::vector<std::string>{"html"});
    { span s("work"); }
    CHECK(guard.force_flush());
    CHECK(!std::filesystem::exists(path));  // written once, at shutdown
    CHECK(guard.shutdown());
  }
  REQUIRE(std::filesystem::exists(path));
  const json data = page_data(read_file(path));
  REQUIRE(data["spans"].size() == 1);
  CHECK(data["spans"][0]["n"] == "work");
  CHECK(data["resources"][0]["service"] == "html-test");
  CHECK(!std::filesystem::exists(path.string() + ".tmp"));
}

TEST_CASE("html exporter: byte budget drops and counts, unwritable path reported") {
  captured_errors errors;
  const auto rec = record([](const tracer& t) { emit_rag_trace(t, 0); });
  const auto& spans = rec.spans;
  std::vector<const span_data*> ptrs;
  for (const auto& s : spans) ptrs.push_back(&s);
  const span_batch batch(ptrs.data(), ptrs.size());
  const auto path = temp_path("budget.html");
  html_exporter_options o;
  o.path = path.string();
  o.max_bytes = otlp::encode_json(batch).size() + 10;
  html_exporter e(o);
  CHECK(e.export_batch(batch) == export_result::success);
  CHECK(e.export_batch(batch) == export_result::failure);
  CHECK(e.export_batch(batch) == export_result::failure);
  CHECK(e.dropped_spans() == 2 * spans.size());
  CHECK(errors.count("html exporter: more than") == 1);
  CHECK(e.shutdown(timeout));
  const json data = page_data(read_file(path));
  CHECK(data["spans"].size() == spans.size());
  CHECK(data["dropped"] == 2 * spans.size());
  CHECK(e.export_batch(batch) == export_result::failure);  // after shutdown

  html_exporter bad(html_exporter_options{(temp_path("no-such-dir") / "x.html").string(), "t", 1 << 20});
  CHECK(bad.export_batch(batch) == export_result::success);
  CHECK(!bad.shutdown(timeout));
  CHECK(errors.count("html exporter: cannot write") == 1);
}

TEST_CASE("llmtrace-html: converts a file, selects, and rejects bad arguments") {
  const auto rec = record([](const tracer& t) {
    emit_rag_trace(t, 0);
    emit_failed_chat(t, 3000);
  });
  const auto& spans = rec.spans;
  const auto in = temp_path("tool.jsonl");
  {
    file_exporter f(file_exporter_options{in.string()});
    for (const auto& s : spans) CHECK(export_one(f, s) == export_result::success);
    f.shutdown(timeout);
  }
  const auto out = temp_path("tool.html");
  REQUIRE(run(in.string() + " -o " + out.string()) == 0);
  CHECK(page_data(read_file(out))["spans"].size() == spans.size());
  REQUIRE(run(in.string() + " --last 1 -o " + out.string() + " --title T") == 0);
  const json last = page_data(read_file(out));
  CHECK(last["title"] == "T");
  CHECK(last["spans"].size() == 1);
  CHECK(last["spans"][0]["code"] == 2);
  const std::string root_trace = spans.front().context.trace_id.to_hex();
  REQUIRE(run(in.string() + " --trace " + root_trace + " -o " + out.string()) == 0);
  CHECK(page_data(read_file(out))["spans"].size() == spans.size() - 1);
  CHECK(run(in.string() + " --trace " + std::string(32, 'e') + " -o " + out.string()) == 1);  // not in the file
  CHECK(run(in.string() + " --trace xyz") == 2);
  CHECK(run(in.string() + " --last 0") == 2);
  CHECK(run(in.string() + " --bogus") == 2);
  CHECK(run("") == 2);
  CHECK(run(temp_path("missing.jsonl").string()) == 1);
  // default output: the input with .html
  auto default_out = in;
  default_out.replace_extension(".html");
  std::filesystem::remove(default_out);
  REQUIRE(run(in.string()) == 0);
  CHECK(page_data(read_file(default_out))["spans"].size() == spans.size());
}
