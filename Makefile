# Entry points. `make demo` and `make test` work on a fresh Debian machine:
# both install missing system packages first (ci/install-deps.sh).

PREFIX    ?= /usr/local
BUILD     ?= build
# `make install` builds the library alone, in a build directory of its own.
LIB_BUILD ?= build-lib

.PHONY: all deps deps-library build demo test bench install format clean

all: build

# Everything the tests, benchmarks and format check need.
deps:
	@ci/install-deps.sh

# What the library and Go programs need: a C/C++ toolchain, CMake, Boost headers.
deps-library:
	@ci/install-deps.sh --library

# The C/C++ build with tests, benchmarks and fixtures (what `make test` and
# `make bench` use).
build: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCGG_BUILD_TESTS=ON -DCGG_BUILD_BENCHMARKS=ON
	cmake --build $(BUILD)

# The main demo: a guarded native fault, contained. Go compiles everything it
# needs (the shim and the fixtures) itself.
demo: deps-library
	ci/demo.sh

# Every test: C++ core (plain and under ASan/UBSan), Go (plain and -race),
# and the library used from an outside module (ci/test-extmod.sh).
test: deps
	ci/test.sh

bench: build
	ci/bench.sh
	ci/storm-bench.sh
	ci/flagbench.sh
	ci/buildtime.sh

# The library: libcgoguard.so, libcgoguard.a, headers, CMake package and
# pkg-config file; and, as a component of their own (`fixtures`), the crash
# fixtures for C and C++ users' tests: libcgg_fixtures.so, its header,
# cgoguard::fixtures and cgoguard-fixtures.pc. No tests or benchmarks are built.
install: deps-library
	cmake -S . -B $(LIB_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCGG_BUILD_TESTS=OFF -DCGG_BUILD_BENCHMARKS=OFF -DCGG_BUILD_FIXTURES=ON
	cmake --build $(LIB_BUILD)
	cmake --install $(LIB_BUILD) --prefix $(PREFIX)
	@if [ "$(PREFIX)" = /usr/local ] || [ "$(PREFIX)" = /usr ]; then ldconfig; fi

format:
	clang-format -i include/cgoguard/*.h cshim/*.cc cshim/*.h tests/core/*.cc tests/core/*.c tests/bench/*.cc tests/fixtures/*.c tests/fixtures/*.cc tests/fixtures/*.h examples/minimal/*.c
	gofmt -w gobindings examples cshim tests ci

clean:
	rm -rf $(BUILD) $(LIB_BUILD) build-asan
