// Writes the trace files the browser test renders (tests/browser/run.sh), as OTLP/JSON lines through
// the SDK's own file exporter, with explicit timestamps so bar widths are known:
//   <dir>/fixtures.jsonl  a RAG trace (workflow > embeddings, retrieval, chat with its three Ollama
//                         phases, a failed tool call), a hostile trace whose name, attributes and
//                         captured messages try to run script, and an orphan span;
//   <dir>/big.jsonl       one trace of exactly 10,000 spans.
//   make_fixtures <dir>
#include <llmtrace/batch_processor.hpp>
#include <llmtrace/exporters/file.hpp>
#include <llmtrace/provider.hpp>
#include <llmtrace/semconv.hpp>
#include <llmtrace/span.hpp>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

namespace sc = llmtrace::semconv;
using llmtrace::span;
using llmtrace::span_kind;
using llmtrace::span_start_options;

namespace {

constexpr std::int64_t t0 = 1764590000000000000;  // 2025-12-01 11:53:20 UTC
std::int64_t ms(double m) { return t0 + static_cast<std::int64_t>(m * 1e6); }

span start(const llmtrace::tracer& t, const std::string& name, double at_ms, llmtrace::attribute_list attrs = {},
           span_kind kind = span_kind::internal) {
  span_start_options o;
  o.kind = kind;
  o.attributes = attrs;
  o.start_time_unix_nano = ms(at_ms);
  return span(t, name, o);
}

// The hostile payload: each variant sets window.__llmtrace_pwned if it ever runs.
const std::string hostile_script = "</script><script>window.__llmtrace_pwned=1</script>";
const std::string hostile_img = "<img src=x onerror=\"window.__llmtrace_pwned=2\">";

void rag_trace(const llmtrace::tracer& t) {
  span root = start(t, "invoke_workflow rag", 0,
                    {{sc::gen_ai_operation_name, sc::op_invoke_workflow}, {sc::gen_ai_workflow_name, "rag"}});
  {
    span emb = start(t, "embeddings nomic-embed-text", 2,
                     {{sc::gen_ai_operation_name, sc::op_embeddings}, {sc::gen_ai_request_model, "nomic-embed-text"}},
                     span_kind::client);
    emb.set_attribute(sc::gen_ai_usage_input_tokens, 12);
    emb.end(ms(40));
  }
  {
    span ret = start(t, "retrieval docs", 40, {{sc::gen_ai_operation_name, sc::op_retrieval}});
    ret.end(ms(50));
  }
  {
    span chat = start(t, "chat llama3.2", 50,
                      {{sc::gen_ai_operation_name, sc::op_chat},
                       {sc::gen_ai_request_model, "llama3.2"},
                       {sc::gen_ai_provider_name, sc::provider_ollama}},
                      span_kind::client);
    chat.set_attribute(sc::gen_ai_response_model, "llama3.2");
    chat.set_attribute(sc::gen_ai_usage_input_tokens, 431);
    chat.set_attribute(sc::gen_ai_usage_output_tokens, 64);
    chat.set_attribute(sc::ollama_tokens_per_second, 42.5);
    chat.set_attribute("ollama.gpu_fraction", 0.75);
    chat.set_attribute(sc::gen_ai_response_time_to_first_chunk, 0.35);  // seconds: 50 + 350 = 400 ms
    chat.set_attribute(sc::gen_ai_input_messages,
                       R"([{"role":"system","parts":[{"type":"text","content":"Answer briefly."}]},)"
                       R"({"role":"user","parts":[{"type":"text","content":"What is a span?"}]}])");
    chat.set_attribute(sc::gen_ai_output_messages,
                       R"([{"role":"assistant","parts":[{"type":"text","content":"A timed operation."}],)"
                       R"("finish_reason":"stop"}])");
    span load = start(t, std::string(sc::ollama_span_load), 60);
    load.end(ms(250));
    span pe = start(t, std::string(sc::ollama_span_prompt_eval), 250);
    pe.end(ms(400));
    span ev = start(t, std::string(sc::ollama_span_eval), 400);
    ev.end(ms(800));
    chat.end(ms(810));
  }
  {
    span tool = start(t, "execute_tool get_weather", 810,
                      {{sc::gen_ai_operation_name, sc::op_execute_tool}, {sc::gen_ai_tool_name, "get_weather"}});
    tool.record_exception("std::runtime_error", "weather service unreachable");
    tool.set_status(llmtrace::status_code::error, "weather service unreachable");
    tool.end(ms(900));
  }
  root.end(ms(1000));
}

void hostile_trace(const llmtrace::tracer& t) {
  span root = start(t, "hostile " + hostile_script, 2000,
                    {{sc::gen_ai_operation_name, sc::op_chat},
                     {sc::gen_ai_request_model, "evil" + hostile_img},
                     {"note", hostile_script + hostile_img}});
  root.set_attribute(sc::gen_ai_input_messages,
                     R"([{"role":"user","parts":[{"type":"text","content":")" + std::string("</script><script>") +
                         R"(window.__llmtrace_pwned=3</script><img src=x onerror=\"window.__llmtrace_pwned=4\">"}]}])");
  root.add_event("exception", {{"exception.message", hostile_img}}, ms(2050));
  root.end(ms(2100));
}

