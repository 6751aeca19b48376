/* SPDX-License-Identifier: MIT */
/*
 * store.c: SQLite persistence of fingerprint classes and file progress.
 *
 * Opening a store checks that the file is ours (PRAGMA application_id, or
 * an empty database), applies the migrations[] the file has not seen yet
 * (PRAGMA user_version counts them, each runs in its own IMMEDIATE
 * transaction that re-reads the version, so two processes opening a new
 * file at once do not both migrate), then checks the fingerprint version
 * in the meta table.
 *
 * A flush is one transaction: for each class of the aggregate it reads the
 * stored class back into a struct n1_agg_class, merges the new one with
 * the same n1_agg_class_merge() the aggregate uses, and writes the result
 * (histograms as varint BLOBs); then it records each file's offset. The
 * statistics and the offsets therefore change together or not at all.
 *
 * Every value goes through bound parameters; the only SQL assembled at run
 * time is "PRAGMA user_version = N", whose N is one of our constants since
 * PRAGMAs take no parameters. Statements are prepared once, on first use,
 * and reset after each use. SQLite errors are turned into struct n1_error
 * here, naming the database path. The store does no reading of logs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "normalize.h"
#include "store.h"
#include "strbuf.h"

/* "n1sc": marks a database as an n1scan store. */
#define APPLICATION_ID 0x6e317363

/*
 * Schema migrations, in order; migration i takes user_version from i to
 * i + 1. Never edit a released entry: append a new one (and bump
 * N1_STORE_SCHEMA_VERSION) for a new table or column.
 */
static const char *const migrations[N1_STORE_SCHEMA_VERSION] = {
    /* 1: meta, files, fingerprints, metrics, fp_values. */
    "PRAGMA application_id = 1848734563;" /* APPLICATION_ID */
    "CREATE TABLE meta ("
    "  key TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL"
    ");"
    "CREATE TABLE files ("
    "  id INTEGER PRIMARY KEY,"
    "  path TEXT NOT NULL,"
    "  dev INTEGER NOT NULL,"
    "  inode INTEGER NOT NULL,"
    "  head_hash INTEGER NOT NULL,"
    "  head_len INTEGER NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  offset INTEGER NOT NULL,"
    "  line INTEGER NOT NULL,"
    "  complete INTEGER NOT NULL,"
    "  flavour TEXT NOT NULL,"
    "  events INTEGER NOT NULL,"
    "  skipped INTEGER NOT NULL,"
    "  first_read INTEGER NOT NULL,"
    "  last_read INTEGER NOT NULL"
    ");"
    "CREATE INDEX files_path ON files(path);"
    "CREATE INDEX files_inode ON files(dev, inode);"
    "CREATE TABLE fingerprints ("
    "  id INTEGER PRIMARY KEY,"
    "  hex TEXT NOT NULL UNIQUE,"
    "  text TEXT NOT NULL,"
    "  fp_version INTEGER NOT NULL,"
    "  count INTEGER NOT NULL,"
    "  first_seen INTEGER,"
    "  last_seen INTEGER,"
    "  sample TEXT,"
    "  sample_full_len INTEGER NOT NULL,"
    "  sample_file TEXT,"
    "  sample_line INTEGER NOT NULL,"
    "  sample_qt REAL,"
    "  qt_1us INTEGER NOT NULL, qt_10us INTEGER NOT NULL,"
    "  qt_100us INTEGER NOT NULL, qt_1ms INTEGER NOT NULL,"
    "  qt_10ms INTEGER NOT NULL, qt_100ms INTEGER NOT NULL,"
    "  qt_1s INTEGER NOT NULL, qt_10s INTEGER NOT NULL,"
    "  db_other INTEGER NOT NULL,"
    "  user_other INTEGER NOT NULL,"
    "  host_other INTEGER NOT NULL"
    ");"
    "CREATE TABLE metrics ("
    "  fp_id INTEGER NOT NULL REFERENCES fingerprints(id),"
    "  metric TEXT NOT NULL,"
    "  n INTEGER NOT NULL,"
    "  sum REAL NOT NULL,"
    "  min REAL NOT NULL,"
    "  max REAL NOT NULL,"
    "  sumsq REAL NOT NULL,"
    "  hist BLOB NOT NULL,"
    "  PRIMARY KEY (fp_id, metric)"
    ") WITHOUT ROWID;"
    "CREATE TABLE fp_values ("
    "  fp_id INTEGER NOT NULL REFERENCES fingerprints(id),"
    "  kind TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  count INTEGER NOT NULL,"
    "  UNIQUE (fp_id, kind, value)"
    ");",
    /* 2: findings of `n1scan analyze`, one row per finding per run. */
    "CREATE TABLE findings ("
    "  seq INTEGER PRIMARY KEY,"
    "  id INTEGER NOT NULL,"
    "  hex TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  fingerprint INTEGER NOT NULL,"
    "  file TEXT NOT NULL,"
    "  line INTEGER NOT NULL,"
    "  first_seen INTEGER,"
    "  last_seen INTEGER,"
    "  count INTEGER NOT NULL,"
    "  json TEXT NOT NULL,"
    "  run_time INTEGER NOT NULL"
    ");"
    "CREATE INDEX findings_file ON findings(file);"
    "CREATE INDEX findings_id ON findings(id);",
    /* 3: where `n1scan tail` resumes each followed path. */
    "CREATE TABLE tail_state ("
    "  path TEXT PRIMARY KEY,"
    "  file_id INTEGER NOT NULL,"
    "  base INTEGER NOT NULL,"
    "  replay_file_id INTEGER NOT NULL,"
    "  replay_base INTEGER NOT NULL,"
    "  replay_offset INTEGER NOT NULL,"
    "  conns BLOB NOT NULL,"
    "  updated INTEGER NOT NULL"
    ");",
};

