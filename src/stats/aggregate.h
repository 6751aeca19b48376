/* SPDX-License-Identifier: MIT */
/*
 * aggregate.h: per-fingerprint statistics in memory that grows with the
 * number of distinct fingerprints, never with the size of the log.
 *
 * An aggregate table maps a 64-bit fingerprint id to a class: the
 * fingerprint text, first/last seen, the count, per metric {n, sum, min,
 * max, sum of squares, histogram}, a query-time chart, capped counts of
 * the databases, users and hosts seen, and one sample statement (the
 * slowest, else the first). The store merges tables into SQLite and hands
 * classes back in the same struct, so the report reads both alike.
 */
#ifndef N1_AGGREGATE_H
#define N1_AGGREGATE_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/event.h"
#include "sql/normalize.h"
#include "stats/hist.h"

/* Metrics a class keeps: the N1_M_* slow-log metrics, then query length
   (bytes of the statement as logged). */
#define N1_AGG_QUERY_LENGTH N1_M_COUNT
#define N1_AGG_NMETRICS     (N1_M_COUNT + 1)

/* Which value list of a class. */
enum n1_agg_dim {
    N1_DIM_DB = 0, /* current schema */
    N1_DIM_USER,   /* account user */
    N1_DIM_HOST,   /* client host */
    N1_DIM_COUNT
};

/* Distinct values kept per list; further values only bump `other`. */
#define N1_AGG_MAX_VALUES 8

/* Longest value kept (longer ones are cut, then counted as that prefix). */
#define N1_AGG_MAX_VALUE_LEN 64

/* Default cap on the sample statement copy. */
#define N1_AGG_SAMPLE_MAX 1024

/* Query-time chart as pt-query-digest draws it: bucket k covers
   [10^(k-6), 10^(k-5)) seconds and is labelled 10^(k-6) ("1us" ... "1s");
   bucket 0 also takes anything below 1us, bucket 7 ("10s+") is open. */
#define N1_AGG_CHART_N 8

/*
 * sum and sumsq are kept as double-doubles: the field is the total rounded
 * to a double, its _lo companion the part that rounding left out (0 for
 * stats read from the store). Adds and merges carry it along, so a total
 * is the correctly rounded sum in practice, whatever the order of adds
 * and whichever windows an aggregate was flushed in.
 */
struct n1_agg_stats {
    uint64_t n;          /* values seen */
    double sum;          /* their sum */
    double min;          /* smallest (0 when n == 0) */
    double max;          /* largest (0 when n == 0) */
    double sumsq;        /* sum of squares, for the standard deviation */
    double sum_lo;       /* rounding residue of sum */
    double sumsq_lo;     /* rounding residue of sumsq */
    struct n1_hist hist; /* distribution, for median and percentiles */
};

struct n1_agg_value {
    char *value;    /* NUL-terminated, at most N1_AGG_MAX_VALUE_LEN bytes;
                       points into the class's vals */
    uint64_t count; /* events with this value */
};

struct n1_agg_values {
    struct n1_agg_value *v; /* n entries in first-seen order (heap, owned
                               by the class), or NULL */
    unsigned n;             /* entries used in v */
    unsigned last;          /* entry the latest add matched, tried first
                               (private; checked against n before use) */
    uint64_t other;         /* events whose value did not fit in v */
};

/*
 * One fingerprint class. Every pointer is owned by the struct: classes the
 * caller declares are set up with n1_agg_class_init() and released with
 * n1_agg_class_cleanup(); classes handed out by an aggregate or a store
 * cursor are borrowed from it.
 */
struct n1_agg_class {
    uint64_t id;        /* fingerprint id */
    char hex[17];       /* id as 16 lower-case hex digits */
    char *text;         /* fingerprint text (NUL-terminated) or NULL */
    size_t text_len;    /* bytes in text */
    int64_t first_seen; /* UTC microseconds, or N1_TS_NONE */
    int64_t last_seen;  /* UTC microseconds, or N1_TS_NONE */
    uint64_t count;     /* events in the class */
    struct n1_agg_stats m[N1_AGG_NMETRICS];  /* indexed by N1_M_* and
                                                N1_AGG_QUERY_LENGTH */
    uint64_t chart[N1_AGG_CHART_N];          /* query-time chart */
    struct n1_agg_values dims[N1_DIM_COUNT]; /* indexed by enum n1_agg_dim */
    char *sample;              /* sample statement (maybe cut) or NULL */
    size_t sample_len;         /* bytes kept in sample */
    size_t sample_full_len;    /* bytes the statement had */
    double sample_qt;          /* its Query_time; valid when sample_has_qt */
    int sample_has_qt;         /* 1 when the sample's log gave a Query_time */
    char *sample_file;         /* input it came from, or NULL */
    unsigned long sample_line; /* its first line there */
    char *vals;                /* every dims value, NUL-terminated, one
                                  after another: one allocation rather
                                  than one per value */
    size_t vals_len;           /* bytes used in vals */
    size_t vals_cap;           /* bytes allocated */
};

/*
 * Counts value (cut to N1_AGG_MAX_VALUE_LEN bytes) count times in c's
 * list d: a value already listed gets the count, a new one is copied into
 * c->vals while the list has room, else the count goes to `other`. Empty
 * values and a zero count are ignored. Returns 0, or -1 when memory ran
 * out (c is then unchanged).
 */
int n1_agg_class_add_value(struct n1_agg_class *c, enum n1_agg_dim d,
                           const char *value, uint64_t count);

