#!/usr/bin/env bash
# The build flag (cmd/cgoguard) on a binding the user did not write: the
# module ci/testdata/toolexec/binding (a C library with nil and closed
# handles, an errno-style call, a struct result, callbacks into Go), copied
# read-only as the module cache is, used by ci/testdata/toolexec/app.
# With the newest Go and with the oldest that go.mod declares (ci/go-oldest.sh):
#   1. built with -toolexec=cgoguard: every fault contained, named after the
#      binding's C function and recoverable (Catch, recover, httpguard,
#      safego); 64 goroutines x 50 faults all contained; a fault nobody
#      recovers is a Go panic naming the fault;
#   2. the control: the same program built without the flag dies at the
#      first fault;
#   3. the build cache: the flagged build again, and through GOFLAGS, runs no
#      cgo step (all cache hits) and is still guarded after the unguarded
#      build of step 2.
# With the newest Go only: go vet and go test with the flag, the link rule
# (a program without gobindings fails to link, naming the import), -race, a
# static binary, CGOGUARD_PACKAGES (import path and relative patterns), and
# the binding's files unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

. ci/lib.sh # fail, expect, timed
scratch_dir
cgo_steps() { # the number of cgo steps logged in $1
  if [[ -f $1 ]]; then grep -c '^cgo ' "$1" || true; else echo 0; fi
}

# ci/go-oldest.sh runs its command in the repository root; here the go
# command must run in the app's directory, so only its toolchain name is used.
ci_oldest() { "$root/ci/go-oldest.sh" --version; }

echo "== building cgoguard"
go build -o "$tmp/bin/cgoguard" ./cmd/cgoguard
tool=$tmp/bin/cgoguard

# The binding, read-only. cgoguard itself is this tree (replace), so its
# packages come from the build cache the other tests filled.
cp -r ci/testdata/toolexec/binding "$tmp/binding"
chmod -R a-w "$tmp/binding"
binding_sum=$(cd "$tmp/binding" && find . -type f | sort | xargs sha256sum)
cp -r ci/testdata/toolexec/app "$tmp/app"
sed -e "s|@BINDING@|$tmp/binding|" -e "s|@SRC@|$root|" ci/testdata/toolexec/app/go.mod.in >"$tmp/app/go.mod"
rm "$tmp/app/go.mod.in"
cd "$tmp/app"

demo_lines=(
  'clean: count=5 stats={Items:5 Total:15 Mean:3} parse=42,<nil> parse(x)=-1,invalid argument bytes=\[7 7 7 7\] each=15'
  'nil handle (scalar): contained segmentation fault in bnd_count (errors.Is ErrNativeFault: true; go stack: example.com/cgobinding.(\*Handle).Count.func1 < example.com/cgobinding.(\*Handle).Count < main.demo'
  'nil handle (void): contained segmentation fault in bnd_bump (errors.Is ErrNativeFault: true'
  'closed handle (struct): contained segmentation fault in bnd_stats (errors.Is ErrNativeFault: true'
  'NULL string (errno form): contained segmentation fault in bnd_parse (errors.Is ErrNativeFault: true'
  'recover: \*cgoguard.NativeFault, errors.Is ErrNativeFault: true'
  'callback panic: recovered boom from the callback'
  'after the callback panic: contained segmentation fault in bnd_count'
  'nested under a callback: contained segmentation fault in bnd_count .*example.com/cgobinding.goVisit'
  'nested: the outer call visited 5 of 5 items'
  'go nil dereference: runtime.Error true, NativeFault false'
  'httpguard: good=200 nil=500 good=200; incident names bnd_count: true, the handler: true'
  'safego group: contained segmentation fault in bnd_count'
  'OnFault subscribers saw 9 faults'
)
storm_line='storm: 3200 of 3200 faults contained, 3200 named bnd_count, 3200 reported to OnFault'

