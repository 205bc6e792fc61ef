// Prometheus exposition: names, units, labels, histogram series, target_info, OpenMetrics
// exemplars; promtool (Debian's prometheus package) accepts the text; the /metrics endpoint serves it.
#include "metrics_test_support.hpp"

#include <llmtrace/exporters/prometheus_http.hpp>
#include <llmtrace/init.hpp>

#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace llmtrace;
using namespace metrics_test;

namespace {

const std::vector<double> duration_bounds{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28};

struct genai_sample {
  core_test::recording_provider tracing;
  manual_provider mp;
  span_context sc;
  genai_sample() {
    auto d = mp.meter.create_double_histogram("gen_ai.client.inference.duration", "s", "GenAI operation duration",
                                              {duration_bounds});
    const attribute attrs[] = {{"gen_ai.operation.name", "chat"}, {"gen_ai.request.model", "llama3.2"}};
    {
      span s(tracing.tracer, "chat llama3.2");
      sc = s.span_context();
      d.record(0.3, attribute_list(attrs, 2));
    }
    d.record(0.32, attribute_list(attrs, 2));
    d.record(2.0, attribute_list(attrs, 2));
    mp.meter.create_int64_counter("gen_ai.client.inference.usage.input_tokens", "{token}")
        .add(421, {{"gen_ai.request.model", "llama3.2"}, {"gen_ai.token.modality", "text"}});
    mp.meter.create_int64_up_down_counter("llmtrace.queue.size", "{span}", "queued spans").add(7);
    mp.meter.create_double_observable_gauge(
        "ollama.model.size",
        [](m::observer& o) {
          o.observe(2.0e9, {{"gen_ai.request.model", "llama3.2"}});
        },
        "By");
  }
};

/// Runs `promtool check metrics` on `text`; returns its exit status and output.
std::pair<int, std::string> promtool(const std::string& text) {
  char name[] = "/tmp/llmtrace-exposition-XXXXXX";
  const int fd = ::mkstemp(name);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, text.data(), text.size()) == static_cast<::ssize_t>(text.size()));
  ::close(fd);
  const std::string file = name;
  FILE* p = ::popen(("promtool check metrics < " + file + " 2>&1").c_str(), "r");
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  std::remove(file.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace

TEST_CASE("names and units follow the OTel-Prometheus compatibility rules") {
  CHECK(m::detail::prometheus_unit("s") == "seconds");
  CHECK(m::detail::prometheus_unit("{token}") == "");
  CHECK(m::detail::prometheus_unit("By") == "bytes");
  CHECK(m::detail::prometheus_unit("By/s") == "bytes_per_second");
  CHECK(m::detail::prometheus_unit("{token}/s") == "per_second");
  CHECK(m::detail::prometheus_sanitize("gen_ai.client..x-y", true) == "gen_ai_client_x_y");
  CHECK(m::detail::prometheus_sanitize("1abc", true) == "_1abc");
  // found by fuzz_metrics_encoders: no sample line without a name, yet an empty unit adds no suffix
  CHECK(m::detail::prometheus_name_part("", true) == "_");
  CHECK(m::detail::prometheus_sanitize("", true).empty());
  CHECK(m::detail::prometheus_unit("{span}").empty());
}

TEST_CASE("the text exposition of GenAI metrics") {
  genai_sample s;
  const std::string text = m::render_prometheus(s.mp.collect());
  INFO(text);
  CHECK(text.find("# TYPE gen_ai_client_inference_duration_seconds histogram\n") != std::string::npos);
  CHECK(text.find("# HELP gen_ai_client_inference_duration_seconds GenAI operation duration\n") != std::string::npos);
  const std::string labels =
      "gen_ai_operation_name=\"chat\",gen_ai_request_model=\"llama3.2\",otel_scope_name=\"test\",otel_scope_version="
      "\"1.0\"";
  // 0.3 and 0.32 fall in (0.16, 0.32]: a value equal to a bound is in that bound's bucket.
  CHECK(text.find("gen_ai_client_inference_duration_seconds_bucket{" + labels + ",le=\"0.16\"} 0\n") !=
        std::string::npos);
  CHECK(text.find("gen_ai_client_inference_duration_seconds_bucket{" + labels + ",le=\"0.32\"} 2\n") !=
        std::string::npos);
  CHECK(text.find("gen_ai_client_inference_duration_seconds_bucket{" + labels + ",le=\"1.28\"} 2\n") !=
        std::string::npos);
  CHECK(text.find("gen_ai_client_inference_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} 3\n") !=
        std::string::npos);
  std::string sum;
  m::detail::prometheus_number(sum, 0.0 + 0.3 + 0.32 + 2.0);  // the SDK adds in recording order
  CHECK(text.find("gen_ai_client_inference_duration_seconds_sum{" + labels + "} " + sum + "\n") != std::string::npos);
  CHECK(text.find("gen_ai_client_inference_duration_seconds_count{" + labels + "} 3\n") != std::string::npos);
  CHECK(text.find("# TYPE gen_ai_client_inference_usage_input_tokens_total counter\n") != std::string::npos);
  CHECK(text.find("gen_ai_client_inference_usage_input_tokens_total{gen_ai_request_model=\"llama3.2\",gen_ai_token_"
                  "modality=\"text\",otel_scope_name=\"test\",otel_scope_version=\"1.0\"} 421\n") != std::string::npos);
  CHECK(text.find("# TYPE llmtrace_queue_size gauge\n") != std::string::npos);  // up-down counter: a gauge
  CHECK(text.find("# TYPE ollama_model_size_bytes gauge\n") != std::string::npos);
  CHECK(text.find("ollama_model_size_bytes{gen_ai_request_model=\"llama3.2\",otel_scope_name=\"test\",otel_scope_"
                  "version=\"1.0\"} 2e+09\n") != std::string::npos);
  CHECK(text.find("# TYPE target_info gauge\n") != std::string::npos);
  CHECK(text.find("target_info{") != std::string::npos);
  CHECK(text.find("telemetry_sdk_name=\"llmtrace\"") != std::string::npos);
  CHECK(text.find(" # {") == std::string::npos);  // no exemplars in the 0.0.4 text format
  CHECK(text.find("# EOF") == std::string::npos);
}

TEST_CASE("promtool check metrics accepts the exposition") {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    FAIL("promtool is missing (Debian's prometheus package; scripts/setup.sh installs it)");
    return;
  }
  genai_sample s;
  const auto r = promtool(m::render_prometheus(s.mp.collect()));
  INFO(r.second);
  CHECK(r.first == 0);
  // And it rejects a broken exposition, so the check above can fail.
  CHECK(promtool("# TYPE x counter\nx{ 1\n").first != 0);
}

