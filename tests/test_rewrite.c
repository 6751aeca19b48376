/* SPDX-License-Identifier: MIT */
/*
 * test_rewrite.c: batched rewrites of loops, compared with statements
 * worked out by hand from the fingerprint text and the key values.
 *
 * Each case runs real SQL through n1_normalize() into a loop record (the
 * same path the detectors take) and builds the rewrite from it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "analyzer/detect_int.h"
#include "analyzer/rewrite.h"
#include "helpers.h"
#include "sql/normalize.h"

struct rw {
    struct n1_detect_ctx ctx;
    struct n1_normalizer *nz;
    struct n1_loop *loop;
    struct n1_shape *sh;
    struct n1_rewrite out;
    char input[512]; /* for failure messages */
};

static int setup(void **state)
{
    static struct rw r;
    struct n1_error err;

    memset(&r, 0, sizeof(r));
    n1_detect_opts_default(&r.ctx.opts);
    r.nz = n1_normalizer_new(&err);
    *state = &r;
    return r.nz == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    struct rw *r = *state;

    n1_rewrite_cleanup(&r->out);
    n1_loop_free(r->loop);
    n1_rec_pool_free(&r->ctx.pool);
    n1_shape_free(r->sh);
    n1_normalizer_free(r->nz);
    return 0;
}

/* Runs the statements through a loop and builds the rewrite. */
static void run(struct rw *r, const char *const *sqls, size_t n,
                const char *parent_sql, const char *parent_col)
{
    struct n1_error err;
    struct n1_rw_input in;

    for (size_t i = 0; i < n; i++) {
        struct n1_event ev;
        struct n1_norm nm;

        memset(&ev, 0, sizeof(ev));
        ev.sql = sqls[i];
        ev.sql_len = strlen(sqls[i]);
        ev.ts_us = (int64_t)i * 1000;
        ev.file = "t.log";
        assert_int_equal(n1_normalize(r->nz, ev.sql, ev.sql_len, &nm, &err), 0);
        if (i == 0) {
            r->sh = n1_shape_parse(nm.id, nm.text, nm.len, &err);
            assert_non_null(r->sh);
            r->loop = n1_loop_new(&r->ctx, &ev, &nm, r->sh, 1, 1);
            assert_non_null(r->loop);
        } else {
            assert_int_equal(n1_loop_add(&r->ctx, r->loop, &ev, &nm, i + 1), 0);
        }
    }
    snprintf(r->input, sizeof(r->input), "%s (x%zu)", sqls[0], n);
    memset(&in, 0, sizeof(in));
    in.kind = N1_FIND_N_PLUS_ONE;
    in.shape = r->sh;
    in.rows = r->loop->rows;
    in.n_rows = r->loop->n_rows;
    in.count = r->loop->count;
    in.distinct = r->loop->distinct;
    in.varies = r->loop->varies;
    in.rows_complete = r->loop->rows_complete;
    in.max_keys = r->ctx.opts.max_keys;
    in.parent_sql = parent_sql;
    in.parent_column = parent_col;
    assert_int_equal(n1_rewrite_build(&in, &r->out, &err), 0);
    assert_non_null(r->out.advice);
}

#define RUN(r, arr) run((r), (arr), sizeof(arr) / sizeof((arr)[0]), NULL, NULL)

static void expect(struct rw *r, const char *kind, const char *sql)
{
    th_assert_text(r->input, sql, r->out.sql != NULL ? r->out.sql : "(null)");
    th_assert_text(r->input, kind,
                   r->out.kind != NULL ? r->out.kind : "(null)");
}

