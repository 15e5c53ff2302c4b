#!/usr/bin/env bash
# `make demo`: the example HTTP service (examples/httpserver) survives a crash
# storm. Builds the Go programs (cgo compiles the shim and the crash fixtures
# into them), starts the service on a
# free loopback port, drives a bounded mixed load at it (a calm phase, then a
# storm in which 10 % of the requests crash in native code or panic), prints
# the load generator's summary, and stops the service. Exits non-zero if the
# service died or any healthy request failed.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"

step() { printf '\n=== %s\n' "$*"; }

tmp=$(mktemp -d)
pid=
cleanup() {
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

step "building the service and the load generator"
(cd examples/httpserver && go build -o "$tmp/httpserver" . && go build -o "$tmp/loadgen" ./loadgen)

step "starting the service on 127.0.0.1"
"$tmp/httpserver" -addr 127.0.0.1:0 -addr-file "$tmp/addr" -quarantine-cooldown 1s 2>"$tmp/server.log" &
pid=$!
for _ in $(seq 100); do
  [[ -s $tmp/addr ]] && break
  kill -0 "$pid" 2>/dev/null || { echo "the service exited at start-up:"; cat "$tmp/server.log"; exit 1; }
  sleep 0.1
done
[[ -s $tmp/addr ]] || { echo "the service did not start listening"; exit 1; }
addr=$(cat "$tmp/addr")
echo "service pid $pid at http://$addr (debug page: /debug/cgoguard/, metrics: /metrics)"

step "load: calm phase, then the crash storm"
load_rc=0
"$tmp/loadgen" -url "http://$addr" || load_rc=$?

step "the service's log"
incidents=$(grep -c '"incident_id"' "$tmp/server.log" || true)
echo "$incidents incident records (one JSON line each; per fingerprint, 10 a minute in full and a summary of the rest); the first native fault's record, cut at 700 characters:"
grep -m1 '"kind":"native_fault"' "$tmp/server.log" | cut -c1-700
echo

step "stopping the service"
if ! kill -0 "$pid" 2>/dev/null; then
  echo "FAILED: the service died during the load"
  tail -20 "$tmp/server.log"
  exit 1
fi
kill -TERM "$pid"
server_rc=0
wait "$pid" || server_rc=$?
pid=
if ((server_rc != 0)); then
  echo "FAILED: the service exited with status $server_rc"
  exit 1
fi
echo "the service shut down cleanly"
if ((load_rc != 0)); then
  echo "FAILED: the load generator reported failed requests"
  exit 1
fi
