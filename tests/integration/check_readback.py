#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check_readback.py: compare what n1digest read back from a server's logs
with the manifest the workload wrote.

usage: check_readback.py --manifest M.jsonl --general G.jsonl --slow S.jsonl
       check_readback.py --self-test

G.jsonl and S.jsonl are the output of `n1digest events --json` on the general
and the slow log. Every manifest command must come back, per connection and
in order, with the exact statement text, the connection id and the schema:

general log  every command: connect, query, init_db, prepare, execute,
             close_stmt, quit. Execute is logged with the parameter values
             substituted; the expected text is computed here the way the
             server renders them.
slow log     the statements that ran: queries and executes (prepare,
             init_db, close_stmt and connections do not reach it). A
             statement that failed to parse is accepted in the slow log or
             not: MariaDB 10.11.19 logs it there, other servers and
             versions may not.

Anything else must be the harness's own traffic: connections that are not in
the manifest, doing only what the harness does (ping, SELECT VERSION(), the
shutdown). Those are listed, not failed. Slow-log events must carry the
timing metrics. On failure the differences are printed per connection as
missing / extra / mismatched events, with the texts shown as Python
literals so that quotes, tabs and newlines are visible.

Exit status: 0 all matched, 1 differences found, 2 bad input.
"""

import argparse
import difflib
import json
import sys

# What the harness itself sends on its own connections (lib_mariadb.sh,
# capture.sh and mariadb-admin shutdown). Connect and quit are always fine.
NOISE_SQL = {
    "SELECT VERSION()",
    "SHOW VARIABLES LIKE 'pid_file'",
    "select @@version_comment limit 1",
}
NOISE_CMDS = {"connect", "quit", "other"}

# Metrics every slow-log entry of MariaDB and MySQL has.
SLOW_METRICS = ("Query_time", "Lock_time", "Rows_sent", "Rows_examined")

# The server drops leading blanks and trailing blanks and semicolons from a
# COM_QUERY before logging it (alloc_query() in sql_parse.cc).
BLANKS = " \t\n\r\v\f"

# How the server writes a string parameter into the logged statement
# (escape_string_for_mysql(): these bytes get a backslash form).
STRING_ESCAPES = {
    "\0": "\\0",
    "\n": "\\n",
    "\r": "\\r",
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "\x1a": "\\Z",
}


def server_trim(sql):
    """The statement text as the server logs a COM_QUERY."""
    start = 0
    while start < len(sql) and sql[start] in BLANKS:
        start += 1
    end = len(sql)
    while end > start and (sql[end - 1] in BLANKS or sql[end - 1] == ";"):
        end -= 1
    return sql[start:end]


def render_param(p):
    """One bound parameter as the server substitutes it into the text."""
    if p["type"] == "null":
        return "NULL"
    if p["type"] == "int":
        return str(int(p["value"]))
    if p["type"] == "string":
        return "'" + "".join(STRING_ESCAPES.get(ch, ch)
                             for ch in p["value"]) + "'"
    raise ValueError("unknown parameter type %r" % p["type"])


def substitute(sql, params):
    """Fills the ? markers of a prepared statement, skipping quoted text
    and comments, the way the server logs an Execute."""
    out = []
    i = 0
    n = 0
    while i < len(sql):
        ch = sql[i]
        if ch in "'\"`":
            j = i + 1
            while j < len(sql) and sql[j] != ch:
                j += 2 if sql[j] == "\\" else 1
            out.append(sql[i:j + 1])
            i = j + 1
            continue
        if sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            j = len(sql) if j < 0 else j + 2
            out.append(sql[i:j])
            i = j
            continue
        if ch == "?":
            if n >= len(params):
                raise ValueError("more markers than parameters: %r" % sql)
            out.append(render_param(params[n]))
            n += 1
            i += 1
            continue
        out.append(ch)
        i += 1
    if n != len(params):
        raise ValueError("%d parameters for %d markers: %r"
                         % (len(params), n, sql))
    return "".join(out)


class Expected:
    """One event the logs must contain."""

    def __init__(self, rec, cmd, sql, dbs, optional=False):
        self.rec = rec          # the manifest record it comes from
        self.cmd = cmd          # expected cmd field
        self.sql = sql          # expected sql, or None: not compared
        self.dbs = dbs          # acceptable db values
        self.optional = optional

    def key(self):
        return (self.cmd, self.sql)

    def show(self):
        s = "seq %d %s" % (self.rec["seq"], self.cmd)
        if self.sql is not None:
            s += " " + repr(self.sql)
        return s


def expected_events(manifest):
    """(general, slow): dicts conn -> [Expected] in send order."""
    general = {}
    slow = {}
    for rec in manifest:
        conn = rec["conn"]
        kind = rec["kind"]
        db = rec["db"]
        after = rec.get("db_after", db)
        g = None
        s = None
        if kind == "connect":
            g = Expected(rec, "connect", None, {db})
        elif kind == "quit":
            g = Expected(rec, "quit", None, {db})
        elif kind == "close_stmt":
            g = Expected(rec, "close_stmt", None, {db})
        elif kind == "init_db":
            # The event sits on the edge of the switch: either is right.
            g = Expected(rec, "init_db", rec["sql"], {db, after})
        elif kind == "prepare":
            g = Expected(rec, "prepare", rec["sql"], {db})
        elif kind == "query":
            sql = server_trim(rec["sql"])
            g = Expected(rec, "query", sql, {db, after})
            # The slow log writes the schema after the statement ran.
            s = Expected(rec, "query", sql, {after},
                         optional="error" in rec)
        elif kind == "execute":
            sql = substitute(rec["sql"], rec["params"])
            g = Expected(rec, "execute", sql, {db})
            s = Expected(rec, "query", sql, {db})
        else:
            raise ValueError("manifest seq %d: unknown kind %r"
                             % (rec["seq"], kind))
        general.setdefault(conn, []).append(g)
        if s is not None:
            slow.setdefault(conn, []).append(s)
    return general, slow


def show_event(ev):
    sql = ev.get("sql")
    return "line %s conn %s %s db=%r %s" % (
        ev.get("line"), ev.get("conn"), ev.get("cmd"), ev.get("db"),
        repr(sql) if sql is not None else "")


def short(ev, width=70):
    sql = ev.get("sql") or ""
    sql = sql if len(sql) <= width else sql[:width] + "..."
    return "line %s conn %s %s %r" % (ev.get("line"), ev.get("conn"),
                                      ev.get("cmd"), sql)


def check_event(exp, ev, slow, problems):
    """Field checks for an event matched to exp; appends to problems."""
    where = "%s <-> %s" % (exp.show(), short(ev))
    if ev.get("db", "") not in exp.dbs:
        problems.append("db %r, expected %s: %s"
                        % (ev.get("db"), " or ".join(
                            repr(d) for d in sorted(exp.dbs)), where))
    # Both logs here start with a time stamp, so every event has one
    # (carried over in the general log).
    if ev.get("ts") is None:
        problems.append("no ts: %s" % where)
    if slow:
        metrics = ev.get("metrics") or {}
        missing = [m for m in SLOW_METRICS
                   if not isinstance(metrics.get(m), (int, float))
                   or isinstance(metrics.get(m), bool)]
        if missing:
            problems.append("metrics %s missing: %s"
                            % (", ".join(missing), where))


def sql_diff(a, b):
    """A character-level hint of where two texts differ."""
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    return "first difference at char %d: expected %r, got %r" % (
        i, a[i:i + 30], b[i:i + 30])


def compare(name, expected, events, report):
    """Compares one log. Returns the number of problems."""
    problems = 0
    by_conn = {}
    noise = []
    not_int = [ev for ev in events if type(ev.get("conn")) is not int]
    if not_int:
        report("%s: %d events whose conn is not an integer, e.g. %s"
               % (name, len(not_int), show_event(not_int[0])))
        problems += 1
    for ev in events:
        conn = ev.get("conn")
        if conn in expected:
            by_conn.setdefault(conn, []).append(ev)
        else:
            noise.append(ev)

    # Harness traffic on other connections: listed; anything else fails.
    bad_noise = [ev for ev in noise
                 if not ev.get("conn")
                 or not (ev.get("cmd") in NOISE_CMDS
                         or ev.get("sql") in NOISE_SQL)]
    if noise:
        conns = sorted({ev.get("conn") for ev in noise}, key=str)
        report("%s: %d events on %d connections outside the workload "
               "(harness traffic): %s" % (name, len(noise), len(conns),
                                          ", ".join(map(str, conns))))
        for ev in noise:
            report("    " + short(ev))
    for ev in bad_noise:
        report("%s: UNEXPECTED event outside the workload: %s"
               % (name, show_event(ev)))
        problems += 1

    slow = name == "slow"
    n_ok = 0
    for conn in sorted(expected):
        exp = expected[conn]
        got = by_conn.get(conn, [])
        sm = difflib.SequenceMatcher(
            a=[e.key() for e in exp],
            b=[(ev.get("cmd"), ev.get("sql") if e_sql_checked(ev, exp)
                else None) for ev in got],
            autojunk=False)
        lines = []
        for op, i1, i2, j1, j2 in sm.get_opcodes():
            if op == "equal":
                for e, ev in zip(exp[i1:i2], got[j1:j2]):
                    before = len(lines)
                    check_event(e, ev, slow, lines)
                    if len(lines) == before:
                        n_ok += 1
                continue
            ex = []
            for e in exp[i1:i2]:
                if e.optional:
                    report("%s: conn %s: optional %s not present"
                           % (name, conn, e.show()))
                else:
                    ex.append(e)
            gv = got[j1:j2]
            if len(ex) == len(gv):
                for e, ev in zip(ex, gv):
                    msg = "MISMATCH %s\n      got %s" % (e.show(),
                                                         show_event(ev))
                    if e.cmd == ev.get("cmd") and e.sql is not None \
                            and isinstance(ev.get("sql"), str):
                        msg += "\n      " + sql_diff(e.sql, ev["sql"])
                    lines.append(msg)
                continue
            for e in ex:
                lines.append("MISSING  %s" % e.show())
            for ev in gv:
                lines.append("EXTRA    %s" % show_event(ev))
        for e, ev in optional_matches(sm, exp, got):
            report("%s: conn %s: optional %s present at line %s"
                   % (name, conn, e.show(), ev.get("line")))
        if lines:
            report("%s: conn %s: %d expected, %d read back:"
                   % (name, conn, len(exp), len(got)))
            for line in lines:
                report("    " + line)
            problems += len(lines)
    problems += check_offsets(name, events, report)
    n_exp = sum(len(v) for v in expected.values())
    n_got = sum(len(v) for v in by_conn.values())
    report("%s: %d workload events expected (%d optional), %d read back, "
           "%d matched fully; %d problems"
           % (name, n_exp, sum(e.optional for v in expected.values()
                               for e in v),
              n_got, n_ok, problems))
    return problems


def e_sql_checked(ev, exp):
    """close_stmt, connect and quit carry no comparable text."""
    return ev.get("cmd") not in ("connect", "quit", "close_stmt")


def optional_matches(sm, exp, got):
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            for e, ev in zip(exp[i1:i2], got[j1:j2]):
                if e.optional:
                    yield e, ev


def check_offsets(name, events, report):
    """Events come in file order and their byte ranges do not overlap."""
    problems = 0
    prev = None
    for ev in events:
        off = ev.get("offset")
        end = ev.get("end_offset")
        line = ev.get("line")
        if not (isinstance(off, int) and isinstance(end, int)
                and isinstance(line, int) and line > 0 and off < end):
            report("%s: bad file/line/offset fields: %s" % (name, short(ev)))
            problems += 1
            continue
        if prev is not None and off < prev:
            report("%s: event overlaps the previous one (offset %d < %d): "
                   "%s" % (name, off, prev, short(ev)))
            problems += 1
        prev = end
    return problems


def load_jsonl(path, what):
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except ValueError as e:
                raise SystemExit("check_readback: %s %s:%d: %s"
                                 % (what, path, n, e))
    return out


def run(manifest, general, slow, report):
    """Returns the total number of problems."""
    exp_general, exp_slow = expected_events(manifest)
    return (compare("general", exp_general, general, report)
            + compare("slow", exp_slow, slow, report))


# ---- self-test ------------------------------------------------------------

def synth(manifest):
    """The events a perfect reader would produce for manifest, plus the
    harness's own traffic: (general, slow)."""
    exp_general, exp_slow = expected_events(manifest)
    logs = []
    for exp in (exp_general, exp_slow):
        evs = []
        for e in sorted((e for v in exp.values() for e in v),
                        key=lambda e: e.rec["seq"]):
            evs.append({"conn": e.rec["conn"], "cmd": e.cmd,
                        "sql": e.sql if e.sql is not None else "",
                        "db": sorted(e.dbs)[-1], "ts": 1,
                        "metrics": {m: 0.5 for m in SLOW_METRICS}})
        evs.insert(0, {"conn": 99, "cmd": "connect", "sql": "", "db": ""})
        evs.append({"conn": 100, "cmd": "query", "db": "",
                    "sql": "SHOW VARIABLES LIKE 'pid_file'"})
        for i, ev in enumerate(evs):
            ev.update(file="x.log", line=i + 1, offset=i * 10,
                      end_offset=i * 10 + 10)
        logs.append(evs)
    return logs[0], logs[1]


