/* SPDX-License-Identifier: MIT */
/*
 * test_server.c: the parts of the server sources that need no server:
 * the log tables' per-thread marks (read/server_mark.h), the user_host
 * column's parsing (read/reader.h) and the source table.
 *
 * The marks are driven the way a poll drives them: poll_begin, then
 * each thread's rows in time order, and a later poll that reads an
 * overlapping range again (its lower bound is below the newest time)
 * must hand out exactly the rows not handed out before, including rows
 * that share a microsecond with the boundary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "read/reader.h"
#include "read/server.h"
#include "read/server_mark.h"

/* One row of a poll: thread, time; want is 1 when it must be new. */
struct row {
    uint64_t thread;
    uint64_t time;
    int want;
};

static void run_poll(struct n1_tmarks *m, const struct row *rows, size_t n)
{
    n1_tmarks_poll_begin(m);
    for (size_t i = 0; i < n; i++) {
        int got = n1_tmarks_judge(m, rows[i].thread, rows[i].time);

        if (got != rows[i].want) {
            print_error("row %zu (thread %llu, time %llu): got %d, want %d\n",
                        i, (unsigned long long)rows[i].thread,
                        (unsigned long long)rows[i].time, got, rows[i].want);
        }
        assert_int_equal(got, rows[i].want);
    }
}

/* A second poll over the same range hands out nothing again; new rows
   after the mark, and on a new thread, are handed out. */
static void test_server_marks_no_double_count(void **state)
{
    static const struct row p1[] = {
        {7, 1000, 1}, {8, 1001, 1}, {7, 1002, 1}, {8, 1003, 1}};
    static const struct row p2[] = {{7, 1000, 0}, {8, 1001, 0}, {7, 1002, 0},
                                    {8, 1003, 0}, {7, 1004, 1}, {9, 1004, 1},
                                    {8, 1005, 1}};
    struct n1_tmarks *m = n1_tmarks_new();

    (void)state;
    assert_non_null(m);
    run_poll(m, p1, sizeof(p1) / sizeof(p1[0]));
    run_poll(m, p2, sizeof(p2) / sizeof(p2[0]));
    assert_int_equal(n1_tmarks_newest(m), 1005);
    n1_tmarks_free(m);
}

/* Rows sharing the boundary microsecond: the poll that read two of them
   has the third one handed out by the next poll, never the first two. */
static void test_server_marks_same_microsecond(void **state)
{
    static const struct row p1[] = {{7, 2000, 1}, {7, 2000, 1}};
    static const struct row p2[] = {
        {7, 2000, 0}, {7, 2000, 0}, {7, 2000, 1}, {7, 2001, 1}};
    static const struct row p3[] = {{7, 2000, 0}, {7, 2001, 0}};
    struct n1_tmarks *m = n1_tmarks_new();

    (void)state;
    assert_non_null(m);
    run_poll(m, p1, 2);
    run_poll(m, p2, 4);
    run_poll(m, p3, 2);
    n1_tmarks_free(m);
}

static void collect(void *ud, uint64_t thread, uint64_t packed)
{
    uint64_t *v = ud;

    v[2 * v[0] + 1] = thread;
    v[2 * v[0] + 2] = packed;
    v[0]++;
}

/* The marks go through the store's packed numbers and back: a new run
   (a restart) with them skips what the first read, both threads. */
static void test_server_marks_survive_restart(void **state)
{
    static const struct row p1[] = {{3, 1732525503000001ull, 1},
                                    {3, 1732525503000001ull, 1},
                                    {5, 1732525503500000ull, 1}};
    static const struct row again[] = {{3, 1732525503000001ull, 0},
                                       {3, 1732525503000001ull, 0},
                                       {5, 1732525503500000ull, 0},
                                       {5, 1732525503500001ull, 1}};
    uint64_t v[1 + 2 * 8] = {0};
    struct n1_tmarks *m = n1_tmarks_new();
    struct n1_tmarks *m2 = n1_tmarks_new();

    (void)state;
    assert_non_null(m);
    assert_non_null(m2);
    run_poll(m, p1, 3);
    n1_tmarks_each(m, collect, v);
    assert_int_equal(v[0], 2);
    assert_int_equal(v[1], 3); /* threads ascending */
    assert_int_equal(v[2], 1732525503000001ull << 10 | 2);
    assert_int_equal(v[3], 5);
    assert_int_equal(v[4], 1732525503500000ull << 10 | 1);
    for (uint64_t i = 0; i < v[0]; i++) {
        assert_int_equal(n1_tmarks_set(m2, v[2 * i + 1], v[2 * i + 2]), 0);
    }
    run_poll(m2, again, 4);
    n1_tmarks_free(m);
    n1_tmarks_free(m2);
}

