/* SPDX-License-Identifier: MIT */
/*
 * helpers.h: small utilities shared by the cmocka unit tests.
 */
#ifndef N1_TEST_HELPERS_H
#define N1_TEST_HELPERS_H

#include <stddef.h>

/* Reads FIXTURES_DIR/rel into a NUL-terminated heap buffer; *len gets its
   size (len may be NULL). Fails the test when the file cannot be read.
   Caller frees. */
char *th_read_fixture(const char *rel, size_t *len);

/* Returns FIXTURES_DIR/rel in a static buffer (overwritten per call). */
const char *th_fixture_path(const char *rel);

/* Writes len bytes to a new temporary file and returns its path in a
   static buffer (overwritten per call). The file is removed at exit. */
const char *th_temp_file(const void *data, size_t len);

/* Compares two strings; on mismatch prints input, expected and actual,
   then fails the test. */
void th_assert_text(const char *input, const char *expected,
                    const char *actual);

/* Fails the test, printing the missing string and the text, unless every
   string of the NULL-terminated array needles is in text. */
void th_assert_contains(const char *text, const char *const *needles);

#endif /* N1_TEST_HELPERS_H */
