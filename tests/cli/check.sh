#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `n1digest check`, the CI gate, on small general logs written here: exit
# statuses (0/1/2/3), --fail-on levels, JSON baselines (written sorted
# and stable, read back, stale entries) and SQLite ones, the allow-list,
# ids stable across files and key values, skipped input, SARIF validated
# against tests/schemas/sarif-2.1.0-subset.schema.json and JUnit XML
# parsed and counted, with hostile bytes in the logged statements.
#
# usage: check.sh N1DIGEST FIXTURES_DIR
set -uo pipefail
n1digest=$1
fixtures=$2
root=$(cd "$fixtures/.." && pwd)
checker=$root/tests/cli/check_ci.py
schema=$root/tests/schemas/sarif-2.1.0-subset.schema.json
# shellcheck source=tests/cli/lib.bash
source "$(dirname "$0")/lib.bash"

# expect_grep NAME PATTERN FILE: FILE has a line matching PATTERN.
expect_grep()
{
    if grep -qE -- "$2" "$3"; then
        pass
    else
        fail "$1: no line matching '$2' in $(basename "$3")"
        sed 's/^/    | /' "$3" | head -20 >&2
    fi
}

expect_no_grep()
{
    if grep -qE -- "$2" "$3"; then
        fail "$1: unexpected line matching '$2' in $(basename "$3")"
    else
        pass
    fi
}

# ---- logs ---------------------------------------------------------------
# header FILE: a MariaDB general log header.
header()
{
    printf '%s\n%s\n%s\n' \
        '/usr/sbin/mariadbd, Version: 10.11.19-MariaDB-0+deb12u1-log (Debian 12). started with:' \
        'Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock' \
        "$(printf 'Time\t\t    Id Command\tArgument')" >"$1"
}

# q FILE CONN SQL: one Query line.
q()
{
    printf '\t\t    %s Query\t%s\n' "$2" "$3" >>"$1"
}

# loop_orders FILE CONN FIRST_KEY: the customer page's loop over orders,
# tagged with its source location (sqlcommenter).
loop_orders()
{
    local f=$1 c=$2 k=$3 i
    printf '261120  9:14:02\t    %s Connect\tapp@10.0.3.17 on shop using TCP/IP\n' "$c" >>"$f"
    q "$f" "$c" "SELECT customers.id, customers.name FROM customers ORDER BY customers.id"
    q "$f" "$c" "SELECT customers.name FROM customers WHERE customers.id = 1 LIMIT 1"
    for ((i = k; i < k + 8; i++)); do
        q "$f" "$c" "SELECT orders.id, orders.total FROM orders WHERE orders.customer_id = $i /*file='app%2Fcustomers.py%3A42'*/"
    done
}

# loop_items FILE CONN: the second loop (no location tag), with hostile
# bytes in its key values: markup, quotes, a control character and a
# byte that is not UTF-8.
loop_items()
{
    local f=$1 c=$2 i
    q "$f" "$c" "SELECT orders.id FROM orders WHERE orders.customer_id = 3 ORDER BY orders.id"
    for ((i = 1; i <= 8; i++)); do
        q "$f" "$c" "$(printf "SELECT order_items.sku FROM order_items WHERE order_items.label = '<b>&\"x$i\"</b>\\\\'\x01\xff'")"
    done
}

header "$work/one.log"
loop_orders "$work/one.log" 41 1
header "$work/two.log"
loop_orders "$work/two.log" 41 1
loop_items "$work/two.log" 41
# The same loop in another file, on another connection, with other keys.
header "$work/other.log"
loop_orders "$work/other.log" 97 500
header "$work/empty.log"
printf 'not a log\n' >"$work/notalog.txt"

# ---- usage and unreadable input -----------------------------------------
expect_status 0 "--help" "$n1digest" check --help &&
    expect_grep "--help lists exit statuses" "^  3  unreadable input" "$work/out"
expect_status 2 "no LOG" "$n1digest" check
expect_status 2 "bad --fail-on" "$n1digest" check --fail-on fatal "$work/one.log"
expect_status 2 "bad --format" "$n1digest" check --format xml "$work/one.log"
expect_status 2 "unknown option" "$n1digest" check --frobnicate "$work/one.log"
expect_status 3 "missing LOG" "$n1digest" check "$work/missing.log"
expect_status 3 "not a log" "$n1digest" check "$work/notalog.txt"
expect_status 3 "a log with no events" "$n1digest" check "$work/empty.log" &&
    expect_grep "no events: says why" "general log on" "$work/err"
