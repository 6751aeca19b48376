#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# CLI test of the time zones of local-time logs: --tz and --tz-offset make
# --since/--until select the right events of a general log written in New
# York local time, the offset a slow log shows (SET timestamp beside its
# local "# Time:") is found without options, and the summary names the
# zone the times were read in.
# usage: tz.sh N1DIGEST FIXTURES_DIR
set -u
n1=$1
fx=$2
# shellcheck source=tests/cli/lib.bash
source "$(dirname "$0")/lib.bash"

if [ ! -e /usr/share/zoneinfo/America/New_York ]; then
    echo "tz.sh: tzdata missing (scripts/deps.sh installs it)" >&2
    exit 77
fi

gen=$fx/tz/mariadb-general-new-york.log
slow=$fx/tz/mariadb-slow-new-york.log

# said NAME TEXT: stderr ($work/err) has TEXT.
said() {
    if grep -qF -- "$2" "$work/err"; then
        pass
    else
        fail "$1: stderr lacks '$2'"
        sed 's/^/    stderr: /' "$work/err" >&2
    fi
}

# The general log's four statements, written at 08:16:10, 08:30:00,
# 09:00:00 and 10:15:00 New York time on 2026-12-03, EST (UTC-5): at
# 13:16:10, 13:30:00, 14:00:00 and 15:15:00 UTC. Its Connect (with the
# first SELECT) and Quit (with the DELETE) are events of their own
# administrator command classes, as pt-query-digest counts them
# (docs/digest.md), so each window below holds one of them too.

# 1. Nothing said: the times are read as UTC (08:16..10:15), all before
#    13:45 UTC, and the summary says what was assumed.
expect_status 0 utc "$n1" digest --since "2026-12-03 13:45:00" "$gen"
total utc 0
said utc "times read as UTC in 1 input; give --tz or --tz-offset"

# 2. --tz America/New_York: 14:00 and 15:15 UTC are at or after 13:45:
#    the UPDATE, the DELETE and the Quit.
expect_status 0 tz "$n1" digest --tz America/New_York \
    --since "2026-12-03 13:45:00" "$gen"
total tz 3
said tz "local times read as America/New_York"
grep -q "UPDATE orders" "$work/out" || fail "tz: UPDATE not selected"
grep -q "DELETE FROM carts" "$work/out" || fail "tz: DELETE not selected"

# 3. The same with a fixed offset, in its spellings.
for off in -5h -0500 -05:00 -18000; do
    expect_status 0 "offset $off" "$n1" digest --tz-offset "$off" \
        --since "2026-12-03 13:45:00" "$gen"
    total "offset $off" 3
    said "offset $off" "local times read as UTC-05:00"
done

# 4. --until: before 13:31 UTC are the two SELECTs (13:16:10, 13:30:00)
#    and the Connect (13:16:10).
expect_status 0 until "$n1" digest --tz America/New_York \
    --until "2026-12-03 13:31:00" "$gen"
total until 3

# 5. UTC+1 (--tz-offset 3600): 07:16:10, 07:30, 08:00 and 09:15 UTC; a
#    --since in the log's own format, 261203 8:00:00 (UTC), keeps the
#    UPDATE, the DELETE and the Quit, and so does the ISO form with a
#    zone of the same instant.
expect_status 0 yymmdd "$n1" digest --tz-offset 3600 --since "261203 8:00:00" \
    "$gen"
total yymmdd 3
expect_status 0 iso-zone "$n1" digest --tz-offset 3600 \
    --since "2026-12-03T03:00:00.000000-05:00" "$gen"
total iso-zone 3

# 6. --since 10m on a live New York log: one statement 30 minutes ago,
#    one 5 minutes ago, in New York wall-clock time.
{
    printf '/usr/sbin/mariadbd, Version: 10.11.6-MariaDB-log. started with:\n'
    printf 'Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock\n'
    printf 'Time\t\t    Id Command\tArgument\n'
    printf '%s\t    7 Query\tSELECT 1 FROM old_rows\n' \
        "$(TZ=America/New_York date -d '-30 min' '+%y%m%d %k:%M:%S')"
    printf '%s\t    7 Query\tSELECT 1 FROM new_rows\n' \
        "$(TZ=America/New_York date -d '-5 min' '+%y%m%d %k:%M:%S')"
} >"$work/live.log"
expect_status 0 live-tz "$n1" digest --tz America/New_York --since 10m \
    "$work/live.log"
total live-tz 1
grep -q "new_rows" "$work/out" || fail "live-tz: the recent statement"
# Read as UTC, both are 4 or 5 hours in the past.
expect_status 0 live-utc "$n1" digest --since 10m "$work/live.log"
total live-utc 0

# 7. The slow log shows its offset: the first entry's "# Time: 261203
#    8:16:10" (its end, local) minus Query_time 2 s is its SET timestamp
#    1796303768 (2026-12-03 13:16:08 UTC) plus -5 h. The last entry has
#    no SET timestamp: its "# Time: 261203 10:15:00" is read with that
#    offset, 15:15 UTC, the only one after 15:00.
expect_status 0 slow "$n1" digest --since "2026-12-03 15:00:00" "$slow"
total slow 1
grep -q "DELETE FROM carts" "$work/out" || fail "slow: DELETE not selected"
said slow "local times read as UTC-05:00, the offset its SET timestamp shows"
said slow "n1digest: local times read as UTC-05:00"
# A zone given wins over the one shown: at UTC+1, 10:15 is 09:15 UTC.
expect_status 0 slow-given "$n1" digest --tz-offset +01:00 \
    --since "2026-12-03 15:00:00" "$slow"
total slow-given 0

# 8. A log whose times name their zone (MySQL 8.0, Z) assumes nothing.
expect_status 0 zoned "$n1" digest "$fx/general/mysql-8.0.log"
if grep -q "times read as" "$work/err"; then
    fail "zoned: a zone named for a log that carries its own"
fi

# 9. Bad zones are usage errors.
expect_status 2 bad-tz "$n1" digest --tz Nowhere/Atlantis "$gen"
said bad-tz "USAGE --tz: 'Nowhere/Atlantis' is no time zone"
expect_status 2 bad-offset "$n1" digest --tz-offset 5x "$gen"
said bad-offset "USAGE --tz-offset: expected"
# events takes them too.
expect_status 0 events "$n1" events --tz-offset -5h "$gen"
grep -q "2026-12-03T15:15:00" "$work/out" || fail "events --tz-offset"

if [ "$fails" -ne 0 ]; then
    echo "$fails failure(s)" >&2
    exit 1
fi
echo "tz.sh: all passed ($passes checks)"
