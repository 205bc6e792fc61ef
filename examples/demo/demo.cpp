// llmtrace_demo: asks a question about llmtrace of its own documentation through the traced RAG
// pipeline, prints the answer, its sources and the trace tree, and writes the trace as OTLP/JSON
// lines (and to an OTLP collector when OTEL_EXPORTER_OTLP_ENDPOINT is set). It talks to the Ollama
// daemon at OLLAMA_HOST; when none answers it replays the bundled recording instead.
// Run it through ./scripts/demo.sh; `llmtrace_demo --help` lists the flags.
#include <llmtrace/llmtrace.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#if __has_include(<unistd.h>)
#include <unistd.h>
#endif
#if __has_include(<dirent.h>)
#include <dirent.h>
#endif

namespace ollama = llmtrace::ollama;
namespace rag = llmtrace::rag;
namespace http = llmtrace::http;

namespace {

#ifndef LLMTRACE_DEMO_SOURCE_DIR
#define LLMTRACE_DEMO_SOURCE_DIR "."
#endif

/// The questions the bundled recording answers; the first is the default.
const std::vector<std::string>& recorded_questions() {
  static const std::vector<std::string> q = {
      "How does llmtrace trace a RAG question?",
      "How can I make tests of my LLM code deterministic?",
      "What does llmtrace record about Ollama's timings?",
  };
  return q;
}

constexpr const char* recording_label =
    "RECORDING, not a live model. Made by `llmtrace_demo --record` against llmtrace's test fake Ollama "
    "server (tests/support/fake_ollama) in pacing mode, so it took the load, prompt evaluation and generation "
    "times it reported and the recorded timing is replayed: the embeddings are deterministic word hashes and every "
    "answer "
    "is the fake's canned \"You said: ...\" reply. The retrieval, token counts and trace structure are "
    "what the pipeline produced in that run. Regenerate: cmake --build <build> --target llmtrace_demo_recording";

struct settings {
  std::string question;
  std::string host;  // empty: OLLAMA_HOST
  std::string chat_model = "llama3.2";
  std::string embed_model = "nomic-embed-text";
  std::size_t top_k = 3;
  std::string source_dir = LLMTRACE_DEMO_SOURCE_DIR;
  std::string trace_file = "llmtrace-demo-trace.jsonl";
  std::string html_file;  // default: trace_file with .html
  std::string recording;  // default: <source>/examples/demo/recording/demo.jsonl
  std::string record_to;  // --record FILE
  bool force_replay = false;
  bool fast = false;  // replay without the recorded timing
  bool color = false;
};

void usage() {
  std::printf(
      "usage: llmtrace_demo [options] [question...]\n"
      "\n"
      "Answers a question about llmtrace from its own docs (README.md and examples/demo/corpus/*.md)\n"
      "with a traced RAG pipeline on Ollama, then prints the answer, its sources and the trace tree.\n"
      "Without an Ollama daemon at OLLAMA_HOST it replays the bundled recording.\n"
      "\n"
      "options:\n"
      "  --chat-model NAME    chat model (default llama3.2, env LLMTRACE_DEMO_CHAT_MODEL)\n"
      "  --embed-model NAME   embedding model (default nomic-embed-text, env LLMTRACE_DEMO_EMBED_MODEL)\n"
      "  --host URL           Ollama base URL (default: OLLAMA_HOST, else http://127.0.0.1:11434)\n"
      "  --top-k N            chunks retrieved per question (default 3)\n"
      "  --trace-file PATH    OTLP/JSON lines output (default llmtrace-demo-trace.jsonl)\n"
      "  --html PATH          the HTML trace viewer written at the end (default: the trace file\n"
      "                       with .html; its path is the last line printed)\n"
      "  --replay [FILE]      replay a recording even if a daemon answers (default: the bundled one)\n"
      "  --fast               replay at once instead of with the recorded timing\n"
      "  --record FILE        run against the daemon and record every exchange to FILE, asking the\n"
      "                       bundled questions (and the given one); writes FILE's corpus snapshot too\n"
      "  --source-dir DIR     the llmtrace checkout holding the docs (default: the one built from)\n"
      "  --list-questions     print the questions the bundled recording answers\n"
      "\n"
      "environment: OTEL_EXPORTER_OTLP_ENDPOINT also sends the trace to that collector;\n"
      "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=SPAN_ONLY records prompts and answers.\n");
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.clear();
  char buf[8192];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) out.append(buf, static_cast<std::size_t>(in.gcount()));
  return true;
}

