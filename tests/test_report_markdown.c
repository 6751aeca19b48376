/* SPDX-License-Identifier: MIT */
/*
 * test_report_markdown.c: the Markdown reports of check and analyze:
 * table cells escaped so that log text renders as text (no table break,
 * no code span, no HTML, no heading, no mention), fences no statement
 * can close, the status heading, the step summary's size budget, and
 * the verdict of verify in the table and the <details> blocks.
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

#include "base/strbuf.h"
#include "report/markdown.h"

/* The cell text of s. Caller frees. */
static char *cell(const char *s, size_t len)
{
    struct n1_strbuf sb;
    char *out;

    n1_strbuf_init(&sb, 0);
    assert_int_equal(n1_md_cell(&sb, s, len), 0);
    out = strdup(n1_strbuf_str(&sb));
    n1_strbuf_cleanup(&sb);
    return out;
}

static void expect_cell(const char *in, const char *want)
{
    char *got = cell(in, strlen(in));

    if (strcmp(got, want) != 0) {
        print_error("input    %s\nexpected %s\nactual   %s\n", in, want, got);
    }
    assert_string_equal(got, want);
    free(got);
}

static void test_markdown_cell_escapes(void **state)
{
    char *got;

    (void)state;
    /* A pipe would end the cell, a backtick open a code span. */
    expect_cell("a|b`c", "a\\|b\\`c");
    /* HTML never becomes a tag; & stays an ampersand. */
    expect_cell("<img src=x onerror=alert(1)>&amp;",
                "&lt;img src=x onerror=alert(1)&gt;&amp;amp;");
    /* A newline cannot end the row; # and a leading - are text. */
    expect_cell("x\r\n# y\tz", "x  \\# y z");
    expect_cell("- item", "\\- item");
    expect_cell("+1", "\\+1");
    expect_cell("a-b+c", "a-b+c");
    /* Emphasis, links, strikethrough, math, mentions, backslashes. */
    expect_cell("*_[x](y)~~!$1$@team\\", "\\*\\_\\[x\\](y)\\~\\~\\!\\$1\\$"
                                         "&#64;team\\\\");
    /* UTF-8 kept; control bytes and invalid bytes replaced. */
    expect_cell("caf\xc3\xa9", "caf\xc3\xa9");
    expect_cell("a\x01"
                "b\xff"
                "c",
                "a\xef\xbf\xbd"
                "b\xef\xbf\xbd"
                "c");
    /* Embedded NUL: counted by len, replaced. */
    got = cell("a\0b", 3);
    assert_string_equal(got, "a\xef\xbf\xbd"
                             "b");
    free(got);
}

static void test_markdown_fence_len(void **state)
{
    (void)state;
    assert_int_equal(n1_md_fence_len("select 1", 8), 3);
    assert_int_equal(n1_md_fence_len("a `b` c", 7), 3);
    assert_int_equal(n1_md_fence_len("x\n```\ny", 7), 4);
    assert_int_equal(n1_md_fence_len("`````", 5), 6);
}

/* What render() writes: the check report ci, or else the analyze
   report of set (fail: --fail-on-findings). */
struct doc {
    const struct n1_ci_report *ci;
    const struct n1_class_set *set;
    const struct n1_class_report *r;
    int fail;
};

/* Renders d with the limits of o (NULL: the defaults). Caller frees. */
static char *render(const struct doc *d, const struct n1_md_opts *o)
{
    struct n1_error err;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    n1_err_clear(&err);
    assert_non_null(f);
    if (d->ci != NULL) {
        assert_int_equal(n1_report_ci_markdown(f, d->ci, o, &err), 0);
    } else {
        assert_int_equal(
            n1_report_classes_markdown(f, d->set, d->r, d->fail, o, &err), 0);
    }
    fclose(f);
    return buf;
}

/* Renders r (o may be NULL). Caller frees. */
static char *render_ci(const struct n1_ci_report *r, const struct n1_md_opts *o)
{
    struct doc d = {r, NULL, NULL, 0};

    return render(&d, o);
}

