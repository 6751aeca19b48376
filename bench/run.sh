#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Generates large MariaDB logs with n1_genlog, then times `wc -l`, n1digest and
# pt-query-digest on the same files and prints a Markdown table for
# bench/RESULTS.md. bench/README.md explains the knobs and every column.
#
#   BENCH_SIZE=1G        size of each generated log (K, M, G: powers of 1024)
#   BENCH_PT_SIZE=       run pt-query-digest on a log of this size instead
#                        (a byte prefix of the same log); empty: same file
#   BENCH_CLASSES="10000 100000"  extra slow logs timed with n1digest only
#   BENCH_SEED=1         generator seed
#   BENCH_OUT=bench/out  where logs, timings and results.md go (git-ignored)
#   BENCH_BUILD=build-bench  CMake build directory (Release)
#   N1DIGEST=path          use this n1digest binary instead of building one
set -euo pipefail
cd "$(dirname "$0")/.."

size=${BENCH_SIZE:-1G}
pt_size=${BENCH_PT_SIZE:-}
classes_extra=${BENCH_CLASSES-10000 100000}
seed=${BENCH_SEED:-1}
out=${BENCH_OUT:-bench/out}
build=${BENCH_BUILD:-build-bench}
n1digest=${N1DIGEST:-}
jobs=$(nproc 2>/dev/null || echo 2)

mkdir -p "$out"
notes=()   # lines printed under the table
checks=()  # target checks printed under the table
used=()    # generated logs this run used
rows=()    # table rows

say() {
    printf 'bench: %s\n' "$*" >&2
}

# note WORDS...: one line under the table; check WORDS...: one target check.
note() {
    notes+=("$*")
}
check() {
    checks+=("$*")
}

# --- tools -----------------------------------------------------------------

timer=/usr/bin/time
if ! [ -x "$timer" ] || ! "$timer" -v true >/dev/null 2>&1; then
    timer=""
    note "Peak RSS was not measured: GNU time (/usr/bin/time, Debian" \
        "package \`time\`) is missing; it belongs in scripts/deps.sh."
    say "GNU time not found; peak RSS will show as n/a"
fi
have_pt=1
if ! command -v pt-query-digest >/dev/null 2>&1; then
    have_pt=0
    say "pt-query-digest not found (Debian package percona-toolkit)"
fi

# --- build -----------------------------------------------------------------

genlog="$build/n1_genlog"
say "building in $build (Release)"
if cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DN1_BUILD_TESTS=OFF -DN1_BUILD_BENCH=ON \
    >"$out/build.log" 2>&1; then
    cmake --build "$build" -j"$jobs" --target n1_genlog \
        >>"$out/build.log" 2>&1 || true
    if [ -z "$n1digest" ]; then
        if cmake --build "$build" -j"$jobs" --target n1digest \
            >>"$out/build.log" 2>&1; then
            n1digest="$build/n1digest"
        fi
    fi
fi
if ! [ -x "$genlog" ]; then
    # The generator needs only libc, so it builds even when the rest of the
    # tree does not configure.
    mkdir -p "$build"
    cc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -o "$genlog" bench/genlog.c
fi

digest_cmd=()
n1digest_label=""
if [ -n "$n1digest" ] && [ -x "$n1digest" ]; then
    if "$n1digest" --help 2>/dev/null | grep -qE '^ +digest '; then
        digest_cmd=("$n1digest" digest --db :memory: --format json)
        n1digest_label="n1digest digest"
    elif "$n1digest" --help 2>/dev/null | grep -qE '^ +ingest '; then
        digest_cmd=("$n1digest" ingest --db :memory:)
        n1digest_label="n1digest ingest"
        note "\`n1digest digest\` does not exist yet: the n1digest rows" \
            "time \`n1digest ingest --db :memory:\` instead."
    fi
