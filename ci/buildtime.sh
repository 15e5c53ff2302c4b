#!/usr/bin/env bash
# The build time of a module using mattn/go-sqlite3 (ci/testdata/sqlitefault:
# go-sqlite3 behind net/http with httpguard), with and without the build flag
# (part of `make bench`). Cold: GOCACHE is a fresh directory (everything,
# the standard library and sqlite's amalgamation included, is compiled);
# warm: the same build again in that cache. The module cache is shared (no
# download is timed).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp"; rm -rf "$tmp"' EXIT
go build -o "$tmp/cgoguard" ./cmd/cgoguard
mkdir "$tmp/mod"
cp -r ci/testdata/sqlitefault/. "$tmp/mod/"
sed "s|@SRC@|$root|" ci/testdata/sqlitefault/go.mod.in >"$tmp/mod/go.mod"
(cd "$tmp/mod" && go mod tidy >/dev/null 2>&1 && go mod download)
timed() { # timed <label> <cache> [go build flags]: seconds of one go build
  local label=$1 cache=$2 t
  shift 2
  t=$(date +%s.%N)
  (cd "$tmp/mod" && GOCACHE=$cache go build "$@" -o "$tmp/bin" .)
  printf '%-28s %6.1f s\n' "$label" "$(awk -v t="$t" -v now="$(date +%s.%N)" 'BEGIN { print now - t }')"
}
timed "cold, plain" "$tmp/cache-plain"
timed "warm, plain" "$tmp/cache-plain"
timed "cold, with the flag" "$tmp/cache-flag" -toolexec="$tmp/cgoguard"
timed "warm, with the flag" "$tmp/cache-flag" -toolexec="$tmp/cgoguard"
printf 'load average: %s\n' "$(cat /proc/loadavg)"
