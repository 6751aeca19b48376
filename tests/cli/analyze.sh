#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `n1digest analyze` on fixtures: the JSON validates against
# docs/findings.schema.json, the findings are exactly the hand-reasoned
# ones in fixtures/analyze/*.expected.json (no extra finding), a second
# run over the same store reports the same findings from the store, and
# every exit status is the documented one.
#
# usage: analyze.sh N1DIGEST FIXTURES_DIR
set -uo pipefail
n1digest=$1
fixtures=$2
root=$(cd "$fixtures/.." && pwd)
here=$root/tests/cli
schema=$root/docs/findings.schema.json
check=$here/check_findings.py
# shellcheck source=tests/cli/lib.bash
source "$(dirname "$0")/lib.bash"

# check_json NAME FILE [EXPECTED]: schema, then the exact finding set.
check_json()
{
    local name=$1 file=$2 exp=${3:-}
    local args=(--schema "$schema")

    if [ -n "$exp" ]; then
        args+=(--expected "$exp")
    fi
    if python3 "$check" "${args[@]}" "$file"; then
        pass
    else
        fail "$name: findings differ (see above)"
    fi
}

# ids FILE: "id kind count" of each finding, sorted.
ids()
{
    PYTHONPATH=$here python3 -c '
import json, sys
from check_findings import flat_findings
d = json.load(open(sys.argv[1]))
for f in sorted(flat_findings(d), key=lambda f: (f["id"], f["file"], f["line"])):
    print(f["id"], f["kind"], f["count"], f["file"], f["line"])
' "$1"
}

if python3 "$check" --self-test >/dev/null; then
    pass
else
    fail "check_findings.py --self-test"
fi

