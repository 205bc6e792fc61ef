// The fake Ollama daemon's response writing (see fake_ollama_stream.hpp).
#include "fake_ollama_stream.hpp"

#include <algorithm>
#include <memory>

namespace llmtrace_test::fake_detail {

void send_json(httplib::Response& res, int status, const ojson& body, bool f32) {
  res.status = status;
  res.set_content(go_encode(body, f32), k_json_type);
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  ojson body = ojson::object();
  body["error"] = message;
  send_json(res, status, body);
}

void send_text(httplib::Response& res, int status, const std::string& text) {
  res.status = status;
  res.set_content(text, "text/plain");
}

void stream_writer::release() {
  std::lock_guard<std::mutex> lk(mu_);
  wake_hung();
}

bool stream_writer::pause(std::chrono::nanoseconds d) {
  std::unique_lock<std::mutex> lk(mu_);
  return !cv_.wait_for(lk, d, [&] { return stopping_; });
}

void stream_writer::stop() {
  std::lock_guard<std::mutex> lk(mu_);
  stopping_ = true;
  wake_hung();
}

std::size_t stream_writer::disconnects() const {
  std::lock_guard<std::mutex> lk(mu_);
  return disconnect_count_;
}

bool stream_writer::wait_for_disconnects(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lk(mu_);
  return cv_.wait_for(lk, timeout, [&] { return disconnect_count_ >= n; });
}

std::size_t stream_writer::hung_streams() const {
  std::lock_guard<std::mutex> lk(mu_);
  return hung_count_;
}

bool stream_writer::wait_for_hung_streams(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lk(mu_);
  return cv_.wait_for(lk, timeout, [&] { return hung_count_ >= n; });
}

void stream_writer::note_disconnect() {
  std::lock_guard<std::mutex> lk(mu_);
  ++disconnect_count_;
  cv_.notify_all();
}

// Blocks a stream until release_hung(), the destructor, or the client going away. The first two
// are signalled through the condition variable; the peer closing is noticed by httplib's
// is_writable() (a non-blocking peek) on every short wake-up.
stream_writer::hang_result stream_writer::hang(httplib::DataSink& sink) {
  std::unique_lock<std::mutex> lk(mu_);
  ++hung_count_;
  cv_.notify_all();
  const std::uint64_t generation = release_generation_;
  for (;;) {
    if (stopping_) return hang_result::stopping;
    if (release_generation_ != generation) return hang_result::released;
    lk.unlock();
    const bool alive = sink.is_writable();
    lk.lock();
    if (!alive) return hang_result::disconnected;
    cv_.wait_for(lk, std::chrono::milliseconds(5), [&] { return stopping_ || release_generation_ != generation; });
  }
}

void stream_writer::wake_hung() {
  // mu_ held by caller
  ++release_generation_;
  cv_.notify_all();
}

bool stream_writer::is_stopping() const {
  std::lock_guard<std::mutex> lk(mu_);
  return stopping_;
}

// Writes `data` in pieces according to the behaviour. Returns false when the peer went away.
bool stream_writer::write_framed(httplib::DataSink& sink, const std::string& data, const stream_behaviour& b,
                                 std::mt19937_64& rng) {
  auto put = [&](const char* p, std::size_t n) {
    if (is_stopping()) return false;
    if (!sink.write(p, n)) {
      note_disconnect();
      return false;
    }
    return true;
  };
  switch (b.mode) {
    case stream_mode::split_bytes:
      for (std::size_t i = 0; i < data.size(); ++i) {
        if (!put(data.data() + i, 1)) return false;
      }
      return true;
    case stream_mode::random_splits: {
      std::size_t i = 0;
      std::uniform_int_distribution<std::size_t> dist(1, 64);
      while (i < data.size()) {
        const std::size_t n = std::min(dist(rng), data.size() - i);
        if (!put(data.data() + i, n)) return false;
        i += n;
      }
      return true;
    }
    default:
      return data.empty() ? true : put(data.data(), data.size());
  }
}

// Installs the NDJSON stream on the response.
void stream_writer::send_stream(httplib::Response& res, std::vector<std::string> lines, stream_behaviour b,
                                std::vector<std::chrono::nanoseconds> pace) {
  auto shared_lines = std::make_shared<std::vector<std::string>>(std::move(lines));
  auto shared_pace = std::make_shared<std::vector<std::chrono::nanoseconds>>(std::move(pace));
  res.status = 200;
  res.set_chunked_content_provider(k_ndjson_type,
                                   [this, shared_lines, shared_pace, b](std::size_t, httplib::DataSink& sink) {
                                     std::mt19937_64 rng(b.seed);
                                     const auto& ls = *shared_lines;
                                     // Pacing: wait the time of lines [from, to) before writing them.
                                     auto wait = [&](std::size_t from, std::size_t to) {
                                       std::chrono::nanoseconds d{0};
                                       for (std::size_t i = from; i < to && i < shared_pace->size(); ++i)
                                         d += (*shared_pace)[i];
                                       return d.count() == 0 || pause(d);
                                     };
                                     const std::size_t cut = std::min(b.after_chunks, ls.empty() ? 0 : ls.size() - 1);
                                     auto write_lines = [&](std::size_t from, std::size_t to) {
                                       if (b.mode == stream_mode::merge_lines) {
                                         if (!wait(from, to)) return false;
                                         std::string all;
                                         for (std::size_t i = from; i < to; ++i) all += ls[i];
                                         return write_framed(sink, all, b, rng);
                                       }
                                       if (b.mode == stream_mode::random_splits) {
                                         if (!wait(from, to)) return false;
                                         std::string all;
                                         for (std::size_t i = from; i < to; ++i) all += ls[i];
                                         return write_framed(sink, all, b, rng);
                                       }
                                       for (std::size_t i = from; i < to; ++i) {
                                         if (!wait(i, i + 1) || !write_framed(sink, ls[i], b, rng)) return false;
                                       }
                                       return true;
                                     };
                                     switch (b.mode) {
                                       case stream_mode::error_mid_stream: {
                                         if (!write_lines(0, cut)) return false;
                                         ojson err = ojson::object();
                                         err["error"] = b.error_message;
                                         if (!write_framed(sink, go_encode(err) + "\n", b, rng)) return false;
                                         sink.done();
                                         return true;
                                       }
                                       case stream_mode::eof_without_done:
                                         if (!write_lines(0, cut)) return false;
                                         sink.done();
                                         return true;
                                       case stream_mode::drop_after_chunks:
                                         write_lines(0, cut);
                                         return false;  // abort: the connection is closed without the terminating chunk
                                       case stream_mode::hang_after_chunks: {
                                         if (!write_lines(0, cut)) return false;
                                         switch (hang(sink)) {
                                           case hang_result::released:
                                             break;
                                           case hang_result::disconnected:
                                             note_disconnect();
                                             return false;
                                           case hang_result::stopping:
                                             return false;
                                         }
                                         if (!write_lines(cut, ls.size())) return false;
                                         sink.done();
                                         return true;
                                       }
                                       default:
                                         if (!write_lines(0, ls.size())) return false;
                                         sink.done();
                                         return true;
                                     }
                                   });
}

// Installs a single JSON body (non-streaming reply) with the configured framing.
void stream_writer::send_body(httplib::Response& res, std::string body, stream_behaviour b) {
  if (b.mode == stream_mode::error_mid_stream) {
    send_error(res, 500, b.error_message);
    return;
  }
  if (b.mode == stream_mode::normal) {
    res.status = 200;
    res.set_content(body, k_json_type);
    return;
  }
  auto shared = std::make_shared<std::string>(std::move(body));
  res.status = 200;
  res.set_content_provider(shared->size(), k_json_type,
                           [this, shared, b](std::size_t offset, std::size_t, httplib::DataSink& sink) {
                             if (offset != 0) return false;
                             std::mt19937_64 rng(b.seed);
                             const std::string& s = *shared;
                             switch (b.mode) {
                               case stream_mode::eof_without_done:
                               case stream_mode::drop_after_chunks:
                                 write_framed(sink, s.substr(0, s.size() / 2), b, rng);
                                 return false;
                               case stream_mode::hang_after_chunks: {
                                 switch (hang(sink)) {
                                   case hang_result::released:
                                     break;
                                   case hang_result::disconnected:
                                     note_disconnect();
                                     return false;
                                   case hang_result::stopping:
                                     return false;
                                 }
                                 return write_framed(sink, s, stream_behaviour{}, rng);
                               }
                               default:
                                 return write_framed(sink, s, b, rng);
                             }
                           });
}

}  // namespace llmtrace_test::fake_detail
