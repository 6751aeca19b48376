#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# How fast `n1digest tail` follows a growing log, next to `n1digest analyze` on
# the same bytes. Generates a MariaDB log with n1_genlog, times analyze on
# it (store on disk, as tail's is), then for each run appends the log to an
# empty file while tail follows it (bench/tail_drive.py): as fast as
# possible, and at a fixed rate. Prints a Markdown table for the "tail"
# section of bench/RESULTS.md. bench/README.md explains it.
#
#   BENCH_TAIL_SIZE=200M   size of the generated log (K, M, G: powers of 1024)
#   BENCH_TAIL_FLAVOURS="mariadb-general mariadb-slow"  logs to generate
#   BENCH_TAIL_CHUNK=65536 bytes per append
#   BENCH_TAIL_RATE=5      MB/s (10^6 bytes) of the fixed-rate run; 0: none
#   BENCH_TAIL_RUNS=3      runs of each measurement; the table has the median
#   BENCH_SEED=1           generator seed
#   BENCH_OUT=bench/out    logs, stores and results-tail.md (git-ignored)
#   BENCH_BUILD=build-bench  CMake build directory (Release)
#   N1DIGEST=path            use this n1digest binary instead of building one
set -euo pipefail
cd "$(dirname "$0")/.."

size=${BENCH_TAIL_SIZE:-200M}
flavours=${BENCH_TAIL_FLAVOURS:-mariadb-general mariadb-slow}
chunk=${BENCH_TAIL_CHUNK:-65536}
fixed_rate=${BENCH_TAIL_RATE:-5}
runs=${BENCH_TAIL_RUNS:-3}
seed=${BENCH_SEED:-1}
out=${BENCH_OUT:-bench/out}
build=${BENCH_BUILD:-build-bench}
n1digest=${N1DIGEST:-}
jobs=$(nproc 2>/dev/null || echo 2)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
mkdir -p "$out"
out=$(cd "$out" && pwd)

say() {
    printf 'bench-tail: %s\n' "$*" >&2
}

timer=/usr/bin/time
if ! [ -x "$timer" ] || ! "$timer" -v true >/dev/null 2>&1; then
    timer=""
    say "GNU time not found; analyze's peak RSS will show as n/a"
fi

# --- build -----------------------------------------------------------------

genlog="$build/n1_genlog"
say "building in $build (Release)"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DN1_BUILD_TESTS=OFF \
    >"$out/build-tail.log" 2>&1
cmake --build "$build" -j"$jobs" --target n1_genlog n1digest \
    >>"$out/build-tail.log" 2>&1
if [ -z "$n1digest" ]; then
    n1digest="$build/n1digest"
fi
n1digest=$(cd "$(dirname "$n1digest")" && pwd)/$(basename "$n1digest")

# --- generation ------------------------------------------------------------

gen_key=$(sha256sum bench/genlog.c | cut -c1-8)

# gen FLAVOUR: prints the path of the log, generating it unless it exists.
gen() {
    local file="$out/$1-$size-c300-s$seed-$gen_key.log"
    if ! [ -s "$file" ]; then
        say "generating $file"
        "$genlog" --flavour "$1" --size "$size" --classes 300 \
            --seed "$seed" -o "$file" 2>"$file.stats"
    fi
    printf '%s\n' "$file"
}

# median V...: the middle value (the lower one of an even count).
median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
        END { print v[int((NR + 1) / 2)] }'
}

# kv LINE KEY: the value of KEY in a key=value line.
kv() {
    printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

mbps() {
    awk -v b="$1" -v s="$2" 'BEGIN { if (s <= 0) { s = 0.001 }
        printf "%.1f", b / 1e6 / s }'
}

rows=()
notes=()

# add_row CELLS...: one table row of the given cells.
add_row() {
    local r="|" c
    for c in "$@"; do
        r="$r $c |"
    done
    rows+=("$r")
}

# --- analyze ---------------------------------------------------------------

# time_analyze LOG: sets a_wall, a_cpu, a_rss (MB) to the medians of $runs.
time_analyze() {
    local walls=() cpus=() rsss=() t0 t1 tf="$out/time-tail.txt"
    for _ in $(seq "$runs"); do
        rm -f "$out/analyze.db" "$out/analyze.db-wal" "$out/analyze.db-shm"
        cat "$1" >/dev/null # page cache, as for tail's source
        t0=$(date +%s%N)
        if [ -n "$timer" ]; then
            "$timer" -f '%U %S %M' -o "$tf" "$n1digest" analyze \
                --db "$out/analyze.db" --format json "$1" >/dev/null \
                2>"$out/analyze.err" || true
        else
            "$n1digest" analyze --db "$out/analyze.db" --format json "$1" \
                >/dev/null 2>"$out/analyze.err" || true
            echo "0 0 0" >"$tf"
        fi
        t1=$(date +%s%N)
        walls+=("$(awk -v n=$((t1 - t0)) \
            'BEGIN { printf "%.3f", n / 1e9 }')")
        cpus+=("$(awk '{ printf "%.2f", $1 + $2 }' "$tf")")
        rsss+=("$(awk '{ printf "%.1f", $3 / 1024 }' "$tf")")
    done
    a_wall=$(median "${walls[@]}")
    a_cpu=$(median "${cpus[@]}")
    a_rss=$(median "${rsss[@]}")
}

