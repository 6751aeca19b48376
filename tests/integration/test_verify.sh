#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `n1digest verify` against a real server: a workload with an N+1 SELECT
# loop (a parent SELECT of 40 group ids, then one lookup per id) and an
# UPDATE loop is run through the mariadb client, its general log
# analyzed to JSON, then:
#  (a) verify as a user with only SELECT on the schema, with a password
#      given with --password: every SELECT finding verified, exit 0, the
#      verdict in the store, the parent proven, the index advice for the
#      table without one and none for the others; the UPDATE loop skipped (no --allow-writes);
#      the LOG operand (analyzed in memory) gives the same verdicts;
#      --allow-writes as root verifies the UPDATE in a rolled-back
#      transaction (the table is unchanged afterwards); analyze's text,
#      JSON, HTML and Markdown reports on the verdict store, and check
#      --verdicts as Markdown and JSON, show "verified on SOCKET at TIME";
#  (b) one key of the rewrite's IN list changed: differs, exit 1;
#  (c) the rewrite edited to write INTO OUTFILE: skipped with the reason;
#  (d) a socket where no server listens: exit 5, one line naming it;
#  (e) the password appears in no output and not in the store.
#
# usage: test_verify.sh N1DIGEST SOURCE_ROOT CMAKE_BINARY_DIR
# On failure the outputs are kept in CMAKE_BINARY_DIR/Testing/verify/.
set -euo pipefail
# shellcheck source=tests/integration/lib_mariadb.sh
source "$(dirname "$0")/lib_mariadb.sh"
mdb_test_args "$@"
n1digest=$(realpath -m "$n1digest")

PW='vf-Pw_51d0c2e8' # the verify user's password: must never be echoed

mdb_require test_verify python3 grep
mdb_require_built test_verify "$n1digest"
mdb_work_dir
mdb_start

fail()
{
    echo "test_verify: FAIL: $*" >&2
    mdb_keep_for_inspection test_verify "$bindir/Testing/verify"
    exit 1
}

# Schema, data and the verify user: SELECT on the schema only.
mdb_sql "CREATE DATABASE app;
CREATE TABLE app.project_groups (project_id INT NOT NULL,
  gid INT NOT NULL, PRIMARY KEY (project_id, gid));
CREATE TABLE app.group_names (gid INT PRIMARY KEY, name VARCHAR(32),
  note VARCHAR(32));
CREATE TABLE app.stock (sku VARCHAR(8) PRIMARY KEY, qty INT NOT NULL);
CREATE TABLE app.tags (gid INT NOT NULL, tag VARCHAR(16) NOT NULL);"
# Not in the general log, which the reports read: the password must only
# reach the server through verify's own options.
mdb_sql "SET SESSION sql_log_off = 1;
CREATE USER 'vf'@'localhost' IDENTIFIED BY '$PW';
GRANT SELECT ON app.* TO 'vf'@'localhost';"
python3 - "$work/seed.sql" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("USE app;\n")
    for g in range(1, 61):
        f.write("INSERT INTO group_names VALUES (%d, 'group %d', %s);\n"
                % (g, g, "NULL" if g % 7 == 0 else "'n%d'" % g))
    for g in range(1, 41):
        f.write("INSERT INTO project_groups VALUES (7, %d);\n" % (g * 1))
    for s in "ABCDEFGH":
        f.write("INSERT INTO stock VALUES ('%s1', 10);\n" % s)
    for g in range(1, 61):
        for t in range(g % 3):
            f.write("INSERT INTO tags VALUES (%d, 'tag%d');\n" % (g, t))
PY
mdb_sql "source $work/seed.sql"

# The application: one connection, a parent SELECT, then 40 lookups by
# key (the N+1 loop); then 6 UPDATEs by key (a write loop).
python3 - "$work/app.sql" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("USE app;\nSET autocommit=1;\n")
    f.write("SELECT project_groups.gid FROM project_groups "
            "WHERE project_groups.project_id = 7;\n")
    for g in range(1, 41):
        f.write("SELECT group_names.name, group_names.note FROM group_names "
                "WHERE group_names.gid = %d;\n" % g)
    f.write("SET autocommit=1;\n")
    for g in range(1, 9):
        f.write("SELECT tags.tag FROM tags WHERE tags.gid = %d;\n" % g)
    f.write("SET autocommit=1;\n")
    for s in "ABCDEF":
        f.write("UPDATE stock SET qty = qty - 1 WHERE sku = '%s1';\n" % s)
