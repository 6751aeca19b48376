#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# CLI test for `n1digest fingerprint`: arguments, stdin cutting, --json,
# --help and usage errors.
# usage: fingerprint.sh N1DIGEST FIXTURES_DIR
set -u
n1=$1
# shellcheck source=tests/cli/lib.bash
source "$(dirname "$0")/lib.bash"

# 1. one fingerprint per argument, each argument taken whole
"$n1" fingerprint "SELECT * FROM t WHERE id=1" "select a from t; select 2" \
    >"$work/out" 2>&1
cat >"$work/exp" <<'X'
select * from t where id = ?
select a from t; select ?
X
check args "$work/exp" "$work/out"

# 2. stdin: ';' ends a statement only outside strings, names, comments
printf '%s\n' \
    "select 1; select 'a;b' -- c;d" \
    "; select \`x;y\` from t /* ; */ where a = \"q\\\";\" ;" \
    "insert into t values (1), (2)  # trailing; comment" \
    ";;  " \
    "select 'it''s;' from t" | "$n1" fingerprint >"$work/out" 2>&1
cat >"$work/exp" <<'X'
select ?
select ?
select `x;y` from t where a = ?
insert into t values(?+)
select ? from t
X
check stdin "$work/exp" "$work/out"

# 3. --json: one object per line, values unescaped, tags split out
"$n1" fingerprint --json \
    "select 'O''Reilly', -1, NULL from t where id in (1,2) /*controller='a%2Fb'*/" \
    >"$work/out" 2>&1
cat >"$work/exp" <<'X'
{"id":"ID","fingerprint":"select ?, ?, ? from t where id in(?+)","literals":[{"type":"string","value":"O'Reilly","slot":0,"item":0,"pos":7},{"type":"number","value":"-1","slot":1,"item":0,"pos":10},{"type":"null","value":null,"slot":2,"item":0,"pos":13},{"type":"number","value":"1","slot":3,"item":0,"pos":34},{"type":"number","value":"2","slot":3,"item":1,"pos":34}],"tags":{"controller":"a/b"}}
X
sed -E 's/"id":"[0-9a-f]{16}"/"id":"ID"/' "$work/out" >"$work/out2"
check json "$work/exp" "$work/out2"

# 4. the id in --json is the same for equivalent spellings and the JSON
#    parses (python3 is a test dependency)
printf 'select * from t where a=1;\nSELECT * FROM `t` WHERE a = 2 /*x=%s*/;\n' \
    "'y'" | "$n1" fingerprint --json >"$work/out" 2>&1
python3 - "$work/out" <<'X' || { echo "FAIL: json ids" >&2; fails=$((fails + 1)); }
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 2, rows
assert rows[0]["id"] == rows[1]["id"], rows
assert rows[1]["tags"] == {"x": "y"}, rows
X

# 5. --help: usage on stdout, exit 0
out=$("$n1" fingerprint --help 2>/dev/null)
rc=$?
if [ $rc -ne 0 ] || ! printf '%s' "$out" | grep -q '^usage: n1digest fingerprint'; then
    echo "FAIL: --help (rc=$rc)" >&2
    fails=$((fails + 1))
fi

# 6. bad options: one line on stderr, nothing on stdout, exit 2
for opt in --bogus -x; do
    "$n1" fingerprint "$opt" >"$work/out" 2>"$work/err"
    rc=$?
    if [ $rc -ne 2 ] || [ -s "$work/out" ] || [ "$(wc -l <"$work/err")" -ne 1 ] ||
        ! grep -q '^n1digest: USAGE' "$work/err"; then
        echo "FAIL: bad option $opt (rc=$rc)" >&2
        cat "$work/err" >&2
        fails=$((fails + 1))
    fi
done

if [ $fails -ne 0 ]; then
    echo "$fails check(s) failed" >&2
    exit 1
fi
echo "fingerprint.sh: all checks passed"
