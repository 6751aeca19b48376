/* SPDX-License-Identifier: MIT */
/*
 * report_digest_int.h: what report_digest.c (the ranking pass and the
 * text form) and report_digest_json.c (the JSON form) share. Not public.
 */
#ifndef N1_REPORT_DIGEST_INT_H
#define N1_REPORT_DIGEST_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/error.h"
#include "report/digest.h"
#include "stats/aggregate.h"
#include "store/store.h"

/* A metric of the report, with pt-query-digest's 12-column label. */
struct n1_dg_metric {
    unsigned m;        /* N1_M_* or N1_AGG_QUERY_LENGTH */
    const char *label; /* as pt-query-digest prints it */
    int is_time;       /* 1: seconds (micro_t format) */
};

/* The metrics in report order, and how many there are. */
extern const struct n1_dg_metric n1_dg_metrics[];
extern const size_t n1_dg_n_metrics;

/* Names of enum n1_digest_stat ("sum" ... "cnt"). */
extern const char *const n1_dg_stat_names[];

struct rank_row {
    uint64_t id;    /* class id */
    double key;     /* the --order-by value */
    uint64_t count; /* events, the tie-breaker */
    double qt_sum;  /* total Query_time (0 without) */
    int has_qt;     /* 1 when the class has Query_time values */
};

/* What the overall pass found. */
struct digest_run {
    const struct n1_digest_opts *o; /* options */
    struct n1_agg_class tot;        /* merge of every kept class */
    struct rank_row *rows;          /* one per kept class, then sorted */
    size_t n_rows;                  /* entries used */
    size_t cap_rows;                /* entries allocated */
    int order_metric;               /* resolved metric, -1 for count */
    enum n1_digest_stat order_stat; /* resolved statistic */
};

/*
 * Where the classes come from: a store, or an aggregate read as the store
 * would hand its classes back (in the store's order, by id as a signed
 * 64-bit key, with sums rounded to doubles), so that both give the same
 * report.
 */
struct source {
    struct n1_store *st;      /* the store, or NULL */
    const struct n1_agg *agg; /* the aggregate when st is NULL */
};

/*
 * Finds class id: from a store it is loaded into *owned (initialised by
 * the caller, who cleans it), from an aggregate *view borrows it. Sets
 * *out and returns 1, 0 when there is no such class, or -1 with err set.
 */
int n1_dg_get_class(const struct source *src, uint64_t id,
                    struct n1_agg_class *owned, struct n1_agg_class *view,
                    const struct n1_agg_class **out, struct n1_error *err);

/* Called with each ranked class shown, its rank from 1. */
typedef void (*n1_dg_class_fn)(void *ud, const struct digest_run *run,
                               const struct n1_agg_class *c, size_t rank);

/*
 * Calls fn with each of the first shown ranked classes of run, loaded
 * from src one at a time (c is borrowed for the call). Returns 0, or -1
 * with err set when a class cannot be loaded.
 */
int n1_dg_each_class(const struct source *src, const struct digest_run *run,
                     size_t shown, n1_dg_class_fn fn, void *ud,
                     struct n1_error *err);

/* The error bound that applies to s's percentiles: 0 when they are exact
   (n <= 2 or all equal), else the histogram's (docs/digest.md). */
double n1_dg_quantile_bound(const struct n1_agg_stats *s);

/* A timestamp as "YYYY-MM-DD HH:MM:SS" UTC into buf of size n. */
void n1_dg_fmt_ts(int64_t us, char *buf, size_t n);

/* Queries per second, concurrency and variance-to-mean of a class, as
   pt-query-digest computes them. */
double n1_dg_qps_of(const struct n1_agg_class *c);
double n1_dg_concurrency_of(const struct n1_agg_class *c);
double n1_dg_vm_of(const struct n1_agg_class *c);

/* The item of class c ("SELECT users orders", or the group value) into
   buf of size n. */
void n1_dg_class_item(const struct digest_run *run,
                      const struct n1_agg_class *c, char *buf, size_t n);

/* The N+1 classes whose statement is class c (see n1_digest_loops_find()):
   none unless the report groups by fingerprint and has loops. */
size_t n1_dg_loops_of(const struct digest_run *run,
                      const struct n1_agg_class *c,
                      const struct n1_digest_loop **first);

/* Splits "db.t" into db and table, each NUL-terminated within its size;
   db falls back to the class's only db. */
void n1_dg_split_table(const char *name, const struct n1_agg_class *c, char *db,
                       size_t dbn, char *tbl, size_t tbln);

/* Writes the JSON report of the first shown ranked classes. Returns 0 or
   -1 with err set. */
int n1_dg_json_report(FILE *out, const struct source *src,
                      const struct digest_run *run, size_t shown,
                      struct n1_error *err);

/* Writes the HTML page of the first shown ranked classes (html_digest.c).
   Returns 0 or -1 with err set. */
int n1_dg_html_report(FILE *out, const struct source *src,
                      const struct digest_run *run, size_t shown,
                      struct n1_error *err);

#endif /* N1_REPORT_DIGEST_INT_H */
