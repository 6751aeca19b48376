/* SPDX-License-Identifier: MIT */
/*
 * aggregate.c: the in-memory table of fingerprint classes.
 *
 * Classes live in an array in first-seen order (so iteration and reports
 * are deterministic); an open-addressing index of 32-bit slots (class
 * position + 1, 0 for empty, linear probing, load at most one half) maps a
 * fingerprint id to its class. Ids are already well-mixed hashes, but they
 * are multiplied once more so that a run of related ids cannot cluster.
 *
 * What a class holds is bounded whatever the log: fixed counters, one
 * histogram per metric (capped by hist.h), at most N1_AGG_MAX_VALUES short
 * strings per value list, one sample cut at sample_max. Only the number of
 * classes grows; the caller flushes to the store and resets when
 * n1_agg_memory() says so. Nothing here does I/O.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/aggregate.h"

#define INITIAL_SLOTS 64u

struct n1_agg {
    struct n1_agg_class **cls; /* classes in first-seen order */
    size_t n;                  /* classes in use */
    size_t cap;                /* entries allocated in cls */
    uint32_t *slots;           /* index: position + 1, or 0 when empty */
    size_t nslots;             /* power of two */
    uint64_t events;           /* events added since the last reset */
    size_t sample_max;         /* cap on a copied sample */
};

static const char *const metric_names[N1_AGG_NMETRICS] = {
    "Query_time",    /* N1_M_QUERY_TIME */
    "Lock_time",     /* N1_M_LOCK_TIME */
    "Rows_sent",     /* N1_M_ROWS_SENT */
    "Rows_examined", /* N1_M_ROWS_EXAMINED */
    "Rows_affected", /* N1_M_ROWS_AFFECTED */
    "Bytes_sent",    /* N1_M_BYTES_SENT */
    "Query_length",  /* N1_AGG_QUERY_LENGTH */
};

static const char *const dim_names[N1_DIM_COUNT] = {"db", "user", "host"};

static const char *const chart_labels[N1_AGG_CHART_N] = {
    "1us", "10us", "100us", "1ms", "10ms", "100ms", "1s", "10s+",
};

const char *n1_agg_metric_name(unsigned m)
{
    return m < N1_AGG_NMETRICS ? metric_names[m] : NULL;
}

const char *n1_agg_dim_name(unsigned d)
{
    return d < N1_DIM_COUNT ? dim_names[d] : NULL;
}

const char *n1_agg_chart_label(unsigned i)
{
    return i < N1_AGG_CHART_N ? chart_labels[i] : NULL;
}

unsigned n1_agg_chart_bucket(double seconds)
{
    /* Upper bounds of buckets 0 .. 6; bucket 7 is open-ended. */
    static const double bounds[N1_AGG_CHART_N - 1] = {
        1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0,
    };
    unsigned i;

    if (!(seconds >= 0.0)) {
        return 0;
    }
    for (i = 0; i < N1_AGG_CHART_N - 1; i++) {
        if (seconds < bounds[i]) {
            break;
        }
    }
    return i;
}

double n1_agg_stats_avg(const struct n1_agg_stats *s)
{
    return s->n > 0 ? s->sum / (double)s->n : 0.0;
}

double n1_agg_stats_stddev(const struct n1_agg_stats *s)
{
    double mean;
    double var;

    if (s->n < 2) {
        return 0.0;
    }
    mean = s->sum / (double)s->n;
    var = s->sumsq / (double)s->n - mean * mean;
    /* Rounding can take a constant series slightly below zero. */
    return var > 0.0 ? sqrt(var) : 0.0;
}

double n1_agg_stats_quantile(const struct n1_agg_stats *s, double q)
{
    double v;

    if (s->n == 0) {
        return 0.0;
    }
    v = n1_hist_quantile(&s->hist, q);
    if (v < s->min) {
        v = s->min;
    }
    if (v > s->max) {
        v = s->max;
    }
    return v;
}

void n1_agg_class_init(struct n1_agg_class *c)
{
    memset(c, 0, sizeof(*c));
    c->first_seen = N1_TS_NONE;
    c->last_seen = N1_TS_NONE;
    for (unsigned m = 0; m < N1_AGG_NMETRICS; m++) {
        n1_hist_init(&c->m[m].hist);
    }
}

