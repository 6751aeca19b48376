/* SPDX-License-Identifier: MIT */
/*
 * store.c: opening and closing a store; its schema and migrations.
 *
 * Opening a store checks that the file is ours (PRAGMA application_id, or
 * an empty database), applies the migrations[] the file has not seen yet
 * (PRAGMA user_version counts them, each runs in its own IMMEDIATE
 * transaction that re-reads the version, so two processes opening a new
 * file at once do not both migrate), then checks the fingerprint version
 * in the meta table.
 *
 * This file also owns the table of prepared statements and the st_*
 * helpers that run them (store_int.h); store_flush.c writes classes and
 * file progress, store_read.c reads them back, and store_findings.c keeps
 * the findings and the tail state.
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

#include <sqlite3.h>

#include "base/strbuf.h"
#include "sql/normalize.h"
#include "store/store.h"
#include "store/store_int.h"

/* "n1sc": marks a database as an n1digest store. */
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
    /* 2: findings of `n1digest analyze`, one row per finding per run. */
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
    /* 3: where `n1digest tail` resumes each followed path. */
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
    /* 4: reader snapshots `n1digest tail` resumes parsing from; an index
       for its look-up of findings already reported. */
    "CREATE TABLE tail_checkpoints ("
    "  path TEXT NOT NULL,"
    "  pos INTEGER NOT NULL,"
    "  file_id INTEGER NOT NULL,"
    "  offset INTEGER NOT NULL,"
    "  line INTEGER NOT NULL,"
    "  ctx BLOB NOT NULL,"
    "  PRIMARY KEY (path, pos)"
    ") WITHOUT ROWID;"
    /* The replay's look-up of findings already reported: by file and
       line, not by id alone (every loop of one fingerprint shares it). */
    "CREATE INDEX findings_at ON findings(file, line, id);",
    /* 5: `n1digest tail`'s findings carry the line it prints and whether
       that line was printed; earlier rows and analyze's count as
       printed. */
    "ALTER TABLE findings ADD COLUMN emitted INTEGER NOT NULL DEFAULT 1;"
    "ALTER TABLE findings ADD COLUMN out TEXT;"
    "CREATE INDEX findings_unemitted ON findings(file) WHERE emitted = 0;",
    /* 6: each finding as its class's JSON report prints the occurrence, so
       that the report writes it without parsing the finding again. */
    "ALTER TABLE findings ADD COLUMN occ TEXT;"
    /* and what a class summary needs (struct n1_store_finding). */
    "ALTER TABLE findings ADD COLUMN summary INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE findings ADD COLUMN saved INTEGER;"
    "ALTER TABLE findings ADD COLUMN keys INTEGER;"
    "ALTER TABLE findings ADD COLUMN time_s REAL;"
    "ALTER TABLE findings ADD COLUMN confidence INTEGER;"
    "ALTER TABLE findings ADD COLUMN starts INTEGER;"
    "ALTER TABLE findings ADD COLUMN ends INTEGER;"
    "ALTER TABLE findings ADD COLUMN ev_known INTEGER;"
    "ALTER TABLE findings ADD COLUMN conns TEXT;",
    /* 7: `n1digest verify`'s last verdict on each finding (class id):
       where it ran (the host, never a user or a password) and when. */
    "CREATE TABLE verdicts ("
    "  id INTEGER PRIMARY KEY,"
    "  verdict TEXT NOT NULL,"
    "  detail TEXT NOT NULL,"
    "  host TEXT NOT NULL,"
    "  verified_at INTEGER NOT NULL"
    ");",
};

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
    "DELETE FROM findings WHERE file = ?1 AND seq <= ?2",
    "INSERT INTO findings(id, hex, kind, fingerprint, file, line,"
    " first_seen, last_seen, count, json, run_time, emitted, out, occ,"
    " summary, saved, keys, time_s, confidence, starts, ends, ev_known, conns)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
    " ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)",
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
    "INSERT OR REPLACE INTO tail_checkpoints(path, pos, file_id, offset,"
    " line, ctx) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    "DELETE FROM tail_checkpoints WHERE path = ?1 AND pos < (SELECT max(pos)"
    " FROM tail_checkpoints WHERE path = ?1 AND pos <= ?2)",
    "SELECT offset, line, ctx FROM tail_checkpoints"
    " WHERE path = ?1 AND file_id = ?2 AND offset <= ?3"
    " ORDER BY pos DESC LIMIT 1",
    "SELECT out FROM findings WHERE file = ?1 AND emitted = 0 ORDER BY seq",
    "UPDATE findings SET emitted = 1 WHERE file = ?1 AND emitted = 0",
    "SELECT coalesce(max(seq), 0) FROM findings",
    "SELECT t.path, t.file_id FROM tail_state t JOIN files f"
    " ON f.id = t.file_id WHERE f.dev = ?1 AND f.inode = ?2"
    " ORDER BY t.updated DESC, t.rowid DESC LIMIT 1",
    "INSERT INTO verdicts(id, verdict, detail, host, verified_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(id) DO UPDATE SET"
    " verdict = excluded.verdict, detail = excluded.detail,"
    " host = excluded.host, verified_at = excluded.verified_at",
    "SELECT id, verdict, detail, host, verified_at FROM verdicts"
    " WHERE id = ?1",
    "SELECT id, verdict, detail, host, verified_at FROM verdicts ORDER BY id",
};

