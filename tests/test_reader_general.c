/* SPDX-License-Identifier: MIT */
/*
 * test_reader_general.c: the general-log reader against its golden files
 * (fixtures/general/X.log -> X.expected), flavour detection, the
 * not-a-log error, the statement cap, warning rate limits and follow
 * mode split at every byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "read/reader.h"
#include "reader_render.h"

static void test_reader_general_fixtures(void **state)
{
    (void)state;
    assert_true(rr_check_fixtures("general") >= 10);
}

/* One fixture and the flavour it must be detected as. */
struct rr_flavour_case {
    const char *rel;      /* fixture path below FIXTURES_DIR */
    enum n1_flavour want; /* expected flavour */
};

/* Fails the test unless every fixture of cases is detected as wanted. */
static void rr_expect_flavours(const struct rr_flavour_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *rel = cases[i].rel;
        struct n1_reader *r = n1_reader_open(th_fixture_path(rel), NULL, NULL);

        assert_non_null(r);
        if (n1_reader_flavour(r) != cases[i].want) {
            fail_msg("%s: detected %s, expected %s", rel,
                     n1_flavour_name(n1_reader_flavour(r)),
                     n1_flavour_name(cases[i].want));
        }
        n1_reader_close(r);
    }
}

/* Detection is shared by both readers (reader.c): every flavour, general
   and slow, is checked here. */
static void test_reader_general_detects_flavours(void **state)
{
    static const struct rr_flavour_case cases[] = {
        {"slow/mariadb-basic.log", N1_FLAVOUR_SLOW_MARIADB},
        {"slow/mariadb-10.11-captured.log", N1_FLAVOUR_SLOW_MARIADB},
        {"slow/mysql-8.0.log", N1_FLAVOUR_SLOW_MYSQL},
        {"slow/mysql-5.7.log", N1_FLAVOUR_SLOW_MYSQL},
        {"slow/percona-8.0.log", N1_FLAVOUR_SLOW_PERCONA},
        {"slow/mysql-5.6-legacy.log", N1_FLAVOUR_SLOW_LEGACY},
        {"general/mariadb-basic.log", N1_FLAVOUR_GENERAL_MARIADB},
        {"general/mariadb-10.11-captured.log", N1_FLAVOUR_GENERAL_MARIADB},
        {"general/mysql-8.0.log", N1_FLAVOUR_GENERAL_MYSQL},
        {"general/mysql-5.6-legacy.log", N1_FLAVOUR_GENERAL_LEGACY},
        {"general/mysql-5.0-legacy.log", N1_FLAVOUR_GENERAL_LEGACY},
        {"general/mysql-5.7.12-spaces.log", N1_FLAVOUR_GENERAL_MYSQL},
    };

    (void)state;
    rr_expect_flavours(cases, sizeof(cases) / sizeof(cases[0]));
    assert_false(n1_flavour_is_slow(N1_FLAVOUR_GENERAL_MYSQL));
    assert_true(n1_flavour_is_slow(N1_FLAVOUR_SLOW_PERCONA));
    assert_string_equal(n1_flavour_name(N1_FLAVOUR_GENERAL_LEGACY),
                        "legacy-general");
    assert_string_equal(n1_flavour_name(N1_FLAVOUR_SLOW_MYSQL), "mysql-slow");
}

static void test_reader_general_not_a_log(void **state)
{
    static const char text[] = "hello world\nthis is a text file\n";

    (void)state;
    rr_expect_not_a_log(th_temp_file(text, sizeof(text) - 1));
}

static void test_reader_general_banner_only(void **state)
{
    static const char text[] =
        "/usr/sbin/mariadbd, Version: 10.11.6-MariaDB-log (Debian 12). "
        "started with:\n"
        "Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock\n"
        "Time\t\t    Id Command\tArgument\n";
    const char *path = th_temp_file(text, sizeof(text) - 1);
    struct n1_reader *r = n1_reader_open(path, NULL, NULL);
    struct n1_event ev;

    (void)state;
    assert_non_null(r);
    assert_int_equal(n1_reader_next(r, &ev, NULL), 0);
    assert_int_equal(n1_reader_stats(r)->lines, 3);
    assert_int_equal(n1_reader_stats(r)->skipped_lines, 0);
    n1_reader_close(r);
}

/* Writes a general log with a statement of big bytes on one line (or
   over many lines) between two small events. */