PY
mdb_sql "source $work/app.sql" >/dev/null
mdb_sql "FLUSH GENERAL LOGS"
cp "$MDB_GENERAL_LOG" "$work/general.log"
"$n1digest" analyze --db "$work/analyze.db" --format json "$work/general.log" \
    >"$work/report.json" 2>"$work/analyze.err" ||
    fail "analyze exited $?: $(cat "$work/analyze.err")"

# The report must hold the SELECT loop with 40 keys and the UPDATE loop.
python3 - "$work/report.json" <<'PY' || fail "the report lacks the loops"
import json, sys
d = json.load(open(sys.argv[1]))
sel = [c for c in d["classes"] if c["table"] == "group_names"]
upd = [c for c in d["classes"] if c["table"] == "stock"]
assert len(sel) == 1 and len(sel[0]["keys"]) == 40, sel
assert len(upd) == 1 and upd[0]["statement"] == "update", upd
PY
sel_id=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]));
print([c["id"] for c in d["classes"] if c["table"]=="group_names"][0])' \
    "$work/report.json")

vf=(--socket "$MDB_SOCKET" --database app --user vf --password="$PW" --db "$work/v.db")

# (a) all verified, exit 0; the UPDATE skipped without --allow-writes.
rc=0
"$n1digest" verify "${vf[@]}" "$work/report.json" >"$work/a.out" \
    2>"$work/a.err" || rc=$?
[ "$rc" -eq 0 ] || fail "(a) exit $rc: $(cat "$work/a.out" "$work/a.err")"
grep -q "^verified $sel_id n_plus_one select group_names: 40 keys" \
    "$work/a.out" || fail "(a) SELECT loop not verified: $(cat "$work/a.out")"
grep -Eq "^skipped +.* stock.*--allow-writes" "$work/a.out" ||
    fail "(a) UPDATE not skipped with the reason: $(cat "$work/a.out")"
# Parent proof: the 40 keys are the gids the parent SELECT returns.
grep -q "^  parent proven: 40/40 keys from project_groups.gid$" "$work/a.out" ||
    fail "(a) no parent proof: $(cat "$work/a.out")"
grep -Eq "^  plan: loop: const on PRIMARY; rewrite: " "$work/a.out" ||
    fail "(a) no plan line: $(cat "$work/a.out")"
# tags has no index on gid: the advice names it; group_names needs none.
grep -qF '  index advice: CREATE INDEX `n1_tags_gid` ON `tags` (`gid`);' \
    "$work/a.out" || fail "(a) no index advice for tags: $(cat "$work/a.out")"
[ "$(grep -c "index advice" "$work/a.out")" -eq 1 ] ||
    fail "(a) index advice where an index exists: $(cat "$work/a.out")"
grep -q "^verified .* select tags: 8 keys" "$work/a.out" ||
    fail "(a) the tags loop is not verified: $(cat "$work/a.out")"
verdict=$(python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]);
print("|".join(map(str, c.execute("select verdict, host from verdicts"
" where id = ?", (int(sys.argv[2], 16) - (1 << 64) if int(sys.argv[2], 16)
>= 1 << 63 else int(sys.argv[2], 16),)).fetchone())))' \
    "$work/v.db" "$sel_id")
[ "$verdict" = "verified|$MDB_SOCKET" ] ||
    fail "(a) stored verdict is '$verdict'"

# The same from the log, analyzed in memory; JSON output.
rc=0
"$n1digest" verify "${vf[@]}" --format json "$work/general.log" \
    >"$work/a2.out" 2>"$work/a2.err" || rc=$?