/* Prepared statements, created on first use and kept until close. */
enum stmt_id {
    S_BEGIN = 0,   /* BEGIN IMMEDIATE */
    S_COMMIT,      /* COMMIT */
    S_ROLLBACK,    /* ROLLBACK */
    S_META_GET,    /* meta value by key */
    S_META_PUT,    /* meta upsert */
    S_FP_GET,      /* one fingerprint row */
    S_FP_PUT,      /* fingerprint upsert */
    S_METRICS_GET, /* metric rows of a fingerprint */
    S_METRIC_PUT,  /* metric upsert */
    S_VALUES_GET,  /* value rows of a fingerprint, first-seen order */
    S_VALUES_DEL,  /* drop value rows of a fingerprint */
    S_VALUE_PUT,   /* one value row */
    S_FILE_LOOKUP, /* newest file row by identity, else by path */
    S_FILE_INS,    /* new file row */
    S_FILE_UPD,    /* update a file row */
    S_FP_COUNT,    /* number of fingerprints */
    S_FIND_DEL,    /* drop the findings of one file */
    S_FIND_INS,    /* one finding */
    S_FILE_BY_ID,  /* one file row by id */
    S_TAIL_GET,    /* tail state of a path */
    S_TAIL_PUT,    /* tail state upsert */
    S_FIND_SEEN,   /* is this finding stored already */
    S_COUNT
};

#define FP_COLUMNS                                                             \
    "id, hex, text, count, first_seen, last_seen, sample, sample_full_len,"    \
    " sample_file, sample_line, sample_qt, qt_1us, qt_10us, qt_100us,"         \
    " qt_1ms, qt_10ms, qt_100ms, qt_1s, qt_10s, db_other, user_other,"         \
    " host_other"

#define FILE_COLUMNS                                                           \
    "id, path, dev, inode, head_hash, head_len, size, offset, line,"           \
    " complete, flavour, events, skipped, first_read, last_read"

static const char *const stmt_sql[S_COUNT] = {
    "BEGIN IMMEDIATE",
    "COMMIT",
    "ROLLBACK",
    "SELECT value FROM meta WHERE key = ?1",
    "INSERT INTO meta(key, value) VALUES (?1, ?2)"
    " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    "SELECT " FP_COLUMNS " FROM fingerprints WHERE id = ?1",
    "INSERT INTO fingerprints(id, hex, text, fp_version, count, first_seen,"
    " last_seen, sample, sample_full_len, sample_file, sample_line,"
    " sample_qt, qt_1us, qt_10us, qt_100us, qt_1ms, qt_10ms, qt_100ms,"
    " qt_1s, qt_10s, db_other, user_other, host_other)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
    " ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)"
    " ON CONFLICT(id) DO UPDATE SET count = excluded.count,"
    " first_seen = excluded.first_seen, last_seen = excluded.last_seen,"
    " sample = excluded.sample, sample_full_len = excluded.sample_full_len,"
    " sample_file = excluded.sample_file,"
    " sample_line = excluded.sample_line, sample_qt = excluded.sample_qt,"
    " qt_1us = excluded.qt_1us, qt_10us = excluded.qt_10us,"
    " qt_100us = excluded.qt_100us, qt_1ms = excluded.qt_1ms,"
    " qt_10ms = excluded.qt_10ms, qt_100ms = excluded.qt_100ms,"
    " qt_1s = excluded.qt_1s, qt_10s = excluded.qt_10s,"
    " db_other = excluded.db_other, user_other = excluded.user_other,"
    " host_other = excluded.host_other",
    "SELECT metric, n, sum, min, max, sumsq, hist FROM metrics"
    " WHERE fp_id = ?1",
    "INSERT INTO metrics(fp_id, metric, n, sum, min, max, sumsq, hist)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
    " ON CONFLICT(fp_id, metric) DO UPDATE SET n = excluded.n,"
    " sum = excluded.sum, min = excluded.min, max = excluded.max,"
    " sumsq = excluded.sumsq, hist = excluded.hist",
    "SELECT kind, value, count FROM fp_values WHERE fp_id = ?1"
    " ORDER BY rowid",
    "DELETE FROM fp_values WHERE fp_id = ?1",
    "INSERT INTO fp_values(fp_id, kind, value, count) VALUES (?1, ?2, ?3, ?4)",
    "SELECT " FILE_COLUMNS " FROM files"
    " WHERE path = ?1 OR (?4 AND dev = ?2 AND inode = ?3)"
    " ORDER BY (?4 AND dev = ?2 AND inode = ?3) DESC, id DESC LIMIT 1",
    "INSERT INTO files(path, dev, inode, head_hash, head_len, size, offset,"
    " line, complete, flavour, events, skipped, first_read, last_read)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)",
    "UPDATE files SET path = ?1, dev = ?2, inode = ?3, head_hash = ?4,"
    " head_len = ?5, size = ?6, offset = ?7, line = ?8, complete = ?9,"
    " flavour = ?10, events = ?11, skipped = ?12, last_read = ?13"
    " WHERE id = ?14",
    "SELECT count(*) FROM fingerprints",
    "DELETE FROM findings WHERE file = ?1",
    "INSERT INTO findings(id, hex, kind, fingerprint, file, line,"
    " first_seen, last_seen, count, json, run_time)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    "SELECT " FILE_COLUMNS " FROM files WHERE id = ?1",
    "SELECT file_id, base, replay_file_id, replay_base, replay_offset,"
    " conns FROM tail_state WHERE path = ?1",
    "INSERT INTO tail_state(path, file_id, base, replay_file_id, replay_base,"
    " replay_offset, conns, updated)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
    " ON CONFLICT(path) DO UPDATE SET file_id = excluded.file_id,"
    " base = excluded.base, replay_file_id = excluded.replay_file_id,"
    " replay_base = excluded.replay_base,"
    " replay_offset = excluded.replay_offset,"
    " conns = excluded.conns, updated = excluded.updated",
    "SELECT 1 FROM findings WHERE id = ?1 AND file = ?2 AND line = ?3"
    " AND count = ?4 AND first_seen IS ?5 LIMIT 1",
};

