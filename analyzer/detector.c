/* SPDX-License-Identifier: MIT */
/*
 * detector.c: the detector registry and what the detectors share.
 *
 * The registry copies the options, compiles the ignore patterns, owns the
 * shape cache and fans every event out to the enabled detectors. It also
 * sweeps: once per second of log time it ticks every detector, so loops
 * and connections that went quiet are closed (and memory released) even
 * when nobody calls n1_detectors_tick().
 *
 * The loop record below is the common currency of the detectors: it keeps
 * the first executions' literals (bounded by max_keys and a byte budget),
 * a bounded set of key hashes for the distinct count, and per slot whether
 * the value changed. n1_loop_report() turns one into a finding.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>
#include <xxhash.h>

#include "detect_int.h"

/* Bytes of literal values one loop may keep, per kept row on average. */
#define ROW_BUDGET_PER_KEY 256

void n1_detect_opts_default(struct n1_detect_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->min_repeats = 5;
    o->min_distinct_keys = 3;
    o->max_gap_ms = 2000;
    o->max_gap_statements = 50;
    o->min_batch_items = 20;
    o->error_repeats = 100;
    o->dup_min_repeats = 5;
    o->fanout_window_ms = 1000;
    o->fanout_min_conns = 5;
    o->fanout_max_stmts = 1;
    o->idle_ms = 60000;
    o->max_connections = 10000;
    o->max_loops_per_conn = 16;
    o->max_keys = 1000;
    o->max_distinct = 4096;
    o->max_sample_bytes = 4096;
    o->max_memory = (size_t)256 * 1024 * 1024;
    o->max_fanout_groups = 256;
    o->max_fanout_members = 4096;
    o->shape_cache = 4096;
    o->ignore_default_noise = 1;
    o->enable_nplus1 = 1;
    o->enable_duplicate = 1;
    o->enable_fanout = 1;
}

uint64_t n1_finding_id(enum n1_finding_kind kind, uint64_t fingerprint,
                       const char *location)
{
    XXH64_state_t *st = NULL;
    unsigned char fp[8];
    const char *name = n1_finding_kind_name(kind);
    uint64_t h;

    for (int i = 0; i < 8; i++) {
        fp[i] = (unsigned char)(fingerprint >> (8 * i));
    }
    st = XXH64_createState();
    if (st == NULL) {
        /* Out of memory: fall back to a one-shot hash of the same bytes
           laid out in a small buffer. */
        char buf[512];
        size_t nl = strlen(name) + 1;
        size_t ll = location != NULL ? strlen(location) : 0;

        if (nl + 8 + ll > sizeof(buf)) {
            ll = sizeof(buf) - nl - 8;
        }
        memcpy(buf, name, nl);
        memcpy(buf + nl, fp, 8);
        if (ll > 0) {
            memcpy(buf + nl + 8, location, ll);
        }
        return XXH64(buf, nl + 8 + ll, N1_FINDING_ID_SEED);
    }
    XXH64_reset(st, N1_FINDING_ID_SEED);
    XXH64_update(st, name, strlen(name) + 1);
    XXH64_update(st, fp, sizeof(fp));
    if (location != NULL) {
        XXH64_update(st, location, strlen(location));
    }
    h = XXH64_digest(st);
    XXH64_freeState(st);
    return h;
}

int n1_gap_exceeded(int64_t a, int64_t b, unsigned ms)
{
    if (a == N1_TS_NONE || b == N1_TS_NONE) {
        return 0;
    }
    return b - a > (int64_t)ms * 1000;
}

/* ---- context ---------------------------------------------------------- */

int n1_ctx_shape(struct n1_detect_ctx *ctx, const struct n1_event *ev,
                 const struct n1_norm *norm, struct n1_shape **out)
{
    struct n1_shape *sh = NULL;
    int fresh = 0;

    if (norm == NULL ||
        (ev->cmd != N1_CMD_QUERY && ev->cmd != N1_CMD_EXECUTE)) {
        return 0;
    }
    /* Prepared-statement text logged as a query: ? without values. */
    if (norm->n_lits < norm->n_slots) {
        return 0;
    }
    sh = n1_shape_cache_get(ctx->shapes, norm->id, norm->text, norm->len,
                            &fresh, &ctx->err);
    if (sh == NULL) {
        return -1;
    }
    if (fresh && ctx->n_ignore > 0 && sh->noise == N1_NOISE_NONE) {
        for (size_t i = 0; i < ctx->n_ignore; i++) {
            int rc = pcre2_match((pcre2_code *)ctx->ignore[i],
                                 (PCRE2_SPTR)sh->text, sh->len, 0, 0,
                                 (pcre2_match_data *)ctx->match, NULL);

            if (rc >= 0) {
                sh->noise = N1_NOISE_RULE;
                break;
            }
        }
    }
    if (sh->noise == N1_NOISE_RULE ||
        (sh->noise != N1_NOISE_NONE && ctx->opts.ignore_default_noise) ||
        sh->len == 0) {
        return 0;
    }
    *out = sh;
    return 1;
}