# A readable log next to an unreadable one still fails: 3 wins over 1.
expect_status 3 "one good, one missing" "$n1digest" check "$work/one.log" \
    "$work/missing.log"
printf '[n_plus_one]\nmin_repeat = 3\n' >"$work/bad.rules"
expect_status 3 "bad rule file" "$n1digest" check --rules "$work/bad.rules" \
    "$work/one.log" &&
    expect_grep "bad rule file: file and line" "bad.rules:2" "$work/err"
printf '{"n1digest_baseline": 1,\n "fingerprint_version": 1,\n "findings": [\n  {"id": "xyz"}\n ]\n}\n' \
    >"$work/bad-entry.json"
expect_status 3 "bad baseline entry" "$n1digest" check --baseline \
    "$work/bad-entry.json" "$work/one.log" &&
    expect_grep "bad baseline: names it" "bad-entry.json" "$work/err"
printf '{"findings": [\n' >"$work/broken.json"
expect_status 3 "baseline not JSON" "$n1digest" check --baseline \
    "$work/broken.json" "$work/one.log" &&
    expect_grep "broken baseline: file and line" "broken.json:[0-9]+" \
        "$work/err"
# A baseline not there yet is a first run's: an empty one, with a note.
expect_status 1 "missing baseline" "$n1digest" check --baseline \
    "$work/nothere.json" "$work/one.log"
# Skipped events: 3 unless accepted, then the findings decide.
# (--max-statement 100 drops the tagged orders loop, not the items loop.)
expect_status 3 "skipped events" "$n1digest" check --max-statement 100 \
    "$work/two.log" &&
    expect_grep "skipped: says so" "events skipped: a loop" "$work/err"
expect_status 1 "skipped events, --allow-skipped" "$n1digest" check \
    --max-statement 100 --allow-skipped "$work/two.log"

# ---- findings and --fail-on ---------------------------------------------
expect_status 1 "a loop fails" "$n1digest" check "$work/one.log" &&
    expect_grep "names the loop" "^FAIL +n_plus_one .*" "$work/out" &&
    expect_grep "names the table" "select on orders ran 8 times" "$work/out" &&
    expect_grep "gives the location" "location +app/customers.py:42" \
        "$work/out"
expect_status 0 "--fail-on error" "$n1digest" check --fail-on error \
    "$work/one.log"
expect_status 1 "--fail-on info" "$n1digest" check --fail-on info \
    "$work/one.log"
# --fail-on info also fails on info-level advice alone.
printf '[n_plus_one]\nenabled = false\n' >"$work/nodet.rules"
expect_status 0 "advice only, warning" "$n1digest" check --rules \
    "$work/nodet.rules" "$work/one.log"
expect_status 1 "advice only, --fail-on info" "$n1digest" check --rules \
    "$work/nodet.rules" --fail-on info --format json "$work/one.log" &&
    expect_grep "adviser result" '"rule": "adviser\.' "$work/out"

# ---- JSON baseline ------------------------------------------------------
expect_status 0 "--write-baseline" "$n1digest" check --write-baseline \
    "$work/base.json" "$work/one.log"
expect_status 0 "--write-baseline again" "$n1digest" check --write-baseline \
    "$work/base2.json" "$work/one.log"
if cmp -s "$work/base.json" "$work/base2.json"; then
    pass
else
    fail "two baselines of the same log differ"
fi
if python3 - "$work/base.json" <<'EOF'; then
import json, sys
d = json.load(open(sys.argv[1]))
ids = [e["id"] for e in d["findings"]]
assert d["n1digest_baseline"] == 1, d
assert ids == sorted(ids) and len(set(ids)) == len(ids), ids
assert all({"id", "rule", "table", "statement"} <= set(e) for e in d["findings"])
assert any(e["rule"] == "n_plus_one" and e["table"] == "orders"
           and e["location"] == "app/customers.py:42" for e in d["findings"])
