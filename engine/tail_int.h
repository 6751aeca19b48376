/* SPDX-License-Identifier: MIT */
/*
 * tail_int.h: what the parts of the tail engine (tail.h) share. tail.c
 * holds the object, the reader thread's source and the main loop;
 * tail_read.c what the main thread does with events: statistics,
 * detectors, generations, and the restore of a previous run's state;
 * tail_commit.c the findings stream, the low-water marks, checkpoints
 * and commits, and the writer thread. tail.c's comment describes the
 * design. Included only inside engine/.
 */
#ifndef N1_TAIL_INT_H
#define N1_TAIL_INT_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzer/detector.h"
#include "base/finding.h"
#include "base/timeutil.h"
#include "engine/engine_int.h"
#include "engine/notice.h"
#include "engine/tail.h"
#include "read/follow.h"
#include "report/findings.h"
#include "sql/normalize.h"
#include "stats/aggregate.h"
#include "store/store.h"

#define COMMIT_EVENTS   1000000u /* events between commits at most */
#define COMMIT_FINDINGS 10000u   /* pending findings that force a commit */
#define COMMIT_SHARE                            \
    4 /* while behind, at least this many times \
         the last commit's duration between     \
         commits: the writer thread is busy a   \
         quarter of the time at most */
#define BURST_EVENTS                                                        \
    50000u                         /* events that make a catch-up commit at \
                                      once */
#define AGG_BUDGET     (64u << 20) /* aggregate bytes that force a commit */
#define MEMORY_EVERY   4096u       /* events between looks at that size */
#define WAIT_MS        200         /* longest sleep between looks */
#define FINDINGS_MS    500         /* least gap before a findings commit */
#define TICK_MS        100         /* least time between detector ticks */
#define WRITER_POLL_MS 10          /* wait for a busy writer thread */
#define OLD_GENS       8           /* earlier generations remembered */
#define CHECKPOINT_BYTES                              \
    (256u << 10) /* log bytes between checkpoints, so \
               a restart parses at most about this    \
               much before its replay point */
#define CHECKPOINT_MEMORY                          \
    (8u << 20) /* snapshot bytes kept for the next \
              commit at most (the oldest go) */

struct writer;

/* A generation of the followed path, as the store records it. */
struct gen {
    int64_t file_id; /* files row */
    uint64_t base;   /* stream offset of byte 0 */
};

struct n1_tail {
    struct n1_tail_opts opts;       /* copy; pointers borrowed */
    const char *path;               /* opts.path: what is opened */
    const char *key;                /* the path's name in the store (its
                                       tail state, checkpoints, findings):
                                       path, or the spelling the state of
                                       the same file was recorded under */
    char *key_owned;                /* key when it is not path; owned */
    FILE *out;                      /* where findings go */
    struct n1_report_opts ro;       /* for the JSON rendering */
    struct n1_store *store;         /* owned */
    struct n1_tail_checkpoint *cps; /* reader snapshots of cur from the
                                  feed, to record at the next commit
                                  (ctx owned), oldest first */
    size_t n_cps;
    size_t cap_cps;
    size_t cps_bytes;          /* their ctx bytes */
    int in_rotated;            /* reading a rotated generation aside */
    uint64_t rotated_bytes;    /* bytes read from rotated generations */
    struct n1_normalizer *nz;  /* owned */
    struct n1_normalizer *nz2; /* owned; the feed thread's */
    struct n1_agg *agg;        /* owned; what the next commit writes */
    struct n1_agg *agg_spare;  /* owned; empty, swapped with agg at each
                                  commit (NULL while a job holds it) */
    struct writer *writer;     /* the writer thread while it runs */
    struct n1_detectors *det;  /* owned */
    struct n1_finding **pend;  /* findings not committed yet (owned) */
    size_t n_pend;
    size_t cap_pend;
    int pend_oom; /* a finding could not be kept */

