/* SPDX-License-Identifier: MIT */
/*
 * nplus1.c: the n_plus_one detector, one statement per key in a loop.
 *
 * Per connection it tracks up to max_loops_per_conn open loops, one per
 * (fingerprint, call-site tags). Each execution of a tracked fingerprint
 * extends its loop; a loop ends when its connection has run more than
 * max_gap_statements other statements or max_gap_ms has passed since its
 * last execution, when the connection quits or idles, when it is evicted
 * by a newer fingerprint, or at finish. Only then is it judged: enough
 * executions (min_repeats), enough distinct keys (min_distinct_keys) and
 * at least one literal that changed. Loops whose body runs several
 * statements are several loops on the same connection, each judged alone.
 *
 * The parent is the SELECT that ran just before a loop's first execution
 * and is not itself a looping statement of the connection: for "for each
 * order: customer, items" the items loop skips the customer lookup and
 * finds the orders query. Transaction control and noise do not count as
 * statements, so BEGIN ... FOR UPDATE ... COMMIT per item is still a loop.
 * The per-connection loop bookkeeping is n1_loop_conns (detector.c),
 * shared with the duplicate detector; this file adds the parents.
 */
#include <stdlib.h>
#include <string.h>

#include "analyzer/detect_int.h"

#define HIST   4 /* statements remembered per connection for parents */
#define LOOPED 8 /* recently looping fingerprints per connection */

struct np_conn {
    struct n1_loop_conn lc;         /* first: seq and the open loops */
    struct n1_stmt_rec *hist[HIST]; /* last statements, hist[hpos - 1]
                                       newest */
    size_t hpos;
    uint64_t looped[LOOPED]; /* fingerprints seen repeating */
    size_t lpos;
};

static int is_looping(const struct np_conn *c, uint64_t fp)
{
    for (size_t i = 0; i < LOOPED; i++) {
        if (c->looped[i] == fp && fp != 0) {
            return 1;
        }
    }
    for (size_t i = 0; i < c->lc.n_loops; i++) {
        if (c->lc.loops[i]->fp == fp && c->lc.loops[i]->count >= 2) {
            return 1;
        }
    }
    return 0;
}

static int in_body(const struct n1_loop *l, uint64_t fp)
{
    for (unsigned i = 0; i < l->n_body; i++) {
        if (l->body[i] == fp) {
            return 1;
        }
    }
    return 0;
}

static const struct n1_stmt_rec *find_parent(const struct np_conn *c,
                                             const struct n1_loop *l)
{
    for (size_t i = 0; i < 3; i++) {
        const struct n1_stmt_rec *r = l->cand[i];

        if (r == NULL) {
            break;
        }
        if (r->fp == l->fp || is_looping(c, r->fp) || in_body(l, r->fp)) {
            continue;
        }
        return r->is_select ? r : NULL;
    }
    return NULL;
}

static int report_loop(struct n1_detect_ctx *ctx, const struct n1_loop_conn *c,
                       const struct n1_loop *l)
{
    const struct np_conn *nc = (const struct np_conn *)c;

    return n1_loop_report(ctx, l, N1_FIND_N_PLUS_ONE, find_parent(nc, l)) < 0
               ? -1
               : 0;
}

static void release_hist(struct n1_loop_conn *c)
{
    struct np_conn *nc = (struct np_conn *)c;

    for (size_t i = 0; i < HIST; i++) {
        n1_stmt_rec_unref(nc->hist[i]);
    }
}

/* A new request: no parent and no looping statement carries over. */
static void reset_hist(struct n1_loop_conn *c)
{
    struct np_conn *nc = (struct np_conn *)c;

    release_hist(c);
    memset(nc->hist, 0, sizeof(nc->hist));
    memset(nc->looped, 0, sizeof(nc->looped));
    nc->hpos = 0;
    nc->lpos = 0;
}

static void hist_low_water(const struct n1_loop_conn *c, n1_low_water_fn cb,
                           void *ud)
{
    const struct np_conn *nc = (const struct np_conn *)c;

    for (size_t k = 0; k < HIST; k++) {
        if (nc->hist[k] != NULL) {
            cb(ud, c->node.id, nc->hist[k]->offset);
        }
    }
}

