// Tests for llmtrace/http/curl_transport.hpp against a small in-test cpp-httplib server: methods,
// headers, bodies, streaming, cancellation (connection closed), timeouts, refused connections,
// connection reuse and concurrent use.
#include <llmtrace/http/curl_transport.hpp>

#include "net_test_support.hpp"

#include <doctest/doctest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace http = llmtrace::http;
using namespace std::chrono_literals;

namespace {

class test_server {
 public:
  test_server() {
    srv_.Get("/echo", [](const httplib::Request& req, httplib::Response& res) { echo(req, res); });
    srv_.Post("/echo", [](const httplib::Request& req, httplib::Response& res) { echo(req, res); });
    srv_.Put("/echo", [](const httplib::Request& req, httplib::Response& res) { echo(req, res); });
    srv_.Get("/port", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(std::to_string(req.remote_port), "text/plain");
    });
    srv_.Get("/missing", [](const httplib::Request&, httplib::Response& res) {
      res.status = 404;
      res.set_content("404 page not found", "text/plain");
    });
    srv_.Post("/fail", [](const httplib::Request&, httplib::Response& res) {
      res.status = 503;
      res.set_content(R"({"error":"server busy"})", "application/json; charset=utf-8");
    });
    srv_.Get("/stream", [](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("application/x-ndjson", [](std::size_t, httplib::DataSink& sink) {
        for (int i = 0; i < 5; ++i) {
          const std::string line = "line-" + std::to_string(i) + "\n";
          sink.write(line.data(), line.size());
        }
        sink.done();
        return true;
      });
    });
    // Writes until the client goes away (or 10 s pass), then counts the disconnect.
    srv_.Get("/endless", [this](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("text/plain", [this](std::size_t, httplib::DataSink& sink) {
        const std::string block(1024, 'x');
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        bool gone = false;
        while (std::chrono::steady_clock::now() < deadline) {
          if (!sink.write(block.data(), block.size())) {
            gone = true;
            break;
          }
        }
        {
          std::lock_guard<std::mutex> lk(mu_);
          if (gone) ++disconnects_;
        }
        cv_.notify_all();
        if (!gone) sink.done();
        return !gone;
      });
    });
    // Answers only when released (or after 5 s).
    srv_.Get("/hang", [this](const httplib::Request&, httplib::Response& res) {
      wait_release();
      res.set_content("late", "text/plain");
    });
    // One chunk, then silence until released.
    srv_.Get("/stall", [this](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("text/plain", [this](std::size_t, httplib::DataSink& sink) {
        sink.write("first\n", 6);
        wait_release();
        sink.done();
        return true;
      });
    });
    port_ = srv_.bind_to_any_port("127.0.0.1");
    REQUIRE(port_ > 0);
    thread_ = std::thread([this] { srv_.listen_after_bind(); });
  }
  ~test_server() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      released_ = true;
    }
    cv_.notify_all();
    srv_.stop();
    thread_.join();
  }
  test_server(const test_server&) = delete;
  test_server& operator=(const test_server&) = delete;

  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  int port() const { return port_; }
  bool wait_for_disconnects(int n, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lk(mu_);
    return cv_.wait_for(lk, timeout, [&] { return disconnects_ >= n; });
  }

 private:
  static void echo(const httplib::Request& req, httplib::Response& res) {
    std::string out = "method=" + req.method + "\nbody=" + req.body + "\nx-test=" + req.get_header_value("X-Test") +
                      "\ncontent-type=" + req.get_header_value("Content-Type") +
                      "\nexpect=" + req.get_header_value("Expect") + "\n";
    res.set_header("X-Reply", "yes");
    res.set_content(out, "text/plain");
  }
  void wait_release() {
    std::unique_lock<std::mutex> lk(mu_);
    cv_.wait_for(lk, 5s, [&] { return released_; });
  }

  httplib::Server srv_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
  int disconnects_ = 0;
};

http::request make_request(std::string method, std::string url) {
  http::request r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.connect_timeout = 2000ms;
  r.timeout = 10000ms;
  return r;
}

}  // namespace

