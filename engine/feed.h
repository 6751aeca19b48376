/* SPDX-License-Identifier: MIT */
/*
 * feed.h: a thread that reads events ahead of the one that uses them.
 *
 * A feed runs a source (a reader over one file, a follower over a live
 * log) on a thread of its own. That thread copies each event, strings and
 * all, into a ring of batches; the calling thread takes the batches in
 * order and does the rest (normalising, statistics, detectors), so
 * everything downstream sees the events in log order on one thread. When
 * the ring is full the feed thread helps with the normalising: it takes
 * the newest batch nobody has started and keeps the normal forms in it.
 * Each event carries the source's counters as they were just after it,
 * so the caller can record offsets and line numbers exactly as a
 * single-threaded loop would.
 *
 * A batch ends when it is full, when the input ends, when the source has
 * nothing more for now (a live log the server has not written to yet) or
 * when the source asks for a break (a live log switched to a new file).
 * The source may attach data to a batch as it closes it (a reader
 * snapshot, the new file's identity), read by the caller after the
 * batch's events.
 */
#ifndef N1_FEED_H
#define N1_FEED_H

#include <stddef.h>

#include "base/error.h"
#include "base/event.h"
#include "base/strbuf.h"
#include "read/reader.h"
#include "sql/normalize.h"

/* What a source's next() returns besides -1 (a read error, in err: the
   input is over). */
enum n1_feed_got {
    N1_FEED_GOT_END = 0,   /* the input is over */
    N1_FEED_GOT_EVENT = 1, /* an event */
    N1_FEED_GOT_NONE = 2,  /* nothing now; more may come (then wait()) */
    N1_FEED_GOT_BREAK = 3  /* end the batch here; go on after it */
};

/* Why a batch ended. */
enum n1_feed_end {
    N1_FEED_END_FULL = 0, /* it holds as much as a batch does */
    N1_FEED_END_NONE,     /* the source had nothing more for now */
    N1_FEED_END_BREAK,    /* the source asked for a break */
    N1_FEED_END_LAST,     /* the input is over */
    N1_FEED_END_FAILED,   /* ... because of a read error */
    N1_FEED_END_NOMEM     /* ... because copying ran out of memory */
};

struct n1_feed_source {
    /*
     * Feed thread: the next event in *ev (strings valid until the next
     * call), the source's counters just after it in *rs, and a value of
     * the source's own in *aux (the file's flavour, say). Returns an enum
     * n1_feed_got, or -1 with err set.
     */
    int (*next)(void *ud, struct n1_event *ev, struct n1_reader_stats *rs,
                unsigned *aux, struct n1_error *err);
    /*
     * Feed thread, may be NULL: a batch of n events closes, having ended
     * for why; what the source appends to extra (empty on entry) goes to
     * the caller with it. Returns 0, or -1 when memory ran out.
     */
    int (*seal)(void *ud, enum n1_feed_end why, size_t n,
                struct n1_strbuf *extra);
    /* Feed thread, may be NULL: next() had nothing; wait a little for
       more (the batch so far is already handed over). */
    void (*wait)(void *ud);
    void *ud;
};

struct n1_feed;
struct n1_feed_batch;

/*
 * Starts the feed thread on src. helper (borrowed, used by that thread
 * only) normalises batches when the ring is full; NULL: it never helps.
 * With full, the helper keeps literals and tags too, else the text
 * only. Returns the feed, or NULL with err set.
 */
struct n1_feed *n1_feed_start(const struct n1_feed_source *src,
                              struct n1_normalizer *helper, int full,
                              struct n1_error *err);

/*
 * The next batch, waiting up to timeout_ms for it (< 0: as long as it
 * takes). Returns NULL when none came in time; then *idle (may be NULL)
 * is 1 when the source had nothing more either, or the input is over.
 * The batch is the caller's until n1_feed_release().
 */
struct n1_feed_batch *n1_feed_take(struct n1_feed *f, int timeout_ms,
                                   int *idle);

/* Hands the batch n1_feed_take() returned back to the feed thread. */
void n1_feed_release(struct n1_feed *f);

/* Stops the feed thread (batches not taken are dropped) and frees the
   feed. NULL allowed. */
void n1_feed_free(struct n1_feed *f);

/* Events in the batch. */
size_t n1_feed_batch_len(const struct n1_feed_batch *b);

/*
 * Event i of the batch, with the source's counters just after it in *rs
 * and its aux value in *aux (either may be NULL). Borrowed until
 * n1_feed_release().
 */
const struct n1_event *n1_feed_batch_event(const struct n1_feed_batch *b,
                                           size_t i,
                                           const struct n1_reader_stats **rs,
                                           unsigned *aux);

/*
 * Event i's normal form when the feed thread computed it: returns 1 with
 * *nm set (NULL: the event has no SQL), or 0 when the caller normalises
 * it itself. Borrowed until n1_feed_release().
 */
int n1_feed_batch_norm(const struct n1_feed_batch *b, size_t i,
                       const struct n1_norm **nm);

/* Why the batch ended; with N1_FEED_END_FAILED, err (may be NULL) gets the
   read error. */
enum n1_feed_end n1_feed_batch_end(const struct n1_feed_batch *b,
                                   struct n1_error *err);

/* What the source attached as it closed the batch (often empty). */
const struct n1_strbuf *n1_feed_batch_extra(const struct n1_feed_batch *b);

#endif /* N1_FEED_H */
