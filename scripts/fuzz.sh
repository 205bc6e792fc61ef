#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang with ASan + UBSan) and runs each: its seed corpus
# once, then fuzzing for a fixed time. Installs Debian's clang and libFuzzer runtime when missing.
#   scripts/fuzz.sh            # CI: 10 s per target
#   scripts/fuzz.sh 1800       # a longer local run: 30 min per target (new inputs: build/fuzz/tests/fuzz/corpus-*)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
bash scripts/ensure-clang.sh
cmake --preset fuzz -DLLMTRACE_FUZZ_SECONDS="${seconds}"
cmake --build --preset fuzz
ctest --preset fuzz --timeout $((seconds * 2 + 120))
