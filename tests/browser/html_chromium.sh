#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The HTML reports in a real browser: headless Chromium loads each page
# of digest, analyze and check (the hostile log, the bundled sample, a
# slow log with timings), dumps the DOM after the page's script ran and
# takes a screenshot. check_dom.py then compares the rows in the DOM with
# the JSON report of the same run, counts the SVG charts and checks that
# no injected code ran. Exits 77 only when chromium is not installed.
#
# usage: html_chromium.sh N1DIGEST FIXTURES_DIR
set -u
n1digest=$1
fixtures=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
checker=$root/tests/browser/check_dom.py
# shellcheck source=tests/cli/lib.bash
source "$root/tests/cli/lib.bash"

chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
    echo "SKIP: chromium is not installed (Debian package chromium)"
    exit 77
fi

# browse ARGS... PAGE: runs headless Chromium on file://PAGE with its own
# profile and home in the work directory, stdout in $work/dom.
browse()
{
    local page=${*: -1}
    local n=$(($# - 1))
    HOME=$work timeout 120 "$chromium" --headless --disable-gpu --no-sandbox \
        --user-data-dir="$work/profile" --no-first-run \
        --disable-extensions "${@:1:$n}" "file://$page" \
        >"$work/dom" 2>"$work/chromium.err"
}

# report NAME KIND STATUS JSON_ARGS -- HTML_ARGS: runs n1digest twice
# (JSON into $work/NAME.json, HTML into $work/NAME.html) expecting exit
# STATUS, then loads the page and checks its DOM with check_dom.py and
# the options in $checks.
report()
{
    local name=$1 kind=$2 status=$3
    shift 3
    local rc=0
    "$n1digest" "$@" --format json >"$work/$name.json" 2>/dev/null || rc=$?
    [ "$rc" -eq "$status" ] || fail "$name: json exit $rc"
    rc=0
    "$n1digest" "$@" --format html --output "$work/$name.html" \
        2>/dev/null || rc=$?
    [ "$rc" -eq "$status" ] || fail "$name: html exit $rc"
    if ! browse --dump-dom "$work/$name.html"; then
        fail "$name: chromium --dump-dom failed"
        sed 's/^/    /' "$work/chromium.err" >&2
        return
    fi
    cp "$work/dom" "$work/$name.dom"
    # shellcheck disable=SC2086  # $checks holds several options
    if python3 "$checker" "$work/$name.dom" "$work/$name.json" "$kind" \
        $checks; then
        pass
    else
        fail "$name: DOM"
    fi
    rm -f "$work/$name.png"
    browse --screenshot="$work/$name.png" --window-size=1280,1600 \
        --hide-scrollbars "$work/$name.html"
    # A PNG of the page: the signature, and more than a blank page's bytes.
    if [ "$(head -c 8 "$work/$name.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" \
        = 89504e470d0a1a0a ] && [ "$(stat -c %s "$work/$name.png")" -gt 20000 ]; then
        pass
    else
        fail "$name: no screenshot"
    fi
}

hostile=$fixtures/html/hostile-general.log
sample=$fixtures/sample/settings-general.log
slow=$fixtures/slow/mysql-8.0.log

# Charts: the profile's bars and one span per class (digest); the cost
# bars and one series per class (analyze); the results' bars (check).
checks="--charts 4"
report digest-hostile digest 0 digest "$hostile"
checks="--charts 2"
report analyze-hostile analyze 0 analyze --db :memory: "$hostile"
checks="--charts 1"
report check-hostile check 1 check "$hostile"
report digest-sample digest 0 digest "$sample"
report analyze-sample analyze 0 analyze --db :memory: "$sample"
report check-sample check 1 check "$sample"
# A slow log has timings: each class then has its query-time chart.
checks="--charts 3"
report digest-slow digest 0 digest "$slow"
for what in "digest-slow:Query_time distribution" \
    "digest-slow:Share of response time" \
    "analyze-hostile:Calls and time over the findings' span"; do
    if grep -q "<figcaption>${what#*:}</figcaption>" "$work/${what%%:*}.dom"; then
        pass
    else
        fail "${what%%:*}: no chart '${what#*:}'"
    fi
done

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
