#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Debian package: cpack builds it from the build directory, dpkg
# installs it on this machine, the installed n1digest runs and man finds
# its page, and `dpkg -r` takes the binary away again. The package is
# never left installed. Needs root and dpkg (else skipped, 77); skipped
# too when an n1digest is installed already, which this test would remove.
# usage: deb.sh N1DIGEST SOURCE_DIR BUILD_DIR
set -u
build=$3
# shellcheck source=tests/install/lib.bash
source "$(dirname "$0")/lib.bash"
if [ "$(id -u)" -ne 0 ] || ! command -v dpkg >/dev/null ||
    ! command -v cpack >/dev/null || ! command -v man >/dev/null; then
    echo "deb.sh: needs root, dpkg, cpack and man" >&2
    exit 77
fi
if dpkg-query -W -f='${Status}' n1digest 2>/dev/null | grep -q installed ||
    [ -e /usr/bin/n1digest ]; then
    echo "deb.sh: n1digest is installed already; not touching it" >&2
    exit 77
fi
trap 'dpkg -r n1digest >/dev/null 2>&1; rm -rf "$work"' EXIT

# dpkg_retry ARGS...: dpkg, waited for while another dpkg holds its lock.
dpkg_retry()
{
    local i
    for i in $(seq 60); do
        if dpkg "$@" >"$work/dpkg" 2>&1; then
            return 0
        fi
        grep -q 'lock' "$work/dpkg" || break
        sleep 1
    done
    cat "$work/dpkg" >&2
    return 1
}

if ! (cd "$build" && cpack -G DEB -B "$work/deb") >"$work/log" 2>&1; then
    cat "$work/log" >&2
    fail "cpack -G DEB failed"
    finish deb.sh
fi
debs=("$work"/deb/n1digest_*.deb)
if [ ! -f "${debs[0]}" ]; then
    fail "cpack made no n1digest_*.deb"
    finish deb.sh
fi
deb=${debs[0]}
for field in Package:n1digest Section:database; do
    if [ "$(dpkg-deb -f "$deb" "${field%%:*}")" = "${field#*:}" ]; then
        pass
    else
        fail "control field ${field%%:*} is not ${field#*:}"
    fi
done
# The Maintainer field is what N1_PACKAGE_CONTACT says (by default the
# project's placeholder, never a person's address).
contact=$(sed -n 's/^N1_PACKAGE_CONTACT:STRING=//p' "$build/CMakeCache.txt")
if [ -n "$contact" ] && [ "$(dpkg-deb -f "$deb" Maintainer)" = "$contact" ]
then
    pass
else
    fail "Maintainer is '$(dpkg-deb -f "$deb" Maintainer)', not '$contact'"
fi
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libpcre2-8-0 libsqlite3-0 libjansson4 libxxhash0 libinih1 zlib1g
do
    if [[ ", $depends," == *", $lib "* || ", $depends," == *", $lib,"* ]]
    then
        pass
    else
        fail "Depends has no $lib: $depends"
    fi
done

if ! dpkg_retry -i "$deb"; then
    fail "dpkg -i $deb failed"
    finish deb.sh
fi
if [ "$(/usr/bin/n1digest --version)" = "n1digest $(dpkg-deb -f "$deb" Version)" ]
then
    pass
else
    fail "/usr/bin/n1digest --version: $(/usr/bin/n1digest --version 2>&1)"
fi
if [ "$(man -w n1digest 2>&1)" = /usr/share/man/man1/n1digest.1.gz ]; then
    pass
else
    fail "man -w n1digest: $(man -w n1digest 2>&1)"
fi
if dpkg_retry -r n1digest && [ ! -e /usr/bin/n1digest ]; then
    pass
else
    fail "dpkg -r n1digest left /usr/bin/n1digest"
fi
finish deb.sh
