#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The findings stream of `n1digest tail` across a crash: at least once, and
# no line lost. N1DIGEST_TEST_KILL makes tail kill itself with SIGKILL
# right after the commit that stores a finding ("after-commit": before it
# is printed) or right after printing it ("after-print": before it is
# marked printed). A restart prints a stored finding that was not marked
# printed first, once; the one-line repeat of "after-print" is the
# window docs/tail.md describes, and a third run prints nothing.
#
# usage: tail_stream.sh N1DIGEST FIXTURES_DIR
set -uo pipefail
n1digest=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
# shellcheck source=tests/cli/lib_tail.bash
source "$(dirname "$0")/lib_tail.bash"

# run_until FILE LINES ARGS...: runs tail with ARGS, output to FILE, until
# FILE holds LINES lines (10 s at most), then lets it run 1.5 s more and
# stops it with SIGTERM. Sets rc to its exit status.
run_until()
{
    local out=$1 want=$2 n=0
    shift 2
    "$n1digest" tail "$@" >"$out" 2>>"$work/err" &
    tail_pid=$!
    while [ "$(wc -l <"$out")" -lt "$want" ] && [ $n -lt 100 ]; do
        sleep 0.1
        n=$((n + 1))
    done
    sleep 1.5 # time to print more than expected, if it would
    kill -TERM "$tail_pid"
    rc=0
    wait "$tail_pid" || rc=$?
    tail_pid=
}

cd "$work" || exit 2
{
    printf '/usr/sbin/mariadbd, Version: 10.11.6-MariaDB-log (Debian 12). '
    printf 'started with:\n'
    printf 'Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock\n'
    printf 'Time\t\t    Id Command\tArgument\n'
    printf '241125 12:00:00\t     9 Connect\tapp@h on shop using TCP/IP\n'
    printf '\t\t     9 Query\tSELECT id FROM orders WHERE customer_id = 1\n'
    for k in 1 2 3 4 5 6 7; do
        printf '\t\t     9 Query\tSELECT * FROM items WHERE order_id = %d\n' \
            "$k"
    done
    printf '\t\t     9 Quit\t\n'
} >general.log

for fmt in text json; do
    db=$fmt.db
    # Killed between the commit and the print: nothing printed yet.
    rc=0
    { N1DIGEST_TEST_KILL=after-commit timeout 20 "$n1digest" tail --db "$db" \
        --format "$fmt" general.log >"$fmt.1" 2>>err; } 2>/dev/null || rc=$?
    [ "$rc" -eq 137 ] || fail "$fmt after-commit: exit $rc, expected 137"
    [ ! -s "$fmt.1" ] || fail "$fmt after-commit: printed before the kill"

    # The restart prints it first, once; the next run prints nothing.
    run_until "$fmt.2" 1 --db "$db" --format "$fmt" general.log
    [ "$rc" -eq 0 ] || fail "$fmt restart: exit $rc, expected 0"
    [ "$(wc -l <"$fmt.2")" -eq 1 ] ||
        fail "$fmt restart: $(wc -l <"$fmt.2") lines, expected 1"
    grep -q 'n_plus_one\|N+1\|items' "$fmt.2" ||
        fail "$fmt restart: not the loop: $(cat "$fmt.2")"
    run_until "$fmt.3" 0 --db "$db" --format "$fmt" general.log
    [ "$rc" -eq 0 ] || fail "$fmt third run: exit $rc"
    [ ! -s "$fmt.3" ] || fail "$fmt third run printed: $(cat "$fmt.3")"

    # A run without a kill prints the same line.
    run_until "$fmt.ref" 1 --db "ref-$db" --format "$fmt" general.log
    cmp -s "$fmt.2" "$fmt.ref" ||
        fail "$fmt: reprinted '$(cat "$fmt.2")', expected '$(cat "$fmt.ref")'"

    # Killed between the print and the mark: printed, then once more.
    rc=0
    { N1DIGEST_TEST_KILL=after-print timeout 20 "$n1digest" tail \
        --db "p-$db" --format "$fmt" general.log >"$fmt.4" 2>>err; } \
        2>/dev/null || rc=$?
    [ "$rc" -eq 137 ] || fail "$fmt after-print: exit $rc, expected 137"
    cmp -s "$fmt.4" "$fmt.ref" || fail "$fmt after-print: not printed"
    run_until "$fmt.5" 1 --db "p-$db" --format "$fmt" general.log
    cmp -s "$fmt.5" "$fmt.ref" ||
        fail "$fmt after-print restart: '$(cat "$fmt.5")'"
    run_until "$fmt.6" 0 --db "p-$db" --format "$fmt" general.log
    [ ! -s "$fmt.6" ] || fail "$fmt after-print: third run printed"
done

if [ "$fails" -ne 0 ]; then
    echo "tail_stream: $fails failure(s)" >&2
    exit 1
fi
echo "tail_stream: ok"
