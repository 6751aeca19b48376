/* SPDX-License-Identifier: MIT */
/*
 * store_flush.c: merging aggregates and file progress into the store.
 *
 * A flush is one transaction: for each class of the aggregate it reads the
 * stored class back into a struct n1_agg_class, merges the new one with
 * the same n1_agg_class_merge() the aggregate uses, and writes the result
 * (histograms as varint BLOBs); then it records each file's offset. The
 * statistics and the offsets therefore change together or not at all.
 * This file also decides, from a file's recorded identity, whether a path
 * still holds the log read before (n1_store_file_verdict()). It opens no
 * database and reads no logs; store_findings.c reuses st_merge_one() and
 * st_write_file() for the tail commit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "base/strbuf.h"
#include "sql/normalize.h"
#include "store/store.h"
#include "store/store_int.h"

int st_bind_text_or_null(sqlite3_stmt *s, int i, const char *v, size_t n)
{
    if (v == NULL) {
        return sqlite3_bind_null(s, i);
    }
    return sqlite3_bind_text64(s, i, v, n, SQLITE_STATIC, SQLITE_UTF8);
}

int st_bind_ts(sqlite3_stmt *s, int i, int64_t ts)
{
    if (ts == N1_TS_NONE) {
        return sqlite3_bind_null(s, i);
    }
    return sqlite3_bind_int64(s, i, ts);
}

/* Writes class c over whatever is stored for its id. */
static int write_class(struct n1_store *st, const struct n1_agg_class *c,
                       struct n1_error *err)
{
    sqlite3_stmt *s = st_get_stmt(st, S_FP_PUT, err);
    sqlite3_int64 id = st_to_i64(c->id);

    if (s == NULL) {
        return -1;
    }
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_text(s, 2, c->hex, -1, SQLITE_STATIC);
    sqlite3_bind_text64(s, 3, c->text != NULL ? c->text : "", c->text_len,
                        SQLITE_STATIC, SQLITE_UTF8);
    sqlite3_bind_int(s, 4, N1_FINGERPRINT_VERSION);
    sqlite3_bind_int64(s, 5, st_to_i64(c->count));
    st_bind_ts(s, 6, c->first_seen);
    st_bind_ts(s, 7, c->last_seen);
    st_bind_text_or_null(s, 8, c->sample, c->sample_len);
    sqlite3_bind_int64(s, 9, (sqlite3_int64)c->sample_full_len);
    st_bind_text_or_null(s, 10, c->sample_file,
                         c->sample_file != NULL ? strlen(c->sample_file) : 0);
    sqlite3_bind_int64(s, 11, (sqlite3_int64)c->sample_line);
    if (c->sample_has_qt) {
        sqlite3_bind_double(s, 12, c->sample_qt);
    } else {
        sqlite3_bind_null(s, 12);
    }
    for (int i = 0; i < N1_AGG_CHART_N; i++) {
        sqlite3_bind_int64(s, 13 + i, st_to_i64(c->chart[i]));
    }
    for (int d = 0; d < N1_DIM_COUNT; d++) {
        sqlite3_bind_int64(s, 21 + d, st_to_i64(c->dims[d].other));
    }
    if (st_step_done(st, s, "writing a class", err) < 0) {
        return -1;
    }

    s = st_get_stmt(st, S_METRIC_PUT, err);
    if (s == NULL) {
        return -1;
    }
    for (unsigned m = 0; m < N1_AGG_NMETRICS; m++) {
        const struct n1_agg_stats *ms = &c->m[m];

        if (ms->n == 0) {
            continue;
        }
        n1_strbuf_reset(&st->blob);
        if (n1_hist_encode(&ms->hist, &st->blob) < 0) {
            n1_err_oom(err, "encoding a histogram");
            return -1;
        }
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_text(s, 2, n1_agg_metric_name(m), -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, st_to_i64(ms->n));
        sqlite3_bind_double(s, 4, ms->sum);
        sqlite3_bind_double(s, 5, ms->min);
        sqlite3_bind_double(s, 6, ms->max);
        sqlite3_bind_double(s, 7, ms->sumsq);
        sqlite3_bind_blob64(s, 8, st->blob.buf, st->blob.len, SQLITE_STATIC);
        if (st_step_done(st, s, "writing metrics", err) < 0) {
            return -1;
        }
    }

