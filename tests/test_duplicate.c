/* SPDX-License-Identifier: MIT */
/*
 * test_duplicate.c: the duplicate detector (same statement, same values).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "analyzer_feed.h"

static void test_duplicate_found(void **state)
{
    struct feed *fd = *state;
    const struct n1_finding *f;

    for (int i = 0; i < 6; i++) {
        feed_ev(fd, N1_CMD_QUERY, 3, 100 + i,
                "SELECT * FROM settings WHERE name = 'currency'", 0.5, 1);
    }
    feed_finish(fd);
    assert_int_equal(fd->n, 1);
    f = feed_get(fd, N1_FIND_DUPLICATE, 0);
    assert_int_equal(f->count, 6);
    assert_int_equal(f->distinct_keys, 1);
    assert_int_equal(f->connection, 3);
    assert_string_equal(f->table, "settings");
    assert_true(fabs(f->total_time_s - 3.0) < 1e-9);
    /* Its own kind, and no IN rewrite. */
    assert_null(f->rewrite);
    assert_null(f->rewrite_kind);
    /* A cache answers the five repeats. */
    assert_int_equal(f->round_trips_saved, 5);
    assert_non_null(strstr(f->advice, "cache"));
    assert_true(f->id ==
                n1_finding_id(N1_FIND_DUPLICATE, f->fingerprint, NULL));
    assert_true(f->id !=
                n1_finding_id(N1_FIND_N_PLUS_ONE, f->fingerprint, NULL));
}

static void test_duplicate_below_threshold(void **state)
{
    struct feed *fd = *state;

    for (int i = 0; i < 4; i++) {
        feed_q(fd, 3, i, "SELECT * FROM settings WHERE name = 'currency'");
    }
    feed_finish(fd);
    assert_int_equal(fd->n, 0);
}

static void test_duplicate_not_for_changing_keys(void **state)
{
    struct feed *fd = *state;
    char sql[128];

    for (int i = 0; i < 6; i++) {
        snprintf(sql, sizeof(sql), "SELECT * FROM users WHERE id = %d", i);
        feed_q(fd, 3, i, sql);
    }
    feed_finish(fd);
    assert_int_equal(feed_count(fd, N1_FIND_DUPLICATE), 0);
    assert_int_equal(feed_count(fd, N1_FIND_N_PLUS_ONE), 1);
}

static void test_duplicate_interleaved(void **state)
{
    struct feed *fd = *state;
    char sql[128];

    /* Inside a per-order loop the same exchange rate is read each time. */
    for (int i = 0; i < 5; i++) {
        snprintf(sql, sizeof(sql), "SELECT * FROM orders WHERE id = %d", i);
        feed_q(fd, 5, 10 * i, sql);
        feed_q(fd, 5, 10 * i + 1,
               "SELECT rate FROM fx WHERE cur = 'EUR' AND day = '2024-01-02'");
    }
    /* Another connection doing the same twice is no problem. */
    feed_q(fd, 6, 0,
           "SELECT rate FROM fx WHERE cur = 'EUR' AND day = "
           "'2024-01-02'");
    feed_q(fd, 6, 1,
           "SELECT rate FROM fx WHERE cur = 'EUR' AND day = "
           "'2024-01-02'");
    feed_finish(fd);
    assert_int_equal(feed_count(fd, N1_FIND_DUPLICATE), 1);
    assert_int_equal(feed_get(fd, N1_FIND_DUPLICATE, 0)->count, 5);
    assert_int_equal(feed_get(fd, N1_FIND_DUPLICATE, 0)->connection, 5);
    assert_int_equal(feed_count(fd, N1_FIND_N_PLUS_ONE), 1);
}

static void test_duplicate_noise_and_gap(void **state)
{
    struct feed *fd = *state;

    for (int i = 0; i < 10; i++) {
        feed_q(fd, 1, i, "SELECT 1");
        feed_q(fd, 1, i, "SET autocommit=1");
        feed_q(fd, 1, i, "COMMIT");
    }
    /* Three, then a 5 s pause, then three: two short runs. */
    for (int i = 0; i < 6; i++) {
        feed_q(fd, 2, i < 3 ? i : 5000 + i, "SELECT * FROM t WHERE id = 1");
    }
    feed_finish(fd);
    assert_int_equal(fd->n, 0);
}

/*
 * A SQL-level prepared loop (SET @k = ...; EXECUTE st USING @k) is a loop
 * on its Execute lines, not a duplicate of "EXECUTE st USING @k": values
 * read from user variables differ although the text is the same.
 */
static void test_duplicate_not_for_user_variables(void **state)
{
    struct feed *fd = *state;
    char sql[200];

    feed_q(fd, 1, 0, "PREPARE st FROM 'SELECT * FROM users WHERE id = ?'");
    for (int i = 0; i < 6; i++) {
        snprintf(sql, sizeof(sql), "SET @k = %d", i);
        feed_q(fd, 1, 10 * i, sql);
        feed_q(fd, 1, 10 * i + 1, "EXECUTE st USING @k");
        snprintf(sql, sizeof(sql), "SELECT * FROM users WHERE id = %d", i);
        feed_ev(fd, N1_CMD_EXECUTE, 1, 10 * i + 2, sql, -1, -1);
    }
    feed_finish(fd);
    assert_int_equal(feed_count(fd, N1_FIND_DUPLICATE), 0);
    assert_int_equal(feed_count(fd, N1_FIND_N_PLUS_ONE), 1);
    assert_int_equal(feed_get(fd, N1_FIND_N_PLUS_ONE, 0)->count, 6);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, feed_setup, feed_teardown)
    const struct CMUnitTest tests[] = {
        T(test_duplicate_found),
        T(test_duplicate_below_threshold),
        T(test_duplicate_not_for_changing_keys),
        T(test_duplicate_interleaved),
        T(test_duplicate_noise_and_gap),
        T(test_duplicate_not_for_user_variables),
    };
#undef T

    return cmocka_run_group_tests(tests, NULL, NULL);
}
