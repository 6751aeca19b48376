#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# N+1 detection against a real server: run the "analyze" workload (every
# loop shape plus look-alikes that must not be reported), then check that
# `n1digest analyze --format json` on the general log and on the slow log
# reports exactly the findings the workload wrote into its manifest, and
# that every rewrite runs on the server and, for SELECT loops, returns the
# union of the rows the loop fetched.
#
# No MySQL 8.0 server is available here, so both logs are also rewritten
# the way MySQL 8.0 writes them (mariadb_to_mysql80.py): n1digest must read
# them as mysql-general and mysql-slow and report the same findings, with
# the same rewrites (run on the server), from them.
#
# usage: test_analyze.sh N1DIGEST SOURCE_ROOT CMAKE_BINARY_DIR
# On failure the logs, the manifest and n1digest's output are kept in
# CMAKE_BINARY_DIR/Testing/analyze/ for inspection.
set -euo pipefail
# shellcheck source=tests/integration/lib_mariadb.sh
source "$(dirname "$0")/lib_mariadb.sh"
mdb_test_args "$@"
schema=$root/docs/findings.schema.json

mdb_require test_analyze python3
mdb_require_built test_analyze "$n1digest" "$workload"
python3 "$here/check_analyze.py" --self-test
python3 "$root/tests/cli/check_findings.py" --self-test

mdb_work_dir
mdb_start
mdb_run_workload "$workload" analyze
# Close and reopen both logs so that every line is on disk, then copy
# them; the server keeps running for the rewrite checks.
mdb_sql "FLUSH GENERAL LOGS, SLOW LOGS"
cp "$MDB_GENERAL_LOG" "$work/general.log"
cp "$MDB_SLOW_LOG" "$work/slow.log"

# Runs analyze on one log into $work/NAME.json; exit 0 is required (no
# line of a real server's log may be skipped, findings do not fail).
analyze_log()
{
    local name=$1 log=$2 rc=0

    "$n1digest" analyze --db "$work/$name.db" --format json "$log" \
        >"$work/$name.json" 2>"$work/$name.stderr" || rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "test_analyze: n1digest analyze on the $name log exited $rc:" >&2
        cat "$work/$name.stderr" >&2
        return 1
    fi
    # The text report of the same store must work too (from the store).
    "$n1digest" analyze --db "$work/$name.db" "$log" >"$work/$name.txt" \
        2>>"$work/$name.stderr" || rc=$?
    if [ "$rc" -ne 0 ] || ! grep -q "^\[1\] " "$work/$name.txt"; then
        echo "test_analyze: text re-run on the $name log failed ($rc)" >&2
        return 1
    fi
}

# 0 when n1digest's stderr for log NAME says it read it as FLAVOUR.
expect_flavour()
{
    local name=$1 flavour=$2

    if ! grep -Fqx "n1digest: $work/$name.log: $flavour" \
        "$work/$name.stderr"; then
        echo "test_analyze: $name.log was not read as $flavour:" >&2
        cat "$work/$name.stderr" >&2
        return 1
    fi
}

