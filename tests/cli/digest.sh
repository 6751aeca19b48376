#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# CLI test for `n1digest digest`: text and JSON on fixture logs, filters,
# --group-by, --order-by/--limit, --db reuse (a file read twice counts
# once), stored-data filters that must refuse, exit statuses, and the
# marks on the statements of N+1 classes.
# usage: digest.sh N1DIGEST FIXTURES_DIR
set -u
n1=$1
fx=$2
# shellcheck source=tests/cli/lib.bash
source "$(dirname "$0")/lib.bash"

# expect_rc NAME WANT CMD...: expect_status (lib.bash), name first.
expect_rc() {
    local name=$1 want=$2
    shift 2
    expect_status "$want" "$name" "$@"
}

# jq-like checks with python3 (a test dependency): jcheck NAME EXPR
# evaluates EXPR with d = the JSON in $work/out and fails when false.
jcheck() {
    local name=$1 expr=$2
    if ! python3 - "$work/out" "$expr" <<'X'; then
import json, sys
d = json.load(open(sys.argv[1]))
ok = eval(sys.argv[2])
if not ok:
    print("   expression: " + sys.argv[2], file=sys.stderr)
    sys.exit(1)
X
        fail "$name"
    fi
}

slow=$fx/slow/mariadb-basic.log
cap=$fx/captured/mariadb-10.11-slow.log

# 1. text report: the sections a pt-query-digest user looks for, and no
#    comment line wider than 80 columns
expect_rc text 0 "$n1" digest "$slow"
for want in '# Overall: 3 total, 3 unique' '# Time range: ' \
    '# Attribute          total     min     max     avg     95%  stddev  median' \
    '# Exec time ' '# Profile (by Query_time:sum)' \
    '# Rank Query ID         Response time    Calls  R/Call   V/M Item' \
    '# Query 1: ' '# Query_time distribution' '# Sample (slowest, 1.500000 s' \
    'SELECT SLEEP(1.5)\G'; do
    grep -qF -- "$want" "$work/out" || fail "text: missing '$want'"
done
if awk '/^#/ && length($0) > 80 { bad = 1 } END { exit !bad }' "$work/out"; then
    fail "text: a line is wider than 80 columns"
fi

# 2. JSON: numbers of the three statements of mariadb-basic.log, ranked
#    by total Query_time; the slowest class is SELECT SLEEP(1.5)
expect_rc json 0 "$n1" digest --format json "$slow"
jcheck json-count "d['global']['query_count'] == 3 and d['global']['unique_query_count'] == 3"
jcheck json-rank "d['classes'][0]['example']['query'] == 'SELECT SLEEP(1.5)'"
jcheck json-sum "abs(d['global']['metrics']['Query_time']['sum'] - 1.502123) < 1e-9"
jcheck json-item "[c['distillate'] for c in d['classes']] == ['SELECT', 'SELECT orders', 'SELECT users']"
jcheck json-rows "d['classes'][1]['metrics']['Rows_examined']['sum'] == 200"
jcheck json-db "d['classes'][2]['db']['values'] == [{'value': 'shop', 'count': 1}]"

# 3. the captured MariaDB log: every event is counted once
expect_rc captured 0 "$n1" digest --format json --limit 0 "$cap"
jcheck captured-sum "sum(c['query_count'] for c in d['classes']) == d['global']['query_count']"
jcheck captured-all "len(d['classes']) == d['global']['unique_query_count'] and d['misc']['classes'] == 0"

# 4. --limit and --order-by
expect_rc limit 0 "$n1" digest --format json --limit 1 --order-by Rows_examined:max "$slow"
jcheck limit-one "len(d['classes']) == 1 and d['misc']['classes'] == 2"
jcheck order-by "d['classes'][0]['distillate'] == 'SELECT orders' and d['report']['order_by'] == 'Rows_examined:max'"

