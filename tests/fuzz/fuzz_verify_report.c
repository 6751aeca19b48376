/* SPDX-License-Identifier: MIT */
/*
 * fuzz_verify_report.c: libFuzzer target for verify's report parser.
 *
 * `n1digest verify REPORT.json` reads a report anyone may have edited,
 * so n1_verify_report_parse() takes any bytes. A refused input must say
 * why with the name it was given and leave no targets; an accepted one
 * must give targets whose id is 16 hex digits, whose kind is set and not
 * "duplicate", and whose arrays hold as many strings as they say. Each
 * target's rewrite is also put through the safety classification, which
 * must give an answer for any text.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "engine/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_target(const struct n1_verify_target *t)
{
    if (strlen(t->id) != 16 || t->kind == NULL ||
        strcmp(t->kind, "duplicate") == 0 || t->statement == NULL ||
        t->table == NULL) {
        abort();
    }
    for (size_t i = 0; i < 16; i++) {
        if (!isxdigit((unsigned char)t->id[i])) {
            abort();
        }
    }
    for (size_t i = 0; i < t->n_keys; i++) {
        if (t->keys[i] == NULL) {
            abort();
        }
    }
    for (size_t i = 0; i < t->n_key_columns; i++) {
        if (t->key_columns[i] == NULL) {
            abort();
        }
    }
    (void)n1_verify_refusal(t->rewrite, 0);
    (void)n1_verify_refusal(t->sample, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct n1_verify_report r;
    struct n1_error err;

    n1_err_clear(&err);
    if (n1_verify_report_parse((const char *)data, size, "fuzz.json", NULL, &r,
                               &err) != 0) {
        if (err.code == N1_OK || r.n != 0 || r.v != NULL ||
            (err.code == N1_EPARSE && strcmp(err.file, "fuzz.json") != 0)) {
            abort();
        }
        return 0;
    }
    for (size_t i = 0; i < r.n; i++) {
        check_target(&r.v[i]);
    }
    n1_verify_report_cleanup(&r);
    return 0;
}
