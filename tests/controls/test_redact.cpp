// Tests for llmtrace/controls/redact.hpp: every built-in detector (finds and near misses), JSON
// content kept valid, user patterns, the callback, dropped keys, the redacting exporter in front of
// the OTLP/HTTP exporter (secrets never reach the fake collector; redaction runs on the batch worker,
// a span with nothing to redact is passed on uncopied), LLMTRACE_REDACT, and recordings (format v2
// with timing) that replay.
#include <llmtrace/controls/redact.hpp>
#include <llmtrace/exporters/in_memory.hpp>
#include <llmtrace/exporters/otlp_http.hpp>
#include <llmtrace/http/record_replay.hpp>
#include <llmtrace/span.hpp>

#include "support/fake_collector.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace llmtrace;
using nlohmann::json;

namespace {

std::string red(const redactor& r, std::string s) {
  r.redact_text(s);
  return s;
}

const redactor& all_detectors() {
  static const redactor r(redaction_options{redact_detector::all, {}, {}, {}});
  return r;
}

// Secrets used across the tests; none of them may survive.
const std::vector<std::string> secrets = {"alice.smith@example.com",
                                          "4111 1111 1111 1111",
                                          "+49 30 12345678",
                                          "10.1.2.3",
                                          "2001:db8::8a2e:370:7334",
                                          "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.c2lnbmF0dXJlX3NpZ25hdHVyZQ",
                                          "sk-proj-abcdefghijklmnopqrstuvwx",
                                          "hunter2hunter2",
                                          "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"};

std::string secret_text() {
  return "mail alice.smith@example.com, card 4111 1111 1111 1111, call +49 30 12345678, host 10.1.2.3 / "
         "2001:db8::8a2e:370:7334, Authorization: Bearer "
         "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.c2lnbmF0dXJlX3NpZ25hdHVyZQ key sk-proj-abcdefghijklmnopqrstuvwx "
         "db postgres://admin:hunter2hunter2@db.internal:5432/app\n-----BEGIN RSA PRIVATE KEY-----\n"
         "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END RSA PRIVATE KEY-----";
}

void check_clean(const std::string& s) {
  for (const auto& secret : secrets) CHECK_MESSAGE(s.find(secret) == std::string::npos, secret << " leaked in " << s);
}

}  // namespace

