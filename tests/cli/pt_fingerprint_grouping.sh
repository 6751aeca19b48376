#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Compares how pt-fingerprint and `n1digest fingerprint` group statements.
#
# Both tools partition the same statements into classes (same fingerprint).
# Every class of one tool that is not a class of the other is a
# disagreement: a "merge" (one n1digest class holds several pt classes, keyed
# by the n1digest fingerprint) or a "split" (one pt class becomes several
# n1digest classes, keyed by the pt fingerprint). Each must be listed in
# fixtures/normalize/pt-differences.txt with its reason, see
# docs/fingerprint.md. Statements come from
# fixtures/normalize/grouping-corpus.sql and, when `n1digest events` exists,
# from the fixture logs.
# usage: pt_fingerprint_grouping.sh N1DIGEST FIXTURES_DIR
set -u
n1=$1
fixtures=$2
if ! command -v pt-fingerprint >/dev/null 2>&1; then
    echo "pt_fingerprint_grouping.sh: SKIPPED, pt-fingerprint is not installed"
    exit 77
fi
logs=()
if "$n1" events --help >/dev/null 2>&1; then
    for f in "$fixtures"/general/*.log "$fixtures"/slow/*.log; do
        [ -f "$f" ] && logs+=("$f")
    done
else
    echo "pt_fingerprint_grouping.sh: n1digest events not available," \
        "comparing the corpus only"
fi
exec python3 - "$n1" "$fixtures" "${logs[@]}" <<'PY'
import json, os, re, subprocess, sys, tempfile

n1, fixtures, logs = sys.argv[1], sys.argv[2], sys.argv[3:]

def corpus():
    path = os.path.join(fixtures, "normalize", "grouping-corpus.sql")
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.endswith(";"):
                line = line[:-1]
            if line.strip():
                yield line

def from_logs():
    for log in logs:
        p = subprocess.run([n1, "events", "--json", log],
                           capture_output=True)
        for raw in p.stdout.decode("utf-8", "replace").splitlines():
            try:
                ev = json.loads(raw)
            except ValueError:
                continue
            sql = ev.get("sql") if isinstance(ev, dict) else None
            if not sql or "\0" in sql:
                continue
            if ev.get("command", "Query") not in ("Query", "query", None):
                continue
            yield sql

stmts = []
seen = set()
for s in list(corpus()) + list(from_logs()):
    s = re.sub(r"[;\s]+$", "", s)
    if s and s not in seen:
        seen.add(s)
        stmts.append(s)

# pt-fingerprint: one process for every statement it can read from a file
# (records end with ";\n", must start with a word character, must not hold
# ";\n" or a line starting with "#"); --query for the rest.
# --match-embedded-numbers keeps digits inside names (t1, tbl_2023), which
# is n1digest's rule too; without it pt groups t1 with t2.
PT = ["pt-fingerprint", "--match-embedded-numbers"]
pt = [None] * len(stmts)
batch = [i for i, s in enumerate(stmts)
         if re.match(r"\w", s) and ";\n" not in s
         and not re.search(r"^#", s, re.M)]
with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False,
                                 encoding="utf-8") as f:
    for i in batch:
        f.write(stmts[i] + ";\n")
    tmp = f.name
out = subprocess.run(PT + [tmp], capture_output=True,
                     check=True).stdout.decode("utf-8", "replace")
os.unlink(tmp)
lines = out.split("\n")[:-1]
if len(lines) != len(batch):
    sys.exit("pt-fingerprint returned %d lines for %d statements"
             % (len(lines), len(batch)))
for i, fp in zip(batch, lines):
    pt[i] = fp
for i, s in enumerate(stmts):
    if pt[i] is None:
        p = subprocess.run(PT + ["--query", s], capture_output=True)
        if p.returncode == 0:
            pt[i] = p.stdout.decode("utf-8", "replace").rstrip("\n")
# statements pt-fingerprint cannot fingerprint at all are left out
skipped = [s for i, s in enumerate(stmts) if pt[i] is None]
for s in skipped:
    print("note: pt-fingerprint failed, left out: %r" % s[:80])
keep = [i for i in range(len(stmts)) if pt[i] is not None]
stmts = [stmts[i] for i in keep]
pt = [pt[i] for i in keep]

# n1digest: statements as arguments, in batches
ours = []
for k in range(0, len(stmts), 200):
    p = subprocess.run([n1, "fingerprint", "--json", "--"]
                       + stmts[k:k + 200], capture_output=True, check=True)
    ours += [json.loads(l) for l in p.stdout.decode("utf-8").splitlines()]
if len(ours) != len(stmts):
    sys.exit("n1digest returned %d results for %d statements"
             % (len(ours), len(stmts)))

known = {}
with open(os.path.join(fixtures, "normalize", "pt-differences.txt"),
          encoding="utf-8") as f:
    for line in f:
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        kind, fp, reason = line.split("\t", 2)
        known[(kind, fp)] = reason

n1_classes, pt_classes = {}, {}
for i in range(len(stmts)):
    n1_classes.setdefault(ours[i]["id"], []).append(i)
    pt_classes.setdefault(pt[i], []).append(i)

bad, used = [], set()
for cid, members in n1_classes.items():
    pts = sorted({pt[i] for i in members})
    if len(pts) > 1:
        key = ("merge", ours[members[0]]["fingerprint"])
        used.add(key)
        if key not in known:
            bad.append((key, [stmts[i] for i in members], pts))
for fp, members in pt_classes.items():
    fps = sorted({ours[i]["fingerprint"] for i in members})
    if len(fps) > 1:
        key = ("split", fp)
        used.add(key)
        if key not in known:
            bad.append((key, [stmts[i] for i in members], fps))

print("%d statements: %d n1digest classes, %d pt-fingerprint classes, "
      "%d listed differences seen"
      % (len(stmts), len(n1_classes), len(pt_classes), len(used)))
for key in sorted(set(known) - used):
    print("note: listed difference not seen in this corpus: %s\t%s" % key)
if bad:
    for (kind, fp), members, other in bad:
        print("UNLISTED %s: %s" % (kind, fp))
        for o in other:
            print("    other side: %s" % o)
        for m in members[:6]:
            print("    statement: %s" % m)
        print("  add to pt-differences.txt:\n%s\t%s\t<reason>" % (kind, fp))
    sys.exit(1)
PY
