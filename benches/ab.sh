#!/usr/bin/env bash
# Side-by-side whole-process runs of two or more clusterscore binaries on one data file, for
# before/after figures of a change (the binaries alternate run by run, so load drifts hit
# them alike):
#
#   benches/ab.sh [--runs N] [--rules FILE] DATA.csv OLD_BINARY NEW_BINARY...
#
# Prints per binary the median wall time (and the fastest), the largest peak RSS, and the
# medians of minor page faults, user and system CPU (/usr/bin/time), then whether every
# binary wrote the same bytes as the first (SOURCE_DATE_EPOCH fixed). Defaults: 7 runs,
# ../shared/perf/bench.toml.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
RUNS=7
RULES="$ROOT/../shared/perf/bench.toml"
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS="$2"; shift 2 ;;
        --rules) RULES="$2"; shift 2 ;;
        *) break ;;
    esac
done
[ $# -ge 3 ] || { sed -n '2,12p' "$0" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
DATA="$1"; shift
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

for _ in $(seq "$RUNS"); do
    k=0
    for bin in "$@"; do
        k=$((k + 1))
        SOURCE_DATE_EPOCH=1700000000 /usr/bin/time -f "$k %e %M %R %U %S" -o "$OUT/t" \
            "$bin" score --rules "$RULES" --data "$DATA" --out "$OUT/$k.csv" 2>/dev/null
        cat "$OUT/t" >>"$OUT/times"
    done
done

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
k=0
for bin in "$@"; do
    k=$((k + 1))
    col() { awk -v k="$k" -v c="$1" '$1 == k {print $c}' "$OUT/times"; }
    printf '%s: wall %s s (fastest %s s), peak %d MB, minor faults %s, user %s s, system %s s' \
        "$bin" "$(col 2 | median)" "$(col 2 | sort -g | head -1)" \
        "$(( $(col 3 | sort -g | tail -1) / 1024 ))" "$(col 4 | median)" \
        "$(col 5 | median)" "$(col 6 | median)"
    if [ "$k" -gt 1 ]; then
        if cmp -s "$OUT/1.csv" "$OUT/$k.csv"; then printf ', output identical'; else printf ', OUTPUT DIFFERS'; fi
    fi
    echo
done
