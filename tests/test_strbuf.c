/* SPDX-License-Identifier: MIT */
/*
 * test_strbuf.c: the capped byte buffer.
 *
 * Appends up to and past the cap, embedded NUL bytes, truncation and reset,
 * and that a failed append leaves the buffer as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/strbuf.h"

static void test_strbuf_empty_is_empty_string(void **state)
{
    struct n1_strbuf sb;

    (void)state;
    n1_strbuf_init(&sb, 0);
    assert_string_equal(n1_strbuf_str(&sb), "");
    assert_int_equal(sb.len, 0);
    n1_strbuf_cleanup(&sb);
    /* cleanup twice is allowed: the struct is back to its initial state */
    n1_strbuf_cleanup(&sb);
}

static void test_strbuf_appends_grow(void **state)
{
    struct n1_strbuf sb;
    char expect[3000];

    (void)state;
    n1_strbuf_init(&sb, 0);
    for (int i = 0; i < 3000; i++) {
        expect[i] = (char)('a' + i % 26);
        assert_int_equal(n1_strbuf_putc(&sb, expect[i]), 0);
    }
    assert_int_equal(sb.len, 3000);
    assert_memory_equal(sb.buf, expect, 3000);
    assert_int_equal(sb.buf[3000], '\0');
    assert_true(sb.cap > sb.len);
    n1_strbuf_cleanup(&sb);
}

static void test_strbuf_keeps_nul_bytes(void **state)
{
    struct n1_strbuf sb;

    (void)state;
    n1_strbuf_init(&sb, 0);
    assert_int_equal(n1_strbuf_append(&sb, "a\0b", 3), 0);
    assert_int_equal(n1_strbuf_puts(&sb, "cd"), 0);
    assert_int_equal(sb.len, 5);
    assert_memory_equal(sb.buf, "a\0bcd", 6);
    n1_strbuf_cleanup(&sb);
}

static void test_strbuf_cap_refuses_and_keeps(void **state)
{
    struct n1_strbuf sb;

    (void)state;
    n1_strbuf_init(&sb, 8);
    assert_int_equal(n1_strbuf_puts(&sb, "12345"), 0);
    /* 5 + 4 > 8: refused whole, nothing of it kept */
    assert_int_equal(n1_strbuf_puts(&sb, "6789"), -1);
    assert_string_equal(n1_strbuf_str(&sb), "12345");
    assert_int_equal(n1_strbuf_puts(&sb, "678"), 0);
    assert_string_equal(n1_strbuf_str(&sb), "12345678");
    assert_int_equal(n1_strbuf_putc(&sb, '9'), -1);
    assert_int_equal(sb.len, 8);
    n1_strbuf_cleanup(&sb);
}

static void test_strbuf_truncate_and_reset(void **state)
{
    struct n1_strbuf sb;

    (void)state;
    n1_strbuf_init(&sb, 0);
    assert_int_equal(n1_strbuf_puts(&sb, "hello world"), 0);
    n1_strbuf_truncate(&sb, 5);
    assert_string_equal(n1_strbuf_str(&sb), "hello");
    /* longer than the content: nothing happens */
    n1_strbuf_truncate(&sb, 50);
    assert_string_equal(n1_strbuf_str(&sb), "hello");
    n1_strbuf_reset(&sb);
    assert_string_equal(n1_strbuf_str(&sb), "");
    assert_int_equal(sb.len, 0);
    assert_int_equal(n1_strbuf_puts(&sb, "again"), 0);
    assert_string_equal(n1_strbuf_str(&sb), "again");
    n1_strbuf_cleanup(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strbuf_empty_is_empty_string),
        cmocka_unit_test(test_strbuf_appends_grow),
        cmocka_unit_test(test_strbuf_keeps_nul_bytes),
        cmocka_unit_test(test_strbuf_cap_refuses_and_keeps),
        cmocka_unit_test(test_strbuf_truncate_and_reset),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
