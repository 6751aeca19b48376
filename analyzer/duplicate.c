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
 */
#include <stdlib.h>
#include <string.h>

#include "detect_int.h"

struct dup_conn {
    struct n1_conn_node node; /* first: the table links it */
    uint64_t seq;             /* statements seen on the connection */
    struct n1_loop **runs;    /* open runs, max_loops_per_conn */
    size_t n_runs;
};

struct duplicate {
    struct n1_detector base;
    struct n1_conntab conns;
};

static int close_run(struct duplicate *d, struct dup_conn *c, size_t i)
{
    struct n1_loop *l = c->runs[i];
    int rc = n1_loop_report(d->base.ctx, l, N1_FIND_DUPLICATE, NULL);

    n1_loop_free(l);
    c->runs[i] = c->runs[--c->n_runs];
    return rc < 0 ? -1 : 0;
}

static int close_conn(struct duplicate *d, struct dup_conn *c)
{
    int rc = 0;

    while (c->n_runs > 0) {
        if (close_run(d, c, c->n_runs - 1) < 0) {
            rc = -1;
        }
    }
    n1_conntab_remove(&d->conns, &c->node);
    free(c->runs);
    free(c);
    return rc;
}

static int expire_runs(struct duplicate *d, struct dup_conn *c, int64_t now_us)
{
    const struct n1_detect_opts *o = &d->base.ctx->opts;
    size_t i = 0;

    while (i < c->n_runs) {
        struct n1_loop *l = c->runs[i];

        if (c->seq - l->last_seq > (uint64_t)o->max_gap_statements + 1 ||
            n1_gap_exceeded(l->last_us, now_us, o->max_gap_ms)) {
            if (close_run(d, c, i) < 0) {
                return -1;
            }
            continue;
        }
        i++;
    }
    return 0;
}

static struct dup_conn *get_conn(struct duplicate *d, uint64_t id)
{
    struct n1_detect_ctx *ctx = d->base.ctx;
    struct n1_conn_node *n = n1_conntab_find(&d->conns, id);
    struct dup_conn *c = NULL;

    if (n != NULL) {
        return (struct dup_conn *)n;
    }
    if (d->conns.n >= ctx->opts.max_connections) {
        struct dup_conn *old = (struct dup_conn *)n1_conntab_lru(&d->conns);

        ctx->stats.conn_evictions++;
        if (old != NULL && close_conn(d, old) < 0) {
            return NULL;
        }
    }
    c = calloc(1, sizeof(*c));
    if (c != NULL) {
        c->runs = calloc(ctx->opts.max_loops_per_conn, sizeof(*c->runs));
    }
    if (c == NULL || c->runs == NULL) {
        free(c);
        n1_err_set(&ctx->err, N1_ESYS, NULL, 0, "NOMEM connection");
        return NULL;
    }
    c->node.id = id;
    c->node.last_us = N1_TS_NONE;
    n1_conntab_insert(&d->conns, &c->node);
    return c;
}

static int dup_statement(struct duplicate *d, const struct n1_event *ev,
                         const struct n1_norm *norm)
{
    struct n1_detect_ctx *ctx = d->base.ctx;
    struct dup_conn *c = NULL;
    struct n1_shape *sh = NULL;
    struct n1_loop *l = NULL;
    uint64_t ident;
    uint64_t lh;
    int rc;

    rc = n1_ctx_shape(ctx, ev, norm, &sh);
    if (rc <= 0) {
        return rc;
    }
    c = get_conn(d, ev->conn_id);
    if (c == NULL) {
        return -1;
    }
    c->seq++;
    c->node.clock = ctx->clock;
    if (ev->ts_us != N1_TS_NONE) {
        c->node.last_us = ev->ts_us;
    }
    if (expire_runs(d, c, ev->ts_us) < 0) {
        return -1;
    }
    ident = n1_tags_ident(norm);
    lh = n1_norm_lit_hash(norm);
    for (size_t i = 0; i < c->n_runs; i++) {
        if (c->runs[i]->fp == norm->id && c->runs[i]->ident == ident &&
            c->runs[i]->lit_hash == lh) {
            l = c->runs[i];
            break;
        }
    }
    if (l != NULL) {
        return n1_loop_add(ctx, l, ev, norm, c->seq);
    }
    if (c->n_runs == ctx->opts.max_loops_per_conn) {
        size_t old = 0;

        for (size_t i = 1; i < c->n_runs; i++) {
            if (c->runs[i]->last_seq < c->runs[old]->last_seq) {
                old = i;
            }
        }
        /* Most runs are single statements passing by; only count an
           eviction that loses a repeat. */
        if (c->runs[old]->count > 1) {
            ctx->stats.loop_evictions++;
        }
        if (close_run(d, c, old) < 0) {
            return -1;
        }
    }
    l = n1_loop_new(ctx, ev, norm, sh, c->seq, 0);
    if (l == NULL) {
        return -1;
    }
    c->runs[c->n_runs++] = l;
    return 0;
}

