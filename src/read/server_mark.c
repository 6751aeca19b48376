/* SPDX-License-Identifier: MIT */
/*
 * server_mark.c: per-thread high-water marks of a log table
 * (server_mark.h).
 *
 * A sorted array of threads, searched by bisection: a poll touches the
 * threads that ran statements since the last one, a few hundred at most,
 * and n1_tmarks_prune() keeps out the ones long gone.
 */
#include <stdlib.h>
#include <string.h>

#include "read/server_mark.h"

struct tmark {
    uint64_t thread; /* server thread (connection) id */
    uint64_t time;   /* newest time read, UTC microseconds */
    uint64_t count;  /* rows read at exactly that time */
    uint64_t seen;   /* rows at that time seen by this poll */
};

struct n1_tmarks {
    struct tmark *v; /* sorted by thread */
    size_t n;
    size_t cap;
};

struct n1_tmarks *n1_tmarks_new(void)
{
    return calloc(1, sizeof(struct n1_tmarks));
}

void n1_tmarks_free(struct n1_tmarks *m)
{
    if (m == NULL) {
        return;
    }
    free(m->v);
    free(m);
}

void n1_tmarks_poll_begin(struct n1_tmarks *m)
{
    for (size_t i = 0; i < m->n; i++) {
        m->v[i].seen = 0;
    }
}

void *n1_thread_slot(void **v, size_t *n, size_t *cap, size_t size,
                     uint64_t thread, int *is_new)
{
    char *base = *v;
    size_t lo = 0;
    size_t hi = *n;

    *is_new = 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint64_t key;

        memcpy(&key, base + mid * size, sizeof(key));
        if (key == thread) {
            return base + mid * size;
        }
        if (key < thread) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (*n == *cap) {
        size_t c = *cap > 0 ? *cap * 2 : 64;

        base = realloc(*v, c * size);
        if (base == NULL) {
            return NULL;
        }
        *v = base;
        *cap = c;
    }
    memmove(base + (lo + 1) * size, base + lo * size, (*n - lo) * size);
    memset(base + lo * size, 0, size);
    memcpy(base + lo * size, &thread, sizeof(thread));
    (*n)++;
    *is_new = 1;
    return base + lo * size;
}

/* The mark of thread, created (time 0) when new; NULL when memory ran
   out. */
static struct tmark *get(struct n1_tmarks *m, uint64_t thread)
{
    void *v = m->v;
    struct tmark *t;
    int is_new;

    t = n1_thread_slot(&v, &m->n, &m->cap, sizeof(*t), thread, &is_new);
    m->v = v;
    return t;
}

int n1_tmarks_judge(struct n1_tmarks *m, uint64_t thread, uint64_t time_us)
{
    struct tmark *t = get(m, thread);

    if (t == NULL) {
        return -1;
    }
    if (time_us < t->time) {
        return 0;
    }
    if (time_us == t->time) {
        t->seen++;
        if (t->seen <= t->count) {
            return 0; /* one of the rows at the mark an earlier poll read */
        }
        t->count = t->seen;
        return 1;
    }
    t->time = time_us;
    t->count = 1;
    t->seen = 1;
    return 1;
}

uint64_t n1_tmarks_newest(const struct n1_tmarks *m)
{
    uint64_t newest = 0;

    for (size_t i = 0; i < m->n; i++) {
        if (m->v[i].time > newest) {
            newest = m->v[i].time;
        }
    }
    return newest;
}

void n1_tmarks_prune(struct n1_tmarks *m, uint64_t before_us)
{
    size_t k = 0;

    for (size_t i = 0; i < m->n; i++) {
        if (m->v[i].time >= before_us) {
            m->v[k++] = m->v[i];
        }
    }
    m->n = k;
}

int n1_tmarks_set(struct n1_tmarks *m, uint64_t thread, uint64_t packed)
{
    struct tmark *t = get(m, thread);

    if (t == NULL) {
        return -1;
    }
    t->time = packed >> 10;
    t->count = packed & N1_TMARK_COUNT_MAX;
    t->seen = 0;
    return 0;
}

void n1_tmarks_each(const struct n1_tmarks *m,
                    void (*cb)(void *ud, uint64_t thread, uint64_t packed),
                    void *ud)
{
    for (size_t i = 0; i < m->n; i++) {
        uint64_t c = m->v[i].count < N1_TMARK_COUNT_MAX ? m->v[i].count
                                                        : N1_TMARK_COUNT_MAX;

        if (m->v[i].time > 0) {
            cb(ud, m->v[i].thread, m->v[i].time << 10 | c);
        }
    }
}
