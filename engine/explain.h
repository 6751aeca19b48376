/* SPDX-License-Identifier: MIT */
/*
 * explain.h: the EXPLAIN of a digest class's sample statement on a
 * server (`digest --explain`, as pt-query-digest's --explain).
 *
 * One connection for the whole report. Each sample is explained in the
 * schema the class ran in (mysql_select_db(), no SQL of ours around the
 * name), inside a READ ONLY transaction that is always rolled back, with
 * the session's statement time limit set (max_statement_time on MariaDB,
 * MAX_EXECUTION_TIME on MySQL). Only SELECT samples are explained: an
 * EXPLAIN of an UPDATE or DELETE plans a write, and nothing else has a
 * plan worth showing. Multi-statements are never enabled, so a sample
 * holding two statements fails on the server instead of running the
 * second one.
 */
#ifndef N1_EXPLAIN_H
#define N1_EXPLAIN_H

#include <stddef.h>

#include "base/error.h"
#include "read/conn.h"

struct n1_explain;

/*
 * Connects with o (strings used during the call only) and sets the
 * session's time limit to limit_s seconds. Returns the explainer, which
 * the caller frees with n1_explain_close(), or NULL with err set (the
 * message names the host) and *fail (may be NULL) telling why.
 */
struct n1_explain *n1_explain_open(const struct n1_server_opts *o,
                                   double limit_s, enum n1_server_fail *fail,
                                   struct n1_error *err);

/*
 * Explains the len bytes of sql in schema db (NULL or "": the
 * connection's default), cut tells that the sample is not the whole
 * statement. Sets *lines to the lines to print, one per row of the plan
 * ("table: t, type: ref, possible_keys: k, key: k, rows: 1, Extra: ..."),
 * or one "not explained: REASON" line (not a SELECT, the sample was cut,
 * it names a side effect: INTO OUTFILE or DUMPFILE, GET_LOCK and the
 * like; the server's error). Returns how many lines; they are borrowed until
 * the next call or n1_explain_close(). Never fails: running out of
 * memory gives a line saying so.
 */
size_t n1_explain_sample(struct n1_explain *x, const char *sql, size_t len,
                         const char *db, int cut, const char *const **lines);

struct n1_agg_class;

/*
 * n1_explain_sample() of class c's sample, in the schema most of its
 * statements ran in: fits the digest report's explain hook
 * (report/digest.h), with x as ud.
 */
size_t n1_explain_class(void *x, const struct n1_agg_class *c,
                        const char *const **lines);

/* Closes the connection and frees x. NULL allowed. */
void n1_explain_close(struct n1_explain *x);

#endif /* N1_EXPLAIN_H */
