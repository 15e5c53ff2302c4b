#!/usr/bin/env bash
# A trivial cgo call built with the build flag against the same call built
# without it, from a module outside this one (part of `make bench`).
# ci/testdata/flagbench is compiled into two test binaries, `go test -c`
# and `go test -c -toolexec=cgoguard` (both link cgoguard's runtime, so they
# differ in the guard only), which run in alternating rounds
# (FLAGBENCH_ROUNDS, default 7): each round runs BenchmarkNoop (C.noop(nil))
# and BenchmarkAdd (C.add(s, 1)), FLAGBENCH_ITER calls each, in one binary
# and then the other, the order swapped every round. Prints per benchmark
# the medians over rounds of ns per call, and the median of the per-round
# difference and ratio (guarded - plain of the same round). Goal: <= +2 ns.
set -euo pipefail
cd "$(dirname "$0")/.."
. ci/lib.sh
root=$PWD
rounds=${FLAGBENCH_ROUNDS:-7}
iter=${FLAGBENCH_ITER:-20000000}

scratch_dir
tool=$(cgoguard_tool "$tmp")
cp ci/testdata/flagbench/*.go "$tmp/"
sed "s|@SRC@|$root|" ci/testdata/flagbench/go.mod.in >"$tmp/go.mod"
(cd "$tmp" && go test -c -o plain.test . && go test -c -toolexec="$tool" -o guarded.test .)
n=$(go tool nm "$tmp/guarded.test" | grep -c '_cgo_cgoguard_.*_Cfunc_' || true)
((n >= 2)) || {
  echo "FAILED: the guarded test binary has $n guarded wrappers, want 2"
  exit 1
}
if go tool nm "$tmp/plain.test" | grep -q '_cgo_cgoguard_'; then
  echo "FAILED: the plain test binary has guarded wrappers"
  exit 1
fi

for ((r = 0; r < rounds; r++)); do
  order="plain guarded"
  ((r % 2)) && order="guarded plain"
  for way in $order; do
    "$tmp/$way.test" -test.run '^$' -test.bench '^Benchmark(Noop|Add)$' -test.benchtime "${iter}x" |
      awk -v way="$way" -v r="$r" '/^Benchmark/ { name = $1; sub(/-[0-9]+$/, "", name); print r, way, name, $3 }'
  done
done | tee "$tmp/out"
printf 'load average: %s\n' "$(cat /proc/loadavg)"
median_awk '
  { v[$1, $2, $3] = $4; names[$3] = 1; if ($1 + 1 > rounds) rounds = $1 + 1 }
  END {
    for (name in names) {
      p = g = d = q = ""
      for (r = 0; r < rounds; r++) {
        p = p " " v[r, "plain", name]; g = g " " v[r, "guarded", name]
        d = d " " (v[r, "guarded", name] - v[r, "plain", name]); q = q " " (v[r, "guarded", name] / v[r, "plain", name])
      }
      printf "%s (medians of %d rounds): plain %.2f ns, with the flag %.2f ns: %.3fx, %+.2f ns per call (goal <= +2 ns)\n",
        name, rounds, median(p), median(g), median(q), median(d)
    }
  }' "$tmp/out" | sort | tee "$tmp/summary"

# The flag section of docs/performance.md (ci/perf-doc.sh).
{
  printf '| call, from a module outside the tree | plain | with the flag | ratio | difference | goal |\n|---|---|---|---|---|---|\n'
  sed -n 's/^BenchmarkNoop (medians of \([0-9]*\) rounds): plain \([0-9.]*\) ns, with the flag \([0-9.]*\) ns: \([0-9.]*\)x, \([-+0-9.]*\) ns.*/| `C.noop(nil)` (medians of \1 rounds) | \2 ns | \3 ns | \4x | \5 ns | <= +2 ns |/p' "$tmp/summary"
  sed -n 's/^BenchmarkAdd (medians of \([0-9]*\) rounds): plain \([0-9.]*\) ns, with the flag \([0-9.]*\) ns: \([0-9.]*\)x, \([-+0-9.]*\) ns.*/| `C.add(s, 1)`, an int result (medians of \1 rounds) | \2 ns | \3 ns | \4x | \5 ns | |/p' "$tmp/summary"
} >"$tmp/flag.md"
cat "$tmp/flag.md"
ci/perf-doc.sh flag "$tmp/flag.md"
