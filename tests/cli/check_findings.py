#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check `n1digest analyze --format json` output.

usage: check_findings.py --schema SCHEMA ACTUAL.json [--expected EXP.json]
       check_findings.py --self-test

Validates ACTUAL against the JSON Schema, then, with --expected, checks
that the findings are exactly the expected ones: every expected finding
matches one actual finding on each field it names, and no actual finding
is left over. Rewrites are compared after normalise_sql(): keyword case
outside quotes and spacing around punctuation do not matter. Prints
every difference and exits 1 when there is one.

The integration checker imports match_findings() from here.
"""
import argparse
import json
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import lib_check  # noqa: E402

# Fields compared exactly when an expected finding names them.
EXACT = ("kind", "statement", "table", "key_columns", "connection",
         "count", "distinct_keys", "rewrite_kind", "location")


def normalise_sql(s):
    """Lower-case outside quotes, collapse blanks, drop blanks next to
    ( ) and , so that 'VALUES (1)' and 'values(1)' compare equal."""
    if s is None:
        return None
    out = []
    quote = None
    i = 0
    while i < len(s):
        c = s[i]
        if quote:
            out.append(c)
            if c == "\\" and i + 1 < len(s):
                out.append(s[i + 1])
                i += 1
            elif c == quote:
                quote = None
        elif c in "'\"`":
            quote = c
            out.append(c)
        elif c.isspace():
            if out and out[-1] != " ":
                out.append(" ")
        else:
            out.append(c.lower())
        i += 1
    text = "".join(out).strip()
    # Blanks next to punctuation, outside quotes only.
    res = []
    quote = None
    for j, c in enumerate(text):
        if quote:
            res.append(c)
            if c == quote:
                quote = None
            continue
        if c in "'\"`":
            quote = c
            res.append(c)
            continue
        if c == " ":
            prev = res[-1] if res else ""
            nxt = text[j + 1] if j + 1 < len(text) else ""
            if prev in "(,)" or nxt in "(,)":
                continue
        res.append(c)
    return "".join(res)


def field_errors(exp, act):
    """Differences between one expected and one actual finding."""
    errs = []
    for k in EXACT:
        if k in exp and exp[k] != act.get(k):
            errs.append("%s: expected %r, got %r" % (k, exp[k], act.get(k)))
    # The members of a fan-out, in any order: a server may log the quits
    # of neighbouring connections out of order.
    if "connections" in exp and sorted(exp["connections"]) != sorted(
            act.get("connections") or []):
        errs.append("connections: expected %r, got %r" %
                    (exp["connections"], act.get("connections")))
    if "rewrite" in exp:
        if normalise_sql(exp["rewrite"]) != normalise_sql(act.get("rewrite")):
            errs.append("rewrite: expected %r, got %r" %
                        (exp["rewrite"], act.get("rewrite")))
    if "rewrite_prefix" in exp:
        got = normalise_sql(act.get("rewrite") or "")
        if not got.startswith(normalise_sql(exp["rewrite_prefix"])):
            errs.append("rewrite: expected to start with %r, got %r" %
                        (exp["rewrite_prefix"], act.get("rewrite")))
    if exp.get("no_in_rewrite") and act.get("rewrite") and \
            " in (" in normalise_sql(act["rewrite"]).replace("in(", "in ("):
        errs.append("rewrite: must not be an IN list, got %r" %
                    act["rewrite"])
    if "parent_table" in exp:
        par = act.get("parent")
        got = par["table"] if par else None
        if exp["parent_table"] != got:
            errs.append("parent.table: expected %r, got %r" %
                        (exp["parent_table"], got))
    if "parent_rows_sent" in exp:
        par = act.get("parent") or {}
        if par.get("rows_sent") != exp["parent_rows_sent"]:
            errs.append("parent.rows_sent: expected %r, got %r" %
                        (exp["parent_rows_sent"], par.get("rows_sent")))
    if "total_time_s" in exp:
        got = act.get("total_time_s")
        want = exp["total_time_s"]
        if (want is None) != (got is None) or (
                want is not None and not math.isclose(want, got,
                                                      rel_tol=1e-6,
                                                      abs_tol=1e-9)):
            errs.append("total_time_s: expected %r, got %r" % (want, got))
    if "tags" in exp and exp["tags"] != act.get("tags"):
        errs.append("tags: expected %r, got %r" % (exp["tags"],
                                                   act.get("tags")))
    return errs


CLASS_ONLY = ("occurrences", "occurrence_count", "iterations",
              "connection_count", "evidence")


def flat_findings(doc):
    """One dict per occurrence: its class's fields with the occurrence's
    own over them (connection, file, line, count, times, rewrite,
    evidence), so that expectations written per loop instance hold."""
    if "classes" not in doc:
        return list(doc.get("findings", []))
    out = []
    for cls in doc["classes"]:
        base = {k: v for k, v in cls.items() if k not in CLASS_ONLY}
        for occ in cls["occurrences"]:
            f = dict(base)
            f.update(occ)
            out.append(f)
    return out


def describe(f):
    who = f.get("connection", f.get("connections"))
    return "%s %s on %s (conn %s, count %s)" % (
        f.get("kind"), f.get("statement"), f.get("table"), who,
        f.get("count"))


def match_findings(expected, actual, optional=()):
    """Pairs expected with actual findings. Returns a list of messages:
    expected findings not found (with the closest candidate's
    differences) and actual findings nobody expected. optional lists
    findings that may or may not be reported; they are checked when
    present (e.g. range loops, which must not carry an IN rewrite)."""
    msgs = []
    left = list(actual)
    for exp in expected:
        best = None
        for i, act in enumerate(left):
            errs = field_errors(exp, act)
            if not errs:
                best = (i, [])
                break
            if best is None or len(errs) < len(best[1]):
                best = (i, errs)
        if best is not None and not best[1]:
            left.pop(best[0])
            continue
        msgs.append("missing: %s" % describe(exp))
        if best is not None:
            msgs.append("  closest was %s:" % describe(left[best[0]]))
            msgs.extend("    " + e for e in best[1])
    for exp in optional:
        for i, act in enumerate(left):
            sel = {k: exp[k] for k in ("kind", "table", "statement")
                   if k in exp}
            if all(act.get(k) == v for k, v in sel.items()):
                errs = field_errors(exp, act)
                if errs:
                    msgs.append("optional %s reported wrongly:" %
                                describe(exp))
                    msgs.extend("    " + e for e in errs)
                left.pop(i)
                break
    for act in left:
        msgs.append("unexpected: %s, rewrite %r" %
                    (describe(act), act.get("rewrite")))
    return msgs


def validate(doc, schema_path):
    """Schema errors of doc, as messages (empty when valid)."""
    import jsonschema

    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return ["schema: %s at %s" % (e.message, "/".join(map(str, e.path)))
            for e in cls(schema).iter_errors(doc)]


def self_test():
    assert normalise_sql("INSERT INTO t (a) VALUES (1, 'X Y')") == \
        normalise_sql("insert into t(a) values(1,'X Y')")
    assert normalise_sql("a = 'X'") != normalise_sql("a = 'x'")
    exp = [{"kind": "n_plus_one", "table": "t", "count": 5}]
    act = [{"kind": "n_plus_one", "table": "t", "count": 5},
           {"kind": "duplicate", "table": "u", "count": 5}]
    msgs = match_findings(exp, act)
    assert len(msgs) == 1 and msgs[0].startswith("unexpected"), msgs
    msgs = match_findings(exp + exp, act[:1])
    assert any(m.startswith("missing") for m in msgs), msgs
    opt = [{"kind": "n_plus_one", "table": "r", "no_in_rewrite": True}]
    msgs = match_findings([], [{"kind": "n_plus_one", "table": "r",
                                "rewrite": "select 1 where a in (1)"}], opt)
    assert msgs and msgs[0].startswith("optional"), msgs
    print("check_findings: self-test passed")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--schema")
    ap.add_argument("--expected")
    ap.add_argument("actual", nargs="?")
    a = lib_check.parse_args(ap, self_test)
    with open(a.actual, encoding="utf-8") as f:
        doc = json.load(f)
    msgs = validate(doc, a.schema) if a.schema else []
    if a.expected:
        with open(a.expected, encoding="utf-8") as f:
            exp = json.load(f)
        msgs += match_findings(exp["findings"], flat_findings(doc),
                               exp.get("optional", []))
    for m in msgs:
        print("check_findings: %s: %s" % (a.actual, m), file=sys.stderr)
    return 1 if msgs else 0


if __name__ == "__main__":
    sys.exit(main())
