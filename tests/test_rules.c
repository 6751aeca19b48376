/* SPDX-License-Identifier: MIT */
/*
 * test_rules.c: rule files: the defaults, overrides, several files, the
 * allow-list, severities, the listing, and every error with its text.
 *
 * Errors are compared as the CLI prints them (n1_err_format()), so the
 * file name and line are part of every expectation.
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

#include "analyzer/detector.h"
#include "analyzer/rules_apply.h"
#include "helpers.h"
#include "rules/rules.h"

static int setup(void **state)
{
    struct n1_error err;
    struct n1_rules *r = n1_rules_new(&err);

    assert_non_null(r);
    *state = r;
    return 0;
}

static int teardown(void **state)
{
    n1_rules_free(*state);
    return 0;
}

/* Loads text as "my.rules" into fresh defaults and expects the error. */
static void expect_error(const char *text, const char *want)
{
    struct n1_rules *r = NULL;
    struct n1_error err;
    char buf[512];

    r = n1_rules_new(&err);
    assert_non_null(r);
    n1_err_clear(&err);
    if (n1_rules_load_string(r, "my.rules", text, &err) == 0) {
        print_error("no error for:\n%s\n", text);
        n1_rules_free(r);
        fail();
    }
    th_assert_text(text, want, n1_err_format(&err, buf, sizeof(buf)));
    n1_rules_free(r);
}

static void load_ok(struct n1_rules *r, const char *name, const char *text)
{
    struct n1_error err;
    char buf[512];

    n1_err_clear(&err);
    if (n1_rules_load_string(r, name, text, &err) != 0) {
        print_error("%s\n", n1_err_format(&err, buf, sizeof(buf)));
        fail();
    }
}

/* The shipped file and n1_detect_opts_default() must agree. */
static void test_rules_defaults_match_detector(void **state)
{
    const struct n1_rules *r = *state;
    const struct n1_thresholds *t = n1_rules_thresholds(r);
    struct n1_detect_opts want, got;

    n1_detect_opts_default(&want);
    memset(&got, 0, sizeof(got)); /* zero padding, as the default does */
    n1_rules_apply(r, &got);
    /* The preamble patterns are the same texts in two arrays. */
    assert_int_equal(want.n_preamble_patterns, got.n_preamble_patterns);
    for (size_t i = 0; i < got.n_preamble_patterns; i++) {
        assert_string_equal(want.preamble_patterns[i],
                            got.preamble_patterns[i]);
    }
    want.preamble_patterns = got.preamble_patterns;
    assert_memory_equal(&want, &got, sizeof(got));
    assert_int_equal(got.n_ignore_patterns, 0);
    assert_int_equal(got.enable_nplus1, 1);
    assert_int_equal(got.enable_duplicate, 1);
    assert_int_equal(got.enable_fanout, 1);
    assert_int_equal(t->det[N1_FIND_N_PLUS_ONE].severity, N1_SEV_WARNING);
    assert_int_equal(t->advice_cache, 4096);
}

static void test_rules_override(void **state)
{
    struct n1_rules *r = *state;
    const struct n1_thresholds *t = n1_rules_thresholds(r);

    load_ok(r, "my.rules",
            "; tighter loops\n"
            "[n_plus_one]\n"
            "min_repeats = 10\n"
            "severity = error   ; inline comment\n"
            "[fanout]\n"
            "enabled = no\n");
    assert_int_equal(t->det[N1_FIND_N_PLUS_ONE].min_repeats, 10);
    assert_int_equal(t->det[N1_FIND_N_PLUS_ONE].severity, N1_SEV_ERROR);
    assert_int_equal(t->det[N1_FIND_N_PLUS_ONE].min_distinct_keys, 3);
    assert_int_equal(t->det[N1_FIND_FANOUT].enabled, 0);
    assert_int_equal(t->det[N1_FIND_DUPLICATE].enabled, 1);
}

