/* SPDX-License-Identifier: MIT */
/*
 * test_nplus1.c: the n_plus_one detector on synthetic event streams.
 *
 * Every case feeds SQL through the real normaliser and the detector
 * registry (tests/analyzer_feed.h) and looks at the findings emitted:
 * the loops it must find and the traffic it must leave alone.
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

#define SETTINGS_SQL                                      \
    "SELECT profile_settings.id, profile_settings.name, " \
    "profile_settings.value FROM profile_settings WHERE " \
    "profile_settings.name = 'proj:g%d' LIMIT 1"

/*
 * Feeds n statements on conn, 10 ms apart from t0: fmt with its one "%d"
 * replaced by base + i (spliced by hand, so fmt need not be a literal).
 */
static void loop(struct feed *fd, uint64_t conn, int64_t t0, const char *fmt,
                 int base, int n)
{
    const char *hole = strstr(fmt, "%d");
    char sql[512];

    assert_non_null(hole);
    for (int i = 0; i < n; i++) {
        snprintf(sql, sizeof(sql), "%.*s%d%s", (int)(hole - fmt), fmt, base + i,
                 hole + 2);
        feed_q(fd, conn, t0 + 10 * i, sql);
    }
}

static void test_nplus1_story(void **state)
{
    struct feed *fd = *state;
    const struct n1_finding *f;
    char want[1024];
    size_t n;
    int gids[] = {7, 12, 3, 41, 5, 9, 18, 2};

    for (int i = 0; i < 8; i++) {
        char sql[512];

        snprintf(sql, sizeof(sql), SETTINGS_SQL, gids[i]);
        feed_q(fd, 1, 1000 + 25 * i, sql);
    }
    feed_finish(fd);
    assert_int_equal(fd->n, 1);
    f = feed_get(fd, N1_FIND_N_PLUS_ONE, 0);
    assert_string_equal(f->statement, "select");
    assert_string_equal(f->table, "profile_settings");
    assert_int_equal(f->n_key_columns, 1);
    assert_string_equal(f->key_columns[0], "profile_settings.name");
    assert_int_equal(f->count, 8);
    assert_int_equal(f->distinct_keys, 8);
    assert_int_equal(f->connection, 1);
    assert_int_equal(f->first_seen_us, 1000000);
    assert_int_equal(f->last_seen_us, 1175000);
    assert_true(isnan(f->total_time_s));
    assert_string_equal(f->rewrite_kind, "in_list");
    n = (size_t)snprintf(want, sizeof(want),
                         "SELECT profile_settings.id, profile_settings.name, "
                         "profile_settings.value FROM profile_settings WHERE "
                         "profile_settings.name IN (");
    for (int i = 0; i < 8; i++) {
        n += (size_t)snprintf(want + n, sizeof(want) - n, "%s'proj:g%d'",
                              i ? ", " : "", gids[i]);
    }
    snprintf(want + n, sizeof(want) - n, ")");
    th_assert_text(f->sample, want, f->rewrite);
    assert_non_null(strstr(f->advice, "Saves 7 of 8 round trips"));
    assert_int_equal(f->round_trips_saved, 7);
    assert_int_equal(f->id,
                     n1_finding_id(N1_FIND_N_PLUS_ONE, f->fingerprint, NULL));
    assert_string_equal(f->file, "test.log");
}

static void test_nplus1_below_threshold(void **state)
{
    struct feed *fd = *state;

    /* Two lookups by id, and a two-key loop: under min_repeats 3. */
    feed_q(fd, 1, 0, "SELECT * FROM users WHERE id = 1");
    feed_q(fd, 1, 5, "SELECT * FROM users WHERE id = 2");
    loop(fd, 2, 0, "SELECT * FROM items WHERE id = %d", 1, 2);
    feed_finish(fd);
    assert_int_equal(fd->n, 0);
}

static void test_nplus1_min_distinct(void **state)
{
    struct feed *fd = *state;

    /* Six executions, two keys: below min_distinct_keys 3, and no key
       repeats five times, so no duplicate either. */
    for (int i = 0; i < 6; i++) {
        feed_q(fd, 1, 10 * i,
               i % 2 ? "SELECT * FROM t WHERE id = 1"
                     : "SELECT * FROM t WHERE id = 2");
    }
    feed_finish(fd);
    assert_int_equal(fd->n, 0);
}

static void test_nplus1_batched_not_reported(void **state)
{
    struct feed *fd = *state;
    char sql[8192];

    /* The batched form, once. */
    feed_q(fd, 1, 0,
           "SELECT * FROM profile_settings WHERE name IN "
           "('proj:g1', 'proj:g2', 'proj:g3')");
    /* A chunked loader: six IN lists of 300 keys each. */
    for (int c = 0; c < 6; c++) {
        size_t n =
            (size_t)snprintf(sql, sizeof(sql), "SELECT * FROM t WHERE id IN (");

        for (int k = 0; k < 300; k++) {
            n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%s%d",
                                  k ? "," : "", c * 300 + k);
        }
        snprintf(sql + n, sizeof(sql) - n, ")");
        feed_q(fd, 2, 100 * c, sql);
    }
    feed_finish(fd);
    assert_int_equal(fd->n, 0);
}

