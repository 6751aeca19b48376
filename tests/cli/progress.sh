#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Progress on a terminal: reading files shows the percent of their bytes
# read and the time remaining beside the rates ("60% 00:19 remain", as
# pt-query-digest), the last line of the run saying 100% (a compressed
# file too, by its compressed bytes); a pipe shows
# bytes and rates only; stderr that is not a terminal gets no progress
# at all. The terminal is a pty from script(1) (util-linux).
#
# usage: progress.sh N1DIGEST FIXTURES_DIR
set -uo pipefail
n1digest=$1
fixtures=$2
# shellcheck source=tests/cli/lib.bash
source "$(dirname "$0")/lib.bash"

if ! command -v script >/dev/null 2>&1; then
    echo "progress.sh: script(1) is not installed" >&2
    exit 77
fi

a=$fixtures/general/mysql-8.0.log
b=$fixtures/slow/mysql-8.0.log
size_a=$(stat -c %s "$a")
size_b=$(stat -c %s "$b")

# on_tty OUT CMD: runs CMD with a pty as its terminal; its terminal output
# (stderr included), carriage returns as newlines, in OUT.
on_tty()
{
    local out=$1
    shift
    script -qec "$*" "$work/typescript" >/dev/null 2>&1
    tr '\r' '\n' <"$work/typescript" >"$out"
}

# Two files: after the first its share of both, with the time
# remaining; after the second 100% and no time remaining.
on_tty "$work/two" "'$n1digest' digest --db :memory: '$a' '$b' >/dev/null"
first=$((size_a * 100 / (size_a + size_b)))
if grep -qE "^n1digest: .*mysql-8\.0\.log: $first% [0-9]{2}:[0-9]{2} remain, [0-9.]+ MB, [0-9]+ MB/s, [0-9]+ events/s" "$work/two"; then
    pass
else
    fail "two files: no '$first% MM:SS remain' line after the first"
    cat -v "$work/two" >&2
fi
if grep -qE "^n1digest: .*mysql-8\.0\.log: 100%, [0-9.]+ MB, " "$work/two"; then
    pass
else
    fail "two files: no 100% line at the end"
    cat -v "$work/two" >&2
fi

# A compressed file: its compressed bytes decoded against its size.
gz=$fixtures/compressed/insert-id.log.gz
on_tty "$work/gz" "'$n1digest' digest --db :memory: '$gz' >/dev/null"
if grep -qE "^n1digest: .*insert-id\.log\.gz: 100%, [0-9.]+ MB, " "$work/gz"
then
    pass
else
    fail "gzip: no 100% line at the end"
    cat -v "$work/gz" >&2
fi

# A pipe: nothing to take a percent of.
on_tty "$work/pipe" "'$n1digest' digest --db :memory: - <'$a' >/dev/null"
if grep -qE "^n1digest: -: [0-9.]+ MB, [0-9]+ MB/s" "$work/pipe" &&
    ! grep -q "%" "$work/pipe"; then
    pass
else
    fail "stdin: expected bytes and rates, no percent"
    cat -v "$work/pipe" >&2
fi

# Not a terminal: no progress.
"$n1digest" digest --db :memory: "$a" "$b" >/dev/null 2>"$work/err"
if grep -qE "MB/s|remain" "$work/err"; then
    fail "not a terminal: progress printed"
    cat -v "$work/err" >&2
else
    pass
fi

echo "progress.sh: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
