#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# CLI test of digest's pt-query-digest habits on fixtures/digest/tables.log:
# --limit P% and P%:N, --since/--until in the logs' own formats, stdin as
# the log, --output, --group-by tables, and --filter on a table and on
# numeric attributes. Every expected number is worked out below from
# the fixture.
#
# The fixture (a MySQL slow log, schema shop, events 10 s apart from
# 2026-12-03 09:26:40 UTC, the time of each its SET timestamp):
#
#   #  time      Query_time Rows_examined statement
#   1  09:26:40  4.00       5000          SELECT orders (customer_id 7)
#   2  09:26:50  3.00       4000          SELECT orders (customer_id 8)
#   3  09:27:00  2.50       100           SELECT orders JOIN customers
#   4  09:27:10  1.50       20            UPDATE customers
#   5  09:27:20  0.50       10            SELECT items (id 5)
#   6  09:27:30  0.25       10            SELECT items (id 6)
#   7  09:27:40  0.10       1             DELETE carts
#   8  09:27:50  0.05       0             SELECT 1 (no table)
#
# Lock_time is 0.0001 everywhere. Classes by fingerprint: orders 7.00 s
# (1, 2), join 2.50, update 1.50, items 0.75 (5, 6), carts 0.10, select 1
# 0.05; 11.90 s in all.
#
# usage: digest_habits.sh N1DIGEST FIXTURES_DIR
set -u
n1=$1
fx=$2
# shellcheck source=tests/cli/lib.bash
source "$(dirname "$0")/lib.bash"

log=$fx/digest/tables.log

# shown NAME WANT: the profile in $work/out lists WANT classes.
shown() {
    local got
    got=$(grep -c '^# *[0-9][0-9]* [0-9a-f]\{16\} ' "$work/out")
    [ "$got" = "$2" ] || fail "$1: $got classes in the profile, expected $2"
}

# misc NAME ITEMS: the profile's MISC row holds ITEMS classes.
misc() {
    grep -q "^# MISC .*<$2 ITEMS>" "$work/out" ||
        fail "$1: no MISC row of $2 items"
}

# 1. --limit P%: 95% of 11.90 is 11.305: orders (7.00), the join
#    (9.50), the update (11.00) are below it when taken, items brings
#    it to 11.75 and is in, the rest (carts, select 1) is MISC.
expect_status 0 limit-95 "$n1" digest --limit 95% "$log"
shown limit-95 4
misc limit-95 2
# ":2" caps the count first.
expect_status 0 limit-95-2 "$n1" digest --limit 95%:2 "$log"
shown limit-95-2 2
misc limit-95-2 4
# 50% of 11.90 is 5.95: orders alone crosses it.
expect_status 0 limit-50 "$n1" digest --limit 50% "$log"
shown limit-50 1
expect_status 2 limit-bad "$n1" digest --limit 120% "$log"
grep -q "USAGE --limit: expected N, all, P% or P%:N" "$work/err" ||
    fail "limit-bad: message"

# 2. --since/--until in the logs' formats: from 09:27:00 are events 3..8.
for since in "2026-12-03T09:27:00" "2026-12-03T09:27:00.000000Z" \
    "2026-12-03T04:27:00-05:00" "261203 9:27:00" "261203  9:27:00" \
    "2026-12-03 9:27:00"; do
    expect_status 0 "since $since" "$n1" digest --since "$since" "$log"
    total "since $since" 6
done
# Before 09:26:50.5: events 1 and 2.
expect_status 0 until-us "$n1" digest --until "2026-12-03T09:26:50.500000Z" \
    "$log"
total until-us 2
expect_status 2 since-bad "$n1" digest --since "261303 9:27:00" "$log"

# 3. No LOG (and no --db): stdin is the log; "-" names it too.
"$n1" digest "$log" >"$work/file.txt" 2>/dev/null
"$n1" digest <"$log" >"$work/stdin.txt" 2>/dev/null
"$n1" digest - <"$log" >"$work/dash.txt" 2>/dev/null
# The input is named "-" where the file's name stood; the rest is the
# same.
sed -e 1,2d -e "s|$log:|-:|" "$work/file.txt" >"$work/file-as-stdin.txt"
check stdin "$work/file-as-stdin.txt" <(sed 1,2d "$work/stdin.txt")
check dash "$work/file-as-stdin.txt" <(sed 1,2d "$work/dash.txt")
grep -q "^# Files: -$" "$work/stdin.txt" || fail "stdin: not named -"