fi
if [ ${#digest_cmd[@]} -eq 0 ]; then
    say "no usable n1digest (no digest or ingest command, or the build" \
        "failed: see $out/build.log); n1digest rows are skipped"
    note "n1digest was skipped: it did not build or has neither" \
        "\`digest\` nor \`ingest\` (see $out/build.log)."
fi

# --- generation ------------------------------------------------------------

# Files are named after everything that decides their bytes, including a
# hash of the generator's source, so an unchanged log is reused.
gen_key=$(sha256sum bench/genlog.c | cut -c1-8)

# gen FLAVOUR SIZE CLASSES: prints the path of the log, generating it first
# unless it exists. Its counts are in PATH.stats.
gen() {
    local flavour=$1 gsize=$2 classes=$3
    local stem="$out/$flavour-$gsize-c$classes-s$seed"
    local file="$stem-$gen_key.log"
    local t0 t1
    if [ -f "$file" ] && [ -s "$file.stats" ]; then
        say "reusing $file"
    else
        rm -f "$stem"-*.log "$stem"-*.log.stats
        say "generating $file"
        t0=$(date +%s%N)
        "$genlog" --flavour "$flavour" --size "$gsize" --classes "$classes" \
            --seed "$seed" -o "$file" 2>"$file.stats.tmp"
        t1=$(date +%s%N)
        mv "$file.stats.tmp" "$file.stats"
        echo "generation_ns=$((t1 - t0))" >>"$file.stats"
    fi
    printf '%s\n' "$file"
}

# stat_of FILE KEY: a number from FILE.stats.
stat_of() {
    grep -o "$2=[0-9]*" "$1.stats" | head -1 | cut -d= -f2
}

# --- measuring -------------------------------------------------------------

# measure STDOUT CMD...: runs CMD with its output in STDOUT, and sets m_wall
# (seconds), m_cpu (user + system seconds, or n/a), m_rss (MB, or n/a) and
# m_rc.
measure() {
    local dest=$1
    shift
    local tf="$out/time.txt" t0 t1 kb
    t0=$(date +%s%N)
    set +e
    if [ -n "$timer" ]; then
        "$timer" -v -o "$tf" "$@" >"$dest" 2>"$out/last.err"
    else
        "$@" >"$dest" 2>"$out/last.err"
    fi
    m_rc=$?
    set -e
    t1=$(date +%s%N)
    m_wall=$(awk -v n=$((t1 - t0)) 'BEGIN { printf "%.3f", n / 1e9 }')
    m_rss=n/a
    m_cpu=n/a
    if [ -n "$timer" ]; then
        kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tf")
        m_rss=$(awk -v k="$kb" 'BEGIN { printf "%.1f", k / 1024 }')
        m_cpu=$(awk -F': ' '/(User|System) time \(seconds\)/ { t += $2 }
            END { printf "%.2f", t }' "$tf")
    fi
}

# MB/s (10^6 bytes) and events/s.
rate() {
    awk -v b="$1" -v e="$2" -v s="$3" 'BEGIN {
        if (s <= 0) { s = 0.001 }
        printf "%.1f %.0f", b / 1e6 / s, e / s }'
}

# row LOG SIZE_BYTES EVENTS TOOL RATIO: appends a table row from m_*.
row() {
    local r
    r=$(rate "$2" "$3" "$m_wall")
    rows+=("$(awk -v log_="$1" -v b="$2" -v e="$3" -v tool="$4" \
        -v w="$m_wall" -v r="$r" -v rss="$m_rss" -v ratio="$5" -v rc="$m_rc" \
        -v cpu="$m_cpu" \
        'BEGIN {
            split(r, a, " ")
            if (rc != 0) { tool = tool " (exit " rc ")" }
            printf "| %s | %.0f | %d | %s | %.2f | %s | %s | %d | %s | %s |",
                log_, b / 1e6, e, tool, w, cpu, a[1], a[2], rss, ratio }')")
}

ratio_of() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        if (b <= 0) { print "n/a"; exit }
        printf "%.0f×", a / b }'
}

