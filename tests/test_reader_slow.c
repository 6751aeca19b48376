/* SPDX-License-Identifier: MIT */
/*
 * test_reader_slow.c: the slow-log reader against its golden files
 * (fixtures/slow/X.log -> X.expected), flavour detection, a binary file,
 * the statement cap, compressed input, resuming with n1_reader_seek() and
 * follow mode split at every byte.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "helpers.h"
#include "read/reader.h"
#include "reader_render.h"

static void test_reader_slow_fixtures(void **state)
{
    (void)state;
    assert_true(rr_check_fixtures("slow") >= 12);
}

static void test_reader_slow_binary_is_not_a_log(void **state)
{
    unsigned char junk[3000];

    (void)state;
    for (size_t i = 0; i < sizeof(junk); i++) {
        junk[i] = (unsigned char)(i * 131 + 7);
    }
    rr_expect_not_a_log(th_temp_file(junk, sizeof(junk)));
}

static void test_reader_slow_oversize_statement(void **state)
{
    static const char entry[] =
        "# Time: 241125 12:00:00\n"
        "# User@Host: app[app] @ localhost []\n"
        "# Query_time: 0.1  Lock_time: 0.0  Rows_sent: 0  Rows_examined: 0\n"
        "SET timestamp=1732536000;\n";
    char path[] = "/tmp/n1digest-bigslow-XXXXXX";
    char chunk[4096];
    struct rr_warn_log w;
    struct n1_reader *r;
    struct n1_event ev;
    const struct n1_reader_stats *st;
    size_t lines = (17u << 20) / sizeof(chunk);
    FILE *f;
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    f = fopen(path, "wb");
    assert_non_null(f);
    /* A statement of 17 MiB in 4 KiB lines, the second in the file; a
       "# Time:" inside its literal must not end it early. */
    fputs(entry, f);
    fputs("SELECT 1;\n", f);
    fputs(entry, f);
    fputs("INSERT INTO t VALUES ('\n# Time: 241125 12:00:00\n", f);
    memset(chunk, 'y', sizeof(chunk));
    chunk[sizeof(chunk) - 1] = '\n';
    for (size_t i = 0; i < lines; i++) {
        assert_int_equal(fwrite(chunk, 1, sizeof(chunk), f), sizeof(chunk));
    }
    fputs("');\n", f);
    fputs(entry, f);
    fputs("SELECT 3;\n", f);
    fclose(f);

    r = rr_open_counting(path, &w);
    assert_int_equal(n1_reader_next(r, &ev, NULL), 1);
    assert_string_equal(ev.sql, "SELECT 1");
    assert_int_equal(n1_reader_next(r, &ev, NULL), 1);
    assert_string_equal(ev.sql, "SELECT 3");
    assert_int_equal(n1_reader_next(r, &ev, NULL), 0);
    st = n1_reader_stats(r);
    assert_int_equal(st->events, 2);
    assert_int_equal(st->skipped_events, 1);
    /* 4 header lines, 2 opening lines, the chunks, the closing line. */
    assert_int_equal(st->skipped_lines, 4 + 2 + lines + 1);
    assert_int_equal(w.n, 1);
    assert_int_equal(w.last.code, N1_ELIMIT);
    assert_int_equal(w.last.line, 6);
    n1_reader_close(r);
    unlink(path);
}

/* An entry with headers and no statement is skipped and counted, with a
   warning naming the file and its line; "# User:" forms start entries
   and never become statement text. */
static void test_reader_slow_entry_without_statement(void **state)
{
    static const char text[] =
        "# Time: 2024-11-25T12:00:00.000100Z\n"
        "# User@Host: app[app] @ localhost []  Id:     8\n"
        "# Query_time: 0.1  Lock_time: 0.0  Rows_sent: 0  Rows_examined: 0\n"
        "# Time: 2024-11-25T12:00:00.000200Z\n"
        "# User@Host:app[app] @ localhost []  Id:     8\n"
        "# Query_time: 0.1  Lock_time: 0.0  Rows_sent: 0  Rows_examined: 0\n"
        "SELECT 1;\n"
        "# User: report  Host: db2\n"
        "# Query_time: 0.2  Lock_time: 0.0  Rows_sent: 0  Rows_examined: 0\n"
        "SELECT 2;\n";
    struct rr_counted c;
    struct n1_event ev;

    (void)state;
    rr_open_text(&c, text, sizeof(text) - 1);
    assert_int_equal(n1_reader_next(c.r, &ev, NULL), 1);
    assert_string_equal(ev.sql, "SELECT 1");
    assert_string_equal(ev.user, "app");
    assert_int_equal(ev.conn_id, 8);
    assert_int_equal(n1_reader_next(c.r, &ev, NULL), 1);
    assert_string_equal(ev.sql, "SELECT 2");
    assert_string_equal(ev.user, "report");
    assert_string_equal(ev.host, "db2");
    assert_int_equal(n1_reader_next(c.r, &ev, NULL), 0);
    assert_int_equal(n1_reader_stats(c.r)->skipped_events, 1);
    assert_int_equal(n1_reader_stats(c.r)->skipped_lines, 3);
    assert_int_equal(c.w.n, 1);
    assert_int_equal(c.w.last.line, 1);
    assert_string_equal(c.w.last.file, c.path);
    assert_non_null(strstr(c.w.last.message, "without a statement"));
    n1_reader_close(c.r);
}

