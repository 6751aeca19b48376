/* SPDX-License-Identifier: MIT */
/*
 * test_fingerprint.c: ids, their hex form and parsing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <xxhash.h>

#include "sql/fingerprint.h"
#include "sql/normalize.h"

/*
 * Stability golden value: the id of the text "select ?" under
 * N1_FINGERPRINT_VERSION 3, computed once with the xxHash reference
 * library (XXH64, seed 3). Ids are stored in databases and compared across
 * runs, so this must never change while the version stays 3; bumping the
 * version is the only legitimate way to make this test fail, and then the
 * value is recomputed for the new seed.
 */
#define GOLDEN_TEXT "select ?"
#define GOLDEN_ID   UINT64_C(0x208d56b7c2ead766)

static void test_fingerprint_golden(void **state)
{
    char hex[17];

    (void)state;
    /* A version bump must fail here until the golden value is redone. */
    assert_int_equal(N1_FINGERPRINT_VERSION, 3);
    assert_true(n1_fingerprint_id(GOLDEN_TEXT, strlen(GOLDEN_TEXT)) ==
                GOLDEN_ID);
    n1_fingerprint_hex(GOLDEN_ID, hex);
    assert_string_equal(hex, "208d56b7c2ead766");
}

static void test_fingerprint_version_seed(void **state)
{
    const char *t = "select * from t where id = ?";
    uint64_t id = n1_fingerprint_id(t, strlen(t));

    (void)state;
    assert_true(id == (uint64_t)XXH64(t, strlen(t), N1_FINGERPRINT_VERSION));
    assert_true(id !=
                (uint64_t)XXH64(t, strlen(t), N1_FINGERPRINT_VERSION + 1));
    assert_true(id != (uint64_t)XXH64(t, strlen(t), 0));
    /* the id covers every byte, including a NUL inside the text */
    assert_true(n1_fingerprint_id("a\0b", 3) != n1_fingerprint_id("a\0c", 3));
}

static void test_fingerprint_hex_round_trip(void **state)
{
    const uint64_t ids[] = {0,
                            1,
                            UINT64_C(0xffffffffffffffff),
                            UINT64_C(0x0123456789abcdef),
                            UINT64_C(0x8000000000000000),
                            GOLDEN_ID};
    char hex[17];
    uint64_t back;

    (void)state;
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        n1_fingerprint_hex(ids[i], hex);
        assert_int_equal(strlen(hex), 16);
        assert_int_equal(n1_fingerprint_parse(hex, &back), 0);
        assert_true(back == ids[i]);
    }
    n1_fingerprint_hex(0, hex);
    assert_string_equal(hex, "0000000000000000");
    n1_fingerprint_hex(UINT64_C(0x0123456789abcdef), hex);
    assert_string_equal(hex, "0123456789abcdef");
    assert_int_equal(n1_fingerprint_parse("0123456789ABCDEF", &back), 0);
    assert_true(back == UINT64_C(0x0123456789abcdef));
}

static void test_fingerprint_parse_rejects(void **state)
{
    const char *bad[] = {
        "",                  /* empty */
        "0123456789abcde",   /* 15 digits */
        "0123456789abcdef0", /* 17 digits */
        "0123456789abcdeg",  /* not hex */
        " 123456789abcdef",  /* leading blank */
        "0123456789abcde ",  /* trailing blank */
        "0x23456789abcdef",  /* prefix */
        "-123456789abcdef",  /* sign */
    };
    uint64_t id = 42;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(n1_fingerprint_parse(bad[i], &id), -1);
        assert_true(id == 42); /* untouched on failure */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fingerprint_golden),
        cmocka_unit_test(test_fingerprint_version_seed),
        cmocka_unit_test(test_fingerprint_hex_round_trip),
        cmocka_unit_test(test_fingerprint_parse_rejects),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
