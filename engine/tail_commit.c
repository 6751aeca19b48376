/* SPDX-License-Identifier: MIT */
/*
 * tail_commit.c: the output side of `n1digest tail`: findings kept until
 * their commit and printed after it, the low-water marks and checkpoints
 * a commit records, the commit itself (taken on the main thread, written
 * there or on the writer thread), and the writer thread.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/finding_line.h"
#include "engine/tail_int.h"

int n1_tail_fault(struct n1_tail *t, enum n1_tail_point at,
                  struct n1_error *err)
{
    if (t->opts.fault == NULL || t->opts.fault(t->opts.ud, at) == 0) {
        return 0;
    }
    n1_err_set(err, N1_ESYS, t->path, 0, "stopped by the fault hook");
    return -1;
}

/* ---- findings ---------------------------------------------------- */

void n1_tail_collect(void *ud, const struct n1_finding *f)
{
    struct n1_tail *t = ud;
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

/* Writes one stored line of a finding to the output. */
static int emit_line(void *ud, const char *line, struct n1_error *err)
{
    struct n1_tail *t = ud;

    (void)err;
    fputs(line, t->out);
    fputc('\n', t->out);
    t->stats.findings++;
    return 0;
}

/*
 * Flushes the output and marks the findings printed so far as printed.
 * The stream is at-least-once: a kill before the mark prints them again
 * on restart (consumers drop repeats by finding id, docs/tail.md).
 */
static int flush_and_mark(struct n1_tail *t, struct n1_error *err)
{
    if (fflush(t->out) != 0 || ferror(t->out)) {
        n1_err_set(err, N1_ESYS, NULL, 0, "writing findings to stdout: %s",
                   strerror(errno));
        return -1;
    }
    if (n1_tail_fault(t, N1_TAIL_AFTER_PRINT, err) != 0) {
        return -1;
    }
    return n1_store_tail_mark_emitted(t->store, t->key, err);
}

/* Prints the findings a previous run stored but did not mark printed. */
int n1_tail_print_unemitted(struct n1_tail *t, struct n1_error *err)
{
    uint64_t before = t->stats.findings;

    if (n1_store_tail_unemitted(t->store, t->key, emit_line, t, err) != 0) {
        return -1;
    }
    if (t->stats.findings == before) {
        return 0;
    }
    n1_notice(t->opts.notice, t->opts.notice_ud, N1_NOTICE_NOTE,
              "%s: %llu findings stored before the last stop were not "
              "marked printed; printed them first",
              t->path, (unsigned long long)(t->stats.findings - before));
    return flush_and_mark(t, err);
}

/* ---- connection low-water marks ----------------------------------- */

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
static void lows_reduce(struct n1_pairs *l)
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
uint64_t n1_tail_lows_find(const struct n1_pairs *l, uint64_t conn)
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
void n1_tail_cps_clear(struct n1_tail *t)
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
int n1_tail_cps_push(struct n1_tail *t, uint64_t offset, unsigned long line,
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
static const struct gen *gen_of(const struct n1_tail *t, uint64_t v)
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

static void job_cleanup(struct commit_job *job)
{
    for (size_t i = 0; i < job->n_pend; i++) {
        n1_finding_free(job->pend[i]);
    }
    free(job->pend);
    free(job->ts.conns);
    for (size_t i = 0; i < job->ts.n_cps; i++) {
        free(job->cps[i].ctx);
    }
    free(job->cps);
    memset(job, 0, sizeof(*job));
}

/*
 * Takes what the next commit writes: the statistics (t->agg swaps with
 * the spare table), file progress, new findings, where the detectors'
 * open state begins and the checkpoints; extra (may be NULL) is the
 * final progress of the generation just left. Returns 0, or -1 with err
 * set.
 */
static int commit_take(struct n1_tail *t, struct n1_file_progress *extra,
                       struct commit_job *job, struct n1_error *err)
{
    struct n1_detect_stats ds;
    const struct gen *rg;
    uint64_t replay_v;

    memset(job, 0, sizeof(*job));
    if (t->pend_oom) {
        n1_err_oom(err, "keeping findings");
        return -1;
    }
    /* Where the detectors' open state begins. */
    t->lows.n = 0;
    t->lows.oom = 0;
    n1_detectors_low_water(t->det, n1_pairs_push, &t->lows);
    if (t->lows.oom) {
        n1_err_oom(err, "recording where loops start");
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
       the id is known (n1_tail_commit()). */
    job->write_ts = !(t->have_gen && t->cur.file_id == 0);
    /* The reader snapshots the feed attached since the last commit, so
       that a restart parses from the newest one before its replay point
       instead of byte 0. They are of cur: when n1_tail_begin_generation()
       commits the generation it leaves, cur is still that one. */
    if (job->write_ts && !t->in_rotated && t->cur.file_id != 0) {
        for (size_t i = 0; i < t->n_cps; i++) {
            t->cps[i].file_id = t->cur.file_id;
            t->cps[i].base = t->cur.base;
        }
        job->cps = t->cps;
        job->ts.cps = job->cps;
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
        n1_notice(t->opts.notice, t->opts.notice_ud, N1_NOTICE_LIMIT,
                  "detectors dropped state: %llu connections "
                  "and %llu loops evicted so far (max_connections, "
                  "max_loops_per_conn)",
                  (unsigned long long)ds.conn_evictions,
                  (unsigned long long)ds.loop_evictions);
        t->evictions = ds.conn_evictions + ds.loop_evictions;
    }
    t->since_commit = 0;
    t->dirty = 0;
    t->last_commit = n1_mono_now();
    return 0;
}

/*
 * Writes a commit taken by commit_take() in one transaction, then prints
 * its findings. Runs on the main thread or the writer thread, never both
 * at once; it touches only the job, the store and the output. Returns 0, or
 * -1 with err set.
 */
/* The strings a store row points to, owned by commit_write(). */
struct row_text {
    char *json; /* the finding as JSON */
    char *text; /* its text line, or NULL in JSON mode */
};

/*
 * Fills row r (its strings in *own) for finding f. Returns 1 for a row
 * to store, 0 for a finding the store already holds (reported before a
 * restart; the replay found it again; *own is then freed), or -1 with
 * err set.
 */
static int row_fill(struct n1_tail *t, const struct n1_finding *f,
                    struct n1_store_finding *r, struct row_text *own,
                    struct n1_error *err)
{
    int seen;

    own->json = n1_finding_to_json(f, &t->ro, err);
    if (own->json == NULL) {
        return -1;
    }
    if (!t->opts.json) {
        own->text = n1_finding_line(f);
        if (own->text == NULL) {
            n1_err_oom(err, "rendering a finding");
            seen = -1;
            goto drop;
        }
    }
    n1_engine_finding_row(r, f, own->json);
    r->out = own->text != NULL ? own->text : own->json;
    seen = n1_store_finding_seen(t->store, r, err);
    if (seen == 0) {
        return 1;
    }
drop:
    free(own->json);
    free(own->text);
    memset(own, 0, sizeof(*own));
    return seen < 0 ? -1 : 0;
}

static int commit_write(struct n1_tail *t, struct commit_job *job,
                        struct n1_error *err)
{
    struct n1_store_finding *rows = NULL;
    struct row_text *own = NULL;
    double began = n1_mono_now();
    size_t n_rows = 0;
    int rc = -1;

    if (job->n_pend > 0) {
        rows = calloc(job->n_pend, sizeof(*rows));
        own = calloc(job->n_pend, sizeof(*own));
        if (rows == NULL || own == NULL) {
            n1_err_oom(err, "keeping findings");
            goto out;
        }
    }
    for (size_t i = 0; i < job->n_pend; i++) {
        int got = row_fill(t, job->pend[i], &rows[n_rows], &own[n_rows], err);

        if (got < 0) {
            goto out;
        }
        n_rows += (size_t)got;
    }
    if (n1_store_tail_commit(t->store, job->agg, job->files, job->n_files, rows,
                             n_rows, t->key, job->write_ts ? &job->ts : NULL,
                             err) != 0) {
        goto out;
    }
    /* Stored as not printed: print, flush, then mark them printed. A kill
       before the mark prints them again on restart; never lost. */
    if (n_rows > 0 && n1_tail_fault(t, N1_TAIL_AFTER_COMMIT, err) != 0) {
        goto out;
    }
    for (size_t i = 0; i < n_rows; i++) {
        emit_line(t, rows[i].out, err);
    }
    if (n_rows > 0 && flush_and_mark(t, err) != 0) {
        goto out;
    }
    rc = 0;

out:
    for (size_t i = 0; own != NULL && i < n_rows; i++) {
        free(own[i].json);
        free(own[i].text);
    }
    free(own);
    free(rows);
    job->cost = n1_mono_now() - began;
    return rc;
}

/* Takes back what a written job lends: the table, emptied, as the
   spare. */
static void job_done(struct n1_tail *t, struct commit_job *job)
{
    n1_agg_reset(job->agg);
    t->agg_spare = job->agg;
    job->agg = NULL;
    t->commit_cost = job->cost;
    job_cleanup(job);
}

/* ---- the writer thread ---------------------------------------------- */

void n1_tail_block_signals(sigset_t *old)
{
    sigset_t block;

    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, old);
}

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
static int writer_wait(struct n1_tail *t, struct n1_error *err)
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
static int writer_busy(struct n1_tail *t)
{
    int busy;

    pthread_mutex_lock(&t->writer->mu);
    busy = t->writer->busy;
    pthread_mutex_unlock(&t->writer->mu);
    return busy;
}

int n1_tail_writer_busy(struct n1_tail *t)
{
    return t->writer != NULL && writer_busy(t);
}

/* Takes back the writer thread's last job if it is done with it, so that
   a failed write ends the run even when nothing new comes to commit. */
int n1_tail_writer_poll(struct n1_tail *t, struct n1_error *err)
{
    if (t->writer == NULL || writer_busy(t)) {
        return 0;
    }
    return writer_wait(t, err);
}

/* Starts the writer thread, signals blocked as on the feed thread. */
int n1_tail_writer_start(struct n1_tail *t, struct writer *w,
                         struct n1_error *err)
{
    sigset_t old;
    int rc;

    memset(w, 0, sizeof(*w));
    w->t = t;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    n1_tail_block_signals(&old);
    rc = pthread_create(&w->thread, NULL, writer_thread, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        n1_err_set(err, N1_ESYS, NULL, 0, "cannot start the writer thread");
        return -1;
    }
    w->started = 1;
    t->writer = w;
    return 0;
}

/* Stops the writer thread once its job is written. */
void n1_tail_writer_stop(struct n1_tail *t, struct writer *w)
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
int n1_tail_commit(struct n1_tail *t, struct n1_file_progress *extra,
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
        rc = n1_tail_commit(t, NULL, err);
    }
    return rc;
}

/*
 * A commit while reading on: handed to the writer thread when the
 * generation's record exists, else written here. When the writer is
 * still at the last one, it waits only if force (a bound on memory was
 * reached); else the commit comes later. Returns 0, or -1 with err set.
 */
int n1_tail_commit_later(struct n1_tail *t, int force, struct n1_error *err)
{
    struct writer *w = t->writer;

    if (w == NULL || !t->have_gen || t->cur.file_id == 0) {
        return n1_tail_commit(t, NULL, err);
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
