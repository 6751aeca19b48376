/* SPDX-License-Identifier: MIT */
/*
 * feed.c: the feed thread and its ring of batches (see feed.h).
 *
 * The ring holds RING_BATCHES batches. A batch holds at most
 * BATCH_EVENTS events or a little more than BATCH_BYTES of text (one
 * event larger than that gets a batch of its own). Its strings live in
 * an arena; while the batch is filled they are offsets (the arena may
 * move), and the events' pointers are set when it is sealed.
 *
 * Normalising is most of the work downstream, so the feed thread helps
 * with it: once FILL_AHEAD batches wait for the caller (or the ring is
 * full) it takes the newest batch nobody has started, normalises its
 * statements with the helper normaliser and keeps the results (text,
 * literals, tags) in the batch. The caller uses them when it comes to
 * that batch, waiting if the feed thread is still at it, and normalises
 * every other batch itself: it normalises only when it would otherwise
 * run dry, so on a file read as fast as the disk allows both threads
 * stay busy. The results are the ones a single normaliser gives, so
 * nothing downstream can tell.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine_int.h"
#include "engine/feed.h"

/* Batches in flight between the feed thread and the caller's thread. */
#define RING_BATCHES 8

/* Batches the feed thread keeps waiting for the caller before it
   normalises any (see feed_thread()). */
#define FILL_AHEAD 3u

/* A batch is handed over when it holds this many events ... */
#define BATCH_EVENTS 1024u

/* ... or this many bytes of strings. */
#define BATCH_BYTES (256u << 10)

/* An arena that grew past this for one large statement is given back
   before the batch is filled again, so the batches in the ring stay
   small. */
#define ARENA_KEEP (4 * BATCH_BYTES)

/* Arena "offsets" that are not offsets: a NULL string, and a failed
   copy. */
#define OFF_NULL  ((size_t)-2)
#define OFF_NOMEM ((size_t)-1)

/* A batch's state between the two threads (guarded by the feed's
   mutex). */
enum batch_state {
    BS_FREE = 0, /* being filled, or not yet filled */
    BS_READY,    /* filled, nobody normalising it */
    BS_HELPING,  /* the feed thread is normalising it */
    BS_HELPED,   /* normalised by the feed thread: see norms */
    BS_TAKEN     /* the calling thread normalises it itself */
};

/* An event's normal form computed by the feed thread. While the batch
   is normalised its strings are offsets into the batch's norm arena; the
   pointers are set at the end. */
struct batch_norm {
    struct n1_norm nm; /* pointers valid once the batch is HELPED */
    int has;           /* 1: the event has SQL and nm is its normal form */
    size_t text;       /* arena offset of the text */
    size_t lit0;       /* its first entry in the batch's lits */
    size_t tag0;       /* its first entry in the batch's tags */
};

/* One event copied out of the source. */
struct batch_event {
    struct n1_event ev;        /* pointers valid once sealed */
    struct n1_reader_stats rs; /* source counters just after this event */
    unsigned aux;              /* the source's value for it */
    size_t sql;                /* arena offsets of the strings */
    size_t command;
    size_t user;
    size_t host;
    size_t db;
    size_t attr0; /* its first entry in the batch's attrs */
};

struct n1_feed_batch {
    struct batch_event *evs;  /* events in log order */
    size_t n;                 /* events used */
    size_t cap;               /* events allocated */
    struct n1_attr *attrs;    /* every event's attributes, in order */
    size_t *attr_off;         /* arena offsets: name, value per attr */
    size_t n_attrs;           /* attrs used */
    size_t attrs_cap;         /* attrs allocated */
    char *arena;              /* the strings, each NUL-terminated */
    size_t len;               /* arena bytes used */
    size_t arena_cap;         /* arena bytes allocated */
    enum n1_feed_end end;     /* why the batch ended */
    struct n1_error err;      /* the read error with N1_FEED_END_FAILED */
    struct n1_strbuf extra;   /* what the source attached */
    enum batch_state state;   /* see enum batch_state */
    struct batch_norm *norms; /* normal forms of the first n_normed */
    size_t norms_cap;         /* entries allocated in norms */
    size_t n_normed;          /* events the feed thread normalised */
    struct n1_literal *lits;  /* their literals, in order */
    size_t *lit_off;          /* norm arena offset of each literal value */
    size_t n_lits;            /* lits used */
    size_t lits_cap;          /* lits allocated */
    struct n1_tag *tags;      /* their tags, in order */
    size_t *tag_off;          /* norm arena offsets: key, value per tag */
    size_t n_tags;            /* tags used */
    size_t tags_cap;          /* tags allocated */
    char *narena;             /* texts, literal values and tags */
    size_t nlen;              /* narena bytes used */
    size_t ncap;              /* narena bytes allocated */
};

