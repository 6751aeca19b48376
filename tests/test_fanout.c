/* SPDX-License-Identifier: MIT */
/*
 * test_fanout.c: the fanout detector (a thread and a connection per key).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "analyzer_feed.h"
#include "helpers.h"

/*
 * n connections (ids 100 + i) open at t0 + i * spread ms, each runs
 * MAX(cpu) for gid key(i) (with session noise first on odd ones), then
 * all quit.
 */
static void fan(struct feed *fd, int n, int64_t t0, int64_t spread,
                int same_key)
{
    char sql[128];

    for (int i = 0; i < n; i++) {
        feed_ev(fd, N1_CMD_CONNECT, 100 + (uint64_t)i, t0 + i * spread,
                "app@10.0.0.1 on metrics using TCP/IP", -1, -1);
    }
    for (int i = 0; i < n; i++) {
        int64_t t = t0 + i * spread + 5;

        if (i % 2) {
            feed_q(fd, 100 + (uint64_t)i, t, "SET NAMES utf8mb4");
            feed_q(fd, 100 + (uint64_t)i, t, "SELECT CONNECTION_ID()");
        }
        snprintf(sql, sizeof(sql),
                 "SELECT MAX(cpu) FROM metrics WHERE "
                 "gid = %d",
                 same_key ? 1 : i + 1);
        feed_ev(fd, N1_CMD_QUERY, 100 + (uint64_t)i, t + 1, sql, 0.01, 1);
    }
    for (int i = n - 1; i >= 0; i--) {
        feed_ev(fd, N1_CMD_QUIT, 100 + (uint64_t)i, t0 + i * spread + 40, NULL,
                -1, -1);
    }
}

static void test_fanout_found(void **state)
{
    struct feed *fd = *state;
    const struct n1_finding *f;
    int seen[8] = {0};

    fan(fd, 8, 1000, 3, 0);
    feed_finish(fd);
    assert_int_equal(fd->n, 1);
    f = feed_get(fd, N1_FIND_FANOUT, 0);
    assert_string_equal(f->table, "metrics");
    assert_int_equal(f->count, 8);
    assert_int_equal(f->distinct_keys, 8);
    assert_int_equal(f->n_connections, 8);
    for (size_t i = 0; i < f->n_connections; i++) {
        assert_true(f->connections[i] >= 100 && f->connections[i] < 108);
        seen[f->connections[i] - 100]++;
    }
    for (int i = 0; i < 8; i++) {
        assert_int_equal(seen[i], 1);
    }
    assert_string_equal(f->key_columns[0], "gid");
    assert_string_equal(f->rewrite_kind, "group_by");
    /* Quits came in reverse order: keys are listed as the members'
       statements ran all the same. */
    th_assert_text(f->sample,
                   "SELECT gid, max(cpu) FROM metrics WHERE gid IN "
                   "(1, 2, 3, 4, 5, 6, 7, 8) GROUP BY gid",
                   f->rewrite);
    assert_non_null(strstr(f->advice, "one connection"));
    assert_non_null(strstr(f->advice, "Saves 7 of 8 round trips"));
    assert_int_equal(f->round_trips_saved, 7);
    assert_true(fabs(f->total_time_s - 0.08) < 1e-9);
    assert_int_equal(feed_count(fd, N1_FIND_N_PLUS_ONE), 0);
}

static void test_fanout_ordinary_traffic(void **state)
{
    struct feed *fd = *state;
    char sql[128];

    /* Many connections, each running a mix of statements once. */
    for (int i = 0; i < 10; i++) {
        uint64_t c = 200 + (uint64_t)i;

        feed_ev(fd, N1_CMD_CONNECT, c, 1000 + i, "app on shop", -1, -1);
        snprintf(sql, sizeof(sql), "SELECT * FROM users WHERE id = %d", i);
        feed_q(fd, c, 1001 + i, sql);
        snprintf(sql, sizeof(sql), "SELECT * FROM carts WHERE user_id = %d", i);
        feed_q(fd, c, 1002 + i, sql);
        snprintf(sql, sizeof(sql),
                 "UPDATE sessions SET seen = NOW() WHERE "
                 "user_id = %d",
                 i);
        feed_q(fd, c, 1003 + i, sql);
        feed_ev(fd, N1_CMD_QUIT, c, 1004 + i, NULL, -1, -1);
    }
    feed_finish(fd);
    assert_int_equal(fd->n, 0);
}