TEST_CASE("send: GET, POST, PUT and HEAD with headers and body") {
  test_server server;
  http::curl_transport t;

  auto get = make_request("GET", server.url("/echo"));
  get.headers.push_back({"X-Test", "hello"});
  const auto r1 = t.send(get);
  REQUIRE(r1.ok());
  CHECK(r1.status == 200);
  CHECK(r1.body.find("method=GET\n") != std::string::npos);
  CHECK(r1.body.find("x-test=hello\n") != std::string::npos);
  REQUIRE(r1.find_header("x-reply"));
  CHECK(*r1.find_header("X-REPLY") == "yes");
  CHECK(r1.find_header("content-type").value_or("") == "text/plain");

  auto post = make_request("POST", server.url("/echo"));
  post.headers.push_back({"Content-Type", "application/json"});
  post.body = std::string(R"({"model":"llama3.2","pad":")") + std::string(4000, 'a') + "\"}";
  const auto r2 = t.send(post);
  REQUIRE(r2.ok());
  CHECK(r2.body.find("method=POST\n") != std::string::npos);
  CHECK(r2.body.find("body=" + post.body + "\n") != std::string::npos);
  CHECK(r2.body.find("content-type=application/json\n") != std::string::npos);
  CHECK(r2.body.find("expect=\n") != std::string::npos);  // no 100-continue round trip

  auto post_plain = make_request("POST", server.url("/echo"));
  post_plain.body = "raw";
  const auto r2b = t.send(post_plain);
  REQUIRE(r2b.ok());
  CHECK(r2b.body.find("content-type=application/x-www-form-urlencoded") == std::string::npos);

  auto put = make_request("PUT", server.url("/echo"));
  put.body = "put-body";
  const auto r3 = t.send(put);
  REQUIRE(r3.ok());
  CHECK(r3.body.find("method=PUT\nbody=put-body\n") != std::string::npos);

  const auto r4 = t.send(make_request("HEAD", server.url("/echo")));
  REQUIRE(r4.ok());
  CHECK(r4.body.empty());
  CHECK(r4.find_header("X-Reply").value_or("") == "yes");
}

TEST_CASE("send: a non-2xx status is a response, not a transport error") {
  test_server server;
  http::curl_transport t;
  const auto r = t.send(make_request("POST", server.url("/fail")));
  CHECK(r.transport_ok());
  CHECK_FALSE(r.ok());
  CHECK(r.status == 503);
  CHECK(r.body == R"({"error":"server busy"})");
}

TEST_CASE("stream: 2xx bodies go to the callback, non-2xx bodies are buffered whole") {
  test_server server;
  http::curl_transport t;
  std::string got;
  int calls = 0;
  const auto r = t.stream(make_request("GET", server.url("/stream")), [&](std::string_view bytes) {
    got.append(bytes);
    ++calls;
    return true;
  });
  REQUIRE(r.ok());
  CHECK(r.body.empty());
  CHECK(calls >= 1);
  CHECK(got == "line-0\nline-1\nline-2\nline-3\nline-4\n");
  CHECK(r.find_header("content-type").value_or("") == "application/x-ndjson");

  bool called = false;
  const auto r404 = t.stream(make_request("GET", server.url("/missing")), [&](std::string_view) {
    called = true;
    return true;
  });
  CHECK_FALSE(called);
  CHECK(r404.transport_ok());
  CHECK(r404.status == 404);
  CHECK(r404.body == "404 page not found");
}

TEST_CASE("stream: returning false aborts the transfer and closes the connection") {
  test_server server;
  http::curl_transport t;
  std::size_t received = 0;
  const auto r = t.stream(make_request("GET", server.url("/endless")), [&](std::string_view bytes) {
    received += bytes.size();
    return received < 4096;
  });
  CHECK(r.error == http::error_kind::aborted);
  CHECK(r.status == 200);
  CHECK(received >= 4096);
  CHECK_FALSE(r.error_message.empty());
  // The server sees the connection go away (its writes fail) well before its 10 s limit.
  CHECK(server.wait_for_disconnects(1, 8s));

  // A callback that throws stops the transfer the same way; nothing escapes.
  const auto r2 = t.stream(make_request("GET", server.url("/endless")),
                           [&](std::string_view) -> bool { throw std::runtime_error("boom"); });
  CHECK(r2.error == http::error_kind::aborted);
  CHECK(server.wait_for_disconnects(2, 8s));

  // The transport stays usable afterwards.
  CHECK(t.send(make_request("GET", server.url("/echo"))).ok());
}

