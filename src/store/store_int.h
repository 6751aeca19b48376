/* SPDX-License-Identifier: MIT */
/*
 * store_int.h: what the store modules share. Not part of the public API.
 *
 * store.c opens the database and owns struct n1_store with its cache of
 * prepared statements (enum stmt_id); store_flush.c, store_read.c and
 * store_findings.c reach the database only through st_get_stmt() and the
 * other st_* helpers below, so that every SQLite error is translated into
 * a struct n1_error naming the store's path in one place. This header
 * includes sqlite3.h; store.h, the public one, never does.
 */
#ifndef N1_STORE_INT_H
#define N1_STORE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sqlite3.h>

#include "base/error.h"
#include "base/strbuf.h"
#include "stats/aggregate.h"
#include "store/store.h"

/* Prepared statements, created on first use and kept until close. */
enum stmt_id {
    S_BEGIN = 0,      /* BEGIN IMMEDIATE */
    S_COMMIT,         /* COMMIT */
    S_ROLLBACK,       /* ROLLBACK */
    S_META_GET,       /* meta value by key */
    S_META_PUT,       /* meta upsert */
    S_FP_GET,         /* one fingerprint row */
    S_FP_PUT,         /* fingerprint upsert */
    S_METRICS_GET,    /* metric rows of a fingerprint */
    S_METRIC_PUT,     /* metric upsert */
    S_VALUES_GET,     /* value rows of a fingerprint, first-seen order */
    S_VALUES_DEL,     /* drop value rows of a fingerprint */
    S_VALUE_PUT,      /* one value row */
    S_FILE_LOOKUP,    /* newest file row by identity, else by path */
    S_FILE_INS,       /* new file row */
    S_FILE_UPD,       /* update a file row */
    S_FP_COUNT,       /* number of fingerprints */
    S_FIND_DEL,       /* drop the findings of one file up to a seq */
    S_FIND_INS,       /* one finding */
    S_FILE_BY_ID,     /* one file row by id */
    S_TAIL_GET,       /* tail state of a path */
    S_TAIL_PUT,       /* tail state upsert */
    S_FIND_SEEN,      /* is this finding stored already */
    S_CP_PUT,         /* one tail checkpoint */
    S_CP_PRUNE,       /* drop checkpoints no restart can need */
    S_CP_GET,         /* newest checkpoint at or before an offset */
    S_FIND_UNEMITTED, /* tail's stored lines not printed yet */
    S_FIND_EMITTED,   /* mark them printed */
    S_FIND_LAST,      /* the newest finding's seq */
    S_TAIL_BY_FILE,   /* the tail state reading a device and inode */
    S_VERDICT_PUT,    /* verify's verdict of a finding, upsert */
    S_VERDICT_GET,    /* the verdict of one finding */
    S_VERDICT_ALL,    /* every verdict, by finding id */
    S_COUNT
};

#define FP_COLUMNS                                                          \
    "id, hex, text, count, first_seen, last_seen, sample, sample_full_len," \
    " sample_file, sample_line, sample_qt, qt_1us, qt_10us, qt_100us,"      \
    " qt_1ms, qt_10ms, qt_100ms, qt_1s, qt_10s, db_other, user_other,"      \
    " host_other"

#define FILE_COLUMNS                                                 \
    "id, path, dev, inode, head_hash, head_len, size, offset, line," \
    " complete, flavour, events, skipped, first_read, last_read"

struct n1_store {
    sqlite3 *db;                 /* the connection */
    char *path;                  /* as opened */
    sqlite3_stmt *stmt[S_COUNT]; /* prepared on first use */
    struct n1_strbuf blob;       /* reused histogram encoding buffer */
    size_t sample_max;           /* cap on stored samples */
};

/* SQLite stores integers as signed 64 bits: keep the bits of ours.
   Inline: the flush calls these for every column of every class. */
static inline sqlite3_int64 st_to_i64(uint64_t v)
{
    sqlite3_int64 r;

    memcpy(&r, &v, sizeof(r));
    return r;
}

static inline uint64_t st_to_u64(sqlite3_int64 v)
{
    uint64_t r;

    memcpy(&r, &v, sizeof(r));
    return r;
}

/* store.c */

/* Sets err to "what: <sqlite3_errmsg>" with the store's path. */
void st_db_error(struct n1_store *st, struct n1_error *err, const char *what);

