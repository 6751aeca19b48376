# SPDX-License-Identifier: MIT
"""lib_check.py: what the Python checkers of the CLI and integration tests
share. A checker finds it through sys.path, from its own directory."""
import sys


def parse_args(ap, self_test):
    """Adds --self-test (last) to the argparse parser ap and parses the
    command line. With --self-test, runs self_test() and exits with status
    0; otherwise returns the parsed arguments."""
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        self_test()
        sys.exit(0)
    return a