static const char *write_big(size_t big, int multiline)
{
    static char path[] = "/tmp/n1digest-big-XXXXXX";
    static const char head[] = "241125 12:00:00\t     5 Query\tSELECT 1\n"
                               "\t\t     5 Query\tSELECT '";
    static const char tail[] = "'\n\t\t     5 Query\tSELECT 2\n";
    char chunk[65536];
    size_t done = 0;
    FILE *f;
    int fd;

    memcpy(path, "/tmp/n1digest-big-XXXXXX", sizeof(path));
    fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    f = fopen(path, "wb");
    assert_non_null(f);
    fputs(head, f);
    memset(chunk, 'x', sizeof(chunk));
    if (multiline) {
        chunk[sizeof(chunk) - 1] = '\n';
    }
    while (done < big) {
        size_t n = big - done < sizeof(chunk) ? big - done : sizeof(chunk);

        assert_int_equal(fwrite(chunk, 1, n, f), n);
        done += n;
    }
    fputs(tail, f);
    fclose(f);
    return path;
}

static void check_big(int multiline)
{
    const char *path = write_big(17u << 20, multiline);
    struct rr_warn_log w;
    struct n1_reader *r;
    struct n1_event ev;
    const struct n1_reader_stats *st;
    uint64_t big_lines = multiline ? (17u << 20) / 65536 + 1 : 1;

    r = rr_open_counting(path, &w);
    assert_int_equal(n1_reader_next(r, &ev, NULL), 1);
    assert_string_equal(ev.sql, "SELECT 1");
    assert_int_equal(n1_reader_next(r, &ev, NULL), 1);
    assert_string_equal(ev.sql, "SELECT 2");
    assert_int_equal(ev.line, 3 + big_lines - 1);
    assert_int_equal(n1_reader_next(r, &ev, NULL), 0);
    st = n1_reader_stats(r);
    assert_int_equal(st->events, 2);
    assert_int_equal(st->skipped_events, 1);
    assert_int_equal(st->skipped_lines, big_lines);
    assert_int_equal(st->lines, 2 + big_lines);
    assert_int_equal(w.n, 1);
    assert_int_equal(w.last.code, N1_ELIMIT);
    assert_int_equal(w.last.line, 2);
    assert_non_null(strstr(w.last.message, "statement over 16777216 bytes"));
    n1_reader_close(r);
    unlink(path);
}

static void test_reader_general_oversize_line(void **state)
{
    (void)state;
    check_big(0);
}

static void test_reader_general_oversize_statement(void **state)
{
    (void)state;
    check_big(1);
}

static void test_reader_general_warning_rate_limit(void **state)
{
    struct n1_strbuf text;
    struct rr_warn_log w;
    struct n1_reader *r;
    struct n1_event ev;
    const char *path;

    (void)state;
    n1_strbuf_init(&text, 0);
    for (int i = 0; i < 100; i++) {
        n1_strbuf_puts(&text, "garbage\n");
    }
    n1_strbuf_puts(&text, "241125 12:00:00\t     5 Query\tSELECT 1\n");
    path = th_temp_file(text.buf, text.len);
    r = rr_open_counting(path, &w);
    assert_int_equal(n1_reader_next(r, &ev, NULL), 1);
    assert_int_equal(ev.line, 101);
    assert_int_equal(n1_reader_stats(r)->skipped_lines, 100);
    assert_int_equal(w.n, 21);
    assert_non_null(strstr(w.last.message, "not shown"));
    n1_reader_close(r);
    n1_strbuf_cleanup(&text);
}

/* A line after Quit (which has no argument) is not swallowed by it: it
   is skipped with a warning, and the next header is read as usual. */
static void test_reader_general_line_after_quit(void **state)
{
    static const char text[] = "241125 12:00:00\t     5 Quit\t\n"
                               "SELECT 'lost'\n"
                               "\t\t     6 Query\tSELECT 2\n";
    struct rr_counted c;
    struct n1_event ev;

    (void)state;
    rr_open_text(&c, text, sizeof(text) - 1);
    assert_int_equal(n1_reader_next(c.r, &ev, NULL), 1);
    assert_int_equal(ev.cmd, N1_CMD_QUIT);
    assert_int_equal(ev.sql_len, 0);
    assert_int_equal(n1_reader_next(c.r, &ev, NULL), 1);
    assert_string_equal(ev.sql, "SELECT 2");
    assert_int_equal(n1_reader_next(c.r, &ev, NULL), 0);
    assert_int_equal(n1_reader_stats(c.r)->skipped_lines, 1);
    assert_int_equal(c.w.n, 1);
    assert_int_equal(c.w.last.line, 2);
    assert_string_equal(c.w.last.file, c.path);
    n1_reader_close(c.r);
}