/* The ring between the two threads; the mutex guards the indexes and
   the flags. */
struct n1_feed {
    struct n1_feed_source src;  /* used by the feed thread only */
    struct n1_normalizer *norm; /* the feed thread's normaliser */
    int full;                   /* 1: keep literals and tags too */
    int filled_last;            /* the last batch has been filled */
    int idle;                   /* the source had nothing more when
                                   the newest batch was handed over */
    struct n1_feed_batch ring[RING_BATCHES]; /* filled and taken in turn */
    unsigned head;                           /* next batch to fill */
    unsigned tail;                           /* next batch to take */
    unsigned ready;                          /* batches filled, not yet taken */
    int stop;                                /* the taker gave up */
    int started;                             /* the thread runs */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t can_fill; /* signalled when a batch is freed */
    pthread_cond_t can_take; /* signalled when one is filled */
    pthread_cond_t helped;   /* signalled when one is normalised */
};

/* ---- batches ---------------------------------------------------------- */

static void batch_cleanup(struct n1_feed_batch *b)
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
    n1_strbuf_cleanup(&b->extra);
    memset(b, 0, sizeof(*b));
}

/*
 * Copies len bytes of s and a NUL to the end of the growable buffer
 * *buf (used bytes *used, allocated *cap; first allocation first_cap).
 * Returns the offset of the copy, or OFF_NOMEM when memory ran out. Both
 * of a batch's arenas grow this way.
 */
static size_t buf_put(char **buf, size_t *used, size_t *cap, size_t first_cap,
                      const char *s, size_t len)
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
static size_t arena_put(struct n1_feed_batch *b, const char *s, size_t len)
{
    return buf_put(&b->arena, &b->len, &b->arena_cap, BATCH_BYTES + 4096, s,
                   len);
}

static size_t arena_str(struct n1_feed_batch *b, const char *s)
{
    return s != NULL ? arena_put(b, s, strlen(s)) : OFF_NULL;
}

