/* SPDX-License-Identifier: MIT */
/*
 * test_aggregate.c: the per-fingerprint table fed with synthetic events.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "stats/aggregate.h"

/* A synthetic statement: the event and the normaliser output for it. */
struct sample_ev {
    struct n1_event ev;
    struct n1_norm norm;
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;

    for (; *s != '\0'; s++) {
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    }
    return h;
}

static void make_ev(struct sample_ev *se, const char *fp, const char *sql,
                    double qt, int64_t ts, const char *db, const char *user)
{
    memset(se, 0, sizeof(*se));
    se->ev.file = "slow.log";
    se->ev.line = 10;
    se->ev.ts_us = ts;
    se->ev.cmd = N1_CMD_QUERY;
    se->ev.user = user;
    se->ev.host = "10.0.0.1";
    se->ev.db = db;
    se->ev.sql = sql;
    se->ev.sql_len = strlen(sql);
    if (qt >= 0.0) {
        se->ev.metric[N1_M_QUERY_TIME] = qt;
        se->ev.metric[N1_M_ROWS_SENT] = 1.0;
        se->ev.metric_mask = (1u << N1_M_QUERY_TIME) | (1u << N1_M_ROWS_SENT);
    }
    se->norm.text = fp;
    se->norm.len = strlen(fp);
    se->norm.id = fnv1a(fp);
    snprintf(se->norm.hex, sizeof(se->norm.hex), "%016llx",
             (unsigned long long)se->norm.id);
}

static int setup(void **state)
{
    struct n1_agg *agg = n1_agg_new(NULL, NULL);

    if (agg == NULL) {
        return -1;
    }
    *state = agg;
    return 0;
}

static int teardown(void **state)
{
    n1_agg_free(*state);
    return 0;
}

static void test_aggregate_counts_and_stats(void **state)
{
    struct n1_agg *agg = *state;
    struct sample_ev se;
    const struct n1_agg_class *c;
    const struct n1_agg_stats *qt;
    struct n1_error err;
    const char *fp = "select * from t where id = ?";

    for (int i = 1; i <= 10; i++) {
        make_ev(&se, fp, "SELECT * FROM t WHERE id = 1", i * 0.001, 1000000 + i,
                "app", "web");
        assert_int_equal(n1_agg_add(agg, &se.ev, &se.norm, &err), 0);
    }
    /* An event without metrics still counts. */
    make_ev(&se, fp, "SELECT * FROM t WHERE id = 22", -1.0, N1_TS_NONE, "", "");
    assert_int_equal(n1_agg_add(agg, &se.ev, &se.norm, &err), 0);

    assert_int_equal(n1_agg_size(agg), 1);
    assert_int_equal(n1_agg_events(agg), 11);
    c = n1_agg_find(agg, fnv1a(fp));
    assert_non_null(c);
    assert_ptr_equal(c, n1_agg_at(agg, 0));
    assert_null(n1_agg_at(agg, 1));
    assert_null(n1_agg_find(agg, 42));
    assert_string_equal(c->text, fp);
    assert_string_equal(c->hex, se.norm.hex);
    assert_int_equal(c->count, 11);
    assert_int_equal(c->first_seen, 1000001);
    assert_int_equal(c->last_seen, 1000010);

    qt = &c->m[N1_M_QUERY_TIME];
    assert_int_equal(qt->n, 10);
    assert_true(fabs(qt->sum - 0.055) < 1e-12);
    assert_true(qt->min == 0.001);
    assert_true(qt->max == 0.010);
    assert_true(fabs(n1_agg_stats_avg(qt) - 0.0055) < 1e-12);
    /* Population stddev of 1..10 ms is 2.8723 ms. */
    assert_true(fabs(n1_agg_stats_stddev(qt) - 0.0028723) < 1e-6);
    assert_true(fabs(n1_agg_stats_quantile(qt, 0.5) - 0.005) <= 0.005 * 0.01);
    assert_true(fabs(n1_agg_stats_quantile(qt, 0.95) - 0.010) <= 0.010 * 0.01);
    assert_true(n1_agg_stats_quantile(qt, 1.0) <= qt->max);
    assert_int_equal(c->m[N1_M_ROWS_SENT].n, 10);
    assert_int_equal(c->m[N1_M_LOCK_TIME].n, 0);
    assert_int_equal(c->m[N1_AGG_QUERY_LENGTH].n, 11);
    assert_true(c->m[N1_AGG_QUERY_LENGTH].max == 29.0);

    /* Chart: 1 ms .. 9 ms in "1ms", 10 ms in "10ms". */
    assert_int_equal(c->chart[3], 9);
    assert_int_equal(c->chart[4], 1);

    /* Empty db and user are not counted. */
    assert_int_equal(c->dims[N1_DIM_DB].n, 1);
    assert_string_equal(c->dims[N1_DIM_DB].v[0].value, "app");
    assert_int_equal(c->dims[N1_DIM_DB].v[0].count, 10);
    assert_int_equal(c->dims[N1_DIM_HOST].v[0].count, 11);

    /* The slowest statement is the sample. */
    assert_non_null(c->sample);
    assert_true(c->sample_has_qt);
    assert_true(c->sample_qt == 0.010);
    assert_string_equal(c->sample_file, "slow.log");
    assert_int_equal(c->sample_line, 10);
}

