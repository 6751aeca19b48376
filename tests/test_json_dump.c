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

/* One array of n reals through same(). */
static void same_reals(const double *v, size_t n)
{
    json_t *a = json_array();

    assert_non_null(a);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(json_array_append_new(a, json_real(v[i])), 0);
    }
    same(a);
    json_decref(a);
}

/* Whole numbers of millionths (times, spans, row counts), which
   n1_rj_dumps() writes without snprintf() at precision 15: every one
   below 0.004 either side of zero, the edges of %g's exponent form and
   of 15 digits, whole numbers, and a spread over every magnitude; and
   values just off a millionth, which take the slow path. */
static void test_millionths(void **state)
{
    static const double edges[] = {0.0001,
                                   0.00009,
                                   0.000099,
                                   -0.0001,
                                   0.0000999,
                                   999999999.999999,
                                   -999999999.999999,
                                   1000000000.0,
                                   999999999.9999995,
                                   1e9 + 0.5,
                                   123456789.123,
                                   0.1 + 0.2,
                                   1e-6 + 1e-13,
                                   73.360169,
                                   4503599627.370496,
                                   -0.0,
                                   0.0,
                                   1e-7};
    double v[1000];
    uint64_t x = 0x243f6a8885a308d3ULL;

    (void)state;
    same_reals(edges, sizeof(edges) / sizeof(edges[0]));
    for (int k = -4000; k < 4000; k += 1000) {
        for (int i = 0; i < 1000; i++) {
            v[i] = (double)(k + i) / 1e6;
        }
        same_reals(v, 1000);
    }
    for (int round_ = 0; round_ < 40; round_++) {
        for (int i = 0; i < 1000; i++) {
            uint64_t digits = 0;
            int64_t k;

            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            digits = x % 16; /* 10^0 .. 10^15 */
            k = (int64_t)(x >> 8);
            for (uint64_t p = 15; p > digits; p--) {
                k /= 10;
            }
            k %= 1000000000000000LL;
            k = (x & 1) ? -k : k;
            v[i] = round_ % 4 == 3 ? (double)k / 1e3 : (double)k / 1e6;
            if (round_ % 4 == 2) {
                v[i] = (double)(k % 1000000000LL); /* whole */
            }
        }
        same_reals(v, 1000);
    }
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
        cmocka_unit_test(test_strings),    cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_millionths), cmocka_unit_test(test_nesting),
        cmocka_unit_test(test_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