void n1_agg_class_cleanup(struct n1_agg_class *c)
{
    if (c == NULL) {
        return;
    }
    free(c->text);
    free(c->sample);
    free(c->sample_file);
    for (unsigned m = 0; m < N1_AGG_NMETRICS; m++) {
        n1_hist_cleanup(&c->m[m].hist);
    }
    for (unsigned d = 0; d < N1_DIM_COUNT; d++) {
        free(c->dims[d].v);
    }
    free(c->vals);
    n1_agg_class_init(c);
}

static void widen_ts(struct n1_agg_class *c, int64_t first, int64_t last)
{
    if (first != N1_TS_NONE &&
        (c->first_seen == N1_TS_NONE || first < c->first_seen)) {
        c->first_seen = first;
    }
    if (last != N1_TS_NONE &&
        (c->last_seen == N1_TS_NONE || last > c->last_seen)) {
        c->last_seen = last;
    }
}

/*
 * Adds (b, b_lo) to the double-double (*hi, *lo): an exact two-sum of the
 * leading parts, then the residues, renormalised so that *hi is the
 * rounded total.
 */
static void dd_add(double *hi, double *lo, double b, double b_lo)
{
    double s = *hi + b;
    double bv = s - *hi;
    double e = (*hi - (s - bv)) + (b - bv);
    double t = e + *lo + b_lo;

    *hi = s + t;
    *lo = t - (*hi - s);
}

static int stats_add(struct n1_agg_stats *s, double v)
{
    /* Logs never carry negative metrics; NaN would poison the sums. */
    if (!(v >= 0.0)) {
        v = 0.0;
    }
    if (n1_hist_add(&s->hist, v, 1) < 0) {
        return -1;
    }
    if (s->n == 0 || v < s->min) {
        s->min = v;
    }
    if (s->n == 0 || v > s->max) {
        s->max = v;
    }
    s->n++;
    dd_add(&s->sum, &s->sum_lo, v, 0.0);
    dd_add(&s->sumsq, &s->sumsq_lo, v * v, 0.0);
    return 0;
}

static int stats_merge(struct n1_agg_stats *dst, const struct n1_agg_stats *src)
{
    if (src->n == 0) {
        return 0;
    }
    if (n1_hist_merge(&dst->hist, &src->hist) < 0) {
        return -1;
    }
    if (dst->n == 0 || src->min < dst->min) {
        dst->min = src->min;
    }
    if (dst->n == 0 || src->max > dst->max) {
        dst->max = src->max;
    }
    dst->n += src->n;
    dd_add(&dst->sum, &dst->sum_lo, src->sum, src->sum_lo);
    dd_add(&dst->sumsq, &dst->sumsq_lo, src->sumsq, src->sumsq_lo);
    return 0;
}

/*
 * 1 when have, a value listed in c, is value[0..len) (len >= 1, no NUL in
 * value before len). The lists are searched on every event, so the test
 * starts with two loads that reject most other values: have[len] must end
 * it and have[len - 1] must be value's last byte. c->vals is zeroed past
 * vals_len, so every byte below vals_cap may be read; a value too near
 * the end for that is compared byte by byte up to its terminator.
 */
static int same_value(const struct n1_agg_class *c, const char *have,
                      const char *value, size_t len)
{
    uint64_t a;
    uint64_t b;
    size_t i = 0;

    if ((size_t)(have - c->vals) + len >= c->vals_cap) {
        for (; i < len; i++) {
            if (have[i] != value[i]) {
                return 0;
            }
        }
        return have[len] == '\0';
    }
    if (have[len] != '\0' || have[len - 1] != value[len - 1]) {
        return 0;
    }
    if (len < sizeof(a)) {
        for (; i + 1 < len; i++) {
            if (have[i] != value[i]) {
                return 0;
            }
        }
        return 1;
    }
    /* Words, the last one overlapping its predecessor. */
    for (;;) {
        memcpy(&a, have + i, sizeof(a));
        memcpy(&b, value + i, sizeof(b));
        if (a != b) {
            return 0;
        }
        if (i + sizeof(a) == len) {
            return 1;
        }
        i = len - i - sizeof(a) > sizeof(a) ? i + sizeof(a) : len - sizeof(a);
    }
}

