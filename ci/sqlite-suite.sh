#!/usr/bin/env bash
# mattn/go-sqlite3's own test suite built twice, with and without the build
# flag (go test -toolexec=cgoguard), must give the same pass/fail/skip list.
#
# The module is copied out of the module cache (which is read-only) into a
# directory that stays put between runs, so that the amalgamation, about a
# minute of C per configuration, is compiled once and found in the build
# cache afterwards. The copy gets one external test file with the blank
# import of cgoguard's runtime (a guarded binary needs it) and a go.mod
# replace to this tree; both binaries carry it: the flag is the only
# difference. Runs the tests named by SQLITE_SUITE_RUN (a -test.run pattern;
# all by default) and prints the counts and any difference; exits 1 when the
# lists differ or a binary crashes.
#
#   SQLITE_SUITE_RUN='^Test(Open|Insert)' ci/sqlite-suite.sh
#   SQLITE_SUITE_TAGS='sqlite_vtable sqlite_preupdate_hook' ci/sqlite-suite.sh
#   CGOGUARD_TOOL=/path/to/cgoguard ci/sqlite-suite.sh   (else built from this tree)
set -euo pipefail
cd "$(dirname "$0")/.."
. ci/lib.sh
root=$PWD
version=v1.14.53
run=${SQLITE_SUITE_RUN:-.}
tags=${SQLITE_SUITE_TAGS:-}
cache=${CGOGUARD_CI_CACHE:-$HOME/.cache/cgoguard-ci}
scratch_dir

tool=$(cgoguard_tool "$tmp")

src=$(go mod download -json "github.com/mattn/go-sqlite3@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
mod=$cache/go-sqlite3@$version
if [[ ! -f $mod/.copied ]]; then
  rm -rf "$mod"
  mkdir -p "$mod"
  cp -r "$src/." "$mod/"
  chmod -R u+w "$mod"
  touch "$mod/.copied"
fi
cat >"$mod/cgoguard_link_test.go" <<GO
package sqlite3_test

// A binary built with the flag needs cgoguard's runtime linked in.
import _ "github.com/cgoguard/cgoguard/gobindings"
GO
# go.mod as shipped plus the replace to this tree (rewritten every run: the
# tree may have moved).
cp "$src/go.mod" "$mod/go.mod"
chmod u+w "$mod/go.mod"
cat >>"$mod/go.mod" <<MOD

require github.com/cgoguard/cgoguard v0.0.0-00010101000000-000000000000

replace github.com/cgoguard/cgoguard => $root
MOD

cd "$mod"
# cgoguard's go line (1.24) raises the copy's (1.21); nothing else changes.
go mod tidy
build() { # build <name> <go test flags...>
  local start=$SECONDS name=$1
  shift
  go test -c -tags "$tags" -o "$tmp/$name.test" "$@" .
  printf 'built %s in %d s\n' "$name" $((SECONDS - start))
}
build plain
build guarded -toolexec="$tool"
# The flag's wrappers (cmd/cgoguard names them _cgo_cgoguard_*): in the
# guarded binary, for go-sqlite3's calls, and only there.
guarded=$(go tool nm "$tmp/guarded.test" | grep -c '_cgo_cgoguard_.*_Cfunc_' || true)
plain=$(go tool nm "$tmp/plain.test" | grep -c '_cgo_cgoguard_.*_Cfunc_' || true)
printf 'guarded cgo wrappers: %d in the guarded binary, %d in the plain one\n' "$guarded" "$plain"
if ((guarded == 0 || plain != 0)); then
  echo "FAILED: the flag did not guard go-sqlite3 (or guarded the plain build)"
  exit 1
fi

# results <name>: runs one binary, writes "<status> <test>" lines, sorted.
results() {
  local name=$1 rc=0
  (cd "$mod" && timeout 900 "$tmp/$name.test" -test.v -test.run "$run" -test.timeout 850s) >"$tmp/$name.out" 2>&1 || rc=$?
  sed -n 's/^[[:space:]]*--- \(PASS\|FAIL\|SKIP\): \([^ ]*\) .*/\1 \2/p' "$tmp/$name.out" | sort >"$tmp/$name.list"
  printf '%s: exit %d, %d passed, %d failed, %d skipped\n' "$name" "$rc" \
    "$(grep -c '^PASS' "$tmp/$name.list" || true)" "$(grep -c '^FAIL' "$tmp/$name.list" || true)" \
    "$(grep -c '^SKIP' "$tmp/$name.list" || true)"
  if grep -q -e '^panic:' -e '^fatal error:' -e '^SIGSEGV' -e 'signal arrived during cgo execution' "$tmp/$name.out"; then
    echo "$name crashed:"
    grep -m5 -A20 -e '^panic:' -e '^fatal error:' "$tmp/$name.out" || true
    return 1
  fi
}
status=0
results plain || status=1
results guarded || status=1
grep '^FAIL' "$tmp/plain.list" | sed 's/^/  plain: /' || true
if ! diff -u "$tmp/plain.list" "$tmp/guarded.list" >"$tmp/diff"; then
  echo "the pass/fail lists differ (- plain, + guarded):"
  grep '^[-+][A-Z]' "$tmp/diff"
  status=1
else
  echo "same pass/fail/skip list with and without the flag ($(wc -l <"$tmp/plain.list") results)"
fi
[[ -n ${SQLITE_SUITE_KEEP:-} ]] && cp "$tmp"/*.list "$tmp"/*.out "$SQLITE_SUITE_KEEP/"
exit $status
