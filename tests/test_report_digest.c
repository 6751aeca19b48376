/* SPDX-License-Identifier: MIT */
/*
 * test_report_digest.c: the digest report of a store built from synthetic
 * events, checked against numbers worked out by hand.
 *
 * The store holds two classes:
 *   A  "SELECT * FROM users WHERE id = N", 10 events, Query_time 1..10 ms,
 *      one every second from T0, Rows_sent 1 each, db shop;
 *   B  "UPDATE users SET a = N", 2 events, Query_time 0.5 s at T0 and
 *      1.5 s at T0 + 20 s, db shop and db other.
 * So: 12 events over 20 s (0.6 QPS), total Query_time 2.055 s
 * (concurrency 0.10275), B ranks first (2.0 s, 97.3 %).
 * A: 95 % is the 9th value (floor(0.95 * 10)) = 9 ms, the median the 6th
 * (10 / 2 + 1) = 6 ms, standard deviation sqrt(38.5 - 5.5^2) = 2.8723 ms,
 * V/M = 8.25e-6 / 0.0055 = 0.0015. B: 95 % = max = 1.5 s, median = mean
 * of the two = 1.0 s (pt-query-digest's rules for two values), standard
 * deviation 0.5 s, V/M 0.25.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "helpers.h"
#include "report/digest.h"
#include "sql/normalize.h"
#include "stats/aggregate.h"
#include "store/store.h"

#define T0 INT64_C(1732536000000000) /* 2024-11-25 12:00:00 UTC */

struct fixture {
    struct n1_store *st;
};

static void add(struct n1_agg *agg, struct n1_normalizer *nz, const char *sql,
                double qt, int64_t ts, const char *db)
{
    struct n1_event ev;
    struct n1_norm nm;
    struct n1_error err;

    memset(&ev, 0, sizeof(ev));
    ev.file = "synthetic.log";
    ev.line = 1;
    ev.ts_us = ts;
    ev.user = "app";
    ev.host = "web1";
    ev.db = db;
    ev.sql = sql;
    ev.sql_len = strlen(sql);
    ev.metric[N1_M_QUERY_TIME] = qt;
    ev.metric[N1_M_ROWS_SENT] = 1;
    ev.metric_mask = (1u << N1_M_QUERY_TIME) | (1u << N1_M_ROWS_SENT);
    assert_int_equal(n1_normalize(nz, sql, ev.sql_len, &nm, &err), 0);
    assert_int_equal(n1_agg_add(agg, &ev, &nm, &err), 0);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct n1_normalizer *nz = NULL;
    struct n1_agg *agg = NULL;
    struct n1_error err;
    char sql[128];

    assert_non_null(f);
    nz = n1_normalizer_new(&err);
    agg = n1_agg_new(NULL, &err);
    f->st = n1_store_open(":memory:", NULL, &err);
    assert_non_null(nz);
    assert_non_null(agg);
    assert_non_null(f->st);
    for (int i = 1; i <= 10; i++) {
        snprintf(sql, sizeof(sql), "SELECT * FROM users WHERE id = %d", i);
        add(agg, nz, sql, i / 1000.0, T0 + (i - 1) * INT64_C(1000000), "shop");
    }
    add(agg, nz, "UPDATE users SET a = 1", 0.5, T0, "shop");
    add(agg, nz, "UPDATE users SET a = 2", 1.5, T0 + 20 * INT64_C(1000000),
        "other");
    assert_int_equal(n1_store_flush(f->st, agg, NULL, 0, &err), 0);
    n1_agg_free(agg);
    n1_normalizer_free(nz);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    n1_store_close(f->st);
    free(f);
    return 0;
}

/* Renders the report of agg, or of the store st when agg is NULL, into a
   heap string the caller frees; the renderer must return expect_rc. */
static char *render_from(struct n1_store *st, const struct n1_agg *agg,
                         const struct n1_digest_opts *o, int expect_rc)
{
    struct n1_error err;
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    char *copy;
    int rc;

    assert_non_null(out);
    rc = agg != NULL ? n1_report_digest_agg(agg, o, out, &err)
                     : n1_report_digest(st, o, out, &err);
    assert_int_equal(rc, expect_rc);
    fclose(out);
    /* A copy: gcc -O3 takes pointers into buf for pointers to the local
       variable whose address open_memstream() was given. */
    copy = strdup(buf);
    free(buf);
    assert_non_null(copy);
    return copy;
}