/* Makes room for len more bytes in c->vals, pointing the listed values
   at the new place when it moves. Returns 0, or -1 (c unchanged). */
static int vals_reserve(struct n1_agg_class *c, size_t len)
{
    size_t off[N1_DIM_COUNT][N1_AGG_MAX_VALUES];
    size_t ncap;
    char *nb;

    if (c->vals_cap - c->vals_len >= len) {
        return 0;
    }
    /* Lists fill once per class: exact growth, in words. */
    ncap = (c->vals_len + len + 7) & ~(size_t)7;
    for (unsigned d = 0; d < N1_DIM_COUNT; d++) {
        for (unsigned i = 0; i < c->dims[d].n; i++) {
            off[d][i] = (size_t)(c->dims[d].v[i].value - c->vals);
        }
    }
    nb = realloc(c->vals, ncap);
    if (nb == NULL) {
        return -1;
    }
    /* Zero past the end: same_value() reads there. */
    memset(nb + c->vals_len, 0, ncap - c->vals_len);
    for (unsigned d = 0; d < N1_DIM_COUNT; d++) {
        for (unsigned i = 0; i < c->dims[d].n; i++) {
            c->dims[d].v[i].value = nb + off[d][i];
        }
    }
    c->vals = nb;
    c->vals_cap = ncap;
    return 0;
}

int n1_agg_class_add_value(struct n1_agg_class *c, enum n1_agg_dim d,
                           const char *value, uint64_t count)
{
    struct n1_agg_values *vs = &c->dims[d];
    struct n1_agg_value *nv;
    unsigned i;
    size_t len;
    char *copy;

    if (value == NULL || value[0] == '\0' || count == 0) {
        return 0;
    }
    len = strnlen(value, N1_AGG_MAX_VALUE_LEN);
    /* Events of a class often repeat the previous one's value: search
       from that one on, wrapping around. */
    i = vs->last < vs->n ? vs->last : 0;
    for (unsigned tries = 0; tries < vs->n; tries++) {
        if (same_value(c, vs->v[i].value, value, len)) {
            vs->v[i].count += count;
            vs->last = i;
            return 0;
        }
        i = i + 1 < vs->n ? i + 1 : 0;
    }
    if (vs->n == N1_AGG_MAX_VALUES) {
        vs->other += count;
        return 0;
    }
    /* Lists are short and fill once per class: entries grow one by
       one. */
    nv = realloc(vs->v, (vs->n + 1) * sizeof(*nv));
    if (nv == NULL) {
        return -1;
    }
    vs->v = nv;
    if (vals_reserve(c, len + 1) < 0) {
        return -1;
    }
    copy = c->vals + c->vals_len;
    memcpy(copy, value, len);
    copy[len] = '\0';
    c->vals_len += len + 1;
    vs->v[vs->n].value = copy;
    vs->v[vs->n].count = count;
    vs->last = vs->n;
    vs->n++;
    return 0;
}

/* Replaces c's sample with a copy of sql cut to max bytes. */
static int set_sample(struct n1_agg_class *c, const char *sql, size_t len,
                      size_t full_len, int has_qt, double qt, const char *file,
                      unsigned long line, size_t max)
{
    size_t keep = len < max ? len : max;
    char *s = NULL;
    char *f = NULL;

    s = malloc(keep + 1);
    if (s == NULL) {
        goto fail;
    }
    if (keep > 0) {
        memcpy(s, sql, keep);
    }
    s[keep] = '\0';
    if (file != NULL) {
        f = strdup(file);
        if (f == NULL) {
            goto fail;
        }
    }
    free(c->sample);
    free(c->sample_file);
    c->sample = s;
    c->sample_len = keep;
    c->sample_full_len = full_len;
    c->sample_has_qt = has_qt;
    c->sample_qt = has_qt ? qt : 0.0;
    c->sample_file = f;
    c->sample_line = line;
    return 0;

fail:
    free(s);
    free(f);
    return -1;
}

/* 1 when a sample with (has_qt, qt) should replace c's. */
static int sample_wins(const struct n1_agg_class *c, int has_qt, double qt)
{
    if (c->sample == NULL) {
        return 1;
    }
    return has_qt && (!c->sample_has_qt || qt > c->sample_qt);
}