TEST_CASE("each built-in detector finds its kind and leaves near misses alone") {
  const auto& r = all_detectors();
  CHECK(red(r, "write to bob@mail.example.org.") == "write to [REDACTED:email].");
  CHECK(red(r, "not an address: a@b, @handle, x@localhost") == "not an address: a@b, @handle, x@localhost");

  CHECK(red(r, "card 4111-1111-1111-1111 ok") == "card [REDACTED:card] ok");
  CHECK(red(r, "visa 4012888888881881") == "visa [REDACTED:card]");
  // 16 digits failing Luhn is no card (an order number); a long id is not a phone either.
  CHECK(red(r, "order 4111111111111112") == "order 4111111111111112");

  CHECK(red(r, "call (555) 123-4567 now") == "call [REDACTED:phone] now");
  CHECK(red(r, "call +1 415 555 0100") == "call [REDACTED:phone]");
  CHECK(red(r, "pi is 3.14159265358 and ts 1700000000") == "pi is 3.14159265358 and ts 1700000000");
  CHECK(red(r, "date 2024-01-15") == "date 2024-01-15");

  CHECK(red(r, "from 192.168.0.1:8080") == "from [REDACTED:ipv4]:8080");
  CHECK(red(r, "version 1.2.3.4.5 and 300.1.1.1") == "version 1.2.3.4.5 and 300.1.1.1");
  CHECK(red(r, "v6 fe80::1ff:fe23:4567:890a and ::1") == "v6 [REDACTED:ipv6] and [REDACTED:ipv6]");
  CHECK(red(r, "at 12:30:45 use std::string") == "at 12:30:45 use std::string");
  CHECK(red(r, "mapped ::ffff:10.0.0.1") == "mapped [REDACTED:ipv6]");

  CHECK(red(r, "Authorization: Bearer abc.DEF-123_xyz=") == "Authorization: Bearer [REDACTED:bearer]");
  CHECK(red(r, "the bearer of news") == "the bearer of news");

  CHECK(red(r, "k=ghp_0123456789abcdefghijABCDEFGHIJ") == "k=[REDACTED:api_key]");
  CHECK(red(r, "AKIAIOSFODNN7EXAMPLE1234") == "[REDACTED:api_key]");
  CHECK(red(r, "api_key: \"s3cr3tvalue\"") == "api_key: \"[REDACTED:api_key]\"");
  CHECK(red(r, "task-manager sk-short") == "task-manager sk-short");

  CHECK(red(r, "a\n-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\nb") == "a\n[REDACTED:private_key]\nb");
  CHECK(red(r, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----") ==
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----");

  CHECK(red(r, "see https://user:pw@example.com/x") == "see https://[REDACTED:url_credentials]@example.com/x");
  CHECK(red(r, "see https://example.com/a@b") == "see https://example.com/a@b");

  CHECK(red(r, "Server=db;User Id=sa;Password=P@ss;w0rd") ==
        "Server=db;User Id=sa;Password=[REDACTED:connection_string];w0rd");
  CHECK(red(r, "AccountName=x;AccountKey=abc+/==;EndpointSuffix=core") ==
        "AccountName=x;AccountKey=[REDACTED:connection_string];EndpointSuffix=core");

  std::string all = secret_text();
  CHECK(r.redact_text(all) >= 9);
  check_clean(all);
}

TEST_CASE("only the detectors switched on run") {
  redactor r(redaction_options{redact_detector::email, {}, {}, {}});
  CHECK(red(r, "a@example.com 4111111111111111") == "[REDACTED:email] 4111111111111111");
  CHECK(redactor::parse_detectors("email, card") == (redact_detector::email | redact_detector::card));
  CHECK(redactor::parse_detectors("ip") == (redact_detector::ipv4 | redact_detector::ipv6));
  CHECK(redactor::parse_detectors("all") == redact_detector::all);
  std::vector<std::string> errors;
  set_error_handler([&](std::string_view m) { errors.emplace_back(m); });
  CHECK(redactor::parse_detectors("email,telepathy") == redact_detector::email);
  set_error_handler(nullptr);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("telepathy") != std::string::npos);
  CHECK_FALSE(redactor().enabled());
}

TEST_CASE("JSON content stays valid JSON, escapes included") {
  const auto& r = all_detectors();
  // The e-mail hides behind a \u0040 escape and the phone behind \n: only decoding finds them.
  std::string messages =
      R"([{"role":"user","parts":[{"type":"text","content":"mail bob\u0040example.com\ncall (555) 123-4567 \"quoted\""}]}])";
  CHECK(r.redact_value("gen_ai.input.messages", messages) == 2);
  const json j = json::parse(messages);
  CHECK(j[0]["parts"][0]["content"] == "mail [REDACTED:email]\ncall [REDACTED:phone] \"quoted\"");
  CHECK(j[0]["role"] == "user");

  // A value that only looks like JSON is redacted as plain text past the broken literal.
  std::string broken = R"(["ok", "unterminated bob@example.com)";
  r.redact_value("gen_ai.input.messages", broken);
  CHECK(broken.find("bob@example.com") == std::string::npos);
}

TEST_CASE("user patterns, the callback and dropped keys") {
  redaction_options o;
  o.patterns.push_back({"employee_id", "EMP-[0-9]{6}"});
  o.callback = [](std::string_view key, std::string_view v, std::string& out) -> std::size_t {
    if (key != "customer.name" || v.empty()) return 0;
    out = "[REDACTED:name]";
    return 1;
  };
  o.drop_keys = {"http.request.header.*", "db.statement"};
  redactor r(o);
  CHECK(red(r, "ids EMP-123456 and EMP-654321, not EMP-12") ==
        "ids [REDACTED:employee_id] and [REDACTED:employee_id], not EMP-12");
  CHECK_THROWS_AS(redactor(redaction_options{redact_detector::none, {{"bad", "("}}, {}, {}}), std::regex_error);

  attribute_set a;
  a.set("customer.name", "Ada");
  a.set("http.request.header.cookie", "session=1");
  a.set("db.statement", "select 1");
  a.set("note", std::vector<std::string>{"EMP-000001", "plain"});
  a.set("count", std::int64_t{7});
  CHECK(r.redact_attributes(a) == 2);
  CHECK(a.size() == 3);
  CHECK(a.get_string("customer.name") == "[REDACTED:name]");
  CHECK_FALSE(a.contains("http.request.header.cookie"));
  CHECK_FALSE(a.contains("db.statement"));
  std::vector<std::string> note;
  std::int64_t count = 0;
  for (const attribute x : a) {
    if (x.key == "note")
      for (std::size_t i = 0; i < x.value.size(); ++i) note.emplace_back(x.value.string_at(i));
    if (x.key == "count") count = x.value.as_int();
  }
  CHECK(note == std::vector<std::string>{"[REDACTED:employee_id]", "plain"});
  CHECK(count == 7);
}

