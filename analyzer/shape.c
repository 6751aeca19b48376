/* SPDX-License-Identifier: MIT */
/*
 * shape.c: parse fingerprint text into a statement shape, and cache it.
 *
 * The input is the normaliser's canonical text, not arbitrary SQL: no
 * comments, no string or number literals (they are ?), single spaces,
 * lower-case keywords. That makes a flat token scan with a parenthesis
 * depth enough: clause keywords are only believed at depth 0, and each ?
 * is classified by the two tokens on either side of it. Anything the scan
 * does not recognise falls back to N1_VERB_OTHER / N1_SLOT_OTHER, which
 * the detectors treat as "report, but do not offer a rewrite".
 *
 * The cache is direct-mapped on the fingerprint id: a miss replaces the
 * shape in that place. It never holds more than its capacity, whatever
 * the length of the log.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyzer/shape.h"

enum tok_type {
    T_WORD = 0, /* keyword, identifier (dotted), number, @@var */
    T_PARAM,    /* ? or ?+ */
    T_OP,       /* run of = < > ! (comparison operators) */
    T_OPEN,     /* ( */
    T_CLOSE,    /* ) */
    T_COMMA,    /* , */
    T_STAR,     /* * */
    T_OTHER     /* any other punctuation */
};

struct tok {
    enum tok_type type;
    size_t off;
    size_t len;
    int depth; /* parenthesis depth before the token */
};

/* Clause the scan is in, at depth 0. */
enum clause {
    C_NONE = 0,
    C_SELECT,
    C_FROM,
    C_WHERE,
    C_GROUP,
    C_HAVING,
    C_ORDER,
    C_LIMIT,
    C_OFFSET,
    C_LOCK,
    C_INTO,
    C_VALUES,
    C_SET,
    C_ONDUP
};

static int is_word_byte(unsigned char c)
{
    return isalnum(c) || c == '_' || c == '$' || c == '@' || c == '.' ||
           c >= 0x80;
}

/* End of the name starting at s[i]: quoted parts (with `` inside) and
   runs of word bytes, until neither follows. */
static size_t word_end(const char *s, size_t len, size_t i)
{
    while (i < len) {
        if (s[i] == '`') {
            i++;
            while (i < len &&
                   !(s[i] == '`' && (i + 1 >= len || s[i + 1] != '`'))) {
                i += s[i] == '`' ? 2 : 1;
            }
            if (i < len) {
                i++;
            }
        } else if (is_word_byte((unsigned char)s[i])) {
            i++;
        } else {
            break;
        }
    }
    return i;
}

static int tokenize(const char *s, size_t len, struct tok **out, size_t *n)
{
    struct tok *toks = NULL;
    size_t cap = len / 2 + 4;
    size_t k = 0;
    size_t i = 0;
    int depth = 0;

    toks = malloc(cap * sizeof(*toks));
    if (toks == NULL) {
        return -1;
    }
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        struct tok t;

        if (isspace(c)) {
            i++;
            continue;
        }
        t.off = i;
        t.depth = depth;
        if (c == '?') {
            t.type = T_PARAM;
            i++;
            if (i < len && s[i] == '+') {
                i++;
            }
        } else if (c == '"' || c == '\'') {
            /* Quoted strings should not survive normalisation; keep any
               as one word. */
            i++;
            while (i < len && (unsigned char)s[i] != c) {
                i++;
            }
            if (i < len) {
                i++;
            }
            t.type = T_WORD;
        } else if (c == '`' || is_word_byte(c)) {
            /* A name, dotted parts and all: the normaliser keeps the
               backquotes of reserved or odd names (`order`.id, t.`key`,
               `my col`), so a part is a quoted run or a run of word
               bytes. */
            i = word_end(s, len, i);
            t.type = T_WORD;
        } else if (c == '=' || c == '<' || c == '>' || c == '!') {
            while (i < len && strchr("=<>!", s[i]) != NULL) {
                i++;
            }
            t.type = T_OP;
        } else {
            i++;
            if (c == '(') {
                t.type = T_OPEN;
                depth++;
            } else if (c == ')') {
                t.type = T_CLOSE;
                if (depth > 0) {
                    depth--;
                }
                t.depth = depth;
            } else if (c == ',') {
                t.type = T_COMMA;
            } else if (c == '*') {
                t.type = T_STAR;
            } else {
                t.type = T_OTHER;
            }
        }
        t.len = i - t.off;
        if (k == cap) {
            struct tok *nt = realloc(toks, 2 * cap * sizeof(*toks));

            if (nt == NULL) {
                free(toks);
                return -1;
            }
            toks = nt;
            cap *= 2;
        }
        toks[k++] = t;
    }
    *out = toks;
    *n = k;
    return 0;
}

