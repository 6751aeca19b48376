/* SPDX-License-Identifier: MIT */
/*
 * test_report_ci.c: the CI renderings of `n1digest check` (XML escaping,
 * JUnit, SARIF, text, JSON), the ids they key on, and baselines (JSON
 * and SQLite, read and written).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "analyzer/detector.h"
#include "base/strbuf.h"
#include "helpers.h"
#include "report/baseline.h"
#include "report/ci.h"
#include "report/junit.h"
#include "report/sarif.h"
#include "sql/fingerprint.h"
#include "store/store.h"

/* Hostile text: markup, both quotes, a control character, whitespace
   that attribute normalisation would eat, invalid UTF-8, U+FFFF. */
static const char hostile[] = "<a href=\"x\">&'\x01\t\n\r\xff\xc3\x28"
                              "\xef\xbf\xbf\xc3\xa9]]>";

static const struct n1_ci_rule rules[] = {
    {"n_plus_one", "N+1 loop", "Batch it.", N1_SEV_WARNING},
    {"duplicate", "Duplicate", NULL, N1_SEV_WARNING},
    {"adviser.select_star", "SELECT *", "Name the columns.", N1_SEV_INFO},
};

/* Three results: a failing tagged loop with hostile text, a baselined
   one without location, an allowed piece of advice. */
static void sample_report(struct n1_ci_report *r, struct n1_ci_result *x)
{
    static const char *const inputs[] = {"logs/general.log"};

    memset(x, 0, 3 * sizeof(*x));
    x[0].id = 0x1d2b3769adf24e62ULL;
    x[0].rule = "n_plus_one";
    x[0].severity = N1_SEV_ERROR;
    x[0].state = N1_CI_NEW;
    x[0].fails = 1;
    x[0].title = hostile;
    x[0].table = "orders";
    x[0].fingerprint = 0x046575fb2fcc0a19ULL;
    x[0].fingerprint_text = "select * from orders where id = ?";
    x[0].location = "app/my views.py:42";
    x[0].rewrite = "select * from orders where id in ('<&>', 2)";
    x[0].advice = hostile;
    x[0].log_file = "logs/general.log";
    x[0].log_line = 9;
    x[0].count = 40;
    x[1] = x[0];
    x[1].id = 2;
    x[1].title = "old loop";
    x[1].state = N1_CI_BASELINE;
    x[1].fails = 0;
    x[1].location = NULL;
    x[1].severity = N1_SEV_WARNING;
    x[2] = x[1];
    x[2].id = 3;
    x[2].rule = "adviser.select_star";
    x[2].state = N1_CI_ALLOWED;
    x[2].severity = N1_SEV_INFO;
    x[2].allowed_by = "table = orders (ci.rules:4)";
    x[2].rewrite = NULL;
    memset(r, 0, sizeof(*r));
    r->rules = rules;
    r->n_rules = 3;
    r->results = x;
    r->n_results = 3;
    r->inputs = inputs;
    r->n_inputs = 1;
    r->fail_on = N1_SEV_WARNING;
}

/* The sample report, with the stale entries given (NULL, 0: none),
   rendered by fn into a string the caller frees. */
static char *render_sample(int (*fn)(FILE *, const struct n1_ci_report *,
                                     struct n1_error *),
                           const struct n1_ci_stale *stale, size_t n_stale)
{
    struct n1_ci_report r;
    struct n1_ci_result x[3];
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct n1_error err;

    sample_report(&r, x);
    r.stale = stale;
    r.n_stale = n_stale;
    assert_non_null(f);
    assert_int_equal(fn(f, &r, &err), 0);
    fclose(f);
    return buf;
}

static void test_report_ci_xml_escape_hostile(void **state)
{
    struct n1_strbuf sb;

    (void)state;
    n1_strbuf_init(&sb, 0);
    assert_int_equal(n1_xml_escape(&sb, hostile, strlen(hostile)), 0);
    assert_string_equal(n1_strbuf_str(&sb),
                        "&lt;a href=&quot;x&quot;&gt;&amp;&apos;"
                        "\xef\xbf\xbd&#9;&#10;&#13;"
                        "\xef\xbf\xbd\xef\xbf\xbd("
                        "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                        "\xc3\xa9]]&gt;");
    /* A NUL inside the length is a control character too. */
    n1_strbuf_reset(&sb);
    assert_int_equal(n1_xml_escape(&sb, "a\0b", 3), 0);
    assert_string_equal(n1_strbuf_str(&sb), "a\xef\xbf\xbd"
                                            "b");
    /* A sequence cut by the end of the text. */
    n1_strbuf_reset(&sb);
    assert_int_equal(n1_xml_escape(&sb, "x\xe2\x82", 3), 0);
    assert_string_equal(n1_strbuf_str(&sb), "x\xef\xbf\xbd\xef\xbf\xbd");
    n1_strbuf_cleanup(&sb);
    /* The cap is honoured. */
    n1_strbuf_init(&sb, 8);
    assert_int_equal(n1_xml_escape(&sb, "<<<<", 4), -1);
    n1_strbuf_cleanup(&sb);
}

