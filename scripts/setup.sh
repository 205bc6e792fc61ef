#!/usr/bin/env bash
# Installs what llmtrace needs to build, test and run its demo on Debian/Ubuntu (idempotent).
# Runs apt-get only for packages that are missing; uses sudo when not root. chromium (Debian's, run
# headless) is only for the browser test of the HTML trace viewer (tests/browser): `--no-browser`
# (what scripts/demo.sh passes) leaves it out.
set -euo pipefail

packages=(cmake g++ make pkg-config nlohmann-json3-dev libcurl4-openssl-dev zlib1g-dev libspdlog-dev
          doctest-dev libbenchmark-dev libcpp-httplib-dev nodejs npm python3-grpcio openssl prometheus)
[ "${1:-}" = "--no-browser" ] || packages+=(chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# The machine's own Node.js (e.g. from nvm or a tarball) is fine: skip the Debian one then.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  missing=("${missing[@]/nodejs}")
  missing=("${missing[@]/npm}")
fi
read -r -a missing <<< "${missing[*]:-}"
bash "$(dirname "$0")/apt-install.sh" "${missing[@]}"