static int tok_is(const char *s, const struct tok *t, const char *word)
{
    size_t wl = strlen(word);

    return t->type == T_WORD && t->len == wl &&
           strncasecmp(s + t->off, word, wl) == 0;
}

static int tok_op(const char *s, const struct tok *t, const char *op)
{
    size_t ol = strlen(op);

    return t->type == T_OP && t->len == ol && memcmp(s + t->off, op, ol) == 0;
}

/* Words that can stand next to an operator but are not columns. */
static int is_columnish(const char *s, const struct tok *t)
{
    static const char *const not_cols[] = {
        "and",    "or",      "not",    "is",  "null",     "in",
        "like",   "between", "where",  "on",  "set",      "when",
        "then",   "else",    "case",   "end", "true",     "false",
        "select", "from",    "having", "xor", "interval", "binary"};
    unsigned char c;

    if (t->type != T_WORD) {
        return 0;
    }
    c = (unsigned char)s[t->off];
    if (isdigit(c) || c == '@' || c == '.') {
        return 0;
    }
    for (size_t i = 0; i < sizeof(not_cols) / sizeof(not_cols[0]); i++) {
        if (tok_is(s, t, not_cols[i])) {
            return 0;
        }
    }
    return 1;
}

static int is_cmp_eq(const char *s, const struct tok *t)
{
    return tok_op(s, t, "=") || tok_op(s, t, "<=>");
}

static int is_cmp_range(const char *s, const struct tok *t)
{
    return tok_op(s, t, "<") || tok_op(s, t, ">") || tok_op(s, t, "<=") ||
           tok_op(s, t, ">=");
}

static int is_aggregate(const char *s, const struct tok *t)
{
    static const char *const aggs[] = {
        "count",        "sum",     "min",           "max",           "avg",
        "group_concat", "std",     "stddev",        "variance",      "bit_and",
        "bit_or",       "bit_xor", "json_arrayagg", "json_objectagg"};

    for (size_t i = 0; i < sizeof(aggs) / sizeof(aggs[0]); i++) {
        if (tok_is(s, t, aggs[i])) {
            return 1;
        }
    }
    return 0;
}

static int is_system_table(const char *s, const struct tok *t)
{
    static const char *const prefixes[] = {
        "information_schema.", "performance_schema.", "mysql.", "sys."};

    if (t->type != T_WORD) {
        return 0;
    }
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        size_t pl = strlen(prefixes[i]);

        if (t->len > pl && strncasecmp(s + t->off, prefixes[i], pl) == 0) {
            return 1;
        }
    }
    return tok_is(s, t, "information_schema") ||
           tok_is(s, t, "performance_schema");
}

static void set_verb(struct n1_shape *sh, const char *s, const struct tok *t)
{
    static const char *const session[] = {
        "set",     "show", "use",  "describe", "desc",
        "explain", "help", "kill", "flush",    "do"};
    static const char *const txn[] = {"begin", "commit",    "rollback",
                                      "start", "savepoint", "release",
                                      "xa",    "lock",      "unlock"};

    sh->verb = N1_VERB_OTHER;
    if (tok_is(s, t, "select") || tok_is(s, t, "with")) {
        sh->verb = N1_VERB_SELECT;
    } else if (tok_is(s, t, "insert") || tok_is(s, t, "replace")) {
        sh->verb = N1_VERB_INSERT;
    } else if (tok_is(s, t, "update")) {
        sh->verb = N1_VERB_UPDATE;
    } else if (tok_is(s, t, "delete")) {
        sh->verb = N1_VERB_DELETE;
    }
    for (size_t i = 0; i < sizeof(session) / sizeof(session[0]); i++) {
        if (tok_is(s, t, session[i])) {
            sh->noise = N1_NOISE_SESSION;
        }
    }
    for (size_t i = 0; i < sizeof(txn) / sizeof(txn[0]); i++) {
        if (tok_is(s, t, txn[i])) {
            sh->noise = N1_NOISE_TXN;
        }
    }
}

