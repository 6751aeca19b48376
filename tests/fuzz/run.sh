#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs each fuzz target for a few seconds over its corpus in the repo,
# then replays every input that ever crashed us (fixtures/crash/).
# usage: run.sh BUILD_DIR SECONDS
set -euo pipefail
build=$1
secs=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
for bin in "$build"/tests/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin")
    target=${name#fuzz_}
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
    echo "-- $name: ${secs}s"
    "$bin" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=1024 \
        "$work" "$corpus" 2>&1 | tail -n 3
    rm -rf "$work"
done
