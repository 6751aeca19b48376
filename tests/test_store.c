/* SPDX-License-Identifier: MIT */
/*
 * test_store.c: schema and migrations, version checks, merging flushes,
 * file progress, verbatim storage of hostile text, and atomicity of a
 * flush that fails or is killed half-way.
 */
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "helpers.h"
#include "store/store.h"

struct sample_ev {
    struct n1_event ev;
    struct n1_norm norm;
};

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;

    for (size_t i = 0; i < n; i++) {
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    }
    return h;
}

static void make_ev(struct sample_ev *se, const char *fp, size_t fp_len,
                    const char *sql, size_t sql_len, double qt, int64_t ts,
                    const char *db)
{
    memset(se, 0, sizeof(*se));
    se->ev.file = "slow.log";
    se->ev.line = 7;
    se->ev.ts_us = ts;
    se->ev.user = "app";
    se->ev.host = "10.1.2.3";
    se->ev.db = db;
    se->ev.sql = sql;
    se->ev.sql_len = sql_len;
    se->ev.metric[N1_M_QUERY_TIME] = qt;
    se->ev.metric[N1_M_ROWS_EXAMINED] = qt * 1000.0;
    se->ev.metric_mask = (1u << N1_M_QUERY_TIME) | (1u << N1_M_ROWS_EXAMINED);
    se->norm.text = fp;
    se->norm.len = fp_len;
    /* Top bit set on purpose: ids must survive SQLite's signed integers. */
    se->norm.id = fnv1a(fp, fp_len) | (1ull << 63);
    snprintf(se->norm.hex, sizeof(se->norm.hex), "%016llx",
             (unsigned long long)se->norm.id);
}

/* Adds event i of a fixed synthetic workload (3 fingerprints). */
static void add_workload(struct n1_agg *agg, int i)
{
    static const char *const fps[] = {
        "select * from users where id = ?",
        "select * from orders where user_id = ?",
        "update t set a = ? where b = ?",
    };
    static const char *const dbs[] = {"shop", "shop", "audit", "crm"};
    const char *fp = fps[i % 3];
    char sql[64];
    struct sample_ev se;

    snprintf(sql, sizeof(sql), "SELECT %d", i);
    make_ev(&se, fp, strlen(fp), sql, strlen(sql),
            1e-4 * (1 + (i * 37) % 1000) + (i == 77 ? 3.0 : 0.0),
            1700000000000000ll + i * 1000ll, dbs[i % 4]);
    assert_int_equal(n1_agg_add(agg, &se.ev, &se.norm, NULL), 0);
}

static struct n1_store *open_ok(const char *path)
{
    struct n1_error err;
    struct n1_store *st = NULL;

    n1_err_clear(&err);
    st = n1_store_open(path, NULL, &err);
    if (st == NULL) {
        fail_msg("open %s: %s", path, err.message);
    }
    return st;
}

/* A fresh path for a store file (the file does not exist yet). */
static const char *temp_db(void)
{
    const char *path = th_temp_file("", 0);

    unlink(path);
    return path;
}

static void raw_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    char *msg = NULL;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fail_msg("%s: %s", sql, msg);
    }
    sqlite3_close(db);
}

