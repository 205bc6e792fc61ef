// llmtrace-html: turns OTLP/JSON trace files (what llmtrace's file exporter, or the OpenTelemetry
// Collector's file exporter, writes: one ExportTraceServiceRequest per line) into one self-contained
// HTML trace viewer. `llmtrace-html --help` lists the options.
#include <llmtrace/html/render.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

void usage(std::FILE* to) {
  std::fputs(
      "usage: llmtrace-html [options] TRACE.jsonl [MORE.jsonl ...]\n"
      "\n"
      "Writes one self-contained HTML file (no network needed, opens from file://) showing the traces in\n"
      "OTLP/JSON lines files (llmtrace's file exporter, OTEL_TRACES_EXPORTER=file, or the Collector's\n"
      "file exporter) as a trace list and per-trace waterfalls. '-' reads standard input.\n"
      "\n"
      "options:\n"
      "  -o, --output FILE   the HTML file (default: the first input with .html instead of .jsonl;\n"
      "                      '-' writes to standard output)\n"
      "  --trace ID          only the trace with this id (32 hex digits)\n"
      "  --last N            only the N traces that started last\n"
      "  --title TEXT        the page title (default: the input file names)\n"
      "  -h, --help          this text\n"
      "\n"
      "Lines that are not OTLP/JSON trace requests (e.g. a line torn by a crash) are skipped with a\n"
      "warning naming the file and line; the other lines are rendered.\n",
      to);
}

std::string default_output(const std::string& input) {
  if (input == "-") return "-";
  const auto dot = input.rfind('.');
  const auto slash = input.find_last_of('/');
  const std::string stem =
      dot != std::string::npos && (slash == std::string::npos || dot > slash) ? input.substr(0, dot) : input;
  return stem + ".html";
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> inputs;
  std::string output, title;
  llmtrace::html::render_options options;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 < argc) return argv[++i];
      std::fprintf(stderr, "llmtrace-html: %s needs a value (see --help)\n", a.c_str());
      std::exit(2);
    };
    if (a == "-h" || a == "--help") {
      usage(stdout);
      return 0;
    } else if (a == "-o" || a == "--output") {
      output = value();
    } else if (a == "--trace") {
      options.trace_id = value();
      if (options.trace_id.size() != 32 ||
          options.trace_id.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
        std::fprintf(stderr, "llmtrace-html: --trace needs a trace id of 32 hex digits, got '%s'\n",
                     options.trace_id.c_str());
        return 2;
      }
    } else if (a == "--last") {
      const char* v = value();
      char* end = nullptr;
      const long n = std::strtol(v, &end, 10);
      if (!*v || *end || n <= 0) {
        std::fprintf(stderr, "llmtrace-html: --last needs a positive number, got '%s'\n", v);
        return 2;
      }
      options.last = static_cast<std::size_t>(n);
    } else if (a == "--title") {
      title = value();
    } else if (a.size() > 1 && a[0] == '-') {
      std::fprintf(stderr, "llmtrace-html: unknown option %s (see --help)\n", a.c_str());
      return 2;
    } else {
      inputs.push_back(a);
    }
  }
  if (inputs.empty()) {
    usage(stderr);
    return 2;
  }
  if (output.empty()) output = default_output(inputs.front());

  llmtrace::html::trace_document doc;
  std::size_t skipped = 0;
  for (const auto& in_name : inputs) {
    std::ifstream file;
    std::istream* in = &std::cin;
    if (in_name != "-") {
      file.open(in_name, std::ios::binary);
      if (!file) {
        std::fprintf(stderr, "llmtrace-html: cannot read %s: %s\n", in_name.c_str(), std::strerror(errno));
        return 1;
      }
      in = &file;
    }
    doc.read_lines(*in, [&](std::size_t line, const std::string& why) {
      ++skipped;
      std::fprintf(stderr, "llmtrace-html: %s:%zu: skipped: %s\n", in_name.c_str(), line, why.c_str());
    });
    if (in->bad()) {
      std::fprintf(stderr, "llmtrace-html: error reading %s\n", in_name.c_str());
      return 1;
    }
  }
  if (title.empty()) {
    for (const auto& n : inputs) title += (title.empty() ? "" : ", ") + (n == "-" ? std::string("stdin") : n);
  }
  options.title = title;

  const std::size_t traces = doc.trace_count();
  if (!options.trace_id.empty() && doc.selected_span_count(options) == 0) {
    std::fprintf(stderr, "llmtrace-html: no span of trace %s in the input (%zu traces read)\n",
                 options.trace_id.c_str(), traces);
    return 1;
  }
  const std::string page = doc.render(options);
  if (output == "-") {
    std::fwrite(page.data(), 1, page.size(), stdout);
  } else {
    std::ofstream out(output, std::ios::binary | std::ios::trunc);
    out.write(page.data(), static_cast<std::streamsize>(page.size()));
    out.close();
    if (!out) {
      std::fprintf(stderr, "llmtrace-html: cannot write %s: %s\n", output.c_str(), std::strerror(errno));
      return 1;
    }
    std::fprintf(stderr, "llmtrace-html: wrote %s (%zu spans in %zu traces read%s)\n", output.c_str(), doc.span_count(),
                 traces, skipped ? (", " + std::to_string(skipped) + " lines skipped").c_str() : "");
  }
  return 0;
}
