#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `n1digest live --source perfschema` against a real server started with
# performance_schema on and a small statement history ring.
#
# 1. live polls every 0.2 s as a user with only SELECT on
#    performance_schema.* and a password given with --password; a client
#    runs an N+1 loop (a parent SELECT, then 40 lookups by key), then a
#    statement longer than performance_schema_max_sql_text_length. After
#    SIGINT, live must exit 0, have printed the loop with the same class
#    id and fingerprint as `n1digest analyze` reports on the server's
#    general log of the same run, have counted the long statement as cut,
#    and the password must appear in no output and not in the store.
# 2. live polls every 6 s while a client runs more statements than the
#    ring holds: the overwritten ones must be reported as lost, with a
#    count.
# 3. An unreachable server exits 5 naming it; a consumer turned off exits
#    6 with the UPDATE that turns it on.
#
# usage: test_live.sh N1DIGEST SOURCE_ROOT CMAKE_BINARY_DIR
# On failure the outputs are kept in CMAKE_BINARY_DIR/Testing/live/.
set -euo pipefail
# shellcheck source=tests/integration/lib_mariadb.sh
source "$(dirname "$0")/lib_mariadb.sh"
mdb_test_args "$@"
n1digest=$(realpath -m "$n1digest")

RING=200           # performance_schema_events_statements_history_long_size
PW='n1-Pw_7c3e9a'  # the live user's password: must never be echoed
WAIT_S=20          # bound on every wait for a condition

mdb_require test_live python3 grep
mdb_require_built test_live "$n1digest"
mdb_work_dir
mdb_start --performance-schema=ON \
    --performance-schema-consumer-events-statements-history-long=ON \
    --performance-schema-consumer-events-statements-current=ON \
    --performance-schema-events-statements-history-long-size=$RING
LIVE_TEST=test_live
LIVE_SOURCE=perfschema
# shellcheck source=tests/integration/lib_live.sh
source "$(dirname "$0")/lib_live.sh"

