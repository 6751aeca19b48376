#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Errors carry one code token: a failed write of the report exits 2 with
# one error line on stderr, "n1digest: TOKEN message", whose token is the
# only one on the line; usage errors likewise.
# usage: errors.sh N1DIGEST FIXTURES_DIR
set -u
n1=$1
fx=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0

fail() {
    echo "FAIL: $*" >&2
    fails=$((fails + 1))
}

# one_token NAME ERRFILE: ERRFILE holds exactly one line with a code
# token, and that line names exactly one.
one_token() {
    local lines
    lines=$(grep -cE '^n1digest: (SYSTEM|PARSE|RULES|STORE|USAGE|LIMIT) ' \
        "$2")
    [ "$lines" -eq 1 ] || fail "$1: $lines error lines: $(cat "$2")"
    grep -E '^n1digest: (SYSTEM|PARSE|RULES|STORE|USAGE|LIMIT) ' "$2" |
        awk -v name="$1" '{
            n = 0
            for (i = 2; i <= NF; i++) {
                if ($i ~ /^(SYSTEM|SYS|PARSE|RULES|STORE|USAGE|LIMIT|NOMEM):?$/) {
                    n++
                }
            }
            if (n != 1) {
                print "FAIL: " name ": " n " tokens: " $0 > "/dev/stderr"
                exit 1
            }
        }' || fails=$((fails + 1))
}

# 1. the report cannot be written
for fmt in text json; do
    rc=0
    "$n1" analyze --format "$fmt" --db :memory: \
        "$fx/sample/settings-general.log" >/dev/full 2>"$work/err" || rc=$?
    [ "$rc" -eq 2 ] || fail "analyze --format $fmt >/dev/full: exit $rc"
    one_token "analyze --format $fmt >/dev/full" "$work/err"
done

# 2. usage errors
rc=0
"$n1" analyze --format xml x.log >/dev/null 2>"$work/err" || rc=$?
[ "$rc" -eq 2 ] || fail "analyze --format xml: exit $rc"
one_token "analyze --format xml" "$work/err"
rc=0
"$n1" tail --gap 0 x.log >/dev/null 2>"$work/err" || rc=$?
[ "$rc" -eq 2 ] || fail "tail --gap 0: exit $rc"
one_token "tail --gap 0" "$work/err"

if [ "$fails" -ne 0 ]; then
    echo "errors: $fails failure(s)" >&2
    exit 1
fi
echo "errors: ok"
