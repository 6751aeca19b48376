/* SPDX-License-Identifier: MIT */
/*
 * tail.c: the tail engine (tail.h): follow a live server's log, report
 * each N+1 loop, duplicate and fan-out as it ends, keep the store current.
 *
 * A follower (src/read/follow.c) hands out the events of the log through
 * rotation and truncation. It runs on a reader thread (feed.c) that
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
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/strbuf.h"
#include "engine/feed.h"
#include "engine/tail_int.h"

/*
 * The feed's source (feed.h): the follower, run on the feed thread, so
 * that parsing overlaps the detectors and the store. A reader snapshot
 * goes with the first batch after every CHECKPOINT_BYTES of log read.
 */
struct tail_src {
    struct n1_follow *fw; /* owned by run() */
    const char *path;     /* the followed path */
    atomic_int hup;       /* 1: reopen the path (SIGHUP) */
    uint64_t snap_at;     /* bytes read at the last snapshot attached */
};

/* What the feed thread attaches to a batch (the first byte of extra). */
enum {
    EXTRA_SNAPSHOT = 'C',
    EXTRA_SWITCH = 'S'
};

/* A new generation begins after the batch (EXTRA_SWITCH). */
struct tail_switch {
    struct n1_file_ident ident; /* its identity */
    unsigned flavour;           /* its enum n1_flavour */
    int resumed;                /* n1_follow_resumed() */
};

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
        return N1_FEED_GOT_NONE;
    }
    if (got == N1_FOLLOW_SWITCH) {
        return N1_FEED_GOT_BREAK;
    }
    /* The reader's name goes when its generation does; the event may
       outlive it in the ring. */
    ev->file = s->path;
    *rs = *n1_follow_stats(s->fw);
    *aux = (unsigned)n1_follow_flavour(s->fw);
    return N1_FEED_GOT_EVENT;
}

/* Attaches the new generation's identity to the batch before a switch,
   or a reader snapshot at the end of the batch when CHECKPOINT_BYTES
   were read since the last one. */
static int src_seal(void *ud, enum n1_feed_end why, size_t n,
                    struct n1_strbuf *extra)
{
    struct tail_src *s = ud;
    struct n1_error err;
    uint64_t read;
    int saved;

