#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# --format markdown of check and analyze, against the JSON report of the
# same run: one table row per new result (check) or class (analyze), one
# <details> per rewrite among them, the status heading (FAIL, PASS, and
# ERROR, never PASS, when an input could not be read), a source location
# with a pipe and a backtick escaped in its cell, --output FILE.
#
# usage: markdown.sh N1DIGEST FIXTURES_DIR
set -uo pipefail
n1digest=$1
fixtures=$2
# shellcheck source=tests/cli/lib.bash
source "$(dirname "$0")/lib.bash"

# compare NAME MODE MD JSON: the Markdown document MD shows what the JSON
# report says (MODE check: the new results; analyze: every class).
compare()
{
    if python3 - "$2" "$3" "$4" <<'PY'; then
import json, re, sys
mode, md_path, json_path = sys.argv[1:4]
md = open(md_path, encoding="utf-8").read()
doc = json.load(open(json_path, encoding="utf-8"))
if mode == "check":
    items = [r for r in doc["results"] if r["state"] == "new"]
else:
    items = doc["classes"]
rows = [l for l in md.splitlines() if re.match(r"^\| [0-9]+ \| ", l)]
details = md.count("<details>")
rewrites = sum(1 for r in items if r.get("rewrite"))
ok = True
if len(rows) != len(items):
    print(f"{len(rows)} rows, JSON has {len(items)} findings", file=sys.stderr)
    ok = False
if details != rewrites:
    print(f"{details} <details>, JSON has {rewrites} rewrites", file=sys.stderr)
    ok = False
# Every row has the 8 cells of the header: no cell text broke the table.
for l in rows:
    cells = re.split(r"(?<!\\)\|", l)[1:-1]
    if len(cells) != 8:
        print(f"{len(cells)} cells in: {l}", file=sys.stderr)
        ok = False
sys.exit(0 if ok else 1)
PY
        pass
    else
        fail "$1: Markdown and JSON disagree"
    fi
}

# expect_grep NAME PATTERN FILE
expect_grep()
{
    if grep -qE -- "$2" "$3"; then
        pass
    else
        fail "$1: no line matching '$2' in:"
        sed 's/^/    | /' "$3" | head -20 >&2
    fi
}

# A general log with a loop whose source location has a pipe and a
# backtick (sqlcommenter percent-encodes them).
{
    printf '%s\n%s\n%s\n' \
        '/usr/sbin/mariadbd, Version: 10.11.19-MariaDB-0+deb12u1-log (Debian 12). started with:' \
        'Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock' \
        "$(printf 'Time\t\t    Id Command\tArgument')"
    printf '\t\t    7 Query\tSELECT users.id FROM users ORDER BY users.id\n'
    for i in 1 2 3 4 5 6; do
        printf '\t\t    7 Query\tSELECT posts.title FROM posts WHERE posts.user_id = %s /*file='"'"'app%%2Fx%%7Cy%%60z.py%%3A3'"'"'*/\n' "$i"
    done
} >"$work/tagged.log"
logs=("$fixtures"/analyze/mysql-8.0-general.log
    "$fixtures"/analyze/mysql-8.0-slow.log "$work/tagged.log")

# ---- check --------------------------------------------------------------
expect_status 1 "check markdown: fails on new findings" "$n1digest" check \
    --format markdown "${logs[@]}" && cp "$work/out" "$work/check.md"
expect_status 1 "check json" "$n1digest" check --format json "${logs[@]}" &&
    cp "$work/out" "$work/check.json"
compare "check" check "$work/check.md" "$work/check.json"
expect_grep "check: status heading" "^## n1digest check: FAIL$" "$work/check.md"
expect_grep "check: escaped location" \
    '\| app/x\\\|y\\`z\.py:3 \|' "$work/check.md"

# Nothing at or above error: PASS, the same rows.
expect_status 0 "check markdown pass" "$n1digest" check --fail-on error \
    --format markdown --output "$work/pass.md" "${logs[@]}"
expect_grep "check: PASS heading" "^## n1digest check: PASS$" "$work/pass.md"
compare "check --fail-on error" check "$work/pass.md" "$work/check.json"

# An input that is not a log: ERROR, never PASS, and the input listed.
printf 'not a log\n' >"$work/notalog.txt"
expect_status 3 "check markdown unreadable" "$n1digest" check \
    --fail-on error --format markdown "${logs[@]}" "$work/notalog.txt"
expect_grep "check: ERROR heading" "^## n1digest check: ERROR$" "$work/out"
expect_grep "check: input listed" "^- .*notalog\.txt: " "$work/out"
if grep -q "PASS" "$work/out"; then
    fail "check: unreadable input says PASS"
fi

# ---- analyze ------------------------------------------------------------
expect_status 0 "analyze markdown" "$n1digest" analyze --db :memory: \
    --format markdown --output "$work/analyze.md" "${logs[@]}"
expect_status 0 "analyze json" "$n1digest" analyze --db :memory: \
    --format json "${logs[@]}" && cp "$work/out" "$work/analyze.json"
compare "analyze" analyze "$work/analyze.md" "$work/analyze.json"
expect_grep "analyze: status heading" "^## n1digest analyze: FINDINGS$" \
    "$work/analyze.md"
expect_status 1 "analyze markdown --fail-on-findings" "$n1digest" analyze \
    --db :memory: --fail-on-findings --format markdown "${logs[@]}"
expect_grep "analyze: FAIL heading" "^## n1digest analyze: FAIL$" "$work/out"
expect_status 3 "analyze markdown unreadable" "$n1digest" analyze \
    --db :memory: --format markdown "${logs[@]}" "$work/notalog.txt"
expect_grep "analyze: ERROR heading" "^## n1digest analyze: ERROR$" \
    "$work/out"
expect_status 2 "digest takes no markdown" "$n1digest" digest --db :memory: \
    --format markdown "${logs[@]}"

echo "markdown.sh: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
