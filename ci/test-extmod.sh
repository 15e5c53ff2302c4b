#!/usr/bin/env bash
# Uses cgoguard from a Go module outside this one, the way the README tells a
# new user to. The cgoguard module is a read-only copy of this tree made with
# `git archive`, as `go mod download` lays a module out: no build/ directory,
# nothing installed. Then:
#   1. go build: ldd shows neither libcgoguard nor a Boost library, and a
#      native fault is contained with its C function named;
#   2. a fully static build (-linkmode external -extldflags -static), the same;
#   3. CGO_ENABLED=0: it builds, Call says cgo is required, Go panics are
#      still contained;
#   4. CGG_GUARD in the user's own cgo preamble (CGO_CFLAGS points at the
#      module's include directory, as the README says); built twice, with an
#      edit of a Go comment between: cgo renames its wrapper, the fault's
#      fingerprint stays;
#   5. -tags cgoguard_shared against the library installed with
#      `make install PREFIX=<temporary directory>` (library only, timed); and
#      libcgoguard.a from C, through `pkg-config --static` and CMake;
#   6. two instances of the shim in one process: the compiled-in one and the
#      installed libcgoguard.so that a C library of the program links.
# Prints the time of each build and the ldd output of each binary.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

step() { printf '\n== %s\n' "$*"; }
quiet() { "$@" >/dev/null; }
. ci/lib.sh # fail, expect, timed
scratch_dir

src=$tmp/cgoguard
mkdir -p "$src" "$tmp/app"
# HEAD plus uncommitted changes to tracked files (none in CI).
rev=$(git stash create 2>/dev/null || true)
git archive --format=tar "${rev:-HEAD}" | tar -x -C "$src"
chmod -R a-w "$src"
cp -r "$src/ci/testdata/extmod/." "$tmp/app/"
chmod -R u+w "$tmp/app"
sed "s|@SRC@|$src|" "$src/ci/testdata/extmod/go.mod.in" >"$tmp/app/go.mod"
cd "$tmp/app"

contained='Call: contained segmentation fault at 0x10 in write_null'
go_panic='Go panic: contained, status 500'

step "1. go build (the shim compiled in by cgo)"
timed "go build" go build -o app .
ls -l app
ldd ./app
if ldd ./app | grep -E 'cgoguard|boost'; then fail "the binary loads a cgoguard or Boost library"; fi
expect "$(./app)" "$contained" "$go_panic"

step "2. static binary"
# The linker warns that getaddrinfo & co. of a static glibc load NSS modules at
# run time; the binary does not use them for cgoguard.
timed "static go build" go build -ldflags '-linkmode external -extldflags -static' -o app-static . 2>"$tmp/static.log" ||
  { cat "$tmp/static.log"; fail "static build"; }
grep -v -e "statically linked applications requires at runtime" -e "in function .*getaddrinfo" "$tmp/static.log" || true
ls -l app-static
ldd ./app-static || true
if readelf -lW app-static | grep -q INTERP || readelf -dW app-static | grep -q NEEDED; then
  fail "app-static is not fully static"
fi
expect "$(./app-static)" "$contained" "$go_panic"

step "3. CGO_ENABLED=0"
timed "go build" env CGO_ENABLED=0 go build -o app-nocgo .
expect "$(./app-nocgo)" "Call without cgo: cgoguard: native calls need cgo" "$go_panic"

step "4. CGG_GUARD in the user's own preamble"
include="$(go list -m -f '{{.Dir}}' github.com/cgoguard/cgoguard)/include"
timed "go build" env CGO_CFLAGS="-g -O2 -I$include" go build -o guardmacro.bin ./guardmacro
out1=$(./guardmacro.bin)
expect "$out1" "CGG_GUARD: contained segmentation fault at 0x0 in parse" "afterwards: parse = 11, <nil>" \
  "cgo wrapper on the stack: _cgo_[0-9a-f]*_Cfunc_guarded_parse"
echo "-- the same program rebuilt after an edit of a Go comment only"
chmod u+w guardmacro/main.go
echo "// An edit of Go code only." >>guardmacro/main.go
timed "go build" env CGO_CFLAGS="-g -O2 -I$include" go build -o guardmacro.bin ./guardmacro
out2=$(./guardmacro.bin)
echo "$out2"
wrapper() { grep -o '_cgo_[0-9a-f]*_Cfunc_guarded_parse' <<<"$1"; }
fingerprint() { grep -o 'fingerprint [0-9a-f]*' <<<"$1"; }
[[ $(wrapper "$out1") != "$(wrapper "$out2")" ]] || fail "the edit did not rename cgo's wrapper: the check below proves nothing"
[[ $(fingerprint "$out1") == "$(fingerprint "$out2")" ]] || fail "the fingerprint changed with an edit of Go code only"

step "5. -tags cgoguard_shared against make install PREFIX=$tmp/prefix"
timed "make install (library only)" quiet make -s -C "$src" install PREFIX="$tmp/prefix" LIB_BUILD="$tmp/build-lib"
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
timed "go build -tags cgoguard_shared" go build -tags cgoguard_shared -o app-shared .
ldd ./app-shared
linked=$(readlink -f "$(ldd ./app-shared | awk '/libcgoguard/ {print $3}')")
[[ $(dirname "$linked") == "$(readlink -f "$tmp/prefix/lib")" ]] || fail "not linked against the installed library"
if ldd ./app-shared | grep boost; then fail "the installed library loads Boost"; fi
expect "$(./app-shared)" "$contained" "$go_panic"

echo "-- libcgoguard.a from C: pkg-config --static (fully static binary), CMake's cgoguard::cgoguard_static"
# shellcheck disable=SC2046 # pkg-config output is a list of flags
cc -static -o static-c "$src/ci/testdata/static-c/main.c" $(pkg-config --cflags --static --libs cgoguard) 2>"$tmp/static-c.log" ||
  { cat "$tmp/static-c.log"; fail "static link through pkg-config --static"; }
if readelf -lW static-c | grep -q INTERP; then fail "static-c is not fully static"; fi
expect "$(./static-c)" "static library: contained signal 11 at 0x10 in write_null"
cmake -S "$src/ci/testdata/static-c" -B "$tmp/static-cmake" -G Ninja -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/static-cmake" >/dev/null
if ldd "$tmp/static-cmake/static_user" | grep cgoguard; then fail "cgoguard::cgoguard_static linked the shared library"; fi
expect "$("$tmp/static-cmake/static_user")" "static library: contained signal 11 at 0x10 in write_null"

step "6. two instances: compiled-in shim + a C library linked to libcgoguard.so"
# shellcheck disable=SC2046 # pkg-config output is a list of flags
gcc -shared -fPIC -O2 -o nativelib/libnativelib.so nativelib/nativelib.c $(pkg-config --cflags --libs cgoguard)
timed "go build" go build -o twoinstances.bin ./twoinstances
expect "$(./twoinstances.bin)" "two instances: compiled-in contained 2, library contained 1, Go panic recovered"

printf '\nexternal module: ok\n'
