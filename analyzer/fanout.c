/* SPDX-License-Identifier: MIT */
/*
 * fanout.c: the fanout detector, one statement each on many connections
 * opened at nearly the same time (a thread and a connection per key).
 *
 * Per connection it remembers when it opened (its Connect, else its first
 * event) and its first real statement, and counts the others. When the
 * connection ends (Quit, idle, eviction, finish) and it ran at most
 * fanout_max_stmts statements and was short-lived, it joins the window
 * of its fingerprint. Short-lived means a Connect or a Quit in the log,
 * or, for logs without them (slow logs), an id higher than every id seen
 * before its first event: servers number connections increasingly, so
 * such a connection opened after all the others. A pooled connection
 * gets a new id only once and keeps running statements, so it never
 * qualifies. A window holds the members opened within fanout_window_ms
 * of its first; a member outside it, a tick after the window went quiet,
 * or finish closes it, and a window of fanout_min_conns members with
 * min_distinct_keys keys is a finding that lists every connection id in
 * the order of their first statements. Ordinary traffic, where each
 * connection runs a mix of statements, never qualifies.
 */
#include <stdlib.h>
#include <string.h>

#include "analyzer/detect_int.h"

struct fo_conn {
    struct n1_conn_node node; /* first: the table links it */
    int64_t open_us;          /* Connect time, else first statement */
    uint64_t open_offset;     /* n1_event.offset of that event */
    int saw_connect;          /* a Connect event opened it */
    int fresh;                /* its id was higher than every id seen
                                 before its first event */
    unsigned n_stmts;         /* statements, noise excluded */
    struct n1_loop *first;    /* its first statement */
};

/* A member of a window, for listing members in a fixed order. */
struct fo_member {
    int64_t first_us; /* its first statement, N1_TS_NONE unknown */
    uint64_t id;      /* connection id */
};

struct fo_group {
    struct n1_loop *loop;      /* members merged; conns lists them */
    struct fo_member *members; /* one per entry of loop->conns */
    size_t cap_members;        /* places in members */
    struct fo_member *row_of;  /* the member of each of loop->rows */
    size_t cap_row_of;         /* places in row_of */
    int64_t min_open;          /* earliest member open time */
    uint64_t low;              /* smallest member open_offset */
    int64_t last_add_us;       /* log time the last member joined */
    uint64_t clock;            /* ctx->clock of the last join */
};

/* Connection ids first seen within the last fan-out window. */
#define FO_RECENT 1024

struct fo_recent {
    uint64_t id; /* connection id */
    int64_t ts;  /* when it was first seen */
};

struct fanout {
    struct n1_detector base;
    struct n1_conntab conns;
    struct fo_group *groups; /* max_fanout_groups */
    size_t n_groups;
    int64_t now_us;  /* latest log time seen */
    uint64_t max_id; /* highest connection id settled (see fresh_id) */
    int seen_id;     /* max_id is set */
    struct fo_recent recent[FO_RECENT]; /* ids first seen within the
                                           window, oldest first (a ring) */
    size_t recent_head;                 /* index of the oldest entry */
    size_t recent_n;                    /* entries in the ring */
};

static int member_cmp(const void *pa, const void *pb)
{
    const struct fo_member *a = pa;
    const struct fo_member *b = pb;

    if (a->first_us != b->first_us) {
        return a->first_us < b->first_us ? -1 : 1;
    }
    return a->id < b->id ? -1 : a->id > b->id;
}

/* A kept row and the member it came from, for sorting. */
struct fo_row {
    struct fo_member who;
    struct n1_rw_row row;
};

static int row_cmp(const void *pa, const void *pb)
{
    return member_cmp(&((const struct fo_row *)pa)->who,
                      &((const struct fo_row *)pb)->who);
}

/* Puts the kept rows, and so the keys of the rewrite, in member order.
   rows[0] stays a valid sample: every member ran the same statement. */
static void sort_rows(struct fo_group *g)
{
    struct n1_loop *l = g->loop;
    struct fo_row *v = NULL;

    if (g->row_of == NULL || l->n_rows < 2) {
        return;
    }
    v = malloc(l->n_rows * sizeof(*v));
    if (v == NULL) {
        return; /* the order of arrival is still a correct rewrite */
    }
    for (size_t k = 0; k < l->n_rows; k++) {
        v[k].who = g->row_of[k];
        v[k].row = l->rows[k];
    }
    qsort(v, l->n_rows, sizeof(*v), row_cmp);
    for (size_t k = 0; k < l->n_rows; k++) {
        l->rows[k] = v[k].row;
    }
    free(v);
}

