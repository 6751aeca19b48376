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
#include <strings.h>

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

/* Judges loop i, ended by b, frees it and takes it out of the
   connection. */
static int close_loop(struct n1_loop_conns *t, struct n1_loop_conn *c, size_t i,
                      enum n1_boundary b)
{
    struct n1_loop *l = c->loops[i];
    int rc;

    l->ends = b;
    rc = t->ops->report(t->ctx, c, l);

    n1_loop_free(l);
    c->loops[i] = c->loops[--c->n_loops];
    return rc < 0 ? -1 : 0;
}

/* Ends every loop of c (each ended by b). 0 or -1. */
static int close_loops(struct n1_loop_conns *t, struct n1_loop_conn *c,
                       enum n1_boundary b)
{
    int rc = 0;

    while (c->n_loops > 0) {
        if (close_loop(t, c, c->n_loops - 1, b) < 0) {
            rc = -1;
        }
    }
    return rc;
}

static int close_conn(struct n1_loop_conns *t, struct n1_loop_conn *c,
                      enum n1_boundary b)
{
    int rc = close_loops(t, c, b);

    n1_conntab_remove(&t->tab, &c->node);
    loop_conn_free(t, c);
    return rc;
}

/* A request boundary on c: its loops end and its history is forgotten. */
static int boundary(struct n1_loop_conns *t, struct n1_loop_conn *c,
                    enum n1_boundary b)
{
    int rc = close_loops(t, c, b);

    if (t->ops->reset != NULL) {
        t->ops->reset(c);
    }
    c->req_start = b;
    return rc;
}

/*
 * 1 when a pause of now_us after the loop's last execution is far longer
 * than its own rhythm (the mean interval between its executions so far):
 * more than gap_factor times it and more than gap_floor_ms. Only for
 * sub-second timestamps; whole seconds say nothing about a rhythm.
 */
static int off_rhythm(const struct n1_detect_opts *o, const struct n1_loop *l,
                      int64_t now_us, int fine)
{
    int64_t mean;
    int64_t limit;

    if (!fine || !l->ts_fine || o->gap_factor == 0 || l->count < 2 ||
        now_us == N1_TS_NONE || l->last_us == N1_TS_NONE ||
        l->first_us == N1_TS_NONE) {
        return 0;
    }
    mean = (l->last_us - l->first_us) / (int64_t)(l->count - 1);
    limit = mean * (int64_t)o->gap_factor;
    if (limit < (int64_t)o->gap_floor_ms * 1000) {
        limit = (int64_t)o->gap_floor_ms * 1000;
    }
    return now_us - l->last_us > limit;
}

/*
 * 1 when fingerprint fp may run between two executions of l: it is in
 * the body, or the body is still being learned (the first gap), or,
 * after a second gap confirmed it, a little slack is left for an
 * occasional optional statement. Learning adds fp to the body.
 */
static int body_accepts(const struct n1_detect_opts *o, struct n1_loop *l,
                        uint64_t fp)
{
    unsigned cap = o->max_body_fingerprints < N1_BODY_MAX
                       ? o->max_body_fingerprints
                       : N1_BODY_MAX;

    if (fp == l->fp) {
        return 1;
    }
    for (unsigned i = 0; i < l->n_body; i++) {
        if (l->body[i] == fp) {
            return 1;
        }
    }
    if (l->n_body >= cap) {
        return 0;
    }
    if (l->count >= 2) {
        /* Slack only once a whole gap has confirmed the body: what
           recurs once per request, with other requests of other shapes
           between, never gets that far. */
        if (l->count < 3 || l->slack_used >= o->body_slack) {
            return 0;
        }
        l->slack_used++;
    }
    l->body[l->n_body++] = fp;
    return 1;
}

/* Ends the loops of c that a statement with fingerprint fp (0: none, a
   tick) at now_us ends. */
