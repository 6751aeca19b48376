#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `n1digest tail` and a log rotated while tail was stopped. tail keys its
# state by the file (device, inode, head hash), not by the path, so:
#
# 1. the log grows after tail stops, is renamed to .1 and a new file
#    takes the path: the restart finishes the old file where it now lies
#    (found by identity in the same directory), says so with the bytes it
#    got after the stop, then reads the new file from byte 0. Every loop
#    of both files is reported once, every statement counted once, as
#    analyze counts them in the two files;
# 2. the same, but the old file was deleted: the restart says the old
#    file is gone and from which byte nothing was read, and reads the new
#    file from byte 0.
#
# usage: tail_rotated.sh N1DIGEST FIXTURES_DIR
set -uo pipefail
n1digest=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
# shellcheck source=tests/cli/lib_tail.bash
source "$(dirname "$0")/lib_tail.bash"

# chunk MINUTE CONN TABLE [banner]: connection CONN at 12:MINUTE runs a
# per-key loop of 7 SELECTs on TABLE and quits; "banner" starts a file.
chunk()
{
    if [ "${4:-}" = banner ]; then
        printf '/usr/sbin/mariadbd, Version: 10.11.6-MariaDB-log (Debian '
        printf '12). started with:\nTcp port: 3306  Unix socket: /run/'
        printf 'mysqld/mysqld.sock\nTime\t\t    Id Command\tArgument\n'
    fi
    printf '241125 12:%02d:00\t     %d Connect\tapp@h on shop using ' "$1" "$2"
    printf 'TCP/IP\n'
    for k in 1 2 3 4 5 6 7; do
        printf '\t\t     %d Query\tSELECT * FROM %s WHERE id = %d\n' \
            "$2" "$3" "$k"
    done
    printf '\t\t     %d Quit\t\n' "$2"
}

# run DB OUT ERR: tail on g.log until it has committed the whole file,
# then SIGTERM.
run()
{
    "$n1digest" tail --db "$1" --format json g.log >"$2" 2>"$3" &
    tail_pid=$!
    for _ in $(seq 100); do
        grep -q n_plus_one "$2" 2>/dev/null && break
        sleep 0.1
    done
    sleep 1.5
    kill -TERM "$tail_pid"
    wait "$tail_pid" || fail "tail exit $? after SIGTERM"
    tail_pid=
}

# tables OUT: the tables of the findings printed, in order.
tables()
{
    python3 -c '
import json, sys
print(" ".join(json.loads(l)["table"] for l in open(sys.argv[1])))' "$1"
}

cd "$work" || exit 2

# ---- 1: renamed to g.log.1 ---------------------------------------------
chunk 1 10 items banner >g.log
run a.db out1 err1
size0=$(stat -c %s g.log)
chunk 2 11 orders >>g.log
size1=$(stat -c %s g.log)
mv g.log g.log.1
chunk 3 12 users banner >g.log
run a.db out2 err2
[ "$(tables out1)" = items ] || fail "1: first run found '$(tables out1)'"
[ "$(tables out2)" = "orders users" ] ||
    fail "1: restart found '$(tables out2)', expected 'orders users'"
grep -q 'rotated while tail was stopped: finished \./g\.log\.1' err2 ||
    fail "1: no note on finishing g.log.1"
grep -qF "($((size1 - size0)) bytes it got after the stop); reading the new" \
    err2 || fail "1: the note does not say the bytes after the stop"
grep -q 'stopped: 14 statements counted' err2 ||
    fail "1: restart: $(grep stopped err2)"
"$n1digest" analyze --db ref.db --format json g.log.1 g.log >/dev/null 2>&1
# Three chunks of 7 SELECTs, a Connect and a Quit: 27 events in classes
# (the Connect and Quit are administrator command classes).
python3 - a.db ref.db <<'PY' || fail "1: stored counts differ from analyze"
import sqlite3, sys
def counts(p):
    return sorted(sqlite3.connect(p).execute(
        "SELECT hex, count FROM fingerprints"))
got, want = counts(sys.argv[1]), counts(sys.argv[2])
if got != want or sum(c for _, c in got) != 27:
    sys.exit("tail %s, analyze %s" % (got, want))
PY

# ---- 2: the old file deleted -------------------------------------------
rm -f g.log g.log.1
chunk 1 20 items banner >g.log
run b.db out3 err3
size0=$(stat -c %s g.log)
chunk 2 21 orders >>g.log
# The new file is made before the old one goes, so that it cannot get
# the old one's inode (a reused inode with other first bytes is the
# follower's "cannot resume" case, not this one).
chunk 3 22 users banner >g.new
rm g.log
mv g.new g.log
run b.db out4 err4
[ "$(tables out4)" = users ] ||
    fail "2: restart found '$(tables out4)', expected 'users'"
grep -qF "is gone; whatever it got after byte $size0 was not read; reading" \
    err4 || fail "2: no note on the lost file: $(cat err4)"
grep -q 'stopped: 7 statements counted' err4 ||
    fail "2: restart: $(grep stopped err4)"

if [ "$fails" -ne 0 ]; then
    cat err2 err4 >&2
    echo "tail_rotated: $fails failure(s)" >&2
    exit 1
fi
echo "tail_rotated: ok"
