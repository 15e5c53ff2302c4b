#!/usr/bin/env bash
# The crash-storm benchmark (part of `make bench`): drives the example service
# (examples/httpserver) with wrk, an independent load generator.
#
# Part 1, the cost of an incident (one service process): requests/s of
# healthy /checksum alone, contained native crashes (/crash/null-write)
# alone and Go panics (/panic) alone, each with 8 connections, measured back
# to back in one repetition; the ratios healthy/crash and healthy/panic are
# computed per repetition and their medians over STORM_REPS repetitions
# reported. Beside the throughput ratios, the service's own CPU time per
# request (from /proc) gives the same ratios without the load generator's
# share and much less noise from other processes on the machine.
#
# Part 2, a storm (a fresh service process, so that the log starts empty):
# healthy /checksum with 4 connections, calm for STORM_SECONDS, then again
# next to 4 connections of contained crashes for STORM_SECONDS: healthy
# requests/s, p50 and p99 calm vs storm; the bytes the service logged for
# the storm (after a clean shutdown, which logs the log budget's pending
# summaries), per incident and per second; RSS and threads before and after.
#
# Environment: STORM_REPS (default 5), STORM_RUN_SECONDS per run of part 1
# (default 3), STORM_SECONDS (default 10), STORM_CRASH (default
# /crash/null-write). Exits non-zero if the service dies or does not shut
# down cleanly, a healthy request fails, or a crash is not answered 500.
set -euo pipefail
cd "$(dirname "$0")/.."
. ci/lib.sh
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"

reps=${STORM_REPS:-5}
run_seconds=${STORM_RUN_SECONDS:-3}
storm_seconds=${STORM_SECONDS:-10}
crash_path=${STORM_CRASH:-/crash/null-write}

command -v wrk >/dev/null || { echo "wrk is missing: run ci/install-deps.sh" >&2; exit 1; }

