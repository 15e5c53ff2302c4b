#!/usr/bin/env bash
# The crash-storm benchmark (part of `make bench`): drives the example service
# (examples/httpserver) with wrk, an independent load generator, and reports
#
#   - requests/s of healthy /checksum alone, contained native crashes
#     (/crash/null-write) alone and Go panics (/panic) alone, each with 8
#     connections, and the ratios healthy/crash and healthy/panic. The three
#     are measured back to back in one repetition; the ratios are computed
#     per repetition and the medians over STORM_REPS repetitions reported,
#     so that load from other processes on the machine cancels out as far
#     as possible;
#   - healthy p50/p99 latency calm (4 connections alone) and during a storm
#     (the same 4 connections next to 4 connections of contained crashes);
#   - the bytes the service logs per incident and per second, and in the
#     storm phase (STORM_SECONDS of one crash);
#   - the service's RSS and thread count before and after.
#
# Environment: STORM_REPS (default 5), STORM_RUN_SECONDS per solo run
# (default 4), STORM_SECONDS for the calm and storm phases (default 10),
# STORM_CRASH (default /crash/null-write). Exits non-zero if the service
# dies, a healthy request fails or a crash request is not answered 500.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"

reps=${STORM_REPS:-5}
run_seconds=${STORM_RUN_SECONDS:-4}
storm_seconds=${STORM_SECONDS:-10}
crash_path=${STORM_CRASH:-/crash/null-write}

command -v wrk >/dev/null || { echo "wrk is missing: run ci/install-deps.sh" >&2; exit 1; }

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target cgoguard cgg_fixtures >/dev/null