# The findings from each MariaDB log and from its MySQL 8.0 rewrite must
# be the same apart from the file, the line (equal in the general log,
# whose lines map one to one) and the times: MariaDB's are whole seconds,
# the rewrite's those seconds plus microseconds, shifted to UTC by one
# constant offset in the general log and not at all in the slow log.
same_findings()
{
    python3 - "$work" <<'EOF'
import json
import os
import re
import sys
from datetime import datetime

DROP = ("file", "line", "first_seen", "last_seen", "evidence")
CLASS_ONLY = ("occurrences", "occurrence_count", "iterations",
              "connection_count", "evidence")


def flat(doc):
    """One dict per occurrence: its class's fields, its own over them."""
    return [dict({k: v for k, v in c.items() if k not in CLASS_ONLY}, **o)
            for c in doc["classes"] for o in c["occurrences"]]


def secs(ts):
    return int(datetime.fromisoformat(ts.replace("Z", "+00:00"))
               .timestamp() // 1)


def in_sorted(m):
    return "in (" + ", ".join(sorted(m.group(1).split(", "))) + ")"


def key(f):
    g = {k: v for k, v in f.items() if k not in DROP}
    if g.get("kind") == "fanout":
        # Members are listed by first-statement time: MariaDB's whole
        # seconds tie where the rewrite's microseconds do not, so the
        # order (and the IN list's) may differ; the sets may not.
        g["connections"] = sorted(g.get("connections") or [])
        if g.get("rewrite"):
            g["rewrite"] = re.sub(r"in \(([^()]*)\)", in_sorted,
                                  g["rewrite"])
    return json.dumps(g, sort_keys=True)


def compare(kind):
    """Differences between KIND.json and mysql-KIND.json, as text."""
    with open(os.path.join(sys.argv[1], kind + ".json"),
              encoding="utf-8") as f:
        mdb = json.load(f)
    with open(os.path.join(sys.argv[1], "mysql-" + kind + ".json"),
              encoding="utf-8") as f:
        my = json.load(f)
    bad = []
    a = sorted(flat(mdb), key=key)
    b = sorted(flat(my), key=key)
    ka, kb = [key(f) for f in a], [key(f) for f in b]
    if ka != kb:
        bad += ["only from MariaDB's log: " + k for k in ka if k not in kb]
        bad += ["only from MySQL's log: " + k for k in kb if k not in ka]
        return bad or ["the same findings, but not as many of each"]
    shifts = set()
    for x, y in zip(a, b):
        if kind == "general" and x["line"] != y["line"]:
            bad.append("%s: line %s, %s" % (x["id"], x["line"], y["line"]))
        for t in ("first_seen", "last_seen"):
            if (x[t] is None) != (y[t] is None):
                bad.append("%s: %s %s, %s" % (x["id"], t, x[t], y[t]))
            elif x[t] is not None:
                shifts.add(secs(y[t]) - secs(x[t]))
    if len(shifts) > 1 or (kind == "slow" and shifts - {0}):
        bad.append("times shifted by %s s" % sorted(shifts))
    if [i["events"] for i in mdb["inputs"]] != \
            [i["events"] for i in my["inputs"]]:
        bad.append("events read: %s, %s" % (mdb["inputs"], my["inputs"]))
    return bad


status = 0
for kind in ("general", "slow"):
    for line in compare(kind):
        print("test_analyze: %s vs mysql-%s: %s" % (kind, kind, line),
              file=sys.stderr)
        status = 1
sys.exit(status)
EOF
}

status=0
python3 "$here/mariadb_to_mysql80.py" --self-test \
    --general "$work/general.log" "$work/mysql-general.log" \
    --slow "$work/slow.log" "$work/mysql-slow.log" || status=1
analyze_log general "$work/general.log" || status=1
analyze_log slow "$work/slow.log" || status=1
if [ "$status" -eq 0 ]; then
    analyze_log mysql-general "$work/mysql-general.log" || status=1
    analyze_log mysql-slow "$work/mysql-slow.log" || status=1
fi
if [ "$status" -eq 0 ]; then
    expect_flavour mysql-general mysql-general || status=1
    expect_flavour mysql-slow mysql-slow || status=1
    python3 "$here/check_analyze.py" --manifest "$work/manifest.jsonl" \
        --schema "$schema" --log "general=$work/general.json" \
        --log "slow=$work/slow.json" --socket "$MDB_SOCKET" --db n1_an ||
        status=1
    # Running the rewrites again would double the test's time: they are
    # compared with the ones run on the server just above instead.
    python3 "$here/check_analyze.py" --manifest "$work/manifest.jsonl" \
        --schema "$schema" --log "mysql-general=$work/mysql-general.json" \
        --log "mysql-slow=$work/mysql-slow.json" || status=1
    same_findings || status=1
fi
if [ "$status" -ne 0 ]; then
    mdb_keep_for_inspection test_analyze "$bindir/Testing/analyze"
fi
exit "$status"
