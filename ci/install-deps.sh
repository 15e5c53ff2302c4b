#!/usr/bin/env bash
# Installs the system packages cgoguard needs (Debian/Ubuntu), skipping those
# already present. Idempotent and quick when nothing is missing.
#   ci/install-deps.sh            everything: tests, benchmarks, format check
#   ci/install-deps.sh --library  the library and Go programs only (make install,
#                                 make demo): toolchain, CMake, Boost headers
set -euo pipefail

# g++ brings GCC's static libbacktrace.a and <backtrace.h> (libgcc-dev), which
# the shim links; libboost-stacktrace-dev brings the Boost.Stacktrace headers.
packages=(cmake ninja-build g++ pkg-config make libboost-stacktrace-dev)
if [[ ${1:-} != --library ]]; then
  packages+=(libgtest-dev libbenchmark-dev libsigsegv-dev clang-format wrk)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! command -v go >/dev/null 2>&1; then
  # Debian's Go is older than go.mod asks for; the go command then fetches the
  # right toolchain from the module proxy by itself (GOTOOLCHAIN=auto).
  missing+=(golang-go)
fi
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The oldest Go toolchain the module declares (ci/test.sh tests with it too):
# the go command downloads it from the module proxy into the module cache
# once; later runs find it there.
"$(dirname "$0")/go-oldest.sh" go version >/dev/null