static char *render(struct n1_store *st, const struct n1_digest_opts *o,
                    int expect_rc)
{
    return render_from(st, NULL, o, expect_rc);
}

/* Fails with the whole report when needle is not in it. */
static void assert_has(const char *out, const char *needle)
{
    if (strstr(out, needle) == NULL) {
        fprintf(stderr, "expected in the report:\n%s\nreport:\n%s\n", needle,
                out);
        fail();
    }
}

static void assert_near(double got, double want, double rel)
{
    if (!(got >= want * (1 - rel) - 1e-12 && got <= want * (1 + rel) + 1e-12)) {
        fail_msg("got %.9g, want %.9g (relative %.4f)", got, want, rel);
    }
}

static double jnum(json_t *o, const char *path)
{
    char key[64];
    const char *p = path;
    json_t *cur = o;

    while (*p != '\0') {
        size_t n = strcspn(p, ".");

        snprintf(key, sizeof(key), "%.*s", (int)n, p);
        cur = json_object_get(cur, key);
        if (cur == NULL) {
            fail_msg("no %s in the JSON", path);
        }
        p += n;
        if (*p == '.') {
            p++;
        }
    }
    return json_number_value(cur);
}

static void test_report_digest_json_numbers(void **state)
{
    struct fixture *f = *state;
    struct n1_digest_opts o;
    json_error_t jerr;
    json_t *doc;
    json_t *classes;
    json_t *a;
    json_t *b;
    char *out;

    n1_digest_opts_init(&o);
    o.format = N1_DIGEST_JSON;
    out = render(f->st, &o, 0);
    doc = json_loads(out, 0, &jerr);
    if (doc == NULL) {
        fail_msg("bad JSON (%s): %s", jerr.text, out);
    }
    assert_int_equal((int)jnum(doc, "global.query_count"), 12);
    assert_int_equal((int)jnum(doc, "global.unique_query_count"), 2);
    assert_near(jnum(doc, "global.queries_per_second"), 0.6, 1e-9);
    assert_near(jnum(doc, "global.concurrency"), 0.10275, 1e-9);
    assert_near(jnum(doc, "global.metrics.Query_time.sum"), 2.055, 1e-12);
    classes = json_object_get(doc, "classes");
    assert_int_equal(json_array_size(classes), 2);
    b = json_array_get(classes, 0);
    a = json_array_get(classes, 1);
    assert_string_equal(json_string_value(json_object_get(b, "distillate")),
                        "UPDATE users");
    assert_string_equal(json_string_value(json_object_get(a, "distillate")),
                        "SELECT users");
    /* B: two values */
    assert_int_equal((int)jnum(b, "query_count"), 2);
    assert_near(jnum(b, "metrics.Query_time.pct_95"), 1.5, 0);
    assert_near(jnum(b, "metrics.Query_time.median"), 1.0, 0);
    assert_near(jnum(b, "metrics.Query_time.stddev"), 0.5, 1e-12);
    assert_near(jnum(b, "variance_to_mean"), 0.25, 1e-12);
    assert_near(jnum(b, "response_time_pct"), 2.0 / 2.055, 1e-12);
    assert_near(jnum(b, "metrics.Query_time.error_bound"), 0, 0);
    /* A: ten values, percentiles within the histogram's bound */
    assert_int_equal((int)jnum(a, "query_count"), 10);
    assert_near(jnum(a, "metrics.Query_time.sum"), 0.055, 1e-12);
    assert_near(jnum(a, "metrics.Query_time.min"), 0.001, 0);
    assert_near(jnum(a, "metrics.Query_time.max"), 0.010, 0);
    assert_near(jnum(a, "metrics.Query_time.pct_95"), 0.009, 0.0099);
    assert_near(jnum(a, "metrics.Query_time.median"), 0.006, 0.0099);
    assert_near(jnum(a, "metrics.Query_time.stddev"), 0.0028722813, 1e-6);
    assert_near(jnum(a, "variance_to_mean"), 0.0015, 1e-6);
    assert_near(jnum(a, "metrics.Query_time.error_bound"), 0.0099, 0.001);
    /* integer metrics with equal values are exact */
    assert_near(jnum(a, "metrics.Rows_sent.pct_95"), 1, 0);
    assert_near(jnum(a, "metrics.Rows_sent.median"), 1, 0);
    /* chart: 1..9 ms in "1ms", 10 ms in "10ms"; 0.5 s and 1.5 s */
    {
        json_t *h =
            json_object_get(json_object_get(a, "histograms"), "Query_time");
        json_t *hb =
            json_object_get(json_object_get(b, "histograms"), "Query_time");

        assert_int_equal(json_integer_value(json_array_get(h, 3)), 9);
        assert_int_equal(json_integer_value(json_array_get(h, 4)), 1);
        assert_int_equal(json_integer_value(json_array_get(hb, 5)), 1);
        assert_int_equal(json_integer_value(json_array_get(hb, 6)), 1);
    }
    /* the worst sample */
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(a, "example"), "query")),
                        "SELECT * FROM users WHERE id = 10");
    json_decref(doc);
    free(out);
}

