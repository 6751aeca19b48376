#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Regenerates fixtures/captured/: runs the "readback" workload against a
# fresh MariaDB server and keeps its general log, slow log and manifest as
# they are (nothing is normalised; timestamps, ids and the socket path in
# the banner change on every run).
#
# usage: tests/integration/capture.sh [N1_WORKLOAD]
#   N1_WORKLOAD  a built n1_workload; without it, workload.c is compiled
#                with cc and pkg-config into a temporary directory.
# Files are named after the server: mariadb-<major.minor>-{general,slow}.log
# and mariadb-<major.minor>.manifest.jsonl.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$root/fixtures/captured
# shellcheck source=tests/integration/lib_mariadb.sh
source "$here/lib_mariadb.sh"

workload=${1:-}
keep=$(mktemp -d)
mdb_register_tmp "$keep"
mdb_start
if [ -z "$workload" ]; then
    workload=$keep/n1_workload
    # shellcheck disable=SC2046
    cc -std=c11 -O1 -D_POSIX_C_SOURCE=200809L \
        $(pkg-config --cflags mysqlclient) "$here/workload.c" \
        -o "$workload" $(pkg-config --libs mysqlclient)
fi

version=$(mdb_sql "SELECT VERSION()" -N -B)
case $version in
*MariaDB*) flavour=mariadb ;;
*) flavour=mysql ;;
esac
series=$(echo "$version" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
name=$flavour-$series

"$workload" --socket "$MDB_SOCKET" --manifest "$keep/manifest.jsonl"
# A clean shutdown flushes both logs before they are copied.
mdb_stop_keep_logs "$keep"

mkdir -p "$out"
cp "$keep/general.log" "$out/$name-general.log"
cp "$keep/slow.log" "$out/$name-slow.log"
cp "$keep/manifest.jsonl" "$out/$name.manifest.jsonl"
chmod 644 "$out/$name-general.log" "$out/$name-slow.log" \
    "$out/$name.manifest.jsonl"
wc -c "$out/$name-general.log" "$out/$name-slow.log" \
    "$out/$name.manifest.jsonl"