/// README.md and examples/demo/corpus/*.md (sorted) of the checkout.
std::vector<rag::document> load_corpus(const std::string& root) {
  std::vector<rag::document> docs;
  std::string text;
  if (read_file(root + "/README.md", text)) docs.push_back({"README.md", "README.md", text});
  std::vector<std::string> names;
#if __has_include(<dirent.h>)
  const std::string dir = root + "/examples/demo/corpus";
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      const std::string n = e->d_name;
      if (n.size() > 3 && n.compare(n.size() - 3, 3, ".md") == 0) names.push_back(n);
    }
    ::closedir(d);
  }
#endif
  std::sort(names.begin(), names.end());
  for (const auto& n : names)
    if (read_file(root + "/examples/demo/corpus/" + n, text)) docs.push_back({n, "examples/demo/corpus/" + n, text});
  return docs;
}

/// The corpus snapshot kept next to a recording: one {"id","source","text"} object per line.
std::string snapshot_path(const std::string& recording) {
  const auto dot = recording.rfind(".jsonl");
  return (dot == std::string::npos ? recording : recording.substr(0, dot)) + ".corpus.jsonl";
}

bool write_snapshot(const std::string& path, const std::vector<rag::document>& docs) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (const auto& d : docs) out << nlohmann::json{{"id", d.id}, {"source", d.source}, {"text", d.text}}.dump() << "\n";
  return static_cast<bool>(out);
}

std::optional<std::vector<rag::document>> read_snapshot(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::vector<rag::document> docs;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("id") || !j.contains("text")) return std::nullopt;
    docs.push_back({j["id"].get<std::string>(), j.contains("source") ? j["source"].get<std::string>() : "",
                    j["text"].get<std::string>()});
  }
  return docs;
}

/// "llama3.2" is "llama3.2:latest" in /api/tags.
bool has_model(const ollama::list_response& tags, const std::string& want) {
  const std::string full = want.find(':') == std::string::npos ? want + ":latest" : want;
  for (const auto& m : tags.models)
    if (m.name == want || m.name == full || m.model == want || m.model == full) return true;
  return false;
}

std::string one_line(std::string s, std::size_t max_chars) {
  for (auto& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  std::string out;
  llmtrace::detail::append_utf8(out, s, max_chars);
  return out.size() < s.size() ? out + "..." : out;
}

/// `path` relative to the checkout when it lies inside it (shorter to read).
std::string shown_path(const std::string& path, const std::string& root) {
  const std::string prefix = root + "/";
  return path.compare(0, prefix.size(), prefix) == 0 ? path.substr(prefix.size()) : path;
}

/// `path` made absolute against the working directory (for a link a terminal can open).
std::string absolute_path(const std::string& path) {
#if __has_include(<unistd.h>)
  if (!path.empty() && path[0] != '/') {
    char buf[4096];
    if (::getcwd(buf, sizeof buf)) return std::string(buf) + "/" + path;
  }
#endif
  return path;
}

const char* dim(bool on) { return on ? "\x1b[2m" : ""; }
const char* bold(bool on) { return on ? "\x1b[1m" : ""; }
const char* reset(bool on) { return on ? "\x1b[0m" : ""; }

bool parse_args(int argc, char** argv, settings& s, int& exit_code) {
  if (const char* m = std::getenv("LLMTRACE_DEMO_CHAT_MODEL"); m && *m) s.chat_model = m;
  if (const char* m = std::getenv("LLMTRACE_DEMO_EMBED_MODEL"); m && *m) s.embed_model = m;
  std::vector<std::string> words;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* flag) -> std::optional<std::string> {
      if (i + 1 < argc) return std::string(argv[++i]);
      std::fprintf(stderr, "llmtrace_demo: %s needs a value\n", flag);
      return std::nullopt;
    };
    std::optional<std::string> v;
    if (a == "-h" || a == "--help") {
      usage();
      exit_code = 0;
      return false;
    } else if (a == "--list-questions") {
      for (const auto& q : recorded_questions()) std::printf("%s\n", q.c_str());
      exit_code = 0;
      return false;
    } else if (a == "--chat-model" || a == "--embed-model" || a == "--host" || a == "--top-k" || a == "--trace-file" ||
               a == "--record" || a == "--source-dir" || a == "--html") {
      if (!(v = value(a.c_str()))) {
        exit_code = 2;
        return false;
      }
      if (a == "--chat-model") s.chat_model = *v;
      if (a == "--embed-model") s.embed_model = *v;
      if (a == "--host") s.host = *v;
      if (a == "--trace-file") s.trace_file = *v;
      if (a == "--html") s.html_file = *v;
      if (a == "--record") s.record_to = *v;
      if (a == "--source-dir") s.source_dir = *v;
      if (a == "--top-k") {
        const long k = std::strtol(v->c_str(), nullptr, 10);
        if (k <= 0) {
          std::fprintf(stderr, "llmtrace_demo: --top-k needs a positive number\n");
          exit_code = 2;
          return false;
        }
        s.top_k = static_cast<std::size_t>(k);
      }
    } else if (a == "--fast") {
      s.fast = true;
    } else if (a == "--replay") {
      s.force_replay = true;
      if (i + 1 < argc && std::string(argv[i + 1]).size() > 6 &&
          std::string(argv[i + 1]).compare(std::string(argv[i + 1]).size() - 6, 6, ".jsonl") == 0)
        s.recording = argv[++i];
    } else if (a.size() > 1 && a[0] == '-' && a[1] == '-') {
      std::fprintf(stderr, "llmtrace_demo: unknown option %s (see --help)\n", a.c_str());
      exit_code = 2;
      return false;
    } else {
      words.push_back(a);
    }
  }
  for (const auto& w : words) s.question += (s.question.empty() ? "" : " ") + w;
  if (s.recording.empty()) s.recording = s.source_dir + "/examples/demo/recording/demo.jsonl";
  if (s.html_file.empty()) {
    const auto dot = s.trace_file.rfind(".jsonl");
    s.html_file = (dot == std::string::npos ? s.trace_file : s.trace_file.substr(0, dot)) + ".html";
  }
  return true;
}