# ---- each fixture with its expected findings ----------------------------
for exp in "$fixtures"/analyze/*.expected.json; do
    base=$(basename "$exp" .expected.json)
    log=$fixtures/analyze/$base.log
    [ -f "$log" ] || log=$fixtures/sample/$base.log
    db=$work/$base.db
    expect_status 0 "$base: analyze --format json" \
        "$n1digest" analyze --db "$db" --format json "$log" &&
        cp "$work/out" "$work/$base.json" &&
        check_json "$base" "$work/$base.json" "$exp"

    # Second run on the same store: the file is skipped, its findings come
    # from the store, identical, and the input says so.
    expect_status 0 "$base: re-run" \
        "$n1digest" analyze --db "$db" --format json "$log" &&
        cp "$work/out" "$work/$base.again.json" &&
        check_json "$base (re-run)" "$work/$base.again.json" "$exp"
    if grep -q "already read" "$work/err" &&
        python3 -c 'import json,sys; d=json.load(open(sys.argv[1]));
sys.exit(d["inputs"][0]["status"] != "already_read")' \
            "$work/$base.again.json"; then
        pass
    else
        fail "$base: re-run did not report the input as already read"
    fi
    if [ "$(ids "$work/$base.json")" = "$(ids "$work/$base.again.json")" ]; then
        pass
    else
        fail "$base: re-run findings differ from the first run's"
    fi

    # --reread reads it again and replaces, never duplicates, the findings.
    expect_status 0 "$base: --reread" \
        "$n1digest" analyze --db "$db" --reread --format json "$log" &&
        check_json "$base (--reread)" "$work/out" "$exp"

    # The text report lists as many classes as the JSON.
    expect_status 0 "$base: text" "$n1digest" analyze --db :memory: "$log"
    want=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["classes"]))' "$work/$base.json")
    got=$(grep -c '^\[[0-9]*\] ' "$work/out")
    if [ "$got" = "$want" ]; then
        pass
    else
        fail "$base: text report has $got classes, JSON $want"
    fi
done

# ---- the text report fits 80 columns ----------------------------------
# wide_lines FILE: the lines of a text report longer than 80 columns that
# hold no SQL. SQL stays whole to be copied: the line after a bare
# "statement" label, and a rewrite block (from the blank line after a line
# ending in ':' to the next blank line).
wide_lines()
{
    awk '
/^$/ {
    if (sql) { sql = 0 } else if (prev ~ /:$/) { sql = 1 }
    prev = $0; next
}
sql || label { label = 0; prev = $0; next }
/^    statement$/ { label = 1 }
length($0) > 80 { print FILENAME ":" FNR ": " length($0) " columns" }
{ prev = $0 }' "$1"
}
nlogs=0
while IFS= read -r log; do
    "$n1digest" analyze --db :memory: "$log" >"$work/cols.txt" 2>/dev/null
    wide=$(wide_lines "$work/cols.txt")
    if [ -n "$wide" ]; then
        fail "${log#"$fixtures"/}: text lines over 80 columns: $wide"
    fi
    nlogs=$((nlogs + 1))
done < <(find "$fixtures" -type f \( -name '*.log' -o -name '*.log.*' \) |
    sort)
if [ "$nlogs" -gt 30 ]; then
    pass
else
    fail "80 columns: only $nlogs fixture logs found"
fi

# ---- a log that grew: the new part is read, old findings stay ----------
head -n 45 "$fixtures/sample/settings-general.log" >"$work/grow.log"
expect_status 0 "grown: first part" \
    "$n1digest" analyze --db "$work/grow.db" --format json "$work/grow.log" &&
    cp "$work/out" "$work/grow1.json"
tail -n +46 "$fixtures/sample/settings-general.log" >>"$work/grow.log"
expect_status 0 "grown: second run" \
    "$n1digest" analyze --db "$work/grow.db" --format json "$work/grow.log" &&
    if PYTHONPATH=$here python3 -c '
import json, sys
from check_findings import flat_findings
one = flat_findings(json.load(open(sys.argv[1])))
two_doc = json.load(open(sys.argv[2]))
two = flat_findings(two_doc)
assert two_doc["inputs"][0]["status"] == "resumed", two_doc["inputs"]
ids1 = {(f["id"], f["line"]) for f in one}
ids2 = {(f["id"], f["line"]) for f in two}
assert ids1 and ids1 <= ids2, (ids1, ids2)
assert "fanout" in {f["kind"] for f in two}, two
' "$work/grow1.json" "$work/out"; then
        pass
    else
        fail "grown: expected status resumed, old findings kept, new added"
    fi

# ---- the sample's text report shows both problems, ready to paste -----
sample=$fixtures/sample/settings-general.log
expect_status 0 "sample: text" "$n1digest" analyze --db :memory: "$sample"
for pat in \
    "[1] N+1 loop (warning): select on profile_settings, 40 times" \
    "keys        profile_settings.name; 40 distinct values" \
    "connection  41" \
    "parent      SELECT on project_groups" \
    "[2] fan-out over connections (warning): select on metrics, 12 times" \
    "connections 12: 60 61 62 63 64 65 66 67 68 69 70 71" \
    "the fix saves 39 round trips" \
    "the fix saves 11 round trips"; do
    if grep -qF -- "$pat" "$work/out"; then
        pass
    else
        fail "sample text: no line with '$pat'"
    fi
done
# Rewrites stand on lines of their own, ending in ';'.
if grep -qi "^select profile_settings.id, profile_settings.name, profile_settings.value from profile_settings where profile_settings.name in ('proj:g1', 'proj:g3', .*'proj:g99');$" "$work/out" &&
    grep -qi "^select gid, max(cpu) from metrics where gid in ('g1', .*'g28') group by gid;$" "$work/out"; then
    pass
else
    fail "sample text: rewrites are not on lines of their own"
fi

# ---- a long rewrite: shortened in text, whole with --full and in JSON --
{
    printf '/usr/sbin/mariadbd, Version: 10.11.19-MariaDB-log (Debian 12). started with:\n'
    printf 'Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock\n'
    printf 'Time\t\t    Id Command\tArgument\n'
    printf '261120  9:14:02\t    41 Connect\tapp@10.0.3.17 on shop using TCP/IP\n'
    printf '\t\t    41 Query\tSELECT orders.id FROM orders WHERE orders.customer_id = 7\n'
    for i in $(seq 1 1200); do
        printf '\t\t    41 Query\tSELECT items.sku FROM items WHERE items.order_id = %d\n' "$i"
    done
    printf '\t\t    41 Quit\t\n'
} >"$work/long.log"
expect_status 0 "long rewrite: text" \
    "$n1digest" analyze --db :memory: "$work/long.log" &&
    cp "$work/out" "$work/long.txt"
if grep -qx "SELECT items.order_id, items.sku FROM items WHERE items.order_id IN (1, 2, 3, ... 994 more ..., 998, 999, 1000)" "$work/long.txt" &&
    grep -q "shortened here, not for pasting:$" "$work/long.txt" &&
    grep -q "covering 1000 of the 1200" "$work/long.txt" &&
    grep -q -- "--full or --format json" "$work/long.txt" &&
    [ -z "$(wide_lines "$work/long.txt")" ]; then
    pass
else
    fail "long rewrite: not shortened, or not marked as such"
fi
expect_status 0 "long rewrite: --full" \
    "$n1digest" analyze --db :memory: --full "$work/long.log" &&
    if grep -q "^SELECT items.order_id, items.sku FROM items WHERE items.order_id IN (1, 2, 3, 4, .*, 999, 1000);$" "$work/out" &&
        ! grep -q "more \.\.\." "$work/out"; then
        pass
    else
        fail "long rewrite: --full does not print it whole"
    fi
expect_status 0 "long rewrite: JSON" \
    "$n1digest" analyze --db :memory: --format json "$work/long.log" &&
    if python3 -c 'import json,sys
c = json.load(open(sys.argv[1]))["classes"][0]
for r in [c["rewrite"]] + [o["rewrite"] for o in c["occurrences"]]:
    assert r.count(",") == 1000 and "..." not in r, r[:200]' "$work/out"; then
        pass
    else
        fail "long rewrite: JSON does not hold the whole statement"
    fi

# ---- hostile text: invalid UTF-8, quotes, tags ------------------------
{
    printf '/usr/sbin/mysqld, Version: 8.0.36 (MySQL Community Server - GPL). started with:\n'
    printf 'Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock\n'
    printf 'Time                 Id Command    Argument\n'
    for i in 1 2 3 4 5 6; do
        printf '2024-03-05T10:15:0%d.000000Z\t    5 Query\tSELECT v FROM kv WHERE k = '"'"'a\\"%d\xff'"'"' /*controller='"'"'x%%27y'"'"',file='"'"'a.py%%3A9'"'"'*/\n' "$i" "$i"
    done
} >"$work/hostile.log"
expect_status 0 "hostile: analyze --format json" \
    "$n1digest" analyze --db :memory: --format json "$work/hostile.log" &&
    cp "$work/out" "$work/hostile.json" &&
    check_json "hostile" "$work/hostile.json"