static void test_reader_slow_gzip_matches_plain(void **state)
{
    const char *rel = "slow/mysql-8.0.log";
    size_t len = 0;
    char *data = th_read_fixture(rel, &len);
    char path[] = "/tmp/n1digest-gzslow-XXXXXX";
    struct n1_strbuf plain, gz;
    gzFile z;
    int fd = mkstemp(path);
    const char *p;

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    z = gzopen(path, "wb");
    assert_non_null(z);
    assert_int_equal(gzwrite(z, data, (unsigned)len), (int)len);
    gzclose(z);
    n1_strbuf_init(&plain, 0);
    n1_strbuf_init(&gz, 0);
    rr_render_file(&plain, th_fixture_path(rel), NULL);
    rr_render_file(&gz, path, NULL);
    p = n1_strbuf_str(&gz);
    th_assert_text(rel, n1_strbuf_str(&plain), p);
    n1_strbuf_cleanup(&plain);
    n1_strbuf_cleanup(&gz);
    free(data);
    unlink(path);
}

/* Compressed as log rotation leaves it (gzip, xz, bzip2, zstd, told by
   content): the same events as the plain file. */
static void test_reader_slow_compressed_matches_plain(void **state)
{
    static const char *const ext[] = {"gz", "xz", "bz2", "zst"};
    struct n1_strbuf plain, got;

    (void)state;
    n1_strbuf_init(&plain, 0);
    n1_strbuf_init(&got, 0);
    rr_render_file(&plain, th_fixture_path("slow/insert-id.log"), NULL);
    for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
        char rel[64];

        snprintf(rel, sizeof(rel), "compressed/insert-id.log.%s", ext[i]);
        rr_render_file(&got, th_fixture_path(rel), NULL);
        th_assert_text(rel, n1_strbuf_str(&plain), n1_strbuf_str(&got));
    }
    n1_strbuf_cleanup(&plain);
    n1_strbuf_cleanup(&got);
}

/* A truncated compressed file is an error naming the file, not a
   quiet end of input. */
static void test_reader_slow_compressed_truncated(void **state)
{
    static const char *const ext[] = {"gz", "xz", "bz2", "zst"};

    (void)state;
    for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
        char rel[64];
        const char *path;
        struct n1_reader *r;
        struct n1_event ev;
        struct n1_error err;
        int rc = 0;

        snprintf(rel, sizeof(rel), "compressed/truncated.log.%s", ext[i]);
        path = th_fixture_path(rel);
        n1_err_clear(&err);
        r = n1_reader_open(path, NULL, &err);
        if (r != NULL) {
            while ((rc = n1_reader_next(r, &ev, &err)) == 1) {
            }
            n1_reader_close(r);
        }
        if (r != NULL && rc != -1) {
            fail_msg("%s: read to the end without an error", rel);
        }
        assert_int_equal(err.code, N1_EPARSE);
        assert_string_equal(err.file, path);
        assert_non_null(strstr(err.message, "ends early"));
    }
}

static void test_reader_slow_seek_resume(void **state)
{
    const char *path = th_fixture_path("slow/mariadb-basic.log");
    struct n1_reader *r = n1_reader_open(path, NULL, NULL);
    struct n1_event ev;
    uint64_t end;
    unsigned long next_line;
    char second[256];
    struct n1_error err;

    (void)state;
    assert_non_null(r);
    assert_int_equal(n1_reader_next(r, &ev, NULL), 1);
    end = ev.end_offset;
    assert_int_equal(n1_reader_next(r, &ev, NULL), 1);
    next_line = ev.line;
    assert_int_equal(ev.offset, end);
    snprintf(second, sizeof(second), "%s", ev.sql);
    n1_reader_close(r);

    r = n1_reader_open(path, NULL, NULL);
    assert_non_null(r);
    assert_int_equal(n1_reader_seek(r, end, next_line, NULL), 0);
    assert_int_equal(n1_reader_next(r, &ev, NULL), 1);
    assert_int_equal(ev.offset, end);
    assert_int_equal(ev.line, next_line);
    assert_string_equal(ev.sql, second);
    n1_err_clear(&err);
    assert_int_equal(n1_reader_seek(r, 1u << 30, 1, &err), -1);
    assert_int_equal(err.code, N1_EUSAGE);
    n1_reader_close(r);
}

