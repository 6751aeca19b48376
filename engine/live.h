/* SPDX-License-Identifier: MIT */
/*
 * live.h: follow a running server through performance_schema or its log
 * tables, report each N+1 loop, duplicate and fan-out as it ends, keep
 * the store current (`n1digest live`).
 *
 * A live run is `tail` with a server for a log: the same detectors,
 * store, finding lines and JSON objects, fed by a server source
 * (read/server.h: the statement history, or read/server_table.h: the
 * log tables) polled every interval. A connection lost during a poll is
 * made again, with the marks kept, for up to reconnect_max_s seconds.
 * Each poll ends with one store transaction holding the new statistics,
 * the findings and every server thread's high-water mark (the tail state
 * of the source's name), so that a restart reads on from there, counting
 * no statement twice. docs/live.md has the setup and limits.
 */
#ifndef N1_LIVE_H
#define N1_LIVE_H

#include <stdint.h>
#include <stdio.h>

#include "analyzer/detector.h"
#include "base/error.h"
#include "engine/notice.h"
#include "read/server.h"

/* How long a lost connection is tried again by default, seconds. */
#define N1_LIVE_RECONNECT_S 300

struct n1_live_opts {
    struct n1_server_opts server; /* how to connect; strings borrowed */
    const char *kind;             /* "perfschema" (the statement history)
                                     or "table" (the log tables) */
    const char *source;           /* the name findings and the store give
                                     the source; borrowed */
    double reconnect_max_s;       /* a lost connection is tried again for
                                     this long (waits of 1, 2, 4 ... 30 s)
                                     before the run fails; 0: fail at
                                     once */
    const char *db_path;          /* store path; borrowed */
    struct n1_detect_opts detect; /* detector options, rules applied */
    double interval_s;            /* time between polls */
    int json;                     /* 1: one JSON object per finding line */
    FILE *out;                    /* findings go here; NULL: stdout */
    n1_notice_fn notice;          /* NULL: no notices */
    void *notice_ud;              /* passed to notice */
    int (*stop)(void *ud);        /* polled: 1 ends the run after a last
                                     poll and commit; NULL: until error */
    void *ud;                     /* passed to stop */
};

/* What a run did so far. */
struct n1_live_stats {
    uint64_t statements; /* statements counted in the statistics */
    uint64_t findings;   /* finding lines written */
    uint64_t polls;      /* polls of the server */
    uint64_t lost;       /* statements overwritten before a poll */
    uint64_t cut;        /* statements skipped, SQL_TEXT cut */
    uint64_t nested;     /* statements skipped, run by stored programs */
    uint64_t outages;    /* connections lost and made again */
};

struct n1_live;

/*
 * Fills *o with defaults: store ./n1digest.db, source "perfschema",
 * default detector options, a poll every second, text on stdout,
 * reconnecting for up to N1_LIVE_RECONNECT_S seconds.
 */
void n1_live_opts_default(struct n1_live_opts *o);

/*
 * Opens the store and builds the normaliser, statistics and detectors
 * (the server is reached by n1_live_run()). o is copied; what it points
 * to must outlive the run. Returns a run the caller frees with
 * n1_live_free(), or NULL with err set.
 */
struct n1_live *n1_live_new(const struct n1_live_opts *o, struct n1_error *err);

/*
 * Prints the findings a previous run stored but did not print, connects,
 * resumes after the marks of the previous run on the same server and
 * polls until the stop callback returns 1; then ends the open loops and
 * commits. Returns 0, or -1 with err set and *fail (may be NULL) telling
 * a server failure (unreachable, performance_schema not set up) from
 * the rest (N1_SERVER_FAIL_NONE). Call it once per run.
 */
int n1_live_run(struct n1_live *l, enum n1_server_fail *fail,
                struct n1_error *err);

/* Counters of the run so far; borrowed, valid until n1_live_free(). */
const struct n1_live_stats *n1_live_stats(const struct n1_live *l);

/* Frees the run, closing the store and the connection. NULL allowed. */
void n1_live_free(struct n1_live *l);

#endif /* N1_LIVE_H */
