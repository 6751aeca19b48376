#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The speed issue's targets, side by side in one run: generates a MariaDB
# slow log, a general log and a findings-dense slow log, times `wc -l`,
# `n1digest digest` and `n1digest analyze` on each and pt-query-digest on a
# byte prefix of the first two, all under GNU time (wall, user + system
# CPU, peak RSS), then checks every target and appends the table as a
# section to bench/RESULTS.md. bench/README.md ("speed.sh") explains it.
#
#   BENCH_SIZE=200M        size of each generated log (K, M, G: 1024)
#   BENCH_PT_SIZE=50M      the prefix pt-query-digest reads; empty: none
#   BENCH_DENSE="120 6"    --loops and --loop-max of the dense log
#   BENCH_CLASSES_SIZE=40M size of the log with --classes 100000 whose peak
#                          RSS gives the memory per class
#   BENCH_TAIL_SIZE=300M   size of the logs tail follows (3 s at 100 MB/s)
#   BENCH_RUNS=3           runs per n1digest command (the best is kept)
#   BENCH_TAIL=1           also run bench/tail.sh at BENCH_TAIL_RATE=100
#   BENCH_SEED=1
#   BENCH_OUT=bench/out    logs and the table (git-ignored)
#   BENCH_BUILD=build-bench  CMake build directory (Release)
#   BENCH_RESULTS=bench/RESULTS.md  where the section goes; empty: stdout only
#   N1DIGEST=path          time this binary instead of building one
set -euo pipefail
cd "$(dirname "$0")/.."

size=${BENCH_SIZE:-200M}
pt_size=${BENCH_PT_SIZE-50M}
read -r dense_loops dense_max <<<"${BENCH_DENSE:-120 6}"
classes_size=${BENCH_CLASSES_SIZE:-40M}
tail_size=${BENCH_TAIL_SIZE:-300M}
runs=${BENCH_RUNS:-3}
seed=${BENCH_SEED:-1}
out=${BENCH_OUT:-bench/out}
build=${BENCH_BUILD:-build-bench}
results=${BENCH_RESULTS-bench/RESULTS.md}
n1digest=${N1DIGEST:-}
jobs=$(nproc 2>/dev/null || echo 2)
mkdir -p "$out"

say() {
    printf 'speed: %s\n' "$*" >&2
}

if ! /usr/bin/time -v true >/dev/null 2>&1; then
    say "GNU time (/usr/bin/time, Debian package time) is required"
    exit 2
fi

say "building in $build (Release)"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DN1_BUILD_TESTS=OFF \
    -DN1_BUILD_BENCH=ON >"$out/build-speed.log" 2>&1
cmake --build "$build" -j"$jobs" --target n1_genlog n1digest \
    >>"$out/build-speed.log" 2>&1
genlog=$build/n1_genlog
n1digest=${n1digest:-$build/n1digest}

# gen NAME ARGS...: generates bench/out/NAME.log unless it exists with the
# same arguments and generator; prints its path.
gen() {
    local name=$1
    shift
    local file=$out/$name.log
    local key
    key="$(sha256sum bench/genlog.c | cut -c1-8) $*"
    if [ -s "$file" ] && [ "$(cat "$file.key" 2>/dev/null)" = "$key" ]; then
        say "reusing $file"
    else
        say "generating $file"
        "$genlog" "$@" -o "$file" 2>"$file.stats"
        echo "$key" >"$file.key"
    fi
    echo "$file"
}

# measure OUTFILE CMD...: runs CMD once under GNU time (stdout to OUTFILE);
# prints "wall cpu rss_kb".
measure() {
    local o=$1
    shift
    local tf
    tf=$(mktemp)
    /usr/bin/time -v -o "$tf" "$@" >"$o" 2>/dev/null || true
    awk -F': ' '
        /Elapsed \(wall clock\)/ {
            n = split($2, p, ":"); w = 0
            for (i = 1; i <= n; i++) w = w * 60 + p[i]
        }
        /User time/ { u = $2 }
        /System time/ { s = $2 }
        /Maximum resident/ { r = $2 }
        END { printf "%.3f %.3f %d\n", w, u + s, r }' "$tf"
    rm -f "$tf"
}

# best OUTFILE CMD...: the run with the least CPU of BENCH_RUNS runs.
best() {
    local b="" m
    for _ in $(seq "$runs"); do
        m=$(measure "$@")
        if [ -z "$b" ] || awk -v a="$m" -v b="$b" \
            'BEGIN { split(a, x, " "); split(b, y, " "); exit !(x[2] < y[2]) }'; then
            b=$m
        fi
    done
    echo "$b"
}

slow=$(gen "speed-slow-$size-s$seed" --flavour mariadb-slow --size "$size" \
    --classes 300 --connections 48 --seed "$seed")
