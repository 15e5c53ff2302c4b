#!/usr/bin/env bash
# `make bench`: the C++ core benchmarks (Google Benchmark) and the Go
# package benchmarks, with the medians and ratios the README reports. Each
# comparison (guarded vs raw call) is measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."

printf '=== C++ core (Google Benchmark)\n'
./build/tests/bench/cgg_bench --benchmark_repetitions=10 --benchmark_report_aggregates_only=true

printf '\n=== Go package (go test -bench, -count=10)\n'
out=$(go test -run '^$' -bench . -benchtime=200000x -count=10 ./gobindings)
echo "$out" | grep '^Benchmark'
echo "$out" | awk '
  /^Benchmark/ { name = $1; sub(/-[0-9]+$/, "", name); v[name] = v[name] " " $3 }
  function median(list,   a, n, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END {
    for (k in v) { m[k] = median(v[k]); printf "median %-28s %10.1f ns/op\n", k, m[k] }
    if (m["BenchmarkRawCgo"] > 0) printf "Call / raw cgo = %.2fx (goal <= 1.10x)\n", m["BenchmarkCall"] / m["BenchmarkRawCgo"]
    printf "fault round trip from Go = %.2f us (goal <= 5 us), symbolized %.2f us\n", m["BenchmarkFault"] / 1000, m["BenchmarkFaultSymbolized"] / 1000
  }'
