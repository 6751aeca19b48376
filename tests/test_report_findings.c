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
#include <jansson.h>

#include "base/event.h"
#include "base/finding.h"
#include "base/strbuf.h"
#include "helpers.h"
#include "report/classes.h"
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

/* Saves the n findings of v (as the store keeps them) into st. */
static void save_all(struct n1_store *st, const struct n1_finding *v, size_t n)
{
    struct n1_store_finding rows[8];
    char *json[8];
    struct n1_error err;

    assert_true(n <= 8);
    memset(rows, 0, sizeof(rows));
    for (size_t i = 0; i < n; i++) {
        json[i] = n1_finding_to_json(&v[i], NULL, &err);
        assert_non_null(json[i]);
        rows[i].id = v[i].id;
        rows[i].kind = n1_finding_kind_name(v[i].kind);
        rows[i].fingerprint = v[i].fingerprint;
        rows[i].file = v[i].file;
        rows[i].line = v[i].line;
        rows[i].first_seen_us = v[i].first_seen_us;
        rows[i].last_seen_us = v[i].last_seen_us;
        rows[i].count = v[i].count;
        rows[i].json = json[i];
        rows[i].json_len = strlen(json[i]);
    }
    assert_int_equal(n1_store_save_findings(st, NULL, 0, rows, n, &err), 0);
    for (size_t i = 0; i < n; i++) {
        free(json[i]);
    }
}

/*
 * Five occurrences: three of class A (connections 41, 42, 41; files
 * app.log and b.log; 10, 40 and 25 iterations, 0.1 + 0.2 + 0.3 s), two of
 * class B (no timings: ranked as 2 x 1000 x 1 ms = 2 s, above A's 0.6 s).
 */
static void five_occurrences(struct n1_finding v[5])
{
    static const uint64_t counts[5] = {10, 40, 25, 1000, 1000};
    static const uint64_t conn[5] = {41, 42, 41, 7, 8};
    static const char *const files[5] = {"app.log", "b.log", "app.log",
                                         "app.log", "app.log"};

    for (int i = 0; i < 5; i++) {
        sample_finding(&v[i]);
        v[i].id = i < 3 ? 0xaaULL : 0xbbULL;
        v[i].count = counts[i];
        v[i].round_trips_saved = counts[i] - 1;
        v[i].distinct_keys = counts[i];
        v[i].connection = conn[i];
        v[i].file = files[i];
        v[i].line = (unsigned long)(10 * (i + 1));
        v[i].first_seen_us = 1000000LL * (100 + i);
        v[i].last_seen_us = 1000000LL * (100 + i) + 500;
        v[i].total_time_s = i < 3 ? 0.1 * (i + 1) : NAN;
    }
    v[1].rewrite = "select 40";
    v[1].evidence.confidence = N1_CONF_HIGH;
    v[1].evidence.starts = N1_BOUND_RESET;
    v[0].evidence.confidence = N1_CONF_MEDIUM;
    v[0].evidence.ends = N1_BOUND_TRACE;
}

/* A time window over first_seen, as analyze --since/--until keep. */
struct window {
    int64_t since;
    int64_t until;
};

static int keep_window(void *ud, const struct n1_finding *f)
{
    const struct window *w = ud;

    return f->first_seen_us >= w->since && f->first_seen_us < w->until;
}

