/* SPDX-License-Identifier: MIT */
/*
 * report_digest.h: the digest report (pt-query-digest's layout) of the
 * classes in a store, as text or JSON.
 *
 * The report has three parts: the overall statistics of every class, a
 * profile ranking the classes, and a detail block per ranked class. All
 * numbers come from the store (sums, extrema and sums of squares exact,
 * percentiles from its histograms); docs/digest.md defines each field.
 * Memory is bounded by the number of classes times a small row, plus the
 * classes shown: the ranking pass keeps ids and keys only, and each shown
 * class is loaded again by id.
 */
#ifndef N1_REPORT_DIGEST_H
#define N1_REPORT_DIGEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/error.h"
#include "stats/aggregate.h"

struct n1_store;

enum n1_digest_format {
    N1_DIGEST_TEXT = 0, /* pt-query-digest style, 80 columns */
    N1_DIGEST_JSON      /* one JSON document */
};

/* The statistic of a metric the profile is ranked by. */
enum n1_digest_stat {
    N1_DIGEST_SUM = 0, /* total */
    N1_DIGEST_MIN,     /* smallest value */
    N1_DIGEST_MAX,     /* largest value */
    N1_DIGEST_AVG,     /* mean */
    N1_DIGEST_CNT      /* number of events (the metric is ignored) */
};

/*
 * Decides whether a stored class is in the report: returns 1 to include
 * it, 0 to leave it out, or -1 with err set when the stored data cannot
 * answer exactly (the report then fails rather than print wrong numbers).
 */
typedef int (*n1_digest_class_filter)(void *ud, const struct n1_agg_class *c,
                                      struct n1_error *err);

/* The statement of one N+1 class: a fingerprint and the class's id. */
struct n1_digest_loop {
    uint64_t fingerprint; /* fingerprint id of the loop's statement */
    uint64_t id;          /* class id of the N+1 finding */
};

/*
 * The N+1 classes known for a digest, sorted by fingerprint then class
 * id without repeats once n1_digest_loops_sort() ran. Zero it to start;
 * n1_digest_loops_cleanup() frees it.
 */
struct n1_digest_loops {
    struct n1_digest_loop *v; /* owned */
    size_t n;                 /* entries used */
    size_t cap;               /* entries allocated */
};

/*
 * The EXPLAIN of a shown class's sample (digest --explain): sets *lines
 * to the lines to print under the class and returns how many; they are
 * borrowed until the next call. Never fails (a failure is a line).
 */
typedef size_t (*n1_digest_explain_fn)(void *ud, const struct n1_agg_class *c,
                                       const char *const **lines);

struct n1_digest_opts {
    enum n1_digest_format format;   /* text or JSON */
    int order_metric;               /* N1_M_* / N1_AGG_QUERY_LENGTH; -1:
                                       Query_time, or count when no class
                                       has a Query_time (general logs) */
    enum n1_digest_stat order_stat; /* statistic of order_metric */
    size_t limit;                   /* classes ranked and detailed; 0: all */
    const char *group_by;           /* "fingerprint", "db", "user", "host";
                                       NULL: "fingerprint" */
    const char *const *inputs;      /* logs read this run (for the header);
                                       borrowed, may be NULL */
    size_t n_inputs;                /* entries in inputs */
    const char *store_path;         /* shown in the header; may be NULL */
    n1_digest_class_filter filter;  /* NULL: every class */
    void *filter_ud;                /* passed to filter */
    const struct n1_digest_loops *loops; /* sorted; a fingerprint listed
                                            is marked as the statement of
                                            those N+1 classes. NULL: none
                                            (and none for other groupings
                                            than fingerprint) */
    n1_digest_explain_fn explain;        /* NULL: no EXPLAIN section */
    void *explain_ud;                    /* passed to explain */
};

/* Fills *o with defaults: text, ranked by total Query_time, limit 10. */
void n1_digest_opts_init(struct n1_digest_opts *o);

/*
 * Parses an --order-by value "ATTRIBUTE:STAT" (Query_time:sum, cnt, ...;
 * attribute names as n1_agg_metric_name() spells them, any case; a bare
 * STAT means Query_time) into o's order fields. Returns 0, or -1 with err
 * set (N1_EUSAGE) and o unchanged.
 */
int n1_digest_parse_order(const char *s, struct n1_digest_opts *o,
                          struct n1_error *err);

/*
 * pt-query-digest's 95th percentile of a metric: the value of rank
 * floor(0.95 n) (rank n when n < 10), the maximum when n <= 2 or all
 * values are equal. From the histogram, so within its error bound of the
 * exact value; integer metrics (is_int) come out exact while the bound is
 * below half a unit.
 */
double n1_digest_pct95(const struct n1_agg_stats *s, int is_int);

/*
 * pt-query-digest's median: the value of rank floor(n / 2) + 1, the mean
 * of the two when n == 2, the value when all are equal. Same accuracy as
 * n1_digest_pct95().
 */
double n1_digest_median(const struct n1_agg_stats *s, int is_int);

/*
 * Adds the pair (fingerprint, id) to l. Returns 0, or -1 with err set
 * (out of memory; l is unchanged).
 */
int n1_digest_loops_add(struct n1_digest_loops *l, uint64_t fingerprint,
                        uint64_t id, struct n1_error *err);

/* Sorts l by fingerprint then id and drops repeated pairs. */
void n1_digest_loops_sort(struct n1_digest_loops *l);

/*
 * Adds the fingerprint and class of every N+1 finding st holds (saved by
 * `analyze`, `check` or `tail`) to l, then sorts it. Returns 0, or -1
 * with err set.
 */
int n1_digest_loops_from_store(struct n1_digest_loops *l, struct n1_store *st,
                               struct n1_error *err);

/*
 * The N+1 classes whose statement is fingerprint: sets *first to the
 * first of them in sorted l (NULL allowed: none) and returns how many.
 */
size_t n1_digest_loops_find(const struct n1_digest_loops *l,
                            uint64_t fingerprint,
                            const struct n1_digest_loop **first);

/* Frees what l owns and zeroes it. NULL allowed. */
void n1_digest_loops_cleanup(struct n1_digest_loops *l);

/*
 * Writes the report on the classes of st to out. Returns 0, or -1 with
 * err set: N1_ESTORE for the store, N1_ESYS when out fails, whatever the
 * filter set.
 */
int n1_report_digest(struct n1_store *st, const struct n1_digest_opts *o,
                     FILE *out, struct n1_error *err);

/*
 * Writes the same report on the classes of agg, read as a store holding
 * them would give them back (n1_agg_absorb() leaves an aggregate in that
 * state): for a run whose classes never went into a store.
 */
int n1_report_digest_agg(const struct n1_agg *agg,
                         const struct n1_digest_opts *o, FILE *out,
                         struct n1_error *err);

#endif /* N1_REPORT_DIGEST_H */