void st_db_error(struct n1_store *st, struct n1_error *err, const char *what)
{
    n1_err_set(err, N1_ESTORE, st->path, 0, "%s: %s", what,
               sqlite3_errmsg(st->db));
}

sqlite3_stmt *st_get_stmt(struct n1_store *st, enum stmt_id id,
                          struct n1_error *err)
{
    if (st->stmt[id] == NULL &&
        sqlite3_prepare_v3(st->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                           &st->stmt[id], NULL) != SQLITE_OK) {
        st_db_error(st, err, "preparing a statement");
        return NULL;
    }
    return st->stmt[id];
}

/* Runs a statement that returns no rows, then resets it. */
int st_step_done(struct n1_store *st, sqlite3_stmt *s, const char *what,
                 struct n1_error *err)
{
    int rc = sqlite3_step(s);

    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        st_db_error(st, err, what);
        sqlite3_reset(s);
        return -1;
    }
    sqlite3_reset(s);
    return 0;
}

int st_run(struct n1_store *st, enum stmt_id id, const char *what,
           struct n1_error *err)
{
    sqlite3_stmt *s = st_get_stmt(st, id, err);

    if (s == NULL) {
        return -1;
    }
    return st_step_done(st, s, what, err);
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
        st_db_error(st, err, "reading the database header");
        return -1;
    }
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(s, 0);
    } else if (rc == SQLITE_DONE) {
        *out = 0;
    } else {
        st_db_error(st, err, "reading the database header");
        sqlite3_finalize(s);
        return -1;
    }
    sqlite3_finalize(s);
    return 0;
}

void st_rollback(struct n1_store *st)
{
    if (!sqlite3_get_autocommit(st->db)) {
        st_run(st, S_ROLLBACK, "rolling back", NULL);
    }
}

/* Returns the meta value of key as a malloc'd string in *out (NULL when
   absent). */
static int meta_get(struct n1_store *st, const char *key, char **out,
                    struct n1_error *err)
{
    sqlite3_stmt *s = st_get_stmt(st, S_META_GET, err);
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
            n1_err_oom(err, "reading a store setting");
            return -1;
        }
    } else if (rc != SQLITE_DONE) {
        st_db_error(st, err, "reading meta");
        sqlite3_reset(s);
        return -1;
    }
    sqlite3_reset(s);
    return 0;
}

static int meta_put(struct n1_store *st, const char *key, long value,
                    struct n1_error *err)
{
    sqlite3_stmt *s = st_get_stmt(st, S_META_PUT, err);
    char buf[32];

    if (s == NULL) {
        return -1;
    }
    snprintf(buf, sizeof(buf), "%ld", value);
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, buf, -1, SQLITE_TRANSIENT);
    return st_step_done(st, s, "writing meta", err);
}

/* Refuses databases that are not n1digest stores and not empty. */
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
                   "not an n1digest store (another application's database)");
        return -1;
    }
    return 0;
}

static int migrate(struct n1_store *st, struct n1_error *err)
{
    for (;;) {
        sqlite3_int64 version = 0;
        char pragma[64];

        if (st_run(st, S_BEGIN, "starting a migration", err) < 0) {
            return -1;
        }
        /* Read inside the transaction: another process may have just
           migrated the same file. */
        if (query_int(st, "PRAGMA user_version", &version, err) < 0) {
            goto fail;
        }
        if (version > N1_STORE_SCHEMA_VERSION) {
            n1_err_set(err, N1_ESTORE, st->path, 0,
                       "schema version %lld is newer than this n1digest "
                       "supports (%d)",
                       (long long)version, N1_STORE_SCHEMA_VERSION);
            goto fail;
        }
        if (version == N1_STORE_SCHEMA_VERSION) {
            return st_run(st, S_COMMIT, "finishing migrations", err);
        }
        if (exec_sql(st, migrations[version], "applying a migration", err) <
            0) {
            goto fail;
        }
        snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
                 (int)version + 1);
        if (exec_sql(st, pragma, "applying a migration", err) < 0 ||
            meta_put(st, "schema_version", (long)version + 1, err) < 0 ||
            st_run(st, S_COMMIT, "committing a migration", err) < 0) {
            goto fail;
        }
    }

fail:
    st_rollback(st);
    return -1;
}

static int check_fingerprint_version(struct n1_store *st, int reset,
                                     struct n1_error *err)
{
    char *have = NULL;
    char want[32];
    int ret = -1;

    snprintf(want, sizeof(want), "%d", N1_FINGERPRINT_VERSION);
    if (st_run(st, S_BEGIN, "checking the fingerprint version", err) < 0) {
        return -1;
    }
    if (meta_get(st, "fingerprint_version", &have, err) < 0) {
        goto out;
    }
    if (have != NULL && strcmp(have, want) != 0) {
        if (!reset) {
            n1_err_set(err, N1_ESTORE, st->path, 0,
                       "written with fingerprint version %s but this n1digest "
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
    ret = st_run(st, S_COMMIT, "checking the fingerprint version", err);

out:
    if (ret < 0) {
        st_rollback(st);
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
    /* ":memory:" keeps nothing after the run, but its findings must not
       hold memory: SQLite's private temporary database ("") is deleted
       on close and spills to a temporary file past its page cache, so
       memory stays bounded however many findings a run saves. */
    rc = sqlite3_open_v2(strcmp(path, ":memory:") == 0 ? "" : path, &st->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        if (st->db == NULL) {
            goto oom;
        }
        st_db_error(st, err, "cannot open");
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
    n1_err_oom(err, "opening the store");
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