#define FINDING_COLUMNS                                                        \
    "id, kind, fingerprint, file, line, first_seen, last_seen, count, json,"   \
    " run_time"

struct n1_store {
    sqlite3 *db;                 /* the connection */
    char *path;                  /* as opened */
    sqlite3_stmt *stmt[S_COUNT]; /* prepared on first use */
    struct n1_strbuf blob;       /* reused histogram encoding buffer */
    size_t sample_max;           /* cap on stored samples */
};

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
};

/* SQLite stores integers as signed 64 bits: keep the bits of ours. */
static sqlite3_int64 to_i64(uint64_t v)
{
    sqlite3_int64 r;

    memcpy(&r, &v, sizeof(r));
    return r;
}

static uint64_t to_u64(sqlite3_int64 v)
{
    uint64_t r;

    memcpy(&r, &v, sizeof(r));
    return r;
}

static void db_error(struct n1_store *st, struct n1_error *err,
                     const char *what)
{
    n1_err_set(err, N1_ESTORE, st->path, 0, "%s: %s", what,
               sqlite3_errmsg(st->db));
}

static sqlite3_stmt *get_stmt(struct n1_store *st, enum stmt_id id,
                              struct n1_error *err)
{
    if (st->stmt[id] == NULL &&
        sqlite3_prepare_v3(st->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                           &st->stmt[id], NULL) != SQLITE_OK) {
        db_error(st, err, "preparing a statement");
        return NULL;
    }
    return st->stmt[id];
}

/* Runs a statement that returns no rows, then resets it. */
static int step_done(struct n1_store *st, sqlite3_stmt *s, const char *what,
                     struct n1_error *err)
{
    int rc = sqlite3_step(s);

    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        db_error(st, err, what);
        sqlite3_reset(s);
        return -1;
    }
    sqlite3_reset(s);
    return 0;
}

static int run(struct n1_store *st, enum stmt_id id, const char *what,
               struct n1_error *err)
{
    sqlite3_stmt *s = get_stmt(st, id, err);

    if (s == NULL) {
        return -1;
    }
    return step_done(st, s, what, err);
}

static int exec_sql(struct n1_store *st, const char *sql, const char *what,
                    struct n1_error *err)
{
    char *msg = NULL;

    if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        n1_err_set(err, N1_ESTORE, st->path, 0, "%s: %s", what,
                   msg != NULL ? msg : sqlite3_errmsg(st->db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* Reads one integer from a PRAGMA or count query (no parameters). */
static int query_int(struct n1_store *st, const char *sql, sqlite3_int64 *out,
                     struct n1_error *err)
{
    sqlite3_stmt *s = NULL;
    int rc;

    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
        db_error(st, err, "reading the database header");
        return -1;
    }
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(s, 0);
    } else if (rc == SQLITE_DONE) {
        *out = 0;
    } else {
        db_error(st, err, "reading the database header");
        sqlite3_finalize(s);
        return -1;
    }
    sqlite3_finalize(s);
    return 0;
}

static void rollback(struct n1_store *st)
{
    if (!sqlite3_get_autocommit(st->db)) {
        run(st, S_ROLLBACK, "rolling back", NULL);
    }
}

/* Returns the meta value of key as a malloc'd string in *out (NULL when
   absent). */
static int meta_get(struct n1_store *st, const char *key, char **out,
                    struct n1_error *err)
{
    sqlite3_stmt *s = get_stmt(st, S_META_GET, err);
    int rc;

    *out = NULL;
    if (s == NULL) {
        return -1;
    }
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const unsigned char *v = sqlite3_column_text(s, 0);

        *out = strdup(v != NULL ? (const char *)v : "");
        if (*out == NULL) {
            sqlite3_reset(s);
            n1_err_set(err, N1_ESYS, st->path, 0, "out of memory");
            return -1;
        }
    } else if (rc != SQLITE_DONE) {
        db_error(st, err, "reading meta");
        sqlite3_reset(s);
        return -1;
    }
    sqlite3_reset(s);
    return 0;
}

static int meta_put(struct n1_store *st, const char *key, long value,
                    struct n1_error *err)
{
    sqlite3_stmt *s = get_stmt(st, S_META_PUT, err);
    char buf[32];

    if (s == NULL) {
        return -1;
    }
    snprintf(buf, sizeof(buf), "%ld", value);
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, buf, -1, SQLITE_TRANSIENT);
    return step_done(st, s, "writing meta", err);
}

/* Refuses databases that are not n1scan stores and not empty. */
static int check_ownership(struct n1_store *st, struct n1_error *err)
{
    sqlite3_int64 app = 0;
    sqlite3_int64 objects = 0;

    if (query_int(st, "PRAGMA application_id", &app, err) < 0) {
        return -1;
    }
    if (app == APPLICATION_ID) {
        return 0;
    }
    if (query_int(st, "SELECT count(*) FROM sqlite_master", &objects, err) <
        0) {
        return -1;
    }
    if (app != 0 || objects != 0) {
        n1_err_set(err, N1_ESTORE, st->path, 0,
                   "not an n1scan store (another application's database)");
        return -1;
    }
    return 0;
}

static int migrate(struct n1_store *st, struct n1_error *err)
{
    for (;;) {
        sqlite3_int64 version = 0;
        char pragma[64];

        if (run(st, S_BEGIN, "starting a migration", err) < 0) {
            return -1;
        }
        /* Read inside the transaction: another process may have just
           migrated the same file. */
        if (query_int(st, "PRAGMA user_version", &version, err) < 0) {
            goto fail;
        }
        if (version > N1_STORE_SCHEMA_VERSION) {
            n1_err_set(err, N1_ESTORE, st->path, 0,
                       "schema version %lld is newer than this n1scan "
                       "supports (%d)",
                       (long long)version, N1_STORE_SCHEMA_VERSION);
            goto fail;
        }
        if (version == N1_STORE_SCHEMA_VERSION) {
            return run(st, S_COMMIT, "finishing migrations", err);
        }
        if (exec_sql(st, migrations[version], "applying a migration", err) <
            0) {
            goto fail;
        }
        snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
                 (int)version + 1);
        if (exec_sql(st, pragma, "applying a migration", err) < 0 ||
            meta_put(st, "schema_version", (long)version + 1, err) < 0 ||
            run(st, S_COMMIT, "committing a migration", err) < 0) {
            goto fail;
        }
    }