static void test_nplus1_loop_body_and_parent(void **state)
{
    struct feed *fd = *state;
    const struct n1_finding *cust;
    const struct n1_finding *items;
    struct n1_norm nm;
    struct n1_error err;
    char sql[256];

    feed_ev(fd, N1_CMD_QUERY, 7, 0,
            "SELECT customer_id FROM orders WHERE status = 'open'", 0.002, 6);
    for (int i = 0; i < 6; i++) {
        snprintf(sql, sizeof(sql), "SELECT * FROM customers WHERE id = %d",
                 100 + i);
        feed_ev(fd, N1_CMD_QUERY, 7, 10 + 20 * i, sql, 0.001, 1);
        snprintf(sql, sizeof(sql),
                 "SELECT * FROM order_items WHERE order_id = %d", 500 + i);
        feed_ev(fd, N1_CMD_QUERY, 7, 20 + 20 * i, sql, 0.003, 4);
    }
    feed_finish(fd);
    assert_int_equal(feed_count(fd, N1_FIND_N_PLUS_ONE), 2);
    cust = feed_table(fd, N1_FIND_N_PLUS_ONE, "customers");
    items = feed_table(fd, N1_FIND_N_PLUS_ONE, "order_items");
    assert_int_equal(cust->count, 6);
    assert_int_equal(items->count, 6);
    assert_true(fabs(cust->total_time_s - 0.006) < 1e-9);
    assert_true(fabs(items->total_time_s - 0.018) < 1e-9);
    /* Both loops were driven by the orders query, whose Rows_sent is the
       loop count; the items loop skips the customer lookup. */
    snprintf(sql, sizeof(sql),
             "select customer_id from orders where "
             "status = 'x'");
    assert_int_equal(n1_normalize(fd->nz, sql, strlen(sql), &nm, &err), 0);
    assert_true(cust->has_parent);
    assert_true(items->has_parent);
    assert_true(cust->parent_fingerprint == nm.id);
    assert_true(items->parent_fingerprint == nm.id);
    assert_string_equal(cust->parent_table, "orders");
    assert_string_equal(items->parent_table, "orders");
    assert_true(cust->parent_rows_sent == 6.0);
    assert_string_equal(cust->rewrite, "SELECT * FROM customers WHERE id IN "
                                       "(100, 101, 102, 103, 104, 105)");
    /* The parent hands over one column: the subquery form is offered. */
    assert_non_null(strstr(cust->advice,
                           "SELECT * FROM customers WHERE id IN (SELECT "
                           "customer_id FROM orders WHERE status = 'open')"));
}

static void test_nplus1_compound_keys(void **state)
{
    struct feed *fd = *state;
    const struct n1_finding *f;

    loop(fd, 1, 0,
         "SELECT * FROM users WHERE tenant_id = 3 AND "
         "user_id = %d",
         10, 6);
    feed_q(fd, 2, 0, "SELECT v FROM grid WHERE x = 1 AND y = 1");
    feed_q(fd, 2, 1, "SELECT v FROM grid WHERE x = 1 AND y = 2");
    feed_q(fd, 2, 2, "SELECT v FROM grid WHERE x = 2 AND y = 1");
    feed_q(fd, 2, 3, "SELECT v FROM grid WHERE x = 2 AND y = 2");
    feed_q(fd, 2, 4, "SELECT v FROM grid WHERE x = 3 AND y = 1");
    feed_finish(fd);
    assert_int_equal(fd->n, 2);
    f = feed_table(fd, N1_FIND_N_PLUS_ONE, "users");
    assert_int_equal(f->n_key_columns, 1);
    assert_string_equal(f->key_columns[0], "user_id");
    assert_string_equal(f->rewrite,
                        "SELECT * FROM users WHERE tenant_id = 3 AND user_id "
                        "IN (10, 11, 12, 13, 14, 15)");
    f = feed_table(fd, N1_FIND_N_PLUS_ONE, "grid");
    assert_int_equal(f->n_key_columns, 2);
    assert_string_equal(f->key_columns[0], "x");
    assert_string_equal(f->key_columns[1], "y");
    assert_string_equal(f->rewrite_kind, "row_in");
    assert_string_equal(f->rewrite,
                        "SELECT x, y, v FROM grid WHERE (x, y) IN ((1, 1), "
                        "(1, 2), (2, 1), (2, 2), (3, 1))");
}

