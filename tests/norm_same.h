/* SPDX-License-Identifier: MIT */
/*
 * norm_same.h: whether two normalisations are the same in every field,
 * for the tests that normalise one statement with the C reading of plain
 * tokens on and off (n1_normalizer_fast_path()).
 *
 * Included by test_normalize.c and fuzz/fuzz_normalize.c only (a static
 * function: the fuzz targets do not link the unit-test helpers).
 */
#ifndef N1_TESTS_NORM_SAME_H
#define N1_TESTS_NORM_SAME_H

#include <string.h>

#include "sql/normalize.h"

/*
 * Returns NULL when a and b agree on the text, id, hex id, slots, every
 * literal (type, value bytes, slot, item, pos, hash) and every tag; else
 * the name of the first field that differs.
 */
static const char *norm_differs(const struct n1_norm *a,
                                const struct n1_norm *b)
{
    if (a->len != b->len || memcmp(a->text, b->text, a->len + 1) != 0) {
        return "text";
    }
    if (a->id != b->id || strcmp(a->hex, b->hex) != 0) {
        return "id";
    }
    if (a->n_slots != b->n_slots || a->n_lits != b->n_lits ||
        a->n_lits_dropped != b->n_lits_dropped || a->n_tags != b->n_tags) {
        return "counts";
    }
    for (size_t i = 0; i < a->n_lits; i++) {
        const struct n1_literal *x = &a->lits[i];
        const struct n1_literal *y = &b->lits[i];

        if (x->type != y->type || x->len != y->len ||
            memcmp(x->value, y->value, x->len + 1) != 0) {
            return "literal value";
        }
        if (x->slot != y->slot || x->item != y->item || x->pos != y->pos ||
            x->hash != y->hash) {
            return "literal place";
        }
    }
    for (size_t i = 0; i < a->n_tags; i++) {
        if (strcmp(a->tags[i].key, b->tags[i].key) != 0 ||
            strcmp(a->tags[i].value, b->tags[i].value) != 0) {
            return "tag";
        }
    }
    return NULL;
}

#endif /* N1_TESTS_NORM_SAME_H */
