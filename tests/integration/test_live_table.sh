#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `n1digest live --source table` against a real server that writes its
# general log both to a file and to mysql.general_log
# (log_output=FILE,TABLE), and live's reconnecting.
#
# 1. live polls the table every 0.2 s as a user with only SELECT on the
#    general log table, created with IDENTIFIED BY and its password in clear
#    (so the password sits in the table live reads); a client runs an N+1
#    loop and eight clients a fan-out. After SIGINT, live must have
#    printed exactly the n_plus_one and fanout findings (kind and class
#    id) that `n1digest analyze` reports on the file general log of the
#    same run. A restart on the same store counts nothing again. The
#    password appears in no output and not in the store.
# 2. The server is shut down and started again while live polls: live
#    says once that the connection was lost, connects again, and reports
#    a loop run after the restart.
# 3. With --reconnect-max 2, a server that goes away makes live exit 5
#    within a few seconds with one error line naming the socket.
# 4. With the general log off (the slow log on), live exits 6 with the
#    SQL that turns the general log on: the slow log is never read.
#
# usage: test_live_table.sh N1DIGEST SOURCE_ROOT CMAKE_BINARY_DIR
# On failure the outputs are kept in CMAKE_BINARY_DIR/Testing/live_table/.
set -euo pipefail
# shellcheck source=tests/integration/lib_mariadb.sh
source "$(dirname "$0")/lib_mariadb.sh"
mdb_test_args "$@"
n1digest=$(realpath -m "$n1digest")

PW='n1-Tb_5d8f2e' # the live user's password: must never be echoed
WAIT_S=30         # bound on every wait for a condition

mdb_require test_live_table python3 grep
mdb_require_built test_live_table "$n1digest"
mdb_work_dir
mdb_start --log-output=FILE,TABLE
LIVE_TEST=test_live_table
LIVE_SOURCE=table
# shellcheck source=tests/integration/lib_live.sh
source "$(dirname "$0")/lib_live.sh"

# Waits until the file $1 holds the pattern $2.
wait_for()
{
    local i

    for ((i = 0; i < WAIT_S * 10; i++)); do
        grep -q "$2" "$1" && return 0
        sleep 0.1
    done
    fail "no '$2' in $1"
}

client()
{
    mariadb --no-defaults --socket="$MDB_SOCKET" --user=root app "$@"
}

# A loop: a parent SELECT, then 40 lookups by key on table $1.
run_loop()
{
    {
        echo "SELECT id, name FROM users ORDER BY id LIMIT 40;"
        for i in $(seq 1 40); do
            echo "SELECT id, total FROM $1 WHERE user_id = $i;"
        done
        echo "SELECT SLEEP(1);"
    } | client >/dev/null
}

# Shuts the server down and starts it again with the same command line.
restart_server()
{
    local args i

    mapfile -d '' args <"/proc/$MDB_PID/cmdline"
    mariadb-admin --no-defaults --socket="$MDB_SOCKET" --user=root shutdown
    wait "$MDB_PID" 2>/dev/null || true
    "${args[@]}" >>"$MDB_DIR/mariadbd.out" 2>&1 &
    MDB_PID=$!
    for ((i = 0; i < WAIT_S * 5; i++)); do
        mdb_ping && return 0
        sleep 0.2
    done
    fail "the server did not start again"
}

mdb_sql "CREATE DATABASE app;
CREATE TABLE app.users (id INT PRIMARY KEY, name VARCHAR(20));
CREATE TABLE app.orders (id INT PRIMARY KEY, user_id INT, total INT,
    KEY (user_id));
CREATE TABLE app.refunds (id INT PRIMARY KEY, user_id INT, total INT,
    KEY (user_id));
CREATE USER n1live@localhost IDENTIFIED BY '$PW';
GRANT SELECT ON mysql.general_log TO n1live@localhost;
"
python3 - "$work/seed.sql" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("INSERT INTO users VALUES %s;\n" % ",".join(
        "(%d,'u%d')" % (i, i) for i in range(1, 41)))
    for t in ("orders", "refunds"):
        f.write("INSERT INTO %s VALUES %s;\n" % (t, ",".join(
            "(%d,%d,%d)" % (i, i, i * 10) for i in range(1, 41))))
PY
client <"$work/seed.sql"

# ---- 1. the loop, the fan-out, the same findings as analyze -------------
live_start run --interval 0.2 --format json
run_loop orders
fan=()
for i in $(seq 1 8); do
    client -e "SELECT MAX(total) FROM orders WHERE user_id = $i" >/dev/null &
    fan+=($!)