/* Records that rows [from, n_rows) of g->loop came from member who.
   0 or -1 with ctx->err set. */
static int note_rows(struct fanout *f, struct fo_group *g, size_t from,
                     struct fo_member who)
{
    struct n1_loop *l = g->loop;

    if (l->n_rows > g->cap_row_of) {
        size_t nc = g->cap_row_of ? 2 * g->cap_row_of : 8;
        struct fo_member *nv = NULL;

        while (nc < l->n_rows) {
            nc *= 2;
        }
        nv = realloc(g->row_of, nc * sizeof(*nv));
        if (nv == NULL) {
            n1_err_oom(&f->base.ctx->err, "keeping fan-out rows");
            return -1;
        }
        g->row_of = nv;
        g->cap_row_of = nc;
    }
    for (size_t k = from; k < l->n_rows; k++) {
        g->row_of[k] = who;
    }
    return 0;
}

static int close_group(struct fanout *f, size_t i)
{
    struct fo_group *g = &f->groups[i];
    struct n1_loop *l = g->loop;
    int rc;

    /* Members join as they end, which says nothing; list them as their
       first statements ran (then by id), the same on every run. */
    if (g->members != NULL) {
        qsort(g->members, l->n_conns, sizeof(*g->members), member_cmp);
        for (size_t k = 0; k < l->n_conns; k++) {
            l->conns[k] = g->members[k].id;
        }
    }
    sort_rows(g);
    rc = n1_loop_report(f->base.ctx, l, N1_FIND_FANOUT, NULL);
    n1_loop_free(l);
    free(g->members);
    free(g->row_of);
    f->groups[i] = f->groups[--f->n_groups];
    return rc < 0 ? -1 : 0;
}

/* Adds connection c to g->loop->conns and its first statement time to
   g->members. 0 or -1 with ctx->err set. */
static int add_member(struct fanout *f, struct fo_group *g,
                      const struct fo_conn *c, int64_t first_us)
{
    struct n1_detect_ctx *ctx = f->base.ctx;
    struct n1_loop *l = g->loop;
    size_t before = l->n_conns;

    if (n1_loop_add_conn(ctx, l, c->node.id) < 0) {
        return -1;
    }
    if (l->n_conns == before) {
        return 0; /* max_fanout_members: not kept */
    }
    if (l->n_conns > g->cap_members) {
        size_t nc = g->cap_members ? 2 * g->cap_members : 8;
        struct fo_member *nm = realloc(g->members, nc * sizeof(*nm));

        if (nm == NULL) {
            n1_err_oom(&ctx->err, "keeping fan-out members");
            l->n_conns--;
            return -1;
        }
        g->members = nm;
        g->cap_members = nc;
    }
    g->members[l->n_conns - 1].first_us = first_us;
    g->members[l->n_conns - 1].id = c->node.id;
    return 0;
}

/*
 * Members join as their connections end, in no useful order (a slow log
 * writes each entry when its statement finishes). After member m's row
 * was added to the group loop g: widen the time range both ways, and let
 * the earliest member (by time, then file position) give the sample, file
 * and line, so the finding points at where the fan-out began.
 */
static void keep_earliest(struct n1_loop *g, struct n1_loop *m,
                          int64_t prev_last)
{
    int earlier;

    if (m->first_us != N1_TS_NONE && g->first_us != N1_TS_NONE &&
        m->first_us != g->first_us) {
        earlier = m->first_us < g->first_us;
    } else {
        earlier = m->offset < g->offset;
    }
    if (earlier && m->sample != NULL) {
        char *t = g->sample;
        uint64_t o = g->offset;
        unsigned long ln = g->line;
        size_t cap = g->sample_cap;

        g->sample = m->sample;
        m->sample = t;
        g->sample_cap = m->sample_cap;
        m->sample_cap = cap;
        t = g->file;
        g->file = m->file;
        m->file = t;
        cap = g->file_cap;
        g->file_cap = m->file_cap;
        m->file_cap = cap;
        g->offset = m->offset;
        m->offset = o;
        g->line = m->line;
        m->line = ln;
    }
    /* n1_loop_add_row() took m's time as the latest: widen instead. */
    g->last_us = prev_last;
    if (m->first_us != N1_TS_NONE) {
        if (g->first_us == N1_TS_NONE || m->first_us < g->first_us) {
            g->first_us = m->first_us;
        }
        if (g->last_us == N1_TS_NONE || m->first_us > g->last_us) {
            g->last_us = m->first_us;
        }
    }
}

