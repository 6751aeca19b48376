/* SPDX-License-Identifier: MIT */
/*
 * pipeline.c: drives reader -> normaliser -> detectors -> aggregate ->
 * store for the subcommands that read logs.
 *
 * Each input is looked up in the store first: a file already read to its
 * end is skipped, a file that grew is resumed at the recorded offset, so
 * a log read twice is counted once. Statistics accumulate in memory and
 * go to the store together with the byte offset of the last event they
 * include: at the end of each input, and before that, for a store on
 * disk, when the aggregate passes its memory budget or every flush_events
 * events (so an interrupted run loses little). Both triggers depend on
 * the input only, never on timing, so the same logs give the same store.
 * A ":memory:" store is only flushed at the end of an input: its rows
 * live in RAM like the aggregate, so an early flush would free nothing
 * and cost a merge per class. Memory therefore grows with distinct
 * fingerprints, never with the length of the log. Detectors see every
 * event; what they do with findings is the caller's business.
 *
 * With keep_classes and a ":memory:" store, the classes do not go into
 * the store at all: each input's aggregate is absorbed into a second one
 * that the report reads, as a store would merge it (same numbers, one
 * copy of each class in memory instead of two). The store still records
 * the files.
 *
 * Each input is read on two threads. A reader thread parses events and
 * copies them, strings and all, into a ring of RING_BATCHES batches; the
 * calling thread takes the batches in order and normalises, filters,
 * aggregates and runs the detectors, so the hooks and detectors never run
 * concurrently and see the events in log order. Each event carries the
 * reader's counters as they were just after it, so flushes record the
 * same offsets and line numbers as a single-threaded loop would. When the
 * ring is full the reader thread normalises batches too, with a
 * normaliser of its own, so each thread gets about half the work.
 *
 * Two optional hooks serve digest's filters and --group-by: accept drops
 * an event before statistics and detectors see it, group picks the class
 * a statement is counted in. A caller that uses them should give the run
 * its own (":memory:") store, since the stored classes are then no longer
 * per fingerprint of every event.
 */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <xxhash.h>

#include "analyzer/detector.h"
#include "base/timeutil.h"
#include "engine/engine_int.h"
#include "engine/feed.h"
#include "engine/notice.h"
#include "engine/pipeline.h"
#include "sql/normalize.h"
#include "stats/aggregate.h"
#include "store/store.h"

/* Events between checks of the aggregate's memory, which walks every
   class. */
#define MEMORY_EVERY 65536u

struct n1_pipeline {
    struct n1_pipeline_opts opts;   /* copy; pointers borrowed */
    struct n1_store *store;         /* owned */
    struct n1_normalizer *norm;     /* owned */
    struct n1_normalizer *norm2;    /* owned; the reader thread's */
    struct n1_agg *agg;             /* owned; reset after each flush */
    struct n1_agg *kept;            /* owned; the run's classes when they
                                       are kept in memory, else NULL */
    struct n1_pipeline_stats stats; /* counters of this run */
    int progress;                   /* 1: progress notices */
    int in_memory;                  /* 1: the store is ":memory:" */
    int no_stats;                   /* opts.no_stats with in_memory */
    double started;                 /* monotonic seconds at creation */
    double last_progress;           /* when progress was last printed */
    uint64_t bytes_done;            /* bytes read from the inputs already
                                       finished */
    uint64_t total_bytes;           /* sizes of the inputs expected
                                       (n1_pipeline_expect()); 0: unknown,
                                       no percent */
    uint64_t pos_done;              /* of total_bytes: the inputs
                                       finished or passed over */
    uint64_t units_done;            /* of total_bytes: the bytes read
                                       (compressed ones for compressed
                                       input) of the inputs finished */
    uint64_t in_start;              /* offset the current input's reading
                                       started at (a resume point) */
    int in_compressed;              /* 1: the current input is compressed:
                                       its progress is in compressed
                                       bytes, as its size is */
};