/* Index of the first word after i that names a table (skips modifiers). */
static size_t table_after(const char *s, const struct tok *toks, size_t n,
                          size_t i)
{
    static const char *const mods[] = {
        "low_priority", "ignore",        "quick", "into",
        "delayed",      "high_priority", "from"};

    for (i++; i < n; i++) {
        int mod = 0;

        for (size_t m = 0; m < sizeof(mods) / sizeof(mods[0]); m++) {
            if (tok_is(s, &toks[i], mods[m])) {
                mod = 1;
            }
        }
        if (!mod) {
            break;
        }
    }
    return i;
}

/* Classifies the ? at token index i; fills sl->role/column/pred. */
static void classify_where(const char *s, const struct tok *tk, size_t n,
                           size_t i, struct n1_shape_slot *sl)
{
    const struct tok *p1 = i >= 1 ? &tk[i - 1] : NULL;
    const struct tok *p2 = i >= 2 ? &tk[i - 2] : NULL;
    const struct tok *n1 = i + 1 < n ? &tk[i + 1] : NULL;
    const struct tok *n2 = i + 2 < n ? &tk[i + 2] : NULL;
    size_t j;

    if (p1 != NULL && p2 != NULL && is_cmp_eq(s, p1) && is_columnish(s, p2)) {
        sl->role = N1_SLOT_EQ;
        sl->column.off = p2->off;
        sl->column.len = p2->len;
        sl->pred.off = p2->off;
        sl->pred.len = tk[i].off + tk[i].len - p2->off;
        return;
    }
    if (n1 != NULL && n2 != NULL && is_cmp_eq(s, n1) && is_columnish(s, n2) &&
        (i + 3 >= n || tk[i + 3].type != T_OPEN)) {
        sl->role = N1_SLOT_EQ;
        sl->column.off = n2->off;
        sl->column.len = n2->len;
        sl->pred.off = tk[i].off;
        sl->pred.len = n2->off + n2->len - tk[i].off;
        return;
    }
    if (p1 != NULL && p2 != NULL && is_cmp_range(s, p1) &&
        is_columnish(s, p2)) {
        sl->role = N1_SLOT_RANGE;
        sl->column.off = p2->off;
        sl->column.len = p2->len;
        return;
    }
    if (n1 != NULL && n2 != NULL && is_cmp_range(s, n1) &&
        is_columnish(s, n2)) {
        sl->role = N1_SLOT_RANGE;
        sl->column.off = n2->off;
        sl->column.len = n2->len;
        return;
    }
    if (p1 != NULL && p2 != NULL && tok_is(s, p1, "between") &&
        is_columnish(s, p2)) {
        sl->role = N1_SLOT_RANGE;
        sl->column.off = p2->off;
        sl->column.len = p2->len;
        return;
    }
    if (i >= 4 && tok_is(s, p1, "and") && tk[i - 2].type == T_PARAM &&
        tok_is(s, &tk[i - 3], "between") && is_columnish(s, &tk[i - 4])) {
        sl->role = N1_SLOT_RANGE;
        sl->column.off = tk[i - 4].off;
        sl->column.len = tk[i - 4].len;
        return;
    }
    /* col in(?, ?) or col in(?+): walk back over the list. */
    j = i;
    while (j > 0 && (tk[j - 1].type == T_PARAM || tk[j - 1].type == T_COMMA)) {
        j--;
    }
    if (j >= 3 && tk[j - 1].type == T_OPEN && tok_is(s, &tk[j - 2], "in") &&
        is_columnish(s, &tk[j - 3])) {
        size_t k = i;

        while (k < n && tk[k].type != T_CLOSE) {
            k++;
        }
        sl->role = N1_SLOT_IN;
        sl->column.off = tk[j - 3].off;
        sl->column.len = tk[j - 3].len;
        sl->pred.off = tk[j - 3].off;
        sl->pred.len = (k < n ? tk[k].off + 1 : tk[n - 1].off + tk[n - 1].len) -
                       tk[j - 3].off;
    }
}