TEST_CASE("OpenMetrics: counters by family name, bucket exemplars naming the span, # EOF") {
  genai_sample s;
  const std::string om = m::render_prometheus(s.mp.collect(), m::prometheus_format::openmetrics);
  INFO(om);
  CHECK(om.find("# TYPE gen_ai_client_inference_usage_input_tokens counter\n") != std::string::npos);
  const std::string ex =
      " # {trace_id=\"" + s.sc.trace_id.to_hex() + "\",span_id=\"" + s.sc.span_id.to_hex() + "\"} 0.3 ";
  const auto at = om.find(ex);
  REQUIRE(at != std::string::npos);
  CHECK(om.rfind("le=\"0.32\"} 2", at) != std::string::npos);  // on the bucket that holds 0.3
  CHECK(om.size() >= 6);
  CHECK(om.compare(om.size() - 6, 6, "# EOF\n") == 0);
  CHECK(m::prometheus_format_for_accept("application/openmetrics-text;version=1.0.0,text/plain;q=0.5") ==
        m::prometheus_format::openmetrics);
  CHECK(m::prometheus_format_for_accept("text/plain") == m::prometheus_format::text);
}

TEST_CASE("the /metrics endpoint serves the exposition and negotiates OpenMetrics") {
  m::prometheus_options po;
  po.host = "127.0.0.1";
  po.port = 0;
  auto reader = std::make_unique<m::prometheus_reader>(po);
  auto* r = reader.get();
  m::meter_provider_options o;
  o.readers.push_back(std::move(reader));
  auto provider = std::make_shared<m::meter_provider>(std::move(o));
  provider->get_meter("t").create_int64_counter("requests").add(3, {{"route", "/chat"}});
  REQUIRE(r->port() > 0);
  httplib::Client client("127.0.0.1", r->port());
  auto res = client.Get("/metrics");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(res->body.find("requests_total{route=\"/chat\",otel_scope_name=\"t\"} 3\n") != std::string::npos);
  auto om = client.Get("/metrics", {{"Accept", "application/openmetrics-text; version=1.0.0"}});
  REQUIRE(om);
  CHECK(om->get_header_value("Content-Type").rfind("application/openmetrics-text", 0) == 0);
  CHECK(om->body.find("# EOF") != std::string::npos);
  CHECK(provider->shutdown());
  CHECK(r->port() == 0);
}