static int merge_class(struct n1_agg_class *dst, const struct n1_agg_class *src,
                       size_t sample_max, int take_identity,
                       struct n1_error *err)
{
    if (sample_max == 0) {
        sample_max = N1_AGG_SAMPLE_MAX;
    }
    if (take_identity && dst->text == NULL && src->text != NULL) {
        char *t = malloc(src->text_len + 1);

        if (t == NULL) {
            goto oom;
        }
        memcpy(t, src->text, src->text_len);
        t[src->text_len] = '\0';
        dst->text = t;
        dst->text_len = src->text_len;
        dst->id = src->id;
        memcpy(dst->hex, src->hex, sizeof(dst->hex));
    }
    for (unsigned m = 0; m < N1_AGG_NMETRICS; m++) {
        if (stats_merge(&dst->m[m], &src->m[m]) < 0) {
            goto oom;
        }
    }
    for (unsigned d = 0; d < N1_DIM_COUNT; d++) {
        const struct n1_agg_values *sv = &src->dims[d];

        for (unsigned i = 0; i < sv->n; i++) {
            if (n1_agg_class_add_value(dst, (enum n1_agg_dim)d, sv->v[i].value,
                                       sv->v[i].count) < 0) {
                goto oom;
            }
        }
        dst->dims[d].other += sv->other;
    }
    for (unsigned i = 0; i < N1_AGG_CHART_N; i++) {
        dst->chart[i] += src->chart[i];
    }
    if (src->sample != NULL &&
        sample_wins(dst, src->sample_has_qt, src->sample_qt)) {
        if (set_sample(dst, src->sample, src->sample_len, src->sample_full_len,
                       src->sample_has_qt, src->sample_qt, src->sample_file,
                       src->sample_line, sample_max) < 0) {
            goto oom;
        }
    }
    widen_ts(dst, src->first_seen, src->last_seen);
    dst->count += src->count;
    return 0;

oom:
    n1_err_set(err, N1_ESYS, NULL, 0, "out of memory merging class %s",
               src->hex);
    return -1;
}

int n1_agg_class_merge(struct n1_agg_class *dst, const struct n1_agg_class *src,
                       size_t sample_max, struct n1_error *err)
{
    return merge_class(dst, src, sample_max, 1, err);
}

size_t n1_agg_class_memory(const struct n1_agg_class *c)
{
    size_t bytes = sizeof(*c);

    if (c->text != NULL) {
        bytes += c->text_len + 1;
    }
    if (c->sample != NULL) {
        bytes += c->sample_len + 1;
    }
    if (c->sample_file != NULL) {
        bytes += strlen(c->sample_file) + 1;
    }
    for (unsigned m = 0; m < N1_AGG_NMETRICS; m++) {
        bytes += n1_hist_memory(&c->m[m].hist);
    }
    for (unsigned d = 0; d < N1_DIM_COUNT; d++) {
        bytes += c->dims[d].n * sizeof(c->dims[d].v[0]);
    }
    return bytes + c->vals_cap;
}

struct n1_agg *n1_agg_new(const struct n1_agg_opts *opts, struct n1_error *err)
{
    struct n1_agg *agg = NULL;

    agg = calloc(1, sizeof(*agg));
    if (agg == NULL) {
        goto oom;
    }
    agg->slots = calloc(INITIAL_SLOTS, sizeof(agg->slots[0]));
    if (agg->slots == NULL) {
        goto oom;
    }
    agg->nslots = INITIAL_SLOTS;
    agg->sample_max = (opts != NULL && opts->sample_max != 0)
                          ? opts->sample_max
                          : N1_AGG_SAMPLE_MAX;
    return agg;

oom:
    free(agg);
    n1_err_oom(err, "creating aggregate");
    return NULL;
}

void n1_agg_free(struct n1_agg *agg)
{
    if (agg == NULL) {
        return;
    }
    n1_agg_reset(agg);
    free(agg->cls);
    free(agg->slots);
    free(agg);
}

static size_t slot_of(uint64_t id, size_t nslots)
{
    /* Fibonacci hashing: take the top bits of id * 2^64 / phi. */
    uint64_t h = id * UINT64_C(0x9E3779B97F4A7C15);

    return (size_t)(h >> 32) & (nslots - 1);
}