/* The scan's state while it walks the tokens of one statement. */
struct scan {
    struct n1_shape *sh;  /* shape being filled */
    const char *s;        /* sh->text */
    const struct tok *tk; /* tokens of s */
    size_t n;             /* tokens */
    enum clause cl;       /* clause at depth 0 */
    unsigned slot;        /* next ? slot to fill */
    int have_from;        /* a FROM was seen at depth 0 */
    size_t values_open;   /* token index of the VALUES row's ( */
    unsigned values_col;  /* column of the VALUES row at the scan */
    int values_rows;      /* VALUES rows seen */
};

/* Offset of the end of the text before off, trailing spaces dropped but
   never before floor. */
static size_t trim_back(const char *s, size_t off, size_t floor)
{
    while (off > floor && s[off - 1] == ' ') {
        off--;
    }
    return off;
}

static void set_span(struct n1_span *sp, const struct tok *t)
{
    sp->off = t->off;
    sp->len = t->len;
}

/* What the first token says: verb, noise, the UPDATE table, where a
   SELECT list starts. */
static void scan_head(struct scan *sc)
{
    struct n1_shape *sh = sc->sh;
    const struct tok *tk = sc->tk;
    size_t t;

    set_verb(sh, sc->s, &tk[0]);
    if (sh->verb == N1_VERB_UPDATE) {
        t = table_after(sc->s, tk, sc->n, 0);
        if (t < sc->n && tk[t].type == T_WORD) {
            set_span(&sh->table, &tk[t]);
        }
    }
    if (sh->verb == N1_VERB_SELECT) {
        t = 1;
        while (t < sc->n && (tok_is(sc->s, &tk[t], "distinct") ||
                             tok_is(sc->s, &tk[t], "sql_no_cache") ||
                             tok_is(sc->s, &tk[t], "sql_calc_found_rows") ||
                             tok_is(sc->s, &tk[t], "straight_join"))) {
            t++;
        }
        if (t < sc->n) {
            sh->select_list.off = tk[t].off;
        }
        sc->cl = C_SELECT;
    }
}

/* FROM at token i: ends the select list, names the table. */
static void on_from(struct scan *sc, size_t i)
{
    struct n1_shape *sh = sc->sh;
    const struct tok *t = &sc->tk[i];

    sc->have_from = 1;
    if (sh->verb == N1_VERB_SELECT && sh->select_list.len == 0 &&
        t->off > sh->select_list.off) {
        sh->select_list.len =
            trim_back(sc->s, t->off, sh->select_list.off) - sh->select_list.off;
    }
    if (sh->table.len == 0 && i + 1 < sc->n && sc->tk[i + 1].type == T_WORD) {
        set_span(&sh->table, &sc->tk[i + 1]);
    }
}

/* INSERT INTO at token i: the table and its "(a, b)" column list. */
static void on_into(struct scan *sc, size_t i)
{
    struct n1_shape *sh = sc->sh;
    const struct tok *tk = sc->tk;
    size_t k;

    if (i + 1 >= sc->n || tk[i + 1].type != T_WORD) {
        return;
    }
    set_span(&sh->table, &tk[i + 1]);
    if (i + 2 >= sc->n || tk[i + 2].type != T_OPEN) {
        return;
    }
    k = i + 2;
    while (k < sc->n && tk[k].type != T_CLOSE) {
        k++;
    }
    if (k < sc->n) {
        sh->insert_cols.off = tk[i + 2].off;
        sh->insert_cols.len = tk[k].off + 1 - tk[i + 2].off;
    }
}

