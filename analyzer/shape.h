/* SPDX-License-Identifier: MIT */
/*
 * shape.h: what a normalised statement does, read from its fingerprint.
 *
 * A shape is parsed from fingerprint text alone (the literals are not
 * needed): the verb, the main table, where the select list, WHERE, LIMIT
 * and FOR UPDATE sit in the text, and for every ? slot the role it plays
 * (a key compared with a column, a range bound, a LIMIT, a SET or VALUES
 * value) and the column it goes with. Detectors use it to tell which
 * varying literal is a loop key; rewrite.c uses the offsets to splice a
 * batched statement together. Offsets are byte offsets into shape->text.
 *
 * Shapes are cached per fingerprint id in a bounded table, so that the
 * parse happens once per distinct statement, not once per event.
 */
#ifndef N1_SHAPE_H
#define N1_SHAPE_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* Slots past this index get no role (they are treated as N1_SLOT_OTHER). */
#define N1_SHAPE_MAX_SLOTS 64

enum n1_verb {
    N1_VERB_SELECT = 0,
    N1_VERB_INSERT, /* also REPLACE */
    N1_VERB_UPDATE,
    N1_VERB_DELETE,
    N1_VERB_OTHER
};

enum n1_slot_role {
    N1_SLOT_OTHER = 0, /* anywhere else (select list, function argument) */
    N1_SLOT_EQ,        /* WHERE col = ? or ? = col (also <=>) */
    N1_SLOT_IN,        /* WHERE col in(...) list */
    N1_SLOT_RANGE,     /* WHERE col > ?, <, >=, <=, BETWEEN ? AND ? */
    N1_SLOT_LIMIT,     /* LIMIT row count */
    N1_SLOT_OFFSET,    /* LIMIT offset, or OFFSET ? */
    N1_SLOT_SET,       /* UPDATE ... SET col = ? (or ON DUPLICATE KEY) */
    N1_SLOT_VALUES     /* INSERT ... VALUES(?, ...) */
};

/* Why a statement is ignored by the detectors. */
enum n1_noise {
    N1_NOISE_NONE = 0, /* a statement worth looking at */
    N1_NOISE_SESSION,  /* SET, SHOW, USE, SELECT without FROM (@@vars...) */
    N1_NOISE_SYSTEM,   /* information_schema, performance_schema, mysql.* */
    N1_NOISE_TXN,      /* BEGIN, COMMIT, ROLLBACK, SAVEPOINT, XA */
    N1_NOISE_PREPARED, /* statement text with ? placeholders, no values */
    N1_NOISE_RULE      /* matched an ignore pattern of the options */
};

/* A span of shape->text; len 0 means absent. */
struct n1_span {
    size_t off; /* byte offset into shape->text */
    size_t len; /* bytes */
};

struct n1_shape_slot {
    enum n1_slot_role role; /* what the ? is for */
    struct n1_span column;  /* compared / assigned column, as written */
    struct n1_span pred;    /* EQ/IN: the whole predicate ("col = ?") */
    size_t pos;             /* offset of the ? in text */
    size_t width;           /* 1 for ?, 2 for a collapsed list ?+ */
    int in_where;           /* 1 when inside the WHERE clause */
    int depth;              /* parenthesis depth of the ? */
    unsigned values_row;    /* VALUES: which column of the row (0-based) */
};

