#!/usr/bin/env bash
# `make demo`: a guarded native fault, contained, in C.
set -euo pipefail
cd "$(dirname "$0")/.."
./build/cgg_minimal