static void test_nplus1_write_loops(void **state)
{
    struct feed *fd = *state;
    const struct n1_finding *f;

    loop(fd, 1, 0, "INSERT INTO audit (item_id, created) VALUES (%d, NOW())", 1,
         5);
    loop(fd, 2, 0, "UPDATE stock SET qty = qty - 1 WHERE sku = %d", 30, 5);
    loop(fd, 3, 0, "DELETE FROM carts WHERE id = %d", 70, 5);
    feed_finish(fd);
    assert_int_equal(fd->n, 3);
    f = feed_table(fd, N1_FIND_N_PLUS_ONE, "audit");
    assert_string_equal(f->statement, "insert");
    assert_string_equal(f->rewrite_kind, "multi_row_insert");
    assert_string_equal(f->rewrite,
                        "INSERT INTO audit(item_id, created) VALUES(1, now()), "
                        "(2, now()), (3, now()), (4, now()), (5, now())");
    assert_string_equal(f->key_columns[0], "item_id");
    f = feed_table(fd, N1_FIND_N_PLUS_ONE, "stock");
    assert_string_equal(f->statement, "update");
    assert_string_equal(f->rewrite,
                        "UPDATE stock SET qty = qty - 1 WHERE sku IN "
                        "(30, 31, 32, 33, 34)");
    f = feed_table(fd, N1_FIND_N_PLUS_ONE, "carts");
    assert_string_equal(f->statement, "delete");
    assert_string_equal(f->rewrite,
                        "DELETE FROM carts WHERE id IN (70, 71, 72, 73, 74)");
}

static void test_nplus1_transaction_loop(void **state)
{
    struct feed *fd = *state;
    const struct n1_finding *f;
    char sql[256];

    for (int i = 0; i < 5; i++) {
        int64_t t = 100 * i;

        feed_q(fd, 4, t, "BEGIN");
        snprintf(sql, sizeof(sql),
                 "SELECT * FROM accounts WHERE id = %d FOR UPDATE", i + 1);
        feed_q(fd, 4, t + 1, sql);
        snprintf(sql, sizeof(sql),
                 "UPDATE accounts SET balance = balance - 5 WHERE id = %d",
                 i + 1);
        feed_q(fd, 4, t + 2, sql);
        feed_q(fd, 4, t + 3, "COMMIT");
    }
    feed_finish(fd);
    assert_int_equal(fd->n, 2);
    f = feed_get(fd, N1_FIND_N_PLUS_ONE, 0);
    if (strcmp(f->statement, "select") != 0) {
        f = feed_get(fd, N1_FIND_N_PLUS_ONE, 1);
    }
    assert_string_equal(f->rewrite,
                        "SELECT * FROM accounts WHERE id IN (1, 2, 3, 4, 5) "
                        "FOR UPDATE");
}

static void test_nplus1_prepared(void **state)
{
    struct feed *fd = *state;
    const struct n1_finding *f;
    char sql[256];

    feed_ev(fd, N1_CMD_PREPARE, 9, 0, "SELECT * FROM users WHERE id = ?", -1,
            -1);
    for (int i = 0; i < 6; i++) {
        snprintf(sql, sizeof(sql), "SELECT * FROM users WHERE id = %d", i);
        feed_ev(fd, N1_CMD_EXECUTE, 9, 1 + i, sql, -1, -1);
    }
    /* Prepare text logged as a plain query is no execution either. */
    feed_q(fd, 9, 8, "SELECT * FROM users WHERE id = ?");
    feed_ev(fd, N1_CMD_CLOSE_STMT, 9, 9, NULL, -1, -1);
    feed_finish(fd);
    assert_int_equal(fd->n, 1);
    f = feed_get(fd, N1_FIND_N_PLUS_ONE, 0);
    assert_int_equal(f->count, 6);
    assert_string_equal(f->rewrite,
                        "SELECT * FROM users WHERE id IN (0, 1, 2, 3, 4, 5)");
}

static void test_nplus1_interleaved_connections(void **state)
{
    struct feed *fd = *state;
    const struct n1_finding *a;
    const struct n1_finding *b;
    char sql[256];

    for (int i = 0; i < 8; i++) {
        if (i < 6) {
            snprintf(sql, sizeof(sql), "SELECT * FROM t WHERE id = %d", i);
            feed_q(fd, 11, 10 * i, sql);
        }
        snprintf(sql, sizeof(sql), "SELECT * FROM t WHERE id = %d", 100 + i);
        feed_q(fd, 12, 10 * i + 5, sql);
    }
    feed_finish(fd);
    assert_int_equal(fd->n, 2);
    a = feed_get(fd, N1_FIND_N_PLUS_ONE, 0);
    b = feed_get(fd, N1_FIND_N_PLUS_ONE, 1);
    if (a->connection != 11) {
        const struct n1_finding *t = a;

        a = b;
        b = t;
    }
    assert_int_equal(a->connection, 11);
    assert_int_equal(a->count, 6);
    assert_int_equal(b->connection, 12);
    assert_int_equal(b->count, 8);
    /* Same statement, same location: the same finding id. */
    assert_true(a->id == b->id);
}

