/* SPDX-License-Identifier: MIT */
/*
 * test_shape.c: statement shapes parsed from real normaliser output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "analyzer/shape.h"
#include "sql/normalize.h"

struct fixture {
    struct n1_normalizer *nz;
    struct n1_shape *sh;
};

static int setup(void **state)
{
    static struct fixture fx;
    struct n1_error err;

    fx.nz = n1_normalizer_new(&err);
    fx.sh = NULL;
    *state = &fx;
    return fx.nz == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;

    n1_shape_free(fx->sh);
    n1_normalizer_free(fx->nz);
    return 0;
}

/* Normalises sql and parses its shape into fx->sh. */
static const struct n1_shape *shape_of(struct fixture *fx, const char *sql)
{
    struct n1_norm nm;
    struct n1_error err;

    n1_shape_free(fx->sh);
    assert_int_equal(n1_normalize(fx->nz, sql, strlen(sql), &nm, &err), 0);
    fx->sh = n1_shape_parse(nm.id, nm.text, nm.len, &err);
    assert_non_null(fx->sh);
    assert_int_equal(fx->sh->n_slots, nm.n_slots);
    /* Slot positions agree with the normaliser's literal positions. */
    for (size_t i = 0; i < nm.n_lits; i++) {
        assert_true(nm.lits[i].slot < fx->sh->n_slots);
        assert_int_equal(fx->sh->slots[nm.lits[i].slot].pos, nm.lits[i].pos);
    }
    return fx->sh;
}

static void assert_span(const struct n1_shape *sh, struct n1_span sp,
                        const char *want)
{
    char buf[512];

    n1_shape_str(sh, sp, buf, sizeof(buf));
    assert_string_equal(buf, want);
}

static void test_shape_story_select(void **state)
{
    const struct n1_shape *sh =
        shape_of(*state, "SELECT profile_settings.id, profile_settings.name, "
                         "profile_settings.value FROM profile_settings WHERE "
                         "profile_settings.name = 'proj:g7' LIMIT 1");

    assert_int_equal(sh->verb, N1_VERB_SELECT);
    assert_int_equal(sh->noise, N1_NOISE_NONE);
    assert_span(sh, sh->table, "profile_settings");
    assert_span(sh, sh->select_list,
                "profile_settings.id, "
                "profile_settings.name, profile_settings.value");
    assert_int_equal(sh->n_slots, 2);
    assert_int_equal(sh->slots[0].role, N1_SLOT_EQ);
    assert_int_equal(sh->slots[0].in_where, 1);
    assert_span(sh, sh->slots[0].column, "profile_settings.name");
    assert_span(sh, sh->slots[0].pred, "profile_settings.name = ?");
    assert_int_equal(sh->slots[1].role, N1_SLOT_LIMIT);
    assert_span(sh, sh->limit, " limit ?");
    assert_false(sh->select_star);
    assert_false(sh->has_aggregate);
    assert_false(sh->for_update);
}

static void test_shape_eq_both_sides_and_in(void **state)
{
    const struct n1_shape *sh = shape_of(
        *state, "SELECT * FROM t WHERE x IN (1,2,3) AND `y`= 'a' and 3 = z");

    assert_true(sh->select_star);
    assert_int_equal(sh->slots[0].role, N1_SLOT_IN);
    assert_span(sh, sh->slots[0].column, "x");
    assert_span(sh, sh->slots[0].pred, "x in(?+)");
    assert_int_equal(sh->slots[0].width, 2);
    assert_int_equal(sh->slots[1].role, N1_SLOT_EQ);
    assert_span(sh, sh->slots[1].column, "y");
    assert_int_equal(sh->slots[2].role, N1_SLOT_EQ);
    assert_span(sh, sh->slots[2].column, "z");
    assert_span(sh, sh->slots[2].pred, "? = z");
}