static void test_report_findings_classes(void **state)
{
    struct n1_finding v[5];
    struct n1_class_set set;
    struct n1_store *st;
    struct n1_error err;
    const struct n1_finding_class *a;
    struct window w = {1000000LL * 101, 1000000LL * 104};

    (void)state;
    five_occurrences(v);
    st = n1_store_open(":memory:", NULL, &err);
    assert_non_null(st);
    save_all(st, v, 5);
    assert_int_equal(n1_classes_build(st, NULL, NULL, &set, &err), 0);
    assert_int_equal(set.n, 2);
    n1_classes_rank(&set);
    /* B first: 2 s estimated against A's 0.6 s. */
    assert_true(set.v[0].f->id == 0xbbULL);
    assert_int_equal(set.v[0].occurrences, 2);
    assert_true(isnan(set.v[0].f->total_time_s));
    a = &set.v[1];
    assert_true(a->f->id == 0xaaULL);
    assert_int_equal(a->occurrences, 3);
    assert_int_equal(a->iter_min, 10);
    assert_int_equal(a->iter_median, 25);
    assert_int_equal(a->iter_max, 40);
    assert_int_equal(a->connections, 2);
    assert_int_equal(a->f->count, 75);
    assert_int_equal(a->f->round_trips_saved, 72);
    assert_int_equal(a->f->distinct_keys, 40);
    assert_true(fabs(a->f->total_time_s - 0.6) < 1e-9);
    /* The representative has the most iterations; file and times are
       the first occurrence's and the class's span. */
    assert_string_equal(a->f->rewrite, "select 40");
    assert_string_equal(a->f->file, "app.log");
    assert_int_equal(a->f->line, 10);
    assert_true(a->f->first_seen_us == 1000000LL * 100);
    assert_true(a->f->last_seen_us == 1000000LL * 102 + 500);
    assert_int_equal(a->by_confidence[N1_CONF_HIGH], 1);
    assert_int_equal(a->by_confidence[N1_CONF_MEDIUM], 1);
    assert_int_equal(a->by_confidence[N1_CONF_LOW], 1);
    assert_true(a->starts & (1u << N1_BOUND_RESET));
    assert_true(a->ends & (1u << N1_BOUND_TRACE));
    n1_classes_truncate(&set, 1);
    assert_int_equal(set.n, 1);
    n1_classes_free(&set);

    /* A window keeps occurrences 1..3 (times 101..103): A's 40 and 25
       iterations on 42 and 41, and B's first. */
    assert_int_equal(n1_classes_build(st, keep_window, &w, &set, &err), 0);
    assert_int_equal(set.n, 2);
    assert_true(set.v[0].f->id == 0xaaULL);
    assert_int_equal(set.v[0].occurrences, 2);
    assert_int_equal(set.v[0].iter_min, 25);
    assert_int_equal(set.v[0].iter_median, 25);
    assert_int_equal(set.v[0].f->line, 20);
    assert_int_equal(set.v[1].occurrences, 1);
    n1_classes_free(&set);
    n1_store_close(st);
}

/* Renders the classes of the findings v into a string (text or JSON);
   max_listed 0 is --full: every occurrence, long rewrites whole. */
static char *render(const struct n1_finding *v, size_t n, int json,
                    size_t max_listed)
{
    struct n1_report_input in = {"app.log", "mysql-general", 10, 0,
                                 N1_INPUT_READ};
    struct n1_class_report r;
    struct n1_class_set set;
    struct n1_store *st;
    struct n1_error err;
    char *buf = NULL;
    size_t len = 0;
    FILE *out;

    st = n1_store_open(":memory:", NULL, &err);
    assert_non_null(st);
    save_all(st, v, n);
    assert_int_equal(n1_classes_build(st, NULL, NULL, &set, &err), 0);
    n1_classes_rank(&set);
    memset(&r, 0, sizeof(r));
    r.st = st;
    r.in = &in;
    r.n_in = 1;
    r.max_listed = max_listed;
    r.full = max_listed == 0;
    out = open_memstream(&buf, &len);
    assert_non_null(out);
    if (json) {
        assert_int_equal(n1_report_classes_json(out, &set, &r, &err), 0);
    } else {
        assert_int_equal(n1_report_classes_text(out, &set, &r, &err), 0);
    }
    fclose(out);
    n1_classes_free(&set);
    n1_store_close(st);
    return buf;
}

