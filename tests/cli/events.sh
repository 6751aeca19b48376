#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# CLI test for `n1digest events`: text and --json output, stdin, gzip,
# several files, the per-file summary and the exit statuses.
# usage: events.sh N1DIGEST FIXTURES_DIR
set -u
n1=$1
fx=$2
# shellcheck source=tests/cli/lib.bash
source "$(dirname "$0")/lib.bash"

# expect_exit NAME WANT GOT
expect_exit() {
    if [ "$2" != "$3" ]; then
        fail "$1: exit status $3, expected $2"
    fi
}

# 1. --help goes to stdout and exits 0; no LOG is a usage error.
"$n1" events --help >"$work/out" 2>"$work/err"
expect_exit help 0 $?
grep -q '^usage: n1digest events' "$work/out" || fail "help text"
[ -s "$work/err" ] && fail "help wrote to stderr"
"$n1" events >"$work/out" 2>"$work/err"
expect_exit no-log 2 $?
"$n1" events --bogus "$fx/slow/mysql-5.7.log" >"$work/out" 2>"$work/err"
expect_exit bad-option 2 $?
"$n1" events --max-statement x "$fx/slow/mysql-5.7.log" >/dev/null 2>&1
expect_exit bad-size 2 $?

# 2. text output: one line per event; the summary on stderr.
"$n1" events "$fx/general/mysql-5.6-legacy.log" >"$work/out" 2>"$work/err"
expect_exit text 0 $?
f="$fx/general/mysql-5.6-legacy.log"
printf '%s\n' \
    "$f:4	2014-11-25T12:00:00.000000Z	1	connect	shop	root@localhost on shop" \
    "$f:5	2014-11-25T12:00:00.000000Z	1	query	shop	SELECT 1" \
    "$f:6	2014-11-25T12:00:01.000000Z	1	query	test	USE test" \
    "$f:7	2014-11-25T12:00:01.000000Z	1	query	test	SELECT 2" \
    "$f:8	2014-11-25T12:00:01.000000Z	1	quit	test	" >"$work/exp"
check text "$work/exp" "$work/out"
# Its "141125 12:00:00" times are local and nothing gave the zone: the
# summary says they were read as UTC.
printf '%s\n' \
    "n1digest: $f: legacy-general: 5 events, 0 lines skipped, 0 events skipped" \
    "n1digest: $f: times read as UTC; give --tz or --tz-offset if the server wrote local time" \
    >"$work/exp"
check summary "$work/exp" "$work/err"

# 3. --json: every field, exactly.
"$n1" events --json "$fx/slow/mysql-8.0.log" >"$work/out" 2>/dev/null
expect_exit json 0 $?
f="$fx/slow/mysql-8.0.log"
cat >"$work/exp" <<X
{"file":"$f","line":17,"offset":999,"end_offset":1217,"ts":"2024-11-25T12:00:02.000000Z","conn":8,"cmd":"quit","command":"Quit","user":"root","host":"localhost","db":"shop","sql":"administrator command: Quit","metrics":{"Query_time":1e-6,"Lock_time":0.0,"Rows_sent":0,"Rows_examined":0},"attrs":{"Time":"2024-11-25T12:00:02.000001Z","User@Host":"root[root] @ localhost []","Id":"8","Query_time":"0.000001","Lock_time":"0.000000","Rows_sent":"0","Rows_examined":"0"},"truncated":false}
X
tail -n 1 "$work/out" >"$work/last"
check json-last "$work/exp" "$work/last"
[ "$(wc -l <"$work/out")" -eq 3 ] || fail "json: 3 lines expected"
grep -q '"sql":"SELECT name\\n  FROM items\\n WHERE id IN (1, 2, 3)"' \
    "$work/out" || fail "json: multi-line sql"
grep -q '"Start":"2024-11-25T12:00:00.500023Z"' "$work/out" ||
    fail "json: Start attr"

# 4. JSON stays valid UTF-8; NUL bytes survive as \u0000.
"$n1" events --json "$fx/general/invalid-utf8.log" \
    "$fx/general/nul-bytes.log" >"$work/out" 2>/dev/null
expect_exit json-bytes 0 $?
grep -q "\"sql\":\"SELECT 'caf\\\\ufffd'\\|\"sql\":\"SELECT 'caf�'" \
    "$work/out" || fail "json: invalid UTF-8 replaced"
