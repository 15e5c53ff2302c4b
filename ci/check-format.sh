#!/usr/bin/env bash
# Fails when a C/C++ file is not clang-format clean, a Go file not gofmt
# clean, or go vet complains.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t cfiles < <(git ls-files '*.c' '*.cc' '*.h' '*.hpp' | grep -v '^ci/testdata/extmod/')
clang-format --dry-run --Werror "${cfiles[@]}"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [[ -n $unformatted ]]; then
  echo "gofmt needed: $unformatted"
  exit 1
fi
go vet ./...
