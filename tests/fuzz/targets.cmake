# SPDX-License-Identifier: MIT
# Every fuzz target: tests/fuzz/fuzz_<name>.c, a corpus in corpus/<name>,
# crash inputs in fixtures/crash/<name>. One row per parser of untrusted
# bytes; the replay tests (tests/CMakeLists.txt), the libFuzzer build
# (tests/fuzz/CMakeLists.txt) and tests/fuzz/run.sh all read this list.
set(N1_FUZZ_TARGETS
    baseline
    hist
    normalize
    reader
    reader_state
    rules
    secret
    shape
    verify_report
)