fail:
    rollback(st);
    return -1;
}

static int check_fingerprint_version(struct n1_store *st, int reset,
                                     struct n1_error *err)
{
    char *have = NULL;
    char want[32];
    int ret = -1;

    snprintf(want, sizeof(want), "%d", N1_FINGERPRINT_VERSION);
    if (run(st, S_BEGIN, "checking the fingerprint version", err) < 0) {
        return -1;
    }
    if (meta_get(st, "fingerprint_version", &have, err) < 0) {
        goto out;
    }
    if (have != NULL && strcmp(have, want) != 0) {
        if (!reset) {
            n1_err_set(err, N1_ESTORE, st->path, 0,
                       "written with fingerprint version %s but this n1scan "
                       "uses %s; use another store or reset this one "
                       "(deletes its data)",
                       have, want);
            goto out;
        }
        if (exec_sql(st,
                     "DELETE FROM fp_values; DELETE FROM metrics;"
                     " DELETE FROM fingerprints; DELETE FROM files;"
                     " DELETE FROM findings;",
                     "resetting the store", err) < 0) {
            goto out;
        }
    }
    if ((have == NULL || strcmp(have, want) != 0) &&
        meta_put(st, "fingerprint_version", N1_FINGERPRINT_VERSION, err) < 0) {
        goto out;
    }
    ret = run(st, S_COMMIT, "checking the fingerprint version", err);

out:
    if (ret < 0) {
        rollback(st);
    }
    free(have);
    return ret;
}

struct n1_store *n1_store_open(const char *path,
                               const struct n1_store_opts *opts,
                               struct n1_error *err)
{
    struct n1_store *st = NULL;
    int rc;

    if (path == NULL || path[0] == '\0') {
        n1_err_set(err, N1_EUSAGE, NULL, 0, "no store path given");
        return NULL;
    }
    st = calloc(1, sizeof(*st));
    if (st == NULL) {
        goto oom;
    }
    st->path = strdup(path);
    if (st->path == NULL) {
        goto oom;
    }
    n1_strbuf_init(&st->blob, 0);
    st->sample_max = (opts != NULL && opts->sample_max != 0)
                         ? opts->sample_max
                         : N1_AGG_SAMPLE_MAX;
    rc = sqlite3_open_v2(path, &st->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        if (st->db == NULL) {
            goto oom;
        }
        db_error(st, err, "cannot open");
        goto fail;
    }
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, 5000);
    if (check_ownership(st, err) < 0) {
        goto fail;
    }
    /* WAL lets a report read while an ingest writes; NORMAL loses at most
       the last transactions on power loss, never consistency. In-memory
       databases keep their own journal mode. */
    if (exec_sql(st,
                 "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                 " PRAGMA foreign_keys = ON;",
                 "setting up the connection", err) < 0) {
        goto fail;
    }
    if (migrate(st, err) < 0 ||
        check_fingerprint_version(st, opts != NULL && opts->reset, err) < 0) {
        goto fail;
    }
    return st;

oom:
    n1_err_set(err, N1_ESYS, path, 0, "out of memory opening the store");
fail:
    n1_store_close(st);
    return NULL;
}

void n1_store_close(struct n1_store *st)
{
    if (st == NULL) {
        return;
    }
    for (int i = 0; i < S_COUNT; i++) {
        sqlite3_finalize(st->stmt[i]);
    }
    sqlite3_close(st->db);
    n1_strbuf_cleanup(&st->blob);
    free(st->path);
    free(st);
}

const char *n1_store_path(const struct n1_store *st)
{
    return st->path;
}

/* ---- classes ---- */

/* Copies a TEXT column (which may hold NUL bytes) with a NUL after it;
   NULL for SQL NULL or when memory ran out. */
static char *column_dup(sqlite3_stmt *s, int col, size_t *len)
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

static int64_t column_ts(sqlite3_stmt *s, int col)
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
   columns are FP_COLUMNS, then loads its metrics and values. */
static int read_class(struct n1_store *st, sqlite3_stmt *row,
                      struct n1_agg_class *c, struct n1_error *err)
{
    sqlite3_stmt *s = NULL;
    sqlite3_int64 id = sqlite3_column_int64(row, 0);
    const unsigned char *hex = sqlite3_column_text(row, 1);
    int rc;

    c->id = to_u64(id);
    snprintf(c->hex, sizeof(c->hex), "%s",
             hex != NULL ? (const char *)hex : "");
    c->text = column_dup(row, 2, &c->text_len);
    c->count = to_u64(sqlite3_column_int64(row, 3));
    c->first_seen = column_ts(row, 4);
    c->last_seen = column_ts(row, 5);
    c->sample = column_dup(row, 6, &c->sample_len);
    c->sample_full_len = (size_t)sqlite3_column_int64(row, 7);
    c->sample_file = column_dup(row, 8, NULL);
    c->sample_line = (unsigned long)sqlite3_column_int64(row, 9);
    c->sample_has_qt = sqlite3_column_type(row, 10) != SQLITE_NULL;
    c->sample_qt = sqlite3_column_double(row, 10);
    for (int i = 0; i < N1_AGG_CHART_N; i++) {
        c->chart[i] = to_u64(sqlite3_column_int64(row, 11 + i));
    }
    for (int d = 0; d < N1_DIM_COUNT; d++) {
        c->dims[d].other = to_u64(sqlite3_column_int64(row, 19 + d));
    }
    if (c->text == NULL ||
        (sqlite3_column_type(row, 6) != SQLITE_NULL && c->sample == NULL) ||
        (sqlite3_column_type(row, 8) != SQLITE_NULL &&
         c->sample_file == NULL)) {
        n1_err_set(err, N1_ESYS, st->path, 0, "out of memory reading class");
        return -1;
    }