void n1_pipeline_opts_default(struct n1_pipeline_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->db_path = "n1digest.db";
    o->flush_memory = N1_PIPELINE_FLUSH_MEMORY;
    o->flush_events = N1_PIPELINE_FLUSH_EVENTS;
}

struct n1_pipeline *n1_pipeline_new(const struct n1_pipeline_opts *opts,
                                    struct n1_error *err)
{
    struct n1_pipeline *p = NULL;
    struct n1_store_opts sopts;

    p = calloc(1, sizeof(*p));
    if (p == NULL) {
        n1_err_oom(err, "building the pipeline");
        goto fail;
    }
    p->opts = *opts;
    /* Nothing downstream reads the "Name: value" pairs beyond the
       metrics: not copying them is a fifth of the reader thread's work. */
    p->opts.reader.no_attrs = 1;
    p->in_memory = strcmp(opts->db_path, ":memory:") == 0;
    p->no_stats = opts->no_stats && p->in_memory;
    memset(&sopts, 0, sizeof(sopts));
    sopts.reset = opts->reset_store;
    p->store = n1_store_open(opts->db_path, &sopts, err);
    if (p->store == NULL) {
        goto fail;
    }
    p->norm = n1_normalizer_new(err);
    if (p->norm == NULL) {
        goto fail;
    }
    p->norm2 = n1_normalizer_new(err);
    if (p->norm2 == NULL) {
        goto fail;
    }
    p->agg = n1_agg_new(NULL, err);
    if (p->agg == NULL) {
        goto fail;
    }
    if (opts->keep_classes && p->in_memory) {
        p->kept = n1_agg_new(NULL, err);
        if (p->kept == NULL) {
            goto fail;
        }
    }
    p->progress = opts->progress;
    p->started = n1_mono_now();
    p->last_progress = p->started;
    return p;

fail:
    n1_pipeline_free(p);
    return NULL;
}

/*
 * Hash of the first len bytes of path, to tell a grown file from a new
 * one written at the same inode. Returns 0 and sets *out, or -1.
 */
static int hash_prefix(const char *path, uint32_t len, uint64_t *out)
{
    char buf[4096];
    ssize_t got;
    int fd;

    if (len > sizeof(buf)) {
        return -1;
    }
    fd = open(path, O_RDONLY);
    if (fd < 0) {
        return -1;
    }
    got = pread(fd, buf, len, 0);
    close(fd);
    if (got != (ssize_t)len) {
        return -1;
    }
    *out = XXH64(buf, len, 0);
    return 0;
}

/* The size of path when it is a regular file, 0 when it cannot be
   looked at (it will not be read either), else -1 (stdin, a pipe). */
static int64_t file_size(const char *path)
{
    struct stat st;

    if (strcmp(path, "-") == 0) {
        return -1;
    }
    if (stat(path, &st) != 0) {
        return 0;
    }
    return S_ISREG(st.st_mode) ? (int64_t)st.st_size : -1;
}

void n1_pipeline_expect(struct n1_pipeline *p, char *const *paths, size_t n)
{
    uint64_t total = 0;

    if (!p->progress) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        int64_t size = file_size(paths[i]);

        if (size < 0) {
            total = 0;
            break;
        }
        total += (uint64_t)size;
    }
    p->total_bytes = total;
    p->pos_done = 0;
}

/* Counts an input of size bytes (-1: unknown) as behind the run. */
static void input_passed(struct n1_pipeline *p, int64_t size)
{
    if (size < 0) {
        p->total_bytes = 0;
    } else {
        p->pos_done += (uint64_t)size;
    }
}

/* Where the current input is, in the units of its size (compressed
   bytes for compressed input), and where its reading started. */
static uint64_t unit_pos(const struct n1_pipeline *p,
                         const struct n1_reader_stats *rs, uint64_t *start)
{
    *start = p->in_compressed ? 0 : p->in_start;
    return p->in_compressed ? rs->compressed : rs->bytes;
}

/*
 * Sends a progress notice when asked to, at most every half second
 * until the input is done; rs: the current input's counters. With the
 * total known, the percent and the time remaining come first, as
 * pt-query-digest shows them ("60% 00:19 remain").
 */
