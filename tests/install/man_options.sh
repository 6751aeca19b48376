#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The man pages are the long-form reference of the options: every command
# listed by `n1digest --help` has a page (docs/man/n1digest-CMD.1.scd)
# that n1digest(1) names, every page is of a command, and the options a
# page describes (its "*--option*" entries) are exactly the long options
# the command's --help lists.
# usage: man_options.sh N1DIGEST SOURCE_DIR
set -u
n1=$1
man=$2/docs/man
# shellcheck source=tests/install/lib.bash
source "$(dirname "$0")/lib.bash"

help_commands "$n1" >"$work/commands"
[ -s "$work/commands" ] || fail "n1digest --help lists no command"
while read -r cmd; do
    page=$man/n1digest-$cmd.1.scd
    if [ ! -f "$page" ]; then
        fail "$cmd: no man page $page"
        continue
    fi
    help_options "$n1" "$cmd" >"$work/help"
    page_options "$page" >"$work/page"
    if [ ! -s "$work/help" ]; then
        fail "$cmd: --help lists no option"
    elif diff -u --label "$cmd --help" --label "n1digest-$cmd(1)" \
        "$work/help" "$work/page"; then
        pass
    else
        fail "$cmd: the man page's options differ from --help"
    fi
    if grep -qF "*n1digest-$cmd*(1)" "$man/n1digest.1.scd"; then
        pass
    else
        fail "n1digest(1) does not name n1digest-$cmd(1)"
    fi
done <"$work/commands"

for page in "$man"/n1digest-*.1.scd; do
    cmd=${page##*/n1digest-}
    cmd=${cmd%.1.scd}
    if grep -qxF -- "$cmd" "$work/commands"; then
        pass
    else
        fail "$page: n1digest --help has no command $cmd"
    fi
done
finish man_options.sh
