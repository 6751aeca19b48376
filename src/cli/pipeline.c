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
 * concurrently and see the events in log order. The ring bounds what is
 * in flight; a batch holds at most BATCH_EVENTS events or a little more
 * than BATCH_BYTES of text (one event larger than that gets a batch of
 * its own). Each event carries the reader's counters as they were just
 * after it, so flushes record the same offsets and line numbers as a
 * single-threaded loop would.
 *
 * Normalising is most of the work, so the reader thread helps with it:
 * when the ring is full it takes the newest batch nobody has started,
 * normalises its statements with a normaliser of its own and keeps the
 * results (text, literals, tags) in the batch. The calling thread uses
 * them when it comes to that batch, waiting if the reader is still at
 * it, and normalises every other batch itself; each thread gets about
 * half the work whatever the log, and the results are the ones a single
 * normaliser gives, so nothing downstream can tell.
 *
 * Two optional hooks serve digest's filters and --group-by: accept drops
 * an event before statistics and detectors see it, group picks the class
 * a statement is counted in. A caller that uses them should give the run
 * its own (":memory:") store, since the stored classes are then no longer
 * per fingerprint of every event.
 */
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
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

/* Batches in flight between the reader thread and the caller's thread. */
#define RING_BATCHES 8

/* A batch is handed over when it holds this many events ... */
#define BATCH_EVENTS 1024u

/* ... or this many bytes of strings. */
#define BATCH_BYTES (256u << 10)

/* Events between checks of the aggregate's memory, which walks every
   class. */
#define MEMORY_EVERY 65536u

/* An arena that grew past this for one large statement is given back
   before the batch is filled again, so the batches in the ring stay
   small. */
#define ARENA_KEEP (4 * BATCH_BYTES)

/* Arena "offsets" that are not offsets: a NULL string, and a failed
   copy. */
#define OFF_NULL ((size_t)-2)
#define OFF_NOMEM ((size_t)-1)

/* A batch's state between the two threads (guarded by the feed's
   mutex). */
enum batch_state {
    BS_FREE = 0, /* being filled, or not yet filled */
    BS_READY,    /* filled, nobody normalising it */
    BS_HELPING,  /* the reader thread is normalising it */
    BS_HELPED,   /* normalised by the reader thread: see norms */
    BS_TAKEN     /* the calling thread normalises it itself */
};

/* An event's normal form computed by the reader thread. While the batch
   is normalised its strings are offsets into the batch's norm arena; the
   pointers are set at the end. */
struct batch_norm {
    struct n1_norm nm; /* pointers valid once the batch is HELPED */
    int has;           /* 1: the event has SQL and nm is its normal form */
    size_t text;       /* arena offset of the text */
    size_t lit0;       /* its first entry in the batch's lits */
    size_t tag0;       /* its first entry in the batch's tags */
};

/* One event copied out of the reader. Its strings live in the batch's
   arena; while the batch is filled they are offsets (the arena may move),
   and the event's pointers are set when the batch is sealed. */
struct batch_event {
    struct n1_event ev;        /* pointers valid once sealed */
    struct n1_reader_stats rs; /* reader counters just after this event */
    size_t sql;                /* arena offsets of the strings */
    size_t command;
    size_t user;
    size_t host;
    size_t db;
    size_t attr0;              /* its first entry in the batch's attrs */
};

