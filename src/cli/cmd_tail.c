/* SPDX-License-Identifier: MIT */
/*
 * cmd_tail.c: `n1scan tail`: follow a live server's log, report each
 * N+1 loop, duplicate and fan-out as it ends, keep the store current.
 *
 * A follower (src/follow.c) hands out the events of the log through
 * rotation and truncation. It runs on a reader thread (src/feed.c) that
 * parses ahead; the main thread takes the events in log order and feeds
 * each to the statistics and the detectors; a writer thread writes the
 * commits the main thread takes. Findings are printed one per line
 * (text, or one JSON object per line) as soon as the transaction that
 * records them commits.
 *
 * Exactly once across kill -9: every commit is one store transaction
 * holding the new statistics, the file offset they reach (the commit
 * point), the findings emitted since the last commit, and where the
 * detectors' open state starts: the stream offset of the oldest event
 * each connection's open loops, parents and fan-out windows depend on
 * (n1_detectors_low_water()), and the reader snapshots (checkpoints,
 * reader_ctx.h) the reader thread took since the last commit, one every
 * CHECKPOINT_BYTES of log. A restart seeks to the newest checkpoint
 * before the oldest of those offsets (the replay point), drops the
 * events before the replay point, and feeds a connection's events to
 * the detectors only from its own recorded offset and counting nothing
 * in the statistics before the commit point; a finding the store already
 * holds (same id, file, line, count and first time) is not printed
 * again. Offsets are stream offsets: a generation's file offset plus the
 * bytes of the generations before it, so that state may span a rotation.
 * docs/tail.md describes the design and its limits.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "aggregate.h"
#include "cli.h"
#include "detector.h"
#include "feed.h"
#include "finding.h"
#include "follow.h"
#include "normalize.h"
#include "reader_ctx.h"
#include "report_findings.h"
#include "rules.h"
#include "rules_apply.h"
#include "store.h"
#include "strbuf.h"

#define COMMIT_EVENTS 1000000u   /* events between commits at most */
#define COMMIT_FINDINGS 10000u   /* pending findings that force a commit */
#define COMMIT_SHARE 4           /* while behind, at least this many times
                                    the last commit's duration between
                                    commits: the writer thread is busy a
                                    quarter of the time at most */
#define BURST_EVENTS 50000u      /* events that make a catch-up commit at
                                    once */
#define AGG_BUDGET (64u << 20)   /* aggregate bytes that force a commit */
#define MEMORY_EVERY 4096u       /* events between looks at that size */
#define WAIT_MS 200              /* longest sleep between looks */
#define FINDINGS_MS 500          /* least gap before a findings commit */
#define TICK_MS 100              /* least time between detector ticks */
#define WRITER_POLL_MS 10        /* wait for a busy writer thread */
#define OLD_GENS 8               /* earlier generations remembered */
#define CHECKPOINT_BYTES (256u << 10) /* log bytes between checkpoints, so
                                    a restart parses at most about this
                                    much before its replay point */
#define CHECKPOINT_MEMORY (8u << 20) /* snapshot bytes kept for the next
                                    commit at most (the oldest go) */

enum out_format { FORMAT_TEXT = 0, FORMAT_JSON };

/* Where N1SCAN_TEST_KILL makes tail kill itself with SIGKILL, for the
   tests of the findings stream across a crash. */
enum test_kill {
    KILL_NEVER = 0,
    KILL_AFTER_COMMIT, /* "after-commit": findings stored, not printed */
    KILL_AFTER_PRINT   /* "after-print": printed, not marked printed */
};

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t hup_requested;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void on_hup(int sig)
{
    (void)sig;
    hup_requested = 1;
}

/*
 * The feed's source (feed.h): the follower, run on the feed thread, so
 * that parsing overlaps the detectors and the store. A reader snapshot
 * goes with the first batch after every CHECKPOINT_BYTES of log read.
 */
struct tail_src {
    struct n1_follow *fw;  /* owned by run() */
    const char *path;      /* the followed path */
    atomic_int hup;        /* 1: reopen the path (SIGHUP) */
    uint64_t snap_at;      /* bytes read at the last snapshot attached */
};

/* What the feed thread attaches to a batch (the first byte of extra). */
enum { EXTRA_SNAPSHOT = 'C', EXTRA_SWITCH = 'S' };

/* A new generation begins after the batch (EXTRA_SWITCH). */
struct tail_switch {
    struct n1_file_ident ident; /* its identity */
    unsigned flavour;           /* its enum n1_flavour */
    int resumed;                /* n1_follow_resumed() */
};

struct writer;

/* A generation of the followed path, as the store records it. */
struct gen {
    int64_t file_id; /* files row */
    uint64_t base;   /* stream offset of byte 0 */
};

/* (connection, stream offset) pairs, sorted by connection. */
struct conn_lows {
    uint64_t *v; /* 2 * n words */
    size_t n;
    size_t cap;
    int oom;
};

struct tail {
    const char *path;          /* followed path; borrowed from argv */
    enum out_format fmt;       /* output format */
    struct n1_report_opts ro;  /* for the JSON rendering */
    struct n1_store *store;    /* owned */
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
    int pend_oom;              /* a finding could not be kept */

    struct gen cur;            /* generation being read */
    struct gen old[OLD_GENS];  /* earlier ones, newest last */
    size_t n_old;
    struct n1_file_progress fp; /* progress of cur */
    char flavour[32];          /* flavour name of cur */
    unsigned flavour_id;       /* and its enum n1_flavour */
    uint64_t gen_end;          /* end of the last event read in cur */
    int have_gen;              /* cur is set */

    uint64_t commit_v;         /* stream offset statistics start at */
    struct conn_lows replay;   /* per connection, from the last commit */
    struct conn_lows lows;     /* scratch for the next commit */

    uint64_t since_commit;     /* events since the last commit */
    double last_commit;        /* monotonic seconds */
    double commit_cost;        /* seconds the last commit took */
    int dirty;                 /* something to commit */
    int64_t max_ts;            /* newest log time seen, N1_TS_NONE */
    double max_ts_wall;        /* monotonic seconds when it was seen */
    int ts_fine;               /* a log time had a fraction of a second */
    uint64_t evictions;        /* detector evictions already warned of */
    uint64_t statements;       /* counted this run */
    uint64_t findings;         /* printed this run */
    enum test_kill test_kill;  /* N1SCAN_TEST_KILL */
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: n1scan tail [options] LOG\n"
            "\n"
            "Follows the general or slow log of a running server (through\n"
            "rotation, copytruncate and restarts), prints each N+1 loop,\n"
            "duplicate and fan-out when it ends, and keeps the store\n"
            "current. Restarting it resumes where it stopped, counting no\n"
            "statement twice (see docs/tail.md).\n"
            "\n"
            "options:\n"
            "  --format FMT       text (default): one line per finding;\n"
            "                     json: one JSON object per line\n"
            "  --db PATH          SQLite store (default ./n1scan.db)\n"
            "  --rules FILE       rule file over the built-in defaults\n"
            "                     (repeatable; see docs/rules.md)\n"
            "  --gap MS           a loop ends after MS ms without an\n"
            "                     iteration (default: max_gap_ms, 2000)\n"
            "  --commit-ms MS     longest time between commits (1000)\n"
            "  --max-statement B  skip statements longer than B bytes\n"
            "  --tz-offset S      seconds east of UTC of the server's local\n"
            "                     time, for logs that print local time\n"
            "  -h, --help         show this help\n"
            "\n"
            "SIGINT/SIGTERM: commit and exit 0. SIGHUP: look at the path\n"
            "again at once (logrotate postrotate).\n"
            "\n"
            "exit status: 0 stopped by a signal, 2 usage or system error,\n"
            "3 the file is not a query log or a rule file is bad.\n");
}

