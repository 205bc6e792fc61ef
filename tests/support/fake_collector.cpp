// The fake OTLP/HTTP collector (see fake_collector.hpp). httplib is only included here.
#include "fake_collector.hpp"

#define ZLIB_CONST
#include <httplib.h>
#include <zlib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace llmtrace_test {

namespace {

// httplib inflates gzip request bodies itself before any handler runs, which would hide the wire
// bytes and turn a mislabelled body into an anonymous 400. The pre-routing handler (which runs
// before the body is read) moves Content-Encoding out of its way under this name; the POST handler
// restores it in the recorded headers and gunzips on its own.
constexpr const char* hidden_encoding_header = "X-Llmtrace-Fake-Collector-Content-Encoding";

// Pseudo headers httplib adds to every request; they were not sent by the client.
bool is_httplib_pseudo_header(const std::string& name) {
  return name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" || name == "LOCAL_PORT";
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

// The media type of a Content-Type value, lowercased, without parameters.
std::string media_type(std::string_view content_type) {
  const auto semi = content_type.find(';');
  return lower(trim(content_type.substr(0, semi)));
}

std::optional<otlp_encoding> encoding_of(std::string_view content_type) {
  const std::string mt = media_type(content_type);
  if (mt == "application/x-protobuf") return otlp_encoding::protobuf;
  if (mt == "application/json") return otlp_encoding::json;
  return std::nullopt;
}

struct answer {
  int status = 200;
  std::string body;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
};

answer error_answer(int status, std::optional<otlp_encoding> enc, std::int32_t grpc_code, const std::string& msg) {
  answer a;
  a.status = status;
  if (enc) {
    a.body = encode_rpc_status(*enc, grpc_code, msg);
    a.content_type = content_type_of(*enc);
  } else {
    a.body = msg;
    a.content_type = "text/plain";
  }
  return a;
}

answer render(const scripted_response& r, otlp_encoding enc) {
  answer a;
  a.content_type = content_type_of(enc);
  switch (r.what) {
    case scripted_response::kind::ok:
      a.status = 200;
      a.body = encode_export_response_ok(enc);
      break;
    case scripted_response::kind::partial_success:
      a.status = 200;
      a.body = encode_export_response_partial(enc, r.rejected_spans, r.message);
      break;
    case scripted_response::kind::rpc_status:
      a.status = r.http_status;
      a.body = encode_rpc_status(enc, r.grpc_code, r.message);
      break;
    case scripted_response::kind::status:
    case scripted_response::kind::hang:
      a.status = r.http_status;
      a.body = r.body;
      break;
  }
  for (const auto& h : r.headers) {
    if (lower(h.first) == "content-type")
      a.content_type = h.second;
    else
      a.headers.push_back(h);
  }
  return a;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

bool header_name_less::operator()(const std::string& a, const std::string& b) const noexcept {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) < std::tolower(static_cast<unsigned char>(y));
  });
}

std::string received_request::header(std::string_view name) const {
  const auto it = headers.find(std::string(name));
  return it == headers.end() ? std::string() : it->second;
}
bool received_request::has_header(std::string_view name) const { return headers.count(std::string(name)) != 0; }
std::size_t received_request::header_count(std::string_view name) const { return headers.count(std::string(name)); }

scripted_response scripted_response::ok() { return scripted_response{}; }

