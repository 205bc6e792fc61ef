// Runs tests/support/grpc_collector.py as a child process and mirrors its event stream (see
// grpc_collector.hpp).
#include "grpc_collector.hpp"

#include <nlohmann/json.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#ifndef LLMTRACE_GRPC_COLLECTOR_SCRIPT
#error "LLMTRACE_GRPC_COLLECTOR_SCRIPT must be the absolute path of tests/support/grpc_collector.py"
#endif

extern char** environ;

namespace llmtrace_test {

namespace {

std::string b64_decode(std::string_view in) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = -1;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    if (c >= '0' && c <= '9') v = c - '0' + 52;
    if (c == '+') v = 62;
    if (c == '/') v = 63;
    if (v < 0) continue;  // padding
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xffu));
    }
  }
  return out;
}

std::string b64_encode(std::string_view in) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const auto n = (std::uint32_t{static_cast<unsigned char>(in[i])} << 16) |
                   (std::uint32_t{static_cast<unsigned char>(in[i + 1])} << 8) | static_cast<unsigned char>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(alphabet[(n >> s) & 63u]);
  }
  if (i < in.size()) {
    std::uint32_t n = std::uint32_t{static_cast<unsigned char>(in[i])} << 16;
    if (i + 1 < in.size()) n |= std::uint32_t{static_cast<unsigned char>(in[i + 1])} << 8;
    out.push_back(alphabet[(n >> 18) & 63u]);
    out.push_back(alphabet[(n >> 12) & 63u]);
    out.push_back(i + 1 < in.size() ? alphabet[(n >> 6) & 63u] : '=');
    out.push_back('=');
  }
  return out;
}

nlohmann::json reply_json(const grpc_reply& r) {
  nlohmann::json j = {{"code", r.code}, {"message", r.message}, {"body", b64_encode(r.body)}, {"hang", r.hang}};
  if (r.retry_delay_ms) j["retry_delay_ms"] = *r.retry_delay_ms;
  return j;
}

bool can_import_grpc(const std::string& python) {
  const std::string cmd = "'" + python + "' -c 'import grpc' >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

}  // namespace

std::string grpc_python() {
  static const std::string found = [] {
    std::vector<std::string> candidates;
    if (const char* env = std::getenv("LLMTRACE_GRPC_PYTHON")) candidates.emplace_back(env);
    candidates.emplace_back("/usr/bin/python3");
    candidates.emplace_back("python3");
    for (const auto& c : candidates)
      if (can_import_grpc(c)) return c;
    return std::string();
  }();
  return found;
}

grpc_reply grpc_reply::ok(std::string body) {
  grpc_reply r;
  r.body = std::move(body);
  return r;
}
grpc_reply grpc_reply::status(int code, std::string message) {
  grpc_reply r;
  r.code = code;
  r.message = std::move(message);
  return r;
}
grpc_reply grpc_reply::with_retry_info(int code, std::string message, int retry_delay_ms) {
  grpc_reply r = status(code, std::move(message));
  r.retry_delay_ms = retry_delay_ms;
  return r;
}
grpc_reply grpc_reply::never() {
  grpc_reply r;
  r.hang = true;
  return r;
}

std::string grpc_received::meta(std::string_view key) const {
  for (const auto& kv : metadata)
    if (kv.first == key) return kv.second;
  return {};
}
std::size_t grpc_received::meta_count(std::string_view key) const {
  std::size_t n = 0;
  for (const auto& kv : metadata)
    if (kv.first == key) ++n;
  return n;
}

struct grpc_collector::impl {
  pid_t pid = -1;
  int to_child = -1;
  FILE* from_child = nullptr;
  std::thread reader;

  mutable std::mutex mu;
  mutable std::condition_variable cv;
  bool ready = false;
  bool ended = false;
  int port = 0, tls_port = 0, h1_port = 0, h1_tls_port = 0;
  std::string ca;
  std::vector<grpc_received> requests;
  std::size_t hung = 0;
  std::vector<std::string> h1_lines;
  long long last_ack = 0;
  long long next_id = 0;

  void read_events() {
    char* line = nullptr;
    std::size_t cap = 0;
    while (::getline(&line, &cap, from_child) > 0) {
      nlohmann::json ev = nlohmann::json::parse(line, nullptr, false);
      if (!ev.is_object()) continue;
      const std::string kind = ev.value("event", "");
      std::lock_guard<std::mutex> lk(mu);
      if (kind == "ready") {
        ready = true;
        port = ev.value("port", 0);
        tls_port = ev.value("tls_port", 0);
        h1_port = ev.value("h1_port", 0);
        h1_tls_port = ev.value("h1_tls_port", 0);
        ca = ev.value("ca", "");
      } else if (kind == "request") {
        grpc_received r;
        r.seq = ev.value("seq", std::size_t{0});
        r.method = ev.value("method", "");
        r.body = b64_decode(ev.value("body", ""));
        for (const auto& kv : ev["metadata"])
          r.metadata.emplace_back(kv[0].get<std::string>(), kv[1].get<std::string>());
        r.peer = ev.value("peer", "");
        if (ev["time_remaining"].is_number()) r.time_remaining = ev["time_remaining"].get<double>();
        r.tls = ev.value("tls", false);
        requests.push_back(std::move(r));
      } else if (kind == "hung") {
        ++hung;
      } else if (kind == "h1_request") {
        h1_lines.push_back(ev.value("request_line", ""));
      } else if (kind == "ack") {
        last_ack = ev.value("id", 0LL);
      }
      cv.notify_all();
    }
    std::free(line);
    std::lock_guard<std::mutex> lk(mu);
    ended = true;
    cv.notify_all();
  }

