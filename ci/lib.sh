# Helpers the ci/ scripts share; source it: . "$(dirname "$0")/lib.sh"

ci_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# median_awk PROGRAM [FILE...]: runs the awk PROGRAM with median(list) from
# ci/median.awk defined.
median_awk() {
  local program=$1
  shift
  awk -f "$ci_dir/median.awk" -f <(printf '%s\n' "$program") "$@"
}

# median: the median of the numbers on standard input, one per line.
median() { median_awk '{ list = list " " $1 } END { print median(list) }'; }

# scratch_dir: sets tmp to a new directory, removed when the script exits
# (made writable first: the go command leaves a module cache read-only).
scratch_dir() {
  tmp=$(mktemp -d)
  trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
}

# fail MESSAGE: prints it and ends the script.
fail() {
  echo "FAILED: $*"
  exit 1
}

# expect OUTPUT PATTERN...: prints OUTPUT; every pattern must match a line.
expect() {
  local out=$1
  shift
  echo "$out"
  for pattern in "$@"; do
    grep -q -- "$pattern" <<<"$out" || fail "output lacks: $pattern"
  done
}

# timed LABEL COMMAND...: runs the command, prints its wall time.
timed() {
  local label=$1 start ms
  shift
  start=$(date +%s%N)
  "$@"
  ms=$((($(date +%s%N) - start) / 1000000))
  printf '%s: %d.%d s\n' "$label" $((ms / 1000)) $((ms % 1000 / 100))
}

# cgoguard_tool DIR: prints the path of the build flag's command:
# $CGOGUARD_TOOL if set, else cmd/cgoguard of this tree built into DIR.
cgoguard_tool() {
  if [[ -n ${CGOGUARD_TOOL:-} ]]; then
    echo "$CGOGUARD_TOOL"
    return
  fi
  (cd "$ci_dir/.." && go build -o "$1/cgoguard" ./cmd/cgoguard)
  echo "$1/cgoguard"
}