TEST_CASE("OTEL_EXPORTER_PROMETHEUS_HOST / _PORT") {
  core_test::scoped_env h("OTEL_EXPORTER_PROMETHEUS_HOST", "0.0.0.0");
  core_test::scoped_env p("OTEL_EXPORTER_PROMETHEUS_PORT", "9999");
  const auto o = m::prometheus_options_from_env();
  CHECK(o.host == "0.0.0.0");
  CHECK(o.port == 9999);
  core_test::scoped_env none_h("OTEL_EXPORTER_PROMETHEUS_HOST", nullptr);
  core_test::scoped_env none_p("OTEL_EXPORTER_PROMETHEUS_PORT", nullptr);
  CHECK(m::prometheus_options_from_env().host == "localhost");
  CHECK(m::prometheus_options_from_env().port == 9464);
}

TEST_CASE("init: OTEL_METRICS_EXPORTER=prometheus serves the global meter provider's metrics on /metrics") {
  std::vector<std::unique_ptr<core_test::scoped_env>> env;
  for (const auto& kv : std::vector<std::pair<const char*, const char*>>{{"OTEL_SDK_DISABLED", nullptr},
                                                                         {"OTEL_TRACES_EXPORTER", "none"},
                                                                         {"OTEL_LOGS_EXPORTER", "none"},
                                                                         {"OTEL_METRICS_EXPORTER", "prometheus"},
                                                                         {"OTEL_SERVICE_NAME", "prom-init"},
                                                                         {"OTEL_RESOURCE_ATTRIBUTES", nullptr},
                                                                         {"OTEL_EXPORTER_PROMETHEUS_HOST", "127.0.0.1"},
                                                                         {"OTEL_EXPORTER_PROMETHEUS_PORT", "0"}})
    env.push_back(std::make_unique<core_test::scoped_env>(kv.first, kv.second));
  int port = 0;
  {
    auto g = llmtrace::init();
    CHECK(g.metric_exporter_names() == std::vector<std::string>{"prometheus"});
    REQUIRE(g.meter_provider().reader_count() == 1);
    auto* r = dynamic_cast<m::prometheus_reader*>(&g.meter_provider().reader(0));
    REQUIRE(r != nullptr);
    port = r->port();
    REQUIRE(port > 0);
    m::get_meter("app").create_int64_counter("app.requests", "{request}").add(4, {{"route", "/chat"}});
    httplib::Client client("127.0.0.1", port);
    auto res = client.Get("/metrics");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body.find("app_requests_total{route=\"/chat\",otel_scope_name=\"app\"} 4\n") != std::string::npos);
    CHECK(res->body.find("service_name=\"prom-init\"") != std::string::npos);  // target_info: the same resource
  }
  httplib::Client after("127.0.0.1", port);  // the guard stopped the server
  after.set_connection_timeout(std::chrono::seconds(2));
  CHECK_FALSE(after.Get("/metrics"));
}

namespace {

/// One sample line of a scraped text exposition: name, labels without `le`, `le` (buckets), value.
struct scraped_prom_sample {
  std::string name, labels, le;
  double value = 0;
};

/// Parses a text-format (0.0.4) exposition strictly: "# HELP" / "# TYPE" comments and
/// `name{labels} value` lines. False, with the reason, at the first line that does not parse.
bool parse_scraped_prom_text(const std::string& body, std::vector<scraped_prom_sample>& out, std::string& why) {
  out.clear();
  if (body.empty() || body.back() != '\n') return why = "the exposition does not end with a newline", false;
  std::size_t pos = 0;
  while (pos < body.size()) {
    const std::size_t eol = body.find('\n', pos);
    const std::string line = body.substr(pos, eol - pos);
    pos = eol + 1;
    why = "bad line: '" + line + "'";
    if (line.empty()) return false;
    if (line[0] == '#') {
      if (line.rfind("# HELP ", 0) != 0 && line.rfind("# TYPE ", 0) != 0) return false;
      continue;
    }
    scraped_prom_sample s;
    std::size_t i = 0;
    while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '_' || line[i] == ':'))
      ++i;
    if (i == 0 || std::isdigit(static_cast<unsigned char>(line[0]))) return false;
    s.name = line.substr(0, i);
    std::string labels;
    if (i < line.size() && line[i] == '{') {
      const std::size_t start = ++i;
      bool quoted = false;
      for (; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
          if (c == '\\')
            ++i;
          else if (c == '"')
            quoted = false;
        } else if (c == '"') {
          quoted = true;
        } else if (c == '}') {
          break;
        }
      }
      if (i >= line.size()) return false;
      labels = line.substr(start, i - start);
      ++i;
    }
    if (i >= line.size() || line[i] != ' ') return false;
    const std::string value = line.substr(i + 1);
    char* end = nullptr;
    s.value = std::strtod(value.c_str(), &end);
    if (value.empty() || end != value.c_str() + value.size()) return false;
    // Split off le="..." (always the last label of a bucket line).
    const std::size_t le = labels.rfind("le=\"");
    if (le != std::string::npos && (le == 0 || labels[le - 1] == ',')) {
      s.le = labels.substr(le + 4, labels.size() - le - 5);
      labels.erase(le == 0 ? 0 : le - 1);
    }
    s.labels = labels;
    out.push_back(std::move(s));
  }
  why.clear();
  return true;
}