    struct gen cur;           /* generation being read */
    struct gen old[OLD_GENS]; /* earlier ones, newest last */
    size_t n_old;
    struct n1_file_progress fp; /* progress of cur */
    char flavour[32];           /* flavour name of cur */
    unsigned flavour_id;        /* and its enum n1_flavour */
    uint64_t gen_end;           /* end of the last event read in cur */
    int have_gen;               /* cur is set */

    uint64_t commit_v;      /* stream offset statistics start at */
    struct n1_pairs replay; /* per connection, from the last commit */
    struct n1_pairs lows;   /* scratch for the next commit */

    uint64_t since_commit;      /* events since the last commit */
    double last_commit;         /* monotonic seconds */
    double commit_cost;         /* seconds the last commit took */
    int dirty;                  /* something to commit */
    int64_t max_ts;             /* newest log time seen, N1_TS_NONE */
    double max_ts_wall;         /* monotonic seconds when it was seen */
    int ts_fine;                /* a log time had a fraction of a second */
    uint64_t evictions;         /* detector evictions already warned of */
    struct n1_tail_stats stats; /* of this run */
    uint64_t follow_bytes;      /* bytes the follower parsed, at the end */
};

/*
 * What one commit writes, taken from the tail on the main thread so that
 * the writing (rendering the findings, the store transaction, printing)
 * may run on the writer thread while the main thread reads on.
 */
struct commit_job {
    struct n1_agg *agg;               /* statistics since the last commit;
                                         reset once written */
    struct n1_file_progress files[2]; /* the generation left, if any, and
                                         the current one */
    size_t n_files;
    struct n1_finding **pend; /* new findings (owned) */
    size_t n_pend;
    struct n1_tail_state ts;        /* conns owned; cps is cps */
    struct n1_tail_checkpoint *cps; /* owned, ctx included */
    int write_ts;                   /* 0: keep the stored tail state */
    double cost;                    /* seconds the writing took */
};

/* The writer thread: writes one job at a time for the main thread. */
struct writer {
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* a job, a finished job, or stop */
    struct n1_tail *t;
    struct commit_job job; /* the job handed over */
    int busy;              /* job is being written */
    int stop;
    int failed; /* writing it failed: err */
    struct n1_error err;
};

/* ---- tail_commit.c ---- */

/*
 * Calls the fault hook at point at, if there is one. Returns 0 to go
 * on, or -1 with err set when the hook abandons the run.
 */
int n1_tail_fault(struct n1_tail *t, enum n1_tail_point at,
                  struct n1_error *err);

/* The detectors' finding callback: keeps a copy for the next commit. */
void n1_tail_collect(void *ud, const struct n1_finding *f);

/* Prints the findings a previous run stored but did not mark printed. */
int n1_tail_print_unemitted(struct n1_tail *t, struct n1_error *err);

/* The recorded offset of conn, or UINT64_MAX when it had no state. */
uint64_t n1_tail_lows_find(const struct n1_pairs *l, uint64_t conn);

/* Drops the snapshots waiting for a commit. */
void n1_tail_cps_clear(struct n1_tail *t);

/*
 * Keeps a reader snapshot of len bytes valid at file offset (line) of
 * cur, for the next commit. Past CHECKPOINT_MEMORY the oldest go first.
 * Returns 0, or -1 when memory ran out.
 */
int n1_tail_cps_push(struct n1_tail *t, uint64_t offset, unsigned long line,
                     const char *ctx, size_t len);

/*
 * Blocks SIGINT, SIGTERM and SIGHUP in the calling thread, so that a
 * thread it starts next leaves them to the main thread; restore *old
 * with pthread_sigmask(SIG_SETMASK) once it runs.
 */
void n1_tail_block_signals(sigset_t *old);

/* Starts the writer thread, signals blocked as on the feed thread. */
int n1_tail_writer_start(struct n1_tail *t, struct writer *w,
                         struct n1_error *err);

/*
 * When the writer thread is idle, takes back its last job. Returns 0, or
 * -1 with err set when writing that job failed.
 */