# The user is created from the password's hash: a statement carrying the
# password itself would sit in the history ring and the general log, and
# from there in the store's samples, whatever live does with --password.
hash=$(python3 -c 'import hashlib, sys
p = sys.argv[1].encode()
print("*" + hashlib.sha1(hashlib.sha1(p).digest()).hexdigest().upper())' "$PW")
mdb_sql "CREATE DATABASE app;
CREATE TABLE app.users (id INT PRIMARY KEY, name VARCHAR(20));
CREATE TABLE app.orders (id INT PRIMARY KEY, user_id INT, total INT,
    KEY (user_id));
CREATE USER n1live@localhost IDENTIFIED BY PASSWORD '$hash';
GRANT SELECT ON performance_schema.* TO n1live@localhost;"
python3 - "$work/seed.sql" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write("INSERT INTO users VALUES %s;\n" % ",".join(
        "(%d,'u%d')" % (i, i) for i in range(1, 41)))
    f.write("INSERT INTO orders VALUES %s;\n" % ",".join(
        "(%d,%d,%d)" % (i, i, i * 10) for i in range(1, 41)))
EOF
mariadb --no-defaults --socket="$MDB_SOCKET" --user=root app <"$work/seed.sql"

# ---- 1. the loop, the cut statement, the password ----------------------
live_start run --interval 0.2 --format json
{
    echo "SELECT id, name FROM users ORDER BY id LIMIT 40;"
    for i in $(seq 1 40); do
        echo "SELECT id, total FROM orders WHERE user_id = $i;"
    done
    # Keep the connection open over a poll, so that live sees its id.
    echo "SELECT SLEEP(1);"
} >"$work/loop.sql"
mariadb --no-defaults --socket="$MDB_SOCKET" --user=root app \
    <"$work/loop.sql" >/dev/null
long=$(printf 'x%.0s' $(seq 1 1100))
mdb_sql "SELECT '$long' AS padding, SLEEP(0.5)" -D app >/dev/null
sleep 3 # past the loop's gap, then a poll
live_stop
say "run: $(tail -n 1 "$work/run.err")"

"$n1digest" analyze --format json --db "$work/analyze.db" "$MDB_GENERAL_LOG" \
    >"$work/analyze.json" 2>"$work/analyze.err" || true
python3 - "$work/run.out" "$work/analyze.json" <<'EOF' || fail "loop check"
import json, sys
live = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
loops = [f for f in live if f.get("kind") == "n_plus_one"]
if not loops:
    sys.exit("live printed no n_plus_one finding: %r" % live)
def walk(v):
    if isinstance(v, dict):
        if v.get("kind") == "n_plus_one" and "id" in v:
            yield v
        for x in v.values():
            yield from walk(x)
    elif isinstance(v, list):
        for x in v:
            yield from walk(x)
want = {(f["id"], f.get("fingerprint")) for f in walk(json.load(open(sys.argv[2])))}
got = {(f["id"], f.get("fingerprint")) for f in loops}
if not got & want:
    sys.exit("live classes %r, analyze classes %r" % (got, want))
big = [f for f in loops if f.get("count", 0) >= 40]
if not big:
    sys.exit("no loop of 40 lookups: %r" % loops)
print("test_live: loop %s x%d as analyze reports it" % (big[0]["id"],
      big[0]["count"]))
EOF
grep -Eq "[1-9][0-9]* cut" "$work/run.err" ||
    fail "the long statement was not counted as cut"
# A restart on the same store reads on after the marks: nothing new ran,
# so nothing is counted again.
live_start run --interval 0.2 --format json
sleep 1
live_stop
grep -q "resuming after the last run's marks" "$work/run.err" ||
    fail "the restart did not resume"
grep -q " 0 statements counted" "$work/run.err" ||
    fail "the restart counted statements again: $(tail -n 1 "$work/run.err")"
for f in "$work"/run.out "$work"/run.err "$work"/run.db*; do
    if grep -aqF "$PW" "$f"; then
        fail "the password appears in $f"
    fi
done

# ---- 2. a ring too small for the interval -------------------------------
live_start lost --interval 6
sleep 0.5
python3 -c "
for i in range($RING * 2):
    print('SELECT %d;' % i)
print('SELECT SLEEP(0.3);')" >"$work/flood.sql"
mariadb --no-defaults --socket="$MDB_SOCKET" --user=root app \
    <"$work/flood.sql" >/dev/null
sleep 7 # the next poll
live_stop
# 2 * RING statements ran between two polls: at least RING were lost.
lost=$(sed -n "s/.* \([0-9]*\) statements lost: the history ring ($RING rows).*/\1/p" \
    "$work/lost.err" | tail -n 1)
[ -n "$lost" ] || fail "no lost statements reported"
[ "$lost" -ge "$RING" ] || fail "only $lost statements reported lost"
say "lost: $lost statements reported"

# ---- 3. unreachable, not set up ----------------------------------------
rc=0
"$n1digest" live --source perfschema --socket "$work/none.sock" \
    --user n1live --password="$PW" --db "$work/none.db" \
    >/dev/null 2>"$work/none.err" || rc=$?
[ "$rc" = 5 ] || fail "unreachable server: exit $rc, not 5"
grep -q "cannot connect to $work/none.sock" "$work/none.err" ||
    fail "the error does not name the server"
mdb_sql "UPDATE performance_schema.setup_consumers SET ENABLED='NO'
    WHERE NAME = 'events_statements_history_long'"
rc=0
"$n1digest" live --source perfschema --socket "$MDB_SOCKET" \
    --user n1live --password="$PW" --db "$work/off.db" \
    >/dev/null 2>"$work/off.err" || rc=$?
[ "$rc" = 6 ] || fail "consumer off: exit $rc, not 6"
grep -q "UPDATE performance_schema.setup_consumers SET ENABLED='YES' WHERE NAME IN ('events_statements_history_long')" \
    "$work/off.err" || fail "no advice on the consumer"
if grep -aqF "$PW" "$work"/none.err "$work"/off.err; then
    fail "the password appears in an error"
fi
say "ok"
