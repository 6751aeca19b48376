#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `n1digest tail` against a real server, through everything docs/tail.md
# promises to survive: a rename + FLUSH GENERAL LOGS rotation while a loop
# is open, kill -9 while loops (one of them begun in the rotated file)
# are open, a copytruncate, and a second kill -9 in the truncated file.
# Afterwards `n1digest analyze` reads the same bytes (the rotated file, the
# copytruncate copy and the live file, in that order) and check_tail.py
# requires tail's printed findings and its per-fingerprint counts to be
# exactly analyze's: nothing missing, nothing twice.
#
# The workload runs through the mariadb client, one client per
# connection, each loop on its own statement shape (kv.c1, kv.c2, ...) so
# that every finding is told apart by its fingerprint. Pacing uses
# SELECT SLEEP(), which the detectors treat as noise.
#
# usage: test_tail.sh N1DIGEST SOURCE_ROOT CMAKE_BINARY_DIR
# On failure the logs, both stores and every output are kept in
# CMAKE_BINARY_DIR/Testing/tail/.
set -euo pipefail
# shellcheck source=tests/integration/lib_mariadb.sh
source "$(dirname "$0")/lib_mariadb.sh"
mdb_test_args "$@"
n1digest=$(realpath -m "$n1digest")
keep=$bindir/Testing/tail

GAP_MS=1000
WAIT_S=20 # bound on every wait for a condition

mdb_require test_tail sqlite3 python3
mdb_require_built test_tail "$n1digest"
python3 "$here/check_tail.py" --self-test

mdb_work_dir
mdb_start
log=$MDB_GENERAL_LOG
tail_pid=""
tail_guard=""
client_pids=()
: >"$work/tail.err"
# Each run prints to a file of its own (tail.out.N), so that
# check_tail.py can count the one-commit overlap a kill -9 may leave
# between two runs (docs/tail.md) once.
runs=0
tail_outs=()
tail_out=""

# Stops what this test started (tail, its guard, clients) at any exit;
# then the library stops the server.
cleanup()
{
    local p

    for p in "${client_pids[@]}" $tail_guard $tail_pid; do
        kill -KILL "$p" 2>/dev/null || true
    done
    mdb_exit_cleanup
}
trap cleanup EXIT

say()
{
    echo "test_tail: $*" >&2
}

keep_for_inspection()
{
    rm -rf "$keep"
    mkdir -p "$keep"
    cp -r "$work"/. "$keep/" 2>/dev/null || true
    cp "$MDB_DIR"/general.log* "$MDB_ERROR_LOG" "$keep/" 2>/dev/null || true
    say "logs, stores and outputs kept in $keep"
}

fail()
{
    say "FAIL: $*"
    if [ -s "$work/tail.err" ]; then
        echo "---- n1digest tail stderr ----" >&2
        tail -n 40 "$work/tail.err" >&2
        echo "---- end ----" >&2
    fi
    keep_for_inspection
    exit 1
}

# wait_for DESCRIPTION COMMAND...: polls COMMAND until it succeeds, at
# most WAIT_S seconds.
wait_for()
{
    local what=$1 deadline
    shift
    deadline=$((SECONDS + WAIT_S))
    until "$@"; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            fail "timed out after ${WAIT_S}s waiting for $what"
        fi
        sleep 0.05
    done
}

# ---- tail -----------------------------------------------------------

start_tail()
{
    local mark

    mark=$(err_mark)
    runs=$((runs + 1))
    tail_out="$work/tail.out.$runs"
    tail_outs+=("$tail_out")
    "$n1digest" tail --db "$work/tail.db" --format json --gap "$GAP_MS" \
        "$log" >"$tail_out" 2>>"$work/tail.err" &
    tail_pid=$!
    # If this shell is killed outright, do not leave tail running.
    (
        trap - EXIT INT TERM HUP
        while kill -0 $$ 2>/dev/null; do
            sleep 1
        done
        kill -KILL "$tail_pid" 2>/dev/null
    ) </dev/null >/dev/null 2>&1 &
    tail_guard=$!
    wait_for "tail to start" err_since "$mark" "following $log"
}

stop_guard()
{
    kill "$tail_guard" 2>/dev/null || true
    wait "$tail_guard" 2>/dev/null || true
    tail_guard=""
}

kill9_tail()
{
    stop_guard
    kill -KILL "$tail_pid"
    wait "$tail_pid" 2>/dev/null || true
    tail_pid=""
    echo "---- kill -9 (after $(wc -l <"$tail_out") findings) ----" \
        >>"$work/tail.err"
}

# Lines of tail's stderr so far (to look only at what comes next).
err_mark()
{
    wc -l <"$work/tail.err"
}

# err_since MARK PATTERN: 0 when a line after MARK matches PATTERN.
err_since()
{
    tail -n +"$(($1 + 1))" "$work/tail.err" | grep -q -- "$2"
}

