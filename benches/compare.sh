#!/usr/bin/env bash
# Whole-process comparison of `clusterscore score` with the pandas, polars and numpy baselines
# of ../shared/perf on the same files, side by side in one run.
#
#   benches/compare.sh [--big] [--runs N] [--sizes "100000 1000000"]
#
# For each size: generates the CSV once with gen.py (seed 42, cached in $PERF_DATA), then for
# each implementation runs it N times (default 5) in turn, reporting the median wall time and
# the peak RSS (/usr/bin/time -v), the ratio to clusterscore, and whether clusterscore's scores,
# ranks and tiers agree with polars' (same_results.py). --big adds 10⁷ rows.
#
# Environment: PY (default /work/.venv/bin/python), PERF_DIR (default ../shared/perf from the
# repository root), PERF_DATA (default /work/perfdata), CARGO_TARGET_DIR (release build).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${PY:-/work/.venv/bin/python}"
PERF_DIR="${PERF_DIR:-$ROOT/../shared/perf}"
PERF_DATA="${PERF_DATA:-/work/perfdata}"
RUNS=5
SIZES="100000 1000000"
IMPLS="${IMPLS:-clusterscore polars pandas numpy}"
while [ $# -gt 0 ]; do
    case "$1" in
        --big) SIZES="$SIZES 10000000" ;;
        --runs) RUNS="$2"; shift ;;
        --sizes) SIZES="$2"; shift ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }

(cd "$ROOT" && cargo build --release --quiet)
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/clusterscore"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

name_of() {
    case "$1" in
        100000) echo 100k ;; 1000000) echo 1m ;; 10000000) echo 10m ;; *) echo "$1" ;;
    esac
}

# run IMPL DATA OUTFILE → prints "seconds kilobytes"
run_once() {
    local impl="$1" data="$2" out="$3" log="$OUT/time.log"
    case "$impl" in
        clusterscore) cmd=("$BIN" score --rules "$PERF_DIR/bench.toml" --data "$data" --out "$out") ;;
        *) cmd=("$PY" "$PERF_DIR/${impl}_score.py" "$data" "$out") ;;
    esac
    /usr/bin/time -v "${cmd[@]}" >/dev/null 2>"$log" || { cat "$log" >&2; return 1; }
    local wall rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log" |
        awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
    echo "$wall $rss"
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

echo "machine: $(nproc) cores, $(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2; exit}'), $(free -g | awk '/Mem:/ {print $2}') GB"
echo "clusterscore: $BIN ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'))"
echo "runs per cell: $RUNS (median wall time; peak RSS is the largest of the runs)"
echo
printf '| rows | %s |\n' "$(echo $IMPLS | sed 's/ / | /g')"
printf '|---|%s\n' "$(for _ in $IMPLS; do printf -- '---|'; done)"
for n in $SIZES; do
    data="$PERF_DATA/ent_$(name_of "$n").csv"
    if [ ! -f "$data" ]; then
        "$PY" "$PERF_DIR/gen.py" --rows "$n" --seed 42 --out "$data" >&2
    fi
    declare -A T=() M=()
    for impl in $IMPLS; do : >"$OUT/$impl.t"; echo 0 >"$OUT/$impl.m"; done
    # Interleave implementations run by run so that load drifts hit them alike.
    for _ in $(seq "$RUNS"); do
        for impl in $IMPLS; do
            read -r s kb < <(run_once "$impl" "$data" "$OUT/$impl.csv")
            echo "$s" >>"$OUT/$impl.t"
            prev=$(cat "$OUT/$impl.m"); [ "$kb" -gt "$prev" ] && echo "$kb" >"$OUT/$impl.m"
        done
    done
    for impl in $IMPLS; do
        T[$impl]=$(median <"$OUT/$impl.t")
        M[$impl]=$(cat "$OUT/$impl.m")
    done
    row="| $n |"
    for impl in $IMPLS; do
        ratio=""
        if [ "$impl" != clusterscore ] && [[ " $IMPLS " == *" clusterscore "* ]]; then
            ratio=$(awk -v a="${T[$impl]}" -v b="${T[clusterscore]}" 'BEGIN {printf " (%.2f×)", a/b}')
        fi
        row="$row $(awk -v t="${T[$impl]}" -v m="${M[$impl]}" 'BEGIN {printf "%.2f s, %.0f MB", t, m/1024}')$ratio |"
    done
    echo "$row"
    if [[ " $IMPLS " == *" clusterscore "* && " $IMPLS " == *" polars "* ]]; then
        # same_results.py reads clusterscore's CSV as written (it needs id, score, rank, tier;
        # the other columns and the UTF-8 BOM are fine), so no adapter is needed. It keeps
        # every row as a Python dict, which runs out of memory at 10⁷ rows: above 2·10⁶ the
        # same check runs on the four columns with polars (benches/agree_large.py).
        checker="$PERF_DIR/same_results.py"
        [ "$n" -gt 2000000 ] && checker="$ROOT/benches/agree_large.py"
        status=0
        "$PY" "$checker" "$OUT/polars.csv" "$OUT/clusterscore.csv" >"$OUT/agree.log" 2>&1 || status=$?
        if [ "$status" -eq 0 ]; then
            echo "|  | agreement with polars at $n rows: agree ($(basename "$checker")) |"
        elif [ "$status" -gt 128 ]; then
            echo "|  | agreement with polars at $n rows: not checked — $(basename "$checker") was killed (signal $((status - 128)), out of memory?) |"
        else
            echo "|  | agreement with polars at $n rows: DIFFER — $(head -3 "$OUT/agree.log" | tr '\n' ' ') |"
        fi
    fi
    unset T M
done
echo
echo "(x×) = that implementation's median time / clusterscore's."
