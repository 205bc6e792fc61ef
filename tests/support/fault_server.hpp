// tests/support/fault_server.hpp: small misbehaving HTTP/1.1 servers on 127.0.0.1 for fault tests:
// one that accepts and never answers, one that resets mid-stream, a 503 storm, a 1 GiB line without a
// newline, a 1 GiB error body, a trickle, a deeply nested JSON line. Big bodies are generated while
// sending (a 64 KiB pattern repeated), never held in memory, and stop when the client hangs up.
// Thread-safety: the accessors may be called from any thread while the server runs.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace fault {

enum class behaviour {
  never_answer,      ///< reads the request, then keeps the connection open and silent
  reset_mid_stream,  ///< 200 NDJSON: two chat lines, half a third, then a TCP reset
  status_503,        ///< every request: 503 with a short JSON body (keep-alive)
  huge_line,         ///< 200 NDJSON: `size` bytes without a newline (default 1 GiB)
  huge_error_body,   ///< 500 with Content-Length `size` (default 1 GiB) of text
  trickle,           ///< 200 NDJSON: one byte of a never-finished line every `trickle_interval`
  deep_nesting,      ///< 200 NDJSON: one chat line whose `logprobs` nests `depth` arrays, then done
};

struct options {
  std::uint64_t size = std::uint64_t{1} << 30;
  std::chrono::milliseconds trickle_interval{50};
  std::size_t depth = 1'000'000;
};

class server {
 public:
  explicit server(behaviour b, options o = {});
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// "http://127.0.0.1:<port>".
  std::string url() const;
  int port() const noexcept { return port_; }
  /// Requests read so far.
  std::size_t requests() const noexcept { return requests_.load(); }
  /// Body bytes written so far (all connections).
  std::uint64_t body_bytes_sent() const noexcept { return sent_.load(); }
  /// Connections the client closed before the server finished (a hang-up is how a capped client
  /// stops a huge body).
  std::size_t hangups() const noexcept { return hangups_.load(); }

 private:
  void accept_loop();
  void serve(int fd);
  bool send_all(int fd, const char* data, std::size_t n);
  bool send_pattern(int fd, std::uint64_t n, char fill);
  bool wait_stopped(std::chrono::milliseconds d);

  behaviour behaviour_;
  options opt_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::thread> workers_;
  std::vector<int> fds_;
  std::thread acceptor_;
  std::atomic<std::size_t> requests_{0}, hangups_{0};
  std::atomic<std::uint64_t> sent_{0};
};

}  // namespace fault
