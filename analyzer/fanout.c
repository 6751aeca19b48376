/* SPDX-License-Identifier: MIT */
/*
 * fanout.c: the fanout detector, one statement each on many connections
 * opened at nearly the same time (a thread and a connection per key).
 *
 * Per connection it remembers when it opened (its Connect, else its first
 * statement) and its first real statement, and counts the others. When
 * the connection ends (Quit, idle, eviction, finish) and it ran at most
 * fanout_max_stmts statements and was seen to be short-lived (a Connect or
 * a Quit in the log), it joins the window of its fingerprint. A window
 * holds the members opened within fanout_window_ms of its first; a member
 * outside it, a tick after the window went quiet, or finish closes it,
 * and a window of fanout_min_conns members with min_distinct_keys keys is
 * a finding that lists every connection id. Ordinary traffic, where each
 * connection runs a mix of statements, never qualifies. Slow logs carry
 * no Connect or Quit, so this detector stays silent on them.
 */
#include <stdlib.h>
#include <string.h>

#include "detect_int.h"

struct fo_conn {
    struct n1_conn_node node; /* first: the table links it */
    int64_t open_us;          /* Connect time, else first statement */
    uint64_t open_offset;     /* n1_event.offset of that event */
    int saw_connect;          /* a Connect event opened it */
    unsigned n_stmts;         /* statements, noise excluded */
    struct n1_loop *first;    /* its first statement */
};

struct fo_group {
    struct n1_loop *loop; /* members merged; conns lists them */
    int64_t min_open;     /* earliest member open time */
    uint64_t low;         /* smallest member open_offset */
    int64_t last_add_us;  /* log time the last member joined */
    uint64_t clock;       /* ctx->clock of the last join */
};

struct fanout {
    struct n1_detector base;
    struct n1_conntab conns;
    struct fo_group *groups; /* max_fanout_groups */
    size_t n_groups;
    int64_t now_us; /* latest log time seen */
};

static int close_group(struct fanout *f, size_t i)
{
    struct fo_group *g = &f->groups[i];
    int rc = n1_loop_report(f->base.ctx, g->loop, N1_FIND_FANOUT, NULL);

    n1_loop_free(g->loop);
    f->groups[i] = f->groups[--f->n_groups];
    return rc < 0 ? -1 : 0;
}

/* Adds an ended connection's statement to its fingerprint's window. */
static int join_group(struct fanout *f, struct fo_conn *c)
{
    struct n1_detect_ctx *ctx = f->base.ctx;
    struct n1_loop *m = c->first;
    struct fo_group *g = NULL;
    double qt = m->n_timed > 0 ? m->time_s : 0.0;

    for (size_t i = 0; i < f->n_groups; i++) {
        struct fo_group *x = &f->groups[i];

        if (x->loop->fp != m->fp || x->loop->ident != m->ident) {
            continue;
        }
        if (n1_gap_exceeded(x->min_open, c->open_us,
                            ctx->opts.fanout_window_ms) ||
            n1_gap_exceeded(c->open_us, x->min_open,
                            ctx->opts.fanout_window_ms)) {
            if (close_group(f, i) < 0) {
                return -1;
            }
            break;
        }
        g = x;
        break;
    }
    if (g == NULL) {
        if (f->n_groups == ctx->opts.max_fanout_groups) {
            size_t old = 0;

            for (size_t i = 1; i < f->n_groups; i++) {
                if (f->groups[i].clock < f->groups[old].clock) {
                    old = i;
                }
            }
            ctx->stats.fanout_dropped++;
            if (close_group(f, old) < 0) {
                return -1;
            }
        }
        g = &f->groups[f->n_groups++];
        g->loop = m;
        g->min_open = c->open_us;
        g->low = c->open_offset;
        c->first = NULL;
        g->last_add_us = f->now_us;
        g->clock = ctx->clock;
        return n1_loop_add_conn(ctx, m, c->node.id);
    }
    if (m->n_rows == 0 ||
        n1_loop_add_row(ctx, g->loop, &m->rows[0], m->first_us, qt,
                        m->n_timed > 0) < 0) {
        return m->n_rows == 0 ? 0 : -1;
    }
    if (c->open_us != N1_TS_NONE &&
        (g->min_open == N1_TS_NONE || c->open_us < g->min_open)) {
        g->min_open = c->open_us;
    }
    if (c->open_offset < g->low) {
        g->low = c->open_offset;
    }
    g->last_add_us = f->now_us;
    g->clock = ctx->clock;
    return n1_loop_add_conn(ctx, g->loop, c->node.id);
}

