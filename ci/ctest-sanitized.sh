#!/usr/bin/env bash
# Runs the core tests built with -DCGG_SANITIZE=ON (ASan + UBSan). The
# sanitizer options are set per test by tests/CMakeLists.txt; the label
# asan_safe leaves out the cases a sanitizer cannot coexist with (named there).
set -euo pipefail
ctest --test-dir "${1:-build-asan}" --output-on-failure -j2 -L asan_safe