static int is_trace_tag(const char *k)
{
    return strcmp(k, "traceparent") == 0 || strcmp(k, "tracestate") == 0;
}

uint64_t n1_tags_ident(const struct n1_norm *norm)
{
    uint64_t h = 0;

    for (size_t i = 0; i < norm->n_tags; i++) {
        const struct n1_tag *t = &norm->tags[i];

        if (is_trace_tag(t->key)) {
            continue;
        }
        h = XXH64(t->key, strlen(t->key), h);
        h = XXH64(t->value, strlen(t->value) + 1, h);
    }
    return h;
}

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

/* ---- statement records ------------------------------------------------ */

static char *dupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);

    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* 1 when the select list is one plain column (no *, call or alias). */
static int single_column(const struct n1_shape *sh)
{
    const char *s = sh->text + sh->select_list.off;

    if (sh->select_list.len == 0 || sh->select_star) {
        return 0;
    }
    for (size_t i = 0; i < sh->select_list.len; i++) {
        char c = s[i];

        if (!(c == '_' || c == '.' || c == '$' || (c >= 'a' && c <= 'z') ||
              (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              (unsigned char)c >= 0x80)) {
            return 0;
        }
    }
    return 1;
}

struct n1_stmt_rec *n1_stmt_rec_new(const struct n1_detect_ctx *ctx,
                                    const struct n1_event *ev,
                                    const struct n1_norm *norm,
                                    const struct n1_shape *sh, uint64_t seq)
{
    struct n1_stmt_rec *r = NULL;

    r = calloc(1, sizeof(*r));
    if (r == NULL) {
        goto oom;
    }
    r->refs = 1;
    r->fp = norm->id;
    r->seq = seq;
    r->offset = ev->offset;
    r->is_select = sh->verb == N1_VERB_SELECT && sh->table.len > 0;
    r->table = dupn(sh->text + sh->table.off, sh->table.len);
    if (r->table == NULL) {
        goto oom;
    }
    r->rows_sent = NAN;
    if (ev->metric_mask & (1u << N1_M_ROWS_SENT)) {
        r->rows_sent = ev->metric[N1_M_ROWS_SENT];
    }
    /* The driving query can become a subquery only when it hands over
       one column and nothing limits it (MySQL refuses LIMIT in IN). */
    if (r->is_select && single_column(sh) && sh->limit.len == 0 &&
        !sh->has_union && ev->sql_len <= ctx->opts.max_sample_bytes &&
        memchr(ev->sql, '\0', ev->sql_len) == NULL) {
        size_t l = ev->sql_len;

        while (l > 0 && (ev->sql[l - 1] == ';' || ev->sql[l - 1] == ' ' ||
                         ev->sql[l - 1] == '\n' || ev->sql[l - 1] == '\t' ||
                         ev->sql[l - 1] == '\r')) {
            l--;
        }
        r->sql = dupn(ev->sql, l);
        r->column = dupn(sh->text + sh->select_list.off, sh->select_list.len);
        if (r->sql == NULL || r->column == NULL) {
            goto oom;
        }
    }
    return r;
oom:
    n1_stmt_rec_unref(r);
    return NULL;
}

void n1_stmt_rec_unref(struct n1_stmt_rec *r)
{
    if (r == NULL) {
        return;
    }
    if (--r->refs > 0) {
        return;
    }
    free(r->table);
    free(r->sql);
    free(r->column);
    free(r);
}

/* ---- loops ------------------------------------------------------------ */

uint64_t n1_norm_lit_hash(const struct n1_norm *norm)
{
    uint64_t h = 0x51;

    for (size_t i = 0; i < norm->n_lits; i++) {
        const struct n1_literal *l = &norm->lits[i];
        unsigned char hdr[9];

        hdr[0] = (unsigned char)l->type;
        for (int k = 0; k < 4; k++) {
            hdr[1 + k] = (unsigned char)(l->slot >> (8 * k));
            hdr[5 + k] = (unsigned char)(l->item >> (8 * k));
        }
        h = XXH64(hdr, sizeof(hdr), h);
        h = XXH64(l->value, l->len, h);
    }
    return h;
}

static uint64_t lit_hash1(const struct n1_rw_lit *l, uint64_t h)
{
    unsigned char t = (unsigned char)l->type;

    h = XXH64(&t, 1, h);
    return XXH64(l->value, l->len, h);
}

/* Copies a row into one block; NULL when out of memory. */
static struct n1_rw_lit *row_copy(const struct n1_rw_row *row, size_t *bytes)
{
    size_t sz = row->n_lits * sizeof(struct n1_rw_lit);
    struct n1_rw_lit *v = NULL;
    char *p;

    for (size_t i = 0; i < row->n_lits; i++) {
        sz += row->lits[i].len + 1;
    }
    v = malloc(sz ? sz : 1);
    if (v == NULL) {
        return NULL;
    }
    p = (char *)(v + row->n_lits);
    for (size_t i = 0; i < row->n_lits; i++) {
        v[i] = row->lits[i];
        memcpy(p, row->lits[i].value, row->lits[i].len);
        p[row->lits[i].len] = '\0';
        v[i].value = p;
        p += row->lits[i].len + 1;
    }
    *bytes = sz;
    return v;
}

/* Adds h to the distinct set; returns 1 when it was new. */
static int hset_add(struct n1_detect_ctx *ctx, struct n1_loop *l, uint64_t h)
{
    size_t i;

    if (h == 0) {
        h = 1; /* 0 marks an empty place */
    }
    if (l->hcap == 0 ||
        (2 * (l->hn + 1) > l->hcap && l->hn < ctx->opts.max_distinct &&
         ctx->mem_used + l->hcap * sizeof(uint64_t) <= ctx->opts.max_memory)) {
        size_t nc = l->hcap ? 2 * l->hcap : 16;
        uint64_t *nv = calloc(nc, sizeof(*nv));

        if (nv == NULL) {
            return -1;
        }
        for (size_t k = 0; k < l->hcap; k++) {
            if (l->hset[k] != 0) {
                size_t j = (size_t)l->hset[k] & (nc - 1);

                while (nv[j] != 0) {
                    j = (j + 1) & (nc - 1);
                }
                nv[j] = l->hset[k];
            }
        }
        free(l->hset);
        ctx->mem_used += (nc - l->hcap) * sizeof(uint64_t);
        l->hset = nv;
        l->hcap = nc;
    }
    i = (size_t)h & (l->hcap - 1);
    for (size_t probes = 0; probes < l->hcap; probes++) {
        if (l->hset[i] == h) {
            return 0;
        }
        if (l->hset[i] == 0) {
            break;
        }
        i = (i + 1) & (l->hcap - 1);
    }
    /* Full (max_distinct or max_memory reached): count it, remember
       nothing. */
    if (l->hn >= ctx->opts.max_distinct || l->hset[i] != 0 ||
        2 * (l->hn + 1) > l->hcap) {
        return 1;
    }
    l->hset[i] = h;
    l->hn++;
    return 1;
}

int n1_loop_add_row(struct n1_detect_ctx *ctx, struct n1_loop *l,
                    const struct n1_rw_row *row, int64_t ts_us,
                    double query_time, int has_time)
{
    uint64_t sh[N1_SHAPE_MAX_SLOTS] = {0};
    uint64_t key = 0x4b;
    int is_new;

    for (size_t i = 0; i < row->n_lits; i++) {
        const struct n1_rw_lit *lit = &row->lits[i];

        if (lit->slot < N1_SHAPE_MAX_SLOTS) {
            sh[lit->slot] = lit_hash1(lit, sh[lit->slot] + 1);
            if ((l->keymask >> lit->slot) & 1u) {
                key = lit_hash1(lit, key + lit->slot);
            }
        } else if (l->key_all) {
            key = lit_hash1(lit, key + lit->slot);
        }
    }
    if (l->count == 0) {
        memcpy(l->slot_hash0, sh, sizeof(sh));
    } else {
        for (unsigned s = 0; s < N1_SHAPE_MAX_SLOTS; s++) {
            if (sh[s] != l->slot_hash0[s]) {
                l->varies |= (uint64_t)1 << s;
            }
        }
    }
    is_new = hset_add(ctx, l, key);
    if (is_new < 0) {
        goto oom;
    }
    l->distinct += (uint64_t)is_new;
    l->count++;
    if (ts_us != N1_TS_NONE) {
        if (l->first_us == N1_TS_NONE) {
            l->first_us = ts_us;
        }
        l->last_us = ts_us;
    }
    if (has_time) {
        l->time_s += query_time;
        l->n_timed++;
    }
    if (l->count == 1 || (l->keep_rows && (is_new || l->keep_dups))) {
        size_t bytes = 0;
        struct n1_rw_lit *v = NULL;

        if (l->n_rows >= ctx->opts.max_keys ||
            l->row_bytes > ctx->opts.max_keys * ROW_BUDGET_PER_KEY ||
            (l->n_rows > 0 && ctx->mem_used > ctx->opts.max_memory)) {
            l->rows_complete = 0;
            ctx->stats.rows_dropped++;
            return 0;
        }
        if (l->n_rows == l->cap_rows) {
            size_t nc = l->cap_rows ? 2 * l->cap_rows : 8;
            struct n1_rw_row *nr = realloc(l->rows, nc * sizeof(*nr));

            if (nr == NULL) {
                goto oom;
            }
            l->rows = nr;
            l->cap_rows = nc;
        }
        v = row_copy(row, &bytes);
        if (v == NULL) {
            goto oom;
        }
        l->rows[l->n_rows].lits = v;
        l->rows[l->n_rows].n_lits = row->n_lits;
        l->n_rows++;
        l->row_bytes += bytes;
        ctx->mem_used += bytes;
    } else if (!l->keep_rows) {
        l->rows_complete = 0;
    }
    return 0;
oom:
    n1_err_set(&ctx->err, N1_ESYS, NULL, 0, "NOMEM loop of %llu",
               (unsigned long long)l->count);
    return -1;
}

/* Views norm's literals as a row; lits must hold norm->n_lits entries. */
static void norm_row(const struct n1_norm *norm, struct n1_rw_lit *lits,
                     struct n1_rw_row *row)
{
    for (size_t i = 0; i < norm->n_lits; i++) {
        lits[i].type = norm->lits[i].type;
        lits[i].slot = norm->lits[i].slot;
        lits[i].item = norm->lits[i].item;
        lits[i].len = norm->lits[i].len;
        lits[i].value = norm->lits[i].value;
    }
    row->lits = lits;
    row->n_lits = norm->n_lits;
}

int n1_loop_add(struct n1_detect_ctx *ctx, struct n1_loop *l,
                const struct n1_event *ev, const struct n1_norm *norm,
                uint64_t seq)
{
    struct n1_rw_lit small[16];
    struct n1_rw_lit *lits = small;
    struct n1_rw_row row;
    int has_time = (ev->metric_mask & (1u << N1_M_QUERY_TIME)) != 0;
    int rc;

    if (norm->n_lits > 16) {
        lits = malloc(norm->n_lits * sizeof(*lits));
        if (lits == NULL) {
            n1_err_set(&ctx->err, N1_ESYS, NULL, 0, "NOMEM literals");
            return -1;
        }
    }
    norm_row(norm, lits, &row);
    rc =
        n1_loop_add_row(ctx, l, &row, ev->ts_us,
                        has_time ? ev->metric[N1_M_QUERY_TIME] : 0.0, has_time);
    if (lits != small) {
        free(lits);
    }
    l->last_seq = seq;
    return rc;
}

int n1_loop_add_conn(struct n1_detect_ctx *ctx, struct n1_loop *l,
                     uint64_t conn)
{
    if (l->n_conns >= ctx->opts.max_fanout_members) {
        ctx->stats.fanout_dropped++;
        return 0;
    }
    if (l->n_conns == l->cap_conns) {
        size_t nc = l->cap_conns ? 2 * l->cap_conns : 8;
        uint64_t *nv = realloc(l->conns, nc * sizeof(*nv));

        if (nv == NULL) {
            n1_err_set(&ctx->err, N1_ESYS, NULL, 0, "NOMEM connections");
            return -1;
        }
        l->conns = nv;
        l->cap_conns = nc;
    }
    l->conns[l->n_conns++] = conn;
    return 0;
}

/* Copies the tags (one block) and works out the location. */
static int copy_tags(struct n1_loop *l, const struct n1_norm *norm)
{
    size_t sz = norm->n_tags * sizeof(struct n1_kv);
    const char *file = NULL;
    const char *line = NULL;
    char *p;

    if (norm->n_tags == 0) {
        return 0;
    }
    for (size_t i = 0; i < norm->n_tags; i++) {
        sz += strlen(norm->tags[i].key) + strlen(norm->tags[i].value) + 2;
    }
    l->tags = malloc(sz);
    if (l->tags == NULL) {
        return -1;
    }
    p = (char *)(l->tags + norm->n_tags);
    for (size_t i = 0; i < norm->n_tags; i++) {
        size_t kl = strlen(norm->tags[i].key) + 1;
        size_t vl = strlen(norm->tags[i].value) + 1;

        memcpy(p, norm->tags[i].key, kl);
        l->tags[i].key = p;
        p += kl;
        memcpy(p, norm->tags[i].value, vl);
        l->tags[i].value = p;
        p += vl;
        if (strcmp(norm->tags[i].key, "file") == 0) {
            file = norm->tags[i].value;
        } else if (strcmp(norm->tags[i].key, "line") == 0 ||
                   strcmp(norm->tags[i].key, "lineno") == 0) {
            line = norm->tags[i].value;
        }
    }
    l->n_tags = norm->n_tags;
    if (file != NULL) {
        size_t n = strlen(file) + (line != NULL ? strlen(line) + 1 : 0) + 1;

        l->location = malloc(n);
        if (l->location == NULL) {
            return -1;
        }
        if (line != NULL) {
            snprintf(l->location, n, "%s:%s", file, line);
        } else {
            snprintf(l->location, n, "%s", file);
        }
    }
    return 0;
}

struct n1_loop *n1_loop_new(struct n1_detect_ctx *ctx,
                            const struct n1_event *ev,
                            const struct n1_norm *norm,
                            const struct n1_shape *sh, uint64_t seq,
                            int keep_rows)
{
    struct n1_loop *l = NULL;
    size_t sl = ev->sql_len;

    l = calloc(1, sizeof(*l));
    if (l == NULL) {
        goto oom;
    }
    l->fp = norm->id;
    l->fp_len = norm->len;
    l->fp_text = dupn(norm->text, norm->len);
    if (sl > ctx->opts.max_sample_bytes) {
        sl = ctx->opts.max_sample_bytes;
    }
    l->sample = dupn(ev->sql, sl);
    l->file = dupn(ev->file != NULL ? ev->file : "",
                   ev->file != NULL ? strlen(ev->file) : 0);
    if (l->fp_text == NULL || l->sample == NULL || l->file == NULL) {
        goto oom;
    }
    l->line = ev->line;
    l->offset = ev->offset;
    l->verb = sh->verb;
    /* The key of an execution: what WHERE and LIMIT got for reads and
       writes by key; the whole row for INSERT and anything else. */
    if (sh->verb == N1_VERB_SELECT || sh->verb == N1_VERB_UPDATE ||
        sh->verb == N1_VERB_DELETE) {
        for (unsigned s = 0; s < sh->n_slots && s < N1_SHAPE_MAX_SLOTS; s++) {
            const struct n1_shape_slot *x = &sh->slots[s];

            if (x->in_where || x->role == N1_SLOT_LIMIT ||
                x->role == N1_SLOT_OFFSET) {
                l->keymask |= (uint64_t)1 << s;
            }
        }
    } else {
        l->keymask = ~(uint64_t)0;
        l->key_all = 1;
    }
    l->ident = n1_tags_ident(norm);
    l->lit_hash = n1_norm_lit_hash(norm);
    l->first_seq = seq;
    l->first_us = N1_TS_NONE;
    l->last_us = N1_TS_NONE;
    l->keep_rows = keep_rows;
    /* UPDATE keeps repeated keys: the last SET value of a key wins. */
    l->keep_dups = sh->verb == N1_VERB_INSERT || sh->verb == N1_VERB_UPDATE;
    l->rows_complete = 1;
    l->conn = ev->conn_id;
    l->mem = &ctx->mem_used;
    if (copy_tags(l, norm) < 0) {
        goto oom;
    }
    if (n1_loop_add(ctx, l, ev, norm, seq) < 0) {
        n1_loop_free(l);
        return NULL;
    }
    return l;
oom:
    n1_err_set(&ctx->err, N1_ESYS, NULL, 0, "NOMEM new loop");
    n1_loop_free(l);
    return NULL;
}

void n1_loop_free(struct n1_loop *l)
{
    if (l == NULL) {
        return;
    }
    for (size_t i = 0; i < l->n_rows; i++) {
        free((void *)l->rows[i].lits);
    }
    for (size_t i = 0; i < 3; i++) {
        n1_stmt_rec_unref(l->cand[i]);
    }
    if (l->mem != NULL) {
        *l->mem -= l->row_bytes + l->hcap * sizeof(uint64_t);
    }
    free(l->rows);
    free(l->hset);
    free(l->fp_text);
    free(l->sample);
    free(l->tags);
    free(l->location);
    free(l->file);
    free(l->conns);
    free(l);
}

static int qualifies(const struct n1_detect_ctx *ctx, const struct n1_loop *l,
                     enum n1_finding_kind kind)
{
    const struct n1_detect_opts *o = &ctx->opts;

    switch (kind) {
    case N1_FIND_N_PLUS_ONE:
        return l->count >= o->min_repeats &&
               l->distinct >= o->min_distinct_keys && l->varies != 0;
    case N1_FIND_DUPLICATE:
        return l->count >= o->dup_min_repeats;
    case N1_FIND_FANOUT:
        return l->n_conns >= o->fanout_min_conns &&
               l->distinct >= o->min_distinct_keys;
    case N1_FIND_KIND_COUNT:
        break;
    }
    return 0;
}

int n1_loop_report(struct n1_detect_ctx *ctx, const struct n1_loop *l,
                   enum n1_finding_kind kind, const struct n1_stmt_rec *parent)
{
    struct n1_shape *sh = NULL;
    struct n1_rewrite rw;
    struct n1_rw_input in;
    struct n1_finding f;
    char *table = NULL;
    int have_rw = 0;
    int ret = -1;

    memset(&rw, 0, sizeof(rw));
    if (!qualifies(ctx, l, kind)) {
        return 0;
    }
    /* A private parse: the cache may not hold this shape any more, and
       the caller may be holding another cached shape. */
    sh = n1_shape_parse(l->fp, l->fp_text, l->fp_len, &ctx->err);
    if (sh == NULL) {
        goto out;
    }
    table = dupn(sh->text + sh->table.off, sh->table.len);
    if (table == NULL) {
        goto oom;
    }
    memset(&f, 0, sizeof(f));
    f.kind = kind;
    f.severity =
        l->count >= ctx->opts.error_repeats ? N1_SEV_ERROR : N1_SEV_WARNING;
    if (kind != N1_FIND_DUPLICATE) {
        memset(&in, 0, sizeof(in));
        in.kind = kind;
        in.shape = sh;
        in.rows = l->rows;
        in.n_rows = l->n_rows;
        in.count = l->count;
        in.distinct = l->distinct;
        in.varies = l->varies;
        in.rows_complete = l->rows_complete;
        in.max_keys = ctx->opts.max_keys;
        in.min_batch_items = ctx->opts.min_batch_items;
        if (parent != NULL && parent->sql != NULL) {
            in.parent_sql = parent->sql;
            in.parent_column = parent->column;
        }
        if (n1_rewrite_build(&in, &rw, &ctx->err) < 0) {
            goto out;
        }
        have_rw = 1;
        if (rw.pattern == N1_RW_BATCHED) {
            ret = 0;
            goto out;
        }
        if (rw.pattern == N1_RW_RANGE || rw.pattern == N1_RW_PAGINATION) {
            f.severity = N1_SEV_INFO;
        }
        f.key_columns = (const char *const *)rw.key_columns;
        f.n_key_columns = rw.n_key_columns;
        f.rewrite = rw.sql;
        f.rewrite_kind = rw.sql != NULL || rw.pattern == N1_RW_RANGE ||
                                 rw.pattern == N1_RW_PAGINATION
                             ? rw.kind
                             : NULL;
        f.advice = rw.advice;
        f.round_trips_saved = rw.saved;
    } else {
        /* A cache answers every repeat: only the first asks the server. */
        f.round_trips_saved = l->count - 1;
        f.advice = "The same statement with the same values runs again and "
                   "again on one connection: keep the first result (cache "
                   "it, or hoist the query out of the loop) instead of "
                   "asking the server each time.";
    }
    f.id = n1_finding_id(kind, l->fp, l->location);
    f.statement = n1_verb_name(sh->verb);
    f.table = table;
    f.connection = kind == N1_FIND_FANOUT ? 0 : l->conn;
    if (kind == N1_FIND_FANOUT) {
        f.connections = l->conns;
        f.n_connections = l->n_conns;
    }
    f.count = l->count;
    f.distinct_keys = l->distinct;
    f.fingerprint = l->fp;
    f.fingerprint_text = l->fp_text;
    f.sample = l->sample;
    f.first_seen_us = l->first_us;
    f.last_seen_us = l->last_us;
    f.total_time_s = l->n_timed > 0 ? l->time_s : NAN;
    f.parent_rows_sent = NAN;
    if (parent != NULL) {
        f.has_parent = 1;
        f.parent_fingerprint = parent->fp;
        f.parent_table = parent->table;
        f.parent_rows_sent = parent->rows_sent;
    }
    f.tags = l->tags;
    f.n_tags = l->n_tags;
    f.location = l->location;
    f.file = l->file;
    f.line = l->line;
    ctx->stats.findings++;
    ctx->emit(ctx->ud, &f);
    ret = 1;
    goto out;
oom:
    n1_err_set(&ctx->err, N1_ESYS, NULL, 0, "NOMEM finding");
out:
    if (have_rw) {
        n1_rewrite_cleanup(&rw);
    }
    free(table);
    n1_shape_free(sh);
    return ret;
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
        n1_err_set(&ctx->err, N1_ESYS, NULL, 0, "NOMEM connection list");
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
        n1_err_set(&ctx->err, N1_ESYS, NULL, 0, "NOMEM connection table");
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
        n1_err_set(&ctx->err, N1_ESYS, NULL, 0, "NOMEM connection");
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
        n1_err_set(&ctx->err, N1_ESYS, NULL, 0, "NOMEM %s", ops->name);
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

/* ---- registry --------------------------------------------------------- */

struct n1_detectors {
    struct n1_detect_ctx ctx;
    struct n1_detector *det[3];
    size_t n_det;
    int64_t last_sweep_us; /* log time of the last automatic tick */
};

static void copy_err(struct n1_error *to, const struct n1_error *from)
{
    if (to != NULL) {
        *to = *from;
    }
}

struct n1_detectors *n1_detectors_new(const struct n1_detect_opts *opts,
                                      n1_emit_fn emit, void *ud,
                                      struct n1_error *err)
{
    struct n1_detectors *d = NULL;
    struct n1_detect_opts def;

    if (opts == NULL) {
        n1_detect_opts_default(&def);
        opts = &def;
    }
    d = calloc(1, sizeof(*d));
    if (d == NULL) {
        n1_err_set(err, N1_ESYS, NULL, 0, "NOMEM detectors");
        return NULL;
    }
    d->ctx.opts = *opts;
    if (d->ctx.opts.max_keys == 0) {
        d->ctx.opts.max_keys = 1000;
    }
    if (d->ctx.opts.max_loops_per_conn == 0) {
        d->ctx.opts.max_loops_per_conn = 1;
    }
    if (d->ctx.opts.max_connections == 0) {
        d->ctx.opts.max_connections = 1;
    }
    d->ctx.emit = emit;
    d->ctx.ud = ud;
    d->last_sweep_us = N1_TS_NONE;
    d->ctx.shapes = n1_shape_cache_new(opts->shape_cache, err);
    if (d->ctx.shapes == NULL) {
        goto fail;
    }
    if (opts->n_ignore_patterns > 0) {
        d->ctx.ignore = calloc(opts->n_ignore_patterns, sizeof(void *));
        if (d->ctx.ignore == NULL) {
            n1_err_set(err, N1_ESYS, NULL, 0, "NOMEM ignore patterns");
            goto fail;
        }
        for (size_t i = 0; i < opts->n_ignore_patterns; i++) {
            int ec = 0;
            PCRE2_SIZE eo = 0;
            pcre2_code *re =
                pcre2_compile((PCRE2_SPTR)opts->ignore_patterns[i],
                              PCRE2_ZERO_TERMINATED, 0, &ec, &eo, NULL);

            if (re == NULL) {
                PCRE2_UCHAR msg[120];

                pcre2_get_error_message(ec, msg, sizeof(msg));
                n1_err_set(err, N1_ERULES, NULL, 0,
                           "RULES ignore pattern %zu at offset %zu: %s", i + 1,
                           (size_t)eo, (const char *)msg);
                goto fail;
            }
            d->ctx.ignore[d->ctx.n_ignore++] = re;
        }
        d->ctx.match = pcre2_match_data_create(1, NULL);
        if (d->ctx.match == NULL) {
            n1_err_set(err, N1_ESYS, NULL, 0, "NOMEM match data");
            goto fail;
        }
    }
    if (opts->enable_nplus1) {
        d->det[d->n_det] = n1_nplus1_new(&d->ctx);
        if (d->det[d->n_det++] == NULL) {
            goto fail_ctx;
        }
    }
    if (opts->enable_duplicate) {
        d->det[d->n_det] = n1_duplicate_new(&d->ctx);
        if (d->det[d->n_det++] == NULL) {
            goto fail_ctx;
        }
    }
    if (opts->enable_fanout) {
        d->det[d->n_det] = n1_fanout_new(&d->ctx);
        if (d->det[d->n_det++] == NULL) {
            goto fail_ctx;
        }
    }
    return d;
fail_ctx:
    d->n_det--;
    copy_err(err, &d->ctx.err);
fail:
    n1_detectors_free(d);
    return NULL;
}

int n1_detectors_tick(struct n1_detectors *d, int64_t now_us,
                      struct n1_error *err)
{
    for (size_t i = 0; i < d->n_det; i++) {
        if (d->det[i]->ops->tick(d->det[i], now_us) < 0) {
            copy_err(err, &d->ctx.err);
            return -1;
        }
    }
    return 0;
}

int n1_detectors_event(struct n1_detectors *d, const struct n1_event *ev,
                       const struct n1_norm *norm, struct n1_error *err)
{
    struct n1_shape *sh = NULL;
    int rc;

    d->ctx.stats.events++;
    d->ctx.clock++;
    if (ev->ts_us != N1_TS_NONE) {
        if (d->last_sweep_us == N1_TS_NONE) {
            d->last_sweep_us = ev->ts_us;
        } else if (ev->ts_us - d->last_sweep_us >= 1000000) {
            d->last_sweep_us = ev->ts_us;
            if (n1_detectors_tick(d, ev->ts_us, err) < 0) {
                return -1;
            }
        }
    }
    rc = n1_ctx_shape(&d->ctx, ev, norm, &sh);
    if (rc < 0) {
        copy_err(err, &d->ctx.err);
        return -1;
    }
    if (rc == 0 && norm != NULL &&
        (ev->cmd == N1_CMD_QUERY || ev->cmd == N1_CMD_EXECUTE ||
         ev->cmd == N1_CMD_PREPARE)) {
        d->ctx.stats.ignored++;
    }
    for (size_t i = 0; i < d->n_det; i++) {
        if (d->det[i]->ops->on_event(d->det[i], ev, norm) < 0) {
            copy_err(err, &d->ctx.err);
            return -1;
        }
    }
    return 0;
}

int n1_detectors_finish(struct n1_detectors *d, struct n1_error *err)
{
    for (size_t i = 0; i < d->n_det; i++) {
        if (d->det[i]->ops->finish(d->det[i]) < 0) {
            copy_err(err, &d->ctx.err);
            return -1;
        }
    }
    d->last_sweep_us = N1_TS_NONE;
    return 0;
}

void n1_detectors_low_water(const struct n1_detectors *d, n1_low_water_fn cb,
                            void *ud)
{
    for (size_t i = 0; i < d->n_det; i++) {
        if (d->det[i]->ops->low_water != NULL) {
            d->det[i]->ops->low_water(d->det[i], cb, ud);
        }
    }
}

void n1_detectors_stats(const struct n1_detectors *d,
                        struct n1_detect_stats *st)
{
    *st = d->ctx.stats;
    st->memory = d->ctx.mem_used;
    st->shape_evictions = n1_shape_cache_evictions(d->ctx.shapes);
}

void n1_detectors_free(struct n1_detectors *d)
{
    if (d == NULL) {
        return;
    }
    for (size_t i = 0; i < d->n_det; i++) {
        if (d->det[i] != NULL) {
            d->det[i]->ops->free(d->det[i]);
        }
    }
    for (size_t i = 0; i < d->ctx.n_ignore; i++) {
        pcre2_code_free((pcre2_code *)d->ctx.ignore[i]);
    }
    free(d->ctx.ignore);
    pcre2_match_data_free((pcre2_match_data *)d->ctx.match);
    n1_shape_cache_free(d->ctx.shapes);
    free(d);
}
