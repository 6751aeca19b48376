# SPDX-License-Identifier: MIT
# Shared by the install tests (sourced, not run): the CLI tests' work
# directory and counters (tests/cli/lib.bash), what --help says, and the
# end of a test.
# shellcheck shell=bash
# shellcheck source=tests/cli/lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/../cli/lib.bash"

# help_commands N1DIGEST: the commands `n1digest --help` lists, one a line.
help_commands()
{
    "$1" --help | awk '/^commands:/ { on = 1; next } /^$/ { on = 0 }
                       on && NF { print $1 }'
}

# help_options N1DIGEST CMD: the long options of the "options:" section
# of `n1digest CMD --help`, sorted, one a line.
help_options()
{
    "$1" "$2" --help |
        awk '/^options:/ { on = 1; next } /^$/ { on = 0 }
             on && /^ +-/ { print }' |
        grep -oE -- '--[a-z][a-z-]*' | sort -u
}

# page_options PAGE: the long options of the entries of the OPTIONS
# section of the scdoc source PAGE (lines starting with "*-"), sorted,
# one a line.
page_options()
{
    awk '/^# / { on = ($0 == "# OPTIONS") } on && /^\*-/' "$1" |
        grep -oE -- '--[a-z][a-z-]*' | sort -u
}

# finish NAME: exits 1 when a check failed, else says all passed.
finish()
{
    if [ "$fails" -ne 0 ]; then
        echo "$fails failure(s)" >&2
        exit 1
    fi
    echo "$1: all $passes checks passed"
}
