#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Round trip through a real server: run the "readback" workload, then check
# that `n1digest events --json` reads every statement it sent back from both
# the general and the slow log, with the right connection, text and schema.
#
# usage: test_readback.sh N1DIGEST SOURCE_ROOT CMAKE_BINARY_DIR
# On failure the logs, the manifest and n1digest's output are kept in
# CMAKE_BINARY_DIR/Testing/readback/ for inspection.
set -euo pipefail
# shellcheck source=tests/integration/lib_mariadb.sh
source "$(dirname "$0")/lib_mariadb.sh"
mdb_test_args "$@"

mdb_require test_readback python3
mdb_require_built test_readback "$n1digest" "$workload"

# The checker's own logic first: cheap, and it tells a broken checker from
# a broken reader.
python3 "$here/check_readback.py" --self-test

mdb_work_dir
mdb_start
mdb_run_workload "$workload" readback
# A clean shutdown flushes both logs; the copies outlive the server's dir.
mdb_stop_keep_logs "$work"

# Runs `n1digest events --json` on one log; exit 4 (some lines skipped) is
# allowed here because the checker finds any statement that went missing.
read_log()
{
    local name=$1 log=$2 rc=0

    "$n1digest" events --json "$log" >"$work/$name.jsonl" \
        2>"$work/$name.stderr" || rc=$?
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 4 ]; then
        echo "test_readback: n1digest events on the $name log exited $rc:" >&2
        cat "$work/$name.stderr" >&2
        return 1
    fi
    echo "-- n1digest events, $name log: exit $rc," \
        "$(wc -l <"$work/$name.jsonl") events"
    sed 's/^/   stderr: /' "$work/$name.stderr"
}

status=0
read_log general "$MDB_GENERAL_LOG" || status=1
read_log slow "$MDB_SLOW_LOG" || status=1
if [ "$status" -eq 0 ]; then
    python3 "$here/check_readback.py" --manifest "$work/manifest.jsonl" \
        --general "$work/general.jsonl" --slow "$work/slow.jsonl" ||
        status=1
fi
if [ "$status" -ne 0 ]; then
    mdb_keep_for_inspection test_readback "$bindir/Testing/readback"
fi
exit "$status"
