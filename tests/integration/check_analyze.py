#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check_analyze.py: compare `n1digest analyze --format json` on a real
server's logs with the findings the workload expected.

usage: check_analyze.py --manifest M.jsonl --schema SCHEMA
                        --log NAME=ANALYZE.json [--log ...]
                        [--socket PATH --db SCHEMA]
       check_analyze.py --self-test

For every --log: the document validates against the schema, and its
findings are exactly the manifest's "expect" lines (every one present,
nothing else; "optional" ones may appear but must then look as
described). With --socket, every rewrite of a matched finding is run on
the server with the mariadb client and must succeed; for a SELECT loop
its rows, cut down to the loop statement's columns, must be the union of
the rows the loop's own statements (the manifest commands carrying the
finding's name) return now.

Exit status: 0 all good, 1 differences, 2 bad input.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cli"))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))

import check_findings  # noqa: E402
import lib_check  # noqa: E402
from check_readback import substitute  # noqa: E402


def load_manifest(path):
    """(expected, optional, statements by finding name)."""
    expected, optional, stmts = [], [], {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            rec = json.loads(line)
            if "expect" in rec:
                expected.append(rec["expect"])
            elif "optional" in rec:
                optional.append(rec["optional"])
            elif rec.get("finding") and rec["kind"] in ("query", "execute"):
                sql = rec["sql"]
                if rec["kind"] == "execute":
                    sql = substitute(sql, rec["params"])
                stmts.setdefault(rec["finding"], []).append(sql)
    return expected, optional, stmts


def run_sql(socket, db, sql):
    """Rows (tuples of strings) and lower-case column names of sql, or
    raises RuntimeError with the client's message."""
    p = subprocess.run(
        ["mariadb", "--no-defaults", "--socket=" + socket, "--user=root",
         "--batch", "-D", db, "-e", sql],
        capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError(p.stderr.strip())
    lines = p.stdout.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        return [], []
    cols = [c.lower() for c in lines[0].split("\t")]
    return cols, [tuple(r.split("\t")) for r in lines[1:]]


def project(cols, rows, want):
    """rows cut down to the columns named in want (by name, any case)."""
    idx = []
    for w in want:
        bare = w.split(".")[-1]
        if w in cols:
            idx.append(cols.index(w))
        elif bare in cols:
            idx.append(cols.index(bare))
        else:
            raise KeyError("column %r not in the rewrite's %r" % (w, cols))
    return {tuple(r[i] for i in idx) for r in rows}


def check_rewrite(exp, act, stmts, socket, db):
    """Messages about one matched finding's rewrite (empty when fine)."""
    rw = act.get("rewrite")
    if not rw:
        return []
    try:
        rcols, rrows = run_sql(socket, db, rw)
    except RuntimeError as e:
        return ["%s: rewrite failed on the server: %s\n    %s" %
                (exp["name"], e, rw)]
    if act.get("statement") != "select":
        return []
    loop = stmts.get(exp["name"], [])
    if not loop:
        return ["%s: the manifest has no statements of this loop" %
                exp["name"]]
    union = set()
    lcols = None
    for sql in loop:
        try:
            cols, rows = run_sql(socket, db, sql)
        except RuntimeError as e:
            return ["%s: loop statement failed: %s" % (exp["name"], e)]
        lcols = cols or lcols
        union |= set(rows)
    try:
        got = project(rcols, rrows, lcols or [])
    except KeyError as e:
        return ["%s: %s" % (exp["name"], e)]
    if got != union:
        return ["%s: rewrite rows differ from the loop's union:\n"
                "    rewrite: %s\n    only in rewrite: %r\n"
                "    only in loop: %r" %
                (exp["name"], rw, sorted(got - union), sorted(union - got))]
    return []


def pair(expected, actual):
    """(expected, actual) pairs with no field difference."""
    left = list(actual)
    out = []
    for exp in expected:
        for i, act in enumerate(left):
            if not check_findings.field_errors(exp, act):
                out.append((exp, left.pop(i)))
                break
    return out


def self_test():
    assert project(["id", "name"], [("1", "a")], ["t.name"]) == {("a",)}
    exp = [{"name": "x", "kind": "n_plus_one", "count": 5}]
    act = [{"kind": "n_plus_one", "count": 5}, {"kind": "duplicate"}]
    assert len(pair(exp, act)) == 1
    print("check_analyze: self-test passed")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--manifest")
    ap.add_argument("--schema")
    ap.add_argument("--log", action="append", default=[])
    ap.add_argument("--socket")
    ap.add_argument("--db", default="n1_an")
    a = lib_check.parse_args(ap, self_test)
    if not a.manifest or not a.schema or not a.log:
        ap.print_usage(sys.stderr)
        return 2
    expected, optional, stmts = load_manifest(a.manifest)
    failed = 0
    for spec in a.log:
        name, _, path = spec.partition("=")
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        msgs = check_findings.validate(doc, a.schema)
        found = check_findings.flat_findings(doc)
        msgs += check_findings.match_findings(expected, found,
                                              optional)
        pairs = pair(expected, found)
        if a.socket:
            for exp, act in pairs:
                msgs += check_rewrite(exp, act, stmts, a.socket, a.db)
        print("-- %s log: %d findings, %d of %d expected matched, "
              "%d rewrites run" %
              (name, len(found), len(pairs), len(expected),
               sum(1 for _, act in pairs if act.get("rewrite"))
               if a.socket else 0))
        for m in msgs:
            print("check_analyze: %s log: %s" % (name, m), file=sys.stderr)
        failed += len(msgs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
