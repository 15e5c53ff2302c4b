#!/usr/bin/env bash
# Call's clean path as a module outside this one sees it (part of
# `make bench`). Builds ci/testdata/callbench (plain `for i < n` loops over
# an empty C function: raw `C.noop(nil)` and `cgoguard.Call(unsafe.Pointer(
# C.noop), nil)`, plus the pieces of the difference) into one test binary and
# runs CALLBENCH_ROUNDS rounds (default 5), each round the two plain b.N
# benchmarks (BenchmarkRaw, BenchmarkCall, CALLBENCH_ITER calls each) and one
# run of BenchmarkSideBySide, which alternates blocks of every loop in one
# process. Prints the medians over rounds: ns per call of the plain loops and
# their ratio, and the side-by-side figures (difference to the raw loop, per
# loop). The load average is printed with them: on a shared machine the
# side-by-side figures are the ones to read.
set -euo pipefail
cd "$(dirname "$0")/.."
. ci/lib.sh
root=$PWD
rounds=${CALLBENCH_ROUNDS:-5}
iter=${CALLBENCH_ITER:-20000000}

scratch_dir
cp ci/testdata/callbench/*.go "$tmp/"
sed "s|@SRC@|$root|" ci/testdata/callbench/go.mod.in >"$tmp/go.mod"
(cd "$tmp" && go test -c -o callbench.test .)

for ((r = 0; r < rounds; r++)); do
  "$tmp/callbench.test" -test.run '^$' -test.bench '^Benchmark(Raw|Call)$' -test.benchtime "${iter}x"
  "$tmp/callbench.test" -test.run '^$' -test.bench '^BenchmarkSideBySide$' -test.benchtime 200x
done | grep '^Benchmark' | tee "$tmp/out"
printf 'load average: %s\n' "$(cat /proc/loadavg)"
median_awk '
  { name = $1; sub(/-[0-9]+$/, "", name) }
  name == "BenchmarkRaw" { raw = raw " " $3 }
  name == "BenchmarkCall" { call = call " " $3 }
  name == "BenchmarkSideBySide" { for (i = 3; i < NF; i += 2) side[$(i + 1)] = side[$(i + 1)] " " $i }
  END {
    r = median(raw); c = median(call)
    printf "plain b.N loops (medians of %d rounds): raw %.2f ns, Call %.2f ns: %.3fx, +%.2f ns\n", split(raw, x, " "), r, c, c / r, c - r
    printf "side by side (medians): raw %.2f ns, Call %.2f ns: %.3fx, +%.2f ns (goal <= +2 ns)\n",
      median(side["raw-ns"]), median(side["call-ns"]), median(side["call/raw"]), median(side["call-over-raw-ns"])
    printf "  pieces, each over the raw loop: cgg_call under one raw crossing +%.2f ns; errno form +%.2f ns;\n",
      median(side["guarded-over-raw-ns"]), median(side["rawerrno-over-raw-ns"])
    printf "  a variable (nil) pointer argument +%.2f ns; that from a Go function of its own (the shape of the in-tree baseline) +%.2f ns\n",
      median(side["rawptr-over-raw-ns"]), median(side["rawframe-over-raw-ns"])
  }' "$tmp/out"
