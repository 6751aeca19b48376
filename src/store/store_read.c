/* SPDX-License-Identifier: MIT */
/*
 * store_read.c: reading classes, files and findings back from the store.
 *
 * A stored class is one fingerprints row plus its metrics rows (histograms
 * decoded from their varint BLOBs) and its fp_values rows; read_class()
 * turns them into a struct n1_agg_class, for n1_store_load_class() and for
 * the classes cursor. Cursors own a statement of their own rather than one
 * of the cached ones, so several may be open at once, and they hand out
 * rows that stay valid until the next step. Metrics and value kinds this
 * build does not know are skipped, not reported. Nothing here writes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store/store.h"
#include "store/store_int.h"

#define FINDING_COLUMNS                                                      \
    "id, kind, fingerprint, file, line, first_seen, last_seen, count, json," \
    " run_time, occ, summary, saved, keys, time_s, confidence, starts,"      \
    " ends, ev_known, conns"

enum cursor_kind {
    CUR_CLASSES, /* rows of fingerprints */
    CUR_FILES,   /* rows of files */
    CUR_FINDINGS /* rows of findings */
};

struct n1_store_cursor {
    struct n1_store *st;     /* borrowed */
    sqlite3_stmt *stmt;      /* owned: not one of the cached ones */
    enum cursor_kind kind;   /* what next() returns */
    struct n1_agg_class cls; /* current class */
    struct n1_file_state fs; /* current file */
    /* Current finding; its strings point into the statement's row. */
    struct n1_store_finding fnd;
    uint64_t *conns;  /* owned: fnd.conns */
    size_t conns_cap; /* entries conns has room for */
};

/* Copies a TEXT column (which may hold NUL bytes) with a NUL after it;
   NULL for SQL NULL or when memory ran out. */
char *st_column_dup(sqlite3_stmt *s, int col, size_t *len)
{
    const void *p = NULL;
    size_t n;
    char *copy = NULL;

    if (len != NULL) {
        *len = 0;
    }
    if (sqlite3_column_type(s, col) == SQLITE_NULL) {
        return NULL;
    }
    p = sqlite3_column_blob(s, col);
    n = (size_t)sqlite3_column_bytes(s, col);
    copy = malloc(n + 1);
    if (copy == NULL) {
        return NULL;
    }
    if (n > 0) {
        memcpy(copy, p, n);
    }
    copy[n] = '\0';
    if (len != NULL) {
        *len = n;
    }
    return copy;
}

int64_t st_column_ts(sqlite3_stmt *s, int col)
{
    if (sqlite3_column_type(s, col) == SQLITE_NULL) {
        return N1_TS_NONE;
    }
    return sqlite3_column_int64(s, col);
}

static int dim_index(const char *name)
{
    for (unsigned d = 0; d < N1_DIM_COUNT; d++) {
        if (strcmp(name, n1_agg_dim_name(d)) == 0) {
            return (int)d;
        }
    }
    return -1;
}

static int metric_index(const char *name)
{
    for (unsigned m = 0; m < N1_AGG_NMETRICS; m++) {
        if (strcmp(name, n1_agg_metric_name(m)) == 0) {
            return (int)m;
        }
    }
    return -1;
}

/* Fills c (empty) from a row of S_FP_GET or the classes cursor, whose
   columns are FP_COLUMNS. Returns 0, or -1 with err set. */
static int read_class_row(sqlite3_stmt *row, struct n1_agg_class *c,
                          struct n1_error *err)
{
    const unsigned char *hex = sqlite3_column_text(row, 1);

    c->id = st_to_u64(sqlite3_column_int64(row, 0));
    snprintf(c->hex, sizeof(c->hex), "%s",
             hex != NULL ? (const char *)hex : "");
    c->text = st_column_dup(row, 2, &c->text_len);
    c->count = st_to_u64(sqlite3_column_int64(row, 3));
    c->first_seen = st_column_ts(row, 4);
    c->last_seen = st_column_ts(row, 5);
    c->sample = st_column_dup(row, 6, &c->sample_len);
    c->sample_full_len = (size_t)sqlite3_column_int64(row, 7);
    c->sample_file = st_column_dup(row, 8, NULL);
    c->sample_line = (unsigned long)sqlite3_column_int64(row, 9);
    c->sample_has_qt = sqlite3_column_type(row, 10) != SQLITE_NULL;
    c->sample_qt = sqlite3_column_double(row, 10);
    for (int i = 0; i < N1_AGG_CHART_N; i++) {
        c->chart[i] = st_to_u64(sqlite3_column_int64(row, 11 + i));
    }
    for (int d = 0; d < N1_DIM_COUNT; d++) {
        c->dims[d].other = st_to_u64(sqlite3_column_int64(row, 19 + d));
    }
    if (c->text == NULL ||
        (sqlite3_column_type(row, 6) != SQLITE_NULL && c->sample == NULL) ||
        (sqlite3_column_type(row, 8) != SQLITE_NULL &&
         c->sample_file == NULL)) {
        n1_err_oom(err, "reading class");
        return -1;
    }
    return 0;
}

