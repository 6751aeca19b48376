#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""compare.py: n1digest digest against pt-query-digest, file by file, on
the log corpus (fixtures/corpus/README.md lists the files).

usage: compare.py N1DIGEST FIXTURES_DIR [--list]

For each log: `pt-query-digest --output json --limit 100%` (with
`--type genlog` for a general log) and `n1digest digest --format json
--limit 0`. Then:

  1. the events: pt's global query_count against ours;
  2. the classes: each n1digest class is matched to pt's class by
     pt-fingerprint of its example statement (pt-query-digest names a
     class by that same fingerprint); a pt class reached by several of
     ours is a "split", a pt class whose query_count differs from the sum
     of ours reaching it is a "count" difference, one of ours reaching no
     pt class is "unmatched" (pt put its events elsewhere: a merge).

Every difference must be listed in fixtures/corpus/differences.tsv
(file, kind, class, reason; docs/fingerprint.md links it). Exit 0 when
every difference is listed, 1 otherwise (each unlisted one printed with
the line to add), 77 when pt-query-digest is not installed. --list
prints every difference found, listed or not.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile


def corpus_files(fixtures):
    """(name, path) of every log the README's table names."""
    readme = os.path.join(fixtures, "corpus", "README.md")
    out = []
    with open(readme, encoding="utf-8") as fh:
        for line in fh:
            m = re.match(r"\| `([^`]+)` \|", line)
            if m:
                name = m.group(1)
                out.append((name, os.path.join(fixtures, "corpus", name)
                            if "/" not in name else
                            os.path.join(fixtures, name)))
    return out


def is_general(path):
    with open(path, "rb") as fh:
        head = fh.read(4096)
    return b"Query_time" not in head and (b"\tQuery\t" in head or
                                          b" Query\t" in head or
                                          b" Query " in head or
                                          b"Connect" in head)


def pt_digest(path, general):
    cmd = ["pt-query-digest", "--output", "json", "--limit", "100%"]
    if general:
        cmd += ["--type", "genlog"]
    p = subprocess.run(cmd + [path], capture_output=True)
    text = p.stdout.decode("utf-8", "replace").strip()
    if not text:
        return 0, {}
    doc = json.loads(text)
    classes = {}
    for c in doc.get("classes", []):
        classes[c["fingerprint"]] = classes.get(c["fingerprint"], 0) + \
            int(c["query_count"])
    return int(doc["global"]["query_count"]), classes


def n1_digest(n1, path):
    p = subprocess.run([n1, "digest", "--format", "json", "--limit", "0",
                        path], capture_output=True)
    doc = json.loads(p.stdout.decode("utf-8", "replace"))
    return int(doc["global"]["query_count"]), doc["classes"]


def pt_fingerprints(queries):
    """pt-query-digest's fingerprint of each query, as pt-fingerprint
    gives it (None where it gives none): one process for those it can
    read from a file (records end with ";\\n", start with a word
    character, hold no ";\\n" and no line starting with "#"), --query
    for the rest. pt-fingerprint exits 1 even when it printed one."""
    out = [None] * len(queries)
    for i, q in enumerate(queries):
        m = re.match(r"\s*administrator command:\s*(.*?);?\s*$", q, re.I)
        if m:
            out[i] = "administrator command: " + m.group(1)
    batch = [i for i, q in enumerate(queries)
             if out[i] is None and re.match(r"\w", q) and ";\n" not in q
             and not re.search(r"^#", q, re.M)]
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False,
                                     encoding="utf-8") as fh:
        for i in batch:
            fh.write(re.sub(r"[;\s]+$", "", queries[i]) + ";\n")
        tmp = fh.name
    p = subprocess.run(["pt-fingerprint", tmp], capture_output=True)
    os.unlink(tmp)
    lines = p.stdout.decode("utf-8", "replace").split("\n")[:-1]
    if len(lines) == len(batch):
        for i, fp in zip(batch, lines):
            out[i] = fp
    for i, q in enumerate(queries):
        if out[i] is None and q:
            p = subprocess.run(["pt-fingerprint", "--query", q],
                               capture_output=True)
            # An empty line is a fingerprint: pt-query-digest's class ""
            # (a statement that is all comment).
            out[i] = p.stdout.decode("utf-8", "replace").rstrip("\n")
    return out


def compare(n1, name, path):
    """The differences of one log: (kind, class, detail) tuples."""
    general = is_general(path)
    pt_total, pt = pt_digest(path, general)
    n1_total, ours = n1_digest(n1, path)
    diffs = []
    if pt_total != n1_total:
        diffs.append(("events", "-", "pt-query-digest %d, n1digest %d"
                      % (pt_total, n1_total)))
    reach = {}
    fps = pt_fingerprints([(c.get("example") or {}).get("query") or ""
                           for c in ours])
    # A general log's administrator command: its example is the command's
    # argument (a Connect's "user@host on db"), its class the command, as
    # pt-query-digest --type genlog names it; that name is the class.
    fps = [c["fingerprint"]
           if c["fingerprint"].startswith("administrator command: ") else fp
           for c, fp in zip(ours, fps)]
    for c, fp in zip(ours, fps):
        if fp is None or fp not in pt:
            diffs.append(("unmatched", c["fingerprint"],
                          "%d events; pt-fingerprint of the example: %s"
                          % (c["query_count"], fp)))
            continue
        reach.setdefault(fp, []).append(c)
    for fp, count in sorted(pt.items()):
        got = reach.get(fp, [])
        if len(got) > 1:
            diffs.append(("split", fp, "pt %d events; n1digest %s"
                          % (count, ", ".join(
                              "%s (%d)" % (c["fingerprint"], c["query_count"])
                              for c in got))))
        elif sum(c["query_count"] for c in got) != count:
            diffs.append(("count", fp, "pt %d events, n1digest %d"
                          % (count, sum(c["query_count"] for c in got))))
    return diffs


def load_listed(fixtures):
    listed = {}
    path = os.path.join(fixtures, "corpus", "differences.tsv")
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 4 or not parts[3].strip():
                sys.exit("%s:%d: want FILE, KIND, CLASS, REASON separated "
                         "by tabs" % (path, n))
            listed[tuple(parts[:3])] = parts[3]
    return listed


def main():
    n1, fixtures = sys.argv[1], sys.argv[2]
    show_all = "--list" in sys.argv[3:]
    for tool in ("pt-query-digest", "pt-fingerprint"):
        if shutil.which(tool) is None:
            print("compare.py: SKIPPED, %s is not installed" % tool)
            sys.exit(77)
    listed = load_listed(fixtures)
    used, bad, files = set(), [], 0
    for name, path in corpus_files(fixtures):
        files += 1
        for kind, cls, detail in compare(n1, name, path):
            # One line per entry in differences.tsv.
            cls = cls.replace("\\", "\\\\").replace("\t", "\\t")
            cls = cls.replace("\n", "\\n")
            key = (name, kind, cls)
            if show_all:
                print("%s\t%s\t%s\t%s" % (name, kind, cls, detail))
            if key in listed:
                used.add(key)
            else:
                bad.append((key, detail))
    for key in sorted(set(listed) - used):
        print("note: listed difference not seen: %s" % "\t".join(key))
    print("compare.py: %d logs, %d listed differences seen, %d unlisted"
          % (files, len(used), len(bad)))
    for (name, kind, cls), detail in ([] if show_all else bad):
        print("UNLISTED %s %s: %s\n    %s\n  add to differences.tsv:\n"
              "%s\t%s\t%s\t<reason>" % (name, kind, cls, detail, name, kind,
                                        cls))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
