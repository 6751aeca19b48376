/* SPDX-License-Identifier: MIT */
/*
 * sqlword.h: reserved words of MySQL and MariaDB.
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

#endif /* N1_SQLWORD_H */
