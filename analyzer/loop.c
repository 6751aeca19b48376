/* SPDX-License-Identifier: MIT */
/*
 * loop.c: the loop record, the executions of one repeated statement.
 *
 * The loop is the common currency of the detectors: it keeps the first
 * executions' literals (bounded by max_keys and a byte budget), a bounded
 * set of key hashes for the distinct count, and per slot whether the
 * value changed. The statement records beside it remember what ran just
 * before a loop (its possible parent). n1_loop_report() turns a loop into
 * a finding. Which loops are open and when they end is not decided here:
 * that is conntab.c and the detectors.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/detect_int.h"

/* Bytes of literal values one loop may keep, per kept row on average. */
#define ROW_BUDGET_PER_KEY 256

/* ---- statement records ------------------------------------------------ */

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

/* Bytes a pooled record may keep in a buffer; a larger one is freed. */
#define POOL_KEEP_BYTES 4096

/* Makes *buf hold at least n bytes (its old contents lost). 0 or -1. */
static int keep_room(char **buf, size_t *cap, size_t n)
{
    size_t nc = 64;
    char *nb;

    if (n <= *cap) {
        return 0;
    }
    /* Powers of two: a pooled buffer grows a few times, then fits. */
    while (nc < n && nc <= SIZE_MAX / 2) {
        nc *= 2;
    }
    if (nc < n) {
        nc = n;
    }
    nb = malloc(nc);
    if (nb == NULL) {
        return -1;
    }
    free(*buf);
    *buf = nb;
    *cap = nc;
    return 0;
}

/* Frees a buffer a pooled record would keep when it is larger than the
   pool keeps, so that the pool stays small. */
static void trim(char **buf, size_t *cap)
{
    if (*cap > POOL_KEEP_BYTES) {
        free(*buf);
        *buf = NULL;
        *cap = 0;
    }
}

/* Copies s (n bytes) into *buf, grown as needed, '\0' ended. */
static char *keep_str(char **buf, size_t *cap, const char *s, size_t n)
{
    if (keep_room(buf, cap, n + 1) < 0) {
        return NULL;
    }
    memcpy(*buf, s, n);
    (*buf)[n] = '\0';
    return *buf;
}

/* A zeroed statement record, from the pool when it has one. */
static struct n1_stmt_rec *stmt_take(struct n1_rec_pool *p)
{
    struct n1_stmt_rec *r = p->stmts;
    char *buf;
    size_t cap;

    if (r == NULL) {
        return calloc(1, sizeof(*r));
    }
    p->stmts = r->next_free;
    p->n_stmts--;
    buf = r->buf;
    cap = r->cap;
    memset(r, 0, sizeof(*r));
    r->buf = buf;
    r->cap = cap;
    return r;
}

/* Length of the driving query's text as a subquery, or 0 when it
   cannot become one. */
static size_t subquery_len(const struct n1_detect_ctx *ctx,
                           const struct n1_event *ev, const struct n1_shape *sh,
                           int is_select)
{
    size_t l = ev->sql_len;

    /* The driving query can become a subquery only when it hands over
       one column and nothing limits it (MySQL refuses LIMIT in IN). */
    if (!is_select || !single_column(sh) || sh->limit.len != 0 ||
        sh->has_union || ev->sql_len > ctx->opts.max_sample_bytes ||
        memchr(ev->sql, '\0', ev->sql_len) != NULL) {
        return 0;
    }
    while (l > 0 && (ev->sql[l - 1] == ';' || ev->sql[l - 1] == ' ' ||
                     ev->sql[l - 1] == '\n' || ev->sql[l - 1] == '\t' ||
                     ev->sql[l - 1] == '\r')) {
        l--;
    }
    return l;
}