/* 1 when tokens i and i + 1 are the words w1 and w2. */
static int words_at(const struct scan *sc, size_t i, const char *w1,
                    const char *w2)
{
    return tok_is(sc->s, &sc->tk[i], w1) && i + 1 < sc->n &&
           tok_is(sc->s, &sc->tk[i + 1], w2);
}

/* The clause a word at depth 0 opens (sc->cl when it opens none), with
   the side effects of the keyword on the shape. */
static enum clause clause_word(struct scan *sc, size_t i)
{
    struct n1_shape *sh = sc->sh;
    const char *s = sc->s;
    const struct tok *t = &sc->tk[i];
    enum n1_verb v = sh->verb;
    enum clause cl = sc->cl;

    if (tok_is(s, t, "from") && v != N1_VERB_UPDATE && cl != C_WHERE) {
        on_from(sc, i);
        return C_FROM;
    }
    if (tok_is(s, t, "into") && v == N1_VERB_INSERT) {
        on_into(sc, i);
        return C_INTO;
    }
    if ((tok_is(s, t, "values") || tok_is(s, t, "value")) &&
        v == N1_VERB_INSERT) {
        return C_VALUES;
    }
    if (tok_is(s, t, "select") && v == N1_VERB_INSERT) {
        sh->insert_select = 1;
        return C_SELECT;
    }
    if (tok_is(s, t, "where")) {
        sh->where_kw = t->off;
        return C_WHERE;
    }
    if (tok_is(s, t, "join")) {
        sh->has_join = 1;
        return cl;
    }
    if (words_at(sc, i, "group", "by")) {
        /* As for LIMIT below: a later GROUP BY starts the span again
           (fixtures/crash/shape/group-by-twice-stale-length). */
        if (i + 2 < sc->n) {
            sh->group_by.off = sc->tk[i + 2].off;
        }
        sh->group_by.len = 0;
        return C_GROUP;
    }
    if (tok_is(s, t, "having")) {
        return C_HAVING;
    }
    if (words_at(sc, i, "order", "by")) {
        return C_ORDER;
    }
    if (tok_is(s, t, "limit") && v != N1_VERB_INSERT) {
        /* A later LIMIT at depth 0 (after UNION, or in text that is not
           SQL) starts the span again: the length of the earlier one must
           not stay with the new offset, past the end of the text
           (fixtures/crash/shape/limit-twice-stale-length). */
        sh->limit.off = t->off > 0 ? t->off - 1 : 0;
        sh->limit.len = 0;
        return C_LIMIT;
    }
    if (tok_is(s, t, "offset") && cl == C_LIMIT) {
        return C_OFFSET;
    }
    if (words_at(sc, i, "for", "update") || words_at(sc, i, "for", "share") ||
        (tok_is(s, t, "lock") && cl != C_NONE)) {
        sh->for_update = 1;
        return C_LOCK;
    }
    if (tok_is(s, t, "union")) {
        sh->has_union = 1;
        return C_NONE;
    }
    if (tok_is(s, t, "set") && (v == N1_VERB_UPDATE || v == N1_VERB_INSERT)) {
        return C_SET;
    }
    if (words_at(sc, i, "on", "duplicate")) {
        sh->has_on_dup = 1;
        return C_ONDUP;
    }
    if (tok_is(s, t, "or") && cl == C_WHERE) {
        sh->where_has_or = 1;
    }
    return cl;
}

/* Leaves clause sc->cl for next at token t: records where the clause
   left behind ends. */
static void close_clause(struct scan *sc, const struct tok *t, enum clause next)
{
    struct n1_shape *sh = sc->sh;
    enum clause cl = sc->cl;

    /* Leaving WHERE (or FROM when there is no WHERE) marks where a
       batched predicate or GROUP BY must go. */
    if ((cl == C_WHERE || cl == C_FROM) && next != C_WHERE &&
        sh->where_end == sh->len) {
        sh->where_end = trim_back(sc->s, t->off, 0);
    }
    if (cl == C_GROUP && sh->group_by.len == 0) {
        sh->group_by.len =
            trim_back(sc->s, t->off, sh->group_by.off) - sh->group_by.off;
    }
    if ((cl == C_LIMIT || cl == C_OFFSET) && next != C_OFFSET) {
        sh->limit.len = trim_back(sc->s, t->off, sh->limit.off) - sh->limit.off;
    }
    sc->cl = next;
}

