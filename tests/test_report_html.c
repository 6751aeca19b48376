/* SPDX-License-Identifier: MIT */
/*
 * test_report_html.c: the HTML reports' pieces that need no log: the
 * digest's bounded series over time (buckets worked out by hand as the
 * grid widens right and left) and the check page's escaping of hostile
 * text in every field a result carries, its verdict of verify too.
 */
#define _GNU_SOURCE
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
#include "report/ci.h"
#include "report/digest.h"

#define T0 INT64_C(1732536000000000) /* 2024-11-25 12:00:00 UTC */
#define MS INT64_C(1000)

static uint64_t total(const struct n1_digest_row *r)
{
    uint64_t n = 0;

    for (size_t k = 0; k < N1_DIGEST_SERIES_N; k++) {
        n += r->calls[k];
    }
    return n;
}

/* The grid starts at the first statement, 1 ms a bucket, 48 buckets. */
static void test_report_html_series_grid(void **state)
{
    struct n1_digest_series *s = n1_digest_series_new(NULL);
    struct n1_digest_row r;

    (void)state;
    assert_non_null(s);
    assert_int_equal(n1_digest_series_get(s, 1, &r), 0);
    assert_int_equal(n1_digest_series_add(s, 1, T0, NAN), 0);
    assert_int_equal(n1_digest_series_add(s, 1, T0 + 47 * MS + 500, NAN), 0);
    assert_int_equal(n1_digest_series_add(s, 1, N1_TS_NONE, NAN), 0);
    assert_int_equal(n1_digest_series_get(s, 1, &r), 1);
    assert_true(r.t0 == T0);
    assert_true(r.t1 == T0 + 48 * MS);
    assert_int_equal(r.calls[0], 1);
    assert_int_equal(r.calls[47], 1);
    assert_int_equal(total(&r), 2); /* the untimed one is not counted */
    assert_int_equal(r.has_time, 0);
    assert_int_equal(n1_digest_series_get(s, 2, &r), 0);

    /* Past the end: 2 ms buckets, pairs merged (47 -> 23), class 2 at
       48 ms in bucket 24. */
    assert_int_equal(n1_digest_series_add(s, 2, T0 + 48 * MS, 0.25), 0);
    assert_int_equal(n1_digest_series_get(s, 1, &r), 1);
    assert_true(r.t1 == T0 + 96 * MS);
    assert_int_equal(r.calls[0], 1);
    assert_int_equal(r.calls[23], 1);
    assert_int_equal(n1_digest_series_get(s, 2, &r), 1);
    assert_int_equal(r.calls[24], 1);
    assert_int_equal(r.has_time, 1);
    assert_true(fabs(r.secs[24] - 0.25) < 1e-6);

    /* Before the start: the old grid becomes the right half of 4 ms
       buckets from T0 - 96 ms; bucket j moves to (j + 48) / 2, and
       T0 - 1 ms falls in (96 - 1) / 4 = 23. */
    assert_int_equal(n1_digest_series_add(s, 1, T0 - 1 * MS, NAN), 0);
    assert_int_equal(n1_digest_series_get(s, 1, &r), 1);
    assert_true(r.t0 == T0 - 96 * MS);
    assert_true(r.t1 == T0 + 96 * MS);
    assert_int_equal(r.calls[23], 1);
    assert_int_equal(r.calls[24], 1);
    assert_int_equal(r.calls[35], 1);
    assert_int_equal(total(&r), 3);
    assert_int_equal(n1_digest_series_get(s, 2, &r), 1);
    assert_int_equal(r.calls[36], 1);
    n1_digest_series_free(s);
}

/* A day of statements in many classes: one row each, every statement
   counted, the grid at most twice the span. */
static void test_report_html_series_many(void **state)
{
    struct n1_digest_series *s = n1_digest_series_new(NULL);
    struct n1_digest_row r;
    const int64_t day = INT64_C(86400000000);
    uint64_t sum = 0;

    (void)state;
    assert_non_null(s);
    for (uint64_t i = 0; i < 5000; i++) {
        int64_t ts = T0 + (int64_t)(i * 7919 % 5000) * (day / 5000);

        assert_int_equal(n1_digest_series_add(s, i % 1000, ts, 0.001), 0);
    }
    for (uint64_t id = 0; id < 1000; id++) {
        assert_int_equal(n1_digest_series_get(s, id, &r), 1);
        sum += total(&r);
    }
    assert_int_equal(sum, 5000);
    assert_true(r.t1 - r.t0 >= day - day / 5000);
    assert_true(r.t1 - r.t0 <= 2 * day);
    assert_int_equal(n1_digest_series_failed(s), 0);
    n1_digest_series_free(s);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;

    for (const char *p = strstr(hay, needle); p != NULL;
         p = strstr(p + 1, needle)) {
        n++;
    }
    return n;
}

/* Writes the check page of r into *page (the caller frees it). */
static void render_ci(const struct n1_ci_report *r, char **page, size_t *len)
{
    struct n1_error err;
    FILE *out = open_memstream(page, len);

    assert_non_null(out);
    assert_int_equal(n1_report_ci_html(out, r, &err), 0);
    assert_int_equal(fclose(out), 0);
}

