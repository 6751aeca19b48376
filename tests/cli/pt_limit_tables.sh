#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# digest --limit P%[:N] and --group-by tables against pt-query-digest on
# fixtures/digest/tables.log: the same classes in the profile, in the
# same order, with the same response time and calls, the same number of
# classes left to MISC and the same overall count. (The numbers
# themselves are worked out in tests/cli/digest_habits.sh.) Skipped (77)
# only when pt-query-digest is not installed.
# usage: pt_limit_tables.sh N1DIGEST FIXTURES_DIR
set -u
n1=$1
fx=$2
# shellcheck source=tests/cli/lib.bash
source "$(dirname "$0")/lib.bash"

if ! command -v pt-query-digest >/dev/null 2>&1; then
    echo "pt_limit_tables.sh: pt-query-digest missing (percona-toolkit)" >&2
    exit 77
fi
log=$fx/digest/tables.log

# profile FILE WITH_ITEM: the profile rows of a report (either tool's) as
# "time calls [item]" lines, then "MISC n" and "total n".
profile() {
    python3 - "$1" "$2" <<'PY'
import re, sys
with_item = sys.argv[2] == "1"
for line in open(sys.argv[1]):
    m = re.match(r"^#\s+\d+ (?:0x\S*|[0-9a-f]{16})\s+([\d.]+)\s+[\d.]+%\s+"
                 r"(\d+)\s+\S+\s+\S+\s*(.*)$", line)
    if m:
        print(m.group(1), m.group(2), m.group(3).strip() if with_item else "")
    m = re.search(r"^# MISC .*<(\d+) ITEMS>", line)
    if m:
        print("MISC", m.group(1))
    m = re.match(r"^# Overall: (\d+) total", line)
    if m:
        print("total", m.group(1))
PY
}

# same NAME WITH_ITEM OPTIONS...: both tools' profiles agree.
same() {
    local name=$1 with_item=$2
    shift 2
    pt-query-digest "$@" "$log" >"$work/pt.txt" 2>/dev/null ||
        fail "$name: pt-query-digest failed"
    "$n1" digest "$@" "$log" >"$work/n1.txt" 2>/dev/null ||
        fail "$name: n1digest failed"
    profile "$work/pt.txt" "$with_item" >"$work/pt.rows"
    profile "$work/n1.txt" "$with_item" >"$work/n1.rows"
    if [ ! -s "$work/pt.rows" ]; then
        fail "$name: no profile read from pt-query-digest"
    elif diff -u --label "pt-query-digest $*" --label "n1digest digest $*" \
        "$work/pt.rows" "$work/n1.rows"; then
        pass
    else
        fail "$name"
    fi
}

# The items of a fingerprint class are cut to the column by n1digest,
# so only times and calls are compared there; table names are short.
same limit-95-20 0 --limit 95%:20
same limit-50 0 --limit 50%
same limit-95-2 0 --limit 95%:2
same tables-95-20 1 --group-by tables --limit 95%:20
same tables-50 1 --group-by tables --limit 50%

if [ "$fails" -ne 0 ]; then
    echo "$fails failure(s)" >&2
    exit 1
fi
echo "pt_limit_tables.sh: all passed ($passes checks)"
