/* SPDX-License-Identifier: MIT */
/*
 * fuzz_baseline.c: libFuzzer target for the JSON baseline loader.
 *
 * `n1digest check --baseline FILE` reads a file from the repository under
 * review, so n1_baseline_parse() (which n1_baseline_load() uses for every
 * JSON baseline) takes any bytes. A refused input must say why, with the
 * name it was given. An accepted one must keep the invariants check relies
 * on: entries sorted by id with no id twice, every string present, every
 * entry found by its id; and writing it out and reading that back must
 * give the same baseline, byte for byte when written again.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "report/baseline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_entries(const struct n1_baseline *b)
{
    size_t n = n1_baseline_count(b);

    for (size_t i = 0; i < n; i++) {
        const struct n1_baseline_entry *e = n1_baseline_at(b, i);

        if (e->rule == NULL || e->table == NULL || e->statement == NULL ||
            e->location == NULL || n1_baseline_find(b, e->id) != (long)i ||
            (i > 0 && n1_baseline_at(b, i - 1)->id >= e->id)) {
            abort();
        }
    }
}

/* The JSON form of b in a new buffer (*len bytes), or NULL. */
static char *write_out(const struct n1_baseline *b, size_t *len)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, len);

    if (f == NULL) {
        return NULL;
    }
    if (n1_baseline_write_json(b, f, NULL) != 0) {
        abort(); /* memory streams do not fail short of memory */
    }
    fclose(f);
    return text;
}

static void check_round_trip(const struct n1_baseline *b)
{
    struct n1_baseline *back = NULL;
    char *one = NULL;
    char *two = NULL;
    size_t n1 = 0;
    size_t n2 = 0;

    one = write_out(b, &n1);
    if (one == NULL) {
        return;
    }
    back = n1_baseline_parse(one, n1, NULL, NULL);
    if (back == NULL || n1_baseline_count(back) != n1_baseline_count(b)) {
        abort();
    }
    two = write_out(back, &n2);
    if (two != NULL && (n1 != n2 || memcmp(one, two, n1) != 0)) {
        abort();
    }
    free(two);
    free(one);
    n1_baseline_free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct n1_baseline *b = NULL;
    struct n1_error err;

    memset(&err, 0, sizeof(err));
    b = n1_baseline_parse((const char *)data, size, "fuzz.json", &err);
    if (b == NULL) {
        if (err.code == N1_OK || err.message[0] == '\0' ||
            (err.code == N1_EPARSE && strcmp(err.file, "fuzz.json") != 0)) {
            abort();
        }
        return 0;
    }
    check_entries(b);
    check_round_trip(b);
    n1_baseline_free(b);
    return 0;
}
