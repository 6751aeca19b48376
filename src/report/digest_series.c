/* SPDX-License-Identifier: MIT */
/*
 * digest_series.c: each class's calls and time over the log's span, in a
 * fixed number of buckets, for the HTML digest.
 *
 * The store keeps no per-time counts, so a run that reads logs can count
 * them as it goes: every class has N1_DIGEST_SERIES_N buckets on one grid
 * shared by all classes. The grid starts 1 ms a bucket at the first
 * statement; a statement past its end doubles the width (bucket pairs
 * merge, the start stays), one before its start doubles it leftwards (the
 * old grid becomes the right half). So memory is one small row per class
 * whatever the log's size or span, and the grid ends up at most twice as
 * wide as the span it has to cover. The classes are found through an
 * open-addressing table on their id (already a hash).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/event.h"
#include "report/digest.h"

#define N N1_DIGEST_SERIES_N

struct slot {
    uint64_t id;       /* class id */
    int used;          /* 1 when the slot holds a class */
    uint32_t calls[N]; /* statements per bucket (saturating) */
    float secs[N];     /* their Query_time */
};

struct n1_digest_series {
    struct slot *v; /* cap slots */
    size_t cap;     /* a power of two */
    size_t n;       /* slots used */
    int64_t t0;     /* start of bucket 0; N1_TS_NONE before any add */
    int64_t w;      /* width of a bucket, microseconds */
    int has_time;   /* 1 once a statement had a Query_time */
    int failed;     /* 1 once memory ran out */
};

struct n1_digest_series *n1_digest_series_new(struct n1_error *err)
{
    struct n1_digest_series *s = calloc(1, sizeof(*s));

    if (s == NULL) {
        n1_err_oom(err, "counting the classes over time");
        return NULL;
    }
    s->t0 = N1_TS_NONE;
    s->w = 1000; /* 1 ms: a short log still gets most of the buckets */
    return s;
}

void n1_digest_series_free(struct n1_digest_series *s)
{
    if (s != NULL) {
        free(s->v);
        free(s);
    }
}

int n1_digest_series_failed(const struct n1_digest_series *s)
{
    return s->failed;
}

static struct slot *find(struct slot *v, size_t cap, uint64_t id)
{
    size_t i = (size_t)(id ^ (id >> 32)) & (cap - 1);

    while (v[i].used && v[i].id != id) {
        i = (i + 1) & (cap - 1);
    }
    return &v[i];
}

static int grow(struct n1_digest_series *s)
{
    size_t cap = s->cap > 0 ? s->cap * 2 : 64;
    struct slot *v = calloc(cap, sizeof(*v));

    if (v == NULL) {
        return -1;
    }
    for (size_t i = 0; i < s->cap; i++) {
        if (s->v[i].used) {
            *find(v, cap, s->v[i].id) = s->v[i];
        }
    }
    free(s->v);
    s->v = v;
    s->cap = cap;
    return 0;
}

/* Doubles the buckets' width; left 1 puts the old grid in the right half
   (the start moves left by the old grid's span), else the start stays. */
static void widen(struct n1_digest_series *s, int left)
{
    size_t shift = left ? N : 0;

    for (size_t i = 0; i < s->cap; i++) {
        struct slot *o = &s->v[i];
        uint32_t calls[N] = {0};
        float secs[N] = {0};

        if (!o->used) {
            continue;
        }
        for (size_t j = 0; j < N; j++) {
            size_t k = (j + shift) / 2;
            uint64_t c = (uint64_t)calls[k] + o->calls[j];

            calls[k] = c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
            secs[k] += o->secs[j];
        }
        memcpy(o->calls, calls, sizeof(calls));
        memcpy(o->secs, secs, sizeof(secs));
    }
    if (left) {
        s->t0 -= (int64_t)N * s->w;
    }
    s->w *= 2;
}

/* The bucket of ts, widening the grid until it holds ts. */
static size_t bucket_of(struct n1_digest_series *s, int64_t ts)
{
    if (s->t0 == N1_TS_NONE) {
        s->t0 = ts;
    }
    /* The width stops doubling long before it could overflow: 2^62 us
       spans far more than any timestamp's range. */
    while (ts < s->t0 && s->w < (INT64_C(1) << 56)) {
        widen(s, 1);
    }
    while ((ts - s->t0) / s->w >= N && s->w < (INT64_C(1) << 56)) {
        widen(s, 0);
    }
    if (ts < s->t0) {
        return 0;
    }
    return (ts - s->t0) / s->w >= N ? N - 1 : (size_t)((ts - s->t0) / s->w);
}

int n1_digest_series_add(struct n1_digest_series *s, uint64_t id, int64_t ts,
                         double qt)
{
    struct slot *o;
    size_t k;

    if (s->failed || ts == N1_TS_NONE) {
        return s->failed ? -1 : 0;
    }
    if ((s->n + 1) * 4 > s->cap * 3 && grow(s) != 0) {
        s->failed = 1;
        return -1;
    }
    o = find(s->v, s->cap, id);
    if (!o->used) {
        o->used = 1;
        o->id = id;
        s->n++;
    }
    k = bucket_of(s, ts);
    o->calls[k] += o->calls[k] < UINT32_MAX ? 1 : 0;
    if (!isnan(qt)) {
        o->secs[k] += (float)qt;
        s->has_time = 1;
    }
    return 0;
}

int n1_digest_series_get(const struct n1_digest_series *s, uint64_t id,
                         struct n1_digest_row *out)
{
    const struct slot *o;

    if (s->cap == 0 || s->t0 == N1_TS_NONE) {
        return 0;
    }
    o = find(s->v, s->cap, id);
    if (!o->used) {
        return 0;
    }
    out->t0 = s->t0;
    out->t1 = s->t0 + (int64_t)N * s->w;
    out->has_time = s->has_time;
    for (size_t k = 0; k < N; k++) {
        out->calls[k] = o->calls[k];
        out->secs[k] = o->secs[k];
    }
    return 1;
}
