#!/usr/bin/env bash
# Consumer checks: llmtrace used from three small CMake projects outside the main build, from scratch.
#   install           cmake --install into a temporary prefix (tests, examples, benchmarks off), then
#                     check the installed tree (headers, version.hpp, config + version file, LICENSE);
#   find_package      find_package(llmtrace <major.minor> CONFIG REQUIRED) against that prefix, build,
#                     run; and find_package(llmtrace 99.0 CONFIG) must refuse the same package;
#   find_package_core find_package(llmtrace CONFIG REQUIRED COMPONENTS core) + llmtrace::core: the
#                     light core alone (no nlohmann_json, libcurl or zlib looked for or linked);
#   add_subdirectory  vendored with add_subdirectory(): llmtrace's tests must not be configured; one
#                     program links llmtrace::llmtrace, another llmtrace::core;
#   fetch_content     FetchContent from a `git archive HEAD` tarball through a file:// URL.
# Each consumer compiles one translation unit including <llmtrace/llmtrace.hpp> and runs a traced call
# into an in-memory exporter (tests/consumer/common/consumer.cpp), failing unless the span arrived.
#
# Environment: JOBS (build parallelism, default 2), LLMTRACE_CONSUMER_TMPDIR (where the fresh work
# directory is made, default $TMPDIR or /tmp), LLMTRACE_KEEP_WORKDIR=1 (keep it after success).
# Exits non-zero if any check fails; prints one PASS/FAIL line per check.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
jobs="${JOBS:-2}"
base="${LLMTRACE_CONSUMER_TMPDIR:-${TMPDIR:-/tmp}}"
mkdir -p "$base"
work="$(mktemp -d "$base/llmtrace-consumer.XXXXXX")"
logs="$work/logs"
mkdir -p "$logs"
prefix="$work/prefix"

version="$(sed -n 's/^[[:space:]]*project([[:space:]]*llmtrace[[:space:]][[:space:]]*VERSION[[:space:]][[:space:]]*\([0-9][0-9]*\.[0-9][0-9]*\.[0-9][0-9]*\).*/\1/p' "$repo/CMakeLists.txt" | head -n 1)"
if [ -z "$version" ]; then
  echo "FAIL: could not read project(llmtrace VERSION x.y.z) from $repo/CMakeLists.txt"
  exit 1
fi
major_minor="${version%.*}"

# No user or system package registry: only the prefixes we name may satisfy find_package.
common_args=(-DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)

failures=0
start=$(date +%s)

# run_step <name> <command...>: runs the command with its output in $logs/<name>.log.
run_step() {
  local name="$1"
  shift
  echo "+ $*" >>"$logs/$name.log"
  "$@" >>"$logs/$name.log" 2>&1
}

pass() { printf 'PASS  %-28s %s\n' "$1" "${2:-}"; }
fail() {
  failures=$((failures + 1))
  printf 'FAIL  %-28s %s (log: %s)\n' "$1" "${2:-}" "$logs/$1.log"
  if [ -f "$logs/$1.log" ]; then
    tail -n 40 "$logs/$1.log" | sed 's/^/      | /'
  fi
}

# build_and_run <name> <source dir> <configure args...>: configure, build, run ./consumer (and
# ./consumer_core when the project builds one).
build_and_run() {
  local name="$1" src="$2"
  shift 2
  local bin="$work/$name"
  if ! run_step "$name" cmake -S "$src" -B "$bin" "${common_args[@]}" "$@"; then
    fail "$name" "configure failed"
    return 1
  fi
  if ! run_step "$name" cmake --build "$bin" -j "$jobs"; then
    fail "$name" "build failed"
    return 1
  fi
  local exe
  for exe in "$bin/consumer" "$bin/consumer_core"; do
    [ "$exe" = "$bin/consumer" ] || [ -x "$exe" ] || continue
    if ! run_step "$name" "$exe"; then
      fail "$name" "$(basename "$exe") failed"
      return 1
    fi
  done
  pass "$name" "$(grep '^consumer(' "$logs/$name.log" | sed 's/: llmtrace.*//' | paste -sd' ')"
}

echo "llmtrace $version consumer checks in $work (jobs: $jobs)"

# --- 1. Install into a fresh prefix, then check the installed tree ---------------------------------
installed=0
if run_step install cmake -S "$repo" -B "$work/llmtrace-build" "${common_args[@]}" \
     -DLLMTRACE_BUILD_TESTS=OFF -DLLMTRACE_BUILD_EXAMPLES=OFF -DLLMTRACE_BUILD_BENCHMARKS=OFF \
     -DCMAKE_INSTALL_PREFIX="$prefix" &&
   run_step install cmake --build "$work/llmtrace-build" -j "$jobs" &&
   run_step install cmake --install "$work/llmtrace-build"; then
  installed=1
  pass install "into $prefix"
else
  fail install "configure/install of llmtrace failed"
fi

