/* SPDX-License-Identifier: MIT */
/*
 * report_digest.h: the digest report (pt-query-digest's layout) of the
 * classes in a store, as text, JSON or HTML.
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
    N1_DIGEST_JSON,     /* one JSON document */
    N1_DIGEST_HTML      /* one self-contained HTML page (html_digest.c) */
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

/* Buckets of a class's series over the log's span (digest_series.c). */
#define N1_DIGEST_SERIES_N 48

/*
 * Each class's statements and Query_time over time, counted while a run
 * reads its logs (the store keeps no per-time counts): one row of
 * N1_DIGEST_SERIES_N buckets per class on a grid all classes share,
 * which widens as the span grows, so memory grows with the classes and
 * never with the log.
 */
struct n1_digest_series;

/* One class's row, as n1_digest_series_get() gives it. */
struct n1_digest_row {
    int64_t t0;                         /* start of the first bucket */
    int64_t t1;                         /* end of the last */
    uint64_t calls[N1_DIGEST_SERIES_N]; /* statements per bucket */
    double secs[N1_DIGEST_SERIES_N];    /* their Query_time */
    int has_time;                       /* 1 when any had a Query_time */
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
    double limit_pct;               /* > 0: only the worst classes whose
                                       ranking values make up this percent
                                       of the total (the one that crosses it
                                       included), at most limit of them, as
                                       pt-query-digest's --limit 95%:20 */
    const char *group_by;           /* "fingerprint", "db", "user", "host";
                                       NULL: "fingerprint" */
    const char *const *inputs;      /* logs read this run (for the header);
                                       borrowed, may be NULL */
    size_t n_inputs;                /* entries in inputs */
    const char *store_path;         /* shown in the header; may be NULL */
    n1_digest_class_filter filter;  /* NULL: every class */
    void *filter_ud;                /* passed to filter */
    const struct n1_digest_loops *loops;   /* sorted; a fingerprint listed
                                              is marked as the statement of
                                              those N+1 classes. NULL: none
                                              (and none for other groupings
                                              than fingerprint) */
    const struct n1_digest_series *series; /* HTML: the classes' series
                                              over time, counted this run
                                              (they must be the report's
                                              classes); NULL: the span each
                                              was active in is drawn */
    n1_digest_explain_fn explain;          /* NULL: no EXPLAIN section */
    void *explain_ud;                      /* passed to explain */
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
 * Parses a --limit value into o's limit fields: a count ("20"), "all"
 * or "0" (every class), or pt-query-digest's "P%" and "P%:N" (the worst
 * classes whose ranking values make up P percent of their total, P in
 * (0, 100], at most N of them; "100%" is every class). Returns 0, or -1
 * with err set (N1_EUSAGE) and o unchanged.
 */
int n1_digest_parse_limit(const char *s, struct n1_digest_opts *o,
                          struct n1_error *err);

/* Comparison of a numeric --filter condition. */
enum n1_cmp_op {
    N1_CMP_LT = 0, /* < */
    N1_CMP_LE,     /* <= */
    N1_CMP_GT,     /* > */
    N1_CMP_GE,     /* >= */
    N1_CMP_EQ,     /* = */
    N1_CMP_NE      /* != */
};

/* A numeric --filter condition: "Query_time>1". */
struct n1_digest_cond {
    unsigned metric;   /* N1_M_* or N1_AGG_QUERY_LENGTH */
    enum n1_cmp_op op; /* the comparison */
    double value;      /* the number compared with */
};

/*
 * Parses s as ATTRIBUTE OP NUMBER, the attribute named as
 * n1_agg_metric_name() spells it (any case: Query_time, Lock_time,
 * Rows_sent, Rows_examined, Rows_affected, Bytes_sent, Query_length), OP
 * one of >, >=, <, <=, =, !=. Returns 1 with *c set; 0 when s does not
 * start with an attribute name (another kind of filter; *c and err
 * untouched); -1 with err set (N1_EUSAGE) when it does but the rest is
 * not an operator and a number.
 */
int n1_digest_parse_cond(const char *s, struct n1_digest_cond *c,
                         struct n1_error *err);

/*
 * 1 when the event satisfies c, else 0; an event whose log did not give
 * the attribute (a general log has no Query_time) never does.
 */
int n1_digest_cond_event(const struct n1_digest_cond *c,
                         const struct n1_event *ev);

/*
 * For a stored class, of which only the attribute's minimum and maximum
 * are known: 1 when every event of cl satisfies c, 0 when none does, -1
 * when the class does not say (values on both sides, or events without
 * the attribute).
 */
int n1_digest_cond_class(const struct n1_digest_cond *c,
                         const struct n1_agg_class *cl);

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

/* An empty series; NULL with err set when out of memory. Free it with
   n1_digest_series_free(). */
struct n1_digest_series *n1_digest_series_new(struct n1_error *err);

/* Frees s. NULL allowed. */
void n1_digest_series_free(struct n1_digest_series *s);

/*
 * Counts one statement of class id at ts (UTC microseconds; N1_TS_NONE
 * is not counted) with Query_time qt (NaN: none). Returns 0, or -1 when
 * memory ran out: s is then marked failed and counts nothing more.
 */
int n1_digest_series_add(struct n1_digest_series *s, uint64_t id, int64_t ts,
                         double qt);

/* 1 once an add ran out of memory (the series is then incomplete). */
int n1_digest_series_failed(const struct n1_digest_series *s);

/* Fills *out with class id's row and returns 1, or returns 0 when the
   class has no statement with a time in s. */
int n1_digest_series_get(const struct n1_digest_series *s, uint64_t id,
                         struct n1_digest_row *out);

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
