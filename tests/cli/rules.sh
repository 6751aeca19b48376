#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# CLI test for `n1digest rules list`: the built-in defaults with origins,
# user files on top (later wins, entries accumulate), and bad rule files
# failing with exit status 3 and FILE:LINE in the message.
# usage: rules.sh N1DIGEST FIXTURES_DIR
set -u
n1=$1
# shellcheck source=tests/cli/lib.bash
source "$(dirname "$0")/lib.bash"

# expect_line NAME FILE LINE: FILE has LINE as a whole line
expect_line() {
    if ! grep -qxF -- "$3" "$2"; then
        fail "$1: no line '$3' in:"
        cat "$2" >&2
    fi
}

# 1. defaults only: every value says default.rules:LINE, exit 0
"$n1" rules list >"$work/out" 2>"$work/err"
rc=$?
[ "$rc" -eq 0 ] || fail "defaults: exit $rc"
[ -s "$work/err" ] && fail "defaults: stderr not empty"
expect_line defaults "$work/out" "# rules in force, read from: default.rules"
# The build tree's binary is not installed: the path of the build's
# prefix, and that it is not there (tests/install/install.sh checks an
# installed one).
grep -qE "^# default rules installed at: /.*/share/n1digest/default\.rules( \(not there: .*\))?\$" \
    "$work/out" || fail "defaults: no installed rules path"
expect_line defaults "$work/out" \
    "min_repeats = 3                          ; default.rules:17"
expect_line defaults "$work/out" "[adviser.select_star]                    ; default.rules:92"
for rule in select_star like_leading_wildcard order_by_rand \
    write_without_where large_offset limit_without_order not_in_subquery \
    function_on_column or_same_column sql_calc_found_rows long_in_list \
    count_column; do
    grep -q "^\[adviser\.$rule\]" "$work/out" || fail "defaults: no $rule"
done

# 2. two user files: later wins per key, allow and ignore accumulate,
#    a rule disabled by name, a new rule added
cat >"$work/a.rules" <<'X'
[n_plus_one]
min_repeats = 8
severity = error

[allow]
table = schema_migrations

[ignore]
pattern = ^select @@
X
cat >"$work/b.rules" <<'X'
[n_plus_one]
min_repeats = 12

[allow]
tag = file='vendor/*'

[adviser.select_star]
enabled = false

[adviser.lock_tables]
pattern = ^lock tables
severity = error
message = LOCK TABLES blocks every other writer
X
"$n1" rules list --rules "$work/a.rules" -r "$work/b.rules" \
    >"$work/out" 2>"$work/err"
rc=$?
[ "$rc" -eq 0 ] || { fail "user files: exit $rc"; cat "$work/err" >&2; }
expect_line user "$work/out" \
    "# rules in force, read from: default.rules $work/a.rules $work/b.rules"
expect_line user "$work/out" \
    "min_repeats = 12                         ; $work/b.rules:2"
expect_line user "$work/out" \
    "severity = error                         ; $work/a.rules:3"
expect_line user "$work/out" \
    "min_distinct_keys = 3                    ; default.rules:18"
expect_line user "$work/out" \
    "table = schema_migrations                ; $work/a.rules:6"
expect_line user "$work/out" \
    "tag = file='vendor/*'                    ; $work/b.rules:5"
expect_line user "$work/out" \
    "pattern = ^select @@                     ; $work/a.rules:9"
expect_line user "$work/out" \
    "enabled = false                          ; $work/b.rules:8"
expect_line user "$work/out" \
    "[adviser.lock_tables]                    ; $work/b.rules:10"

# 3. the listing reads back as a rule file
"$n1" rules list --rules "$work/out" >/dev/null 2>"$work/err" ||
    { fail "listing does not read back"; cat "$work/err" >&2; }

# 4. bad rule files: exit 3, "n1digest: RULES FILE:LINE: ..." on stderr
# bad NAME EXPECTED_STDERR_LINE < file contents
bad() {
    cat >"$work/bad.rules"
    "$n1" rules list --rules "$work/bad.rules" >"$work/out" 2>"$work/err"
    rc=$?
    [ "$rc" -eq 3 ] || fail "$1: exit $rc, not 3"
    [ -s "$work/out" ] && fail "$1: stdout not empty"
    printf '%s\n' "$2" >"$work/exp"
    diff -u "$work/exp" "$work/err" >&2 || fail "$1: message"
}
bad unknown-key \
    "n1digest: RULES $work/bad.rules:12: unknown key 'min_repeat' in [n_plus_one]" <<'X'
# my rules
#
#
#
#
#
#
#
#
#
[n_plus_one]
min_repeat = 3
X
bad bad-regex \
    "n1digest: RULES $work/bad.rules:2: bad pattern for 'statement' in [allow] at offset 4: missing closing parenthesis" <<'X'
[allow]
statement = ^a(b
X
bad bad-severity \
    "n1digest: RULES $work/bad.rules:2: bad severity 'fatal' for 'severity' in [fanout] (info, warning or error)" <<'X'
[fanout]
severity = fatal
X

# 5. a missing file is a system error: exit 2
"$n1" rules list --rules "$work/nope.rules" >/dev/null 2>"$work/err"
rc=$?
[ "$rc" -eq 2 ] || fail "missing: exit $rc, not 2"
expect_line missing "$work/err" \
    "n1digest: SYSTEM $work/nope.rules: cannot open: No such file or directory"

# 6. usage errors: exit 2; --help: exit 0 on stdout
"$n1" rules >/dev/null 2>&1
[ $? -eq 2 ] || fail "no subcommand: not exit 2"
"$n1" rules list --bogus >/dev/null 2>&1
[ $? -eq 2 ] || fail "unknown option: not exit 2"
"$n1" rules list --rules >/dev/null 2>&1
[ $? -eq 2 ] || fail "--rules without file: not exit 2"
"$n1" rules --help | grep -q "usage: n1digest rules list" ||
    fail "help"

if [ "$fails" -ne 0 ]; then
    echo "$fails failure(s)" >&2
    exit 1
fi
echo "rules.sh: all passed"
