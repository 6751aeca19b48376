/* SPDX-License-Identifier: MIT */
/*
 * store_findings.c: findings of `n1digest analyze` and `n1digest tail` state.
 *
 * n1_store_save_findings() replaces the findings of the given files in one
 * transaction; n1_store_save_findings_upto() spares those saved after a
 * given row, so that `analyze` can save a run's findings in batches as
 * they come and drop the stale ones with its last batch. For `n1digest tail`,
 * n1_store_tail_commit() records, in one transaction, the merged classes, the
 * file progress, the new findings and where to resume each followed path
 * (tail_state, whose connection list is a BLOB of little-endian 64-bit pairs),
 * so a restart neither loses nor repeats a finding. The cursor over stored
 * findings is in store_read.c.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "store/store.h"
#include "store/store_int.h"

/* The connections of f as decimals separated by spaces, in a string the
   caller frees; NULL when out of memory. */
static char *conns_text(const struct n1_store_finding *f)
{
    char *t = malloc(f->n_conns * 21 + 1);
    size_t used = 0;

    if (t == NULL) {
        return NULL;
    }
    t[0] = '\0';
    for (size_t i = 0; i < f->n_conns; i++) {
        used += (size_t)sprintf(t + used, i > 0 ? " %llu" : "%llu",
                                (unsigned long long)f->conns[i]);
    }
    return t;
}

/* Binds the class summary columns (migration 6) of f to s. */
static int bind_summary(sqlite3_stmt *s, const struct n1_store_finding *f)
{
    char *conns = NULL;

    sqlite3_bind_int(s, 15, f->summary != 0);
    if (!f->summary) {
        for (int i = 16; i <= 23; i++) {
            sqlite3_bind_null(s, i);
        }
        return 0;
    }
    conns = conns_text(f);
    if (conns == NULL) {
        return -1;
    }
    sqlite3_bind_int64(s, 16, st_to_i64(f->saved));
    sqlite3_bind_int64(s, 17, st_to_i64(f->keys));
    if (isnan(f->time_s)) {
        sqlite3_bind_null(s, 18);
    } else {
        sqlite3_bind_double(s, 18, f->time_s);
    }
    sqlite3_bind_int(s, 19, f->confidence);
    sqlite3_bind_int(s, 20, f->starts);
    sqlite3_bind_int(s, 21, f->ends);
    sqlite3_bind_int(s, 22, f->ev_known);
    sqlite3_bind_text(s, 23, conns, -1, free);
    return 0;
}

