/* SPDX-License-Identifier: MIT */
/*
 * test_finding_text.c: the texts the store keeps of a finding, written
 * straight from the finding, are the bytes of the jansson path.
 *
 * The store keeps two texts of every finding (its compact JSON and its
 * occurrence text) and later runs print and compare them, so the direct
 * writer must give exactly what dumping the finding's jansson tree gives
 * (the tree the other reports build). Each case is a finding made from
 * pools of awkward values (text that is not UTF-8, control bytes, quotes,
 * "</script>", NULL strings, reals that print in exponent form, counts
 * past INT64_MAX, tags whose key is not UTF-8 or repeats); each text is
 * compared with n1_rj_dumps() and json_dumps() of the tree.
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

#include "base/finding.h"
#include "base/timeutil.h"
#include "report/classes.h"
#include "report/findings.h"
#include "report/findings_int.h"
#include "report/json_int.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Log text as it comes: NULL, empty, escapes, bad UTF-8, good UTF-8. */
static const char *const texts[] = {
    NULL,
    "",
    "select * from orders where id = ?",
    "quote \" and backslash \\ and slash /",
    "</script><script>alert(1)</script>",
    "\x01\x02\x1f\t\n\r\b\f\x0b\x7f end",
    "bad \xff byte",
    "overlong \xc0\x80 and \xe0\x80\x80",
    "surrogate \xed\xa0\x80 past \xf4\x90\x80\x80",
    "cut \xe2\x82",
    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
    "\xe2\x82\xac\xff\xc3",
    "\xff",
    "'a', 'b'",
    /* escapes and bad bytes at every place of the 8-byte blocks */
    "12345678\"2345678\\345678\x01"
    "456789\xff"
    "56789\xc3\xa9"
    "6789\x7f"
    "789</ab",
    "1234567\n1234567890123\t12345678901234567\xe2\x82\xac\xe2\x82x",
};

/* Reals: ordinary, tiny, huge, integral, exponent forms. */
static const double reals[] = {
    0.0,  0.1,  1e-7, 123456789.123, 1.25,
    40.0, 1e15, 1e16, 1e22,          2.5e-5,
    -0.0, 0.5,  3.0,  1e-300,        12345678901234567.0,
};

static const uint64_t counts[] = {
    0,
    1,
    2,
    42,
    2500,
    999999999999ULL,
    (uint64_t)INT64_MAX,
    (uint64_t)INT64_MAX + 1,
    UINT64_MAX,
};

static const int64_t times[] = {
    N1_TS_NONE, 0, 1795165443000000LL, 1795165452123456LL, 1000001,
};

static const uint64_t conns[] = {60, 0, UINT64_MAX, 61, 1ULL << 63, 7};
static const uint64_t body[] = {0x046575fb2fcc0a19ULL, 0, UINT64_MAX, 1};

/* Tags: plain, bad UTF-8 in the key (dropped) or the value (repaired),
   NULL value, NULL key (dropped), a key set twice (jansson keeps its first
   place and its last value), a key to escape. */
static const struct n1_kv tags[] = {
    {"controller", "set'tings"},
    {"bad\xffkey", "dropped"},
    {"file", "utils.py:42"},
    {"route", "bad \xfe value"},
    {"controller", "second"},
    {"empty", NULL},
    {NULL, "no key"},
    {"quo\"te\n", "</script>"},
    {"", "empty key"},
    {"\xc3\xa9t\xc3\xa9", "caf\xc3\xa9"},
    {"file", "last"},
};

/* A small deterministic generator (xorshift64*). */
static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(uint64_t n)
{
    rnd_state ^= rnd_state >> 12;
    rnd_state ^= rnd_state << 25;
    rnd_state ^= rnd_state >> 27;
    return (rnd_state * 0x2545f4914f6cdd1dULL >> 11) % n;
}

static const char *pick_text(void)
{
    return texts[rnd(N_OF(texts))];
}

