#!/usr/bin/env bash
# A native fault deep inside SQLite, through mattn/go-sqlite3, under the
# build flag (ci/testdata/sqlitefault: a loadable extension whose function
# faults inside sqlite3_step, called from httpguard-wrapped handlers). Built
# without the flag the program dies (the control); built with it, each fault
# is a 500 with an incident naming the extension's function under SQLite's
# frames, other connections keep serving, and the recovery of recovery.go
# (poison the connection, never touch it again, quarantine the statement,
# taint policy) keeps the pool serving. Also shows, without asserting more
# than the fault, the hazards of continuing as is: the connection that
# faulted keeps its SQLite mutex; database/sql keeps it "in use" for good or,
# when rows were open, puts it back into the pool, where the next query
# blocks in SQLite for good. go-sqlite3 is compiled once per configuration
# (the build cache keeps it: it is read from the module cache).
set -euo pipefail
cd "$(dirname "$0")/.."
. ci/lib.sh
root=$PWD
scratch_dir

# expect_file FILE PATTERN...: every pattern must match a line of FILE,
# which is printed only when one does not (ci/lib.sh's expect prints it
# always).
expect_file() {
  local file=$1
  shift
  for pattern in "$@"; do
    grep -q -- "$pattern" "$file" || {
      cat "$file"
      fail "output lacks: $pattern"
    }
  done
}

tool=$(cgoguard_tool "$tmp")
app=$tmp/app
mkdir -p "$app"
cp -r ci/testdata/sqlitefault/. "$app/"
sed "s|@SRC@|$root|" ci/testdata/sqlitefault/go.mod.in >"$app/go.mod"
cd "$app"
go mod tidy
sqlite=$(go list -m -f '{{.Dir}}' github.com/mattn/go-sqlite3)
cc -shared -fPIC -O2 -g -I"$sqlite" -o crashext.so ext/crashext.c
start=$SECONDS
go build -o plain.bin .
go build -toolexec="$tool" -o guarded.bin .
printf 'built both (%d s)\n' $((SECONDS - start))

run() { # run <binary> <mode>: output in <binary>.<mode>.out, exit status printed
  local rc=0
  timeout 120 "./$1" "$app/crashext.so" "$2" >"$1.$2.out" 2>&1 || rc=$?
  echo "$rc"
}

echo "-- control: built without the flag, the first fault ends the process"
rc=$(run plain.bin as-is)
[[ $rc != 0 ]] || fail "the unguarded program survived the fault"
expect_file plain.bin.as-is.out "signal arrived during cgo execution" "crash_at\|_Cfunc__sqlite3"
grep -m1 'signal arrived during cgo execution' plain.bin.as-is.out

echo "-- with the flag, go-sqlite3 as it is"
rc=$(run guarded.bin as-is)
grep -v 'go stack:' guarded.bin.as-is.out
[[ $rc == 0 ]] || fail "exit status $rc"
frames='native frames: crash_at <- sqlite3VdbeExec <- sqlite3_step <- _cgo_'
expect_file guarded.bin.as-is.out \
  "fault in the query's first step: status 500, incident [0-9a-f]*-[0-9a-f]*, segmentation fault" "$frames" \
  'go stack: github.com/mattn/go-sqlite3.*main\.server' \
  "other connections after the fault: 20/20 answered 200" \
  "SQLite mutex of the faulting connection, from another thread: held" \
  "after the fault (pool of 2): database/sql open 2, in use 1," \
  "a write on another connection: 200 ok" \
  "a second fault: status 500, incident" \
  "after it: database/sql open 2, in use 2, idle 0" \
  "a read after two faults with a pool of 2: 0 .*deadline exceeded"

echo "-- with the flag, go-sqlite3 as it is, a fault in rows.Next (the rows open)"
rc=$(run guarded.bin as-is-next)
grep -v 'go stack:' guarded.bin.as-is-next.out
expect_file guarded.bin.as-is-next.out "fault in rows.Next, the rows open (pool of 1): status 500, incident" "$frames"

echo "-- with the flag, the recovery of recovery.go"
rc=$(run guarded.bin recovered)
grep -v 'go stack:' guarded.bin.recovered.out
[[ $rc == 0 ]] || fail "exit status $rc"
expect_file guarded.bin.recovered.out \
  "fault in the query's first step: status 500, incident" "$frames" \
  "fault in rows.Next, the rows open: status 500, incident" \
  "after three faults (pool of 2): database/sql open 0, in use 0, idle 0" \
  "poisoned connections closed without calling SQLite: 3" \
  "reads after the faults: 20/20 answered 200" \
  "a write after the read faults: 200 ok" \
  "fault in an UPDATE (a write transaction): status 500, incident" \
  "a write after the write fault: 500 database is locked" \
  "reads after the write fault: 5/5 answered 200" \
  "the faulting statement after 4 faults: 503 .*(contained faults 4 -> 4)" \
  "taint policy: drain true"

echo "-- with the flag, ExecContext with a cancellable context: go-sqlite3 steps it on a goroutine of its own"
rc=$(run guarded.bin exec-on-its-goroutine)
head -3 guarded.bin.exec-on-its-goroutine.out
[[ $rc == 2 ]] || fail "exit status $rc, want 2 (an unrecovered panic)"
expect_file guarded.bin.exec-on-its-goroutine.out "^panic: cgoguard: native fault: SIGSEGV" \
  'created by github.com/mattn/go-sqlite3.(\*SQLiteStmt).exec'
if grep -q "recovered on the calling goroutine" guarded.bin.exec-on-its-goroutine.out; then
  fail "the fault reached the calling goroutine: update the hazard notes"
fi

printf '\nsqlite fault: ok\n'
