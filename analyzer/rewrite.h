/* SPDX-License-Identifier: MIT */
/*
 * rewrite.h: the batched statement that replaces a loop.
 *
 * Given the shape of the repeated statement and the literal values of the
 * executions that were kept, n1_rewrite_build() works out which slots are
 * the loop's keys, picks the batched form that fits (IN list, row IN,
 * GROUP BY, multi-row INSERT, CASE update) and prints it as SQL a
 * developer can paste: constants restored from the first execution, keys
 * listed from all executions (up to a cap), literals re-quoted.
 */
#ifndef N1_REWRITE_H
#define N1_REWRITE_H

#include <stddef.h>
#include <stdint.h>

#include "analyzer/shape.h"
#include "base/error.h"
#include "base/finding.h"
#include "base/strbuf.h"
#include "sql/normalize.h"

/* One literal of one execution. */
struct n1_rw_lit {
    enum n1_lit_type type; /* as the normaliser typed it */
    unsigned slot;         /* which ? of the fingerprint */
    unsigned item;         /* position inside a collapsed list */
    size_t len;            /* bytes in value */
    const char *value;     /* unescaped value; borrowed */
    uint64_t hash;         /* n1_literal_hash() of type and value */
};

/* The literals of one execution, in statement order. */
struct n1_rw_row {
    struct n1_rw_lit *lits; /* borrowed by the rewriter; a loop's kept
                               rows own theirs (loop.c frees them) */
    size_t n_lits;          /* entries in lits */
};

struct n1_rw_input {
    enum n1_finding_kind kind;    /* n_plus_one or fanout */
    const struct n1_shape *shape; /* shape of the repeated statement */
    const struct n1_rw_row *rows; /* kept executions; rows[0] is the
                                     sample whose constants are restored */
    size_t n_rows;                /* entries in rows (>= 1) */
    uint64_t count;               /* executions in the loop */
    uint64_t distinct;            /* distinct key values seen */
    uint64_t varies;              /* bit s set: slot s took several values */
    int rows_complete;            /* 1 when rows hold every execution */
    const char *parent_sql;       /* the driving SELECT as logged, when it
                                     selects one plain column; else NULL */
    const char *parent_column;    /* that column; NULL with parent_sql */
    size_t max_keys;              /* most keys one statement lists (1000;
                                     0 means 1000) */
    size_t min_batch_items;       /* a varying IN list averaging this many
                                     items is already batched (0: 20) */
};

/* Which batched form applies. */
enum n1_rw_pattern {
    N1_RW_NONE = 0,     /* nothing varies that we understand */
    N1_RW_IN_LIST,      /* WHERE col IN (...) */
    N1_RW_ROW_IN,       /* WHERE (a, b) IN ((...), (...)) */
    N1_RW_GROUP_BY,     /* aggregate per key: IN plus GROUP BY key */
    N1_RW_MULTI_INSERT, /* INSERT ... VALUES (...), (...) */
    N1_RW_CASE_UPDATE,  /* UPDATE ... SET c = CASE key WHEN ... END */
    N1_RW_RANGE,        /* a range per iteration: one grouped query */
    N1_RW_PAGINATION,   /* OFFSET per iteration: keyset pagination */
    N1_RW_BATCHED,      /* the varying slot is already a big IN list */
    N1_RW_UNSUPPORTED   /* keys found, but no safe statement (OR,
                           LIMIT n > 1, joins in UPDATE, ...) */
};

struct n1_rewrite {
    enum n1_rw_pattern pattern; /* the form chosen */
    const char *kind;     /* finding rewrite_kind ("in_list", ...) or NULL;
                             static */
    char *sql;            /* the statement, or NULL; owned */
    char *advice;         /* one paragraph; owned, never NULL on success */
    char **key_columns;   /* key columns as written; owned */
    size_t n_key_columns; /* entries in key_columns */
    uint64_t keys_listed; /* key values (or rows) in sql */
    char **keys;          /* keyed rewrites: the distinct key values (or
                             tuples "(1, 'a')") as SQL literals, in order
                             of first appearance, as listed in sql; owned;
                             NULL for the other patterns */
    size_t n_keys;        /* entries in keys */
    uint64_t batches;     /* statements needed for all keys */
    uint64_t saved;       /* round trips saved: count - batches */
};

/*
 * Builds the rewrite of a loop into *out (which needs no initialisation).
 * Returns 0 with *out filled, to be released with n1_rewrite_cleanup(),
 * or -1 with err set when memory ran out (*out is then empty).
 * in->rows[0] must exist.
 */
int n1_rewrite_build(const struct n1_rw_input *in, struct n1_rewrite *out,
                     struct n1_error *err);

/* Frees what *rw owns and empties it. NULL allowed. */
void n1_rewrite_cleanup(struct n1_rewrite *rw);

/*
 * Appends lit as a MySQL literal: strings quoted with '' doubled and
 * backslash, NUL, newline, CR and Ctrl-Z escaped (correct under the
 * default sql_mode); numbers as-is; hex as X'..'; bits as b'..'; NULL,
 * TRUE, FALSE as keywords. Returns 0, or -1 when sb's cap was hit.
 */
int n1_rewrite_literal(struct n1_strbuf *sb, const struct n1_rw_lit *lit);

#endif /* N1_REWRITE_H */
