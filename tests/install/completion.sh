#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The bash completion (contrib/bash-completion/n1digest), sourced in
# bash: it registers itself for n1digest, completes commands ("ana" gives
# analyze), gives each command the long options of its man page (so the
# completion, the page and --help agree: man_options.sh checks the last
# two), and offers the values of --format and --fail-on.
# usage: completion.sh N1DIGEST SOURCE_DIR
set -u
n1=$1
src=$2
# shellcheck source=tests/install/lib.bash
source "$(dirname "$0")/lib.bash"
# shellcheck source=contrib/bash-completion/n1digest
source "$src/contrib/bash-completion/n1digest"

# complete_line WORD...: what <Tab> after the last WORD offers, sorted,
# one a line; the first WORD is the program as typed.
complete_line()
{
    COMP_WORDS=("$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMPREPLY=()
    _n1digest
    if [ ${#COMPREPLY[@]} -gt 0 ]; then
        printf '%s\n' "${COMPREPLY[@]}" | sort
    fi
}

# expect_completion NAME WANT WORD...: the completion is WANT (lines).
expect_completion()
{
    local name=$1 want=$2
    shift 2
    if [ "$(complete_line "$@")" = "$want" ]; then
        pass
    else
        fail "$name: completing '$*' gave '$(complete_line "$@" | paste -sd' ')', expected '$(echo "$want" | paste -sd' ')'"
    fi
}

if complete -p n1digest 2>/dev/null | grep -q -- '-F _n1digest n1digest$'
then
    pass
else
    fail "complete -p n1digest: $(complete -p n1digest 2>&1)"
fi

expect_completion command analyze "$n1" ana
expect_completion "all commands" "$(help_commands "$n1" | sort)" "$n1" ""
expect_completion "top options" "$(printf '%s\n' --help --version)" "$n1" -
for cmd in $(help_commands "$n1"); do
    page=$src/docs/man/n1digest-$cmd.1.scd
    want=$(page_options "$page")
    words=("$n1" "$cmd")
    if [ "$cmd" = rules ]; then
        expect_completion "rules list" list "$n1" rules ""
        words+=(list)
    fi
    expect_completion "$cmd options" "$want" "${words[@]}" --
done
expect_completion "check --format" "$(printf '%s\n' html json junit markdown sarif text)" \
    "$n1" check --format ""
expect_completion "tail --format" "$(printf '%s\n' json text)" \
    "$n1" tail --format ""
expect_completion "check --fail-on" "$(printf '%s\n' error info warning)" \
    "$n1" check --fail-on ""
finish completion.sh