static void show_progress(struct n1_pipeline *p, const char *name,
                          const struct n1_reader_stats *rs, int done)
{
    double now = n1_mono_now();
    uint64_t start;
    uint64_t units = unit_pos(p, rs, &start);
    uint64_t worked = p->units_done + (units - start);
    uint64_t pos = p->pos_done + units;
    char where[64] = "";
    char eta[N1_ETA_MAX];
    double elapsed;
    double remain;
    double mb;

    if (!p->progress || (!done && now - p->last_progress < 0.5)) {
        return;
    }
    p->last_progress = now;
    elapsed = now - p->started;
    if (elapsed <= 0) {
        elapsed = 1e-9;
    }
    if (p->total_bytes > 0) {
        unsigned pct = pos >= p->total_bytes
                           ? 100
                           : (unsigned)(pos * 100.0 / p->total_bytes);

        remain = n1_eta_remain(pos, p->total_bytes, worked, elapsed);
        snprintf(where, sizeof(where), "%u%%%s%s%s, ", pct,
                 remain > 0 ? " " : "",
                 remain > 0 ? n1_eta_format(remain, eta) : "",
                 remain > 0 ? " remain" : "");
    }
    mb = (double)(p->bytes_done + (rs->bytes - p->in_start)) / 1e6;
    n1_notice(p->opts.notice, p->opts.notice_ud,
              done ? N1_NOTICE_PROGRESS_END : N1_NOTICE_PROGRESS,
              "%s: %s%.1f MB, %.0f MB/s, %.0f events/s", name, where, mb,
              mb / elapsed, (double)p->stats.events / elapsed);
}

static int flush(struct n1_pipeline *p, struct n1_file_progress *fp,
                 struct n1_error *err)
{
    int rc;

    if (p->kept != NULL) {
        /* The file record only; the classes stay in memory. */
        if (fp != NULL && n1_store_flush(p->store, NULL, fp, 1, err) != 0) {
            n1_agg_reset(p->agg);
            return -1;
        }
        return n1_agg_absorb(p->kept, p->agg, 0, err);
    }
    rc = n1_store_flush_drain(p->store, p->agg, fp, fp != NULL ? 1 : 0, err);
    n1_agg_reset(p->agg);
    return rc;
}

/* 1 when the statistics should go to the store before the input ends:
   see the file comment. since: events since the last flush. */
static int flush_due(struct n1_pipeline *p, uint64_t since)
{
    const struct n1_pipeline_opts *o = &p->opts;

    if (p->in_memory) {
        return 0;
    }
    if (o->flush_events != 0 && since >= o->flush_events) {
        return 1;
    }
    return since % MEMORY_EVERY == 0 && o->flush_memory != 0 &&
           n1_agg_memory(p->agg) >= o->flush_memory;
}

/* ---- the reader thread's source ------------------------------------ */

/* The feed's source for one file: its reader (feed.h). */
static int reader_next(void *ud, struct n1_event *ev,
                       struct n1_reader_stats *rs, unsigned *aux,
                       struct n1_error *err)
{
    struct n1_reader *r = ud;
    int got = n1_reader_next(r, ev, err);

    (void)aux;
    if (got < 0) {
        return -1;
    }
    if (got == 0) {
        return N1_FEED_GOT_END;
    }
    *rs = *n1_reader_stats(r);
    return N1_FEED_GOT_EVENT;
}

/* ---- the caller's thread -------------------------------------------- */