static void test_aggregate_sample_first_without_times(void **state)
{
    struct n1_agg *agg = *state;
    struct sample_ev se;
    const struct n1_agg_class *c;

    make_ev(&se, "select ?", "SELECT 1", -1.0, 5, "d", "u");
    assert_int_equal(n1_agg_add(agg, &se.ev, &se.norm, NULL), 0);
    make_ev(&se, "select ?", "SELECT 2", -1.0, 3, "d", "u");
    assert_int_equal(n1_agg_add(agg, &se.ev, &se.norm, NULL), 0);
    c = n1_agg_at(agg, 0);
    assert_string_equal(c->sample, "SELECT 1");
    assert_false(c->sample_has_qt);
    assert_int_equal(c->first_seen, 3);
    assert_int_equal(c->last_seen, 5);
    /* A timed statement beats an untimed one. */
    make_ev(&se, "select ?", "SELECT 3", 0.0, 4, "d", "u");
    assert_int_equal(n1_agg_add(agg, &se.ev, &se.norm, NULL), 0);
    assert_string_equal(c->sample, "SELECT 3");
    assert_int_equal(c->chart[0], 1);
}

static void test_aggregate_caps(void **state)
{
    struct n1_agg_opts opts = {.sample_max = 16};
    struct n1_agg *agg = n1_agg_new(&opts, NULL);
    struct sample_ev se;
    const struct n1_agg_class *c;
    char db[32];
    char longsql[200];
    char longval[200];

    (void)state;
    assert_non_null(agg);
    for (int i = 0; i < 20; i++) {
        snprintf(db, sizeof(db), "db%02d", i);
        make_ev(&se, "fp", "SELECT 1", 0.5, i, db, "u");
        assert_int_equal(n1_agg_add(agg, &se.ev, &se.norm, NULL), 0);
    }
    c = n1_agg_at(agg, 0);
    assert_int_equal(c->dims[N1_DIM_DB].n, N1_AGG_MAX_VALUES);
    assert_int_equal(c->dims[N1_DIM_DB].other, 20 - N1_AGG_MAX_VALUES);
    assert_string_equal(c->dims[N1_DIM_DB].v[0].value, "db00");

    memset(longsql, 'x', sizeof(longsql) - 1);
    longsql[sizeof(longsql) - 1] = '\0';
    memset(longval, 'v', sizeof(longval) - 1);
    longval[sizeof(longval) - 1] = '\0';
    make_ev(&se, "fp2", longsql, 3.0, 1, "d", longval);
    assert_int_equal(n1_agg_add(agg, &se.ev, &se.norm, NULL), 0);
    make_ev(&se, "fp2", longsql, 1.0, 1, "d", longval);
    assert_int_equal(n1_agg_add(agg, &se.ev, &se.norm, NULL), 0);
    c = n1_agg_at(agg, 1);
    assert_int_equal(c->sample_len, 16);
    assert_int_equal(c->sample_full_len, sizeof(longsql) - 1);
    assert_int_equal(strlen(c->dims[N1_DIM_USER].v[0].value),
                     N1_AGG_MAX_VALUE_LEN);
    assert_int_equal(c->dims[N1_DIM_USER].n, 1);
    assert_int_equal(c->dims[N1_DIM_USER].v[0].count, 2);
    n1_agg_free(agg);
}

/* Count of value in list vs, or -1 when it is not listed. */
static long listed(const struct n1_agg_values *vs, const char *value)
{
    for (unsigned i = 0; i < vs->n; i++) {
        if (strcmp(vs->v[i].value, value) == 0) {
            return (long)vs->v[i].count;
        }
    }
    return -1;
}

