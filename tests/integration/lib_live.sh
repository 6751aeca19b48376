# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# lib_live.sh: what the `n1digest live` tests share (sourced after
# lib_mariadb.sh and mdb_start): messages, failure with the outputs kept,
# and live started in the background and stopped with SIGINT.
#
# The test sets before sourcing: LIVE_TEST (its name, for messages and
# the kept outputs), LIVE_SOURCE (--source), PW (the live user's
# password), WAIT_S (bound on every wait); and n1digest, work, bindir
# (mdb_test_args, mdb_work_dir). The user is n1live on the test server.
# shellcheck disable=SC2154 # n1digest, work, bindir: set by the test

live_pid=""

# Kills a live left running, then stops the server.
live_cleanup()
{
    if [ -n "$live_pid" ]; then
        kill -KILL "$live_pid" 2>/dev/null || true
    fi
    mdb_exit_cleanup
}
trap live_cleanup EXIT

say()
{
    echo "$LIVE_TEST: $*" >&2
}

# Fails the test: the message, the end of each stderr, the outputs kept
# in CMAKE_BINARY_DIR/Testing/<name without test_>.
fail()
{
    say "FAIL: $*"
    for f in "$work"/*.err; do
        [ -s "$f" ] && { echo "---- $f ----" >&2; tail -n 20 "$f" >&2; }
    done
    mdb_keep_for_inspection "$LIVE_TEST" "$bindir/Testing/${LIVE_TEST#test_}"
    exit 1
}

# Starts live in the background and waits until it follows the server:
# live_start NAME [options...]; outputs in $work/NAME.out and NAME.err.
live_start()
{
    local name=$1 i

    shift
    "$n1digest" live --source "$LIVE_SOURCE" --socket "$MDB_SOCKET" \
        --user n1live --password="$PW" --db "$work/$name.db" "$@" \
        >"$work/$name.out" 2>"$work/$name.err" &
    live_pid=$!
    for ((i = 0; i < WAIT_S * 10; i++)); do
        grep -qs "following" "$work/$name.err" && return 0
        kill -0 "$live_pid" 2>/dev/null || fail "$name: live exited early"
        sleep 0.1
    done
    fail "$name: live did not start"
}

# Stops live with SIGINT and requires exit status 0.
live_stop()
{
    local rc=0

    kill -INT "$live_pid"
    wait "$live_pid" || rc=$?
    live_pid=""
    [ "$rc" = 0 ] || fail "live exited $rc after SIGINT"
}