# 5. filters on events
expect_rc filter-db 0 "$n1" digest --format json --filter db=shop "$slow"
jcheck filter-db "d['global']['query_count'] == 2"
expect_rc filter-or 0 "$n1" digest --format json --filter host=web1 --filter host=10.0.0.6 "$slow"
jcheck filter-or "d['global']['query_count'] == 3"
expect_rc filter-and 0 "$n1" digest --format json --filter db=shop --filter connection=13 "$slow"
jcheck filter-and "d['global']['query_count'] == 0"
expect_rc since 0 "$n1" digest --format json --since "2024-11-25 12:00:01" "$slow"
jcheck since "d['global']['query_count'] == 1"
expect_rc until 0 "$n1" digest --format json --until "2024-11-25T12:00:01" "$slow"
jcheck until "d['global']['query_count'] == 2"
# A one-digit hour, as people type it: 9:59:59 is before every event.
expect_rc until-hour 0 "$n1" digest --format json --until "2024-11-25 9:59:59" "$slow"
jcheck until-hour "d['global']['query_count'] == 0"
expect_rc since-hour 0 "$n1" digest --format json --since "2024-11-25 9:59:59" "$slow"
jcheck since-hour "d['global']['query_count'] >= 3"
expect_rc relative 0 "$n1" digest --format json --since 1h "$slow"
jcheck relative "d['global']['query_count'] == 0"
id=$("$n1" digest --format json "$slow" 2>/dev/null | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["classes"][1]["id"])')
expect_rc filter-id 0 "$n1" digest --format json --filter "fingerprint=$id" "$slow"
jcheck filter-id "[c['id'] for c in d['classes']] == ['$id']"

# 6. --group-by db: classes are databases ("(none)" for no schema)
expect_rc group-db 0 "$n1" digest --format json --group-by db "$slow"
jcheck group-db "sorted(c['fingerprint'] for c in d['classes']) == ['(none)', 'shop']"
jcheck group-db-attr "d['classes'][0]['attribute'] == 'db'"

# 7. --db reuse: the same file read twice is counted once, and the store
#    alone reports the same numbers
db=$work/store.db
expect_rc db-first 0 "$n1" digest --db "$db" --format json "$slow"
cp "$work/out" "$work/first.json"
expect_rc db-again 0 "$n1" digest --db "$db" --format json "$slow"
grep -q "already read" "$work/err" || fail "db-again: no 'already read' note"
jcheck db-again "d['global']['query_count'] == 3"
expect_rc db-only 0 "$n1" digest --db "$db" --format json
jcheck db-only "d['global']['query_count'] == 3 and d['classes'][0]['example']['query'] == 'SELECT SLEEP(1.5)'"
expect_rc db-add 0 "$n1" digest --db "$db" --format json "$fx/slow/mysql-8.0.log"
jcheck db-add "d['global']['query_count'] > 3"

# 8. filters on stored data: exact or refused
expect_rc db-filter-id 0 "$n1" digest --db "$db" --format json --filter "id=$id"
jcheck db-filter-id "d['global']['query_count'] == 1"
expect_rc db-filter-conn 2 "$n1" digest --db "$db" --filter connection=12
grep -q "USAGE --filter connection needs LOG" "$work/err" || fail "db-filter-conn message"
expect_rc db-group 2 "$n1" digest --db "$db" --group-by user
grep -q "USAGE --group-by user needs LOG" "$work/err" || fail "db-group message"
# filters with LOGs leave the named store alone
before=$(cksum <"$db")
expect_rc db-untouched 0 "$n1" digest --db "$db" --filter db=shop "$fx/slow/mysql-5.7.log"
grep -q "left unchanged" "$work/err" || fail "db-untouched: no note"
[ "$(cksum <"$db")" = "$before" ] || fail "db-untouched: the store changed"

# 9. general log: no timings, ranked by count
expect_rc general 0 "$n1" digest "$fx/general/mariadb-basic.log"
grep -qF '# Profile (by cnt)' "$work/out" || fail "general: not ranked by count"

# 10. exit statuses and usage errors
# No LOG and no --db: the log comes from stdin (a terminal is refused,
# which a test cannot give).
expect_rc no-log-empty 0 "$n1" digest </dev/null
grep -q "^# Overall: 0 total" "$work/out" || fail "no-log: empty stdin"
expect_rc no-store 2 "$n1" digest --db "$work/missing.db"
printf 'just some text\nnot a log at all\n' >"$work/notes.txt"
expect_rc not-a-log 3 "$n1" digest "$work/notes.txt"
expect_rc skipped 4 "$n1" digest "$fx/slow/garbage.log"
expect_rc bad-format 2 "$n1" digest --format xml "$slow"
expect_rc bad-order 2 "$n1" digest --order-by Nope:sum "$slow"
expect_rc bad-filter 2 "$n1" digest --filter colour=red "$slow"
expect_rc bad-id 2 "$n1" digest --filter fingerprint=xyz "$slow"
expect_rc bad-since 2 "$n1" digest --since yesterday "$slow"
expect_rc bad-range 2 "$n1" digest --since 2024-01-02 --until 2024-01-01 "$slow"
expect_rc bad-group 2 "$n1" digest --group-by table "$slow"
expect_rc help 0 "$n1" digest --help
grep -q "usage: n1digest digest" "$work/out" || fail "help on stdout"