tmp=$(mktemp -d)
pid=
cleanup() {
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

(cd examples/httpserver && go build -o "$tmp/httpserver" .)
# The background job (a batch every 200 ms, one contained fault per ten
# batches) would add its own incidents: run it rarely.
"$tmp/httpserver" -addr 127.0.0.1:0 -addr-file "$tmp/addr" -job-interval 1h 2>"$tmp/server.log" &
pid=$!
for _ in $(seq 100); do
  [[ -s $tmp/addr ]] && break
  kill -0 "$pid" 2>/dev/null || { echo "the service exited at start-up:"; cat "$tmp/server.log"; exit 1; }
  sleep 0.1
done
[[ -s $tmp/addr ]] || { echo "the service did not start listening" >&2; exit 1; }
base="http://$(cat "$tmp/addr")"

# wrk_run SECONDS CONNECTIONS PATH: one wrk run; prints its WRK line.
wrk_run() {
  wrk -t"$(($2 < 2 ? 1 : 2))" -c"$2" -d"$1s" -s ci/storm-report.lua "$base$3" | grep '^WRK '
}
# field NAME LINE: the value of NAME=... in a WRK line.
field() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<<"$2"; }
log_bytes() { stat -c %s "$tmp/server.log"; }
process_stat() { curl -s "$base/debug/vars" | grep -o "\"$1\": *[0-9]*" | grep -o '[0-9]*$'; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

failed=0
# check LINE WHAT EXPECT: EXPECT is "ok" (every response 2xx) or "500"
# (every response an error status); socket errors always fail.
check() {
  local requests non2xx sockerr
  requests=$(field requests "$1") non2xx=$(field non2xx "$1") sockerr=$(field socket_errors "$1")
  if ((sockerr > 0)) || { [[ $3 == ok ]] && ((non2xx > 0)); } || { [[ $3 == 500 ]] && ((non2xx != requests)); }; then
    echo "FAILED: $2: $1" >&2
    failed=1
  fi
}

# Warm-up: the first fault loads the unwinder's and symbolizer's data.
for path in /checksum "$crash_path" /panic; do wrk_run 1 8 "$path" >/dev/null; done
rss_before=$(process_stat rss_bytes) threads_before=$(process_stat threads)

printf '%-4s %12s %12s %12s %8s %8s %14s %14s\n' rep healthy/s crash/s panic/s h/crash h/panic log-B/crash log-B/panic
: >"$tmp/reps"
for rep in $(seq "$reps"); do
  h=$(wrk_run "$run_seconds" 8 /checksum)
  check "$h" "healthy alone" ok
  b0=$(log_bytes)
  c=$(wrk_run "$run_seconds" 8 "$crash_path")
  sleep 0.2 # let the last records reach the log
  b1=$(log_bytes)
  check "$c" "crash alone" 500
  p=$(wrk_run "$run_seconds" 8 /panic)
  sleep 0.2
  b2=$(log_bytes)
  check "$p" "panic alone" 500
  hr=$(field rps "$h") cr=$(field rps "$c") pr=$(field rps "$p")
  line="$hr $cr $pr $(div "$hr" "$cr") $(div "$hr" "$pr") $(div $((b1 - b0)) "$(field requests "$c")") $(div $((b2 - b1)) "$(field requests "$p")") $(div $((b1 - b0)) "$run_seconds")"
  echo "$line" >>"$tmp/reps"
  read -r a1 a2 a3 a4 a5 a6 a7 _ <<<"$line"
  printf '%-4s %12s %12s %12s %8s %8s %14s %14s\n' "$rep" "$a1" "$a2" "$a3" "$a4" "$a5" "$a6" "$a7"
done
col() { awk -v c="$1" '{ print $c }' "$tmp/reps" | median; }

calm=$(wrk_run "$storm_seconds" 4 /checksum)
check "$calm" "healthy calm" ok
b0=$(log_bytes)
wrk_run "$storm_seconds" 4 "$crash_path" >"$tmp/storm_crash" &
storm_healthy=$(wrk_run "$storm_seconds" 4 /checksum)
wait $!
sleep 0.2
b1=$(log_bytes)
storm_crash=$(cat "$tmp/storm_crash")
check "$storm_healthy" "healthy during the storm" ok
check "$storm_crash" "crashes during the storm" 500
rss_after=$(process_stat rss_bytes) threads_after=$(process_stat threads)
kill -0 "$pid" 2>/dev/null || { echo "FAILED: the service died" >&2; exit 1; }
kill -TERM "$pid"
wait "$pid" || { echo "FAILED: the service did not shut down cleanly" >&2; failed=1; }
pid=

ms() { awk -v us="$1" 'BEGIN { printf "%.2f ms", us / 1000 }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
storm_log=$((b1 - b0))
cat <<EOF

Storm benchmark: wrk against examples/httpserver, crash = $crash_path, medians of $reps repetitions of ${run_seconds}s runs

| measure | value |
|---|---|
| healthy /checksum alone, 8 connections | $(col 1) req/s |
| contained native crash alone, 8 connections | $(col 2) req/s |
| Go panic (/panic) alone, 8 connections | $(col 3) req/s |
| healthy / crash (goal <= 2) | $(col 4)x |
| healthy / panic (goal <= 1.5) | $(col 5)x |
| log bytes per incident: crash alone / panic alone | $(col 6) / $(col 7) B |
| log bytes per second, crash alone | $(col 8) B/s |
| healthy, 4 connections: calm -> storm | $(field rps "$calm") -> $(field rps "$storm_healthy") req/s |
| healthy p50: calm -> storm | $(ms "$(field p50_us "$calm")") -> $(ms "$(field p50_us "$storm_healthy")") |
| healthy p99: calm -> storm | $(ms "$(field p99_us "$calm")") -> $(ms "$(field p99_us "$storm_healthy")") |
| storm: contained crashes, 4 connections | $(field rps "$storm_crash") /s ($(field requests "$storm_crash") in ${storm_seconds}s) |
| log bytes of the ${storm_seconds}s storm | $storm_log B ($(div "$storm_log" "$storm_seconds") B/s) |
| RSS before -> after | $(mib "$rss_before") -> $(mib "$rss_after") |
| threads before -> after | $threads_before -> $threads_after |
EOF
exit "$failed"