/* Reads one metrics row of class c (columns name, n, sum, min, max,
   sumsq, hist) into c. Returns 0, or -1 with err set. */
static int read_metric(struct n1_store *st, sqlite3_stmt *s,
                       struct n1_agg_class *c, struct n1_error *err)
{
    const char *name = (const char *)sqlite3_column_text(s, 0);
    int m = name != NULL ? metric_index(name) : -1;
    struct n1_agg_stats *ms;

    if (m < 0) {
        return 0; /* a metric of a newer schema: not ours to read */
    }
    ms = &c->m[m];
    if (n1_hist_decode(&ms->hist, sqlite3_column_blob(s, 6),
                       (size_t)sqlite3_column_bytes(s, 6), err) < 0) {
        char why[256];

        snprintf(why, sizeof(why), "%s", err != NULL ? err->message : "");
        n1_err_set(err, N1_EPARSE, st->path, 0, "class %s %s: %s", c->hex, name,
                   why);
        return -1;
    }
    ms->n = st_to_u64(sqlite3_column_int64(s, 1));
    ms->sum = sqlite3_column_double(s, 2);
    ms->min = sqlite3_column_double(s, 3);
    ms->max = sqlite3_column_double(s, 4);
    ms->sumsq = sqlite3_column_double(s, 5);
    return 0;
}

/* Reads one fp_values row (kind, value, count) of class c into c.
   Returns 0, or -1 with err set. */
static int read_value(struct n1_store *st, sqlite3_stmt *s,
                      struct n1_agg_class *c, struct n1_error *err)
{
    const char *kind = (const char *)sqlite3_column_text(s, 0);
    int d = kind != NULL ? dim_index(kind) : -1;

    (void)st;
    if (d < 0) {
        return 0;
    }
    /* Stored lists are distinct, non-empty and within the cap, so this
       lists them as they were. */
    if (n1_agg_class_add_value(c, (enum n1_agg_dim)d,
                               (const char *)sqlite3_column_text(s, 1),
                               st_to_u64(sqlite3_column_int64(s, 2))) < 0) {
        n1_err_oom(err, "reading class");
        return -1;
    }
    return 0;
}

/* Runs the cached statement id for class c and hands each row to one.
   Returns 0, or -1 with err set ("what" names the step). */
static int read_class_rows(struct n1_store *st, enum stmt_id id,
                           struct n1_agg_class *c, const char *what,
                           int (*one)(struct n1_store *st, sqlite3_stmt *s,
                                      struct n1_agg_class *c,
                                      struct n1_error *err),
                           struct n1_error *err)
{
    sqlite3_stmt *s = st_get_stmt(st, id, err);
    int rc;

    if (s == NULL) {
        return -1;
    }
    sqlite3_bind_int64(s, 1, st_to_i64(c->id));
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (one(st, s, c, err) < 0) {
            sqlite3_reset(s);
            return -1;
        }
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        st_db_error(st, err, what);
        return -1;
    }
    return 0;
}

/* Fills c (empty) from a row of S_FP_GET or the classes cursor, whose
   columns are FP_COLUMNS, then loads its metrics and values. */
static int read_class(struct n1_store *st, sqlite3_stmt *row,
                      struct n1_agg_class *c, struct n1_error *err)
{
    if (read_class_row(row, c, err) < 0 ||
        read_class_rows(st, S_METRICS_GET, c, "reading metrics", read_metric,
                        err) < 0 ||
        read_class_rows(st, S_VALUES_GET, c, "reading values", read_value,
                        err) < 0) {
        return -1;
    }
    return 0;
}

