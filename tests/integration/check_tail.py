#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check_tail.py: compare what `n1digest tail` reported and stored with what
`n1digest analyze` finds in the same bytes.

usage: check_tail.py --tail-out TAIL.jsonl [TAIL2.jsonl ...] --tail-db TAIL.db
                     --ref-json REF.json --ref-db REF.db
                     [--expect 'KIND|TEXT|COUNT' ...]
       check_tail.py --self-test

Checks, each reported on its own:

* every line tail printed is one JSON finding; with several --tail-out
  files (the outputs of consecutive runs, each killed but the last), the
  lines a run prints first that the run before printed last are the
  one-commit overlap docs/tail.md allows after a kill, counted once;
* no finding (id, count, first_seen) was printed twice;
* the findings tail printed are exactly analyze's findings (REF.json);
* the findings table of tail's store holds exactly the printed ones
  (tail stores a finding in the commit before it prints it);
* the per-fingerprint counts of tail's store equal those of REF.db,
  fingerprint by fingerprint;
* each --expect names findings analyze must have: their kind, a piece
  of their fingerprint text (any case) and the executions they count
  together, so that a fault shared by tail and analyze (a lost loop,
  lost statements) is caught too.

Exit status: 0 all good, 1 differences, 2 bad input.
"""
import argparse
import collections
import json
import os
import sqlite3
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import lib_check  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "cli"))
from check_findings import flat_findings  # noqa: E402


def key(f):
    """What identifies one reported finding across tail and analyze."""
    return (f.get("id"), f.get("count"), f.get("first_seen"))


def describe(f):
    """One readable line for a finding."""
    conn = f.get("connection")
    if conn is None and f.get("connections") is not None:
        conn = "[%s]" % ",".join(str(c) for c in f["connections"])
    return ("%-10s %-6s count=%-3s first_seen=%s conn=%s id=%s at %s:%s: %s"
            % (f.get("kind"), f.get("statement"), f.get("count"),
               f.get("first_seen"), conn, f.get("id"), f.get("file"),
               f.get("line"), f.get("fingerprint_text")))


def read_tail_out(path):
    """(findings, messages) from tail's JSON Lines output."""
    found, msgs = [], []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                msgs.append("tail output line %d is empty" % n)
                continue
            try:
                obj = json.loads(line)
            except ValueError as e:
                msgs.append("tail output line %d is not JSON (%s): %.120s"
                            % (n, e, line))
                continue
            if not isinstance(obj, dict) or "id" not in obj:
                msgs.append("tail output line %d is not a finding: %.120s"
                            % (n, line))
                continue
            found.append(obj)
    return found, msgs


def compare_findings(what, got, want):
    """Messages about the multisets got (tail) and want (reference): a
    finding tail has more often than analyze was reported twice (or is
    extra), one it has less often is missing."""
    msgs = []
    g = collections.Counter(key(f) for f in got)
    w = collections.Counter(key(f) for f in want)
    by_key = {}
    for f in list(want) + list(got):
        by_key.setdefault(key(f), f)
    for k in sorted(set(g) | set(w), key=str):
        if g[k] == w[k]:
            continue
        if w[k] == 0:
            how = "extra (analyze does not have it)"
        elif g[k] == 0:
            how = "missing (analyze has it)"
        else:
            how = "%d times (analyze: %d)" % (g[k], w[k])
        msgs.append("%s: %s: %s" % (what, how, describe(by_key[k])))
    return msgs


def stored_findings(db):
    """The findings in a store's findings table, as JSON objects."""
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return [json.loads(r[0]) for r in
                con.execute("SELECT json FROM findings ORDER BY seq")]
    finally:
        con.close()


def fingerprint_counts(db):
    """{hex: (count, text)} of a store."""
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return {r[0]: (r[1], r[2]) for r in
                con.execute("SELECT hex, count, text FROM fingerprints")}
    finally:
        con.close()


def compare_counts(got, want):
    """Messages about per-fingerprint counts (tail store vs reference)."""
    msgs = []
    for h in sorted(set(got) | set(want)):
        g = got.get(h, (0, None))
        w = want.get(h, (0, None))
        if g[0] != w[0]:
            msgs.append("count of %s: tail %d, analyze %d: %.100s"
                        % (h, g[0], w[0], g[1] or w[1]))
    return msgs


def parse_expect(spec):
    kind, text, count = spec.split("|")
    return kind, text.lower(), int(count)