/* The times of the three entries of fixtures/tz/mariadb-slow-new-york.log
   read with opts (NULL: defaults) into ts[], and the zone source. */
static enum n1_tz_source read_ny(const struct n1_reader_opts *opts,
                                 int64_t ts[3], struct n1_tz *tz)
{
    struct n1_reader *r = n1_reader_open(
        th_fixture_path("tz/mariadb-slow-new-york.log"), opts, NULL);
    struct n1_event ev;
    enum n1_tz_source src;

    assert_non_null(r);
    assert_int_equal(n1_reader_tz_source(r, NULL), N1_TZSRC_NONE);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(n1_reader_next(r, &ev, NULL), 1);
        ts[i] = ev.ts_us;
    }
    assert_int_equal(n1_reader_next(r, &ev, NULL), 0);
    src = n1_reader_tz_source(r, tz);
    n1_reader_close(r);
    return src;
}

/*
 * The offset a MariaDB slow log shows: its first entry's local "# Time:
 * 261203  8:16:10" (the end) minus Query_time 2 s, against SET
 * timestamp=1796303768 (2026-12-03 13:16:08 UTC), is -5 h; the last
 * entry has no SET timestamp, and its "# Time: 261203 10:15:00" is then
 * 15:15:00 UTC. An offset given wins and nothing is detected.
 */
static void test_reader_slow_tz_detected(void **state)
{
    const int64_t s = 1000000;
    struct n1_reader_opts o;
    struct n1_tz tz;
    int64_t ts[3];

    (void)state;
    assert_int_equal(read_ny(NULL, ts, &tz), N1_TZSRC_DETECTED);
    assert_int_equal(tz.kind, N1_TZ_OFFSET);
    assert_int_equal(tz.offset_s, -18000);
    assert_true(ts[0] == 1796303768 * s);
    /* 08:30:00 local = 13:30:00 UTC, minus Query_time 0.5 s. */
    assert_true(ts[1] == 1796304599 * s + s / 2);
    /* 2026-12-03 15:15:00 UTC */
    assert_true(ts[2] == 1796310900 * s);

    memset(&o, 0, sizeof(o));
    n1_tz_init(&o.tz, N1_TZ_OFFSET, 3600);
    assert_int_equal(read_ny(&o, ts, &tz), N1_TZSRC_GIVEN);
    assert_int_equal(tz.offset_s, 3600);
    assert_true(ts[0] == 1796303768 * s);
    assert_true(ts[2] == (1796310900 - 6 * 3600) * s); /* 09:15 UTC */
}

/* A "# Time:" that is not within 5 s of a quarter hour of the epoch
   beside it shows no offset: the times stay UTC, said to be assumed. */
static void test_reader_slow_tz_not_detected(void **state)
{
    char path[] = "/tmp/n1-tz-XXXXXX";
    int fd = mkstemp(path);
    FILE *f;
    struct n1_reader *r;
    struct n1_event ev;

    (void)state;
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    assert_non_null(f);
    /* 13:16:30 wall, 2 s query, epoch 13:16:08 UTC: 20 s off any quarter
       hour. Then an entry with no SET timestamp. */
    fputs("# Time: 261203 13:16:30\n# User@Host: a[a] @ localhost []\n"
          "# Query_time: 2.000000  Lock_time: 0.0  Rows_sent: 0  "
          "Rows_examined: 0\nSET timestamp=1796303768;\nSELECT 1;\n"
          "# Time: 261203 13:20:00\n# User@Host: a[a] @ localhost []\n"
          "# Query_time: 1.000000  Lock_time: 0.0  Rows_sent: 0  "
          "Rows_examined: 0\nSELECT 2;\n",
          f);
    fclose(f);
    r = n1_reader_open(path, NULL, NULL);
    assert_non_null(r);
    assert_int_equal(n1_reader_next(r, &ev, NULL), 1);
    assert_int_equal(n1_reader_next(r, &ev, NULL), 1);
    assert_true(ev.ts_us ==
                INT64_C(1796304000) * 1000000); /* 13:20 read as UTC */
    assert_int_equal(n1_reader_tz_source(r, NULL), N1_TZSRC_ASSUMED);
    n1_reader_close(r);
    unlink(path);
}