static void test_rules_several_files(void **state)
{
    struct n1_rules *r = *state;
    const struct n1_thresholds *t = n1_rules_thresholds(r);
    const struct n1_allow *al = NULL;
    const struct n1_advice_rule *adv = NULL;
    const char *const *ign = NULL;
    size_t n = 0;
    size_t n_adv_before = 0;

    (void)n1_rules_advice(r, &n_adv_before);
    load_ok(r, "a.rules",
            "[n_plus_one]\nmin_repeats = 7\nmax_gap_ms = 500\n"
            "[ignore]\npattern = ^select \\? from dual$\n"
            "[allow]\ntable = schema_migrations\n"
            "[adviser.select_star]\nseverity = error\n");
    load_ok(r, "b.rules",
            "[n_plus_one]\nmin_repeats = 9\n"
            "[ignore]\npattern = ^select @@\n"
            "[allow]\nfingerprint = 00000000000000AB\n"
            "[adviser.select_star]\nenabled = false\n"
            "[adviser.mine]\npattern = ^lock tables\nmessage = m\n");
    assert_int_equal(t->det[N1_FIND_N_PLUS_ONE].min_repeats, 9);
    assert_int_equal(t->det[N1_FIND_N_PLUS_ONE].max_gap_ms, 500);
    ign = n1_rules_ignore(r, &n);
    assert_int_equal(n, 2);
    assert_string_equal(ign[0], "^select \\? from dual$");
    assert_string_equal(ign[1], "^select @@");
    al = n1_rules_allow_list(r, &n);
    assert_int_equal(n, 2);
    assert_int_equal(al[0].kind, N1_ALLOW_TABLE);
    assert_string_equal(al[0].origin.file, "a.rules");
    assert_int_equal(al[0].origin.line, 7);
    assert_int_equal(al[1].fingerprint, 0xab);
    adv = n1_rules_advice(r, &n);
    assert_int_equal(n, n_adv_before + 1);
    assert_string_equal(adv[0].name, "select_star");
    assert_int_equal(adv[0].enabled, 0);
    assert_int_equal(adv[0].severity, N1_SEV_ERROR);
    assert_string_equal(adv[0].origin.file, "default.rules");
    assert_string_equal(adv[n - 1].name, "mine");
    assert_int_equal(adv[n - 1].severity, N1_SEV_WARNING);
    assert_null(adv[n - 1].advice);
}

static void test_rules_bom_and_crlf(void **state)
{
    struct n1_rules *r = *state;

    load_ok(r, "bom.rules",
            "\xef\xbb\xbf[duplicate]\r\nmin_repeats = 4\r\n\r\n"
            "[fanout]\r\nseverity = info\r\n");
    assert_int_equal(n1_rules_thresholds(r)->det[N1_FIND_DUPLICATE].min_repeats,
                     4);
    assert_int_equal(n1_rules_thresholds(r)->det[N1_FIND_FANOUT].severity,
                     N1_SEV_INFO);
}

static void test_rules_continuation(void **state)
{
    struct n1_rules *r = *state;
    const struct n1_advice_rule *adv = NULL;
    size_t n = 0;

    load_ok(r, "c.rules",
            "[adviser.x]\n"
            "pattern = ^select\n"
            "message = one\n"
            "\ttwo\n"
            "advice = a\n"
            "    b  c\n"
            "    d\n");
    adv = n1_rules_advice(r, &n);
    assert_string_equal(adv[n - 1].message, "one two");
    assert_string_equal(adv[n - 1].advice, "a b  c d");
}

static void test_rules_load_file(void **state)
{
    struct n1_rules *r = *state;
    static const char text[] = "[duplicate]\nmin_repeats = 3\n";
    const char *path = th_temp_file(text, sizeof(text) - 1);
    struct n1_error err;

    assert_int_equal(n1_rules_load_file(r, path, &err), 0);
    assert_int_equal(n1_rules_thresholds(r)->det[N1_FIND_DUPLICATE].min_repeats,
                     3);
}

static void test_rules_error_missing_file(void **state)
{
    struct n1_rules *r = *state;
    struct n1_error err;
    char buf[512];

    assert_int_equal(n1_rules_load_file(r, "/nonexistent/dir/x.rules", &err),
                     -1);
    assert_int_equal(err.code, N1_ESYS);
    assert_string_equal(n1_err_format(&err, buf, sizeof(buf)),
                        "SYSTEM /nonexistent/dir/x.rules: cannot open: No "
                        "such file or directory");
}

