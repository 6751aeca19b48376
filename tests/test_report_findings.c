/* SPDX-License-Identifier: MIT */
/*
 * test_report_findings.c: findings to JSON and back, the ranking, the text
 * report, and the store's findings table (save, replace, list).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/event.h"
#include "base/finding.h"
#include "report/findings.h"
#include "store/store.h"

static const char *const cols[] = {"orders.id"};
static const uint64_t conns[] = {60, 61, 62, 63, 64};
static const struct n1_kv tags[] = {
    {"controller", "set'tings"},
    {"file", "utils.py:42"},
};

/* A loop with every field set, and log text that is not UTF-8. */
static void sample_finding(struct n1_finding *f)
{
    memset(f, 0, sizeof(*f));
    f->id = 0x5918f01dfc0cae25ULL;
    f->kind = N1_FIND_N_PLUS_ONE;
    f->severity = N1_SEV_ERROR;
    f->statement = "select";
    f->table = "orders";
    f->key_columns = cols;
    f->n_key_columns = 1;
    f->connection = 41;
    f->count = 2500;
    f->distinct_keys = 2400;
    f->round_trips_saved = 2497;
    f->fingerprint = 0x046575fb2fcc0a19ULL;
    f->fingerprint_text = "select * from orders where orders.id = ?";
    f->sample = "SELECT * FROM orders WHERE orders.id = 'a\xff\"\\'";
    f->first_seen_us = 1795165443000000LL;
    f->last_seen_us = 1795165452123456LL;
    f->total_time_s = 1.25;
    f->has_parent = 1;
    f->parent_fingerprint = 0x8085d88af51ee888ULL;
    f->parent_table = "customers";
    f->parent_rows_sent = 40;
    f->tags = tags;
    f->n_tags = 2;
    f->location = "utils.py:42";
    f->rewrite = "select * from orders where orders.id in (1, 2)";
    f->rewrite_kind = "in_list";
    f->advice = "Load them all at once.";
    f->file = "app.log";
    f->line = 9;
}

static void test_report_findings_json_round_trip(void **state)
{
    struct n1_finding f;
    struct n1_finding *back = NULL;
    struct n1_error err;
    struct n1_report_opts ro = {1000};
    char *json = NULL;
    char *again = NULL;

    (void)state;
    sample_finding(&f);
    json = n1_finding_to_json(&f, &ro, &err);
    assert_non_null(json);
    /* The bad byte is repaired, quotes and backslashes escaped. */
    assert_non_null(strstr(json, "'a\xef\xbf\xbd\\\"\\\\'"));
    assert_non_null(strstr(json, "\"round_trips_saved\":2497"));
    assert_non_null(
        strstr(json, "\"last_seen\":\"2026-11-20T09:04:12.123456Z\""));
    back = n1_finding_from_json(json, strlen(json), &err);
    assert_non_null(back);
    assert_true(back->id == f.id);
    assert_int_equal(back->kind, f.kind);
    assert_int_equal(back->severity, f.severity);
    assert_string_equal(back->table, "orders");
    assert_int_equal(back->n_key_columns, 1);
    assert_string_equal(back->key_columns[0], "orders.id");
    assert_int_equal(back->connection, 41);
    assert_int_equal(back->count, 2500);
    assert_int_equal(back->round_trips_saved, 2497);
    assert_true(back->first_seen_us == f.first_seen_us);
    assert_true(back->last_seen_us == f.last_seen_us);
    assert_true(fabs(back->total_time_s - 1.25) < 1e-9);
    assert_true(back->has_parent);
    assert_string_equal(back->parent_table, "customers");
    assert_int_equal(back->n_tags, 2);
    assert_string_equal(back->tags[0].value, "set'tings");
    assert_string_equal(back->location, "utils.py:42");
    assert_string_equal(back->file, "app.log");
    assert_int_equal(back->line, 9);
    /* Rendering the copy gives the same text: the store's copy prints
       exactly what the first run printed. */
    again = n1_finding_to_json(back, &ro, &err);
    assert_non_null(again);
    assert_string_equal(json, again);
    free(json);
    free(again);
    n1_finding_free(back);
}

