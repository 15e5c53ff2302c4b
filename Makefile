# Entry points. `make demo` and `make test` work on a fresh Debian machine:
# both install missing system packages first (ci/install-deps.sh).

PREFIX ?= /usr/local
BUILD  ?= build

.PHONY: all deps build demo test bench install format clean

all: build

deps:
	@ci/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD)

# The main demo: a guarded native fault, contained.
demo: build
	ci/demo.sh

# Every test: C++ core (plain and under ASan/UBSan), Go (plain and -race),
# and the library used from an outside module after `make install`.
test: deps
	ci/test.sh

bench: build
	ci/bench.sh
	ci/storm-bench.sh

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)
	@if [ "$(PREFIX)" = /usr/local ] || [ "$(PREFIX)" = /usr ]; then ldconfig; fi

format:
	clang-format -i include/cgoguard/*.h cshim/*.cc cshim/*.h tests/core/*.cc tests/core/*.c tests/bench/*.cc tests/fixtures/*.c tests/fixtures/*.cc tests/fixtures/*.h examples/minimal/*.c
	gofmt -w gobindings examples

clean:
	rm -rf $(BUILD) build-asan