static void test_aggregate_value_lookup(void **state)
{
    /* Values that share a prefix, a suffix, a length or a first word,
       added in an order that changes every round: each keeps its own
       entry. */
    static const char *const vals[N1_AGG_MAX_VALUES] = {
        "a",         "ab",        "b",           "10.0.3.17",
        "10.0.3.18", "10.0.4.17", "app_user_01", "app_user_0123456",
    };
    const struct n1_agg_values *vs;
    struct n1_agg_class c;
    char x[100];

    (void)state;
    n1_agg_class_init(&c);
    for (unsigned r = 0; r < 4; r++) {
        for (unsigned i = 0; i < N1_AGG_MAX_VALUES; i++) {
            unsigned j = (i * 3 + r) % N1_AGG_MAX_VALUES;

            assert_int_equal(
                n1_agg_class_add_value(&c, N1_DIM_HOST, vals[j], j + 1), 0);
        }
    }
    vs = &c.dims[N1_DIM_HOST];
    assert_int_equal(vs->n, N1_AGG_MAX_VALUES);
    /* First seen in round 0: j = 0, 3, 6, 1, 4, 7, 2, 5. */
    assert_string_equal(vs->v[1].value, "10.0.3.17");
    assert_string_equal(vs->v[7].value, "10.0.4.17");
    for (unsigned j = 0; j < N1_AGG_MAX_VALUES; j++) {
        assert_int_equal(listed(vs, vals[j]), 4 * (j + 1));
    }
    /* A prefix and an extension of listed values are new values. */
    assert_int_equal(n1_agg_class_add_value(&c, N1_DIM_HOST, "10.0.3.1", 1), 0);
    assert_int_equal(
        n1_agg_class_add_value(&c, N1_DIM_HOST, "app_user_01234567", 1), 0);
    assert_int_equal(vs->other, 2);

    /* Values past N1_AGG_MAX_VALUE_LEN bytes count as their cut: the
       same cut is one entry, one byte shorter another. */
    memset(x, 'x', sizeof(x) - 1);
    x[sizeof(x) - 1] = '\0';
    assert_int_equal(n1_agg_class_add_value(&c, N1_DIM_USER, x, 1), 0);
    x[N1_AGG_MAX_VALUE_LEN] = 'y';
    assert_int_equal(n1_agg_class_add_value(&c, N1_DIM_USER, x, 1), 0);
    x[N1_AGG_MAX_VALUE_LEN - 1] = '\0';
    assert_int_equal(n1_agg_class_add_value(&c, N1_DIM_USER, x, 5), 0);
    assert_int_equal(n1_agg_class_add_value(&c, N1_DIM_USER, x, 1), 0);
    vs = &c.dims[N1_DIM_USER];
    assert_int_equal(vs->n, 2);
    assert_int_equal(strlen(vs->v[0].value), N1_AGG_MAX_VALUE_LEN);
    assert_int_equal(vs->v[0].count, 2);
    assert_int_equal(strlen(vs->v[1].value), N1_AGG_MAX_VALUE_LEN - 1);
    assert_int_equal(vs->v[1].count, 6);
    assert_int_equal(listed(&c.dims[N1_DIM_DB], "a"), -1);
    n1_agg_class_cleanup(&c);
}

static void test_aggregate_many_classes_and_reset(void **state)
{
    struct n1_agg *agg = *state;
    struct sample_ev se;
    char fp[64];
    struct n1_agg_class tot;
    size_t mem;

    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 5000; i++) {
            snprintf(fp, sizeof(fp), "select c%d from t where id = ?", i);
            make_ev(&se, fp, "SELECT c FROM t WHERE id = 1", 0.001 * (i % 9), i,
                    "app", "web");
            assert_int_equal(n1_agg_add(agg, &se.ev, &se.norm, NULL), 0);
            assert_int_equal(n1_agg_add(agg, &se.ev, &se.norm, NULL), 0);
        }
        assert_int_equal(n1_agg_size(agg), 5000);
        for (int i = 0; i < 5000; i += 499) {
            const struct n1_agg_class *c;

            snprintf(fp, sizeof(fp), "select c%d from t where id = ?", i);
            c = n1_agg_find(agg, fnv1a(fp));
            assert_non_null(c);
            assert_int_equal(c->count, 2);
            assert_ptr_equal(c, n1_agg_at(agg, (size_t)i));
        }
        n1_agg_class_init(&tot);
        assert_int_equal(n1_agg_totals(agg, &tot, NULL), 0);
        assert_int_equal(tot.count, 10000);
        assert_int_equal(tot.id, 0);
        assert_null(tot.text);
        assert_int_equal(tot.m[N1_M_QUERY_TIME].n, 10000);
        assert_true(tot.m[N1_M_QUERY_TIME].max == 0.008);
        assert_int_equal(tot.first_seen, 0);
        assert_int_equal(tot.last_seen, 4999);
        n1_agg_class_cleanup(&tot);
        mem = n1_agg_memory(agg);
        print_message("memory: %zu classes, %zu bytes, %zu per class\n",
                      n1_agg_size(agg), mem, mem / n1_agg_size(agg));
        assert_true(mem / n1_agg_size(agg) < 2048);
        n1_agg_reset(agg);
        assert_int_equal(n1_agg_size(agg), 0);
        assert_int_equal(n1_agg_events(agg), 0);
        assert_null(n1_agg_find(agg, fnv1a(fp)));
    }
}