/* Every string of a result, hostile, comes out as text. */
static void test_report_html_ci_escaped(void **state)
{
    static const char *const inputs[] = {"<b>in\xff.log"};
    struct n1_ci_result x;
    struct n1_ci_report r;
    char *page = NULL;
    size_t len = 0;

    (void)state;
    memset(&x, 0, sizeof(x));
    memset(&r, 0, sizeof(r));
    x.id = 0x1234;
    x.rule = "n_plus_one";
    x.fails = 1;
    x.title = "</script><script>alert(1)</script>";
    x.table = "t\"able'";
    x.sample = "SELECT '<img src=x onerror=alert(1)>\xff\xfe'";
    x.location = "<img src=x onerror=alert(2)>.py:9";
    x.rewrite = "SELECT 1 -- </pre></code><script>alert(3)</script>";
    x.advice = "a & b";
    x.log_file = "l\x01og";
    x.log_line = 9;
    x.count = 4;
    x.occurrences = 1;
    r.results = &x;
    r.n_results = 1;
    r.inputs = inputs;
    r.n_inputs = 1;
    render_ci(&r, &page, &len);
    assert_int_equal(count(page, "<script"), 1);
    assert_int_equal(count(page, "<img"), 0);
    assert_int_equal(count(page, "<b>"), 0);
    assert_int_equal(count(page, "\xff"), 0);
    assert_int_equal(count(page, "\x01"), 0);
    assert_int_equal(count(page, "data-n1=\"result\""), 1);
    assert_non_null(strstr(page, "&lt;/script&gt;&lt;script&gt;alert(1)"));
    assert_non_null(strstr(page, "t&quot;able&apos;"));
    assert_non_null(strstr(page, "&lt;img src=x onerror=alert(2)&gt;.py:9"));
    assert_non_null(strstr(page, "&lt;/pre&gt;&lt;/code&gt;&lt;script&gt;"));
    assert_non_null(strstr(page, "a &amp; b"));
    assert_non_null(strstr(page, "\xef\xbf\xbd\xef\xbf\xbd&apos;"));
    assert_non_null(strstr(page, "&lt;b&gt;in\xef\xbf\xbd.log"));
    assert_null(strstr(page, "http:"));
    assert_null(strstr(page, "https:"));
    free(page);
}

/*
 * Verdicts of verify, hostile in every field (a store is a file anyone
 * with access can edit): the word, host and detail come out escaped in
 * the table cell and the card, the word colours it and names it in
 * data-n1-verdict, the detail is the title; no verdict: "not verified".
 */
static void test_report_html_verdict_escaped(void **state)
{
    struct n1_store_verdict v[2];
    struct n1_ci_result x[3];
    struct n1_ci_report r;
    char *page = NULL;
    size_t len = 0;

    (void)state;
    memset(v, 0, sizeof(v));
    memset(x, 0, sizeof(x));
    memset(&r, 0, sizeof(r));
    strcpy(v[0].verdict, "differs");
    strcpy(v[0].host, "db\"<1>|`h`");
    strcpy(v[0].detail, "row `x` | </script><script>alert(9)</script>");
    v[0].verified_at = T0 / 1000000;
    strcpy(v[1].verdict, "\"><b>x");
    strcpy(v[1].host, "h");
    v[1].verified_at = INT64_MAX; /* no microsecond time: the epoch */
    for (size_t i = 0; i < 3; i++) {
        x[i].id = 0x10 + i;
        x[i].rule = "n_plus_one";
        x[i].title = "loop";
        x[i].occurrences = 1;
        x[i].verdict = i < 2 ? &v[i] : NULL;
    }
    r.results = x;
    r.n_results = 3;
    render_ci(&r, &page, &len);
    assert_int_equal(count(page, "<script"), 1);
    assert_int_equal(count(page, "<b>"), 0);
    /* The table cell: word, host and time, the detail as its title. */
    assert_non_null(
        strstr(page, "<td data-n1-verdict=\"differs\" title=\"row `x` | "
                     "&lt;/script&gt;&lt;script&gt;alert(9)&lt;/script&gt;"
                     "\"><span class=\"fail\">differs on db&quot;&lt;1&gt;"
                     "|`h` at 2024-11-25T12:00:00Z</span></td>"));
    /* The card shows the detail under the line too. */
    assert_non_null(
        strstr(page, "<dd data-n1-verdict=\"differs\" title=\"row `x` | "
                     "&lt;/script&gt;&lt;script&gt;alert(9)&lt;/script&gt;"
                     "\"><span class=\"fail\">differs on db&quot;&lt;1&gt;"
                     "|`h` at 2024-11-25T12:00:00Z</span><br><span "
                     "class=\"muted\">row `x` | &lt;/script&gt;&lt;script"
                     "&gt;alert(9)&lt;/script&gt;</span></dd>"));
    /* A word that is none of the four: escaped, not coloured as one. */
    assert_int_equal(count(page,
                           "<td data-n1-verdict=\"&quot;&gt;&lt;b&gt;"
                           "x\" title=\"\"><span class=\"muted\">"
                           "&quot;&gt;&lt;b&gt;x on h at 1970-01-01T00:00:00Z"),
                     1);
    assert_int_equal(count(page, "<td data-n1-verdict=\"\">not verified"
                                 "</td>"),
                     1);
    assert_int_equal(count(page, "<dd data-n1-verdict=\"\">not verified"
                                 "</dd>"),
                     1);
    free(page);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_html_series_grid),
        cmocka_unit_test(test_report_html_series_many),
        cmocka_unit_test(test_report_html_ci_escaped),
        cmocka_unit_test(test_report_html_verdict_escaped),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
