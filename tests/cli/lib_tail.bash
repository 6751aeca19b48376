# SPDX-License-Identifier: MIT
# Shared by the tail CLI tests (sourced, not run): a work directory and a
# tail process that are cleaned up on exit, and a failure counter.
# shellcheck shell=bash
work=$(mktemp -d)
tail_pid=
cleanup()
{
    if [ -n "$tail_pid" ]; then
        kill -9 "$tail_pid" 2>/dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT
fails=0

fail()
{
    echo "FAIL: $*" >&2
    fails=$((fails + 1))
}
