#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs what n1digest needs on Debian 12: `deps.sh build` for building
# only, `deps.sh` (or `deps.sh test`) for building and every test;
# `--list` prints the packages instead of installing them.
# Runs apt-get as root directly, otherwise through sudo.
set -euo pipefail

packages=(
    build-essential cmake pkg-config
    libpcre2-dev libsqlite3-dev zlib1g-dev liblzma-dev libbz2-dev libzstd-dev
    libjansson-dev libxxhash-dev
    libinih-dev default-libmysqlclient-dev libcmocka-dev
    scdoc
)
mode=test
list=0
for arg in "$@"; do
    case $arg in
    build | test) mode=$arg ;;
    --list) list=1 ;;
    *)
        echo "usage: deps.sh [build|test] [--list]" >&2
        exit 2
        ;;
    esac
done
if [ "$mode" = test ]; then
    packages+=(
        clang clang-format libclang-rt-14-dev mariadb-server mariadb-client percona-toolkit
        python3 python3-jsonschema sqlite3 time xz-utils bzip2 zstd
        man-db cmark-gfm chromium tzdata
    )
fi
if [ "$list" = 1 ]; then
    printf '%s\n' "${packages[@]}"
    exit 0
fi

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update
$sudo apt-get install -y --no-install-recommends "${missing[@]}"