static void test_rewrite_story_in_list(void **state)
{
    struct rw *r = *state;
    static const char *const q[] = {
        "SELECT profile_settings.id, profile_settings.name, "
        "profile_settings.value FROM profile_settings WHERE "
        "profile_settings.name = 'proj:g7' LIMIT 1",
        "SELECT profile_settings.id, profile_settings.name, "
        "profile_settings.value FROM profile_settings WHERE "
        "profile_settings.name = 'proj:g12' LIMIT 1",
        "SELECT profile_settings.id, profile_settings.name, "
        "profile_settings.value FROM profile_settings WHERE "
        "profile_settings.name = 'proj:g3' LIMIT 1",
        "SELECT profile_settings.id, profile_settings.name, "
        "profile_settings.value FROM profile_settings WHERE "
        "profile_settings.name = 'proj:g12' LIMIT 1",
    };

    RUN(r, q);
    /* The key column is already selected; LIMIT 1 goes; g12 once. */
    expect(r, "in_list",
           "SELECT profile_settings.id, profile_settings.name, "
           "profile_settings.value FROM profile_settings WHERE "
           "profile_settings.name IN ('proj:g7', 'proj:g12', 'proj:g3')");
    assert_int_equal(r->out.pattern, N1_RW_IN_LIST);
    assert_int_equal(r->out.n_key_columns, 1);
    assert_string_equal(r->out.key_columns[0], "profile_settings.name");
    assert_int_equal(r->out.keys_listed, 3);
    assert_int_equal(r->out.batches, 1);
    assert_int_equal(r->out.saved, 3);
    assert_non_null(strstr(r->out.advice, "Saves 3 of 4 round trips"));
}

static void test_rewrite_adds_key_column(void **state)
{
    struct rw *r = *state;
    static const char *const q[] = {
        "SELECT value FROM settings WHERE name = 'a'",
        "SELECT value FROM settings WHERE name = 'b'",
        "SELECT value FROM settings WHERE name = 'c'",
    };

    RUN(r, q);
    expect(r, "in_list",
           "SELECT name, value FROM settings WHERE name IN ('a', 'b', 'c')");
}

static void test_rewrite_compound_constant(void **state)
{
    struct rw *r = *state;
    static const char *const q[] = {
        "SELECT * FROM users WHERE tenant_id = 3 AND user_id = 10",
        "SELECT * FROM users WHERE tenant_id = 3 AND user_id = 11",
        "SELECT * FROM users WHERE tenant_id = 3 AND user_id = 12",
    };

    RUN(r, q);
    /* select * already carries user_id; the constant stays. */
    expect(r, "in_list",
           "SELECT * FROM users WHERE tenant_id = 3 AND user_id IN "
           "(10, 11, 12)");
    assert_int_equal(r->out.n_key_columns, 1);
    assert_string_equal(r->out.key_columns[0], "user_id");
}

static void test_rewrite_row_in(void **state)
{
    struct rw *r = *state;
    static const char *const q[] = {
        "SELECT v FROM t WHERE x = 1 AND y = 2",
        "SELECT v FROM t WHERE x = 3 AND y = 4",
        "SELECT v FROM t WHERE x = 5 AND y = 6",
    };

    RUN(r, q);
    expect(r, "row_in",
           "SELECT x, y, v FROM t WHERE (x, y) IN ((1, 2), (3, 4), (5, 6))");
    assert_int_equal(r->out.n_key_columns, 2);
    assert_string_equal(r->out.key_columns[0], "x");
    assert_string_equal(r->out.key_columns[1], "y");
}

static void test_rewrite_reversed_eq(void **state)
{
    struct rw *r = *state;
    static const char *const q[] = {
        "SELECT a FROM t WHERE 1 = id AND kind = 'x'",
        "SELECT a FROM t WHERE 2 = id AND kind = 'x'",
        "SELECT a FROM t WHERE 3 = id AND kind = 'x'",
    };

    RUN(r, q);
    expect(r, "in_list",
           "SELECT id, a FROM t WHERE id IN (1, 2, 3) AND kind = 'x'");
}

static void test_rewrite_multi_row_insert(void **state)
{
    struct rw *r = *state;
    static const char *const q[] = {
        "INSERT INTO audit (a, b, created) VALUES (1, 'x', NOW())",
        "INSERT INTO audit (a, b, created) VALUES (2, 'y''s', NOW())",
        "INSERT INTO audit (a, b, created) VALUES (3, 'z\\\\w', NOW())",
    };

    RUN(r, q);
    expect(r, "multi_row_insert",
           "INSERT INTO audit(a, b, created) VALUES(1, 'x', now()), "
           "(2, 'y''s', now()), (3, 'z\\\\w', now())");
    assert_non_null(strstr(r->out.advice, "one multi-row INSERT"));
    assert_int_equal(r->out.n_key_columns, 2);
    assert_string_equal(r->out.key_columns[0], "a");
    assert_string_equal(r->out.key_columns[1], "b");
    assert_int_equal(r->out.saved, 2);
}