static void test_rules_error_in_file_names_path(void **state)
{
    struct n1_rules *r = *state;
    static const char text[] = "[n_plus_one]\n\nmin_repeat = 3\n";
    const char *path = th_temp_file(text, sizeof(text) - 1);
    struct n1_error err;
    char want[512], buf[512];

    assert_int_equal(n1_rules_load_file(r, path, &err), -1);
    assert_int_equal(err.code, N1_ERULES);
    snprintf(want, sizeof(want),
             "RULES %s:3: unknown key 'min_repeat' in [n_plus_one]", path);
    assert_string_equal(n1_err_format(&err, buf, sizeof(buf)), want);
}

static void test_rules_error_sections(void **state)
{
    (void)state;
    expect_error("[nplus1]\nmin_repeats = 3\n",
                 "RULES my.rules:1: unknown section [nplus1]");
    /* Even without keys. */
    expect_error("# x\n[n_plus_one]\n[duplicat]\n",
                 "RULES my.rules:3: unknown section [duplicat]");
    expect_error("[adviser.Bad-Name]\n",
                 "RULES my.rules:1: bad rule name in [adviser.Bad-Name] (1 "
                 "to 48 of a-z, 0-9, _)");
    expect_error("min_repeats = 3\n",
                 "RULES my.rules:1: key 'min_repeats' outside a section");
    expect_error("[n_plus_one]\nmin_repeats 3\n",
                 "RULES my.rules:2: syntax error (expected [section] or key "
                 "= value)");
    expect_error("[n_plus_one\nmin_repeats = 3\n",
                 "RULES my.rules:1: syntax error (expected [section] or key "
                 "= value)");
}

static void test_rules_error_keys(void **state)
{
    (void)state;
    expect_error("[n_plus_one]\nmin_repeat = 3\n",
                 "RULES my.rules:2: unknown key 'min_repeat' in [n_plus_one]");
    /* window_ms belongs to [fanout] only. */
    expect_error("[duplicate]\nwindow_ms = 3\n",
                 "RULES my.rules:2: unknown key 'window_ms' in [duplicate]");
    expect_error("[allow]\nfile = x\n",
                 "RULES my.rules:2: unknown key 'file' in [allow]");
    expect_error("[adviser.select_star]\nregex = x\n",
                 "RULES my.rules:2: unknown key 'regex' in "
                 "[adviser.select_star]");
    expect_error("[n_plus_one]\nmin_repeats = 3\nmin_repeats = 4\n",
                 "RULES my.rules:3: duplicate key 'min_repeats' in "
                 "[n_plus_one] (first at line 2)");
    expect_error("[n_plus_one]\nmin_repeats = 3\n  4\n",
                 "RULES my.rules:3: indented line continues 'min_repeats' "
                 "in [n_plus_one]; only message and advice continue");
}

static void test_rules_error_values(void **state)
{
    (void)state;
    expect_error("[n_plus_one]\nmin_repeats = five\n",
                 "RULES my.rules:2: bad number 'five' for 'min_repeats' in "
                 "[n_plus_one] (2 or more)");
    expect_error("[n_plus_one]\nmin_repeats = -3\n",
                 "RULES my.rules:2: bad number '-3' for 'min_repeats' in "
                 "[n_plus_one] (2 or more)");
    expect_error("[n_plus_one]\nmin_repeats = 1\n",
                 "RULES my.rules:2: bad number '1' for 'min_repeats' in "
                 "[n_plus_one] (2 or more)");
    expect_error("[limits]\nidle_ms = 99999999999\n",
                 "RULES my.rules:2: bad number '99999999999' for 'idle_ms' "
                 "in [limits] (1 or more)");
    expect_error("[n_plus_one]\nmax_gap_ms = 10ms\n",
                 "RULES my.rules:2: bad number '10ms' for 'max_gap_ms' in "
                 "[n_plus_one] (0 or more)");
    expect_error("[fanout]\nenabled = maybe\n",
                 "RULES my.rules:2: bad boolean 'maybe' for 'enabled' in "
                 "[fanout] (true or false)");
    expect_error("[duplicate]\n\nseverity = critical\n",
                 "RULES my.rules:3: bad severity 'critical' for 'severity' "
                 "in [duplicate] (info, warning or error)");
    expect_error("[adviser.select_star]\nseverity = WARNING\n",
                 "RULES my.rules:2: bad severity 'WARNING' for 'severity' "
                 "in [adviser.select_star] (info, warning or error)");
    expect_error("[adviser.large_offset]\nmin_value = lots\n",
                 "RULES my.rules:2: bad number 'lots' for 'min_value' in "
                 "[adviser.large_offset]");
    expect_error("[allow]\nfingerprint = 12345\n",
                 "RULES my.rules:2: bad fingerprint '12345' in [allow] (16 "
                 "hex digits)");
    expect_error("[allow]\ntag = vendor/*\n",
                 "RULES my.rules:2: bad tag 'vendor/*' in [allow] (expected "
                 "key=glob)");
}