/* Adds an ended connection's statement to its fingerprint's window. */
static int join_group(struct fanout *f, struct fo_conn *c)
{
    struct n1_detect_ctx *ctx = f->base.ctx;
    struct n1_loop *m = c->first;
    struct fo_group *g = NULL;
    double qt = m->n_timed > 0 ? m->time_s : 0.0;
    int64_t first_us = m->first_us;
    struct fo_member who = {m->first_us, c->node.id};
    int64_t prev_last;
    size_t before;

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
        memset(g, 0, sizeof(*g));
        g->loop = m;
        g->min_open = c->open_us;
        g->low = c->open_offset;
        c->first = NULL;
        g->last_add_us = f->now_us;
        g->clock = ctx->clock;
        if (note_rows(f, g, 0, who) < 0) {
            return -1;
        }
        return add_member(f, g, c, first_us);
    }
    before = g->loop->n_rows;
    prev_last = g->loop->last_us;
    if (m->n_rows == 0 ||
        n1_loop_add_row(ctx, g->loop, &m->rows[0], m->first_us, qt,
                        m->n_timed > 0) < 0) {
        return m->n_rows == 0 ? 0 : -1;
    }
    keep_earliest(g->loop, m, prev_last);
    if (note_rows(f, g, before, who) < 0) {
        return -1;
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
    return add_member(f, g, c, first_us);
}

static int end_conn(struct fanout *f, struct fo_conn *c, int quit)
{
    int rc = 0;

    /* Short-lived: opened or closed in the log, or (slow logs, which
       show neither) new when first seen and done with one statement. */
    if (c->first != NULL && c->n_stmts <= f->base.ctx->opts.fanout_max_stmts &&
        (c->saw_connect || quit || c->fresh)) {
        rc = join_group(f, c);
    }
    n1_conntab_remove(&f->conns, &c->node);
    n1_loop_free(c->first);
    free(c);
    return rc;
}

/* Folds an id into the settled maximum. */
static void settle_one(struct fanout *f, uint64_t id)
{
    if (!f->seen_id || id > f->max_id) {
        f->max_id = id;
        f->seen_id = 1;
    }
}

/* Settles the ids first seen more than a fan-out window before now_us
   (all of them when the log has no times). */
static void settle_ids(struct fanout *f, int64_t now_us)
{
    unsigned window = f->base.ctx->opts.fanout_window_ms;

    while (f->recent_n > 0) {
        const struct fo_recent *r = &f->recent[f->recent_head];

        if (now_us != N1_TS_NONE && r->ts != N1_TS_NONE &&
            !n1_gap_exceeded(r->ts, now_us, window)) {
            break;
        }
        settle_one(f, r->id);
        f->recent_head = (f->recent_head + 1) % FO_RECENT;
        f->recent_n--;
    }
}

/* Remembers a newly seen id; a full ring settles its oldest entry. */
static void remember_id(struct fanout *f, uint64_t id, int64_t ts)
{
    if (ts == N1_TS_NONE) {
        settle_one(f, id);
        return;
    }
    if (f->recent_n == FO_RECENT) {
        settle_one(f, f->recent[f->recent_head].id);
        f->recent_head = (f->recent_head + 1) % FO_RECENT;
        f->recent_n--;
    }
    f->recent[(f->recent_head + f->recent_n) % FO_RECENT].id = id;
    f->recent[(f->recent_head + f->recent_n) % FO_RECENT].ts = ts;
    f->recent_n++;
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
        n1_err_oom(&ctx->err, "for a connection");
        return NULL;
    }
    c->node.id = id;
    c->node.clock = ctx->clock;
    c->node.last_us = ev->ts_us;
    c->open_us = ev->ts_us;
    c->open_offset = ev->offset;
    /* Servers hand out ids in increasing order: an id above all seen so
       far belongs to a connection opened after all of them. Ids first
       seen within the window may show up out of order (a slow log writes
       entries as statements end), so only older ones count. */
    settle_ids(f, ev->ts_us);
    c->fresh = !f->seen_id || id > f->max_id;
    remember_id(f, id, ev->ts_us);
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
    if (rc < 0) {
        return rc;
    }
    /* Noise counts for nothing but does open the connection: a fan-out
       worker may set up its session before its statement. */
    c = get_conn(f, ev->conn_id, ev);
    if (c == NULL) {
        return -1;
    }
    if (rc == 0) {
        return 0;
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
    int rc = 0;

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
        break;
    case N1_CMD_QUIT:
        n = n1_conntab_find(&f->conns, ev->conn_id);
        rc = n != NULL ? end_conn(f, (struct fo_conn *)n, 1) : 0;
        break;
    case N1_CMD_QUERY:
    case N1_CMD_EXECUTE:
        rc = fo_statement(f, ev, norm);
        break;
    case N1_CMD_PREPARE:
    case N1_CMD_INIT_DB:
    case N1_CMD_CLOSE_STMT:
    case N1_CMD_OTHER:
        /* Opens the connection, so that its freshness is judged now. */
        if (get_conn(f, ev->conn_id, ev) == NULL) {
            return -1;
        }
        break;
    }
    return rc;
}

