/* SPDX-License-Identifier: MIT */
/*
 * conntab.c: the per-connection table and the connections with loops.
 *
 * n1_conntab is a chained hash of connection nodes keyed by connection
 * id; the nodes are embedded in the detectors' own structs and belong to
 * them. The least recently used node is found by a linear scan, which is
 * only needed when max_connections is reached. On top of it n1_loop_conns
 * keeps each connection's open loops and ends them (statement gap, time
 * gap, Quit or Connect, idle, eviction, finish), handing every ended loop
 * to the detector's report callback; n1_loop_detector is a whole detector
 * made of that alone. Nothing here judges whether a loop is a finding.
 */
#include <stdlib.h>

#include "analyzer/detect_int.h"

/* ---- connection table ------------------------------------------------- */

int n1_conntab_init(struct n1_conntab *t, size_t cap)
{
    size_t nb = 16;

    while (nb < cap && nb < ((size_t)1 << 24)) {
        nb *= 2;
    }
    t->b = calloc(nb, sizeof(*t->b));
    t->mask = nb - 1;
    t->n = 0;
    return t->b == NULL ? -1 : 0;
}

void n1_conntab_cleanup(struct n1_conntab *t)
{
    free(t->b);
    t->b = NULL;
    t->n = 0;
}

static size_t conn_bucket(const struct n1_conntab *t, uint64_t id)
{
    return (size_t)((id * 0x9e3779b97f4a7c15ULL) >> 17) & t->mask;
}

struct n1_conn_node *n1_conntab_find(struct n1_conntab *t, uint64_t id)
{
    struct n1_conn_node *n = t->b[conn_bucket(t, id)];

    while (n != NULL && n->id != id) {
        n = n->next;
    }
    return n;
}

void n1_conntab_insert(struct n1_conntab *t, struct n1_conn_node *node)
{
    size_t b = conn_bucket(t, node->id);

    node->next = t->b[b];
    t->b[b] = node;
    t->n++;
}

void n1_conntab_remove(struct n1_conntab *t, struct n1_conn_node *node)
{
    struct n1_conn_node **pp = &t->b[conn_bucket(t, node->id)];

    while (*pp != NULL && *pp != node) {
        pp = &(*pp)->next;
    }
    if (*pp == node) {
        *pp = node->next;
        t->n--;
    }
    node->next = NULL;
}

struct n1_conn_node *n1_conntab_lru(const struct n1_conntab *t)
{
    struct n1_conn_node *best = NULL;

    for (size_t i = 0; i <= t->mask; i++) {
        for (struct n1_conn_node *n = t->b[i]; n != NULL; n = n->next) {
            if (best == NULL || n->clock < best->clock) {
                best = n;
            }
        }
    }
    return best;
}

struct n1_conn_node **n1_conntab_list(const struct n1_conntab *t, size_t *n,
                                      int *oom)
{
    struct n1_conn_node **v = NULL;
    size_t k = 0;

    *n = 0;
    *oom = 0;
    if (t->n == 0) {
        return NULL;
    }
    v = malloc(t->n * sizeof(*v));
    if (v == NULL) {
        *oom = 1;
        return NULL;
    }
    for (size_t i = 0; i <= t->mask; i++) {
        for (struct n1_conn_node *c = t->b[i]; c != NULL; c = c->next) {
            v[k++] = c;
        }
    }
    *n = k;
    return v;
}

/* ---- connections with loops ------------------------------------------- */

int n1_conntab_each(struct n1_detect_ctx *ctx, struct n1_conntab *t,
                    int (*fn)(void *ud, struct n1_conn_node *node), void *ud,
                    int keep_going)
{
    struct n1_conn_node **all = NULL;
    size_t n = 0;
    int oom = 0;
    int rc = 0;

    all = n1_conntab_list(t, &n, &oom);
    if (oom) {
        n1_err_oom(&ctx->err, "listing the connections");
        return -1;
    }
    for (size_t i = 0; i < n && (rc == 0 || keep_going); i++) {
        if (fn(ud, all[i]) < 0) {
            rc = -1;
        }
    }
    free(all);
    return rc;
}

int n1_loop_conns_init(struct n1_loop_conns *t, struct n1_detect_ctx *ctx,
                       const struct n1_loop_conns_ops *ops)
{
    t->ctx = ctx;
    t->ops = ops;
    if (n1_conntab_init(&t->tab, ctx->opts.max_connections) < 0) {
        n1_err_oom(&ctx->err, "for a connection table");
        return -1;
    }
    return 0;
}

