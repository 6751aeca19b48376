#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `n1digest digest` against pt-query-digest on a real slow log: start
# MariaDB (every statement logged, long_query_time=0), run the digest
# workload (tests/integration/digest_workload.py: ~20 shapes, a few
# hundred statements, varied timings), stop, then run both tools on the
# slow log and let compare_digest.py check calls, totals, extrema and
# percentiles per class against each other and against exact values.
#
# usage: test_digest_vs_pt.sh N1DIGEST SOURCE_ROOT CMAKE_BINARY_DIR
# On failure the log and both reports are kept in
# CMAKE_BINARY_DIR/Testing/digest_vs_pt/.
set -euo pipefail
# shellcheck source=tests/integration/lib_mariadb.sh
source "$(dirname "$0")/lib_mariadb.sh"
mdb_test_args "$@"

mdb_require test_digest_vs_pt pt-query-digest pt-fingerprint python3
python3 "$here/compare_digest.py" --self-test

mdb_work_dir
python3 "$here/digest_workload.py" >"$work/workload.sql"
mdb_start
mariadb --no-defaults --socket="$MDB_SOCKET" --user=root \
    <"$work/workload.sql" >/dev/null
mdb_stop_keep_logs "$work"

status=0
pt-query-digest --output json --limit 100% "$MDB_SLOW_LOG" \
    >"$work/pt.json" 2>"$work/pt.stderr" || status=1
rc=0
"$n1digest" digest --format json --limit 1000 --db :memory: "$MDB_SLOW_LOG" \
    >"$work/n1.json" 2>"$work/n1.stderr" || rc=$?
if [ "$rc" -ne 0 ]; then
    echo "test_digest_vs_pt: n1digest digest exited $rc:" >&2
    cat "$work/n1.stderr" >&2
    status=1
fi
if [ "$status" -eq 0 ]; then
    python3 "$here/compare_digest.py" --log "$MDB_SLOW_LOG" \
        --n1 "$work/n1.json" --pt "$work/pt.json" --n1digest "$n1digest" ||
        status=1
fi
if [ "$status" -ne 0 ]; then
    mdb_keep_for_inspection test_digest_vs_pt \
        "$bindir/Testing/digest_vs_pt" "inputs and reports"
fi
exit "$status"
