#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `cmake --install` into a fresh prefix: every file is where it belongs,
# the installed binary runs, each man page renders with man(1) and shows
# its NAME, and the installed systemd unit starts the installed binary.
# usage: install.sh N1DIGEST SOURCE_DIR BUILD_DIR
set -u
src=$2
build=$3
# shellcheck source=tests/install/lib.bash
source "$(dirname "$0")/lib.bash"
if ! command -v man >/dev/null; then
    echo "install.sh: man is not installed (man-db)" >&2
    exit 77
fi
prefix=$work/prefix

if ! cmake --install "$build" --prefix "$prefix" >"$work/log" 2>&1; then
    cat "$work/log" >&2
    fail "cmake --install failed"
    finish install.sh
fi

expected=(
    bin/n1digest
    share/n1digest/default.rules
    share/bash-completion/completions/n1digest
    lib/systemd/system/n1digest-tail.service
    share/doc/n1digest/README.md
    share/doc/n1digest/findings.schema.json
)
for doc in "$src"/docs/*.md; do
    expected+=("share/doc/n1digest/${doc##*/}")
done
for page in "$src"/docs/man/*.1.scd; do
    page=${page##*/}
    expected+=("share/man/man1/${page%.scd}.gz")
done
for f in "${expected[@]}"; do
    if [ -f "$prefix/$f" ]; then
        pass
    else
        fail "not installed: $f"
    fi
done
if cmp -s "$src/rules/default.rules" "$prefix/share/n1digest/default.rules"
then
    pass
else
    fail "share/n1digest/default.rules differs from rules/default.rules"
fi

version=$("$prefix/bin/n1digest" --version 2>&1)
if [[ $version =~ ^n1digest\ [0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    pass
else
    fail "installed n1digest --version printed '$version'"
fi

# `rules list` names the installed copy of the defaults under the prefix
# the binary is installed in (not the build's), and says it is there.
"$prefix/bin/n1digest" rules list >"$work/rules" 2>&1
if grep -qxF "# default rules installed at: $prefix/share/n1digest/default.rules" \
    "$work/rules"; then
    pass
else
    fail "rules list does not name $prefix/share/n1digest/default.rules:"
    head -3 "$work/rules" >&2
fi

# Each page renders, and its NAME section names the page: "n1digest-tail -
# follow ...". man -l reads the gzipped file as installed.
for page in "$prefix"/share/man/man1/*.1.gz; do
    name=${page##*/}
    name=${name%.1.gz}
    if ! MANPAGER=cat MANWIDTH=80 man -l "$page" >"$work/page" 2>"$work/err"
    then
        fail "man -l $page failed: $(cat "$work/err")"
        continue
    fi
    if awk '/^NAME/ { getline; print; exit }' "$work/page" |
        grep -qE "^ +$name - [a-z]"; then
        pass
    else
        fail "$name(1): no 'NAME $name - ...' in:"
        head -8 "$work/page" >&2
    fi
done

unit=$prefix/lib/systemd/system/n1digest-tail.service
if grep -qxE "ExecStart=$prefix/bin/n1digest tail .*" "$unit"; then
    pass
else
    fail "the unit does not start $prefix/bin/n1digest:"
    grep ExecStart "$unit" >&2
fi
finish install.sh