# time_tail LOG RATE: sets t_caught, t_lag, t_cpu, t_rss (MB), t_append to
# the medians of $runs (RATE in bytes/s, 0 as fast as possible).
time_tail() {
    local caught=() lags=() cpus=() rsss=() apps=() steady=() between=()
    local line live
    live="$out/tail-live.log"
    for _ in $(seq "$runs"); do
        rm -f "$live" "$live".out "$live".err "$out/tail.db" \
            "$out/tail.db-wal" "$out/tail.db-shm"
        line=$(python3 bench/tail_drive.py "$n1digest" "$1" "$live" \
            "$out/tail.db" "$chunk" "$2")
        if [ "$(kv "$line" rc)" != 0 ]; then
            say "tail exited with $(kv "$line" rc) on SIGTERM"
            notes+=("A tail run exited with status $(kv "$line" rc).")
        fi
        caught+=("$(kv "$line" caught_s)")
        lags+=("$(kv "$line" lag_s)")
        cpus+=("$(kv "$line" cpu_s)")
        rsss+=("$(awk -v k="$(kv "$line" rss_kb)" \
            'BEGIN { printf "%.1f", k / 1024 }')")
        apps+=("$(kv "$line" append_s)")
        steady+=("$(mbps "$(kv "$line" before_end_bytes)" \
            "$(kv "$line" before_end_s)")")
        # From the first commit point to the last before the end: the
        # rate with neither the start nor the end latency in it.
        between+=("$(awk -v b1="$(kv "$line" first_bytes)" \
            -v t1="$(kv "$line" first_s)" \
            -v b2="$(kv "$line" before_end_bytes)" \
            -v t2="$(kv "$line" before_end_s)" 'BEGIN {
            if (t2 > t1 && b2 > b1) printf "%.1f", (b2 - b1) / 1e6 / (t2 - t1)
            else printf "-" }')")
    done
    rm -f "$live"
    t_caught=$(median "${caught[@]}")
    t_lag=$(median "${lags[@]}")
    t_cpu=$(median "${cpus[@]}")
    t_rss=$(median "${rsss[@]}")
    t_append=$(median "${apps[@]}")
    t_steady=$(median "${steady[@]}")
    t_between=$(median "${between[@]}")
}

for flavour in $flavours; do
    log=$(gen "$flavour")
    bytes=$(stat -c %s "$log")
    mb=$(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1e6 }')
    say "$flavour: analyze x$runs"
    time_analyze "$log"
    add_row "$flavour" "$mb" analyze - "$a_wall" "$(mbps "$bytes" "$a_wall")" \
        - - "$a_cpu" "$(mbps "$bytes" "$a_cpu")" - "$a_rss"
    say "$flavour: tail, appends as fast as possible, x$runs"
    time_tail "$log" 0
    add_row "$flavour" "$mb" tail "as fast as possible ($t_append s)" \
        "$t_caught" "$(mbps "$bytes" "$t_caught")" "$t_steady" \
        "$t_between" "$t_cpu" "$(mbps "$bytes" "$t_cpu")" "$t_lag" "$t_rss"
    if [ "$fixed_rate" != 0 ]; then
        say "$flavour: tail, appends at $fixed_rate MB/s, x$runs"
        time_tail "$log" \
            "$(awk -v r="$fixed_rate" 'BEGIN { printf "%.0f", r * 1e6 }')"
        add_row "$flavour" "$mb" tail "$fixed_rate MB/s ($t_append s)" \
            "$t_caught" "$(mbps "$bytes" "$t_caught")" "$t_steady" \
            "$t_between" "$t_cpu" "$(mbps "$bytes" "$t_cpu")" "$t_lag" \
            "$t_rss"
    fi
done

{
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -m), " \
        "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')," \
        "$(nproc) cores, load before: $load_before," \
        "chunk $chunk bytes, median of $runs"
    echo
    echo "| Log | Size (MB) | Tool | Appends | Wall (s) | MB/s | MB/s before end | MB/s between commits | CPU (s) | MB/CPU-s | Lag (s) | Peak RSS (MB) |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
    for n in "${notes[@]+"${notes[@]}"}"; do
        echo
        echo "$n"
    done
    echo
    echo "Load after: $(cut -d' ' -f1-3 /proc/loadavg)."
} | tee "$out/results-tail.md"