struct n1_stmt_rec *n1_stmt_rec_new(struct n1_detect_ctx *ctx,
                                    const struct n1_event *ev,
                                    const struct n1_norm *norm,
                                    const struct n1_shape *sh, uint64_t seq)
{
    struct n1_stmt_rec *r = NULL;
    size_t sql_len;
    size_t need;
    char *p;

    r = stmt_take(&ctx->pool);
    if (r == NULL) {
        return NULL;
    }
    r->pool = &ctx->pool;
    r->refs = 1;
    r->fp = norm->id;
    r->seq = seq;
    r->offset = ev->offset;
    r->is_select = sh->verb == N1_VERB_SELECT && sh->table.len > 0;
    r->rows_sent = NAN;
    if (ev->metric_mask & (1u << N1_M_ROWS_SENT)) {
        r->rows_sent = ev->metric[N1_M_ROWS_SENT];
    }
    sql_len = subquery_len(ctx, ev, sh, r->is_select);
    /* One block: table, then sql and column when it has them. sql_len
       is 0 for an empty statement too, which never has one column. */
    need = sh->table.len + 1;
    if (sql_len > 0) {
        need += sql_len + 1 + sh->select_list.len + 1;
    }
    if (keep_room(&r->buf, &r->cap, need) < 0) {
        goto oom;
    }
    p = r->buf;
    r->table = p;
    p += n1_shape_name_copy(p, sh->text + sh->table.off, sh->table.len) + 1;
    if (sql_len > 0) {
        r->sql = p;
        memcpy(p, ev->sql, sql_len);
        p[sql_len] = '\0';
        p += sql_len + 1;
        r->column = p;
        memcpy(p, sh->text + sh->select_list.off, sh->select_list.len);
        p[sh->select_list.len] = '\0';
    }
    return r;
oom:
    n1_stmt_rec_unref(r);
    return NULL;
}

void n1_stmt_rec_unref(struct n1_stmt_rec *r)
{
    struct n1_rec_pool *p;

    if (r == NULL) {
        return;
    }
    if (--r->refs > 0) {
        return;
    }
    p = r->pool;
    if (p != NULL && p->n_stmts < N1_POOL_MAX) {
        trim(&r->buf, &r->cap);
        r->next_free = p->stmts;
        p->stmts = r;
        p->n_stmts++;
        return;
    }
    free(r->buf);
    free(r);
}

/* ---- loops ------------------------------------------------------------ */

/* One step of the hashes below: h and v mixed (a multiply and a
   shift: v is already a good hash, h only needs spreading). */
static uint64_t mix(uint64_t h, uint64_t v)
{
    h = (h ^ v) * 0x9e3779b97f4a7c15u;
    return h ^ (h >> 29);
}

uint64_t n1_norm_lit_hash(const struct n1_norm *norm)
{
    uint64_t h = 0x51;

    for (size_t i = 0; i < norm->n_lits; i++) {
        const struct n1_literal *l = &norm->lits[i];

        h = mix(h, ((uint64_t)l->slot << 32 | l->item) + 1);
        h = mix(h, l->hash);
    }
    return h;
}

uint64_t n1_ctx_lit_hash(struct n1_detect_ctx *ctx, const struct n1_norm *norm)
{
    if (ctx->lh_norm != norm || ctx->lh_clock != ctx->clock) {
        ctx->lh_value = n1_norm_lit_hash(norm);
        ctx->lh_norm = norm;
        ctx->lh_clock = ctx->clock;
    }
    return ctx->lh_value;
}

static uint64_t lit_hash1(const struct n1_rw_lit *l, uint64_t h)
{
    return mix(h, l->hash);
}

/*
 * Copies a row into one block: l->row0 for a loop's first kept row (kept
 * with the loop in the pool), a new one after. NULL when out of memory.
 */