run_toolchain() { # run_toolchain <label> <wrapper...>: steps 1-3 with that go
  local label=$1 out status
  shift
  echo
  echo "== $label: $("$@" go version)"
  echo "-- 1. built with -toolexec=cgoguard"
  rm -f "$tmp/log"
  timed "go build -toolexec" env CGOGUARD_LOG="$tmp/log" "$@" go build -toolexec="$tool" -o cgoapp .
  cat "$tmp/log"
  grep -q '^cgo example.com/cgobinding: guarded 10 call wrappers$' "$tmp/log" || fail "the binding was not guarded"
  expect "$(./cgoapp demo)" "${demo_lines[@]}"
  if ./cgoapp demo | grep 'NOT CONTAINED'; then fail "a fault was not contained"; fi
  expect "$(./cgoapp storm)" "$storm_line"
  status=0
  out=$(./cgoapp crash 2>&1) || status=$?
  [[ $status == 2 ]] || fail "an unrecovered fault exited $status, want 2 (a Go panic)"
  expect "$out" '^panic: cgoguard: native fault: SIGSEGV: invalid permissions for mapped object at 0x[0-9a-f]* in bnd_count' \
    '^example.com/cgobinding._Cfunc_bnd_count' '^main.main()'

  echo "-- 2. the control: built without the flag"
  "$@" go build -o cgoapp-control .
  status=0
  out=$(./cgoapp-control demo 2>&1) || status=$?
  expect "$out" 'signal arrived during cgo execution' '^clean: count=5'
  [[ $status == 2 ]] || fail "the control exited $status, want 2"
  if grep -q 'contained' <<<"$out"; then fail "the control contained a fault"; fi
  echo "control: exit status $status"

  echo "-- 3. build cache: the flagged build again, then through GOFLAGS"
  rm -f "$tmp/log"
  env CGOGUARD_LOG="$tmp/log" "$@" go build -toolexec="$tool" -o cgoapp .
  [[ $(cgo_steps "$tmp/log") == 0 ]] || fail "the second flagged build ran cgo: $(cat "$tmp/log")"
  env CGOGUARD_LOG="$tmp/log" GOFLAGS="${GOFLAGS:-} -toolexec=$tool" "$@" go build -o cgoapp-goflags .
  [[ $(cgo_steps "$tmp/log") == 0 ]] || fail "the GOFLAGS build ran cgo: $(cat "$tmp/log")"
  expect "$(./cgoapp storm)" "$storm_line"
  expect "$(./cgoapp-goflags storm)" "$storm_line"
  echo "cache: no cgo step in either rebuild; both binaries guarded"
}

run_toolchain "newest Go"
run_toolchain "oldest Go" env GOTOOLCHAIN="$(ci_oldest)"

echo
echo "== newest Go: go vet, go test, link rule, -race, static, selection"
go vet -toolexec="$tool" ./...
go test -count=1 -toolexec="$tool" .

status=0
out=$(go build -toolexec="$tool" -o nolink.bin ./nolink 2>&1) || status=$?
[[ $status != 0 ]] || fail "a program without gobindings linked a guarded package"
expect "$(head -6 <<<"$out")" 'cgoguard: add this import to package main' \
  'import _ "github.com/cgoguard/cgoguard/gobindings"'

timed "go build -race -toolexec" go build -race -toolexec="$tool" -o cgoapp-race .
expect "$(./cgoapp-race demo 2>&1)" "${demo_lines[@]}"

# The linker warns that getaddrinfo & co. of a static glibc load NSS modules.
timed "static go build -toolexec" go build -toolexec="$tool" -ldflags '-linkmode external -extldflags -static' \
  -o cgoapp-static . 2>"$tmp/static.log" || { cat "$tmp/static.log"; fail "static build"; }
if readelf -lW cgoapp-static | grep -q INTERP; then fail "cgoapp-static is not static"; fi
expect "$(./cgoapp-static demo 2>&1)" "${demo_lines[@]}"

echo "-- CGOGUARD_PACKAGES"
rm -f "$tmp/log"
CGOGUARD_LOG="$tmp/log" CGOGUARD_PACKAGES=example.com/other/... go build -toolexec="$tool" -o cgoapp-other .
expect "$(cat "$tmp/log")" '^cgo example.com/cgobinding: not guarded (not selected by CGOGUARD_PACKAGES)$'
status=0
out=$(./cgoapp-other crash 2>&1) || status=$?
[[ $status == 2 ]] && grep -q 'signal arrived during cgo execution' <<<"$out" || fail "an unselected package was guarded"
for pattern in example.com/cgobinding/... ../binding/...; do
  rm -f "$tmp/log"
  CGOGUARD_LOG="$tmp/log" CGOGUARD_PACKAGES="$pattern" go build -toolexec="$tool" -o cgoapp-sel .
  expect "$(cat "$tmp/log")" '^cgo example.com/cgobinding: guarded 10 call wrappers$'
  expect "$(./cgoapp-sel storm)" "$storm_line"
done

[[ $(cd "$tmp/binding" && find . -type f | sort | xargs sha256sum) == "$binding_sum" ]] || fail "the binding's files changed"

printf '\nbuild flag: ok\n'