    s = get_stmt(st, S_METRICS_GET, err);
    if (s == NULL) {
        return -1;
    }
    sqlite3_bind_int64(s, 1, id);
    for (;;) {
        const char *name;
        int m;
        struct n1_agg_stats *ms;

        rc = sqlite3_step(s);
        if (rc != SQLITE_ROW) {
            break;
        }
        name = (const char *)sqlite3_column_text(s, 0);
        m = name != NULL ? metric_index(name) : -1;
        if (m < 0) {
            continue; /* a metric of a newer schema: not ours to read */
        }
        ms = &c->m[m];
        if (n1_hist_decode(&ms->hist, sqlite3_column_blob(s, 6),
                           (size_t)sqlite3_column_bytes(s, 6), err) < 0) {
            char why[256];

            snprintf(why, sizeof(why), "%s", err != NULL ? err->message : "");
            n1_err_set(err, N1_EPARSE, st->path, 0, "class %s %s: %s", c->hex,
                       name, why);
            sqlite3_reset(s);
            return -1;
        }
        ms->n = to_u64(sqlite3_column_int64(s, 1));
        ms->sum = sqlite3_column_double(s, 2);
        ms->min = sqlite3_column_double(s, 3);
        ms->max = sqlite3_column_double(s, 4);
        ms->sumsq = sqlite3_column_double(s, 5);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        db_error(st, err, "reading metrics");
        return -1;
    }

    s = get_stmt(st, S_VALUES_GET, err);
    if (s == NULL) {
        return -1;
    }
    sqlite3_bind_int64(s, 1, id);
    for (;;) {
        const char *kind;
        int d;
        struct n1_agg_values *vs;
        char *v;

        rc = sqlite3_step(s);
        if (rc != SQLITE_ROW) {
            break;
        }
        kind = (const char *)sqlite3_column_text(s, 0);
        d = kind != NULL ? dim_index(kind) : -1;
        if (d < 0) {
            continue;
        }
        vs = &c->dims[d];
        if (vs->n == N1_AGG_MAX_VALUES) {
            vs->other += to_u64(sqlite3_column_int64(s, 2));
            continue;
        }
        v = column_dup(s, 1, NULL);
        if (v == NULL) {
            sqlite3_reset(s);
            n1_err_set(err, N1_ESYS, st->path, 0,
                       "out of memory reading class");
            return -1;
        }
        vs->v[vs->n].value = v;
        vs->v[vs->n].count = to_u64(sqlite3_column_int64(s, 2));
        vs->n++;
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        db_error(st, err, "reading values");
        return -1;
    }
    return 0;
}

int n1_store_load_class(struct n1_store *st, uint64_t id,
                        struct n1_agg_class *out, struct n1_error *err)
{
    sqlite3_stmt *s = get_stmt(st, S_FP_GET, err);
    struct n1_agg_class c;
    int rc;

    if (s == NULL) {
        return -1;
    }
    n1_agg_class_init(&c);
    sqlite3_bind_int64(s, 1, to_i64(id));
    rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(s);
        return 0;
    }
    if (rc != SQLITE_ROW) {
        db_error(st, err, "reading a class");
        sqlite3_reset(s);
        return -1;
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

static int bind_text_or_null(sqlite3_stmt *s, int i, const char *v, size_t n)
{
    if (v == NULL) {
        return sqlite3_bind_null(s, i);
    }
    return sqlite3_bind_text64(s, i, v, n, SQLITE_STATIC, SQLITE_UTF8);
}

static int bind_ts(sqlite3_stmt *s, int i, int64_t ts)
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
    sqlite3_stmt *s = get_stmt(st, S_FP_PUT, err);
    sqlite3_int64 id = to_i64(c->id);

    if (s == NULL) {
        return -1;
    }
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_text(s, 2, c->hex, -1, SQLITE_STATIC);
    sqlite3_bind_text64(s, 3, c->text != NULL ? c->text : "", c->text_len,
                        SQLITE_STATIC, SQLITE_UTF8);
    sqlite3_bind_int(s, 4, N1_FINGERPRINT_VERSION);
    sqlite3_bind_int64(s, 5, to_i64(c->count));
    bind_ts(s, 6, c->first_seen);
    bind_ts(s, 7, c->last_seen);
    bind_text_or_null(s, 8, c->sample, c->sample_len);
    sqlite3_bind_int64(s, 9, (sqlite3_int64)c->sample_full_len);
    bind_text_or_null(s, 10, c->sample_file,
                      c->sample_file != NULL ? strlen(c->sample_file) : 0);
    sqlite3_bind_int64(s, 11, (sqlite3_int64)c->sample_line);
    if (c->sample_has_qt) {
        sqlite3_bind_double(s, 12, c->sample_qt);
    } else {
        sqlite3_bind_null(s, 12);
    }
    for (int i = 0; i < N1_AGG_CHART_N; i++) {
        sqlite3_bind_int64(s, 13 + i, to_i64(c->chart[i]));
    }
    for (int d = 0; d < N1_DIM_COUNT; d++) {
        sqlite3_bind_int64(s, 21 + d, to_i64(c->dims[d].other));
    }
    if (step_done(st, s, "writing a class", err) < 0) {
        return -1;
    }

    s = get_stmt(st, S_METRIC_PUT, err);
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
            n1_err_set(err, N1_ESYS, st->path, 0,
                       "out of memory encoding a histogram");
            return -1;
        }
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_text(s, 2, n1_agg_metric_name(m), -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, to_i64(ms->n));
        sqlite3_bind_double(s, 4, ms->sum);
        sqlite3_bind_double(s, 5, ms->min);
        sqlite3_bind_double(s, 6, ms->max);
        sqlite3_bind_double(s, 7, ms->sumsq);
        sqlite3_bind_blob64(s, 8, st->blob.buf, st->blob.len, SQLITE_STATIC);
        if (step_done(st, s, "writing metrics", err) < 0) {
            return -1;
        }
    }

    s = get_stmt(st, S_VALUES_DEL, err);
    if (s == NULL) {
        return -1;
    }
    sqlite3_bind_int64(s, 1, id);
    if (step_done(st, s, "writing values", err) < 0) {
        return -1;
    }
    s = get_stmt(st, S_VALUE_PUT, err);
    if (s == NULL) {
        return -1;
    }
    for (unsigned d = 0; d < N1_DIM_COUNT; d++) {
        for (unsigned i = 0; i < c->dims[d].n; i++) {
            sqlite3_bind_int64(s, 1, id);
            sqlite3_bind_text(s, 2, n1_agg_dim_name(d), -1, SQLITE_STATIC);
            sqlite3_bind_text(s, 3, c->dims[d].v[i].value, -1, SQLITE_STATIC);
            sqlite3_bind_int64(s, 4, to_i64(c->dims[d].v[i].count));
            if (step_done(st, s, "writing values", err) < 0) {
                return -1;
            }
        }
    }
    return 0;
}

