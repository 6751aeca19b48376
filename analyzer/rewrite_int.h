/* SPDX-License-Identifier: MIT */
/*
 * rewrite_int.h: what rewrite.c and rewrite_sql.c share (not public).
 *
 * The plan rewrite.c makes of a loop's varying slots, the set of distinct
 * keys collected from the kept rows, and the builders in rewrite_sql.c
 * that print the batched SQL from them. Only those two files include it.
 */
#ifndef N1_REWRITE_INT_H
#define N1_REWRITE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "analyzer/rewrite.h"

/* What the analysis of the varying slots found. */
struct n1_rw_plan {
    unsigned keys[N1_SHAPE_MAX_SLOTS]; /* key slots, in text order */
    size_t n_keys;
    int key_is_list; /* the single key is an IN list slot */
    int vary_range;  /* a range bound varies */
    int vary_offset; /* OFFSET varies */
    int vary_limit;  /* LIMIT varies */
    int vary_set;    /* an UPDATE SET value varies */
    int vary_values; /* an INSERT value varies */
    int vary_other;  /* some other literal varies */
    int key_nested;  /* a key sits inside parentheses */
};

/* A distinct key: its rendered SQL and the row that last had it. */
struct n1_rw_key {
    char *sql;  /* "'a'" or "(1, 2)" (owned) */
    size_t row; /* last row index with this key */
};

struct n1_rw_keyset {
    struct n1_rw_key *v; /* in order of first appearance */
    size_t n;
    size_t cap;
    size_t *hash; /* open addressing: index + 1 into v, 0 empty */
    size_t hcap;
    uint64_t seen;    /* keys offered, duplicates included */
    uint64_t dropped; /* distinct keys past max */
};

/* 1 when slot s took another value in some execution (in->varies; slots
   past 64 never count), else 0. */
int n1_rw_varies(const struct n1_rw_input *in, unsigned s);

/* A copy of s; caller frees with free(). NULL when out of memory. */
char *n1_rw_strdup(const char *s);

/*
 * Returns the strbuf's bytes as an owned string (caller frees with
 * free()), or NULL when out of memory. The strbuf is cleaned up either
 * way.
 */
char *n1_rw_sb_take(struct n1_strbuf *sb);

/* Frees every key and the tables, and zeroes ks. */
void n1_rw_keyset_free(struct n1_rw_keyset *ks);

/*
 * Collects the distinct key tuples of the kept rows into ks (zeroed by
 * the caller, freed with n1_rw_keyset_free() whatever happens), keeping
 * the first max distinct. Returns 0, 1 when a key of a kept row could not
 * be rendered (a missing value or a buffer cap), or -1 when memory ran
 * out.
 */
int n1_rw_collect_keys(const struct n1_rw_input *in, const struct n1_rw_plan *p,
                       size_t max, struct n1_rw_keyset *ks);

/*
 * The builders. Each prints the batched statement into *sql (caller
 * frees with free()) and returns 0; 1 when the edits do not fit together
 * or a literal is missing (the splice cannot be planned); -1 when memory
 * or a buffer cap ran out.
 */

/* SELECT (and fanout): IN / row IN / GROUP BY over the keys in ks. With
   subq not NULL the key list is that subquery instead. */
int n1_rw_build_select(const struct n1_rw_input *in, const struct n1_rw_plan *p,
                       const struct n1_rw_keyset *ks, const char *subq,
                       char **sql);

/* UPDATE and DELETE: key IN, varying SET values as CASE key WHEN (CASE
   WHEN (x, y) = (...) for a compound key). */
int n1_rw_build_update(const struct n1_rw_input *in, const struct n1_rw_plan *p,
                       const struct n1_rw_keyset *ks, char **sql);

/* INSERT: one row per kept execution, up to max; *listed gets the number
   of rows written. */
int n1_rw_build_insert(const struct n1_rw_input *in, size_t max, char **sql,
                       uint64_t *listed);

/* One multi-row INSERT from one-row executions printed as values(?+):
   each kept execution's literals of VALUES slot slot become one row, up
   to max; *listed gets the number of rows written. */
int n1_rw_build_insert_rows(const struct n1_rw_input *in, size_t max,
                            unsigned slot, char **sql, uint64_t *listed);

/*
 * Upper-cases, in place, the SQL keywords of a rewrite printed from the
 * lower-case fingerprint text, so it reads like hand-written SQL. Only
 * words that can never be bare names are touched (reserved in MySQL and
 * MariaDB alike, plus DUPLICATE after ON, END closing a CASE and SHARE
 * after FOR); quoted text, qualified names (t.order) and @variables are
 * left alone, so the statement means exactly what it meant.
 */
void n1_rw_upper_keywords(char *sql);

#endif /* N1_REWRITE_INT_H */