TEST_CASE("timeouts: total and read (silence)") {
  test_server server;
  http::curl_transport t;

  auto req = make_request("GET", server.url("/hang"));
  req.timeout = 200ms;
  const auto start = std::chrono::steady_clock::now();
  const auto r = t.send(req);
  CHECK(r.error == http::error_kind::timeout);
  CHECK(std::chrono::steady_clock::now() - start < 4s);

  auto sreq = make_request("GET", server.url("/stall"));
  sreq.timeout = 0ms;
  sreq.read_timeout = 300ms;
  std::string got;
  const auto start2 = std::chrono::steady_clock::now();
  const auto r2 = t.stream(sreq, [&](std::string_view bytes) {
    got.append(bytes);
    return true;
  });
  CHECK(r2.error == http::error_kind::timeout);
  CHECK(got == "first\n");
  CHECK(std::chrono::steady_clock::now() - start2 < 4s);
}

TEST_CASE("connection refused, unresolvable host; error messages never carry header values") {
  ollama_test::refused_port closed;
  http::curl_transport t;
  auto req = make_request("POST", "http://127.0.0.1:" + std::to_string(closed.port()) + "/api/chat");
  req.headers.push_back({"Authorization", "Bearer sekrit-token-123"});
  req.body = "{}";
  const auto r = t.send(req);
  CHECK(r.error == http::error_kind::connect);
  CHECK(r.status == 0);
  CHECK_FALSE(r.error_message.empty());
  CHECK(r.error_message.find("sekrit") == std::string::npos);

  bool called = false;
  const auto rs = t.stream(req, [&](std::string_view) {
    called = true;
    return true;
  });
  CHECK(rs.error == http::error_kind::connect);
  CHECK_FALSE(called);

  auto bad = make_request("GET", "http://no-such-host.invalid/");
  bad.headers.push_back({"X-Api-Key", "sekrit-key"});
  const auto rb = t.send(bad);
  CHECK(rb.error == http::error_kind::resolve);
  CHECK(rb.error_message.find("sekrit") == std::string::npos);
}

TEST_CASE("TLS failures are reported as tls") {
  test_server server;
  http::curl_transport t;
  // A TLS handshake against a plain-HTTP server fails.
  auto req = make_request("GET", "https://127.0.0.1:" + std::to_string(server.port()) + "/echo");
  const auto r = t.send(req);
  CHECK(r.error == http::error_kind::tls);
  CHECK(r.status == 0);
  // An unreadable CA bundle is a TLS configuration problem too.
  req.tls.ca_file = "/nonexistent/ca.pem";
  CHECK(t.send(req).error == http::error_kind::tls);
  // verify=false does not make a plain-HTTP server speak TLS.
  req.tls = {};
  req.tls.verify = false;
  CHECK(t.send(req).error == http::error_kind::tls);
}

TEST_CASE("keep-alive connections are reused across requests") {
  test_server server;
  http::curl_transport t;
  const auto a = t.send(make_request("GET", server.url("/port")));
  const auto b = t.send(make_request("GET", server.url("/port")));
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a.body == b.body);  // same client port: the same TCP connection
  CHECK(t.idle_handles() == 1);
}

TEST_CASE("one transport serves several threads at once") {
  test_server server;
  auto t = http::default_transport();
  REQUIRE(t);
  CHECK(t == http::default_transport());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < 10; ++k) {
        auto req = make_request("POST", server.url("/echo"));
        req.body = "thread-" + std::to_string(i) + "-" + std::to_string(k);
        const auto r = t->send(req);
        if (r.ok() && r.body.find("body=" + req.body + "\n") != std::string::npos) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(ok.load() == 40);
}

TEST_CASE("url helpers") {
  CHECK(llmtrace::detail::url_host("http://127.0.0.1:11434/api") == "127.0.0.1");
  CHECK(llmtrace::detail::url_host("https://user:pw@Example.com/x") == "Example.com");
  CHECK(llmtrace::detail::url_host("http://[::1]:11434") == "::1");
  CHECK(llmtrace::detail::url_host("localhost") == "localhost");
  CHECK(llmtrace::detail::is_loopback_host("LOCALHOST"));
  CHECK(llmtrace::detail::is_loopback_host("127.0.0.2"));
  CHECK(llmtrace::detail::is_loopback_host("::1"));
  CHECK_FALSE(llmtrace::detail::is_loopback_host("10.0.0.1"));
}