/* Renders the analyze report of set. Caller frees. */
static char *render_classes(const struct n1_class_set *set,
                            const struct n1_class_report *r, int fail)
{
    struct doc d = {NULL, set, r, fail};

    return render(&d, NULL);
}

/* Occurrences of needle in s. */
static size_t count_of(const char *s, const char *needle)
{
    size_t n = 0;

    for (const char *p = strstr(s, needle); p != NULL;
         p = strstr(p + 1, needle)) {
        n++;
    }
    return n;
}

/* A new failing loop with hostile text, a new one below fail-on without
   a rewrite, one in the baseline (not listed). */
static void sample(struct n1_ci_report *r, struct n1_ci_result *x)
{
    static const char *const inputs[] = {"logs/a.log", "logs/b|<c>.log"};

    memset(x, 0, 3 * sizeof(*x));
    x[0].id = 1;
    x[0].rule = "n_plus_one";
    x[0].severity = N1_SEV_ERROR;
    x[0].state = N1_CI_NEW;
    x[0].fails = 1;
    x[0].title = "N+1 loop: select on <script>alert(1)</script>@team";
    x[0].table = "ord|ers`<b>";
    x[0].location = "app/x|y.py:4\n# h";
    x[0].rewrite = "select 1 /* ```\n</details> */";
    x[0].log_file = "logs/a.log";
    x[0].log_line = 9;
    x[0].count = 40;
    x[0].total_time_s = 1.5;
    x[0].occurrences = 2;
    x[1] = x[0];
    x[1].id = 2;
    x[1].rule = "adviser.select_star";
    x[1].severity = N1_SEV_INFO;
    x[1].fails = 0;
    x[1].table = "";
    x[1].location = NULL;
    x[1].rewrite = NULL;
    x[1].occurrences = 0;
    x[1].count = 0;
    x[2] = x[0];
    x[2].id = 3;
    x[2].state = N1_CI_BASELINE;
    x[2].fails = 0;
    memset(r, 0, sizeof(*r));
    r->results = x;
    r->n_results = 3;
    r->inputs = inputs;
    r->n_inputs = 2;
    r->fail_on = N1_SEV_WARNING;
}

static void test_markdown_check_report(void **state)
{
    struct n1_ci_report r;
    struct n1_ci_result x[3];
    char *md;

    (void)state;
    sample(&r, x);
    md = render_ci(&r, NULL);
    assert_true(strncmp(md,
                        "## n1digest check: FAIL\n\n**FAIL**: 1 new "
                        "result at or above warning. 3 results: 2 new, "
                        "1 in the baseline, 0 allowed;",
                        strlen("## n1digest check: FAIL\n\n**FAIL**: 1 new "
                               "result at or above warning. 3 results: 2 "
                               "new, 1 in the baseline, 0 allowed;")) == 0);
    /* Every cell escaped: one row per new result, nothing else. */
    assert_non_null(strstr(md, "\n| 1 | n\\_plus\\_one | error **fails** | "
                               "ord\\|ers\\`&lt;b&gt; | app/x\\|y.py:4 \\# "
                               "h | 2 (40 executions) | 1.50 s | — |\n"));
    assert_non_null(strstr(md, "\n| 2 | adviser.select\\_star | info | — | "
                               "logs/a.log:9 | — | — | — |\n"));
    assert_int_equal(count_of(md, "\n| "), 3); /* header and two rows */
    /* One rewrite, under a fence its ``` cannot close, its summary
       escaped as HTML. */
    assert_int_equal(count_of(md, "<details>"), 1);
    assert_non_null(strstr(md,
                           "<details><summary>1. N+1 loop: select on "
                           "&lt;script&gt;alert(1)&lt;/script&gt;"
                           "&#64;team</summary>\n\n````sql\nselect 1 /* ```\n"
                           "</details> */\n````\n\n</details>\n"));
    assert_null(strstr(md, "<script>"));
    /* Unreadable input is listed, escaped. */
    assert_null(strstr(md, "b|<c>"));
    free(md);
}

