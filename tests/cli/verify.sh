#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `n1digest verify` without a server: the report is read (and refused
# with one line naming the file, exit 3) before any connection; usage
# errors exit 2; an unreachable server exits 5 with one line naming it
# and leaves no store behind. tests/integration/test_verify.sh checks
# the verdicts on a real server.
# usage: verify.sh N1DIGEST FIXTURES_DIR
set -u
n1=$1
fx=$2
# shellcheck source=tests/cli/lib.bash
source "$(dirname "$0")/lib.bash"
none=$work/no-such-dir/mysqld.sock

# Not JSON: PARSE, the file and the line.
printf '{\n"classes": [' >"$work/cut.json"
if expect_status 3 "cut report" "$n1" verify --socket "$none" \
    --db "$work/s.db" "$work/cut.json"; then
    grep -q "^n1digest: PARSE $work/cut.json:2: not JSON" "$work/err" ||
        fail "cut report: $(cat "$work/err")"
fi
# JSON, but no classes (the hand-written expectation files).
if expect_status 3 "no classes" "$n1" verify --socket "$none" \
    "$fx/analyze/mysql-8.0-general.expected.json"; then
    grep -q 'not an analyze JSON report: no "classes" array' "$work/err" ||
        fail "no classes: $(cat "$work/err")"
fi
expect_status 2 "no operand" "$n1" verify --socket "$none"
expect_status 2 "bad timeout" "$n1" verify --timeout -1 "$work/cut.json"
expect_status 2 "bad id" "$n1" verify --id 12 "$work/cut.json"

# A real report (analyzed here) and no server: exit 5, one line naming
# the socket; nothing created in the store's place.
"$n1" analyze --db "$work/a.db" --format json \
    "$fx/analyze/mysql-8.0-general.log" >"$work/r.json" 2>/dev/null ||
    fail "analyze failed"
if expect_status 5 "no server" "$n1" verify --socket "$none" \
    --db "$work/v.db" "$work/r.json"; then
    if [ "$(wc -l <"$work/err")" -ne 1 ] || ! grep -q "$none" "$work/err"; then
        fail "no server: $(cat "$work/err")"
    fi
    [ ! -e "$work/v.db" ] || fail "no server: a store was created"
fi
# --id of a finding the report lacks: nothing to check, exit 0.
expect_status 0 "unknown id" "$n1" verify --socket "$none" \
    --id 0123456789abcdef "$work/r.json"
grep -q "no N+1 or fan-out finding with that id" "$work/err" ||
    fail "unknown id: $(cat "$work/err")"

echo "verify.sh: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
