/* SPDX-License-Identifier: MIT */
/*
 * classes.c: occurrences grouped into finding classes, and their reports.
 *
 * n1_classes_build() walks the store's findings in class order (one
 * cursor, ordered by class id then time) and folds the occurrences of one
 * class at a time into its summary: the representative occurrence (most
 * iterations), the totals, the iteration counts (kept until the class is
 * done, for the median) and its connections (for the distinct count).
 * Memory holds the summaries and one class's counts, never every
 * occurrence. The reports then read each class's occurrences back from
 * the store, in time order, as they write the class, and the JSON
 * document is written one class at a time for the same reason. The
 * verdicts of `verify` are read once, after the fold, into the classes
 * they belong to: no report asks the store for them.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/timeutil.h"
#include "report/classes.h"
#include "report/findings_int.h"
#include "report/json_int.h"

/* A growable array of 64-bit values. */
struct u64_list {
    uint64_t *v;
    size_t n;
    size_t cap;
};

static int u64_push(struct u64_list *l, uint64_t x)
{
    if (l->n == l->cap) {
        size_t cap = l->cap > 0 ? l->cap * 2 : 16;
        uint64_t *v = realloc(l->v, cap * sizeof(*v));

        if (v == NULL) {
            return -1;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = x;
    return 0;
}

static int cmp_u64(const void *pa, const void *pb)
{
    uint64_t a = *(const uint64_t *)pa;
    uint64_t b = *(const uint64_t *)pb;

    return a < b ? -1 : a > b;
}

/* The class being folded. */
struct fold {
    struct n1_finding_class c; /* its summary so far; c.f is set when done */
    struct u64_list iters;     /* count of each occurrence */
    struct u64_list conns;     /* every connection seen */
    uint64_t id;               /* the class id */
    uint64_t count;            /* executions */
    uint64_t saved;            /* round trips saved */
    double time_s;             /* summed total_time_s */
    int timed;                 /* 1: some occurrence had timings */
    int64_t first;             /* earliest first_seen */
    int64_t last;              /* latest last_seen */
    uint64_t keys;             /* most distinct keys */
    unsigned long first_line;  /* the first occurrence's line */
    char *best;                /* the representative occurrence (most
                                  iterations) as stored JSON; owned */
    size_t best_len;           /* bytes in best */
    uint64_t best_count;       /* its iterations */
};

static int evidence_known(const struct n1_evidence *e)
{
    return e->starts != N1_BOUND_NONE || e->ends != N1_BOUND_NONE ||
           e->confidence != N1_CONF_LOW || e->n_body > 0 || e->span_us > 0 ||
           e->rows_match != 0;
}

void n1_classes_row_summary(struct n1_store_finding *r,
                            const struct n1_finding *f)
{
    r->summary = 1;
    r->saved = f->round_trips_saved;
    r->keys = f->distinct_keys;
    /* As the stored JSON has it (n1_finding_to_json()). */
    r->time_s =
        isnan(f->total_time_s) ? NAN : round(f->total_time_s * 1e6) / 1e6;
    r->confidence = (int)f->evidence.confidence;
    r->starts = (int)f->evidence.starts;
    r->ends = (int)f->evidence.ends;
    r->ev_known = evidence_known(&f->evidence);
    if (f->kind == N1_FIND_FANOUT) {
        r->conns = f->connections;
        r->n_conns = f->n_connections;
    } else {
        r->conns = &f->connection;
        r->n_conns = 1;
    }
}

/* Folds occurrence o (a stored row with its summary) into x. */
static int fold_add(struct fold *x, const struct n1_store_finding *o)
{
    int rc = u64_push(&x->iters, o->count);

    for (size_t i = 0; rc == 0 && i < o->n_conns; i++) {
        rc = u64_push(&x->conns, o->conns[i]);
    }
    if (x->c.occurrences++ == 0) {
        x->c.first_file = strdup(o->file != NULL ? o->file : "");
        x->first_line = o->line;
        rc = x->c.first_file == NULL ? -1 : rc;
    }
    x->count += o->count;
    x->saved += o->saved;
    if (!isnan(o->time_s)) {
        x->time_s += o->time_s;
        x->timed = 1;
    }
    if (o->first_seen_us != N1_TS_NONE &&
        (x->first == N1_TS_NONE || o->first_seen_us < x->first)) {
        x->first = o->first_seen_us;
    }
    if (o->last_seen_us != N1_TS_NONE &&
        (x->last == N1_TS_NONE || o->last_seen_us > x->last)) {
        x->last = o->last_seen_us;
    }
    x->keys = o->keys > x->keys ? o->keys : x->keys;
    if (o->confidence >= N1_CONF_LOW && o->confidence <= N1_CONF_HIGH) {
        x->c.by_confidence[o->confidence]++;
    }
    x->c.starts |=
        o->starts >= 0 && o->starts < N1_BOUND_COUNT ? 1u << o->starts : 0;
    x->c.ends |= o->ends >= 0 && o->ends < N1_BOUND_COUNT ? 1u << o->ends : 0;
    x->c.confidence_known |= (unsigned)(o->ev_known != 0);
    if (rc == 0 && (x->best == NULL || o->count > x->best_count)) {
        char *copy = malloc(o->json_len + 1);

        if (copy == NULL) {
            return -1;
        }
        memcpy(copy, o->json, o->json_len);
        copy[o->json_len] = '\0';
        free(x->best);
        x->best = copy;
        x->best_len = o->json_len;
        x->best_count = o->count;
    }
    return rc;
}

/* Reads the representative, writes the totals over it and appends the
   class. Returns 0, or -1 with err set. */
static int fold_done(struct fold *x, struct n1_class_set *out,
                     struct n1_error *err)
{
    struct n1_finding_class *v;
    struct n1_finding *f = n1_finding_from_json(x->best, x->best_len, err);
    size_t distinct = 0;

    if (f == NULL) {
        return -1;
    }
    f->id = x->id;
    x->c.f = f;
    qsort(x->iters.v, x->iters.n, sizeof(uint64_t), cmp_u64);
    qsort(x->conns.v, x->conns.n, sizeof(uint64_t), cmp_u64);
    for (size_t i = 0; i < x->conns.n; i++) {
        distinct += i == 0 || x->conns.v[i] != x->conns.v[i - 1];
    }
    x->c.iter_min = x->iters.v[0];
    x->c.iter_median = x->iters.v[(x->iters.n - 1) / 2];
    x->c.iter_max = x->iters.v[x->iters.n - 1];
    x->c.connections = distinct;
    f->count = x->count;
    f->round_trips_saved = x->saved;
    f->total_time_s = x->timed ? x->time_s : NAN;
    f->first_seen_us = x->first;
    f->last_seen_us = x->last;
    f->distinct_keys = x->keys;
    f->file = x->c.first_file;
    f->line = x->first_line;
    v = realloc(out->v, (out->n + 1) * sizeof(*v));
    if (v == NULL) {
        n1_err_oom(err, "grouping findings into classes");
        return -1;
    }
    out->v = v;
    out->v[out->n++] = x->c;
    memset(&x->c, 0, sizeof(x->c));
    return 0;
}

/* Empties x for the next class (what it owns is freed). */
static void fold_reset(struct fold *x)
{
    n1_finding_free(x->c.f);
    free(x->c.first_file);
    free(x->best);
    memset(&x->c, 0, sizeof(x->c));
    x->iters.n = 0;
    x->conns.n = 0;
    x->count = 0;
    x->saved = 0;
    x->time_s = 0;
    x->timed = 0;
    x->first = N1_TS_NONE;
    x->last = N1_TS_NONE;
    x->keys = 0;
    x->first_line = 0;
    x->best = NULL;
    x->best_len = 0;
    x->best_count = 0;
}

/* Which occurrences a class keeps: keep, else keep_file, else all. */
struct filter {
    n1_occ_keep_fn keep;
    n1_occ_keep_file_fn keep_file;
    void *ud;
};

/*
 * Sets *o to row as the summaries and reports read it and returns 1, 0
 * when k drops it, or -1 with err set. A row without its summary columns
 * or stored occurrence, any row under k->keep, and any row when need_f is
 * set, is parsed: *f then gets the finding (the caller frees it), else
 * NULL.
 */
static int occ_view(const struct filter *k, const struct n1_store_finding *row,
                    int need_f, struct n1_store_finding *o,
                    struct n1_finding **f, struct n1_error *err)
{
    *o = *row;
    *f = NULL;
    if (k->keep == NULL && k->keep_file != NULL &&
        !k->keep_file(k->ud, row->file)) {
        return 0;
    }
    if (row->summary && row->occ != NULL && k->keep == NULL && !need_f) {
        return 1;
    }
    *f = n1_finding_from_json(row->json, row->json_len, err);
    if (*f == NULL) {
        return -1;
    }
    (*f)->id = row->id;
    if (k->keep != NULL && !k->keep(k->ud, *f)) {
        n1_finding_free(*f);
        *f = NULL;
        return 0;
    }
    n1_classes_row_summary(o, *f);
    o->file = (*f)->file;
    o->line = (*f)->line;
    o->first_seen_us = (*f)->first_seen_us;
    o->last_seen_us = (*f)->last_seen_us;
    o->count = (*f)->count;
    return 1;
}

/* Folds one stored row into x, closing the class before when the row
   starts another. Returns 0, or -1 with err set. */
static int fold_row(struct fold *x, const struct n1_store_finding *row,
                    const struct filter *k, struct n1_class_set *out,
                    struct n1_error *err)
{
    struct n1_store_finding o;
    struct n1_finding *f = NULL;
    int rc = occ_view(k, row, 0, &o, &f, err);

    if (rc <= 0) {
        return rc;
    }
    rc = 0;
    if (x->c.occurrences > 0 && row->id != x->id) {
        rc = fold_done(x, out, err);
        fold_reset(x);
    }
    x->id = row->id;
    if (rc == 0 && fold_add(x, &o) != 0) {
        n1_err_oom(err, "grouping findings into classes");
        rc = -1;
    }
    n1_finding_free(f);
    return rc;
}

static int build(struct n1_store *st, const struct filter *k,
                 struct n1_class_set *out, struct n1_error *err)
{
    struct n1_store_cursor *cur = NULL;
    const struct n1_store_finding *row;
    struct fold x;
    int got;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    memset(&x, 0, sizeof(x));
    fold_reset(&x);
    cur = n1_store_findings_by_class(st, NULL, err);
    if (cur == NULL) {
        return -1;
    }
    while ((got = n1_store_next_finding(cur, &row, err)) == 1) {
        if (fold_row(&x, row, k, out, err) != 0) {
            goto out;
        }
    }
    if (got < 0) {
        goto out;
    }
    if (x.c.occurrences > 0 && fold_done(&x, out, err) != 0) {
        goto out;
    }
    rc = n1_classes_add_verdicts(out, st, err);

out:
    n1_store_cursor_free(cur);
    fold_reset(&x);
    free(x.iters.v);
    free(x.conns.v);
    if (rc != 0) {
        n1_classes_free(out);
    }
    return rc;
}

int n1_classes_build(struct n1_store *st, n1_occ_keep_fn keep, void *ud,
                     struct n1_class_set *out, struct n1_error *err)
{
    struct filter k = {keep, NULL, ud};

    return build(st, &k, out, err);
}

int n1_classes_build_by_file(struct n1_store *st, n1_occ_keep_file_fn keep_file,
                             void *ud, struct n1_class_set *out,
                             struct n1_error *err)
{
    struct filter k = {NULL, keep_file, ud};

    return build(st, &k, out, err);
}

/* The verdicts of a store, sorted by id for n1_classes_add_verdicts(). */
struct verdict_list {
    struct n1_store_verdict *v;
    size_t n;
    size_t cap;
    int oom; /* 1: one could not be kept */
};

static int keep_verdict(void *ud, const struct n1_store_verdict *v)
{
    struct verdict_list *l = ud;

    if (l->n == l->cap) {
        size_t cap = l->cap > 0 ? l->cap * 2 : 16;
        struct n1_store_verdict *a = realloc(l->v, cap * sizeof(*a));

        if (a == NULL) {
            l->oom = 1;
            return 1;
        }
        l->v = a;
        l->cap = cap;
    }
    l->v[l->n++] = *v;
    return 0;
}

static int cmp_verdict(const void *pa, const void *pb)
{
    uint64_t a = ((const struct n1_store_verdict *)pa)->id;
    uint64_t b = ((const struct n1_store_verdict *)pb)->id;

    return a < b ? -1 : a > b;
}

int n1_classes_add_verdicts(struct n1_class_set *set, struct n1_store *st,
                            struct n1_error *err)
{
    struct verdict_list l = {NULL, 0, 0, 0};
    int rc = -1;

    if (n1_store_verdict_each(st, keep_verdict, &l, err) != 0) {
        goto out;
    }
    if (l.oom) {
        n1_err_oom(err, "reading the verdicts");
        goto out;
    }
    if (l.n > 1) {
        qsort(l.v, l.n, sizeof(*l.v), cmp_verdict);
    }
    for (size_t i = 0; i < set->n && l.n > 0; i++) {
        struct n1_store_verdict key;
        struct n1_store_verdict *v;

        key.id = set->v[i].f->id;
        v = bsearch(&key, l.v, l.n, sizeof(*l.v), cmp_verdict);
        if (v == NULL) {
            continue;
        }
        if (set->v[i].verdict == NULL) {
            set->v[i].verdict = malloc(sizeof(*v));
        }
        if (set->v[i].verdict == NULL) {
            n1_err_oom(err, "keeping a verdict");
            goto out;
        }
        *set->v[i].verdict = *v;
    }
    rc = 0;

out:
    free(l.v);
    return rc;
}

static int cmp_class(const void *pa, const void *pb)
{
    const struct n1_finding *a = ((const struct n1_finding_class *)pa)->f;
    const struct n1_finding *b = ((const struct n1_finding_class *)pb)->f;
    double ca = n1_finding_cost(a, NULL);
    double cb = n1_finding_cost(b, NULL);

    if (ca != cb) {
        return ca > cb ? -1 : 1;
    }
    if (a->count != b->count) {
        return a->count > b->count ? -1 : 1;
    }
    return a->id < b->id ? -1 : a->id > b->id;
}

void n1_classes_rank(struct n1_class_set *set)
{
    if (set->n > 1) {
        qsort(set->v, set->n, sizeof(*set->v), cmp_class);
    }
}

static void class_cleanup(struct n1_finding_class *c)
{
    n1_finding_free(c->f);
    free(c->first_file);
    free(c->verdict);
    memset(c, 0, sizeof(*c));
}

void n1_classes_truncate(struct n1_class_set *set, size_t n)
{
    while (n > 0 && set->n > n) {
        class_cleanup(&set->v[--set->n]);
    }
}

void n1_classes_remove(struct n1_class_set *set, size_t i)
{
    class_cleanup(&set->v[i]);
    memmove(&set->v[i], &set->v[i + 1], (set->n - i - 1) * sizeof(*set->v));
    set->n--;
}

void n1_classes_free(struct n1_class_set *set)
{
    if (set == NULL) {
        return;
    }
    for (size_t i = 0; i < set->n; i++) {
        class_cleanup(&set->v[i]);
    }
    free(set->v);
    memset(set, 0, sizeof(*set));
}

/* ---- reading one class's occurrences back ------------------------------ */

/* Called by each_row() with an occurrence as the store row o and, when
   it was parsed, as the finding f (else NULL). Returns as n1_occ_fn. */
typedef int (*row_fn)(void *ud, const struct n1_store_finding *o,
                      const struct n1_finding *f, struct n1_error *err);

/*
 * Calls fn for each occurrence of class id that r's filter accepts, in
 * time order, parsing the stored finding only when need_f is set or
 * occ_view() must. Returns 0, what fn returned when below 0 (-2: the
 * output failed, err not set), or -1 with err set.
 */
static int each_row(const struct n1_class_report *r, uint64_t id, int need_f,
                    row_fn fn, void *ud, struct n1_error *err)
{
    struct n1_store_cursor *cur = n1_store_findings_by_class(r->st, &id, err);
    const struct filter k = {r->keep, r->keep_file, r->keep_ud};
    const struct n1_store_finding *row;
    int got = 0;
    int rc = 0;

    if (cur == NULL) {
        return -1;
    }
    while (rc == 0 && (got = n1_store_next_finding(cur, &row, err)) == 1) {
        struct n1_store_finding o;
        struct n1_finding *f = NULL;

        rc = occ_view(&k, row, need_f, &o, &f, err);
        rc = rc == 1 ? fn(ud, &o, f, err) : rc;
        n1_finding_free(f);
    }
    if (rc == 0 && got < 0) {
        rc = -1;
    }
    n1_store_cursor_free(cur);
    return rc < 0 ? rc : 0;
}

/* What n1_classes_each_occurrence() calls each_row() with. */
struct occ_call {
    n1_occ_fn fn;
    void *ud;
};

static int occ_call(void *ud, const struct n1_store_finding *o,
                    const struct n1_finding *f, struct n1_error *err)
{
    const struct occ_call *c = ud;

    (void)o;
    return c->fn(c->ud, f, err);
}

int n1_classes_each_occurrence(const struct n1_class_report *r, uint64_t id,
                               n1_occ_fn fn, void *ud, struct n1_error *err)
{
    struct occ_call c = {fn, ud};

    return each_row(r, id, 1, occ_call, &c, err) < 0 ? -1 : 0;
}

/* ---- JSON -------------------------------------------------------------- */

/* The members of one entry of a class's "occurrences", in their order. */
static const enum n1_rf_member occurrence_members[] = {
    N1_RF_CONNECTION, N1_RF_FILE,          N1_RF_LINE,
    N1_RF_COUNT,      N1_RF_DISTINCT_KEYS, N1_RF_ROUND_TRIPS_SAVED,
    N1_RF_FIRST_SEEN, N1_RF_LAST_SEEN,     N1_RF_TOTAL_TIME_S,
    N1_RF_REWRITE,    N1_RF_REWRITE_KIND,  N1_RF_KEYS,
    N1_RF_EVIDENCE,
};

/* The members a class shares with its occurrences, in their order, into
   m (N1_RF_MEMBERS entries): all but the connections, "class" and the
   evidence, which are each occurrence's own. Returns how many. */
static size_t class_members(enum n1_rf_member *m)
{
    size_t n = 0;

    for (int i = 0; i < N1_RF_MEMBERS; i++) {
        if (i != N1_RF_CONNECTION && i != N1_RF_CLASS && i != N1_RF_EVIDENCE) {
            m[n++] = (enum n1_rf_member)i;
        }
    }
    return n;
}

/* An occurrence's text: pretty, at the depth of "occurrences" (8). */
#define OCCURRENCE_INDENT 8

/* An occurrence's text alone (see n1_classes_occurrence_text()). */
static char *occurrence_text(const struct n1_finding *f)
{
    return n1_rf_members_text(f, occurrence_members,
                              sizeof(occurrence_members) /
                                  sizeof(occurrence_members[0]),
                              OCCURRENCE_INDENT);
}

char *n1_classes_occurrence_text(const struct n1_finding *f)
{
    char *json = NULL;
    char *occ = NULL;
    struct n1_error err;

    /* A finding whose stored JSON cannot be written (a real that is not
       finite, e.g. the parent's Rows_sent) has no occurrence text either,
       even when that member is not in the occurrence. Only findings of
       stores older than the occurrence texts come here. */
    if (n1_classes_finding_texts(f, &json, &occ, &err) != 0) {
        return NULL;
    }
    free(json);
    return occ;
}

int n1_classes_finding_texts(const struct n1_finding *f, char **json,
                             char **occ, struct n1_error *err)
{
    *json = n1_rf_members_text(f, NULL, N1_RF_MEMBERS, -1);
    *occ = *json != NULL ? occurrence_text(f) : NULL;
    if (*occ == NULL) {
        free(*json);
        *json = NULL;
        n1_err_oom(err, "rendering a finding");
        return -1;
    }
    return 0;
}

/* The names of the boundaries whose bits are set in mask. */
static json_t *boundary_names(unsigned mask, int *bad)
{
    json_t *a = json_array();

    for (int b = 0; b < N1_BOUND_COUNT; b++) {
        if (mask & (1u << b)) {
            n1_rj_push(a, json_string(n1_boundary_name((enum n1_boundary)b)),
                       bad);
        }
    }
    return a;
}

/* A class's own members (everything but "occurrences"). */
static json_t *class_object(const struct n1_finding_class *c)
{
    enum n1_rf_member m[N1_RF_MEMBERS];
    json_t *o = n1_rf_members_object(c->f, m, class_members(m));
    json_t *it = json_object();
    json_t *ev = json_object();
    json_t *conf = json_object();
    int bad = o == NULL;

    n1_rj_put(o, "occurrence_count", json_integer((json_int_t)c->occurrences),
              &bad);
    n1_rj_put(it, "min", json_integer((json_int_t)c->iter_min), &bad);
    n1_rj_put(it, "median", json_integer((json_int_t)c->iter_median), &bad);
    n1_rj_put(it, "max", json_integer((json_int_t)c->iter_max), &bad);
    n1_rj_put(o, "iterations", it, &bad);
    n1_rj_put(o, "connection_count", json_integer((json_int_t)c->connections),
              &bad);
    for (int k = N1_CONF_HIGH; k >= N1_CONF_LOW; k--) {
        n1_rj_put(conf, n1_confidence_name((enum n1_confidence)k),
                  json_integer((json_int_t)c->by_confidence[k]), &bad);
    }
    n1_rj_put(ev, "confidence", conf, &bad);
    n1_rj_put(ev, "starts", boundary_names(c->starts, &bad), &bad);
    n1_rj_put(ev, "ends", boundary_names(c->ends, &bad), &bad);
    n1_rj_put(o, "evidence", ev, &bad);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Streams one class's occurrences into its "occurrences" array. */
struct json_occ {
    FILE *out;
    size_t n; /* written so far */
};

/* Writes one occurrence's text (n1_classes_occurrence_text()). */
static int json_occ_text(struct json_occ *j, const char *text)
{
    if (fputs(j->n++ > 0 ? ",\n        " : "\n        ", j->out) == EOF ||
        fputs(text, j->out) == EOF) {
        return -2;
    }
    return 0;
}

/* Writes one occurrence: as stored when it is, else rendered from f. */
static int json_occ(void *ud, const struct n1_store_finding *o,
                    const struct n1_finding *f, struct n1_error *err)
{
    char *text = NULL;
    int rc;

    if (f == NULL) {
        return json_occ_text(ud, o->occ);
    }
    text = n1_classes_occurrence_text(f);
    if (text == NULL) {
        n1_err_oom(err, "rendering an occurrence");
        return -1;
    }
    rc = json_occ_text(ud, text);
    free(text);
    return rc;
}

/*
 * Writes one class at depth 4: its members dumped as an object whose
 * closing brace is held back, then "occurrences" streamed from the store.
 */
static int json_class(FILE *out, const struct n1_finding_class *c,
                      const struct n1_class_report *r, struct n1_error *err)
{
    json_t *o = class_object(c);
    char *text = NULL;
    struct json_occ j = {out, 0};
    size_t len;
    int rc = -1;

    if (o != NULL && c->verdict != NULL &&
        json_object_set_new(o, "verification",
                            n1_rf_verdict_object(c->verdict)) != 0) {
        json_decref(o);
        o = NULL;
    }
    text = o != NULL ? n1_rj_dumps(o, N1_RF_DUMP_PRETTY) : NULL;
    json_decref(o);
    if (text == NULL) {
        n1_err_oom(err, "rendering a class");
        return -1;
    }
    /* text ends with "\n}": drop both, write the rest at depth 4. */
    len = strlen(text);
    text[len >= 2 ? len - 2 : 0] = '\0';
    for (char *p = text; *p != '\0'; p++) {
        fputc(*p, out);
        if (*p == '\n') {
            fputs("    ", out);
        }
    }
    fputs(",\n      \"occurrences\": [", out);
    rc = each_row(r, c->f->id, 0, json_occ, &j, err);
    if (rc == -2) {
        n1_err_set(err, N1_ESYS, NULL, 0, "writing the report: output failed");
    }
    if (rc != 0) {
        rc = -1;
        goto out;
    }
    fputs(j.n > 0 ? "\n      ]\n    }" : "]\n    }", out);
    rc = 0;

out:
    free(text);
    return rc;
}

int n1_report_classes_json(FILE *out, const struct n1_class_set *set,
                           const struct n1_class_report *r,
                           struct n1_error *err)
{
    json_t *tool = n1_rf_tool();
    json_t *inputs = n1_rf_inputs(r->in, r->n_in);
    int rc = 0;
    int ret = -1;

    if (tool == NULL || inputs == NULL) {
        n1_err_oom(err, "rendering the classes");
        goto out;
    }
    rc |= fputs("{\n  \"tool\": ", out) == EOF ? -1 : 0;
    rc = rc != 0 ? rc : n1_rf_dump_nested(out, tool, 2);
    rc |= rc == 0 && fputs(",\n  \"inputs\": ", out) == EOF ? -1 : 0;
    rc = rc != 0 ? rc : n1_rf_dump_nested(out, inputs, 2);
    rc |= rc == 0 && fputs(",\n  \"classes\": [", out) == EOF ? -1 : 0;
    for (size_t i = 0; i < set->n && rc == 0; i++) {
        fputs(i > 0 ? ",\n    " : "\n    ", out);
        if (json_class(out, &set->v[i], r, err) != 0) {
            goto out;
        }
    }
    if (rc == 0 && fputs(set->n > 0 ? "\n  ]\n}\n" : "]\n}\n", out) == EOF) {
        rc = -1;
    }
    if (rc > 0) {
        n1_err_oom(err, "rendering the classes");
        goto out;
    }
    if (rc < 0 || fflush(out) != 0 || ferror(out)) {
        n1_err_set(err, N1_ESYS, NULL, 0, "writing the report: output failed");
        goto out;
    }
    ret = 0;

out:
    json_decref(tool);
    json_decref(inputs);
    return ret;
}

/* ---- text -------------------------------------------------------------- */

/* What the occurrence lines of one class need. */
struct text_occ {
    FILE *out;
    size_t max;    /* lines to list; 0: all */
    size_t listed; /* lines written */
    size_t more;   /* occurrences not listed */
};

/* "      - conn 41, 40 times, app.log:9, 2026-...Z, high": the file is
   shortened so that the line fits. */
static int text_occ(void *ud, const struct n1_store_finding *o,
                    const struct n1_finding *f, struct n1_error *err)
{
    int fanout = strcmp(o->kind, n1_finding_kind_name(N1_FIND_FANOUT)) == 0;
    struct text_occ *t = ud;
    char ts[N1_TS_ISO_MAX];
    char head[96];
    char ln[24];
    char tail[N1_TS_ISO_MAX + 32] = "";
    size_t used;

    (void)f;
    (void)err;
    if (t->max > 0 && t->listed == t->max) {
        t->more++;
        return 0;
    }
    t->listed++;
    if (fanout) {
        snprintf(head, sizeof(head),
                 "      - %zu connections, %" PRIu64 " times, ", o->n_conns,
                 o->count);
    } else {
        snprintf(head, sizeof(head),
                 "      - conn %" PRIu64 ", %" PRIu64 " times, ",
                 o->n_conns > 0 ? o->conns[0] : 0, o->count);
    }
    snprintf(ln, sizeof(ln), ":%lu", o->line);
    if (o->first_seen_us != N1_TS_NONE) {
        n1_rf_iso_time(o->first_seen_us, ts);
        snprintf(tail, sizeof(tail), ", %s", ts);
    }
    if (o->ev_known) {
        used = strlen(tail);
        snprintf(tail + used, sizeof(tail) - used, ", %s",
                 n1_confidence_name((enum n1_confidence)o->confidence));
    }
    used = strlen(head) + strlen(ln) + strlen(tail);
    fputs(head, t->out);
    n1_rf_put_path(t->out, o->file != NULL ? o->file : "",
                   used + 12 < N1_RF_TEXT_COLUMNS ? N1_RF_TEXT_COLUMNS - used
                                                  : 12);
    fprintf(t->out, "%s%s\n", ln, tail);
    return 0;
}

/* The class summary of a text block (n1_rf_class_text.summary). */
struct text_summary {
    const struct n1_finding_class *c;
    const struct n1_class_report *r;
    struct n1_error *err; /* where a failed read of the occurrences goes */
    int failed;           /* 1: it failed */
};

static void text_summary(FILE *out, void *ud)
{
    struct text_summary *s = ud;
    const struct n1_finding_class *c = s->c;
    struct text_occ t = {out, s->r->max_listed, 0, 0};
    char verdict[N1_RF_VERDICT_MAX];

    fprintf(out,
            "    occurrences %zu; iterations %" PRIu64 " min, %" PRIu64
            " median, %" PRIu64 " max\n",
            c->occurrences, c->iter_min, c->iter_median, c->iter_max);
    if (c->confidence_known) {
        fprintf(out, "    confidence  high %zu, medium %zu, low %zu\n",
                c->by_confidence[N1_CONF_HIGH],
                c->by_confidence[N1_CONF_MEDIUM],
                c->by_confidence[N1_CONF_LOW]);
    }
    if (c->verdict != NULL) {
        n1_rf_verdict_text(c->verdict, 1, verdict, sizeof(verdict));
        fputs("    verify      ", out);
        n1_rf_put_clean(out, verdict, 0);
        fputc('\n', out);
    }
    if (c->occurrences < 2) {
        return;
    }
    if (each_row(s->r, c->f->id, 0, text_occ, &t, s->err) != 0) {
        s->failed = 1;
    }
    if (t.more > 0) {
        fprintf(out, "      ... %zu more (--full lists every one)\n", t.more);
    }
}

int n1_report_classes_text(FILE *out, const struct n1_class_set *set,
                           const struct n1_class_report *r,
                           struct n1_error *err)
{
    size_t per_kind[N1_FIND_KIND_COUNT] = {0};

    for (size_t i = 0; i < set->n; i++) {
        if (set->v[i].f->kind < N1_FIND_KIND_COUNT) {
            per_kind[set->v[i].f->kind]++;
        }
    }
    n1_rf_text_header(out, set->n, per_kind, r->n_in);
    for (size_t i = 0; i < set->n; i++) {
        struct text_summary s = {&set->v[i], r, err, 0};
        struct n1_rf_class_text x = {text_summary, &s,
                                     set->v[i].occurrences > 1,
                                     set->v[i].connections, r->full};

        n1_rf_text_finding(out, i + 1, set->v[i].f, &x);
        if (s.failed) {
            return -1;
        }
    }
    return n1_rf_text_footer(out, set->n, r->in, r->n_in, err);
}