struct batch {
    struct batch_event *evs; /* events in log order */
    size_t n;                /* events used */
    size_t cap;              /* events allocated */
    struct n1_attr *attrs;   /* every event's attributes, in order */
    size_t *attr_off;        /* arena offsets: name, value per attr */
    size_t n_attrs;          /* attrs used */
    size_t attrs_cap;        /* attrs allocated */
    char *arena;             /* the strings, each NUL-terminated */
    size_t len;              /* arena bytes used */
    size_t arena_cap;        /* arena bytes allocated */
    int last;                /* the input ends after this batch */
    int read_failed;         /* ... because of a read error, in err */
    int oom;                 /* ... because copying ran out of memory */
    struct n1_error err;     /* the read error */
    enum batch_state state;  /* see enum batch_state */
    struct batch_norm *norms; /* normal forms of the first n_normed */
    size_t norms_cap;        /* entries allocated in norms */
    size_t n_normed;         /* events the reader thread normalised */
    struct n1_literal *lits; /* their literals, in order */
    size_t *lit_off;         /* norm arena offset of each literal value */
    size_t n_lits;           /* lits used */
    size_t lits_cap;         /* lits allocated */
    struct n1_tag *tags;     /* their tags, in order */
    size_t *tag_off;         /* norm arena offsets: key, value per tag */
    size_t n_tags;           /* tags used */
    size_t tags_cap;         /* tags allocated */
    char *narena;            /* texts, literal values and tags */
    size_t nlen;             /* narena bytes used */
    size_t ncap;             /* narena bytes allocated */
};

/* The ring between the two threads; the mutex guards the indexes. */
struct feed {
    struct n1_reader *r;              /* used by the reader thread only */
    struct n1_normalizer *norm;       /* the reader thread's normaliser */
    int full;                         /* 1: keep literals and tags too */
    int filled_last;                  /* the last batch has been filled */
    struct batch ring[RING_BATCHES];  /* filled and taken in turn */
    unsigned head;                    /* next batch to fill */
    unsigned tail;                    /* next batch to take */
    unsigned ready;                   /* batches filled, not yet taken */
    int stop;                         /* the taker gave up */
    pthread_mutex_t mu;
    pthread_cond_t can_fill;          /* signalled when a batch is freed */
    pthread_cond_t can_take;          /* signalled when one is filled */
    pthread_cond_t helped;            /* signalled when one is normalised */
};