/* A pruned thread is forgotten; the newest time stays with the rest. */
static void test_server_marks_prune(void **state)
{
    static const struct row p1[] = {{1, 100, 1}, {2, 5000, 1}};
    uint64_t v[1 + 2 * 4] = {0};
    struct n1_tmarks *m = n1_tmarks_new();

    (void)state;
    assert_non_null(m);
    run_poll(m, p1, 2);
    n1_tmarks_prune(m, 1000);
    n1_tmarks_each(m, collect, v);
    assert_int_equal(v[0], 1);
    assert_int_equal(v[1], 2);
    assert_int_equal(n1_tmarks_newest(m), 5000);
    n1_tmarks_free(m);
}

/* Threads kept sorted by id, found again, the rest of an entry zeroed. */
static void test_server_thread_slot(void **state)
{
    struct ent {
        uint64_t thread;
        int payload;
    };
    static const uint64_t ids[] = {5, 1, 3, 9, 1, 5};
    static const int fresh[] = {1, 1, 1, 1, 0, 0};
    void *v = NULL;
    size_t n = 0;
    size_t cap = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        int is_new = -1;
        struct ent *e =
            n1_thread_slot(&v, &n, &cap, sizeof(*e), ids[i], &is_new);

        assert_non_null(e);
        assert_int_equal(is_new, fresh[i]);
        assert_int_equal(e->thread, ids[i]);
        if (is_new) {
            assert_int_equal(e->payload, 0);
            e->payload = (int)ids[i] * 10;
        } else {
            assert_int_equal(e->payload, (int)ids[i] * 10);
        }
    }
    assert_int_equal(n, 4);
    for (size_t i = 1; i < n; i++) {
        assert_true(((struct ent *)v)[i - 1].thread <
                    ((struct ent *)v)[i].thread);
    }
    free(v);
}

struct uh_case {
    const char *in;
    const char *user;
    const char *host;
};

static void test_server_user_host(void **state)
{
    static const struct uh_case cases[] = {
        {"root[root] @ localhost []", "root", "localhost"},
        {"app[app] @  [10.0.0.5]", "app", "10.0.0.5"},
        {"priv[real] @ web1 [10.0.0.7]", "real", "web1"},
        {"u[u] @ db-host", "u", "db-host"},
        {"cut[sho", "sho", ""},
        {"", "", ""},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct n1_user_host uh;
        char user[64];
        char host[64];

        n1_user_host_parse(cases[i].in, strlen(cases[i].in), &uh);
        snprintf(user, sizeof(user), "%.*s", (int)uh.user_len,
                 uh.user != NULL ? uh.user : "");
        snprintf(host, sizeof(host), "%.*s", (int)uh.host_len,
                 uh.host != NULL ? uh.host : "");
        if (strcmp(user, cases[i].user) != 0 ||
            strcmp(host, cases[i].host) != 0) {
            print_error("input: '%s'\n want: '%s' '%s'\n  got: '%s' '%s'\n",
                        cases[i].in, cases[i].user, cases[i].host, user, host);
        }
        assert_string_equal(user, cases[i].user);
        assert_string_equal(host, cases[i].host);
    }
}

/* --source names the two sources; nothing else. */
static void test_server_source_table(void **state)
{
    (void)state;
    assert_non_null(n1_server_source_find("perfschema"));
    assert_string_equal(n1_server_source_find("table")->kind, "table");
    assert_null(n1_server_source_find("files"));
    assert_int_equal(n1_server_source_find("table")->started(NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server_marks_no_double_count),
        cmocka_unit_test(test_server_marks_same_microsecond),
        cmocka_unit_test(test_server_marks_survive_restart),
        cmocka_unit_test(test_server_marks_prune),
        cmocka_unit_test(test_server_thread_slot),
        cmocka_unit_test(test_server_user_host),
        cmocka_unit_test(test_server_source_table),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
