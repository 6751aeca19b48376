#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Regenerates the captured part of fixtures/corpus/: starts a throw-away
# MariaDB server (tests/integration/lib_mariadb.sh) once per slow log
# configuration, runs the same traffic against it and keeps its logs as
# the server wrote them (nothing is normalised). The traffic:
#
#   * the "readback" scenario of tests/integration/workload.c (prepared
#     statements through the binary protocol, tricky literals, schema
#     switches);
#   * tests/corpus/workload.py through the mariadb client with --comments
#     (loops, multi-line statements, comments, UNIONs, CALLs, SQL-level
#     PREPARE/EXECUTE, DDL, SHOW, SET);
#   * tests/corpus/admin_cmds.c (Init DB, Ping, Statistics, Change user,
#     Refresh, Prepare/Execute loops, Quit);
#   * mariadb-admin ping and status, and a mariadb-dump of the schema.
#
# Configurations (the general log is kept from the first only):
#   admin     log_slow_verbosity=query_plan, log_slow_admin_statements=ON
#   innodb    log_slow_verbosity=innodb, log_slow_admin_statements=OFF
#   explain   log_slow_verbosity=explain, log_slow_admin_statements=ON
#   full      log_slow_verbosity=query_plan,innodb,explain
# Every run has long_query_time=0, so every statement is in the slow log.
#
# usage: tests/corpus/capture.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$root/fixtures/corpus
# shellcheck source=tests/integration/lib_mariadb.sh
source "$root/tests/integration/lib_mariadb.sh"

keep=$(mktemp -d)
mdb_register_tmp "$keep"
# shellcheck disable=SC2046
cc -std=c11 -O1 -D_POSIX_C_SOURCE=200809L $(pkg-config --cflags mysqlclient) \
    "$root/tests/integration/workload.c" -o "$keep/n1_workload" \
    $(pkg-config --libs mysqlclient)
# shellcheck disable=SC2046
cc -std=c11 -O1 $(pkg-config --cflags mysqlclient) "$here/admin_cmds.c" \
    -o "$keep/admin_cmds" $(pkg-config --libs mysqlclient)
python3 "$here/workload.py" n1_corpus >"$keep/workload.sql"

# traffic: everything above, against the running server.
traffic()
{
    "$keep/n1_workload" --socket "$MDB_SOCKET" --scenario readback \
        --manifest "$keep/manifest.jsonl"
    mariadb --no-defaults --socket="$MDB_SOCKET" --user=root --comments \
        <"$keep/workload.sql" >/dev/null
    "$keep/admin_cmds" "$MDB_SOCKET" n1_corpus
    mariadb-admin --no-defaults --socket="$MDB_SOCKET" --user=root ping \
        status >/dev/null
    mariadb-dump --no-defaults --socket="$MDB_SOCKET" --user=root \
        --databases n1_corpus >"$keep/dump.sql"
}

mkdir -p "$out"
for cfg in admin innodb explain full; do
    case $cfg in
    admin) args=(--log-slow-verbosity=query_plan
        --log-slow-admin-statements=ON) ;;
    innodb) args=(--log-slow-verbosity=innodb
        --log-slow-admin-statements=OFF) ;;
    explain) args=(--log-slow-verbosity=explain
        --log-slow-admin-statements=ON) ;;
    full) args=("--log-slow-verbosity=query_plan,innodb,explain"
        --log-slow-admin-statements=ON) ;;
    esac
    mdb_start "${args[@]}"
    series=$(mdb_sql "SELECT VERSION()" -N -B |
        sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
    traffic
    mdb_stop_keep_logs "$keep/$cfg"
    cp "$keep/$cfg/slow.log" "$out/mariadb-$series-slow-$cfg.log"
    if [ "$cfg" = admin ]; then
        cp "$keep/$cfg/general.log" "$out/mariadb-$series-general.log"
    fi
done
chmod 644 "$out"/mariadb-*.log
wc -lc "$out"/mariadb-*.log
