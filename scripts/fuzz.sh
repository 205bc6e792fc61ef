#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang with ASan + UBSan) and runs each: its seed corpus
# once, then fuzzing for a fixed time. Installs Debian's clang and libFuzzer runtime when missing.
#   scripts/fuzz.sh            # CI: 10 s per target
#   scripts/fuzz.sh 1800       # a longer local run: 30 min per target (new inputs: build/fuzz/tests/fuzz/corpus-*)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
need=()
command -v clang++ >/dev/null 2>&1 || need+=(clang)
if ! compgen -G "/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" >/dev/null; then
  version=$( (clang++ --version 2>/dev/null || echo "version 14") | sed -n 's/.*version \([0-9]*\).*/\1/p' | head -1)
  need+=("libclang-rt-${version}-dev")
fi
if [ "${#need[@]}" -gt 0 ]; then
  echo "llmtrace fuzz: installing ${need[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
cmake --preset fuzz -DLLMTRACE_FUZZ_SECONDS="${seconds}"
cmake --build --preset fuzz
ctest --preset fuzz --timeout $((seconds * 2 + 120))