static void test_fanout_spread_out(void **state)
{
    struct feed *fd = *state;

    /* Eight connections, 2 s apart: not at nearly the same time. */
    fan(fd, 8, 1000, 2000, 0);
    feed_finish(fd);
    assert_int_equal(feed_count(fd, N1_FIND_FANOUT), 0);
}

static void test_fanout_same_key_or_few(void **state)
{
    struct feed *fd = *state;

    fan(fd, 8, 1000, 3, 1);
    feed_finish(fd);
    assert_int_equal(feed_count(fd, N1_FIND_FANOUT), 0);
    fan(fd, 4, 90000, 3, 0);
    feed_finish(fd);
    assert_int_equal(feed_count(fd, N1_FIND_FANOUT), 0);
}

/*
 * A slow log: no Connect, no Quit. n new connections (ids 6 + i, higher
 * than any seen before) each run one MAX(cpu) 20 ms apart, after an
 * older connection 3 that keeps working.
 */
static void slow_fan(struct feed *fd, int n, int64_t t0)
{
    char sql[128];

    feed_ev(fd, N1_CMD_QUERY, 3, t0 - 500,
            "SELECT project_groups.gid FROM project_groups", 0.01, 40);
    for (int i = 0; i < n; i++) {
        snprintf(sql, sizeof(sql),
                 "SELECT MAX(cpu) FROM metrics WHERE gid = 'g%d'", i + 1);
        feed_ev(fd, N1_CMD_QUERY, 6 + (uint64_t)i, t0 + 20 * i, sql, 0.01, 1);
    }
}

static void test_fanout_slow_log(void **state)
{
    struct feed *fd = *state;
    const struct n1_finding *f;

    slow_fan(fd, 12, 10000);
    feed_finish(fd);
    assert_int_equal(feed_count(fd, N1_FIND_FANOUT), 1);
    f = feed_get(fd, N1_FIND_FANOUT, 0);
    assert_int_equal(f->count, 12);
    assert_int_equal(f->distinct_keys, 12);
    assert_int_equal(f->n_connections, 12);
    for (size_t i = 0; i < f->n_connections; i++) {
        assert_int_equal(f->connections[i], 6 + i);
    }
    assert_string_equal(f->rewrite_kind, "group_by");
    th_assert_text(f->sample,
                   "SELECT gid, max(cpu) FROM metrics WHERE gid IN ('g1', "
                   "'g2', 'g3', 'g4', 'g5', 'g6', 'g7', 'g8', 'g9', 'g10', "
                   "'g11', 'g12') GROUP BY gid",
                   f->rewrite);
}

/* The finding starts where the fan-out began, whatever order the
   members ended in: first_seen <= last_seen, sample of the first. */
static void test_fanout_slow_log_times(void **state)
{
    struct feed *fd = *state;
    const struct n1_finding *f;

    slow_fan(fd, 6, 10000);
    feed_finish(fd);
    assert_int_equal(feed_count(fd, N1_FIND_FANOUT), 1);
    f = feed_get(fd, N1_FIND_FANOUT, 0);
    assert_int_equal(f->first_seen_us, (int64_t)10000 * 1000);
    assert_int_equal(f->last_seen_us, (int64_t)(10000 + 20 * 5) * 1000);
    assert_non_null(strstr(f->sample, "'g1'"));
}

/* A slow log writes entries as statements end, so new connections can
   appear out of id order; all of them are members. */