def self_test():
    assert server_trim("  SELECT 2; ;\n") == "SELECT 2"
    assert substitute("a = ? AND b = '?' AND c = ? /* ? */",
                      [{"type": "int", "value": -3},
                       {"type": "string", "value": "O'B\\\n\t\""}]) \
        == "a = -3 AND b = '?' AND c = 'O\\'B\\\\\\n\t\\\"' /* ? */"
    manifest = [
        {"seq": 1, "conn": 5, "kind": "connect", "db": ""},
        {"seq": 2, "conn": 5, "kind": "query", "db": "", "sql": "SELECT 2;"},
        {"seq": 3, "conn": 6, "kind": "connect", "db": "a"},
        {"seq": 4, "conn": 5, "kind": "init_db", "db": "",
         "db_after": "a", "sql": "a"},
        {"seq": 5, "conn": 6, "kind": "query", "db": "a", "db_after": "b",
         "sql": "USE b"},
        {"seq": 6, "conn": 5, "kind": "prepare", "db": "a",
         "sql": "SELECT ?"},
        {"seq": 7, "conn": 5, "kind": "execute", "db": "a",
         "sql": "SELECT ?", "params": [{"type": "string", "value": "x'"}]},
        {"seq": 8, "conn": 6, "kind": "query", "db": "b", "sql": "SELEC",
         "error": 1064},
        {"seq": 9, "conn": 5, "kind": "close_stmt", "db": "a",
         "sql": "SELECT ?"},
        {"seq": 10, "conn": 5, "kind": "quit", "db": "a"},
    ]
    quiet = []

    def check(label, general, slow, want_ok):
        out = []
        n = run(manifest, general, slow, out.append)
        ok = n == 0
        if ok != want_ok:
            sys.stdout.write("self-test %s: expected %s, got %d problems:\n"
                             % (label, "pass" if want_ok else "failure", n))
            sys.stdout.write("\n".join(out) + "\n")
            raise SystemExit(1)
        quiet.append((label, out))

    g, s = synth(manifest)
    check("perfect", g, s, True)
    check("slow without the failed statement", g,
          [ev for ev in s if ev["sql"] != "SELEC"], True)
    check("general without the failed statement",
          [ev for ev in g if ev["sql"] != "SELEC"], s, False)
    g2 = [dict(ev) for ev in g]
    g2[5]["sql"] += " "
    check("one text changed", g2, s, False)
    s2 = [dict(ev) for ev in s]
    s2[1]["conn"] = 6
    check("wrong connection", g, s2, False)
    s3 = [dict(ev) for ev in s]
    del s3[2]["metrics"]["Query_time"]
    check("no Query_time", g, s3, False)
    g4 = [dict(ev) for ev in g]
    g4[4]["db"] = "zzz"
    check("wrong db", g4, s, False)
    check("extra statement", g + [dict(g[2], offset=999, end_offset=1000)],
          s, False)
    check("unknown noise", g, s + [dict(s[-1], sql="DROP TABLE t",
                                        offset=999, end_offset=1000)],
          False)
    check("conn 0 event", [dict(g[0], conn=0)] + g[1:], s, False)
    s5 = [dict(ev) for ev in s]
    s5[-2]["sql"] = "SELECT 9"
    check("failed statement replaced by another", g, s5, False)
    g6 = [dict(ev) for ev in g]
    g6[3]["ts"] = None
    check("no ts", g6, s, False)
    check("conn as a string", g, [dict(ev, conn=str(ev["conn"]))
                                  for ev in s], False)
    check("events out of order", list(reversed(g)), s, False)
    print("check_readback self-test: %d cases passed" % len(quiet))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--manifest")
    ap.add_argument("--general", help="n1digest events --json of the general "
                    "log")
    ap.add_argument("--slow", help="n1digest events --json of the slow log")
    ap.add_argument("--self-test", action="store_true")
    args = ap.parse_args()
    if args.self_test:
        return self_test()
    if not (args.manifest and args.general and args.slow):
        ap.error("--manifest, --general and --slow are required")
    manifest = load_jsonl(args.manifest, "manifest")
    general = load_jsonl(args.general, "general events")
    slow = load_jsonl(args.slow, "slow events")
    try:
        problems = run(manifest, general, slow, print)
    except (KeyError, ValueError) as e:
        print("check_readback: bad manifest: %s" % e)
        return 2
    if problems:
        print("check_readback: FAILED, %d problems" % problems)
        return 1
    print("check_readback: OK: every manifest command read back from both "
          "logs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