static long raw_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    long v = -1;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    if (sqlite3_step(s) == SQLITE_ROW) {
        v = (long)sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static void assert_class_equal(const struct n1_agg_class *a,
                               const struct n1_agg_class *b)
{
    assert_int_equal(a->id, b->id);
    assert_string_equal(a->hex, b->hex);
    assert_int_equal(a->text_len, b->text_len);
    assert_memory_equal(a->text, b->text, a->text_len);
    assert_int_equal(a->count, b->count);
    assert_int_equal(a->first_seen, b->first_seen);
    assert_int_equal(a->last_seen, b->last_seen);
    assert_memory_equal(a->chart, b->chart, sizeof(a->chart));
    for (unsigned m = 0; m < N1_AGG_NMETRICS; m++) {
        assert_int_equal(a->m[m].n, b->m[m].n);
        assert_true(a->m[m].min == b->m[m].min);
        assert_true(a->m[m].max == b->m[m].max);
        assert_true(fabs(a->m[m].sum - b->m[m].sum) <=
                    1e-12 * fabs(b->m[m].sum));
        assert_true(fabs(a->m[m].sumsq - b->m[m].sumsq) <=
                    1e-12 * fabs(b->m[m].sumsq));
        assert_int_equal(a->m[m].hist.level, b->m[m].hist.level);
        assert_int_equal(a->m[m].hist.n, b->m[m].hist.n);
        if (a->m[m].hist.n > 0) {
            assert_memory_equal(a->m[m].hist.b, b->m[m].hist.b,
                                a->m[m].hist.n * sizeof(uint64_t));
        }
    }
    for (unsigned d = 0; d < N1_DIM_COUNT; d++) {
        assert_int_equal(a->dims[d].n, b->dims[d].n);
        assert_int_equal(a->dims[d].other, b->dims[d].other);
        for (unsigned i = 0; i < a->dims[d].n; i++) {
            assert_string_equal(a->dims[d].v[i].value, b->dims[d].v[i].value);
            assert_int_equal(a->dims[d].v[i].count, b->dims[d].v[i].count);
        }
    }
    assert_int_equal(a->sample_len, b->sample_len);
    assert_memory_equal(a->sample, b->sample, a->sample_len);
    assert_int_equal(a->sample_has_qt, b->sample_has_qt);
    assert_true(a->sample_qt == b->sample_qt);
    assert_string_equal(a->sample_file, b->sample_file);
    assert_int_equal(a->sample_line, b->sample_line);
}

static void test_store_schema_and_reopen(void **state)
{
    const char *path = temp_db();
    struct n1_store *st = NULL;
    struct n1_error err;

    (void)state;
    st = open_ok(path);
    assert_string_equal(n1_store_path(st), path);
    assert_int_equal(n1_store_class_count(st, &err), 0);
    n1_store_close(st);
    assert_int_equal(raw_int(path, "PRAGMA user_version"),
                     N1_STORE_SCHEMA_VERSION);
    assert_int_equal(raw_int(path, "PRAGMA application_id"), 0x6e317363);
    assert_int_equal(raw_int(path, "SELECT value FROM meta WHERE key ="
                                   " 'fingerprint_version'"),
                     N1_FINGERPRINT_VERSION);
    /* meta, files, fingerprints, metrics, fp_values; findings (2);
       tail_state (3); tail_checkpoints (4); verdicts (7). */
    assert_int_equal(raw_int(path, "SELECT count(*) FROM sqlite_master"
                                   " WHERE type = 'table'"),
                     9);
    /* Reopening applies nothing twice. */
    st = open_ok(path);
    n1_store_close(st);
    st = open_ok(path);
    n1_store_close(st);
    assert_int_equal(raw_int(path, "PRAGMA user_version"),
                     N1_STORE_SCHEMA_VERSION);
    n1_store_close(NULL);
}

static void test_store_refuses_foreign_files(void **state)
{
    const char *path = temp_db();
    const char *junk = th_temp_file("this is not sqlite at all, promise\n"
                                    "0123456789abcdef0123456789abcdef\n",
                                    68);
    struct n1_error err;

    (void)state;
    raw_exec(path, "CREATE TABLE orders(id INTEGER);");
    assert_null(n1_store_open(path, NULL, &err));
    assert_int_equal(err.code, N1_ESTORE);
    assert_string_equal(err.file, path);
    assert_non_null(strstr(err.message, "not an n1digest store"));

    assert_null(n1_store_open(junk, NULL, &err));
    assert_int_equal(err.code, N1_ESTORE);
    assert_string_equal(err.file, junk);

    assert_null(n1_store_open("/nonexistent-dir/x/n1digest.db", NULL, &err));
    assert_int_equal(err.code, N1_ESTORE);
    assert_null(n1_store_open("", NULL, &err));
    assert_int_equal(err.code, N1_EUSAGE);
}

static void test_store_newer_schema_refused(void **state)
{
    const char *path = temp_db();
    struct n1_error err;

    (void)state;
    n1_store_close(open_ok(path));
    raw_exec(path, "PRAGMA user_version = 99;");
    assert_null(n1_store_open(path, NULL, &err));
    assert_non_null(strstr(err.message, "schema version 99 is newer"));
}

static void test_store_fingerprint_version_mismatch(void **state)
{
    const char *path = temp_db();
    struct n1_store *st = NULL;
    struct n1_agg *agg = n1_agg_new(NULL, NULL);
    struct n1_store_opts opts = {.reset = 1};
    struct n1_error err;
    char buf[512];

    (void)state;
    st = open_ok(path);
    add_workload(agg, 1);
    assert_int_equal(n1_store_flush(st, agg, NULL, 0, &err), 0);
    n1_store_close(st);
    raw_exec(path, "UPDATE meta SET value = '999'"
                   " WHERE key = 'fingerprint_version';");

    n1_err_clear(&err);
    assert_null(n1_store_open(path, NULL, &err));
    assert_int_equal(err.code, N1_ESTORE);
    n1_err_format(&err, buf, sizeof(buf));
    assert_non_null(strstr(buf, path));
    assert_non_null(strstr(buf, "fingerprint version 999"));
    assert_non_null(strstr(buf, "reset"));
    /* Refusing changed nothing. */
    assert_int_equal(raw_int(path, "SELECT count(*) FROM fingerprints"), 1);

    st = n1_store_open(path, &opts, &err);
    assert_non_null(st);
    assert_int_equal(n1_store_class_count(st, &err), 0);
    n1_store_close(st);
    assert_int_equal(raw_int(path, "SELECT value FROM meta WHERE key ="
                                   " 'fingerprint_version'"),
                     N1_FINGERPRINT_VERSION);
    n1_store_close(open_ok(path));
    n1_agg_free(agg);
}

static void test_store_flushes_merge_exactly(void **state)
{
    struct n1_store *twice = open_ok(":memory:");
    struct n1_store *once = open_ok(":memory:");
    struct n1_agg *agg = n1_agg_new(NULL, NULL);
    struct n1_agg_class a;
    struct n1_agg_class b;
    struct n1_agg_class tot;
    struct n1_store_cursor *cur = NULL;
    const struct n1_agg_class *c = NULL;
    struct n1_error err;
    int seen = 0;

    (void)state;
    for (int i = 0; i < 600; i++) {
        add_workload(agg, i);
        if (i == 299) {
            assert_int_equal(n1_store_flush(twice, agg, NULL, 0, &err), 0);
            n1_agg_reset(agg);
        }
    }
    assert_int_equal(n1_store_flush(twice, agg, NULL, 0, &err), 0);
    n1_agg_reset(agg);
    for (int i = 0; i < 600; i++) {
        add_workload(agg, i);
    }
    assert_int_equal(n1_store_flush(once, agg, NULL, 0, &err), 0);

    n1_agg_class_init(&a);
    n1_agg_class_init(&b);
    for (size_t i = 0; i < n1_agg_size(agg); i++) {
        const struct n1_agg_class *mem = n1_agg_at(agg, i);

        assert_int_equal(n1_store_load_class(twice, mem->id, &a, &err), 1);
        assert_int_equal(n1_store_load_class(once, mem->id, &b, &err), 1);
        assert_class_equal(&a, &b);
        /* And the store holds what memory held. */
        assert_class_equal(&b, mem);
    }
    assert_int_equal(a.count, 200);
    assert_int_equal(n1_store_load_class(once, 12345, &a, &err), 0);

    cur = n1_store_classes(once, &err);
    assert_non_null(cur);
    for (;;) {
        int rc = n1_store_next_class(cur, &c, &err);

        assert_true(rc >= 0);
        if (rc == 0) {
            break;
        }
        assert_non_null(n1_agg_find(agg, c->id));
        seen++;
    }
    assert_int_equal(seen, 3);
    n1_store_cursor_free(cur);

    n1_agg_class_init(&tot);
    assert_int_equal(n1_store_totals(twice, &tot, &err), 0);
    assert_int_equal(tot.count, 600);
    assert_null(tot.text);
    assert_int_equal(tot.m[N1_M_QUERY_TIME].n, 600);
    assert_true(tot.m[N1_M_QUERY_TIME].max > 3.0);
    assert_string_equal(tot.sample, "SELECT 77");
    n1_agg_class_cleanup(&tot);

    n1_agg_class_cleanup(&a);
    n1_agg_class_cleanup(&b);
    n1_agg_free(agg);
    n1_store_close(twice);
    n1_store_close(once);
}

static void fill_progress(struct n1_file_progress *p, const char *path,
                          uint64_t inode, uint64_t size, uint64_t offset)
{
    memset(p, 0, sizeof(*p));
    p->path = path;
    p->ident.dev = 2049;
    p->ident.inode = inode;
    p->ident.size = size;
    p->ident.head_hash = 0xfeedfacecafebeefull;
    p->ident.head_len = 4096;
    p->offset = offset;
    p->line = 100;
    p->complete = offset == size;
    p->flavour = "mysql-slow";
    p->events = 40;
    p->skipped = 2;
}

static void test_store_file_progress_roundtrip(void **state)
{
    struct n1_store *st = open_ok(":memory:");
    struct n1_file_progress p;
    struct n1_file_state fs;
    struct n1_store_cursor *cur = NULL;
    const struct n1_file_state *row = NULL;
    struct n1_error err;
    int64_t id;

    (void)state;
    n1_store_file_state_init(&fs);
    assert_int_equal(
        n1_store_file_lookup(st, "/var/log/slow.log", NULL, &fs, &err), 0);
    fill_progress(&p, "/var/log/slow.log", 77, 10000, 6000);
    assert_int_equal(n1_store_flush(st, NULL, &p, 1, &err), 0);
    assert_true(p.file_id > 0);
    id = p.file_id;

    assert_int_equal(
        n1_store_file_lookup(st, "/var/log/slow.log", &p.ident, &fs, &err), 1);
    assert_int_equal(fs.id, id);
    assert_string_equal(fs.path, "/var/log/slow.log");
    assert_int_equal(fs.ident.dev, 2049);
    assert_int_equal(fs.ident.inode, 77);
    assert_int_equal(fs.ident.size, 10000);
    assert_int_equal(fs.ident.head_hash, 0xfeedfacecafebeefull);
    assert_int_equal(fs.ident.head_len, 4096);
    assert_int_equal(fs.offset, 6000);
    assert_int_equal(fs.line, 100);
    assert_int_equal(fs.complete, 0);
    assert_string_equal(fs.flavour, "mysql-slow");
    assert_int_equal(fs.events, 40);
    assert_int_equal(fs.skipped, 2);
    assert_true(fs.first_read > 0 && fs.last_read >= fs.first_read);

    /* A second flush of the same file updates its record. */
    p.offset = 10000;
    p.complete = 1;
    assert_int_equal(n1_store_flush(st, NULL, &p, 1, &err), 0);
    assert_int_equal(p.file_id, id);
    cur = n1_store_files(st, &err);
    assert_non_null(cur);
    assert_int_equal(n1_store_next_file(cur, &row, &err), 1);
    assert_int_equal(row->offset, 10000);
    assert_int_equal(row->complete, 1);
    assert_int_equal(n1_store_next_file(cur, &row, &err), 0);
    /* A files cursor does not hand out classes. */
    assert_int_equal(n1_store_next_class(cur, NULL, &err), -1);
    assert_int_equal(err.code, N1_EUSAGE);
    n1_store_cursor_free(cur);

    /* An unknown record id is an error, and rolls back. */
    p.file_id = 999;
    assert_int_equal(n1_store_flush(st, NULL, &p, 1, &err), -1);
    assert_non_null(strstr(err.message, "no file record 999"));
    assert_int_equal(p.file_id, 999);

    n1_store_file_state_cleanup(&fs);
    n1_store_file_state_cleanup(NULL);
    n1_store_close(st);
}

/* What the CLI does per input: look up, decide, read, flush. Returns the
   verdict; "reads" the file by adding events [from, to) of the workload. */
static enum n1_file_verdict ingest(struct n1_store *st, struct n1_agg *agg,
                                   const char *path, uint64_t inode,
                                   uint64_t size)
{
    struct n1_file_state prev;
    struct n1_file_progress p;
    struct n1_error err;
    enum n1_file_verdict v;
    int found;
    uint64_t from = 0;

    n1_store_file_state_init(&prev);
    fill_progress(&p, path, inode, size, size);
    found = n1_store_file_lookup(st, path, &p.ident, &prev, &err);
    assert_true(found >= 0);
    v = n1_store_file_verdict(found ? &prev : NULL, &p.ident, NULL);
    if (v == N1_FILE_SAME) {
        n1_store_file_state_cleanup(&prev);
        return v;
    }
    if (v == N1_FILE_GROWN) {
        from = prev.offset;
        p.file_id = prev.id;
    }
    /* One event per 100 bytes of "log". */
    for (uint64_t off = from; off < size; off += 100) {
        add_workload(agg, (int)(off / 100));
    }
    p.events =
        (found && v == N1_FILE_GROWN ? prev.events : 0) + n1_agg_events(agg);
    assert_int_equal(n1_store_flush(st, agg, &p, 1, &err), 0);
    n1_agg_reset(agg);
    n1_store_file_state_cleanup(&prev);
    return v;
}

static long stored_events(struct n1_store *st)
{
    struct n1_agg_class tot;
    long n;

    n1_agg_class_init(&tot);
    assert_int_equal(n1_store_totals(st, &tot, NULL), 0);
    n = (long)tot.count;
    n1_agg_class_cleanup(&tot);
    return n;
}

static void test_store_file_not_counted_twice(void **state)
{
    struct n1_store *st = open_ok(":memory:");
    struct n1_agg *agg = n1_agg_new(NULL, NULL);
    struct n1_file_state fs;

    (void)state;
    n1_store_file_state_init(&fs);
    assert_int_equal(ingest(st, agg, "/logs/a.log", 10, 3000), N1_FILE_NEW);
    assert_int_equal(stored_events(st), 30);
    /* Same file again: skipped. */
    assert_int_equal(ingest(st, agg, "/logs/a.log", 10, 3000), N1_FILE_SAME);
    assert_int_equal(stored_events(st), 30);
    /* It grew: only the new part counts. */
    assert_int_equal(ingest(st, agg, "/logs/a.log", 10, 5000), N1_FILE_GROWN);
    assert_int_equal(stored_events(st), 50);
    assert_int_equal(n1_store_file_lookup(st, "/logs/a.log", NULL, &fs, NULL),
                     1);
    assert_int_equal(fs.events, 50);
    assert_int_equal(fs.offset, 5000);
    /* Rotated away and read under its new name: still the same file. */
    assert_int_equal(ingest(st, agg, "/logs/a.log.1", 10, 5000), N1_FILE_SAME);
    /* A new file at the old path: counted from the start. */
    assert_int_equal(ingest(st, agg, "/logs/a.log", 11, 1000),
                     N1_FILE_REPLACED);
    assert_int_equal(stored_events(st), 60);
    n1_store_file_state_cleanup(&fs);
    n1_agg_free(agg);
    n1_store_close(st);
}

static void test_store_file_verdicts(void **state)
{
    struct n1_file_state prev;
    struct n1_file_ident cur;
    uint64_t good = 0x1111;
    uint64_t bad = 0x2222;

    (void)state;
    n1_store_file_state_init(&prev);
    prev.ident.dev = 1;
    prev.ident.inode = 2;
    prev.ident.head_hash = 0x1111;
    prev.ident.head_len = 100;
    prev.ident.size = 100;
    prev.offset = 100;
    cur = prev.ident;

    assert_int_equal(n1_store_file_verdict(NULL, &cur, NULL), N1_FILE_NEW);
    assert_int_equal(n1_store_file_verdict(&prev, &cur, NULL), N1_FILE_SAME);
    cur.head_hash = 0x3333;
    assert_int_equal(n1_store_file_verdict(&prev, &cur, NULL),
                     N1_FILE_REPLACED);
    /* Grew past the bytes hashed last time. */
    cur.head_len = 4096;
    cur.size = 9000;
    assert_int_equal(n1_store_file_verdict(&prev, &cur, &good), N1_FILE_GROWN);
    assert_int_equal(n1_store_file_verdict(&prev, &cur, &bad),
                     N1_FILE_REPLACED);
    assert_int_equal(n1_store_file_verdict(&prev, &cur, NULL), N1_FILE_GROWN);
    /* Truncated below the offset. */
    cur = prev.ident;
    prev.offset = 100;
    cur.head_len = 50;
    cur.size = 50;
    assert_int_equal(n1_store_file_verdict(&prev, &cur, NULL),
                     N1_FILE_REPLACED);
    /* stdin: never tracked. */
    cur = prev.ident;
    cur.dev = 0;
    cur.inode = 0;
    assert_int_equal(n1_store_file_verdict(&prev, &cur, NULL), N1_FILE_NEW);
    /* Compressed: only completeness is known. */
    prev.ident.dev = 0;
    cur = prev.ident;
    prev.offset = 123456;
    prev.complete = 0;
    assert_int_equal(n1_store_file_verdict(&prev, &cur, NULL), N1_FILE_GROWN);
    prev.complete = 1;
    assert_int_equal(n1_store_file_verdict(&prev, &cur, NULL), N1_FILE_SAME);
    assert_string_equal(n1_store_verdict_name(N1_FILE_GROWN), "grown");
}

static void test_store_hostile_text_verbatim(void **state)
{
    struct n1_store *st = open_ok(":memory:");
    struct n1_agg *agg = n1_agg_new(NULL, NULL);
    static const char fp[] = "select ?'); drop table fingerprints; --";
    static const char sql[] = "SELECT 'x'); DROP TABLE files; --\0tail\"`";
    struct sample_ev se;
    struct n1_agg_class c;
    struct n1_error err;

    (void)state;
    make_ev(&se, fp, sizeof(fp) - 1, sql, sizeof(sql) - 1, 0.5, 1,
            "db'; DELETE FROM meta; --");
    assert_int_equal(n1_agg_add(agg, &se.ev, &se.norm, NULL), 0);
    assert_int_equal(n1_store_flush(st, agg, NULL, 0, &err), 0);
    n1_agg_class_init(&c);
    assert_int_equal(n1_store_load_class(st, se.norm.id, &c, &err), 1);
    assert_int_equal(c.text_len, sizeof(fp) - 1);
    assert_memory_equal(c.text, fp, sizeof(fp) - 1);
    /* The NUL inside the statement is kept too. */
    assert_int_equal(c.sample_len, sizeof(sql) - 1);
    assert_memory_equal(c.sample, sql, sizeof(sql) - 1);
    assert_string_equal(c.dims[N1_DIM_DB].v[0].value,
                        "db'; DELETE FROM meta; --");
    assert_int_equal(n1_store_class_count(st, &err), 1);
    n1_agg_class_cleanup(&c);
    n1_agg_free(agg);
    n1_store_close(st);
}

static void test_store_failed_flush_leaves_nothing(void **state)
{
    const char *path = temp_db();
    struct n1_store *st = open_ok(path);
    struct n1_agg *agg = n1_agg_new(NULL, NULL);
    struct n1_agg_class before;
    struct n1_agg_class after;
    struct n1_file_progress p;
    struct n1_error err;
    struct sample_ev se;
    uint64_t id;

    (void)state;
    for (int i = 0; i < 30; i++) {
        add_workload(agg, i);
    }
    id = n1_agg_at(agg, 0)->id;
    fill_progress(&p, "/logs/b.log", 5, 3000, 3000);
    assert_int_equal(n1_store_flush(st, agg, &p, 1, &err), 0);
    n1_agg_reset(agg);
    n1_agg_class_init(&before);
    assert_int_equal(n1_store_load_class(st, id, &before, &err), 1);

    /* The next flush fails at its very last write, after every class was
       merged: a trigger added behind the store's back. */
    raw_exec(path, "CREATE TRIGGER boom BEFORE INSERT ON files"
                   " BEGIN SELECT RAISE(ABORT, 'injected failure'); END;");
    for (int i = 30; i < 90; i++) {
        add_workload(agg, i);
    }
    make_ev(&se, "select new", 10, "SELECT 1", 8, 1.0, 5, "x");
    assert_int_equal(n1_agg_add(agg, &se.ev, &se.norm, NULL), 0);
    fill_progress(&p, "/logs/c.log", 6, 9000, 9000);
    n1_err_clear(&err);
    assert_int_equal(n1_store_flush(st, agg, &p, 1, &err), -1);
    assert_int_equal(err.code, N1_ESTORE);
    assert_string_equal(err.file, path);
    assert_non_null(strstr(err.message, "injected failure"));
    assert_int_equal(p.file_id, 0);

    /* Nothing of it is visible, from this connection or another. */
    n1_agg_class_init(&after);
    assert_int_equal(n1_store_load_class(st, id, &after, &err), 1);
    assert_class_equal(&after, &before);
    assert_int_equal(n1_store_load_class(st, se.norm.id, &after, &err), 0);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM fingerprints"), 3);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM files"), 1);
    assert_int_equal(raw_int(path, "SELECT sum(count) FROM fingerprints"), 30);

    /* The store stays usable: the same flush succeeds once fixed. */
    raw_exec(path, "DROP TRIGGER boom;");
    assert_int_equal(n1_store_flush(st, agg, &p, 1, &err), 0);
    assert_true(p.file_id > 0);
    assert_int_equal(raw_int(path, "SELECT sum(count) FROM fingerprints"),
                     30 + 61);
    n1_agg_class_cleanup(&before);
    n1_agg_class_cleanup(&after);
    n1_agg_free(agg);
    n1_store_close(st);
}

