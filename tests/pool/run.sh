#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# N+1 precision and recall on pooled traffic: start a throw-away MariaDB,
# serve the pool workload (tests/pool/pool_workload.c) once per pool
# style, each into its own general and slow log, run `n1digest analyze`
# on each log and on its MySQL 8.0 rewrite (mariadb_to_mysql80.py), and
# score the findings against the workload's truth (eval_pool.py).
#
# usage: run.sh N1DIGEST SOURCE_ROOT CMAKE_BINARY_DIR [--gate X]
#               [--requests N] [--seed S] [--styles "rollback none ..."]
#
# Prints one table, style x log -> precision, recall; the details of each
# evaluation (false positives by fingerprint, misses by loop) go to
# CMAKE_BINARY_DIR/Testing/pool/, with the truth and the findings. The
# logs are kept there too with N1_POOL_KEEP=1.
#
# Exit status: 0; 1 when --gate is given and a precision or recall is
# below it; 2 on a setup or harness error; 77 when no MariaDB server is
# installed.
set -euo pipefail
n1digest=${1:?usage: run.sh N1DIGEST SOURCE_ROOT CMAKE_BINARY_DIR [opts]}
root=${2:?missing SOURCE_ROOT}
bindir=${3:?missing CMAKE_BINARY_DIR}
shift 3
gate=""
requests=3000
seed=1
styles="rollback none traceparent"
while [ $# -gt 0 ]; do
    case $1 in
    --gate) gate=$2 ;;
    --requests) requests=$2 ;;
    --seed) seed=$2 ;;
    --styles) styles=$2 ;;
    *)
        echo "run.sh: unknown option $1" >&2
        exit 2
        ;;
    esac
    shift 2
done

here=$root/tests/pool
workload=$bindir/tests/n1_pool_workload
out=$bindir/Testing/pool

if ! command -v mariadbd >/dev/null 2>&1 ||
    ! command -v mariadb-install-db >/dev/null 2>&1; then
    echo "run.sh: mariadbd is not installed; skipped" >&2
    exit 77
fi
for f in "$n1digest" "$workload"; do
    if [ ! -x "$f" ]; then
        echo "run.sh: $f is missing; build the project first" >&2
        exit 2
    fi
done

# shellcheck source=tests/integration/lib_mariadb.sh
source "$root/tests/integration/lib_mariadb.sh"

rm -rf "$out"
mkdir -p "$out"
work=$(mktemp -d)
mdb_register_tmp "$work"

gate_args=()
if [ -n "$gate" ]; then
    gate_args=(--gate "$gate")
fi

status=0
for style in $styles; do
    dir=$work/$style
    mkdir -p "$out/$style"
    # One server per style: each pair of logs starts with the server's
    # banner and its first line carries a time, as the MySQL 8.0 rewrite
    # needs. Commits need not reach the disk, and a lock wait (which this
    # one-thread workload avoids by design) fails fast instead of hanging.
    mdb_start --innodb-flush-log-at-trx-commit=0 \
        --innodb-lock-wait-timeout=5 || exit 2
    "$workload" --socket "$MDB_SOCKET" --truth "$out/$style/truth.jsonl" \
        --style "$style" --requests "$requests" --seed "$seed" \
        --db "pool_$style" || exit 2
    mdb_stop_keep_logs "$dir"
    python3 "$root/tests/integration/mariadb_to_mysql80.py" \
        --general "$dir/general.log" "$dir/mysql-general.log" \
        --slow "$dir/slow.log" "$dir/mysql-slow.log" || exit 2
    for log in general slow mysql-general mysql-slow; do
        rc=0
        "$n1digest" analyze --db :memory: --format json "$dir/$log.log" \
            >"$out/$style/$log.json" 2>"$out/$style/$log.stderr" || rc=$?
        if [ "$rc" -ne 0 ]; then
            echo "run.sh: n1digest analyze on $style/$log.log exited $rc" >&2
            cat "$out/$style/$log.stderr" >&2
            exit 2
        fi
        # The matcher checks itself on the first log of each style.
        check=()
        if [ "$log" = general ]; then
            check=(--self-check)
        fi
        rc=0
        python3 "$here/eval_pool.py" --n1digest "$n1digest" \
            --truth "$out/$style/truth.jsonl" --log "$dir/$log.log" \
            --findings "$out/$style/$log.json" --name "$style/$log" \
            --summary "$out/$style/$log.summary.json" \
            "${check[@]}" "${gate_args[@]}" \
            >"$out/$style/$log.eval.txt" || rc=$?
        if [ "$rc" -eq 1 ]; then
            status=1
        elif [ "$rc" -ne 0 ]; then
            echo "run.sh: eval_pool.py on $style/$log failed ($rc)" >&2
            exit 2
        fi
    done
    if [ "${N1_POOL_KEEP:-0}" = 1 ]; then
        cp "$dir"/*.log "$out/$style/"
    fi
    rm -rf "$dir"
done

python3 - "$out" "$styles" <<'EOF'
import json
import os
import sys

out, styles = sys.argv[1], sys.argv[2].split()
logs = ("general", "slow", "mysql-general", "mysql-slow")
print("| style | log | instances | reported | matched | precision | recall |")
print("|---|---|---:|---:|---:|---:|---:|")
for style in styles:
    for log in logs:
        with open(os.path.join(out, style, log + ".summary.json")) as f:
            s = json.load(f)
        print("| %s | %s | %d | %d | %d | %.3f | %.3f |"
              % (style, log, s["instances"], s["reported"], s["matched"],
                 s["precision"], s["recall"]))
EOF
echo "details: $out/<style>/<log>.eval.txt"
exit "$status"
