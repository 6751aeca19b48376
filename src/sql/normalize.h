/* SPDX-License-Identifier: MIT */
/*
 * normalize.h: SQL text -> fingerprint text, fingerprint id and literals.
 *
 * A normaliser holds the PCRE2 patterns (compiled once, JIT) and reusable
 * scratch space. n1_normalize() turns one statement into its canonical
 * form: literals become ?, comments go, whitespace and keyword case are
 * made uniform, IN lists and multi-row VALUES collapse. It also returns
 * each literal's unescaped value, type and slot (which ? it became), and
 * the tags of sqlcommenter, Rails query-log and Marginalia comments, which
 * are left out of the fingerprint.
 *
 * A normaliser is not thread-safe; use one per thread.
 */
#ifndef N1_NORMALIZE_H
#define N1_NORMALIZE_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/*
 * Version of the normalisation rules. Bump it whenever a change could give
 * a statement a different fingerprint text; it seeds the id hash and is
 * stored with the data, so ids of different versions never mix.
 */
#define N1_FINGERPRINT_VERSION 3

/*
 * Most literals one statement returns. Past it the text still gets its ?s
 * but values are not kept, so a 16 MiB bulk INSERT costs megabytes, not
 * hundreds of them. n1_norm.n_lits_dropped counts what was left out.
 */
#define N1_NORM_MAX_LITERALS 65536

enum n1_lit_type {
    N1_LIT_STRING = 0, /* '...' or "..." (also N'..', _cs'..') */
    N1_LIT_NUMBER,     /* 42, -1.5, 2E-3 */
    N1_LIT_HEX,        /* 0xDEAD, X'DEAD' (value keeps the hex digits) */
    N1_LIT_BIT,        /* b'101', 0b101 (value keeps the binary digits) */
    N1_LIT_NULL,       /* NULL */
    N1_LIT_BOOL        /* TRUE / FALSE (value "1" / "0") */
};

struct n1_literal {
    enum n1_lit_type type; /* kind of literal */
    const char *value;     /* unescaped value, NUL-terminated; borrowed */
    size_t len;            /* bytes in value (strings may hold NUL) */
    unsigned slot;         /* index of the ? it became, 0-based */
    unsigned item;         /* position inside a collapsed list/VALUES, else 0 */
    size_t pos;            /* byte offset of that ? in the fingerprint text */
    uint64_t hash;         /* n1_literal_hash() of type and value */
};

struct n1_tag {
    const char *key;   /* tag key, unescaped; borrowed */
    const char *value; /* tag value, unescaped; borrowed */
};

struct n1_norm {
    const char *text;              /* fingerprint text; borrowed */
    size_t len;                    /* bytes in text */
    uint64_t id;                   /* 64-bit fingerprint id */
    char hex[17];                  /* id as 16 lower-case hex digits */
    unsigned n_slots;              /* number of ? in text */
    const struct n1_literal *lits; /* literals in statement order */
    size_t n_lits;                 /* entries in lits */
    size_t n_lits_dropped;         /* literals past N1_NORM_MAX_LITERALS:
                                      in text as ?, not in lits */
    const struct n1_tag *tags;     /* comment tags, in order */
    size_t n_tags;                 /* entries in tags */
};

struct n1_normalizer;

/*
 * Compiles the patterns. Returns a normaliser the caller frees with
 * n1_normalizer_free(), or NULL with err set.
 */
struct n1_normalizer *n1_normalizer_new(struct n1_error *err);

/*
 * The hash of a literal of this type and value, as n1_normalize() sets
 * it in each n1_literal: equal values of one type hash equal, in every
 * normaliser and thread, so that detectors compare keys without hashing
 * the bytes again. Not stored: it may change between versions.
 */
uint64_t n1_literal_hash(enum n1_lit_type type, const char *value, size_t len);

/*
 * Turns the C reading of plain tokens (words, numbers, common operators,
 * quoted strings and `names`) on (on != 0, the default) or off, so that the
 * PCRE2 pattern reads every token. The output is the same either way: the
 * pattern defines the tokens, and the C reading only takes those it would
 * return unchanged. For tests that compare the two.
 */
void n1_normalizer_fast_path(struct n1_normalizer *n, int on);

/* Frees a normaliser. NULL allowed. */
void n1_normalizer_free(struct n1_normalizer *n);

/*
 * Normalises len bytes of sql into *out. Returns 0, or -1 with err set
 * (only for resource limits; odd SQL still normalises). Everything *out
 * points to is borrowed from n and valid until the next call on n.
 */
int n1_normalize(struct n1_normalizer *n, const char *sql, size_t len,
                 struct n1_norm *out, struct n1_error *err);

/*
 * Writes the source location that norm's tags name into buf (at most cap
 * bytes, NUL included, truncated like snprintf(); buf may be NULL when cap
 * is 0): "file:line" from sqlcommenter's file and line (or lineno) tags,
 * "file" alone without a line, else the Rails source_location tag, else a
 * Marginalia line tag that names a file ("app/models/user.rb:12:in `f'"
 * gives "app/models/user.rb:12"). A line tag that is only a number names
 * no file. Returns the length of the whole location, or 0 when the tags
 * name none.
 */
size_t n1_norm_location(const struct n1_norm *norm, char *buf, size_t cap);

#endif /* N1_NORMALIZE_H */