static void test_report_findings_text(void **state)
{
    struct n1_finding f[5];
    char *buf;

    (void)state;
    sample_finding(&f[0]);
    f[0].sample = "SELECT 1 /* \x1b[31m */";
    buf = render(f, 1, 0, 3);
    th_assert_contains(
        buf,
        (const char *const[]){
            "1 finding class in 1 input",
            "[1] N+1 loop (error): select on orders",
            "\nselect * from orders where orders.id in (1, 2);\n",
            "parent      SELECT on customers", "location    utils.py:42",
            "connection  41\n", "occurrences 1; iterations 2500 min", NULL});
    assert_null(strchr(buf, '\x1b'));
    assert_non_null(
        strstr(buf, "\n                the fix saves 2497 round trips\n"));
    free(buf);

    /* Class A lists two of its three occurrences and says one more. */
    five_occurrences(f);
    buf = render(f, 5, 0, 2);
    th_assert_contains(buf, (const char *const[]){
                                "2 finding classes in 1 input",
                                "[2] N+1 loop (error): select on orders, "
                                "75 times\n",
                                "connections 2 distinct\n",
                                "occurrences 3; iterations 10 min, 25 "
                                "median, 40 max\n",
                                "confidence  high 1, medium 1, low 1\n",
                                "      - conn 41, 10 times, app.log:10, ",
                                "      - conn 42, 40 times, b.log:20, ", NULL});
    assert_null(strstr(buf, "app.log:30"));
    assert_non_null(strstr(buf, "      ... 1 more (--full lists every one)"));
    assert_non_null(strstr(buf, "\nselect 40;\n"));
    free(buf);
    buf = render(f, 5, 0, 0);
    assert_non_null(strstr(buf, "      - conn 41, 25 times, app.log:30, "));
    assert_null(strstr(buf, "more (--full"));
    free(buf);
}

/*
 * Fails unless every line of the text report buf fits 80 columns, but
 * for those holding SQL: the line after a bare "statement" label, and a
 * rewrite block (from the blank line after a line ending in ':' to the
 * next blank line).
 */
static void assert_fits(const char *buf)
{
    const char *p = buf;
    int prev_colon = 0;
    int sql = 0;
    int after_label = 0;

    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);

        if (len == 0) {
            sql = sql ? 0 : prev_colon;
        } else if (sql || after_label) {
            after_label = 0;
        } else {
            after_label = len == 13 && memcmp(p, "    statement", 13) == 0;
            if (len > 80) {
                fprintf(stderr, "line of %zu columns: %.*s\n", len, (int)len,
                        p);
            }
            assert_true(len <= 80);
        }
        prev_colon = len > 0 && p[len - 1] == ':';
        p += len + (nl != NULL);
    }
}

/* Long paths, tags, key columns and statements: the prose wraps, paths
   are shortened around "..." keeping the file name, the SQL stays whole;
   the JSON keeps the whole path. */
static void test_report_findings_text_columns(void **state)
{
    static const char *const many_cols[] = {
        "order_items.order_id", "order_items.warehouse_id",
        "order_items.product_variant_id", "order_items.fulfilment_centre"};
    static const struct n1_kv long_tags[] = {
        {"controller", "AdministrativeReportingDashboardController"},
        {"action", "renderQuarterlyRevenueBreakdownByRegion"},
        {"route", "/admin/reports/quarterly/revenue/by-region/detailed"}};
    const char *dir = "/var/lib/mysql/replicas/eu-west-1/primary/archive/"
                      "2026/11/20/hourly/";
    char path[256];
    char sql[300];
    struct n1_finding f;
    char *buf;

    (void)state;
    snprintf(path, sizeof(path), "%sgeneral-query.log", dir);
    memset(sql, 'x', sizeof(sql) - 1);
    sql[sizeof(sql) - 1] = '\0';
    memcpy(sql, "SELECT ", 7);
    sample_finding(&f);
    f.file = path;
    f.table = "order_items_with_a_rather_long_table_name_for_archival";
    f.key_columns = many_cols;
    f.n_key_columns = 4;
    f.tags = long_tags;
    f.n_tags = 3;
    f.location = "/srv/app/releases/20261120091403/app/models/concerns/"
                 "order_items/loading.rb:42";
    f.sample = sql;
    buf = render(&f, 1, 0, 3);
    assert_fits(buf);
    th_assert_contains(
        buf,
        (const char *const[]){
            "    seen        /var/lib/mysql/", ".../general-query.log:9\n",
            ".../loading.rb:42", "    statement\n                SELECT xxx",
            "fulfilment_centre;\n                2400 distinct", NULL});
    free(buf);
    buf = render(&f, 1, 1, 3);
    assert_non_null(strstr(buf, path));
    free(buf);
}

