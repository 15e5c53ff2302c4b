#!/usr/bin/env bash
# `make test`: every test of the project. Run from a fresh clone after
# ci/install-deps.sh (make test does that first).
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"

step() { printf '\n=== %s\n' "$*"; }
GO_OLDEST=$(ci/go-oldest.sh --version)

step "formatting and vet"
ci/check-format.sh

step "C++ core: build, GoogleTest suite"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCGG_BUILD_TESTS=ON -DCGG_BUILD_BENCHMARKS=ON
cmake --build build
ctest --test-dir build --output-on-failure -j2

step "C++ core under AddressSanitizer + UBSan"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCGG_SANITIZE=ON -DCGG_BUILD_TESTS=ON -DCGG_BUILD_BENCHMARKS=OFF
cmake --build build-asan
ci/ctest-sanitized.sh build-asan

step "Go: go test ./... ($(go version))"
go test -count=1 ./...

step "Go without cgo: CGO_ENABLED=0 go vet, and the packages that contain Go panics"
CGO_ENABLED=0 go vet ./...
CGO_ENABLED=0 go test -count=1 ./gobindings ./gobindings/httpguard ./gobindings/safego \
  ./gobindings/quarantine ./gobindings/incident ./gobindings/metrics ./gobindings/crashmonitor

step "Go: go test -race ./..."
go test -count=1 -race ./...

step "Go: go test ./... with the oldest Go that go.mod declares ($GO_OLDEST)"
# The newest toolchain ran above; the root module promises to build with the
# version on its go line, so its tests run there too (without -race: the
# race-enabled run above covers the same code).
ci/go-oldest.sh go test -count=1 ./...

step "linux/arm64 under qemu-user: the C++ core suite and the gobindings tests"
# Cross-compiled with Debian's aarch64 toolchain; what runs and what does not,
# and how long it takes: ci/test-arm64.sh.
ci/test-arm64.sh

step "Go sub-modules"
# The framework adapters are thin, sequential layers over httpguard, incident
# and safego, which the root module's -race run above covers. Their vet and
# tests take about 5 minutes together after the root module's build (measured
# on a loaded 2-core machine, gin 1.12 then; gin 1.10 pulls 43 fewer
# packages); building gin's, go-zero's, gRPC's and OpenTelemetry's trees a
# second time with -race would add as much again (ginguard alone: 6 min from
# a cold cache), so they run without -race.
no_race="gobindings/ginguard gobindings/echoguard gobindings/zeroguard gobindings/grpcguard gobindings/otelguard"
for mod in $(git ls-files '*/go.mod' | xargs -r -n1 dirname); do
  (cd "$mod" && go vet ./... && go test -count=1 ./...)
  case " $no_race " in
    *" $mod "*) ;;
    *) (cd "$mod" && go test -count=1 -race ./...) ;;
  esac
done

step "an outside module: go build, static, no cgo, cgoguard_shared after make install"
ci/test-extmod.sh

step "the build flag: go build -toolexec=cgoguard on a binding the user did not write"
ci/test-toolexec.sh

step "the build flag on mattn/go-sqlite3: its own suite with and without the flag, a fault inside sqlite3_step"
# go-sqlite3's amalgamation takes about a minute per configuration from a
# cold cache; the suite itself runs in seconds.
ci/sqlite-suite.sh
ci/test-sqlite-fault.sh

step "the build flag on the Go runtime's own cgo test program (runtime/testdata/testprogcgo)"
# Every subcommand (59 with Go 1.26) built pristine, with cgoguard's runtime
# linked, and with the flag: about 50 s on 2 cores, so all of them run.
ci/test-testprogcgo.sh

step "the crash fixtures from an outside C project, after make install"
ci/test-fixtures-install.sh

printf '\nall tests passed\n'