static void test_report_ci_junit(void **state)
{
    char *out = render_sample(n1_report_junit, NULL, 0);

    (void)state;
    /* 3 results + 1 clean rule (duplicate; select_star has a result but
       no failing one, so it is clean too). */
    th_assert_contains(
        out, (const char *const[]){"<testsuites name=\"n1digest check\" "
                                   "tests=\"5\" failures=\"1\" errors=\"0\" "
                                   "skipped=\"2\"",
                                   "classname=\"n1digest.n_plus_one\" "
                                   "name=\"1d2b3769adf24e62 orders at app/my "
                                   "views.py:42\"",
                                   "file=\"app/my views.py\" line=\"42\"",
                                   "message=\"&lt;a href=&quot;x&quot;",
                                   "<skipped message=\"in the baseline\"/>",
                                   "<skipped message=\"allowed by table = "
                                   "orders (ci.rules:4)\"/>",
                                   "name=\"no new duplicate findings\"", NULL});
    assert_null(strstr(out, "name=\"no new n_plus_one findings\""));
    /* Nothing raw from the hostile text survives. */
    assert_null(strstr(out, "\x01"));
    assert_null(strstr(out, "\xff"));
    assert_null(strstr(out, "<a href"));
    free(out);
}

static void test_report_ci_sarif(void **state)
{
    static const struct n1_ci_stale st = {0xabcdefULL, "duplicate", "t",
                                          "select ?"};
    char *out = render_sample(n1_report_sarif, &st, 1);

    (void)state;
    th_assert_contains(
        out, (const char *const[]){
                 "\"version\": \"2.1.0\"", "\"ruleId\": \"n_plus_one\"",
                 "\"level\": \"error\"", "\"level\": \"note\"",
                 "\"uri\": \"app/my%20views.py\"", "\"startLine\": 42", NULL});
    /* Without a location tag: the log file and line. */
    th_assert_contains(
        out, (const char *const[]){
                 "\"uri\": \"logs/general.log\"", "\"startLine\": 9",
                 "\"fullyQualifiedName\": "
                 "\"orders/046575fb2fcc0a19\"",
                 "\"" N1_SARIF_FINGERPRINT_KEY "\": \"1d2b3769adf24e62\"",
                 "\"baselineState\": \"unchanged\"",
                 "\"justification\": \"table = orders "
                 "(ci.rules:4)\"",
                 "Batched rewrite:\\nselect * from orders "
                 "where id in ('<&>', 2)",
                 "\"staleBaselineEntries\"", NULL});
    assert_null(strstr(out, "\xff"));
    free(out);
}

/* A class result: one location per listed occurrence, the total in
   the message, the class id as the partial fingerprint. */
static void test_report_ci_sarif_class(void **state)
{
    struct n1_ci_report r;
    struct n1_ci_result x[3];
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    struct n1_error err;
    const char *p;
    int n = 0;

    (void)state;
    assert_non_null(f);
    sample_report(&r, x);
    r.n_results = 1;
    x[0].occurrences = 12;
    x[0].n_places = 2;
    x[0].places[0].location = "app/a.py:7";
    x[0].places[0].log_file = "logs/general.log";
    x[0].places[0].log_line = 9;
    x[0].places[1].log_file = "logs/general.log";
    x[0].places[1].log_line = 30;
    assert_int_equal(n1_report_sarif(f, &r, &err), 0);
    fclose(f);
    assert_non_null(strstr(out, "12 occurrences; the first 2 are listed as "
                                "locations"));
    for (p = strstr(out, "\"physicalLocation\""); p != NULL;
         p = strstr(p + 1, "\"physicalLocation\"")) {
        n++;
    }
    assert_int_equal(n, 2);
    assert_non_null(strstr(out, "\"uri\": \"app/a.py\""));
    assert_non_null(strstr(out, "\"startLine\": 30"));
    assert_null(strstr(out, "my%20views.py"));
    assert_non_null(
        strstr(out, "\"" N1_SARIF_FINGERPRINT_KEY "\": \"1d2b3769adf24e62\""));
    free(out);
}

