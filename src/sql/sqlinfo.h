/* SPDX-License-Identifier: MIT */
/*
 * sqlinfo.h: the statement verb and the tables a fingerprint touches.
 *
 * The digest report names each class by its "item", as pt-query-digest
 * does: the upper-case verb followed by the tables, e.g. "SELECT users
 * orders" or "CREATE TABLE audit". n1_sqlinfo_parse() reads the
 * fingerprint text (literals already replaced by ?, comments gone), so a
 * word scanner is enough: no SQL grammar, no allocation, fixed-size
 * output. Names that look like tables but are not (a derived table's
 * alias, say) may be missed or added; the item is a label, not a parse.
 */
#ifndef N1_SQLINFO_H
#define N1_SQLINFO_H

#include <stddef.h>

/* Most tables kept; further ones are counted in n_more. */
#define N1_SQLINFO_MAX_TABLES 8

/* Longest table name kept (longer ones are cut). */
#define N1_SQLINFO_MAX_NAME 64

struct n1_sqlinfo {
    char verb[32]; /* "SELECT", "CREATE TABLE", ...; "" when unknown */
    char tables[N1_SQLINFO_MAX_TABLES][N1_SQLINFO_MAX_NAME + 1];
    /* names as written, backquotes removed, "db.t" kept;
       first-seen order, no duplicates */
    unsigned n_tables; /* entries used in tables */
    unsigned n_more;   /* further distinct tables that did not fit */
};

/*
 * Fills *out from len bytes of fingerprint text (NUL bytes allowed; they
 * end a word). Never fails: text it cannot read gives an empty verb
 * and no tables. text may be NULL when len is 0.
 */
void n1_sqlinfo_parse(const char *text, size_t len, struct n1_sqlinfo *out);

/*
 * Writes the item ("SELECT users orders") into buf of size n, always
 * NUL-terminated (cut when too small). Returns buf.
 */
char *n1_sqlinfo_item(const struct n1_sqlinfo *si, char *buf, size_t n);

#endif /* N1_SQLINFO_H */