static double mono_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void tail_notice(void *ud, const char *msg)
{
    (void)ud;
    fprintf(stderr, "n1scan: NOTE %s\n", msg);
}

/* ---- findings ---------------------------------------------------- */

static void collect(void *ud, const struct n1_finding *f)
{
    struct tail *t = ud;
    struct n1_finding *copy = n1_finding_dup(f);

    if (copy == NULL) {
        t->pend_oom = 1;
        return;
    }
    if (t->n_pend == t->cap_pend) {
        size_t cap = t->cap_pend > 0 ? t->cap_pend * 2 : 16;
        struct n1_finding **v = realloc(t->pend, cap * sizeof(*v));

        if (v == NULL) {
            n1_finding_free(copy);
            t->pend_oom = 1;
            return;
        }
        t->pend = v;
        t->cap_pend = cap;
    }
    t->pend[t->n_pend++] = copy;
}

static void print_ts(FILE *out, int64_t us)
{
    time_t s;
    struct tm tm;
    char buf[32];

    if (us == N1_TS_NONE) {
        fputs("-", out);
        return;
    }
    s = (time_t)(us / 1000000);
    gmtime_r(&s, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    fputs(buf, out);
}

/* Prints s with control characters as '?', so one finding is one line. */
static void put_clean(FILE *out, const char *s)
{
    for (; s != NULL && *s != '\0'; s++) {
        fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
    }
}

static void print_text(FILE *out, const struct n1_finding *f)
{
    print_ts(out, f->first_seen_us);
    fprintf(out, " %s %s %s x%llu keys=%llu", n1_severity_name(f->severity),
            n1_finding_kind_name(f->kind), f->statement,
            (unsigned long long)f->count,
            (unsigned long long)f->distinct_keys);
    fputs(" table=", out);
    put_clean(out, f->table[0] != '\0' ? f->table : "-");
    if (f->kind == N1_FIND_FANOUT) {
        fprintf(out, " conns=%zu", f->n_connections);
    } else {
        fprintf(out, " conn=%llu", (unsigned long long)f->connection);
    }
    fprintf(out, " fp=%016llx id=%016llx at ",
            (unsigned long long)f->fingerprint, (unsigned long long)f->id);
    put_clean(out, f->file);
    fprintf(out, ":%lu", f->line);
    if (f->location != NULL) {
        fputs(" src=", out);
        put_clean(out, f->location);
    }
    fputs(": ", out);
    put_clean(out, f->fingerprint_text);
    fputc('\n', out);
}

/* The text line of a finding without its "\n"; NULL when out of memory.
   The caller frees it with free(). */
static char *render_text(const struct n1_finding *f)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);

    if (mem == NULL) {
        return NULL;
    }
    print_text(mem, f);
    if (fclose(mem) != 0) {
        free(buf);
        return NULL;
    }
    if (len > 0 && buf[len - 1] == '\n') {
        buf[len - 1] = '\0';
    }
    return buf;
}

/* Writes one stored line of a finding to stdout. */
static int emit_line(void *ud, const char *line, struct n1_error *err)
{
    struct tail *t = ud;

    (void)err;
    fputs(line, stdout);
    fputc('\n', stdout);
    t->findings++;
    return 0;
}

/*
 * Flushes stdout and marks the findings printed so far as printed. The
 * stream is at-least-once: a kill before the mark prints them again on
 * restart (consumers drop repeats by finding id, docs/tail.md).
 */
static int flush_and_mark(struct tail *t, struct n1_error *err)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        n1_err_set(err, N1_ESYS, NULL, 0, "SYSTEM writing findings to "
                                          "stdout: %s",
                   strerror(errno));
        return -1;
    }
    if (t->test_kill == KILL_AFTER_PRINT) {
        raise(SIGKILL);
    }
    return n1_store_tail_mark_emitted(t->store, t->path, err);
}

/* Prints the findings a previous run stored but did not mark printed. */
static int print_unemitted(struct tail *t, struct n1_error *err)
{
    uint64_t before = t->findings;

    if (n1_store_tail_unemitted(t->store, t->path, emit_line, t, err) != 0) {
        return -1;
    }
    if (t->findings == before) {
        return 0;
    }
    fprintf(stderr, "n1scan: NOTE %s: %llu findings stored before the last "
                    "stop were not marked printed; printed them first\n",
            t->path, (unsigned long long)(t->findings - before));
    return flush_and_mark(t, err);
}

/* ---- connection low-water marks ----------------------------------- */

