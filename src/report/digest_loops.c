/* SPDX-License-Identifier: MIT */
/*
 * digest_loops.c: which digest classes are the statement of an N+1 class.
 *
 * The digest itself runs no detector: the pairs come from the N+1
 * findings a store holds, or from detectors the caller ran over the same
 * logs (`digest --loops`). The list is small (one pair per N+1 class)
 * and searched by binary search for each class shown.
 */
#include <stdlib.h>
#include <string.h>

#include "base/finding.h"
#include "report/digest.h"
#include "store/store.h"

int n1_digest_loops_add(struct n1_digest_loops *l, uint64_t fingerprint,
                        uint64_t id, struct n1_error *err)
{
    if (l->n == l->cap) {
        size_t cap = l->cap > 0 ? l->cap * 2 : 16;
        struct n1_digest_loop *v = realloc(l->v, cap * sizeof(*v));

        if (v == NULL) {
            n1_err_oom(err, "listing the N+1 classes");
            return -1;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n].fingerprint = fingerprint;
    l->v[l->n].id = id;
    l->n++;
    return 0;
}

static int loop_cmp(const void *a, const void *b)
{
    const struct n1_digest_loop *x = a;
    const struct n1_digest_loop *y = b;

    if (x->fingerprint != y->fingerprint) {
        return x->fingerprint < y->fingerprint ? -1 : 1;
    }
    if (x->id != y->id) {
        return x->id < y->id ? -1 : 1;
    }
    return 0;
}

void n1_digest_loops_sort(struct n1_digest_loops *l)
{
    size_t w = 0;

    if (l->n == 0) {
        return;
    }
    qsort(l->v, l->n, sizeof(*l->v), loop_cmp);
    for (size_t i = 1; i < l->n; i++) {
        if (loop_cmp(&l->v[i], &l->v[w]) != 0) {
            l->v[++w] = l->v[i];
        }
    }
    l->n = w + 1;
}

int n1_digest_loops_from_store(struct n1_digest_loops *l, struct n1_store *st,
                               struct n1_error *err)
{
    const char *kind = n1_finding_kind_name(N1_FIND_N_PLUS_ONE);
    struct n1_store_cursor *cur = n1_store_findings_by_class(st, NULL, err);
    const struct n1_store_finding *row = NULL;
    uint64_t last = 0;
    int have_last = 0;
    int got;

    if (cur == NULL) {
        return -1;
    }
    /* Rows come grouped by class: one pair per class is enough. */
    while ((got = n1_store_next_finding(cur, &row, err)) == 1) {
        if (strcmp(row->kind, kind) != 0 || (have_last && row->id == last)) {
            continue;
        }
        if (n1_digest_loops_add(l, row->fingerprint, row->id, err) != 0) {
            got = -1;
            break;
        }
        last = row->id;
        have_last = 1;
    }
    n1_store_cursor_free(cur);
    n1_digest_loops_sort(l);
    return got < 0 ? -1 : 0;
}

size_t n1_digest_loops_find(const struct n1_digest_loops *l,
                            uint64_t fingerprint,
                            const struct n1_digest_loop **first)
{
    size_t lo = 0;
    size_t hi = l != NULL ? l->n : 0;
    size_t n = 0;

    *first = NULL;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (l->v[mid].fingerprint < fingerprint) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    while (l != NULL && lo + n < l->n &&
           l->v[lo + n].fingerprint == fingerprint) {
        n++;
    }
    if (n > 0) {
        *first = &l->v[lo];
    }
    return n;
}

void n1_digest_loops_cleanup(struct n1_digest_loops *l)
{
    if (l == NULL) {
        return;
    }
    free(l->v);
    memset(l, 0, sizeof(*l));
}