tmp=$(mktemp -d)
pid=
cleanup() {
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

(cd examples/httpserver && go build -o "$tmp/httpserver" .)

failed=0
# start_service LOG: starts the service logging to LOG; sets pid and base.
# The background job (a batch every 200 ms, one contained fault per ten
# batches) would add its own incidents: it runs once an hour here.
start_service() {
  rm -f "$tmp/addr"
  "$tmp/httpserver" -addr 127.0.0.1:0 -addr-file "$tmp/addr" -job-interval 1h 2>"$1" &
  pid=$!
  for _ in $(seq 100); do
    [[ -s $tmp/addr ]] && break
    kill -0 "$pid" 2>/dev/null || { echo "the service exited at start-up:" >&2; cat "$1" >&2; exit 1; }
    sleep 0.1
  done
  [[ -s $tmp/addr ]] || { echo "the service did not start listening" >&2; exit 1; }
  base="http://$(cat "$tmp/addr")"
}
stop_service() {
  kill -0 "$pid" 2>/dev/null || { echo "FAILED: the service died" >&2; exit 1; }
  kill -TERM "$pid"
  wait "$pid" || { echo "FAILED: the service did not shut down cleanly" >&2; failed=1; }
  pid=
}

# wrk_run SECONDS CONNECTIONS PATH: one wrk run; prints its WRK line.
wrk_run() {
  wrk -t"$(($2 < 2 ? 1 : 2))" -c"$2" -d"$1s" -s ci/storm-report.lua "$base$3" | grep '^WRK '
}
# field NAME LINE: the value of NAME=... in a WRK line.
field() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<<"$2"; }
# cpu_ticks: the service's user + system CPU time, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
process_stat() { curl -s "$base/debug/vars" | grep -o "\"$1\": *[0-9]*" | grep -o '[0-9]*$'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
# usec_per_request TICKS LINE: service CPU microseconds per request.
usec_per_request() { awk -v t="$1" -v n="$(field requests "$2")" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", (n > 0 ? t * 1e6 / hz / n : 0) }'; }

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

# measure PATH: one part-1 run; prints the service's CPU ticks during it and
# the WRK line.
measure() {
  local t0 line
  t0=$(cpu_ticks)
  line=$(wrk_run "$run_seconds" 8 "$1")
  echo "$(($(cpu_ticks) - t0)) $line"
}

### Part 1: the cost of an incident.
start_service "$tmp/part1.log"
# Warm-up: the first fault loads the unwinder's and symbolizer's data.
for path in /checksum "$crash_path" /panic; do wrk_run 1 8 "$path" >/dev/null; done
printf '%-4s %10s %10s %10s %8s %8s %9s %9s %9s %8s %8s\n' \
  rep healthy/s crash/s panic/s h/crash h/panic us/healthy us/crash us/panic cpu-c cpu-p
: >"$tmp/reps"
for rep in $(seq "$reps"); do
  h=$(measure /checksum) c=$(measure "$crash_path") p=$(measure /panic)
  check "${h#* }" "healthy alone" ok
  check "${c#* }" "crash alone" 500
  check "${p#* }" "panic alone" 500
  hr=$(field rps "$h") cr=$(field rps "$c") pr=$(field rps "$p")
  hc=$(usec_per_request "${h%% *}" "$h") cc=$(usec_per_request "${c%% *}" "$c") pc=$(usec_per_request "${p%% *}" "$p")
  line="$hr $cr $pr $(div "$hr" "$cr") $(div "$hr" "$pr") $hc $cc $pc $(div "$cc" "$hc") $(div "$pc" "$hc")"
  echo "$line" >>"$tmp/reps"
  # shellcheck disable=SC2086
  printf '%-4s %10s %10s %10s %8s %8s %9s %9s %9s %8s %8s\n' "$rep" $line
done
stop_service
col() { awk -v c="$1" '{ print $c }' "$tmp/reps" | median; }

### Part 2: a storm, on a fresh service (no crash before the storm, as in
### production: the storm's first faults find the log budget unspent).
start_service "$tmp/part2.log"
wrk_run 1 4 /checksum >/dev/null
calm=$(wrk_run "$storm_seconds" 4 /checksum)
check "$calm" "healthy calm" ok
rss_before=$(process_stat rss_bytes) threads_before=$(process_stat threads)
b0=$(stat -c %s "$tmp/part2.log")
wrk_run "$storm_seconds" 4 "$crash_path" >"$tmp/storm_crash" &
storm_healthy=$(wrk_run "$storm_seconds" 4 /checksum)
wait $!
storm_crash=$(cat "$tmp/storm_crash")
check "$storm_healthy" "healthy during the storm" ok
check "$storm_crash" "crashes during the storm" 500
rss_after=$(process_stat rss_bytes) threads_after=$(process_stat threads)
stop_service
storm_log=$(($(stat -c %s "$tmp/part2.log") - b0))

ms() { awk -v us="$1" 'BEGIN { printf "%.2f ms", us / 1000 }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
echo
echo "Storm benchmark: wrk against examples/httpserver, crash = $crash_path"
echo "part 1: medians of $reps repetitions of ${run_seconds}s runs, 8 connections; part 2: ${storm_seconds}s calm, ${storm_seconds}s storm, 4 + 4 connections"
echo
# The table is also the storm section of docs/performance.md (ci/perf-doc.sh).
tee "$tmp/storm.md" <<EOF
| measure | value |
|---|---|
| healthy /checksum alone | $(col 1) req/s |
| contained native crash alone | $(col 2) req/s |
| Go panic (/panic) alone | $(col 3) req/s |
| throughput healthy / crash (goal <= 2) | $(col 4)x |
| throughput healthy / panic (goal <= 1.5) | $(col 5)x |
| service CPU per request: healthy / crash / panic | $(col 6) / $(col 7) / $(col 8) us |
| CPU per request crash / healthy, panic / healthy | $(col 9)x, $(col 10)x |
| healthy, 4 connections: calm -> storm | $(field rps "$calm") -> $(field rps "$storm_healthy") req/s |
| healthy p50: calm -> storm | $(ms "$(field p50_us "$calm")") -> $(ms "$(field p50_us "$storm_healthy")") |
| healthy p99: calm -> storm | $(ms "$(field p99_us "$calm")") -> $(ms "$(field p99_us "$storm_healthy")") |
| storm: contained crashes | $(field rps "$storm_crash")/s ($(field requests "$storm_crash") in ${storm_seconds}s) |
| log bytes of the ${storm_seconds}s storm (shutdown summary included) | $storm_log B |
| log bytes per incident / per second | $(div "$storm_log" "$(field requests "$storm_crash")") B / $(div "$storm_log" "$storm_seconds") B/s |
| RSS before -> after the storm | $(mib "$rss_before") -> $(mib "$rss_after") |
| threads before -> after the storm | $threads_before -> $threads_after |
EOF
ci/perf-doc.sh storm "$tmp/storm.md"
exit "$failed"
