#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `n1digest tail` restarts from its committed state, not from byte 0: on a
# 17 MB general log (tests/cli/tail_log.py) tail catches up, is killed
# with SIGKILL, the log grows (an N+1 loop open at the kill goes on, and
# a connection whose user and schema were logged only at the start of
# the file runs again, within the same second, so without a time
# column), and a second tail catches up and stops on SIGTERM. Then:
#
# * the second run parsed well under 1 MB: its work follows what is past
#   the low-water mark, not the file size;
# * the printed findings and the stored per-fingerprint counts equal
#   `n1digest analyze` on the whole file (tests/integration/check_tail.py):
#   none twice, none missed;
# * the stored first/last times of every fingerprint and the schema,
#   user and host of the late connection's statements equal analyze's,
#   so the reader state carried over the restart was right.
#
# usage: tail_resume.sh N1DIGEST FIXTURES_DIR
set -uo pipefail
n1digest=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$2/.." && pwd)
gen=$root/tests/cli/tail_log.py
check=$root/tests/integration/check_tail.py
# shellcheck source=tests/cli/lib_tail.bash
source "$(dirname "$0")/lib_tail.bash"

cd "$work" || exit 2
python3 "$gen" head live.log 25000 || exit 2

"$n1digest" tail --db t.db --format json live.log >out1 2>err1 &
tail_pid=$!
tail_caught_up t.db live.log || fail "first run did not catch up"
kill -9 "$tail_pid"
{ wait "$tail_pid"; } 2>/dev/null
tail_pid=

python3 "$gen" more live.log 100 || exit 2
size=$(stat -c %s live.log)

"$n1digest" tail --db t.db --format json live.log >out2 2>err2 &
tail_pid=$!
tail_caught_up t.db live.log || fail "second run did not catch up"
kill -TERM "$tail_pid"
rc=0
wait "$tail_pid" || rc=$?
tail_pid=
[ "$rc" -eq 0 ] || fail "second run: exit $rc after SIGTERM, expected 0"

parsed=$(sed -n 's/.* \([0-9][0-9]*\) bytes parsed$/\1/p' err2)
if [ -z "$parsed" ]; then
    fail "second run: no 'bytes parsed' on stderr"
    cat err2 >&2
elif [ "$parsed" -ge 1000000 ]; then
    fail "second run parsed $parsed of $size bytes (expected < 1 MB)"
    cat err2 >&2
fi

"$n1digest" analyze --db ref.db --format json live.log >ref.json 2>/dev/null
# The two runs' outputs apart: the kill may land after the first run
# printed its last commit's lines and before it marked them printed, and
# the second run then prints them again first (the one-commit overlap of
# docs/tail.md), which check_tail.py counts once only between runs.
python3 "$check" --tail-out out1 out2 --tail-db t.db --ref-json ref.json \
    --ref-db ref.db >check.txt 2>&1 || {
    fail "tail and analyze disagree"
    head -20 check.txt >&2
}

python3 - t.db ref.db <<'PY' || fail "stored times or late connection differ"
import sqlite3, sys

def load(path):
    con = sqlite3.connect(path)
    times = sorted(con.execute(
        "SELECT hex, count, first_seen, last_seen FROM fingerprints"))
    late = sorted(con.execute(
        "SELECT v.kind, v.value, v.count FROM fp_values v"
        " JOIN fingerprints f ON f.id = v.fp_id"
        " WHERE f.text LIKE '%settings%'"))
    return times, late

got, want = load(sys.argv[1]), load(sys.argv[2])
if got[0] != want[0]:
    print("fingerprints: tail %s\n  analyze %s" % (got[0], want[0]),
          file=sys.stderr)
if got[1] != want[1] or ("db", "earlydb", 2) not in got[1]:
    print("late connection: tail %s, analyze %s" % (got[1], want[1]),
          file=sys.stderr)
sys.exit(got != want or ("db", "earlydb", 2) not in got[1])
PY

if [ "$fails" -ne 0 ]; then
    echo "tail_resume: $fails failure(s)" >&2
    exit 1
fi
echo "tail_resume: ok (restart parsed $parsed of $size bytes)"
