/* SPDX-License-Identifier: MIT */
/*
 * duplicate.c: the duplicate detector, the same statement with the same
 * values asked again and again on one connection.
 *
 * It works like n_plus_one, except that a loop is keyed by (fingerprint,
 * call-site tags, hash of every literal), so only identical executions
 * extend it, and only the first execution's literals are kept. The same
 * gaps end a run (max_gap_statements, max_gap_ms, quit, idle, finish).
 * A run of dup_min_repeats or more is a finding of kind duplicate, with
 * caching/hoisting advice and no rewrite: an IN list would not help.
 * The per-connection bookkeeping is n1_loop_conns (detector.c), shared
 * with n_plus_one.
 */
#include <stdlib.h>
#include <string.h>

#include "analyzer/detect_int.h"

static int report_run(struct n1_detect_ctx *ctx, const struct n1_loop_conn *c,
                      const struct n1_loop *l)
{
    (void)c;
    return n1_loop_report(ctx, l, N1_FIND_DUPLICATE, NULL) < 0 ? -1 : 0;
}

static int dup_statement(struct n1_loop_conns *t, const struct n1_event *ev,
                         const struct n1_norm *norm)
{
    struct n1_detect_ctx *ctx = t->ctx;
    struct n1_loop_conn *c = NULL;
    struct n1_shape *sh = NULL;
    struct n1_loop *l = NULL;
    uint64_t ident;
    uint64_t lh;
    int rc;

    rc = n1_ctx_shape(ctx, ev, norm, &sh);
    if (rc <= 0) {
        return rc;
    }
    c = n1_loop_conns_statement(t, ev, norm->id);
    if (c == NULL) {
        return -1;
    }
    ident = n1_tags_ident(norm);
    lh = n1_ctx_lit_hash(ctx, norm);
    for (size_t i = 0; i < c->n_loops; i++) {
        if (c->loops[i]->fp == norm->id && c->loops[i]->ident == ident &&
            c->loops[i]->lit_hash == lh) {
            l = c->loops[i];
            break;
        }
    }
    if (l != NULL) {
        return n1_loop_add(ctx, l, ev, norm, c->seq);
    }
    /* Values read from user variables (EXECUTE st USING @k after SET @k
       = ...) differ per run although the text is the same: the same
       text is not the same question. Look the shape up again: closing
       loops may have parsed others. */
    rc = n1_ctx_shape(ctx, ev, norm, &sh);
    if (rc <= 0 || sh->uservar) {
        return rc < 0 ? -1 : 0;
    }
    if (n1_loop_conns_make_room(t, c) < 0 ||
        n1_ctx_shape(ctx, ev, norm, &sh) <= 0) {
        return -1;
    }
    l = n1_loop_new(ctx, ev, norm, sh, c->seq, 0);
    if (l == NULL) {
        return -1;
    }
    n1_loop_conns_add(c, l);
    return 0;
}

static const struct n1_loop_conns_ops dup_conns_ops = {
    .conn_size = sizeof(struct n1_loop_conn),
    .statement = dup_statement,
    .report = report_run,
    .release = NULL,
    .low_water = NULL,
    .count_all_evictions = 0, /* most runs are single statements passing
                                 by: count only evictions that lose a
                                 repeat */
};

static const struct n1_detector_ops duplicate_ops = {
    .name = "duplicate",
    .on_event = n1_loop_detector_on_event,
    .tick = n1_loop_detector_tick,
    .finish = n1_loop_detector_finish,
    .free = n1_loop_detector_free,
    .low_water = n1_loop_detector_low_water,
};

static struct n1_detector *duplicate_new(struct n1_detect_ctx *ctx)
{
    return n1_loop_detector_new(ctx, &duplicate_ops, &dup_conns_ops);
}

static void duplicate_defaults(struct n1_detect_opts *o)
{
    o->dup_min_repeats = 5;
}

static void duplicate_apply(const struct n1_detector_rules *dr,
                            struct n1_detect_opts *o)
{
    o->dup_min_repeats = dr->min_repeats;
}

const struct n1_detector_desc n1_duplicate_desc = {
    .name = "duplicate",
    .kind = N1_FIND_DUPLICATE,
    .enable_off = offsetof(struct n1_detect_opts, enable_duplicate),
    .defaults = duplicate_defaults,
    .apply = duplicate_apply,
    .create = duplicate_new,
};
