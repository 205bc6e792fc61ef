#!/bin/sh
# The browser test of the HTML trace viewer (CTest: browser_html_viewer). Produces the pages with the
# project's own tools, then checks them in Debian's headless Chromium through puppeteer-core:
#   run.sh <make_fixtures> <llmtrace-html> <llmtrace_demo> <work dir> <screenshot.png>
# Installs the pinned npm packages (npm ci, from package-lock.json) when node_modules is missing;
# concurrent callers are serialised with flock. LLMTRACE_CHROMIUM overrides /usr/bin/chromium.
set -eu
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
[ $# -eq 5 ] || { echo "usage: $0 <make_fixtures> <llmtrace-html> <llmtrace_demo> <dir> <screenshot>" >&2; exit 2; }
fixtures=$1 tool=$2 demo=$3 dir=$4 shot=$5
chromium=${LLMTRACE_CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || { echo "run.sh: $chromium is missing (scripts/setup.sh installs Debian's chromium)" >&2; exit 1; }
command -v node >/dev/null 2>&1 || { echo "run.sh: node is missing (scripts/setup.sh installs it)" >&2; exit 1; }

if [ ! -f "$here/node_modules/puppeteer-core/package.json" ]; then
  exec 9>"$here/.install.lock"
  command -v flock >/dev/null 2>&1 && flock 9
  if [ ! -f "$here/node_modules/puppeteer-core/package.json" ]; then
    echo "run.sh: installing puppeteer-core (npm ci, no browser download) in $here" >&2
    (cd "$here" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --ignore-scripts) 1>&2
  fi
  exec 9>&-
fi

rm -rf "$dir" && mkdir -p "$dir"
start=$(date +%s)
"$fixtures" "$dir"
"$tool" "$dir/fixtures.jsonl" -o "$dir/fixtures.html"
"$tool" "$dir/big.jsonl" -o "$dir/big.html"
# The demo as ./scripts/demo.sh runs it without a daemon: the bundled recording, replayed with its
# recorded timing, writing its own HTML at shutdown.
OLLAMA_HOST=http://127.0.0.1:1 NO_COLOR=1 "$demo" --replay --trace-file "$dir/demo.jsonl" --html "$dir/demo.html" \
  > "$dir/demo.out"
tail -n 1 "$dir/demo.out" | grep -q "$dir/demo.html" || { echo "run.sh: the demo's last line is not the HTML path" >&2; cat "$dir/demo.out" >&2; exit 1; }
echo "run.sh: pages ready in $(( $(date +%s) - start )) s"
LLMTRACE_CHROMIUM=$chromium node "$here/check.mjs" "$dir" "$shot"
