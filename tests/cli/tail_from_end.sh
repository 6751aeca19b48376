#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `n1digest tail --from-end` starts at the end of the log, as `tail -n0
# -F`: what the file held before is not counted, what is written after is.
# A restart without it resumes from the saved position (the statements
# written while it was down are counted); a restart with it skips them,
# past the saved position: an explicit --from-end wins.
#
# The counts below are the statements appended while a run was
# following (or, for the plain restart, while it was down): each append
# is one statement of its own table, so the stored classes name them.
#
# usage: tail_from_end.sh N1DIGEST FIXTURES_DIR
set -uo pipefail
n1digest=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
# shellcheck source=tests/cli/lib_tail.bash
source "$(dirname "$0")/lib_tail.bash"

# noted FILE TEXT: waits (30 s at most) until FILE has TEXT.
noted()
{
    for _ in $(seq 300); do
        if grep -qF -- "$2" "$1" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# add TABLE: appends one statement on TABLE to live.log.
add()
{
    printf '261203  9:%02d:00\t    5 Query\tSELECT * FROM %s WHERE id = 1\n' \
        "$((RANDOM % 60))" "$1" >>live.log
}

# start NAME [OPTION]: starts tail in the background, stderr in NAME.err;
# returns once it follows (and, with --from-end, has taken the end).
start()
{
    local name=$1
    shift
    "$n1digest" tail --db t.db --format json "$@" live.log >"$name.out" \
        2>"$name.err" &
    tail_pid=$!
    noted "$name.err" "following live.log" || fail "$name: not following"
    if [ "$*" = "--from-end" ]; then
        noted "$name.err" "--from-end: starting at byte" ||
            fail "$name: no --from-end note"
    fi
}

# stop NAME: SIGTERM, exit 0 expected.
stop()
{
    local rc=0
    kill -TERM "$tail_pid"
    wait "$tail_pid" || rc=$?
    tail_pid=
    [ "$rc" -eq 0 ] || fail "$1: exit $rc after SIGTERM"
}

# tables WANT: the stored classes are exactly the tables WANT (sorted,
# space-separated).
tables()
{
    local got
    got=$("$n1digest" digest --db t.db --format json --limit all 2>/dev/null |
        python3 -c '
import json, re, sys
d = json.load(sys.stdin)
print(" ".join(sorted(re.search(r"from (\w+)", c["fingerprint"]).group(1)
                      for c in d["classes"])))')
    [ "$got" = "$1" ] || fail "stored tables: got '$got', expected '$1'"
}

cd "$work" || exit 2
{
    printf '/usr/sbin/mariadbd, Version: 10.11.6-MariaDB-log. started with:\n'
    printf 'Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock\n'
    printf 'Time\t\t    Id Command\tArgument\n'
    printf '261203  8:00:00\t    5 Connect\tapp@localhost on shop using Socket\n'
} >live.log
for t in old_a old_b old_c; do
    add "$t"
done

# 1. --from-end on a log with history and no saved state: old_a..old_c
#    are not read; new_a and new_b, written after, are.
start first --from-end
add new_a
add new_b
tail_caught_up t.db live.log || fail "first run did not catch up"
stop first
tables "new_a new_b"
# The log's times are local (MariaDB) and no zone was given: said once.
[ "$(grep -c 'times read as UTC; give --tz or --tz-offset' first.err)" = 1 ] ||
    fail "first: the zone assumed is not said once"

# 2. Without --from-end a restart resumes from the saved position: down_a,
#    written while it was down, is counted.
add down_a
start second
add new_c
tail_caught_up t.db live.log || fail "second run did not catch up"
stop second
tables "down_a new_a new_b new_c"

# 3. --from-end wins over the saved position: down_b, written while it
#    was down, is skipped; new_d, written after the start, is counted.
add down_b
start third --from-end
add new_d
tail_caught_up t.db live.log || fail "third run did not catch up"
stop third
tables "down_a new_a new_b new_c new_d"

if [ "$fails" -ne 0 ]; then
    echo "$fails failure(s)" >&2
    exit 1
fi
echo "tail_from_end.sh: all passed"