struct n1_shape {
    uint64_t id;                /* fingerprint id the shape belongs to */
    char *text;                 /* fingerprint text (owned, NUL-terminated) */
    size_t len;                 /* bytes in text */
    enum n1_verb verb;          /* statement kind */
    enum n1_noise noise;        /* N1_NOISE_NONE unless ignored */
    struct n1_span table;       /* main table as written, len 0 if none */
    struct n1_span select_list; /* SELECT: items between SELECT [DISTINCT]
                                   and FROM */
    int select_star;            /* select list is * or t.* */
    int has_aggregate;          /* select list calls count/sum/min/max/... */
    int has_join;               /* a JOIN at top level */
    int has_subquery;           /* a nested SELECT */
    int has_union;              /* UNION at top level */
    size_t where_kw;            /* offset of "where", or len when absent */
    size_t where_end;           /* where the WHERE clause (or, without one,
                                   the FROM part) ends: next clause or len */
    int where_has_or;           /* OR at the top level of WHERE */
    struct n1_span group_by;    /* the list after GROUP BY, len 0 if none */
    struct n1_span limit;       /* " limit ..." clause with its leading space */
    int for_update;             /* FOR UPDATE / LOCK IN SHARE MODE present */
    struct n1_span insert_cols; /* INSERT "(a, b)" column list with parens */
    struct n1_span values_row;  /* INSERT: the single "(?, ?)" row */
    int values_collapsed;       /* INSERT VALUES already multi-row (?+) */
    int has_on_dup;             /* INSERT ... ON DUPLICATE KEY UPDATE */
    int insert_select;          /* INSERT ... SELECT */
    int ctl;                    /* request control class (the detectors'
                                   enum n1_ctl), set by the cache owner */
    int uservar;                /* the text reads a user variable (@v) */
    unsigned n_slots;           /* ? in text (collapsed lists count once) */
    struct n1_shape_slot *slots; /* n_slots entries (owned) */
};

/*
 * Parses len bytes of fingerprint text (id is only recorded). Returns a
 * shape the caller frees with n1_shape_free(), or NULL with err set when
 * memory runs out. Any text parses; what is not understood gets
 * N1_VERB_OTHER and N1_SLOT_OTHER.
 */
struct n1_shape *n1_shape_parse(uint64_t id, const char *text, size_t len,
                                struct n1_error *err);

/* Frees a shape. NULL allowed. */
void n1_shape_free(struct n1_shape *sh);

/* Lower-case name of a verb ("select", ..., "other"). Never NULL. */
const char *n1_verb_name(enum n1_verb v);

/* Name of a noise class ("none", "session", ...). Never NULL. */
const char *n1_noise_name(enum n1_noise n);

/*
 * Copies span sp of sh->text into buf of size n (NUL-terminated,
 * truncated to fit). Returns buf.
 */
char *n1_shape_str(const struct n1_shape *sh, struct n1_span sp, char *buf,
                   size_t n);

struct n1_shape_cache;

/*
 * Creates a cache of at most cap shapes (rounded up to a power of two; 0
 * means 1024). Returns a cache the caller frees with
 * n1_shape_cache_free(), or NULL with err set.
 */
struct n1_shape_cache *n1_shape_cache_new(size_t cap, struct n1_error *err);

/* Frees the cache and every shape in it. NULL allowed. */
void n1_shape_cache_free(struct n1_shape_cache *c);

/*
 * Returns the shape of fingerprint id with text (parsing it on a miss and
 * evicting the less recently used of the two shapes its place holds), or
 * NULL with err set when memory ran out. The shape is borrowed from the cache
 * and valid until the next n1_shape_cache_get() on c or n1_shape_cache_free().
 * It is not const so that the cache owner can record its own classification in
 * sh->noise. *fresh (may be NULL) is set to 1 when the shape was just parsed.
 */
struct n1_shape *n1_shape_cache_get(struct n1_shape_cache *c, uint64_t id,
                                    const char *text, size_t len, int *fresh,
                                    struct n1_error *err);

/*
 * A copy of the name at p (len bytes) for people to read: backquotes
 * removed, a doubled one inside a quoted part kept once (`order`.id is
 * order.id). Caller frees with free(). NULL when out of memory.
 */
char *n1_shape_name_dup(const char *p, size_t len);

/*
 * The same name as n1_shape_name_dup() gives, written into d, which must
 * hold len + 1 bytes. Returns the length written (the '\0' not counted).
 */
size_t n1_shape_name_copy(char *d, const char *p, size_t len);

/* Number of shapes the cache has evicted so far. */
uint64_t n1_shape_cache_evictions(const struct n1_shape_cache *c);

#endif /* N1_SHAPE_H */