static void test_nplus1_sqlcommenter(void **state)
{
    struct feed *fd = *state;
    struct feed other;
    const struct n1_finding *f;
    char sql[512];

    for (int i = 0; i < 5; i++) {
        snprintf(sql, sizeof(sql),
                 "SELECT * FROM profile_settings WHERE name = 'g%d' "
                 "/*controller='settings',action='index',"
                 "file='utils.py:42',traceparent='00-%032d-%016d-01'*/",
                 i, 7, i);
        feed_q(fd, 1, 10 * i, sql);
    }
    feed_finish(fd);
    /* The span id of traceparent changes every statement but does not
       split the loop: only a new trace id (a new request) does. */
    assert_int_equal(fd->n, 1);
    f = feed_get(fd, N1_FIND_N_PLUS_ONE, 0);
    assert_int_equal(f->count, 5);
    assert_string_equal(f->location, "utils.py:42");
    assert_int_equal(f->n_tags, 4);
    assert_string_equal(f->tags[0].key, "controller");
    assert_string_equal(f->tags[0].value, "settings");
    /* The class id names the file, not its line. */
    assert_true(f->id ==
                n1_finding_id(N1_FIND_N_PLUS_ONE, f->fingerprint, "utils.py"));
    assert_true(f->id !=
                n1_finding_id(N1_FIND_N_PLUS_ONE, f->fingerprint, NULL));
    /* Other keys, another log, another connection: the same id. */
    feed_init(&other, NULL);
    for (int i = 0; i < 7; i++) {
        snprintf(sql, sizeof(sql),
                 "SELECT * FROM profile_settings WHERE name = 'x%d' "
                 "/*file='utils.py:42'*/",
                 i);
        feed_q(&other, 99, 50000 + i, sql);
    }
    feed_finish(&other);
    assert_int_equal(other.n, 1);
    assert_true(other.found[0]->id == f->id);
    feed_cleanup(&other);
}

static void test_nplus1_location_file_line(void **state)
{
    struct feed *fd = *state;

    loop(fd, 1, 0,
         "UPDATE jobs SET state = 'done' WHERE id = %d "
         "/*file='jobs/worker.py',line='17',route='%2Fjobs'*/",
         1, 5);
    feed_finish(fd);
    assert_int_equal(fd->n, 1);
    assert_string_equal(fd->found[0]->location, "jobs/worker.py:17");
    assert_int_equal(fd->found[0]->n_tags, 3);
    assert_string_equal(fd->found[0]->tags[2].value, "/jobs");
    assert_string_equal(fd->found[0]->rewrite,
                        "UPDATE jobs SET state = 'done' WHERE id IN "
                        "(1, 2, 3, 4, 5)");
}

static void test_nplus1_ends_on_gap_quit_tick(void **state)
{
    struct feed *fd = *state;
    struct n1_error err;
    char sql[128];

    /* Time gap: 3 s of silence ends the first loop when the next
       statement arrives, before finish. */
    loop(fd, 1, 0, "SELECT * FROM a WHERE id = %d", 0, 5);
    loop(fd, 1, 3100, "SELECT * FROM a WHERE id = %d", 10, 5);
    assert_int_equal(fd->n, 1);
    assert_int_equal(fd->found[0]->count, 5);
    /* Statement gap: 60 other statements in between. */
    for (int i = 0; i < 60; i++) {
        snprintf(sql, sizeof(sql), "SELECT * FROM other%d WHERE k = 1", i);
        feed_q(fd, 1, 3200 + i, sql);
    }
    feed_q(fd, 1, 3300, "SELECT * FROM a WHERE id = 99");
    assert_int_equal(fd->n, 2);
    /* Quit ends a loop at once. */
    loop(fd, 2, 4000, "SELECT * FROM b WHERE id = %d", 0, 5);
    assert_int_equal(fd->n, 2);
    feed_ev(fd, N1_CMD_QUIT, 2, 4100, NULL, -1, -1);
    assert_int_equal(fd->n, 3);
    /* A tick ends what went idle. */
    loop(fd, 3, 5000, "SELECT * FROM c WHERE id = %d", 0, 5);
    assert_int_equal(n1_detectors_tick(fd->det, 5100 * 1000, &err), 0);
    assert_int_equal(fd->n, 3);
    assert_int_equal(n1_detectors_tick(fd->det, 9000 * 1000, &err), 0);
    assert_int_equal(fd->n, 4);
    assert_string_equal(fd->found[3]->table, "c");
    feed_finish(fd);
    assert_int_equal(fd->n, 4);
}

static void test_nplus1_noise_ignored(void **state)
{
    struct feed *fd = *state;
    struct n1_detect_stats st;

    for (int i = 0; i < 10; i++) {
        feed_q(fd, 1, i, "SELECT CONNECTION_ID()");
        feed_q(fd, 1, i, "SELECT @@session.tx_isolation");
        feed_q(fd, 1, i, "SET NAMES utf8mb4");
        feed_q(fd, 1, i, "SHOW WARNINGS");
        feed_q(fd, 1, i, "SELECT DATABASE()");
        feed_q(fd, 1, i,
               "SELECT * FROM information_schema.columns WHERE "
               "table_name = 'x'");
    }
    feed_finish(fd);
    assert_int_equal(fd->n, 0);
    n1_detectors_stats(fd->det, &st);
    assert_int_equal(st.events, 60);
    assert_int_equal(st.ignored, 60);
}

