#!/usr/bin/env bash
# The build time of a module using mattn/go-sqlite3 (ci/testdata/sqlitefault:
# go-sqlite3 behind net/http with httpguard), with and without the build flag
# (part of `make bench`). Cold: GOCACHE is a fresh directory (everything,
# the standard library and sqlite's amalgamation included, is compiled);
# warm: the same build again in that cache, linked anew. The module cache
# is shared (no download is timed).
set -euo pipefail
cd "$(dirname "$0")/.."
. ci/lib.sh
root=$PWD
scratch_dir
tool=$(cgoguard_tool "$tmp")
mkdir "$tmp/mod"
cp -r ci/testdata/sqlitefault/. "$tmp/mod/"
sed "s|@SRC@|$root|" ci/testdata/sqlitefault/go.mod.in >"$tmp/mod/go.mod"
(cd "$tmp/mod" && go mod tidy >/dev/null 2>&1 && go mod download)
build_seconds() { # build_seconds <cache> [go build flags]: seconds of one go build
  local cache=$1 t
  shift
  rm -f "$tmp/bin" # else an up-to-date output makes go build skip the link
  t=$(date +%s.%N)
  (cd "$tmp/mod" && GOCACHE=$cache go build "$@" -o "$tmp/bin" .)
  awk -v t="$t" -v now="$(date +%s.%N)" 'BEGIN { printf "%.1f", now - t }'
}
cold_plain=$(build_seconds "$tmp/cache-plain")
warm_plain=$(build_seconds "$tmp/cache-plain")
cold_flag=$(build_seconds "$tmp/cache-flag" -toolexec="$tool")
warm_flag=$(build_seconds "$tmp/cache-flag" -toolexec="$tool")
printf '%-28s %6s s\n' "cold, plain" "$cold_plain" "warm, plain" "$warm_plain" \
  "cold, with the flag" "$cold_flag" "warm, with the flag" "$warm_flag"
printf 'load average: %s\n' "$(cat /proc/loadavg)"

# The buildtime section of docs/performance.md (ci/perf-doc.sh).
{
  printf '| build of a module with go-sqlite3 | plain | with the flag |\n|---|---|---|\n'
  printf '| cold (fresh GOCACHE) | %s s | %s s |\n' "$cold_plain" "$cold_flag"
  printf '| warm (the same build again) | %s s | %s s |\n' "$warm_plain" "$warm_flag"
} >"$tmp/buildtime.md"
ci/perf-doc.sh buildtime "$tmp/buildtime.md"