static void loop_conn_free(struct n1_loop_conns *t, struct n1_loop_conn *c)
{
    for (size_t k = 0; k < c->n_loops; k++) {
        n1_loop_free(c->loops[k]);
    }
    if (t->ops->release != NULL) {
        t->ops->release(c);
    }
    free(c->loops);
    free(c);
}

void n1_loop_conns_cleanup(struct n1_loop_conns *t)
{
    for (size_t i = 0; t->tab.b != NULL && i <= t->tab.mask; i++) {
        struct n1_conn_node *node = t->tab.b[i];

        while (node != NULL) {
            struct n1_loop_conn *c = (struct n1_loop_conn *)node;

            node = node->next;
            loop_conn_free(t, c);
        }
    }
    n1_conntab_cleanup(&t->tab);
}

/* Judges loop i, frees it and takes it out of the connection. */
static int close_loop(struct n1_loop_conns *t, struct n1_loop_conn *c, size_t i)
{
    struct n1_loop *l = c->loops[i];
    int rc = t->ops->report(t->ctx, c, l);

    n1_loop_free(l);
    c->loops[i] = c->loops[--c->n_loops];
    return rc < 0 ? -1 : 0;
}

static int close_conn(struct n1_loop_conns *t, struct n1_loop_conn *c)
{
    int rc = 0;

    while (c->n_loops > 0) {
        if (close_loop(t, c, c->n_loops - 1) < 0) {
            rc = -1;
        }
    }
    n1_conntab_remove(&t->tab, &c->node);
    loop_conn_free(t, c);
    return rc;
}

static int expire_loops(struct n1_loop_conns *t, struct n1_loop_conn *c,
                        int64_t now_us)
{
    const struct n1_detect_opts *o = &t->ctx->opts;
    size_t i = 0;

    while (i < c->n_loops) {
        struct n1_loop *l = c->loops[i];

        if (c->seq - l->last_seq > (uint64_t)o->max_gap_statements + 1 ||
            n1_gap_exceeded(l->last_us, now_us, o->max_gap_ms)) {
            if (close_loop(t, c, i) < 0) {
                return -1;
            }
            continue;
        }
        i++;
    }
    return 0;
}

static struct n1_loop_conn *get_loop_conn(struct n1_loop_conns *t, uint64_t id)
{
    struct n1_detect_ctx *ctx = t->ctx;
    struct n1_conn_node *n = n1_conntab_find(&t->tab, id);
    struct n1_loop_conn *c = NULL;

    if (n != NULL) {
        return (struct n1_loop_conn *)n;
    }
    if (t->tab.n >= ctx->opts.max_connections) {
        struct n1_loop_conn *old =
            (struct n1_loop_conn *)n1_conntab_lru(&t->tab);

        ctx->stats.conn_evictions++;
        if (old != NULL && close_conn(t, old) < 0) {
            return NULL;
        }
    }
    c = calloc(1, t->ops->conn_size);
    if (c != NULL) {
        c->loops = calloc(ctx->opts.max_loops_per_conn, sizeof(*c->loops));
    }
    if (c == NULL || c->loops == NULL) {
        free(c);
        n1_err_oom(&ctx->err, "for a connection");
        return NULL;
    }
    c->node.id = id;
    c->node.last_us = N1_TS_NONE;
    n1_conntab_insert(&t->tab, &c->node);
    return c;
}

struct n1_loop_conn *n1_loop_conns_statement(struct n1_loop_conns *t,
                                             const struct n1_event *ev)
{
    struct n1_loop_conn *c = get_loop_conn(t, ev->conn_id);

    if (c == NULL) {
        return NULL;
    }
    c->seq++;
    c->node.clock = t->ctx->clock;
    if (ev->ts_us != N1_TS_NONE) {
        c->node.last_us = ev->ts_us;
    }
    return expire_loops(t, c, ev->ts_us) < 0 ? NULL : c;
}

int n1_loop_conns_make_room(struct n1_loop_conns *t, struct n1_loop_conn *c)
{
    size_t old = 0;

    if (c->n_loops < t->ctx->opts.max_loops_per_conn) {
        return 0;
    }
    for (size_t i = 1; i < c->n_loops; i++) {
        if (c->loops[i]->last_seq < c->loops[old]->last_seq) {
            old = i;
        }
    }
    if (t->ops->count_all_evictions || c->loops[old]->count > 1) {
        t->ctx->stats.loop_evictions++;
    }
    return close_loop(t, c, old);
}