static void test_reader_general_tz_offset(void **state)
{
    static const char text[] = "241125 14:00:00\t     5 Query\tSELECT 1\n";
    const char *path = th_temp_file(text, sizeof(text) - 1);
    struct n1_reader_opts o;
    struct n1_reader *r;
    struct n1_event ev;

    (void)state;
    memset(&o, 0, sizeof(o));
    n1_tz_init(&o.tz, N1_TZ_OFFSET, 7200); /* the server ran at UTC+2 */
    r = n1_reader_open(path, &o, NULL);
    assert_non_null(r);
    assert_int_equal(n1_reader_next(r, &ev, NULL), 1);
    assert_true(ev.ts_us == INT64_C(1732536000) * 1000000);
    n1_reader_close(r);
}

static void test_reader_general_conn_cap(void **state)
{
    struct n1_strbuf text;
    struct n1_reader *r;
    struct n1_event ev;
    const char *path;
    char line[128];
    unsigned n = 70000;
    unsigned got = 0;

    (void)state;
    n1_strbuf_init(&text, 0);
    n1_strbuf_puts(&text, "241125 12:00:00\t     1 Query\tSELECT 0\n");
    for (unsigned i = 1; i <= n; i++) {
        snprintf(line, sizeof(line),
                 "\t\t%6u Connect\tu%u@h on db%u using Socket\n", i, i, i);
        n1_strbuf_puts(&text, line);
    }
    /* The oldest connections were evicted; the newest are known. */
    snprintf(line, sizeof(line), "\t\t%6u Query\tSELECT 1\n", n);
    n1_strbuf_puts(&text, line);
    path = th_temp_file(text.buf, text.len);
    r = n1_reader_open(path, NULL, NULL);
    assert_non_null(r);
    while (n1_reader_next(r, &ev, NULL) == 1) {
        got++;
    }
    assert_int_equal(got, n + 2);
    assert_string_equal(ev.db, "db70000");
    assert_string_equal(ev.user, "u70000");
    n1_reader_close(r);
    n1_strbuf_cleanup(&text);
}

static void test_reader_general_follow_split(void **state)
{
    (void)state;
    assert_true(rr_check_split("general") >= 8);
}

static void append(const char *path, const char *text)
{
    FILE *f = fopen(path, "ab");

    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    fclose(f);
}

/*
 * A followed file that starts empty: the first line arrives while the
 * flavour is undecided, and deciding peeks ahead, which refills the
 * source's buffer. The line must come through intact (it used to lose its
 * first byte and be skipped as garbage).
 */
static void test_reader_general_follow_starts_empty(void **state)
{
    struct n1_reader_opts o;
    struct n1_reader *r;
    struct n1_error err;
    struct n1_event ev;
    const char *path = th_temp_file("", 0);

    (void)state;
    memset(&o, 0, sizeof(o));
    o.follow = 1;
    r = n1_reader_open(path, &o, &err);
    assert_non_null(r);
    assert_int_equal(n1_reader_next(r, &ev, &err), 0);
    /* The first line is the only one buffered when it is fed. */
    append(path, "261125 12:00:00\t     5 Query\tSELECT 1\n");
    assert_int_equal(n1_reader_next(r, &ev, &err), 0);
    append(path, "\t\t     5 Query\tSELECT 2\n");
    assert_int_equal(n1_reader_next(r, &ev, &err), 1);
    assert_string_equal(ev.sql, "SELECT 1");
    assert_int_equal(ev.conn_id, 5);
    assert_int_equal(n1_reader_flush(r, &ev), 1);
    assert_string_equal(ev.sql, "SELECT 2");
    assert_int_equal(n1_reader_stats(r)->skipped_lines, 0);
    n1_reader_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reader_general_fixtures),
        cmocka_unit_test(test_reader_general_detects_flavours),
        cmocka_unit_test(test_reader_general_not_a_log),
        cmocka_unit_test(test_reader_general_banner_only),
        cmocka_unit_test(test_reader_general_oversize_line),
        cmocka_unit_test(test_reader_general_oversize_statement),
        cmocka_unit_test(test_reader_general_warning_rate_limit),
        cmocka_unit_test(test_reader_general_line_after_quit),
        cmocka_unit_test(test_reader_general_tz_offset),
        cmocka_unit_test(test_reader_general_conn_cap),
        cmocka_unit_test(test_reader_general_follow_split),
        cmocka_unit_test(test_reader_general_follow_starts_empty),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
