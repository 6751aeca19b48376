/* SPDX-License-Identifier: MIT */
/*
 * test_textutil.c: UTF-8 sequences and repair, JSON strings of log text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/textutil.h"

#define U(s) ((const unsigned char *)(s))

static void test_textutil_utf8_seq(void **state)
{
    (void)state;
    assert_int_equal(n1_utf8_seq(U("a"), 1), 1);
    assert_int_equal(n1_utf8_seq(U(""), 1), 1); /* NUL is a character */
    assert_int_equal(n1_utf8_seq(U("\xc3\xa9"), 2), 2);
    assert_int_equal(n1_utf8_seq(U("\xe2\x82\xac"), 3), 3);
    assert_int_equal(n1_utf8_seq(U("\xf0\x9f\x98\x80"), 4), 4);
    assert_int_equal(n1_utf8_seq(U("\xf4\x8f\xbf\xbf"), 4), 4); /* max */
    /* Cut short by n, though the bytes are there. */
    assert_int_equal(n1_utf8_seq(U("\xe2\x82\xac"), 2), 0);
    assert_int_equal(n1_utf8_seq(U("\x80"), 1), 0);         /* lone tail */
    assert_int_equal(n1_utf8_seq(U("\xc0\xaf"), 2), 0);     /* overlong */
    assert_int_equal(n1_utf8_seq(U("\xe0\x80\xaf"), 3), 0); /* overlong */
    assert_int_equal(n1_utf8_seq(U("\xf0\x80\x80\xaf"), 4), 0);
    assert_int_equal(n1_utf8_seq(U("\xed\xa0\x80"), 3), 0); /* surrogate */
    assert_int_equal(n1_utf8_seq(U("\xf4\x90\x80\x80"), 4), 0);
    assert_int_equal(n1_utf8_seq(U("\xf5\x80\x80\x80"), 4), 0);
    assert_int_equal(n1_utf8_seq(U("\xc3\x28"), 2), 0); /* bad tail */
}

static void test_textutil_utf8_lossy(void **state)
{
    char *s = NULL;
    size_t n = 0;

    (void)state;
    s = n1_utf8_lossy("a\xff\xc3\xa9", 4, 0, &n);
    assert_non_null(s);
    assert_string_equal(s, "a\xef\xbf\xbd\xc3\xa9");
    assert_int_equal(n, 6);
    free(s);
    /* One bad byte costs one U+FFFD; the text after it survives. */
    s = n1_utf8_lossy("\xe2\x82(x", 4, 0, NULL);
    assert_non_null(s);
    assert_string_equal(s, "\xef\xbf\xbd\xef\xbf\xbd(x");
    free(s);
    /* NUL: replaced for C strings, kept on request. */
    s = n1_utf8_lossy("a\0z", 3, 0, &n);
    assert_non_null(s);
    assert_string_equal(s, "a\xef\xbf\xbdz");
    free(s);
    s = n1_utf8_lossy("a\0b\xff", 4, 1, &n);
    assert_non_null(s);
    assert_int_equal(n, 6);
    assert_memory_equal(s, "a\0b\xef\xbf\xbd", 7);
    free(s);
    s = n1_utf8_lossy(NULL, 0, 0, &n);
    assert_non_null(s);
    assert_string_equal(s, "");
    assert_int_equal(n, 0);
    free(s);
}

static void test_textutil_json_text(void **state)
{
    json_t *j = NULL;

    (void)state;
    j = n1_json_text(NULL, 0);
    assert_true(json_is_null(j));
    json_decref(j);
    j = n1_json_text("caf\xc3\xa9", 5);
    assert_string_equal(json_string_value(j), "caf\xc3\xa9");
    json_decref(j);
    j = n1_json_text("x\0\xc0y", 4);
    assert_non_null(j);
    assert_int_equal(json_string_length(j), 6);
    assert_memory_equal(json_string_value(j), "x\0\xef\xbf\xbdy", 6);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_textutil_utf8_seq),
        cmocka_unit_test(test_textutil_utf8_lossy),
        cmocka_unit_test(test_textutil_json_text),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
