#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The pooled-traffic N+1 evaluation at scale: serves the pool workload
# (tests/pool/pool_workload.c) through a throw-away MariaDB with many more
# requests than the CI gate does, then prints, per pool style and log, the
# planted loops found, the other findings as a share of all, and the
# throughput of `analyze` beside `digest` on the same log. bench/README.md
# explains the columns; results go to bench/RESULTS.md by hand.
#
#   BENCH_POOL_REQUESTS=60000   requests per style (about 30 MB of general
#                               log per 60000)
#   BENCH_POOL_STYLES="rollback none traceparent"
#   BENCH_POOL_SEED=1
#   BENCH_BUILD=build-bench     CMake build directory (Release, with tests)
#   BENCH_OUT=bench/out         where the logs and the table go
#   BENCH_POOL_REUSE=1          time the logs a previous run kept, without
#                               serving the workload again
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${BENCH_POOL_REQUESTS:-60000}
styles=${BENCH_POOL_STYLES:-rollback none traceparent}
seed=${BENCH_POOL_SEED:-1}
build=${BENCH_BUILD:-build-bench}
out=${BENCH_OUT:-bench/out}
jobs=$(nproc 2>/dev/null || echo 2)
mkdir -p "$out"

say() {
    printf 'bench: %s\n' "$*" >&2
}

say "building in $build (Release)"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DN1_BUILD_TESTS=ON \
    >"$out/build-pool.log" 2>&1
cmake --build "$build" -j"$jobs" --target n1digest n1_pool_workload \
    >>"$out/build-pool.log" 2>&1
n1digest=$(pwd)/$build/n1digest

if [ "${BENCH_POOL_REUSE:-0}" = 1 ]; then
    say "timing the logs kept in $build/Testing/pool"
    : >"$out/pool-eval.txt"
else
    say "serving $requests requests per style ($styles)"
    N1_POOL_KEEP=1 bash tests/pool/run.sh "$n1digest" "$(pwd)" \
        "$(pwd)/$build" --requests "$requests" --seed "$seed" \
        --styles "$styles" | tee "$out/pool-eval.txt"
fi

# Throughput: the best of three runs of each command on each kept log.
mbps() { # command... ; prints MB/s of the log given last
    local log=${*: -1} best=0 t
    local bytes tf
    bytes=$(stat -c %s "$log")
    tf=$(mktemp)
    for _ in 1 2 3; do
        /usr/bin/time -f '%e' -o "$tf" "$@" >/dev/null 2>&1
        t=$(tail -n 1 "$tf")
        best=$(awk -v b="$best" -v t="$t" -v n="$bytes" \
            'BEGIN { r = (t > 0) ? n / t / 1e6 : 0; print (r > b) ? r : b }')
    done
    rm -f "$tf"
    printf '%.1f' "$best"
}

{
    echo
    echo "| style | log | MB | analyze MB/s | digest MB/s |"
    echo "|---|---|---|---|---|"
    for style in $styles; do
        for kind in general slow; do
            log=$build/Testing/pool/$style/$kind.log
            [ -f "$log" ] || continue
            mb=$(awk -v n="$(stat -c %s "$log")" 'BEGIN { printf "%.1f", n / 1e6 }')
            a=$(mbps "$n1digest" analyze --db :memory: --format json "$log")
            d=$(mbps "$n1digest" digest --db :memory: --format json "$log")
            echo "| $style | $kind | $mb | $a | $d |"
        done
    done
} | tee -a "$out/pool-eval.txt"
say "table in $out/pool-eval.txt"
