#!/usr/bin/env bash
# The Go runtime's own cgo test program, $GOROOT/src/runtime/testdata/
# testprogcgo (one binary, one subcommand per runtime test), built with the
# build flag behaves as built without it. A copy of the program in a
# temporary module (with a copy of internal/profile, which it imports) is
# built three ways:
#   pristine  as shipped;
#   linked    with one added file importing cgoguard's runtime (a guarded
#             binary needs it);
#   guarded   the same, with go build -toolexec=cgoguard.
# Every registered subcommand runs in each (a timeout of TESTPROGCGO_TIMEOUT
# seconds, default 20; the environment runtime/crash_cgo_test.go gives it, if
# any). Two runs behave alike when they end with the same exit status and,
# after masking what varies from run to run (addresses, goroutine, thread and
# process numbers, timings), print the same output (exit 0) or the same first
# line (a crash: the tracebacks below it list goroutines that race). Fails
# when guarded and linked differ for a subcommand not in the table of
# expected differences below, or when an expected difference is not the one
# described; prints the differences between linked and pristine (what
# linking cgoguard's runtime changes) without failing on them.
set -euo pipefail
cd "$(dirname "$0")/.."
. ci/lib.sh
root=$PWD
limit=${TESTPROGCGO_TIMEOUT:-20}
scratch_dir

tool=$(cgoguard_tool "$tmp")
goroot=$(go env GOROOT)
src=$goroot/src/runtime/testdata/testprogcgo
goversion=$(go env GOVERSION)

mkdir -p "$tmp/pristine" "$tmp/linked"
cp -r "$src/." "$tmp/pristine/"
cp -r "$src/." "$tmp/linked/"
chmod -R u+w "$tmp/pristine" "$tmp/linked"
# Outside GOROOT the program cannot import internal/profile: it gets a copy
# of its own (that package imports no other internal one).
for way in pristine linked; do
  mkdir -p "$tmp/$way/internal/profile"
  find "$goroot/src/internal/profile" -maxdepth 1 -name '*.go' ! -name '*_test.go' -exec cp {} "$tmp/$way/internal/profile/" \;
  chmod -R u+w "$tmp/$way/internal"
  grep -l '"internal/profile"' "$tmp/$way"/*.go | xargs sed -i 's|"internal/profile"|"testprogcgo/internal/profile"|'
done
printf 'module testprogcgo\n\ngo %s\n' "$(go env GOVERSION | sed 's/^go//; s/^\([0-9]*\.[0-9]*\).*/\1/')" >"$tmp/pristine/go.mod"
cat >"$tmp/linked/go.mod" <<MOD
module testprogcgo

go 1.24

require github.com/cgoguard/cgoguard v0.0.0-00010101000000-000000000000

replace github.com/cgoguard/cgoguard => $root
MOD
cat >"$tmp/linked/cgoguard_link.go" <<'GO'
package main

// A binary built with the flag needs cgoguard's runtime linked in.
import _ "github.com/cgoguard/cgoguard/gobindings"
GO
start=$SECONDS
(cd "$tmp/pristine" && go build -o "$tmp/pristine.bin" .)
(cd "$tmp/linked" && go build -o "$tmp/linked.bin" .)
(cd "$tmp/linked" && go build -toolexec="$tool" -o "$tmp/guarded.bin" .)
printf 'testprogcgo of %s built three ways in %d s\n' "$goversion" $((SECONDS - start))
n=$(go tool nm "$tmp/guarded.bin" | grep -c '_cgo_cgoguard_.*_Cfunc_' || true)
printf 'guarded cgo wrappers in the guarded binary: %d\n' "$n"
((n > 0)) || fail "the flag guarded nothing in testprogcgo"