void orphan_span(const llmtrace::tracer& t) {
  llmtrace::span_context missing;
  missing.trace_id.bytes[0] = 0x0a;
  missing.trace_id.bytes[15] = 0x0b;
  missing.span_id.bytes[7] = 0x0c;
  missing.trace_flags = llmtrace::trace_flag_sampled;
  missing.is_remote = true;
  const llmtrace::context parent(missing);
  span_start_options o;
  o.parent = &parent;
  o.start_time_unix_nano = ms(3000);
  span s(t, "late child", o);
  s.end(ms(3100));
}

// One trace of exactly 10,000 spans: a root, then 1,111 requests of 9 spans each (request >
// embeddings, retrieval, chat > load, prompt_eval, eval; tool, log).
void big_trace(const llmtrace::tracer& t) {
  span root = start(t, "batch job", 0, {{sc::gen_ai_operation_name, sc::op_invoke_workflow}});
  double at = 0;
  for (int i = 0; i < 1111; ++i) {
    span rq = start(t, "request " + std::to_string(i), at, {{sc::gen_ai_operation_name, sc::op_invoke_workflow}});
    auto leaf = [&](const char* name, std::string_view op, double len) {
      span s = start(t, name, at, {{sc::gen_ai_operation_name, op}});
      at += len;
      s.end(ms(at));
    };
    leaf("embeddings", sc::op_embeddings, 1);
    leaf("retrieval", sc::op_retrieval, 0.5);
    {
      span chat = start(t, "chat llama3.2", at, {{sc::gen_ai_operation_name, sc::op_chat}});
      leaf("ollama.load", "", 0.2);
      leaf("ollama.prompt_eval", "", 1);
      leaf("ollama.eval", "", 3);
      chat.end(ms(at));
    }
    leaf("execute_tool lookup", sc::op_execute_tool, 0.3);
    leaf("log", "", 0.1);
    rq.end(ms(at));
  }
  root.end(ms(at + 1));
}

void write(const std::string& path, void (*emit)(const llmtrace::tracer&), void (*emit2)(const llmtrace::tracer&),
           void (*emit3)(const llmtrace::tracer&)) {
  std::remove(path.c_str());
  llmtrace::provider_options po;
  po.resource = llmtrace::make_resource({{"service.name", "viewer-fixture"}});
  llmtrace::batch_options bo;
  bo.max_queue_size = 20000;
  bo.max_export_batch_size = 2048;
  po.processors.push_back(std::make_unique<llmtrace::batch_processor>(
      std::make_unique<llmtrace::file_exporter>(llmtrace::file_exporter_options{path}), bo));
  llmtrace::tracer_provider provider(std::move(po));
  const auto t = provider.get_tracer("fixtures");
  for (auto* e : {emit, emit2, emit3})
    if (e) e(t);
  provider.shutdown(std::chrono::seconds(30));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_fixtures <dir>\n");
    return 2;
  }
  const std::string dir = argv[1];
  write(dir + "/fixtures.jsonl", rag_trace, hostile_trace, orphan_span);
  write(dir + "/big.jsonl", big_trace, nullptr, nullptr);
  return 0;
}
