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

# tail_caught_up DB LOG: waits (60 s at most) until the store DB records
# the whole of LOG (as tail was given it) as committed.
tail_caught_up()
{
    python3 - "$1" "$2" <<'PY'
import os, sqlite3, sys, time
db, log = sys.argv[1], sys.argv[2]
size = os.path.getsize(log)
end = time.time() + 60
while time.time() < end:
    try:
        con = sqlite3.connect(db, timeout=5)
        row = con.execute(
            "SELECT f.offset FROM tail_state t JOIN files f"
            " ON f.id = t.file_id WHERE t.path = ?", (log,)).fetchone()
        con.close()
        if row is not None and row[0] >= size:
            sys.exit(0)
    except sqlite3.Error:
        pass
    time.sleep(0.05)
sys.exit(1)
PY
}