# 11. no progress line when stderr is not a terminal
"$n1" digest "$cap" >/dev/null 2>"$work/err"
if grep -q $'\r' "$work/err"; then
    fail "progress written to a non-terminal stderr"
fi

# 12. loop marks: the statement of the N+1 class (profile_settings by
#     name, its fingerprint id from `fingerprint`, not from the report)
#     is marked after analyze on the same store and with --loops, and no
#     other class is
settings=$fx/sample/settings-general.log
loop_sql=$(grep -m1 -o "SELECT profile_settings.*proj:g1' LIMIT 1" "$settings")
loop_fp=$("$n1" fingerprint --format json "$loop_sql" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
# marks_ok NAME: the JSON report in $work/out marks loop_fp and only it,
# and the text report in $work/text marks its profile row and section
marks_ok() {
    local name=$1
    jcheck "$name-json" "[c['id'] for c in d['classes'] if c.get('n_plus_one')] == ['$loop_fp'] and all(len(x) == 16 for x in d['classes'][[c['id'] for c in d['classes']].index('$loop_fp')]['n_plus_one'])"
    grep -q "^# *[0-9]* $loop_fp .* loop " "$work/text" ||
        fail "$name: profile row of $loop_fp not marked"
    [ "$(grep -c ' loop ' "$work/text")" -eq 1 ] ||
        fail "$name: another profile row marked"
    [ "$(grep -c '^# N+1 loop: class' "$work/text")" -eq 1 ] ||
        fail "$name: not exactly one class section marked"
}
rm -f "$work/loops.db"
"$n1" analyze --db "$work/loops.db" "$settings" >/dev/null 2>&1
"$n1" digest --db "$work/loops.db" --format json >"$work/out" 2>/dev/null ||
    fail "digest after analyze"
"$n1" digest --db "$work/loops.db" >"$work/text" 2>/dev/null
marks_ok stored
"$n1" digest --loops --format json "$settings" >"$work/out" 2>/dev/null ||
    fail "digest --loops"
"$n1" digest --loops "$settings" >"$work/text" 2>/dev/null
marks_ok inline
"$n1" digest --format json "$settings" >"$work/out" 2>/dev/null
jcheck no-marks "not any('n_plus_one' in c for c in d['classes'])"
expect_rc loops-no-log 2 "$n1" digest --loops --db "$work/loops.db"

# Administrator commands of a slow log are classes, with their time, as
# pt-query-digest reports them: mysql-5.0-legacy.log has a 3-second
# "# administrator command: Quit;" beside three statements and a lone
# "use" (a schema change, no class).
legacy=$fx/slow/mysql-5.0-legacy.log
expect_rc admin-json 0 "$n1" digest --format json "$legacy"
jcheck admin-count "d['global']['query_count'] == 4 and d['global']['unique_query_count'] == 4"
jcheck admin-class "[c['metrics']['Query_time']['sum'] for c in d['classes'] if c['fingerprint'] == 'administrator command: Quit'] == [3]"
jcheck admin-time "d['global']['metrics']['Query_time']['sum'] == 10"
expect_rc admin-text 0 "$n1" digest "$legacy"
grep -qF '#    administrator command: Quit' "$work/out" ||
    fail "admin-text: no Quit class"

# A general log's commands other than Query and Execute are classes too,
# named as pt-query-digest --type genlog names them (the first word of
# the command, Init DB in full): mysql-8.0.log has a Connect, a Prepare,
# a Close stmt, an Init DB and a Quit, one event each, beside two Query
# lines and an Execute (three statements in three classes: the Execute
# is the executed statement, not a command). 8 events, 8 classes; the
# summary counts the 3 statements.
gen80=$fx/general/mysql-8.0.log
expect_rc genadmin-json 0 "$n1" digest --format json --limit 0 "$gen80"
jcheck genadmin-count "d['global']['query_count'] == 8 and d['global']['unique_query_count'] == 8"
jcheck genadmin-classes "sorted(c['fingerprint'] for c in d['classes'] if c['query_count'] == 1 and c['fingerprint'].startswith('administrator command: ')) == ['administrator command: Close', 'administrator command: Connect', 'administrator command: Init DB', 'administrator command: Prepare', 'administrator command: Quit']"
grep -qF '8 events read (3 statements)' "$work/err" ||
    fail "genadmin-summary: $(grep 'events read' "$work/err")"

if [ "$fails" -ne 0 ]; then
    echo "$fails failure(s)" >&2
    exit 1
fi
echo "digest.sh: all passed"