    s = st_get_stmt(st, S_VALUES_DEL, err);
    if (s == NULL) {
        return -1;
    }
    sqlite3_bind_int64(s, 1, id);
    if (st_step_done(st, s, "writing values", err) < 0) {
        return -1;
    }
    s = st_get_stmt(st, S_VALUE_PUT, err);
    if (s == NULL) {
        return -1;
    }
    for (unsigned d = 0; d < N1_DIM_COUNT; d++) {
        for (unsigned i = 0; i < c->dims[d].n; i++) {
            sqlite3_bind_int64(s, 1, id);
            sqlite3_bind_text(s, 2, n1_agg_dim_name(d), -1, SQLITE_STATIC);
            sqlite3_bind_text(s, 3, c->dims[d].v[i].value, -1, SQLITE_STATIC);
            sqlite3_bind_int64(s, 4, st_to_i64(c->dims[d].v[i].count));
            if (st_step_done(st, s, "writing values", err) < 0) {
                return -1;
            }
        }
    }
    return 0;
}

/* Merges one aggregate class into its stored row. */
int st_merge_one(struct n1_store *st, const struct n1_agg_class *c,
                 struct n1_error *err)
{
    struct n1_agg_class merged;
    int ret = -1;

    n1_agg_class_init(&merged);
    if (n1_store_load_class(st, c->id, &merged, err) < 0 ||
        n1_agg_class_merge(&merged, c, st->sample_max, err) < 0 ||
        write_class(st, &merged, err) < 0) {
        goto out;
    }
    ret = 0;

out:
    n1_agg_class_cleanup(&merged);
    return ret;
}

/* ---- files ---- */

void n1_store_file_state_init(struct n1_file_state *fs)
{
    memset(fs, 0, sizeof(*fs));
}

void n1_store_file_state_cleanup(struct n1_file_state *fs)
{
    if (fs == NULL) {
        return;
    }
    free(fs->path);
    n1_store_file_state_init(fs);
}

int n1_store_file_lookup(struct n1_store *st, const char *path,
                         const struct n1_file_ident *ident,
                         struct n1_file_state *out, struct n1_error *err)
{
    sqlite3_stmt *s = st_get_stmt(st, S_FILE_LOOKUP, err);

    if (s == NULL) {
        return -1;
    }
    sqlite3_bind_text(s, 1, path, -1, SQLITE_STATIC);
    /* Identity matching needs a real inode (stdin has none). */
    if (ident != NULL && ident->inode != 0) {
        sqlite3_bind_int64(s, 2, st_to_i64(ident->dev));
        sqlite3_bind_int64(s, 3, st_to_i64(ident->inode));
        sqlite3_bind_int(s, 4, 1);
    } else {
        sqlite3_bind_null(s, 2);
        sqlite3_bind_null(s, 3);
        sqlite3_bind_int(s, 4, 0);
    }
    return st_fetch_file_row(st, s, out, "looking up a file", err);
}

enum n1_file_verdict n1_store_file_verdict(const struct n1_file_state *prev,
                                           const struct n1_file_ident *cur,
                                           const uint64_t *prefix_hash)
{
    const struct n1_file_ident *old;

    if (prev == NULL || cur->inode == 0) {
        return N1_FILE_NEW;
    }
    old = &prev->ident;
    if (old->dev != cur->dev || old->inode != cur->inode) {
        return N1_FILE_REPLACED;
    }
    /* The first bytes must be the ones we read before. */
    if (cur->head_len < old->head_len) {
        return N1_FILE_REPLACED;
    }
    if (cur->head_len == old->head_len && cur->head_hash != old->head_hash) {
        return N1_FILE_REPLACED;
    }
    if (cur->head_len > old->head_len && prefix_hash != NULL &&
        *prefix_hash != old->head_hash) {
        return N1_FILE_REPLACED;
    }
    if (cur->dev == 0) {
        /* Compressed: sizes are of the compressed bytes, offsets of the
           uncompressed ones, so only "did we finish" is known. */
        if (cur->size != old->size) {
            return N1_FILE_REPLACED;
        }
        return prev->complete ? N1_FILE_SAME : N1_FILE_GROWN;
    }
    if (cur->size < prev->offset) {
        return N1_FILE_REPLACED; /* truncated (copytruncate rotation) */
    }
    return cur->size == prev->offset ? N1_FILE_SAME : N1_FILE_GROWN;
}

const char *n1_store_verdict_name(enum n1_file_verdict v)
{
    switch (v) {
    case N1_FILE_NEW:
        return "new";
    case N1_FILE_SAME:
        return "same";
    case N1_FILE_GROWN:
        return "grown";
    case N1_FILE_REPLACED:
        return "replaced";
    }
    return "unknown";
}

/* Inserts or updates the record of one file; *new_id gets the row id. */
int st_write_file(struct n1_store *st, const struct n1_file_progress *f,
                  sqlite3_int64 now, sqlite3_int64 *new_id,
                  struct n1_error *err)
{
    sqlite3_stmt *s =
        st_get_stmt(st, f->file_id != 0 ? S_FILE_UPD : S_FILE_INS, err);