static void test_rewrite_update_same_set(void **state)
{
    struct rw *r = *state;
    static const char *const q[] = {
        "UPDATE jobs SET state = 'done' WHERE id = 1",
        "UPDATE jobs SET state = 'done' WHERE id = 2",
        "UPDATE jobs SET state = 'done' WHERE id = 3",
    };

    RUN(r, q);
    expect(r, "in_list",
           "UPDATE jobs SET state = 'done' WHERE id IN (1, 2, 3)");
    /* Write advice, not read advice: one UPDATE for every key. */
    th_assert_text(r->input,
                   "Update the rows of all keys with one UPDATE ... WHERE "
                   "key IN (...) instead of one UPDATE per key (ORM: a bulk "
                   "update of a filtered query, not a save per object). "
                   "Saves 2 of 3 round trips on jobs.",
                   r->out.advice);
}

static void test_rewrite_update_case(void **state)
{
    struct rw *r = *state;
    static const char *const q[] = {
        "UPDATE users SET name = 'a' WHERE id = 1",
        "UPDATE users SET name = 'b' WHERE id = 2",
        "UPDATE users SET name = 'c' WHERE id = 3",
        "UPDATE users SET name = 'd' WHERE id = 2",
    };

    RUN(r, q);
    /* id 2 was updated twice: the last value wins, as in the loop. */
    expect(r, "case_update",
           "UPDATE users SET name = CASE id WHEN 1 THEN 'a' WHEN 2 THEN "
           "'d' WHEN 3 THEN 'c' END WHERE id IN (1, 2, 3)");
    assert_non_null(strstr(r->out.advice, "CASE on the key"));
    assert_non_null(strstr(r->out.advice, "ON DUPLICATE KEY UPDATE"));
    assert_null(strstr(r->out.advice, "eager loading"));
}

static void test_rewrite_delete(void **state)
{
    struct rw *r = *state;
    static const char *const q[] = {
        "DELETE FROM sessions WHERE id = 7",
        "DELETE FROM sessions WHERE id = 8",
        "DELETE FROM sessions WHERE id = 9",
    };

    RUN(r, q);
    expect(r, "in_list", "DELETE FROM sessions WHERE id IN (7, 8, 9)");
    th_assert_text(r->input,
                   "Delete the rows of all keys with one DELETE ... WHERE "
                   "key IN (...) instead of one DELETE per key (ORM: a bulk "
                   "delete of a filtered query, not a delete per object). "
                   "Saves 2 of 3 round trips on sessions.",
                   r->out.advice);
}

/* Resets the fixture between two loops of one test. */
static void again(struct rw *r)
{
    n1_rewrite_cleanup(&r->out);
    n1_loop_free(r->loop);
    n1_shape_free(r->sh);
    r->loop = NULL;
    r->sh = NULL;
}