struct fo_tick_arg {
    struct fanout *f;
    int64_t now_us;
};

static int tick_conn(void *ud, struct n1_conn_node *node)
{
    struct fo_tick_arg *a = ud;

    if (n1_gap_exceeded(node->last_us, a->now_us,
                        a->f->base.ctx->opts.idle_ms)) {
        return end_conn(a->f, (struct fo_conn *)node, 0);
    }
    return 0;
}

/*
 * 1 when a connection still open may yet join window g: it opened within
 * the window, ran g's statement and nothing more so far, and has not
 * ended (a member joins when its connection quits, so one that runs its
 * statement slowly, or is slow to quit, is logged as a member late).
 */
static int may_still_join(const struct fanout *f, const struct fo_group *g)
{
    unsigned window = f->base.ctx->opts.fanout_window_ms;

    for (size_t i = 0; i <= f->conns.mask && f->conns.b != NULL; i++) {
        for (const struct n1_conn_node *node = f->conns.b[i]; node != NULL;
             node = node->next) {
            const struct fo_conn *c = (const struct fo_conn *)node;

            if (c->first != NULL && c->first->fp == g->loop->fp &&
                c->first->ident == g->loop->ident &&
                !n1_gap_exceeded(g->min_open, c->open_us, window) &&
                !n1_gap_exceeded(c->open_us, g->min_open, window)) {
                return 1;
            }
        }
    }
    return 0;
}

static int fo_tick(struct n1_detector *det, int64_t now_us)
{
    struct fanout *f = (struct fanout *)det;
    const struct n1_detect_opts *o = &det->ctx->opts;
    struct fo_tick_arg a = {f, now_us};
    size_t i = 0;
    int rc;

    if (now_us != N1_TS_NONE && now_us > f->now_us) {
        f->now_us = now_us;
    }
    rc = n1_conntab_each(det->ctx, &f->conns, tick_conn, &a, 0);
    /* A window is over once nobody joined it for a whole window, its
       members can no longer be near its start, and no connection still
       open may join it (those end here at the latest when idle). */
    while (rc == 0 && i < f->n_groups) {
        struct fo_group *g = &f->groups[i];

        if (n1_gap_exceeded(g->last_add_us, now_us, o->fanout_window_ms) &&
            n1_gap_exceeded(g->min_open, now_us, 2 * o->fanout_window_ms) &&
            !may_still_join(f, g)) {
            rc = close_group(f, i);
            continue;
        }
        i++;
    }
    return rc;
}

static int finish_conn(void *ud, struct n1_conn_node *node)
{
    return end_conn(ud, (struct fo_conn *)node, 0);
}

static int fo_finish(struct n1_detector *det)
{
    struct fanout *f = (struct fanout *)det;
    int rc = n1_conntab_each(det->ctx, &f->conns, finish_conn, f, 1);

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
        free(f->groups[i].members);
        free(f->groups[i].row_of);
    }
    free(f->groups);
    n1_conntab_cleanup(&f->conns);
    free(f);
}

static void fo_low_water(struct n1_detector *det, n1_low_water_fn cb, void *ud)
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

static struct n1_detector *fanout_new(struct n1_detect_ctx *ctx)
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
    n1_err_oom(&ctx->err, "for the fanout detector");
    return NULL;
}

static void fanout_defaults(struct n1_detect_opts *o)
{
    o->fanout_window_ms = 1000;
    o->fanout_min_conns = 5;
    o->fanout_max_stmts = 1;
}

static void fanout_apply(const struct n1_detector_rules *dr,
                         struct n1_detect_opts *o)
{
    o->fanout_window_ms = dr->window_ms;
    o->fanout_min_conns = dr->min_connections;
    o->fanout_max_stmts = dr->max_statements;
}

const struct n1_detector_desc n1_fanout_desc = {
    .name = "fanout",
    .kind = N1_FIND_FANOUT,
    .enable_off = offsetof(struct n1_detect_opts, enable_fanout),
    .defaults = fanout_defaults,
    .apply = fanout_apply,
    .create = fanout_new,
};