/* VALUES rows: counts rows and columns, records the first row. */
static void scan_values(struct scan *sc, size_t i)
{
    const struct tok *t = &sc->tk[i];
    size_t k;

    if (t->type == T_COMMA && t->depth == 1) {
        sc->values_col++;
        return;
    }
    if (t->type != T_OPEN || t->depth != 0) {
        return;
    }
    sc->values_rows++;
    sc->values_open = i;
    sc->values_col = 0;
    if (sc->values_rows > 1) {
        return;
    }
    k = i + 1;
    while (k < sc->n && !(sc->tk[k].type == T_CLOSE && sc->tk[k].depth == 0)) {
        k++;
    }
    if (k < sc->n) {
        sc->sh->values_row.off = t->off;
        sc->sh->values_row.len = sc->tk[k].off + 1 - t->off;
    }
}

/* Fills the slot of the ? at token i from the clause it is in. */
static void scan_param(struct scan *sc, size_t i)
{
    const struct tok *t = &sc->tk[i];
    const struct tok *tk = sc->tk;
    struct n1_shape_slot *sl = &sc->sh->slots[sc->slot++];

    sl->pos = t->off;
    sl->width = t->len;
    sl->depth = t->depth;
    sl->role = N1_SLOT_OTHER;
    switch (sc->cl) {
    case C_WHERE:
        sl->in_where = 1;
        classify_where(sc->s, tk, sc->n, i, sl);
        break;
    case C_LIMIT:
        sl->role = i + 1 < sc->n && tk[i + 1].type == T_COMMA ? N1_SLOT_OFFSET
                                                              : N1_SLOT_LIMIT;
        break;
    case C_OFFSET:
        sl->role = N1_SLOT_OFFSET;
        break;
    case C_SET:
    case C_ONDUP:
        if (i >= 2 && is_cmp_eq(sc->s, &tk[i - 1]) &&
            is_columnish(sc->s, &tk[i - 2])) {
            set_span(&sl->column, &tk[i - 2]);
        }
        sl->role = N1_SLOT_SET;
        break;
    case C_VALUES:
        if (t->depth == 1) {
            sl->role = N1_SLOT_VALUES;
            sl->values_row = sc->values_col;
            if (t->len == 2 && i == sc->values_open + 1) {
                sc->sh->values_collapsed = 1;
            }
        }
        break;
    default:
        break;
    }
}

/* One token of the main scan. */
static void scan_token(struct scan *sc, size_t i)
{
    struct n1_shape *sh = sc->sh;
    const struct tok *t = &sc->tk[i];

    if (t->type == T_WORD && is_system_table(sc->s, t)) {
        sh->noise = N1_NOISE_SYSTEM;
    }
    if (t->type == T_WORD && t->depth > 0 && tok_is(sc->s, t, "select")) {
        sh->has_subquery = 1;
    }
    if (t->type == T_WORD && t->depth == 0) {
        enum clause next = clause_word(sc, i);

        if (next != sc->cl) {
            close_clause(sc, t, next);
        }
    }
    if (sh->verb == N1_VERB_SELECT && t->depth == 0 && sc->cl == C_SELECT &&
        is_aggregate(sc->s, t) && i + 1 < sc->n &&
        sc->tk[i + 1].type == T_OPEN) {
        sh->has_aggregate = 1;
    }
    if (sc->cl == C_VALUES) {
        scan_values(sc, i);
    }
    if (t->type == T_PARAM) {
        scan_param(sc, i);
    }
}

/* After the last token: closes the clauses still open at the end of the
   text and derives what needs the whole statement. */
