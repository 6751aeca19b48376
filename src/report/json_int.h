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
#include <string.h>

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

/* ---- writing JSON text directly ---------------------------------------- */

/*
 * Text being written, for what writes JSON without a jansson tree (a
 * finding's stored texts). Start from all zeros; p is NULL until the
 * first byte and is the caller's to free(). Once memory ran out, oom is
 * set and every later write is dropped.
 */
struct n1_rj_buf {
    char *p;    /* the bytes, with room for a NUL after them */
    size_t len; /* bytes written */
    size_t cap; /* bytes allocated */
    int oom;    /* 1: memory ran out */
};

/* Makes room for n more bytes and the NUL: 0, or -1 with oom set. */
int n1_rj_buf_grow(struct n1_rj_buf *b, size_t n);

/* Appends the n bytes at s (dropped when memory runs out). */
static inline void n1_rj_buf_add(struct n1_rj_buf *b, const void *s, size_t n)
{
    if (b->len + n + 1 > b->cap && n1_rj_buf_grow(b, n) < 0) {
        return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

/*
 * Appends len bytes of str as a JSON string, quoted and escaped as
 * json_dumps() does. A byte that does not start valid UTF-8 is written as
 * U+FFFD when repair is set, as n1_json_text() repairs it. Returns 0, or
 * -1 without repair for text that is not UTF-8 (json_dumps() refuses it),
 * b then holding a partial write.
 */
int n1_rj_buf_str(struct n1_rj_buf *b, const char *str, size_t len, int repair);

/*
 * Appends a finite real as json_dumps() writes it with
 * JSON_REAL_PRECISION(prec): %.*g (17 digits for prec 0), ".0" when that
 * reads as an integer, no '+' or leading zeros in the exponent.
 */
void n1_rj_buf_real(struct n1_rj_buf *b, double v, int prec);

/* Appends a line break and n spaces, as indented JSON breaks lines. */
void n1_rj_buf_break(struct n1_rj_buf *b, size_t n);

/* Appends an integer in decimal, as json_dumps() writes it. */
void n1_rj_buf_int(struct n1_rj_buf *b, json_int_t v);

#endif /* N1_REPORT_JSON_INT_H */