static void lows_push(void *ud, uint64_t conn, uint64_t offset)
{
    struct conn_lows *l = ud;

    if (l->n == l->cap) {
        size_t cap = l->cap > 0 ? l->cap * 2 : 64;
        uint64_t *v = realloc(l->v, cap * 2 * sizeof(*v));

        if (v == NULL) {
            l->oom = 1;
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[2 * l->n] = conn;
    l->v[2 * l->n + 1] = offset;
    l->n++;
}

static int pair_cmp(const void *a, const void *b)
{
    const uint64_t *x = a;
    const uint64_t *y = b;

    if (x[0] != y[0]) {
        return x[0] < y[0] ? -1 : 1;
    }
    return x[1] < y[1] ? -1 : x[1] > y[1];
}

/* Sorts by connection and keeps each connection's smallest offset. */
static void lows_reduce(struct conn_lows *l)
{
    size_t k = 0;

    if (l->n == 0) {
        return;
    }
    qsort(l->v, l->n, 2 * sizeof(uint64_t), pair_cmp);
    for (size_t i = 1; i < l->n; i++) {
        if (l->v[2 * i] != l->v[2 * k]) {
            k++;
            l->v[2 * k] = l->v[2 * i];
            l->v[2 * k + 1] = l->v[2 * i + 1];
        }
    }
    l->n = k + 1;
}

/* The recorded offset of conn, or UINT64_MAX when it had no state. */
static uint64_t lows_find(const struct conn_lows *l, uint64_t conn)
{
    size_t lo = 0;
    size_t hi = l->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (l->v[2 * mid] == conn) {
            return l->v[2 * mid + 1];
        }
        if (l->v[2 * mid] < conn) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return UINT64_MAX;
}

/* ---- checkpoints ---------------------------------------------------- */

/* Drops the snapshots waiting for a commit. */
static void cps_clear(struct tail *t)
{
    for (size_t i = 0; i < t->n_cps; i++) {
        free(t->cps[i].ctx);
    }
    t->n_cps = 0;
    t->cps_bytes = 0;
}

/*
 * Keeps a reader snapshot of len bytes valid at file offset (line) of
 * cur, for the next commit. Past CHECKPOINT_MEMORY the oldest go first.
 * Returns 0, or -1 when memory ran out.
 */
static int cps_push(struct tail *t, uint64_t offset, unsigned long line,
                    const char *ctx, size_t len)
{
    struct n1_tail_checkpoint *cp;

    if (len > CHECKPOINT_MEMORY) {
        return 0;
    }
    while (t->n_cps > 0 && t->cps_bytes + len > CHECKPOINT_MEMORY) {
        t->cps_bytes -= t->cps[0].ctx_len;
        free(t->cps[0].ctx);
        memmove(t->cps, t->cps + 1, (t->n_cps - 1) * sizeof(t->cps[0]));
        t->n_cps--;
    }
    if (t->n_cps == t->cap_cps) {
        size_t ncap = t->cap_cps != 0 ? 2 * t->cap_cps : 16;
        struct n1_tail_checkpoint *n = realloc(t->cps, ncap * sizeof(*n));

        if (n == NULL) {
            return -1;
        }
        t->cps = n;
        t->cap_cps = ncap;
    }
    cp = &t->cps[t->n_cps];
    memset(cp, 0, sizeof(*cp));
    cp->ctx = malloc(len > 0 ? len : 1);
    if (cp->ctx == NULL) {
        return -1;
    }
    memcpy(cp->ctx, ctx, len);
    cp->ctx_len = len;
    cp->offset = offset;
    cp->line = line;
    t->n_cps++;
    t->cps_bytes += len;
    return 0;
}

/* ---- commit --------------------------------------------------------- */

/* The generation holding stream offset v (cur when unknown). */
static const struct gen *gen_of(const struct tail *t, uint64_t v)
{
    if (v >= t->cur.base) {
        return &t->cur;
    }
    for (size_t i = t->n_old; i > 0; i--) {
        if (v >= t->old[i - 1].base) {
            return &t->old[i - 1];
        }
    }
    return t->n_old > 0 ? &t->old[0] : &t->cur;
}

/*
 * What one commit writes, taken from the tail on the main thread so that
 * the writing (rendering the findings, the store transaction, printing)
 * may run on the writer thread while the main thread reads on.
 */
struct commit_job {
    struct n1_agg *agg;                /* statistics since the last commit;
                                          reset once written */
    struct n1_file_progress files[2];  /* the generation left, if any, and
                                          the current one */
    size_t n_files;
    struct n1_finding **pend;          /* new findings (owned) */
    size_t n_pend;
    struct n1_tail_state ts;           /* conns and cps owned */
    int write_ts;                      /* 0: keep the stored tail state */
    double cost;                       /* seconds the writing took */
};

static void job_cleanup(struct commit_job *job)
{
    for (size_t i = 0; i < job->n_pend; i++) {
        n1_finding_free(job->pend[i]);
    }
    free(job->pend);
    free(job->ts.conns);
    for (size_t i = 0; i < job->ts.n_cps; i++) {
        free(((struct n1_tail_checkpoint *)job->ts.cps)[i].ctx);
    }
    free((void *)job->ts.cps);
    memset(job, 0, sizeof(*job));
}

/*
 * Takes what the next commit writes: the statistics (t->agg swaps with
 * the spare table), file progress, new findings, where the detectors'
 * open state begins and the checkpoints; extra (may be NULL) is the
 * final progress of the generation just left. Returns 0, or -1 with err
 * set.
 */
static int commit_take(struct tail *t, struct n1_file_progress *extra,
                       struct commit_job *job, struct n1_error *err)
{
    struct n1_detect_stats ds;
    const struct gen *rg;
    uint64_t replay_v;

    memset(job, 0, sizeof(*job));
    if (t->pend_oom) {
        n1_err_set(err, N1_ESYS, NULL, 0, "SYSTEM out of memory keeping "
                                          "findings");
        return -1;
    }
    /* Where the detectors' open state begins. */
    t->lows.n = 0;
    t->lows.oom = 0;
    n1_detectors_low_water(t->det, lows_push, &t->lows);
    if (t->lows.oom) {
        n1_err_set(err, N1_ESYS, NULL, 0, "SYSTEM out of memory");
        return -1;
    }
    lows_reduce(&t->lows);
    replay_v = t->cur.base + t->fp.offset;
    for (size_t i = 0; i < t->lows.n; i++) {
        if (t->lows.v[2 * i + 1] < replay_v) {
            replay_v = t->lows.v[2 * i + 1];
        }
    }
    rg = gen_of(t, replay_v);
    job->ts.file_id = t->cur.file_id;
    job->ts.base = t->cur.base;
    job->ts.replay_file_id = rg->file_id;
    job->ts.replay_base = rg->base;
    job->ts.replay_offset = replay_v >= rg->base ? replay_v - rg->base : 0;
    job->ts.conns = t->lows.v;
    job->ts.n_conns = t->lows.n;
    memset(&t->lows, 0, sizeof(t->lows));

    if (extra != NULL) {
        job->files[job->n_files++] = *extra;
    }
    if (t->have_gen) {
        job->files[job->n_files++] = t->fp;
    }
    /* A new generation's record gets its id in this very transaction, so
       the tail state cannot name it yet: writing it with id 0 would make
       a restart after a kill here start afresh and count the generation
       again. Keep the stored state (which names the generation before,
       read to its end) and write the new one in a second commit, once
       the id is known (commit()). */
    job->write_ts = !(t->have_gen && t->cur.file_id == 0);
    /* The reader snapshots the feed attached since the last commit, so
       that a restart parses from the newest one before its replay point
       instead of byte 0. They are of cur: when begin_generation()
       commits the generation it leaves, cur is still that one. */
    if (job->write_ts && !t->in_rotated && t->cur.file_id != 0) {
        for (size_t i = 0; i < t->n_cps; i++) {
            t->cps[i].file_id = t->cur.file_id;
            t->cps[i].base = t->cur.base;
        }
        job->ts.cps = t->cps;
        job->ts.n_cps = t->n_cps;
        t->cps = NULL;
        t->n_cps = 0;
        t->cap_cps = 0;
        t->cps_bytes = 0;
    }
    job->pend = t->pend;
    job->n_pend = t->n_pend;
    t->pend = NULL;
    t->n_pend = 0;
    t->cap_pend = 0;
    job->agg = t->agg;
    t->agg = t->agg_spare;
    t->agg_spare = NULL;

    n1_detectors_stats(t->det, &ds);
    if (ds.conn_evictions + ds.loop_evictions > t->evictions) {
        fprintf(stderr,
                "n1scan: LIMIT detectors dropped state: %llu connections "
                "and %llu loops evicted so far (max_connections, "
                "max_loops_per_conn)\n",
                (unsigned long long)ds.conn_evictions,
                (unsigned long long)ds.loop_evictions);
        t->evictions = ds.conn_evictions + ds.loop_evictions;
    }
    t->since_commit = 0;
    t->dirty = 0;
    t->last_commit = mono_now();
    return 0;
}

/*
 * Writes a commit taken by commit_take() in one transaction, then prints
 * its findings. Runs on the main thread or the writer thread, never both
 * at once; it touches only the job, the store and stdout. Returns 0, or
 * -1 with err set.
 */
static int commit_write(struct tail *t, struct commit_job *job,
                        struct n1_error *err)
{
    struct n1_store_finding *rows = NULL;
    double began = mono_now();
    size_t n_rows = 0;
    int rc = -1;

    if (job->n_pend > 0) {
        rows = calloc(job->n_pend, sizeof(*rows));
        if (rows == NULL) {
            n1_err_set(err, N1_ESYS, NULL, 0, "SYSTEM out of memory");
            goto out;
        }
    }
    for (size_t i = 0; i < job->n_pend; i++) {
        const struct n1_finding *f = job->pend[i];
        struct n1_store_finding *r = &rows[n_rows];
        char *json = n1_finding_to_json(f, &t->ro, err);
        int seen;

        if (json == NULL) {
            goto out;
        }
        r->id = f->id;
        r->kind = n1_finding_kind_name(f->kind);
        r->fingerprint = f->fingerprint;
        r->file = f->file != NULL ? f->file : "";
        r->line = f->line;
        r->first_seen_us = f->first_seen_us;
        r->last_seen_us = f->last_seen_us;
        r->count = f->count;
        r->json = json;
        r->json_len = strlen(json);
        r->out = json;
        if (t->fmt == FORMAT_TEXT) {
            r->out = render_text(f);
            if (r->out == NULL) {
                free(json);
                n1_err_set(err, N1_ESYS, NULL, 0, "SYSTEM out of memory");
                goto out;
            }
        }
        seen = n1_store_finding_seen(t->store, r, err);
        if (seen < 0 || seen) {
            /* seen: reported before the restart; the replay found it
               again. */
            if (r->out != json) {
                free((char *)r->out);
            }
            free(json);
            if (seen < 0) {
                goto out;
            }
            continue;
        }
        n_rows++;
    }
    if (n1_store_tail_commit(t->store, job->agg, job->files, job->n_files,
                             rows, n_rows, t->path,
                             job->write_ts ? &job->ts : NULL, err) != 0) {
        goto out;
    }
    /* Stored as not printed: print, flush, then mark them printed. A kill
       before the mark prints them again on restart; never lost. */
    if (n_rows > 0 && t->test_kill == KILL_AFTER_COMMIT) {
        raise(SIGKILL);
    }
    for (size_t i = 0; i < n_rows; i++) {
        emit_line(t, rows[i].out, err);
    }
    if (n_rows > 0 && flush_and_mark(t, err) != 0) {
        goto out;
    }
    rc = 0;

out:
    for (size_t i = 0; rows != NULL && i < n_rows; i++) {
        if (rows[i].out != rows[i].json) {
            free((char *)rows[i].out);
        }
        free((char *)rows[i].json);
    }
    free(rows);
    job->cost = mono_now() - began;
    return rc;
}

/* Takes back what a written job lends: the table, emptied, as the
   spare. */
static void job_done(struct tail *t, struct commit_job *job)
{
    n1_agg_reset(job->agg);
    t->agg_spare = job->agg;
    job->agg = NULL;
    t->commit_cost = job->cost;
    job_cleanup(job);
}

/* ---- the writer thread ---------------------------------------------- */

/* The writer thread: writes one job at a time for the main thread. */
struct writer {
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;      /* a job, a finished job, or stop */
    struct tail *t;
    struct commit_job job;  /* the job handed over */
    int busy;               /* job is being written */
    int stop;
    int failed;             /* writing it failed: err */
    struct n1_error err;
};

static void *writer_thread(void *arg)
{
    struct writer *w = arg;

    pthread_mutex_lock(&w->mu);
    for (;;) {
        int rc;

        while (!w->busy && !w->stop) {
            pthread_cond_wait(&w->cv, &w->mu);
        }
        if (!w->busy) {
            break;
        }
        pthread_mutex_unlock(&w->mu);
        rc = commit_write(w->t, &w->job, &w->err);
        pthread_mutex_lock(&w->mu);
        w->failed = rc != 0;
        w->busy = 0;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/*
 * Waits until the writer thread has no job, and takes back the last one.
 * Returns 0, or -1 with err set when writing it failed.
 */
static int writer_wait(struct tail *t, struct n1_error *err)
{
    struct writer *w = t->writer;
    int rc = 0;

    if (w == NULL) {
        return 0;
    }
    pthread_mutex_lock(&w->mu);
    while (w->busy) {
        pthread_cond_wait(&w->cv, &w->mu);
    }
    if (w->job.agg != NULL) {
        job_done(t, &w->job);
    }
    if (w->failed) {
        *err = w->err;
        rc = -1;
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}

/* 1 when the writer thread is writing a job. */
static int writer_busy(struct tail *t)
{
    int busy;

    pthread_mutex_lock(&t->writer->mu);
    busy = t->writer->busy;
    pthread_mutex_unlock(&t->writer->mu);
    return busy;
}

/* Starts the writer thread, signals blocked as on the feed thread. */
static int writer_start(struct tail *t, struct writer *w,
                        struct n1_error *err)
{
    sigset_t block;
    sigset_t old;
    int rc;

    memset(w, 0, sizeof(*w));
    w->t = t;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    rc = pthread_create(&w->thread, NULL, writer_thread, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        n1_err_set(err, N1_ESYS, NULL, 0, "SYSTEM cannot start the writer "
                                          "thread");
        return -1;
    }
    w->started = 1;
    t->writer = w;
    return 0;
}

/* Stops the writer thread once its job is written. */
static void writer_stop(struct tail *t, struct writer *w)
{
    if (!w->started) {
        return;
    }
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    if (w->job.agg != NULL) {
        job_done(t, &w->job);
    }
    job_cleanup(&w->job);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    w->started = 0;
    t->writer = NULL;
}

/* ---- commit --------------------------------------------------------- */

/*
 * Commits statistics, file progress, new findings and the tail state in
 * one transaction on this thread, after the writer thread's job, then
 * prints the findings. extra (may be NULL) is the final progress of the
 * generation just left.
 */
static int commit(struct tail *t, struct n1_file_progress *extra,
                  struct n1_error *err)
{
    struct commit_job job;
    int new_record;
    int rc;

    if (writer_wait(t, err) != 0 || commit_take(t, extra, &job, err) != 0) {
        return -1;
    }
    new_record = !job.write_ts;
    rc = commit_write(t, &job, err);
    if (rc == 0 && t->have_gen) {
        t->fp.file_id = job.files[job.n_files - 1].file_id;
        t->cur.file_id = t->fp.file_id;
    }
    job_done(t, &job);
    if (rc == 0 && new_record && t->cur.file_id != 0) {
        rc = commit(t, NULL, err);
    }
    return rc;
}

/*
 * A commit while reading on: handed to the writer thread when the
 * generation's record exists, else written here. When the writer is
 * still at the last one, it waits only if force (a bound on memory was
 * reached); else the commit comes later. Returns 0, or -1 with err set.
 */
static int commit_later(struct tail *t, int force, struct n1_error *err)
{
    struct writer *w = t->writer;

    if (w == NULL || !t->have_gen || t->cur.file_id == 0) {
        return commit(t, NULL, err);
    }
    if (!force && writer_busy(t)) {
        return 0;
    }
    if (writer_wait(t, err) != 0) {
        return -1;
    }
    pthread_mutex_lock(&w->mu);
    if (commit_take(t, NULL, &w->job, err) != 0) {
        pthread_mutex_unlock(&w->mu);
        return -1;
    }
    w->busy = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return 0;
}

/* ---- events ------------------------------------------------------- */

static int has_sql(const struct n1_event *ev)
{
    return ev->cmd == N1_CMD_QUERY || ev->cmd == N1_CMD_EXECUTE ||
           ev->cmd == N1_CMD_PREPARE;
}

/*
 * One event of the generation at base: counted when past the commit
 * point, fed to the detectors when past it or past its connection's
 * recorded low-water mark. pre (may be NULL) is its normal form when the
 * feed thread computed it. fp (may be NULL) gets the progress.
 */
static int handle_event(struct tail *t, const struct n1_event *ev,
                        const struct n1_norm *const *pre, uint64_t base,
                        int slow, struct n1_file_progress *fp,
                        const struct n1_reader_stats *rs,
                        struct n1_error *err)
{
    struct n1_event fed = *ev;
    struct n1_norm nm;
    const struct n1_norm *np = NULL;
    uint64_t v = base + ev->offset;
    int replay = v < t->commit_v;

    if (pre != NULL) {
        np = *pre;
    } else if (has_sql(ev)) {
        if (n1_normalize(t->nz, ev->sql, ev->sql_len, &nm, err) != 0) {
            return -1;
        }
        np = &nm;
    }
    if (!replay && np != NULL &&
        (slow || ev->cmd == N1_CMD_QUERY || ev->cmd == N1_CMD_EXECUTE)) {
        if (n1_agg_add(t->agg, ev, np, err) != 0) {
            return -1;
        }
        t->statements++;
    }
    if (!replay || lows_find(&t->replay, ev->conn_id) <= v) {
        /* Every generation is the followed path, also when a rotated one
           is read again under its new name: the findings of a replay
           must name the file as the run before did, or the lookup of
           findings already reported misses them and they print twice. */
        fed.file = t->path;
        fed.offset = v;
        if (n1_detectors_event(t->det, &fed, np, err) != 0) {
            return -1;
        }
    }
    if (ev->ts_us != N1_TS_NONE && ev->ts_us % 1000000 != 0) {
        t->ts_fine = 1;
    }
    if (ev->ts_us != N1_TS_NONE &&
        (t->max_ts == N1_TS_NONE || ev->ts_us > t->max_ts)) {
        t->max_ts = ev->ts_us;
        t->max_ts_wall = mono_now();
    }
    if (ev->end_offset > t->gen_end) {
        t->gen_end = ev->end_offset;
    }
    if (fp != NULL && !replay) {
        fp->offset = ev->end_offset;
        if (rs != NULL) {
            fp->line = rs->bytes > ev->end_offset ? (unsigned long)rs->lines
                                                  : (unsigned long)rs->lines +
                                                        1;
            fp->events = rs->events;
            fp->skipped = rs->skipped_lines + rs->skipped_events;
        }
        t->since_commit++;
        t->dirty = 1;
    }
    return 0;
}

/*
 * Reads a rotated generation (found by inode) from its start: events
 * before skip_below are dropped, the rest go through handle_event().
 * Records it as read to the end. Returns 0 or -1 with err set.
 */
static int read_rotated(struct tail *t, const char *file,
                        const struct n1_file_state *rec, uint64_t base,
                        uint64_t skip_below, struct n1_error *err)
{
    struct n1_reader_opts ro;
    struct n1_reader *r = NULL;
    struct n1_file_progress fp;
    struct n1_tail_checkpoint cp;
    struct n1_event ev;
    uint64_t from = 0;
    int slow;
    int got;
    int rc = -1;

    memset(&cp, 0, sizeof(cp));
    memset(&ro, 0, sizeof(ro));
    ro.warn = cli_warn;
    r = n1_reader_open(file, &ro, err);
    if (r == NULL) {
        return -1;
    }
    t->in_rotated = 1;
    got = n1_store_tail_checkpoint(t->store, t->path, rec->id, skip_below,
                                   &cp, err);
    if (got < 0) {
        goto out;
    }
    if (got == 1 && cp.offset > 0) {
        if (n1_reader_resume(r, cp.offset, cp.line, cp.ctx, cp.ctx_len,
                             err) != 0) {
            goto out;
        }
        from = cp.offset;
    }
    slow = n1_flavour_is_slow(n1_reader_flavour(r));
    fprintf(stderr, "n1scan: NOTE %s: reading rotated generation %s from "
                    "byte %llu (parsing from byte %llu)\n",
            t->path, file, (unsigned long long)skip_below,
            (unsigned long long)from);
    memset(&fp, 0, sizeof(fp));
    fp.file_id = rec->id;
    fp.path = t->path;
    fp.ident = rec->ident;
    fp.offset = rec->offset;
    fp.line = rec->line;
    fp.flavour = rec->flavour;
    fp.events = rec->events;
    fp.skipped = rec->skipped;
    t->gen_end = 0;
    for (;;) {
        got = n1_reader_next(r, &ev, err);
        if (got < 0) {
            goto out;
        }
        if (got == 0) {
            break;
        }
        if (ev.offset < skip_below) {
            continue;
        }
        if (handle_event(t, &ev, NULL, base, slow, &fp, n1_reader_stats(r),
                         err) != 0) {
            goto out;
        }
    }
    fp.complete = 1;
    if (fp.offset < rec->offset) {
        fp.offset = rec->offset;
    }
    if (commit(t, &fp, err) != 0) {
        goto out;
    }
    rc = 0;
out:
    t->in_rotated = 0;
    if (r != NULL) {
        t->rotated_bytes += n1_reader_stats(r)->bytes - from;
    }
    n1_reader_close(r);
    free(cp.ctx);
    return rc;
}

/* ---- generations ----------------------------------------------------- */

/* Records the flavour of the generation being read. */
static void set_flavour(struct tail *t, enum n1_flavour flavour)
{
    t->flavour_id = (unsigned)flavour;
    snprintf(t->flavour, sizeof(t->flavour), "%s", n1_flavour_name(flavour));
}

/*
 * A new generation begins in the follower: closes the previous one (read
 * to its end) and creates the record of the new one.
 */
static int begin_generation(struct tail *t, const struct n1_file_ident *id,
                            enum n1_flavour flavour,
                            const struct n1_file_state *resume,
                            struct n1_error *err)
{
    struct n1_file_progress prev;
    uint64_t base = t->commit_v;

    if (t->have_gen) {
        prev = t->fp;
        prev.complete = 1;
        if (prev.offset < t->gen_end) {
            prev.offset = t->gen_end;
        }
        base = t->cur.base + t->gen_end;
        if (base < t->commit_v) {
            base = t->commit_v;
        }
        if (t->n_old == OLD_GENS) {
            memmove(t->old, t->old + 1, (OLD_GENS - 1) * sizeof(t->old[0]));
            t->n_old--;
        }
        t->old[t->n_old++] = t->cur;
        t->have_gen = 0;
        if (commit(t, &prev, err) != 0) {
            return -1;
        }
    }
    set_flavour(t, flavour);
    cps_clear(t); /* snapshots of the generation left */
    memset(&t->fp, 0, sizeof(t->fp));
    t->fp.path = t->path;
    t->fp.ident = *id;
    t->fp.flavour = t->flavour;
    t->gen_end = 0;
    if (resume != NULL) {
        /* The same file as recorded: keep its record and base. */
        t->fp.file_id = resume->id;
        t->fp.offset = resume->offset;
        t->fp.line = resume->line;
        t->fp.events = resume->events;
        t->fp.skipped = resume->skipped;
        t->cur.file_id = resume->id;
        t->have_gen = 1;
        return 0;
    }
    t->cur.base = base;
    t->cur.file_id = 0;
    t->have_gen = 1;
    /* Create the record now, so the tail state can name it. */
    return commit(t, NULL, err);
}

/* ---- the run --------------------------------------------------------- */

static void install_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
}

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
static int64_t log_now(const struct tail *t)
{
    int64_t since;

    if (t->max_ts == N1_TS_NONE) {
        return N1_TS_NONE;
    }
    since = (int64_t)((mono_now() - t->max_ts_wall) * 1e6);
    if (!t->ts_fine) {
        since -= since % 1000000;
    }
    return t->max_ts + since;
}

/*
 * Restores the state of the last run: the commit point, the replay
 * marks, rotated generations that were not read to their end. Sets
 * *start (and *resume, initialised by the caller) when the follower
 * should resume the recorded file. Returns 0 or -1 with err set.
 */
static int restore(struct tail *t, struct n1_follow_start *start,
                   int *use_start, struct n1_file_state *resume,
                   int *have_resume, struct n1_tail_checkpoint *cp,
                   struct n1_error *err)
{
    struct n1_tail_state st;
    struct n1_file_state rep;
    struct stat pst;
    char *found = NULL;
    int at_path;
    int rc;

    *use_start = 0;
    *have_resume = 0;
    n1_store_file_state_init(&rep);
    rc = n1_store_tail_load(t->store, t->path, &st, err);
    if (rc <= 0) {
        return rc;
    }
    rc = n1_store_file_get(t->store, st.file_id, resume, err);
    if (rc <= 0) {
        free(st.conns);
        if (rc == 0) {
            fprintf(stderr, "n1scan: NOTE %s: the recorded file is gone "
                            "from the store; starting afresh\n",
                    t->path);
        }
        return rc;
    }
    t->replay.v = st.conns;
    t->replay.n = st.n_conns;
    t->replay.cap = st.n_conns;
    t->commit_v = st.base + resume->offset;
    t->cur.base = st.base;
    t->cur.file_id = st.file_id;
    at_path = stat(t->path, &pst) == 0 &&
              (uint64_t)pst.st_ino == resume->ident.inode &&
              (uint64_t)pst.st_dev == resume->ident.dev;

    if (st.replay_file_id != st.file_id &&
        n1_store_file_get(t->store, st.replay_file_id, &rep, err) == 1) {
        /* The open state began in an older generation. */
        if (n1_follow_locate(t->path, &rep.ident, &found)) {
            rc = read_rotated(t, found, &rep, st.replay_base,
                              st.replay_offset, err);
            free(found);
            found = NULL;
            if (rc != 0) {
                n1_store_file_state_cleanup(&rep);
                return -1;
            }
        } else {
            fprintf(stderr, "n1scan: NOTE %s: the rotated file holding "
                            "the start of open loops is gone; loops open "
                            "at the last stop may be reported short\n",
                    t->path);
        }
        st.replay_offset = 0;
    }
    n1_store_file_state_cleanup(&rep);
    if (at_path) {
        start->ident = resume->ident;
        start->offset = st.replay_file_id == st.file_id ? st.replay_offset : 0;
        *use_start = 1;
        *have_resume = 1;
        /* Parse from the newest snapshot before the replay point. */
        rc = n1_store_tail_checkpoint(t->store, t->path, st.file_id,
                                      start->offset, cp, err);
        if (rc < 0) {
            return -1;
        }
        if (rc == 1) {
            start->seek = cp->offset;
            start->line = cp->line;
            start->ctx = cp->ctx;
            start->ctx_len = cp->ctx_len;
        }
        fprintf(stderr, "n1scan: NOTE %s: resuming: parsing from byte %llu, "
                        "detectors from byte %llu, counting from byte "
                        "%llu\n",
                t->path, (unsigned long long)start->seek,
                (unsigned long long)start->offset,
                (unsigned long long)resume->offset);
        return 0;
    }
    /* Rotated while we were down: finish the recorded file first. */
    if (n1_follow_locate(t->path, &resume->ident, &found)) {
        t->have_gen = 0;
        rc = read_rotated(t, found, resume, st.base,
                          st.replay_file_id == st.file_id ? st.replay_offset
                                                          : 0,
                          err);
        free(found);
        if (rc != 0) {
            return -1;
        }
        t->cur.base = st.base + (t->gen_end > resume->offset ? t->gen_end
                                                             : resume->offset);
        t->commit_v = t->cur.base;
    } else {
        fprintf(stderr, "n1scan: NOTE %s: the file read last time (inode "
                        "%llu) is gone; whatever it got after byte %llu "
                        "was not read\n",
                t->path, (unsigned long long)resume->ident.inode,
                (unsigned long long)resume->offset);
    }
    return 0;
}

/* ---- the feed thread ------------------------------------------------ */

static int src_next(void *ud, struct n1_event *ev, struct n1_reader_stats *rs,
                    unsigned *aux, struct n1_error *err)
{
    struct tail_src *s = ud;
    int got;

    if (atomic_exchange(&s->hup, 0)) {
        n1_follow_reopen(s->fw);
    }
    got = n1_follow_next(s->fw, ev, err);
    if (got < 0) {
        return -1;
    }
    if (got == N1_FOLLOW_NONE) {
        return FEED_GOT_NONE;
    }
    if (got == N1_FOLLOW_SWITCH) {
        return FEED_GOT_BREAK;
    }
    /* The reader's name goes when its generation does; the event may
       outlive it in the ring. */
    ev->file = s->path;
    *rs = *n1_follow_stats(s->fw);
    *aux = (unsigned)n1_follow_flavour(s->fw);
    return FEED_GOT_EVENT;
}

/* Attaches the new generation's identity to the batch before a switch,
   or a reader snapshot at the end of the batch when CHECKPOINT_BYTES
   were read since the last one. */
static int src_seal(void *ud, enum feed_end why, size_t n,
                    struct n1_strbuf *extra)
{
    struct tail_src *s = ud;
    struct n1_error err;
    uint64_t read;
    int saved;

    if (why == FEED_END_BREAK) {
        struct tail_switch sw;

        memset(&sw, 0, sizeof(sw));
        sw.ident = *n1_follow_ident(s->fw);
        sw.flavour = (unsigned)n1_follow_flavour(s->fw);
        sw.resumed = n1_follow_resumed(s->fw);
        if (n1_strbuf_putc(extra, EXTRA_SWITCH) != 0 ||
            n1_strbuf_append(extra, &sw, sizeof(sw)) != 0) {
            return -1;
        }
        return 0;
    }
    read = n1_follow_bytes_read(s->fw);
    if (n == 0 || (why != FEED_END_FULL && why != FEED_END_NONE) ||
        read - s->snap_at < CHECKPOINT_BYTES) {
        return 0;
    }
    if (n1_strbuf_putc(extra, EXTRA_SNAPSHOT) != 0) {
        return -1;
    }
    n1_err_clear(&err);
    saved = n1_follow_ctx_save(s->fw, extra, &err);
    if (saved <= 0) {
        /* None to take (or no memory for it): the next batch may. */
        n1_strbuf_reset(extra);
        return 0;
    }
    s->snap_at = read;
    return 0;
}

static void src_wait(void *ud)
{
    struct tail_src *s = ud;

    n1_follow_wait(s->fw, WAIT_MS);
}

/*
 * Starts the feed thread on the follower, with the termination and
 * hang-up signals blocked there so that they reach the main thread.
 */
static struct feed *start_feed(struct tail *t, struct tail_src *s,
                               struct n1_error *err)
{
    struct feed_source fs;
    struct feed *f;
    sigset_t block;
    sigset_t old;

    memset(&fs, 0, sizeof(fs));
    fs.next = src_next;
    fs.seal = src_seal;
    fs.wait = src_wait;
    fs.ud = s;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    f = feed_start(&fs, t->nz2, 1, err);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return f;
}

/* ---- the main thread ------------------------------------------------ */

/*
 * 2 when a commit is due after an event because a bound on memory or
 * replay work was reached, 1 when it is due by time, else 0. Each commit
 * merges every class touched since the last one, on the writer thread,
 * which shares the second core with the reader thread; so commits are
 * spaced by at least COMMIT_SHARE times the last one's cost as well as
 * by commit_s, and however many classes there are, the writer leaves
 * the reader most of that core.
 */
static int commit_due(struct tail *t, double commit_s)
{
    double every = commit_s;

    if (t->since_commit >= COMMIT_EVENTS || t->n_pend >= COMMIT_FINDINGS ||
        (t->since_commit > 0 && t->since_commit % MEMORY_EVERY == 0 &&
         n1_agg_memory(t->agg) > AGG_BUDGET)) {
        return 2;
    }
    if (every < COMMIT_SHARE * t->commit_cost) {
        every = COMMIT_SHARE * t->commit_cost;
    }
    return t->dirty && mono_now() - t->last_commit >= every;
}

/*
 * A new generation starts: the first one either continues the recorded
 * file (resumed) or everything in it is new.
 */
static int switch_generation(struct tail *t, const struct tail_switch *sw,
                             int *first, int have_resume,
                             const struct n1_file_state *resume,
                             struct n1_error *err)
{
    int resumed = *first && have_resume && sw->resumed;

    if (*first && have_resume && !resumed) {
        /* The recorded file is not at the path any more, or no longer
           fits: everything read now is new. */
        t->commit_v = t->cur.base + resume->offset;
        t->cur.base = t->commit_v;
        t->have_gen = 0;
    }
    *first = 0;
    return begin_generation(t, &sw->ident, (enum n1_flavour)sw->flavour,
                            resumed ? resume : NULL, err);
}

/* The events of one batch from the feed, then what ends it. */
static int take_batch(struct tail *t, const struct feed_batch *b,
                      double commit_s, int *first, int have_resume,
                      const struct n1_file_state *resume,
                      struct n1_error *err)
{
    const struct n1_strbuf *extra = feed_batch_extra(b);
    size_t n = feed_batch_len(b);
    uint64_t last_end = 0;
    int due;

    for (size_t i = 0; i < n; i++) {
        const struct n1_reader_stats *rs;
        const struct n1_norm *pre;
        unsigned flavour;
        const struct n1_event *ev = feed_batch_event(b, i, &rs, &flavour);
        int have_pre = feed_batch_norm(b, i, &pre);

        if (flavour != t->flavour_id) {
            set_flavour(t, (enum n1_flavour)flavour);
        }
        if (handle_event(t, ev, have_pre ? &pre : NULL, t->cur.base,
                         n1_flavour_is_slow((enum n1_flavour)flavour),
                         &t->fp, rs, err) != 0) {
            return -1;
        }
        last_end = ev->end_offset;
        due = commit_due(t, commit_s);
        if (due && commit_later(t, due == 2, err) != 0) {
            return -1;
        }
    }
    switch (feed_batch_end(b, err)) {
    case FEED_END_FAILED:
        return -1;
    case FEED_END_NOMEM:
        n1_err_set(err, N1_ESYS, t->path, 0, "SYSTEM out of memory reading "
                                             "events");
        return -1;
    default:
        break;
    }
    if (extra->len > 0 && extra->buf[0] == EXTRA_SWITCH) {
        struct tail_switch sw;

        memcpy(&sw, extra->buf + 1, sizeof(sw));
        return switch_generation(t, &sw, first, have_resume, resume, err);
    }
    if (extra->len > 0 && extra->buf[0] == EXTRA_SNAPSHOT && n > 0 &&
        t->have_gen && t->fp.offset == last_end &&
        cps_push(t, last_end, t->fp.line, extra->buf + 1, extra->len - 1) !=
            0) {
        /* At the end of the batch's last event, which was counted. */
        n1_err_set(err, N1_ESYS, NULL, 0, "SYSTEM out of memory");
        return -1;
    }
    return 0;
}

/*
 * Caught up with the log: closes what went idle and commits what is
 * due. Returns how long to wait for more (ms), or -1 with err set.
 */
static int caught_up(struct tail *t, double commit_s, double *last_tick,
                     struct n1_error *err)
{
    double findings_s = commit_s < FINDINGS_MS / 1000.0 ? commit_s
                                                        : FINDINGS_MS / 1000.0;
    double since;
    int wait_ms;

    /* A tick walks every connection, so not on each of a busy server's
       writes. */
    if (t->max_ts != N1_TS_NONE && mono_now() - *last_tick >= TICK_MS / 1000.0) {
        *last_tick = mono_now();
        if (n1_detectors_tick(t->det, log_now(t), err) != 0) {
            return -1;
        }
    }
    /* A server writing steadily wakes tail for every write. Commit for
       findings at most every FINDINGS_MS, so that they still print
       within a fraction of a second but a stream of them does not turn
       each wake-up into a transaction. Having just read a backlog,
       commit at once so that the store and the findings catch up too. */
    since = mono_now() - t->last_commit;
    if (t->have_gen && ((t->n_pend > 0 && since >= findings_s) ||
                        (t->dirty && since >= commit_s) ||
                        t->since_commit >= BURST_EVENTS)) {
        if (commit_later(t, 0, err) != 0) {
            return -1;
        }
        since = mono_now() - t->last_commit;
    }
    wait_ms = WAIT_MS;
    if (t->n_pend > 0 && (findings_s - since) * 1000.0 < WAIT_MS) {
        wait_ms = (int)((findings_s - since) * 1000.0) + 1;
    }
    /* Due but the writer thread is still at the last commit: look again
       soon. */
    return wait_ms < WRITER_POLL_MS ? WRITER_POLL_MS : wait_ms;
}

static int run(struct tail *t, struct n1_follow_opts *fo, double commit_s,
               struct n1_error *err)
{
    struct tail_src src;
    struct writer writer;
    struct feed *feed = NULL;
    struct n1_follow_start start;
    struct n1_file_state resume;
    struct n1_tail_checkpoint cp;
    double last_tick = 0;
    int wait_ms;
    int use_start = 0;
    int have_resume = 0;
    int first = 1;
    int rc = -1;

    n1_store_file_state_init(&resume);
    memset(&start, 0, sizeof(start));
    memset(&cp, 0, sizeof(cp));
    memset(&src, 0, sizeof(src));
    memset(&writer, 0, sizeof(writer));
    atomic_init(&src.hup, 0);
    src.path = t->path;
    if (print_unemitted(t, err) != 0) {
        goto out;
    }
    if (restore(t, &start, &use_start, &resume, &have_resume, &cp, err) !=
        0) {
        goto out;
    }
    src.fw = n1_follow_open(t->path, fo, use_start ? &start : NULL, err);
    if (src.fw == NULL) {
        goto out;
    }
    fprintf(stderr, "n1scan: following %s\n", t->path);
    if (writer_start(t, &writer, err) != 0) {
        goto out;
    }
    feed = start_feed(t, &src, err);
    if (feed == NULL) {
        goto out;
    }
    while (!stop_requested) {
        struct feed_batch *b;
        int idle = 0;
        int taken;

        if (hup_requested) {
            hup_requested = 0;
            atomic_store(&src.hup, 1);
        }
        b = feed_take(feed, 0, &idle);
        if (b == NULL) {
            /* Caught up: close what went idle, commit, then wait for
               more; never longer than WAIT_MS, so that a signal is seen
               in time. */
            wait_ms = WAIT_MS;
            if (idle) {
                wait_ms = caught_up(t, commit_s, &last_tick, err);
                if (wait_ms < 0) {
                    goto out;
                }
            }
            b = feed_take(feed, wait_ms, NULL);
            if (b == NULL) {
                continue;
            }
        }
        taken = take_batch(t, b, commit_s, &first, have_resume, &resume,
                           err);
        feed_release(feed);
        if (taken != 0) {
            goto out;
        }
    }
    /* Stopped: the current event is done; keep what we have. What the
       feed thread read beyond it is read again on restart. */
    feed_free(feed);
    feed = NULL;
    if (t->have_gen && commit(t, NULL, err) != 0) {
        goto out;
    }
    writer_stop(t, &writer);
    fprintf(stderr, "n1scan: stopped: %llu statements counted, %llu "
                    "findings reported, %llu bytes parsed\n",
            (unsigned long long)t->statements,
            (unsigned long long)t->findings,
            (unsigned long long)(t->rotated_bytes +
                                 n1_follow_bytes_read(src.fw)));
    rc = 0;
out:
    feed_free(feed);
    writer_stop(t, &writer);
    n1_follow_close(src.fw);
    free(cp.ctx);
    n1_store_file_state_cleanup(&resume);
    return rc;
}

int cmd_tail(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'},
        {"db", required_argument, NULL, 'd'},
        {"rules", required_argument, NULL, 'u'},
        {"gap", required_argument, NULL, 'g'},
        {"commit-ms", required_argument, NULL, 'c'},
        CLI_READER_LONGOPTS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct tail t;
    struct n1_follow_opts fo;
    struct n1_detect_opts dopts;
    struct n1_store_opts sopts;
    struct n1_rules *rules_in_force = NULL;
    const char *db_path = "n1scan.db";
    struct cli_rule_files rules;
    long gap_ms = -1;
    double commit_s = 1.0;
    int json = 0;
    struct n1_error err;
    int status = N1_EXIT_USAGE;
    int c;

    n1_err_clear(&err);
    memset(&t, 0, sizeof(t));
    memset(&fo, 0, sizeof(fo));
    memset(&rules, 0, sizeof(rules));
    t.max_ts = N1_TS_NONE;
    if (getenv("N1SCAN_TEST_KILL") != NULL) {
        if (strcmp(getenv("N1SCAN_TEST_KILL"), "after-commit") == 0) {
            t.test_kill = KILL_AFTER_COMMIT;
        } else if (strcmp(getenv("N1SCAN_TEST_KILL"), "after-print") == 0) {
            t.test_kill = KILL_AFTER_PRINT;
        }
    }
    fo.reader.warn = cli_warn;
    /* Nothing here reads the "Name: value" pairs beyond the metrics. */
    fo.reader.no_attrs = 1;
    fo.notice = tail_notice;
    n1_detect_opts_default(&dopts);
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        char *end = NULL;

        switch (c) {
        case 'f':
            if (cli_format_option(optarg, &json) != 0) {
                return N1_EXIT_USAGE;
            }
            t.fmt = json ? FORMAT_JSON : FORMAT_TEXT;
            break;
        case 'd':
            db_path = optarg;
            break;
        case 'u':
            if (cli_rules_option(&rules, optarg) != 0) {
                return N1_EXIT_USAGE;
            }
            break;
        case 'g':
            gap_ms = strtol(optarg, &end, 10);
            if (*end != '\0' || gap_ms <= 0) {
                cli_errorf("USAGE --gap: expected milliseconds, got '%s'",
                           optarg);
                return N1_EXIT_USAGE;
            }
            break;
        case 'c':
            commit_s = strtol(optarg, &end, 10) / 1000.0;
            if (*end != '\0' || commit_s <= 0) {
                cli_errorf("USAGE --commit-ms: expected milliseconds, got "
                           "'%s'",
                           optarg);
                return N1_EXIT_USAGE;
            }
            break;
        case CLI_OPT_MAX_STATEMENT:
        case CLI_OPT_TZ_OFFSET:
            if (cli_reader_option(c, optarg, &fo.reader) != 0) {
                return N1_EXIT_USAGE;
            }
            break;
        case 'h':
            usage(stdout);
            return N1_EXIT_OK;
        default:
            fprintf(stderr, "n1scan: USAGE see 'n1scan tail --help'\n");
            return N1_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        cli_errorf("USAGE tail: expected exactly one LOG (see 'n1scan tail "
                   "--help')");
        return N1_EXIT_USAGE;
    }
    t.path = argv[optind];
    if (strcmp(t.path, "-") == 0) {
        cli_errorf("USAGE tail: follows a file, not stdin");
        return N1_EXIT_USAGE;
    }
    rules_in_force = cli_rules_load(rules.v, rules.n, &err);
    if (rules_in_force == NULL) {
        cli_error(&err);
        return cli_exit_for(&err);
    }
    n1_rules_apply(rules_in_force, &dopts);
    if (gap_ms > 0) {
        dopts.max_gap_ms = (unsigned)gap_ms;
    }
    t.ro.max_keys = dopts.max_keys;
    memset(&sopts, 0, sizeof(sopts));
    t.store = n1_store_open(db_path, &sopts, &err);
    if (t.store == NULL) {
        goto fail;
    }
    t.nz = n1_normalizer_new(&err);
    if (t.nz == NULL) {
        goto fail;
    }
    t.nz2 = n1_normalizer_new(&err);
    if (t.nz2 == NULL) {
        goto fail;
    }
    t.agg = n1_agg_new(NULL, &err);
    if (t.agg == NULL) {
        goto fail;
    }
    t.agg_spare = n1_agg_new(NULL, &err);
    if (t.agg_spare == NULL) {
        goto fail;
    }
    t.det = n1_detectors_new(&dopts, collect, &t, &err);
    if (t.det == NULL) {
        goto fail;
    }
    t.last_commit = mono_now();
    install_signals();
    if (run(&t, &fo, commit_s, &err) != 0) {
        goto fail;
    }
    status = N1_EXIT_OK;
    goto out;

fail:
    cli_error(&err);
    status = cli_exit_for(&err);
out:
    for (size_t i = 0; i < t.n_pend; i++) {
        n1_finding_free(t.pend[i]);
    }
    free(t.pend);
    free(t.replay.v);
    free(t.lows.v);
    cps_clear(&t);
    free(t.cps);
    n1_detectors_free(t.det);
    n1_agg_free(t.agg);
    n1_agg_free(t.agg_spare);
    n1_normalizer_free(t.nz);
    n1_normalizer_free(t.nz2);
    n1_store_close(t.store);
    n1_rules_free(rules_in_force);
    return status;
}
