// tests/support/fault_server.cpp: the misbehaving servers of fault_server.hpp over plain POSIX sockets
// (no HTTP library: the faults are below what one lets you do).
#include "fault_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace fault {

namespace {

// Reads one request (headers, then a Content-Length body); false when the client went away.
bool read_request(int fd, const std::atomic<bool>& stop) {
  std::string data;
  char buf[16384];
  std::size_t header_end = std::string::npos;
  std::size_t want = 0;
  while (!stop.load()) {
    if (header_end != std::string::npos && data.size() >= header_end + 4 + want) return true;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    data.append(buf, static_cast<std::size_t>(n));
    if (header_end == std::string::npos) {
      header_end = data.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        std::string head = data.substr(0, header_end);
        std::transform(head.begin(), head.end(), head.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        const auto cl = head.find("content-length:");
        if (cl != std::string::npos) want = std::stoull(head.substr(cl + 15));
      }
    }
  }
  return false;
}

const char* const chat_line =
    R"({"model":"m","created_at":"2025-07-07T20:22:19Z","message":{"role":"assistant","content":"Hi"},"done":false})"
    "\n";

}  // namespace

server::server(behaviour b, options o) : behaviour_(b), opt_(o) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  if (listen_fd_ < 0) throw std::runtime_error("fault::server: socket failed");
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(listen_fd_, 64) != 0)
    throw std::runtime_error("fault::server: bind/listen failed");
  socklen_t len = sizeof a;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

server::~server() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  acceptor_.join();
  for (auto& w : workers_) w.join();
  for (int fd : fds_) close(fd);
  close(listen_fd_);
}

std::string server::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void server::accept_loop() {
  while (!stop_.load()) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    const int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> lk(mu_);
    fds_.push_back(fd);
    workers_.emplace_back([this, fd] { serve(fd); });
  }
}

bool server::wait_stopped(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lk(mu_);
  return cv_.wait_for(lk, d, [&] { return stop_.load(); });
}

bool server::send_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    if (stop_.load()) return false;
    pollfd p{fd, POLLOUT, 0};
    const int r = poll(&p, 1, 50);
    if (r == 0) continue;
    if (r < 0 || (p.revents & (POLLERR | POLLHUP)) != 0) {
      ++hangups_;
      return false;
    }
    const ssize_t w = ::send(fd, data, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
      ++hangups_;
      return false;
    }
    data += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

bool server::send_pattern(int fd, std::uint64_t n, char fill) {
  const std::string block(64 * 1024, fill);
  while (n > 0) {
    const auto k = static_cast<std::size_t>(std::min<std::uint64_t>(n, block.size()));
    if (!send_all(fd, block.data(), k)) return false;
    sent_ += k;
    n -= k;
  }
  return true;
}

void server::serve(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const auto head = [&](const std::string& status, const std::string& type, const std::string& extra) {
    const std::string h = "HTTP/1.1 " + status + "\r\nContent-Type: " + type + "\r\n" + extra + "\r\n";
    return send_all(fd, h.data(), h.size());
  };
  const std::string ndjson = "application/x-ndjson";
  while (read_request(fd, stop_)) {
    ++requests_;
    switch (behaviour_) {
      case behaviour::never_answer:
        wait_stopped(std::chrono::hours(1));
        return;
      case behaviour::reset_mid_stream: {
        if (!head("200 OK", ndjson, "Connection: close\r\n")) return;
        std::string body = std::string(chat_line) + chat_line + R"({"model":"m","message":{"ro)";
        send_all(fd, body.data(), body.size());
        linger l{1, 0};  // close now with a RST instead of a FIN
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        std::lock_guard<std::mutex> lk(mu_);
        fds_.erase(std::find(fds_.begin(), fds_.end(), fd));
        close(fd);
        return;
      }
      case behaviour::status_503: {
        const std::string body = R"({"error":"server busy, try again later"})";
        if (!head("503 Service Unavailable", "application/json",
                  "Content-Length: " + std::to_string(body.size()) + "\r\n"))
          return;
        if (!send_all(fd, body.data(), body.size())) return;
        break;
      }
      case behaviour::huge_line:
        if (!head("200 OK", ndjson, "Connection: close\r\n")) return;
        send_pattern(fd, opt_.size, 'a');
        return;
      case behaviour::huge_error_body:
        if (!head("500 Internal Server Error", "text/plain", "Content-Length: " + std::to_string(opt_.size) + "\r\n"))
          return;
        send_pattern(fd, opt_.size, 'x');
        return;
      case behaviour::trickle: {
        if (!head("200 OK", ndjson, "Connection: close\r\n")) return;
        const std::string line = R"({"model":"m","message":{"role":"assistant","content":")";
        for (std::size_t i = 0;; ++i) {
          if (!send_all(fd, &line[i % line.size()], 1)) return;
          ++sent_;
          if (wait_stopped(opt_.trickle_interval)) return;
        }
      }
      case behaviour::deep_nesting: {
        if (!head("200 OK", ndjson, "Connection: close\r\n")) return;
        std::string line =
            R"({"model":"m","created_at":"2025-07-07T20:22:19Z","message":{"role":"assistant","content":"x"},"logprobs":)";
        line.append(opt_.depth, '[');
        line.append(opt_.depth, ']');
        line += ",\"done\":false}\n";
        if (!send_all(fd, line.data(), line.size())) return;
        sent_ += line.size();
        const std::string done =
            R"({"model":"m","created_at":"2025-07-07T20:22:19Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop"})"
            "\n";
        send_all(fd, done.data(), done.size());
        return;
      }
    }
  }
}

}  // namespace fault