static void test_rewrite_write_advice(void **state)
{
    struct rw *r = *state;
    static const char *const pair[] = {
        "UPDATE stock SET n = 0 WHERE shop = 1 AND item = 10",
        "UPDATE stock SET n = 0 WHERE shop = 2 AND item = 20",
        "UPDATE stock SET n = 0 WHERE shop = 3 AND item = 30",
    };
    static const char *const limited[] = {
        "UPDATE jobs SET state = 'done' WHERE id = 1 LIMIT 1",
        "UPDATE jobs SET state = 'done' WHERE id = 2 LIMIT 1",
        "UPDATE jobs SET state = 'done' WHERE id = 3 LIMIT 1",
    };
    static const char *const compound[] = {
        "UPDATE stock SET n = 1 WHERE shop = 1 AND item = 10",
        "UPDATE stock SET n = 2 WHERE shop = 2 AND item = 20",
        "UPDATE stock SET n = 3 WHERE shop = 3 AND item = 30",
    };
    static const char *const del_or[] = {
        "DELETE FROM s WHERE a = 1 OR b = 1",
        "DELETE FROM s WHERE a = 2 OR b = 2",
        "DELETE FROM s WHERE a = 3 OR b = 3",
    };

    /* Two key columns: one UPDATE with a row IN list. */
    RUN(r, pair);
    expect(r, "row_in",
           "UPDATE stock SET n = 0 WHERE (shop, item) IN ((1, 10), (2, 20), "
           "(3, 30))");
    assert_non_null(strstr(r->out.advice, "Update the rows of all keys with "
                                          "one UPDATE ... WHERE"));
    assert_null(strstr(r->out.advice, "Load the rows"));
    assert_null(strstr(r->out.advice, "map the rows back"));
    again(r);
    /* No statement offered: the advice still speaks of writing. */
    RUN(r, limited);
    assert_null(r->out.sql);
    th_assert_text(r->input,
                   "The same UPDATE runs once per key: update the rows of "
                   "all keys with one UPDATE ... WHERE key IN (...), per-row "
                   "values in CASE on the key or INSERT ... ON DUPLICATE KEY "
                   "UPDATE (no rewrite offered: LIMIT on UPDATE or DELETE).",
                   r->out.advice);
    again(r);
    /* Per-row SET values on a compound key: CASE on a row comparison. */
    RUN(r, compound);
    expect(r, "case_update",
           "UPDATE stock SET n = CASE WHEN (shop, item) = (1, 10) THEN 1 "
           "WHEN (shop, item) = (2, 20) THEN 2 WHEN (shop, item) = (3, 30) "
           "THEN 3 END WHERE (shop, item) IN ((1, 10), (2, 20), (3, 30))");
    assert_non_null(strstr(r->out.advice, "ON DUPLICATE KEY UPDATE"));
    assert_null(strstr(r->out.advice, "fetch what the loop needs"));
    again(r);
    RUN(r, del_or);
    assert_null(r->out.sql);
    th_assert_text(r->input,
                   "The same DELETE runs once per key: delete the rows of "
                   "all keys with one DELETE ... WHERE key IN (...) (no "
                   "rewrite offered: the key sits under OR or inside "
                   "parentheses).",
                   r->out.advice);
}

/* An all-literal one-row VALUES prints as values(?+), like a batch; one
   row per execution is still a loop to merge. */
static void test_rewrite_single_row_insert_loop(void **state)
{
    struct rw *r = *state;
    static const char *const q[] = {
        "INSERT INTO t (a, b) VALUES (1, 'x')",
        "INSERT INTO t (a, b) VALUES (2, 'O''Reilly')",
        "INSERT INTO t (a, b) VALUES (3, NULL)",
    };

    RUN(r, q);
    expect(r, "multi_row_insert",
           "INSERT INTO t(a, b) VALUES(1, 'x'), (2, 'O''Reilly'), "
           "(3, NULL)");
    assert_int_equal(r->out.saved, 2);
}

/* Executions that each insert two rows are batches already. */
static void test_rewrite_multi_row_batches_stay(void **state)
{
    struct rw *r = *state;
    static const char *const q[] = {
        "INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y')",
        "INSERT INTO t (a, b) VALUES (3, 'x'), (4, 'y')",
        "INSERT INTO t (a, b) VALUES (5, 'x'), (6, 'y')",
    };

    RUN(r, q);
    assert_int_equal(r->out.pattern, N1_RW_BATCHED);
    assert_null(r->out.sql);
}

static void test_rewrite_insert_advice(void **state)
{
    struct rw *r = *state;
    static const char *const outside[] = {
        "INSERT INTO audit (a, b) VALUES (1, NOW()) ON DUPLICATE KEY "
        "UPDATE n = 1",
        "INSERT INTO audit (a, b) VALUES (2, NOW()) ON DUPLICATE KEY "
        "UPDATE n = 2",
        "INSERT INTO audit (a, b) VALUES (3, NOW()) ON DUPLICATE KEY "
        "UPDATE n = 3",
    };

    RUN(r, outside);
    assert_null(r->out.sql);
    assert_non_null(strstr(r->out.advice, "The same INSERT runs once per "
                                          "row: insert all rows with one "
                                          "multi-row INSERT"));
    assert_null(strstr(r->out.advice, "fetch what the loop needs"));
}