/* A rewrite longer than a screen shows the first and last values of its
   longest list around "... N more ..." (quoted commas are not list
   commas), says it is shortened and how to get it whole; --full and JSON
   have it whole. */
static void test_report_findings_long_rewrite(void **state)
{
    struct n1_strbuf sb;
    struct n1_finding f;
    char v[64];
    char *buf;

    (void)state;
    n1_strbuf_init(&sb, 0);
    n1_strbuf_puts(&sb, "SELECT a, b FROM t WHERE (k, n) IN (");
    for (int i = 1; i <= 1000; i++) {
        snprintf(v, sizeof(v), "%s('k,%d', %d)", i > 1 ? ", " : "", i, i);
        n1_strbuf_puts(&sb, v);
    }
    n1_strbuf_puts(&sb, ")");
    sample_finding(&f);
    f.rewrite = n1_strbuf_str(&sb);
    f.rewrite_kind = "row_in";
    f.distinct_keys = 1200;
    buf = render(&f, 1, 0, 3);
    assert_fits(buf);
    th_assert_contains(buf, (const char *const[]){
                                "row_in of 1000 values, covering 1000 of the "
                                "1200 keys",
                                "shortened here, not for pasting:\n\n",
                                "\nSELECT a, b FROM t WHERE (k, n) IN (('k,1'"
                                ", 1), ('k,2', 2), ('k,3', 3), ... 994 more "
                                "..., ('k,998', 998), ('k,999', 999), "
                                "('k,1000', 1000))\n\n",
                                NULL});
    free(buf);
    buf = render(&f, 1, 0, 0);
    assert_non_null(strstr(buf, "row_in, ready to paste:\n\n"));
    assert_non_null(strstr(buf, f.rewrite));
    assert_null(strstr(buf, "more ..."));
    free(buf);
    buf = render(&f, 1, 1, 3);
    assert_non_null(strstr(buf, "('k,500', 500), ('k,501', 501)"));
    free(buf);
    n1_strbuf_cleanup(&sb);
}

/* The JSON document: classes with their occurrences, in time order. */
static void test_report_findings_classes_json(void **state)
{
    struct n1_finding f[5];
    json_t *root;
    json_t *a;
    json_t *occ;
    json_error_t jerr;
    char *buf;

    (void)state;
    five_occurrences(f);
    buf = render(f, 5, 1, 3);
    root = json_loads(buf, 0, &jerr);
    assert_non_null(root);
    assert_non_null(json_object_get(root, "tool"));
    assert_non_null(json_object_get(root, "inputs"));
    assert_null(json_object_get(root, "findings"));
    assert_int_equal(json_array_size(json_object_get(root, "classes")), 2);
    a = json_array_get(json_object_get(root, "classes"), 1);
    assert_string_equal(json_string_value(json_object_get(a, "id")),
                        "00000000000000aa");
    assert_int_equal(json_integer_value(json_object_get(a, "count")), 75);
    assert_int_equal(json_integer_value(json_object_get(a, "occurrence_count")),
                     3);
    assert_int_equal(json_integer_value(json_object_get(a, "connection_count")),
                     2);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(a, "iterations"), "median")),
                     25);
    assert_null(json_object_get(a, "connection"));
    occ = json_object_get(a, "occurrences");
    assert_int_equal(json_array_size(occ), 3);
    assert_int_equal(json_integer_value(
                         json_object_get(json_array_get(occ, 1), "connection")),
                     42);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(occ, 1), "rewrite")),
        "select 40");
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_array_get(occ, 1), "evidence"), "starts")),
        "reset");
    assert_true(json_is_null(json_object_get(
        json_object_get(json_array_get(occ, 1), "evidence"), "rows_match")));
    json_decref(root);
    free(buf);
}

