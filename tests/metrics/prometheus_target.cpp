// A program for tests/metrics/prometheus_e2e.sh: records GenAI metrics (a known set of inference
// durations and token counts), serves them on /metrics through prometheus_reader on a free port
// (or argv[1]), prints "port <n>" and keeps serving until its stdin closes.
#include <llmtrace/exporters/prometheus_http.hpp>
#include <llmtrace/metrics.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

namespace m = llmtrace::metrics;

int main(int argc, char** argv) {
  m::prometheus_options po;
  po.host = "127.0.0.1";
  po.port = argc > 1 ? std::atoi(argv[1]) : 0;
  auto reader = std::make_unique<m::prometheus_reader>(po);
  m::prometheus_reader* r = reader.get();
  m::meter_provider_options o;
  o.resource = llmtrace::make_resource({{"service.name", "llmtrace-prometheus-e2e"}});
  o.readers.push_back(std::move(reader));
  auto provider = std::make_shared<m::meter_provider>(std::move(o));
  auto meter = provider->get_meter("llmtrace.e2e", "1.0");
  auto duration = meter.create_double_histogram(
      "gen_ai.client.inference.duration", "s", "GenAI operation duration",
      {{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92}});
  auto tokens = meter.create_int64_counter("gen_ai.client.inference.usage.input_tokens", "{token}", "input tokens");
  for (double v : {0.25, 0.5, 1.5})
    duration.record(
        v,
        {{"gen_ai.operation.name", "chat"}, {"gen_ai.provider.name", "ollama"}, {"gen_ai.request.model", "llama3.2"}});
  tokens.add(421, {{"gen_ai.operation.name", "chat"},
                   {"gen_ai.provider.name", "ollama"},
                   {"gen_ai.token.modality", "text"},
                   {"gen_ai.request.model", "llama3.2"}});
  if (r->port() <= 0) {
    std::cerr << "prometheus_target: not listening\n";
    return 1;
  }
  std::cout << "port " << r->port() << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  provider->shutdown();
  return 0;
}