static int end_conn(struct fanout *f, struct fo_conn *c, int quit)
{
    int rc = 0;

    if (c->first != NULL && c->n_stmts <= f->base.ctx->opts.fanout_max_stmts &&
        (c->saw_connect || quit)) {
        rc = join_group(f, c);
    }
    n1_conntab_remove(&f->conns, &c->node);
    n1_loop_free(c->first);
    free(c);
    return rc;
}

static struct fo_conn *get_conn(struct fanout *f, uint64_t id,
                                const struct n1_event *ev)
{
    struct n1_detect_ctx *ctx = f->base.ctx;
    struct n1_conn_node *n = n1_conntab_find(&f->conns, id);
    struct fo_conn *c = NULL;

    if (n != NULL) {
        return (struct fo_conn *)n;
    }
    if (f->conns.n >= ctx->opts.max_connections) {
        struct fo_conn *old = (struct fo_conn *)n1_conntab_lru(&f->conns);

        ctx->stats.conn_evictions++;
        if (old != NULL && end_conn(f, old, 0) < 0) {
            return NULL;
        }
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        n1_err_set(&ctx->err, N1_ESYS, NULL, 0, "NOMEM connection");
        return NULL;
    }
    c->node.id = id;
    c->node.last_us = ev->ts_us;
    c->open_us = ev->ts_us;
    c->open_offset = ev->offset;
    n1_conntab_insert(&f->conns, &c->node);
    return c;
}

static int fo_statement(struct fanout *f, const struct n1_event *ev,
                        const struct n1_norm *norm)
{
    struct n1_detect_ctx *ctx = f->base.ctx;
    struct n1_shape *sh = NULL;
    struct fo_conn *c = NULL;
    int rc;

    rc = n1_ctx_shape(ctx, ev, norm, &sh);
    if (rc <= 0) {
        return rc;
    }
    c = get_conn(f, ev->conn_id, ev);
    if (c == NULL) {
        return -1;
    }
    c->node.clock = ctx->clock;
    if (ev->ts_us != N1_TS_NONE) {
        c->node.last_us = ev->ts_us;
    }
    c->n_stmts++;
    if (c->n_stmts == 1) {
        if (n1_ctx_shape(ctx, ev, norm, &sh) <= 0) {
            return -1;
        }
        c->first = n1_loop_new(ctx, ev, norm, sh, 1, 1);
        if (c->first == NULL) {
            return -1;
        }
    } else if (c->n_stmts > ctx->opts.fanout_max_stmts && c->first != NULL) {
        /* Not a fan-out connection: stop holding its statement. */
        n1_loop_free(c->first);
        c->first = NULL;
    }
    return 0;
}

static int fo_tick(struct n1_detector *det, int64_t now_us);

static int fo_on_event(struct n1_detector *det, const struct n1_event *ev,
                       const struct n1_norm *norm)
{
    struct fanout *f = (struct fanout *)det;
    struct n1_conn_node *n = NULL;
    struct fo_conn *c = NULL;

    if (ev->ts_us != N1_TS_NONE) {
        f->now_us = ev->ts_us;
    }
    switch (ev->cmd) {
    case N1_CMD_CONNECT:
        n = n1_conntab_find(&f->conns, ev->conn_id);
        if (n != NULL && end_conn(f, (struct fo_conn *)n, 0) < 0) {
            return -1;
        }
        c = get_conn(f, ev->conn_id, ev);
        if (c == NULL) {
            return -1;
        }
        c->saw_connect = 1;
        c->node.clock = det->ctx->clock;
        return 0;
    case N1_CMD_QUIT:
        n = n1_conntab_find(&f->conns, ev->conn_id);
        return n != NULL ? end_conn(f, (struct fo_conn *)n, 1) : 0;
    case N1_CMD_QUERY:
    case N1_CMD_EXECUTE:
        return fo_statement(f, ev, norm);
    case N1_CMD_PREPARE:
    case N1_CMD_INIT_DB:
    case N1_CMD_CLOSE_STMT:
    case N1_CMD_OTHER:
        break;
    }
    return 0;
}