grep -q 'a\\u0000b' "$work/out" || fail "json: NUL byte kept"
if command -v python3 >/dev/null; then
    python3 -c 'import json,sys
for l in open(sys.argv[1], encoding="utf-8"): json.loads(l)' "$work/out" ||
        fail "json: not parseable"
fi

# 5. stdin and gzip give what the plain file gives (but the file name).
"$n1" events --json "$fx/slow/percona-8.0.log" 2>/dev/null |
    sed 's/"file":"[^"]*"/"file":"X"/' >"$work/plain"
"$n1" events --json - <"$fx/slow/percona-8.0.log" 2>"$work/err" |
    sed 's/"file":"[^"]*"/"file":"X"/' >"$work/stdin"
check stdin "$work/plain" "$work/stdin"
grep -q '^n1digest: -: percona-slow: 2 events' "$work/err" ||
    fail "stdin summary"
gzip -c "$fx/slow/percona-8.0.log" >"$work/p.log.gz"
"$n1" events --json "$work/p.log.gz" 2>/dev/null |
    sed 's/"file":"[^"]*"/"file":"X"/' >"$work/gz"
check gzip "$work/plain" "$work/gz"
gzip -c "$fx/slow/percona-8.0.log" | "$n1" events --json - 2>/dev/null |
    sed 's/"file":"[^"]*"/"file":"X"/' >"$work/gzstdin"
check gzip-stdin "$work/plain" "$work/gzstdin"

# 6. several files: events in order, one summary line each.
"$n1" events "$fx/general/crlf.log" "$fx/slow/crlf.log" >"$work/out" \
    2>"$work/err"
expect_exit several 0 $?
[ "$(wc -l <"$work/out")" -eq 4 ] || fail "several: 4 events expected"
[ "$(grep -c ' events, ' "$work/err")" -eq 2 ] ||
    fail "several: 2 summaries expected"
grep -q 'general/crlf.log: mariadb-general: 3 events' "$work/err" ||
    fail "several: first summary"
grep -q 'slow/crlf.log: mariadb-slow: 1 events' "$work/err" ||
    fail "several: second summary"

# 7. skipped lines: exit 4, the warnings and the summary say so.
"$n1" events "$fx/slow/garbage.log" >"$work/out" 2>"$work/err"
expect_exit skipped 4 $?
grep -q "^n1digest: PARSE $fx/slow/garbage.log:1: garbage line skipped" \
    "$work/err" || fail "skipped: warning"
grep -q 'mariadb-slow: 1 events, 2 lines skipped, 0 events skipped' \
    "$work/err" || fail "skipped: summary"
"$n1" events --max-statement 10 "$fx/slow/mysql-5.7.log" >"$work/out" \
    2>"$work/err"
expect_exit skipped-events 4 $?
grep -q '0 events, 11 lines skipped, 2 events skipped' "$work/err" ||
    fail "max-statement summary"

# 8. not a log, or missing: exit 3, and the other files are still read.
printf 'hello\nworld\n' >"$work/notes.txt"
"$n1" events "$work/notes.txt" "$fx/slow/mysql-5.7.log" >"$work/out" \
    2>"$work/err"
expect_exit not-a-log 3 $?
grep -q "^n1digest: PARSE $work/notes.txt: not a MySQL or MariaDB query log (" \
    "$work/err" || fail "not-a-log message"
[ "$(wc -l <"$work/out")" -eq 2 ] || fail "not-a-log: other file read"
"$n1" events "$work/missing.log" >/dev/null 2>"$work/err"
expect_exit missing 3 $?
grep -q "missing.log" "$work/err" || fail "missing: message"

# 9. --tz-offset shifts local-time logs to UTC.
"$n1" events --json --tz-offset 3600 "$fx/general/mysql-5.6-legacy.log" \
    2>/dev/null | head -n 1 >"$work/out"
grep -q '"ts":"2014-11-25T11:00:00.000000Z"' "$work/out" || fail "tz-offset"

if [ "$fails" -ne 0 ]; then
    echo "events.sh: $fails failure(s)" >&2
    exit 1
fi
echo "events.sh: all passed"