static void test_shape_compound_key(void **state)
{
    const struct n1_shape *sh = shape_of(
        *state,
        "select name from users where tenant_id = 3 and users.user_id = 9");

    assert_int_equal(sh->slots[0].role, N1_SLOT_EQ);
    assert_span(sh, sh->slots[0].column, "tenant_id");
    assert_int_equal(sh->slots[1].role, N1_SLOT_EQ);
    assert_span(sh, sh->slots[1].column, "users.user_id");
    assert_false(sh->where_has_or);
}

static void test_shape_ranges_limit_offset(void **state)
{
    const struct n1_shape *sh =
        shape_of(*state, "select * from orders where total > 10 and total < 20 "
                         "order by id limit 10 offset 20");

    assert_int_equal(sh->slots[0].role, N1_SLOT_RANGE);
    assert_span(sh, sh->slots[0].column, "total");
    assert_int_equal(sh->slots[1].role, N1_SLOT_RANGE);
    assert_int_equal(sh->slots[2].role, N1_SLOT_LIMIT);
    assert_int_equal(sh->slots[3].role, N1_SLOT_OFFSET);
    assert_span(sh, sh->limit, " limit ? offset ?");

    sh = shape_of(*state, "select * from t where id between 1 and 5 "
                          "limit 5, 10 for update");
    assert_int_equal(sh->slots[0].role, N1_SLOT_RANGE);
    assert_int_equal(sh->slots[1].role, N1_SLOT_RANGE);
    assert_span(sh, sh->slots[1].column, "id");
    assert_int_equal(sh->slots[2].role, N1_SLOT_OFFSET);
    assert_int_equal(sh->slots[3].role, N1_SLOT_LIMIT);
    assert_span(sh, sh->limit, " limit ?, ?");
    assert_true(sh->for_update);
}

static void test_shape_insert(void **state)
{
    const struct n1_shape *sh = shape_of(
        *state, "INSERT INTO audit (a, b, created) VALUES (1, 'x', NOW())");

    assert_int_equal(sh->verb, N1_VERB_INSERT);
    assert_span(sh, sh->table, "audit");
    assert_span(sh, sh->insert_cols, "(a, b, created)");
    assert_span(sh, sh->values_row, "(?, ?, now())");
    assert_false(sh->values_collapsed);
    assert_int_equal(sh->slots[0].role, N1_SLOT_VALUES);
    assert_int_equal(sh->slots[0].values_row, 0);
    assert_int_equal(sh->slots[1].values_row, 1);

    sh = shape_of(*state, "INSERT INTO audit (a, b) VALUES (1, 'x'), (2, 'y')");
    assert_true(sh->values_collapsed);
}

static void test_shape_update_delete(void **state)
{
    const struct n1_shape *sh = shape_of(
        *state, "UPDATE users SET name = 'bob', n = n + 1 WHERE id = 5");

    assert_int_equal(sh->verb, N1_VERB_UPDATE);
    assert_span(sh, sh->table, "users");
    assert_int_equal(sh->slots[0].role, N1_SLOT_SET);
    assert_span(sh, sh->slots[0].column, "name");
    assert_int_equal(sh->slots[0].in_where, 0);
    assert_int_equal(sh->slots[1].role, N1_SLOT_SET);
    assert_int_equal(sh->slots[2].role, N1_SLOT_EQ);
    assert_int_equal(sh->slots[2].in_where, 1);

    sh = shape_of(*state, "DELETE FROM sessions WHERE id = 7");
    assert_int_equal(sh->verb, N1_VERB_DELETE);
    assert_span(sh, sh->table, "sessions");
    assert_int_equal(sh->slots[0].role, N1_SLOT_EQ);
}

static void test_shape_aggregate_group_by(void **state)
{
    const struct n1_shape *sh =
        shape_of(*state, "SELECT MAX(cpu) FROM metrics WHERE gid = 7");

    assert_true(sh->has_aggregate);
    assert_int_equal(sh->group_by.len, 0);
    assert_int_equal(sh->where_end, sh->len);

    sh = shape_of(*state, "select count(*) from items where order_id = 3 "
                          "group by kind order by kind");
    assert_true(sh->has_aggregate);
    assert_span(sh, sh->group_by, "kind");
    assert_span(sh, (struct n1_span){0, sh->where_end},
                "select count(*) from items where order_id = ?");
}