static void test_report_digest_text(void **state)
{
    struct fixture *f = *state;
    struct n1_digest_opts o;
    char *out;
    char *line;

    n1_digest_opts_init(&o);
    out = render(f->st, &o, 0);
    assert_has(out, "# Overall: 12 total, 2 unique, 0.60 QPS, "
                    "0.10x concurrency _");
    assert_has(out, "# Time range: 2024-11-25 12:00:00 to "
                    "12:00:20 UTC\n");
    assert_has(out, "# Exec time             2s     1ms      2s   171ms "
                    "  500ms   423ms     7ms\n");
    line = strstr(out, "#    1 ");
    assert_non_null(line);

    assert_has(line, "   2.0000  97.3%      2  1.0000  0.25 "
                     "UPDATE users\n");
    assert_has(out, "# Databases    shop (1/50%), other "
                    "(1/50%)\n");
    assert_has(out, "#   1ms  ###########################");
    /* every line fits in 80 columns, except sample statements */
    for (char *p = out; *p != '\0';) {
        size_t n = strcspn(p, "\n");

        if (p[0] == '#' && n > 80) {
            fail_msg("line over 80 columns: %.*s", (int)n, p);
        }
        p += n + (p[n] == '\n');
    }
    free(out);
}

static void test_report_digest_order_limit(void **state)
{
    struct fixture *f = *state;
    struct n1_digest_opts o;
    struct n1_error err;
    char *out;

    n1_digest_opts_init(&o);
    assert_int_equal(n1_digest_parse_order("cnt", &o, &err), 0);
    o.limit = 1;
    out = render(f->st, &o, 0);
    /* by count A (10) ranks first; B goes to MISC */
    assert_has(out, "# Profile (by cnt)\n");
    assert_has(out, "     10  0.0055  0.00 SELECT users\n");
    assert_has(out, "# MISC MISC               2.0000  97.3%"
                    "      2  1.0000       <1 ITEMS>\n");
    free(out);
    assert_int_equal(n1_digest_parse_order("Query_time:max", &o, &err), 0);
    assert_int_equal(o.order_metric, N1_M_QUERY_TIME);
    assert_int_equal(o.order_stat, N1_DIGEST_MAX);
    assert_int_equal(n1_digest_parse_order("rows_examined:avg", &o, &err), 0);
    assert_int_equal(o.order_metric, N1_M_ROWS_EXAMINED);
    assert_int_equal(n1_digest_parse_order("Lock_time", &o, &err), 0);
    assert_int_equal(o.order_stat, N1_DIGEST_SUM);
    assert_int_equal(n1_digest_parse_order("Nope:sum", &o, &err), -1);
    assert_int_equal(err.code, N1_EUSAGE);
    assert_non_null(strstr(err.message, "--order-by: expected"));
    assert_int_equal(n1_digest_parse_order("Query_time:p99", &o, &err), -1);
}

/*
 * --limit P%[:N] as pt-query-digest's top_events: the fixture's classes
 * are B (2 UPDATEs, 0.5 + 1.5 = 2 s) and A (10 SELECTs, 0.001 + ... +
 * 0.010 = 0.055 s), 2.055 s in all, B first by total time. B alone makes
 * up 97.3%: 50% and 97% show B only (the class that crosses the share is
 * in), 98% needs A too; ":1" caps the count whatever the share.
 */