if python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
f = d["classes"]
assert len(f) == 1, f
f = f[0]
assert f["occurrence_count"] == 1 and len(f["occurrences"]) == 1, f
assert f["kind"] == "n_plus_one" and f["count"] == 6, f
assert "\ufffd" in f["sample"], f["sample"]
assert f["tags"].get("controller") == "x'"'"'y", f["tags"]
assert f["location"] == "a.py:9", f["location"]
' "$work/hostile.json"; then
    pass
else
    fail "hostile: invalid UTF-8, tags or location not rendered as expected"
fi
expect_status 0 "hostile: text" "$n1digest" analyze --db :memory: "$work/hostile.log"
if LC_ALL=C grep -q $'\xff' "$work/out"; then
    : # the raw byte passes through in text; only control bytes are masked
fi
if LC_ALL=C grep -q $'[\x01-\x08\x0b\x0c\x0e-\x1f]' "$work/out"; then
    fail "hostile: control characters reached the terminal"
else
    pass
fi

# ---- --limit, --filter, --since, --until --------------------------------
# The sample has two classes: the loop (40 x 1 ms, 09:14:03 .. 09:14:12)
# ranks above the fan-out (12 x 1 ms, at 09:14:13).
classes_of()
{
    python3 -c 'import json,sys
print(" ".join(c["kind"] for c in json.load(open(sys.argv[1]))["classes"]))' "$1"
}
for case in \
    "n_plus_one|--limit 1" \
    "fanout|--filter kind=fanout" \
    "n_plus_one|--filter table=profile_settings --filter table=nope" \
    "|--filter kind=fanout --filter table=profile_settings" \
    "fanout|--since 2026-11-20T09:14:13" \
    "n_plus_one|--until 2026-11-20T09:14:13" \
    "n_plus_one fanout|--filter severity=warning"; do
    want=${case%%|*}
    # shellcheck disable=SC2086
    expect_status 0 "analyze ${case#*|}" "$n1digest" analyze --db :memory: \
        --format json ${case#*|} "$sample" &&
        if [ "$(classes_of "$work/out")" = "$want" ]; then
            pass
        else
            fail "analyze ${case#*|}: got '$(classes_of "$work/out")', want '$want'"
        fi
done
expect_status 2 "--filter with an unknown key" \
    "$n1digest" analyze --db :memory: --filter colour=red "$sample"

# ---- exit statuses -----------------------------------------------------
expect_status 1 "--fail-on-findings with findings" \
    "$n1digest" analyze --db :memory: --fail-on-findings "$sample"
expect_status 0 "--fail-on-findings without findings" \
    "$n1digest" analyze --db :memory: --fail-on-findings \
    "$fixtures/general/mysql-8.0.log"
expect_status 2 "no LOG" "$n1digest" analyze --db :memory:
expect_status 2 "bad --format" \
    "$n1digest" analyze --db :memory: --format xml "$sample"
# ---- rule files ----------------------------------------------------------
# Stricter thresholds drop the 40-iteration loop; [allow] drops the fan-out.
printf '[n_plus_one]\nmin_repeats = 50\n' >"$work/strict.rules"
printf '[allow]\ntable = metrics\n' >"$work/allow.rules"
printf '[n_plus_one]\nmin_repeat = 50\n' >"$work/bad.rules"
expect_status 0 "--rules strict" \
    "$n1digest" analyze --db :memory: --format json --rules "$work/strict.rules" \
    "$sample" &&
    if python3 -c 'import json,sys; d=json.load(open(sys.argv[1]));
sys.exit([f["kind"] for f in d["classes"]] != ["fanout"])' "$work/out"; then
        pass
    else
        fail "--rules strict: expected only the fan-out"
    fi
expect_status 0 "--rules strict --rules allow" \
    "$n1digest" analyze --db :memory: --format json \
    --rules "$work/strict.rules" --rules "$work/allow.rules" "$sample" &&
    if python3 -c 'import json,sys; d=json.load(open(sys.argv[1]));
sys.exit(d["classes"] != [])' "$work/out" &&
        grep -q "accepted by \[allow\] rules" "$work/err"; then
        pass
    else
        fail "--rules allow: the fan-out was not accepted"
    fi
expect_status 3 "--rules with an unknown key" \
    "$n1digest" analyze --db :memory: --rules "$work/bad.rules" "$sample" &&
    if grep -q "bad.rules:2" "$work/err"; then pass; else
        fail "--rules bad: no file:line in the message"
    fi
expect_status 2 "--rules missing file" \
    "$n1digest" analyze --db :memory: --rules "$work/none.rules" "$sample"
echo "hello" >"$work/notalog.txt"
expect_status 3 "not a log" "$n1digest" analyze --db :memory: "$work/notalog.txt"
expect_status 3 "not a log next to a log" \
    "$n1digest" analyze --db :memory: --format json "$work/notalog.txt" "$sample" &&
    check_json "not a log + sample" "$work/out" \
        "$fixtures/analyze/settings-general.expected.json"
expect_status 4 "skipped lines" \
    "$n1digest" analyze --db :memory: "$fixtures/general/garbage.log"
expect_status 0 "--help" "$n1digest" analyze --help

# Absurd metric values (past 1e15, or infinite) are no numbers: four
# entries of Query_time 1e308 (whose sum would be infinite) and a
# Rows_sent of 1e999 leave digest and analyze with finite figures, on a
# store on disk too, instead of failing to write them.
for k in 1 2 3 4; do
    printf '# Time: 241125 12:00:00\n# User@Host: app[app] @ localhost []  Id: 7\n'
    printf '# Query_time: 1e308  Lock_time: 0.000001 Rows_sent: 1e999  Rows_examined: 1\n'
    printf 'SET timestamp=1732536000;\nSELECT * FROM users WHERE id = %d;\n' "$k"
done >"$work/huge.log"
expect_status 0 "huge metric values: digest --format json" \
    "$n1digest" digest --db :memory: --format json "$work/huge.log" &&
    if python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["classes"]
m=c[0]["metrics"]
sys.exit(len(c) != 1 or "Query_time" in m or "Rows_sent" in m or
         m["Rows_examined"]["sum"] != 4)' "$work/out" &&
        ! grep -qiE 'inf|nan' "$work/out"; then
        pass
    else
        fail "huge metric values: digest JSON not one finite class"
    fi
expect_status 0 "huge metric values: analyze on a store" \
    "$n1digest" analyze --db "$work/huge.db" "$work/huge.log"

echo "analyze.sh: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
