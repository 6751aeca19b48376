#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# --format html of digest, analyze and check: every page is one
# self-contained file (one inline script, nothing loaded, no remote
# address) in which the log's text is escaped. The hostile log
# (fixtures/html/hostile-general.log) carries </script>, <img onerror>,
# quotes and invalid UTF-8 in a statement, in the user name and in the
# sqlcommenter tags; check_html.py parses each page as a browser would
# and checks that this text is shown as text and never becomes markup.
#
# usage: html.sh N1DIGEST FIXTURES_DIR
set -u
n1digest=$1
fixtures=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
checker=$root/tests/cli/check_html.py
hostile=$fixtures/html/hostile-general.log
sample=$fixtures/sample/settings-general.log
# shellcheck source=tests/cli/lib.bash
source "$root/tests/cli/lib.bash"

# The log's text, as the page must show it (U+FFFD for the bytes that are
# not UTF-8): the statement of the parent, the user, the file tag.
stmt='</script><script>document.title="pwned"</script>'
user="x<img/src=x/onerror=document.title='pwned'>\"q"$'\xef\xbf\xbd'
loc='<script>document.title=1</script>'$'\xef\xbf\xbd'.py:9

# page NAME ARGS...: checks the page with check_html.py ARGS.
page()
{
    local name=$1
    shift
    if python3 "$checker" "$@"; then
        pass
    else
        fail "$name"
    fi
}

# The hostile log: 14 statements in 3 classes (SET NAMES, the orders
# parent, the 12 items lookups) and its Connect and Quit, a class each
# (administrator commands, as pt-query-digest counts them): 5 classes;
# one N+1 class of one occurrence.
expect_status 0 "digest html" "$n1digest" digest --format html \
    --output "$work/digest.html" "$hostile" &&
    page "digest: escaped" "$work/digest.html" --shows "$stmt" \
        --shows "$user" --rows class=5
[ -s "$work/out" ] && fail "digest --output: stdout not empty"

expect_status 0 "analyze html" "$n1digest" analyze --db :memory: \
    --format html --output "$work/analyze.html" "$hostile" &&
    page "analyze: escaped" "$work/analyze.html" --shows "$stmt" \
        --shows "$loc" --rows finding=1 --rows occurrence=1

# check fails (1) on the new N+1 loop; its results are the JSON's.
expect_status 1 "check json" "$n1digest" check --format json "$hostile"
results=$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["results"]))' \
    <"$work/out")
expect_status 1 "check html" "$n1digest" check --format html \
    --output "$work/check.html" "$hostile" &&
    page "check: escaped" "$work/check.html" --shows "$loc" \
        --rows result="$results"

# Without --output the page goes to stdout; the sample log's pages are
# self-contained too (10 classes; the loop and the fan-out).
expect_status 0 "digest html stdout" "$n1digest" digest --format html \
    "$sample" &&
    page "digest sample" "$work/out" --rows class=10
expect_status 0 "analyze html stdout" "$n1digest" analyze --db :memory: \
    --format html "$sample" &&
    page "analyze sample" "$work/out" --rows finding=2 --rows occurrence=2

# Calls and time over the span are counted while the LOGs are read, for
# each class of the report (the sample's two databases with --group-by
# db); a report on a store alone draws each class's active span.
expect_status 0 "digest --group-by db html" "$n1digest" digest \
    --group-by db --format html "$sample" &&
    page "digest --group-by db" "$work/out" --rows class=2
if [ "$(grep -c "<figcaption>Calls and time over the log's span" \
    "$work/out")" -eq 2 ]; then
    pass
else
    fail "digest --group-by db: two series charts"
fi
expect_status 0 "digest into a store" "$n1digest" digest --db "$work/st.db" \
    "$sample"
expect_status 0 "digest html of a store" "$n1digest" digest \
    --db "$work/st.db" --format html &&
    page "digest of a store" "$work/out" --rows class=10
if [ "$(grep -c '<figcaption>Active within' "$work/out")" -eq 10 ]; then
    pass
else
    fail "digest of a store: ten span charts"
fi

# A page that cannot be written is a SYSTEM error naming the file.
expect_status 2 "unwritable --output" "$n1digest" digest --format html \
    --output "$work/no/such/dir/x.html" "$sample" &&
    if grep -q "SYSTEM cannot write $work/no/such/dir/x.html" "$work/err"; then
        pass
    else
        fail "unwritable --output: message"
    fi

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