# 0 when tail's store says the file at the path is read (and committed)
# to its last byte.
tail_caught_up()
{
    local ino size off

    ino=$(stat -c %i "$log") || return 1
    size=$(stat -c %s "$log") || return 1
    off=$(sqlite3 -cmd '.timeout 2000' "$work/tail.db" \
        "SELECT offset FROM files WHERE inode = $ino ORDER BY id DESC
         LIMIT 1" 2>/dev/null) || return 1
    [ -n "$off" ] && [ "$off" -eq "$size" ]
}

# committed_past N TEXT: 0 when tail has committed the live file past
# the Nth statement with TEXT.
committed_past()
{
    local ino at off

    ino=$(stat -c %i "$log") || return 1
    at=$(grep -b -F -- "$2" "$log" | sed -n "$1{s/:.*//;p}")
    [ -n "$at" ] || return 1
    off=$(sqlite3 -cmd '.timeout 2000' "$work/tail.db" \
        "SELECT offset FROM files WHERE inode = $ino ORDER BY id DESC
         LIMIT 1" 2>/dev/null) || return 1
    [ -n "$off" ] && [ "$off" -gt "$at" ]
}

# ---- workload --------------------------------------------------------

# Statements in the live log whose text contains $1 (fixed string).
logged()
{
    grep -c -F -- "$1" "$log" || true
}

# at_least N TEXT: 0 when the live log holds N statements with TEXT.
at_least()
{
    [ "$(logged "$2")" -ge "$1" ]
}

# client NAME: runs $work/NAME.sql on a connection of its own, in the
# background.
client()
{
    mariadb --no-defaults --socket="$MDB_SOCKET" --user=root -D n1_tail \
        <"$work/$1.sql" >/dev/null 2>"$work/$1.client.err" &
    client_pids+=($!)
}

wait_clients()
{
    local p

    for p in "${client_pids[@]}"; do
        if ! wait "$p"; then
            fail "a workload client failed (see $work/*.client.err)"
        fi
    done
    client_pids=()
}

# select_loop NAME COLUMN N PAUSE: a parent query, then N lookups of
# kv.COLUMN by id with PAUSE seconds between them.
select_loop()
{
    local i
    {
        echo "SELECT kv.id FROM kv WHERE kv.grp = 1;"
        for ((i = 1; i <= $3; i++)); do
            echo "SELECT kv.$2 FROM kv WHERE kv.id = $i;"
            if [ "$4" != 0 ]; then
                echo "SELECT SLEEP($4);"
            fi
        done
    } >"$work/$1.sql"
    expect+=("n_plus_one|kv.$2 |$3")
}

expect=()

mdb_sql "CREATE DATABASE n1_tail"
mdb_sql "
CREATE TABLE kv (id INT PRIMARY KEY, grp INT,
                 c1 INT, c2 INT, c3 INT, c4 INT, c5 INT, c6 INT);
CREATE TABLE stock (sku VARCHAR(8) PRIMARY KEY, qty INT);
CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, user_id INT,
                    action VARCHAR(16), created_at DATETIME);
CREATE TABLE sess (id INT PRIMARY KEY);
CREATE TABLE settings (name VARCHAR(16) PRIMARY KEY, value VARCHAR(16));
INSERT INTO kv SELECT seq, 1, seq, seq, seq, seq, seq, seq
    FROM seq_1_to_20;
INSERT INTO stock SELECT CONCAT('S', seq), 100 FROM seq_1_to_20;
INSERT INTO sess SELECT seq FROM seq_1_to_20;
INSERT INTO settings VALUES ('currency', 'EUR'), ('tz', 'UTC');
" -D n1_tail

# ---- phase 1: the first file, and a loop open across the rotation ----

start_tail
select_loop p1_plain c1 8 0
{
    echo "SELECT settings.name FROM settings;"
    for ((i = 1; i <= 6; i++)); do
        echo "INSERT INTO audit (user_id, action, created_at)" \
            "VALUES ($i, 'view', NOW());"
    done
} >"$work/p1_insert.sql"
expect+=("n_plus_one|INSERT INTO audit|6")
for ((i = 1; i <= 6; i++)); do
    echo "SELECT settings.value FROM settings WHERE settings.name = 'tz';"
done >"$work/p1_dup.sql"
expect+=("duplicate|settings.value|6")
# 24 lookups 0.12 s apart: it starts in general.log.1 and is still open
# at the first kill -9.
select_loop span c2 24 0.12
client span
client p1_plain
client p1_insert
client p1_dup
wait_for "the spanning loop to begin" at_least 6 "kv.c2 FROM"

# (a) rotate by rename, then make the server open a new file.
mark=$(err_mark)
mv "$log" "$log.1"
mdb_sql "FLUSH GENERAL LOGS"
wait_for "the new general.log" test -f "$log"
wait_for "tail to switch to the new file" err_since "$mark" "rotated"
say "rotated: general.log -> general.log.1"

# ---- phase 2: kill -9 with loops open --------------------------------

select_loop p2_slow c3 10 0.1
{
    echo "SELECT stock.qty FROM stock WHERE stock.sku = 'S1';"
    for ((i = 1; i <= 10; i++)); do
        echo "UPDATE stock SET qty = qty - 1 WHERE stock.sku = 'S$i';"
        echo "SELECT SLEEP(0.1);"
    done
} >"$work/p2_update.sql"
expect+=("n_plus_one|UPDATE stock|10")
client p2_slow
client p2_update
wait_for "phase 2 loops to be half done" at_least 5 "kv.c3 FROM"
# Let a commit record the open loops, then kill.
wait_for "a commit in phase 2" committed_past 3 "kv.c3 FROM"
kill9_tail
say "killed tail (kill -9) with loops open"
sleep 0.3 # the loops go on while tail is down
mark=$(err_mark)
start_tail
if ! err_since "$mark" "reading rotated generation"; then
    # Only on a very slow machine: the result is still checked.
    say "note: the spanning loop had ended before the kill; the replay" \
        "from the rotated file was not exercised"
fi
wait_clients
wait_for "tail to catch up after phase 2" tail_caught_up

# ---- (c) copytruncate during a pause ----------------------------------

mark=$(err_mark)
cp "$log" "$log.2"
truncate -s 0 "$log"
wait_for "tail to see the truncation" err_since "$mark" "truncated"
say "copytruncate: general.log -> general.log.2"
# The general log prints the time only when the second changes: start
# the next phase in a new second, so its first lines carry a time.
sleep 1.1

# ---- phase 3: the truncated file, and a second kill -9 ----------------

select_loop p3_slow c4 10 0.1
{
    echo "SELECT sess.id FROM sess WHERE sess.id < 100;"
    for ((i = 1; i <= 6; i++)); do
        echo "DELETE FROM sess WHERE sess.id = $i;"
    done
} >"$work/p3_delete.sql"
expect+=("n_plus_one|DELETE FROM sess|6")
select_loop p3_plain c5 7 0
client p3_slow
client p3_delete
client p3_plain
wait_for "phase 3 loop to be half done" at_least 4 "kv.c4 FROM"
kill9_tail
say "killed tail (kill -9) in the truncated file"
start_tail
wait_clients

# ---- the end: let every loop close, then SIGTERM ----------------------

wait_for "tail to catch up at the end" tail_caught_up
# Every connection has quit, so every loop has ended; wait for the
# output to stay unchanged for longer than the gap.
stable_since=$SECONDS
last=$(wc -l <"$tail_out")
deadline=$((SECONDS + WAIT_S))
while :; do
    sleep 0.2
    now=$(wc -l <"$tail_out")
    if [ "$now" != "$last" ]; then
        last=$now
        stable_since=$SECONDS
    elif [ $((SECONDS - stable_since)) -ge 2 ]; then
        break
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
        fail "tail's output did not settle"
    fi
done
stop_guard
kill -TERM "$tail_pid"
rc=0
wait "$tail_pid" || rc=$?
tail_pid=""
if [ "$rc" -ne 0 ]; then
    fail "n1digest tail exited $rc after SIGTERM (expected 0)"
fi

# The reference sees exactly the bytes tail saw, in order.
mkdir -p "$work/logs"
cp "$log.1" "$log.2" "$log" "$work/logs/"
# analyze has no --gap: the same gap comes from a rule file.
printf '[n_plus_one]\nmax_gap_ms = %s\n' "$GAP_MS" >"$work/gap.rules"
rc=0
(cd "$work/logs" && "$n1digest" analyze --format json --db "$work/ref.db" \
    --rules "$work/gap.rules" general.log.1 general.log.2 general.log \
    >"$work/ref.json" 2>"$work/ref.err") || rc=$?
if [ "$rc" -ne 0 ]; then
    cat "$work/ref.err" >&2
    fail "n1digest analyze exited $rc on the reference logs"
fi

# A real server's log has no line a reader may skip.
if grep -q "PARSE\|LIMIT" "$work/tail.err" "$work/ref.err"; then
    grep "PARSE\|LIMIT" "$work/tail.err" "$work/ref.err" >&2
    fail "lines or state were dropped (see the warnings above)"
fi

args=()
for e in "${expect[@]}"; do
    args+=(--expect "$e")
done
if ! python3 "$here/check_tail.py" --tail-out "${tail_outs[@]}" \
    --tail-db "$work/tail.db" --ref-json "$work/ref.json" \
    --ref-db "$work/ref.db" "${args[@]}"; then
    fail "tail and analyze disagree"
fi
say "ok"