# The subcommands (register and registerInit, outside Windows-only files)
# and the environment crash_cgo_test.go runs each with.
mapfile -t names < <(grep -ho 'register\(Init\)\?("[A-Za-z0-9_]*"' $(ls "$src"/*.go | grep -v '_windows\.go$') |
  sed 's/.*("//; s/"$//' | sort -u)
envof() {
  sed -n 's/.*runTestProg(t, "testprogcgo", "'"$1"'"\(, "[^"]*"\)*).*/&/p' "$goroot/src/runtime/crash_cgo_test.go" |
    head -1 | grep -o '"[A-Z_]*=[^"]*"' | tr -d '"' | tr '\n' ' ' || true
}
mask() {
  sed -E -e 's/0x[0-9a-f]+/0xX/g' -e 's/goroutine [0-9]+/goroutine N/g' -e 's/\b(m|p|gp|mp|pid|tid|id)=[0-9]+/\1=N/g' \
    -e 's/[0-9]+(\.[0-9]+)?(ns|µs|ms|s)\b/T/g' -e 's/\[[0-9]+ minutes\]//g' -e "s|$tmp/[a-z]*|TMP|g" \
    -e 's/:[0-9]+ \+0xX/:L +0xX/g' -e 's/[0-9]{4,}/N/g'
}
runone() { # runone <way> <name>: exit status and masked output in $tmp/out
  local rc=0 env
  env=$(envof "$2")
  # shellcheck disable=SC2086 # env is a list of VAR=value words
  (cd "$tmp" && env $env timeout -k 5 "$limit" "$tmp/$1.bin" "$2") >"$tmp/out/$1.$2.raw" 2>&1 || rc=$?
  mask <"$tmp/out/$1.$2.raw" >"$tmp/out/$1.$2"
  echo "$rc" >"$tmp/out/$1.$2.rc"
}
# The expected differences: subcommand, then a pattern the guarded run's
# first line must match, then why.
expected=(
  "CrashTraceback|^panic: cgoguard: native fault: SIGSEGV|a fault in C code of a guarded call is a Go panic by design; the native frames of SetCgoTraceback's symbolizer are not printed (the panic value names the faulting function only)"
  "TracebackSigpanic|^panic: cgoguard: native fault: SIGSEGV|the same: the crash in C becomes an unrecovered Go panic"
  "CgoSigfwd|^panic: cgoguard: native fault: SIGSEGV|the program's own C SIGSEGV handler, installed by a constructor before the Go runtime, expects the fault in C.sigsegv(); cgoguard's handler, installed later, contains it first"
)
# None depends on timing: since Init starts no goroutine, NumGoroutine,
# NotInGoMetricCgoCall and NotInGoMetricCgoCallAndCallback (which counted
# the warm-up goroutine) and CgoNoEscape (its allocations) behave alike.
expectation() { # expectation <name>: "pattern|why" or nothing
  local e
  for e in "${expected[@]}"; do
    [[ ${e%%|*} == "$1" ]] && echo "${e#*|}"
  done
  return 0
}
# alike <way1> <way2> <name>
alike() {
  [[ $(cat "$tmp/out/$1.$3.rc") == $(cat "$tmp/out/$2.$3.rc") ]] || return 1
  if [[ $(cat "$tmp/out/$1.$3.rc") == 0 ]]; then
    cmp -s "$tmp/out/$1.$3" "$tmp/out/$2.$3"
  else
    [[ $(head -1 "$tmp/out/$1.$3") == $(head -1 "$tmp/out/$2.$3") ]]
  fi
}
mkdir -p "$tmp/out"
same=0 flagdiff=0 linkdiff=0 unexpected=0
for name in "${names[@]}"; do
  for way in pristine linked guarded; do runone "$way" "$name"; done
  g=$(cat "$tmp/out/guarded.$name.rc") l=$(cat "$tmp/out/linked.$name.rc") p=$(cat "$tmp/out/pristine.$name.rc")
  first=$(head -1 "$tmp/out/linked.$name.raw" | cut -c1-70)
  exp=$(expectation "$name")
  if alike guarded linked "$name"; then
    same=$((same + 1))
    printf '%-36s exit %-3s %s\n' "$name" "$g" "$first"
    if [[ -n $exp ]]; then
      printf '%-36s   FAILED: expected to differ (%s)\n' "" "${exp#*|}"
      unexpected=$((unexpected + 1))
    fi
  else
    flagdiff=$((flagdiff + 1))
    printf '%-36s DIFFERS with the flag: exit %s guarded, %s linked\n' "$name" "$g" "$l"
    printf '%-36s   linked:  %s\n%-36s   guarded: %s\n' "" "$first" "" "$(head -1 "$tmp/out/guarded.$name.raw" | cut -c1-90)"
    if [[ -n $exp ]] && head -1 "$tmp/out/guarded.$name.raw" | grep -q -- "${exp%%|*}"; then
      printf '%-36s   expected: %s\n' "" "${exp#*|}"
    else
      printf '%-36s   FAILED: not an expected difference\n' ""
      diff "$tmp/out/linked.$name" "$tmp/out/guarded.$name" | head -20 | sed 's/^/      /' || true
      unexpected=$((unexpected + 1))
    fi
  fi
  if ! alike linked pristine "$name"; then
    linkdiff=$((linkdiff + 1))
    printf '%-36s   linking the runtime alone changes it: exit %s linked, %s pristine; pristine: %s\n' "" "$l" "$p" \
      "$(head -1 "$tmp/out/pristine.$name.raw" | cut -c1-70)"
  fi
done
printf '\n%d subcommands: %d alike with and without the flag, %d different (%d unexpected); %d changed by linking the runtime alone\n' \
  "${#names[@]}" "$same" "$flagdiff" "$unexpected" "$linkdiff"
if [[ -n ${TESTPROGCGO_KEEP:-} ]]; then cp -r "$tmp/out" "$TESTPROGCGO_KEEP/"; fi
((unexpected == 0))