    if (why == N1_FEED_END_BREAK) {
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
    if (n == 0 || (why != N1_FEED_END_FULL && why != N1_FEED_END_NONE) ||
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
static struct n1_feed *start_feed(struct n1_tail *t, struct tail_src *s,
                                  struct n1_error *err)
{
    const struct n1_feed_source fs = {
        .next = src_next, .seal = src_seal, .wait = src_wait, .ud = s};
    struct n1_feed *f;
    sigset_t old;

    n1_tail_block_signals(&old);
    f = n1_feed_start(&fs, t->nz2, 1, err);
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
static int commit_due(struct n1_tail *t, double commit_s)
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
    return t->dirty && n1_mono_now() - t->last_commit >= every;
}

/*
 * A new generation starts: the first one either continues the recorded
 * file (resumed) or everything in it is new.
 */
static int switch_generation(struct n1_tail *t, const struct tail_switch *sw,
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
    return n1_tail_begin_generation(t, &sw->ident, (enum n1_flavour)sw->flavour,
                                    resumed ? resume : NULL, err);
}

/* The events of one batch from the feed, then what ends it. */
static int take_batch(struct n1_tail *t, const struct n1_feed_batch *b,
                      double commit_s, int *first, int have_resume,
                      const struct n1_file_state *resume, struct n1_error *err)
{
    const struct n1_strbuf *extra = n1_feed_batch_extra(b);
    size_t n = n1_feed_batch_len(b);
    uint64_t last_end = 0;
    int due;

    for (size_t i = 0; i < n; i++) {
        const struct n1_reader_stats *rs;
        const struct n1_norm *pre;
        unsigned flavour;
        const struct n1_event *ev = n1_feed_batch_event(b, i, &rs, &flavour);
        int have_pre = n1_feed_batch_norm(b, i, &pre);

        if (flavour != t->flavour_id) {
            n1_tail_set_flavour(t, (enum n1_flavour)flavour);
        }
        if (n1_tail_handle_event(t, ev, have_pre ? &pre : NULL, t->cur.base,
                                 n1_flavour_is_slow((enum n1_flavour)flavour),
                                 &t->fp, rs, err) != 0) {
            return -1;
        }
        last_end = ev->end_offset;
        due = commit_due(t, commit_s);
        if (due && n1_tail_commit_later(t, due == 2, err) != 0) {
            return -1;
        }
    }
    switch (n1_feed_batch_end(b, err)) {
    case N1_FEED_END_FAILED:
        return -1;
    case N1_FEED_END_NOMEM:
        n1_err_oom(err, "reading events");
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
        n1_tail_cps_push(t, last_end, t->fp.line, extra->buf + 1,
                         extra->len - 1) != 0) {
        /* At the end of the batch's last event, which was counted. */
        n1_err_oom(err, "keeping a reader snapshot");
        return -1;
    }
    return 0;
}

/*
 * Caught up with the log: closes what went idle and commits what is
 * due. Returns how long to wait for more (ms), or -1 with err set.
 */
static int caught_up(struct n1_tail *t, double commit_s, double *last_tick,
                     struct n1_error *err)
{
    double findings_s =
        commit_s < FINDINGS_MS / 1000.0 ? commit_s : FINDINGS_MS / 1000.0;
    double since;
    int wait_ms;

    if (n1_tail_writer_poll(t, err) != 0) {
        return -1;
    }
    /* A tick walks every connection, so not on each of a busy server's
       writes. */
    if (t->max_ts != N1_TS_NONE &&
        n1_mono_now() - *last_tick >= TICK_MS / 1000.0) {
        *last_tick = n1_mono_now();
        if (n1_detectors_tick(t->det, n1_tail_log_now(t), err) != 0) {
            return -1;
        }
    }
    /* A server writing steadily wakes tail for every write. Commit for
       findings at most every FINDINGS_MS, so that they still print
       within a fraction of a second but a stream of them does not turn
       each wake-up into a transaction. Having just read a backlog,
       commit at once so that the store and the findings catch up too. */
    since = n1_mono_now() - t->last_commit;
    if (t->have_gen &&
        ((t->n_pend > 0 && since >= findings_s) ||
         (t->dirty && since >= commit_s) || t->since_commit >= BURST_EVENTS)) {
        if (n1_tail_commit_later(t, 0, err) != 0) {
            return -1;
        }
        since = n1_mono_now() - t->last_commit;
    }
    if (!t->dirty && t->n_pend == 0 && !n1_tail_writer_busy(t) &&
        n1_tail_fault(t, N1_TAIL_IDLE, err) != 0) {
        return -1;
    }
    wait_ms = WAIT_MS;
    if (t->n_pend > 0 && (findings_s - since) * 1000.0 < WAIT_MS) {
        wait_ms = (int)((findings_s - since) * 1000.0) + 1;
    }
    /* Due but the writer thread is still at the last commit: look again
       soon. */
    return wait_ms < WRITER_POLL_MS ? WRITER_POLL_MS : wait_ms;
}

/* 1 when the caller asks the run to end. */
static int stop_wanted(const struct n1_tail *t)
{
    return t->opts.stop != NULL && t->opts.stop(t->opts.ud);
}

/*
 * Takes the feed's batches until the caller asks to stop. Returns 0 when
 * asked, or -1 with err set.
 */
static int follow_loop(struct n1_tail *t, struct n1_feed *feed,
                       struct tail_src *src, int have_resume,
                       const struct n1_file_state *resume, struct n1_error *err)
{
    double commit_s = t->opts.commit_s;
    double last_tick = 0;
    int first = 1;

    while (!stop_wanted(t)) {
        struct n1_feed_batch *b;
        int wait_ms = WAIT_MS;
        int idle = 0;
        int taken;

        if (t->opts.reopen != NULL && t->opts.reopen(t->opts.ud)) {
            atomic_store(&src->hup, 1);
        }
        b = n1_feed_take(feed, 0, &idle);
        if (b == NULL) {
            /* Caught up: close what went idle, commit, then wait for
               more; never longer than WAIT_MS, so that a stop is seen
               in time. */
            if (idle) {
                wait_ms = caught_up(t, commit_s, &last_tick, err);
                if (wait_ms < 0) {
                    return -1;
                }
            }
            b = n1_feed_take(feed, wait_ms, NULL);
            if (b == NULL) {
                continue;
            }
        }
        taken = take_batch(t, b, commit_s, &first, have_resume, resume, err);
        n1_feed_release(feed);
        if (taken != 0) {
            return -1;
        }
    }
    return 0;
}

/* The follower's notices are the run's notes. */
static void follow_notice(void *ud, const char *msg)
{
    struct n1_tail *t = ud;

    n1_notice(t->opts.notice, t->opts.notice_ud, N1_NOTICE_NOTE, "%s", msg);
}

int n1_tail_run(struct n1_tail *t, struct n1_error *err)
{
    struct tail_src src;
    struct writer writer;
    struct n1_feed *feed = NULL;
    struct n1_follow_opts fo;
    struct n1_follow_start start;
    struct n1_file_state resume;
    struct n1_tail_checkpoint cp;
    int use_start = 0;
    int have_resume = 0;
    int rc = -1;

    n1_store_file_state_init(&resume);
    memset(&fo, 0, sizeof(fo));
    memset(&start, 0, sizeof(start));
    memset(&cp, 0, sizeof(cp));
    memset(&src, 0, sizeof(src));
    memset(&writer, 0, sizeof(writer));
    atomic_init(&src.hup, 0);
    src.path = t->path;
    fo.reader = t->opts.reader;
    /* Nothing here reads the "Name: value" pairs beyond the metrics. */
    fo.reader.no_attrs = 1;
    fo.notice = follow_notice;
    fo.notice_ud = t;
    if (n1_tail_find_key(t, err) != 0 || n1_tail_print_unemitted(t, err) != 0 ||
        n1_tail_restore(t, &start, &use_start, &resume, &have_resume, &cp,
                        err) != 0) {
        goto out;
    }
    if (t->opts.from_end) {
        n1_tail_from_end(t, &start, &use_start, &have_resume);
    }
    src.fw = n1_follow_open(t->path, &fo, use_start ? &start : NULL, err);
    if (src.fw == NULL) {
        goto out;
    }
    n1_notice(t->opts.notice, t->opts.notice_ud, N1_NOTICE_INFO, "following %s",
              t->path);
    if (access(t->path, F_OK) != 0 && errno == ENOENT) {
        n1_notice(t->opts.notice, t->opts.notice_ud, N1_NOTICE_NOTE,
                  "%s does not exist yet: waiting for it to appear", t->path);
    }
    if (n1_tail_writer_start(t, &writer, err) != 0) {
        goto out;
    }
    feed = start_feed(t, &src, err);
    if (feed == NULL ||
        follow_loop(t, feed, &src, have_resume, &resume, err) != 0) {
        goto out;
    }
    /* Stopped: the current event is done; keep what we have. What the
       feed thread read beyond it is read again on restart. */
    n1_feed_free(feed);
    feed = NULL;
    if (t->have_gen && n1_tail_commit(t, NULL, err) != 0) {
        goto out;
    }
    n1_tail_writer_stop(t, &writer);
    rc = 0;
out:
    n1_feed_free(feed);
    n1_tail_writer_stop(t, &writer);
    if (src.fw != NULL) {
        t->stats.bytes = t->rotated_bytes + n1_follow_bytes_read(src.fw);
    }
    n1_follow_close(src.fw);
    free(cp.ctx);
    n1_store_file_state_cleanup(&resume);
    return rc;
}

void n1_tail_opts_default(struct n1_tail_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->db_path = "n1digest.db";
    n1_detect_opts_default(&o->detect);
    o->commit_s = 1.0;
}

struct n1_tail *n1_tail_new(const struct n1_tail_opts *o, struct n1_error *err)
{
    struct n1_store_opts sopts;
    struct n1_tail *t = calloc(1, sizeof(*t));

    if (t == NULL) {
        n1_err_oom(err, "building the tail");
        return NULL;
    }
    t->opts = *o;
    t->path = o->path;
    t->key = o->path;
    t->out = o->out != NULL ? o->out : stdout;
    t->max_ts = N1_TS_NONE;
    t->ro.max_keys = o->detect.max_keys;
    memset(&sopts, 0, sizeof(sopts));
    t->store = n1_store_open(o->db_path, &sopts, err);
    if (t->store == NULL) {
        goto fail;
    }
    t->nz = n1_normalizer_new(err);
    t->nz2 = t->nz != NULL ? n1_normalizer_new(err) : NULL;
    t->agg = t->nz2 != NULL ? n1_agg_new(NULL, err) : NULL;
    t->agg_spare = t->agg != NULL ? n1_agg_new(NULL, err) : NULL;
    if (t->agg_spare == NULL) {
        goto fail;
    }
    /* The registry borrows its options: point it at the copy. */
    t->det = n1_detectors_new(&t->opts.detect, n1_tail_collect, t, err);
    if (t->det == NULL) {
        goto fail;
    }
    t->last_commit = n1_mono_now();
    return t;

fail:
    n1_tail_free(t);
    return NULL;
}

const struct n1_tail_stats *n1_tail_stats(const struct n1_tail *t)
{
    return &t->stats;
}

void n1_tail_free(struct n1_tail *t)
{
    if (t == NULL) {
        return;
    }
    for (size_t i = 0; i < t->n_pend; i++) {
        n1_finding_free(t->pend[i]);
    }
    free(t->pend);
    free(t->key_owned);
    free(t->replay.v);
    free(t->lows.v);
    n1_tail_cps_clear(t);
    free(t->cps);
    n1_detectors_free(t->det);
    n1_agg_free(t->agg);
    n1_agg_free(t->agg_spare);
    n1_normalizer_free(t->nz);
    n1_normalizer_free(t->nz2);
    n1_store_close(t->store);
    free(t);
}
