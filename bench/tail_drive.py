#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tail_drive.py: feed a log to a running `n1digest tail` and time it.

usage: tail_drive.py N1DIGEST SOURCE LIVE DB CHUNK RATE

Starts `N1DIGEST tail --db DB --format json LIVE` (LIVE must not exist),
then appends SOURCE to LIVE in CHUNK-byte writes, cut wherever the
chunk ends (mid-line too, as a server's buffered writes are): with RATE
0 as fast as possible, else at RATE bytes per second (one chunk at a
time, on schedule). It polls the store every 20 ms for the commit point
tail records (tail_state -> files.offset) and stops when it reaches the
size of SOURCE: tail has caught up. Then it reads tail's peak RSS
(VmHWM) and CPU time from /proc, stops it with SIGTERM and checks it
exits 0.

Prints one line of key=value pairs: bytes, append_s (the appending
alone), caught_s (first append to caught up), lag_s (last append to
caught up), cpu_s (tail's user + system), rss_kb, findings (lines tail
printed so far; loops still open are reported later), rc, and
before_end_s and before_end_bytes: the last commit point seen before the
end and when it was first seen (from the first append), and first_s and
first_bytes: the same of the first commit point. The commit point reaches the end
only once tail has handed out the last event, which it does when the
file has been quiet for 500 ms, and committed it (up to --commit-ms
later), so caught_s and lag_s include up to about 1.5 s of that; the
rate up to the last commit before the end leaves it out.
"""
import os
import signal
import sqlite3
import subprocess
import sys
import time


def committed(db, live):
    """The commit point tail recorded for live, or -1."""
    try:
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=1)
        try:
            row = con.execute(
                "SELECT f.offset FROM tail_state t JOIN files f"
                " ON f.id = t.file_id WHERE t.path = ?", (live,)).fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return -1
    return row[0] if row else -1


def proc_stats(pid):
    """(peak RSS in kB, user + system CPU seconds) of pid."""
    rss = 0
    with open("/proc/%d/status" % pid) as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                rss = int(line.split()[1])
    with open("/proc/%d/stat" % pid) as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return rss, (int(fields[11]) + int(fields[12])) / tick


def main():
    n1digest, source, live, db = sys.argv[1:5]
    chunk, rate = int(sys.argv[5]), float(sys.argv[6])
    size = os.path.getsize(source)
    out = open(live + ".out", "w")
    err = open(live + ".err", "w")
    tail = subprocess.Popen([n1digest, "tail", "--db", db, "--format", "json",
                             live], stdout=out, stderr=err)
    # Let it start and wait for the path before the first byte.
    time.sleep(0.5)
    t0 = time.monotonic()
    sent = 0
    with open(source, "rb") as src, open(live, "ab", buffering=0) as dst:
        while True:
            buf = src.read(chunk)
            if not buf:
                break
            dst.write(buf)
            sent += len(buf)
            if rate > 0:
                due = t0 + sent / rate
                while True:
                    now = time.monotonic()
                    if now >= due:
                        break
                    time.sleep(min(due - now, 0.05))
    t_app = time.monotonic()
    deadline = t_app + 3600
    partial = (0.0, 0)
    first = (0.0, 0)
    while True:
        at = committed(db, live)
        now = time.monotonic()
        if at >= size:
            break
        if at > partial[1]:
            # When the commit point first got there, not when last seen.
            partial = (now - t0, at)
            if first[1] == 0:
                first = partial
        if tail.poll() is not None or now > deadline:
            print("tail_drive: tail exited or never caught up",
                  file=sys.stderr)
            tail.kill()
            sys.exit(1)
        time.sleep(0.02)
    t_end = time.monotonic()
    rss, cpu = proc_stats(tail.pid)
    tail.send_signal(signal.SIGTERM)
    rc = tail.wait()
    out.close()
    err.close()
    with open(live + ".out") as fh:
        findings = sum(1 for _ in fh)
    print("bytes=%d append_s=%.3f caught_s=%.3f lag_s=%.3f cpu_s=%.3f "
          "rss_kb=%d findings=%d rc=%d before_end_s=%.3f before_end_bytes=%d "
          "first_s=%.3f first_bytes=%d"
          % (size, t_app - t0, t_end - t0, t_end - t_app, cpu, rss,
             findings, rc, partial[0], partial[1], first[0], first[1]))


if __name__ == "__main__":
    main()
