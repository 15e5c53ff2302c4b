#!/usr/bin/env bash
# linux/arm64 under emulation: cross-compiles the library, the crash fixtures
# and the GoogleTest suite of the core with Debian's aarch64 toolchain
# (cmake/aarch64-linux-gnu.cmake) and runs the suite under qemu-user; then
# cross-compiles the Go tests of the core package (gobindings) and runs them
# under qemu-user too. ci/test.sh calls it; it installs what it needs first
# (ci/install-deps.sh --arm64).
#
# What runs: every test of the C++ core (the fault kinds arm64 has: integer
# division by zero does not trap there, so its cases skip with that reason),
# and every test of the gobindings package, among them chaining to the Go
# runtime, the stale guard after a callback panic, stack overflow and C++
# exceptions. Not run here: the benchmarks (timing under an emulator says
# nothing about arm64), the sanitizer build, the Go sub-packages and adapter
# modules (they are pure Go above gobindings: the x86-64 run covers them).
#
# Time, measured on 2 cores that other builds kept busy (load average 8-11):
# 391 s from a fresh build directory and an empty Go build cache (the cross
# build of the C++ suite about 3.5 min, the Go cross build about 1.5 min,
# the runs under qemu the rest), 133 s warm (ctest 52 s, the Go tests 80 s).
#
#   ci/test-arm64.sh                 build in build-arm64
#   CGG_ARM64_BUILD=dir ci/test-arm64.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build=${CGG_ARM64_BUILD:-build-arm64}

ci/install-deps.sh --arm64
# Death tests and Go child processes re-execute the test binary: the kernel
# must hand arm64 executables to qemu (install-deps registered it).
if [[ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]]; then
  echo "ci/test-arm64.sh: qemu-aarch64 is not registered with binfmt_misc" >&2
  exit 1
fi

cmake -S . -B "$build" -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCGG_BUILD_TESTS=ON -DCGG_BUILD_BENCHMARKS=OFF
cmake --build "$build"
ctest --test-dir "$build" --output-on-failure -j2

# `go test -c` keeps the symbol table (a plain `go test` binary has none and
# would rebuild itself to name native frames: gobindings/internal/testbinary),
# and the test binary runs in its package's directory, as `go test` runs it.
bin="$PWD/$build/gobindings-arm64.test"
CGO_ENABLED=1 GOARCH=arm64 CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ \
  go test -c -o "$bin" ./gobindings
(cd gobindings && "$bin" -test.count=1)