static int fo_tick(struct n1_detector *det, int64_t now_us)
{
    struct fanout *f = (struct fanout *)det;
    const struct n1_detect_opts *o = &det->ctx->opts;
    struct n1_conn_node **all = NULL;
    size_t n = 0;
    size_t i = 0;
    int oom = 0;
    int rc = 0;

    if (now_us != N1_TS_NONE && now_us > f->now_us) {
        f->now_us = now_us;
    }
    all = n1_conntab_list(&f->conns, &n, &oom);
    if (oom) {
        n1_err_set(&det->ctx->err, N1_ESYS, NULL, 0, "NOMEM tick");
        return -1;
    }
    for (size_t k = 0; k < n && rc == 0; k++) {
        struct fo_conn *c = (struct fo_conn *)all[k];

        if (n1_gap_exceeded(c->node.last_us, now_us, o->idle_ms)) {
            rc = end_conn(f, c, 0);
        }
    }
    free(all);
    /* A window is over once nobody joined it for a whole window and its
       members can no longer be near its start. */
    while (rc == 0 && i < f->n_groups) {
        struct fo_group *g = &f->groups[i];

        if (n1_gap_exceeded(g->last_add_us, now_us, o->fanout_window_ms) &&
            n1_gap_exceeded(g->min_open, now_us, 2 * o->fanout_window_ms)) {
            rc = close_group(f, i);
            continue;
        }
        i++;
    }
    return rc;
}

static int fo_finish(struct n1_detector *det)
{
    struct fanout *f = (struct fanout *)det;
    struct n1_conn_node **all = NULL;
    size_t n = 0;
    int oom = 0;
    int rc = 0;

    all = n1_conntab_list(&f->conns, &n, &oom);
    if (oom) {
        n1_err_set(&det->ctx->err, N1_ESYS, NULL, 0, "NOMEM finish");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (end_conn(f, (struct fo_conn *)all[i], 0) < 0) {
            rc = -1;
        }
    }
    free(all);
    while (f->n_groups > 0) {
        if (close_group(f, f->n_groups - 1) < 0) {
            rc = -1;
        }
    }
    return rc;
}

static void fo_free(struct n1_detector *det)
{
    struct fanout *f = (struct fanout *)det;

    if (f == NULL) {
        return;
    }
    for (size_t i = 0; i <= f->conns.mask && f->conns.b != NULL; i++) {
        struct n1_conn_node *node = f->conns.b[i];

        while (node != NULL) {
            struct fo_conn *c = (struct fo_conn *)node;

            node = node->next;
            n1_loop_free(c->first);
            free(c);
        }
    }
    for (size_t i = 0; i < f->n_groups; i++) {
        n1_loop_free(f->groups[i].loop);
    }
    free(f->groups);
    n1_conntab_cleanup(&f->conns);
    free(f);
}

static void fo_low_water(struct n1_detector *det, n1_low_water_fn cb,
                         void *ud)
{
    struct fanout *f = (struct fanout *)det;

    for (size_t i = 0; i <= f->conns.mask && f->conns.b != NULL; i++) {
        for (struct n1_conn_node *node = f->conns.b[i]; node != NULL;
             node = node->next) {
            cb(ud, node->id, ((struct fo_conn *)node)->open_offset);
        }
    }
    /* A window is rebuilt by replaying each member from its opening. */
    for (size_t i = 0; i < f->n_groups; i++) {
        const struct n1_loop *l = f->groups[i].loop;

        for (size_t k = 0; k < l->n_conns; k++) {
            cb(ud, l->conns[k], f->groups[i].low);
        }
    }
}

static const struct n1_detector_ops fanout_ops = {
    "fanout", fo_on_event, fo_tick, fo_finish, fo_free, fo_low_water};

struct n1_detector *n1_fanout_new(struct n1_detect_ctx *ctx)
{
    struct fanout *f = calloc(1, sizeof(*f));
    size_t ng = ctx->opts.max_fanout_groups ? ctx->opts.max_fanout_groups : 1;

    if (f == NULL) {
        goto oom;
    }
    ctx->opts.max_fanout_groups = ng;
    f->groups = calloc(ng, sizeof(*f->groups));
    if (f->groups == NULL ||
        n1_conntab_init(&f->conns, ctx->opts.max_connections) < 0) {
        free(f->groups);
        free(f);
        goto oom;
    }
    f->now_us = N1_TS_NONE;
    f->base.ops = &fanout_ops;
    f->base.ctx = ctx;
    return &f->base;
oom:
    n1_err_set(&ctx->err, N1_ESYS, NULL, 0, "NOMEM fanout");
    return NULL;
}