static double pick_real(void)
{
    return reals[rnd(N_OF(reals))];
}

/* Key columns and keys, from the texts (NULL among them). */
static const char *strs[8];

/* Finding number i: every kind, with and without keys, parent, tags. */
static void make_finding(struct n1_finding *f, size_t i)
{
    memset(f, 0, sizeof(*f));
    for (size_t k = 0; k < N_OF(strs); k++) {
        strs[k] = pick_text();
    }
    f->id = counts[rnd(N_OF(counts))] ^ (uint64_t)i;
    f->kind = (enum n1_finding_kind)(i % 3);
    f->severity = (enum n1_severity)rnd(4); /* 3: "unknown" */
    f->statement = pick_text();
    f->table = pick_text();
    f->key_columns = strs;
    f->n_key_columns = rnd(4);
    f->connection = counts[rnd(N_OF(counts))];
    if (f->kind == N1_FIND_FANOUT) {
        f->connections = conns;
        f->n_connections = rnd(N_OF(conns) + 1);
    }
    f->count = counts[rnd(N_OF(counts))];
    f->distinct_keys = counts[rnd(N_OF(counts))];
    f->round_trips_saved = counts[rnd(N_OF(counts))];
    f->fingerprint = counts[rnd(N_OF(counts))] * 31;
    f->fingerprint_text = pick_text();
    f->sample = pick_text();
    f->first_seen_us = times[rnd(N_OF(times))];
    f->last_seen_us = times[rnd(N_OF(times))];
    f->total_time_s = rnd(5) == 0 ? NAN : pick_real();
    f->has_parent = (int)rnd(2);
    f->parent_fingerprint = counts[rnd(N_OF(counts))];
    f->parent_table = pick_text();
    f->parent_sql = pick_text();
    f->parent_rows_sent = rnd(4) == 0 ? NAN : pick_real();
    f->tags = tags + rnd(3);
    f->n_tags = rnd(N_OF(tags) - 2);
    f->location = pick_text();
    f->rewrite = pick_text();
    f->keys = strs + 2;
    f->n_keys = rnd(4);
    f->rewrite_kind = pick_text();
    f->advice = pick_text();
    f->file = pick_text();
    f->line = (unsigned long)counts[rnd(N_OF(counts))];
    f->evidence.starts = (enum n1_boundary)rnd(N1_BOUND_COUNT + 1);
    f->evidence.ends = (enum n1_boundary)rnd(N1_BOUND_COUNT + 1);
    f->evidence.body = body;
    f->evidence.n_body = rnd(N_OF(body) + 1);
    f->evidence.rows_match = (int)rnd(3) - 1;
    f->evidence.no_conn_ids = (int)rnd(2);
    f->evidence.span_us = (int64_t)rnd(4) * 750001 - 1;
    f->evidence.confidence = (enum n1_confidence)rnd(4);
}

/* text with indent spaces after each line break. */
static char *nest(const char *text, int indent)
{
    size_t lines = 0;
    char *out = NULL;
    char *q = NULL;

    for (const char *p = text; *p != '\0'; p++) {
        lines += *p == '\n';
    }
    out = malloc(strlen(text) + lines * (size_t)indent + 1);
    assert_non_null(out);
    q = out;
    for (const char *p = text; *p != '\0'; p++) {
        *q++ = *p;
        if (*p == '\n') {
            memset(q, ' ', (size_t)indent);
            q += indent;
        }
    }
    *q = '\0';
    return out;
}

/* The jansson path's text of root: n1_rj_dumps() as the reports write
   it, which must also be json_dumps()'s. NULL when both refuse root. */