static void test_report_digest_limit_percent(void **state)
{
    static const struct {
        const char *arg;
        const char *misc; /* the MISC row's item count, or NULL: no MISC */
    } cases[] = {
        {"50%", "<1 ITEMS>"},   {"97%", "<1 ITEMS>"}, {"98%", NULL},
        {"98%:1", "<1 ITEMS>"}, {"100%", NULL},       {"all", NULL},
    };
    static const char *const bad[] = {"0%",   "101%",  "-5", "%",
                                      "50%:", "50%:x", "5x", "50%20",
                                      "",     " 5",    "x%"};
    struct fixture *f = *state;
    struct n1_digest_opts o;
    struct n1_error err;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out;

        n1_digest_opts_init(&o);
        assert_int_equal(n1_digest_parse_limit(cases[i].arg, &o, &err), 0);
        out = render(f->st, &o, 0);
        if (cases[i].misc != NULL) {
            assert_has(out, cases[i].misc);
            assert_null(strstr(out, "SELECT users"));
        } else {
            assert_null(strstr(out, "# MISC"));
            assert_has(out, "SELECT users");
        }
        free(out);
    }
    n1_digest_opts_init(&o);
    assert_int_equal(n1_digest_parse_limit("95%:20", &o, &err), 0);
    assert_int_equal(o.limit, 20);
    assert_true(o.limit_pct == 95.0);
    assert_int_equal(n1_digest_parse_limit("7", &o, &err), 0);
    assert_int_equal(o.limit, 7);
    assert_true(o.limit_pct == 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(n1_digest_parse_limit(bad[i], &o, &err), -1);
        assert_int_equal(err.code, N1_EUSAGE);
        assert_non_null(strstr(err.message, "--limit: expected"));
    }
    assert_int_equal(o.limit, 7); /* unchanged by the refusals */
}