static void scan_finish(struct scan *sc)
{
    struct n1_shape *sh = sc->sh;
    size_t len = sh->len;

    if (sc->cl == C_GROUP && sh->group_by.len == 0 && sh->group_by.off > 0) {
        sh->group_by.len = len - sh->group_by.off;
    }
    if ((sc->cl == C_LIMIT || sc->cl == C_OFFSET) && sh->limit.len == 0 &&
        sh->limit.off > 0) {
        sh->limit.len = len - sh->limit.off;
    }
    if (sc->values_rows > 1) {
        sh->values_collapsed = 1;
    }
    if (sh->verb == N1_VERB_SELECT && sh->select_list.len == 0 &&
        !sc->have_from) {
        sh->select_list.len = len - sh->select_list.off;
    }
    if (sh->verb == N1_VERB_SELECT && sh->select_list.len > 0) {
        const char *sl = sh->text + sh->select_list.off;
        size_t l = sh->select_list.len;

        if ((l == 1 && sl[0] == '*') ||
            (l >= 2 && sl[l - 1] == '*' && sl[l - 2] == '.' &&
             memchr(sl, ',', l) == NULL)) {
            sh->select_star = 1;
        }
    }
    if (sh->insert_cols.len > 0 && sh->values_row.len > 0 &&
        sh->insert_cols.off > sh->values_row.off) {
        sh->insert_cols.len = 0;
    }
    /* SELECT without a table reads session state: CONNECTION_ID(),
       @@vars, DATABASE(), a ping. */
    if (sh->verb == N1_VERB_SELECT && sh->noise == N1_NOISE_NONE &&
        (sh->table.len == 0 ||
         (sh->table.len == 4 &&
          strncasecmp(sh->text + sh->table.off, "dual", 4) == 0))) {
        sh->noise = N1_NOISE_SESSION;
    }
}

/* A shape holding a copy of the text and room for its slots, nothing
   parsed yet; NULL when memory runs out. */
static struct n1_shape *shape_alloc(uint64_t id, const char *text, size_t len,
                                    const struct tok *tk, size_t n)
{
    struct n1_shape *sh = calloc(1, sizeof(*sh));

    if (sh == NULL) {
        return NULL;
    }
    sh->id = id;
    sh->len = len;
    sh->where_kw = len;
    sh->where_end = len;
    sh->text = malloc(len + 1);
    if (sh->text == NULL) {
        goto fail;
    }
    memcpy(sh->text, text, len);
    sh->text[len] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (tk[i].type == T_PARAM) {
            sh->n_slots++;
        }
    }
    if (sh->n_slots > 0) {
        sh->slots = calloc(sh->n_slots, sizeof(*sh->slots));
        if (sh->slots == NULL) {
            goto fail;
        }
    }
    return sh;
fail:
    n1_shape_free(sh);
    return NULL;
}

struct n1_shape *n1_shape_parse(uint64_t id, const char *text, size_t len,
                                struct n1_error *err)
{
    struct scan sc;
    struct tok *tk = NULL;
    size_t n = 0;

    memset(&sc, 0, sizeof(sc));
    if (tokenize(text, len, &tk, &n) < 0) {
        goto oom;
    }
    sc.sh = shape_alloc(id, text, len, tk, n);
    if (sc.sh == NULL) {
        goto oom;
    }
    sc.s = sc.sh->text;
    sc.tk = tk;
    sc.n = n;
    sc.cl = C_NONE;
    if (n == 0) {
        sc.sh->verb = N1_VERB_OTHER;
        goto out;
    }
    scan_head(&sc);
    for (size_t i = 0; i < n; i++) {
        scan_token(&sc, i);
    }
    scan_finish(&sc);
    goto out;
oom:
    n1_err_oom(err, "the shape of a statement");
out:
    free(tk);
    return sc.sh;
}

void n1_shape_free(struct n1_shape *sh)
{
    if (sh == NULL) {
        return;
    }
    free(sh->slots);
    free(sh->text);
    free(sh);
}

const char *n1_verb_name(enum n1_verb v)
{
    switch (v) {
    case N1_VERB_SELECT:
        return "select";
    case N1_VERB_INSERT:
        return "insert";
    case N1_VERB_UPDATE:
        return "update";
    case N1_VERB_DELETE:
        return "delete";
    case N1_VERB_OTHER:
        break;
    }
    return "other";
}