general=$(gen "speed-general-$size-s$seed" --flavour mariadb-general \
    --size "$size" --classes 300 --connections 48 --seed "$seed")
dense=$(gen "speed-dense-$size-s$seed" --flavour mariadb-slow --size "$size" \
    --classes 300 --connections 48 --seed "$seed" --loops "$dense_loops" \
    --loop-max "$dense_max")
# Many classes, for the memory each class costs.
many=$(gen "speed-classes-$classes_size-s$seed" --flavour mariadb-slow \
    --size "$classes_size" --classes 100000 --connections 48 --seed "$seed")

rows=()
checks=()
declare -A mbps cpu rss

# row LABEL LOG TOOL "wall cpu rss": one table row; remembers MB/s.
row() {
    local label=$1 log=$2 tool=$3 m=$4
    local bytes w c r mb rate
    bytes=$(stat -c %s "$log")
    read -r w c r <<<"$m"
    mb=$(awk -v n="$bytes" 'BEGIN { printf "%.1f", n / 1e6 }')
    rate=$(awk -v n="$bytes" -v w="$w" 'BEGIN { printf "%.1f", (w > 0 ? n / 1e6 / w : 0) }')
    mbps[$label/$tool]=$rate
    cpu[$label/$tool]=$(awk -v n="$bytes" -v c="$c" 'BEGIN { printf "%.1f", (c > 0 ? n / 1e6 / c : 0) }')
    rss[$label/$tool]=$(awk -v r="$r" 'BEGIN { printf "%.1f", r / 1024 }')
    rows+=("| $label | $mb | $tool | $w | $c | $rate | ${cpu[$label/$tool]} | ${rss[$label/$tool]} |")
}

for pair in "slow:$slow" "general:$general" "dense:$dense"; do
    label=${pair%%:*}
    log=${pair#*:}
    cat "$log" >/dev/null
    say "timing $label"
    row "$label" "$log" "wc -l" "$(best /dev/null wc -l "$log")"
    row "$label" "$log" digest "$(best "$out/speed-$label-digest.json" \
        "$n1digest" digest --db :memory: --format json "$log")"
    row "$label" "$log" analyze "$(best "$out/speed-$label-analyze.json" \
        "$n1digest" analyze --db :memory: --format json "$log")"
done

say "timing the many-classes log"
row classes "$many" digest "$(best "$out/speed-classes-digest.json" \
    "$n1digest" digest --db :memory: --format json "$many")"
row classes "$many" analyze "$(best "$out/speed-classes-analyze.json" \
    "$n1digest" analyze --db :memory: --format json "$many")"

# pt-query-digest on a prefix of the same bytes (the generator writes the
# same stream for every size, so the smaller log is a prefix).
if [ -n "$pt_size" ] && command -v pt-query-digest >/dev/null 2>&1; then
    pslow=$(gen "speed-slow-$pt_size-s$seed" --flavour mariadb-slow \
        --size "$pt_size" --classes 300 --connections 48 --seed "$seed")
    pgen=$(gen "speed-general-$pt_size-s$seed" --flavour mariadb-general \
        --size "$pt_size" --classes 300 --connections 48 --seed "$seed")
    say "timing pt-query-digest on $pt_size prefixes"
    row slow "$pslow" "pt-query-digest (prefix)" "$(measure \
        "$out/speed-pt-slow.json" pt-query-digest --output json "$pslow")"
    row general "$pgen" "pt-query-digest (prefix)" "$(measure \
        "$out/speed-pt-general.json" pt-query-digest --type genlog \
        --output json "$pgen")"
fi

# ratio A B: A / B to one decimal, or n/a.
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else printf "n/a" }'
}
# target TEXT VALUE LIMIT ge|le: one PASS/FAIL line.
target() {
    local ok
    ok=$(awk -v v="$2" -v l="$3" -v op="$4" 'BEGIN {
        if (v == "n/a") { print "n/a"; exit }
        print ((op == "ge" && v + 0 >= l + 0) || (op == "le" && v + 0 <= l + 0)) ? "PASS" : "FAIL" }')
    checks+=("- $1: $2 (target $( [ "$4" = ge ] && echo "≥" || echo "≤") $3): $ok")
}

pt="pt-query-digest (prefix)"
for k in slow general; do
    for c in digest analyze; do
        want=150
        [ $k/$c = slow/analyze ] && want=100
        [ $k/$c = general/digest ] && want=100
        [ $k/$c = general/analyze ] && want=60
        target "$k log, $c vs pt-query-digest (x, MB/s over MB/s)" \
            "$(ratio "${mbps[$k/$c]:-0}" "${mbps[$k/$pt]:-0}")" "$want" ge
    done
done
target "findings-dense log, analyze CPU per MB over the plain slow log's (x)" \
    "$(ratio "${cpu[slow/analyze]}" "${cpu[dense/analyze]}")" 2 le