static void test_nplus1_range_and_pagination(void **state)
{
    struct feed *fd = *state;
    const struct n1_finding *f;
    char sql[256];

    for (int i = 0; i < 5; i++) {
        snprintf(sql, sizeof(sql),
                 "SELECT COUNT(*) FROM orders WHERE "
                 "total > %d AND total < %d",
                 100 * i, 100 * (i + 1));
        feed_q(fd, 1, i, sql);
        snprintf(sql, sizeof(sql),
                 "SELECT * FROM events ORDER BY id "
                 "LIMIT 100 OFFSET %d",
                 100 * i);
        feed_q(fd, 2, i, sql);
    }
    feed_finish(fd);
    assert_int_equal(fd->n, 2);
    f = feed_table(fd, N1_FIND_N_PLUS_ONE, "orders");
    assert_null(f->rewrite);
    assert_string_equal(f->rewrite_kind, "grouped_ranges");
    assert_int_equal(f->severity, N1_SEV_INFO);
    assert_null(strstr(f->advice, " IN ("));
    /* One grouped query replaces the five. */
    assert_int_equal(f->round_trips_saved, 4);
    f = feed_table(fd, N1_FIND_N_PLUS_ONE, "events");
    assert_null(f->rewrite);
    assert_string_equal(f->rewrite_kind, "keyset_pagination");
    assert_int_equal(f->round_trips_saved, 4);
}

static void test_nplus1_caps(void **state)
{
    struct feed fd;
    struct n1_detect_opts o;
    struct n1_detect_stats st;

    (void)state;
    n1_detect_opts_default(&o);
    o.max_connections = 4;
    o.max_loops_per_conn = 2;
    o.max_keys = 3;
    o.enable_duplicate = 0;
    o.enable_fanout = 0;
    feed_init(&fd, &o);
    /* Ten connections through a table of four: each evicted connection
       still reports its loop. */
    for (uint64_t c = 1; c <= 10; c++) {
        loop(&fd, c, (int64_t)c * 100, "SELECT * FROM t WHERE id = %d", 0, 6);
    }
    /* Three alternating fingerprints through two loop places. */
    for (int i = 0; i < 6; i++) {
        char sql[128];

        snprintf(sql, sizeof(sql), "SELECT * FROM p WHERE id = %d", i);
        feed_q(&fd, 20, 2000 + 3 * i, sql);
        snprintf(sql, sizeof(sql), "SELECT * FROM q WHERE id = %d", i);
        feed_q(&fd, 20, 2001 + 3 * i, sql);
        snprintf(sql, sizeof(sql), "SELECT * FROM r WHERE id = %d", i);
        feed_q(&fd, 20, 2002 + 3 * i, sql);
    }
    feed_finish(&fd);
    n1_detectors_stats(fd.det, &st);
    assert_true(st.conn_evictions >= 6);
    assert_true(st.loop_evictions > 0);
    assert_true(st.rows_dropped > 0);
    assert_int_equal(feed_count(&fd, N1_FIND_N_PLUS_ONE), 10);
    /* Only max_keys keys are listed; the advice says so. */
    assert_string_equal(fd.found[0]->rewrite,
                        "SELECT * FROM t WHERE id IN (0, 1, 2)");
    assert_non_null(strstr(fd.found[0]->advice, "first 3 keys"));
    /* Everything was released: the memory account is back to zero. */
    assert_int_equal(st.memory, 0);
    feed_cleanup(&fd);
}

static void test_nplus1_memory_budget(void **state)
{
    struct feed fd;
    struct n1_detect_opts o;
    struct n1_detect_stats st;

    (void)state;
    n1_detect_opts_default(&o);
    o.max_memory = 1; /* only the first row of each loop */
    feed_init(&fd, &o);
    loop(&fd, 1, 0, "SELECT * FROM t WHERE id = %d", 0, 6);
    n1_detectors_stats(fd.det, &st);
    assert_true(st.memory > 0);
    feed_finish(&fd);
    n1_detectors_stats(fd.det, &st);
    assert_int_equal(st.memory, 0);
    assert_true(st.rows_dropped >= 5);
    assert_int_equal(fd.n, 1);
    assert_int_equal(fd.found[0]->count, 6);
    assert_int_equal(fd.found[0]->distinct_keys, 6);
    assert_string_equal(fd.found[0]->rewrite,
                        "SELECT * FROM t WHERE id IN (0)");
    assert_non_null(strstr(fd.found[0]->advice, "may miss keys"));
    feed_cleanup(&fd);
}

static void test_nplus1_ignore_patterns(void **state)
{
    struct feed fd;
    struct n1_detect_opts o;
    struct n1_error err;
    const char *const pats[] = {"^select \\* from audit_log "};
    const char *const bad[] = {"(unclosed"};

    (void)state;
    n1_detect_opts_default(&o);
    o.ignore_patterns = pats;
    o.n_ignore_patterns = 1;
    feed_init(&fd, &o);
    loop(&fd, 1, 0, "SELECT * FROM audit_log WHERE id = %d", 0, 10);
    loop(&fd, 1, 200, "SELECT * FROM kept WHERE id = %d", 0, 10);
    feed_finish(&fd);
    assert_int_equal(fd.n, 1);
    assert_string_equal(fd.found[0]->table, "kept");
    feed_cleanup(&fd);

    o.ignore_patterns = bad;
    assert_null(n1_detectors_new(&o, feed_sink, NULL, &err));
    assert_int_equal(err.code, N1_ERULES);
    assert_non_null(strstr(err.message, "ignore pattern 1"));
}

