/* SPDX-License-Identifier: MIT */
/*
 * json_int.h: the JSON building blocks every jansson-based report of
 * report/ shares (findings, check, SARIF, baseline). Not public.
 *
 * Building a document is a run of n1_rj_put()/n1_rj_push() calls that
 * remember any failure in one flag; the document is then written, or
 * the failure reported, by n1_rj_write() in one place. Strings from logs
 * are untrusted: they are repaired to UTF-8 before jansson sees them.
 */
#ifndef N1_REPORT_JSON_INT_H
#define N1_REPORT_JSON_INT_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "base/error.h"

/*
 * A JSON string of s, each byte that is not UTF-8 replaced by U+FFFD;
 * json null when s is NULL. Returns a new reference, or NULL when memory
 * ran out.
 */
json_t *n1_rj_str(const char *s);

/* As n1_rj_str(), but the empty string when s is NULL. */
json_t *n1_rj_str0(const char *s);

/* A JSON string of v as 16 lower-case hex digits; NULL when out of memory. */
json_t *n1_rj_hex(uint64_t v);

/*
 * Sets o[key] = v, taking the reference to v in every case (jansson
 * releases it when the set fails). A NULL v, a NULL o or a failed set
 * sets *bad to 1; *bad is never cleared.
 */
void n1_rj_put(json_t *o, const char *key, json_t *v, int *bad);

/* Appends v to the array a, as n1_rj_put() does for objects. */
void n1_rj_push(json_t *a, json_t *v, int *bad);

/*
 * Ends a document named what (e.g. "the SARIF log"). When bad is set,
 * reports out of memory in err; otherwise writes root to out indented by
 * two, members in insertion order, then a newline, and flushes out; a
 * failed write is reported as "writing <what>: output failed". Returns
 * 0, or -1 with err set. Does not release root (NULL allowed only when
 * bad is set).
 */
int n1_rj_write(const json_t *root, FILE *out, int bad, const char *what,
                struct n1_error *err);

/*
 * The text json_dumps(root, flags) returns, byte for byte, without its
 * per-call cost (jansson keeps a hash of the containers being written to
 * catch cycles, and formats a key for each): for flags made of
 * JSON_COMPACT, JSON_INDENT(n), JSON_REAL_PRECISION(p) and
 * JSON_PRESERVE_ORDER, on an object or array root. Other flags go to
 * json_dumps() itself. Returns a string to free(), or NULL when memory
 * ran out or the tree holds what json_dumps() refuses (a string that is
 * not UTF-8).
 */
char *n1_rj_dumps(const json_t *root, size_t flags);

#endif /* N1_REPORT_JSON_INT_H */
