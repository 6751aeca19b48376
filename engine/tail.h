/* SPDX-License-Identifier: MIT */
/*
 * tail.h: follow a live server's log, report each N+1 loop, duplicate
 * and fan-out as it ends, keep the store current (`n1digest tail`).
 *
 * A tail owns its store, normalisers, statistics and detectors. It runs
 * until the caller's stop callback says so, writes one line per finding
 * (text, or one JSON object) to the caller's FILE once the transaction
 * that records it commits, and tells what it does through the notice
 * callback. A restart on the same store resumes where the last run
 * stopped, counting no statement twice (docs/tail.md).
 */
#ifndef N1_TAIL_H
#define N1_TAIL_H

#include <stdint.h>
#include <stdio.h>

#include "analyzer/detector.h"
#include "base/error.h"
#include "engine/notice.h"
#include "read/reader.h"

/* Named points of a run where the fault hook is called. */
enum n1_tail_point {
    N1_TAIL_AFTER_COMMIT = 0, /* findings stored, not printed yet */
    N1_TAIL_AFTER_PRINT,      /* findings printed and flushed, not yet
                                 marked printed in the store */
    N1_TAIL_IDLE              /* caught up with the log: nothing pending
                                 and nothing being written */
};

/*
 * The fault hook, for tests: called at each point above (after-commit
 * and after-print only when there were findings). Returns 0 to go on,
 * or non-zero to abandon the run at once, as a kill would: nothing more
 * is committed, printed or marked, and n1_tail_run() returns -1. It may
 * be called on the writer thread (after-commit, after-print), never on
 * two threads at once.
 */
typedef int (*n1_tail_fault_fn)(void *ud, enum n1_tail_point at);

struct n1_tail_opts {
    const char *path;             /* the followed log; borrowed */
    const char *db_path;          /* store path; borrowed */
    struct n1_detect_opts detect; /* detector options, rules applied */
    struct n1_reader_opts reader; /* reader options and warn callback */
    double commit_s;              /* longest time between commits */
    int json;                     /* 1: one JSON object per finding line */
    int from_end;                 /* 1: start at the end of the file at the
                                     path, even past a recorded position
                                     (--from-end) */
    FILE *out;                    /* findings go here; NULL: stdout */
    n1_notice_fn notice;          /* NULL: no notices */
    void *notice_ud;              /* passed to notice */
    int (*stop)(void *ud);        /* polled: 1 commits and ends the run;
                                     NULL: run until an error */
    int (*reopen)(void *ud);      /* polled: 1 looks at the path again at
                                     once (log rotation); NULL: never */
    n1_tail_fault_fn fault;       /* NULL outside tests */
    void *ud;                     /* passed to stop, reopen and fault */
};

/* What a run did so far. */
struct n1_tail_stats {
    uint64_t statements; /* statements counted in the statistics */
    uint64_t findings;   /* finding lines written */
    uint64_t bytes;      /* log bytes parsed */
};

struct n1_tail;

/*
 * Fills *o with defaults: store ./n1digest.db, default detector options,
 * a commit at least every second, text findings on stdout, no callbacks.
 */
void n1_tail_opts_default(struct n1_tail_opts *o);

/*
 * Opens the store and builds the normalisers, statistics and detectors.
 * o is copied; the strings and the FILE it points to must outlive the
 * tail. Returns a tail the caller frees with n1_tail_free(), or NULL
 * with err set.
 */
struct n1_tail *n1_tail_new(const struct n1_tail_opts *o, struct n1_error *err);

/*
 * Prints the findings a previous run stored but did not print, resumes
 * where that run stopped and follows the log until the stop callback
 * returns 1, then commits. Returns 0, or -1 with err set (a store,
 * memory or output error, or the fault hook). Call it once per tail.
 */
int n1_tail_run(struct n1_tail *t, struct n1_error *err);

/* Counters of the run so far; borrowed, valid until n1_tail_free(). */
const struct n1_tail_stats *n1_tail_stats(const struct n1_tail *t);

/* Frees the tail, closing the store. NULL allowed. */
void n1_tail_free(struct n1_tail *t);

#endif /* N1_TAIL_H */
