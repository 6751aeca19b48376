/* SPDX-License-Identifier: MIT */
/*
 * test_adviser.c: the adviser rules of rules/default.rules on their
 * fixtures, and the adviser's cache and literal conditions.
 *
 * fixtures/adviser/<rule>.fire.sql holds statements the rule must fire
 * on and <rule>.pass.sql statements it must not (fixtures/adviser/README).
 * Every statement goes through the real normaliser and a fresh adviser,
 * so a fixture tests the rule alone, not the cache.
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

#include "analyzer/adviser.h"
#include "helpers.h"
#include "rules/rules.h"
#include "sql/normalize.h"

struct fx {
    struct n1_normalizer *norm;
    struct n1_rules *rules;
};

/* What a check emitted: the names of the rules that fired. */
struct seen {
    char names[32][64];
    size_t n;
    char last_sample[256];
};

static int setup(void **state)
{
    static struct fx fx;
    struct n1_error err;

    fx.norm = n1_normalizer_new(&err);
    assert_non_null(fx.norm);
    fx.rules = n1_rules_new(&err);
    assert_non_null(fx.rules);
    *state = &fx;
    return 0;
}

static int teardown(void **state)
{
    struct fx *fx = *state;

    n1_rules_free(fx->rules);
    n1_normalizer_free(fx->norm);
    return 0;
}

static void on_advice(void *ud, const struct n1_advice *a)
{
    struct seen *s = ud;

    assert_non_null(a->message);
    assert_non_null(a->advice);
    if (s->n < 32) {
        snprintf(s->names[s->n++], sizeof(s->names[0]), "%s", a->rule);
    }
    snprintf(s->last_sample, sizeof(s->last_sample), "%.*s", (int)a->sample_len,
             a->sample);
}

static int seen_has(const struct seen *s, const char *rule)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->names[i], rule) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Normalises sql and runs adv on it, collecting into *s. */
static void check(struct fx *fx, struct n1_adviser *adv, const char *sql,
                  struct seen *s)
{
    struct n1_norm nm;
    struct n1_error err;

    assert_int_equal(n1_normalize(fx->norm, sql, strlen(sql), &nm, &err), 0);
    assert_true(
        n1_adviser_check(adv, &nm, sql, strlen(sql), on_advice, s, &err) >= 0);
}

/* A fresh adviser over rules, with *s emptied to collect what it says. */
static struct n1_adviser *adviser_start(const struct n1_rules *rules,
                                        struct seen *s)
{
    struct n1_adviser *adv = NULL;
    struct n1_error err;

    memset(s, 0, sizeof(*s));
    adv = n1_adviser_new(rules, &err);
    assert_non_null(adv);
    return adv;
}

/* The built-in rules with text, read as file name, on top. */
static struct n1_rules *rules_with(const char *name, const char *text)
{
    struct n1_rules *r = NULL;
    struct n1_error err;

    r = n1_rules_new(&err);
    assert_non_null(r);
    assert_int_equal(n1_rules_load_string(r, name, text, &err), 0);
    return r;
}

/*
 * Runs every statement of fixtures/adviser/<rule>.<kind>.sql through a
 * fresh adviser and checks that `rule` fires (want 1) or not (want 0).
 * Returns the number of statements.
 */
static int run_fixture(struct fx *fx, const char *rule, const char *kind,
                       int want)
{
    char rel[128];
    char *text = NULL;
    char *line = NULL;
    char *save = NULL;
    int n = 0;

    snprintf(rel, sizeof(rel), "adviser/%s.%s.sql", rule, kind);
    text = th_read_fixture(rel, NULL);
    for (line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        struct n1_adviser *adv = NULL;
        struct n1_error err;
        struct n1_norm nm;
        struct seen s;
        size_t len = strlen(line);

        while (len > 0 && (line[len - 1] == ';' || line[len - 1] == ' ' ||
                           line[len - 1] == '\r')) {
            line[--len] = '\0';
        }
        if (len == 0 || strncmp(line, "--", 2) == 0) {
            continue;
        }
        adv = adviser_start(fx->rules, &s);
        check(fx, adv, line, &s);
        if (seen_has(&s, rule) != want) {
            assert_int_equal(n1_normalize(fx->norm, line, len, &nm, &err), 0);
            print_error("%s: rule %s should %s\n  statement:   %s\n"
                        "  fingerprint: %.*s\n",
                        rel, rule, want ? "fire" : "not fire", line,
                        (int)nm.len, nm.text);
            n1_adviser_free(adv);
            free(text);
            fail();
        }
        n1_adviser_free(adv);
        n++;
    }
    free(text);
    return n;
}

static void test_adviser_shipped_rules_fixtures(void **state)
{
    struct fx *fx = *state;
    const struct n1_advice_rule *rules = NULL;
    size_t n = 0;

    rules = n1_rules_advice(fx->rules, &n);
    assert_true(n >= 12);
    for (size_t i = 0; i < n; i++) {
        assert_true(rules[i].enabled);
        assert_true(run_fixture(fx, rules[i].name, "fire", 1) > 0);
        assert_true(run_fixture(fx, rules[i].name, "pass", 0) > 0);
    }
}

