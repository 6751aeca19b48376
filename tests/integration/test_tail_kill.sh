#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `n1digest tail` on a real server's general log, killed with SIGKILL at
# eight points while fan-outs are being written or pending: eight rounds
# in which eight mariadb clients each connect, run one SELECT by key and
# quit at once (a fan-out), and tail is killed 0, 0.2, ... 1.4 s after
# the round began, then restarted. After the last round tail runs until
# the windows close and stops on SIGTERM; check_tail.py then requires
# tail's printed findings and stored counts to be exactly what
# `n1digest analyze` finds in the same bytes: every fan-out once (a line
# a run printed last and the next run prints first is the one-commit
# overlap docs/tail.md allows after a kill, counted once).
#
# usage: test_tail_kill.sh N1DIGEST SOURCE_ROOT CMAKE_BINARY_DIR
set -euo pipefail
# shellcheck source=tests/integration/lib_mariadb.sh
source "$(dirname "$0")/lib_mariadb.sh"
mdb_test_args "$@"
n1digest=$(realpath -m "$n1digest")

mdb_require test_tail_kill python3
mdb_require_built test_tail_kill "$n1digest"

mdb_work_dir
mdb_start
tail_pid=""
cleanup()
{
    if [ -n "$tail_pid" ]; then
        kill -KILL "$tail_pid" 2>/dev/null || true
    fi
    mdb_exit_cleanup
}
trap cleanup EXIT

mdb_sql "CREATE DATABASE shop; CREATE TABLE shop.users (id INT PRIMARY KEY);
INSERT INTO shop.users VALUES (1), (2), (3), (4), (5), (6), (7), (8)"

# fan: eight clients at once, one statement each.
fan()
{
    local pids=() k

    for k in 1 2 3 4 5 6 7 8; do
        mariadb --no-defaults --socket="$MDB_SOCKET" --user=root -D shop \
            -e "SELECT * FROM users WHERE id = $k" >/dev/null &
        pids+=($!)
    done
    wait "${pids[@]}"
}

# start_tail: the next run, its findings in out.N (N = 1, 2, ...).
runs=0
start_tail()
{
    runs=$((runs + 1))
    "$n1digest" tail --db "$work/t.db" --format json "$MDB_GENERAL_LOG" \
        >"$work/out.$runs" 2>>"$work/err" &
    tail_pid=$!
}

start_tail
sleep 1
for round in 0 1 2 3 4 5 6 7; do
    fan &
    fan_pid=$!
    sleep "$(printf '0.%d' $((round * 2)))"
    kill -KILL "$tail_pid"
    wait "$tail_pid" 2>/dev/null || true
    wait "$fan_pid"
    start_tail
    sleep 1.5
done
# The last windows close once the log's time is a window past them.
sleep 4
kill -TERM "$tail_pid"
rc=0
wait "$tail_pid" || rc=$?
tail_pid=""
cp "$MDB_GENERAL_LOG" "$work/general.log"
mdb_stop
[ "$rc" -eq 0 ] || {
    echo "test_tail_kill: tail exited $rc after SIGTERM" >&2
    exit 1
}

"$n1digest" analyze --db "$work/ref.db" --format json "$work/general.log" \
    >"$work/ref.json" 2>/dev/null
outs=()
for ((i = 1; i <= runs; i++)); do
    outs+=("$work/out.$i")
done
if ! python3 "$here/check_tail.py" --tail-out "${outs[@]}" \
    --tail-db "$work/t.db" --ref-json "$work/ref.json" \
    --ref-db "$work/ref.db" >"$work/check" 2>&1; then
    cat "$work/check" >&2
    echo "test_tail_kill: tail and analyze disagree" >&2
    mdb_keep_for_inspection test_tail_kill "$bindir/Testing/tail_kill"
    exit 1
fi
# Rounds a second apart are windows of their own, or two in one when
# the server's clock second falls between them: at least four.
fans=$(cat "${outs[@]}" | grep -c '"fanout"' || true)
if [ "$fans" -lt 4 ]; then
    echo "test_tail_kill: only $fans fan-outs reported by both" >&2
    exit 1
fi
echo "test_tail_kill: ok ($fans fan-outs over" \
    "9 runs, 8 of them killed)"
