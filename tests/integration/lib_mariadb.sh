# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# lib_mariadb.sh: start and stop a throw-away MariaDB server for one test.
#
# Sourced by every tests/integration/test_*.sh (and capture.sh). mdb_start
# creates a private directory, initialises a datadir in it and runs mariadbd
# on a unix socket there, with networking off and both query logs written to
# plain files. Every statement reaches the slow log (long_query_time=0).
#
# After mdb_start these are exported:
#   MDB_DIR          the private directory (removed by mdb_stop)
#   MDB_SOCKET       the server's unix socket
#   MDB_GENERAL_LOG  the general query log
#   MDB_SLOW_LOG     the slow query log
#   MDB_ERROR_LOG    the server's error log
#
# The server is stopped and the directory removed on any exit of the
# sourcing shell (success, failure, Ctrl-C): mdb_start installs traps for
# EXIT, INT, TERM and HUP. A test with temporary files of its own registers
# their directory with mdb_register_tmp instead of setting its own EXIT
# trap (which would replace ours). Set MDB_KEEP=1 to keep the server's
# directory for debugging.
#
# Nothing here needs root: as root the server runs with --user=root (which
# mariadbd insists on), otherwise as the current user.

MDB_DIR=""
MDB_PID=""
MDB_WATCHDOG_PID=""
MDB_TMP_DIRS=()

# Runs at any exit of the sourcing shell: stops the server, removes its
# directory and every directory given to mdb_register_tmp.
mdb_exit_cleanup()
{
    local d

    mdb_stop
    for d in "${MDB_TMP_DIRS[@]}"; do
        rm -rf "$d"
    done
    MDB_TMP_DIRS=()
}

mdb_install_traps()
{
    trap 'mdb_exit_cleanup' EXIT
    trap 'mdb_exit_cleanup; trap - INT; kill -INT $$' INT
    trap 'mdb_exit_cleanup; exit 143' TERM
    trap 'mdb_exit_cleanup; exit 129' HUP
}

# Registers a test's own temporary directory for removal at exit (with
# the server's). Usage: mdb_register_tmp DIR
mdb_register_tmp()
{
    MDB_TMP_DIRS+=("$1")
    mdb_install_traps
}

# Prints its arguments to stderr, prefixed so the test log shows the source.
mdb_log()
{
    echo "mdb: $*" >&2
}

# Sets what every test_*.sh takes from its command line, N1DIGEST
# SOURCE_ROOT CMAKE_BINARY_DIR: n1digest, root and bindir, and from them
# here (tests/integration) and workload (the built n1_workload).
# Usage: mdb_test_args "$@"
mdb_test_args()
{
    n1digest=$1
    root=$2
    bindir=$3
    here=$root/tests/integration
    workload=$bindir/tests/n1_workload
}

# Ends a test that cannot run here with status 77 (CTest reports it as
# skipped, never as passed): when the MariaDB server or client or any
# TOOL is not installed. Usage: mdb_require NAME [TOOL...]
mdb_require()
{
    local name=$1 tool

    shift
    for tool in mariadbd mariadb-install-db mariadb-admin mariadb "$@"; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            echo "$name: $tool is not installed; skipped" >&2
            exit 77
        fi
    done
}

# Ends the test with status 1 when a FILE the build makes is not there.
# Usage: mdb_require_built NAME FILE...
mdb_require_built()
{
    local name=$1 f

    shift
    for f in "$@"; do
        if [ ! -x "$f" ]; then
            echo "$name: $f is missing; build the project first" >&2
            exit 1
        fi
    done
}

# Sets work to a new temporary directory, removed at exit with the
# server's. Usage: mdb_work_dir
mdb_work_dir()
{
    work=$(mktemp -d)
    mdb_register_tmp "$work"
}

# Runs the n1_workload binary WORKLOAD's SCENARIO against the server,
# writing its manifest to $work/manifest.jsonl.
# Usage: mdb_run_workload WORKLOAD SCENARIO
mdb_run_workload()
{
    "$1" --socket "$MDB_SOCKET" --manifest "$work/manifest.jsonl" \
        --scenario "$2"
}