static char *tree_text(const json_t *root, int indent)
{
    size_t flags = indent < 0 ? N1_RF_DUMP_COMPACT : N1_RF_DUMP_PRETTY;
    char *ours = root != NULL ? n1_rj_dumps(root, flags) : NULL;
    char *theirs = root != NULL ? json_dumps(root, flags) : NULL;
    char *nested = NULL;

    if (ours == NULL) {
        assert_null(theirs);
        return NULL;
    }
    assert_non_null(theirs);
    assert_string_equal(ours, theirs);
    nested = nest(ours, indent < 0 ? 0 : indent);
    free(ours);
    free(theirs);
    return nested;
}

/* Both NULL, or the same bytes. */
static void same_text(const char *got, const char *want, size_t i)
{
    if ((want == NULL) != (got == NULL) ||
        (want != NULL && strcmp(got, want) != 0)) {
        print_error("finding %zu:\n got: %s\nwant: %s\n", i,
                    got != NULL ? got : "(null)",
                    want != NULL ? want : "(null)");
    }
    if (want == NULL) {
        assert_null(got);
    } else {
        assert_non_null(got);
        assert_string_equal(got, want);
    }
}

/* The members of an occurrence, by name, as the jansson path picked them
   from the stored object. */
static const char *const occurrence_names[] = {
    "connections",
    "connection",
    "file",
    "line",
    "count",
    "distinct_keys",
    "round_trips_saved",
    "first_seen",
    "last_seen",
    "total_time_s",
    "rewrite",
    "rewrite_kind",
    "keys",
    "evidence",
};

static json_t *occurrence_tree(const json_t *stored)
{
    json_t *o = json_object();

    assert_non_null(o);
    for (size_t i = 0; i < N_OF(occurrence_names); i++) {
        json_t *v = json_object_get(stored, occurrence_names[i]);

        if (v != NULL) {
            assert_int_equal(json_object_set(o, occurrence_names[i], v), 0);
        }
    }
    return o;
}

/* Every text of f against the jansson path. */
static void check_finding(const struct n1_finding *f, size_t i)
{
    json_t *tree = n1_rf_members_object(f, NULL, N1_RF_MEMBERS);
    json_t *occ_tree = tree != NULL ? occurrence_tree(tree) : NULL;
    char *want_json = tree_text(tree, -1);
    char *want_occ = tree_text(occ_tree, 8);
    struct n1_error err;
    char *json = n1_finding_to_json(f, NULL, &err);
    char *occ = n1_classes_occurrence_text(f);
    char *both_json = NULL;
    char *both_occ = NULL;
    int rc = n1_classes_finding_texts(f, &both_json, &both_occ, &err);

    same_text(json, want_json, i);
    same_text(occ, want_occ, i);
    same_text(both_json, want_json, i);
    same_text(both_occ, want_occ, i);
    assert_int_equal(rc, want_json != NULL ? 0 : -1);
    for (int indent = 0; indent <= 3; indent += 3) {
        char *want = tree_text(tree, indent);
        char *got = n1_rf_members_text(f, NULL, N1_RF_MEMBERS, indent);

        same_text(got, want, i);
        free(want);
        free(got);
    }
    free(json);
    free(occ);
    free(both_json);
    free(both_occ);
    free(want_json);
    free(want_occ);
    json_decref(occ_tree);
    json_decref(tree);
}

/* Thousands of findings from the pools. */
static void test_finding_text_same_as_tree(void **state)
{
    struct n1_finding f;

    (void)state;
    for (size_t i = 0; i < 5000; i++) {
        make_finding(&f, i);
        check_finding(&f, i);
    }
}

/* Every tag at once: the bad key dropped, "controller" and "file" at
   their first place with their last value, the rest in order. */