scripted_response scripted_response::status(int http_status, std::string body,
                                            std::vector<std::pair<std::string, std::string>> headers) {
  scripted_response r;
  r.what = kind::status;
  r.http_status = http_status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

scripted_response scripted_response::retry_after(int http_status, std::string retry_after_value) {
  return status(http_status, {}, {{"Retry-After", std::move(retry_after_value)}});
}

scripted_response scripted_response::rpc_status(int http_status, std::int32_t grpc_code, std::string message) {
  scripted_response r;
  r.what = kind::rpc_status;
  r.http_status = http_status;
  r.grpc_code = grpc_code;
  r.message = std::move(message);
  return r;
}

scripted_response scripted_response::partial_success(std::int64_t rejected_spans, std::string error_message) {
  scripted_response r;
  r.what = kind::partial_success;
  r.rejected_spans = rejected_spans;
  r.message = std::move(error_message);
  return r;
}

scripted_response scripted_response::hang() {
  scripted_response r;
  r.what = kind::hang;
  r.http_status = 504;
  return r;
}

// ---------------------------------------------------------------------------------------------

struct fake_collector::impl {
  fake_collector_options opts;
  httplib::Server server;
  int port = -1;
  std::thread thread;

  mutable std::mutex mu;
  mutable std::condition_variable cv;  // any change of the state below
  std::deque<received_request> reqs;
  std::size_t base = 0;  // absolute index of reqs.front() (clear() moves it on)
  std::size_t spans_total = 0;
  std::deque<scripted_response> script;
  scripted_response fallback = scripted_response::ok();
  std::size_t hung = 0;
  std::uint64_t release_generation = 0;
  bool stopping = false;
  bool loop_started = false;
  bool listen_returned = false;
  bool stopped = false;
  std::mutex stop_mu;  // serialises stop()

  // Records a request and returns its absolute index.
  std::size_t record(received_request rec) {
    std::lock_guard<std::mutex> lock(mu);
    spans_total += rec.decoded.span_count();
    reqs.push_back(std::move(rec));
    cv.notify_all();
    return base + reqs.size() - 1;
  }

  void set_status(std::size_t abs_index, int status) {
    std::lock_guard<std::mutex> lock(mu);
    if (abs_index >= base && abs_index - base < reqs.size()) reqs[abs_index - base].response_status = status;
  }

  void handle(const httplib::Request& req, httplib::Response& res) {
    received_request rec;
    rec.arrival = std::chrono::steady_clock::now();
    rec.method = req.method;
    rec.path = req.path;
    rec.target = req.target;
    std::string content_encoding;
    for (const auto& h : req.headers) {
      if (is_httplib_pseudo_header(h.first)) continue;
      if (h.first == hidden_encoding_header) {
        rec.headers.emplace("Content-Encoding", h.second);
        content_encoding = content_encoding.empty() ? h.second : content_encoding + "," + h.second;
      } else {
        rec.headers.emplace(h.first, h.second);
      }
    }
    rec.raw_body = req.body;

    std::optional<answer> early;
    const std::string ce = lower(trim(content_encoding));
    rec.encoding = encoding_of(rec.header("Content-Type"));
    if (ce == "gzip") {
      rec.gzip = true;
      try {
        rec.body = gunzip(rec.raw_body);
      } catch (const std::exception& e) {
        rec.decode_error = std::string("Content-Encoding: gzip but the body does not gunzip: ") + e.what();
        early = error_answer(400, rec.encoding, 3, rec.decode_error);
      }
    } else if (ce.empty() || ce == "identity") {
      rec.body = rec.raw_body;
    } else {
      rec.decode_error = "unsupported Content-Encoding: " + content_encoding;
      early = error_answer(415, rec.encoding, 3, rec.decode_error);
    }

    // Logs and metrics are recorded raw: tests decode them with the JS decoder.
    const bool logs = rec.path == "/v1/logs" || rec.path == "/v1/metrics";
    if (!early && rec.path != "/v1/traces" && !logs) {
      rec.decode_error = "not an OTLP trace, metrics or log path: " + rec.path;
      early = error_answer(404, rec.encoding, 5, rec.decode_error);
    }
    if (!early && !rec.encoding) {
      rec.decode_error = "unsupported Content-Type: \"" + rec.header("Content-Type") +
                         "\" (expected application/x-protobuf or application/json)";
      early = error_answer(415, std::nullopt, 3, rec.decode_error);
    }
    if (!early && !logs) {
      try {
        rec.decoded = decode_request(rec.body, *rec.encoding);
      } catch (const decode_error& e) {
        rec.decode_error = e.what();
        early = error_answer(400, rec.encoding, 3, rec.decode_error);
      }
    }

    answer a;
    if (early) {
      a = *early;
      rec.response_status = a.status;
      record(std::move(rec));
    } else {
      const otlp_encoding enc = *rec.encoding;
      scripted_response r;
      std::size_t index = 0;
      {
        std::unique_lock<std::mutex> lock(mu);
        if (!script.empty()) {
          r = std::move(script.front());
          script.pop_front();
        } else {
          r = fallback;
        }
        lock.unlock();
        index = record(std::move(rec));
      }
      if (r.what == scripted_response::kind::hang) {
        std::unique_lock<std::mutex> lock(mu);
        if (!stopping) {
          const std::uint64_t generation = release_generation;
          ++hung;
          cv.notify_all();
          cv.wait(lock, [&] { return stopping || release_generation != generation; });
          --hung;
          cv.notify_all();
        }
        a = render(r, enc);
        if (stopping) {
          a.status = 503;
          a.body = encode_rpc_status(enc, 14, "fake_collector is stopping");
        }
      } else {
        a = render(r, enc);
      }
      set_status(index, a.status);
    }

    res.status = a.status;
    for (const auto& h : a.headers) res.set_header(h.first.c_str(), h.second);
    res.set_content(a.body, a.content_type.c_str());
  }
};

fake_collector::fake_collector() : fake_collector(fake_collector_options{}) {}

fake_collector::fake_collector(fake_collector_options options) : impl_(std::make_unique<impl>()) {
  impl& d = *impl_;
  d.opts = options;
  d.server.set_keep_alive_max_count(d.opts.keep_alive ? 100 : 1);
  d.server.set_keep_alive_timeout(d.opts.keep_alive_timeout_sec);
  const std::size_t threads = d.opts.threads == 0 ? 1 : d.opts.threads;
  // listen_after_bind() creates the task queue right after it marks the server running: that tells
  // stop() when httplib's own stop() will take effect, without polling.
  d.server.new_task_queue = [&d, threads]() -> httplib::TaskQueue* {
    {
      std::lock_guard<std::mutex> lock(d.mu);
      d.loop_started = true;
    }
    d.cv.notify_all();
    return new httplib::ThreadPool(threads);
  };
  d.server.set_pre_routing_handler([](const httplib::Request& creq, httplib::Response&) {
    // The Request object httplib passes here is its own non-const local; see hidden_encoding_header.
    auto& req = const_cast<httplib::Request&>(creq);
    const auto range = req.headers.equal_range("Content-Encoding");
    std::vector<std::string> values;
    for (auto it = range.first; it != range.second; ++it) values.push_back(it->second);
    req.headers.erase(range.first, range.second);
    for (auto& v : values) req.headers.emplace(hidden_encoding_header, std::move(v));
    return httplib::Server::HandlerResponse::Unhandled;
  });
  d.server.Post(".*", [&d](const httplib::Request& req, httplib::Response& res) { d.handle(req, res); });

  // bind_to_any_port() binds and listens, so connections are accepted (queued by the kernel) from
  // here on, before the accept loop is running.
  d.port = d.server.bind_to_any_port("127.0.0.1");
  if (d.port <= 0) throw std::runtime_error("fake_collector: cannot bind 127.0.0.1 to a free port");
  d.thread = std::thread([&d] {
    d.server.listen_after_bind();
    {
      std::lock_guard<std::mutex> lock(d.mu);
      d.listen_returned = true;
    }
    d.cv.notify_all();
  });
}

fake_collector::~fake_collector() { stop(); }

int fake_collector::port() const noexcept { return impl_->port; }
std::string fake_collector::endpoint() const { return "http://127.0.0.1:" + std::to_string(impl_->port); }
std::string fake_collector::traces_url() const { return endpoint() + "/v1/traces"; }

void fake_collector::enqueue(scripted_response response) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->script.push_back(std::move(response));
}