static void test_report_ci_text_and_json(void **state)
{
    char *out = render_sample(n1_report_ci_text, NULL, 0);

    (void)state;
    th_assert_contains(
        out,
        (const char *const[]){"n1digest check: FAIL: 1 new result at or "
                              "above warning",
                              "FAIL   n_plus_one (error) "
                              "1d2b3769adf24e62\n",
                              "allowed by table = orders (ci.rules:4)", NULL});
    assert_null(strstr(out, "\x01"));
    free(out);
    out = render_sample(n1_report_ci_json, NULL, 0);
    assert_non_null(strstr(out, "\"failures\": 1"));
    assert_non_null(strstr(out, "\"state\": \"allowed\""));
    assert_null(strstr(out, "\xff"));
    free(out);
}

static void test_report_ci_helpers(void **state)
{
    char path[64];
    char uri[64];

    (void)state;
    assert_int_equal(n1_ci_location_split("app/x.py:42", path, sizeof(path)),
                     42);
    assert_string_equal(path, "app/x.py");
    assert_int_equal(n1_ci_location_split("app/x.py", path, sizeof(path)), 0);
    assert_string_equal(path, "app/x.py");
    assert_int_equal(n1_ci_location_split("C:x:", path, sizeof(path)), 0);
    assert_string_equal(path, "C:x:");
    assert_string_equal(n1_sarif_uri("./a b/c:d.py", uri, sizeof(uri)),
                        "a%20b/c%3Ad.py");
    assert_string_equal(n1_sarif_uri("/srv/app.py", uri, sizeof(uri)),
                        "file:///srv/app.py");
    assert_string_equal(n1_sarif_level(N1_SEV_INFO), "note");
}

/* Ids are stable: pinned values, so a change that would break every
   baseline in the field shows up here. */
static void test_report_ci_ids_stable(void **state)
{
    (void)state;
    /* The settings page loop of fixtures/sample (docs/analyze.md). */
    assert_true(n1_finding_id(N1_FIND_N_PLUS_ONE, 0x046575fb2fcc0a19ULL,
                              NULL) == 0x5918f01dfc0cae25ULL);
    assert_true(n1_ci_advice_id("select_star", 1) ==
                n1_ci_advice_id("select_star", 1));
    assert_true(n1_ci_advice_id("select_star", 1) !=
                n1_ci_advice_id("select_star", 2));
    assert_true(n1_ci_advice_id("select_star", 1) !=
                n1_ci_advice_id("large_offset", 1));
    /* Same scheme as finding ids: name, NUL, 8 bytes, same seed. */
    assert_true(N1_CI_ID_SEED == N1_FINDING_ID_SEED);
}

/* ---- baselines ----------------------------------------------------------- */

static char *tmp_path(const char *suffix)
{
    char *p = malloc(128);

    assert_non_null(p);
    snprintf(p, 128, "/tmp/n1-test-baseline-%ld%s", (long)getpid(), suffix);
    return p;
}

static void test_report_ci_baseline_json(void **state)
{
    struct n1_baseline *b = n1_baseline_new();
    struct n1_baseline *back = NULL;
    struct n1_baseline_entry e;
    struct n1_error err;
    char *path = tmp_path(".json");
    char *out1 = NULL;
    char *out2 = NULL;
    size_t len = 0;
    FILE *f;

    (void)state;
    assert_non_null(b);
    memset(&e, 0, sizeof(e));
    /* Added out of order, one twice, with hostile text. */
    for (uint64_t id = 5; id > 0; id--) {
        e.id = id * 0x1111111111ULL;
        e.rule = "n_plus_one";
        e.table = "orders";
        e.statement = id == 3 ? hostile : "select ?";
        e.location = id == 2 ? "app/x.py:1" : NULL;
        assert_int_equal(n1_baseline_add(b, &e, &err), 0);
    }
    assert_int_equal(n1_baseline_add(b, &e, &err), 0);
    assert_int_equal(n1_baseline_count(b), 5);
    for (size_t i = 1; i < 5; i++) {
        assert_true(n1_baseline_at(b, i - 1)->id < n1_baseline_at(b, i)->id);
    }
    assert_int_equal(n1_baseline_find(b, 3 * 0x1111111111ULL), 2);
    assert_int_equal(n1_baseline_find(b, 7), -1);
    assert_int_equal(n1_baseline_save(b, path, &err), 0);

    back = n1_baseline_load(path, &err);
    assert_non_null(back);
    assert_int_equal(n1_baseline_count(back), 5);
    assert_string_equal(n1_baseline_at(back, 1)->location, "app/x.py:1");
    assert_string_equal(n1_baseline_at(back, 0)->location, "");
    /* Written again, byte for byte the same. */
    f = open_memstream(&out1, &len);
    assert_int_equal(n1_baseline_write_json(b, f, &err), 0);
    fclose(f);
    f = open_memstream(&out2, &len);
    assert_int_equal(n1_baseline_write_json(back, f, &err), 0);
    fclose(f);
    assert_string_equal(out1, out2);
    free(out1);
    free(out2);
    n1_baseline_free(back);
    n1_baseline_free(b);

    /* Another fingerprint version is refused, with the path. */
    f = fopen(path, "w");
    fputs("{\"n1digest_baseline\": 1, \"fingerprint_version\": 99,\n"
          " \"findings\": []}\n",
          f);
    fclose(f);
    assert_null(n1_baseline_load(path, &err));
    assert_int_equal(err.code, N1_EPARSE);
    assert_non_null(strstr(err.message, "fingerprint version 99"));
    assert_string_equal(err.file, path);
    /* Broken JSON: the line. */
    f = fopen(path, "w");
    fputs("{\"n1digest_baseline\": 1,\n\n  oops\n", f);
    fclose(f);
    assert_null(n1_baseline_load(path, &err));
    assert_int_equal(err.code, N1_EPARSE);
    assert_int_equal(err.line, 3);
    remove(path);
    assert_null(n1_baseline_load(path, &err));
    assert_int_equal(err.code, N1_ESYS);
    free(path);
}