/* Normalises, filters, aggregates and detects one event. */
static int handle_event(struct n1_pipeline *p, const struct n1_feed_batch *b,
                        size_t i, int slow, struct n1_error *err)
{
    const struct n1_event *ev = n1_feed_batch_event(b, i, NULL, NULL);
    const struct n1_norm *np = NULL;
    const struct n1_norm *cp = NULL;
    struct n1_norm nm;
    struct n1_norm am;
    char abuf[N1_ENGINE_ADMIN_MAX];
    int admin;
    int keep;

    p->stats.events++;
    if (n1_feed_batch_norm(b, i, &np)) {
        /* the reader thread's work */
    } else if (n1_engine_has_sql(ev)) {
        if (n1_normalize(p->norm, ev->sql, ev->sql_len, &nm, err) != 0) {
            return -1;
        }
        np = &nm;
    }
    /* cp: what the statistics count the event as; an administrator
       command (a general log's Prepare too) is a class, but no statement
       to detect: the detectors get np. */
    cp = np;
    admin = n1_engine_admin_norm(ev, slow, &am, abuf);
    if (admin) {
        cp = &am;
    }
    keep = p->opts.accept == NULL || p->opts.accept(p->opts.hook_ud, ev, cp);
    if (!keep) {
        /* Dropped before anything counted it; the file offset still moves
           past it. */
        p->stats.filtered++;
        return 0;
    }
    if (cp != NULL && (admin || n1_engine_is_statement(ev, slow))) {
        const struct n1_norm *key = cp;
        size_t n = 0;

        if (p->opts.group != NULL) {
            key = p->opts.group(p->opts.hook_ud, ev, cp, 0);
        }
        while (key != NULL) {
            if (!p->no_stats && n1_agg_add(p->agg, ev, key, err) != 0) {
                return -1;
            }
            n++;
            key = p->opts.group != NULL
                      ? p->opts.group(p->opts.hook_ud, ev, cp, n)
                      : NULL;
        }
        /* An administrator command is an event of a class, not a
           statement: the summary counts statements in both logs. */
        p->stats.statements += n > 0 && !admin;
    }
    if (p->opts.detectors != NULL &&
        n1_detectors_event(p->opts.detectors, ev, np, err) != 0) {
        return -1;
    }
    return 0;
}

/* Sets the counters of fp from the reader's counters rs. */
static void progress_from(struct n1_file_progress *fp,
                          const struct n1_reader_stats *rs,
                          uint64_t base_events, uint64_t base_skipped)
{
    fp->line = (unsigned long)rs->lines;
    fp->events = base_events + rs->events;
    fp->skipped = base_skipped + rs->skipped_lines + rs->skipped_events;
}

/*
 * Reports an input that is not a log (or could not be read on): a
 * notice with the reader's error, counted in not_logs.
 */
static void not_a_log(struct n1_pipeline *p, const struct n1_error *rerr)
{
    char buf[512];

    n1_notice(p->opts.notice, p->opts.notice_ud, N1_NOTICE_ERROR, "%s",
              n1_err_format(rerr, buf, sizeof(buf)));
    p->stats.not_logs++;
}

/* One input being read: its reader and what the store records of it. */
struct input {
    const char *path;           /* as given; borrowed */
    struct n1_reader *r;        /* owned */
    struct n1_file_progress fp; /* what the next flush records */
    uint64_t base_events;       /* events of earlier runs on the file */
    uint64_t base_skipped;      /* and skipped lines and events */
};

/*
 * Looks the input up in the store and positions its reader: returns 1 to
 * read it (from the start, or resumed where the last run stopped), 0
 * when it was read to its end before (skipped), -1 with err set.
 */
static int input_start(struct n1_pipeline *p, struct input *in,
                       struct n1_error *err)
{
    struct n1_file_state prev;
    const struct n1_file_ident *ident = n1_reader_ident(in->r);
    enum n1_file_verdict verdict = N1_FILE_NEW;
    int rc = -1;
    int found;