static void test_nplus1_slow_log_timing(void **state)
{
    struct feed *fd = *state;
    const struct n1_finding *f;
    char sql[128];

    for (int i = 0; i < 5; i++) {
        snprintf(sql, sizeof(sql), "SELECT * FROM t WHERE id = %d", i);
        feed_ev(fd, N1_CMD_QUERY, 0, -1, sql, 0.25, 1);
    }
    feed_finish(fd);
    assert_int_equal(fd->n, 1);
    f = fd->found[0];
    assert_true(fabs(f->total_time_s - 1.25) < 1e-9);
    assert_int_equal(f->first_seen_us, N1_TS_NONE);
    assert_false(f->has_parent);
    assert_true(isnan(f->parent_rows_sent));
}

/* ---- pooled connections ------------------------------------------------ */

/*
 * One request of a pooled web application on conn at ms: the three hot
 * lookups every request starts with (keys change per request), then the
 * page's own statements, drawn from one of three shapes by kind.
 */
static void hot_request(struct feed *fd, uint64_t conn, int64_t ms, int req,
                        int kind, const char *tags)
{
    static const char *const pages[3][2] = {
        {"SELECT * FROM categories WHERE id = %d",
         "SELECT * FROM products WHERE category_id = %d"},
        {"SELECT COUNT(*) FROM orders WHERE customer_id = %d",
         "SELECT COUNT(*) FROM reviews WHERE user_id = %d"},
        {"SELECT * FROM products WHERE id = %d",
         "SELECT * FROM stock WHERE product_id = %d"},
    };
    const char *hot[3] = {"SELECT * FROM sessions WHERE token = 't%d'",
                          "SELECT * FROM users WHERE id = %d",
                          "SELECT COUNT(*) FROM cart_items WHERE "
                          "session_id = %d"};
    char sql[512];
    char stmt[400];

    for (int i = 0; i < 5; i++) {
        const char *fmt = i < 3 ? hot[i] : pages[kind % 3][i - 3];
        const char *hole = strstr(fmt, "%d");

        snprintf(stmt, sizeof(stmt), "%.*s%d%s", (int)(hole - fmt), fmt,
                 100 + req, hole + 2);
        snprintf(sql, sizeof(sql), "%s%s", stmt, tags != NULL ? tags : "");
        feed_q(fd, conn, ms + i, sql);
    }
}

/* Hot statements once per request, 30 requests on one connection, with a
   pool's ROLLBACK between them: never a loop. */
static void test_nplus1_pool_hot_rollback(void **state)
{
    struct feed *fd = *state;

    for (int r = 0; r < 30; r++) {
        feed_q(fd, 1, 100 * r, "ROLLBACK");
        if (r % 2 == 0) {
            feed_q(fd, 1, 100 * r, "SET autocommit=1");
        }
        hot_request(fd, 1, 100 * r + 1, r, 0, NULL);
    }
    feed_finish(fd);
    assert_int_equal(fd->n, 0);
}

/* The same with nothing between requests of mixed shapes: the rest of a
   request between two runs of a hot statement is not a loop body. */
static void test_nplus1_pool_hot_none(void **state)
{
    struct feed *fd = *state;

    for (int r = 0; r < 30; r++) {
        hot_request(fd, 1, 100 * r, r, r, NULL);
    }
    feed_finish(fd);
    assert_int_equal(fd->n, 0);
}

/* A new traceparent trace id per request (the span id changes per
   statement) separates even requests of the same shape. */
static void test_nplus1_pool_hot_traceparent(void **state)
{
    struct feed *fd = *state;
    char tags[200];

    for (int r = 0; r < 30; r++) {
        snprintf(tags, sizeof(tags),
                 " /*route='%%2Fcart',traceparent='00-%032d-%016d-01'*/", r + 1,
                 r);
        hot_request(fd, 1, 100 * r, r, 0, tags);
    }
    feed_finish(fd);
    assert_int_equal(fd->n, 0);
}

/* One request with a loop: the parent, then n items. */
static void order_request(struct feed *fd, uint64_t conn, int64_t ms, int req,
                          int n)
{
    char sql[200];

    feed_q(fd, conn, ms, "ROLLBACK");
    hot_request(fd, conn, ms + 1, req, req, NULL);
    snprintf(sql, sizeof(sql), "SELECT id FROM orders WHERE customer_id = %d",
             req);
    feed_ev(fd, N1_CMD_QUERY, conn, ms + 10, sql, -1, n);
    loop(fd, conn, ms + 20, "SELECT * FROM order_items WHERE order_id = %d",
         1000 * req, n);
}

/* A loop inside a request, repeated in consecutive requests on one
   connection: one occurrence per request, never merged. */