static void test_finding_text_tags(void **state)
{
    struct n1_finding f;
    struct n1_error err;
    char *json = NULL;
    const char *t = NULL;

    (void)state;
    make_finding(&f, 0);
    f.tags = tags;
    f.n_tags = N_OF(tags);
    check_finding(&f, 0);
    json = n1_finding_to_json(&f, NULL, &err);
    assert_non_null(json);
    t = strstr(json, "\"tags\":");
    assert_non_null(t);
    assert_memory_equal(t,
                        "\"tags\":{\"controller\":\"second\","
                        "\"file\":\"last\","
                        "\"route\":\"bad \xef\xbf\xbd value\","
                        "\"empty\":null,"
                        "\"quo\\\"te\\n\":\"</script>\","
                        "\"\":\"empty key\","
                        "\"\xc3\xa9t\xc3\xa9\":\"caf\xc3\xa9\"},",
                        strlen("\"tags\":{\"controller\":\"second\","
                               "\"file\":\"last\","
                               "\"route\":\"bad \xef\xbf\xbd value\","
                               "\"empty\":null,"
                               "\"quo\\\"te\\n\":\"</script>\","
                               "\"\":\"empty key\","
                               "\"\xc3\xa9t\xc3\xa9\":\"caf\xc3\xa9\"},"));
    free(json);
}

/* Reals that jansson refuses (infinite, or made infinite by rounding to
   microseconds) fail both paths alike. */
static void test_finding_text_refused_reals(void **state)
{
    struct n1_finding f;

    (void)state;
    make_finding(&f, 1);
    f.total_time_s = 1e303; /* times 1e6 is infinite */
    check_finding(&f, 1);
    f.total_time_s = INFINITY;
    check_finding(&f, 2);
    f.total_time_s = 2.0;
    f.has_parent = 1;
    f.parent_rows_sent = -INFINITY;
    check_finding(&f, 3);
}

/* The values of the stored text, by reasoning: reals at 15 digits with
   ".0" when integral and a bare exponent, counts past INT64_MAX as
   jansson's signed integers, bad bytes as U+FFFD. */
static void test_finding_text_values(void **state)
{
    static const char *const cols[] = {"orders.id", NULL};
    struct n1_finding f;
    struct n1_error err;
    char *json = NULL;

    (void)state;
    memset(&f, 0, sizeof(f));
    f.id = 0x5918f01dfc0cae25ULL;
    f.kind = N1_FIND_DUPLICATE;
    f.key_columns = cols;
    f.n_key_columns = 2;
    f.connection = UINT64_MAX;
    f.count = (uint64_t)INT64_MAX + 1;
    f.total_time_s = 123456789.123;
    f.has_parent = 1;
    f.parent_rows_sent = 1e22;
    f.first_seen_us = N1_TS_NONE;
    f.last_seen_us = N1_TS_NONE;
    f.sample = "a\xff\"</script>";
    f.evidence.span_us = 100000;
    json = n1_finding_to_json(&f, NULL, &err);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"key_columns\":[\"orders.id\",null],"
                                 "\"connection\":-1,"
                                 "\"count\":-9223372036854775808,"));
    assert_non_null(strstr(json, "\"sample\":\"a\xef\xbf\xbd\\\"</script>\","
                                 "\"first_seen\":null,\"last_seen\":null,"
                                 "\"total_time_s\":123456789.123,"
                                 "\"parent\":{\"fingerprint\":"
                                 "\"0000000000000000\",\"table\":\"\","
                                 "\"rows_sent\":1e22},"));
    assert_non_null(strstr(json, "\"span_s\":0.1}}"));
    free(json);
    f.total_time_s = 2.5e-5;
    f.parent_rows_sent = 1e-7;
    json = n1_finding_to_json(&f, NULL, &err);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"total_time_s\":2.5e-5,"));
    assert_non_null(strstr(json, "\"rows_sent\":1e-7}"));
    free(json);
    f.total_time_s = 0.1;
    f.parent_rows_sent = 40;
    json = n1_finding_to_json(&f, NULL, &err);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"total_time_s\":0.1,"));
    assert_non_null(strstr(json, "\"rows_sent\":40.0}"));
    check_finding(&f, 0);
    free(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_finding_text_same_as_tree),
        cmocka_unit_test(test_finding_text_tags),
        cmocka_unit_test(test_finding_text_refused_reals),
        cmocka_unit_test(test_finding_text_values),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
