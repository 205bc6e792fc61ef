// The fake Ollama daemon's response writing: NDJSON streams and single JSON bodies written with the
// configured framing (stream_mode), plus the hang / disconnect bookkeeping the tests observe.
// Internal to the fake (includes cpp-httplib). Thread-safe: content providers run on server threads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include <httplib.h>

#include "fake_ollama_detail.hpp"

namespace llmtrace_test::fake_detail {

void send_json(httplib::Response& res, int status, const ojson& body, bool f32 = false);
void send_error(httplib::Response& res, int status, const std::string& message);  // {"error":message}
void send_text(httplib::Response& res, int status, const std::string& text);      // text/plain

class stream_writer {
 public:
  // Installs the NDJSON stream on the response; with `pace` (one entry per line), each line is
  // written after waiting its entry (pacing mode).
  void send_stream(httplib::Response& res, std::vector<std::string> lines, stream_behaviour b,
                   std::vector<std::chrono::nanoseconds> pace = {});
  // Waits `d` (pacing mode) unless the server stops first; false when it stopped.
  bool pause(std::chrono::nanoseconds d);
  // Installs a single JSON body (non-streaming reply) with the configured framing.
  void send_body(httplib::Response& res, std::string body, stream_behaviour b);

  void release();  // every stream hanging now continues
  void stop();     // server shutdown: hanging and writing streams end

  std::size_t disconnects() const;
  bool wait_for_disconnects(std::size_t n, std::chrono::milliseconds timeout) const;
  std::size_t hung_streams() const;
  bool wait_for_hung_streams(std::size_t n, std::chrono::milliseconds timeout) const;

 private:
  enum class hang_result { released, disconnected, stopping };

  void note_disconnect();
  hang_result hang(httplib::DataSink& sink);
  void wake_hung();
  bool is_stopping() const;
  bool write_framed(httplib::DataSink& sink, const std::string& data, const stream_behaviour& b, std::mt19937_64& rng);

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::size_t disconnect_count_ = 0;
  std::size_t hung_count_ = 0;
  std::uint64_t release_generation_ = 0;
  bool stopping_ = false;
};

}  // namespace llmtrace_test::fake_detail
