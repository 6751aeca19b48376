/* SPDX-License-Identifier: MIT */
/*
 * test_error.c: one-line error reports.
 *
 * n1_err_format() adds the code token once, then the file and line when
 * set; a message is cut to its buffer and kept on one line; the NULL error
 * is accepted everywhere; out of memory has one spelling.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/error.h"

static void test_error_format_file_and_line(void **state)
{
    struct n1_error err = {0};
    char buf[512];

    (void)state;
    n1_err_set(&err, N1_EPARSE, "slow.log", 812, "missing # Time");
    assert_int_equal(err.code, N1_EPARSE);
    assert_string_equal(err.func, "test_error_format_file_and_line");
    assert_string_equal(n1_err_format(&err, buf, sizeof(buf)),
                        "PARSE slow.log:812: missing # Time");
}

static void test_error_format_file_only_and_bare(void **state)
{
    struct n1_error err = {0};
    char buf[512];

    (void)state;
    n1_err_set(&err, N1_ESTORE, "t.db", 0, "database is locked");
    assert_string_equal(n1_err_format(&err, buf, sizeof(buf)),
                        "STORE t.db: database is locked");
    n1_err_set(&err, N1_EUSAGE, NULL, 0, "--limit wants a number");
    assert_string_equal(n1_err_format(&err, buf, sizeof(buf)),
                        "USAGE --limit wants a number");
}

static void test_error_tokens_distinct(void **state)
{
    static const enum n1_errcode codes[] = {N1_ESYS,   N1_EPARSE, N1_ERULES,
                                            N1_ESTORE, N1_EUSAGE, N1_ELIMIT};
    const size_t n = sizeof(codes) / sizeof(codes[0]);

    (void)state;
    for (size_t i = 0; i < n; i++) {
        const char *t = n1_err_token(codes[i]);

        assert_non_null(t);
        assert_true(strlen(t) > 0);
        for (size_t j = 0; j < i; j++) {
            assert_string_not_equal(t, n1_err_token(codes[j]));
        }
    }
}

static void test_error_one_line_and_cut(void **state)
{
    struct n1_error err = {0};
    char big[1000];
    char small[16];

    (void)state;
    n1_err_set(&err, N1_EPARSE, NULL, 0, "a\nb\r\nc");
    assert_string_equal(err.message, "a b  c");
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    n1_err_set(&err, N1_EPARSE, NULL, 0, "%s", big);
    assert_int_equal(strlen(err.message), sizeof(err.message) - 1);
    /* the formatted line is cut to the caller's buffer, NUL-terminated */
    assert_string_equal(n1_err_format(&err, small, sizeof(small)),
                        "PARSE xxxxxxxxx");
}

static void test_error_null_allowed(void **state)
{
    (void)state;
    n1_err_set(NULL, N1_ESYS, "f", 1, "ignored");
    n1_err_oom(NULL, "nothing");
    n1_err_clear(NULL);
}

static void test_error_oom_one_spelling(void **state)
{
    struct n1_error err = {0};
    char buf[256];

    (void)state;
    n1_err_oom(&err, "building the report");
    assert_int_equal(err.code, N1_ESYS);
    assert_string_equal(n1_err_format(&err, buf, sizeof(buf)),
                        "SYSTEM out of memory building the report");
    n1_err_oom(&err, NULL);
    assert_string_equal(n1_err_format(&err, buf, sizeof(buf)),
                        "SYSTEM out of memory");
    n1_err_clear(&err);
    assert_int_equal(err.code, N1_OK);
    assert_string_equal(err.message, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_format_file_and_line),
        cmocka_unit_test(test_error_format_file_only_and_bare),
        cmocka_unit_test(test_error_tokens_distinct),
        cmocka_unit_test(test_error_one_line_and_cut),
        cmocka_unit_test(test_error_null_allowed),
        cmocka_unit_test(test_error_oom_one_spelling),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
