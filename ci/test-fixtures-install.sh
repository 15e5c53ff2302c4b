#!/usr/bin/env bash
# The crash fixtures for C and C++ users, as installed: `make install` into a
# temporary prefix, then a C project outside the tree
# (ci/testdata/fixtures-cmake) runs every fixture under cgg_call, built once
# through find_package(cgoguard COMPONENTS fixtures) and once through
# pkg-config cgoguard-fixtures. Also checks that the fixtures are a component
# of their own. make install's build directory is LIB_BUILD (default
# build-lib/, kept between runs, so a second run only installs).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${LIB_BUILD:-$root/build-lib}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

make -s install PREFIX="$prefix" LIB_BUILD="$build" >/dev/null

linked_to_prefix() { # every cgoguard library the binary loads comes from the prefix
  local libs
  libs=$(ldd "$1" | awk '/libcgoguard|libcgg_fixtures/ {print $3}')
  [[ $(wc -l <<<"$libs") -eq 2 ]] || { ldd "$1"; return 1; }
  while read -r lib; do
    [[ $(readlink -f "$lib") == "$(readlink -f "$prefix")"/* ]] || { ldd "$1"; return 1; }
  done <<<"$libs"
}

echo "== find_package(cgoguard COMPONENTS fixtures)"
cmake -S ci/testdata/fixtures-cmake -B "$tmp/cmake-build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$tmp/cmake-build" >/dev/null
linked_to_prefix "$tmp/cmake-build/run_fixtures"
"$tmp/cmake-build/run_fixtures" 2>"$tmp/stderr"

echo "== pkg-config cgoguard-fixtures"
# shellcheck disable=SC2046 # pkg-config prints separate flags
cc -std=c11 -o "$tmp/run_fixtures_pc" ci/testdata/fixtures-cmake/run_fixtures.c \
  $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs cgoguard-fixtures)
linked_to_prefix "$tmp/run_fixtures_pc"
"$tmp/run_fixtures_pc" 2>"$tmp/stderr" | tail -1

echo "== the fixtures component alone"
cmake --install "$build" --prefix "$tmp/component" --component fixtures >/dev/null
(cd "$tmp/component" && find . -type f -o -type l | sort) >"$tmp/files"
cat "$tmp/files"
grep -q '^./include/cgoguard/cgg_fixtures.h$' "$tmp/files"
grep -q '^./lib/pkgconfig/cgoguard-fixtures.pc$' "$tmp/files"
grep -q '^./lib/cmake/cgoguard/cgoguardFixturesTargets.cmake$' "$tmp/files"
grep -q 'libcgg_fixtures.so' "$tmp/files"
if grep -q 'libcgoguard\|cgoguard.h$' "$tmp/files"; then
  echo "the fixtures component installed the core library"
  exit 1
fi
echo "installed fixtures: ok"