static void test_rules_error_patterns(void **state)
{
    (void)state;
    expect_error("[ignore]\npattern = select (\n",
                 "RULES my.rules:2: bad pattern for 'pattern' in [ignore] at "
                 "offset 8: missing closing parenthesis");
    expect_error("[allow]\nstatement = a[b\n",
                 "RULES my.rules:2: bad pattern for 'statement' in [allow] "
                 "at offset 3: missing terminating ] for character class");
    expect_error("[adviser.x]\nmessage = m\npattern = (?<slot>\\?\n",
                 "RULES my.rules:3: bad pattern for 'pattern' in [adviser.x] "
                 "at offset 10: missing closing parenthesis");
    expect_error("[adviser.x]\npattern = like (?<slot>\\?)\n"
                 "literal_pattern = *x\nmessage = m\n",
                 "RULES my.rules:3: bad pattern for 'literal_pattern' in "
                 "[adviser.x] at offset 0: quantifier does not follow a "
                 "repeatable item");
}

static void test_rules_error_adviser_rules(void **state)
{
    (void)state;
    /* Duplicate rule name in one file. */
    expect_error("[adviser.x]\npattern = a\nmessage = m\n\n"
                 "[adviser.x]\nseverity = info\n",
                 "RULES my.rules:5: rule 'x' is already defined at line 1");
    expect_error("[adviser.select_star]\nseverity = info\n"
                 "[adviser.select_star]\n",
                 "RULES my.rules:3: rule 'select_star' is already defined at "
                 "line 1");
    expect_error("[n_plus_one]\n[adviser.x]\nmessage = m\n",
                 "RULES my.rules:2: rule 'x' has no pattern");
    expect_error("[adviser.x]\npattern = ^select\n",
                 "RULES my.rules:1: rule 'x' has no message");
    expect_error("[adviser.x]\npattern = like \\?\nmessage = m\n"
                 "min_items = 3\n",
                 "RULES my.rules:1: rule 'x': literal_pattern, min_items and "
                 "min_value need one group (?<slot>\\?) in the pattern");
    expect_error("[adviser.select_star]\npattern =\n",
                 "RULES my.rules:2: empty 'pattern' in [adviser.select_star]");
}

/* A rule defined in one file and changed in the next is no duplicate. */
static void test_rules_same_rule_across_files(void **state)
{
    struct n1_rules *r = *state;
    const struct n1_advice_rule *adv = NULL;
    size_t n = 0;

    load_ok(r, "a.rules", "[adviser.x]\npattern = ^a\nmessage = m\n");
    load_ok(r, "b.rules", "[adviser.x]\npattern = ^b\n");
    adv = n1_rules_advice(r, &n);
    assert_string_equal(adv[n - 1].name, "x");
    assert_string_equal(adv[n - 1].pattern, "^b");
    assert_string_equal(adv[n - 1].message, "m");
    assert_string_equal(adv[n - 1].origin.file, "a.rules");
}

static void test_rules_error_line_too_long(void **state)
{
    char text[400];
    char want[256];

    (void)state;
    memset(text, 0, sizeof(text));
    strcpy(text, "[ignore]\npattern = ");
    memset(text + strlen(text), 'a', 200);
    strcat(text, "\n");
    snprintf(want, sizeof(want),
             "RULES my.rules:2: line longer than %d bytes (continue text on "
             "indented lines)",
             N1_RULES_MAX_LINE);
    expect_error(text, want);
}

