#!/usr/bin/env bash
# Installs the system packages cgoguard needs (Debian/Ubuntu), skipping those
# already present. Idempotent and quick when nothing is missing.
#   ci/install-deps.sh            everything: tests, benchmarks, format check
#   ci/install-deps.sh --library  the library and Go programs only (make install,
#                                 make demo): toolchain, CMake, Boost headers
#   ci/install-deps.sh --arm64    the linux/arm64 run under emulation only
#                                 (ci/test-arm64.sh): Debian's aarch64 cross
#                                 toolchain, the arm64 libraries the tests link
#                                 (multiarch), qemu-user, and qemu registered
#                                 with binfmt_misc
set -euo pipefail

sudo_cmd=()
[[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)

if [[ ${1:-} == --arm64 ]]; then
  # The arm64 libraries come from the distribution's own arm64 archive
  # (Debian's mirrors carry every architecture), installed side by side with
  # the host's (multiarch). libc6:arm64 comes with them; its loader
  # (/lib/ld-linux-aarch64.so.1) is the one qemu runs the programs with.
  packages=(g++-aarch64-linux-gnu qemu-user-static libboost-stacktrace-dev:arm64
    libgtest-dev:arm64 libsigsegv-dev:arm64)
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then
      "${sudo_cmd[@]}" dpkg --add-architecture arm64
    fi
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
  # Programs that re-execute themselves (GoogleTest's death tests, the Go
  # tests' child processes) exec an arm64 binary: the kernel hands it to qemu
  # through binfmt_misc. qemu-user-static ships the registration
  # (/usr/lib/binfmt.d); without systemd-binfmt nobody loads it, so it is
  # written here (not persistent: redone after a reboot). Its F flag opens
  # the interpreter now, so it works from any mount namespace.
  binfmt=/proc/sys/fs/binfmt_misc
  if [[ ! -e $binfmt/qemu-aarch64 ]]; then
    if [[ ! -e $binfmt/register ]]; then
      "${sudo_cmd[@]}" mount -t binfmt_misc binfmt_misc "$binfmt"
    fi
    if [[ ! -e $binfmt/qemu-aarch64 ]]; then
      "${sudo_cmd[@]}" sh -c "cat /usr/lib/binfmt.d/qemu-aarch64.conf > $binfmt/register"
    fi
  fi
  exit 0
fi

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
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The oldest Go toolchain the module declares (ci/test.sh tests with it too):
# the go command downloads it from the module proxy into the module cache
# once; later runs find it there.
"$(dirname "$0")/go-oldest.sh" go version >/dev/null
