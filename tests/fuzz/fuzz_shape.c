/* SPDX-License-Identifier: MIT */
/*
 * fuzz_shape.c: libFuzzer target for the statement shape parser.
 *
 * Parses the input as fingerprint text and checks what rewrite.c and the
 * detectors rely on when they splice text by offsets: the text is a
 * NUL-terminated copy, every span and clause offset lies inside it, every
 * slot sits on a ? (or ?+ with width 2) and the enums are in range. It
 * then parses the same bytes again and checks that the two shapes are
 * identical (the parse keeps no state between calls).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/shape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_span(const struct n1_shape *sh, struct n1_span sp)
{
    if (sp.off > sh->len || sp.len > sh->len - sp.off) {
        abort();
    }
}

static void check_shape(const struct n1_shape *sh, const uint8_t *data,
                        size_t size)
{
    if (sh->len != size || sh->text[size] != '\0' ||
        memcmp(sh->text, data, size) != 0) {
        abort();
    }
    if ((unsigned)sh->verb > N1_VERB_OTHER ||
        (unsigned)sh->noise > N1_NOISE_RULE) {
        abort();
    }
    check_span(sh, sh->table);
    check_span(sh, sh->select_list);
    check_span(sh, sh->group_by);
    check_span(sh, sh->limit);
    check_span(sh, sh->insert_cols);
    check_span(sh, sh->values_row);
    if (sh->where_kw > sh->len || sh->where_end > sh->len) {
        abort();
    }
    if (sh->n_slots > 0 && sh->slots == NULL) {
        abort();
    }
    for (unsigned i = 0; i < sh->n_slots; i++) {
        const struct n1_shape_slot *sl = &sh->slots[i];

        if (sl->pos >= sh->len || sh->text[sl->pos] != '?' ||
            (sl->width != 1 && sl->width != 2) ||
            sl->width > sh->len - sl->pos ||
            (sl->width == 2 && sh->text[sl->pos + 1] != '+') ||
            (unsigned)sl->role > N1_SLOT_VALUES || sl->depth < 0) {
            abort();
        }
        if (i > 0 && sl->pos <= sh->slots[i - 1].pos) {
            abort();
        }
        check_span(sh, sl->column);
        check_span(sh, sl->pred);
    }
}

/* Every field but the pointers is compared. */
static int same_shape(const struct n1_shape *a, const struct n1_shape *b)
{
    struct n1_shape x = *a;
    struct n1_shape y = *b;

    if (a->n_slots != b->n_slots ||
        (a->n_slots > 0 &&
         memcmp(a->slots, b->slots, a->n_slots * sizeof(*a->slots)) != 0)) {
        return 0;
    }
    x.text = NULL;
    x.slots = NULL;
    y.text = NULL;
    y.slots = NULL;
    return memcmp(&x, &y, sizeof(x)) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct n1_shape *a = NULL;
    struct n1_shape *b = NULL;
    struct n1_error err;

    a = n1_shape_parse(7, (const char *)data, size, &err);
    b = n1_shape_parse(7, (const char *)data, size, &err);
    if (a == NULL || b == NULL) {
        abort(); /* fuzz inputs are far below every resource limit */
    }
    check_shape(a, data, size);
    if (!same_shape(a, b)) {
        abort();
    }
    n1_shape_free(a);
    n1_shape_free(b);
    return 0;
}