/* Appends a copy of *ev to b. Returns 0, or -1 when memory ran out. */
static int batch_add(struct n1_feed_batch *b, const struct n1_event *ev,
                     const struct n1_reader_stats *rs, unsigned aux)
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
    be->aux = aux;
    be->sql = ev->sql != NULL ? arena_put(b, ev->sql, ev->sql_len) : OFF_NULL;
    be->command = arena_str(b, ev->command);
    be->user = arena_str(b, ev->user);
    be->host = arena_str(b, ev->host);
    be->db = arena_str(b, ev->db);
    be->attr0 = b->n_attrs;
    if (be->sql == OFF_NOMEM || be->command == OFF_NOMEM ||
        be->user == OFF_NOMEM || be->host == OFF_NOMEM || be->db == OFF_NOMEM) {
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
static const char *arena_at(const struct n1_feed_batch *b, size_t off)
{
    return off == OFF_NULL ? NULL : b->arena + off;
}

/* Points every copied event at the arena, which no longer moves. */
static void batch_seal(struct n1_feed_batch *b)
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

/* Fills b from the source until it is full or the source stops it;
   sets b->end. */
static void batch_fill(struct n1_feed_batch *b,
                       const struct n1_feed_source *src)
{
    struct n1_reader_stats rs;
    struct n1_event ev;
    unsigned aux;

    buf_shrink(&b->arena, &b->arena_cap);
    buf_shrink(&b->narena, &b->ncap);
    b->n_normed = 0;
    b->n_lits = 0;
    b->n_tags = 0;
    b->nlen = 0;
    b->n = 0;
    b->n_attrs = 0;
    b->len = 0;
    b->end = N1_FEED_END_FULL;
    n1_strbuf_reset(&b->extra);
    n1_err_clear(&b->err);
    while (b->n < BATCH_EVENTS && b->len < BATCH_BYTES) {
        int got;

        memset(&rs, 0, sizeof(rs));
        aux = 0;
        got = src->next(src->ud, &ev, &rs, &aux, &b->err);
        if (got == N1_FEED_GOT_EVENT) {
            if (batch_add(b, &ev, &rs, aux) < 0) {
                b->end = N1_FEED_END_NOMEM;
                break;
            }
            continue;
        }
        b->end = got == N1_FEED_GOT_NONE    ? N1_FEED_END_NONE
                 : got == N1_FEED_GOT_BREAK ? N1_FEED_END_BREAK
                 : got == N1_FEED_GOT_END   ? N1_FEED_END_LAST
                                            : N1_FEED_END_FAILED;
        break;
    }
    if (src->seal != NULL && b->end != N1_FEED_END_NOMEM &&
        src->seal(src->ud, b->end, b->n, &b->extra) != 0) {
        b->end = N1_FEED_END_NOMEM;
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
static size_t narena_put(struct n1_feed_batch *b, const char *s, size_t len)
{
    return buf_put(&b->narena, &b->nlen, &b->ncap, BATCH_BYTES, s, len);
}

/* Keeps a copy of event i's normal form nm (literals and tags only when
   full). Returns 0, or -1 when memory ran out. */
static int norm_keep(struct n1_feed_batch *b, size_t i,
                     const struct n1_norm *nm, int full)
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
static void batch_normalise(struct n1_feed_batch *b, struct n1_normalizer *norm,
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

        if (!n1_engine_has_sql(ev)) {
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
   only wait for the feed thread to finish one. Called with the mutex
   held. */
static struct n1_feed_batch *batch_to_help(struct n1_feed *f)
{
    if (f->norm == NULL) {
        return NULL;
    }
    for (unsigned k = f->ready; k > 2; k--) {
        struct n1_feed_batch *b = &f->ring[(f->tail + k - 1) % RING_BATCHES];

        if (b->state == BS_READY) {
            return b;
        }
    }
    return NULL;
}

/* 1 when a batch that ended so ends the input. */
static int is_last(enum n1_feed_end end)
{
    return end == N1_FEED_END_LAST || end == N1_FEED_END_FAILED ||
           end == N1_FEED_END_NOMEM;
}

/* ---- the feed thread ------------------------------------------------ */

static void *feed_thread(void *arg)
{
    struct n1_feed *f = arg;

    for (;;) {
        struct n1_feed_batch *b = NULL;
        struct n1_feed_batch *h = NULL;
        int none;

        pthread_mutex_lock(&f->mu);
        for (;;) {
            if (f->stop) {
                break;
            }
            /* Read ahead until the caller has FILL_AHEAD batches
               waiting, then normalise before reading on: the caller
               normalises only what it would otherwise wait for. */
            h = f->ready >= FILL_AHEAD ? batch_to_help(f) : NULL;
            if (h != NULL) {
                h->state = BS_HELPING;
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

        batch_fill(b, &f->src);
        none = b->end == N1_FEED_END_NONE;

        pthread_mutex_lock(&f->mu);
        if (!none || b->n > 0 || b->extra.len > 0) {
            b->state = BS_READY;
            f->filled_last = is_last(b->end);
            f->head = (f->head + 1) % RING_BATCHES;
            f->ready++;
        }
        /* An empty batch is not handed over; it is filled again. */
        f->idle = none || f->filled_last;
        pthread_cond_signal(&f->can_take);
        pthread_mutex_unlock(&f->mu);
        if (none && f->src.wait != NULL) {
            f->src.wait(f->src.ud);
        }
    }
    return NULL;
}

/* ---- the caller's side ---------------------------------------------- */

struct n1_feed *n1_feed_start(const struct n1_feed_source *src,
                              struct n1_normalizer *helper, int full,
                              struct n1_error *err)
{
    struct n1_feed *f = calloc(1, sizeof(*f));
    pthread_condattr_t ca;

    if (f == NULL) {
        n1_err_oom(err, "starting the reader thread");
        return NULL;
    }
    f->src = *src;
    f->norm = helper;
    f->full = full;
    for (unsigned i = 0; i < RING_BATCHES; i++) {
        n1_strbuf_init(&f->ring[i].extra, 0);
    }
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->can_fill, NULL);
    /* Timed waits for a batch run on the monotonic clock, so that
       setting the system time cannot stretch them. */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&f->can_take, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&f->helped, NULL);
    if (pthread_create(&f->thread, NULL, feed_thread, f) != 0) {
        n1_err_set(err, N1_ESYS, NULL, 0, "cannot start the reader thread");
        n1_feed_free(f);
        return NULL;
    }
    f->started = 1;
    return f;
}

/* The CLOCK_MONOTONIC time timeout_ms from now. */
static struct timespec deadline(int timeout_ms)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

struct n1_feed_batch *n1_feed_take(struct n1_feed *f, int timeout_ms, int *idle)
{
    struct timespec until;
    struct n1_feed_batch *b;

    if (timeout_ms >= 0) {
        until = deadline(timeout_ms);
    }
    pthread_mutex_lock(&f->mu);
    while (f->ready == 0) {
        int rc;

        if (f->filled_last || timeout_ms == 0) {
            rc = ETIMEDOUT;
        } else if (timeout_ms < 0) {
            rc = pthread_cond_wait(&f->can_take, &f->mu);
        } else {
            rc = pthread_cond_timedwait(&f->can_take, &f->mu, &until);
        }
        if (rc == ETIMEDOUT && f->ready == 0) {
            if (idle != NULL) {
                *idle = f->idle;
            }
            pthread_mutex_unlock(&f->mu);
            return NULL;
        }
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

void n1_feed_release(struct n1_feed *f)
{
    pthread_mutex_lock(&f->mu);
    f->ring[f->tail].state = BS_FREE;
    f->tail = (f->tail + 1) % RING_BATCHES;
    f->ready--;
    pthread_cond_signal(&f->can_fill);
    pthread_mutex_unlock(&f->mu);
}

void n1_feed_free(struct n1_feed *f)
{
    if (f == NULL) {
        return;
    }
    if (f->started) {
        /* The thread finishes the batch it is filling, or its wait. */
        pthread_mutex_lock(&f->mu);
        f->stop = 1;
        pthread_cond_signal(&f->can_fill);
        pthread_mutex_unlock(&f->mu);
        pthread_join(f->thread, NULL);
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

size_t n1_feed_batch_len(const struct n1_feed_batch *b)
{
    return b->n;
}

const struct n1_event *n1_feed_batch_event(const struct n1_feed_batch *b,
                                           size_t i,
                                           const struct n1_reader_stats **rs,
                                           unsigned *aux)
{
    const struct batch_event *be = &b->evs[i];

    if (rs != NULL) {
        *rs = &be->rs;
    }
    if (aux != NULL) {
        *aux = be->aux;
    }
    return &be->ev;
}

int n1_feed_batch_norm(const struct n1_feed_batch *b, size_t i,
                       const struct n1_norm **nm)
{
    if (i >= b->n_normed) {
        return 0;
    }
    *nm = b->norms[i].has ? &b->norms[i].nm : NULL;
    return 1;
}

enum n1_feed_end n1_feed_batch_end(const struct n1_feed_batch *b,
                                   struct n1_error *err)
{
    if (b->end == N1_FEED_END_FAILED && err != NULL) {
        *err = b->err;
    }
    return b->end;
}

const struct n1_strbuf *n1_feed_batch_extra(const struct n1_feed_batch *b)
{
    return &b->extra;
}
