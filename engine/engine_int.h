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

/* Bytes of the text buffer n1_engine_admin_norm() fills for a general
   log: "administrator command: " and the longest command word. */
#define N1_ENGINE_ADMIN_MAX 64

/*
 * An administrator command: a slow log's "# administrator command: X"
 * entry (Quit, Ping, Init DB, ...), or a general log's command other
 * than Query and Execute (Connect, Quit, Init DB, Prepare, Close stmt,
 * Statistics, Change user, ...). Fills *out with a class of its own whose
 * fingerprint text is "administrator command: X", not normalised, and
 * returns 1; returns 0 for every other event. For a slow log X is the
 * command as the log wrote it and *out borrows ev's text; for a general
 * log X is the first word of the command ("Close" for "Close stmt", as
 * pt-query-digest --type genlog names it) and *out borrows buf, which
 * the caller keeps while it uses *out. Only the statistics count it: the
 * detectors never see it as a statement.
 */
int n1_engine_admin_norm(const struct n1_event *ev, int slow,
                         struct n1_norm *out, char buf[N1_ENGINE_ADMIN_MAX]);

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