# bench_log LABEL FLAVOUR CLASSES WITH_PT: times wc -l, n1digest and (when
# WITH_PT is 1) pt-query-digest on one generated log.
bench_log() {
    local label=$1 flavour=$2 classes=$3 with_pt=$4
    local file bytes events n1_mbs="" pt_mbs="" pt_file pt_bytes pt_events
    local pt_type=() pt_json pt_count r ratio n1_json n1_classes rss_max
    file=$(gen "$flavour" "$size" "$classes")
    used+=("$file")
    bytes=$(stat -c %s "$file")
    events=$(stat_of "$file" entries)
    cat "$file" >/dev/null # warm the page cache for every tool alike

    say "$label: wc -l"
    measure /dev/null wc -l "$file"
    row "$label" "$bytes" "$events" "wc -l (read floor)" "—"

    if [ ${#digest_cmd[@]} -gt 0 ]; then
        say "$label: $n1digest_label"
        n1_json="$out/n1-$(basename "$file" .log).json"
        measure "$n1_json" "${digest_cmd[@]}" "$file"
        # Distinct classes n1digest found (its report's unique count), for
        # the memory target.
        n1_classes=$(grep -o '"unique_query_count" *: *[0-9]*' "$n1_json" |
            head -1 | grep -o '[0-9]*$' || true)
        r=$(rate "$bytes" "$events" "$m_wall")
        n1_mbs=${r%% *}
        n1_rss=$m_rss
        n1_row=${#rows[@]}
        row "$label" "$bytes" "$events" "$n1digest_label" "…"
    fi

    if [ "$with_pt" = 1 ] && [ "$have_pt" = 1 ]; then
        pt_file=$file
        if [ -n "$pt_size" ]; then
            pt_file=$(gen "$flavour" "$pt_size" "$classes")
            used+=("$pt_file")
            cat "$pt_file" >/dev/null
        fi
        pt_bytes=$(stat -c %s "$pt_file")
        pt_events=$(stat_of "$pt_file" entries)
        case $flavour in
        *general) pt_type=(--type genlog) ;;
        esac
        pt_json="$out/pt-$(basename "$pt_file" .log).json"
        say "$label: pt-query-digest on $(basename "$pt_file")" \
            "(about $((pt_bytes / 2700000 + 1)) s at 2.7 MB/s)"
        measure "$pt_json" pt-query-digest "${pt_type[@]}" --output json \
            "$pt_file"
        r=$(rate "$pt_bytes" "$pt_events" "$m_wall")
        pt_mbs=${r%% *}
        if [ "$pt_file" != "$file" ]; then
            row "$label" "$pt_bytes" "$pt_events" \
                "pt-query-digest (prefix, see notes)" "1×"
            note "$label: pt-query-digest ran on a $pt_size log" \
                "(BENCH_PT_SIZE), the byte prefix of the same generated" \
                "log, not on the full file; the ratio compares throughput" \
                "(MB/s), which does not depend on the size."
        else
            row "$label" "$pt_bytes" "$pt_events" "pt-query-digest" "1×"
        fi
        # Its overall count; the classes have one each, and the order of
        # "classes" and "global" in its JSON varies from run to run.
        pt_count=$(python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["global"]["query_count"])' "$pt_json" \
            2>/dev/null || true)
        note "$label: pt-query-digest counted ${pt_count:-?} events;" \
            "the generator wrote $pt_events, with" \
            "$(stat_of "$pt_file" hostile) string literals holding a raw" \
            "newline and a log-header look-alike, which line-based parsers" \
            "may split or merge."
    fi

    if [ -n "$n1_mbs" ]; then
        ratio="—"
        if [ -n "$pt_mbs" ]; then
            ratio=$(ratio_of "$n1_mbs" "$pt_mbs")
            check "$label: $n1digest_label is $ratio faster than" \
                "pt-query-digest (target ≥ 50×):" \
                "$(awk -v a="$n1_mbs" -v b="$pt_mbs" \
                    'BEGIN { print (a >= 50 * b) ? "PASS" : "FAIL" }')"
        fi
        rows[$n1_row]=${rows[$n1_row]/"| … |"/"| $ratio |"}
        if [ "$n1_rss" != n/a ]; then
            # 64 MB, plus at most 2 KB for each distinct class (MB and KB
            # as powers of 1024, as the RSS column).
            rss_max=$(awk -v c="${n1_classes:-0}" \
                'BEGIN { printf "%.1f", 64 + 2 * c / 1024 }')
            check "$label: $n1digest_label peak RSS $n1_rss MB with" \
                "${n1_classes:-?} classes (target < 64 MB + 2 KB ×" \
                "${n1_classes:-?} = $rss_max MB):" \
                "$(awk -v a="$n1_rss" -v m="$rss_max" \
                    'BEGIN { print (a < m) ? "PASS" : "FAIL" }')"
        fi
    fi
}

bench_log "MariaDB slow, 300 classes" mariadb-slow 300 1
bench_log "MariaDB general, 300 classes" mariadb-general 300 1
for c in $classes_extra; do
    bench_log "MariaDB slow, $c classes" mariadb-slow "$c" 0
done

# --- report ----------------------------------------------------------------

{
    printf '### %s, %s\n\n' "$(date -u +%Y-%m-%d)" \
        "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $jobs cores"
    printf 'Logs from `n1_genlog --seed %s --size %s`; ' "$seed" "$size"
    if [ ${#digest_cmd[@]} -gt 0 ]; then
        printf '%s; ' "$("$n1digest" --version 2>/dev/null || echo n1digest)"
    fi
    if [ "$have_pt" = 1 ]; then
        printf '%s. ' "$(pt-query-digest --version 2>/dev/null | tail -1)"
    fi
    printf 'MB = 10^6 bytes; events = slow-log entries or general-log command lines.\n\n'
    printf '| Log | Size (MB) | Events | Tool | Wall (s) | CPU (s) | MB/s | Events/s | Peak RSS (MB) | Speed vs pt-query-digest |\n'
    printf '|---|--:|--:|---|--:|--:|--:|--:|--:|--:|\n'
    printf '%s\n' "${rows[@]}"
    printf '\n'
    for c in "${checks[@]+"${checks[@]}"}"; do
        printf -- '- %s\n' "$c"
    done
    for n in "${notes[@]+"${notes[@]}"}"; do
        printf -- '- %s\n' "$n"
    done
    for f in "${used[@]}"; do
        awk -v f="$(basename "$f")" -F'generation_ns=' \
            '/bytes=/ { split($0, a, "bytes="); split(a[2], b, " "); n = b[1] }
             /generation_ns=/ { g = $2 }
             END { if (g) printf "- generated %s in %.1f s (%.0f MB/s)\n",
                 f, g / 1e9, n / 1e6 / (g / 1e9) }' "$f.stats"
    done
} | tee "$out/results.md"
say "table written to $out/results.md"
