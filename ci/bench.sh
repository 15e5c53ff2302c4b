#!/usr/bin/env bash
# `make bench`: the C++ core benchmarks (Google Benchmark), the Go package
# benchmarks, the fault storm's thread count and the first fault in a large
# binary, ending with the table of docs/performance.md, which it rewrites
# (ci/perf-doc.sh).
# Every comparison (guarded vs raw call) is measured side by side in one
# run; every other figure is a median of one run's repetitions.
set -euo pipefail
cd "$(dirname "$0")/.."
. ci/lib.sh

scratch_dir

printf '=== machine\n'
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
printf '%s, %s cores, Linux %s\n' "$cpu" "$(nproc)" "$(uname -r)"

printf '\n=== C++ core (Google Benchmark)\n'
./build/tests/bench/cgg_bench --benchmark_repetitions=10 --benchmark_report_aggregates_only=true \
  --benchmark_out="$tmp/core.json" --benchmark_out_format=json
# field NAME FIELD: FIELD of the run called NAME in the JSON report.
field() {
  awk -v want="$1" -v key="\"$2\":" '
    $1 == "\"name\":" { name = $2; gsub(/[",]/, "", name) }
    $1 == key && name == want { v = $2; sub(/,$/, "", v); print v + 0; exit }' "$tmp/core.json"
}
c_direct=$(field BM_GuardedOverDirect/iterations:201_median direct_ns)
c_guarded=$(field BM_GuardedOverDirect/iterations:201_median guarded_ns)
c_overhead=$(field BM_GuardedOverDirect/iterations:201_median overhead_ns)
c_fault=$(field BM_FaultRoundTrip_median real_time)
c_fault_cpu=$(field BM_FaultRoundTrip_median cpu_time)
# The contained fault against the kernel's floor (a bare SIGSEGV handler that
# resumes past the fault: delivery and sigreturn only), side by side.
c_side_fault=$(field BM_FaultOverFloor/iterations:201_median fault_ns)
c_floor=$(field BM_FaultOverFloor/iterations:201_median floor_ns)
c_floor_ratio=$(field BM_FaultOverFloor/iterations:201_median ratio)
c_share=$(field BM_FaultOverFloor/iterations:201_median share_ns)

printf '\n=== Go package (go test -bench, -count=10)\n'
out=$(go test -run '^$' -bench '^BenchmarkFault(Symbolized)?$' -benchtime=200000x -count=10 ./gobindings)
echo "$out" | grep '^Benchmark'
side=$(go test -run '^$' -bench 'CallOverRawCgo' -benchtime=201x -count=1 ./gobindings | grep '^Benchmark')
echo "$side"
# The raw-frames fault against the kernel's floor reached from Go (a cgo call
# to code that faults, bare handler), side by side.
go_floor_side=$(go test -run '^$' -bench 'FaultOverFloor' -benchtime=201x -count=1 ./gobindings | grep '^Benchmark' || true)
echo "$go_floor_side"
medians=$(echo "$out" | median_awk '
  /^Benchmark/ { name = $1; sub(/-[0-9]+$/, "", name); v[name] = v[name] " " $3; c[name] = c[name] " " $5 }
  END {
    printf "%.2f %.2f %.2f %.2f", median(v["BenchmarkFault"]) / 1000, median(c["BenchmarkFault"]) / 1000,
      median(v["BenchmarkFaultSymbolized"]) / 1000, median(c["BenchmarkFaultSymbolized"]) / 1000
  }')
read -r go_fault go_fault_cpu go_fault_sym go_fault_sym_cpu <<<"$medians"
metric() { echo "$side" | awk -v unit="$1" '{ for (i = 2; i <= NF; i++) if ($i == unit) print $(i - 1) }'; }
go_raw=$(metric raw-ns)
go_call=$(metric call-ns)
go_ratio=$(metric call/raw)
floor_metric() { echo "$go_floor_side" | awk -v unit="$1" '{ for (i = 2; i <= NF; i++) if ($i == unit) print $(i - 1) }'; }
go_side_fault=$(floor_metric fault-ns)
go_floor=$(floor_metric floor-ns)
go_floor_ratio=$(floor_metric fault/floor)
go_share=$(floor_metric share-ns)

printf '\n=== Call from an outside module (ci/callbench.sh)\n'
ci/callbench.sh | tee "$tmp/callbench"
outside=$(sed -n 's/^side by side (medians): raw \([0-9.]*\) ns, Call \([0-9.]*\) ns: \([0-9.]*\)x, +\([0-9.]*\) ns.*/\2 ns vs \1 ns: \3x, +\4 ns/p' "$tmp/callbench")

printf '\n=== OS threads after the fault storm\n'
storm=$(go test -count=1 -run '^TestFaultStormKeepsThreadCount$' -v ./gobindings | grep 'OS threads after' | sed 's/.*OS threads/OS threads/')
echo "$storm"

printf '\n=== the first contained fault in a large binary\n'
ci/firstfault-bench.sh | tee "$tmp/firstfault"
first=$(awk '/^binary .* MB:/ { print }' "$tmp/firstfault")
# The RSS the first symbolization adds: in the large Go binary (with its
# native debug object, and reading its whole DWARF), and in the C benchmark.
rss_object=$(sed -n 's/^first symbolization (explicit Symbolize of the first fault): .*, RSS \(+[0-9.]* MiB\).*/\1/p' "$tmp/firstfault")
rss_program=$(sed -n 's/^  the same reading the whole program DWARF.*, RSS \(+[0-9.]* MiB\).*/\1/p' "$tmp/firstfault")
rss_c=$(sed -n 's/.*"first_symbolization": ".*VmRSS [0-9]* -> [0-9]* KiB (+\([0-9]*\)).*/\1/p' "$tmp/core.json")

printf '\n=== summary (%s; Linux %s)\n' "$cpu" "$(uname -r)"
summary_table() {
  printf '| figure | measured | goal |\n|---|---|---|\n'
  printf '| `Call` of an empty C function vs a raw cgo call (side by side) | %s ns vs %s ns: %sx | <= 1.10x |\n' "$go_call" "$go_raw" "$go_ratio"
  printf '| `Call(unsafe.Pointer(C.noop), nil)` vs `C.noop(nil)` from an outside module (side by side) | %s | <= +2 ns |\n' "$outside"
  printf '| `cgg_call` vs a direct C call (side by side) | %.1f ns vs %.1f ns: +%.1f ns | <= +3 ns |\n' "$c_guarded" "$c_direct" "$c_overhead"
  printf '| fault round trip in C (frames captured), wall / CPU | %.2f us / %.2f us | <= 3 us |\n' \
    "$(awk -v t="$c_fault" 'BEGIN { print t / 1000 }')" "$(awk -v t="$c_fault_cpu" 'BEGIN { print t / 1000 }')"
  printf '| the same fault vs the kernel floor (bare SIGSEGV handler: delivery + sigreturn), side by side | %.2f us vs %.2f us: %.2fx; cgoguard'"'"'s share %.2f us | |\n' \
    "$(awk -v t="$c_side_fault" 'BEGIN { print t / 1000 }')" "$(awk -v t="$c_floor" 'BEGIN { print t / 1000 }')" \
    "$c_floor_ratio" "$(awk -v t="$c_share" 'BEGIN { print t / 1000 }')"
  printf '| fault round trip from Go, raw frames (`Symbolize(false)`), wall / CPU | %s us / %s us | <= 4 us |\n' "$go_fault" "$go_fault_cpu"
  printf '| the same fault vs the kernel floor from Go (cgo call to a bare-handler fault), side by side | %.2f us vs %.2f us: %sx; cgoguard'"'"'s share %.2f us | |\n' \
    "$(awk -v t="$go_side_fault" 'BEGIN { print t / 1000 }')" "$(awk -v t="$go_floor" 'BEGIN { print t / 1000 }')" \
    "$go_floor_ratio" "$(awk -v t="$go_share" 'BEGIN { print t / 1000 }')"
  printf '| fault from Go, symbolized, warm cache, wall / CPU | %s us / %s us | <= 20 us |\n' "$go_fault_sym" "$go_fault_sym_cpu"
  printf '| the first contained fault in a large binary | %s | <= 5 ms on the faulting call |\n' "$first"
  printf '| RSS of the first symbolization: large Go binary (native debug object vs whole DWARF); C benchmark binary | %s vs %s; %s KiB | cut where libbacktrace allows |\n' "$rss_object" "$rss_program" "$rss_c"
  printf '| %s | | <= clean + a few |\n' "$storm"
}
summary_table | tee "$tmp/summary.md"
ci/perf-doc.sh bench "$tmp/summary.md"