/// What one scraper remembers between its scrapes, and the invariants it checks on each.
struct prom_scrape_checker {
  std::map<std::string, double> counters;              // name{labels} of every *_total
  std::map<std::string, std::vector<double>> buckets;  // histogram series -> cumulative bucket counts
  std::map<std::string, double> counts;                // histogram series -> _count
  std::vector<std::string> failures;

  void fail(const std::string& what) {
    if (failures.size() < 10) failures.push_back(what);
  }
  void check(const std::vector<scraped_prom_sample>& samples) {
    std::map<std::string, double> now_counters, now_counts;
    std::map<std::string, std::vector<std::pair<double, double>>> now_buckets;  // le -> count, in order
    const auto ends_with = [](const std::string& s, const char* suffix) {
      const std::size_t n = std::strlen(suffix);
      return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
    };
    for (const auto& s : samples) {
      const std::string key = s.name + "{" + s.labels + "}";
      if (ends_with(s.name, "_total")) {
        now_counters[key] = s.value;
      } else if (ends_with(s.name, "_bucket")) {
        if (s.le.empty()) fail("a bucket without le: " + key);
        const double le = s.le == "+Inf" ? std::numeric_limits<double>::infinity() : std::strtod(s.le.c_str(), nullptr);
        now_buckets[s.name.substr(0, s.name.size() - 7) + "{" + s.labels + "}"].emplace_back(le, s.value);
      } else if (ends_with(s.name, "_count")) {
        now_counts[s.name.substr(0, s.name.size() - 6) + "{" + s.labels + "}"] = s.value;
      }
    }
    for (const auto& c : now_counters) {
      const auto prev = counters.find(c.first);
      if (prev != counters.end() && c.second < prev->second)
        fail("counter " + c.first + " went down: " + std::to_string(prev->second) + " -> " + std::to_string(c.second));
      counters[c.first] = c.second;
    }
    for (const auto& h : now_buckets) {
      const auto& b = h.second;
      if (b.empty() || b.back().first != std::numeric_limits<double>::infinity()) fail(h.first + ": no +Inf bucket");
      std::vector<double> cum;
      for (std::size_t i = 0; i < b.size(); ++i) {
        if (i && !(b[i].first > b[i - 1].first)) fail(h.first + ": le bounds not increasing");
        if (i && b[i].second < b[i - 1].second) fail(h.first + ": bucket counts not monotone");
        cum.push_back(b[i].second);
      }
      const auto count = now_counts.find(h.first);
      if (count == now_counts.end())
        fail(h.first + ": no _count");
      else if (!b.empty() && count->second != b.back().second)
        fail(h.first + ": _count " + std::to_string(count->second) + " != +Inf bucket " +
             std::to_string(b.back().second));
      auto& prev = buckets[h.first];
      if (prev.size() == cum.size())
        for (std::size_t i = 0; i < cum.size(); ++i)
          if (cum[i] < prev[i]) fail(h.first + ": a cumulative bucket went down between scrapes");
      prev = cum;
      if (count != now_counts.end()) {
        if (counts.count(h.first) && count->second < counts[h.first]) fail(h.first + ": _count went down");
        counts[h.first] = count->second;
      }
    }
  }
};

}  // namespace