EOF
    pass
else
    fail "baseline is not sorted, unique and readable"
fi
expect_status 0 "baseline accepts the loop" "$n1digest" check --baseline \
    "$work/base.json" "$work/one.log" &&
    expect_grep "baseline mark" "^base +n_plus_one" "$work/out"
expect_status 0 "ids stable across files, connections and keys" \
    "$n1digest" check --baseline "$work/base.json" "$work/other.log"
expect_status 1 "a new loop fails" "$n1digest" check --baseline \
    "$work/base.json" --format json --output "$work/two.json" \
    "$work/two.log"
python3 "$checker" ids "$work/two.json" >"$work/two.ids"
expect_grep "the new loop fails" "^new n_plus_one [0-9a-f]{16} FAIL" \
    "$work/two.ids"
if [ "$(grep -c FAIL "$work/two.ids")" -eq 1 ]; then
    pass
else
    fail "only the new loop should fail"
    cat "$work/two.ids" >&2
fi
expect_grep "the old loop is in the baseline" "^baseline n_plus_one" \
    "$work/two.ids"
expect_grep "nothing stale" '"stale": \[\]' "$work/two.json"
# Stale: a baseline of both loops, a log with only one.
"$n1digest" check --write-baseline "$work/both.json" "$work/two.log" \
    >/dev/null 2>&1
expect_status 0 "stale entries do not fail" "$n1digest" check --baseline \
    "$work/both.json" "$work/one.log" &&
    expect_grep "stale entries listed" "^stale baseline entries" \
        "$work/out" &&
    expect_grep "stale entry names the table" " n_plus_one order_items: " \
        "$work/out" &&
    expect_grep "stale count on stderr" "1 stale baseline entry" "$work/err"

# ---- SQLite baseline ----------------------------------------------------
"$n1digest" analyze --db "$work/accepted.db" "$work/one.log" >/dev/null 2>&1
expect_status 0 "SQLite baseline accepts" "$n1digest" check --baseline \
    "$work/accepted.db" "$work/one.log"
expect_status 1 "SQLite baseline, new loop" "$n1digest" check --baseline \
    "$work/accepted.db" "$work/two.log"

# ---- allow-list ---------------------------------------------------------
printf '# CI allow-list\n[allow]\ntable = order_items\n' >"$work/ci.rules"
expect_status 0 "allowed loop does not fail" "$n1digest" check --rules \
    "$work/ci.rules" --baseline "$work/base.json" "$work/two.log" &&
    expect_grep "allowed, with origin" \
        "allowed by +table = order_items \(.*ci.rules:3\)" "$work/out"

# ---- SARIF ----------------------------------------------------------------
expect_status 1 "sarif" "$n1digest" check --format sarif --output \
    "$work/two.sarif" "$work/two.log"
if python3 "$checker" sarif "$work/two.sarif" "$schema"; then
    pass
else
    fail "SARIF does not validate"
fi
if python3 - "$work/two.sarif" <<'EOF'; then
import json, sys
run = json.load(open(sys.argv[1]))["runs"][0]
res = {r["ruleId"]: r for r in run["results"]}
loop = [r for r in run["results"] if r["ruleId"] == "n_plus_one"]
tagged = [r for r in loop
          if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
          == "app/customers.py"]