# Copies the files of $work to DEST (emptied first) after a failure and
# says so. Usage: mdb_keep_for_inspection NAME DEST [WHAT]
# (WHAT: what the files are; "logs and outputs" when not given).
mdb_keep_for_inspection()
{
    local name=$1 dest=$2 what=${3:-logs and outputs}

    rm -rf "$dest"
    mkdir -p "$dest"
    cp "$work"/* "$dest/" 2>/dev/null || true
    echo "$name: $what kept in $dest" >&2
}

# Prints the error log (on a failed start or shutdown).
mdb_dump_error_log()
{
    if [ -n "$MDB_DIR" ] && [ -f "$MDB_DIR/error.log" ]; then
        echo "---- mariadbd error log ($MDB_DIR/error.log) ----" >&2
        tail -n 60 "$MDB_DIR/error.log" >&2
        echo "---- end of error log ----" >&2
    fi
}

# Runs the client on the test socket as root. Usage: mdb_sql "SQL" [args...]
# Extra arguments go to the client before the statement (e.g. -N -B, or a
# database name via -D). Output goes to stdout.
mdb_sql()
{
    local sql=$1
    shift
    mariadb --no-defaults --socket="$MDB_SOCKET" --user=root \
        --connect-timeout=5 "$@" -e "$sql"
}

# 0 when the server answers on the socket.
mdb_ping()
{
    mariadb-admin --no-defaults --socket="$MDB_SOCKET" --user=root \
        --connect-timeout=2 ping >/dev/null 2>&1
}

# Starts the server. Arguments are extra mariadbd options, appended last
# so they override the defaults (e.g. --log-slow-verbosity=full).
# Returns 0, or 1 after printing why (and the error log).
# shellcheck disable=SC2120
mdb_start()
{
    local base user tries runas=()

    if [ -n "$MDB_DIR" ]; then
        mdb_log "mdb_start: a server is already running in $MDB_DIR"
        return 1
    fi
    # A unix socket path must fit in 108 bytes: fall back to /tmp when
    # TMPDIR is long.
    base=${TMPDIR:-/tmp}
    if [ ${#base} -gt 60 ]; then
        base=/tmp
    fi
    MDB_DIR=$(mktemp -d "$base/n1mdb.XXXXXX") || {
        mdb_log "mktemp failed"
        MDB_DIR=""
        return 1
    }
    mdb_install_traps

    MDB_SOCKET=$MDB_DIR/mysqld.sock
    MDB_GENERAL_LOG=$MDB_DIR/general.log
    MDB_SLOW_LOG=$MDB_DIR/slow.log
    MDB_ERROR_LOG=$MDB_DIR/error.log
    export MDB_DIR MDB_SOCKET MDB_GENERAL_LOG MDB_SLOW_LOG MDB_ERROR_LOG

    user=$(id -un)
    if [ "$(id -u)" -eq 0 ]; then
        runas=(--user=root)
    fi

    # Small InnoDB files keep initialisation fast on a two-core CI box;
    # no native AIO because containers often forbid io_uring and libaio.
    # Temporary tables go to the private directory: in the shared /tmp, two
    # servers initialising at once clash on their names.
    mkdir -p "$MDB_DIR/tmp"
    local common=(
        --datadir="$MDB_DIR/data"
        --tmpdir="$MDB_DIR/tmp"
        --innodb-log-file-size=8M
        --innodb-buffer-pool-size=32M
        --innodb-data-file-path=ibdata1:10M:autoextend
        --innodb-use-native-aio=0
    )

    if ! mariadb-install-db --no-defaults --user="$user" \
        --auth-root-authentication-method=normal --skip-test-db \
        "${common[@]}" >"$MDB_DIR/install.log" 2>&1; then
        mdb_log "mariadb-install-db failed:"
        cat "$MDB_DIR/install.log" >&2
        mdb_stop
        return 1
    fi

    mariadbd --no-defaults "${runas[@]}" "${common[@]}" \
        --socket="$MDB_SOCKET" --skip-networking \
        --pid-file="$MDB_DIR/mariadbd.pid" \
        --log-error="$MDB_ERROR_LOG" \
        --general-log=1 --general-log-file="$MDB_GENERAL_LOG" \
        --slow-query-log=1 --slow-query-log-file="$MDB_SLOW_LOG" \
        --long-query-time=0 --log-slow-verbosity=query_plan \
        --log-output=FILE \
        --skip-log-bin --skip-name-resolve \
        --character-set-server=utf8mb4 \
        --collation-server=utf8mb4_general_ci \
        "$@" >"$MDB_DIR/mariadbd.out" 2>&1 &
    MDB_PID=$!
    mdb_start_watchdog

    # Wait up to 30 s for the server to answer, failing early if it dies.
    tries=0
    while ! mdb_ping; do
        if ! kill -0 "$MDB_PID" 2>/dev/null; then
            mdb_log "mariadbd exited during startup"
            cat "$MDB_DIR/mariadbd.out" >&2 2>/dev/null
            mdb_dump_error_log
            MDB_PID=""
            mdb_stop
            return 1
        fi
        tries=$((tries + 1))
        if [ "$tries" -ge 150 ]; then
            mdb_log "mariadbd did not answer within 30 s"
            mdb_dump_error_log
            mdb_stop
            return 1
        fi
        sleep 0.2
    done
    return 0
}

# Traps cannot run when the test shell is killed with SIGKILL (a CTest
# timeout may do that). A small background loop then kills the orphaned
# server and removes its directory within a second. Its output goes to
# /dev/null so it never holds the test's stdout open.
mdb_start_watchdog()
{
    local parent=$$ pid=$MDB_PID dir=$MDB_DIR

    (
        trap - EXIT INT TERM HUP
        while kill -0 "$parent" 2>/dev/null; do
            sleep 1
        done
        kill -KILL "$pid" 2>/dev/null
        sleep 0.5
        rm -rf "$dir"
    ) </dev/null >/dev/null 2>&1 &
    MDB_WATCHDOG_PID=$!
}

# Stops the server (a clean shutdown flushes both logs) and removes the
# directory. Safe to call twice and when nothing is running.
mdb_stop()
{
    local i

    if [ -n "$MDB_WATCHDOG_PID" ]; then
        kill "$MDB_WATCHDOG_PID" 2>/dev/null || true
        wait "$MDB_WATCHDOG_PID" 2>/dev/null || true
        MDB_WATCHDOG_PID=""
    fi

    if [ -n "$MDB_PID" ] && kill -0 "$MDB_PID" 2>/dev/null; then
        mariadb-admin --no-defaults --socket="$MDB_SOCKET" --user=root \
            --connect-timeout=5 --shutdown-timeout=20 shutdown \
            >/dev/null 2>&1 || true
        # Bounded wait: 20 s, then SIGKILL.
        for ((i = 0; i < 100; i++)); do
            kill -0 "$MDB_PID" 2>/dev/null || break
            sleep 0.2
        done
        if kill -0 "$MDB_PID" 2>/dev/null; then
            mdb_log "mariadbd did not shut down; killing $MDB_PID"
            kill -KILL "$MDB_PID" 2>/dev/null || true
        fi
        wait "$MDB_PID" 2>/dev/null || true
    fi
    MDB_PID=""
    if [ -n "$MDB_DIR" ]; then
        if [ "${MDB_KEEP:-0}" = 1 ]; then
            mdb_log "keeping $MDB_DIR"
        else
            rm -rf "$MDB_DIR"
        fi
    fi
    MDB_DIR=""
}

# Stops the server but keeps the logs: copies them to DEST_DIR first.
# Usage: mdb_stop_keep_logs DEST_DIR. Sets MDB_GENERAL_LOG / MDB_SLOW_LOG /
# MDB_ERROR_LOG to the copies.
mdb_stop_keep_logs()
{
    local dest=$1 dir=$MDB_DIR i

    if [ -n "$MDB_PID" ] && kill -0 "$MDB_PID" 2>/dev/null; then
        mariadb-admin --no-defaults --socket="$MDB_SOCKET" --user=root \
            --connect-timeout=5 shutdown >/dev/null 2>&1 || true
        for ((i = 0; i < 100; i++)); do
            kill -0 "$MDB_PID" 2>/dev/null || break
            sleep 0.2
        done
    fi
    mkdir -p "$dest"
    cp "$dir/general.log" "$dir/slow.log" "$dir/error.log" "$dest/"
    MDB_GENERAL_LOG=$dest/general.log
    MDB_SLOW_LOG=$dest/slow.log
    MDB_ERROR_LOG=$dest/error.log
    export MDB_GENERAL_LOG MDB_SLOW_LOG MDB_ERROR_LOG
    mdb_stop
}