static void test_aggregate_class_merge(void **state)
{
    struct n1_agg *a = *state;
    struct n1_agg *b = n1_agg_new(NULL, NULL);
    struct n1_agg *all = n1_agg_new(NULL, NULL);
    struct sample_ev se;
    struct n1_agg_class m;
    const struct n1_agg_class *want;

    for (int i = 0; i < 300; i++) {
        char sql[32];

        snprintf(sql, sizeof(sql), "SELECT %d", i);
        make_ev(&se, "select ?", sql, 1e-5 * (i % 50) + (i == 123 ? 20 : 0),
                1000 - i, i % 2 ? "odd" : "even", "u");
        assert_int_equal(n1_agg_add(i < 100 ? a : b, &se.ev, &se.norm, NULL),
                         0);
        assert_int_equal(n1_agg_add(all, &se.ev, &se.norm, NULL), 0);
    }
    n1_agg_class_init(&m);
    assert_int_equal(n1_agg_class_merge(&m, n1_agg_at(a, 0), 0, NULL), 0);
    assert_int_equal(n1_agg_class_merge(&m, n1_agg_at(b, 0), 0, NULL), 0);
    want = n1_agg_at(all, 0);
    assert_int_equal(m.id, want->id);
    assert_string_equal(m.text, want->text);
    assert_int_equal(m.count, want->count);
    assert_int_equal(m.first_seen, want->first_seen);
    assert_int_equal(m.last_seen, want->last_seen);
    assert_memory_equal(m.chart, want->chart, sizeof(m.chart));
    assert_int_equal(m.chart[7], 1);
    for (unsigned k = 0; k < N1_AGG_NMETRICS; k++) {
        assert_int_equal(m.m[k].n, want->m[k].n);
        assert_true(m.m[k].min == want->m[k].min);
        assert_true(m.m[k].max == want->m[k].max);
        assert_true(fabs(m.m[k].sum - want->m[k].sum) < 1e-9);
        assert_int_equal(m.m[k].hist.n, want->m[k].hist.n);
        assert_memory_equal(m.m[k].hist.b, want->m[k].hist.b,
                            want->m[k].hist.n * sizeof(uint64_t));
    }
    assert_string_equal(m.sample, "SELECT 123");
    assert_int_equal(m.dims[N1_DIM_DB].n, 2);
    assert_int_equal(
        m.dims[N1_DIM_DB].v[0].count + m.dims[N1_DIM_DB].v[1].count, 300);
    assert_true(n1_agg_class_memory(&m) > sizeof(m));
    n1_agg_class_cleanup(&m);
    n1_agg_class_cleanup(NULL);
    n1_agg_free(b);
    n1_agg_free(all);
    n1_agg_free(NULL);
}

static void test_aggregate_names(void **state)
{
    (void)state;
    assert_string_equal(n1_agg_metric_name(N1_M_QUERY_TIME), "Query_time");
    assert_string_equal(n1_agg_metric_name(N1_AGG_QUERY_LENGTH),
                        "Query_length");
    assert_null(n1_agg_metric_name(N1_AGG_NMETRICS));
    assert_string_equal(n1_agg_dim_name(N1_DIM_HOST), "host");
    assert_null(n1_agg_dim_name(N1_DIM_COUNT));
    assert_string_equal(n1_agg_chart_label(7), "10s+");
    assert_null(n1_agg_chart_label(8));
    assert_int_equal(n1_agg_chart_bucket(NAN), 0);
    assert_int_equal(n1_agg_chart_bucket(0.0000099), 0);
    assert_int_equal(n1_agg_chart_bucket(0.00001), 1);
    assert_int_equal(n1_agg_chart_bucket(0.5), 5);
    assert_int_equal(n1_agg_chart_bucket(1.0), 6);
    assert_int_equal(n1_agg_chart_bucket(10.0), 7);
    assert_int_equal(n1_agg_chart_bucket(1e9), 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_aggregate_counts_and_stats, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_aggregate_sample_first_without_times, setup, teardown),
        cmocka_unit_test(test_aggregate_caps),
        cmocka_unit_test(test_aggregate_value_lookup),
        cmocka_unit_test_setup_teardown(test_aggregate_many_classes_and_reset,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_aggregate_class_merge, setup,
                                        teardown),
        cmocka_unit_test(test_aggregate_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