def check_expected(specs, ref):
    """Messages for --expect specs that analyze's findings do not meet:
    the findings of that kind whose fingerprint text holds TEXT must
    count COUNT executions together. (A loop running across a rotation
    may rightly be two findings: the new file's first lines carry no
    time, so the gap is judged only at its first timed line.)"""
    msgs = []
    for spec in specs:
        kind, text, count = parse_expect(spec)
        hits = [f for f in ref if f.get("kind") == kind and
                text in (f.get("fingerprint_text") or "").lower()]
        if not hits or sum(f.get("count", 0) for f in hits) != count:
            msgs.append("expected %s of %r counting %d executions; "
                        "analyze has %s"
                        % (kind, text, count,
                           "; ".join(describe(f) for f in hits) or
                           "none"))
    return msgs


def self_test():
    a = {"id": "1", "count": 5, "first_seen": "t"}
    b = {"id": "2", "count": 6, "first_seen": "t"}
    assert compare_findings("x", [a, b], [b, a]) == []
    assert overlap([a, b], [b, a]) == 1
    assert overlap([a, b], [a, b]) == 2
    assert overlap([a], [b, a]) == 0
    assert len(compare_findings("x", [a, a, b], [a, b])) == 1
    assert len(compare_findings("x", [a], [a, b])) == 1
    c = dict(a, count=4)
    assert len(compare_findings("x", [c, b], [a, b])) == 2
    assert compare_counts({"f": (3, "q")}, {"f": (3, "q")}) == []
    assert len(compare_counts({"f": (3, "q")}, {"f": (4, "q"),
                                                "g": (1, "r")})) == 2
    ref = [{"kind": "n_plus_one", "count": 8,
            "fingerprint_text": "select kv.c1 from kv where kv.id = ?"}]
    assert check_expected(["n_plus_one|KV.C1 |8"], ref) == []
    assert len(check_expected(["n_plus_one|kv.c1 |7"], ref)) == 1
    assert len(check_expected(["duplicate|kv.c1 |8"], ref)) == 1
    split = [dict(ref[0], count=5), dict(ref[0], count=3)]
    assert check_expected(["n_plus_one|kv.c1 |8"], split) == []
    print("check_tail: self-test passed")


def overlap(prev, got):
    """How many first findings of got repeat, in order, the last ones of
    prev: the lines of one commit printed again after a kill between
    print and mark (docs/tail.md)."""
    for n in range(min(len(prev), len(got)), 0, -1):
        if [key(f) for f in prev[-n:]] == [key(f) for f in got[:n]]:
            return n
    return 0


def read_runs(paths):
    """(findings, messages) of consecutive runs' outputs, each overlap
    counted once."""
    found, msgs, prev = [], [], []
    for path in paths:
        got, m = read_tail_out(path)
        msgs += m
        found += got[overlap(prev, got):]
        prev = got if got else prev
    return found, msgs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tail-out", nargs="+")
    ap.add_argument("--tail-db")
    ap.add_argument("--ref-json")
    ap.add_argument("--ref-db")
    ap.add_argument("--expect", action="append", default=[])
    a = lib_check.parse_args(ap, self_test)
    if not (a.tail_out and a.tail_db and a.ref_json and a.ref_db):
        ap.print_usage(sys.stderr)
        return 2
    try:
        printed, msgs = read_runs(a.tail_out)
        with open(a.ref_json, encoding="utf-8") as fh:
            ref = flat_findings(json.load(fh))
        stored = stored_findings(a.tail_db)
        tail_counts = fingerprint_counts(a.tail_db)
        ref_counts = fingerprint_counts(a.ref_db)
    except (OSError, ValueError, KeyError, sqlite3.Error) as e:
        print("check_tail: %s" % e, file=sys.stderr)
        return 2
    msgs += compare_findings("printed by tail", printed, ref)
    msgs += compare_findings("in tail's store", stored, ref)
    msgs += compare_counts(tail_counts, ref_counts)
    msgs += check_expected(a.expect, ref)
    print("check_tail: tail printed %d findings (%d in its store), analyze "
          "%d; %d fingerprints (%d statements) in tail's store, %d (%d) in "
          "analyze's"
          % (len(printed), len(stored), len(ref), len(tail_counts),
             sum(c for c, _ in tail_counts.values()), len(ref_counts),
             sum(c for c, _ in ref_counts.values())))
    if msgs:
        print("check_tail: analyze found:", file=sys.stderr)
        for f in ref:
            print("    " + describe(f), file=sys.stderr)
        for m in msgs:
            print("check_tail: %s" % m, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