static int np_statement(struct n1_loop_conns *t, const struct n1_event *ev,
                        const struct n1_norm *norm)
{
    struct n1_detect_ctx *ctx = t->ctx;
    struct np_conn *c = NULL;
    struct n1_shape *sh = NULL;
    struct n1_loop *l = NULL;
    struct n1_stmt_rec *rec = NULL;
    uint64_t ident;
    int rc;

    rc = n1_ctx_shape(ctx, ev, norm, &sh);
    if (rc <= 0) {
        return rc;
    }
    c = (struct np_conn *)n1_loop_conns_statement(t, ev, norm->id);
    if (c == NULL) {
        return -1;
    }
    /* Closing loops parsed other shapes; look ours up again. */
    if (n1_ctx_shape(ctx, ev, norm, &sh) <= 0) {
        return -1;
    }
    ident = n1_tags_ident(norm);
    for (size_t i = 0; i < c->lc.n_loops; i++) {
        if (c->lc.loops[i]->fp == norm->id && c->lc.loops[i]->ident == ident) {
            l = c->lc.loops[i];
            break;
        }
    }
    if (l != NULL) {
        if (n1_loop_add(ctx, l, ev, norm, c->lc.seq) < 0) {
            return -1;
        }
        if (l->count == 2) {
            c->looped[c->lpos++ % LOOPED] = l->fp;
        }
    } else {
        if (n1_loop_conns_make_room(t, &c->lc) < 0 ||
            n1_ctx_shape(ctx, ev, norm, &sh) <= 0) {
            return -1;
        }
        l = n1_loop_new(ctx, ev, norm, sh, c->lc.seq, 1);
        if (l == NULL) {
            return -1;
        }
        for (size_t i = 0; i < 3 && i < HIST; i++) {
            struct n1_stmt_rec *r = c->hist[(c->hpos + HIST - 1 - i) % HIST];

            if (r != NULL) {
                r->refs++;
            }
            l->cand[i] = r;
        }
        n1_loop_conns_add(&c->lc, l);
    }
    rec = n1_stmt_rec_new(ctx, ev, norm, sh, c->lc.seq);
    if (rec == NULL) {
        n1_err_oom(&ctx->err, "for a statement record");
        return -1;
    }
    /* A run of one statement (an inner loop) takes one place, so that
       the parent stays within reach of the loops around it. */
    if (c->hpos > 0 && c->hist[(c->hpos - 1) % HIST] != NULL &&
        c->hist[(c->hpos - 1) % HIST]->fp == rec->fp) {
        c->hpos--;
    }
    n1_stmt_rec_unref(c->hist[c->hpos % HIST]);
    c->hist[c->hpos % HIST] = rec;
    c->hpos++;
    return 0;
}

static const struct n1_loop_conns_ops np_conns_ops = {
    .conn_size = sizeof(struct np_conn),
    .statement = np_statement,
    .report = report_loop,
    .release = release_hist,
    .reset = reset_hist,
    .low_water = hist_low_water,
    .count_all_evictions = 1,
};

static const struct n1_detector_ops nplus1_ops = {
    .name = "n_plus_one",
    .on_event = n1_loop_detector_on_event,
    .tick = n1_loop_detector_tick,
    .finish = n1_loop_detector_finish,
    .free = n1_loop_detector_free,
    .low_water = n1_loop_detector_low_water,
};

static struct n1_detector *nplus1_new(struct n1_detect_ctx *ctx)
{
    return n1_loop_detector_new(ctx, &nplus1_ops, &np_conns_ops);
}

static void nplus1_defaults(struct n1_detect_opts *o)
{
    o->min_repeats = 3;
    o->min_distinct_keys = 3;
    o->max_gap_ms = 2000;
    o->max_gap_statements = 50;
    o->min_batch_items = 20;
    o->error_repeats = 100;
}

/* error_repeats is the registry's one value (0, never, is UINT_MAX);
   min_distinct_keys also serves fanout. */
static void nplus1_apply(const struct n1_detector_rules *dr,
                         struct n1_detect_opts *o)
{
    o->min_repeats = dr->min_repeats;
    o->min_distinct_keys = dr->min_distinct_keys;
    o->max_gap_ms = dr->max_gap_ms;
    o->max_gap_statements = dr->max_gap_statements;
    o->min_batch_items = dr->min_batch_items;
    o->error_repeats = dr->error_repeats > 0 ? dr->error_repeats : ~0u;
}

const struct n1_detector_desc n1_nplus1_desc = {
    .name = "n_plus_one",
    .kind = N1_FIND_N_PLUS_ONE,
    .enable_off = offsetof(struct n1_detect_opts, enable_nplus1),
    .defaults = nplus1_defaults,
    .apply = nplus1_apply,
    .create = nplus1_new,
};
