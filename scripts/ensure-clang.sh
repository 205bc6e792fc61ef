#!/usr/bin/env bash
# Installs Debian's clang and its sanitizer/libFuzzer runtime (libclang-rt-<version>-dev) when missing.
# Used by the sanitizer presets' callers (.ci/run) and scripts/fuzz.sh.
set -euo pipefail
need=()
command -v clang++ >/dev/null 2>&1 || need+=(clang)
if ! compgen -G "/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" >/dev/null; then
  version=$( (clang++ --version 2>/dev/null || echo "version 14") | sed -n 's/.*version \([0-9]*\).*/\1/p' | head -1)
  need+=("libclang-rt-${version}-dev")
fi
bash "$(dirname "$0")/apt-install.sh" "${need[@]}"