TEST_CASE(
    "the /metrics endpoint scraped over and over while threads record: every scrape parses and stays consistent") {
  m::prometheus_options po;
  po.host = "127.0.0.1";
  po.port = 0;
  auto reader = std::make_unique<m::prometheus_reader>(po);
  auto* r = reader.get();
  m::meter_provider_options o;
  o.readers.push_back(std::move(reader));
  auto provider = std::make_shared<m::meter_provider>(std::move(o));
  auto meter = provider->get_meter("scrape.race");
  auto calls = meter.create_int64_counter("race.calls", "{call}");
  auto tokens = meter.create_double_counter("race.tokens", "{token}");
  auto latency = meter.create_double_histogram("race.latency", "s", "", {duration_bounds});
  REQUIRE(r->port() > 0);

  constexpr int recorders = 3, scrapers = 2, scrapes_each = 25;
  std::atomic<bool> stop{false};
  std::atomic<int> scraping{scrapers};
  std::vector<std::int64_t> recorded(recorders, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < recorders; ++t)
    threads.emplace_back([&, t] {
      const char* model = t % 2 ? "llama3.2" : "qwen3";
      const attribute attrs[] = {{"gen_ai.request.model", model}, {"thread.parity", static_cast<std::int64_t>(t % 2)}};
      const attribute_list al(attrs, 2);
      std::int64_t n = 0;
      // Record until every scraper is done, and at least a few thousand times.
      while (!stop.load(std::memory_order_relaxed) || n < 2000) {
        calls.add(1, al);
        tokens.add(0.5, al);
        latency.record(0.005 * static_cast<double>(n % 400), al);
        ++n;
      }
      recorded[static_cast<std::size_t>(t)] = n;
    });
  std::vector<prom_scrape_checker> checkers(scrapers);
  std::vector<int> parsed(scrapers, 0);
  for (int s = 0; s < scrapers; ++s)
    threads.emplace_back([&, s] {
      httplib::Client client("127.0.0.1", r->port());
      auto& checker = checkers[static_cast<std::size_t>(s)];
      std::vector<scraped_prom_sample> samples;
      std::string why;
      for (int i = 0; i < scrapes_each; ++i) {
        auto res = client.Get("/metrics");
        if (!res || res->status != 200) {
          checker.fail("scrape " + std::to_string(i) + " failed");
          continue;
        }
        if (!parse_scraped_prom_text(res->body, samples, why)) {
          checker.fail("scrape " + std::to_string(i) + " does not parse: " + why);
          continue;
        }
        checker.check(samples);
        ++parsed[static_cast<std::size_t>(s)];
      }
      if (scraping.fetch_sub(1) == 1) stop.store(true);
    });
  for (auto& th : threads) th.join();

  for (int s = 0; s < scrapers; ++s) {
    const auto& checker = checkers[static_cast<std::size_t>(s)];
    INFO("scraper " << s);
    for (const auto& f : checker.failures) FAIL_CHECK(f);
    CHECK(parsed[static_cast<std::size_t>(s)] == scrapes_each);
    CHECK(checker.counters.size() == 4);  // two series each of race_calls_total and race_tokens_total
    CHECK(checker.counts.size() == 2);
  }
  // After the recorders stopped, a last scrape has the exact totals.
  httplib::Client client("127.0.0.1", r->port());
  auto res = client.Get("/metrics");
  REQUIRE(res);
  std::vector<scraped_prom_sample> samples;
  std::string why;
  REQUIRE_MESSAGE(parse_scraped_prom_text(res->body, samples, why), why);
  prom_scrape_checker last = checkers[0];
  last.failures.clear();
  last.check(samples);
  for (const auto& f : last.failures) FAIL_CHECK(f);
  double calls_total = 0, count_total = 0;
  for (const auto& c : last.counters)
    if (c.first.rfind("race_calls_total{", 0) == 0) calls_total += c.second;
  for (const auto& c : last.counts) count_total += c.second;
  const double expected = static_cast<double>(recorded[0] + recorded[1] + recorded[2]);
  CHECK(calls_total == expected);
  CHECK(count_total == expected);
  CHECK(provider->shutdown());

  // The parser and the checker can fail: a broken line, a counter going down, _count != +Inf.
  CHECK_FALSE(parse_scraped_prom_text("x{a=\"1\" 2\n", samples, why));
  CHECK_FALSE(parse_scraped_prom_text("x 2", samples, why));
  prom_scrape_checker probe_checker;
  REQUIRE(parse_scraped_prom_text("c_total{a=\"1\"} 5\n", samples, why));
  probe_checker.check(samples);
  REQUIRE(parse_scraped_prom_text("c_total{a=\"1\"} 4\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 3\n",
                                  samples, why));
  probe_checker.check(samples);
  CHECK(probe_checker.failures.size() == 3);
}