/* Asserts that an [allow] entry of that kind lets f through; returns it. */
static const struct n1_allow *allowed_by(const struct n1_rules *r,
                                         const struct n1_finding *f,
                                         enum n1_allow_kind kind)
{
    const struct n1_allow *a = n1_rules_allows(r, f);

    assert_non_null(a);
    assert_int_equal(a->kind, kind);
    return a;
}

static void test_rules_allows(void **state)
{
    struct n1_rules *r = *state;
    const struct n1_allow *a = NULL;
    struct n1_kv tags[2] = {{"controller", "users"},
                            {"file", "vendor/acme/orm.php"}};
    struct n1_finding f;

    load_ok(r, "allow.rules",
            "[allow]\n"
            "fingerprint = 8ac30f8d785adca9\n"
            "table = schema_migrations\n"
            "tag = file='vendor/*'\n"
            "location = app/legacy/*\n"
            "statement = ^select .* from sessions where\n");
    memset(&f, 0, sizeof(f));
    f.table = "orders";
    f.fingerprint_text = "select a from orders where id = ?";
    f.fingerprint = 1;
    assert_null(n1_rules_allows(r, &f));

    f.fingerprint = 0x8ac30f8d785adca9ULL;
    a = allowed_by(r, &f, N1_ALLOW_FINGERPRINT);
    assert_int_equal(a->origin.line, 2);
    f.fingerprint = 1;

    f.table = "app.Schema_Migrations";
    a = allowed_by(r, &f, N1_ALLOW_TABLE);
    f.table = "schema_migrations_old";
    assert_null(n1_rules_allows(r, &f));

    f.tags = tags;
    f.n_tags = 2;
    a = allowed_by(r, &f, N1_ALLOW_TAG);
    assert_string_equal(a->key, "file");
    assert_string_equal(a->value, "vendor/*");
    assert_string_equal(a->origin.file, "allow.rules");
    assert_int_equal(a->origin.line, 4);
    f.n_tags = 1;
    assert_null(n1_rules_allows(r, &f));

    f.location = "app/legacy/report.rb:12";
    a = allowed_by(r, &f, N1_ALLOW_LOCATION);
    f.location = "app/models/user.rb:3";
    assert_null(n1_rules_allows(r, &f));

    f.fingerprint_text = "select data from sessions where id = ?";
    a = allowed_by(r, &f, N1_ALLOW_STATEMENT);
    assert_int_equal(a->origin.line, 6);
}

static void test_rules_severity_and_time(void **state)
{
    struct n1_rules *r = *state;
    struct n1_finding f;

    load_ok(r, "sev.rules",
            "[n_plus_one]\nerror_repeats = 50\nmin_total_time_ms = 100\n"
            "[duplicate]\nseverity = info\nerror_repeats = 0\n");
    memset(&f, 0, sizeof(f));
    f.kind = N1_FIND_N_PLUS_ONE;
    f.severity = N1_SEV_WARNING;
    f.count = 49;
    f.total_time_s = NAN;
    f.connection = 1;
    f.evidence.confidence = N1_CONF_HIGH;
    assert_int_equal(n1_rules_severity(r, &f), N1_SEV_WARNING);
    f.count = 50;
    assert_int_equal(n1_rules_severity(r, &f), N1_SEV_ERROR);
    /* Never error at low confidence or without connection ids. */
    f.evidence.confidence = N1_CONF_LOW;
    assert_int_equal(n1_rules_severity(r, &f), N1_SEV_WARNING);
    f.evidence.confidence = N1_CONF_HIGH;
    f.evidence.no_conn_ids = 1;
    assert_int_equal(n1_rules_severity(r, &f), N1_SEV_WARNING);
    f.evidence.no_conn_ids = 0;
    f.severity = N1_SEV_INFO;
    assert_int_equal(n1_rules_severity(r, &f), N1_SEV_INFO);
    assert_int_equal(n1_rules_too_fast(r, &f), 0);
    f.total_time_s = 0.099;
    assert_int_equal(n1_rules_too_fast(r, &f), 1);
    f.total_time_s = 0.1;
    assert_int_equal(n1_rules_too_fast(r, &f), 0);

    f.kind = N1_FIND_DUPLICATE;
    f.severity = N1_SEV_WARNING;
    f.count = 100000;
    f.total_time_s = 0.0;
    assert_int_equal(n1_rules_severity(r, &f), N1_SEV_INFO);
    assert_int_equal(n1_rules_too_fast(r, &f), 0);
}

