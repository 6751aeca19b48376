#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Checks that a performance change left every output byte the same: runs
# two n1digest binaries side by side on every fixture log and on generated
# bench logs, with digest and analyze in text and JSON, analyze with
# --full, with a store on disk and again on that store (the stored
# findings), and diffs stdout, stderr and the exit status.
#
#   bench/same_output.sh OLD_BINARY NEW_BINARY [LOG...]
#
# Without LOG arguments it generates a 4 MiB slow log and a 3 MiB general
# log with n1_genlog (BENCH_GENLOG, or build-bench/n1_genlog) into
# BENCH_OUT (bench/out). Prints one line per difference and exits 1 if
# there was any, 0 when everything is the same.
set -uo pipefail
cd "$(dirname "$0")/.."
old=${1:?usage: same_output.sh OLD NEW [LOG...]}
new=${2:?usage: same_output.sh OLD NEW [LOG...]}
shift 2
old=$(readlink -f "$old")
new=$(readlink -f "$new")
out=${BENCH_OUT:-bench/out}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

logs=("$@")
if [ ${#logs[@]} -eq 0 ]; then
    gen=${BENCH_GENLOG:-build-bench/n1_genlog}
    if [ ! -x "$gen" ]; then
        echo "same_output: no n1_genlog at $gen (set BENCH_GENLOG)" >&2
        exit 2
    fi
    for spec in mariadb-slow:4M mariadb-general:3M mysql-slow:2M \
        mysql-general:2M; do
        fl=${spec%%:*}
        sz=${spec#*:}
        f=$out/same-$fl-$sz.log
        [ -s "$f" ] || "$gen" --flavour "$fl" --size "$sz" --classes 300 \
            --connections 48 --seed 3 -o "$f" 2>/dev/null
        logs+=("$f")
    done
    while IFS= read -r f; do
        logs+=("$f")
    done < <(find fixtures -type f \( -name '*.log' -o -name '*.log.gz' \
        -o -name '*.log.bz2' -o -name '*.log.xz' -o -name '*.log.zst' \) |
        sort)
fi

fails=0
runs=0
# run NAME ARGS...: runs both binaries with ARGS and compares.
run() {
    local name=$1
    shift
    local side bin
    for side in old new; do
        if [ $side = old ]; then bin=$old; else bin=$new; fi
        rm -f "$work/side.db"*
        (cd "$work" && "$bin" "$@" >"$side.out" 2>"$side.err"
            echo $? >"$side.rc")
        # A second run on the same store reports the stored findings.
        if [ "${STORE_AGAIN:-0}" = 1 ]; then
            (cd "$work" && "$bin" "$@" >>"$side.out" 2>>"$side.err"
                echo $? >>"$side.rc")
        fi
        sed -i "s#$work/##g" "$work/$side.err" "$work/$side.out"
    done
    runs=$((runs + 1))
    local what
    for what in out err rc; do
        if ! cmp -s "$work/old.$what" "$work/new.$what"; then
            echo "DIFF $what: $name: $*"
            diff "$work/old.$what" "$work/new.$what" | head -n 6
            fails=$((fails + 1))
        fi
    done
}

for log in "${logs[@]}"; do
    abs=$(cd "$(dirname "$log")" && pwd)/$(basename "$log")
    for fmt in text json; do
        run "$log" digest --db :memory: --format $fmt "$abs"
        run "$log" analyze --db :memory: --format $fmt "$abs"
    done
    run "$log" analyze --db :memory: --full "$abs"
    STORE_AGAIN=1 run "$log" analyze --db "$work/side.db" --format json "$abs"
done
if [ $fails -ne 0 ]; then
    echo "same_output: $fails differences in $runs runs" >&2
    exit 1
fi
echo "same_output: ${#logs[@]} logs, $runs runs, all the same" >&2