void fake_collector::enqueue(std::vector<scripted_response> responses) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  for (auto& r : responses) impl_->script.push_back(std::move(r));
}

void fake_collector::set_default_response(scripted_response response) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->fallback = std::move(response);
}

std::size_t fake_collector::pending_responses() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->script.size();
}

std::vector<received_request> fake_collector::requests() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return std::vector<received_request>(impl_->reqs.begin(), impl_->reqs.end());
}

received_request fake_collector::request(std::size_t index) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (index >= impl_->reqs.size()) {
    throw std::out_of_range("fake_collector: request " + std::to_string(index) + " requested but only " +
                            std::to_string(impl_->reqs.size()) + " received");
  }
  return impl_->reqs[index];
}

std::size_t fake_collector::request_count() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->reqs.size();
}

std::vector<flat_span> fake_collector::spans() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<flat_span> out;
  for (std::size_t i = 0; i < impl_->reqs.size(); ++i) {
    auto part = impl_->reqs[i].decoded.flatten(i);
    for (auto& s : part) out.push_back(std::move(s));
  }
  return out;
}

std::size_t fake_collector::span_count() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->spans_total;
}

bool fake_collector::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, [&] { return impl_->reqs.size() >= n; });
}

bool fake_collector::wait_for_spans(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, [&] { return impl_->spans_total >= n; });
}

