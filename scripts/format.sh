#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Formats every C source of the project with clang-format (.clang-format at
# the root), or with --check lists the files that differ and exits 1.
# usage: format.sh [--check] [FILE...]
set -euo pipefail
cd "$(dirname "$0")/.."
check=0
if [ "${1:-}" = "--check" ]; then
    check=1
    shift
fi
if ! command -v clang-format >/dev/null 2>&1; then
    echo "format.sh: clang-format is not installed" >&2
    exit 2
fi
if [ $# -gt 0 ]; then
    files=("$@")
else
    mapfile -t files < <(git ls-files '*.c' '*.h' | grep -v '^fixtures/')
fi
if [ "$check" = 0 ]; then
    clang-format -i "${files[@]}"
    exit 0
fi
bad=0
for f in "${files[@]}"; do
    if ! clang-format "$f" | cmp -s "$f" -; then
        echo "format.sh: $f is not formatted (run scripts/format.sh $f)" >&2
        bad=1
    fi
done
exit "$bad"