done
for p in "${fan[@]}"; do
    wait "$p" || fail "a fan-out client failed"
done
sleep 4 # past the loop's gap and the fan-out's window, then a poll
live_stop
say "run: $(tail -n 1 "$work/run.err")"
"$n1digest" analyze --format json --db "$work/analyze.db" "$MDB_GENERAL_LOG" \
    >"$work/analyze.json" 2>"$work/analyze.err" || true
python3 - "$work/run.out" "$work/analyze.json" <<'PY' || fail "findings differ"
import json, sys
KINDS = ("n_plus_one", "fanout")
live = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def walk(v):
    if isinstance(v, dict):
        if v.get("kind") in KINDS and "id" in v:
            yield v
        for x in v.values():
            yield from walk(x)
    elif isinstance(v, list):
        for x in v:
            yield from walk(x)
got = {(f["kind"], f["id"]) for f in live if f.get("kind") in KINDS}
want = {(f["kind"], f["id"]) for f in walk(json.load(open(sys.argv[2])))}
if got != want:
    sys.exit("live %r, analyze %r" % (sorted(got), sorted(want)))
kinds = {k for k, _ in got}
if kinds != set(KINDS):
    sys.exit("expected a loop and a fan-out, got %r" % sorted(got))
loops = [f for f in live if f.get("kind") == "n_plus_one"]
if not any(f.get("count") == 40 for f in loops):
    sys.exit("no loop of 40 lookups: %r" % loops)
print("test_live_table: %d findings as analyze reports them" % len(got))
PY
grep -q "IDENTIFIED BY '<secret>'" "$work/run.db" 2>/dev/null ||
    grep -aq "<secret>" "$work/run.db" ||
    fail "the CREATE USER sample is not masked in the store"
# A restart on the same store reads on after the marks: nothing new ran,
# so nothing is counted again.
live_start run --interval 0.2 --format json
sleep 1.5
live_stop
grep -q "resuming after the last run's marks" "$work/run.err" ||
    fail "the restart did not resume"
grep -q " 0 statements counted" "$work/run.err" ||
    fail "the restart counted statements again: $(tail -n 1 "$work/run.err")"

# ---- 2. the server restarts while live polls ----------------------------
live_start rc --interval 0.2 --format json --reconnect-max 60
restart_server
run_loop refunds
wait_for "$work/rc.err" "connected again"
sleep 3
live_stop
n=$(grep -c "connection lost" "$work/rc.err" || true)
[ "$n" = 1 ] || fail "the outage was told $n times, not once"
grep -q '"table":"refunds"' "$work/rc.out" ||
    fail "the loop after the restart was not reported"
grep -q " 1 outages" "$work/rc.err" || fail "the outage was not counted"

for f in "$work"/*.out "$work"/*.err "$work"/*.db*; do
    if grep -aqF "$PW" "$f"; then
        fail "the password appears in $f"
    fi
done

# ---- 3. the server goes away for good -----------------------------------
live_start gone --interval 0.2 --reconnect-max 2
t0=$(date +%s)
mariadb-admin --no-defaults --socket="$MDB_SOCKET" --user=root shutdown
rc=0
wait "$live_pid" || rc=$?
live_pid=""
t1=$(date +%s)
[ "$rc" = 5 ] || fail "server gone: exit $rc, not 5"
[ $((t1 - t0)) -le 10 ] || fail "server gone: exit after $((t1 - t0)) s"
grep -q "could not connect again within 2 s" "$work/gone.err" ||
    fail "no error on the lost server"
grep "could not connect again" "$work/gone.err" | grep -qF "$MDB_SOCKET" ||
    fail "the error does not name the server"
wait "$MDB_PID" 2>/dev/null || true
MDB_PID=""

# ---- 4. the general log off ---------------------------------------------
mdb_stop
mdb_start --log-output=FILE,TABLE --general-log=0
mdb_sql "CREATE USER n1live@localhost IDENTIFIED BY '$PW';
GRANT SELECT ON mysql.general_log TO n1live@localhost;"
rc=0
"$n1digest" live --source table --socket "$MDB_SOCKET" --user n1live \
    --password="$PW" --db "$work/off.db" >/dev/null 2>"$work/off.err" ||
    rc=$?
[ "$rc" = 6 ] || fail "general log off: exit $rc, not 6"
grep -qF "SET GLOBAL log_output='TABLE'; SET GLOBAL general_log=ON;" \
    "$work/off.err" || fail "no SQL that turns the general log on"
if grep -aqF "$PW" "$work/off.err"; then
    fail "the password appears in an error"
fi
say "ok"
