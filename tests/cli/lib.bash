# SPDX-License-Identifier: MIT
# Shared by the CLI tests (sourced, not run): a work directory removed on
# exit, the failure and pass counters, and the checks several tests use.
# shellcheck shell=bash
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
passes=0

# fail MESSAGE...: reports one failed check and counts it.
fail()
{
    echo "FAIL: $*" >&2
    fails=$((fails + 1))
}

# pass: counts one passed check.
pass()
{
    passes=$((passes + 1))
}

# check NAME EXPECTED_FILE ACTUAL_FILE: the files are the same (a diff
# is shown when not).
check()
{
    if ! diff -u "$2" "$3"; then
        fail "$1"
    fi
}

# expect_status WANT NAME CMD...: runs CMD, output in $work/out, $work/err.
expect_status()
{
    local want=$1 name=$2 rc=0
    shift 2
    "$@" >"$work/out" 2>"$work/err" || rc=$?
    if [ "$rc" -ne "$want" ]; then
        fail "$name: exit $rc, expected $want"
        sed 's/^/    stderr: /' "$work/err" >&2
        return 1
    fi
    pass
}

# total NAME WANT: the digest report in $work/out counted WANT statements.
total()
{
    if grep -q "^# Overall: $2 total" "$work/out"; then
        pass
    else
        fail "$1: expected $2 statements, got: $(grep '^# Overall' "$work/out")"
    fi
}