int n1_loop_conns_end(struct n1_loop_conns *t, const struct n1_event *ev)
{
    struct n1_conn_node *n = n1_conntab_find(&t->tab, ev->conn_id);

    return n != NULL ? close_conn(t, (struct n1_loop_conn *)n) : 0;
}

struct tick_arg {
    struct n1_loop_conns *t;
    int64_t now_us;
};

static int tick_one(void *ud, struct n1_conn_node *node)
{
    struct tick_arg *a = ud;
    struct n1_loop_conn *c = (struct n1_loop_conn *)node;

    if (n1_gap_exceeded(node->last_us, a->now_us, a->t->ctx->opts.idle_ms)) {
        return close_conn(a->t, c);
    }
    /* Time only: the statement gap cannot grow without events. */
    return expire_loops(a->t, c, a->now_us);
}

int n1_loop_conns_tick(struct n1_loop_conns *t, int64_t now_us)
{
    struct tick_arg a = {t, now_us};

    return n1_conntab_each(t->ctx, &t->tab, tick_one, &a, 0);
}

static int finish_one(void *ud, struct n1_conn_node *node)
{
    return close_conn(ud, (struct n1_loop_conn *)node);
}

int n1_loop_conns_finish(struct n1_loop_conns *t)
{
    return n1_conntab_each(t->ctx, &t->tab, finish_one, t, 1);
}

void n1_loop_conns_low_water(const struct n1_loop_conns *t, n1_low_water_fn cb,
                             void *ud)
{
    for (size_t i = 0; t->tab.b != NULL && i <= t->tab.mask; i++) {
        for (struct n1_conn_node *node = t->tab.b[i]; node != NULL;
             node = node->next) {
            const struct n1_loop_conn *c = (const struct n1_loop_conn *)node;

            if (t->ops->low_water != NULL) {
                t->ops->low_water(c, cb, ud);
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

struct n1_detector *n1_loop_detector_new(struct n1_detect_ctx *ctx,
                                         const struct n1_detector_ops *ops,
                                         const struct n1_loop_conns_ops *cops)
{
    struct n1_loop_detector *d = calloc(1, sizeof(*d));

    if (d == NULL) {
        n1_err_oom(&ctx->err, "for a detector");
        return NULL;
    }
    if (n1_loop_conns_init(&d->conns, ctx, cops) < 0) {
        free(d);
        return NULL;
    }
    d->base.ops = ops;
    d->base.ctx = ctx;
    return &d->base;
}

int n1_loop_detector_on_event(struct n1_detector *det,
                              const struct n1_event *ev,
                              const struct n1_norm *norm)
{
    struct n1_loop_conns *t = &((struct n1_loop_detector *)det)->conns;

    switch (ev->cmd) {
    case N1_CMD_QUIT:
    case N1_CMD_CONNECT:
        /* A new connection with a reused id starts afresh too. */
        return n1_loop_conns_end(t, ev);
    case N1_CMD_QUERY:
    case N1_CMD_EXECUTE:
        return t->ops->statement(t, ev, norm);
    case N1_CMD_PREPARE:
    case N1_CMD_INIT_DB:
    case N1_CMD_CLOSE_STMT:
    case N1_CMD_OTHER:
        break;
    }
    return 0;
}

int n1_loop_detector_tick(struct n1_detector *det, int64_t now_us)
{
    return n1_loop_conns_tick(&((struct n1_loop_detector *)det)->conns, now_us);
}

int n1_loop_detector_finish(struct n1_detector *det)
{
    return n1_loop_conns_finish(&((struct n1_loop_detector *)det)->conns);
}

void n1_loop_detector_free(struct n1_detector *det)
{
    struct n1_loop_detector *d = (struct n1_loop_detector *)det;

    if (d == NULL) {
        return;
    }
    n1_loop_conns_cleanup(&d->conns);
    free(d);
}

void n1_loop_detector_low_water(struct n1_detector *det, n1_low_water_fn cb,
                                void *ud)
{
    n1_loop_conns_low_water(&((struct n1_loop_detector *)det)->conns, cb, ud);
}
