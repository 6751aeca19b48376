#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Markdown of check, rendered as GitHub renders it (cmark-gfm, the
# GitHub Flavored Markdown reference, with its table extension and raw
# HTML let through as GitHub's <details> needs): on a log whose key
# values and source location carry pipes, backtick runs longer than a
# fence, markup and mentions, the page has one table row of 8 cells per
# new finding, no element the log wrote (no <script>, no <img>), and
# each rewrite in a code block whose text is the JSON report's rewrite
# byte for byte.
#
# usage: markdown_render.sh N1DIGEST FIXTURES_DIR
set -uo pipefail
n1digest=$1
# shellcheck source=tests/cli/lib.bash
source "$(dirname "$0")/lib.bash"

if ! command -v cmark-gfm >/dev/null 2>&1; then
    echo "markdown_render.sh: cmark-gfm is not installed" >&2
    exit 77
fi

# A general log: one loop keyed by hostile strings, tagged with a hostile
# source location; a second loop keyed by numbers.
{
    printf '%s\n%s\n%s\n' \
        '/usr/sbin/mariadbd, Version: 10.11.19-MariaDB-0+deb12u1-log (Debian 12). started with:' \
        'Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock' \
        "$(printf 'Time\t\t    Id Command\tArgument')"
    printf '\t\t    7 Query\tSELECT users.id FROM users ORDER BY users.id\n'
    for v in '````a|b' '<script>alert(1)</script>' '<img src=x onerror=alert(2)>' \
        '@octocat & co' '# heading' '- item'; do
        printf '\t\t    7 Query\tSELECT posts.id FROM posts WHERE posts.title = '"'"'%s'"'"' /*file='"'"'app%%2F%%3Cb%%3E%%7Cx%%60.py%%3A9'"'"'*/\n' "$v"
    done
    printf '\t\t    8 Query\tSELECT orders.id FROM orders ORDER BY orders.id\n'
    for i in 1 2 3 4 5; do
        printf '\t\t    8 Query\tSELECT items.sku FROM items WHERE items.order_id = %s\n' "$i"
    done
} >"$work/hostile.log"

"$n1digest" check --format markdown "$work/hostile.log" >"$work/out.md" \
    2>"$work/err"
rc=$?
[ "$rc" -eq 1 ] || fail "check markdown: exit $rc, expected 1"
"$n1digest" check --format json "$work/hostile.log" >"$work/out.json" \
    2>"$work/err"
cmark-gfm -e table -e autolink -e strikethrough --unsafe "$work/out.md" \
    >"$work/out.html" || fail "cmark-gfm failed"

if python3 - "$work/out.html" "$work/out.json" <<'PY'; then
import json, sys
from html.parser import HTMLParser

page = open(sys.argv[1], encoding="utf-8").read()
doc = json.load(open(sys.argv[2], encoding="utf-8"))
new = [r for r in doc["results"] if r["state"] == "new"]


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []
        self.rows = []     # cells of each body row
        self.code = []     # text of each <code> in a <pre>
        self.in_body = self.in_cell = self.in_code = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body:
            self.rows.append([])
        elif tag == "td" and self.in_body:
            self.in_cell = True
            self.rows[-1].append("")
        elif tag == "code" and self.tags[-2:-1] == ["pre"]:
            self.in_code = True
            self.code.append("")

    def handle_endtag(self, tag):
        if tag == "tbody":
            self.in_body = False
        elif tag == "td":
            self.in_cell = False
        elif tag == "code":
            self.in_code = False

    def handle_data(self, data):
        if self.in_cell:
            self.rows[-1][-1] += data
        if self.in_code:
            self.code[-1] += data


p = Page()
p.feed(page)
ok = True


def bad(msg):
    global ok
    print(msg, file=sys.stderr)
    ok = False


for t in ("script", "img"):
    if t in p.tags:
        bad(f"the page has a <{t}> element")
if len(p.rows) != len(new):
    bad(f"{len(p.rows)} table rows, JSON has {len(new)} new findings")
for r in p.rows:
    if len(r) != 8:
        bad(f"a row of {len(r)} cells: {r}")
# The location cell shows the tag's text as it was.
locs = [r[4] for r in p.rows if len(r) == 8]
if "app/<b>|x`.py:9" not in locs:
    bad(f"no cell with the location app/<b>|x`.py:9 in {locs}")
rewrites = [r["rewrite"] for r in new if r.get("rewrite")]
code = [c[:-1] if c.endswith("\n") else c for c in p.code]
if sorted(code) != sorted(rewrites):
    bad(f"code blocks {code!r} are not the rewrites {rewrites!r}")
if not any("````a|b" in c for c in code):
    bad("no rewrite with the backtick run in a code block")
if p.tags.count("details") != len(rewrites):
    bad(f"{p.tags.count('details')} <details>, {len(rewrites)} rewrites")
sys.exit(0 if ok else 1)
PY
    pass
else
    fail "the rendered page does not show the JSON report's findings"
    sed 's/^/    | /' "$work/out.md" >&2
fi

echo "markdown_render.sh: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