/* Child of the kill test: flushes batches of 100 events forever, each with
   the file offset that covers exactly the events flushed so far. */
static void flush_forever(const char *path)
{
    struct n1_store *st = n1_store_open(path, NULL, NULL);
    struct n1_agg *agg = n1_agg_new(NULL, NULL);
    struct n1_file_progress p;

    if (st == NULL || agg == NULL) {
        _exit(3);
    }
    fill_progress(&p, "/logs/tail.log", 9, 0, 0);
    for (int batch = 0;; batch++) {
        for (int i = 0; i < 100; i++) {
            char fp[48];
            struct sample_ev se;

            /* Many classes so that a flush takes a while. */
            snprintf(fp, sizeof(fp), "select c%d", (batch * 100 + i) % 700);
            make_ev(&se, fp, strlen(fp), "SELECT 1", 8, 0.01, batch, "d");
            if (n1_agg_add(agg, &se.ev, &se.norm, NULL) < 0) {
                _exit(4);
            }
        }
        p.offset += 100;
        p.events += 100;
        p.ident.size = p.offset;
        if (n1_store_flush(st, agg, &p, 1, NULL) < 0) {
            _exit(5);
        }
        n1_agg_reset(agg);
    }
}

static void test_store_kill_mid_flush_consistent(void **state)
{
    const char *path = temp_db();
    struct timespec pause = {0, 30 * 1000 * 1000};
    struct timespec poll = {0, 5 * 1000 * 1000};
    pid_t pid;
    int status = 0;
    long offset;
    long counted;

    (void)state;
    n1_store_close(open_ok(path));
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        flush_forever(path);
    }
    /* Kill it mid-run, after its first commit: waiting for that, not for
       a fixed time, keeps the test meaningful on a loaded machine. */
    for (int i = 0; i < 2000; i++) {
        if (raw_int(path, "SELECT coalesce(max(offset), 0) FROM files") > 0) {
            break;
        }
        nanosleep(&poll, NULL);
    }
    nanosleep(&pause, NULL);
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));

    /* Whatever batch was in flight, the offset and the counts agree. */
    offset = raw_int(path, "SELECT coalesce(max(offset), 0) FROM files");
    counted = raw_int(path, "SELECT coalesce(sum(count), 0)"
                            " FROM fingerprints");
    print_message("killed after %ld committed events\n", offset);
    assert_true(offset > 0);
    assert_int_equal(counted, offset);
    assert_int_equal(raw_int(path, "SELECT coalesce(sum(n), 0) FROM metrics"
                                   " WHERE metric = 'Query_time'"),
                     offset);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM"
                                   " pragma_integrity_check"
                                   " WHERE integrity_check <> 'ok'"),
                     0);
}

