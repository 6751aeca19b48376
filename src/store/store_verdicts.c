/* SPDX-License-Identifier: MIT */
/*
 * store_verdicts.c: the verdicts of `n1digest verify` (store.h,
 * migration 7): one row per finding id, the last verdict winning, so
 * that the reports can say "verified on HOST at TIME".
 */
#include <stdio.h>

#include "store/store_int.h"

int n1_store_verdict_put(struct n1_store *st, const struct n1_store_verdict *v,
                         struct n1_error *err)
{
    sqlite3_stmt *s = st_get_stmt(st, S_VERDICT_PUT, err);

    if (s == NULL) {
        return -1;
    }
    sqlite3_bind_int64(s, 1, st_to_i64(v->id));
    sqlite3_bind_text(s, 2, v->verdict, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, v->detail, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, v->host, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, v->verified_at);
    return st_step_done(st, s, "saving a verdict", err);
}

/* Reads the current row of s (the columns of S_VERDICT_GET) into *out. */
static void read_row(sqlite3_stmt *s, struct n1_store_verdict *out)
{
    const unsigned char *t;

    out->id = st_to_u64(sqlite3_column_int64(s, 0));
    t = sqlite3_column_text(s, 1);
    snprintf(out->verdict, sizeof(out->verdict), "%s",
             t != NULL ? (const char *)t : "");
    t = sqlite3_column_text(s, 2);
    snprintf(out->detail, sizeof(out->detail), "%s",
             t != NULL ? (const char *)t : "");
    t = sqlite3_column_text(s, 3);
    snprintf(out->host, sizeof(out->host), "%s",
             t != NULL ? (const char *)t : "");
    out->verified_at = sqlite3_column_int64(s, 4);
}

int n1_store_verdict_get(struct n1_store *st, uint64_t id,
                         struct n1_store_verdict *out, struct n1_error *err)
{
    sqlite3_stmt *s = st_get_stmt(st, S_VERDICT_GET, err);
    int rc;

    if (s == NULL) {
        return -1;
    }
    sqlite3_bind_int64(s, 1, st_to_i64(id));
    rc = st_step_row(st, s, "reading a verdict", err);
    if (rc == 1) {
        read_row(s, out);
        sqlite3_reset(s);
    }
    return rc;
}

int n1_store_verdict_each(struct n1_store *st, n1_store_verdict_fn fn, void *ud,
                          struct n1_error *err)
{
    sqlite3_stmt *s = st_get_stmt(st, S_VERDICT_ALL, err);
    struct n1_store_verdict v;
    int rc;

    if (s == NULL) {
        return -1;
    }
    for (;;) {
        rc = sqlite3_step(s);
        if (rc != SQLITE_ROW) {
            break;
        }
        read_row(s, &v);
        if (fn(ud, &v) != 0) {
            break;
        }
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        st_db_error(st, err, "reading the verdicts");
        sqlite3_reset(s);
        return -1;
    }
    sqlite3_reset(s);
    return 0;
}