// A model the daemon does not have: on a terminal, offer to pull it with a progress bar; otherwise
// (or when declined) print the command. Returns true when the model is there now.
bool offer_pull(ollama::client_options options, const std::string& base_url, const std::string& model) {
  std::fprintf(stderr, "llmtrace_demo: the model %s is not available on the Ollama at %s.\n", model.c_str(),
               base_url.c_str());
  bool interactive = false;
#if __has_include(<unistd.h>)
  interactive = ::isatty(0) == 1 && ::isatty(2) == 1;
#endif
  if (interactive) {
    std::fprintf(stderr, "Pull it now? [Y/n] ");
    std::fflush(stderr);
    char line[16] = {};
    const bool yes =
        std::fgets(line, sizeof line, stdin) != nullptr && (line[0] == '\n' || line[0] == 'y' || line[0] == 'Y');
    if (yes) {
      options.timeout = std::chrono::milliseconds(0);  // a pull takes minutes
      ollama::terminal_progress_bar bar;
      try {
        ollama::client(options).pull(model, std::ref(bar));
        bar.finish();
        return true;
      } catch (const ollama::error& e) {
        bar.finish();
        std::fprintf(stderr, "llmtrace_demo: pulling %s failed: %s\n", model.c_str(), e.what());
        return false;
      }
    }
  }
  std::fprintf(stderr, "Pull it with:\n\n    ollama pull %s\n\n", model.c_str());
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  settings cfg;
  int exit_code = 0;
  if (!parse_args(argc, argv, cfg, exit_code)) return exit_code;
#if __has_include(<unistd.h>)
  const char* no_color = std::getenv("NO_COLOR");
  cfg.color = ::isatty(1) == 1 && !(no_color && *no_color);
#endif
  const bool c = cfg.color;
  const bool recording = !cfg.record_to.empty();

  // --- where the answers come from -----------------------------------------------------------
  ollama::client_options probe_options;
  probe_options.host = cfg.host;
  probe_options.connect_timeout = std::chrono::milliseconds(1500);
  probe_options.timeout = std::chrono::milliseconds(5000);
  probe_options.instrument = false;
  const ollama::client probe(probe_options);
  const bool live = !cfg.force_replay && probe.is_running();

  std::shared_ptr<http::transport> transport;
  std::vector<rag::document> docs;
  std::vector<std::string> questions;
  std::shared_ptr<http::replay_transport> replay;
  if (live) {
    try {
      const auto tags = probe.list_models();
      for (const auto* m : {&cfg.chat_model, &cfg.embed_model})
        if (!has_model(tags, *m) && !offer_pull(probe_options, probe.base_url(), *m)) return 1;
    } catch (const ollama::error& e) {
      std::fprintf(stderr, "llmtrace_demo: could not list the models at %s: %s\n", probe.base_url().c_str(), e.what());
      return 1;
    }
    docs = load_corpus(cfg.source_dir);
    if (docs.empty()) {
      std::fprintf(stderr, "llmtrace_demo: no documents under %s (use --source-dir)\n", cfg.source_dir.c_str());
      return 1;
    }
    transport = http::default_transport();
    if (recording) {
      try {
        transport = std::make_shared<http::recording_transport>(transport, cfg.record_to,
                                                                http::recording_options{recording_label, false});
      } catch (const std::exception& e) {
        std::fprintf(stderr, "llmtrace_demo: %s\n", e.what());
        return 1;
      }
      if (!write_snapshot(snapshot_path(cfg.record_to), docs)) {
        std::fprintf(stderr, "llmtrace_demo: cannot write %s\n", snapshot_path(cfg.record_to).c_str());
        return 1;
      }
      questions = recorded_questions();
      if (!cfg.question.empty() && std::find(questions.begin(), questions.end(), cfg.question) == questions.end())
        questions.push_back(cfg.question);
    } else {
      questions.push_back(cfg.question.empty() ? recorded_questions().front() : cfg.question);
    }
    std::printf("%sllmtrace demo: Ollama at %s, models %s and %s%s\n\n", dim(c), probe.base_url().c_str(),
                cfg.chat_model.c_str(), cfg.embed_model.c_str(), reset(c));
  } else {
    if (recording) {
      std::fprintf(stderr, "llmtrace_demo: --record needs an Ollama server, and none answered at %s\n",
                   probe.base_url().c_str());
      return 1;
    }
    const auto snapshot = read_snapshot(snapshot_path(cfg.recording));
    try {
      if (!snapshot) throw http::recording_error("cannot read " + snapshot_path(cfg.recording));
      http::replay_options replay_options;
      replay_options.recorded_timing = !cfg.fast;
      replay = std::make_shared<http::replay_transport>(cfg.recording, replay_options);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "llmtrace_demo: no Ollama at %s and no usable recording: %s\n", probe.base_url().c_str(),
                   e.what());
      return 1;
    }
    docs = *snapshot;
    transport = replay;
    std::string q = cfg.question.empty() ? recorded_questions().front() : cfg.question;
    const auto& known = recorded_questions();
    const bool known_question = std::find(known.begin(), known.end(), q) != known.end();
    std::printf(
        "%sllmtrace demo: %s; replaying the bundled recording %s (recorded from llmtrace's test fake "
        "Ollama, not a real model)%s.%s\n",
        dim(c), cfg.force_replay ? "--replay given" : ("no Ollama answered at " + probe.base_url()).c_str(),
        shown_path(cfg.recording, cfg.source_dir).c_str(),
        cfg.fast ? ", at once (--fast)" : " with its recorded timing (--fast skips the waits)", reset(c));
    if (!known_question) {
      std::printf(
          "%sThe recording cannot answer \"%s\"; asking its question \"%s\" instead (start Ollama to ask "
          "anything; --list-questions shows the recorded ones).%s\n",
          dim(c), q.c_str(), known.front().c_str(), reset(c));
      q = known.front();
    }
    std::printf("\n");
    questions.push_back(q);
  }

  // --- tracing: OTLP/JSON file, the console tree (printed below), OTLP when configured ---------
  std::remove(cfg.trace_file.c_str());
  std::remove(cfg.html_file.c_str());
  std::ostringstream tree;
  llmtrace::console_exporter_options console;
  console.stream = &tree;
  console.color = c ? llmtrace::console_color::always : llmtrace::console_color::never;
  llmtrace::init_options init;
  init.service_name = "llmtrace-demo";
  std::vector<std::string> exporters{"file", "html"};
  const bool otlp = std::getenv("OTEL_EXPORTER_OTLP_ENDPOINT") || std::getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  if (otlp) exporters.emplace_back("otlp");
  init.exporter_names = exporters;
  init.file.path = cfg.trace_file;
  init.html.path = cfg.html_file;
  init.html.title = "llmtrace demo";
  init.processors.push_back(
      std::make_unique<llmtrace::simple_processor>(std::make_unique<llmtrace::console_exporter>(console)));
  // Metrics (the GenAI client metrics the Ollama client and the pipeline record) are collected once, at
  // shutdown, into a table printed after the trace; with a collector they go there too. Logs only
  // with a collector (the demo writes none of its own).
  std::ostringstream metrics_table;
  llmtrace::metrics::console_metric_exporter_options metrics_console;
  metrics_console.stream = &metrics_table;
  init.metric_exporters.push_back(std::make_unique<llmtrace::metrics::console_metric_exporter>(metrics_console));
  init.metric_exporter_names = otlp ? std::vector<std::string>{"otlp"} : std::vector<std::string>{};
  init.log_exporter_names = otlp ? std::vector<std::string>{"otlp"} : std::vector<std::string>{};
  llmtrace::metrics::periodic_reader_options once_at_exit;
  once_at_exit.interval = std::chrono::hours(24);
  init.metric_reader_options = once_at_exit;
  auto tracing = llmtrace::init(std::move(init));
  auto print_tree = [&] {
    std::fputs(tree.str().c_str(), stdout);
    tree.str(std::string());
  };

  // --- the pipeline ----------------------------------------------------------------------------
  ollama::client_options client_options;
  client_options.host = live ? probe.base_url() : std::string("http://127.0.0.1:11434");
  client_options.transport = transport;
  rag::pipeline_options options;
  options.chat_model = cfg.chat_model;
  options.embedding_model = cfg.embed_model;
  options.top_k = cfg.top_k;
  options.embed_batch_size = 8;
  options.chunking = {1000, 200};
  options.chat_options.temperature = 0.0;
  options.chat_options.seed = 42;
  rag::rag_pipeline pipeline{ollama::client(client_options),
                             std::make_shared<rag::in_memory_vector_store>("llmtrace-docs"), options};
  const char* replayed = live ? "" : ", replayed";

  try {
    const auto ingest = pipeline.ingest(docs);
    std::printf("%sCorpus:%s %zu documents, %zu chunks embedded with %s in %zu batches (%lld tokens%s)\n", bold(c),
                reset(c), ingest.documents, ingest.chunks, cfg.embed_model.c_str(), ingest.batches,
                static_cast<long long>(ingest.input_tokens), replayed);
    tree.str(std::string());  // the ingest trace goes to the file; the console shows the question's

    for (const auto& question : questions) {
      std::printf("\n%sQuestion:%s %s\n%sAnswer%s (%s%s):%s ", bold(c), reset(c), question.c_str(), bold(c), reset(c),
                  cfg.chat_model.c_str(), live ? "" : ", recorded from the test fake", reset(c));
      std::fflush(stdout);
      const rag::answer a = pipeline.query(question, [](std::string_view piece) {
        std::fwrite(piece.data(), 1, piece.size(), stdout);
        std::fflush(stdout);
        return true;
      });
      std::printf("\n\n%sSources:%s\n", bold(c), reset(c));
      for (std::size_t i = 0; i < a.sources.size(); ++i)
        std::printf("  [%zu] %-36s score %.3f  %s\"%s\"%s\n", i + 1, a.sources[i].id.c_str(),
                    static_cast<double>(a.sources[i].score), dim(c), one_line(a.sources[i].text, 60).c_str(), reset(c));
      std::printf("\n%sTrace%s (console exporter; tokens, timings and scores as recorded on the spans%s):\n", bold(c),
                  reset(c), replayed);
      print_tree();
    }
  } catch (const ollama::error& e) {
    print_tree();
    if (!live && e.reason() == ollama::error_reason::transport) {
      std::fprintf(stderr,
                   "\nllmtrace_demo: the recording has no answer for this request (the corpus, models or options "
                   "differ from the recorded run):\n  %s\n",
                   e.what());
      return 2;
    }
    std::fprintf(stderr, "\nllmtrace_demo: %s\n", e.what());
    if (e.status() == 404)
      std::fprintf(stderr, "Is the model pulled? Try:\n\n    ollama pull %s\n    ollama pull %s\n\n",
                   cfg.chat_model.c_str(), cfg.embed_model.c_str());
    return 1;
  } catch (const std::exception& e) {
    print_tree();
    std::fprintf(stderr, "\nllmtrace_demo: %s\n", e.what());
    return 1;
  }

  tracing.shutdown();  // flushes the files (and the collector), writes the HTML, collects the metrics
  const bool html_written = static_cast<bool>(std::ifstream(cfg.html_file));
  if (!metrics_table.str().empty())
    std::printf("\n%sMetrics%s (console metric exporter; the GenAI client metrics of this run):\n%s", bold(c), reset(c),
                metrics_table.str().c_str());
  std::printf("\nThe whole run (ingest and question traces) is in %s as OTLP/JSON, one line per export batch.\n",
              cfg.trace_file.c_str());
  if (otlp) std::printf("It was also sent to the OTLP collector (OTEL_EXPORTER_OTLP_ENDPOINT).\n");
  if (recording)
    std::printf("Recorded %zu exchanges to %s (corpus snapshot: %s).\n",
                std::dynamic_pointer_cast<http::recording_transport>(transport)->recorded(), cfg.record_to.c_str(),
                snapshot_path(cfg.record_to).c_str());
  if (!html_written) {
    std::fprintf(stderr, "llmtrace_demo: could not write %s (see the message above)\n", cfg.html_file.c_str());
    return 1;
  }
  std::printf("Open the trace in a browser (waterfall, spans, prompts): %s\n", absolute_path(cfg.html_file).c_str());
  return 0;
}