static void test_fanout_slow_log_ids_out_of_order(void **state)
{
    struct feed *fd = *state;
    static const uint64_t ids[] = {6, 7, 8, 10, 9, 11};
    const struct n1_finding *f;
    char sql[128];

    feed_ev(fd, N1_CMD_QUERY, 3, 9500,
            "SELECT project_groups.gid FROM project_groups", 0.01, 40);
    for (int i = 0; i < 6; i++) {
        snprintf(sql, sizeof(sql),
                 "SELECT MAX(cpu) FROM metrics WHERE gid = 'g%d'", i + 1);
        feed_ev(fd, N1_CMD_QUERY, ids[i], 10000 + 20 * i, sql, 0.01, 1);
    }
    feed_finish(fd);
    assert_int_equal(feed_count(fd, N1_FIND_FANOUT), 1);
    f = feed_get(fd, N1_FIND_FANOUT, 0);
    assert_int_equal(f->n_connections, 6);
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(f->connections[i], ids[i]);
    }
}

static void test_fanout_slow_log_live(void **state)
{
    struct feed *fd = *state;
    struct n1_error err;

    /* Without finish: the members end when they idle out. */
    slow_fan(fd, 6, 10000);
    assert_int_equal(n1_detectors_tick(fd->det, 30000 * 1000, &err), 0);
    assert_int_equal(feed_count(fd, N1_FIND_FANOUT), 0);
    assert_int_equal(n1_detectors_tick(fd->det, 80000 * 1000, &err), 0);
    assert_int_equal(n1_detectors_tick(fd->det, 85000 * 1000, &err), 0);
    assert_int_equal(feed_count(fd, N1_FIND_FANOUT), 1);
}

static void test_fanout_needs_short_life(void **state)
{
    struct feed *fd = *state;
    char sql[128];

    /* Pooled connections seen only through their statements (no Connect,
       no Quit: a slow log) are not a fan-out: each first runs one
       statement on a new id, as fan-out members do, but then goes on. */
    for (int i = 0; i < 8; i++) {
        snprintf(sql, sizeof(sql),
                 "SELECT MAX(cpu) FROM metrics WHERE "
                 "gid = %d",
                 i);
        feed_q(fd, 300 + (uint64_t)i, 1000 + i, sql);
    }
    for (int i = 0; i < 8; i++) {
        snprintf(sql, sizeof(sql), "SELECT * FROM users WHERE id = %d", i);
        feed_q(fd, 300 + (uint64_t)i, 5000 + i, sql);
    }
    feed_finish(fd);
    assert_int_equal(fd->n, 0);
}

static void test_fanout_needs_new_ids(void **state)
{
    struct feed *fd = *state;
    char sql[128];

    /* Connections 300..307 worked before, then went quiet for longer
       than idle_ms; when they each run one statement again their ids
       are not new: a pool, not a fan-out. */
    for (int i = 0; i < 8; i++) {
        feed_q(fd, 300 + (uint64_t)i, 1000 + i, "SELECT * FROM a WHERE x = 1");
        feed_q(fd, 300 + (uint64_t)i, 1100 + i, "SELECT * FROM b WHERE x = 1");
    }
    for (int i = 0; i < 8; i++) {
        snprintf(sql, sizeof(sql),
                 "SELECT MAX(cpu) FROM metrics WHERE gid = %d", i);
        feed_q(fd, 307 - (uint64_t)i, 100000 + i, sql);
    }
    feed_finish(fd);
    assert_int_equal(feed_count(fd, N1_FIND_FANOUT), 0);
}

static void test_fanout_connection_order(void **state)
{
    struct feed *fd = *state;
    const struct n1_finding *f;
    static const uint64_t want[6] = {100, 101, 102, 103, 104, 105};

    /* The quits come in another order than the statements (105 quits
       first): members are listed as their first statements ran. */
    fan(fd, 6, 1000, 3, 0);
    feed_finish(fd);
    f = feed_get(fd, N1_FIND_FANOUT, 0);
    assert_int_equal(f->n_connections, 6);
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(f->connections[i], want[i]);
    }
}