static void test_reader_slow_ident(void **state)
{
    const char *path = th_fixture_path("slow/mysql-5.7.log");
    struct n1_reader *r = n1_reader_open(path, NULL, NULL);
    const struct n1_file_ident *id;

    (void)state;
    assert_non_null(r);
    id = n1_reader_ident(r);
    assert_true(id->inode != 0);
    assert_int_equal(id->size, 637);
    assert_int_equal(id->head_len, 637);
    assert_true(id->head_hash != 0);
    assert_string_equal(n1_reader_name(r), path);
    n1_reader_close(r);
}

static void test_reader_slow_follow_split(void **state)
{
    (void)state;
    assert_true(rr_check_split("slow") >= 10);
}

/* Opens text (as a temporary file) with opts.no_attrs set to no_attrs;
   warnings are not wanted. */
static struct n1_reader *open_mode(const char *text, int no_attrs)
{
    struct n1_reader_opts o;
    struct n1_reader *r;

    memset(&o, 0, sizeof(o));
    o.no_attrs = no_attrs;
    r = n1_reader_open(th_temp_file(text, strlen(text)), &o, NULL);
    assert_non_null(r);
    return r;
}

/* The attr called name in ev, or NULL (the last one of that name). */
static const struct n1_attr *find_attr(const struct n1_event *ev,
                                       const char *name)
{
    const struct n1_attr *a = NULL;

    for (size_t i = 0; i < ev->n_attrs; i++) {
        if (strcmp(ev->attrs[i].name, name) == 0) {
            a = &ev->attrs[i];
        }
    }
    return a;
}

/*
 * A metric's value is the double strtod() reads from it, bit for bit,
 * whether the reader keeps attrs or not, and whatever way it is read:
 * plain decimals are read without strtod(), the rest with it. A value
 * strtod() does not read whole, that does not start like a number, or
 * whose magnitude passes N1_NUM_MAX (infinities too) gives no metric: the
 * sums of metrics stay finite.
 */
static void test_reader_slow_metric_values(void **state)
{
    static const char *const values[] = {
        "0.000002",
        "12.5",
        "-0",
        ".5",
        "5.",
        "00001",
        "-.25",
        "123456789012345",
        "1234567890123456",
        "999999999999999.9",
        "0.1234567890123456789",
        "1e-3",
        "0x1A",
        "1.5e",
        "5abc",
        "-",
        ".",
        "inf",
        "1.2.3",
        "7-",
        "1e15",
        "-1e15",
        "1.0000000000001e15",
        "1e308",
        "1e999",
        "-1e999",
        "-inf",
        "-nan",
    };

    (void)state;
    for (size_t k = 0; k < sizeof(values) / sizeof(values[0]); k++) {
        char text[256];
        char *end;
        double want = strtod(values[k], &end);
        int is_num = *end == '\0' && fabs(want) <= 1e15 &&
                     (values[k][0] == '-' || values[k][0] == '.' ||
                      (values[k][0] >= '0' && values[k][0] <= '9'));

        snprintf(text, sizeof(text),
                 "# Time: 241125 12:00:00\n"
                 "# Query_time: %s  Lock_time: 0.000001  Rows_sent: 7\n"
                 "SELECT 1;\n",
                 values[k]);
        for (int no_attrs = 0; no_attrs < 2; no_attrs++) {
            struct n1_reader *r = open_mode(text, no_attrs);
            struct n1_event ev;
            double lock = 0.000001;

            assert_int_equal(n1_reader_next(r, &ev, NULL), 1);
            assert_int_equal((ev.metric_mask >> N1_M_QUERY_TIME) & 1u, is_num);
            if (is_num) {
                assert_memory_equal(&ev.metric[N1_M_QUERY_TIME], &want,
                                    sizeof(want));
            }
            assert_memory_equal(&ev.metric[N1_M_LOCK_TIME], &lock,
                                sizeof(lock));
            assert_true(ev.metric[N1_M_ROWS_SENT] == 7.0);
            if (!no_attrs) {
                const struct n1_attr *a = find_attr(&ev, "Query_time");

                assert_non_null(a);
                assert_string_equal(a->value, values[k]);
                assert_int_equal(a->is_num, is_num);
            } else {
                assert_int_equal(ev.n_attrs, 0);
            }
            n1_reader_close(r);
        }
    }
}