for k in slow general dense; do
    for c in digest analyze; do
        target "$k log, $c peak RSS (MiB)" "${rss[$k/$c]}" 64 le
    done
done
classes=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['global']['unique_query_count'])" \
    "$out/speed-slow-digest.json" 2>/dev/null || echo "?")
findings=$(python3 -c "import json,sys; print(sum(c.get('occurrence_count', 0) for c in json.load(open(sys.argv[1]))['classes']))" \
    "$out/speed-dense-analyze.json" 2>/dev/null || echo "?")
findings_plain=$(python3 -c "import json,sys; print(sum(c.get('occurrence_count', 0) for c in json.load(open(sys.argv[1]))['classes']))" \
    "$out/speed-slow-analyze.json" 2>/dev/null || echo "?")

classes_many=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['global']['unique_query_count'])" \
    "$out/speed-classes-digest.json" 2>/dev/null || echo "?")
# KiB per class: the peak RSS the many-classes log adds over the plain
# slow log, over the classes it adds.
for c in digest analyze; do
    target "$c peak RSS per class, $classes_many classes over $classes (KiB)" \
        "$(awk -v a="${rss[classes/$c]}" -v b="${rss[slow/$c]}" \
            -v n="$classes_many" -v m="$classes" 'BEGIN {
            if (n + 0 > m + 0) printf "%.2f", (a - b) * 1024 / (n - m); else printf "n/a" }')" 2 le
done

per_finding=$(awk -v a="${rss[dense/analyze]}" -v b="${rss[slow/analyze]}" \
    -v f="$findings" -v g="$findings_plain" 'BEGIN {
        if (f + 0 > g + 0) printf "%.2f", (a - b) * 1024 / (f - g); else printf "n/a" }')
target "analyze peak RSS growth per extra finding, dense over slow log (KiB)" \
    "$per_finding" 0.25 le

{
    echo
    echo "## bench/speed.sh, $(date -u '+%Y-%m-%d %H:%M') UTC"
    echo
    echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'),"
    echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); n1digest at $(git rev-parse --short HEAD 2>/dev/null || echo '?');"
    echo "logs: n1_genlog --size $size --classes 300 --connections 48 --seed $seed (dense: --loops $dense_loops --loop-max $dense_max);"
    echo "pt-query-digest on the first $pt_size of the slow and general logs. n1digest: best of $runs runs by CPU, --db :memory: --format json."
    echo "Classes in the slow log: $classes; analyze occurrences: $findings_plain (slow), $findings (dense)."
    echo
    echo "| Log | MB | Tool | Wall (s) | CPU (s) | MB/s | MB/CPU-s | Peak RSS (MiB) |"
    echo "|---|--:|---|--:|--:|--:|--:|--:|"
    printf '%s\n' "${rows[@]}"
    echo
    printf '%s\n' "${checks[@]}"
} | tee "$out/speed.md"

if [ "${BENCH_TAIL:-1}" = 1 ]; then
    say "bench/tail.sh at 100 MB/s"
    echo >>"$out/speed.md"
    BENCH_TAIL_RATE=100 BENCH_TAIL_RUNS=1 BENCH_TAIL_SIZE=$tail_size \
        BENCH_OUT=$out BENCH_BUILD=$build N1DIGEST=$n1digest \
        bash bench/tail.sh | tee -a "$out/speed.md"
    # Keeping up with a 100 MB/s writer: followed as fast as it can
    # (appends done in well under a second), the rate between tail's
    # first commit and its last before the end (column 9) is the rate it
    # sustains, without start-up and end latency.
    {
        echo
        awk -F'|' '$4 ~ /tail/ && $5 ~ /as fast as possible/ {
            gsub(/ /, "", $2); gsub(/ /, "", $9)
            printf "- %s log, tail MB/s between commits, appends as fast as possible: %s (target ≥ 100): %s\n",
                $2, $9, ($9 + 0 >= 100 ? "PASS" : "FAIL") }
        # At 100 MB/s, caught up within the end latency (500 ms quiet,
        # then the next commit, at most 1 s later) of the last append:
        # a slower tail would trail by more, the more the longer the log.
        $4 ~ /tail/ && $5 ~ /100 MB\/s/ {
            gsub(/ /, "", $2); gsub(/ /, "", $12)
            printf "- %s log, tail lag after a 100 MB/s writer (s): %s (target ≤ 1.6): %s\n",
                $2, $12, ($12 + 0 <= 1.6 ? "PASS" : "FAIL") }' \
            "$out/results-tail.md"
    } | tee -a "$out/speed.md"
fi
if [ -n "$results" ]; then
    cat "$out/speed.md" >>"$results"
    say "section appended to $results"
fi