static int expire_loops(struct n1_loop_conns *t, struct n1_loop_conn *c,
                        int64_t now_us, int fine, uint64_t fp)
{
    const struct n1_detect_opts *o = &t->ctx->opts;
    size_t i = 0;

    while (i < c->n_loops) {
        struct n1_loop *l = c->loops[i];
        enum n1_boundary b = N1_BOUND_NONE;

        if (c->seq - l->last_seq > (uint64_t)o->max_gap_statements + 1) {
            b = N1_BOUND_STATEMENT;
        } else if (n1_gap_exceeded(l->last_us, now_us, o->max_gap_ms) ||
                   off_rhythm(o, l, now_us, fine)) {
            b = N1_BOUND_GAP;
        } else if (fp != 0 && !body_accepts(o, l, fp)) {
            b = N1_BOUND_STATEMENT;
        }
        if (b != N1_BOUND_NONE) {
            if (close_loop(t, c, i, b) < 0) {
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
        if (old != NULL && close_conn(t, old, N1_BOUND_IDLE) < 0) {
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
                                             const struct n1_event *ev,
                                             uint64_t fp)
{
    struct n1_loop_conn *c = get_loop_conn(t, ev->conn_id);

    if (c == NULL) {
        return NULL;
    }
    c->seq++;
    c->in_preamble = 0;
    c->node.clock = t->ctx->clock;
    if (ev->ts_us != N1_TS_NONE) {
        c->node.last_us = ev->ts_us;
    }
    if (expire_loops(t, c, ev->ts_us, (ev->flags & N1_EV_TS_FINE) != 0, fp) <
        0) {
        return NULL;
    }
    return c;
}

void n1_loop_conns_add(struct n1_loop_conn *c, struct n1_loop *l)
{
    l->starts = c->req_start;
    c->loops[c->n_loops++] = l;
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
    return close_loop(t, c, old, N1_BOUND_IDLE);
}

int n1_loop_conns_end(struct n1_loop_conns *t, const struct n1_event *ev)
{
    struct n1_conn_node *n = n1_conntab_find(&t->tab, ev->conn_id);
    struct n1_loop_conn *c = NULL;

    if (n != NULL &&
        close_conn(t, (struct n1_loop_conn *)n, N1_BOUND_CONNECT) < 0) {
        return -1;
    }
    if (ev->cmd != N1_CMD_CONNECT) {
        return 0;
    }
    /* Its first request is delimited by the Connect. */
    c = get_loop_conn(t, ev->conn_id);
    if (c == NULL) {
        return -1;
    }
    c->node.clock = t->ctx->clock;
    c->node.last_us = ev->ts_us;
    c->req_start = N1_BOUND_CONNECT;
    return 0;
}

/* 1 for a boolean literal that turns autocommit off (0, off, false). */
static int autocommit_value_off(const struct n1_norm *norm)
{
    const struct n1_literal *v = NULL;

    if (norm->n_lits == 0) {
        return 0;
    }
    v = &norm->lits[norm->n_lits - 1];
    return (v->len == 1 && v->value[0] == '0') ||
           (v->len == 3 && strncasecmp(v->value, "off", 3) == 0) ||
           (v->len == 5 && strncasecmp(v->value, "false", 5) == 0);
}

/*
 * What a control statement does to c's transaction state; returns the
 * boundary it makes, or N1_BOUND_NONE. COMMIT or ROLLBACK that closes a
 * transaction is not a boundary (BEGIN ... COMMIT per item stays a loop);
 * with no transaction open it is a pool's reset.
 */
static enum n1_boundary control_step(const struct n1_detect_opts *o,
                                     struct n1_loop_conn *c, int ctl,
                                     const struct n1_norm *norm)
{
    int was_preamble = c->in_preamble;

    c->in_preamble = 0;
    switch (ctl) {
    case N1_CTL_BEGIN:
        c->in_txn = 1;
        return N1_BOUND_NONE;
    case N1_CTL_END:
        if (c->in_txn) {
            c->in_txn = 0;
            return N1_BOUND_NONE;
        }
        return o->reset_statements ? N1_BOUND_RESET : N1_BOUND_NONE;
    case N1_CTL_RESET:
        c->in_txn = 0;
        c->autocommit_off = 0;
        return o->reset_statements ? N1_BOUND_RESET : N1_BOUND_NONE;
    case N1_CTL_AUTOCOMMIT:
        if (autocommit_value_off(norm)) {
            c->autocommit_off = 1;
            return N1_BOUND_NONE;
        }
        /* Turning autocommit on commits what was open. */
        c->autocommit_off = 0;
        c->in_txn = 0;
        break;
    case N1_CTL_PREAMBLE:
        break;
    default:
        if (c->autocommit_off) {
            c->in_txn = 1;
        }
        return N1_BOUND_NONE;
    }
    /* A run of preamble statements is one boundary. */
    c->in_preamble = 1;
    return was_preamble ? N1_BOUND_NONE : N1_BOUND_PREAMBLE;
}

/* 1 when the command word names a pool's reset: Change user, Reset
   Connection. */
static int reset_command(const struct n1_event *ev)
{
    return ev->command != NULL &&
           (strcasecmp(ev->command, "Change user") == 0 ||
            strcasecmp(ev->command, "Reset Connection") == 0);
}

int n1_loop_conns_control(struct n1_loop_conns *t, const struct n1_event *ev,
                          const struct n1_norm *norm)
{
    const struct n1_detect_opts *o = &t->ctx->opts;
    struct n1_loop_conn *c = NULL;
    enum n1_boundary b = N1_BOUND_NONE;
    uint64_t trace = 0;
    int ctl;

    if (ev->cmd == N1_CMD_OTHER) {
        c = (struct n1_loop_conn *)n1_conntab_find(&t->tab, ev->conn_id);
        if (c == NULL || !o->reset_commands || !reset_command(ev)) {
            return 0;
        }
        c->in_txn = 0;
        c->autocommit_off = 0;
        return boundary(t, c, N1_BOUND_RESET);
    }
    ctl = n1_ctx_control(t->ctx, ev, norm);
    if (ctl < 0) {
        return -1;
    }
    if (o->trace_boundary && norm != NULL && norm->n_tags > 0) {
        trace = n1_trace_id(norm);
    }
    if (ctl == N1_CTL_NONE && trace == 0) {
        c = (struct n1_loop_conn *)n1_conntab_find(&t->tab, ev->conn_id);
        if (c != NULL) {
            control_step(o, c, ctl, norm);
        }
        return 0;
    }
    c = get_loop_conn(t, ev->conn_id);
    if (c == NULL) {
        return -1;
    }
    if (trace != 0) {
        if (c->trace != 0 && c->trace != trace) {
            b = N1_BOUND_TRACE;
        }
        c->trace = trace;
    }
    if (b == N1_BOUND_NONE) {
        b = control_step(o, c, ctl, norm);
    } else {
        control_step(o, c, ctl, norm);
    }
    return b != N1_BOUND_NONE ? boundary(t, c, b) : 0;
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
        return close_conn(a->t, c, N1_BOUND_IDLE);
    }
    /* Time only: the statement gap cannot grow without events. A tick's
       time is the log's or the wall clock, never finer than the loops'. */
    return expire_loops(a->t, c, a->now_us, 1, 0);
}

int n1_loop_conns_tick(struct n1_loop_conns *t, int64_t now_us)
{
    struct tick_arg a = {t, now_us};

    return n1_conntab_each(t->ctx, &t->tab, tick_one, &a, 0);
}

static int finish_one(void *ud, struct n1_conn_node *node)
{
    return close_conn(ud, (struct n1_loop_conn *)node, N1_BOUND_NONE);
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
        if (n1_loop_conns_control(t, ev, norm) < 0) {
            return -1;
        }
        return t->ops->statement(t, ev, norm);
    case N1_CMD_OTHER:
        return n1_loop_conns_control(t, ev, norm);
    case N1_CMD_PREPARE:
    case N1_CMD_INIT_DB:
    case N1_CMD_CLOSE_STMT:
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
