#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tail_log.py: write a MariaDB general log for the `n1digest tail` tests.

usage: tail_log.py head FILE CONNS   the banner, a long-lived connection,
                                     then CONNS short connections, the last
                                     one left inside an N+1 loop
       tail_log.py more FILE CONNS   appended: the open loop goes on, the
                                     long-lived connection runs again, then
                                     CONNS more short connections

Each short connection connects (its own user and schema), runs a parent
query and an 8-iteration N+1 loop, and quits; the time column advances one
second per connection and is printed only when the second changes, as
MariaDB does. The long-lived connection 7 connects first, changes schema
with Init DB, and runs nothing more until "more": its user and schema are
known only from the first bytes of the file, and "more" starts within a
second, with no time column, so a reader resuming in the middle of the
file must carry both over.
"""
import sys

T0 = 1732536000  # 2024-11-25 12:00:00


def stamp(sec):
    import time
    return time.strftime("%y%m%d %H:%M:%S", time.gmtime(T0 + sec))


class Log:
    def __init__(self, out, sec):
        self.out = out
        self.sec = sec
        self.last = None

    def line(self, conn, cmd, arg):
        prefix = "\t\t" if self.last == self.sec else stamp(self.sec) + "\t"
        self.last = self.sec
        self.out.write("%s%6d %s\t%s\n" % (prefix, conn, cmd, arg))


def short_conn(log, conn, open_loop=False):
    log.line(conn, "Connect", "u%d@10.0.%d.%d on db%d using TCP/IP"
             % (conn % 5, conn % 7, conn % 11, conn % 3))
    log.line(conn, "Query", "SELECT id FROM orders WHERE customer_id = %d"
             % conn)
    for k in range(4 if open_loop else 8):
        log.line(conn, "Query", "SELECT * FROM items WHERE order_id = %d"
                 % (conn * 10 + k))
    if open_loop:
        return
    log.line(conn, "Query", "UPDATE customers SET seen = %d WHERE id = %d"
             % (conn, conn))
    log.line(conn, "Quit", "")
    log.sec += 1


def main():
    mode, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "head":
        with open(path, "w") as out:
            out.write("/usr/sbin/mariadbd, Version: 10.11.6-MariaDB-log "
                      "(Debian 12). started with:\n"
                      "Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock\n"
                      "Time\t\t    Id Command\tArgument\n")
            log = Log(out, 0)
            log.line(7, "Connect", "early@10.9.9.9 on first using TCP/IP")
            log.line(7, "Init DB", "earlydb")
            for c in range(1000, 1000 + n):
                short_conn(log, c)
            short_conn(log, 999999, open_loop=True)
    else:
        with open(path) as fh:
            sec = sum(1 for line in fh if " Quit\t" in line)
        with open(path, "a") as out:
            log = Log(out, sec)
            log.last = sec  # same second as the last line: no time column
            for k in range(4, 9):
                log.line(999999, "Query",
                         "SELECT * FROM items WHERE order_id = %d"
                         % (999999 * 10 + k))
            log.line(7, "Query", "SELECT name FROM settings WHERE k = 1")
            log.line(7, "Query", "SELECT name FROM settings WHERE k = 2")
            log.line(999999, "Quit", "")
            log.sec += 1
            for c in range(2000000, 2000000 + n):
                short_conn(log, c)


if __name__ == "__main__":
    main()