const char *n1_noise_name(enum n1_noise n)
{
    switch (n) {
    case N1_NOISE_NONE:
        return "none";
    case N1_NOISE_SESSION:
        return "session";
    case N1_NOISE_SYSTEM:
        return "system";
    case N1_NOISE_TXN:
        return "transaction";
    case N1_NOISE_PREPARED:
        return "prepared";
    case N1_NOISE_RULE:
        return "rule";
    }
    return "none";
}

char *n1_shape_str(const struct n1_shape *sh, struct n1_span sp, char *buf,
                   size_t n)
{
    size_t l = sp.len;

    if (n == 0) {
        return buf;
    }
    if (sp.off > sh->len) {
        l = 0;
    } else if (l > sh->len - sp.off) {
        l = sh->len - sp.off;
    }
    if (l >= n) {
        l = n - 1;
    }
    memcpy(buf, sh->text + sp.off, l);
    buf[l] = '\0';
    return buf;
}

/* Two places per id: the set at (id mixed) & mask & ~1, the more recent
   first, so that two busy fingerprints whose places collide do not
   evict each other on every statement. */
struct n1_shape_cache {
    struct n1_shape **slots; /* sets of two, mask + 1 places */
    size_t mask;
    uint64_t evictions;
};

struct n1_shape_cache *n1_shape_cache_new(size_t cap, struct n1_error *err)
{
    struct n1_shape_cache *c = NULL;
    size_t sz = 1;

    if (cap == 0) {
        cap = 1024;
    }
    while (sz < cap || sz < 2) {
        sz *= 2;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        goto oom;
    }
    c->slots = calloc(sz, sizeof(*c->slots));
    if (c->slots == NULL) {
        goto oom;
    }
    c->mask = sz - 1;
    return c;
oom:
    n1_err_oom(err, "for the shape cache");
    free(c);
    return NULL;
}

void n1_shape_cache_free(struct n1_shape_cache *c)
{
    if (c == NULL) {
        return;
    }
    for (size_t i = 0; i <= c->mask; i++) {
        n1_shape_free(c->slots[i]);
    }
    free(c->slots);
    free(c);
}

struct n1_shape *n1_shape_cache_get(struct n1_shape_cache *c, uint64_t id,
                                    const char *text, size_t len, int *fresh,
                                    struct n1_error *err)
{
    size_t h = (size_t)(id ^ (id >> 29)) & c->mask & ~(size_t)1;
    struct n1_shape **set = &c->slots[h];
    struct n1_shape *sh = NULL;

    if (fresh != NULL) {
        *fresh = 0;
    }
    for (size_t k = 0; k < 2; k++) {
        struct n1_shape *cur = set[k];

        if (cur != NULL && cur->id == id && cur->len == len &&
            memcmp(cur->text, text, len) == 0) {
            set[k] = set[0];
            set[0] = cur;
            return cur;
        }
    }
    sh = n1_shape_parse(id, text, len, err);
    if (sh == NULL) {
        return NULL;
    }
    if (set[1] != NULL) {
        c->evictions++;
        n1_shape_free(set[1]);
    }
    set[1] = set[0];
    set[0] = sh;
    if (fresh != NULL) {
        *fresh = 1;
    }
    return sh;
}

uint64_t n1_shape_cache_evictions(const struct n1_shape_cache *c)
{
    return c->evictions;
}

size_t n1_shape_name_copy(char *d, const char *p, size_t len)
{
    size_t k = 0;
    int quoted = 0;

    for (size_t i = 0; i < len; i++) {
        if (p[i] != '`') {
            d[k++] = p[i];
        } else if (quoted && i + 1 < len && p[i + 1] == '`') {
            d[k++] = '`';
            i++;
        } else {
            quoted = !quoted;
        }
    }
    d[k] = '\0';
    return k;
}

char *n1_shape_name_dup(const char *p, size_t len)
{
    char *d = malloc(len + 1);

    if (d != NULL) {
        n1_shape_name_copy(d, p, len);
    }
    return d;
}