static void test_nplus1_pool_loop_per_request(void **state)
{
    struct feed *fd = *state;

    for (int r = 0; r < 6; r++) {
        order_request(fd, 1, 1000 * r, r, 4 + r);
    }
    feed_finish(fd);
    assert_int_equal(fd->n, 6);
    for (size_t i = 0; i < 6; i++) {
        const struct n1_finding *f = feed_get(fd, N1_FIND_N_PLUS_ONE, i);

        assert_int_equal(f->count, 4 + i);
        assert_string_equal(f->parent_table, "orders");
        assert_int_equal(f->evidence.starts, N1_BOUND_RESET);
        assert_int_equal(f->evidence.rows_match, 1);
        assert_int_equal(f->evidence.confidence, N1_CONF_HIGH);
    }
    /* One code path: one class. */
    assert_true(fd->found[0]->id == fd->found[5]->id);
}

/* BEGIN; SELECT ... FOR UPDATE; UPDATE; COMMIT once per item stays a
   loop: that COMMIT closes a transaction the request opened. */
static void test_nplus1_pool_txn_per_item(void **state)
{
    struct feed *fd = *state;
    char sql[200];

    feed_q(fd, 1, 0, "ROLLBACK");
    for (int i = 0; i < 6; i++) {
        feed_q(fd, 1, 10 * i, "BEGIN");
        snprintf(sql, sizeof(sql),
                 "SELECT qty FROM stock WHERE product_id = %d FOR UPDATE", i);
        feed_q(fd, 1, 10 * i + 1, sql);
        snprintf(sql, sizeof(sql),
                 "UPDATE stock SET qty = qty - 1 WHERE product_id = %d", i);
        feed_q(fd, 1, 10 * i + 2, sql);
        feed_q(fd, 1, 10 * i + 3, "COMMIT");
    }
    feed_q(fd, 1, 100, "ROLLBACK");
    feed_finish(fd);
    assert_int_equal(fd->n, 2);
    assert_int_equal(feed_get(fd, N1_FIND_N_PLUS_ONE, 0)->count, 6);
    assert_int_equal(feed_get(fd, N1_FIND_N_PLUS_ONE, 1)->count, 6);
    assert_int_equal(feed_get(fd, N1_FIND_N_PLUS_ONE, 0)->evidence.ends,
                     N1_BOUND_RESET);
    assert_int_equal(feed_get(fd, N1_FIND_N_PLUS_ONE, 0)->evidence.n_body, 1);
}

/* For each order: its items, a product per item (a nested loop), then
   its customer. The outer loops hold the inner one in their body and
   have the orders query as parent; the inner loop is one occurrence per
   order (the next order's statements are not its body). */
static void test_nplus1_pool_body_and_nested(void **state)
{
    struct feed *fd = *state;
    const struct n1_finding *f;
    char sql[200];
    int t = 0;

    feed_q(fd, 1, t++, "SELECT id FROM orders WHERE day = 3");
    for (int o = 0; o < 5; o++) {
        snprintf(sql, sizeof(sql),
                 "SELECT * FROM order_items WHERE order_id = %d", o);
        feed_q(fd, 1, t++, sql);
        for (int i = 0; i < 4; i++) {
            snprintf(sql, sizeof(sql), "SELECT * FROM products WHERE id = %d",
                     10 * o + i);
            feed_q(fd, 1, t++, sql);
        }
        snprintf(sql, sizeof(sql), "SELECT * FROM customers WHERE id = %d", o);
        feed_q(fd, 1, t++, sql);
    }
    feed_q(fd, 1, t++, "ROLLBACK");
    feed_finish(fd);
    assert_int_equal(fd->n, 7);
    f = feed_table(fd, N1_FIND_N_PLUS_ONE, "order_items");
    assert_int_equal(f->count, 5);
    assert_string_equal(f->parent_table, "orders");
    assert_int_equal(f->evidence.n_body, 2);
    f = feed_table(fd, N1_FIND_N_PLUS_ONE, "customers");
    assert_int_equal(f->count, 5);
    assert_string_equal(f->parent_table, "orders");
    f = feed_table(fd, N1_FIND_N_PLUS_ONE, "products");
    assert_int_equal(f->count, 4);
    assert_int_equal(f->evidence.ends, N1_BOUND_STATEMENT);
}

/* With sub-second times, a pause far longer than the loop's rhythm ends
   it; with whole seconds only max_gap_ms does. */
static void test_nplus1_pool_time_gap(void **state)
{
    struct feed *fd = *state;
    const char *q = "SELECT * FROM order_items WHERE order_id = %d";

    fd->ev_flags = N1_EV_TS_FINE;
    loop(fd, 1, 0, q, 0, 6);
    loop(fd, 1, 1600, q, 100, 6);
    feed_finish(fd);
    assert_int_equal(fd->n, 2);
    assert_int_equal(fd->found[0]->evidence.ends, N1_BOUND_GAP);
    assert_int_equal(fd->found[0]->evidence.span_us, 50000);
    fd->ev_flags = 0;
    loop(fd, 2, 0, q, 0, 6);
    loop(fd, 2, 1600, q, 100, 6);
    feed_finish(fd);
    assert_int_equal(fd->n, 3);
    assert_int_equal(fd->found[2]->count, 12);
}

