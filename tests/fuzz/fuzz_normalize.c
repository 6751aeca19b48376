/* SPDX-License-Identifier: MIT */
/*
 * fuzz_normalize.c: libFuzzer target for the normaliser.
 *
 * Normalises the input as one statement and checks what the analyzer
 * relies on: every literal's pos is a ? inside the text, its slot is below
 * n_slots, its value is NUL-terminated, slots never decrease along the
 * text, the id is the hash of the text, and normalising the same input
 * twice gives the same result (the reused buffers carry no state over).
 * A second normaliser, with the C reading of plain tokens turned off so
 * that the PCRE2 pattern reads every token, must agree in every field.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sql/fingerprint.h"
#include "sql/normalize.h"

#include "../norm_same.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct n1_normalizer *norm;
static struct n1_normalizer *plain; /* pattern only */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct n1_norm o;
    struct n1_norm p;
    struct n1_error err;
    uint64_t first_id;
    size_t first_len;
    unsigned first_slots;

    if (norm == NULL) {
        norm = n1_normalizer_new(&err);
        plain = n1_normalizer_new(&err);
        if (norm == NULL || plain == NULL) {
            abort();
        }
        n1_normalizer_fast_path(plain, 0);
    }
    if (n1_normalize(norm, (const char *)data, size, &o, &err) != 0) {
        abort(); /* fuzz inputs are far below every resource limit */
    }
    if (o.text[o.len] != '\0' || o.id != n1_fingerprint_id(o.text, o.len) ||
        strlen(o.hex) != 16) {
        abort();
    }
    for (size_t i = 0; i < o.n_lits; i++) {
        const struct n1_literal *l = &o.lits[i];

        if (l->slot >= o.n_slots || l->pos >= o.len || o.text[l->pos] != '?' ||
            l->value[l->len] != '\0' || (unsigned)l->type > N1_LIT_BOOL) {
            abort();
        }
        /* pos is not monotonic: rows of a VALUES list that equal the
           first row fold into it, so their literals point back at the
           first row's ?s (fixtures/crash/normalize/values-fold-order). */
        if (i > 0 && l->pos < o.lits[i - 1].pos && l->item == 0) {
            abort();
        }
    }
    for (size_t i = 0; i < o.n_tags; i++) {
        if (o.tags[i].key == NULL || o.tags[i].value == NULL) {
            abort();
        }
    }
    if (n1_normalize(plain, (const char *)data, size, &p, &err) != 0 ||
        norm_differs(&o, &p) != NULL) {
        abort();
    }
    first_id = o.id;
    first_len = o.len;
    first_slots = o.n_slots;
    if (n1_normalize(norm, (const char *)data, size, &o, &err) != 0 ||
        o.id != first_id || o.len != first_len || o.n_slots != first_slots) {
        abort();
    }
    return 0;
}