TEST_CASE("redacted values never reach the collector; the span counts its finds") {
  llmtrace_test::fake_collector c;
  otlp_http_options eo;
  eo.endpoint = c.traces_url();
  auto r = std::make_shared<const redactor>(redaction_options{redact_detector::all, {}, {}, {"secret.*"}});
  provider_options po;
  po.processors.push_back(std::make_unique<batch_processor>(
      std::make_unique<redacting_exporter>(r, std::make_unique<otlp_http_exporter>(eo))));
  tracer_provider p(std::move(po));
  const auto t = p.get_tracer("test");
  const std::string messages =
      json::array({{{"role", "user"}, {"parts", {{{"type", "text"}, {"content", secret_text()}}}}}}).dump();
  {
    span s(t, "chat llama3.2", span_kind::client, {{"gen_ai.input.messages", messages}});
    s.set_attribute("free.text", secret_text());
    s.set_attribute("secret.token", "value-that-must-vanish");
    s.add_event("gen_ai.client.inference.operation.details", {{"gen_ai.output.messages", messages}});
    s.add_link(span_context{trace_id::random(), span_id::random(), 1, false},
               {{"why", "from alice.smith@example.com"}});
    s.set_status(status_code::error, "login failed for alice.smith@example.com");
  }
  REQUIRE(p.force_flush());
  REQUIRE(c.wait_for_spans(1));
  for (const auto& req : c.requests()) {
    check_clean(req.body);
    CHECK(req.body.find("value-that-must-vanish") == std::string::npos);
  }
  const auto spans = c.spans();
  REQUIRE(spans.size() == 1);
  const auto& sp = spans[0];
  CHECK_FALSE(sp.attributes.has("secret.token"));
  CHECK(sp.attributes.get(std::string(redacted_count_key)).int_value >= 20);
  const json in = json::parse(sp.attributes.get("gen_ai.input.messages").string_value);
  CHECK(in[0]["parts"][0]["content"].get<std::string>().find("[REDACTED:email]") != std::string::npos);
  REQUIRE(sp.events.size() == 1);
  CHECK(json::accept(sp.events[0].attributes.get("gen_ai.output.messages").string_value));
  CHECK(sp.status.message == "login failed for [REDACTED:email]");
}

namespace {
// Records, for each batch, the span objects it was handed and the thread it ran on.
struct probe_exporter final : exporter {
  std::vector<const span_data*> seen;
  std::vector<std::string> names, emails;
  std::thread::id thread;
  export_result export_batch(const span_batch& spans) noexcept override {
    thread = std::this_thread::get_id();
    for (const auto& s : spans) {
      seen.push_back(&s);
      names.emplace_back(s.name());
      emails.emplace_back(s.attributes.get_string("user.email"));
    }
    return export_result::success;
  }
};
}  // namespace

TEST_CASE("redaction runs on the export side and passes a span with nothing to redact on uncopied") {
  auto r = std::make_shared<const redactor>(redaction_options{redact_detector::all, {}, {}, {}});
  // Directly: a clean span is the very object handed in; a span with a find is a rewritten copy.
  {
    probe_exporter* probe = nullptr;
    auto inner = std::make_unique<probe_exporter>();
    probe = inner.get();
    redacting_exporter ex(r, std::move(inner));
    span_data clean, dirty;
    clean.set_name("clean");
    clean.attributes.set("gen_ai.input.messages", R"([{"role":"user","parts":[{"type":"text","content":"hi"}]}])");
    dirty.set_name("dirty");
    dirty.attributes.set("user.email", "ada@example.com");
    const span_data* batch[] = {&clean, &dirty};
    CHECK(ex.export_batch(span_batch(batch, 2)) == export_result::success);
    REQUIRE(probe->seen.size() == 2);
    CHECK(probe->seen[0] == &clean);
    CHECK(probe->seen[1] != &dirty);
    CHECK(probe->emails[1] == "[REDACTED:email]");
    CHECK(dirty.attributes.get_string("user.email") == "ada@example.com");  // the input is left alone
  }
  // Through a batch processor: the callback runs on the worker, never on the thread ending the span.
  std::mutex mu;
  std::vector<std::thread::id> callback_threads;
  redaction_options o;
  o.callback = [&](std::string_view, std::string_view, std::string&) -> std::size_t {
    std::lock_guard<std::mutex> lk(mu);
    callback_threads.push_back(std::this_thread::get_id());
    return 0;
  };
  auto probe_owner = std::make_unique<probe_exporter>();
  probe_exporter* probe = probe_owner.get();
  provider_options po;
  po.processors.push_back(std::make_unique<batch_processor>(
      std::make_unique<redacting_exporter>(std::make_shared<const redactor>(o), std::move(probe_owner))));
  tracer_provider p(std::move(po));
  { span s(p.get_tracer("test"), "work", span_kind::internal, {{"note", "text"}}); }
  {
    std::lock_guard<std::mutex> lk(mu);
    CHECK(callback_threads.empty());  // nothing redacted while the span ended
  }
  REQUIRE(p.force_flush());
  std::lock_guard<std::mutex> lk(mu);
  REQUIRE_FALSE(callback_threads.empty());
  for (const auto& id : callback_threads) CHECK(id != std::this_thread::get_id());
  CHECK(probe->thread == callback_threads.front());
}