/* Evidence without connection ids: low confidence, never an error. */
static void test_nplus1_evidence_no_conn_ids(void **state)
{
    struct feed *fd = *state;

    loop(fd, 0, 0, "SELECT * FROM order_items WHERE order_id = %d", 0, 120);
    feed_finish(fd);
    assert_int_equal(fd->n, 1);
    assert_int_equal(fd->found[0]->evidence.no_conn_ids, 1);
    assert_int_equal(fd->found[0]->evidence.confidence, N1_CONF_LOW);
    assert_int_equal(fd->found[0]->severity, N1_SEV_WARNING);
    assert_int_equal(fd->found[0]->evidence.starts, N1_BOUND_NONE);
}

/* Change user and Reset Connection commands end a request. */
static void test_nplus1_pool_reset_commands(void **state)
{
    struct feed *fd = *state;
    const char *q = "SELECT * FROM order_items WHERE order_id = %d";

    loop(fd, 1, 0, q, 0, 4);
    fd->word = "Change user";
    feed_ev(fd, N1_CMD_OTHER, 1, 50, "root@localhost on db", -1, -1);
    fd->word = NULL;
    loop(fd, 1, 100, q, 10, 4);
    fd->word = "Reset Connection";
    feed_ev(fd, N1_CMD_OTHER, 1, 150, "", -1, -1);
    fd->word = NULL;
    loop(fd, 1, 200, q, 20, 4);
    feed_finish(fd);
    assert_int_equal(fd->n, 3);
    assert_int_equal(fd->found[0]->evidence.ends, N1_BOUND_RESET);
    assert_int_equal(fd->found[1]->evidence.starts, N1_BOUND_RESET);
}

/* The class id ignores the line of a file tag: moving the query two
   lines keeps it; the occurrence keeps its own location. */
static void test_nplus1_class_id_line_free(void **state)
{
    struct feed *fd = *state;

    loop(fd, 1, 0,
         "SELECT * FROM users WHERE id = %d /*file='app/models/user.rb:12'*/",
         0, 5);
    feed_q(fd, 1, 100, "ROLLBACK");
    loop(fd, 1, 200,
         "SELECT * FROM users WHERE id = %d /*file='app/models/user.rb:14'*/",
         0, 5);
    feed_finish(fd);
    assert_int_equal(fd->n, 2);
    assert_string_equal(fd->found[0]->location, "app/models/user.rb:12");
    assert_string_equal(fd->found[1]->location, "app/models/user.rb:14");
    assert_true(fd->found[0]->id == fd->found[1]->id);
    assert_true(fd->found[0]->id ==
                n1_finding_class_id(N1_FIND_N_PLUS_ONE,
                                    fd->found[0]->fingerprint, 0, 0,
                                    "app/models/user.rb"));
}

/* A loop of single-row INSERTs where only the last value changes: the
   key is that column, not the first. */
static void test_nplus1_insert_key_column(void **state)
{
    struct feed *fd = *state;
    const struct n1_finding *f;

    loop(fd, 1, 0,
         "INSERT INTO items (order_id, sku, qty) VALUES (7, 'sku', %d)", 1, 8);
    feed_finish(fd);
    assert_int_equal(fd->n, 1);
    f = feed_get(fd, N1_FIND_N_PLUS_ONE, 0);
    assert_int_equal(f->n_key_columns, 1);
    assert_string_equal(f->key_columns[0], "qty");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, feed_setup, feed_teardown)
    const struct CMUnitTest tests[] = {
        T(test_nplus1_story),
        T(test_nplus1_below_threshold),
        T(test_nplus1_min_distinct),
        T(test_nplus1_batched_not_reported),
        T(test_nplus1_loop_body_and_parent),
        T(test_nplus1_compound_keys),
        T(test_nplus1_write_loops),
        T(test_nplus1_transaction_loop),
        T(test_nplus1_prepared),
        T(test_nplus1_interleaved_connections),
        T(test_nplus1_sqlcommenter),
        T(test_nplus1_location_file_line),
        T(test_nplus1_ends_on_gap_quit_tick),
        T(test_nplus1_noise_ignored),
        T(test_nplus1_range_and_pagination),
        T(test_nplus1_pool_hot_rollback),
        T(test_nplus1_pool_hot_none),
        T(test_nplus1_pool_hot_traceparent),
        T(test_nplus1_pool_loop_per_request),
        T(test_nplus1_pool_txn_per_item),
        T(test_nplus1_pool_body_and_nested),
        T(test_nplus1_pool_time_gap),
        T(test_nplus1_evidence_no_conn_ids),
        T(test_nplus1_pool_reset_commands),
        T(test_nplus1_class_id_line_free),
        T(test_nplus1_insert_key_column),
        cmocka_unit_test(test_nplus1_caps),
        cmocka_unit_test(test_nplus1_memory_budget),
        cmocka_unit_test(test_nplus1_ignore_patterns),
        T(test_nplus1_slow_log_timing),
    };
#undef T

    return cmocka_run_group_tests(tests, NULL, NULL);
}
