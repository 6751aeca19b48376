/* SPDX-License-Identifier: MIT */
/*
 * pipeline.c: drives reader -> normaliser -> detectors -> aggregate ->
 * store for the subcommands that read logs.
 *
 * Each input is looked up in the store first: a file already read to its
 * end is skipped, a file that grew is resumed at the recorded offset, so
 * a log read twice is counted once. Statistics accumulate in memory and
 * go to the store every flush_events events together with the byte offset
 * of the last event they include; memory therefore grows with distinct
 * fingerprints, never with the length of the log. Detectors see every
 * event; what they do with findings is the caller's business.
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
#include <time.h>
#include <unistd.h>

#include <xxhash.h>

#include "aggregate.h"
#include "detector.h"
#include "normalize.h"
#include "pipeline.h"
#include "store.h"

struct pipeline {
    struct pipeline_opts opts;      /* copy; pointers borrowed */
    struct n1_store *store;         /* owned */
    struct n1_normalizer *norm;     /* owned */
    struct n1_agg *agg;             /* owned; reset after each flush */
    struct pipeline_stats stats;    /* counters of this run */
    int progress;                   /* 1: stderr is a terminal */
    double started;                 /* monotonic seconds at creation */
    double last_progress;           /* when progress was last printed */
    uint64_t bytes_done;            /* bytes of inputs already finished */
};

static double now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void pipeline_opts_default(struct pipeline_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->db_path = "n1scan.db";
    o->flush_events = 200000;
}

struct pipeline *pipeline_new(const struct pipeline_opts *opts,
                              struct n1_error *err)
{
    struct pipeline *p = NULL;
    struct n1_store_opts sopts;

    p = calloc(1, sizeof(*p));
    if (p == NULL) {
        n1_err_set(err, N1_ESYS, NULL, 0, "out of memory");
        goto fail;
    }
    p->opts = *opts;
    if (p->opts.flush_events == 0) {
        p->opts.flush_events = 200000;
    }
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
    p->agg = n1_agg_new(NULL, err);
    if (p->agg == NULL) {
        goto fail;
    }
    p->progress = opts->progress && isatty(STDERR_FILENO);
    p->started = now_seconds();
    p->last_progress = p->started;
    return p;

fail:
    pipeline_free(p);
    return NULL;
}

/* Events whose statement counts in the statistics: what the server ran. */
static int is_statement(const struct n1_event *ev, int slow)
{
    if (slow) {
        return 1;
    }
    return ev->cmd == N1_CMD_QUERY || ev->cmd == N1_CMD_EXECUTE;
}