assert len(tagged) == 1, loop
assert tagged[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 42
assert tagged[0]["level"] == "warning"
assert " IN (" in tagged[0]["message"]["text"], tagged[0]["message"]
untagged = [r for r in loop if r is not tagged[0]][0]
lo = untagged["locations"][0]["logicalLocations"][0]
assert lo["name"] == "order_items", lo
assert "\ufffd" in untagged["message"]["text"]
assert "n_plus_one" in [x["id"] for x in run["tool"]["driver"]["rules"]]
EOF
    pass
else
    fail "SARIF locations, levels or messages are wrong"
fi

# ---- JUnit ----------------------------------------------------------------
expect_status 1 "junit" "$n1digest" check --format junit --baseline \
    "$work/base.json" --output "$work/two.xml" "$work/two.log"
if python3 "$checker" junit "$work/two.xml"; then
    pass
else
    fail "JUnit XML is not well-formed or its counts are wrong"
fi
if python3 - "$work/two.xml" <<'EOF'; then
import sys
import xml.etree.ElementTree as ET
s = ET.parse(sys.argv[1]).getroot().find("testsuite")
failed = [c for c in s.iter("testcase") if c.find("failure") is not None]
assert len(failed) == 1 and failed[0].get("classname") == "n1digest.n_plus_one"
text = failed[0].find("failure").text
assert '<b>&"x' in text and "\ufffd" in text, text
skipped = [c.find("skipped").get("message") for c in s.iter("testcase")
           if c.find("skipped") is not None]
assert "in the baseline" in skipped, skipped
passing = [c.get("classname") for c in s.iter("testcase") if len(c) == 0]
assert "n1digest.duplicate" in passing, passing
EOF
    pass
else
    fail "JUnit cases are wrong"
fi

# ---- classes against a baseline ---------------------------------------
# A new occurrence of a known class (same statement and parent, other
# keys, another connection) passes; a loop on another statement is a
# new class and fails.
settings=$fixtures/sample/settings-general.log
sed -e 's/^\(\(261120 [ 0-9:]*\)\?\t\+ *\)41 /\177 /' -e "s/'proj:g/'proj:k/g" \
    "$settings" >"$work/settings-again.log"
sed -e 's/WHERE profile_settings.name = /WHERE profile_settings.value = /' \
    "$settings" >"$work/settings-new.log"
"$n1digest" check --write-baseline "$work/settings.json" "$settings" \
    >/dev/null 2>&1
if ! grep -q $'\t *77 Query' "$work/settings-again.log" ||
    grep -q $'\t *41 ' "$work/settings-again.log"; then
    fail "settings-again.log did not move wholly to connection 77"
fi
expect_status 0 "known class, new occurrence passes" "$n1digest" check \
    --baseline "$work/settings.json" "$work/settings-again.log" &&
    expect_grep "known class is in the baseline" "^base +n_plus_one" \
        "$work/out"
expect_status 1 "new class fails" "$n1digest" check \
    --baseline "$work/settings.json" "$work/settings-new.log"

# ---- every format tells the run's status ------------------------------
# An input that cannot be read: exit 3, and no format says it passed.
nosuch=$work/nosuch.log
expect_status 3 "unreadable: text" "$n1digest" check "$nosuch" &&
    expect_no_grep "unreadable: no PASS" "PASS" "$work/out" &&
    expect_grep "unreadable: ERROR" "^n1digest check: ERROR: " "$work/out" &&
    expect_grep "unreadable: named" "^not read +.*nosuch\.log: " "$work/out"
expect_status 3 "unreadable: junit" "$n1digest" check --format junit \
    --output "$work/bad.xml" "$nosuch"
if python3 "$checker" junit "$work/bad.xml" &&
    python3 - "$work/bad.xml" <<'EOF'; then
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.get("errors") == "1", root.get("errors")
errs = [e for e in root.iter("error")]
assert len(errs) == 1 and "nosuch.log" in errs[0].get("message")
EOF
    pass
else
    fail "unreadable: JUnit has no <error> naming the input"
fi
expect_status 3 "unreadable: sarif" "$n1digest" check --format sarif \
    --output "$work/bad.sarif" "$nosuch"
if python3 "$checker" sarif "$work/bad.sarif" "$schema" &&
    python3 - "$work/bad.sarif" <<'EOF'; then
import json, sys
inv = json.load(open(sys.argv[1]))["runs"][0]["invocations"][0]
assert inv["executionSuccessful"] is False
assert any("nosuch.log" in n["message"]["text"]
           for n in inv["toolExecutionNotifications"])
EOF
    pass
else
    fail "unreadable: SARIF does not say the run failed"
fi
expect_status 3 "unreadable: json" "$n1digest" check --format json \
    "$nosuch" "$work/two.log"
if python3 - "$work/out" <<'EOF'; then
import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"] == "error", d["status"]
st = {e["path"].rsplit("/", 1)[-1]: e["status"] for e in d["input_status"]}
assert st == {"nosuch.log": "error", "two.log": "read"}, st
EOF
    pass
else
    fail "unreadable: JSON has no per-input status"
fi
# A readable run's SARIF says it succeeded.
"$n1digest" check --format sarif --output "$work/ok.sarif" "$work/two.log" \
    >/dev/null 2>&1
if python3 "$checker" sarif "$work/ok.sarif" "$schema" &&
    python3 - "$work/ok.sarif" <<'EOF'; then
import json, sys
inv = json.load(open(sys.argv[1]))["runs"][0]["invocations"][0]
assert inv["executionSuccessful"] is True
assert inv["toolExecutionNotifications"] == []
EOF
    pass
else
    fail "readable: SARIF executionSuccessful is not true"
fi
# --write-baseline says what it wrote, exit 0, neither PASS nor FAIL,
# although two.log has findings that fail the gate.
expect_status 0 "write-baseline: status" "$n1digest" check \
    --write-baseline "$work/wb.json" "$work/two.log" &&
    expect_no_grep "write-baseline: no PASS/FAIL" "PASS|FAIL" "$work/out" &&
    expect_grep "write-baseline: says so" \
        "^n1digest check: baseline of [1-9][0-9]* results? written to " \
        "$work/out"
# ... and so does every CI format: JUnit without failures, each result
# a skipped case naming the baseline and a status property; SARIF a
# successful run with a note and failures 0; JSON status and fails.
"$n1digest" check --write-baseline "$work/wb2.json" --format junit \
    --output "$work/wb.xml" "$work/two.log" >/dev/null 2>&1
"$n1digest" check --write-baseline "$work/wb3.json" --format sarif \
    --output "$work/wb.sarif" "$work/two.log" >/dev/null 2>&1
"$n1digest" check --write-baseline "$work/wb4.json" --format json \
    --output "$work/wb.jsonout" "$work/two.log" >/dev/null 2>&1
"$n1digest" check --write-baseline "$work/wb5.json" --format junit \
    --output "$work/wbe.xml" "$work/two.log" "$work/nosuch.log" \
    >/dev/null 2>&1
if python3 "$checker" sarif "$work/wb.sarif" "$schema" &&
    python3 - "$work" <<'EOF'; then
import json, os, sys
import xml.etree.ElementTree as ET
w = sys.argv[1]
n = len(json.load(open(os.path.join(w, "wb2.json")))["findings"])
assert n > 0
suite = ET.parse(os.path.join(w, "wb.xml")).getroot()
for el in (suite, suite.find("testsuite")):
    assert el.get("failures") == "0" and el.get("errors") == "0", el.attrib
props = {p.get("name"): p.get("value") for p in suite.iter("property")}
assert props["status"] == "baseline_written", props
cases = [c for c in suite.iter("testcase") if c.find("skipped") is not None
         and "baseline" in c.find("skipped").get("message")]
assert len(cases) == n and not list(suite.iter("failure")), len(cases)
run = json.load(open(os.path.join(w, "wb.sarif")))["runs"][0]
inv = run["invocations"][0]
assert inv["executionSuccessful"] is True
notes = inv["toolExecutionNotifications"]
assert len(notes) == 1 and notes[0]["level"] == "note", notes
assert "written to" in notes[0]["message"]["text"]
assert run["properties"]["failures"] == 0
assert run["properties"]["status"] == "baseline_written"
assert len(run["results"]) == n
doc = json.load(open(os.path.join(w, "wb.jsonout")))
assert doc["status"] == "baseline_written" and doc["failures"] == 0
assert not any(r["fails"] for r in doc["results"])
# An unreadable input: the baseline is written, the run is an error.
bad = ET.parse(os.path.join(w, "wbe.xml")).getroot()
assert bad.get("errors") == "1" and bad.get("failures") == "0", bad.attrib
assert {p.get("name"): p.get("value")
        for p in bad.iter("property")}["status"] == "error"
EOF
    pass
else
    fail "write-baseline: JUnit, SARIF or JSON not truthful"
fi
# A first CI run: --baseline names a file not there yet: an empty
# baseline and a notice, the gate runs (exit 1 on two.log's findings).
expect_status 1 "missing baseline: runs" "$n1digest" check \
    --baseline "$work/first-run.json" "$work/two.log" &&
    expect_grep "missing baseline: notice" \
        "NOTE baseline .*first-run\.json does not exist yet" "$work/err"

echo "check.sh: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
