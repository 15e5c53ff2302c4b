#!/usr/bin/env bash
# The first contained fault in a large binary (part of `make bench`).
#
# Builds ci/testdata/firstfault with generated padding code — FIRSTFAULT_FUNCS
# distinct Go functions (default 58,000), each with its own type, loop and
# string work, so that the binary carries code, symbol tables and DWARF in a
# large service's proportions — to about 40 MB, then runs it
# FIRSTFAULT_RUNS times (default 5) in each of two ways, alternating, each a
# fresh process, and reports the medians: the faulting Call of the first
# fault (the symbolizer cold), the second fault, an explicit Symbolize of the
# first fault (it waits for the debug information) and the RSS the first
# symbolization adds (anonymous, file-backed, Go heap), and what the first
# fault carries as Call returns it (function name, fingerprint, file and
# line) and how long after the start of Init it came back. The two ways: as
# shipped, the symbolizer reads the program's native debug object (its
# symbol table and the DWARF of its C, C++ and assembly units); with TMPDIR
# naming no directory that object cannot be written and the symbolizer reads
# the program's whole DWARF, Go's included, as it did before the object.
set -euo pipefail
cd "$(dirname "$0")/.."
. ci/lib.sh
root=$PWD
funcs=${FIRSTFAULT_FUNCS:-58000}
runs=${FIRSTFAULT_RUNS:-5}

scratch_dir
cp ci/testdata/firstfault/main.go "$tmp/"
cat >"$tmp/go.mod" <<MOD
module example.com/firstfault

go 1.24

require github.com/cgoguard/cgoguard v0.0.0-00010101000000-000000000000

replace github.com/cgoguard/cgoguard => $root
MOD
# The padding, in files of 2,000 functions (the compiler handles those well).
awk -v n="$funcs" -v dir="$tmp" 'BEGIN {
  per = 2000
  for (f = 0; f * per < n; f++) {
    file = sprintf("%s/pad%03d.go", dir, f)
    print "//go:build padded\n\npackage main\n\nimport \"strings\"\n" > file
    for (i = f * per; i < (f + 1) * per && i < n; i++) {
      printf "type padT%d struct {\n\ta, b int\n\ts    string\n}\n\n", i > file
      printf "//go:noinline\nfunc pad%d(x []int, s string) int {\n\tt := padT%d{a: len(x), b: %d, s: s + \"p%d\"}\n\tsum := 0\n\tfor i, v := range x {\n\t\tsum += v*%d ^ i\n\t\tif v > t.b {\n\t\t\tsum -= len(t.s)\n\t\t}\n\t}\n\tif strings.HasPrefix(s, t.s) {\n\t\tsum += %d\n\t}\n\treturn sum + t.a\n}\n\n", i, i, i, i, i % 97 + 3, i > file
    }
    close(file)
  }
  file = dir "/padtable.go"
  print "//go:build padded\n\npackage main\n\nvar padFuncs = []func([]int, string) int{" > file
  for (i = 0; i < n; i++) printf "\tpad%d,\n", i > file
  print "}\n\nfunc padding() {\n\tx := []int{1, 2, 3}\n\tn := 0\n\tfor _, f := range padFuncs {\n\t\tn += f(x, \"\")\n\t}\n\tif n == -1 {\n\t\tprintln(n)\n\t}\n}" > file
}'
echo "building a padded binary ($funcs generated functions)..."
(cd "$tmp" && GOFLAGS=-mod=mod go build -tags padded -o firstfault .)

for ((i = 0; i < runs; i++)); do
  "$tmp/firstfault" | sed 's/^/object /'
  TMPDIR="$tmp/no-such-directory" "$tmp/firstfault" | sed 's/^/program /'
done | tee "$tmp/out"
median_awk '
  { for (i = 2; i < NF; i += 2) v[$1, $i] = v[$1, $i] " " $(i + 1) }
  function sum(list,   a, n, i, t) { n = split(list, a, " "); for (i = 1; i <= n; i++) t += a[i]; return t }
  function count(list,   a) { return split(list, a, " ") }
  function memory(way) {
    return sprintf("%.1f ms, RSS +%.1f MiB (anonymous +%.1f, file-backed +%.1f; Go heap +%.1f)", median(v[way, "symbolize_first_ms"]),
      median(v[way, "symbolize_rss_mib"]), median(v[way, "symbolize_anon_mib"]), median(v[way, "symbolize_file_mib"]), median(v[way, "symbolize_goheap_mib"]))
  }
  END {
    printf "binary %.1f MB: first contained fault %.3f ms on the faulting call (goal <= 5 ms), second %.3f ms\n", median(v["object", "binary_mb"]), median(v["object", "first_fault_ms"]), median(v["object", "second_fault_ms"])
    printf "first fault from the start of Init: %.3f ms; as Call returns it: function named in %d of %d runs, fingerprint in %d, file and line in %d\n", median(v["object", "init_to_first_fault_ms"]), sum(v["object", "first_named"]), count(v["object", "first_named"]), sum(v["object", "first_fingerprint"]), sum(v["object", "first_lines"])
    printf "first symbolization (explicit Symbolize of the first fault): %s\n", memory("object")
    printf "  the same reading the whole program DWARF (no native debug object): %s\n", memory("program")
    if (median(v["object", "native_debug_object"]) != 1 || median(v["program", "native_debug_object"]) != 0) print "  (the native debug object was not used as intended: check the runs above)"
  }' "$tmp/out"
