#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Lists the functions of the shipped C sources longer than a limit.

usage: funclen.py [--max N] [--over N] [PATH...]
Prints "LINES file:line name" for every function over --over lines
(default 100), longest first, and exits 1 when more than --max of them
(default: no limit) are found. A function runs from the line of its
opening brace in column 0 to the line of its closing brace in column 0,
the way the project's style writes them.
"""
import argparse
import os
import re
import sys

SHIPPED = ["src", "analyzer", "engine", "cli"]


def functions(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    name = None
    start = None
    for i, line in enumerate(lines):
        if start is None:
            if line == "{" and i > 0:
                # the name is on the signature line(s) above
                j = i - 1
                sig = lines[j]
                while j > 0 and "(" not in sig:
                    j -= 1
                    sig = lines[j] + sig
                m = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(", sig)
                name = m.group(1) if m else "?"
                start = i
        elif line == "}":
            yield name, start + 1, i - start + 1
            start = None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--over", type=int, default=100)
    ap.add_argument("--max", type=int, default=-1)
    ap.add_argument("paths", nargs="*")
    a = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    paths = a.paths or [os.path.join(root, d) for d in SHIPPED]
    found = []
    for p in paths:
        files = [p]
        if os.path.isdir(p):
            files = [os.path.join(d, f) for d, _, fs in os.walk(p)
                     for f in fs if f.endswith(".c")]
        for f in files:
            for name, line, n in functions(f):
                if n > a.over:
                    found.append((n, os.path.relpath(f, root), line, name))
    found.sort(reverse=True)
    for n, f, line, name in found:
        print("%5d %s:%d %s" % (n, f, line, name))
    print("%d function(s) over %d lines" % (len(found), a.over))
    if a.max >= 0 and len(found) > a.max:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
