#!/usr/bin/env bash
# Installs the given Debian packages with apt-get (sudo when not root): `scripts/apt-install.sh pkg...`.
# Callers pass only what is missing; nothing given, nothing done.
set -euo pipefail
[ "$#" -gt 0 ] || exit 0
echo "llmtrace: installing $*"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$@"
