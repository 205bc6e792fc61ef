#!/usr/bin/env bash
# The README's first command: ./scripts/demo.sh [question] [llmtrace_demo flags]
# Installs what is missing (scripts/setup.sh), configures and builds only the demo (build/demo),
# then asks the question (default: "How does llmtrace trace a RAG question?") over llmtrace's own
# docs: the answer, its sources and the trace tree, with the trace written to
# build/demo/llmtrace-demo-trace.jsonl and, as its last line, the path of the HTML trace viewer
# build/demo/llmtrace-demo-trace.html. Uses the Ollama daemon at OLLAMA_HOST when one answers,
# else replays the bundled recording. `./scripts/demo.sh --help` lists the demo's flags.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --no-browser

build=build/demo
log="$build/build.log"
mkdir -p "$build"
jobs="${LLMTRACE_JOBS:-$(nproc 2>/dev/null || echo 2)}"
echo "llmtrace demo: building the demo in $build (log: $log) ..."
if ! { cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DLLMTRACE_BUILD_TESTS=OFF \
         -DLLMTRACE_BUILD_BENCHMARKS=OFF -DLLMTRACE_BUILD_EXAMPLES=ON &&
       cmake --build "$build" --target llmtrace_demo -j "$jobs"; } >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  echo "llmtrace demo: the build failed; the full log is $log" >&2
  exit 1
fi
echo
exec "$build/examples/llmtrace_demo" --trace-file "$build/llmtrace-demo-trace.jsonl" "$@"