static int insert_finding(struct n1_store *st, const struct n1_store_finding *f,
                          sqlite3_int64 now, struct n1_error *err)
{
    sqlite3_stmt *s = st_get_stmt(st, S_FIND_INS, err);
    char hex[17];

    if (s == NULL) {
        return -1;
    }
    if (bind_summary(s, f) != 0) {
        n1_err_oom(err, "saving a finding");
        return -1;
    }
    snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)f->id);
    sqlite3_bind_int64(s, 1, st_to_i64(f->id));
    sqlite3_bind_text(s, 2, hex, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 3, f->kind != NULL ? f->kind : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, st_to_i64(f->fingerprint));
    sqlite3_bind_text(s, 5, f->file != NULL ? f->file : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 6, (sqlite3_int64)f->line);
    st_bind_ts(s, 7, f->first_seen_us);
    st_bind_ts(s, 8, f->last_seen_us);
    sqlite3_bind_int64(s, 9, st_to_i64(f->count));
    sqlite3_bind_text64(s, 10, f->json != NULL ? f->json : "",
                        f->json != NULL ? f->json_len : 0, SQLITE_STATIC,
                        SQLITE_UTF8);
    sqlite3_bind_int64(s, 11, now);
    sqlite3_bind_int(s, 12, f->out == NULL);
    if (f->out != NULL) {
        sqlite3_bind_text(s, 13, f->out, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_null(s, 13);
    }
    if (f->occ != NULL) {
        sqlite3_bind_text(s, 14, f->occ, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_null(s, 14);
    }
    return st_step_done(st, s, "saving a finding", err);
}

int n1_store_findings_last(struct n1_store *st, int64_t *out,
                           struct n1_error *err)
{
    sqlite3_stmt *s = st_get_stmt(st, S_FIND_LAST, err);
    int rc;

    if (s == NULL) {
        return -1;
    }
    rc = st_step_row(st, s, "reading the newest finding", err);
    if (rc < 0) {
        return -1;
    }
    *out = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return 0;
}

int n1_store_save_findings_upto(struct n1_store *st, const char *const *replace,
                                size_t n_replace, int64_t upto,
                                const struct n1_store_finding *f, size_t n,
                                struct n1_error *err)
{
    sqlite3_int64 now = (sqlite3_int64)time(NULL);
    sqlite3_stmt *s = NULL;

    if (st_run(st, S_BEGIN, "starting to save findings", err) < 0) {
        return -1;
    }
    for (size_t i = 0; i < n_replace; i++) {
        s = st_get_stmt(st, S_FIND_DEL, err);
        if (s == NULL) {
            goto fail;
        }
        sqlite3_bind_text(s, 1, replace[i], -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, upto);
        if (st_step_done(st, s, "dropping old findings", err) < 0) {
            goto fail;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (insert_finding(st, &f[i], now, err) < 0) {
            goto fail;
        }
    }
    if (st_run(st, S_COMMIT, "committing findings", err) < 0) {
        goto fail;
    }
    return 0;

fail:
    st_rollback(st);
    return -1;
}

int n1_store_save_findings(struct n1_store *st, const char *const *replace,
                           size_t n_replace, const struct n1_store_finding *f,
                           size_t n, struct n1_error *err)
{
    return n1_store_save_findings_upto(st, replace, n_replace, INT64_MAX, f, n,
                                       err);
}

/* ---- tail ---- */

int n1_store_file_get(struct n1_store *st, int64_t id,
                      struct n1_file_state *out, struct n1_error *err)
{
    sqlite3_stmt *s = st_get_stmt(st, S_FILE_BY_ID, err);

    if (s == NULL) {
        return -1;
    }
    sqlite3_bind_int64(s, 1, id);
    return st_fetch_file_row(st, s, out, "reading a file record", err);
}

/* The statement id with the log path bound to its first parameter, or
   NULL with err set. Borrowed, as st_get_stmt() says. */
static sqlite3_stmt *path_stmt(struct n1_store *st, enum stmt_id id,
                               const char *path, struct n1_error *err)
{
    sqlite3_stmt *s = st_get_stmt(st, id, err);

    if (s != NULL) {
        sqlite3_bind_text(s, 1, path, -1, SQLITE_STATIC);
    }
    return s;
}

/* The conns BLOB: pairs of little-endian 64-bit words. */
static void put_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

static uint64_t get_le64(const unsigned char *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

int n1_store_tail_path_of(struct n1_store *st, uint64_t dev, uint64_t inode,
                          char **path, int64_t *file_id, struct n1_error *err)
{
    sqlite3_stmt *s = st_get_stmt(st, S_TAIL_BY_FILE, err);
    char *copy = NULL;
    int rc;

    if (s == NULL) {
        return -1;
    }
    sqlite3_bind_int64(s, 1, st_to_i64(dev));
    sqlite3_bind_int64(s, 2, st_to_i64(inode));
    rc = st_step_row(st, s, "looking up the tail state of a file", err);
    if (rc <= 0) {
        return rc;
    }
    copy = strdup((const char *)sqlite3_column_text(s, 0));
    if (copy == NULL) {
        sqlite3_reset(s);
        n1_err_oom(err, "reading the tail state");
        return -1;
    }
    *file_id = sqlite3_column_int64(s, 1);
    *path = copy;
    sqlite3_reset(s);
    return 1;
}

int n1_store_tail_load(struct n1_store *st, const char *path,
                       struct n1_tail_state *out, struct n1_error *err)
{
    sqlite3_stmt *s = path_stmt(st, S_TAIL_GET, path, err);
    const unsigned char *blob = NULL;
    size_t len;
    int rc;

    memset(out, 0, sizeof(*out));
    if (s == NULL) {
        return -1;
    }
    rc = st_step_row(st, s, "reading the tail state", err);
    if (rc <= 0) {
        return rc;
    }
    out->file_id = sqlite3_column_int64(s, 0);
    out->base = st_to_u64(sqlite3_column_int64(s, 1));
    out->replay_file_id = sqlite3_column_int64(s, 2);
    out->replay_base = st_to_u64(sqlite3_column_int64(s, 3));
    out->replay_offset = st_to_u64(sqlite3_column_int64(s, 4));
    blob = sqlite3_column_blob(s, 5);
    len = (size_t)sqlite3_column_bytes(s, 5);
    if (len % 16 != 0) {
        n1_err_set(err, N1_EPARSE, st->path, 0,
                   "tail state of %s has a bad connection list", path);
        sqlite3_reset(s);
        return -1;
    }
    if (len > 0) {
        out->conns = malloc(len);
        if (out->conns == NULL) {
            n1_err_oom(err, "reading the tail state");
            sqlite3_reset(s);
            return -1;
        }
        for (size_t i = 0; i < len / 8; i++) {
            out->conns[i] = get_le64(blob + 8 * i);
        }
        out->n_conns = len / 16;
    }
    sqlite3_reset(s);
    return 1;
}

static int write_tail(struct n1_store *st, const char *path,
                      const struct n1_tail_state *ts, sqlite3_int64 now,
                      struct n1_error *err)
{
    sqlite3_stmt *s = path_stmt(st, S_TAIL_PUT, path, err);
    unsigned char *blob = NULL;
    size_t len = ts->n_conns * 16;
    int rc;

    if (s == NULL) {
        return -1;
    }
    blob = malloc(len > 0 ? len : 1);
    if (blob == NULL) {
        n1_err_oom(err, "recording the tail state");
        return -1;
    }
    for (size_t i = 0; i < ts->n_conns * 2; i++) {
        put_le64(blob + 8 * i, ts->conns[i]);
    }
    sqlite3_bind_int64(s, 2, ts->file_id);
    sqlite3_bind_int64(s, 3, st_to_i64(ts->base));
    sqlite3_bind_int64(s, 4, ts->replay_file_id);
    sqlite3_bind_int64(s, 5, st_to_i64(ts->replay_base));
    sqlite3_bind_int64(s, 6, st_to_i64(ts->replay_offset));
    sqlite3_bind_blob64(s, 7, blob, len, SQLITE_STATIC);
    sqlite3_bind_int64(s, 8, now);
    rc = st_step_done(st, s, "recording the tail state", err);
    free(blob);
    if (rc < 0) {
        return -1;
    }
    for (size_t i = 0; i < ts->n_cps; i++) {
        const struct n1_tail_checkpoint *cp = &ts->cps[i];

        s = path_stmt(st, S_CP_PUT, path, err);
        if (s == NULL) {
            return -1;
        }
        sqlite3_bind_int64(s, 2, st_to_i64(cp->base + cp->offset));
        sqlite3_bind_int64(s, 3, cp->file_id);
        sqlite3_bind_int64(s, 4, st_to_i64(cp->offset));
        sqlite3_bind_int64(s, 5, (sqlite3_int64)cp->line);
        sqlite3_bind_blob64(s, 6, cp->ctx != NULL ? cp->ctx : "", cp->ctx_len,
                            SQLITE_STATIC);
        if (st_step_done(st, s, "recording a tail checkpoint", err) < 0) {
            return -1;
        }
    }
    s = path_stmt(st, S_CP_PRUNE, path, err);
    if (s == NULL) {
        return -1;
    }
    sqlite3_bind_int64(s, 2, st_to_i64(ts->replay_base + ts->replay_offset));
    return st_step_done(st, s, "pruning tail checkpoints", err);
}

int n1_store_tail_checkpoint(struct n1_store *st, const char *path,
                             int64_t file_id, uint64_t max_offset,
                             struct n1_tail_checkpoint *out,
                             struct n1_error *err)
{
    sqlite3_stmt *s = path_stmt(st, S_CP_GET, path, err);
    const void *blob;
    size_t len;
    int rc;

    memset(out, 0, sizeof(*out));
    if (s == NULL) {
        return -1;
    }
    sqlite3_bind_int64(s, 2, file_id);
    sqlite3_bind_int64(s, 3, st_to_i64(max_offset));
    rc = st_step_row(st, s, "reading a tail checkpoint", err);
    if (rc <= 0) {
        return rc;
    }
    out->file_id = file_id;
    out->offset = st_to_u64(sqlite3_column_int64(s, 0));
    out->line = (unsigned long)sqlite3_column_int64(s, 1);
    blob = sqlite3_column_blob(s, 2);
    len = (size_t)sqlite3_column_bytes(s, 2);
    out->ctx = malloc(len > 0 ? len : 1);
    if (out->ctx == NULL) {
        n1_err_oom(err, "reading a tail checkpoint");
        sqlite3_reset(s);
        return -1;
    }
    if (len > 0) {
        memcpy(out->ctx, blob, len);
    }
    out->ctx_len = len;
    sqlite3_reset(s);
    return 1;
}

/* What n1_store_tail_commit() writes after the classes and files. */
struct tail_rows {
    const struct n1_store_finding *f; /* findings to insert */
    size_t nf;
    const char *path;               /* the log being followed */
    const struct n1_tail_state *ts; /* NULL: leave the tail state */
};

static int write_tail_rows(struct n1_store *st, void *ud, sqlite3_int64 now,
                           struct n1_error *err)
{
    const struct tail_rows *t = ud;

    for (size_t i = 0; i < t->nf; i++) {
        if (insert_finding(st, &t->f[i], now, err) < 0) {
            return -1;
        }
    }
    if (t->ts != NULL && write_tail(st, t->path, t->ts, now, err) < 0) {
        return -1;
    }
    return 0;
}

int n1_store_tail_commit(struct n1_store *st, const struct n1_agg *agg,
                         struct n1_file_progress *files, size_t n,
                         const struct n1_store_finding *f, size_t nf,
                         const char *path, const struct n1_tail_state *ts,
                         struct n1_error *err)
{
    struct tail_rows t = {f, nf, path, ts};
    struct st_batch b = {.what = "a tail commit",
                         .agg = agg,
                         .files = files,
                         .n_files = n,
                         .extra = write_tail_rows,
                         .ud = &t};

    return st_commit_batch(st, &b, err);
}

int n1_store_tail_unemitted(struct n1_store *st, const char *file,
                            int (*emit)(void *ud, const char *line,
                                        struct n1_error *err),
                            void *ud, struct n1_error *err)
{
    sqlite3_stmt *s = path_stmt(st, S_FIND_UNEMITTED, file, err);
    int rc;

    if (s == NULL) {
        return -1;
    }
    for (;;) {
        const char *line;

        rc = sqlite3_step(s);
        if (rc != SQLITE_ROW) {
            break;
        }
        line = (const char *)sqlite3_column_text(s, 0);
        if (emit(ud, line != NULL ? line : "", err) != 0) {
            sqlite3_reset(s);
            return -1;
        }
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        st_db_error(st, err, "reading findings not printed yet");
        return -1;
    }
    return 0;
}

int n1_store_tail_mark_emitted(struct n1_store *st, const char *file,
                               struct n1_error *err)
{
    sqlite3_stmt *s = path_stmt(st, S_FIND_EMITTED, file, err);

    if (s == NULL) {
        return -1;
    }
    return st_step_done(st, s, "marking findings printed", err);
}

int n1_store_finding_seen(struct n1_store *st, const struct n1_store_finding *f,
                          struct n1_error *err)
{
    sqlite3_stmt *s = st_get_stmt(st, S_FIND_SEEN, err);
    int rc;

    if (s == NULL) {
        return -1;
    }
    sqlite3_bind_int64(s, 1, st_to_i64(f->id));
    sqlite3_bind_text(s, 2, f->file != NULL ? f->file : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)f->line);
    sqlite3_bind_int64(s, 4, st_to_i64(f->count));
    st_bind_ts(s, 5, f->first_seen_us);
    rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc == SQLITE_ROW) {
        return 1;
    }
    if (rc != SQLITE_DONE) {
        st_db_error(st, err, "looking up a finding");
        return -1;
    }
    return 0;
}