static void test_rules_apply_user_values(void **state)
{
    struct n1_rules *r = *state;
    struct n1_detect_opts o;

    load_ok(r, "u.rules",
            "[n_plus_one]\nerror_repeats = 0\nmax_gap_statements = 7\n"
            "[fanout]\nwindow_ms = 250\nenabled = off\n"
            "[limits]\nmax_keys = 10\n"
            "[ignore]\ndefault_noise = false\npattern = ^x\n");
    n1_detect_opts_default(&o);
    n1_rules_apply(r, &o);
    assert_int_equal(o.error_repeats, ~0u);
    assert_int_equal(o.max_gap_statements, 7);
    assert_int_equal(o.fanout_window_ms, 250);
    assert_int_equal(o.enable_fanout, 0);
    assert_int_equal(o.max_keys, 10);
    assert_int_equal(o.ignore_default_noise, 0);
    assert_int_equal(o.n_ignore_patterns, 1);
    assert_string_equal(o.ignore_patterns[0], "^x");
}

/* The listing names origins and reads back as a rule file. */
static void test_rules_write_round_trip(void **state)
{
    struct n1_rules *r = *state;
    struct n1_rules *back = NULL;
    struct n1_error err;
    char *out = NULL;
    size_t len = 0;
    FILE *f = NULL;
    char buf[512];

    load_ok(r, "w.rules",
            "[n_plus_one]\nmin_repeats = 12\n"
            "[allow]\ntag = file='vendor/*'\n"
            "[ignore]\npattern = ^select @@\n");
    f = open_memstream(&out, &len);
    assert_non_null(f);
    assert_int_equal(n1_rules_write(r, f), 0);
    fclose(f);
    assert_non_null(strstr(out, "# rules in force, read from: default.rules "
                                "w.rules\n"));
    assert_non_null(
        strstr(out, "min_repeats = 12                         ; w.rules:2\n"));
    assert_non_null(strstr(out, "min_distinct_keys = 3                    ; "
                                "default.rules:18\n"));
    assert_non_null(strstr(out, "tag = file='vendor/*'"));
    assert_non_null(strstr(out, "[adviser.select_star]"));

    back = n1_rules_new(&err);
    assert_non_null(back);
    if (n1_rules_load_string(back, "listing", out, &err) != 0) {
        print_error("%s\n", n1_err_format(&err, buf, sizeof(buf)));
        fail();
    }
    assert_memory_equal(n1_rules_thresholds(r), n1_rules_thresholds(back),
                        sizeof(struct n1_thresholds));
    {
        size_t na = 0, nb = 0;
        const struct n1_advice_rule *a = n1_rules_advice(r, &na);
        const struct n1_advice_rule *b = n1_rules_advice(back, &nb);

        assert_int_equal(na, nb);
        for (size_t i = 0; i < na; i++) {
            assert_string_equal(a[i].pattern, b[i].pattern);
            assert_string_equal(a[i].message, b[i].message);
            assert_string_equal(a[i].advice, b[i].advice);
        }
    }
    n1_rules_free(back);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rules_defaults_match_detector,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_rules_override, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rules_several_files, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rules_bom_and_crlf, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rules_continuation, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rules_load_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rules_error_missing_file, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rules_error_in_file_names_path,
                                        setup, teardown),
        cmocka_unit_test(test_rules_error_sections),
        cmocka_unit_test(test_rules_error_keys),
        cmocka_unit_test(test_rules_error_values),
        cmocka_unit_test(test_rules_error_patterns),
        cmocka_unit_test(test_rules_error_adviser_rules),
        cmocka_unit_test_setup_teardown(test_rules_same_rule_across_files,
                                        setup, teardown),
        cmocka_unit_test(test_rules_error_line_too_long),
        cmocka_unit_test_setup_teardown(test_rules_allows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rules_severity_and_time, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rules_apply_user_values, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rules_write_round_trip, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