    if (s == NULL) {
        return -1;
    }
    if (f->path == NULL) {
        n1_err_set(err, N1_EUSAGE, st->path, 0, "file progress without path");
        return -1;
    }
    sqlite3_bind_text(s, 1, f->path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, st_to_i64(f->ident.dev));
    sqlite3_bind_int64(s, 3, st_to_i64(f->ident.inode));
    sqlite3_bind_int64(s, 4, st_to_i64(f->ident.head_hash));
    sqlite3_bind_int64(s, 5, f->ident.head_len);
    sqlite3_bind_int64(s, 6, st_to_i64(f->ident.size));
    sqlite3_bind_int64(s, 7, st_to_i64(f->offset));
    sqlite3_bind_int64(s, 8, (sqlite3_int64)f->line);
    sqlite3_bind_int(s, 9, f->complete != 0);
    sqlite3_bind_text(s, 10, f->flavour != NULL ? f->flavour : "", -1,
                      SQLITE_STATIC);
    sqlite3_bind_int64(s, 11, st_to_i64(f->events));
    sqlite3_bind_int64(s, 12, st_to_i64(f->skipped));
    sqlite3_bind_int64(s, 13, now);
    if (f->file_id != 0) {
        sqlite3_bind_int64(s, 14, f->file_id);
    }
    if (st_step_done(st, s, "recording file progress", err) < 0) {
        return -1;
    }
    if (f->file_id != 0) {
        if (sqlite3_changes(st->db) != 1) {
            n1_err_set(err, N1_ESTORE, st->path, 0,
                       "no file record %lld for %s", (long long)f->file_id,
                       f->path);
            return -1;
        }
        *new_id = f->file_id;
    } else {
        *new_id = sqlite3_last_insert_rowid(st->db);
    }
    return 0;
}

/* Runs BEGIN or COMMIT, naming the transaction in an error: "<verb> <what>". */
static int run_named(struct n1_store *st, enum stmt_id id, const char *verb,
                     const char *what, struct n1_error *err)
{
    char doing[64];

    snprintf(doing, sizeof(doing), "%s %s", verb, what);
    return st_run(st, id, doing, err);
}

int st_commit_batch(struct n1_store *st, const struct st_batch *b,
                    struct n1_error *err)
{
    sqlite3_int64 *ids = NULL;
    sqlite3_int64 now = (sqlite3_int64)time(NULL);
    const struct n1_agg *agg = b->agg;
    int ret = -1;

    if (b->n_files > 0) {
        ids = calloc(b->n_files, sizeof(*ids));
        if (ids == NULL) {
            n1_err_oom(err, "flushing to the store");
            return -1;
        }
    }
    if (run_named(st, S_BEGIN, "starting", b->what, err) < 0) {
        goto out;
    }
    for (size_t i = 0; agg != NULL && i < n1_agg_size(agg); i++) {
        if (st_merge_one(st, n1_agg_at(agg, i), err) < 0) {
            goto out;
        }
        if (b->drain != NULL) {
            n1_agg_release(b->drain, i);
        }
    }
    for (size_t i = 0; i < b->n_files; i++) {
        if (st_write_file(st, &b->files[i], now, &ids[i], err) < 0) {
            goto out;
        }
    }
    if (b->extra != NULL && b->extra(st, b->ud, now, err) < 0) {
        goto out;
    }
    if (run_named(st, S_COMMIT, "committing", b->what, err) < 0) {
        goto out;
    }
    /* Only now are the new rows real. */
    for (size_t i = 0; i < b->n_files; i++) {
        b->files[i].file_id = ids[i];
    }
    ret = 0;

out:
    if (ret < 0) {
        st_rollback(st);
    }
    free(ids);
    return ret;
}

/* n1_store_flush() and n1_store_flush_drain(): drain is agg when each
   class should be released once merged, else NULL. */
static int flush_agg(struct n1_store *st, const struct n1_agg *agg,
                     struct n1_agg *drain, struct n1_file_progress *files,
                     size_t n, struct n1_error *err)
{
    struct st_batch b = {.what = "a flush",
                         .agg = agg,
                         .drain = drain,
                         .files = files,
                         .n_files = n};

    return st_commit_batch(st, &b, err);
}

int n1_store_flush(struct n1_store *st, const struct n1_agg *agg,
                   struct n1_file_progress *files, size_t n,
                   struct n1_error *err)
{
    return flush_agg(st, agg, NULL, files, n, err);
}

int n1_store_flush_drain(struct n1_store *st, struct n1_agg *agg,
                         struct n1_file_progress *files, size_t n,
                         struct n1_error *err)
{
    int ret = flush_agg(st, agg, agg, files, n, err);

    for (size_t i = 0; ret < 0 && agg != NULL && i < n1_agg_size(agg); i++) {
        n1_agg_release(agg, i);
    }
    return ret;
}