static void test_adviser_once_per_fingerprint(void **state)
{
    struct fx *fx = *state;
    struct n1_adviser *adv = NULL;
    struct n1_adviser_stats st;
    struct seen s;

    adv = adviser_start(fx->rules, &s);
    check(fx, adv, "SELECT * FROM users WHERE id = 1", &s);
    check(fx, adv, "SELECT * FROM users WHERE id = 2", &s);
    check(fx, adv, "select * from users where id=3", &s);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.names[0], "select_star");
    assert_string_equal(s.last_sample, "SELECT * FROM users WHERE id = 1");
    n1_adviser_stats(adv, &st);
    assert_int_equal(st.statements, 3);
    assert_int_equal(st.cache_hits, 2);
    assert_int_equal(st.advices, 1);
    n1_adviser_free(adv);
}

/* Page 1 has a small OFFSET; the rule stays pending and fires on the
   first execution whose literal satisfies it, once. */
static void test_adviser_literal_rule_retries(void **state)
{
    struct fx *fx = *state;
    struct n1_adviser *adv = NULL;
    struct seen s;

    adv = adviser_start(fx->rules, &s);
    check(fx, adv, "SELECT id FROM p ORDER BY id LIMIT 20 OFFSET 0", &s);
    check(fx, adv, "SELECT id FROM p ORDER BY id LIMIT 20 OFFSET 20", &s);
    assert_int_equal(s.n, 0);
    check(fx, adv, "SELECT id FROM p ORDER BY id LIMIT 20 OFFSET 9000", &s);
    check(fx, adv, "SELECT id FROM p ORDER BY id LIMIT 20 OFFSET 9020", &s);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.names[0], "large_offset");
    assert_string_equal(s.last_sample,
                        "SELECT id FROM p ORDER BY id LIMIT 20 OFFSET 9000");
    n1_adviser_free(adv);
}

/* A prepared statement logged with ? has no literals: literal rules
   cannot decide and must stay silent. */
static void test_adviser_no_literals(void **state)
{
    struct fx *fx = *state;
    struct n1_adviser *adv = NULL;
    struct seen s;

    adv = adviser_start(fx->rules, &s);
    check(fx, adv, "SELECT id FROM u WHERE name LIKE ? ORDER BY id", &s);
    assert_false(seen_has(&s, "like_leading_wildcard"));
    n1_adviser_free(adv);
}

static void test_adviser_disabled_and_user_rule(void **state)
{
    struct fx *fx = *state;
    struct n1_rules *r = NULL;
    struct n1_adviser *adv = NULL;
    struct seen s;
    static const char user[] =
        "[adviser.select_star]\n"
        "enabled = false\n"
        "\n"
        "[adviser.big_batch_delete]\n"
        "pattern = ^delete from \\w+ where id in\\((?<slot>\\?)\\+\\)\n"
        "min_items = 3\n"
        "literal_pattern = ^9\n"
        "severity = error\n"
        "message = large batch delete\n";

    (void)fx;
    r = rules_with("user.rules", user);
    adv = adviser_start(r, &s);
    check(fx, adv, "SELECT * FROM t WHERE id = 1", &s);
    assert_int_equal(s.n, 0);
    check(fx, adv, "DELETE FROM t WHERE id IN (1, 2)", &s);
    check(fx, adv, "DELETE FROM t WHERE id IN (1, 2, 3)", &s);
    assert_int_equal(s.n, 0);
    check(fx, adv, "DELETE FROM t WHERE id IN (1, 2, 93)", &s);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.names[0], "big_batch_delete");
    n1_adviser_free(adv);
    n1_rules_free(r);
}

/* A one-entry cache empties itself on every new fingerprint. */
static void test_adviser_cache_bounded(void **state)
{
    struct fx *fx = *state;
    struct n1_rules *r = NULL;
    struct n1_adviser *adv = NULL;
    struct n1_adviser_stats st;
    struct seen s;

    (void)fx;
    r = rules_with("c.rules", "[limits]\nadvice_cache = 1\n");
    adv = adviser_start(r, &s);
    check(fx, adv, "SELECT * FROM a", &s);
    check(fx, adv, "SELECT * FROM b", &s);
    check(fx, adv, "SELECT * FROM a", &s);
    n1_adviser_stats(adv, &st);
    assert_int_equal(st.cache_resets, 2);
    assert_int_equal(s.n, 3); /* a repeats after the reset */
    n1_adviser_free(adv);
    n1_rules_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adviser_shipped_rules_fixtures),
        cmocka_unit_test(test_adviser_once_per_fingerprint),
        cmocka_unit_test(test_adviser_literal_rule_retries),
        cmocka_unit_test(test_adviser_no_literals),
        cmocka_unit_test(test_adviser_disabled_and_user_rule),
        cmocka_unit_test(test_adviser_cache_bounded),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