static void test_rewrite_group_by(void **state)
{
    struct rw *r = *state;
    static const char *const q[] = {
        "SELECT MAX(cpu) FROM metrics WHERE gid = 1",
        "SELECT MAX(cpu) FROM metrics WHERE gid = 2",
        "SELECT MAX(cpu) FROM metrics WHERE gid = 3",
    };
    static const char *const q2[] = {
        "select count(*) from items where order_id = 1 group by kind",
        "select count(*) from items where order_id = 2 group by kind",
        "select count(*) from items where order_id = 3 group by kind",
    };

    RUN(r, q);
    expect(r, "group_by",
           "SELECT gid, max(cpu) FROM metrics WHERE gid IN (1, 2, 3) "
           "GROUP BY gid");
    again(r);
    RUN(r, q2);
    expect(r, "group_by",
           "SELECT order_id, count(*) FROM items WHERE order_id IN "
           "(1, 2, 3) GROUP BY order_id, kind");
}

static void test_rewrite_for_update_kept(void **state)
{
    struct rw *r = *state;
    static const char *const q[] = {
        "SELECT * FROM accounts WHERE id = 1 FOR UPDATE",
        "SELECT * FROM accounts WHERE id = 2 FOR UPDATE",
        "SELECT * FROM accounts WHERE id = 3 FOR UPDATE",
    };

    RUN(r, q);
    expect(r, "in_list",
           "SELECT * FROM accounts WHERE id IN (1, 2, 3) FOR UPDATE");
}

/* Names that are reserved words keep their backquotes, and only SQL
   keywords outside quotes are upper-cased: the rewrite runs as printed. */
static void test_rewrite_reserved_names(void **state)
{
    struct rw *r = *state;
    static const char *const q[] = {
        "INSERT INTO `group` (`name`, `key`) VALUES ('select from', 1)",
        "INSERT INTO `group` (`name`, `key`) VALUES ('in where', 2)",
        "INSERT INTO `group` (`name`, `key`) VALUES ('order by', 3)",
    };
    static const char *const q2[] = {
        "SELECT `o`.`order`, `o`.`case` FROM `order` AS `o` WHERE `o`.`id` = 1",
        "SELECT `o`.`order`, `o`.`case` FROM `order` AS `o` WHERE `o`.`id` = 2",
        "SELECT `o`.`order`, `o`.`case` FROM `order` AS `o` WHERE `o`.`id` = 3",
    };

    RUN(r, q);
    expect(r, "multi_row_insert",
           "INSERT INTO `group`(name, `key`) VALUES('select from', 1), "
           "('in where', 2), ('order by', 3)");
    again(r);
    RUN(r, q2);
    expect(r, "in_list",
           "SELECT o.id, o.`order`, o.`case` FROM `order` AS o WHERE o.id IN "
           "(1, 2, 3)");
}

static void test_rewrite_hex_and_escapes(void **state)
{
    struct rw *r = *state;
    static const char *const q[] = {
        "SELECT * FROM blobs WHERE h = X'DEAD'",
        "SELECT * FROM blobs WHERE h = 0xBEEF",
        "SELECT * FROM blobs WHERE h = x'f00d'",
    };
    struct n1_strbuf sb;
    struct n1_rw_lit lit = {N1_LIT_STRING,
                            0,
                            0,
                            8,
                            "it's\n\\\0z",
                            n1_literal_hash(N1_LIT_STRING, "it's\n\\\0z", 8)};

    RUN(r, q);
    expect(r, "in_list",
           "SELECT * FROM blobs WHERE h IN (X'DEAD', X'BEEF', X'f00d')");
    n1_strbuf_init(&sb, 0);
    assert_int_equal(n1_rewrite_literal(&sb, &lit), 0);
    assert_string_equal(n1_strbuf_str(&sb), "'it''s\\n\\\\\\0z'");
    n1_strbuf_reset(&sb);
    lit.type = N1_LIT_NULL;
    assert_int_equal(n1_rewrite_literal(&sb, &lit), 0);
    assert_string_equal(n1_strbuf_str(&sb), "NULL");
    n1_strbuf_reset(&sb);
    lit.type = N1_LIT_NUMBER;
    lit.value = "-1.5e3";
    lit.len = 6;
    assert_int_equal(n1_rewrite_literal(&sb, &lit), 0);
    assert_string_equal(n1_strbuf_str(&sb), "-1.5e3");
    n1_strbuf_cleanup(&sb);
}

