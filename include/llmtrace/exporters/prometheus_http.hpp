// llmtrace/exporters/prometheus_http.hpp: the Prometheus pull exporter: a metric reader that serves
// GET /metrics (text format 0.0.4, or OpenMetrics with exemplars when the scraper asks for it) on
// OTEL_EXPORTER_PROMETHEUS_HOST:OTEL_EXPORTER_PROMETHEUS_PORT (default localhost:9464), collecting
// at each scrape. The HTTP server is cpp-httplib (an optional dependency: LLMTRACE_WITH_PROMETHEUS).
// Including this header also lets llmtrace::init() honour OTEL_METRICS_EXPORTER=prometheus.
// Thread-safety: scrapes run on the server's threads; collection is serialised by the provider.
#pragma once

#include <llmtrace/config.hpp>
#include <llmtrace/detail/env.hpp>
#include <llmtrace/error.hpp>
#include <llmtrace/metrics/data.hpp>
#include <llmtrace/metrics/env.hpp>
#include <llmtrace/metrics/prometheus.hpp>
#include <llmtrace/metrics/reader.hpp>

#if defined(__has_include)
#if !__has_include(<httplib.h>)
#error \
    "<llmtrace/exporters/prometheus_http.hpp> needs cpp-httplib: build llmtrace with LLMTRACE_WITH_PROMETHEUS=ON (vcpkg feature \"prometheus\", Conan option with_prometheus)"
#endif
#endif
#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

LLMTRACE_BEGIN_NAMESPACE
namespace metrics {

/// Where the /metrics endpoint listens.
struct prometheus_options {
  std::string host = "localhost";
  int port = 9464;  ///< 0: any free port (see prometheus_reader::port())
};

/// OTEL_EXPORTER_PROMETHEUS_HOST (localhost) and OTEL_EXPORTER_PROMETHEUS_PORT (9464).
inline prometheus_options prometheus_options_from_env() {
  prometheus_options o;
  if (const auto h = llmtrace::detail::get_env("OTEL_EXPORTER_PROMETHEUS_HOST")) o.host = *h;
  o.port = static_cast<int>(llmtrace::detail::env_int("OTEL_EXPORTER_PROMETHEUS_PORT", 9464, 0, 65535));
  return o;
}

/// A pull reader serving the provider's metrics at GET /metrics. Always cumulative. The server
/// starts when the reader is registered with a meter provider and stops at shutdown.
class prometheus_reader final : public metric_reader {
 public:
  explicit prometheus_reader(prometheus_options options = prometheus_options_from_env()) : opt_(std::move(options)) {}
  ~prometheus_reader() override { stop(); }

  aggregation_temporality temporality(instrument_kind kind) const noexcept override {
    return temporality_for(temporality_preference::cumulative, kind);
  }

  /// The bound port (useful with port 0); 0 when the server is not listening.
  int port() const noexcept {
    std::lock_guard<std::mutex> lk(mu_);
    return bound_port_;
  }

  /// The exposition a scrape would get now (collects).
  std::string scrape(prometheus_format format = prometheus_format::text) {
    resource_metrics data;
    std::lock_guard<std::mutex> lk(scrape_mu_);
    if (!collect(data)) return format == prometheus_format::openmetrics ? "# EOF\n" : "";
    return render_prometheus(data, format);
  }

  bool shutdown(std::chrono::milliseconds /*timeout*/) noexcept override {
    stop();
    detach();
    return true;
  }

 private:
  void on_attached() noexcept override {
    try {
      server_ = std::make_unique<httplib::Server>();
      // listen_after_bind() creates the task queue right after it marks the server running: from
      // then on stop() takes effect (before it, stop() would be lost and join() would hang).
      server_->new_task_queue = [this]() -> httplib::TaskQueue* {
        {
          std::lock_guard<std::mutex> lk(mu_);
          loop_started_ = true;
        }
        cv_.notify_all();
        return new httplib::ThreadPool(4);
      };
      server_->Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
        const auto format = prometheus_format_for_accept(req.get_header_value("Accept"));
        res.set_content(scrape(format), std::string(prometheus_content_type(format)).c_str());
      });
      int port = opt_.port;
      if (port == 0) {
        port = server_->bind_to_any_port(opt_.host);
      } else if (!server_->bind_to_port(opt_.host, port)) {
        port = -1;
      }
      if (port <= 0) {
        llmtrace::detail::report_error("Prometheus exporter: cannot listen on " + opt_.host + ":" +
                                       std::to_string(opt_.port) + "; /metrics is not served");
        server_.reset();
        return;
      }
      {
        std::lock_guard<std::mutex> lk(mu_);
        bound_port_ = port;
      }
      thread_ = std::thread([this] { server_->listen_after_bind(); });
    } catch (...) {
      llmtrace::detail::report_error("Prometheus exporter: could not start the HTTP server");
      server_.reset();
    }
  }

  void stop() noexcept {
    try {
      if (thread_.joinable()) {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait_for(lk, std::chrono::seconds(10), [&] { return loop_started_; });
        lk.unlock();
        server_->stop();
        thread_.join();
      }
    } catch (...) {
    }
    std::lock_guard<std::mutex> lk(mu_);
    bound_port_ = 0;
  }

  prometheus_options opt_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool loop_started_ = false;
  int bound_port_ = 0;
  std::mutex scrape_mu_;
};

namespace detail {
inline std::unique_ptr<metric_reader> make_prometheus_reader_from_env() {
  return std::make_unique<prometheus_reader>(prometheus_options_from_env());
}
/// Including this header registers the Prometheus reader for llmtrace::init()
/// (OTEL_METRICS_EXPORTER=prometheus), during static initialisation, before main().
inline const bool prometheus_reader_registered = (prometheus_reader_factory() = &make_prometheus_reader_from_env, true);
}  // namespace detail

}  // namespace metrics
LLMTRACE_END_NAMESPACE
