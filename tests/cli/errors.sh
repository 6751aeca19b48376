#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Errors carry one code token: a failed write of the report exits 2 with
# one error line on stderr, "n1digest: TOKEN message", and no word of the
# line after the token reads as a token again; usage errors likewise, and
# check's verdict on input it cannot judge.
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

# The words that read as an error token. A line of stderr may hold one
# of them, as its code token; a second one (SYSTEM WRITE, USAGE USAGE,
# PARSE ...: BASELINE) is a message that starts with a token of its own.
token_words='SYSTEM|SYS|PARSE|RULES|STORE|USAGE|LIMIT|WRITE|NOMEM|INPUT|BASELINE'

# single_tokens NAME ERRFILE: no line of ERRFILE holds a token word twice
# (or two different ones).
single_tokens() {
    awk -v name="$1" -v words="^(${token_words})[:,;]?\$" '{
        n = 0
        for (i = 1; i <= NF; i++) {
            if ($i ~ words) {
                n++
            }
        }
        if (n > 1) {
            print "FAIL: " name ": " n " tokens: " $0 > "/dev/stderr"
            bad = 1
        }
    }
    END { exit bad }' "$2" || fails=$((fails + 1))
}

# one_token NAME ERRFILE: ERRFILE holds exactly one line with a code
# token, and no line names a second one.
one_token() {
    local lines
    lines=$(grep -cE '^n1digest: (SYSTEM|PARSE|RULES|STORE|USAGE|LIMIT) ' \
        "$2")
    [ "$lines" -eq 1 ] || fail "$1: $lines error lines: $(cat "$2")"
    single_tokens "$1" "$2"
}

# gate_input NAME ERRFILE: check's verdict on unreadable input is one
# "n1digest: INPUT <prose>" line, and no line names a second token.
gate_input() {
    local lines
    lines=$(grep -cE '^n1digest: INPUT [^A-Z]' "$2")
    [ "$lines" -eq 1 ] || fail "$1: $lines INPUT lines: $(cat "$2")"
    single_tokens "$1" "$2"
}

# 1. the report cannot be written
for fmt in text json html; do
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

# 3. check on input it cannot judge: not a log, no event, skipped lines
printf 'hello\nworld\n' >"$work/notalog.txt"
: >"$work/empty.log"
for input in "$work/notalog.txt" "$work/empty.log" \
    "$fx/general/garbage.log"; do
    rc=0
    "$n1" check "$input" >/dev/null 2>"$work/err" || rc=$?
    [ "$rc" -eq 3 ] || fail "check $(basename "$input"): exit $rc"
    gate_input "check $(basename "$input")" "$work/err"
done

if [ "$fails" -ne 0 ]; then
    echo "errors: $fails failure(s)" >&2
    exit 1
fi
echo "errors: ok"