    n1_store_file_state_init(&prev);
    found = n1_store_file_lookup(p->store, in->path, ident, &prev, err);
    if (found < 0) {
        goto out;
    }
    if (found && !p->opts.reread) {
        uint64_t prefix = 0;
        const uint64_t *pp = NULL;

        if (prev.ident.head_len != ident->head_len && ident->inode != 0 &&
            hash_prefix(in->path, prev.ident.head_len, &prefix) == 0) {
            pp = &prefix;
        }
        verdict = n1_store_file_verdict(&prev, ident, pp);
    }
    memset(&in->fp, 0, sizeof(in->fp));
    in->fp.path = in->path;
    in->fp.ident = *ident;
    in->fp.flavour = n1_flavour_name(n1_reader_flavour(in->r));
    if (verdict == N1_FILE_SAME) {
        n1_notice(p->opts.notice, p->opts.notice_ud, N1_NOTICE_INFO,
                  "%s: already read (%s), skipped", in->path, in->fp.flavour);
        p->stats.files_skipped++;
        rc = 0;
        goto out;
    }
    if (verdict == N1_FILE_GROWN) {
        if (n1_reader_seek(in->r, prev.offset, prev.line, err) != 0) {
            goto out;
        }
        in->fp.file_id = prev.id;
        in->fp.offset = prev.offset;
        in->fp.line = prev.line;
        in->base_events = prev.events;
        in->base_skipped = prev.skipped;
        n1_notice(p->opts.notice, p->opts.notice_ud, N1_NOTICE_INFO,
                  "%s: resuming at byte %llu", in->path,
                  (unsigned long long)prev.offset);
    }
    n1_notice(p->opts.notice, p->opts.notice_ud, N1_NOTICE_INFO, "%s: %s",
              in->path, in->fp.flavour);
    rc = 1;
out:
    n1_store_file_state_cleanup(&prev);
    return rc;
}

/*
 * Takes the batches of the input from the feed until its last one:
 * every event goes through handle_event(), with flushes when due.
 * Returns 0 (a read error ends the input, reported as not a log), or -1
 * with err set.
 */
static int input_events(struct n1_pipeline *p, struct input *in,
                        struct n1_feed *f, struct n1_error *err)
{
    int slow = n1_flavour_is_slow(n1_reader_flavour(in->r));
    uint64_t since_flush = 0;

    for (;;) {
        /* Never NULL: the input's last batch ends the loop. */
        struct n1_feed_batch *b = n1_feed_take(f, -1, NULL);
        size_t n = n1_feed_batch_len(b);
        struct n1_error ferr;
        enum n1_feed_end end;

        for (size_t i = 0; i < n; i++) {
            const struct n1_reader_stats *rs;
            const struct n1_event *ev = n1_feed_batch_event(b, i, &rs, NULL);

            if (handle_event(p, b, i, slow, err) != 0) {
                return -1;
            }
            in->fp.offset = ev->end_offset;
            since_flush++;
            if (flush_due(p, since_flush)) {
                progress_from(&in->fp, rs, in->base_events, in->base_skipped);
                if (flush(p, &in->fp, err) != 0) {
                    return -1;
                }
                since_flush = 0;
                show_progress(p, n1_reader_name(in->r), rs, 0);
            } else if ((since_flush & 0xffff) == 0) {
                show_progress(p, n1_reader_name(in->r), rs, 0);
            }
        }
        end = n1_feed_batch_end(b, &ferr);
        if (end == N1_FEED_END_NOMEM) {
            n1_err_oom(err, "reading events");
            return -1;
        }
        if (end == N1_FEED_END_FAILED) {
            /* A read error ends this input, not the run. */
            not_a_log(p, &ferr);
        }
        n1_feed_release(f);
        if (end == N1_FEED_END_LAST || end == N1_FEED_END_FAILED) {
            return 0;
        }
    }
}

/* Counts how r read its local times, with a notice for an offset the
   log showed. */
static void note_zone(struct n1_pipeline *p, const struct n1_reader *r)
{
    struct n1_tz tz;
    enum n1_tz_source src = n1_reader_tz_source(r, &tz);

    if (src == N1_TZSRC_ASSUMED) {
        p->stats.tz_assumed++;
    } else if (src != N1_TZSRC_NONE) {
        p->stats.tz_read++;
        n1_tz_label(&tz, p->stats.tz_label, sizeof(p->stats.tz_label));
    }
    if (src == N1_TZSRC_DETECTED) {
        n1_notice(p->opts.notice, p->opts.notice_ud, N1_NOTICE_INFO,
                  "%s: local times read as %s, the offset its SET "
                  "timestamp shows",
                  n1_reader_name(r), p->stats.tz_label);
    }
}