/* --filter conditions: parsing, events and stored classes. */
static void test_report_digest_cond(void **state)
{
    struct n1_digest_cond c;
    struct n1_error err;
    struct n1_event ev;
    struct n1_agg_class cl;

    (void)state;
    assert_int_equal(n1_digest_parse_cond("Query_time>1", &c, &err), 1);
    assert_int_equal(c.metric, N1_M_QUERY_TIME);
    assert_int_equal(c.op, N1_CMP_GT);
    assert_true(c.value == 1.0);
    assert_int_equal(n1_digest_parse_cond("rows_examined>=1000", &c, &err), 1);
    assert_int_equal(c.metric, N1_M_ROWS_EXAMINED);
    assert_int_equal(c.op, N1_CMP_GE);
    assert_int_equal(n1_digest_parse_cond("Lock_time<0.01", &c, &err), 1);
    assert_int_equal(c.op, N1_CMP_LT);
    assert_int_equal(n1_digest_parse_cond("Rows_sent<=2", &c, &err), 1);
    assert_int_equal(c.op, N1_CMP_LE);
    assert_int_equal(n1_digest_parse_cond("Query_length=12", &c, &err), 1);
    assert_int_equal(c.metric, N1_AGG_QUERY_LENGTH);
    assert_int_equal(c.op, N1_CMP_EQ);
    assert_int_equal(n1_digest_parse_cond("Bytes_sent!=0", &c, &err), 1);
    assert_int_equal(c.op, N1_CMP_NE);
    /* Not attributes: other filters. */
    assert_int_equal(n1_digest_parse_cond("db=shop", &c, &err), 0);
    assert_int_equal(n1_digest_parse_cond("table=orders", &c, &err), 0);
    assert_int_equal(n1_digest_parse_cond("Query_timex", &c, &err), 0);
    assert_int_equal(n1_digest_parse_cond("Query_time~1", &c, &err), 0);
    /* Attributes with a bad rest. */
    static const char *const bad[] = {"Query_time>", "Query_time>x",
                                      "Query_time", "Query_time=>1",
                                      "Query_time>1s"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (n1_digest_parse_cond(bad[i], &c, &err) != -1) {
            fail_msg("'%s' taken", bad[i]);
        }
        assert_int_equal(err.code, N1_EUSAGE);
    }

    memset(&ev, 0, sizeof(ev));
    ev.sql = "SELECT 1";
    ev.sql_len = 8;
    assert_int_equal(n1_digest_parse_cond("Query_time>1", &c, &err), 1);
    assert_int_equal(n1_digest_cond_event(&c, &ev), 0); /* no Query_time */
    ev.metric[N1_M_QUERY_TIME] = 1.5;
    ev.metric_mask = 1u << N1_M_QUERY_TIME;
    assert_int_equal(n1_digest_cond_event(&c, &ev), 1);
    ev.metric[N1_M_QUERY_TIME] = 1.0;
    assert_int_equal(n1_digest_cond_event(&c, &ev), 0);
    assert_int_equal(n1_digest_parse_cond("Query_length>=8", &c, &err), 1);
    assert_int_equal(n1_digest_cond_event(&c, &ev), 1);

    /* A stored class of 3 events, Query_time 2..4. */
    n1_agg_class_init(&cl);
    cl.count = 3;
    cl.m[N1_M_QUERY_TIME].n = 3;
    cl.m[N1_M_QUERY_TIME].min = 2;
    cl.m[N1_M_QUERY_TIME].max = 4;
    static const struct {
        const char *cond;
        int want;
    } cases[] = {
        {"Query_time>1", 1},   {"Query_time>=2", 1}, {"Query_time>2", -1},
        {"Query_time>4", 0},   {"Query_time<2", 0},  {"Query_time<=4", 1},
        {"Query_time=3", -1},  {"Query_time=5", 0},  {"Query_time!=5", 1},
        {"Query_time!=3", -1}, {"Lock_time<1", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(n1_digest_parse_cond(cases[i].cond, &c, &err), 1);
        if (n1_digest_cond_class(&c, &cl) != cases[i].want) {
            fail_msg("%s: expected %d", cases[i].cond, cases[i].want);
        }
    }
    /* One event without Query_time: "all" can no longer be said. */
    cl.count = 4;
    assert_int_equal(n1_digest_parse_cond("Query_time>1", &c, &err), 1);
    assert_int_equal(n1_digest_cond_class(&c, &cl), -1);
    n1_agg_class_cleanup(&cl);
}

static int only_b(void *ud, const struct n1_agg_class *c, struct n1_error *err)
{
    (void)ud;
    (void)err;
    return c->count == 2;
}

static int refuse(void *ud, const struct n1_agg_class *c, struct n1_error *err)
{
    (void)ud;
    n1_err_set(err, N1_EUSAGE, NULL, 0, "class %s spans", c->hex);
    return -1;
}

static void test_report_digest_filter(void **state)
{
    struct fixture *f = *state;
    struct n1_digest_opts o;
    char *out;

    n1_digest_opts_init(&o);
    o.filter = only_b;
    out = render(f->st, &o, 0);
    /* the totals are those of B alone */
    assert_has(out, "# Overall: 2 total, 1 unique, 0.10 QPS, "
                    "0.10x concurrency");
    free(out);
    o.filter = refuse;
    out = render(f->st, &o, -1);
    free(out);
}

static void test_report_digest_empty(void **state)
{
    struct n1_store *st;
    struct n1_digest_opts o;
    struct n1_error err;
    json_error_t jerr;
    json_t *doc;
    char *out;

    (void)state;
    st = n1_store_open(":memory:", NULL, &err);
    assert_non_null(st);
    n1_digest_opts_init(&o);
    out = render(st, &o, 0);
    assert_has(out, "# Overall: 0 total, 0 unique");
    assert_has(out, "# No statements.");
    free(out);
    o.format = N1_DIGEST_JSON;
    out = render(st, &o, 0);
    doc = json_loads(out, 0, &jerr);
    assert_non_null(doc);
    assert_int_equal(json_array_size(json_object_get(doc, "classes")), 0);
    json_decref(doc);
    free(out);
    n1_store_close(st);
}

/* Two windows of events merged by a store and absorbed in memory give
   the same report, to the last digit. */
static void test_report_digest_agg_as_store(void **state)
{
    struct n1_normalizer *nz = NULL;
    struct n1_agg *win = NULL;
    struct n1_agg *kept = NULL;
    struct n1_store *st = NULL;
    struct n1_digest_opts o;
    struct n1_error err;
    char sql[128];
    char *a;
    char *b;

    (void)state;
    nz = n1_normalizer_new(&err);
    win = n1_agg_new(NULL, &err);
    kept = n1_agg_new(NULL, &err);
    st = n1_store_open(":memory:", NULL, &err);
    assert_non_null(nz);
    assert_non_null(win);
    assert_non_null(kept);
    assert_non_null(st);
    for (int w = 0; w < 2; w++) {
        for (int i = 0; i < 3000; i++) {
            /* 0.1 and friends leave rounding residues in the sums */
            snprintf(sql, sizeof(sql), "SELECT * FROM t%d WHERE id = %d",
                     (i * 7 + w) % 37, i);
            add(win, nz, sql, 0.1 * (i % 13) + 1e-7 * i,
                T0 + (w * 3000 + i) * INT64_C(1000),
                i % 11 == 0  ? "db11"
                : i % 3 == 0 ? "db3"
                             : "db");
        }
        assert_int_equal(n1_store_flush(st, win, NULL, 0, &err), 0);
        assert_int_equal(n1_agg_absorb(kept, win, 0, &err), 0);
        assert_int_equal(n1_agg_size(win), 0);
    }
    n1_digest_opts_init(&o);
    for (int json = 0; json < 2; json++) {
        o.format = json ? N1_DIGEST_JSON : N1_DIGEST_TEXT;
        a = render(st, &o, 0);
        b = render_from(NULL, kept, &o, 0);
        assert_string_equal(a, b);
        free(a);
        free(b);
    }
    n1_store_close(st);
    n1_agg_free(kept);
    n1_agg_free(win);
    n1_normalizer_free(nz);
}

static void test_report_digest_ranks(void **state)
{
    struct n1_agg_stats s;

    (void)state;
    memset(&s, 0, sizeof(s));
    n1_hist_init(&s.hist);
    /* 0..19 rows: 95 % is rank 19 (value 18), median rank 11 (value 10),
       both exact for small integers */
    for (int i = 0; i < 20; i++) {
        assert_int_equal(n1_hist_add(&s.hist, i, 1), 0);
        s.sum += i;
        s.sumsq += (double)i * i;
    }
    s.n = 20;
    s.min = 0;
    s.max = 19;
    assert_true(n1_digest_pct95(&s, 1) == 18.0);
    assert_true(n1_digest_median(&s, 1) == 10.0);
    n1_hist_cleanup(&s.hist);
}

/* The loop list: sorted, without repeats, found by fingerprint. */
static void test_report_digest_loops(void **state)
{
    struct n1_digest_loops l;
    const struct n1_digest_loop *first = NULL;
    struct n1_error err;

    (void)state;
    memset(&l, 0, sizeof(l));
    assert_int_equal(n1_digest_loops_add(&l, 9, 2, &err), 0);
    assert_int_equal(n1_digest_loops_add(&l, 3, 5, &err), 0);
    assert_int_equal(n1_digest_loops_add(&l, 9, 1, &err), 0);
    assert_int_equal(n1_digest_loops_add(&l, 9, 2, &err), 0);
    n1_digest_loops_sort(&l);
    assert_int_equal(l.n, 3);
    assert_int_equal(n1_digest_loops_find(&l, 9, &first), 2);
    assert_true(first[0].id == 1 && first[1].id == 2);
    assert_int_equal(n1_digest_loops_find(&l, 3, &first), 1);
    assert_int_equal(n1_digest_loops_find(&l, 4, &first), 0);
    assert_null(first);
    assert_int_equal(n1_digest_loops_find(NULL, 9, &first), 0);
    n1_digest_loops_cleanup(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_report_digest_json_numbers, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_report_digest_text, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_report_digest_order_limit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_report_digest_filter, setup,
                                        teardown),
        cmocka_unit_test(test_report_digest_empty),
        cmocka_unit_test(test_report_digest_ranks),
        cmocka_unit_test(test_report_digest_agg_as_store),
        cmocka_unit_test(test_report_digest_loops),
        cmocka_unit_test(test_report_digest_cond),
        cmocka_unit_test_setup_teardown(test_report_digest_limit_percent, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
