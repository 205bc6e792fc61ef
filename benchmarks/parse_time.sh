#!/usr/bin/env bash
# Parse cost of the public entry headers (-fsyntax-only), as performance.md defines it: the median
# user CPU time of N runs (default 5) for <llmtrace/trace.hpp> and <llmtrace/llmtrace.hpp>.
# Usage: benchmarks/parse_time.sh [build-dir-with-generated-version-header] [runs]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build/default}"
runs="${2:-5}"
gen="$build/generated/include"
[ -f "$gen/llmtrace/version.hpp" ] || { echo "no $gen/llmtrace/version.hpp: configure first" >&2; exit 2; }
cxx="${CXX:-g++}"
for header in llmtrace/trace.hpp llmtrace/llmtrace.hpp; do
  times=()
  for _ in $(seq "$runs"); do
    t=$( { /usr/bin/time -f '%U' "$cxx" -std=c++17 -fsyntax-only -DLLMTRACE_HAS_CURL=1 -DLLMTRACE_HAS_ZLIB=1 \
           -I"$root/include" -I"$gen" -x c++ - <<<"#include <$header>" ; } 2>&1 )
    times+=("$t")
  done
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
  printf '%-24s median %ss user CPU over %s runs (min %s, max %s)\n' "<$header>" "$median" "$runs" \
    "$(printf '%s\n' "${times[@]}" | sort -n | head -1)" "$(printf '%s\n' "${times[@]}" | sort -n | tail -1)"
done
