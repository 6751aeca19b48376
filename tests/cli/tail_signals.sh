#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `n1digest tail` and signals. SIGHUP (logrotate's postrotate) does not end
# tail: it reopens the path, so after a rename rotation and a new file
# the loop written to the new file is reported too. SIGINT ends it with
# exit 0 after a last commit: the store's commit point is the end of the
# new file, and "stopped:" counts every statement of both files.
#
# usage: tail_signals.sh N1DIGEST FIXTURES_DIR
set -uo pipefail
n1digest=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
# shellcheck source=tests/cli/lib_tail.bash
source "$(dirname "$0")/lib_tail.bash"

# general_log TABLE CONN: a MariaDB general log in which connection CONN
# runs one per-key loop of 7 SELECTs on TABLE, then quits.
general_log()
{
    printf '/usr/sbin/mariadbd, Version: 10.11.6-MariaDB-log (Debian 12). '
    printf 'started with:\n'
    printf 'Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock\n'
    printf 'Time\t\t    Id Command\tArgument\n'
    printf '241125 12:00:00\t     %d Connect\tapp@h on shop using TCP/IP\n' \
        "$2"
    for k in 1 2 3 4 5 6 7; do
        printf '\t\t     %d Query\tSELECT * FROM %s WHERE id = %d\n' \
            "$2" "$1" "$k"
    done
    printf '\t\t     %d Quit\t\n' "$2"
}

# lines FILE: its line count; 0 while the shell has not created it yet.
lines()
{
    if [ -f "$1" ]; then
        wc -l <"$1"
    else
        echo 0
    fi
}

# wait_lines FILE N: waits (10 s at most) until FILE has N lines.
wait_lines()
{
    local n=0
    while [ "$(lines "$1")" -lt "$2" ] && [ $n -lt 100 ]; do
        sleep 0.1
        n=$((n + 1))
    done
    [ "$(lines "$1")" -ge "$2" ]
}

cd "$work" || exit 2
general_log items 9 >general.log
"$n1digest" tail --db t.db --format json general.log >out 2>err &
tail_pid=$!
wait_lines out 1 || fail "the first loop was not reported"

kill -HUP "$tail_pid"
sleep 0.5
kill -0 "$tail_pid" 2>/dev/null || fail "SIGHUP ended tail"

# logrotate without copytruncate: rename, the server opens a new file,
# postrotate sends SIGHUP.
mv general.log general.log.1
general_log lines 12 >general.log
kill -HUP "$tail_pid"
wait_lines out 2 || fail "the loop in the new file was not reported"

kill -INT "$tail_pid"
rc=0
wait "$tail_pid" || rc=$?
tail_pid=
[ "$rc" -eq 0 ] || fail "exit $rc after SIGINT, expected 0"

tables=$(python3 -c '
import json, sys
print(" ".join(json.loads(l)["table"] for l in open(sys.argv[1])))' out)
[ "$tables" = "items lines" ] ||
    fail "findings on '$tables', expected 'items lines'"
grep -q 'stopped: 14 statements counted, 2 findings reported' err ||
    fail "stop line: $(grep stopped err)"
committed=$(python3 -c '
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
print(con.execute("SELECT f.offset FROM tail_state t JOIN files f"
                  " ON f.id = t.file_id").fetchone()[0])' t.db)
[ "$committed" = "$(stat -c %s general.log)" ] ||
    fail "commit point $committed, expected $(stat -c %s general.log)"

# A path that does not exist yet: one note saying tail waits for it, then
# the file is followed once it appears.
"$n1digest" tail --db w.db later.log >wout 2>werr &
wpid=$!
for _ in $(seq 50); do
    grep -q 'waiting for it to appear' werr && break
    sleep 0.1
done
[ "$(grep -c 'later.log does not exist yet: waiting for it to appear' \
    werr)" = 1 ] || fail "missing path: no single waiting note"
general_log items 12 >later.log
for _ in $(seq 100); do
    grep -q 'n_plus_one' wout && break
    sleep 0.1
done
kill -TERM "$wpid"
wait "$wpid" || fail "missing path: exit $? after SIGTERM"
grep -q 'n_plus_one' wout || fail "missing path: the file was not followed"
[ "$(grep -c 'waiting for it' werr)" = 1 ] ||
    fail "missing path: the waiting note is repeated"

if [ "$fails" -ne 0 ]; then
    cat err >&2
    echo "tail_signals: $fails failure(s)" >&2
    exit 1
fi
echo "tail_signals: ok"
