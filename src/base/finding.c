/* SPDX-License-Identifier: MIT */
/*
 * finding.c: names of finding kinds and severities, and deep copies.
 *
 * A finding handed to a sink borrows everything; n1_finding_dup() packs
 * the record, its strings and arrays into a single allocation so that a
 * sink that keeps findings (tests, the store's batcher) frees each with
 * one call and cannot leak a part of it.
 */
#include <stdlib.h>
#include <string.h>

#include "base/finding.h"

const char *n1_finding_kind_name(enum n1_finding_kind k)
{
    switch (k) {
    case N1_FIND_N_PLUS_ONE:
        return "n_plus_one";
    case N1_FIND_DUPLICATE:
        return "duplicate";
    case N1_FIND_FANOUT:
        return "fanout";
    case N1_FIND_KIND_COUNT:
        break;
    }
    return "unknown";
}

const char *n1_severity_name(enum n1_severity s)
{
    switch (s) {
    case N1_SEV_INFO:
        return "info";
    case N1_SEV_WARNING:
        return "warning";
    case N1_SEV_ERROR:
        return "error";
    }
    return "unknown";
}

const char *n1_boundary_name(enum n1_boundary b)
{
    /* Indexed by enum n1_boundary; the names are part of the JSON. */
    static const char *const names[N1_BOUND_COUNT] = {
        "none",      /* N1_BOUND_NONE */
        "connect",   /* N1_BOUND_CONNECT */
        "reset",     /* N1_BOUND_RESET */
        "preamble",  /* N1_BOUND_PREAMBLE */
        "trace",     /* N1_BOUND_TRACE */
        "gap",       /* N1_BOUND_GAP */
        "statement", /* N1_BOUND_STATEMENT */
        "idle",      /* N1_BOUND_IDLE */
    };

    if ((unsigned)b >= N1_BOUND_COUNT) {
        return "unknown";
    }
    return names[b];
}

const char *n1_confidence_name(enum n1_confidence c)
{
    switch (c) {
    case N1_CONF_LOW:
        return "low";
    case N1_CONF_MEDIUM:
        return "medium";
    case N1_CONF_HIGH:
        return "high";
    }
    return "unknown";
}

/* Bump allocator over the single block of a copy. */
struct arena {
    char *p;
    size_t left;
};

static size_t str_size(const char *s)
{
    return s != NULL ? strlen(s) + 1 : 0;
}

static const char *put_str(struct arena *a, const char *s)
{
    size_t n = str_size(s);
    char *d = a->p;

    if (s == NULL) {
        return NULL;
    }
    memcpy(d, s, n);
    a->p += n;
    a->left -= n;
    return d;
}

static void *put_raw(struct arena *a, const void *src, size_t n)
{
    void *d = a->p;

    if (n == 0) {
        return NULL;
    }
    memcpy(d, src, n);
    a->p += n;
    a->left -= n;
    return d;
}

struct n1_finding *n1_finding_dup(const struct n1_finding *f)
{
    struct n1_finding *c = NULL;
    struct arena a;
    size_t sz = sizeof(*c);
    const char **keys = NULL;
    const char **kv = NULL;
    struct n1_kv *tags = NULL;

    /* Arrays of pointers and ids first (aligned), strings after. */
    sz += f->n_key_columns * sizeof(char *);
    sz += f->n_keys * sizeof(char *);
    sz += f->n_tags * sizeof(struct n1_kv);
    sz += f->n_connections * sizeof(uint64_t);
    sz += f->evidence.n_body * sizeof(uint64_t);
    for (size_t i = 0; i < f->n_key_columns; i++) {
        sz += str_size(f->key_columns[i]);
    }
    for (size_t i = 0; i < f->n_keys; i++) {
        sz += str_size(f->keys[i]);
    }
    for (size_t i = 0; i < f->n_tags; i++) {
        sz += str_size(f->tags[i].key) + str_size(f->tags[i].value);
    }
    sz += str_size(f->statement) + str_size(f->table) +
          str_size(f->fingerprint_text) + str_size(f->sample) +
          str_size(f->parent_table) + str_size(f->parent_sql) +
          str_size(f->location) + str_size(f->rewrite) +
          str_size(f->rewrite_kind) + str_size(f->advice) + str_size(f->file);
    c = malloc(sz);
    if (c == NULL) {
        return NULL;
    }
    *c = *f; /* every scalar (counts, round_trips_saved, times) */
    a.p = (char *)(c + 1);
    a.left = sz - sizeof(*c);
    if (f->n_key_columns > 0) {
        keys = (const char **)(void *)a.p;
        a.p += f->n_key_columns * sizeof(char *);
    }
    if (f->n_keys > 0) {
        kv = (const char **)(void *)a.p;
        a.p += f->n_keys * sizeof(char *);
    }
    if (f->n_tags > 0) {
        tags = (struct n1_kv *)(void *)a.p;
        a.p += f->n_tags * sizeof(struct n1_kv);
    }
    c->connections =
        put_raw(&a, f->connections, f->n_connections * sizeof(uint64_t));
    c->evidence.body =
        put_raw(&a, f->evidence.body, f->evidence.n_body * sizeof(uint64_t));
    for (size_t i = 0; i < f->n_key_columns; i++) {
        keys[i] = put_str(&a, f->key_columns[i]);
    }
    for (size_t i = 0; i < f->n_keys; i++) {
        kv[i] = put_str(&a, f->keys[i]);
    }
    for (size_t i = 0; i < f->n_tags; i++) {
        tags[i].key = put_str(&a, f->tags[i].key);
        tags[i].value = put_str(&a, f->tags[i].value);
    }
    c->key_columns = (const char *const *)keys;
    c->keys = f->n_keys > 0 ? (const char *const *)kv : NULL;
    c->tags = tags;
    c->statement = put_str(&a, f->statement);
    c->table = put_str(&a, f->table);
    c->fingerprint_text = put_str(&a, f->fingerprint_text);
    c->sample = put_str(&a, f->sample);
    c->parent_table = put_str(&a, f->parent_table);
    c->parent_sql = put_str(&a, f->parent_sql);
    c->location = put_str(&a, f->location);
    c->rewrite = put_str(&a, f->rewrite);
    c->rewrite_kind = put_str(&a, f->rewrite_kind);
    c->advice = put_str(&a, f->advice);
    c->file = put_str(&a, f->file);
    return c;
}

void n1_finding_free(struct n1_finding *f)
{
    free(f);
}