/* Events the normaliser should see (detectors want Prepare text too). */
static int has_sql(const struct n1_event *ev)
{
    return ev->cmd == N1_CMD_QUERY || ev->cmd == N1_CMD_EXECUTE ||
           ev->cmd == N1_CMD_PREPARE;
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

static void show_progress(struct pipeline *p, struct n1_reader *r, int done)
{
    const struct n1_reader_stats *rs = n1_reader_stats(r);
    double now = now_seconds();
    double elapsed;
    double mb;

    if (!p->progress || (!done && now - p->last_progress < 0.5)) {
        return;
    }
    p->last_progress = now;
    elapsed = now - p->started;
    if (elapsed <= 0) {
        elapsed = 1e-9;
    }
    mb = (double)(p->bytes_done + rs->bytes) / 1e6;
    fprintf(stderr, "\rn1scan: %s: %.1f MB, %.0f MB/s, %.0f events/s   %s",
            n1_reader_name(r), mb, mb / elapsed,
            (double)p->stats.events / elapsed, done ? "\n" : "");
    fflush(stderr);
}

static int flush(struct pipeline *p, struct n1_file_progress *fp,
                 struct n1_error *err)
{
    if (n1_store_flush(p->store, p->agg, fp, 1, err) != 0) {
        return -1;
    }
    n1_agg_reset(p->agg);
    return 0;
}

int pipeline_read(struct pipeline *p, const char *path, struct n1_error *err)
{
    struct n1_reader *r = NULL;
    struct n1_file_state prev;
    struct n1_file_progress fp;
    struct n1_error rerr;
    struct n1_event ev;
    struct n1_norm nm;
    const struct n1_file_ident *ident;
    enum n1_file_verdict verdict = N1_FILE_NEW;
    uint64_t since_flush = 0;
    uint64_t base_events = 0;
    uint64_t base_skipped = 0;
    int slow;
    int rc = -1;
    int found;

    n1_store_file_state_init(&prev);
    n1_err_clear(&rerr);
    p->stats.files++;
    r = n1_reader_open(path, &p->opts.reader, &rerr);
    if (r == NULL) {
        char buf[512];

        fprintf(stderr, "n1scan: %s\n", n1_err_format(&rerr, buf, sizeof(buf)));
        p->stats.not_logs++;
        rc = 0;
        goto out;
    }
    slow = n1_flavour_is_slow(n1_reader_flavour(r));
    ident = n1_reader_ident(r);
    found = n1_store_file_lookup(p->store, path, ident, &prev, err);
    if (found < 0) {
        goto out;
    }
    if (found && !p->opts.reread) {
        uint64_t prefix = 0;
        const uint64_t *pp = NULL;

        if (prev.ident.head_len != ident->head_len && ident->inode != 0 &&
            hash_prefix(path, prev.ident.head_len, &prefix) == 0) {
            pp = &prefix;
        }
        verdict = n1_store_file_verdict(&prev, ident, pp);
    }
    memset(&fp, 0, sizeof(fp));
    fp.path = path;
    fp.ident = *ident;
    fp.flavour = n1_flavour_name(n1_reader_flavour(r));
    switch (verdict) {
    case N1_FILE_SAME:
        fprintf(stderr, "n1scan: %s: already read (%s), skipped\n", path,
                fp.flavour);
        p->stats.files_skipped++;
        rc = 0;
        goto out;
    case N1_FILE_GROWN:
        if (n1_reader_seek(r, prev.offset, prev.line, err) != 0) {
            goto out;
        }
        fp.file_id = prev.id;
        base_events = prev.events;
        base_skipped = prev.skipped;
        fprintf(stderr, "n1scan: %s: resuming at byte %llu\n", path,
                (unsigned long long)prev.offset);
        break;
    case N1_FILE_NEW:
    case N1_FILE_REPLACED:
        break;
    }
    fprintf(stderr, "n1scan: %s: %s\n", path, fp.flavour);
    fp.offset = verdict == N1_FILE_GROWN ? prev.offset : 0;
    fp.line = verdict == N1_FILE_GROWN ? prev.line : 0;

    for (;;) {
        const struct n1_norm *np = NULL;
        const struct n1_reader_stats *rs;
        int got = n1_reader_next(r, &ev, &rerr);
        int keep;

        if (got < 0) {
            char buf[512];

            /* A read error ends this input, not the run. */
            fprintf(stderr, "n1scan: %s\n",
                    n1_err_format(&rerr, buf, sizeof(buf)));
            p->stats.not_logs++;
            break;
        }
        if (got == 0) {
            break;
        }
        p->stats.events++;
        if (has_sql(&ev)) {
            if (n1_normalize(p->norm, ev.sql, ev.sql_len, &nm, err) != 0) {
                goto out;
            }
            np = &nm;
        }
        keep = p->opts.accept == NULL ||
               p->opts.accept(p->opts.hook_ud, &ev, np);
        if (!keep) {
            /* Dropped before anything counted it; the file offset still
               moves past it below. */
            p->stats.filtered++;
        }
        if (keep && np != NULL && is_statement(&ev, slow)) {
            const struct n1_norm *key = np;

            if (p->opts.group != NULL) {
                key = p->opts.group(p->opts.hook_ud, &ev, np);
            }
            if (key != NULL) {
                if (n1_agg_add(p->agg, &ev, key, err) != 0) {
                    goto out;
                }
                p->stats.statements++;
            }
        }
        if (keep && p->opts.detectors != NULL &&
            n1_detectors_event(p->opts.detectors, &ev, np, err) != 0) {
            goto out;
        }
        fp.offset = ev.end_offset;
        since_flush++;
        if (since_flush >= p->opts.flush_events) {
            rs = n1_reader_stats(r);
            fp.line = (unsigned long)rs->lines;
            fp.events = base_events + rs->events;
            fp.skipped = base_skipped + rs->skipped_lines + rs->skipped_events;
            if (flush(p, &fp, err) != 0) {
                goto out;
            }
            since_flush = 0;
            show_progress(p, r, 0);
        } else if ((since_flush & 0xffff) == 0) {
            show_progress(p, r, 0);
        }
    }
    {
        const struct n1_reader_stats *rs = n1_reader_stats(r);

        fp.complete = 1;
        fp.offset = rs->bytes;
        fp.line = (unsigned long)rs->lines;
        fp.events = base_events + rs->events;
        fp.skipped = base_skipped + rs->skipped_lines + rs->skipped_events;
        p->stats.skipped_lines += rs->skipped_lines;
        p->stats.skipped_events += rs->skipped_events;
        if (flush(p, &fp, err) != 0) {
            goto out;
        }
        show_progress(p, r, 1);
        p->bytes_done += rs->bytes;
    }
    rc = 0;

out:
    n1_store_file_state_cleanup(&prev);
    n1_reader_close(r);
    return rc;
}

int pipeline_finish(struct pipeline *p, struct n1_error *err)
{
    if (p->opts.detectors != NULL &&
        n1_detectors_finish(p->opts.detectors, err) != 0) {
        return -1;
    }
    if (n1_agg_size(p->agg) > 0) {
        if (n1_store_flush(p->store, p->agg, NULL, 0, err) != 0) {
            return -1;
        }
        n1_agg_reset(p->agg);
    }
    return 0;
}

const struct pipeline_stats *pipeline_stats(const struct pipeline *p)
{
    return &p->stats;
}

struct n1_store *pipeline_store(struct pipeline *p)
{
    return p->store;
}

void pipeline_print_summary(const struct pipeline *p)
{
    const struct pipeline_stats *s = &p->stats;

    fprintf(stderr,
            "n1scan: %llu events read (%llu statements) from %llu of %llu "
            "inputs; %llu lines and %llu events skipped; %llu inputs "
            "already read; %llu not readable as logs\n",
            (unsigned long long)s->events, (unsigned long long)s->statements,
            (unsigned long long)(s->files - s->files_skipped - s->not_logs),
            (unsigned long long)s->files,
            (unsigned long long)s->skipped_lines,
            (unsigned long long)s->skipped_events,
            (unsigned long long)s->files_skipped,
            (unsigned long long)s->not_logs);
}

int pipeline_exit_status(const struct pipeline *p)
{
    if (p->stats.not_logs > 0) {
        return 3;
    }
    if (p->stats.skipped_lines > 0 || p->stats.skipped_events > 0) {
        return 4;
    }
    return 0;
}

void pipeline_free(struct pipeline *p)
{
    if (p == NULL) {
        return;
    }
    n1_agg_free(p->agg);
    n1_normalizer_free(p->norm);
    n1_store_close(p->store);
    free(p);
}
