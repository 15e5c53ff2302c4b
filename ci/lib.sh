# Helpers the benchmark scripts share; source it: . "$(dirname "$0")/lib.sh"

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
