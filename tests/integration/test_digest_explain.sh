#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `n1digest digest --explain` against a real server: the slow log of a
# small workload is digested, and each shown class's sample is explained
# on the server as a user with only SELECT on the application schema.
#
# The lookup by the indexed user_id must show the index as its key, the
# search on the unindexed total a full scan (type ALL, key NULL), the
# UPDATE "not explained: not a SELECT", a SELECT taking a lock is
# refused; the JSON report carries the same
# lines as each class's "explain" member. An unreachable server exits 5
# naming it, and the password appears in no output.
#
# usage: test_digest_explain.sh N1DIGEST SOURCE_ROOT CMAKE_BINARY_DIR
set -euo pipefail
# shellcheck source=tests/integration/lib_mariadb.sh
source "$(dirname "$0")/lib_mariadb.sh"
mdb_test_args "$@"
n1digest=$(realpath -m "$n1digest")

PW='n1-Ex_9a4c1b' # the explaining user's password

mdb_require test_digest_explain python3 grep
mdb_require_built test_digest_explain "$n1digest"
mdb_work_dir
mdb_start

fail()
{
    echo "test_digest_explain: FAIL: $*" >&2
    mdb_keep_for_inspection test_digest_explain \
        "$bindir/Testing/digest_explain"
    exit 1
}

mdb_sql "CREATE DATABASE app;
CREATE TABLE app.orders (id INT PRIMARY KEY, user_id INT, total INT,
    KEY (user_id));
INSERT INTO app.orders VALUES (1,1,10),(2,2,20),(3,3,30),(4,4,40);
CREATE USER n1x@localhost IDENTIFIED BY '$PW';
GRANT SELECT ON app.* TO n1x@localhost;"
mdb_sql "SELECT id, total FROM orders WHERE user_id = 1;
SELECT id, total FROM orders WHERE user_id = 2;
SELECT id FROM orders WHERE total > 15;
SELECT GET_LOCK('n1x', 0), id FROM orders WHERE id = 1;
SELECT RELEASE_LOCK('n1x');
UPDATE orders SET total = total + 1 WHERE id = 3;" -D app >/dev/null

conn=(--socket "$MDB_SOCKET" --user n1x --password="$PW")
"$n1digest" digest --explain "${conn[@]}" --limit 0 "$MDB_SLOW_LOG" \
    >"$work/text.out" 2>"$work/text.err" || fail "text: exit $?"
"$n1digest" digest --explain "${conn[@]}" --limit 0 --format json \
    "$MDB_SLOW_LOG" >"$work/json.out" 2>"$work/json.err" ||
    fail "json: exit $?"
python3 - "$work/text.out" "$work/json.out" <<'PY' || fail "explain check"
import json, re, sys
text = open(sys.argv[1]).read()
doc = json.load(open(sys.argv[2]))
def explain_of(fp_start):
    for c in doc["classes"]:
        if c.get("fingerprint", "").startswith(fp_start):
            return c.get("explain")
    sys.exit("no class %r in %r" % (fp_start,
             [c.get("fingerprint") for c in doc["classes"]]))
by_key = explain_of("select id, total from orders where user_id = ?")
scan = explain_of("select id from orders where total > ?")
upd = explain_of("update orders set total")
if not by_key or "key: user_id" not in by_key[0] or "table: orders" not in by_key[0]:
    sys.exit("lookup by user_id: %r" % by_key)
if not scan or "type: ALL" not in scan[0] or "key: NULL" not in scan[0]:
    sys.exit("scan on total: %r" % scan)
if upd != ["not explained: not a SELECT"]:
    sys.exit("update: %r" % upd)
lock = explain_of("select get_lock(")
if lock != ["not explained: the sample names get_lock"]:
    sys.exit("get_lock: %r" % lock)
for c in doc["classes"]:
    if "explain" not in c:
        sys.exit("class without explain: %r" % c.get("fingerprint"))
for line in by_key + scan + upd:
    if "#   " + line not in text:
        sys.exit("text report lacks %r" % line)
print("test_digest_explain: %d classes explained" % len(doc["classes"]))
PY
rc=0
"$n1digest" digest --explain --socket "$work/none.sock" --user n1x \
    --password="$PW" "$MDB_SLOW_LOG" >/dev/null 2>"$work/none.err" || rc=$?
[ "$rc" = 5 ] || fail "unreachable server: exit $rc, not 5"
grep -q "cannot connect to $work/none.sock" "$work/none.err" ||
    fail "the error does not name the server"
for f in "$work"/*.out "$work"/*.err; do
    if grep -aqF "$PW" "$f"; then
        fail "the password appears in $f"
    fi
done
echo "test_digest_explain: ok"
