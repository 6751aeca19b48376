/* SPDX-License-Identifier: MIT */
/*
 * engine_int.h: what the engine's reading loops (pipeline.c, feed.c,
 * tail_read.c) share about events. Included only inside engine/.
 */
#ifndef N1_ENGINE_INT_H
#define N1_ENGINE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "base/event.h"

/* 1 when the normaliser should see the event: what the server ran, and
   Prepare text too, which the detectors want. */
int n1_engine_has_sql(const struct n1_event *ev);

/* 1 when an event with SQL counts in the statistics: what the server
   ran (every event of a slow log). */
int n1_engine_is_statement(const struct n1_event *ev, int slow);

struct n1_norm;

/*
 * A slow log's "# administrator command: X" entry (Quit, Ping, Init DB,
 * ...): fills *out with a class of its own whose fingerprint text is the
 * command as the log wrote it ("administrator command: Quit", as
 * pt-query-digest shows it), not normalised, and returns 1; returns 0
 * for every other event. *out borrows ev's text. Only the statistics
 * count it: the detectors never see it as a statement.
 */
int n1_engine_admin_norm(const struct n1_event *ev, int slow,
                         struct n1_norm *out);

struct n1_finding;
struct n1_store_finding;

/* Fills the store row r for finding f and its JSON rendering json, which
   r borrows (as it borrows f's strings). */
void n1_engine_finding_row(struct n1_store_finding *r,
                           const struct n1_finding *f, const char *json);

/* Pairs of 64-bit words, such as (connection, stream offset) or
   (thread, event mark), grown on demand. Zero-initialise; free v. */
struct n1_pairs {
    uint64_t *v; /* 2 * n words */
    size_t n;    /* pairs used */
    size_t cap;  /* pairs allocated */
    int oom;     /* a push found no memory (the pair is lost) */
};

/* Appends (a, b) to the struct n1_pairs at ud; sets its oom when memory
   ran out. Fits the detectors' and the server source's callbacks. */
void n1_pairs_push(void *ud, uint64_t a, uint64_t b);

#endif /* N1_ENGINE_INT_H */
