#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# N+1 detection against a real server: run the "analyze" workload (every
# loop shape plus look-alikes that must not be reported), then check that
# `n1scan analyze --format json` on the general log and on the slow log
# reports exactly the findings the workload wrote into its manifest, and
# that every rewrite runs on the server and, for SELECT loops, returns the
# union of the rows the loop fetched.
#
# usage: test_analyze.sh N1SCAN SOURCE_ROOT CMAKE_BINARY_DIR
# On failure the logs, the manifest and n1scan's output are kept in
# CMAKE_BINARY_DIR/Testing/analyze/ for inspection.
set -euo pipefail
n1scan=$1
root=$2
bindir=$3
here=$root/tests/integration
workload=$bindir/tests/n1_workload
schema=$root/docs/findings.schema.json
# shellcheck source=tests/integration/lib_mariadb.sh
source "$here/lib_mariadb.sh"

for f in "$n1scan" "$workload"; do
    if [ ! -x "$f" ]; then
        echo "test_analyze: $f is missing; build the project first" >&2
        exit 1
    fi
done
python3 "$here/check_analyze.py" --self-test
python3 "$root/tests/cli/check_findings.py" --self-test

work=$(mktemp -d)
mdb_register_tmp "$work"
mdb_start
"$workload" --socket "$MDB_SOCKET" --manifest "$work/manifest.jsonl" \
    --scenario analyze
# Close and reopen both logs so that every line is on disk, then copy
# them; the server keeps running for the rewrite checks.
mdb_sql "FLUSH GENERAL LOGS, SLOW LOGS"
cp "$MDB_GENERAL_LOG" "$work/general.log"
cp "$MDB_SLOW_LOG" "$work/slow.log"

keep_for_inspection()
{
    local dest=$bindir/Testing/analyze

    rm -rf "$dest"
    mkdir -p "$dest"
    cp "$work"/* "$dest/" 2>/dev/null || true
    echo "test_analyze: logs and outputs kept in $dest" >&2
}

# Runs analyze on one log into $work/NAME.json; exit 0 is required (no
# line of a real server's log may be skipped, findings do not fail).
analyze_log()
{
    local name=$1 log=$2 rc=0

    "$n1scan" analyze --db "$work/$name.db" --format json "$log" \
        >"$work/$name.json" 2>"$work/$name.stderr" || rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "test_analyze: n1scan analyze on the $name log exited $rc:" >&2
        cat "$work/$name.stderr" >&2
        return 1
    fi
    # The text report of the same store must work too (from the store).
    "$n1scan" analyze --db "$work/$name.db" "$log" >"$work/$name.txt" \
        2>>"$work/$name.stderr" || rc=$?
    if [ "$rc" -ne 0 ] || ! grep -q "^\[1\] " "$work/$name.txt"; then
        echo "test_analyze: text re-run on the $name log failed ($rc)" >&2
        return 1
    fi
}

status=0
analyze_log general "$work/general.log" || status=1
analyze_log slow "$work/slow.log" || status=1
if [ "$status" -eq 0 ]; then
    python3 "$here/check_analyze.py" --manifest "$work/manifest.jsonl" \
        --schema "$schema" --log "general=$work/general.json" \
        --log "slow=$work/slow.json" --socket "$MDB_SOCKET" --db n1_an ||
        status=1
fi
if [ "$status" -ne 0 ]; then
    keep_for_inspection
fi
exit "$status"