static void test_report_ci_baseline_sqlite(void **state)
{
    char *path = tmp_path(".db");
    struct n1_store *st = NULL;
    struct n1_store_finding rows[2];
    struct n1_baseline *b = NULL;
    struct n1_error err;
    const char *json = "{\"id\":\"1d2b3769adf24e62\",\"kind\":\"n_plus_one\"}";

    (void)state;
    remove(path);
    st = n1_store_open(path, NULL, &err);
    assert_non_null(st);
    memset(rows, 0, sizeof(rows));
    rows[0].id = 0x1d2b3769adf24e62ULL;
    rows[0].kind = "n_plus_one";
    rows[0].fingerprint = 0x046575fb2fcc0a19ULL;
    rows[0].file = "a.log";
    rows[0].json = json;
    rows[0].json_len = strlen(json);
    rows[1] = rows[0];
    rows[1].id = 7;
    rows[1].file = "b.log";
    assert_int_equal(n1_store_save_findings(st, NULL, 0, rows, 2, &err), 0);
    n1_store_close(st);

    b = n1_baseline_load(path, &err);
    assert_non_null(b);
    assert_int_equal(n1_baseline_count(b), 2);
    assert_true(n1_baseline_find(b, 0x1d2b3769adf24e62ULL) >= 0);
    assert_string_equal(n1_baseline_at(b, 0)->rule, "n_plus_one");
    n1_baseline_free(b);
    remove(path);
    free(path);
}

/* Baselines written before the rename carry "n1scan_baseline"; they load
   as they did, from a file or from memory, and errors carry one token. */
static void test_report_ci_baseline_legacy_key(void **state)
{
    char text[256];
    struct n1_baseline *b = NULL;
    struct n1_error err;

    (void)state;
    snprintf(text, sizeof(text),
             "{\"n1scan_baseline\": 1, \"fingerprint_version\": %d,\n"
             " \"findings\": [{\"id\": \"1d2b3769adf24e62\",\n"
             "   \"rule\": \"n_plus_one\"}]}\n",
             N1_FINGERPRINT_VERSION);
    b = n1_baseline_parse(text, strlen(text), "old.json", &err);
    assert_non_null(b);
    assert_int_equal(n1_baseline_count(b), 1);
    assert_int_equal(n1_baseline_at(b, 0)->id, 0x1d2b3769adf24e62ULL);
    assert_string_equal(n1_baseline_at(b, 0)->rule, "n_plus_one");
    n1_baseline_free(b);

    /* Neither key: refused, in prose after the one token. */
    assert_null(n1_baseline_parse("{}", 2, "x.json", &err));
    assert_int_equal(err.code, N1_EPARSE);
    assert_string_equal(err.file, "x.json");
    assert_non_null(strstr(err.message, "not an n1digest baseline"));
    /* Not JSON: the line, and no token of the message's own. */
    assert_null(n1_baseline_parse("{\n\n!", 4, NULL, &err));
    assert_int_equal(err.code, N1_EPARSE);
    assert_int_equal(err.line, 3);
    assert_true(strncmp(err.message, "baseline is not JSON", 20) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_ci_xml_escape_hostile),
        cmocka_unit_test(test_report_ci_junit),
        cmocka_unit_test(test_report_ci_sarif),
        cmocka_unit_test(test_report_ci_sarif_class),
        cmocka_unit_test(test_report_ci_text_and_json),
        cmocka_unit_test(test_report_ci_helpers),
        cmocka_unit_test(test_report_ci_ids_stable),
        cmocka_unit_test(test_report_ci_baseline_json),
        cmocka_unit_test(test_report_ci_baseline_sqlite),
        cmocka_unit_test(test_report_ci_baseline_legacy_key),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
