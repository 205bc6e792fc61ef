#!/bin/sh
# Decode an OTLP trace payload with the official OpenTelemetry JS decoders and print the canonical
# JSON (see decode.mjs and tests/support/otlp_decode.hpp).
#
#   tests/otlp_js/check.sh <file> <protobuf|json> [traces|logs|metrics]
#   tests/otlp_js/check.sh --install        # only make sure node_modules is installed
#
# Installs the pinned packages with "npm ci" (from the committed package-lock.json) when
# node_modules is missing, unless LLMTRACE_OTLP_JS_NO_INSTALL=1. npm's output goes to stderr so
# stdout stays the canonical JSON. Concurrent callers are serialised with flock when available.
set -eu
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)

if ! command -v node >/dev/null 2>&1; then
  echo "check.sh: node is missing (install Node.js >= 18.19 to run the OTLP/JS cross-check)" >&2
  exit 3
fi

installed() {
  [ -f "$here/node_modules/@opentelemetry/otlp-transformer/build/src/generated/root.js" ] &&
    [ -f "$here/node_modules/long/package.json" ]
}

install() {
  if installed; then return 0; fi
  if [ "${LLMTRACE_OTLP_JS_NO_INSTALL:-0}" = "1" ]; then
    echo "check.sh: the npm packages are missing in $here/node_modules and LLMTRACE_OTLP_JS_NO_INSTALL=1 (run: npm ci --prefix $here)" >&2
    exit 3
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "check.sh: the npm packages are missing in $here/node_modules and npm is not installed" >&2
    exit 3
  fi
  echo "check.sh: installing the pinned npm packages (npm ci) in $here" >&2
  if ! (cd "$here" && npm ci --no-audit --no-fund --ignore-scripts) 1>&2; then
    echo "check.sh: npm ci failed in $here (offline? see the npm output above)" >&2
    exit 3
  fi
}

if command -v flock >/dev/null 2>&1 && ! installed; then
  # Serialise installs between concurrently running tests.
  exec 9>"$here/.install.lock"
  flock 9
  install
  flock -u 9
  exec 9>&-
else
  install
fi

if [ "${1:-}" = "--install" ]; then
  exit 0
fi
if [ $# -ne 2 ] && [ $# -ne 3 ]; then
  echo "usage: $0 <file> <protobuf|json> [traces|logs|metrics]" >&2
  exit 2
fi
exec node "$here/decode.mjs" "$@"