[ "$rc" -eq 0 ] || fail "(a) LOG operand exit $rc: $(cat "$work/a2.err")"
python3 - "$work/a2.out" "$sel_id" <<'PY' || fail "(a) JSON results wrong"
import json, sys
d = json.load(open(sys.argv[1]))
r = {x["id"]: x for x in d["results"]}
assert r[sys.argv[2]]["verdict"] == "verified", r
assert r[sys.argv[2]]["loop_rows"] == 40, r
assert [x["verdict"] for x in d["results"]].count("skipped") == 1, r
assert [x["verdict"] for x in d["results"]].count("verified") == 2, r
PY

# --allow-writes (root: the verify user may not write): the UPDATE loop
# and its rewrite change 6 rows each, both rolled back.
rc=0
"$n1digest" verify --socket "$MDB_SOCKET" --database app --user root --db "$work/v.db" \
    --allow-writes "$work/report.json" >"$work/w.out" 2>"$work/w.err" ||
    rc=$?
[ "$rc" -eq 0 ] || fail "--allow-writes exit $rc: $(cat "$work/w.out")"
grep -q "^verified .* update stock: 6 rows matched or affected" "$work/w.out" ||
    fail "--allow-writes: $(cat "$work/w.out")"
[ "$(mdb_sql "SELECT SUM(qty) FROM app.stock" -N -B)" = 74 ] ||
    fail "--allow-writes changed the data"

# The reports of analyze on the store with the verdicts show them.
"$n1digest" analyze --db "$work/v.db" "$work/general.log" >"$work/r.out" \
    2>"$work/r.err" || fail "analyze on the verdict store: $(cat "$work/r.err")"
[ "$(grep -c "^    verify      verified on $MDB_SOCKET at 20" "$work/r.out")" \
    -eq 3 ] || fail "the text report lacks the verdicts: $(cat "$work/r.out")"
"$n1digest" analyze --db "$work/v.db" --format json "$work/general.log" \
    >"$work/r.json" 2>>"$work/r.err" || fail "analyze --format json failed"
python3 - "$work/r.json" "$sel_id" "$MDB_SOCKET" <<'PY' ||
import json, sys
d = json.load(open(sys.argv[1]))
v = {c["id"]: c.get("verification") for c in d["classes"]}
assert v[sys.argv[2]]["verdict"] == "verified", v
assert v[sys.argv[2]]["host"] == sys.argv[3], v
PY
    fail "the JSON report lacks the verdicts"
# The HTML and Markdown reports of analyze show them too; so does check,
# from the store --verdicts names (its own store is in memory).
"$n1digest" analyze --db "$work/v.db" --format html "$work/general.log" \
    >"$work/r.html" 2>>"$work/r.err" || fail "analyze --format html failed"
"$n1digest" analyze --db "$work/v.db" --format markdown "$work/general.log" \
    >"$work/r.md" 2>>"$work/r.err" || fail "analyze --format markdown failed"
for f in markdown json; do
    rc=0
    "$n1digest" check --verdicts "$work/v.db" --format "$f" \
        "$work/general.log" >"$work/k.$f" 2>>"$work/k.err" || rc=$?
    # The loops are new (no baseline) warnings: check fails (1).
    [ "$rc" -eq 1 ] || fail "check --verdicts --format $f exit $rc: \
$(cat "$work/k.err")"
done
python3 - "$work" "$sel_id" "$MDB_SOCKET" <<'PY' ||
import html, json, re, sys
work, sel, sock = sys.argv[1:]
# The verdicts: the two SELECT loops and the UPDATE loop (verified with
# --allow-writes) all verified on the socket; no other class has one.
at = r" at 20\d\d-\d\d-\d\dT[0-9:]+Z"
line = re.escape("verified on " + sock) + at
page = open(work + "/r.html").read()
cells = re.findall(r'<td data-n1-verdict="([^"]*)"[^>]*>(.*?)</td>', page)
assert all(c[0] in ("verified", "") for c in cells), cells
ok = [c for c in cells if c[0] == "verified"]
assert len(ok) == 3, cells
for _, text in ok:
    assert re.fullmatch('<span class="pass">' + line + "</span>",
                        html.unescape(text)), text