/* Position of id's class, or -1. */
static long find_pos(const struct n1_agg *agg, uint64_t id)
{
    size_t s = slot_of(id, agg->nslots);

    while (agg->slots[s] != 0) {
        uint32_t pos = agg->slots[s] - 1;

        if (agg->cls[pos]->id == id) {
            return (long)pos;
        }
        s = (s + 1) & (agg->nslots - 1);
    }
    return -1;
}

static void index_insert(uint32_t *slots, size_t nslots, uint64_t id,
                         uint32_t pos)
{
    size_t s = slot_of(id, nslots);

    while (slots[s] != 0) {
        s = (s + 1) & (nslots - 1);
    }
    slots[s] = pos + 1;
}

/* Makes room for one more class: array slot and index load <= 1/2. */
static int grow(struct n1_agg *agg)
{
    if (agg->n == agg->cap) {
        size_t ncap = agg->cap != 0 ? agg->cap * 2 : 16;
        struct n1_agg_class **ncls = realloc(agg->cls, ncap * sizeof(*ncls));

        if (ncls == NULL) {
            return -1;
        }
        agg->cls = ncls;
        agg->cap = ncap;
    }
    if ((agg->n + 1) * 2 > agg->nslots) {
        size_t nn = agg->nslots * 2;
        uint32_t *ns = calloc(nn, sizeof(*ns));

        if (ns == NULL || agg->n >= UINT32_MAX - 1) {
            free(ns);
            return -1;
        }
        for (size_t i = 0; i < agg->n; i++) {
            index_insert(ns, nn, agg->cls[i]->id, (uint32_t)i);
        }
        free(agg->slots);
        agg->slots = ns;
        agg->nslots = nn;
    }
    return 0;
}

static struct n1_agg_class *create_class(struct n1_agg *agg,
                                         const struct n1_norm *norm)
{
    struct n1_agg_class *c = NULL;

    if (grow(agg) < 0) {
        return NULL;
    }
    c = malloc(sizeof(*c));
    if (c == NULL) {
        return NULL;
    }
    n1_agg_class_init(c);
    c->text = malloc(norm->len + 1);
    if (c->text == NULL) {
        free(c);
        return NULL;
    }
    if (norm->len > 0) {
        memcpy(c->text, norm->text, norm->len);
    }
    c->text[norm->len] = '\0';
    c->text_len = norm->len;
    c->id = norm->id;
    memcpy(c->hex, norm->hex, sizeof(c->hex));
    c->hex[16] = '\0';
    agg->cls[agg->n] = c;
    index_insert(agg->slots, agg->nslots, c->id, (uint32_t)agg->n);
    agg->n++;
    return c;
}

int n1_agg_add(struct n1_agg *agg, const struct n1_event *ev,
               const struct n1_norm *norm, struct n1_error *err)
{
    struct n1_agg_class *c = NULL;
    long pos = find_pos(agg, norm->id);
    int has_qt = (ev->metric_mask & (1u << N1_M_QUERY_TIME)) != 0;
    double qt = has_qt ? ev->metric[N1_M_QUERY_TIME] : 0.0;
    const char *dims[N1_DIM_COUNT];

    if (pos >= 0) {
        c = agg->cls[pos];
    } else {
        c = create_class(agg, norm);
        if (c == NULL) {
            goto oom;
        }
    }
    for (unsigned m = 0; m < N1_AGG_NMETRICS; m++) {
        n1_hist_prefetch(&c->m[m].hist);
    }
    /* The value lists live in two allocations of their own: start
       loading them too, for the lookups after the metrics. */
    for (unsigned d = 0; d < N1_DIM_COUNT; d++) {
        if (c->dims[d].v != NULL) {
            __builtin_prefetch(c->dims[d].v);
        }
    }
    if (c->vals != NULL) {
        __builtin_prefetch(c->vals);
    }
    for (unsigned m = 0; m < N1_M_COUNT; m++) {
        if ((ev->metric_mask & (1u << m)) != 0 &&
            stats_add(&c->m[m], ev->metric[m]) < 0) {
            goto oom;
        }
    }
    if (stats_add(&c->m[N1_AGG_QUERY_LENGTH], (double)ev->sql_len) < 0) {
        goto oom;
    }
    dims[N1_DIM_DB] = ev->db;
    dims[N1_DIM_USER] = ev->user;
    dims[N1_DIM_HOST] = ev->host;
    for (unsigned d = 0; d < N1_DIM_COUNT; d++) {
        if (n1_agg_class_add_value(c, (enum n1_agg_dim)d, dims[d], 1) < 0) {
            goto oom;
        }
    }
    if (sample_wins(c, has_qt, qt) &&
        set_sample(c, ev->sql, ev->sql_len, ev->sql_len, has_qt, qt, ev->file,
                   ev->line, agg->sample_max) < 0) {
        goto oom;
    }
    if (has_qt) {
        c->chart[n1_agg_chart_bucket(qt)]++;
    }
    widen_ts(c, ev->ts_us, ev->ts_us);
    c->count++;
    agg->events++;
    return 0;

oom:
    n1_err_set(err, N1_ESYS, ev->file, ev->line,
               "out of memory aggregating fingerprint %s", norm->hex);
    return -1;
}