int n1_pipeline_read(struct n1_pipeline *p, const char *path,
                     struct n1_error *err)
{
    struct input in;
    struct n1_feed *f = NULL;
    struct n1_error rerr;
    const struct n1_reader_stats *rs;
    struct n1_feed_source src;
    uint64_t start;
    int64_t size;
    int rc = -1;
    int go;

    memset(&in, 0, sizeof(in));
    in.path = path;
    n1_err_clear(&rerr);
    p->stats.files++;
    size = p->total_bytes > 0 ? file_size(path) : -1;
    in.r = n1_reader_open(path, &p->opts.reader, &rerr);
    if (in.r == NULL) {
        not_a_log(p, &rerr);
        input_passed(p, size);
        return 0;
    }
    /* Uncompressed bytes do not compare with a compressed file's size:
       its progress counts the compressed bytes decoded. */
    p->in_compressed = n1_reader_compression(in.r) != NULL;
    go = input_start(p, &in, err);
    if (go <= 0) {
        rc = go;
        goto out;
    }
    p->in_start = n1_reader_stats(in.r)->bytes;
    memset(&src, 0, sizeof(src));
    src.next = reader_next;
    src.ud = in.r;
    /* Detectors and hooks may read literals and tags; the aggregate only
       needs the text. */
    f = n1_feed_start(&src, p->norm2,
                      p->opts.detectors != NULL || p->opts.accept != NULL ||
                          p->opts.group != NULL,
                      err);
    if (f == NULL || input_events(p, &in, f, err) != 0) {
        goto out;
    }
    n1_feed_free(f);
    f = NULL;
    rs = n1_reader_stats(in.r);
    in.fp.complete = 1;
    in.fp.offset = rs->bytes;
    progress_from(&in.fp, rs, in.base_events, in.base_skipped);
    p->stats.skipped_lines += rs->skipped_lines;
    p->stats.skipped_events += rs->skipped_events;
    note_zone(p, in.r);
    if (flush(p, &in.fp, err) != 0) {
        goto out;
    }
    show_progress(p, n1_reader_name(in.r), rs, 1);
    p->bytes_done += rs->bytes - p->in_start;
    p->units_done += unit_pos(p, rs, &start) - start;
    rc = 0;

out:
    if (rc == 0) {
        input_passed(p, size);
    }
    p->in_start = 0;
    p->in_compressed = 0;
    n1_feed_free(f);
    n1_reader_close(in.r);
    return rc;
}

int n1_pipeline_finish(struct n1_pipeline *p, struct n1_error *err)
{
    if (p->opts.detectors != NULL &&
        n1_detectors_finish(p->opts.detectors, err) != 0) {
        return -1;
    }
    if (n1_agg_size(p->agg) > 0 && flush(p, NULL, err) != 0) {
        return -1;
    }
    return 0;
}

const struct n1_agg *n1_pipeline_classes(const struct n1_pipeline *p)
{
    return p->kept;
}

const struct n1_pipeline_stats *n1_pipeline_stats(const struct n1_pipeline *p)
{
    return &p->stats;
}

struct n1_store *n1_pipeline_store(struct n1_pipeline *p)
{
    return p->store;
}

int n1_pipeline_exit_status(const struct n1_pipeline *p)
{
    if (p->stats.not_logs > 0) {
        return 3;
    }
    if (p->stats.skipped_lines > 0 || p->stats.skipped_events > 0) {
        return 4;
    }
    return 0;
}

void n1_pipeline_free(struct n1_pipeline *p)
{
    if (p == NULL) {
        return;
    }
    n1_agg_free(p->agg);
    n1_agg_free(p->kept);
    n1_normalizer_free(p->norm);
    n1_normalizer_free(p->norm2);
    n1_store_close(p->store);
    free(p);
}