static void test_fanout_connection_order_ties(void **state)
{
    struct feed *fd = *state;
    const struct n1_finding *f;
    char sql[128];
    static const uint64_t quit_order[5] = {42, 40, 44, 41, 43};

    /* All five ran their statement in the same millisecond: id order. */
    for (int i = 0; i < 5; i++) {
        feed_ev(fd, N1_CMD_CONNECT, 40 + (uint64_t)i, 1000, "app on m", -1, -1);
        snprintf(sql, sizeof(sql),
                 "SELECT MAX(cpu) FROM metrics WHERE gid = %d", i);
        feed_q(fd, 40 + (uint64_t)i, 1001, sql);
    }
    for (int i = 0; i < 5; i++) {
        feed_ev(fd, N1_CMD_QUIT, quit_order[i], 1002, NULL, -1, -1);
    }
    feed_finish(fd);
    f = feed_get(fd, N1_FIND_FANOUT, 0);
    assert_int_equal(f->n_connections, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(f->connections[i], 40 + i);
    }
}

static void test_fanout_tick_closes_window(void **state)
{
    struct feed *fd = *state;
    struct n1_error err;

    fan(fd, 6, 1000, 3, 0);
    assert_int_equal(fd->n, 0);
    assert_int_equal(n1_detectors_tick(fd->det, 1500 * 1000, &err), 0);
    assert_int_equal(fd->n, 0);
    assert_int_equal(n1_detectors_tick(fd->det, 5000 * 1000, &err), 0);
    assert_int_equal(fd->n, 1);
    assert_int_equal(fd->found[0]->kind, N1_FIND_FANOUT);
    assert_int_equal(fd->found[0]->n_connections, 6);
}

/* A member slow to quit (a slow statement, a slow worker) still joins:
   a tick does not close a window that a connection still open, which
   ran the window's statement, may yet join. */
static void test_fanout_waits_for_open_member(void **state)
{
    struct feed *fd = *state;
    struct n1_error err;
    char sql[128];

    for (int i = 0; i < 6; i++) {
        feed_ev(fd, N1_CMD_CONNECT, 100 + (uint64_t)i, 1000 + i,
                "app@10.0.0.1 on metrics using TCP/IP", -1, -1);
        snprintf(sql, sizeof(sql),
                 "SELECT MAX(cpu) FROM metrics WHERE gid = %d", i + 1);
        feed_ev(fd, N1_CMD_QUERY, 100 + (uint64_t)i, 1010 + i, sql, 0.01, 1);
    }
    for (int i = 0; i < 5; i++) {
        feed_ev(fd, N1_CMD_QUIT, 100 + (uint64_t)i, 1040, NULL, -1, -1);
    }
    assert_int_equal(n1_detectors_tick(fd->det, 5000 * 1000, &err), 0);
    assert_int_equal(fd->n, 0);
    feed_ev(fd, N1_CMD_QUIT, 105, 6000, NULL, -1, -1);
    assert_int_equal(n1_detectors_tick(fd->det, 10000 * 1000, &err), 0);
    assert_int_equal(fd->n, 1);
    assert_int_equal(fd->found[0]->kind, N1_FIND_FANOUT);
    assert_int_equal(fd->found[0]->n_connections, 6);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, feed_setup, feed_teardown)
    const struct CMUnitTest tests[] = {
        T(test_fanout_found),
        T(test_fanout_ordinary_traffic),
        T(test_fanout_spread_out),
        T(test_fanout_same_key_or_few),
        T(test_fanout_needs_short_life),
        T(test_fanout_slow_log),
        T(test_fanout_slow_log_live),
        T(test_fanout_slow_log_times),
        T(test_fanout_slow_log_ids_out_of_order),
        T(test_fanout_needs_new_ids),
        T(test_fanout_connection_order),
        T(test_fanout_connection_order_ties),
        T(test_fanout_tick_closes_window),
        T(test_fanout_waits_for_open_member),
    };
#undef T

    return cmocka_run_group_tests(tests, NULL, NULL);
}