static int dup_on_event(struct n1_detector *det, const struct n1_event *ev,
                        const struct n1_norm *norm)
{
    struct duplicate *d = (struct duplicate *)det;
    struct n1_conn_node *n = NULL;

    switch (ev->cmd) {
    case N1_CMD_QUIT:
    case N1_CMD_CONNECT:
        n = n1_conntab_find(&d->conns, ev->conn_id);
        return n != NULL ? close_conn(d, (struct dup_conn *)n) : 0;
    case N1_CMD_QUERY:
    case N1_CMD_EXECUTE:
        return dup_statement(d, ev, norm);
    case N1_CMD_PREPARE:
    case N1_CMD_INIT_DB:
    case N1_CMD_CLOSE_STMT:
    case N1_CMD_OTHER:
        break;
    }
    return 0;
}

static int dup_tick(struct n1_detector *det, int64_t now_us)
{
    struct duplicate *d = (struct duplicate *)det;
    struct n1_conn_node **all = NULL;
    size_t n = 0;
    int oom = 0;
    int rc = 0;

    all = n1_conntab_list(&d->conns, &n, &oom);
    if (oom) {
        n1_err_set(&det->ctx->err, N1_ESYS, NULL, 0, "NOMEM tick");
        return -1;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct dup_conn *c = (struct dup_conn *)all[i];

        if (n1_gap_exceeded(c->node.last_us, now_us, det->ctx->opts.idle_ms)) {
            rc = close_conn(d, c);
        } else {
            rc = expire_runs(d, c, now_us);
        }
    }
    free(all);
    return rc;
}

static int dup_finish(struct n1_detector *det)
{
    struct duplicate *d = (struct duplicate *)det;
    struct n1_conn_node **all = NULL;
    size_t n = 0;
    int oom = 0;
    int rc = 0;

    all = n1_conntab_list(&d->conns, &n, &oom);
    if (oom) {
        n1_err_set(&det->ctx->err, N1_ESYS, NULL, 0, "NOMEM finish");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (close_conn(d, (struct dup_conn *)all[i]) < 0) {
            rc = -1;
        }
    }
    free(all);
    return rc;
}

static void dup_free(struct n1_detector *det)
{
    struct duplicate *d = (struct duplicate *)det;

    if (d == NULL) {
        return;
    }
    for (size_t i = 0; i <= d->conns.mask && d->conns.b != NULL; i++) {
        struct n1_conn_node *node = d->conns.b[i];

        while (node != NULL) {
            struct dup_conn *c = (struct dup_conn *)node;

            node = node->next;
            for (size_t k = 0; k < c->n_runs; k++) {
                n1_loop_free(c->runs[k]);
            }
            free(c->runs);
            free(c);
        }
    }
    n1_conntab_cleanup(&d->conns);
    free(d);
}

static void dup_low_water(struct n1_detector *det, n1_low_water_fn cb,
                          void *ud)
{
    struct duplicate *d = (struct duplicate *)det;

    for (size_t i = 0; i <= d->conns.mask && d->conns.b != NULL; i++) {
        for (struct n1_conn_node *node = d->conns.b[i]; node != NULL;
             node = node->next) {
            struct dup_conn *c = (struct dup_conn *)node;

            for (size_t k = 0; k < c->n_runs; k++) {
                cb(ud, node->id, c->runs[k]->offset);
            }
        }
    }
}

static const struct n1_detector_ops duplicate_ops = {
    "duplicate", dup_on_event, dup_tick, dup_finish, dup_free, dup_low_water};

struct n1_detector *n1_duplicate_new(struct n1_detect_ctx *ctx)
{
    struct duplicate *d = calloc(1, sizeof(*d));

    if (d == NULL ||
        n1_conntab_init(&d->conns, ctx->opts.max_connections) < 0) {
        free(d);
        n1_err_set(&ctx->err, N1_ESYS, NULL, 0, "NOMEM duplicate");
        return NULL;
    }
    d->base.ops = &duplicate_ops;
    d->base.ctx = ctx;
    return &d->base;
}