static void test_shape_noise(void **state)
{
    static const struct {
        const char *sql;
        enum n1_noise want;
    } cases[] = {
        {"SELECT CONNECTION_ID()", N1_NOISE_SESSION},
        {"select @@version_comment limit 1", N1_NOISE_SESSION},
        {"SELECT DATABASE()", N1_NOISE_SESSION},
        {"SET NAMES utf8mb4", N1_NOISE_SESSION},
        {"SET autocommit=0", N1_NOISE_SESSION},
        {"SHOW WARNINGS", N1_NOISE_SESSION},
        {"select * from information_schema.tables where table_name = 'x'",
         N1_NOISE_SYSTEM},
        {"SELECT * FROM performance_schema.threads", N1_NOISE_SYSTEM},
        {"select user from mysql.user", N1_NOISE_SYSTEM},
        {"BEGIN", N1_NOISE_TXN},
        {"START TRANSACTION", N1_NOISE_TXN},
        {"COMMIT", N1_NOISE_TXN},
        {"ROLLBACK", N1_NOISE_TXN},
        {"select * from users where id = 1", N1_NOISE_NONE},
        {"insert into mysql_logs(a) values(1)", N1_NOISE_NONE},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct n1_shape *sh = shape_of(*state, cases[i].sql);

        if (sh->noise != cases[i].want) {
            fail_msg("%s: noise %s, want %s", cases[i].sql,
                     n1_noise_name(sh->noise), n1_noise_name(cases[i].want));
        }
    }
}

static void test_shape_or_and_subquery(void **state)
{
    const struct n1_shape *sh =
        shape_of(*state, "select * from t where a = 1 or b = 2");

    assert_true(sh->where_has_or);
    sh = shape_of(*state, "select * from t where a in (select b from u "
                          "where c = 1)");
    assert_true(sh->has_subquery);
    assert_int_equal(sh->slots[0].depth, 1);
}

static void test_shape_other_text(void **state)
{
    struct n1_error err;
    struct n1_shape *sh = n1_shape_parse(1, "", 0, &err);

    (void)state;
    assert_non_null(sh);
    assert_int_equal(sh->verb, N1_VERB_OTHER);
    assert_int_equal(sh->n_slots, 0);
    n1_shape_free(sh);
    sh = n1_shape_parse(2, "call p(?, ?)", 12, &err);
    assert_non_null(sh);
    assert_int_equal(sh->verb, N1_VERB_OTHER);
    assert_int_equal(sh->n_slots, 2);
    assert_int_equal(sh->slots[1].role, N1_SLOT_OTHER);
    n1_shape_free(sh);
    n1_shape_free(NULL);
}

static void test_shape_cache_bounded(void **state)
{
    struct n1_error err;
    struct n1_shape_cache *c = n1_shape_cache_new(2, &err);
    struct n1_shape *a;
    struct n1_shape *b;

    (void)state;
    assert_non_null(c);
    a = n1_shape_cache_get(c, 10, "select ?", 8, NULL, &err);
    assert_non_null(a);
    b = n1_shape_cache_get(c, 10, "select ?", 8, NULL, &err);
    assert_ptr_equal(a, b);
    assert_int_equal(n1_shape_cache_evictions(c), 0);
    /* 1000 distinct ids through a cache of 2: it never holds more. */
    for (uint64_t id = 100; id < 1100; id++) {
        int fresh = 0;

        assert_non_null(n1_shape_cache_get(c, id, "select 1", 8, &fresh, &err));
        assert_int_equal(fresh, 1);
    }
    assert_true(n1_shape_cache_evictions(c) >= 998);
    n1_shape_cache_free(c);
    n1_shape_cache_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_shape_story_select, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_shape_eq_both_sides_and_in, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_shape_compound_key, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_shape_ranges_limit_offset, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_shape_insert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shape_update_delete, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_shape_aggregate_group_by, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_shape_noise, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shape_or_and_subquery, setup,
                                        teardown),
        cmocka_unit_test(test_shape_other_text),
        cmocka_unit_test(test_shape_cache_bounded),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