static struct n1_rw_lit *row_copy(struct n1_loop *l,
                                  const struct n1_rw_row *row, size_t *bytes)
{
    size_t sz = row->n_lits * sizeof(struct n1_rw_lit);
    struct n1_rw_lit *v = NULL;
    char *p;

    for (size_t i = 0; i < row->n_lits; i++) {
        sz += row->lits[i].len + 1;
    }
    if (l->n_rows == 0) {
        char *b = (char *)l->row0;

        if (keep_room(&b, &l->row0_cap, sz ? sz : 1) < 0) {
            return NULL;
        }
        l->row0 = (struct n1_rw_lit *)b;
        v = l->row0;
    } else {
        v = malloc(sz ? sz : 1);
        if (v == NULL) {
            return NULL;
        }
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
    if (l->hcap == 0) {
        /* The first 16 places live in the loop itself: most loops end
           after one or two executions. */
        l->hset = l->hset0;
        l->hcap = sizeof(l->hset0) / sizeof(l->hset0[0]);
        ctx->mem_used += sizeof(l->hset0);
    } else if (2 * (l->hn + 1) > l->hcap && l->hn < ctx->opts.max_distinct &&
               ctx->mem_used + l->hcap * sizeof(uint64_t) <=
                   ctx->opts.max_memory) {
        size_t nc = 2 * l->hcap;
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
        if (l->hset != l->hset0) {
            free(l->hset);
        }
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

/*
 * The key hash of row (its literals in l->keymask slots, or all of them)
 * and, per slot, whether the row differs from the loop's first (l->varies;
 * the first row sets slot_hash0).
 */
static uint64_t row_key(struct n1_loop *l, const struct n1_rw_row *row)
{
    uint64_t sh[N1_SHAPE_MAX_SLOTS];
    uint64_t key = 0x4b;
    unsigned top = 0; /* slots below it are in use in sh */
    unsigned upto;

    for (size_t i = 0; i < row->n_lits; i++) {
        unsigned s = row->lits[i].slot;

        if (s < N1_SHAPE_MAX_SLOTS && s >= top) {
            top = s + 1;
        }
    }
    memset(sh, 0, top * sizeof(sh[0]));
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
    /* Slots past top are 0 here, past slot_top0 in slot_hash0. */
    if (l->count == 0) {
        memcpy(l->slot_hash0, sh, top * sizeof(sh[0]));
        l->slot_top0 = top;
    } else {
        upto = top > l->slot_top0 ? top : l->slot_top0;
        for (unsigned s = 0; s < upto; s++) {
            if ((s < top ? sh[s] : 0) != l->slot_hash0[s]) {
                l->varies |= (uint64_t)1 << s;
            }
        }
    }
    return key;
}

int n1_loop_add_row(struct n1_detect_ctx *ctx, struct n1_loop *l,
                    const struct n1_rw_row *row, int64_t ts_us,
                    double query_time, int has_time)
{
    uint64_t key;
    int is_new;

    /* A loop that keeps one row is a duplicate run: every execution has
       the first one's literals (the run is keyed by all of them), so
       there is one key, nothing varies and nothing needs hashing. */
    key = l->keep_rows ? row_key(l, row) : 1;
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
        v = row_copy(l, row, &bytes);
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
    n1_err_oom(&ctx->err, "keeping the key rows of a loop");
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
        lits[i].hash = norm->lits[i].hash;
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
            n1_err_oom(&ctx->err, "keeping the literals of a loop");
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
            n1_err_oom(&ctx->err, "keeping the connections of a loop");
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
    size_t loc;
    char *p;

    if (norm->n_tags == 0) {
        return 0; /* no tags, no location */
    }
    loc = n1_norm_location(norm, NULL, 0);
    for (size_t i = 0; i < norm->n_tags; i++) {
        sz += strlen(norm->tags[i].key) + strlen(norm->tags[i].value) + 2;
    }
    if (keep_room(&l->tags_buf, &l->tags_cap, sz) < 0) {
        return -1;
    }
    l->tags = (struct n1_kv *)l->tags_buf;
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
    }
    l->n_tags = norm->n_tags;
    if (loc > 0) {
        if (keep_room(&l->loc_buf, &l->loc_cap, loc + 1) < 0) {
            return -1;
        }
        l->location = l->loc_buf;
        n1_norm_location(norm, l->location, loc + 1);
    }
    return 0;
}

/* A zeroed loop that keeps its buffers, from the pool when it has one. */
static struct n1_loop *loop_take(struct n1_rec_pool *p)
{
    struct n1_loop *l = p->loops;
    struct n1_loop keep;

    if (l == NULL) {
        return calloc(1, sizeof(*l));
    }
    p->loops = l->next_free;
    p->n_loops--;
    keep = *l;
    memset(l, 0, sizeof(*l));
    l->rows = keep.rows;
    l->cap_rows = keep.cap_rows;
    l->fp_text = keep.fp_text;
    l->fp_cap = keep.fp_cap;
    l->sample = keep.sample;
    l->sample_cap = keep.sample_cap;
    l->file = keep.file;
    l->file_cap = keep.file_cap;
    l->row0 = keep.row0;
    l->row0_cap = keep.row0_cap;
    l->tags_buf = keep.tags_buf;
    l->tags_cap = keep.tags_cap;
    l->loc_buf = keep.loc_buf;
    l->loc_cap = keep.loc_cap;
    return l;
}

struct n1_loop *n1_loop_new(struct n1_detect_ctx *ctx,
                            const struct n1_event *ev,
                            const struct n1_norm *norm,
                            const struct n1_shape *sh, uint64_t seq,
                            int keep_rows)
{
    struct n1_loop *l = NULL;
    size_t sl = ev->sql_len;

    l = loop_take(&ctx->pool);
    if (l == NULL) {
        goto oom;
    }
    l->pool = &ctx->pool;
    l->fp = norm->id;
    l->fp_len = norm->len;
    if (sl > ctx->opts.max_sample_bytes) {
        sl = ctx->opts.max_sample_bytes;
    }
    if (keep_str(&l->fp_text, &l->fp_cap, norm->text, norm->len) == NULL ||
        keep_str(&l->sample, &l->sample_cap, ev->sql, sl) == NULL ||
        keep_str(&l->file, &l->file_cap, ev->file != NULL ? ev->file : "",
                 ev->file != NULL ? strlen(ev->file) : 0) == NULL) {
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
    l->lit_hash = n1_ctx_lit_hash(ctx, norm);
    l->first_seq = seq;
    l->first_us = N1_TS_NONE;
    l->last_us = N1_TS_NONE;
    l->ts_fine = (ev->flags & N1_EV_TS_FINE) != 0;
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
    n1_err_oom(&ctx->err, "for a new loop");
    n1_loop_free(l);
    return NULL;
}

/* Frees what a pooled loop keeps, and the loop. */
static void loop_release(struct n1_loop *l)
{
    free(l->rows);
    free(l->fp_text);
    free(l->sample);
    free(l->file);
    free(l->row0);
    free(l->tags_buf);
    free(l->loc_buf);
    free(l);
}

/* Puts l (its own blocks freed) into its pool: 1, or 0 when it is full. */
static int loop_pool_put(struct n1_loop *l)
{
    struct n1_rec_pool *p = l->pool;
    char *b = (char *)l->row0;

    if (p == NULL || p->n_loops >= N1_POOL_MAX) {
        return 0;
    }
    trim(&l->fp_text, &l->fp_cap);
    trim(&l->sample, &l->sample_cap);
    trim(&l->file, &l->file_cap);
    trim(&b, &l->row0_cap);
    l->row0 = (struct n1_rw_lit *)b;
    trim(&l->tags_buf, &l->tags_cap);
    trim(&l->loc_buf, &l->loc_cap);
    if (l->cap_rows * sizeof(*l->rows) > POOL_KEEP_BYTES) {
        free(l->rows);
        l->rows = NULL;
        l->cap_rows = 0;
    }
    l->next_free = p->loops;
    p->loops = l;
    p->n_loops++;
    return 1;
}

void n1_loop_free(struct n1_loop *l)
{
    if (l == NULL) {
        return;
    }
    for (size_t i = 0; i < l->n_rows; i++) {
        if (l->rows[i].lits != l->row0) {
            free(l->rows[i].lits);
        }
    }
    for (size_t i = 0; i < 3; i++) {
        n1_stmt_rec_unref(l->cand[i]);
    }
    if (l->mem != NULL) {
        *l->mem -= l->row_bytes + l->hcap * sizeof(uint64_t);
    }
    if (l->hset != l->hset0) {
        free(l->hset);
    }
    free(l->conns);
    if (!loop_pool_put(l)) {
        loop_release(l);
    }
}

void n1_rec_pool_free(struct n1_rec_pool *p)
{
    while (p->loops != NULL) {
        struct n1_loop *l = p->loops;

        p->loops = l->next_free;
        loop_release(l);
    }
    while (p->stmts != NULL) {
        struct n1_stmt_rec *r = p->stmts;

        p->stmts = r->next_free;
        free(r->buf);
        free(r);
    }
    p->n_loops = 0;
    p->n_stmts = 0;
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

/* The rewrite's view of a loop whose statement parsed as sh. */
static void rewrite_input(const struct n1_detect_ctx *ctx,
                          const struct n1_loop *l, enum n1_finding_kind kind,
                          const struct n1_stmt_rec *parent,
                          const struct n1_shape *sh, struct n1_rw_input *in)
{
    memset(in, 0, sizeof(*in));
    in->kind = kind;
    in->shape = sh;
    in->rows = l->rows;
    in->n_rows = l->n_rows;
    in->count = l->count;
    in->distinct = l->distinct;
    in->varies = l->varies;
    in->rows_complete = l->rows_complete;
    in->max_keys = ctx->opts.max_keys;
    in->min_batch_items = ctx->opts.min_batch_items;
    if (parent != NULL && parent->sql != NULL) {
        in->parent_sql = parent->sql;
        in->parent_column = parent->column;
    }
}

/* Puts the rewrite (borrowed: it must outlive f) into the finding. */
static void finding_rewrite(struct n1_finding *f, const struct n1_rewrite *rw)
{
    int offered = rw->sql != NULL || rw->pattern == N1_RW_RANGE ||
                  rw->pattern == N1_RW_PAGINATION;

    if (rw->pattern == N1_RW_RANGE || rw->pattern == N1_RW_PAGINATION) {
        f->severity = N1_SEV_INFO;
    }
    f->key_columns = (const char *const *)rw->key_columns;
    f->n_key_columns = rw->n_key_columns;
    if (rw->sql != NULL) {
        f->keys = (const char *const *)rw->keys;
        f->n_keys = rw->n_keys;
    }
    f->rewrite = rw->sql;
    f->rewrite_kind = offered ? rw->kind : NULL;
    f->advice = rw->advice;
    f->round_trips_saved = rw->saved;
}

/*
 * Writes the call site of l into buf (size n, n > 0): its file tag with
 * a trailing ":line" removed, or else its route, controller and action
 * tags. Returns buf, or NULL when the loop has none of them.
 */
static const char *call_site(const struct n1_loop *l, char *buf, size_t n)
{
    static const char *const names[] = {"route", "controller", "action"};
    size_t used = 0;

    for (size_t i = 0; i < l->n_tags; i++) {
        const char *v = l->tags[i].value;
        size_t len = strlen(v);
        size_t k = len;

        if (strcmp(l->tags[i].key, "file") != 0) {
            continue;
        }
        while (k > 0 && v[k - 1] >= '0' && v[k - 1] <= '9') {
            k--;
        }
        if (k > 0 && k < len && v[k - 1] == ':') {
            len = k - 1;
        }
        snprintf(buf, n, "%.*s", (int)len, v);
        return buf;
    }
    buf[0] = '\0';
    for (size_t j = 0; j < 3; j++) {
        for (size_t i = 0; i < l->n_tags; i++) {
            if (strcmp(l->tags[i].key, names[j]) == 0 && used < n) {
                used += (size_t)snprintf(buf + used, n - used, "%s=%s;",
                                         names[j], l->tags[i].value);
            }
        }
    }
    return buf[0] != '\0' ? buf : NULL;
}

static int delimits(enum n1_boundary b)
{
    return b == N1_BOUND_CONNECT || b == N1_BOUND_RESET ||
           b == N1_BOUND_PREAMBLE || b == N1_BOUND_TRACE;
}

/* The evidence of one occurrence (docs/analyzer.md, "Evidence"). */
static void finding_evidence(struct n1_finding *f, const struct n1_loop *l,
                             const struct n1_stmt_rec *parent)
{
    struct n1_evidence *e = &f->evidence;

    e->starts = l->starts;
    e->ends = l->ends;
    e->body = l->n_body > 0 ? l->body : NULL;
    e->n_body = l->n_body;
    if (parent != NULL && !isnan(parent->rows_sent)) {
        e->rows_match = parent->rows_sent == (double)l->count ? 1 : -1;
    }
    e->no_conn_ids = l->conn == 0;
    if (l->first_us != N1_TS_NONE && l->last_us != N1_TS_NONE) {
        e->span_us = l->last_us - l->first_us;
    }
    if (e->no_conn_ids) {
        e->confidence = N1_CONF_LOW;
    } else if (delimits(e->starts) || delimits(e->ends) || e->rows_match == 1) {
        e->confidence = N1_CONF_HIGH;
    } else if (e->ends == N1_BOUND_STATEMENT || e->ends == N1_BOUND_GAP) {
        e->confidence = N1_CONF_MEDIUM;
    } else {
        e->confidence = N1_CONF_LOW;
    }
}

/* Fills what the finding takes from the loop itself and its parent. */
static void finding_loop(struct n1_finding *f, const struct n1_loop *l,
                         enum n1_finding_kind kind,
                         const struct n1_stmt_rec *parent)
{
    char site[512];

    f->id = n1_finding_class_id(kind, l->fp, parent != NULL,
                                parent != NULL ? parent->fp : 0,
                                call_site(l, site, sizeof(site)));
    if (kind != N1_FIND_FANOUT) {
        finding_evidence(f, l, parent);
    }
    f->connection = kind == N1_FIND_FANOUT ? 0 : l->conn;
    if (kind == N1_FIND_FANOUT) {
        f->connections = l->conns;
        f->n_connections = l->n_conns;
    }
    f->count = l->count;
    f->distinct_keys = l->distinct;
    f->fingerprint = l->fp;
    f->fingerprint_text = l->fp_text;
    f->sample = l->sample;
    f->first_seen_us = l->first_us;
    f->last_seen_us = l->last_us;
    f->total_time_s = l->n_timed > 0 ? l->time_s : NAN;
    f->parent_rows_sent = NAN;
    if (parent != NULL) {
        f->has_parent = 1;
        f->parent_fingerprint = parent->fp;
        f->parent_table = parent->table;
        f->parent_sql = parent->sql;
        f->parent_rows_sent = parent->rows_sent;
    }
    f->tags = l->tags;
    f->n_tags = l->n_tags;
    f->location = l->location;
    f->file = l->file;
    f->line = l->line;
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
    table = n1_shape_name_dup(sh->text + sh->table.off, sh->table.len);
    if (table == NULL) {
        n1_err_oom(&ctx->err, "building a finding");
        goto out;
    }
    memset(&f, 0, sizeof(f));
    f.kind = kind;
    f.severity =
        l->count >= ctx->opts.error_repeats ? N1_SEV_ERROR : N1_SEV_WARNING;
    if (kind != N1_FIND_DUPLICATE) {
        rewrite_input(ctx, l, kind, parent, sh, &in);
        if (n1_rewrite_build(&in, &rw, &ctx->err) < 0) {
            goto out;
        }
        have_rw = 1;
        if (rw.pattern == N1_RW_BATCHED) {
            ret = 0;
            goto out;
        }
        finding_rewrite(&f, &rw);
    } else {
        /* A cache answers every repeat: only the first asks the server. */
        f.round_trips_saved = l->count - 1;
        f.advice = "The same statement with the same values runs again and "
                   "again on one connection: keep the first result (cache "
                   "it, or hoist the query out of the loop) instead of "
                   "asking the server each time.";
    }
    finding_loop(&f, l, kind, parent);
    /* A verdict the log cannot support is never an error. */
    if (f.severity == N1_SEV_ERROR &&
        (f.evidence.confidence == N1_CONF_LOW || f.evidence.no_conn_ids) &&
        kind != N1_FIND_FANOUT) {
        f.severity = N1_SEV_WARNING;
    }
    f.statement = n1_verb_name(sh->verb);
    f.table = table;
    ctx->stats.findings++;
    ctx->emit(ctx->ud, &f);
    ret = 1;
out:
    if (have_rw) {
        n1_rewrite_cleanup(&rw);
    }
    free(table);
    n1_shape_free(sh);
    return ret;
}
