#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Per-stage instruction split of a callgrind profile of n1digest.

    valgrind --tool=callgrind --callgrind-out-file=cg.out \\
        n1digest analyze --db :memory: --format json LOG
    bench/cg_split.py cg.out [more.out ...]

Prints one Markdown row per profile: the total instructions and the
inclusive share of each stage (reader, normaliser, statistics,
detectors, saving findings, store merge, report). Stages overlap only
where one calls another (none of these do), so the rest is start-up,
batching and the threads' hand-over.
"""
import re
import subprocess
import sys

STAGES = [
    ("reader", "n1_reader_next"),
    ("normalise", "n1_normalize"),
    ("statistics", "n1_agg_add"),
    ("detectors", "n1_detectors_event"),
    ("save findings", "save_findings"),
    ("store merge", "n1_store_flush_drain"),
    ("report", "n1_report_"),
]


def split(path):
    out = subprocess.run(["callgrind_annotate", "--inclusive=yes", path],
                         capture_output=True, text=True, check=True).stdout
    total = 0
    found = {}
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(\S+)", line)
        if not m:
            continue
        n = int(m.group(1).replace(",", ""))
        name = m.group(2)
        if "PROGRAM" in line:
            total = n
            continue
        fn = name.rsplit(":", 1)[-1]
        for stage, prefix in STAGES:
            if fn.startswith(prefix) and "'" not in fn:
                # the outermost (largest) entry of the stage
                found[stage] = max(found.get(stage, 0), n)
    return total, found


def main():
    print("| profile | total (M) | " +
          " | ".join(s for s, _ in STAGES) + " | rest |")
    print("|---|--:|" + "--:|" * (len(STAGES) + 1))
    for path in sys.argv[1:]:
        total, found = split(path)
        if total == 0:
            continue
        cells = []
        rest = total
        for stage, _ in STAGES:
            n = found.get(stage, 0)
            rest -= n
            cells.append("%.0f M (%.1f %%)" % (n / 1e6, 100.0 * n / total))
        print("| %s | %.0f | %s | %.0f M |" %
              (path, total / 1e6, " | ".join(cells), rest / 1e6))


if __name__ == "__main__":
    main()
