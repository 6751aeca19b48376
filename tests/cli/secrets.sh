#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# CLI test: passwords in account statements are masked before anything
# keeps them. A general log and a slow log hold CREATE USER, ALTER USER,
# SET PASSWORD, GRANT ... IDENTIFIED BY and CHANGE MASTER TO with
# passwords, some of them repeated in a loop; no output of events,
# digest (text and JSON), analyze (text and JSON) or tail, and no byte of
# the stores, may hold any of them, and the samples show '<secret>'.
# usage: secrets.sh N1DIGEST FIXTURES_DIR
set -u
n1=$1
# shellcheck source=tests/cli/lib.bash
source "$(dirname "$0")/lib.bash"

pws="Pw-one-91 Pw-two-92 Pw-three-93 Pw-four-94 Pw-five-95"
{
    printf 'Time\t\t    Id Command\tArgument\n'
    printf '241125  9:05:03\t    7 Connect\troot@localhost on app using Socket\n'
    printf "\t\t    7 Query\tCREATE USER 'a'@'%%' IDENTIFIED BY 'Pw-one-91'\n"
    printf "\t\t    7 Query\tALTER USER 'a'@'%%' IDENTIFIED BY 'Pw-two-92'\n"
    printf "\t\t    7 Query\tSET PASSWORD FOR 'a'@'%%' = PASSWORD('Pw-three-93')\n"
    printf "\t\t    7 Query\tGRANT SELECT ON app.* TO b@localhost IDENTIFIED BY 'Pw-four-94'\n"
    printf "\t\t    7 Query\tCHANGE MASTER TO MASTER_HOST='h', MASTER_PASSWORD='Pw-five-95'\n"
    for i in $(seq 1 12); do
        printf "\t\t    7 Query\tCREATE USER 'u%d'@'%%' IDENTIFIED BY 'Pw-one-91'\n" "$i"
    done
    printf '\t\t    7 Quit\t\n'
} >"$work/general.log"
{
    printf '# Time: 241125  9:05:03\n'
    printf '# User@Host: root[root] @ localhost []\n'
    printf '# Thread_id: 7  Schema: app  QC_hit: No\n'
    printf '# Query_time: 0.000100  Lock_time: 0.000000  Rows_sent: 0  Rows_examined: 0\n'
    printf 'SET timestamp=1732525503;\n'
    printf "ALTER USER 'a'@'%%' IDENTIFIED BY 'Pw-two-92';\n"
} >"$work/slow.log"

run() {
    local name=$1
    shift
    "$n1" "$@" >"$work/$name.out" 2>"$work/$name.err" || true
}
run events events "$work/general.log" "$work/slow.log"
run events_json events --json "$work/general.log" "$work/slow.log"
run digest digest "$work/general.log"
run digest_json digest --format json "$work/general.log"
run digest_slow digest --format json "$work/slow.log"
run analyze analyze --db "$work/a.db" "$work/general.log" "$work/slow.log"
run analyze_json analyze --format json --db "$work/b.db" "$work/general.log"
# tail follows: stop it with SIGINT once it has read the log.
"$n1" tail --db "$work/t.db" "$work/general.log" >"$work/tail.out" \
    2>"$work/tail.err" &
tail_pid=$!
sleep 1.5
kill -INT "$tail_pid"
wait "$tail_pid" || fail "tail exited $? after SIGINT"

grep -q "IDENTIFIED BY '<secret>'" "$work/digest.out" ||
    fail "the digest sample does not show the mask"
grep -q "PASSWORD('<secret>')" "$work/events.out" ||
    fail "events does not show SET PASSWORD masked"
grep -q "MASTER_PASSWORD='<secret>'" "$work/events.out" ||
    fail "events does not show MASTER_PASSWORD masked"
for pw in $pws; do
    for f in "$work"/*.out "$work"/*.err "$work"/*.db*; do
        if grep -aqF "$pw" "$f"; then
            fail "$pw appears in $(basename "$f")"
        else
            pass
        fi
    done
done
if [ "$fails" -ne 0 ]; then
    echo "secrets.sh: $fails failure(s)" >&2
    exit 1
fi
echo "secrets.sh: all $passes passed"