/* A stored occurrence keeps its class id and evidence. */
static void test_report_findings_evidence_roundtrip(void **state)
{
    static const uint64_t body[] = {0x1234, 0xabcdef0123456789ULL};
    struct n1_finding f;
    struct n1_finding *back;
    struct n1_error err;
    char *json;

    (void)state;
    sample_finding(&f);
    f.evidence.starts = N1_BOUND_TRACE;
    f.evidence.ends = N1_BOUND_GAP;
    f.evidence.body = body;
    f.evidence.n_body = 2;
    f.evidence.rows_match = -1;
    f.evidence.no_conn_ids = 1;
    f.evidence.span_us = 1500000;
    f.evidence.confidence = N1_CONF_HIGH;
    json = n1_finding_to_json(&f, NULL, &err);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"class\":\"5918f01dfc0cae25\""));
    assert_non_null(strstr(json, "\"body\":[\"0000000000001234\","
                                 "\"abcdef0123456789\"]"));
    assert_non_null(strstr(json, "\"rows_match\":false"));
    assert_non_null(strstr(json, "\"span_s\":1.5"));
    back = n1_finding_from_json(json, strlen(json), &err);
    assert_non_null(back);
    assert_int_equal(back->evidence.starts, N1_BOUND_TRACE);
    assert_int_equal(back->evidence.ends, N1_BOUND_GAP);
    assert_int_equal(back->evidence.n_body, 2);
    assert_true(back->evidence.body[1] == body[1]);
    assert_int_equal(back->evidence.rows_match, -1);
    assert_int_equal(back->evidence.no_conn_ids, 1);
    assert_true(back->evidence.span_us == 1500000);
    assert_int_equal(back->evidence.confidence, N1_CONF_HIGH);
    n1_finding_free(back);
    free(json);
}

/*
 * The round trips saved are the detector's figure, shown as given: the
 * report does not work them out again from the kind, the keys or the
 * rewrite (a range loop saves count - 1 with no statement to run).
 */
static void test_report_findings_saved_from_finding(void **state)
{
    struct n1_finding f;
    char *json = NULL;
    char *buf = NULL;
    struct n1_error err;

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
    buf = render(&f, 1, 0, 3);
    assert_non_null(
        strstr(buf, "\n                the fix saves 0 round trips\n"));
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
    int64_t before = 0;
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
    /* A run saving in batches: its first batch of a.log survives the
       last one, which drops only what was there before the run. */
    assert_int_equal(n1_store_findings_last(st, &before, &err), 0);
    assert_true(before > 0);
    assert_int_equal(n1_store_save_findings(st, NULL, 0, &f[1], 1, &err), 0);
    assert_int_equal(
        n1_store_save_findings_upto(st, replace, 1, before, &f[0], 1, &err), 0);
    cur = n1_store_findings(st, "a.log", &err);
    assert_non_null(cur);
    n = 0;
    while (n1_store_next_finding(cur, &row, &err) == 1) {
        assert_int_equal(row->line, n == 0 ? 2 : 1);
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
        cmocka_unit_test(test_report_findings_classes),
        cmocka_unit_test(test_report_findings_text),
        cmocka_unit_test(test_report_findings_text_columns),
        cmocka_unit_test(test_report_findings_long_rewrite),
        cmocka_unit_test(test_report_findings_classes_json),
        cmocka_unit_test(test_report_findings_evidence_roundtrip),
        cmocka_unit_test(test_report_findings_store),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
