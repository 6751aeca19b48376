# SPDX-License-Identifier: MIT
"""lib_check.py: what the Python checkers of the CLI and integration tests
share. A checker finds it through sys.path, from its own directory."""
import re
import sys

# Every command word a MySQL or MariaDB general log may show.
GENERAL_COMMANDS = (
    "Sleep", "Quit", "Init DB", "Query", "Field List", "Create DB",
    "Drop DB", "Refresh", "Shutdown", "Statistics", "Processlist",
    "Connect", "Kill", "Debug", "Ping", "Time", "Delayed insert",
    "Change user", "Binlog Dump", "Table Dump", "Connect Out",
    "Register Slave", "Prepare", "Execute", "Long Data", "Close stmt",
    "Reset stmt", "Set option", "Fetch", "Daemon", "Reset connection",
    "Reset Connection", "Bulk_execute", "Error")

# The alternation of GENERAL_COMMANDS, for a general-log header pattern.
GENERAL_COMMAND_RE = "|".join(re.escape(c) for c in GENERAL_COMMANDS)


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