static void test_rewrite_key_cap(void **state)
{
    struct rw *r = *state;
    static const char *const q[] = {
        "SELECT * FROM t WHERE id = 1", "SELECT * FROM t WHERE id = 2",
        "SELECT * FROM t WHERE id = 3", "SELECT * FROM t WHERE id = 4",
        "SELECT * FROM t WHERE id = 5",
    };

    r->ctx.opts.max_keys = 2;
    RUN(r, q);
    /* Only two rows are kept; five distinct keys were seen. */
    expect(r, "in_list", "SELECT * FROM t WHERE id IN (1, 2)");
    assert_int_equal(r->out.keys_listed, 2);
    assert_int_equal(r->out.batches, 3);
    assert_int_equal(r->out.saved, 2);
    assert_non_null(strstr(r->out.advice, "first 2 keys"));
}

static void test_rewrite_range_no_in(void **state)
{
    struct rw *r = *state;
    static const char *const q[] = {
        "SELECT COUNT(*) FROM orders WHERE total > 0 AND total < 100",
        "SELECT COUNT(*) FROM orders WHERE total > 100 AND total < 200",
        "SELECT COUNT(*) FROM orders WHERE total > 200 AND total < 300",
    };

    RUN(r, q);
    assert_null(r->out.sql);
    assert_int_equal(r->out.pattern, N1_RW_RANGE);
    assert_string_equal(r->out.kind, "grouped_ranges");
    assert_non_null(strstr(r->out.advice, "grouped query"));
    assert_null(strstr(r->out.advice, " in ("));
}

static void test_rewrite_pagination(void **state)
{
    struct rw *r = *state;
    static const char *const q[] = {
        "SELECT * FROM events ORDER BY id LIMIT 100 OFFSET 0",
        "SELECT * FROM events ORDER BY id LIMIT 100 OFFSET 100",
        "SELECT * FROM events ORDER BY id LIMIT 100 OFFSET 200",
    };

    RUN(r, q);
    assert_null(r->out.sql);
    assert_int_equal(r->out.pattern, N1_RW_PAGINATION);
    assert_string_equal(r->out.kind, "keyset_pagination");
    assert_non_null(strstr(r->out.advice, "keyset"));
}

static void test_rewrite_refuses_unsafe(void **state)
{
    struct rw *r = *state;
    static const char *const limit5[] = {
        "SELECT * FROM posts WHERE user_id = 1 ORDER BY id DESC LIMIT 5",
        "SELECT * FROM posts WHERE user_id = 2 ORDER BY id DESC LIMIT 5",
        "SELECT * FROM posts WHERE user_id = 3 ORDER BY id DESC LIMIT 5",
    };
    static const char *const ored[] = {
        "SELECT * FROM t WHERE a = 1 OR b = 1",
        "SELECT * FROM t WHERE a = 2 OR b = 2",
        "SELECT * FROM t WHERE a = 3 OR b = 3",
    };

    RUN(r, limit5);
    assert_null(r->out.sql);
    assert_int_equal(r->out.pattern, N1_RW_UNSUPPORTED);
    assert_non_null(strstr(r->out.advice, "window function"));
    n1_rewrite_cleanup(&r->out);
    n1_loop_free(r->loop);
    n1_shape_free(r->sh);
    r->loop = NULL;
    r->sh = NULL;
    RUN(r, ored);
    assert_null(r->out.sql);
    assert_int_equal(r->out.pattern, N1_RW_UNSUPPORTED);
}