/* Returns the cached statement id, preparing it on first use; NULL with
   err set on failure. Borrowed: valid until n1_store_close(). */
sqlite3_stmt *st_get_stmt(struct n1_store *st, enum stmt_id id,
                          struct n1_error *err);

/* Runs a statement that returns no rows, then resets it. Returns 0 or -1
   with err set to "what: ...". */
int st_step_done(struct n1_store *st, sqlite3_stmt *s, const char *what,
                 struct n1_error *err);

/* st_get_stmt() then st_step_done(): for the parameterless statements
   (BEGIN, COMMIT, ...). */
int st_run(struct n1_store *st, enum stmt_id id, const char *what,
           struct n1_error *err);

/* Rolls back the open transaction, if any; errors are ignored. */
void st_rollback(struct n1_store *st);

/* store_read.c */

/* Copies a TEXT column (which may hold NUL bytes) with a NUL after it;
   NULL for SQL NULL or when memory ran out. Caller frees with free().
   len may be NULL. */
char *st_column_dup(sqlite3_stmt *s, int col, size_t *len);

/* A timestamp column: N1_TS_NONE for SQL NULL. */
int64_t st_column_ts(sqlite3_stmt *s, int col);

/* Fills fs (empty) from a row whose columns are FILE_COLUMNS. Returns 0,
   or -1 with err set (fs then needs n1_store_file_state_cleanup()). */
int st_read_file_row(sqlite3_stmt *s, struct n1_file_state *fs,
                     struct n1_error *err);

/*
 * Steps s, which yields at most one row. Returns 1 on a row (the caller
 * reads it, then resets s), 0 when there is none, or -1 with err set
 * ("<what>: " and SQLite's message); s is reset in those two cases.
 */
int st_step_row(struct n1_store *st, sqlite3_stmt *s, const char *what,
                struct n1_error *err);

/* Steps s, which is bound and selects FILE_COLUMNS, and resets it. On a
   row, replaces *out (initialised) with it and returns 1; returns 0 when
   there is none, or -1 with err set ("what" names the step). */
int st_fetch_file_row(struct n1_store *st, sqlite3_stmt *s,
                      struct n1_file_state *out, const char *what,
                      struct n1_error *err);

/* store_flush.c */

/* Binds text of n bytes, or SQL NULL when v is NULL; v must outlive the
   step (SQLITE_STATIC). Returns a SQLite result code. */
int st_bind_text_or_null(sqlite3_stmt *s, int i, const char *v, size_t n);

/* Binds a timestamp, or SQL NULL for N1_TS_NONE. */
int st_bind_ts(sqlite3_stmt *s, int i, int64_t ts);

/* Merges one aggregate class into its stored row; inside a transaction
   the caller opened. Returns 0 or -1 with err set. */
int st_merge_one(struct n1_store *st, const struct n1_agg_class *c,
                 struct n1_error *err);

/* Inserts or updates the record of one file; *new_id gets the row id.
   Inside a transaction the caller opened. Returns 0 or -1 with err set. */
int st_write_file(struct n1_store *st, const struct n1_file_progress *f,
                  sqlite3_int64 now, sqlite3_int64 *new_id,
                  struct n1_error *err);

/* One transaction of n1_store_flush(), n1_store_flush_drain() or
   n1_store_tail_commit(). */
struct st_batch {
    const char *what;               /* "a flush": names it in errors */
    const struct n1_agg *agg;       /* classes to merge, or NULL */
    struct n1_agg *drain;           /* agg, to release each class once
                                       merged; or NULL */
    struct n1_file_progress *files; /* records to write; their file_id is
                                       set once the commit succeeded */
    size_t n_files;
    int (*extra)(struct n1_store *st, void *ud, sqlite3_int64 now,
                 struct n1_error *err); /* more rows, written after the
                                           files; NULL: none */
    void *ud;                           /* passed to extra */
};

/*
 * Writes b in one transaction: merges the classes, writes the file
 * records, calls b->extra, commits. Returns 0, or -1 with err set after
 * rolling the transaction back (no file_id changes then).
 */
int st_commit_batch(struct n1_store *st, const struct st_batch *b,
                    struct n1_error *err);

#endif /* N1_STORE_INT_H */