int n1_tail_writer_poll(struct n1_tail *t, struct n1_error *err);

/* 1 when the writer thread is writing a job. */
int n1_tail_writer_busy(struct n1_tail *t);

/* Stops the writer thread once its job is written. */
void n1_tail_writer_stop(struct n1_tail *t, struct writer *w);

/*
 * Commits statistics, file progress, new findings and the tail state in
 * one transaction on this thread, after the writer thread's job, then
 * prints the findings. extra (may be NULL) is the final progress of the
 * generation just left.
 */
int n1_tail_commit(struct n1_tail *t, struct n1_file_progress *extra,
                   struct n1_error *err);

/*
 * A commit while reading on: handed to the writer thread when the
 * generation's record exists, else written here. When the writer is
 * still at the last one, it waits only if force (a bound on memory was
 * reached); else the commit comes later. Returns 0, or -1 with err set.
 */
int n1_tail_commit_later(struct n1_tail *t, int force, struct n1_error *err);

/* ---- tail_read.c ---- */

/*
 * One event of the generation at base: counted when past the commit
 * point, fed to the detectors when past it or past its connection's
 * recorded low-water mark. pre (may be NULL) is its normal form when the
 * feed thread computed it. fp (may be NULL) gets the progress.
 */
int n1_tail_handle_event(struct n1_tail *t, const struct n1_event *ev,
                         const struct n1_norm *const *pre, uint64_t base,
                         int slow, struct n1_file_progress *fp,
                         const struct n1_reader_stats *rs,
                         struct n1_error *err);

/* Records the flavour of the generation being read. */
void n1_tail_set_flavour(struct n1_tail *t, enum n1_flavour flavour);

/*
 * A new generation begins in the follower: closes the previous one (read
 * to its end) and creates the record of the new one.
 */
int n1_tail_begin_generation(struct n1_tail *t, const struct n1_file_ident *id,
                             enum n1_flavour flavour,
                             const struct n1_file_state *resume,
                             struct n1_error *err);

/*
 * Log time now: the newest event time plus the wall time since. When the
 * log gives whole seconds (MariaDB's general and slow logs), an event
 * logged as second S may have run at S.999 and the next one, logged as
 * S + 1, an instant later, so only whole seconds since S are added: any
 * event still to come is logged at that time or later. A tick then never
 * ends a loop that the next event's own time would still extend, and
 * tail cuts loops exactly where analyze, judging by the logged times,
 * does.
 */
int64_t n1_tail_log_now(const struct n1_tail *t);

/*
 * Finds the name the store knows the followed file by (t->key): the
 * path as given when a tail state is recorded under it, else the
 * spelling a state was recorded under for the file now at the path
 * (same device and inode, and its first bytes still hash as recorded),
 * so that `./x.log`, `x.log` and `/abs/x.log` resume one state. Returns
 * 0 or -1 with err set.
 */
int n1_tail_find_key(struct n1_tail *t, struct n1_error *err);

/*
 * --from-end: makes the follower start at the end of the file now at the
 * path (just after its last complete line), whatever the last run
 * recorded: *start is set to that point (keeping the recorded file's
 * record when *use_start says the recorded file is the one at the path,
 * else with *have_resume cleared, a new record). A path with no file yet
 * is read from its start when one appears.
 */
void n1_tail_from_end(struct n1_tail *t, struct n1_follow_start *start,
                      int *use_start, int *have_resume);

/*
 * Restores the state of the last run: the commit point, the replay
 * marks, rotated generations that were not read to their end. Sets
 * *start (and *resume, initialised by the caller) when the follower
 * should resume the recorded file. Returns 0 or -1 with err set.
 */
int n1_tail_restore(struct n1_tail *t, struct n1_follow_start *start,
                    int *use_start, struct n1_file_state *resume,
                    int *have_resume, struct n1_tail_checkpoint *cp,
                    struct n1_error *err);

#endif /* N1_TAIL_INT_H */