assert page.count('<dd data-n1-verdict="verified"') == 3, "cards"
# Markdown: the socket as a table cell escapes it (markdown.h).
def md(s):
    out = ""
    for ch in s:
        ref = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "@": "&#64;"}
        out += ref.get(ch) or ("\\" + ch if ch in "\\`|*_[]~!#$" else ch)
    return out
mdline = re.escape("verified on " + md(sock)) + at
for name in ("r.md", "k.markdown"):
    doc = open(work + "/" + name).read()
    rows = re.findall(r"\| " + mdline + r" \|\n", doc)
    assert len(rows) == 3, (name, doc)
    assert len(re.findall(r"\*\*Verification\*\*: " + mdline, doc)) == 3, doc
k = json.load(open(work + "/k.json"))
v = {r["id"]: r.get("verification") for r in k["results"]}
assert v[sel]["verdict"] == "verified" and v[sel]["host"] == sock, v
assert len([x for x in v.values() if x is not None]) == 3, v
PY
    fail "the HTML, Markdown or check reports lack the verdicts"
# A --verdicts store that does not exist is not created: exit 2 and an
# error naming it.
rc=0
"$n1digest" check --verdicts "$work/none.db" "$work/general.log" \
    >/dev/null 2>"$work/k2.err" || rc=$?
if [ "$rc" -ne 2 ] || [ -e "$work/none.db" ] ||
    ! grep -q "^n1digest: SYSTEM $work/none.db: cannot open the --verdicts" \
        "$work/k2.err"; then
    fail "check --verdicts on a missing store: exit $rc: $(cat "$work/k2.err")"
fi

# (b) one key of the IN list changed (17 -> 59): differs, exit 1.
python3 - "$work/report.json" "$work/b.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for c in d["classes"]:
    if c["table"] == "group_names":
        assert ", 17, " in c["rewrite"]
        c["rewrite"] = c["rewrite"].replace(", 17, ", ", 59, ")
json.dump(d, open(sys.argv[2], "w"))
PY
rc=0
"$n1digest" verify "${vf[@]}" --id "$sel_id" "$work/b.json" \
    >"$work/b.out" 2>"$work/b.err" || rc=$?
[ "$rc" -eq 1 ] || fail "(b) exit $rc, expected 1: $(cat "$work/b.out")"
grep -Eq "^differs +$sel_id .*'group 17'.* for key 17 is not in the rewrite" \
    "$work/b.out" || fail "(b) no differing row: $(cat "$work/b.out")"

# (c) the rewrite edited to write a file: refused, skipped, exit 0.
python3 - "$work/report.json" "$work/c.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for c in d["classes"]:
    if c["table"] == "group_names":
        c["rewrite"] += " INTO OUTFILE '/tmp/n1-verify-leak'"
json.dump(d, open(sys.argv[2], "w"))
PY
rc=0
"$n1digest" verify "${vf[@]}" --id "$sel_id" "$work/c.json" \
    >"$work/c.out" 2>"$work/c.err" || rc=$?
[ "$rc" -eq 0 ] || fail "(c) exit $rc: $(cat "$work/c.out")"
grep -Eq "^skipped +$sel_id .*refused: INTO OUTFILE" "$work/c.out" ||
    fail "(c) not refused: $(cat "$work/c.out")"

# (d) nothing listens on the socket: exit 5, one line naming it.
rc=0
"$n1digest" verify --socket "$work/none.sock" --user vf --password="$PW" \
    --db "$work/v.db" "$work/report.json" >"$work/d.out" \
    2>"$work/d.err" || rc=$?
[ "$rc" -eq 5 ] || fail "(d) exit $rc, expected 5: $(cat "$work/d.err")"
if [ "$(wc -l <"$work/d.err")" -ne 1 ] ||
    ! grep -q "$work/none.sock" "$work/d.err"; then
    fail "(d) message: $(cat "$work/d.err")"
fi

# (e) the password in no output and not in the store.
if grep -l -- "$PW" "$work"/*.out "$work"/*.err "$work"/*.json \
    "$work/v.db"; then
    fail "(e) the password was written"
fi
echo "test_verify: ok"