if [ "$installed" = 1 ]; then
  missing=()
  for f in include/llmtrace/llmtrace.hpp include/llmtrace/trace.hpp include/llmtrace/version.hpp \
           share/cmake/llmtrace/llmtraceConfig.cmake share/cmake/llmtrace/llmtraceConfigVersion.cmake \
           share/cmake/llmtrace/llmtraceTargets.cmake share/doc/llmtrace/LICENSE; do
    [ -f "$prefix/$f" ] || missing+=("$f")
  done
  # Every public header of the source tree is installed, nothing else is needed from the repo.
  while IFS= read -r h; do
    [ -f "$prefix/include/$h" ] || missing+=("include/$h")
  done < <(cd "$repo/include" && find llmtrace -type f -name '*.hpp' | sort)
  {
    echo "installed files:"
    (cd "$prefix" && find . -type f | sort)
  } >>"$logs/install_tree.log"
  if [ "${#missing[@]}" -ne 0 ]; then
    echo "missing: ${missing[*]}" >>"$logs/install_tree.log"
    fail install_tree "missing from the installed tree: ${missing[*]}"
  elif ! grep -q "#define LLMTRACE_VERSION_STRING \"$version\"" "$prefix/include/llmtrace/version.hpp"; then
    fail install_tree "installed version.hpp does not carry version $version"
  elif ! grep -q "PACKAGE_VERSION \"$version\"" "$prefix/share/cmake/llmtrace/llmtraceConfigVersion.cmake"; then
    fail install_tree "installed llmtraceConfigVersion.cmake does not carry version $version"
  elif grep -qF "$repo" "$prefix/share/cmake/llmtrace/"*.cmake; then
    fail install_tree "the installed package config refers to the source tree $repo"
  else
    pass install_tree "headers, version.hpp ($version), config + version file, LICENSE"
  fi
fi

# --- 2. find_package against the installed prefix --------------------------------------------------
if [ "$installed" = 1 ]; then
  build_and_run find_package "$here/find_package" -DCMAKE_PREFIX_PATH="$prefix" \
    -DLLMTRACE_REQUEST_VERSION="$major_minor" -DLLMTRACE_EXPECTED_VERSION="$version" \
    -DLLMTRACE_EXPECTED_DIR="$prefix/share/cmake/llmtrace"

  build_and_run find_package_core "$here/find_package_core" -DCMAKE_PREFIX_PATH="$prefix"

  # The same prefix must not satisfy a request for a newer version.
  if run_step find_package_too_new cmake -S "$here/find_package" -B "$work/find_package_too_new" \
       "${common_args[@]}" -DCMAKE_PREFIX_PATH="$prefix" -DLLMTRACE_PROBE_TOO_NEW=ON &&
     grep -q "llmtrace 99.0 refused as expected" "$logs/find_package_too_new.log"; then
    pass find_package_too_new "find_package(llmtrace 99.0 CONFIG) refused llmtrace $version"
  else
    fail find_package_too_new "find_package(llmtrace 99.0 CONFIG) was not refused for its version"
  fi
else
  fail find_package "skipped: the install step failed"
fi

# --- 3. add_subdirectory of the source tree --------------------------------------------------------
build_and_run add_subdirectory "$here/add_subdirectory" -DLLMTRACE_SOURCE_DIR="$repo"

# --- 4. FetchContent from a local archive ----------------------------------------------------------
archive="$work/llmtrace-src.tar.gz"
if git -C "$repo" rev-parse --verify -q HEAD >/dev/null 2>&1; then
  # Committed content only: uncommitted changes are not in the archive (as with a real release).
  run_step fetch_content git -C "$repo" archive --format=tar.gz --prefix=llmtrace/ -o "$archive" HEAD
  if [ -n "$(git -C "$repo" status --porcelain -- include cmake CMakeLists.txt 2>/dev/null)" ]; then
    echo "note: fetch_content uses HEAD; uncommitted changes under include/, cmake/, CMakeLists.txt are not in it"
  fi
else
  run_step fetch_content tar -czf "$archive" -C "$(dirname "$repo")" --exclude-vcs \
    --exclude="$(basename "$repo")/build*" --exclude=node_modules "$(basename "$repo")"
fi
if [ -s "$archive" ]; then
  sha256="$(sha256sum "$archive" | cut -d' ' -f1)"
  build_and_run fetch_content "$here/fetch_content" -DLLMTRACE_ARCHIVE="$archive" \
    -DLLMTRACE_ARCHIVE_SHA256="$sha256"
else
  fail fetch_content "could not make a source archive of $repo"
fi

# --- Summary ---------------------------------------------------------------------------------------
elapsed=$(($(date +%s) - start))
if [ "$failures" -ne 0 ]; then
  echo "consumer checks: $failures FAILED (${elapsed}s); work directory kept: $work"
  exit 1
fi
if [ "${LLMTRACE_KEEP_WORKDIR:-0}" = 1 ]; then
  echo "consumer checks: all passed (${elapsed}s); work directory kept: $work"
else
  rm -rf "$work"
  echo "consumer checks: all passed (${elapsed}s)"
fi
