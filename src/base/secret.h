/* SPDX-License-Identifier: MIT */
/*
 * secret.h: passwords masked out of statements before anything keeps
 * them.
 *
 * A log or a server's history holds account statements as the client
 * sent them: CREATE USER ... IDENTIFIED BY 'pw', ALTER USER, SET
 * PASSWORD ... = 'pw', GRANT ... IDENTIFIED BY, CHANGE MASTER TO ...
 * MASTER_PASSWORD='pw'. Every source (the log readers, the server
 * sources) passes each statement through n1_secret_mask() when it hands
 * the event out, so that samples, value lists, findings, reports and the
 * store only ever see '<secret>' in the password's place.
 */
#ifndef N1_SECRET_H
#define N1_SECRET_H

#include <stddef.h>

#include "base/strbuf.h"

/* What a masked string literal becomes, quotes excluded. */
#define N1_SECRET_MASK "<secret>"

/*
 * Writes into out (reset first) the n bytes of sql with each string
 * literal that holds a password replaced by '<secret>': the literal after
 * IDENTIFIED ... BY / AS / USING, and the one after PASSWORD or
 * MASTER_PASSWORD followed by '=' or '('. Only statements that start
 * with CREATE, ALTER, SET, GRANT or CHANGE (after comments) are looked
 * at, so that the common case costs a glance at the first word. Returns
 * 1 when something was masked (out holds the masked text), 0 when
 * nothing was (out is left empty), -1 when out could not hold the text.
 */
int n1_secret_mask(const char *sql, size_t n, struct n1_strbuf *out);

#endif /* N1_SECRET_H */
