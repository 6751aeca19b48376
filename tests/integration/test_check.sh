#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `n1digest check` as a CI gate against a real server: a shop application
# (the workload's ci_v1 scenario) runs with the general log on and has
# one N+1 loop, so check fails (1) naming it; a baseline written from
# that run makes it pass (0); after the application gains a second loop
# (ci_v2, logged to a new general log file) check fails naming only the
# new loop, and reports nothing stale. The SARIF and JUnit reports of the
# last run are validated too.
#
# usage: test_check.sh N1DIGEST SOURCE_ROOT CMAKE_BINARY_DIR
# On failure the logs and outputs are kept in
# CMAKE_BINARY_DIR/Testing/check/ for inspection.
set -euo pipefail
# shellcheck source=tests/integration/lib_mariadb.sh
source "$(dirname "$0")/lib_mariadb.sh"
mdb_test_args "$@"
checker=$root/tests/cli/check_ci.py
schema=$root/tests/schemas/sarif-2.1.0-subset.schema.json

mdb_require test_check python3
mdb_require_built test_check "$n1digest" "$workload"

mdb_work_dir
status=0

fail()
{
    echo "test_check: FAIL: $*" >&2
    status=1
}

# check_run WANT NAME ARGS...: runs n1digest check ARGS, stdout in
# $work/NAME.out, stderr in $work/NAME.err; the exit status must be WANT.
check_run()
{
    local want=$1 name=$2 rc=0
    shift 2
    "$n1digest" check "$@" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
    if [ "$rc" -ne "$want" ]; then
        fail "$name: exit $rc, expected $want"
        sed 's/^/    /' "$work/$name.err" >&2
        return 1
    fi
}

mdb_start
# Version 1 of the application, its test suite run against the server.
"$workload" --socket "$MDB_SOCKET" --manifest "$work/v1.jsonl" \
    --scenario ci_v1
mdb_sql "FLUSH GENERAL LOGS"
cp "$MDB_GENERAL_LOG" "$work/v1.log"

# 1. The loop fails the gate, and the report names it.
check_run 1 v1 "$work/v1.log" || true
grep -qE '^FAIL +n_plus_one ' "$work/v1.out" ||
    fail "v1: no failing n_plus_one result"
grep -q 'select on orders ran 12 times' "$work/v1.out" ||
    fail "v1: the orders loop is not named"
grep -qE 'location +app/customers.py:42' "$work/v1.out" ||
    fail "v1: the loop's source location is not given"
if [ "$(grep -c '^FAIL' "$work/v1.out")" -ne 1 ]; then
    fail "v1: expected exactly one failing result"
fi

# 2. Accept it: a baseline written from that run makes the gate pass.
check_run 0 write "$work/v1.log" --write-baseline "$work/baseline.json" ||
    true
check_run 0 v1-baseline --baseline "$work/baseline.json" "$work/v1.log" ||
    true

# 3. Version 2 adds a loop; its tests write to a new general log.
mdb_sql "SET GLOBAL general_log = 0;
         SET GLOBAL general_log_file = '$MDB_DIR/general-v2.log';
         SET GLOBAL general_log = 1"
"$workload" --socket "$MDB_SOCKET" --manifest "$work/v2.jsonl" \
    --scenario ci_v2
mdb_sql "FLUSH GENERAL LOGS"
cp "$MDB_DIR/general-v2.log" "$work/v2.log"

check_run 1 v2 --baseline "$work/baseline.json" --format json \
    "$work/v2.log" || true
if ! python3 - "$work/v2.out" <<'EOF'; then
import json, sys
d = json.load(open(sys.argv[1]))
failing = [r for r in d["results"] if r["fails"]]
assert len(failing) == 1, failing
new = failing[0]
assert new["rule"] == "n_plus_one", new
assert new["table"] == "order_items", new
assert new["location"] == "app/orders.py:88", new
old = [r for r in d["results"] if r["table"] == "orders"
       and r["rule"] == "n_plus_one"]
assert old and all(r["state"] == "baseline" for r in old), old
assert d["stale"] == [], d["stale"]
EOF
    fail "v2: the report is not 'one new loop, nothing stale'"
fi
grep -q 'stale' "$work/v2.err" && fail "v2: stale entries reported"

# 4. The same verdict as SARIF and JUnit, both valid.
check_run 1 v2-sarif --baseline "$work/baseline.json" --format sarif \
    --output "$work/v2.sarif" "$work/v2.log" || true
python3 "$checker" sarif "$work/v2.sarif" "$schema" ||
    fail "v2: SARIF does not validate"
check_run 1 v2-junit --baseline "$work/baseline.json" --format junit \
    --output "$work/v2.xml" "$work/v2.log" || true
python3 "$checker" junit "$work/v2.xml" || fail "v2: JUnit XML is wrong"

if [ "$status" -ne 0 ]; then
    mdb_keep_for_inspection test_check "$bindir/Testing/check"
fi
exit "$status"