struct pipeline {
    struct pipeline_opts opts;      /* copy; pointers borrowed */
    struct n1_store *store;         /* owned */
    struct n1_normalizer *norm;     /* owned */
    struct n1_normalizer *norm2;    /* owned; the reader thread's */
    struct n1_agg *agg;             /* owned; reset after each flush */
    struct n1_agg *kept;            /* owned; the run's classes when they
                                       are kept in memory, else NULL */
    struct pipeline_stats stats;    /* counters of this run */
    int progress;                   /* 1: stderr is a terminal */
    int in_memory;                  /* 1: the store is ":memory:" */
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
    o->flush_memory = PIPELINE_FLUSH_MEMORY;
    o->flush_events = PIPELINE_FLUSH_EVENTS;
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
    /* Nothing downstream reads the "Name: value" pairs beyond the
       metrics: not copying them is a fifth of the reader thread's work. */
    p->opts.reader.no_attrs = 1;
    p->in_memory = strcmp(opts->db_path, ":memory:") == 0;
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

/* Prints progress when stderr is a terminal; bytes: of the current input
   so far. */
static void show_progress(struct pipeline *p, const char *name,
                          uint64_t bytes, int done)
{
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
    mb = (double)(p->bytes_done + bytes) / 1e6;
    fprintf(stderr, "\rn1scan: %s: %.1f MB, %.0f MB/s, %.0f events/s   %s",
            name, mb, mb / elapsed, (double)p->stats.events / elapsed,
            done ? "\n" : "");
    fflush(stderr);
}

static int flush(struct pipeline *p, struct n1_file_progress *fp,
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
static int flush_due(struct pipeline *p, uint64_t since)
{
    const struct pipeline_opts *o = &p->opts;

    if (p->in_memory) {
        return 0;
    }
    if (o->flush_events != 0 && since >= o->flush_events) {
        return 1;
    }
    return since % MEMORY_EVERY == 0 && o->flush_memory != 0 &&
           n1_agg_memory(p->agg) >= o->flush_memory;
}

/* ---- the reader thread ---------------------------------------------- */

static void batch_cleanup(struct batch *b)
{
    free(b->evs);
    free(b->attrs);
    free(b->attr_off);
    free(b->arena);
    free(b->norms);
    free(b->lits);
    free(b->lit_off);
    free(b->tags);
    free(b->tag_off);
    free(b->narena);
    memset(b, 0, sizeof(*b));
}

/*
 * Copies len bytes of s and a NUL to the end of the growable buffer
 * *buf (used bytes *used, allocated *cap; first allocation first_cap).
 * Returns the offset of the copy, or OFF_NOMEM when memory ran out. Both
 * of a batch's arenas grow this way.
 */
static size_t buf_put(char **buf, size_t *used, size_t *cap,
                      size_t first_cap, const char *s, size_t len)
{
    size_t at = *used;

    if (*cap - *used < len + 1) {
        size_t ncap = *cap != 0 ? *cap : first_cap;
        char *na;

        while (ncap - *used < len + 1) {
            ncap *= 2;
        }
        na = realloc(*buf, ncap);
        if (na == NULL) {
            return OFF_NOMEM;
        }
        *buf = na;
        *cap = ncap;
    }
    if (len > 0) {
        memcpy(*buf + at, s, len);
    }
    (*buf)[at + len] = '\0';
    *used += len + 1;
    return at;
}

/* Gives back a buffer that grew past ARENA_KEEP for one large statement. */
static void buf_shrink(char **buf, size_t *cap)
{
    if (*cap > ARENA_KEEP) {
        free(*buf);
        *buf = NULL;
        *cap = 0;
    }
}

/* Copies len bytes of s and a NUL into the arena; returns the offset, or
   OFF_NOMEM when memory ran out. */
static size_t arena_put(struct batch *b, const char *s, size_t len)
{
    return buf_put(&b->arena, &b->len, &b->arena_cap, BATCH_BYTES + 4096, s,
                   len);
}

static size_t arena_str(struct batch *b, const char *s)
{
    return s != NULL ? arena_put(b, s, strlen(s)) : OFF_NULL;
}

/* Appends a copy of *ev to b. Returns 0, or -1 when memory ran out. */
static int batch_add(struct batch *b, const struct n1_event *ev,
                     const struct n1_reader_stats *rs)
{
    struct batch_event *be;

    if (b->n == b->cap) {
        size_t ncap = b->cap != 0 ? b->cap * 2 : BATCH_EVENTS;
        struct batch_event *ne = realloc(b->evs, ncap * sizeof(*ne));

        if (ne == NULL) {
            return -1;
        }
        b->evs = ne;
        b->cap = ncap;
    }
    if (b->attrs_cap - b->n_attrs < ev->n_attrs) {
        size_t ncap = b->attrs_cap != 0 ? b->attrs_cap : 8 * BATCH_EVENTS;
        struct n1_attr *na;
        size_t *no;

        while (ncap - b->n_attrs < ev->n_attrs) {
            ncap *= 2;
        }
        na = realloc(b->attrs, ncap * sizeof(*na));
        if (na == NULL) {
            return -1;
        }
        b->attrs = na;
        no = realloc(b->attr_off, ncap * 2 * sizeof(*no));
        if (no == NULL) {
            return -1;
        }
        b->attr_off = no;
        b->attrs_cap = ncap;
    }
    be = &b->evs[b->n];
    be->ev = *ev;
    be->rs = *rs;
    be->sql = ev->sql != NULL ? arena_put(b, ev->sql, ev->sql_len) : OFF_NULL;
    be->command = arena_str(b, ev->command);
    be->user = arena_str(b, ev->user);
    be->host = arena_str(b, ev->host);
    be->db = arena_str(b, ev->db);
    be->attr0 = b->n_attrs;
    if (be->sql == OFF_NOMEM || be->command == OFF_NOMEM ||
        be->user == OFF_NOMEM || be->host == OFF_NOMEM ||
        be->db == OFF_NOMEM) {
        return -1;
    }
    for (size_t i = 0; i < ev->n_attrs; i++) {
        size_t k = b->n_attrs + i;

        b->attrs[k] = ev->attrs[i];
        b->attr_off[2 * k] = arena_str(b, ev->attrs[i].name);
        b->attr_off[2 * k + 1] = arena_str(b, ev->attrs[i].value);
        if (b->attr_off[2 * k] == OFF_NOMEM ||
            b->attr_off[2 * k + 1] == OFF_NOMEM) {
            return -1;
        }
    }
    b->n_attrs += ev->n_attrs;
    b->n++;
    return 0;
}

/* An arena offset as a pointer. */
static const char *arena_at(const struct batch *b, size_t off)
{
    return off == OFF_NULL ? NULL : b->arena + off;
}

/* Points every copied event at the arena, which no longer moves. */
static void batch_seal(struct batch *b)
{
    for (size_t k = 0; k < b->n_attrs; k++) {
        b->attrs[k].name = arena_at(b, b->attr_off[2 * k]);
        b->attrs[k].value = arena_at(b, b->attr_off[2 * k + 1]);
    }
    for (size_t i = 0; i < b->n; i++) {
        struct batch_event *be = &b->evs[i];

        be->ev.sql = arena_at(b, be->sql);
        be->ev.command = arena_at(b, be->command);
        be->ev.user = arena_at(b, be->user);
        be->ev.host = arena_at(b, be->host);
        be->ev.db = arena_at(b, be->db);
        be->ev.attrs = be->ev.n_attrs > 0 ? &b->attrs[be->attr0] : NULL;
    }
}

/* Fills b from the reader until it is full or the input ends. */
static void batch_fill(struct batch *b, struct n1_reader *r)
{
    struct n1_event ev;

    buf_shrink(&b->arena, &b->arena_cap);
    buf_shrink(&b->narena, &b->ncap);
    b->n_normed = 0;
    b->n_lits = 0;
    b->n_tags = 0;
    b->nlen = 0;
    b->n = 0;
    b->n_attrs = 0;
    b->len = 0;
    b->last = 0;
    b->read_failed = 0;
    b->oom = 0;
    n1_err_clear(&b->err);
    while (b->n < BATCH_EVENTS && b->len < BATCH_BYTES) {
        int got = n1_reader_next(r, &ev, &b->err);

        if (got <= 0) {
            b->last = 1;
            b->read_failed = got < 0;
            break;
        }
        if (batch_add(b, &ev, n1_reader_stats(r)) < 0) {
            b->last = 1;
            b->oom = 1;
            break;
        }
    }
    batch_seal(b);
}

/* Makes room for n more entries of size bytes in *arr (cap in *cap), and
   for as many in the parallel array *off of per entries each. */
static int grow_pair(void **arr, size_t **off, size_t *cap, size_t used,
                     size_t n, size_t size, size_t per)
{
    size_t ncap = *cap != 0 ? *cap : 256;
    void *na;
    size_t *no;

    if (*cap - used >= n) {
        return 0;
    }
    while (ncap - used < n) {
        ncap *= 2;
    }
    na = realloc(*arr, ncap * size);
    if (na == NULL) {
        return -1;
    }
    *arr = na;
    no = realloc(*off, ncap * per * sizeof(*no));
    if (no == NULL) {
        return -1;
    }
    *off = no;
    *cap = ncap;
    return 0;
}

/* Copies len bytes of s and a NUL into the norm arena; returns the
   offset, or OFF_NOMEM. */
static size_t narena_put(struct batch *b, const char *s, size_t len)
{
    return buf_put(&b->narena, &b->nlen, &b->ncap, BATCH_BYTES, s, len);
}

/* Keeps a copy of event i's normal form nm (literals and tags only when
   full). Returns 0, or -1 when memory ran out. */
static int norm_keep(struct batch *b, size_t i, const struct n1_norm *nm,
                     int full)
{
    struct batch_norm *bn = &b->norms[i];

    bn->nm = *nm;
    bn->has = 1;
    bn->lit0 = b->n_lits;
    bn->tag0 = b->n_tags;
    bn->text = narena_put(b, nm->text, nm->len);
    if (bn->text == OFF_NOMEM) {
        return -1;
    }
    if (!full) {
        bn->nm.n_lits = 0;
        bn->nm.n_tags = 0;
        return 0;
    }
    if (grow_pair((void **)&b->lits, &b->lit_off, &b->lits_cap, b->n_lits,
                  nm->n_lits, sizeof(*b->lits), 1) != 0 ||
        grow_pair((void **)&b->tags, &b->tag_off, &b->tags_cap, b->n_tags,
                  nm->n_tags, sizeof(*b->tags), 2) != 0) {
        return -1;
    }
    for (size_t k = 0; k < nm->n_lits; k++) {
        size_t at = narena_put(b, nm->lits[k].value, nm->lits[k].len);

        if (at == OFF_NOMEM) {
            return -1;
        }
        b->lits[b->n_lits] = nm->lits[k];
        b->lit_off[b->n_lits++] = at;
    }
    for (size_t k = 0; k < nm->n_tags; k++) {
        const struct n1_tag *t = &nm->tags[k];
        size_t key = narena_put(b, t->key, strlen(t->key));
        size_t value = narena_put(b, t->value, strlen(t->value));

        if (key == OFF_NOMEM || value == OFF_NOMEM) {
            return -1;
        }
        b->tags[b->n_tags] = *t;
        b->tag_off[2 * b->n_tags] = key;
        b->tag_off[2 * b->n_tags + 1] = value;
        b->n_tags++;
    }
    return 0;
}

/*
 * The reader thread's share of normalising: the normal forms of b's
 * events, from the first, until one fails (bad statement, no memory);
 * the calling thread normalises the rest itself and meets the same
 * failure there. Sets b->n_normed.
 */
static void batch_normalise(struct batch *b, struct n1_normalizer *norm,
                            int full)
{
    struct n1_norm nm;
    size_t i;

    if (b->norms_cap < b->n) {
        struct batch_norm *nn = realloc(b->norms, b->n * sizeof(*nn));

        if (nn == NULL) {
            return;
        }
        b->norms = nn;
        b->norms_cap = b->n;
    }
    for (i = 0; i < b->n; i++) {
        const struct n1_event *ev = &b->evs[i].ev;

        if (!has_sql(ev)) {
            b->norms[i].has = 0;
            continue;
        }
        if (n1_normalize(norm, ev->sql, ev->sql_len, &nm, NULL) != 0 ||
            norm_keep(b, i, &nm, full) != 0) {
            break;
        }
    }
    /* The arena no longer moves: point the copies at it. */
    for (size_t k = 0; k < b->n_lits; k++) {
        b->lits[k].value = b->narena + b->lit_off[k];
    }
    for (size_t k = 0; k < b->n_tags; k++) {
        b->tags[k].key = b->narena + b->tag_off[2 * k];
        b->tags[k].value = b->narena + b->tag_off[2 * k + 1];
    }
    for (size_t k = 0; k < i; k++) {
        struct batch_norm *bn = &b->norms[k];

        if (!bn->has) {
            continue;
        }
        bn->nm.text = b->narena + bn->text;
        bn->nm.lits = bn->nm.n_lits > 0 ? &b->lits[bn->lit0] : NULL;
        bn->nm.tags = bn->nm.n_tags > 0 ? &b->tags[bn->tag0] : NULL;
    }
    b->n_normed = i;
}

/* The newest filled batch nobody has started on, or NULL. The oldest two
   are left to the calling thread, which is about to take them: it would
   only wait for the reader thread to finish one. Called with the mutex
   held. */
static struct batch *batch_to_help(struct feed *f)
{
    for (unsigned k = f->ready; k > 2; k--) {
        struct batch *b = &f->ring[(f->tail + k - 1) % RING_BATCHES];

        if (b->state == BS_READY) {
            return b;
        }
    }
    return NULL;
}

static void *reader_thread(void *arg)
{
    struct feed *f = arg;

    for (;;) {
        struct batch *b = NULL;
        struct batch *h = NULL;

        pthread_mutex_lock(&f->mu);
        for (;;) {
            if (f->stop) {
                break;
            }
            if (!f->filled_last && f->ready < RING_BATCHES) {
                b = &f->ring[f->head];
                break;
            }
            h = batch_to_help(f);
            if (h != NULL) {
                h->state = BS_HELPING;
                break;
            }
            if (f->filled_last) {
                break; /* nothing left to read or to help with */
            }
            pthread_cond_wait(&f->can_fill, &f->mu);
        }
        pthread_mutex_unlock(&f->mu);
        if (b == NULL && h == NULL) {
            break;
        }

        if (h != NULL) {
            batch_normalise(h, f->norm, f->full);
            pthread_mutex_lock(&f->mu);
            h->state = BS_HELPED;
            pthread_cond_signal(&f->helped);
            pthread_mutex_unlock(&f->mu);
            continue;
        }

        batch_fill(b, f->r);

        pthread_mutex_lock(&f->mu);
        b->state = BS_READY;
        f->filled_last = b->last;
        f->head = (f->head + 1) % RING_BATCHES;
        f->ready++;
        pthread_cond_signal(&f->can_take);
        pthread_mutex_unlock(&f->mu);
    }
    return NULL;
}

/* Waits for the next filled batch. */
static struct batch *feed_take(struct feed *f)
{
    struct batch *b;

    pthread_mutex_lock(&f->mu);
    while (f->ready == 0) {
        pthread_cond_wait(&f->can_take, &f->mu);
    }
    b = &f->ring[f->tail];
    while (b->state == BS_HELPING) {
        pthread_cond_wait(&f->helped, &f->mu);
    }
    if (b->state == BS_READY) {
        b->state = BS_TAKEN; /* n_normed stays 0: all ours */
    }
    pthread_mutex_unlock(&f->mu);
    return b;
}

/* Hands the batch feed_take() returned back to the reader thread. */
static void feed_release(struct feed *f)
{
    pthread_mutex_lock(&f->mu);
    f->ring[f->tail].state = BS_FREE;
    f->tail = (f->tail + 1) % RING_BATCHES;
    f->ready--;
    pthread_cond_signal(&f->can_fill);
    pthread_mutex_unlock(&f->mu);
}

/* Stops the reader thread (it finishes the batch it is filling). */
static void feed_stop(struct feed *f)
{
    pthread_mutex_lock(&f->mu);
    f->stop = 1;
    pthread_cond_signal(&f->can_fill);
    pthread_mutex_unlock(&f->mu);
}

/* ---- the caller's thread -------------------------------------------- */

/* Normalises, filters, aggregates and detects one event. */
static int handle_event(struct pipeline *p, const struct n1_event *ev,
                        const struct batch_norm *pre, int slow,
                        struct n1_error *err)
{
    const struct n1_norm *np = NULL;
    struct n1_norm nm;
    int keep;

    p->stats.events++;
    if (pre != NULL) {
        np = pre->has ? &pre->nm : NULL; /* the reader thread's work */
    } else if (has_sql(ev)) {
        if (n1_normalize(p->norm, ev->sql, ev->sql_len, &nm, err) != 0) {
            return -1;
        }
        np = &nm;
    }
    keep = p->opts.accept == NULL || p->opts.accept(p->opts.hook_ud, ev, np);
    if (!keep) {
        /* Dropped before anything counted it; the file offset still moves
           past it. */
        p->stats.filtered++;
        return 0;
    }
    if (np != NULL && is_statement(ev, slow)) {
        const struct n1_norm *key = np;

        if (p->opts.group != NULL) {
            key = p->opts.group(p->opts.hook_ud, ev, np);
        }
        if (key != NULL) {
            if (n1_agg_add(p->agg, ev, key, err) != 0) {
                return -1;
            }
            p->stats.statements++;
        }
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

int pipeline_read(struct pipeline *p, const char *path, struct n1_error *err)
{
    struct n1_reader *r = NULL;
    struct feed *f = NULL;
    struct n1_file_state prev;
    struct n1_file_progress fp;
    struct n1_error rerr;
    const struct n1_file_ident *ident;
    enum n1_file_verdict verdict = N1_FILE_NEW;
    uint64_t since_flush = 0;
    uint64_t base_events = 0;
    uint64_t base_skipped = 0;
    uint64_t bytes = 0;
    pthread_t thread;
    int started = 0;
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

    f = calloc(1, sizeof(*f));
    if (f == NULL) {
        n1_err_set(err, N1_ESYS, path, 0, "out of memory");
        goto out;
    }
    f->r = r;
    f->norm = p->norm2;
    /* Detectors and hooks may read literals and tags; the aggregate only
       needs the text. */
    f->full = p->opts.detectors != NULL || p->opts.accept != NULL ||
              p->opts.group != NULL;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->can_fill, NULL);
    pthread_cond_init(&f->can_take, NULL);
    pthread_cond_init(&f->helped, NULL);
    if (pthread_create(&thread, NULL, reader_thread, f) != 0) {
        n1_err_set(err, N1_ESYS, path, 0, "cannot start the reader thread");
        goto out;
    }
    started = 1;

    for (;;) {
        struct batch *b = feed_take(f);
        int last = b->last;

        for (size_t i = 0; i < b->n; i++) {
            const struct batch_event *be = &b->evs[i];

            const struct batch_norm *pre =
                i < b->n_normed ? &b->norms[i] : NULL;

            if (handle_event(p, &be->ev, pre, slow, err) != 0) {
                goto out;
            }
            fp.offset = be->ev.end_offset;
            bytes = be->rs.bytes;
            since_flush++;
            if (flush_due(p, since_flush)) {
                progress_from(&fp, &be->rs, base_events, base_skipped);
                if (flush(p, &fp, err) != 0) {
                    goto out;
                }
                since_flush = 0;
                show_progress(p, n1_reader_name(r), bytes, 0);
            } else if ((since_flush & 0xffff) == 0) {
                show_progress(p, n1_reader_name(r), bytes, 0);
            }
        }
        if (b->oom) {
            n1_err_set(err, N1_ESYS, path, 0, "out of memory reading events");
            goto out;
        }
        if (b->read_failed) {
            char buf[512];

            /* A read error ends this input, not the run. */
            fprintf(stderr, "n1scan: %s\n",
                    n1_err_format(&b->err, buf, sizeof(buf)));
            p->stats.not_logs++;
        }
        feed_release(f);
        if (last) {
            break;
        }
    }
    pthread_join(thread, NULL);
    started = 0;
    {
        const struct n1_reader_stats *rs = n1_reader_stats(r);

        fp.complete = 1;
        fp.offset = rs->bytes;
        progress_from(&fp, rs, base_events, base_skipped);
        p->stats.skipped_lines += rs->skipped_lines;
        p->stats.skipped_events += rs->skipped_events;
        if (flush(p, &fp, err) != 0) {
            goto out;
        }
        show_progress(p, n1_reader_name(r), rs->bytes, 1);
        p->bytes_done += rs->bytes;
    }
    rc = 0;

out:
    if (f != NULL) {
        if (started) {
            feed_stop(f);
            pthread_join(thread, NULL);
        }
        for (unsigned i = 0; i < RING_BATCHES; i++) {
            batch_cleanup(&f->ring[i]);
        }
        pthread_cond_destroy(&f->helped);
        pthread_cond_destroy(&f->can_take);
        pthread_cond_destroy(&f->can_fill);
        pthread_mutex_destroy(&f->mu);
        free(f);
    }
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
    if (n1_agg_size(p->agg) > 0 && flush(p, NULL, err) != 0) {
        return -1;
    }
    return 0;
}

const struct n1_agg *pipeline_classes(const struct pipeline *p)
{
    return p->kept;
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
    n1_agg_free(p->kept);
    n1_normalizer_free(p->norm);
    n1_normalizer_free(p->norm2);
    n1_store_close(p->store);
    free(p);
}