/* Merges one aggregate class into its stored row. */
static int merge_one(struct n1_store *st, const struct n1_agg_class *c,
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

/* Fills fs (empty) from a row whose columns are FILE_COLUMNS. */
static int read_file_row(struct n1_store *st, sqlite3_stmt *s,
                         struct n1_file_state *fs, struct n1_error *err)
{
    const unsigned char *flavour = sqlite3_column_text(s, 10);

    fs->id = sqlite3_column_int64(s, 0);
    fs->path = column_dup(s, 1, NULL);
    if (fs->path == NULL) {
        n1_err_set(err, N1_ESYS, st->path, 0, "out of memory reading files");
        return -1;
    }
    fs->ident.dev = to_u64(sqlite3_column_int64(s, 2));
    fs->ident.inode = to_u64(sqlite3_column_int64(s, 3));
    fs->ident.head_hash = to_u64(sqlite3_column_int64(s, 4));
    fs->ident.head_len = (uint32_t)sqlite3_column_int64(s, 5);
    fs->ident.size = to_u64(sqlite3_column_int64(s, 6));
    fs->offset = to_u64(sqlite3_column_int64(s, 7));
    fs->line = (unsigned long)sqlite3_column_int64(s, 8);
    fs->complete = sqlite3_column_int(s, 9) != 0;
    snprintf(fs->flavour, sizeof(fs->flavour), "%s",
             flavour != NULL ? (const char *)flavour : "");
    fs->events = to_u64(sqlite3_column_int64(s, 11));
    fs->skipped = to_u64(sqlite3_column_int64(s, 12));
    fs->first_read = sqlite3_column_int64(s, 13);
    fs->last_read = sqlite3_column_int64(s, 14);
    return 0;
}

int n1_store_file_lookup(struct n1_store *st, const char *path,
                         const struct n1_file_ident *ident,
                         struct n1_file_state *out, struct n1_error *err)
{
    sqlite3_stmt *s = get_stmt(st, S_FILE_LOOKUP, err);
    struct n1_file_state fs;
    int rc;

    if (s == NULL) {
        return -1;
    }
    n1_store_file_state_init(&fs);
    sqlite3_bind_text(s, 1, path, -1, SQLITE_STATIC);
    /* Identity matching needs a real inode (stdin has none). */
    if (ident != NULL && ident->inode != 0) {
        sqlite3_bind_int64(s, 2, to_i64(ident->dev));
        sqlite3_bind_int64(s, 3, to_i64(ident->inode));
        sqlite3_bind_int(s, 4, 1);
    } else {
        sqlite3_bind_null(s, 2);
        sqlite3_bind_null(s, 3);
        sqlite3_bind_int(s, 4, 0);
    }
    rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(s);
        return 0;
    }
    if (rc != SQLITE_ROW) {
        db_error(st, err, "looking up a file");
        sqlite3_reset(s);
        return -1;
    }
    rc = read_file_row(st, s, &fs, err);
    sqlite3_reset(s);
    if (rc < 0) {
        n1_store_file_state_cleanup(&fs);
        return -1;
    }
    n1_store_file_state_cleanup(out);
    *out = fs;
    return 1;
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
static int write_file(struct n1_store *st, const struct n1_file_progress *f,
                      sqlite3_int64 now, sqlite3_int64 *new_id,
                      struct n1_error *err)
{
    sqlite3_stmt *s =
        get_stmt(st, f->file_id != 0 ? S_FILE_UPD : S_FILE_INS, err);

    if (s == NULL) {
        return -1;
    }
    if (f->path == NULL) {
        n1_err_set(err, N1_EUSAGE, st->path, 0, "file progress without path");
        return -1;
    }
    sqlite3_bind_text(s, 1, f->path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, to_i64(f->ident.dev));
    sqlite3_bind_int64(s, 3, to_i64(f->ident.inode));
    sqlite3_bind_int64(s, 4, to_i64(f->ident.head_hash));
    sqlite3_bind_int64(s, 5, f->ident.head_len);
    sqlite3_bind_int64(s, 6, to_i64(f->ident.size));
    sqlite3_bind_int64(s, 7, to_i64(f->offset));
    sqlite3_bind_int64(s, 8, (sqlite3_int64)f->line);
    sqlite3_bind_int(s, 9, f->complete != 0);
    sqlite3_bind_text(s, 10, f->flavour != NULL ? f->flavour : "", -1,
                      SQLITE_STATIC);
    sqlite3_bind_int64(s, 11, to_i64(f->events));
    sqlite3_bind_int64(s, 12, to_i64(f->skipped));
    sqlite3_bind_int64(s, 13, now);
    if (f->file_id != 0) {
        sqlite3_bind_int64(s, 14, f->file_id);
    }
    if (step_done(st, s, "recording file progress", err) < 0) {
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

/* n1_store_flush() and n1_store_flush_drain(): drain is agg when each
   class should be released once merged, else NULL. */
static int flush_agg(struct n1_store *st, const struct n1_agg *agg,
                     struct n1_agg *drain, struct n1_file_progress *files,
                     size_t n, struct n1_error *err)
{
    sqlite3_int64 *ids = NULL;
    sqlite3_int64 now = (sqlite3_int64)time(NULL);
    int ret = -1;

    if (n > 0) {
        ids = calloc(n, sizeof(*ids));
        if (ids == NULL) {
            n1_err_set(err, N1_ESYS, st->path, 0, "out of memory flushing");
            return -1;
        }
    }
    if (run(st, S_BEGIN, "starting a flush", err) < 0) {
        goto out;
    }
    for (size_t i = 0; agg != NULL && i < n1_agg_size(agg); i++) {
        if (merge_one(st, n1_agg_at(agg, i), err) < 0) {
            goto out;
        }
        if (drain != NULL) {
            n1_agg_release(drain, i);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (write_file(st, &files[i], now, &ids[i], err) < 0) {
            goto out;
        }
    }
    if (run(st, S_COMMIT, "committing a flush", err) < 0) {
        goto out;
    }
    /* Only now are the new rows real. */
    for (size_t i = 0; i < n; i++) {
        files[i].file_id = ids[i];
    }
    ret = 0;

out:
    if (ret < 0) {
        rollback(st);
    }
    free(ids);
    return ret;
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

/* ---- findings ---- */

static int insert_finding(struct n1_store *st, const struct n1_store_finding *f,
                          sqlite3_int64 now, struct n1_error *err)
{
    sqlite3_stmt *s = get_stmt(st, S_FIND_INS, err);
    char hex[17];

    if (s == NULL) {
        return -1;
    }
    snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)f->id);
    sqlite3_bind_int64(s, 1, to_i64(f->id));
    sqlite3_bind_text(s, 2, hex, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 3, f->kind != NULL ? f->kind : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, to_i64(f->fingerprint));
    sqlite3_bind_text(s, 5, f->file != NULL ? f->file : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 6, (sqlite3_int64)f->line);
    bind_ts(s, 7, f->first_seen_us);
    bind_ts(s, 8, f->last_seen_us);
    sqlite3_bind_int64(s, 9, to_i64(f->count));
    sqlite3_bind_text64(s, 10, f->json != NULL ? f->json : "",
                        f->json != NULL ? f->json_len : 0, SQLITE_STATIC,
                        SQLITE_UTF8);
    sqlite3_bind_int64(s, 11, now);
    return step_done(st, s, "saving a finding", err);
}

int n1_store_save_findings(struct n1_store *st, const char *const *replace,
                           size_t n_replace, const struct n1_store_finding *f,
                           size_t n, struct n1_error *err)
{
    sqlite3_int64 now = (sqlite3_int64)time(NULL);
    sqlite3_stmt *s = NULL;

    if (run(st, S_BEGIN, "starting to save findings", err) < 0) {
        return -1;
    }
    for (size_t i = 0; i < n_replace; i++) {
        s = get_stmt(st, S_FIND_DEL, err);
        if (s == NULL) {
            goto fail;
        }
        sqlite3_bind_text(s, 1, replace[i], -1, SQLITE_STATIC);
        if (step_done(st, s, "dropping old findings", err) < 0) {
            goto fail;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (insert_finding(st, &f[i], now, err) < 0) {
            goto fail;
        }
    }
    if (run(st, S_COMMIT, "committing findings", err) < 0) {
        goto fail;
    }
    return 0;

fail:
    rollback(st);
    return -1;
}

/* ---- reading ---- */

long n1_store_class_count(struct n1_store *st, struct n1_error *err)
{
    sqlite3_stmt *s = get_stmt(st, S_FP_COUNT, err);
    long n = -1;

    if (s == NULL) {
        return -1;
    }
    if (sqlite3_step(s) == SQLITE_ROW) {
        n = (long)sqlite3_column_int64(s, 0);
    } else {
        db_error(st, err, "counting classes");
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
        n1_err_set(err, N1_ESYS, st->path, 0, "out of memory");
        return NULL;
    }
    cur->st = st;
    cur->kind = kind;
    n1_agg_class_init(&cur->cls);
    n1_store_file_state_init(&cur->fs);
    if (sqlite3_prepare_v2(st->db, sql, -1, &cur->stmt, NULL) != SQLITE_OK) {
        db_error(st, err, "starting an iteration");
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

    cur = cursor_new(st, CUR_FINDINGS,
                     "SELECT " FINDING_COLUMNS " FROM findings"
                     " WHERE ?1 IS NULL OR file = ?1 ORDER BY seq",
                     err);
    if (cur == NULL) {
        return NULL;
    }
    if (bind_text_or_null(cur->stmt, 1, file,
                          file != NULL ? strlen(file) : 0) != SQLITE_OK) {
        db_error(st, err, "starting an iteration");
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
        db_error(cur->st, err, "iterating");
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
    if (read_file_row(cur->st, cur->stmt, &cur->fs, err) < 0) {
        n1_store_file_state_cleanup(&cur->fs);
        return -1;
    }
    *out = &cur->fs;
    return 1;
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
    f->id = to_u64(sqlite3_column_int64(s, 0));
    t = sqlite3_column_text(s, 1);
    f->kind = t != NULL ? (const char *)t : "";
    f->fingerprint = to_u64(sqlite3_column_int64(s, 2));
    t = sqlite3_column_text(s, 3);
    f->file = t != NULL ? (const char *)t : "";
    f->line = (unsigned long)sqlite3_column_int64(s, 4);
    f->first_seen_us = column_ts(s, 5);
    f->last_seen_us = column_ts(s, 6);
    f->count = (uint64_t)sqlite3_column_int64(s, 7);
    t = sqlite3_column_text(s, 8);
    f->json = t != NULL ? (const char *)t : "";
    f->json_len = t != NULL ? (size_t)sqlite3_column_bytes(s, 8) : 0;
    f->run_time = sqlite3_column_int64(s, 9);
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

/* ---- tail ---- */

int n1_store_file_get(struct n1_store *st, int64_t id,
                      struct n1_file_state *out, struct n1_error *err)
{
    sqlite3_stmt *s = get_stmt(st, S_FILE_BY_ID, err);
    struct n1_file_state fs;
    int rc;

    if (s == NULL) {
        return -1;
    }
    n1_store_file_state_init(&fs);
    sqlite3_bind_int64(s, 1, id);
    rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(s);
        return 0;
    }
    if (rc != SQLITE_ROW) {
        db_error(st, err, "reading a file record");
        sqlite3_reset(s);
        return -1;
    }
    rc = read_file_row(st, s, &fs, err);
    sqlite3_reset(s);
    if (rc < 0) {
        n1_store_file_state_cleanup(&fs);
        return -1;
    }
    n1_store_file_state_cleanup(out);
    *out = fs;
    return 1;
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

int n1_store_tail_load(struct n1_store *st, const char *path,
                       struct n1_tail_state *out, struct n1_error *err)
{
    sqlite3_stmt *s = get_stmt(st, S_TAIL_GET, err);
    const unsigned char *blob = NULL;
    size_t len;
    int rc;

    memset(out, 0, sizeof(*out));
    if (s == NULL) {
        return -1;
    }
    sqlite3_bind_text(s, 1, path, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(s);
        return 0;
    }
    if (rc != SQLITE_ROW) {
        db_error(st, err, "reading the tail state");
        sqlite3_reset(s);
        return -1;
    }
    out->file_id = sqlite3_column_int64(s, 0);
    out->base = to_u64(sqlite3_column_int64(s, 1));
    out->replay_file_id = sqlite3_column_int64(s, 2);
    out->replay_base = to_u64(sqlite3_column_int64(s, 3));
    out->replay_offset = to_u64(sqlite3_column_int64(s, 4));
    blob = sqlite3_column_blob(s, 5);
    len = (size_t)sqlite3_column_bytes(s, 5);
    if (len % 16 != 0) {
        n1_err_set(err, N1_EPARSE, st->path, 0,
                   "PARSE tail state of %s: bad connection list", path);
        sqlite3_reset(s);
        return -1;
    }
    if (len > 0) {
        out->conns = malloc(len);
        if (out->conns == NULL) {
            n1_err_set(err, N1_ESYS, st->path, 0, "out of memory");
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
    sqlite3_stmt *s = get_stmt(st, S_TAIL_PUT, err);
    unsigned char *blob = NULL;
    size_t len = ts->n_conns * 16;
    int rc;

    if (s == NULL) {
        return -1;
    }
    blob = malloc(len > 0 ? len : 1);
    if (blob == NULL) {
        n1_err_set(err, N1_ESYS, st->path, 0, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < ts->n_conns * 2; i++) {
        put_le64(blob + 8 * i, ts->conns[i]);
    }
    sqlite3_bind_text(s, 1, path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, ts->file_id);
    sqlite3_bind_int64(s, 3, to_i64(ts->base));
    sqlite3_bind_int64(s, 4, ts->replay_file_id);
    sqlite3_bind_int64(s, 5, to_i64(ts->replay_base));
    sqlite3_bind_int64(s, 6, to_i64(ts->replay_offset));
    sqlite3_bind_blob64(s, 7, blob, len, SQLITE_STATIC);
    sqlite3_bind_int64(s, 8, now);
    rc = step_done(st, s, "recording the tail state", err);
    free(blob);
    return rc;
}

int n1_store_tail_commit(struct n1_store *st, const struct n1_agg *agg,
                         struct n1_file_progress *files, size_t n,
                         const struct n1_store_finding *f, size_t nf,
                         const char *path, const struct n1_tail_state *ts,
                         struct n1_error *err)
{
    sqlite3_int64 *ids = NULL;
    sqlite3_int64 now = (sqlite3_int64)time(NULL);
    int ret = -1;

    if (n > 0) {
        ids = calloc(n, sizeof(*ids));
        if (ids == NULL) {
            n1_err_set(err, N1_ESYS, st->path, 0, "out of memory flushing");
            return -1;
        }
    }
    if (run(st, S_BEGIN, "starting a tail commit", err) < 0) {
        goto out;
    }
    for (size_t i = 0; agg != NULL && i < n1_agg_size(agg); i++) {
        if (merge_one(st, n1_agg_at(agg, i), err) < 0) {
            goto out;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (write_file(st, &files[i], now, &ids[i], err) < 0) {
            goto out;
        }
    }
    for (size_t i = 0; i < nf; i++) {
        if (insert_finding(st, &f[i], now, err) < 0) {
            goto out;
        }
    }
    if (ts != NULL && write_tail(st, path, ts, now, err) < 0) {
        goto out;
    }
    if (run(st, S_COMMIT, "committing a tail commit", err) < 0) {
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        files[i].file_id = ids[i];
    }
    ret = 0;

out:
    if (ret < 0) {
        rollback(st);
    }
    free(ids);
    return ret;
}

int n1_store_finding_seen(struct n1_store *st,
                          const struct n1_store_finding *f,
                          struct n1_error *err)
{
    sqlite3_stmt *s = get_stmt(st, S_FIND_SEEN, err);
    int rc;

    if (s == NULL) {
        return -1;
    }
    sqlite3_bind_int64(s, 1, to_i64(f->id));
    sqlite3_bind_text(s, 2, f->file != NULL ? f->file : "", -1,
                      SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)f->line);
    sqlite3_bind_int64(s, 4, to_i64(f->count));
    bind_ts(s, 5, f->first_seen_us);
    rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc == SQLITE_ROW) {
        return 1;
    }
    if (rc != SQLITE_DONE) {
        db_error(st, err, "looking up a finding");
        return -1;
    }
    return 0;
}