static void test_markdown_check_error_never_pass(void **state)
{
    static const char *const errors[] = {NULL, "not a log\n# at all"};
    struct n1_ci_report r;
    struct n1_ci_result x[3];
    char *md;

    (void)state;
    sample(&r, x);
    x[0].fails = 0;
    r.run_error = "1 input could not be read as a query log";
    r.input_errors = errors;
    md = render_ci(&r, NULL);
    assert_true(strncmp(md,
                        "## n1digest check: ERROR\n\n**ERROR**: 1 input "
                        "could not be read as a query log.",
                        strlen("## n1digest check: ERROR\n\n**ERROR**: 1 "
                               "input could not be read as a query "
                               "log.")) == 0);
    assert_null(strstr(md, "PASS"));
    assert_non_null(strstr(md, "Inputs not read:\n\n- logs/b\\|&lt;c&gt;.log:"
                               " not a log \\# at all\n"));
    free(md);

    /* No result at all, everything read: PASS. */
    r.run_error = NULL;
    r.input_errors = NULL;
    r.n_results = 0;
    md = render_ci(&r, NULL);
    assert_true(strncmp(md, "## n1digest check: PASS\n", 24) == 0);
    assert_non_null(strstr(md, "No new findings.\n"));
    free(md);
}

static void test_markdown_budget(void **state)
{
    struct n1_ci_report r;
    struct n1_ci_result x[50];
    struct n1_md_opts o = {6144, 0, 0};
    char rewrite[1200];
    char *md;

    (void)state;
    memset(rewrite, 'x', sizeof(rewrite) - 1);
    rewrite[sizeof(rewrite) - 1] = '\0';
    sample(&r, x);
    for (size_t i = 1; i < 50; i++) {
        x[i] = x[0];
        x[i].id = i + 1;
    }
    for (size_t i = 0; i < 50; i++) {
        x[i].rewrite = rewrite;
    }
    r.n_results = 50;
    md = render_ci(&r, &o);
    assert_true(strlen(md) <= o.max_bytes);
    assert_non_null(strstr(md, "more findings not shown: see the JSON "
                               "report"));
    assert_non_null(strstr(md, "more rewrites not shown"));
    free(md);

    /* The row cap alone. */
    o.max_bytes = 0;
    o.max_rows = 10;
    md = render_ci(&r, &o);
    assert_int_equal(count_of(md, "\n| "), 11);
    assert_non_null(strstr(md, "_40 more findings not shown: see the JSON "
                               "report (`--format json`)._"));
    free(md);
}

static void test_markdown_analyze_report(void **state)
{
    static const struct n1_kv tags[] = {{"route", "/users/<id>|x"},
                                        {"action", "show"}};
    struct n1_finding f[2];
    struct n1_finding_class c[2];
    struct n1_class_set set = {c, 2};
    struct n1_report_input in[1] = {
        {"a.log", "mysql-general", 9, 0, N1_INPUT_READ}};
    struct n1_class_report r;
    char *buf;

    (void)state;
    memset(f, 0, sizeof(f));
    memset(c, 0, sizeof(c));
    memset(&r, 0, sizeof(r));
    f[0].kind = N1_FIND_N_PLUS_ONE;
    f[0].severity = N1_SEV_WARNING;
    f[0].statement = "select";
    f[0].table = "users";
    f[0].tags = tags;
    f[0].n_tags = 2;
    f[0].count = 12;
    f[0].total_time_s = NAN;
    f[0].rewrite = "select * from users where id in (1, 2)";
    f[1] = f[0];
    f[1].kind = N1_FIND_DUPLICATE;
    f[1].tags = NULL;
    f[1].n_tags = 0;
    f[1].file = "a.log";
    f[1].line = 7;
    f[1].total_time_s = 0.0042;
    f[1].rewrite = NULL;
    c[0].f = &f[0];
    c[0].occurrences = 3;
    c[1].f = &f[1];
    c[1].occurrences = 1;
    r.in = in;
    r.n_in = 1;
    buf = render_classes(&set, &r, 1);
    assert_true(strncmp(buf, "## n1digest analyze: FAIL\n", 26) == 0);
    /* No location tag: the route tags are the place. */
    assert_non_null(strstr(buf, "\n| 1 | n\\_plus\\_one | warning | users | "
                                "route=/users/&lt;id&gt;\\|x action=show | "
                                "3 (12 executions) | 12.0 ms est. (12 round "
                                "trips) | — |\n"));
    assert_non_null(strstr(buf, "\n| 2 | duplicate | warning | users | "
                                "a.log:7 | 1 (12 executions) | 4.2 ms | — "
                                "|\n"));
    assert_int_equal(count_of(buf, "<details>"), 1);
    free(buf);
}

