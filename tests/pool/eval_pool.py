#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""eval_pool.py: precision and recall of N+1 loop instances found by
`n1digest analyze` in the logs of the pooled workload (pool_workload.c).

usage: eval_pool.py --n1digest BIN --truth TRUTH.jsonl --log LOG
                    --findings ANALYZE.json [--gate X] [--summary OUT.json]
                    [--top N] [--self-check]

TRUTH is what n1_pool_workload wrote: one line per request and one per
planted loop instance (conn, request, loop, count, q, statements). LOG is
the general or slow log the server wrote for that run, in MariaDB's or
MySQL 8.0's layout. ANALYZE.json is `n1digest analyze --format json LOG`.

Locating the truth. For each connection the log's statements (general:
`Query` lines; slow: entries with a statement) are numbered from 1 in
file order, which is the order the workload sent them. q[i] of a loop
instance is that number for statements[i]; its text must be the log's
text byte for byte (the slow log's final `;` removed), else the log and
the truth do not belong together and the script stops (exit 2). An
instance covers [first line of its first statement, last line of its
last statement]; a request covers the same for its statements.

Reported occurrences. When the JSON has `classes`, every occurrence of
every `n_plus_one` class (its `connection`, or any of `connections`, its
`line`, and the class's fingerprint); otherwise every `n_plus_one`
finding (`connection`, `line`, `fingerprint_text`).

Matching. An occurrence matches an instance when the connection is the
same, the occurrence's line lies within the instance's lines, and its
fingerprint text equals the fingerprint of the instance's statements
(`n1digest fingerprint --json`). Each instance matches at most one
occurrence and each occurrence at most one instance, so an occurrence
that merges the loops of two requests matches one of them at most and
the other is missed. precision = matched / occurrences, recall =
matched / instances.

--self-check first checks the matcher on occurrences made from the
truth itself (must give 1.0 and 1.0), with one dropped (recall falls by
one instance), with two instances merged into one occurrence (one miss),
and with one moved to another connection (one false positive, one miss).

Exit status: 0, 1 when --gate is given and precision or recall is below
it, 2 on bad input or a failed self-check.
"""
import argparse
import collections
import os
import json
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
from lib_check import GENERAL_COMMAND_RE  # noqa: E402

# MariaDB (`YYMMDD H:MM:SS\t` or two tabs) and MySQL 5.7+ (ISO time, one
# tab) general-log header lines.
GENERAL_HEADER = re.compile(
    r"^(?:\d{6} [ \d]\d:\d\d:\d\d\t|\d{4}-\d\d-\d\dT\S+\t|\t\t)"
    r" *(\d+) (" + GENERAL_COMMAND_RE + r")"
    r"(?:\t(.*))?$", re.S)
SLOW_CONN = re.compile(r"(?:Thread_id|\bId): *(\d+)")
SLOW_USE = re.compile(r"^use \S+;$")
SLOW_SET_TS = re.compile(r"^SET timestamp=\d+;$")
BANNER = re.compile(r"^\S*, Version: .*started with:$")


class EvalError(Exception):
    """Input that does not fit together."""


def is_slow(lines):
    for line in lines[:512]:
        if line.startswith(("# Time: ", "# User@Host: ", "# Query_time: ")):
            return True
        if GENERAL_HEADER.match(line):
            return False
    raise EvalError("neither a general nor a slow log")


def general_statements(lines):
    """{conn: [(sql, first_line, last_line)]} of the Query commands."""
    out = collections.defaultdict(list)
    cur = None
    for no, line in enumerate(lines, 1):
        m = GENERAL_HEADER.match(line)
        if m:
            cur = None
            if m.group(2) == "Query":
                cur = [m.group(3) or "", no, no]
                out[int(m.group(1))].append(cur)
        elif cur is not None and not BANNER.match(line):
            cur[0] += "\n" + line
            cur[2] = no
    return {c: [tuple(s) for s in v] for c, v in out.items()}


def slow_statements(lines):
    """{conn: [(sql, first_line, last_line)]} of the slow log's entries
    with a statement (administrator commands left out). The workload's
    statements hold no line starting with '#', so a '#' line after the
    statement always starts the next entry."""
    out = collections.defaultdict(list)
    entry = None

    def close():
        if entry and entry["sql"] and entry["conn"] is not None:
            sql = "\n".join(entry["sql"])
            if sql.endswith(";"):
                sql = sql[:-1]
            if not sql.startswith("# administrator command:"):
                out[entry["conn"]].append((sql, entry["first"],
                                           entry["last"]))

    for no, line in enumerate(lines, 1):
        if line.startswith("#"):
            starts = (line.startswith("# Time: ") or
                      (line.startswith("# User@Host: ") and
                       not (entry and entry["only_time"])) or
                      entry is None or entry["sql"])
            if starts:
                close()
                entry = {"conn": None, "sql": [], "first": no, "last": no,
                         "only_time": line.startswith("# Time: "),
                         "ts": False}
            else:
                entry["only_time"] = False
            # MariaDB: `# Thread_id: N`; MySQL: `Id: N` on `# User@Host:`
            # (and `Thread_id:` on `# Query_time:` with log_slow_extra).
            m = SLOW_CONN.search(line)
            if m and entry["conn"] is None:
                entry["conn"] = int(m.group(1))
            entry["last"] = no
        elif entry is None or BANNER.match(line) or \
                line.startswith("Tcp port: ") or \
                re.match(r"^Time\s.*Argument$", line):
            close()
            entry = None
        elif not entry["sql"] and SLOW_USE.match(line):
            entry["last"] = no
        elif not entry["sql"] and not entry["ts"] and \
                SLOW_SET_TS.match(line):
            entry["ts"] = True
            entry["last"] = no
        else:
            entry["sql"].append(line)
            entry["last"] = no
    close()
    return dict(out)


def read_log(path):
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if is_slow(lines):
        return "slow", slow_statements(lines)
    return "general", general_statements(lines)


def read_truth(path):
    requests, instances = [], []
    with open(path, encoding="utf-8") as f:
        for no, line in enumerate(f, 1):
            obj = json.loads(line)
            if obj.get("kind") == "n_plus_one":
                if len(obj["q"]) != len(obj["statements"]) or \
                        len(obj["q"]) != obj["count"]:
                    raise EvalError("%s:%d: q, statements and count differ"
                                    % (path, no))
                instances.append(obj)
            else:
                requests.append(obj)
    return requests, instances


def locate(stmts, conn, q, sql=None):
    """(first_line, last_line) of the q-th statement of conn; checks its
    text when sql is given."""
    s = stmts.get(conn, [])
    if q < 1 or q > len(s):
        raise EvalError("connection %d has %d statements in the log, the "
                        "truth names number %d" % (conn, len(s), q))
    if sql is not None and s[q - 1][0] != sql:
        raise EvalError("connection %d statement %d: the log has %r, the "
                        "truth %r" % (conn, q, s[q - 1][0], sql))
    return s[q - 1][1], s[q - 1][2]


def fingerprints(n1digest, texts):
    """{text: fingerprint text} by `n1digest fingerprint --json`."""
    texts = sorted(set(texts))
    if any(";" in t for t in texts):
        raise EvalError("a truth statement holds ';': cannot fingerprint it "
                        "through stdin")
    out = subprocess.run([n1digest, "fingerprint", "--json"],
                         input=";\n".join(texts) + ";\n",
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise EvalError("n1digest fingerprint failed: " + out.stderr.strip())
    fps = [json.loads(x)["fingerprint"] for x in out.stdout.splitlines()
           if x.strip()]
    if len(fps) != len(texts):
        raise EvalError("n1digest fingerprint gave %d results for %d "
                        "statements" % (len(fps), len(texts)))
    return dict(zip(texts, fps))


def prepare(truth_path, log_path, n1digest):
    """The located truth: (flavour, requests, instances), each instance
    with lines (first, last) and fp, each request with lines."""
    requests, instances = read_truth(truth_path)
    flavour, stmts = read_log(log_path)
    fp = fingerprints(n1digest, [s for i in instances
                                 for s in i["statements"]])
    for inst in instances:
        first = locate(stmts, inst["conn"], inst["q"][0],
                       inst["statements"][0])
        for q, sql in zip(inst["q"][1:], inst["statements"][1:]):
            last = locate(stmts, inst["conn"], q, sql)
        if len(inst["q"]) == 1:
            last = first
        inst["lines"] = (first[0], last[1])
        fset = {fp[s] for s in inst["statements"]}
        if len(fset) != 1:
            raise EvalError("request %d loop %s: statements of %d "
                            "fingerprints" % (inst["request"], inst["loop"],
                                              len(fset)))
        inst["fp"] = fset.pop()
    for req in requests:
        req["lines"] = (locate(stmts, req["conn"], req["q_first"])[0],
                        locate(stmts, req["conn"], req["q_last"])[1])
    return flavour, requests, instances


def occurrences(doc):
    """[{conns, line, fp}] of every reported N+1 loop instance."""
    occ = []
    if "classes" in doc:
        for cls in doc["classes"]:
            if cls.get("kind") != "n_plus_one":
                continue
            for o in cls.get("occurrences", []):
                conns = o.get("connections")
                if conns is None:
                    conns = [o.get("connection")]
                occ.append({"conns": set(conns), "line": o.get("line"),
                            "fp": o.get("fingerprint_text",
                                        cls.get("fingerprint_text")),
                            "count": o.get("count")})
    else:
        for f in doc.get("findings", []):
            if f.get("kind") == "n_plus_one":
                occ.append({"conns": {f.get("connection")},
                            "line": f.get("line"),
                            "fp": f.get("fingerprint_text"),
                            "count": f.get("count")})
    return occ


def match(instances, occ):
    """{instance index: occurrence index}. Instances of one connection and
    fingerprint never overlap, so an occurrence can fall inside one
    instance at most; an instance takes the earliest such occurrence."""
    by_key = collections.defaultdict(list)
    for i, inst in enumerate(instances):
        by_key[(inst["conn"], inst["fp"])].append(i)
    cands = collections.defaultdict(list)
    for j, o in enumerate(occ):
        if o["line"] is None:
            continue
        for conn in o["conns"]:
            for i in by_key.get((conn, o["fp"]), ()):
                lo, hi = instances[i]["lines"]
                if lo <= o["line"] <= hi:
                    cands[i].append(j)
    pairs, used = {}, set()
    for i in sorted(cands):
        free = [j for j in cands[i] if j not in used]
        if free:
            j = min(free, key=lambda k: occ[k]["line"])
            pairs[i] = j
            used.add(j)
    return pairs


def score(instances, occ):
    pairs = match(instances, occ)
    tp = len(pairs)
    precision = tp / len(occ) if occ else 1.0
    recall = tp / len(instances) if instances else 1.0
    return precision, recall, pairs


def request_at(requests_by_conn, conn, line):
    for req in requests_by_conn.get(conn, ()):
        if req["lines"][0] <= line <= req["lines"][1]:
            return req
    return None


def report(name, requests, instances, occ, pairs, top):
    precision, recall = (len(pairs) / len(occ) if occ else 1.0,
                         len(pairs) / len(instances) if instances else 1.0)
    print("%s: precision %.3f recall %.3f (instances %d, reported %d, "
          "matched %d, false %d, missed %d)"
          % (name, precision, recall, len(instances), len(occ), len(pairs),
             len(occ) - len(pairs), len(instances) - len(pairs)))
    by_conn = collections.defaultdict(list)
    for req in requests:
        by_conn[req["conn"]].append(req)
    used = set(pairs.values())
    fps = collections.Counter()
    where = collections.defaultdict(collections.Counter)
    for j, o in enumerate(occ):
        if j in used:
            continue
        fps[o["fp"]] += 1
        req = None
        for conn in o["conns"]:
            req = req or request_at(by_conn, conn, o["line"])
        where[o["fp"]][req["type"] if req else "(no request)"] += 1
    if fps:
        print("  false positives by fingerprint (request types):")
        for fp, n in fps.most_common(top):
            types = ", ".join("%s %d" % kv
                              for kv in where[fp].most_common(4))
            print("    %5d  %s  [%s]" % (n, fp[:90], types))
    total = collections.Counter(i["loop"] for i in instances)
    missed = collections.Counter(inst["loop"] for k, inst
                                 in enumerate(instances) if k not in pairs)
    print("  recall by loop (missed / planted):")
    for loop in sorted(total):
        print("    %-32s %4d / %4d" % (loop, missed[loop], total[loop]))
    return precision, recall


def synthetic(instances, classes=False):
    """Occurrences made from the truth: one per instance at its first
    line, in today's findings layout or the future classes layout."""
    if not classes:
        return {"findings": [{"kind": "n_plus_one",
                              "connection": i["conn"],
                              "line": i["lines"][0],
                              "fingerprint_text": i["fp"],
                              "count": i["count"]} for i in instances]}
    by_fp = collections.defaultdict(list)
    for i in instances:
        by_fp[i["fp"]].append({"connection": i["conn"],
                               "line": i["lines"][0], "count": i["count"]})
    return {"classes": [{"kind": "n_plus_one", "fingerprint_text": fp,
                         "occurrences": o} for fp, o in by_fp.items()]}


def self_check(instances):
    """Checks the matcher on occurrences made from the truth; returns a
    list of failures."""
    bad = []
    n = len(instances)
    if n < 3:
        return ["self-check needs at least 3 loop instances"]
    for classes in (False, True):
        p, r, _ = score(instances, occurrences(synthetic(instances,
                                                         classes)))
        if (p, r) != (1.0, 1.0):
            bad.append("truth as %s: %.3f/%.3f, not 1/1"
                       % ("classes" if classes else "findings", p, r))
    occ = occurrences(synthetic(instances))
    p, r, _ = score(instances, occ[1:])
    if p != 1.0 or abs(r - (n - 1) / n) > 1e-12:
        bad.append("one dropped: %.4f/%.4f" % (p, r))
    # Any occurrence line strictly inside an instance matches too.
    inner = [dict(o, line=i["lines"][1]) for o, i in zip(occ, instances)]
    p, r, _ = score(instances, inner)
    if (p, r) != (1.0, 1.0):
        bad.append("last lines: %.3f/%.3f, not 1/1" % (p, r))
    # Two consecutive instances of one connection and fingerprint merged
    # into one occurrence (as a loop across two requests): one miss.
    seen, pair = {}, None
    for k, i in enumerate(instances):
        key = (i["conn"], i["fp"])
        if key in seen:
            pair = (seen[key], k)
            break
        seen[key] = k
    if pair is not None:
        a, b = pair
        merged = [o for k, o in enumerate(occ) if k not in (a, b)]
        merged.append(dict(occ[a], count=instances[a]["count"] +
                           instances[b]["count"]))
        p, r, _ = score(instances, merged)
        if p != 1.0 or abs(r - (n - 2 + 1) / n) > 1e-12:
            bad.append("two merged: %.4f/%.4f" % (p, r))
    moved = [dict(o) for o in occ]
    moved[0]["conns"] = {-1}
    p, r, _ = score(instances, moved)
    if abs(p - (n - 1) / n) > 1e-12 or abs(r - (n - 1) / n) > 1e-12:
        bad.append("one on another connection: %.4f/%.4f" % (p, r))
    return bad


def main():
    ap = argparse.ArgumentParser(
        description="Precision and recall of N+1 loop instances.")
    ap.add_argument("--n1digest", required=True)
    ap.add_argument("--truth", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--findings", required=True)
    ap.add_argument("--name", default=None, help="label in the output")
    ap.add_argument("--gate", type=float, default=None)
    ap.add_argument("--summary", default=None,
                    help="write {precision, recall, ...} as JSON here")
    ap.add_argument("--top", type=int, default=8)
    ap.add_argument("--self-check", action="store_true")
    a = ap.parse_args()
    try:
        flavour, requests, instances = prepare(a.truth, a.log, a.n1digest)
        if a.self_check:
            bad = self_check(instances)
            if bad:
                for b in bad:
                    print("eval_pool: self-check: " + b, file=sys.stderr)
                return 2
        with open(a.findings, encoding="utf-8") as f:
            occ = occurrences(json.load(f))
    except (EvalError, OSError, ValueError, KeyError) as e:
        print("eval_pool: %s" % e, file=sys.stderr)
        return 2
    _, _, pairs = score(instances, occ)
    precision, recall = report(a.name or flavour, requests, instances, occ,
                               pairs, a.top)
    if a.summary:
        with open(a.summary, "w", encoding="utf-8") as f:
            json.dump({"name": a.name or flavour, "log": flavour,
                       "precision": precision, "recall": recall,
                       "instances": len(instances), "reported": len(occ),
                       "matched": len(pairs)}, f)
            f.write("\n")
    if a.gate is not None and (precision < a.gate or recall < a.gate):
        print("eval_pool: below the gate of %.2f" % a.gate)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
