#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds n1digest and runs every test: unit and CLI tests in a release build
# with warnings as errors, the integration tests against a real MariaDB
# server, all of them again under AddressSanitizer + UBSan, and a short
# fuzz run.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

echo "== formatting (clang-format)"
./scripts/format.sh --check

echo "== release build (-Werror)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DN1_WERROR=ON >/dev/null
cmake --build build -j"$jobs"

echo "== unit, CLI and integration tests"
(cd build && ctest --output-on-failure -j"$jobs")

echo "== AddressSanitizer + UBSan build: unit, CLI and integration tests"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=AddressSanitizer -DN1_WERROR=ON >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan && ctest --output-on-failure -j"$jobs")

echo "== fuzz targets (short run)"
CC=clang cmake -S . -B build-fuzz -DN1_FUZZ=ON -DN1_BUILD_TESTS=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$jobs" --target n1_fuzz_targets
bash tests/fuzz/run.sh build-fuzz "${N1_FUZZ_SECONDS:-20}"