/* A verdict of verify whose host and detail carry Markdown and HTML. */
static void hostile_verdict(struct n1_store_verdict *v)
{
    memset(v, 0, sizeof(*v));
    strcpy(v->verdict, "differs");
    strcpy(v->host, "db<1>|`h`");
    strcpy(v->detail, "row `x` | <script>alert(1)</script> @team");
    v->verified_at = 1732536000; /* 2024-11-25T12:00:00Z */
}

/* The cell and the details line a hostile verdict gives, escaped. */
#define VERDICT_CELL "differs on db&lt;1&gt;\\|\\`h\\` at 2024-11-25T12:00:00Z"
#define VERDICT_LINE                                                     \
    "**Verification**: " VERDICT_CELL ": row \\`x\\` \\| &lt;script&gt;" \
    "alert(1)&lt;/script&gt; &#64;team\n\n"

/*
 * check: the verdict in the row of its result and, with the detail, in
 * the result's <details> block, which a result without a rewrite gets
 * for the verdict alone; a result without a verdict keeps "—".
 */
static void test_markdown_check_verdict(void **state)
{
    struct n1_ci_report r;
    struct n1_ci_result x[3];
    struct n1_store_verdict v;
    char *md;

    (void)state;
    sample(&r, x);
    hostile_verdict(&v);
    x[0].verdict = &v;
    x[1].verdict = &v;
    md = render_ci(&r, NULL);
    assert_non_null(
        strstr(md, "| 2 (40 executions) | 1.50 s | " VERDICT_CELL " |\n"));
    assert_non_null(
        strstr(md, "| logs/a.log:9 | — | — | " VERDICT_CELL " |\n"));
    assert_int_equal(count_of(md, "<details>"), 2);
    assert_non_null(
        strstr(md, "&#64;team</summary>\n\n" VERDICT_LINE "````sql\n"));
    assert_non_null(strstr(md, "</summary>\n\n" VERDICT_LINE "</details>\n"));
    assert_null(strstr(md, "<script>"));
    free(md);
}

/* analyze: the class's verdict, from the class model. */
static void test_markdown_analyze_verdict(void **state)
{
    struct n1_finding f;
    struct n1_finding_class c;
    struct n1_class_set set = {&c, 1};
    struct n1_store_verdict v;
    struct n1_class_report r;
    char *buf;

    (void)state;
    memset(&f, 0, sizeof(f));
    memset(&c, 0, sizeof(c));
    memset(&r, 0, sizeof(r));
    hostile_verdict(&v);
    f.kind = N1_FIND_N_PLUS_ONE;
    f.statement = "select";
    f.table = "users";
    f.location = "app.py:3";
    f.count = 12;
    f.total_time_s = 0.012;
    f.rewrite = "select 1";
    c.f = &f;
    c.occurrences = 2;
    c.verdict = &v;
    buf = render_classes(&set, &r, 0);
    assert_non_null(
        strstr(buf, "| app.py:3 | 2 (12 executions) | 12.0 ms | " VERDICT_CELL
                    " |\n"));
    assert_non_null(strstr(buf, "app.py:3</summary>\n\n" VERDICT_LINE
                                "```sql\nselect 1\n```\n"));
    assert_null(strstr(buf, "<script>"));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_markdown_cell_escapes),
        cmocka_unit_test(test_markdown_fence_len),
        cmocka_unit_test(test_markdown_check_report),
        cmocka_unit_test(test_markdown_check_error_never_pass),
        cmocka_unit_test(test_markdown_budget),
        cmocka_unit_test(test_markdown_analyze_report),
        cmocka_unit_test(test_markdown_check_verdict),
        cmocka_unit_test(test_markdown_analyze_verdict),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