int n1_store_load_class(struct n1_store *st, uint64_t id,
                        struct n1_agg_class *out, struct n1_error *err)
{
    sqlite3_stmt *s = st_get_stmt(st, S_FP_GET, err);
    struct n1_agg_class c;
    int rc;

    if (s == NULL) {
        return -1;
    }
    n1_agg_class_init(&c);
    sqlite3_bind_int64(s, 1, st_to_i64(id));
    rc = st_step_row(st, s, "reading a class", err);
    if (rc <= 0) {
        return rc;
    }
    rc = read_class(st, s, &c, err);
    sqlite3_reset(s);
    if (rc < 0) {
        n1_agg_class_cleanup(&c);
        return -1;
    }
    n1_agg_class_cleanup(out);
    *out = c;
    return 1;
}

int st_step_row(struct n1_store *st, sqlite3_stmt *s, const char *what,
                struct n1_error *err)
{
    int rc = sqlite3_step(s);

    if (rc == SQLITE_ROW) {
        return 1;
    }
    if (rc != SQLITE_DONE) {
        st_db_error(st, err, what);
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

int st_fetch_file_row(struct n1_store *st, sqlite3_stmt *s,
                      struct n1_file_state *out, const char *what,
                      struct n1_error *err)
{
    struct n1_file_state fs;
    int rc = st_step_row(st, s, what, err);

    if (rc <= 0) {
        return rc;
    }
    n1_store_file_state_init(&fs);
    rc = st_read_file_row(s, &fs, err);
    sqlite3_reset(s);
    if (rc < 0) {
        n1_store_file_state_cleanup(&fs);
        return -1;
    }
    n1_store_file_state_cleanup(out);
    *out = fs;
    return 1;
}

/* Fills fs (empty) from a row whose columns are FILE_COLUMNS. */
int st_read_file_row(sqlite3_stmt *s, struct n1_file_state *fs,
                     struct n1_error *err)
{
    const unsigned char *flavour = sqlite3_column_text(s, 10);

    fs->id = sqlite3_column_int64(s, 0);
    fs->path = st_column_dup(s, 1, NULL);
    if (fs->path == NULL) {
        n1_err_oom(err, "reading files");
        return -1;
    }
    fs->ident.dev = st_to_u64(sqlite3_column_int64(s, 2));
    fs->ident.inode = st_to_u64(sqlite3_column_int64(s, 3));
    fs->ident.head_hash = st_to_u64(sqlite3_column_int64(s, 4));
    fs->ident.head_len = (uint32_t)sqlite3_column_int64(s, 5);
    fs->ident.size = st_to_u64(sqlite3_column_int64(s, 6));
    fs->offset = st_to_u64(sqlite3_column_int64(s, 7));
    fs->line = (unsigned long)sqlite3_column_int64(s, 8);
    fs->complete = sqlite3_column_int(s, 9) != 0;
    snprintf(fs->flavour, sizeof(fs->flavour), "%s",
             flavour != NULL ? (const char *)flavour : "");
    fs->events = st_to_u64(sqlite3_column_int64(s, 11));
    fs->skipped = st_to_u64(sqlite3_column_int64(s, 12));
    fs->first_read = sqlite3_column_int64(s, 13);
    fs->last_read = sqlite3_column_int64(s, 14);
    return 0;
}

long n1_store_class_count(struct n1_store *st, struct n1_error *err)
{
    sqlite3_stmt *s = st_get_stmt(st, S_FP_COUNT, err);
    long n = -1;

    if (s == NULL) {
        return -1;
    }
    if (sqlite3_step(s) == SQLITE_ROW) {
        n = (long)sqlite3_column_int64(s, 0);
    } else {
        st_db_error(st, err, "counting classes");
    }
    sqlite3_reset(s);
    return n;
}

static struct n1_store_cursor *cursor_new(struct n1_store *st,
                                          enum cursor_kind kind,
                                          const char *sql, struct n1_error *err)
{
    struct n1_store_cursor *cur = calloc(1, sizeof(*cur));

    if (cur == NULL) {
        n1_err_oom(err, "opening a store cursor");
        return NULL;
    }
    cur->st = st;
    cur->kind = kind;
    n1_agg_class_init(&cur->cls);
    n1_store_file_state_init(&cur->fs);
    if (sqlite3_prepare_v2(st->db, sql, -1, &cur->stmt, NULL) != SQLITE_OK) {
        st_db_error(st, err, "starting an iteration");
        n1_store_cursor_free(cur);
        return NULL;
    }
    return cur;
}

struct n1_store_cursor *n1_store_classes(struct n1_store *st,
                                         struct n1_error *err)
{
    return cursor_new(st, CUR_CLASSES,
                      "SELECT " FP_COLUMNS " FROM fingerprints ORDER BY id",
                      err);
}

struct n1_store_cursor *n1_store_files(struct n1_store *st,
                                       struct n1_error *err)
{
    return cursor_new(st, CUR_FILES,
                      "SELECT " FILE_COLUMNS " FROM files ORDER BY id", err);
}

struct n1_store_cursor *n1_store_findings(struct n1_store *st, const char *file,
                                          struct n1_error *err)
{
    struct n1_store_cursor *cur = NULL;

    /* One file is its own query, found by the index on file. */
    cur = cursor_new(st, CUR_FINDINGS,
                     file != NULL ? "SELECT " FINDING_COLUMNS " FROM findings"
                                    " WHERE file = ?1 ORDER BY seq"
                                  : "SELECT " FINDING_COLUMNS " FROM findings"
                                    " ORDER BY seq",
                     err);
    if (cur == NULL) {
        return NULL;
    }
    if (file != NULL &&
        st_bind_text_or_null(cur->stmt, 1, file, strlen(file)) != SQLITE_OK) {
        st_db_error(st, err, "starting an iteration");
        n1_store_cursor_free(cur);
        return NULL;
    }
    return cur;
}

struct n1_store_cursor *n1_store_findings_by_class(struct n1_store *st,
                                                   const uint64_t *id,
                                                   struct n1_error *err)
{
    struct n1_store_cursor *cur = NULL;
    int rc;

    /* first_seen NULL (unknown) sorts first, as SQLite orders NULLs; seq
       breaks the remaining ties in insertion order. One class is its own
       query, so that it is found by the index on id (an OR would scan
       the table once per class). */
    cur = cursor_new(st, CUR_FINDINGS,
                     id != NULL ? "SELECT " FINDING_COLUMNS " FROM findings"
                                  " WHERE id = ?1"
                                  " ORDER BY first_seen, file, line, seq"
                                : "SELECT " FINDING_COLUMNS " FROM findings"
                                  " ORDER BY id, first_seen, file, line, seq",
                     err);
    if (cur == NULL) {
        return NULL;
    }
    rc = id != NULL ? sqlite3_bind_int64(cur->stmt, 1, st_to_i64(*id))
                    : SQLITE_OK;
    if (rc != SQLITE_OK) {
        st_db_error(st, err, "starting an iteration");
        n1_store_cursor_free(cur);
        return NULL;
    }
    return cur;
}

/* Steps the cursor: 1 with a row, 0 at the end, -1 on error. */
static int cursor_step(struct n1_store_cursor *cur, enum cursor_kind kind,
                       struct n1_error *err)
{
    int rc;

    if (cur->kind != kind) {
        n1_err_set(err, N1_EUSAGE, cur->st->path, 0,
                   "cursor is of another kind");
        return -1;
    }
    rc = sqlite3_step(cur->stmt);
    if (rc == SQLITE_DONE) {
        return 0;
    }
    if (rc != SQLITE_ROW) {
        st_db_error(cur->st, err, "iterating");
        return -1;
    }
    return 1;
}

int n1_store_next_class(struct n1_store_cursor *cur,
                        const struct n1_agg_class **out, struct n1_error *err)
{
    int rc = cursor_step(cur, CUR_CLASSES, err);

    n1_agg_class_cleanup(&cur->cls);
    if (rc <= 0) {
        return rc;
    }
    if (read_class(cur->st, cur->stmt, &cur->cls, err) < 0) {
        n1_agg_class_cleanup(&cur->cls);
        return -1;
    }
    *out = &cur->cls;
    return 1;
}

int n1_store_next_file(struct n1_store_cursor *cur,
                       const struct n1_file_state **out, struct n1_error *err)
{
    int rc = cursor_step(cur, CUR_FILES, err);

    n1_store_file_state_cleanup(&cur->fs);
    if (rc <= 0) {
        return rc;
    }
    if (st_read_file_row(cur->stmt, &cur->fs, err) < 0) {
        n1_store_file_state_cleanup(&cur->fs);
        return -1;
    }
    *out = &cur->fs;
    return 1;
}

/* Reads the class summary columns (migration 6) of the cursor's row into
   f. Returns 0, or -1 with err set. */
static int read_summary(struct n1_store_cursor *cur, struct n1_store_finding *f,
                        struct n1_error *err)
{
    sqlite3_stmt *s = cur->stmt;
    const char *p = (const char *)sqlite3_column_text(s, 19);
    size_t n = 0;

    f->summary = 1;
    f->saved = st_to_u64(sqlite3_column_int64(s, 12));
    f->keys = st_to_u64(sqlite3_column_int64(s, 13));
    if (sqlite3_column_type(s, 14) != SQLITE_NULL) {
        f->time_s = sqlite3_column_double(s, 14);
    }
    f->confidence = sqlite3_column_int(s, 15);
    f->starts = sqlite3_column_int(s, 16);
    f->ends = sqlite3_column_int(s, 17);
    f->ev_known = sqlite3_column_int(s, 18);
    while (p != NULL && *p != '\0') {
        char *end = NULL;
        uint64_t v = (uint64_t)strtoull(p, &end, 10);

        if (end == p) {
            break;
        }
        if (n == cur->conns_cap) {
            size_t cap = n > 0 ? n * 2 : 16;
            uint64_t *c = realloc(cur->conns, cap * sizeof(*c));

            if (c == NULL) {
                n1_err_oom(err, "reading a finding");
                return -1;
            }
            cur->conns = c;
            cur->conns_cap = cap;
        }
        cur->conns[n++] = v;
        p = end;
    }
    f->conns = cur->conns;
    f->n_conns = n;
    return 0;
}

int n1_store_next_finding(struct n1_store_cursor *cur,
                          const struct n1_store_finding **out,
                          struct n1_error *err)
{
    struct n1_store_finding *f = &cur->fnd;
    sqlite3_stmt *s = cur->stmt;
    const unsigned char *t;
    int rc = cursor_step(cur, CUR_FINDINGS, err);

    memset(f, 0, sizeof(*f));
    if (rc <= 0) {
        return rc;
    }
    /* The strings stay valid until the next step: SQLite keeps the row's
       text while the statement sits on it. */
    f->id = st_to_u64(sqlite3_column_int64(s, 0));
    t = sqlite3_column_text(s, 1);
    f->kind = t != NULL ? (const char *)t : "";
    f->fingerprint = st_to_u64(sqlite3_column_int64(s, 2));
    t = sqlite3_column_text(s, 3);
    f->file = t != NULL ? (const char *)t : "";
    f->line = (unsigned long)sqlite3_column_int64(s, 4);
    f->first_seen_us = st_column_ts(s, 5);
    f->last_seen_us = st_column_ts(s, 6);
    f->count = (uint64_t)sqlite3_column_int64(s, 7);
    t = sqlite3_column_text(s, 8);
    f->json = t != NULL ? (const char *)t : "";
    f->json_len = t != NULL ? (size_t)sqlite3_column_bytes(s, 8) : 0;
    f->run_time = sqlite3_column_int64(s, 9);
    f->occ = (const char *)sqlite3_column_text(s, 10);
    f->time_s = NAN;
    if (sqlite3_column_int(s, 11) != 0 && read_summary(cur, f, err) != 0) {
        return -1;
    }
    *out = f;
    return 1;
}

void n1_store_cursor_free(struct n1_store_cursor *cur)
{
    if (cur == NULL) {
        return;
    }
    sqlite3_finalize(cur->stmt);
    n1_agg_class_cleanup(&cur->cls);
    n1_store_file_state_cleanup(&cur->fs);
    free(cur->conns);
    free(cur);
}

int n1_store_totals(struct n1_store *st, struct n1_agg_class *out,
                    struct n1_error *err)
{
    struct n1_store_cursor *cur = n1_store_classes(st, err);
    const struct n1_agg_class *c = NULL;
    int rc;
    int ret = -1;

    if (cur == NULL) {
        return -1;
    }
    for (;;) {
        struct n1_agg_class tmp;

        rc = n1_store_next_class(cur, &c, err);
        if (rc != 1) {
            break;
        }
        /* Totals carry no identity: merge a view without the text. */
        tmp = *c;
        tmp.text = NULL;
        tmp.text_len = 0;
        if (n1_agg_class_merge(out, &tmp, st->sample_max, err) < 0) {
            goto out;
        }
    }
    if (rc == 0) {
        ret = 0;
    }

out:
    n1_store_cursor_free(cur);
    return ret;
}