static void test_report_findings_fanout_and_nulls(void **state)
{
    struct n1_finding f;
    struct n1_finding *back = NULL;
    struct n1_error err;
    char *json = NULL;

    (void)state;
    memset(&f, 0, sizeof(f));
    f.kind = N1_FIND_FANOUT;
    f.statement = "select";
    f.table = "metrics";
    f.connections = conns;
    f.n_connections = 5;
    f.count = 5;
    f.distinct_keys = 5;
    f.first_seen_us = N1_TS_NONE;
    f.last_seen_us = N1_TS_NONE;
    f.total_time_s = NAN;
    f.parent_rows_sent = NAN;
    json = n1_finding_to_json(&f, NULL, &err);
    assert_non_null(json);
    assert_null(strstr(json, "\"connection\":"));
    assert_non_null(strstr(json, "\"connections\":[60,61,62,63,64]"));
    assert_non_null(strstr(json, "\"total_time_s\":null"));
    assert_non_null(strstr(json, "\"parent\":null"));
    assert_non_null(strstr(json, "\"first_seen\":null"));
    back = n1_finding_from_json(json, strlen(json), &err);
    assert_non_null(back);
    assert_int_equal(back->n_connections, 5);
    assert_int_equal(back->connections[4], 64);
    assert_true(isnan(back->total_time_s));
    assert_true(back->first_seen_us == N1_TS_NONE);
    assert_false(back->has_parent);
    free(json);
    n1_finding_free(back);
}

static void test_report_findings_from_json_rejects(void **state)
{
    struct n1_error err;
    static const char *const bad[] = {
        "",
        "[]",
        "{\"kind\":\"n_plus_one\"}",
        "{\"kind\":\"loop\",\"id\":\"0000000000000001\","
        "\"fingerprint\":\"0000000000000002\"}",
        "{\"kind\":\"duplicate\",\"id\":\"xyz\"}",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        n1_err_clear(&err);
        assert_null(n1_finding_from_json(bad[i], strlen(bad[i]), &err));
        assert_int_equal(err.code, N1_EPARSE);
    }
}

static void test_report_findings_rank(void **state)
{
    struct n1_finding a, b, c;
    struct n1_finding *v[3];

    (void)state;
    sample_finding(&a); /* 1.25 s */
    sample_finding(&b);
    b.total_time_s = NAN; /* 2500 x 1 ms = 2.5 s */
    sample_finding(&c);
    c.total_time_s = 0.5;
    v[0] = &c;
    v[1] = &a;
    v[2] = &b;
    n1_findings_rank(v, 3);
    assert_ptr_equal(v[0], &b);
    assert_ptr_equal(v[1], &a);
    assert_ptr_equal(v[2], &c);
}

static void test_report_findings_text(void **state)
{
    struct n1_finding f;
    const struct n1_finding *v[1];
    struct n1_report_input in = {"app.log", "mysql-general", 10, 0,
                                 N1_INPUT_READ};
    struct n1_error err;
    char *buf = NULL;
    size_t len = 0;
    FILE *out;

    (void)state;
    sample_finding(&f);
    f.sample = "SELECT 1 /* \x1b[31m */";
    v[0] = &f;
    out = open_memstream(&buf, &len);
    assert_non_null(out);
    assert_int_equal(n1_report_findings_text(out, v, 1, &in, 1, NULL, &err), 0);
    fclose(out);
    assert_non_null(strstr(buf, "[1] N+1 loop (error): select on orders"));
    assert_non_null(
        strstr(buf, "\nselect * from orders where orders.id in (1, 2);\n"));
    assert_non_null(strstr(buf, "parent      SELECT on customers"));
    assert_non_null(strstr(buf, "location    utils.py:42"));
    assert_null(strchr(buf, '\x1b'));
    assert_non_null(strstr(buf, "; the fix saves 2497 round trips\n"));
    free(buf);
}

