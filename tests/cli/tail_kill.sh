#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `n1digest tail` killed with SIGKILL at several points of a growing
# MariaDB general log in which N+1 loops and fan-outs are open across
# appends (half of each fan-out's connections open in one append, quitting
# in the next, where the other half runs): right after a start, in the middle of a backlog, and caught up
# with a fan-out pending. After the last restart tail runs to the end of
# the log and stops on SIGTERM. Then the printed findings and the store
# must equal `n1digest analyze` on the whole file
# (tests/integration/check_tail.py): every fan-out and loop once, none
# twice (but the one-commit overlap docs/tail.md allows after a kill),
# none missed, every statement counted once.
#
# usage: tail_kill.sh N1DIGEST FIXTURES_DIR
set -uo pipefail
n1digest=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$2/.." && pwd)
check=$root/tests/integration/check_tail.py
# shellcheck source=tests/cli/lib_tail.bash
source "$(dirname "$0")/lib_tail.bash"

# append K N: appends chunk K of the log, N short connections with loops
# before the fan-out halves (chunk 0 writes the banner).
append()
{
    python3 - live.log "$1" "$2" <<'PY'
import sys, time
path, k, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
T0 = 1732536000 + 100 * k
stamp = lambda s: time.strftime("%y%m%d %H:%M:%S", time.gmtime(T0 + s))
out = open(path, "a")
if k == 0:
    out.write("/usr/sbin/mariadbd, Version: 10.11.6-MariaDB-log (Debian 12)."
              " started with:\nTcp port: 3306  Unix socket: /run/mysqld/"
              "mysqld.sock\nTime\t\t    Id Command\tArgument\n")
last = [None]
def line(sec, conn, cmd, arg):
    pre = "\t\t" if last[0] == sec else stamp(sec) + "\t"
    last[0] = sec
    out.write("%s%6d %s\t%s\n" % (pre, conn, cmd, arg))
def member(sec, fan, j, quit=True):
    c = 500000 + 100 * fan + j
    line(sec, c, "Connect", "w@10.0.0.1 on shop using TCP/IP")
    line(sec, c, "Query", "SELECT * FROM users WHERE id = %d" % (1000 * fan + j))
    if quit:
        line(sec, c, "Quit", "")
if k > 0:  # fan-out k - 1 goes on in its second: the first half quits,
    last[0] = -1  # the second half runs
    for j in range(0, 3):
        line(-1, 500000 + 100 * (k - 1) + j, "Quit", "")
    for j in range(3, 6):
        member(-1, k - 1, j)
for i in range(n):  # within seconds 0 to 89: the log's time never goes back
    c, sec = 1000 * (k + 1) + i, i * 90 // n
    line(sec, c, "Connect", "app@10.0.0.2 on shop using TCP/IP")
    line(sec, c, "Query", "SELECT id FROM orders WHERE customer_id = %d" % c)
    for r in range(6):
        line(sec, c, "Query", "SELECT * FROM items WHERE order_id = %d"
             % (10 * c + r))
    line(sec, c, "Quit", "")
# fan-out k begins in the last second of the chunk: its first half
# connects and runs its statement; they quit in the next chunk, as a
# server logs connections still open when tail reads (a log line cannot
# turn up seconds after the time it carries, so none is held back)
for j in range(0, 3):
    member(99, k, j, quit=False)
PY
}

# start: the next run, its findings in out.N (N = 1, 2, ...).
runs=0
start()
{
    runs=$((runs + 1))
    "$n1digest" tail --db t.db --format json live.log >"out.$runs" 2>>err &
    tail_pid=$!
}

kill9()
{
    kill -9 "$tail_pid"
    { wait "$tail_pid"; } 2>/dev/null
    tail_pid=
}

cd "$work" || exit 2
append 0 20 || exit 2
# 1: killed 0.05 s after its start.
start
sleep 0.05
kill9
# 2: caught up, the fan-out of chunk 0 pending.
start
tail_caught_up t.db live.log || fail "run 2 did not catch up"
sleep 0.3
kill9
# 3: a backlog of 3000 connections, killed in the middle of it.
append 1 3000 || exit 2
start
sleep 0.4
kill9
# 4: caught up with fan-out 1 pending, then killed while it grows.
start
tail_caught_up t.db live.log || fail "run 4 did not catch up"
append 2 5 || exit 2
sleep 0.2
kill9
# 5: twice in a row right after the start, with more appended between.
append 3 5 || exit 2
start
sleep 0.15
kill9
append 4 5 || exit 2
start
tail_caught_up t.db live.log || fail "run 5 did not catch up"
kill9
# Last: closes fan-out 4 and runs to the end.
append 5 2 || exit 2
start
tail_caught_up t.db live.log || fail "last run did not catch up"
sleep 2.5
kill -TERM "$tail_pid"
rc=0
wait "$tail_pid" || rc=$?
tail_pid=
[ "$rc" -eq 0 ] || fail "last run: exit $rc after SIGTERM, expected 0"

"$n1digest" analyze --db ref.db --format json live.log >ref.json 2>/dev/null
fans=$(python3 - "$root/tests/cli" ref.json <<'PY'
import json, sys
sys.path.insert(0, sys.argv[1])
from check_findings import flat_findings
with open(sys.argv[2]) as fh:
    print(sum(f["kind"] == "fanout" for f in flat_findings(json.load(fh))))
PY
)
[ "$fans" = 5 ] || fail "analyze finds ${fans:-no} fan-outs, expected 5"
outs=()
for ((i = 1; i <= runs; i++)); do
    outs+=("out.$i")
done
python3 "$check" --tail-out "${outs[@]}" --tail-db t.db --ref-json ref.json \
    --ref-db ref.db >check.txt 2>&1 || {
    fail "tail and analyze disagree"
    grep -v '^    ' check.txt | head -30 >&2
}

if [ "$fails" -ne 0 ]; then
    echo "tail_kill: $fails failure(s)" >&2
    exit 1
fi
echo "tail_kill: ok ($(cat "${outs[@]}" | wc -l) findings over $runs runs)"