void fake_collector::clear() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->base += impl_->reqs.size();
  impl_->reqs.clear();
  impl_->spans_total = 0;
}

std::size_t fake_collector::hung_count() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->hung;
}

bool fake_collector::wait_for_hung(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, [&] { return impl_->hung >= n; });
}

void fake_collector::release_hung() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    ++impl_->release_generation;
  }
  impl_->cv.notify_all();
}

void fake_collector::stop() {
  impl& d = *impl_;
  std::lock_guard<std::mutex> serial(d.stop_mu);
  {
    std::unique_lock<std::mutex> lock(d.mu);
    if (d.stopped) return;
    d.stopping = true;  // releases hung handlers, and no new request will hang
    d.cv.notify_all();
    // httplib's stop() is a no-op until the accept loop has started.
    d.cv.wait(lock, [&] { return d.loop_started || d.listen_returned; });
  }
  d.server.stop();  // closes the listening socket; the accept loop then joins its workers
  if (d.thread.joinable()) d.thread.join();
  std::lock_guard<std::mutex> lock(d.mu);
  d.stopped = true;
}

bool fake_collector::running() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return !impl_->stopping;
}

int fake_collector::unused_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("fake_collector::unused_port: socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);  // never listened on: connecting to it is refused
  if (port <= 0) throw std::runtime_error("fake_collector::unused_port: cannot bind an ephemeral port");
  return port;
}

std::string fake_collector::unreachable_endpoint() { return "http://127.0.0.1:" + std::to_string(unused_port()); }

// ---------------------------------------------------------------------------------------------

std::string gzip_compress(std::string_view data) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("gzip: deflateInit2 failed");
  }
  if (data.size() > std::numeric_limits<uInt>::max()) {
    deflateEnd(&zs);
    throw std::runtime_error("gzip: input too large");
  }
  zs.next_in = reinterpret_cast<const Bytef*>(data.data());
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char chunk[16384];
  int rc = Z_OK;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(chunk);
    zs.avail_out = sizeof chunk;
    rc = deflate(&zs, Z_FINISH);
    if (rc == Z_STREAM_ERROR) {
      deflateEnd(&zs);
      throw std::runtime_error("gzip: deflate failed");
    }
    out.append(chunk, sizeof chunk - zs.avail_out);
  } while (rc != Z_STREAM_END);
  deflateEnd(&zs);
  return out;
}

std::string gunzip(std::string_view data) {
  constexpr std::size_t max_output = std::size_t{512} << 20;
  if (data.size() > std::numeric_limits<uInt>::max()) throw std::runtime_error("gunzip: input too large");
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw std::runtime_error("gunzip: inflateInit2 failed");
  zs.next_in = reinterpret_cast<const Bytef*>(data.data());
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char chunk[65536];
  for (;;) {
    zs.next_out = reinterpret_cast<Bytef*>(chunk);
    zs.avail_out = sizeof chunk;
    const int rc = inflate(&zs, Z_NO_FLUSH);
    out.append(chunk, sizeof chunk - zs.avail_out);
    if (rc == Z_STREAM_END) break;
    if (rc == Z_OK && out.size() <= max_output) continue;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
      inflateEnd(&zs);
      throw std::runtime_error("gunzip: truncated gzip stream");
    }
    std::string why = out.size() > max_output ? std::string("output exceeds 512 MiB")
                                              : std::string(zs.msg != nullptr ? zs.msg : "inflate failed");
    inflateEnd(&zs);
    throw std::runtime_error("gunzip: " + why);
  }
  const uInt trailing = zs.avail_in;
  inflateEnd(&zs);
  if (trailing != 0) throw std::runtime_error("gunzip: " + std::to_string(trailing) + " bytes after the gzip stream");
  return out;
}

std::string http_date(std::chrono::system_clock::time_point when) {
  const std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  const std::size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buf, n);
}

}  // namespace llmtrace_test