static void test_store_corrupt_hist_reported(void **state)
{
    const char *path = temp_db();
    struct n1_store *st = open_ok(path);
    struct n1_agg *agg = n1_agg_new(NULL, NULL);
    struct n1_agg_class c;
    struct n1_error err;
    uint64_t id;

    (void)state;
    add_workload(agg, 0);
    id = n1_agg_at(agg, 0)->id;
    assert_int_equal(n1_store_flush(st, agg, NULL, 0, &err), 0);
    raw_exec(path, "UPDATE metrics SET hist = x'0100ff';");
    n1_agg_class_init(&c);
    assert_int_equal(n1_store_load_class(st, id, &c, &err), -1);
    assert_int_equal(err.code, N1_EPARSE);
    assert_string_equal(err.file, path);
    assert_non_null(strstr(err.message, "bad histogram blob"));
    /* A flush that would merge into it fails whole. */
    assert_int_equal(n1_store_flush(st, agg, NULL, 0, &err), -1);
    n1_agg_class_cleanup(&c);
    n1_agg_free(agg);
    n1_store_close(st);
}

/* Counts the verdicts n1_store_verdict_each() hands out. */
static int count_verdict(void *ud, const struct n1_store_verdict *v)
{
    (void)v;
    (*(int *)ud)++;
    return 0;
}

