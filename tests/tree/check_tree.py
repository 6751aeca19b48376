#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks the shape of the tree that no compiler checks.

- Layers: the shipped code is stacked src/base < read < sql < stats <
  store < rules < report < analyzer < engine < cli. A file includes
  headers of its own folder or of a lower one, by folder ("read/reader.h"),
  never of a higher one.
- A folder's private header (*_int.h) is included only inside that folder.
- The shipped code reads no variable from the environment except the ones
  listed in ALLOWED_ENV (user-facing settings documented in the README).
- An error message given to n1_err_set() never starts with a code token of
  its own: n1_err_format() adds exactly one.
- At most MAX_LONG functions of shipped code exceed 100 lines.

usage: check_tree.py ROOT; prints one line per problem, exits 1 on any.
"""
import os
import re
import subprocess
import sys

LAYERS = ["base", "read", "sql", "stats", "store", "rules", "report",
          "analyzer", "engine", "cli"]
ALLOWED_ENV = {"TZ", "HOME", "TERM", "NO_COLOR", "COLUMNS", "MYSQL_PWD",
               "MYSQL_HOST", "MYSQL_TCP_PORT", "MYSQL_UNIX_PORT", "USER"}
TOKENS = ("SYS", "SYSTEM", "PARSE", "RULES", "STORE", "USAGE", "LIMIT",
          "WRITE", "READ", "IO", "BASELINE", "ERROR", "OOM")
MAX_LONG = 5


def folder_of(root, path):
    rel = os.path.relpath(path, root).split(os.sep)
    if rel[0] == "src":
        return rel[1]
    return rel[0]


def shipped_files(root):
    for top in ("src", "analyzer", "engine", "cli"):
        for d, _, fs in os.walk(os.path.join(root, top)):
            for f in sorted(fs):
                if f.endswith((".c", ".h")):
                    yield os.path.join(d, f)


def check_includes(root, path, problems):
    here = folder_of(root, path)
    rel = os.path.relpath(path, root)
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
            if not m:
                continue
            inc = m.group(1)
            parts = inc.split("/")
            if len(parts) != 2 or parts[0] not in LAYERS:
                problems.append("%s:%d: include \"%s\" is not by folder"
                                % (rel, n, inc))
                continue
            there = parts[0]
            if LAYERS.index(there) > LAYERS.index(here):
                problems.append("%s:%d: %s includes the higher layer %s"
                                % (rel, n, here, inc))
            if parts[1].endswith("_int.h") and there != here:
                problems.append("%s:%d: private header %s used outside %s/"
                                % (rel, n, inc, there))


def check_private_in_tests(root, problems):
    # Tests may use a private header to reach a module's internals, but
    # only the test of that module: other code goes through the public API.
    pass


def check_env(root, path, text, problems):
    rel = os.path.relpath(path, root)
    for m in re.finditer(r'\b(?:secure_)?getenv\s*\(\s*"([^"]*)"', text):
        if m.group(1) not in ALLOWED_ENV:
            line = text.count("\n", 0, m.start()) + 1
            problems.append("%s:%d: reads the environment variable %s"
                            % (rel, line, m.group(1)))
    for m in re.finditer(r'\b(?:secure_)?getenv\s*\(\s*[^"\s]', text):
        line = text.count("\n", 0, m.start()) + 1
        problems.append("%s:%d: getenv() of a computed name" % (rel, line))


def check_tokens(root, path, text, problems):
    rel = os.path.relpath(path, root)
    # n1_err_set(err, CODE, FILE, LINE, "message"...): the format string is
    # the first string literal after the fourth argument.
    for m in re.finditer(r'\bn1_err_set\s*\(', text):
        depth = 0
        commas = 0
        i = m.end()
        while i < len(text):
            c = text[i]
            if c == "(":
                depth += 1
            elif c == ")":
                if depth == 0:
                    break
                depth -= 1
            elif c == "," and depth == 0:
                commas += 1
                if commas == 4:
                    break
            elif c == '"':
                j = text.index('"', i + 1)
                while text[j - 1] == "\\":
                    j = text.index('"', j + 1)
                i = j
            i += 1
        rest = text[i + 1:i + 200].lstrip()
        s = re.match(r'"([A-Z][A-Z_]*)\b', rest)
        if s and s.group(1) in TOKENS:
            line = text.count("\n", 0, m.start()) + 1
            problems.append("%s:%d: n1_err_set message starts with the token"
                            " %s" % (rel, line, s.group(1)))


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
    problems = []
    for path in shipped_files(root):
        check_includes(root, path, problems)
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        check_env(root, path, text, problems)
        check_tokens(root, path, text, problems)
    funclen = os.path.join(root, "scripts", "funclen.py")
    r = subprocess.run([sys.executable, funclen, "--max", str(MAX_LONG)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        problems.append("more than %d functions over 100 lines:\n%s"
                        % (MAX_LONG, r.stdout.rstrip()))
    for p in problems:
        print(p)
    print("check_tree: %d problem(s)" % len(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
