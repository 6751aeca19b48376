#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs each fuzz target for a few seconds over its corpus in the repo,
# then replays every input that ever crashed us (fixtures/crash/).
# The seed is fixed (N1_FUZZ_SEED, default 1) so that a CI run explores
# the same inputs as a longer local run with the same seed: a crash found
# here is reproducible, and CI does not fail at random on a new finding
# that nobody has looked at. The number of runs is fixed too (about 20 s
# each here; N1_FUZZ_RUNS overrides it), so a faster machine does not
# wander past what was checked; SECONDS only caps the time. Explore with
# other seeds and longer runs locally.
# usage: run.sh BUILD_DIR SECONDS
set -euo pipefail
build=$1
secs=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# The targets listed in targets.cmake, each of which must have been built.
mapfile -t targets < <(sed -n '/^set(N1_FUZZ_TARGETS/,/^)/{/^    [a-z_]*$/p}' \
    "$here/targets.cmake" | tr -d ' ')
if [ ${#targets[@]} -eq 0 ]; then
    echo "run.sh: no fuzz target listed in $here/targets.cmake" >&2
    exit 1
fi
for target in "${targets[@]}"; do
    name=fuzz_$target
    bin=$build/tests/fuzz/$name
    if ! [ -x "$bin" ]; then
        echo "run.sh: $bin was not built" >&2
        exit 1
    fi
    corpus="$here/corpus/$target"
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    if [ -d "$root/fixtures/crash/$target" ]; then
        echo "-- $name: replaying fixtures/crash/$target"
        "$bin" -runs=0 "$root/fixtures/crash/$target"/* >/dev/null 2>&1 || {
            echo "$name: a known crashing input crashes again" >&2
            exit 1
        }
    fi
    case $target in
        reader) runs=20000 ;;      # about 450 inputs/s: a file per input
        reader_state) runs=8000 ;; # about 500 inputs/s: two logs per input
        *) runs=250000 ;;
    esac
    runs=${N1_FUZZ_RUNS:-$runs}
    echo "-- $name: $runs runs, at most ${secs}s"
    "$bin" -seed="${N1_FUZZ_SEED:-1}" -runs="$runs" -max_total_time="$secs" \
        -max_len=65536 -rss_limit_mb=1024 "$work" "$corpus" 2>&1 | tail -n 3
    rm -rf "$work"
done
