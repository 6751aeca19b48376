/* SPDX-License-Identifier: MIT */
/*
 * sqlword.h: reserved words of MySQL and MariaDB, and the bytes that
 * make up words and hex digits.
 *
 * A reserved word can only be an identifier when it is quoted. The
 * normaliser keeps the backquotes of such names (`order`, `group`, `key`)
 * so that the fingerprint, and the rewrites spliced from it, stay valid
 * SQL; the rewrite prints the SQL keywords it knows in upper case, which
 * is safe only for words that can never be bare names.
 */
#ifndef N1_SQLWORD_H
#define N1_SQLWORD_H

#include <stddef.h>

/*
 * Returns 1 when the len bytes at s, compared without regard to ASCII
 * case, are a reserved word of MySQL 5.7/8.x or MariaDB 10.x (the union
 * of their lists), else 0. s need not be NUL-terminated; NULL is allowed
 * when len is 0.
 */
int n1_sqlword_reserved(const char *s, size_t len);

/* The word lists of n1_sqlword_list(). */
enum n1_sqlword_kind {
    N1_SQLWORD_RESERVED = 0, /* reserved words (n1_sqlword_reserved()) */
    N1_SQLWORD_KEYWORD,      /* other keywords, which may be bare names */
    N1_SQLWORD_FUNCTION      /* built-in function names, not reserved */
};

/* Longest word of any list, in bytes. */
#define N1_SQLWORD_LONGEST 40

/*
 * Points *words at the sorted, lower-case list of one kind and returns its
 * length. The lists are static and disjoint; nothing to free.
 */
size_t n1_sqlword_list(enum n1_sqlword_kind kind, const char *const **words);

/*
 * Returns 1 when c may stand in a bare word (a name or a keyword): an
 * ASCII letter or digit, '_', '$', or any byte of a multi-byte UTF-8
 * character; else 0. Inline, as the normaliser asks it of every byte of
 * a quoted name.
 */
static inline int n1_sqlword_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '$' || c >= 0x80;
}

/*
 * Skips the quoted run that starts at s[i] (its opening quote: ', " or
 * `): returns the index just past the closing quote, or that of the NUL
 * ending s when it is not closed. A doubled quote stays inside; so does a
 * backslash-escaped byte in ' and " strings (not in `names`).
 */
size_t n1_sqlword_skip_quoted(const char *s, size_t i);

/* Returns the value (0..15) of the hex digit c, either case, or -1. */
static inline int n1_sqlword_hex(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

#endif /* N1_SQLWORD_H */
