#!/usr/bin/env bash
# Uses cgoguard from a module outside this one, after installing it, the way
# the README tells users to:
#   1. `make install PREFIX=<dir>` and the pkg-config route
#      (-tags cgoguard_pkgconfig, PKG_CONFIG_PATH);
#   2. as root only: the default route after a system-wide `make install`
#      (/usr/local, found by the compiler's and loader's default paths).
# The module source is a copy of the tracked files (no build/ directory), as
# a module cache holds it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/src" "$tmp/app"
git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$tmp/src"
cp ci/testdata/extmod/main.go "$tmp/app/"
sed "s|@SRC@|$tmp/src|" ci/testdata/extmod/go.mod.in >"$tmp/app/go.mod"

linked_dir() { # directory of the libcgoguard a binary loads, symlinks and .. resolved
  dirname "$(readlink -f "$(ldd "$1" | awk '/libcgoguard/ {print $3}')")"
}

expect() { # output of the program must name the user's own C functions
  local out=$1
  echo "$out"
  grep -q "Call: contained segmentation fault at 0x10 in write_null" <<<"$out"
  grep -q "CGG_GUARD: contained segmentation fault at 0x0 in parse" <<<"$out"
  grep -q "afterwards: parse = 11, <nil>" <<<"$out"
}

echo "== pkg-config route, PREFIX=$tmp/prefix"
make -s install PREFIX="$tmp/prefix" BUILD="$root/build" >/dev/null
(
  cd "$tmp/app"
  PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig" go build -tags cgoguard_pkgconfig -o app .
  [[ $(linked_dir ./app) == "$(readlink -f "$tmp/prefix/lib")" ]] || { echo "not linked against the installed library"; ldd ./app; exit 1; }
  expect "$(./app)"
)

if [[ $(id -u) -eq 0 ]]; then
  echo "== default route, system-wide make install (/usr/local)"
  make -s install BUILD="$root/build" >/dev/null
  (
    cd "$tmp/app"
    go build -o app-default .
    [[ $(linked_dir ./app-default) == /usr/local/lib ]] || { echo "not linked against /usr/local"; ldd ./app-default; exit 1; }
    expect "$(./app-default)"
  )
else
  echo "== default route skipped: needs root for the system-wide install"
fi
echo "external module: ok"