/* A verdict kept, read back, replaced (one row per finding) and listed;
   an id with the top bit set survives SQLite's signed integers. */
static void test_store_verdicts(void **state)
{
    struct n1_store *st = open_ok(":memory:");
    struct n1_store_verdict v;
    struct n1_store_verdict got;
    struct n1_error err;
    int n = 0;

    (void)state;
    memset(&v, 0, sizeof(v));
    v.id = 0xfedcba9876543210ULL;
    strcpy(v.verdict, "differs");
    strcpy(v.detail, "the loop's row ('a') for key 1 is not in the rewrite");
    strcpy(v.host, "db1.example");
    v.verified_at = 1700000000;
    assert_int_equal(n1_store_verdict_get(st, v.id, &got, &err), 0);
    assert_int_equal(n1_store_verdict_put(st, &v, &err), 0);
    strcpy(v.verdict, "verified");
    v.verified_at = 1700000100;
    assert_int_equal(n1_store_verdict_put(st, &v, &err), 0);
    assert_int_equal(n1_store_verdict_get(st, v.id, &got, &err), 1);
    assert_true(got.id == 0xfedcba9876543210ULL);
    assert_string_equal(got.verdict, "verified");
    assert_string_equal(got.host, "db1.example");
    assert_string_equal(got.detail, v.detail);
    assert_int_equal(got.verified_at, 1700000100);
    v.id = 7;
    assert_int_equal(n1_store_verdict_put(st, &v, &err), 0);
    assert_int_equal(n1_store_verdict_each(st, count_verdict, &n, &err), 0);
    assert_int_equal(n, 2);
    n1_store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_schema_and_reopen),
        cmocka_unit_test(test_store_refuses_foreign_files),
        cmocka_unit_test(test_store_newer_schema_refused),
        cmocka_unit_test(test_store_fingerprint_version_mismatch),
        cmocka_unit_test(test_store_flushes_merge_exactly),
        cmocka_unit_test(test_store_file_progress_roundtrip),
        cmocka_unit_test(test_store_file_not_counted_twice),
        cmocka_unit_test(test_store_file_verdicts),
        cmocka_unit_test(test_store_hostile_text_verbatim),
        cmocka_unit_test(test_store_failed_flush_leaves_nothing),
        cmocka_unit_test(test_store_kill_mid_flush_consistent),
        cmocka_unit_test(test_store_corrupt_hist_reported),
        cmocka_unit_test(test_store_verdicts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