/* Stable metric names, as pt-query-digest and the store spell them
   ("Query_time" ... "Bytes_sent", "Query_length"). NULL past the end. */
const char *n1_agg_metric_name(unsigned m);

/* Stable dim names ("db", "user", "host"). NULL past the end. */
const char *n1_agg_dim_name(unsigned d);

/* Chart bucket labels ("1us" ... "10s+"). NULL past the end. */
const char *n1_agg_chart_label(unsigned i);

/* Chart bucket of a query time in seconds (negative and NaN go to 0). */
unsigned n1_agg_chart_bucket(double seconds);

/* Mean of the values, 0 when none. */
double n1_agg_stats_avg(const struct n1_agg_stats *s);

/* Population standard deviation from the sum of squares, 0 when n < 2. */
double n1_agg_stats_stddev(const struct n1_agg_stats *s);

/*
 * Quantile q (nearest rank, see n1_hist_quantile()) clamped into
 * [min, max], which only moves it closer to the true value. 0 when empty.
 */
double n1_agg_stats_quantile(const struct n1_agg_stats *s, double q);

/* Makes *c an empty class (count 0, no text, timestamps N1_TS_NONE). */
void n1_agg_class_init(struct n1_agg_class *c);

/* Frees everything *c owns and leaves it empty. NULL allowed. */
void n1_agg_class_cleanup(struct n1_agg_class *c);

/*
 * Merges src into dst: counts and sums add, min/max and first/last widen,
 * histograms and charts merge, value lists merge under their caps, and
 * src's sample wins when it is slower (or dst has none). dst takes src's
 * id and text when it has no text. sample_max caps a copied sample (0:
 * N1_AGG_SAMPLE_MAX). Returns 0, or -1 with err set (N1_ESYS) when memory
 * ran out, in which case dst may be partly merged: discard it.
 */
int n1_agg_class_merge(struct n1_agg_class *dst, const struct n1_agg_class *src,
                       size_t sample_max, struct n1_error *err);

/* Heap bytes a class owns plus its struct (for memory accounting). */
size_t n1_agg_class_memory(const struct n1_agg_class *c);

struct n1_agg_opts {
    size_t sample_max; /* bytes of sample kept; 0: N1_AGG_SAMPLE_MAX */
};

struct n1_agg;

/*
 * Creates an empty table. opts may be NULL for defaults. Returns a table
 * the caller frees with n1_agg_free(), or NULL with err set (N1_ESYS).
 */
struct n1_agg *n1_agg_new(const struct n1_agg_opts *opts, struct n1_error *err);

/* Frees the table and all its classes. NULL allowed. */
void n1_agg_free(struct n1_agg *agg);

/*
 * Counts one statement in the class of norm->id, creating it (and copying
 * norm's text) on first sight. Only the metrics in ev->metric_mask are
 * counted; query length is ev->sql_len; empty db/user/host are not
 * counted. Both arguments are only read during the call. Returns 0, or -1
 * with err set (N1_ESYS) when memory ran out; the event is then not
 * counted at all, or only partly for a class that already existed.
 */
int n1_agg_add(struct n1_agg *agg, const struct n1_event *ev,
               const struct n1_norm *norm, struct n1_error *err);

/* Number of classes. */
size_t n1_agg_size(const struct n1_agg *agg);

/* Number of events added since creation or the last reset. */
uint64_t n1_agg_events(const struct n1_agg *agg);

/*
 * The i-th class in first-seen order (0 <= i < n1_agg_size()), or NULL
 * past the end. Borrowed, valid until the next add, reset or free.
 */
const struct n1_agg_class *n1_agg_at(const struct n1_agg *agg, size_t i);

/* The class of id, or NULL. Borrowed as for n1_agg_at(). */
const struct n1_agg_class *n1_agg_find(const struct n1_agg *agg, uint64_t id);

/*
 * Fills *out (initialised and empty) with the merge of every class: the
 * overall totals. out's id is 0 and it has no text. Returns 0, or -1 with
 * err set. The caller cleans *out with n1_agg_class_cleanup() either way.
 */
int n1_agg_totals(const struct n1_agg *agg, struct n1_agg_class *out,
                  struct n1_error *err);

/*
 * Moves every class of src into dst, as a store merges a flushed window:
 * a class dst lacks is handed over as is, one it has gets src's merged in
 * (n1_agg_class_merge() with sample_max). Then every sum in dst is rounded
 * to a double (its _lo residue set to 0), as a store keeps it, so that
 * windows absorbed one after another give the numbers a store merging the
 * same windows gives. src is left empty, as after n1_agg_reset(), whatever
 * the result. Returns 0, or -1 with err set when memory ran out (dst then
 * holds what was absorbed before).
 */
int n1_agg_absorb(struct n1_agg *dst, struct n1_agg *src, size_t sample_max,
                  struct n1_error *err);

/* Approximate heap bytes held: the index and every class. */
size_t n1_agg_memory(const struct n1_agg *agg);

/*
 * Frees what class i owns and leaves it empty (count 0, no text), for a
 * class already merged into the store; n1_agg_reset() must follow before
 * the table is used again. i past the end is ignored.
 */
void n1_agg_release(struct n1_agg *agg, size_t i);

/* Drops every class (after they were flushed to the store), keeping the
   options. Allocations of the index are kept for reuse. */
void n1_agg_reset(struct n1_agg *agg);

#endif /* N1_AGGREGATE_H */
