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
 */
#include <stdlib.h>
#include <string.h>

#include "detect_int.h"

#define HIST 4   /* statements remembered per connection for parents */
#define LOOPED 8 /* recently looping fingerprints per connection */

struct np_conn {
    struct n1_conn_node node; /* first: the table links it */
    uint64_t seq;             /* statements seen on the connection */
    struct n1_loop **loops;   /* open loops, max_loops_per_conn */
    size_t n_loops;
    struct n1_stmt_rec *hist[HIST]; /* last statements, hist[hpos - 1]
                                       newest */
    size_t hpos;
    uint64_t looped[LOOPED]; /* fingerprints seen repeating */
    size_t lpos;
};

struct nplus1 {
    struct n1_detector base;
    struct n1_conntab conns;
};

static int is_looping(const struct np_conn *c, uint64_t fp)
{
    for (size_t i = 0; i < LOOPED; i++) {
        if (c->looped[i] == fp && fp != 0) {
            return 1;
        }
    }
    for (size_t i = 0; i < c->n_loops; i++) {
        if (c->loops[i]->fp == fp && c->loops[i]->count >= 2) {
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
        if (r->fp == l->fp || is_looping(c, r->fp)) {
            continue;
        }
        return r->is_select ? r : NULL;
    }
    return NULL;
}

/* Judges loop i, frees it and takes it out of the connection. */
static int close_loop(struct nplus1 *np, struct np_conn *c, size_t i)
{
    struct n1_loop *l = c->loops[i];
    int rc;

    rc = n1_loop_report(np->base.ctx, l, N1_FIND_N_PLUS_ONE, find_parent(c, l));
    n1_loop_free(l);
    c->loops[i] = c->loops[--c->n_loops];
    return rc < 0 ? -1 : 0;
}

static int close_conn(struct nplus1 *np, struct np_conn *c)
{
    int rc = 0;

    while (c->n_loops > 0) {
        if (close_loop(np, c, c->n_loops - 1) < 0) {
            rc = -1;
        }
    }
    n1_conntab_remove(&np->conns, &c->node);
    for (size_t i = 0; i < HIST; i++) {
        n1_stmt_rec_unref(c->hist[i]);
    }
    free(c->loops);
    free(c);
    return rc;
}

static int expire_loops(struct nplus1 *np, struct np_conn *c, int64_t now_us)
{
    const struct n1_detect_opts *o = &np->base.ctx->opts;
    size_t i = 0;

    while (i < c->n_loops) {
        struct n1_loop *l = c->loops[i];

        if (c->seq - l->last_seq > (uint64_t)o->max_gap_statements + 1 ||
            n1_gap_exceeded(l->last_us, now_us, o->max_gap_ms)) {
            if (close_loop(np, c, i) < 0) {
                return -1;
            }
            continue;
        }
        i++;
    }
    return 0;
}

static struct np_conn *get_conn(struct nplus1 *np, uint64_t id)
{
    struct n1_detect_ctx *ctx = np->base.ctx;
    struct n1_conn_node *n = n1_conntab_find(&np->conns, id);
    struct np_conn *c = NULL;

    if (n != NULL) {
        return (struct np_conn *)n;
    }
    if (np->conns.n >= ctx->opts.max_connections) {
        struct np_conn *old = (struct np_conn *)n1_conntab_lru(&np->conns);

        ctx->stats.conn_evictions++;
        if (old != NULL && close_conn(np, old) < 0) {
            return NULL;
        }
    }
    c = calloc(1, sizeof(*c));
    if (c != NULL) {
        c->loops = calloc(ctx->opts.max_loops_per_conn, sizeof(*c->loops));
    }
    if (c == NULL || c->loops == NULL) {
        free(c);
        n1_err_set(&ctx->err, N1_ESYS, NULL, 0, "NOMEM connection");
        return NULL;
    }
    c->node.id = id;
    c->node.last_us = N1_TS_NONE;
    n1_conntab_insert(&np->conns, &c->node);
    return c;
}

static int np_statement(struct nplus1 *np, const struct n1_event *ev,
                        const struct n1_norm *norm)
{
    struct n1_detect_ctx *ctx = np->base.ctx;
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
    c = get_conn(np, ev->conn_id);
    if (c == NULL) {
        return -1;
    }
    c->seq++;
    c->node.clock = ctx->clock;
    if (ev->ts_us != N1_TS_NONE) {
        c->node.last_us = ev->ts_us;
    }
    if (expire_loops(np, c, ev->ts_us) < 0) {
        return -1;
    }
    /* Closing loops parsed other shapes; look ours up again. */
    if (n1_ctx_shape(ctx, ev, norm, &sh) <= 0) {
        return -1;
    }
    ident = n1_tags_ident(norm);
    for (size_t i = 0; i < c->n_loops; i++) {
        if (c->loops[i]->fp == norm->id && c->loops[i]->ident == ident) {
            l = c->loops[i];
            break;
        }
    }
    if (l != NULL) {
        if (n1_loop_add(ctx, l, ev, norm, c->seq) < 0) {
            return -1;
        }
        if (l->count == 2) {
            c->looped[c->lpos++ % LOOPED] = l->fp;
        }
    } else {
        if (c->n_loops == ctx->opts.max_loops_per_conn) {
            size_t old = 0;

            for (size_t i = 1; i < c->n_loops; i++) {
                if (c->loops[i]->last_seq < c->loops[old]->last_seq) {
                    old = i;
                }
            }
            ctx->stats.loop_evictions++;
            if (close_loop(np, c, old) < 0) {
                return -1;
            }
            if (n1_ctx_shape(ctx, ev, norm, &sh) <= 0) {
                return -1;
            }
        }
        l = n1_loop_new(ctx, ev, norm, sh, c->seq, 1);
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
        c->loops[c->n_loops++] = l;
    }
    rec = n1_stmt_rec_new(ctx, ev, norm, sh, c->seq);
    if (rec == NULL) {
        n1_err_set(&ctx->err, N1_ESYS, NULL, 0, "NOMEM statement record");
        return -1;
    }
    n1_stmt_rec_unref(c->hist[c->hpos % HIST]);
    c->hist[c->hpos % HIST] = rec;
    c->hpos++;
    return 0;
}

static int np_on_event(struct n1_detector *det, const struct n1_event *ev,
                       const struct n1_norm *norm)
{
    struct nplus1 *np = (struct nplus1 *)det;
    struct n1_conn_node *n = NULL;

    switch (ev->cmd) {
    case N1_CMD_QUIT:
    case N1_CMD_CONNECT:
        /* A new connection with a reused id starts afresh too. */
        n = n1_conntab_find(&np->conns, ev->conn_id);
        return n != NULL ? close_conn(np, (struct np_conn *)n) : 0;
    case N1_CMD_QUERY:
    case N1_CMD_EXECUTE:
        return np_statement(np, ev, norm);
    case N1_CMD_PREPARE:
    case N1_CMD_INIT_DB:
    case N1_CMD_CLOSE_STMT:
    case N1_CMD_OTHER:
        break;
    }
    return 0;
}

static int np_tick(struct n1_detector *det, int64_t now_us)
{
    struct nplus1 *np = (struct nplus1 *)det;
    struct n1_detect_ctx *ctx = det->ctx;
    struct n1_conn_node **all = NULL;
    size_t n = 0;
    int oom = 0;
    int rc = 0;

    all = n1_conntab_list(&np->conns, &n, &oom);
    if (oom) {
        n1_err_set(&ctx->err, N1_ESYS, NULL, 0, "NOMEM tick");
        return -1;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct np_conn *c = (struct np_conn *)all[i];

        if (n1_gap_exceeded(c->node.last_us, now_us, ctx->opts.idle_ms)) {
            rc = close_conn(np, c);
            continue;
        }
        /* Time only: the statement gap cannot grow without events. */
        rc = expire_loops(np, c, now_us);
    }
    free(all);
    return rc;
}

static int np_finish(struct n1_detector *det)
{
    struct nplus1 *np = (struct nplus1 *)det;
    struct n1_conn_node **all = NULL;
    size_t n = 0;
    int oom = 0;
    int rc = 0;

    all = n1_conntab_list(&np->conns, &n, &oom);
    if (oom) {
        n1_err_set(&det->ctx->err, N1_ESYS, NULL, 0, "NOMEM finish");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (close_conn(np, (struct np_conn *)all[i]) < 0) {
            rc = -1;
        }
    }
    free(all);
    return rc;
}

static void np_free(struct n1_detector *det)
{
    struct nplus1 *np = (struct nplus1 *)det;

    if (np == NULL) {
        return;
    }
    for (size_t i = 0; i <= np->conns.mask && np->conns.b != NULL; i++) {
        struct n1_conn_node *node = np->conns.b[i];

        while (node != NULL) {
            struct np_conn *c = (struct np_conn *)node;

            node = node->next;
            for (size_t k = 0; k < c->n_loops; k++) {
                n1_loop_free(c->loops[k]);
            }
            for (size_t k = 0; k < HIST; k++) {
                n1_stmt_rec_unref(c->hist[k]);
            }
            free(c->loops);
            free(c);
        }
    }
    n1_conntab_cleanup(&np->conns);
    free(np);
}

static void np_low_water(struct n1_detector *det, n1_low_water_fn cb,
                         void *ud)
{
    struct nplus1 *np = (struct nplus1 *)det;

    for (size_t i = 0; i <= np->conns.mask && np->conns.b != NULL; i++) {
        for (struct n1_conn_node *node = np->conns.b[i]; node != NULL;
             node = node->next) {
            struct np_conn *c = (struct np_conn *)node;

            for (size_t k = 0; k < HIST; k++) {
                if (c->hist[k] != NULL) {
                    cb(ud, node->id, c->hist[k]->offset);
                }
            }
            for (size_t k = 0; k < c->n_loops; k++) {
                cb(ud, node->id, c->loops[k]->offset);
                for (size_t j = 0; j < 3; j++) {
                    if (c->loops[k]->cand[j] != NULL) {
                        cb(ud, node->id, c->loops[k]->cand[j]->offset);
                    }
                }
            }
        }
    }
}

static const struct n1_detector_ops nplus1_ops = {
    "n_plus_one", np_on_event, np_tick, np_finish, np_free, np_low_water};

struct n1_detector *n1_nplus1_new(struct n1_detect_ctx *ctx)
{
    struct nplus1 *np = calloc(1, sizeof(*np));

    if (np == NULL ||
        n1_conntab_init(&np->conns, ctx->opts.max_connections) < 0) {
        free(np);
        n1_err_set(&ctx->err, N1_ESYS, NULL, 0, "NOMEM n_plus_one");
        return NULL;
    }
    np->base.ops = &nplus1_ops;
    np->base.ctx = ctx;
    return &np->base;
}