/*
 * Names are tokens of name characters ending in ":" before a blank:
 * "Query_time:0.5" is free text, "Query_timeX:" another name, an empty
 * value is empty, tabs separate as spaces do, and a value that is not a
 * number sets no metric.
 */
static void test_reader_slow_pair_tokens(void **state)
{
    static const char text[] =
        "# Time: 241125 12:00:00\n"
        "# User@Host: app[app] @ localhost []\n"
        "# Thread_id: 77  Schema: shop  QC_hit: No\n"
        "# Query_time:0.5  Lock_time: 1  Rows_sent:  Rows_examined: 3\n"
        "# Query_timeX: 9  Bytes_sent: 5abc\tRows_affected:\t4\n"
        "SELECT 1;\n";

    (void)state;
    for (int no_attrs = 0; no_attrs < 2; no_attrs++) {
        struct n1_reader *r = open_mode(text, no_attrs);
        struct n1_event ev;

        assert_int_equal(n1_reader_next(r, &ev, NULL), 1);
        assert_int_equal(ev.conn_id, 77);
        assert_string_equal(ev.db, "shop");
        assert_int_equal(ev.metric_mask, (1u << N1_M_LOCK_TIME) |
                                             (1u << N1_M_ROWS_EXAMINED) |
                                             (1u << N1_M_ROWS_AFFECTED));
        assert_true(ev.metric[N1_M_LOCK_TIME] == 1.0);
        assert_true(ev.metric[N1_M_ROWS_EXAMINED] == 3.0);
        assert_true(ev.metric[N1_M_ROWS_AFFECTED] == 4.0);
        if (!no_attrs) {
            /* Time, User@Host, Thread_id, Schema, QC_hit, Lock_time,
               Rows_sent, Rows_examined, Query_timeX, Bytes_sent,
               Rows_affected. */
            assert_int_equal(ev.n_attrs, 11);
            assert_null(find_attr(&ev, "Query_time"));
            assert_string_equal(find_attr(&ev, "Rows_sent")->value, "");
            assert_string_equal(find_attr(&ev, "Query_timeX")->value, "9");
            assert_string_equal(find_attr(&ev, "Bytes_sent")->value, "5abc");
            assert_string_equal(find_attr(&ev, "QC_hit")->value, "No");
        }
        n1_reader_close(r);
    }
}

/* A session SET line with more pairs than are kept from the first read
   is taken all the same, in order. */
static void test_reader_slow_session_set_many(void **state)
{
    static const char text[] =
        "# Time: 241125 12:00:00\n"
        "# Query_time: 0.1  Lock_time: 0.0  Rows_sent: 0\n"
        "SET insert_id=1,insert_id=2,insert_id=3,last_insert_id=4,"
        "insert_id=5,timestamp=1732536000;\n"
        "INSERT INTO t VALUES (1);\n";
    static const char *const want[][2] = {
        {"insert_id", "1"},      {"insert_id", "2"}, {"insert_id", "3"},
        {"last_insert_id", "4"}, {"insert_id", "5"},
    };
    struct n1_reader *r = open_mode(text, 0);
    struct n1_event ev;

    (void)state;
    assert_int_equal(n1_reader_next(r, &ev, NULL), 1);
    assert_string_equal(ev.sql, "INSERT INTO t VALUES (1)");
    assert_true(ev.ts_us == INT64_C(1732536000) * 1000000);
    /* Time, Query_time, Lock_time, Rows_sent, then the SET line's
       pairs. */
    assert_int_equal(ev.n_attrs, 4 + 5);
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(ev.attrs[4 + i].name, want[i][0]);
        assert_string_equal(ev.attrs[4 + i].value, want[i][1]);
    }
    n1_reader_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reader_slow_fixtures),
        cmocka_unit_test(test_reader_slow_binary_is_not_a_log),
        cmocka_unit_test(test_reader_slow_oversize_statement),
        cmocka_unit_test(test_reader_slow_entry_without_statement),
        cmocka_unit_test(test_reader_slow_gzip_matches_plain),
        cmocka_unit_test(test_reader_slow_compressed_matches_plain),
        cmocka_unit_test(test_reader_slow_compressed_truncated),
        cmocka_unit_test(test_reader_slow_seek_resume),
        cmocka_unit_test(test_reader_slow_ident),
        cmocka_unit_test(test_reader_slow_tz_detected),
        cmocka_unit_test(test_reader_slow_tz_not_detected),
        cmocka_unit_test(test_reader_slow_follow_split),
        cmocka_unit_test(test_reader_slow_metric_values),
        cmocka_unit_test(test_reader_slow_pair_tokens),
        cmocka_unit_test(test_reader_slow_session_set_many),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
