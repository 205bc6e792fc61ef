#!/usr/bin/env bash
# The README's test command: installs what is missing, then configures, builds and runs every test
# (cmake --workflow --preset default). Extra arguments go to ctest through CTEST_ARGS, e.g.
#   CTEST_ARGS="-R ollama" ./scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -n "${CTEST_ARGS:-}" ]; then
  cmake --preset default
  cmake --build --preset default
  # shellcheck disable=SC2086
  ctest --preset default ${CTEST_ARGS}
else
  cmake --workflow --preset default
fi