TEST_CASE("LLMTRACE_REDACT and LLMTRACE_REDACT_KEYS configure redaction without code") {
  ::setenv("LLMTRACE_REDACT", "email,card", 1);
  ::setenv("LLMTRACE_REDACT_KEYS", "user.password, http.request.header.*", 1);
  const auto o = redactor::options_from_env();
  ::unsetenv("LLMTRACE_REDACT");
  ::unsetenv("LLMTRACE_REDACT_KEYS");
  CHECK(o.detectors == (redact_detector::email | redact_detector::card));
  CHECK(o.drop_keys == std::vector<std::string>{"user.password", "http.request.header.*"});
  CHECK_FALSE(redactor(redactor::options_from_env()).enabled());
}

namespace {
class scripted_transport final : public http::transport {
 public:
  std::vector<std::string> chunks;
  http::response send(const http::request&) noexcept override {
    http::response r;
    r.status = 200;
    r.headers.push_back({"Set-Cookie", "owner=alice.smith@example.com"});
    r.body = R"({"message":{"role":"assistant","content":"reach me at alice.smith@example.com"}})";
    return r;
  }
  http::response stream(const http::request&, const http::data_callback& on_data) noexcept override {
    http::response r;
    r.status = 200;
    for (const auto& c : chunks)
      if (!on_data(c)) break;
    return r;
  }
};
}  // namespace

TEST_CASE("a recording never holds a redacted value and still replays") {
  const std::string path = "controls_redact_recording.jsonl";
  auto inner = std::make_shared<scripted_transport>();
  // The e-mail is split across two streamed pieces.
  inner->chunks = {"{\"message\":{\"content\":\"mail alice.smi", "th@example.com\"},\"done\":false}\n",
                   "{\"done\":true}\n"};
  auto r = std::make_shared<const redactor>(redaction_options{redact_detector::all, {}, {}, {}});
  {
    http::recording_options ro;
    ro.redact = recording_redaction(r);
    http::recording_transport rec(inner, path, ro);
    http::request q;
    q.url = "http://127.0.0.1:11434/api/chat";
    q.body = R"({"model":"m","messages":[{"role":"user","content":"card 4111 1111 1111 1111"}]})";
    CHECK(rec.send(q).ok());
    q.body = R"({"model":"m","stream":true,"messages":[{"role":"user","content":"card 4111 1111 1111 1111"}]})";
    std::string got;
    CHECK(rec.stream(q,
                     [&](std::string_view b) {
                       got.append(b);
                       return true;
                     })
              .ok());
    CHECK(got.find("alice.smith@example.com") != std::string::npos);  // the caller sees the real answer
  }
  std::ifstream in(path);
  std::string line, all;
  while (std::getline(in, line)) {
    CHECK(json::accept(line));
    all += line;
    const json j = json::parse(line, nullptr, false);
    if (j.contains("response") && j["response"].contains("chunks")) {
      // Format v2: one recorded offset per streamed piece, still after redaction moved text around.
      REQUIRE(j["response"].contains("timing"));
      CHECK(j["response"]["timing"]["chunks_us"].size() == j["response"]["chunks"].size());
    }
  }
  CHECK(all.find("\"llmtrace_recording\":2") != std::string::npos);
  check_clean(all);
  CHECK(all.find("[REDACTED:email]") != std::string::npos);
  CHECK(all.find("[REDACTED:card]") != std::string::npos);

  // The redacted recording replays: the redacted request body matches the recorded one.
  http::replay_transport replay(path);
  http::request q;
  q.url = "http://x/api/chat";
  q.body = R"({"model":"m","stream":true,"messages":[{"role":"user","content":"card [REDACTED:card]"}]})";
  std::string streamed;
  CHECK(replay
            .stream(q,
                    [&](std::string_view b) {
                      streamed.append(b);
                      return true;
                    })
            .ok());
  CHECK(streamed == "{\"message\":{\"content\":\"mail [REDACTED:email]\"},\"done\":false}\n{\"done\":true}\n");

  // With the same redaction on replay, the test's real request (the card number in clear) matches.
  http::replay_options rpo;
  rpo.recorded_timing = false;
  rpo.redact = recording_redaction(r);
  http::replay_transport replay_redacting(path, rpo);
  q.body = R"({"model":"m","messages":[{"role":"user","content":"card 4111 1111 1111 1111"}]})";
  const auto answered = replay_redacting.send(q);
  CHECK(answered.ok());
  CHECK(answered.body.find("[REDACTED:email]") != std::string::npos);
  CHECK(replay_redacting.misses() == 0);
  std::remove(path.c_str());
}
