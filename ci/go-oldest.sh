#!/usr/bin/env bash
# Runs a go command with the oldest Go toolchain the root module declares
# (its `go` line), fetched through the module proxy by the go command itself
# (GOTOOLCHAIN). `ci/go-oldest.sh --version` prints that toolchain's name.
#
# The patch release is pinned here: the go line names only the language
# version (go 1.24), and the newest patch of that line is what users build
# with. Bump it together with the go line.
set -euo pipefail
cd "$(dirname "$0")/.."
toolchain=go1.24.13

declared=$(awk '$1 == "go" { print $2; exit }' go.mod)
case "$toolchain" in
  go"$declared" | go"$declared".*) ;;
  *)
    echo "ci/go-oldest.sh: pinned $toolchain does not match go.mod's 'go $declared'" >&2
    exit 1
    ;;
esac

if [[ ${1:-} == --version ]]; then
  echo "$toolchain"
  exit 0
fi
export GOTOOLCHAIN=$toolchain
exec "$@"