static void test_rewrite_batched_in(void **state)
{
    struct rw *r = *state;
    char buf[3][4096];
    const char *q[3];

    /* A chunked loader: three IN lists of 200 keys. */
    for (int c = 0; c < 3; c++) {
        size_t n = (size_t)snprintf(buf[c], sizeof(buf[c]),
                                    "SELECT * FROM t WHERE id IN (");

        for (int k = 0; k < 200; k++) {
            n += (size_t)snprintf(buf[c] + n, sizeof(buf[c]) - n, "%s%d",
                                  k ? "," : "", c * 200 + k);
        }
        snprintf(buf[c] + n, sizeof(buf[c]) - n, ")");
        q[c] = buf[c];
    }
    run(r, q, 3, NULL, NULL);
    assert_int_equal(r->out.pattern, N1_RW_BATCHED);
    assert_null(r->out.sql);
}

static void test_rewrite_small_in_lists_merge(void **state)
{
    struct rw *r = *state;
    static const char *const q[] = {
        "SELECT * FROM t WHERE id IN (1, 2) AND a = 'x'",
        "SELECT * FROM t WHERE id IN (3) AND a = 'x'",
        "SELECT * FROM t WHERE id IN (2, 4) AND a = 'x'",
    };

    RUN(r, q);
    expect(r, "in_list",
           "SELECT * FROM t WHERE id IN (1, 2, 3, 4) AND a = 'x'");
}

static void test_rewrite_parent_subquery(void **state)
{
    struct rw *r = *state;
    static const char *const q[] = {
        "SELECT * FROM order_items WHERE order_id = 1",
        "SELECT * FROM order_items WHERE order_id = 2",
        "SELECT * FROM order_items WHERE order_id = 3",
    };

    run(r, q, 3, "SELECT id FROM orders WHERE status = 'open'", "id");
    expect(r, "in_list",
           "SELECT * FROM order_items WHERE order_id IN (1, 2, 3)");
    assert_non_null(strstr(r->out.advice,
                           "SELECT * FROM order_items WHERE order_id IN "
                           "(SELECT id FROM orders WHERE status = 'open')"));
}

/* The seed's keys are 'proj:' + gid: the parent's gid column does not hold
   them, so no subquery form may be offered. */
static void test_rewrite_parent_unrelated_column(void **state)
{
    struct rw *r = *state;
    static const char *const q[] = {
        "SELECT v FROM profile_settings WHERE profile_settings.name = 'p:g1'",
        "SELECT v FROM profile_settings WHERE profile_settings.name = 'p:g2'",
        "SELECT v FROM profile_settings WHERE profile_settings.name = 'p:g3'",
    };

    run(r, q, 3, "SELECT project_groups.gid FROM project_groups", "gid");
    assert_null(strstr(r->out.advice, "(SELECT"));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_rewrite_story_in_list),
        T(test_rewrite_parent_unrelated_column),
        T(test_rewrite_adds_key_column),
        T(test_rewrite_compound_constant),
        T(test_rewrite_row_in),
        T(test_rewrite_reversed_eq),
        T(test_rewrite_multi_row_insert),
        T(test_rewrite_update_same_set),
        T(test_rewrite_update_case),
        T(test_rewrite_delete),
        T(test_rewrite_write_advice),
        T(test_rewrite_insert_advice),
        T(test_rewrite_single_row_insert_loop),
        T(test_rewrite_multi_row_batches_stay),
        T(test_rewrite_group_by),
        T(test_rewrite_for_update_kept),
        T(test_rewrite_reserved_names),
        T(test_rewrite_hex_and_escapes),
        T(test_rewrite_key_cap),
        T(test_rewrite_range_no_in),
        T(test_rewrite_pagination),
        T(test_rewrite_refuses_unsafe),
        T(test_rewrite_batched_in),
        T(test_rewrite_small_in_lists_merge),
        T(test_rewrite_parent_subquery),
    };
#undef T

    return cmocka_run_group_tests(tests, NULL, NULL);
}