# 4. --output FILE writes the report there; --output json is the format.
expect_status 0 output-file "$n1" digest --output "$work/report.txt" "$log"
[ -s "$work/out" ] && fail "output-file: stdout not empty"
check output-file "$work/file.txt" "$work/report.txt"
expect_status 0 output-json "$n1" digest --output json "$log"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["global"]["query_count"] == 8' \
    "$work/out" || fail "output-json: not the JSON report of 8 statements"
expect_status 0 analyze-output-json "$n1" analyze --db :memory: --output json \
    "$log"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$work/out" ||
    fail "analyze --output json: not JSON"

# 5. --group-by tables, as pt's: the join counts in orders and in
#    customers, SELECT 1 in none. orders 4.00+3.00+2.50 = 9.50 s in 3,
#    customers 2.50+1.50 = 4.00 in 2, items 0.75 in 2, carts 0.10 in 1;
#    the tables are qualified with the schema (shop.orders).
expect_status 0 tables "$n1" digest --group-by tables --limit all "$log"
total tables 8
for row in "9.5000.* 3 .* shop.orders" "4.0000.* 2 .* shop.customers" \
    "0.7500.* 2 .* shop.items" "0.1000.* 1 .* shop.carts"; do
    grep -q "^# *[1-4] [0-9a-f]\{16\} *$row\$" "$work/out" ||
        fail "tables: no profile row '$row'"
done
shown tables 4

# 6. --filter on a table and on numbers (ANDed).
expect_status 0 f-table "$n1" digest --filter table=customers "$log"
total f-table 2 # the join and the update
expect_status 0 f-table-db "$n1" digest --filter table=shop.orders "$log"
total f-table-db 3
expect_status 0 f-table-otherdb "$n1" digest --filter table=crm.orders "$log"
total f-table-otherdb 0
expect_status 0 f-qt "$n1" digest --filter "Query_time>1" "$log"
total f-qt 4 # 4.00, 3.00, 2.50, 1.50
expect_status 0 f-rows "$n1" digest --filter "Rows_examined>=1000" "$log"
total f-rows 2 # 5000, 4000
expect_status 0 f-and "$n1" digest --filter "Query_time>1" \
    --filter "Rows_examined<1000" "$log"
total f-and 2 # the join (100) and the update (20)
expect_status 0 f-lock "$n1" digest --filter "Lock_time<0.01" "$log"
total f-lock 8
expect_status 0 f-ne "$n1" digest --filter "rows_examined!=10" "$log"
total f-ne 6
expect_status 0 f-eq "$n1" digest --filter "Rows_examined=10" \
    --filter table=items "$log"
total f-eq 2
expect_status 2 f-bad "$n1" digest --filter "Query_time>fast" "$log"
grep -q "USAGE --filter: expected Query_time followed by" "$work/err" ||
    fail "f-bad: message"

# 7. On a store alone: a condition that splits no class applies, one
#    that splits a class refuses.
"$n1" digest --db "$work/s.db" "$log" >/dev/null 2>&1
expect_status 0 stored-qt "$n1" digest --db "$work/s.db" \
    --filter "Query_time>=2" --limit all
total stored-qt 3 # the orders class (4, 3) and the join (2.5)
expect_status 2 stored-split "$n1" digest --db "$work/s.db" \
    --filter "Query_time>3.5"
grep -q "on both sides of a --filter condition" "$work/err" ||
    fail "stored-split: message"
expect_status 0 stored-table "$n1" digest --db "$work/s.db" \
    --filter table=items
total stored-table 2
expect_status 2 stored-tables "$n1" digest --db "$work/s.db" \
    --group-by tables

if [ "$fails" -ne 0 ]; then
    echo "$fails failure(s)" >&2
    exit 1
fi
echo "digest_habits.sh: all passed ($passes checks)"