  // Asks the server to quit (closing its input does too), then reaps it. Idempotent.
  void stop() {
    if (pid < 0) return;
    if (to_child >= 0) {
      const char quit[] = "{\"op\": \"quit\"}\n";
      [[maybe_unused]] const auto n = ::write(to_child, quit, sizeof quit - 1);
      ::close(to_child);
      to_child = -1;
    }
    if (reader.joinable()) reader.join();
    if (from_child) std::fclose(from_child);
    from_child = nullptr;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    pid = -1;
  }

  void command(nlohmann::json cmd) {
    long long id;
    {
      std::lock_guard<std::mutex> lk(mu);
      id = ++next_id;
    }
    cmd["id"] = id;
    const std::string text = cmd.dump() + "\n";
    std::size_t done = 0;
    while (done < text.size()) {
      const ::ssize_t n = ::write(to_child, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw std::runtime_error("grpc_collector: the server process is gone");
      done += static_cast<std::size_t>(n);
    }
    std::unique_lock<std::mutex> lk(mu);
    if (!cv.wait_for(lk, std::chrono::seconds(30), [&] { return last_ack >= id || ended; }) || last_ack < id)
      throw std::runtime_error("grpc_collector: the server did not acknowledge a command");
  }
};

grpc_collector::grpc_collector() : impl_(std::make_unique<impl>()) {
  const std::string python = grpc_python();
  if (python.empty())
    throw std::runtime_error(
        "grpc_collector: no python3 with the grpc module (install python3-grpcio: scripts/setup.sh does)");
  ::signal(SIGPIPE, SIG_IGN);  // a dead server must fail a command, not kill the test
  int in_pipe[2], out_pipe[2];
  if (::pipe(in_pipe) != 0 || ::pipe(out_pipe) != 0) throw std::runtime_error("grpc_collector: pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_addclose(&actions, in_pipe[1]);
  posix_spawn_file_actions_addclose(&actions, out_pipe[0]);
  std::string script = LLMTRACE_GRPC_COLLECTOR_SCRIPT;
  std::string unbuffered = "-u";
  char* argv[] = {const_cast<char*>(python.c_str()), unbuffered.data(), script.data(), nullptr};
  const int rc = ::posix_spawnp(&impl_->pid, python.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  if (rc != 0) {
    ::close(in_pipe[1]);
    ::close(out_pipe[0]);
    throw std::runtime_error("grpc_collector: could not start " + python);
  }
  impl_->to_child = in_pipe[1];
  impl_->from_child = ::fdopen(out_pipe[0], "r");
  impl_->reader = std::thread([this] { impl_->read_events(); });
  std::unique_lock<std::mutex> lk(impl_->mu);
  if (!impl_->cv.wait_for(lk, std::chrono::seconds(60), [&] { return impl_->ready || impl_->ended; }) ||
      !impl_->ready) {
    lk.unlock();
    impl_->stop();
    throw std::runtime_error("grpc_collector: " + script + " did not start (see its stderr above)");
  }
}

grpc_collector::~grpc_collector() { impl_->stop(); }

std::string grpc_collector::endpoint() const { return "http://127.0.0.1:" + std::to_string(impl_->port); }
std::string grpc_collector::tls_endpoint() const { return "https://127.0.0.1:" + std::to_string(impl_->tls_port); }
std::string grpc_collector::ca_file() const { return impl_->ca; }
std::string grpc_collector::h1_endpoint() const { return "http://127.0.0.1:" + std::to_string(impl_->h1_port); }
std::string grpc_collector::h1_tls_endpoint() const {
  return "https://127.0.0.1:" + std::to_string(impl_->h1_tls_port);
}

void grpc_collector::enqueue(std::vector<grpc_reply> replies) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& r : replies) list.push_back(reply_json(r));
  impl_->command({{"op", "enqueue"}, {"replies", list}});
}
void grpc_collector::set_default(grpc_reply reply) {
  impl_->command({{"op", "default"}, {"reply", reply_json(reply)}});
}
void grpc_collector::release_hung() { impl_->command({{"op", "release"}}); }
void grpc_collector::reset() {
  impl_->command({{"op", "reset"}});
  std::lock_guard<std::mutex> lk(impl_->mu);
  impl_->requests.clear();
  impl_->hung = 0;
  impl_->h1_lines.clear();
}

void grpc_collector::sync() { impl_->command({{"op", "sync"}}); }
void grpc_collector::record_bodies(bool on) { impl_->command({{"op", "bodies"}, {"on", on}}); }

grpc_collector& shared_grpc_collector() {
  static grpc_collector instance;
  return instance;
}

std::vector<grpc_received> grpc_collector::requests() const {
  std::lock_guard<std::mutex> lk(impl_->mu);
  return impl_->requests;
}
grpc_received grpc_collector::request(std::size_t index) const {
  std::lock_guard<std::mutex> lk(impl_->mu);
  return impl_->requests.at(index);
}
std::size_t grpc_collector::request_count() const {
  std::lock_guard<std::mutex> lk(impl_->mu);
  return impl_->requests.size();
}
bool grpc_collector::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lk(impl_->mu);
  return impl_->cv.wait_for(lk, timeout, [&] { return impl_->requests.size() >= n; });
}
bool grpc_collector::wait_for_hung(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lk(impl_->mu);
  return impl_->cv.wait_for(lk, timeout, [&] { return impl_->hung >= n; });
}
std::vector<std::string> grpc_collector::h1_request_lines() const {
  std::lock_guard<std::mutex> lk(impl_->mu);
  return impl_->h1_lines;
}

}  // namespace llmtrace_test