/*
 * The round trips saved are the detector's figure, shown as given: the
 * report does not work them out again from the kind, the keys or the
 * rewrite (a range loop saves count - 1 with no statement to run).
 */
static void test_report_findings_saved_from_finding(void **state)
{
    struct n1_finding f;
    const struct n1_finding *v[1];
    struct n1_error err;
    char *json = NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *out;

    (void)state;
    sample_finding(&f);
    f.rewrite = NULL;
    f.rewrite_kind = "grouped_ranges";
    f.severity = N1_SEV_INFO;
    f.count = 10;
    f.round_trips_saved = 9;
    json = n1_finding_to_json(&f, NULL, &err);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"round_trips_saved\":9,"));
    free(json);
    f.kind = N1_FIND_DUPLICATE;
    f.rewrite_kind = NULL;
    f.round_trips_saved = 0; /* whatever the detector said */
    v[0] = &f;
    out = open_memstream(&buf, &len);
    assert_non_null(out);
    assert_int_equal(n1_report_findings_text(out, v, 1, NULL, 0, NULL, &err),
                     0);
    fclose(out);
    assert_non_null(strstr(buf, "; the fix saves 0 round trips\n"));
    free(buf);
}

static void test_report_findings_store(void **state)
{
    struct n1_store *st = NULL;
    struct n1_store_cursor *cur = NULL;
    const struct n1_store_finding *row;
    struct n1_store_finding f[3];
    struct n1_error err;
    const char *replace[] = {"a.log"};
    int n = 0;

    (void)state;
    st = n1_store_open(":memory:", NULL, &err);
    assert_non_null(st);
    memset(f, 0, sizeof(f));
    for (int i = 0; i < 3; i++) {
        f[i].id = 0x8000000000000001ULL + (uint64_t)i; /* top bit set */
        f[i].kind = "n_plus_one";
        f[i].fingerprint = 7;
        f[i].file = i < 2 ? "a.log" : "b.log";
        f[i].line = (unsigned long)i + 1;
        f[i].first_seen_us = i == 0 ? N1_TS_NONE : 1000;
        f[i].last_seen_us = N1_TS_NONE;
        f[i].count = 5;
        f[i].json = "{\"x\":\"it's; DROP TABLE findings\"}";
        f[i].json_len = strlen(f[i].json);
    }
    assert_int_equal(n1_store_save_findings(st, NULL, 0, f, 3, &err), 0);
    cur = n1_store_findings(st, "a.log", &err);
    assert_non_null(cur);
    while (n1_store_next_finding(cur, &row, &err) == 1) {
        assert_string_equal(row->file, "a.log");
        assert_true(row->id == f[n].id);
        assert_string_equal(row->json, f[0].json);
        assert_true(row->first_seen_us == f[n].first_seen_us);
        n++;
    }
    n1_store_cursor_free(cur);
    assert_int_equal(n, 2);
    /* Reading a.log again replaces its findings, b.log keeps its own. */
    assert_int_equal(n1_store_save_findings(st, replace, 1, &f[0], 1, &err), 0);
    cur = n1_store_findings(st, NULL, &err);
    assert_non_null(cur);
    n = 0;
    while (n1_store_next_finding(cur, &row, &err) == 1) {
        n++;
    }
    n1_store_cursor_free(cur);
    assert_int_equal(n, 2);
    n1_store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_findings_json_round_trip),
        cmocka_unit_test(test_report_findings_saved_from_finding),
        cmocka_unit_test(test_report_findings_fanout_and_nulls),
        cmocka_unit_test(test_report_findings_from_json_rejects),
        cmocka_unit_test(test_report_findings_rank),
        cmocka_unit_test(test_report_findings_text),
        cmocka_unit_test(test_report_findings_store),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
