/* SPDX-License-Identifier: MIT */
/*
 * test_json_dump.c: n1_rj_dumps() writes what json_dumps() writes.
 *
 * The reports render every finding through n1_rj_dumps(), which must give
 * jansson's bytes exactly (the store keeps the text and later runs
 * compare it). Each case builds a tree with what jansson escapes or
 * formats specially and compares the two outputs under every flag
 * combination the reports use, and a few they do not.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "report/json_int.h"

static const size_t flag_sets[] = {
    JSON_COMPACT | JSON_REAL_PRECISION(15),
    JSON_INDENT(2) | JSON_REAL_PRECISION(15),
    JSON_INDENT(2) | JSON_PRESERVE_ORDER,
    JSON_INDENT(4),
    JSON_INDENT(31) | JSON_REAL_PRECISION(3),
    0,
    JSON_COMPACT,
    JSON_SORT_KEYS, /* not handled: handed to json_dumps() */
};

static void same(const json_t *root)
{
    for (size_t i = 0; i < sizeof(flag_sets) / sizeof(flag_sets[0]); i++) {
        char *want = json_dumps(root, flag_sets[i]);
        char *got = n1_rj_dumps(root, flag_sets[i]);

        if (want == NULL) {
            assert_null(got);
        } else {
            assert_non_null(got);
            assert_string_equal(got, want);
        }
        free(want);
        free(got);
    }
}

static void test_strings(void **state)
{
    json_t *o = json_object();
    json_t *a = json_array();
    char ctl[40];

    (void)state;
    for (int c = 1; c < 32; c++) {
        ctl[c - 1] = (char)c;
    }
    ctl[31] = 0x7f;
    ctl[32] = '\0';
    json_object_set_new(o, "quote \" and \\ back", json_string("a\"b\\c/d"));
    json_object_set_new(o, "controls", json_string(ctl));
    json_object_set_new(o, "nul", json_stringn("a\0b", 3));
    json_object_set_new(o, "utf8",
                        json_string("caf\xc3\xa9 \xe2\x82\xac "
                                    "\xf0\x9f\x98\x80 \xef\xbf\xbf"));
    json_object_set_new(o, "", json_string(""));
    json_object_set_new(o, "tab\tkey\n", json_string("x"));
    json_array_append_new(a, json_string("\r\n\t\b\f\v"));
    json_array_append_new(a, json_object());
    json_array_append_new(a, json_array());
    json_object_set_new(o, "list", a);
    same(o);
    json_decref(o);
}

static void test_numbers(void **state)
{
    static const double reals[] = {
        0.0,       -0.0,    1.0,       100.0, 1e15,
        1e16,      1e17,    1e20,      1e-5,  1.5e-7,
        123.456,   1.0 / 3, 2.0 / 3,   1e300, 5e-324,
        -2.5e-300, 0.1,     73.360169, 1e21,  12345678901234567.0};
    static const json_int_t ints[] = {
        0, 1, -1, 9, 10, -10, 1234567890123LL, LLONG_MAX, LLONG_MIN};
    json_t *a = json_array();

    (void)state;
    for (size_t i = 0; i < sizeof(reals) / sizeof(reals[0]); i++) {
        json_array_append_new(a, json_real(reals[i]));
    }
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        json_array_append_new(a, json_integer(ints[i]));
    }
    json_array_append_new(a, json_true());
    json_array_append_new(a, json_false());
    json_array_append_new(a, json_null());
    same(a);
    json_decref(a);
}

static void test_nesting(void **state)
{
    json_t *root = json_object();
    json_t *cur = root;

    (void)state;
    for (int d = 0; d < 12; d++) {
        json_t *next = json_object();
        json_t *arr = json_array();

        json_object_set_new(cur, "n", json_integer(d));
        json_array_append_new(arr, json_integer(d));
        json_array_append_new(arr, json_object());
        json_object_set_new(cur, "arr", arr);
        json_object_set_new(cur, "child", next);
        cur = next;
    }
    same(root);
    same(json_object_get(root, "arr"));
    json_decref(root);
}

static void test_refused(void **state)
{
    json_t *o = json_object();
    json_t *s = json_string("x");

    (void)state;
    /* Not UTF-8: both refuse. */
    json_object_set_new(o, "bad", json_stringn_nocheck("a\xff", 2));
    same(o);
    json_object_set_new(o, "bad", json_stringn_nocheck("\xc0\x80", 2));
    same(o);
    json_object_set_new(o, "bad", json_stringn_nocheck("\xed\xa0\x80", 3));
    same(o);
    json_object_set_new(o, "bad", json_stringn_nocheck("\xe2\x82", 2));
    same(o);
    /* A root that is no container. */
    same(s);
    json_decref(s);
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_nesting),
        cmocka_unit_test(test_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