size_t n1_agg_size(const struct n1_agg *agg)
{
    return agg->n;
}

uint64_t n1_agg_events(const struct n1_agg *agg)
{
    return agg->events;
}

const struct n1_agg_class *n1_agg_at(const struct n1_agg *agg, size_t i)
{
    return i < agg->n ? agg->cls[i] : NULL;
}

const struct n1_agg_class *n1_agg_find(const struct n1_agg *agg, uint64_t id)
{
    long pos = find_pos(agg, id);

    return pos >= 0 ? agg->cls[pos] : NULL;
}

int n1_agg_totals(const struct n1_agg *agg, struct n1_agg_class *out,
                  struct n1_error *err)
{
    for (size_t i = 0; i < agg->n; i++) {
        if (merge_class(out, agg->cls[i], agg->sample_max, 0, err) < 0) {
            return -1;
        }
    }
    return 0;
}

size_t n1_agg_memory(const struct n1_agg *agg)
{
    size_t bytes = sizeof(*agg) + agg->cap * sizeof(agg->cls[0]) +
                   agg->nslots * sizeof(agg->slots[0]);

    for (size_t i = 0; i < agg->n; i++) {
        bytes += n1_agg_class_memory(agg->cls[i]);
    }
    return bytes;
}

/* Sets every _lo residue of c to 0: its sums as a store keeps them. */
static void round_sums(struct n1_agg_class *c)
{
    for (unsigned m = 0; m < N1_AGG_NMETRICS; m++) {
        c->m[m].sum_lo = 0.0;
        c->m[m].sumsq_lo = 0.0;
    }
}

int n1_agg_absorb(struct n1_agg *dst, struct n1_agg *src, size_t sample_max,
                  struct n1_error *err)
{
    int ret = -1;

    for (size_t i = 0; i < src->n; i++) {
        struct n1_agg_class *c = src->cls[i];
        long pos = find_pos(dst, c->id);

        if (pos >= 0) {
            if (n1_agg_class_merge(dst->cls[pos], c, sample_max, err) < 0) {
                goto out;
            }
            continue; /* src's copy goes with the reset below */
        }
        if (grow(dst) < 0) {
            n1_err_set(err, N1_ESYS, NULL, 0,
                       "out of memory keeping fingerprint %s", c->hex);
            goto out;
        }
        /* Handed over as is: merging into an empty class would copy it. */
        dst->cls[dst->n] = c;
        index_insert(dst->slots, dst->nslots, c->id, (uint32_t)dst->n);
        dst->n++;
        src->cls[i] = NULL;
    }
    for (size_t i = 0; i < dst->n; i++) {
        round_sums(dst->cls[i]);
    }
    dst->events += src->events;
    ret = 0;

out:
    n1_agg_reset(src);
    return ret;
}

void n1_agg_release(struct n1_agg *agg, size_t i)
{
    if (i < agg->n) {
        n1_agg_class_cleanup(agg->cls[i]);
    }
}

void n1_agg_reset(struct n1_agg *agg)
{
    for (size_t i = 0; i < agg->n; i++) {
        n1_agg_class_cleanup(agg->cls[i]); /* NULL once handed over */
        free(agg->cls[i]);
    }
    agg->n = 0;
    agg->events = 0;
    memset(agg->slots, 0, agg->nslots * sizeof(agg->slots[0]));
}
