/* SPDX-License-Identifier: MIT */
/*
 * report_digest.c: render the digest of a store as pt-query-digest does.
 *
 * One pass over the stored classes applies the class filter, merges the
 * kept classes into the overall totals and records a small ranking row
 * (id, sort key, count, Query_time sum) per class; the rows are sorted and
 * the first `limit` classes are loaded again by id for their detail
 * blocks. Formulas follow pt-query-digest where a DBA would compare the
 * two (QPS, concurrency, V/M, the ranks of the 95th percentile and the
 * median, the number formats of the text tables); sums, extrema, averages
 * and standard deviations are exact, percentiles come from the store's
 * histograms (docs/digest.md has every definition and the error bound).
 *
 * Text goes out as it is built; the JSON form is in report_digest_json.c.
 * Nothing here keeps state between calls.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "base/textutil.h"
#include "base/timeutil.h"
#include "report/digest.h"
#include "report/digest_int.h"
#include "sql/sqlinfo.h"
#include "store/store.h"

/* Metrics in report order with pt-query-digest's 12-column labels. */
const struct n1_dg_metric n1_dg_metrics[] = {
    {N1_M_QUERY_TIME, "Exec time", 1},
    {N1_M_LOCK_TIME, "Lock time", 1},
    {N1_M_ROWS_SENT, "Rows sent", 0},
    {N1_M_ROWS_EXAMINED, "Rows examine", 0},
    {N1_M_ROWS_AFFECTED, "Rows affecte", 0},
    {N1_M_BYTES_SENT, "Bytes sent", 0},
    {N1_AGG_QUERY_LENGTH, "Query size", 0},
};

const size_t n1_dg_n_metrics = sizeof(n1_dg_metrics) / sizeof(n1_dg_metrics[0]);

/* Width of the text report. */
#define LINE_WIDTH 80

/* Longest chart bar, as pt-query-digest draws it. */
#define BAR_MAX 64

/* An aggregate class's place in the store's order. */
struct agg_key {
    int64_t id; /* the store's key */
    size_t pos; /* position in the aggregate */
};

const char *const n1_dg_stat_names[] = {"sum", "min", "max", "avg", "cnt"};

/* A class of the aggregate as the store gives it back: view shares c's
   strings and histograms, with the rounding residues of the sums 0. */
static const struct n1_agg_class *agg_view(const struct n1_agg_class *c,
                                           struct n1_agg_class *view)
{
    *view = *c;
    for (unsigned m = 0; m < N1_AGG_NMETRICS; m++) {
        view->m[m].sum_lo = 0.0;
        view->m[m].sumsq_lo = 0.0;
    }
    return view;
}

/*
 * Finds class id: from a store it is loaded into *owned (initialised by
 * the caller, who cleans it), from an aggregate *view borrows it. Sets
 * *out and returns 1, 0 when there is no such class, or -1 with err set.
 */
int n1_dg_get_class(const struct source *src, uint64_t id,
                    struct n1_agg_class *owned, struct n1_agg_class *view,
                    const struct n1_agg_class **out, struct n1_error *err)
{
    const struct n1_agg_class *c;
    int got;

    if (src->st != NULL) {
        got = n1_store_load_class(src->st, id, owned, err);
        if (got == 1) {
            *out = owned;
        }
        return got;
    }
    c = n1_agg_find(src->agg, id);
    if (c == NULL) {
        return 0;
    }
    *out = agg_view(c, view);
    return 1;
}

static int agg_key_cmp(const void *a, const void *b)
{
    const struct agg_key *x = a;
    const struct agg_key *y = b;

    return x->id < y->id ? -1 : x->id > y->id;
}

void n1_digest_opts_init(struct n1_digest_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->format = N1_DIGEST_TEXT;
    o->order_metric = -1;
    o->order_stat = N1_DIGEST_SUM;
    o->limit = 10;
}

/* A count of classes: digits only. Returns 0 with *n set, or -1. */
static int parse_count(const char *s, size_t *n)
{
    char *end = NULL;
    unsigned long long v;

    if (s[0] < '0' || s[0] > '9') {
        return -1;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (*end != '\0' || errno != 0 || v > SIZE_MAX) {
        return -1;
    }
    *n = (size_t)v;
    return 0;
}

int n1_digest_parse_limit(const char *s, struct n1_digest_opts *o,
                          struct n1_error *err)
{
    const char *pct = strchr(s, '%');
    size_t n = 0;
    double p = 0;
    char *end = NULL;
    int ok;

    if (strcmp(s, "all") == 0) {
        ok = 1;
    } else if (pct == NULL) {
        ok = parse_count(s, &n) == 0;
    } else {
        p = s[0] >= '0' && s[0] <= '9' ? strtod(s, &end) : -1;
        ok = p > 0 && p <= 100 && end == pct &&
             (pct[1] == '\0' ||
              (pct[1] == ':' && parse_count(pct + 2, &n) == 0));
    }
    if (!ok) {
        n1_err_set(err, N1_EUSAGE, NULL, 0,
                   "--limit: expected N, all, P%% or P%%:N, got '%s'", s);
        return -1;
    }
    o->limit = n;
    o->limit_pct = p >= 100 ? 0 : p;
    return 0;
}

int n1_digest_parse_order(const char *s, struct n1_digest_opts *o,
                          struct n1_error *err)
{
    const char *colon = strchr(s, ':');
    const char *stat = colon != NULL ? colon + 1 : s;
    size_t alen = colon != NULL ? (size_t)(colon - s) : 0;
    int metric = N1_M_QUERY_TIME;
    int st = -1;

    for (size_t i = 0;
         i < sizeof(n1_dg_stat_names) / sizeof(n1_dg_stat_names[0]); i++) {
        if (strcasecmp(stat, n1_dg_stat_names[i]) == 0) {
            st = (int)i;
        }
    }
    if (strcasecmp(stat, "count") == 0) {
        st = N1_DIGEST_CNT;
    }
    if (colon == NULL && st < 0) {
        /* A bare attribute: its total. */
        stat = "sum";
        st = N1_DIGEST_SUM;
        alen = strlen(s);
    }
    if (alen > 0) {
        metric = -1;
        for (unsigned m = 0; m < N1_AGG_NMETRICS; m++) {
            const char *name = n1_agg_metric_name(m);

            if (strlen(name) == alen && strncasecmp(s, name, alen) == 0) {
                metric = (int)m;
            }
        }
    }
    if (metric < 0 || st < 0) {
        n1_err_set(err, N1_EUSAGE, NULL, 0,
                   "--order-by: expected ATTRIBUTE:sum|min|max|avg|cnt "
                   "(ATTRIBUTE one of Query_time, Lock_time, Rows_sent, "
                   "Rows_examined, Rows_affected, Bytes_sent, Query_length), "
                   "got '%s'",
                   s);
        return -1;
    }
    o->order_metric = metric;
    o->order_stat = (enum n1_digest_stat)st;
    return 0;
}

/*
 * Value of nearest rank `rank` (1-based) of s: exact at the ends (min,
 * max), otherwise the histogram's bucket value clamped into [min, max].
 * For integer metrics a bucket narrower than one unit around its value
 * holds a single integer, which is then the exact answer.
 */
static double rank_value(const struct n1_agg_stats *s, uint64_t rank,
                         int is_int)
{
    uint64_t hn = n1_hist_count(&s->hist);
    double v;
    double e;

    if (s->n == 0) {
        return 0.0;
    }
    if (rank <= 1) {
        return s->min;
    }
    if (rank >= s->n) {
        return s->max;
    }
    if (hn == 0) {
        return s->min;
    }
    /* (rank - 0.5) / n makes n1_hist_quantile's ceil(q * n) land on rank
       whatever the rounding of the division. */
    v = n1_hist_quantile(&s->hist, ((double)rank - 0.5) / (double)hn);
    if (v < s->min) {
        v = s->min;
    }
    if (v > s->max) {
        v = s->max;
    }
    e = n1_hist_error_bound(&s->hist);
    if (is_int && v * e / (1.0 - e) < 0.5) {
        v = floor(v + 0.5);
    }
    return v;
}

double n1_digest_pct95(const struct n1_agg_stats *s, int is_int)
{
    uint64_t rank;

    if (s->n == 0) {
        return 0.0;
    }
    if (s->n <= 2 || s->min == s->max) {
        return s->max;
    }
    rank = s->n >= 10 ? (uint64_t)floor((double)s->n * 0.95) : s->n;
    return rank_value(s, rank, is_int);
}

double n1_digest_median(const struct n1_agg_stats *s, int is_int)
{
    if (s->n == 0) {
        return 0.0;
    }
    if (s->min == s->max) {
        return s->max;
    }
    if (s->n == 2) {
        return (s->min + s->max) / 2.0;
    }
    return rank_value(s, s->n / 2 + 1, is_int);
}

/* The error bound that applies to a metric's percentiles: 0 when they are
   exact (n <= 2 or all equal), else the histogram's. */
double n1_dg_quantile_bound(const struct n1_agg_stats *s)
{
    if (s->n <= 2 || s->min == s->max) {
        return 0.0;
    }
    return n1_hist_error_bound(&s->hist);
}

static double order_key(const struct digest_run *run,
                        const struct n1_agg_class *c)
{
    const struct n1_agg_stats *s;

    if (run->order_metric < 0 || run->order_stat == N1_DIGEST_CNT) {
        return (double)c->count;
    }
    s = &c->m[run->order_metric];
    if (s->n == 0) {
        return -1.0; /* below every class that has the metric */
    }
    switch (run->order_stat) {
    case N1_DIGEST_SUM:
        return s->sum;
    case N1_DIGEST_MIN:
        return s->min;
    case N1_DIGEST_MAX:
        return s->max;
    case N1_DIGEST_AVG:
        return n1_agg_stats_avg(s);
    case N1_DIGEST_CNT:
        break;
    }
    return (double)c->count;
}

static int row_cmp(const void *a, const void *b)
{
    const struct rank_row *x = a;
    const struct rank_row *y = b;

    if (x->key != y->key) {
        return x->key > y->key ? -1 : 1;
    }
    if (x->count != y->count) {
        return x->count > y->count ? -1 : 1;
    }
    return x->id < y->id ? -1 : x->id > y->id;
}

static int push_row(struct digest_run *run, const struct n1_agg_class *c,
                    struct n1_error *err)
{
    struct rank_row *r;

    if (run->n_rows == run->cap_rows) {
        size_t cap = run->cap_rows ? run->cap_rows * 2 : 256;
        struct rank_row *nr = realloc(run->rows, cap * sizeof(*nr));

        if (nr == NULL) {
            n1_err_oom(err, "ranking the classes");
            return -1;
        }
        run->rows = nr;
        run->cap_rows = cap;
    }
    r = &run->rows[run->n_rows++];
    r->id = c->id;
    r->key = 0.0; /* set once the order is resolved */
    r->count = c->count;
    r->has_qt = c->m[N1_M_QUERY_TIME].n > 0;
    r->qt_sum = r->has_qt ? c->m[N1_M_QUERY_TIME].sum : 0.0;
    return 0;
}

/* Filters, totals and ranks one class (see scan_classes()). */
static int scan_one(struct digest_run *run, const struct n1_agg_class *c,
                    struct n1_error *err)
{
    const struct n1_digest_opts *o = run->o;

    if (o->filter != NULL) {
        int keep = o->filter(o->filter_ud, c, err);

        if (keep <= 0) {
            return keep;
        }
    }
    if (n1_agg_class_merge(&run->tot, c, 0, err) != 0 ||
        push_row(run, c, err) != 0) {
        return -1;
    }
    if (run->order_metric >= 0) {
        run->rows[run->n_rows - 1].key = order_key(run, c);
    }
    return 0;
}

/* scan_classes() over an aggregate, in the store's order. */
static int scan_agg(const struct n1_agg *agg, struct digest_run *run,
                    struct n1_error *err)
{
    struct agg_key *keys = NULL;
    size_t n = n1_agg_size(agg);
    int rc = -1;

    if (n == 0) {
        return 0;
    }
    keys = malloc(n * sizeof(*keys));
    if (keys == NULL) {
        n1_err_oom(err, "sorting the classes");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        keys[i].id = (int64_t)n1_agg_at(agg, i)->id;
        keys[i].pos = i;
    }
    qsort(keys, n, sizeof(*keys), agg_key_cmp);
    for (size_t i = 0; i < n; i++) {
        struct n1_agg_class view;

        if (scan_one(run, agg_view(n1_agg_at(agg, keys[i].pos), &view), err) <
            0) {
            goto out;
        }
    }
    rc = 0;

out:
    free(keys);
    return rc;
}

/*
 * Pass 1: filter, total, rank. With an explicit order each row gets its
 * key here; the default order depends on the totals (count when nothing
 * has a Query_time), so its keys are set from the rows afterwards.
 */
static int scan_classes(const struct source *src, struct digest_run *run,
                        struct n1_error *err)
{
    struct n1_store_cursor *cur = NULL;
    const struct n1_agg_class *c;
    int got;
    int rc = -1;

    if (src->st == NULL) {
        return scan_agg(src->agg, run, err);
    }
    cur = n1_store_classes(src->st, err);
    if (cur == NULL) {
        goto out;
    }
    while ((got = n1_store_next_class(cur, &c, err)) == 1) {
        if (scan_one(run, c, err) < 0) {
            goto out;
        }
    }
    if (got < 0) {
        goto out;
    }
    rc = 0;

out:
    n1_store_cursor_free(cur);
    return rc;
}

/* ---- number formats (pt-query-digest's micro_t and shorten) ---- */

/* Seconds: "10us", "3ms", "2s"; "0" for zero. */
static void fmt_time(double t, char *buf, size_t n)
{
    if (!(t > 0.0)) {
        snprintf(buf, n, "0");
    } else if (t < 0.000999 + 5e-10) {
        /* pt keeps 6 decimals, then prints microseconds */
        snprintf(buf, n, "%.0fus", floor(t * 1e6 + 1e-6));
    } else if (t < 0.9999995) {
        snprintf(buf, n, "%.0fms", t * 1000.0);
    } else {
        snprintf(buf, n, "%.0fs", t);
    }
}

/* Counts and bytes: 1024-based suffixes, 2 decimals unless integral. */
static void fmt_short(double v, char *buf, size_t n)
{
    static const char units[] = " kMGTPEZY";
    unsigned u = 0;

    while (v >= 1024.0 && u < sizeof(units) - 2) {
        v /= 1024.0;
        u++;
    }
    if (u == 0 && v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, n, "%.0f", v);
    } else if (u == 0) {
        snprintf(buf, n, "%.2f", v);
    } else {
        snprintf(buf, n, "%.2f%c", v, units[u]);
    }
}

static void fmt_metric(double v, int is_time, char *buf, size_t n)
{
    if (is_time) {
        fmt_time(v, buf, n);
    } else {
        fmt_short(v, buf, n);
    }
}

/* Fixed-point in at most width characters: fewer decimals as it grows. */
static void fmt_fit(double v, int width, int decimals, char *buf, size_t n)
{
    for (int d = decimals; d >= 0; d--) {
        snprintf(buf, n, "%.*f", d, v);
        if ((int)strlen(buf) <= width) {
            return;
        }
    }
}

/* "YYYY-MM-DD HH:MM:SS" (UTC) of microseconds since the epoch. */
void n1_dg_fmt_ts(int64_t us, char *buf, size_t n)
{
    char t[N1_TS_ISO_MAX];

    if (us == N1_TS_NONE || n1_ts_format_datetime(us, t) != 0 ||
        strlen(t) >= n) {
        snprintf(buf, n, "-");
        return;
    }
    memcpy(buf, t, strlen(t) + 1);
}

/* Seconds between first and last seen; 0 when unknown or equal. */
static double span_seconds(const struct n1_agg_class *c)
{
    if (c->first_seen == N1_TS_NONE || c->last_seen == N1_TS_NONE ||
        c->last_seen <= c->first_seen) {
        return 0.0;
    }
    return (double)(c->last_seen - c->first_seen) / 1e6;
}

double n1_dg_qps_of(const struct n1_agg_class *c)
{
    double span = span_seconds(c);

    return span > 0.0 ? (double)c->count / span : 0.0;
}

double n1_dg_concurrency_of(const struct n1_agg_class *c)
{
    double span = span_seconds(c);

    return span > 0.0 ? c->m[N1_M_QUERY_TIME].sum / span : 0.0;
}

/* pt-query-digest's V/M: variance over mean of Query_time. */
double n1_dg_vm_of(const struct n1_agg_class *c)
{
    const struct n1_agg_stats *s = &c->m[N1_M_QUERY_TIME];
    double sd = n1_agg_stats_stddev(s);
    double avg = n1_agg_stats_avg(s);

    return sd * sd / (avg > 0.0 ? avg : 1.0);
}

/* ---- text ---- */

static void put_statement(FILE *out, const char *s, size_t len);

static void text_time_range(FILE *out, const struct n1_agg_class *c)
{
    char a[32];
    char b[32];

    if (c->first_seen == N1_TS_NONE) {
        fprintf(out, "# Time range: unknown (the log has no timestamps)\n");
        return;
    }
    n1_dg_fmt_ts(c->first_seen, a, sizeof(a));
    n1_dg_fmt_ts(c->last_seen, b, sizeof(b));
    if (strcmp(a, b) == 0) {
        fprintf(out, "# Time range: all events occurred at %s UTC\n", a);
    } else if (strncmp(a, b, 10) == 0) {
        fprintf(out, "# Time range: %s to %s UTC\n", a, b + 11);
    } else {
        fprintf(out, "# Time range: %s to %s UTC\n", a, b);
    }
}

/*
 * Prints a file name in at most room columns: a longer one keeps its end
 * behind "...", since the end names the file and the start only where it
 * lives. Keeps the report within 80 columns whatever the paths.
 */
static void put_path_fit(FILE *out, const char *path, size_t room)
{
    size_t len = strlen(path);

    if (len > room && room > 3) {
        fputs("...", out);
        put_statement(out, path + len - (room - 3), room - 3);
    } else {
        put_statement(out, path, len);
    }
}

/* One attribute row: "# LABEL PCT total min max avg 95% stddev median". */
static void text_metric_row(FILE *out, const char *label, const char *pct,
                            const struct n1_agg_stats *s, int is_time)
{
    double v[7];
    char f[7][24];

    v[0] = s->sum;
    v[1] = s->min;
    v[2] = s->max;
    v[3] = n1_agg_stats_avg(s);
    v[4] = n1_digest_pct95(s, !is_time);
    v[5] = n1_agg_stats_stddev(s);
    v[6] = n1_digest_median(s, !is_time);
    for (int i = 0; i < 7; i++) {
        fmt_metric(v[i], is_time, f[i], sizeof(f[i]));
    }
    fprintf(out, "# %-12s %3s %7s %7s %7s %7s %7s %7s %7s\n", label, pct, f[0],
            f[1], f[2], f[3], f[4], f[5], f[6]);
}

static void text_header_rule(FILE *out, int with_pct)
{
    fprintf(out, "# %-12s %3s %7s %7s %7s %7s %7s %7s %7s\n", "Attribute",
            with_pct ? "pct" : "", "total", "min", "max", "avg", "95%",
            "stddev", "median");
    fprintf(out,
            "# ============ %3s ======= ======= ======= ======= ======= "
            "======= =======\n",
            with_pct ? "===" : "");
}

static void text_overall(FILE *out, const struct digest_run *run)
{
    const struct n1_agg_class *t = &run->tot;
    const struct n1_digest_opts *o = run->o;
    char line[LINE_WIDTH * 2];
    char qps[32];
    char conc[32];
    size_t len;

    fprintf(out, "# n1digest %s digest, store %s, grouped by %s\n", N1_VERSION,
            o->store_path != NULL ? o->store_path : "-",
            o->group_by != NULL ? o->group_by : "fingerprint");
    if (o->n_inputs > 0) {
        size_t col = 8;

        fprintf(out, "# Files:");
        for (size_t i = 0; i < o->n_inputs; i++) {
            size_t ilen = strlen(o->inputs[i]);

            if (col > 8 && col + 1 + ilen > LINE_WIDTH) {
                fprintf(out, "\n#       ");
                col = 8;
            }
            fputc(' ', out);
            put_path_fit(out, o->inputs[i], LINE_WIDTH - 9);
            col += 1 + (ilen < LINE_WIDTH - 9 ? ilen : LINE_WIDTH - 9);
        }
        fprintf(out, "\n");
    }
    fmt_fit(n1_dg_qps_of(t), 10, 2, qps, sizeof(qps));
    fmt_fit(n1_dg_concurrency_of(t), 10, 2, conc, sizeof(conc));
    snprintf(line, sizeof(line),
             "# Overall: %llu total, %zu unique, %s QPS, %sx concurrency ",
             (unsigned long long)t->count, run->n_rows, qps, conc);
    len = strlen(line);
    while (len < LINE_WIDTH - 6) {
        line[len++] = '_';
    }
    line[len] = '\0';
    fprintf(out, "%s\n", line);
    text_time_range(out, t);
    text_header_rule(out, 0);
    for (size_t i = 0; i < n1_dg_n_metrics; i++) {
        const struct n1_agg_stats *s = &t->m[n1_dg_metrics[i].m];

        if (s->n > 0) {
            text_metric_row(out, n1_dg_metrics[i].label, "", s,
                            n1_dg_metrics[i].is_time);
        }
    }
}

/* The item of a class: verb and tables of its fingerprint, or the group
   value itself when grouping by something else. */
void n1_dg_class_item(const struct digest_run *run,
                      const struct n1_agg_class *c, char *buf, size_t n)
{
    struct n1_sqlinfo si;

    if (run->o->group_by != NULL &&
        strcmp(run->o->group_by, "fingerprint") != 0) {
        snprintf(buf, n, "%s", c->text != NULL ? c->text : "");
        return;
    }
    n1_sqlinfo_parse(c->text, c->text_len, &si);
    n1_sqlinfo_item(&si, buf, n);
}

/* Copies s into buf cut to width characters ("..." marks a cut) with
   control characters shown as '?', for one table cell. */
size_t n1_dg_loops_of(const struct digest_run *run,
                      const struct n1_agg_class *c,
                      const struct n1_digest_loop **first)
{
    const char *g = run->o->group_by;

    *first = NULL;
    if (g != NULL && strcmp(g, "fingerprint") != 0) {
        return 0;
    }
    return n1_digest_loops_find(run->o->loops, c->id, first);
}

static void cell(const char *s, size_t width, char *buf, size_t n)
{
    size_t len = strlen(s);
    size_t keep = len <= width ? len : (width > 3 ? width - 3 : 0);
    size_t i;

    if (keep + 4 > n) {
        keep = n > 4 ? n - 4 : 0;
    }
    for (i = 0; i < keep; i++) {
        unsigned char ch = (unsigned char)s[i];

        buf[i] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
    }
    if (keep < len) {
        memcpy(buf + i, "...", 3);
        i += 3;
    }
    buf[i] = '\0';
}

static int text_profile(FILE *out, const struct source *src,
                        const struct digest_run *run, size_t shown,
                        struct n1_error *err)
{
    struct n1_agg_class c;
    struct n1_agg_class view;
    const struct n1_agg_class *cp = NULL;
    const struct n1_digest_loop *lp = NULL;
    double total_qt = run->tot.m[N1_M_QUERY_TIME].sum;
    int has_qt = run->tot.m[N1_M_QUERY_TIME].n > 0;
    double misc_qt = 0.0;
    uint64_t misc_count = 0;
    int rc = -1;

    n1_agg_class_init(&c);
    fprintf(out, "\n# Profile (by %s%s%s)\n",
            run->order_metric >= 0 && run->order_stat != N1_DIGEST_CNT
                ? n1_agg_metric_name((unsigned)run->order_metric)
                : "",
            run->order_metric >= 0 && run->order_stat != N1_DIGEST_CNT ? ":"
                                                                       : "",
            n1_dg_stat_names[run->order_stat]);
    fprintf(out, "# Rank Query ID         Response time    Calls  R/Call   "
                 "V/M Item\n");
    fprintf(out, "# ==== ================ =============== ====== ======= "
                 "===== ===============\n");
    for (size_t i = 0; i < shown; i++) {
        char item[256];
        char itemc[64];
        char resp[32];
        char share[16];
        char rcall[32];
        char vm[16];
        size_t mark;
        int got = n1_dg_get_class(src, run->rows[i].id, &c, &view, &cp, err);

        if (got < 0) {
            goto out;
        }
        if (got == 0) {
            continue;
        }
        /* The statement of an N+1 class: "loop" leads its item. */
        mark = n1_dg_loops_of(run, cp, &lp) > 0 ? 5 : 0;
        memcpy(item, "loop ", mark);
        n1_dg_class_item(run, cp, item + mark, sizeof(item) - mark);
        cell(item, LINE_WIDTH - 61, itemc, sizeof(itemc));
        if (cp->m[N1_M_QUERY_TIME].n > 0) {
            fmt_fit(cp->m[N1_M_QUERY_TIME].sum, 8, 4, resp, sizeof(resp));
            snprintf(share, sizeof(share), "%5.1f%%",
                     total_qt > 0
                         ? 100.0 * cp->m[N1_M_QUERY_TIME].sum / total_qt
                         : 0.0);
            fmt_fit(n1_agg_stats_avg(&cp->m[N1_M_QUERY_TIME]), 7, 4, rcall,
                    sizeof(rcall));
            fmt_fit(n1_dg_vm_of(cp), 5, 2, vm, sizeof(vm));
        } else {
            snprintf(resp, sizeof(resp), "-");
            snprintf(share, sizeof(share), "-");
            snprintf(rcall, sizeof(rcall), "-");
            snprintf(vm, sizeof(vm), "-");
        }
        fprintf(out, "# %4zu %-16s %8s %6s %6llu %7s %5s %s\n", i + 1, cp->hex,
                resp, share, (unsigned long long)cp->count, rcall, vm, itemc);
    }
    for (size_t i = shown; i < run->n_rows; i++) {
        misc_qt += run->rows[i].qt_sum;
        misc_count += run->rows[i].count;
    }
    if (shown < run->n_rows) {
        char resp[32] = "-";
        char share[16] = "-";
        char rcall[32] = "-";
        char items[32];

        if (has_qt) {
            fmt_fit(misc_qt, 8, 4, resp, sizeof(resp));
            snprintf(share, sizeof(share), "%5.1f%%",
                     total_qt > 0 ? 100.0 * misc_qt / total_qt : 0.0);
            fmt_fit(misc_count > 0 ? misc_qt / (double)misc_count : 0.0, 7, 4,
                    rcall, sizeof(rcall));
        }
        snprintf(items, sizeof(items), "<%zu ITEMS>", run->n_rows - shown);
        fprintf(out, "# MISC %-16s %8s %6s %6llu %7s %5s %s\n", "MISC", resp,
                share, (unsigned long long)misc_count, rcall, "", items);
    }
    rc = 0;

out:
    n1_agg_class_cleanup(&c);
    return rc;
}

/* "value (count/pct%), ..." for one value list, wrapped to the width. */
static void text_values(FILE *out, const char *label,
                        const struct n1_agg_values *v, uint64_t total)
{
    char buf[LINE_WIDTH * 4];
    size_t used = 0;
    size_t col;

    if (v->n == 0 && v->other == 0) {
        return;
    }
    buf[0] = '\0';
    for (unsigned i = 0; i < v->n; i++) {
        char one[N1_AGG_MAX_VALUE_LEN + 48];
        char name[N1_AGG_MAX_VALUE_LEN + 4];

        cell(v->v[i].value, N1_AGG_MAX_VALUE_LEN, name, sizeof(name));
        if (v->n == 1 && v->other == 0 && v->v[i].count == total) {
            snprintf(one, sizeof(one), "%s", name);
        } else {
            snprintf(one, sizeof(one), "%s%s (%llu/%.0f%%)", i ? ", " : "",
                     name, (unsigned long long)v->v[i].count,
                     total ? 100.0 * (double)v->v[i].count / (double)total
                           : 0.0);
        }
        if (used + strlen(one) + 1 < sizeof(buf)) {
            memcpy(buf + used, one, strlen(one) + 1);
            used += strlen(one);
        }
    }
    if (v->other > 0) {
        char one[64];

        snprintf(one, sizeof(one), "%s%llu more", v->n ? ", " : "",
                 (unsigned long long)v->other);
        if (used + strlen(one) + 1 < sizeof(buf)) {
            memcpy(buf + used, one, strlen(one) + 1);
            used += strlen(one);
        }
    }
    /* Wrap after ", " so that no line passes the width. */
    fprintf(out, "# %-12s ", label);
    col = 15;
    for (const char *p = buf; *p != '\0';) {
        const char *comma = strstr(p, ", ");
        size_t len = comma != NULL ? (size_t)(comma - p) + 1 : strlen(p);

        if (col > 15 && col + len + 1 > LINE_WIDTH) {
            fprintf(out, "\n# %-12s ", "");
            col = 15;
        }
        fprintf(out, "%.*s", (int)len, p);
        col += len;
        p += len;
        if (*p == ' ') {
            fputc(' ', out);
            col++;
            p++;
        }
    }
    fputc('\n', out);
}

/* Writes a name as a `quoted` identifier. */
static void put_ident(FILE *out, const char *s)
{
    fputc('`', out);
    for (; *s != '\0'; s++) {
        if (*s == '`') {
            fputc('`', out);
        }
        fputc((unsigned char)*s < 0x20 ? '?' : *s, out);
    }
    fputc('`', out);
}

/* Writes s as a '...' string for LIKE. */
static void put_string(FILE *out, const char *s)
{
    fputc('\'', out);
    for (; *s != '\0'; s++) {
        if (*s == '\'' || *s == '\\') {
            fputc('\\', out);
        }
        fputc((unsigned char)*s < 0x20 ? '?' : *s, out);
    }
    fputc('\'', out);
}

/* Splits "db.t" into db and table; db falls back to the class's only db. */
void n1_dg_split_table(const char *name, const struct n1_agg_class *c, char *db,
                       size_t dbn, char *tbl, size_t tbln)
{
    const char *dot = strchr(name, '.');

    if (dot != NULL) {
        snprintf(db, dbn, "%.*s", (int)(dot - name), name);
        snprintf(tbl, tbln, "%s", dot + 1);
        return;
    }
    snprintf(tbl, tbln, "%s", name);
    if (c->dims[N1_DIM_DB].n >= 1) {
        snprintf(db, dbn, "%s", c->dims[N1_DIM_DB].v[0].value);
    } else {
        db[0] = '\0';
    }
}

static void text_tables(FILE *out, const struct n1_agg_class *c)
{
    struct n1_sqlinfo si;

    n1_sqlinfo_parse(c->text, c->text_len, &si);
    if (si.n_tables == 0 || strncmp(si.verb, "SHOW", 4) == 0 ||
        strstr(si.verb, "DATABASE") != NULL ||
        strstr(si.verb, "SCHEMA") != NULL || strncmp(si.verb, "CALL", 4) == 0) {
        return;
    }
    fprintf(out, "# Tables\n");
    for (unsigned i = 0; i < si.n_tables; i++) {
        char db[N1_SQLINFO_MAX_NAME + 1];
        char tbl[N1_SQLINFO_MAX_NAME + 1];

        n1_dg_split_table(si.tables[i], c, db, sizeof(db), tbl, sizeof(tbl));
        fprintf(out, "#    SHOW TABLE STATUS ");
        if (db[0] != '\0') {
            fprintf(out, "FROM ");
            put_ident(out, db);
            fputc(' ', out);
        }
        fprintf(out, "LIKE ");
        put_string(out, tbl);
        fprintf(out, "\\G\n#    SHOW CREATE TABLE ");
        if (db[0] != '\0') {
            put_ident(out, db);
            fputc('.', out);
        }
        put_ident(out, tbl);
        fprintf(out, "\\G\n");
    }
}

/* Writes len bytes of an untrusted statement for a terminal: control
   characters other than newline and tab become \xHH. */
static void put_statement(FILE *out, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];

        if ((ch < 0x20 && ch != '\n' && ch != '\t') || ch == 0x7f) {
            fprintf(out, "\\x%02x", ch);
        } else {
            fputc(ch, out);
        }
    }
}

/* Fingerprint text wrapped in comment lines of at most the width. */
static void text_fingerprint(FILE *out, const struct n1_agg_class *c)
{
    const size_t room = LINE_WIDTH - 5;
    size_t pos = 0;

    if (c->text == NULL) {
        return;
    }
    fprintf(out, "# Fingerprint\n");
    while (pos < c->text_len) {
        size_t n = c->text_len - pos;

        if (n > room) {
            size_t cut = room;

            while (cut > room / 2 && c->text[pos + cut] != ' ') {
                cut--;
            }
            n = cut > room / 2 ? cut : room;
        }
        fprintf(out, "#    ");
        put_statement(out, c->text + pos, n);
        fputc('\n', out);
        pos += n;
        while (pos < c->text_len && c->text[pos] == ' ') {
            pos++;
        }
    }
}

/* "# N+1 loop: class ID, ..." when the class is the statement of N+1
   classes, four ids a line. */
static void text_loops(FILE *out, const struct digest_run *run,
                       const struct n1_agg_class *c)
{
    const struct n1_digest_loop *lp = NULL;
    size_t n = n1_dg_loops_of(run, c, &lp);

    for (size_t i = 0; i < n; i++) {
        if (i % 4 == 0) {
            fprintf(out, "%s# N+1 loop: class%s", i > 0 ? "\n" : "",
                    n > 1 ? "es" : "");
        }
        fprintf(out, "%s %016llx", i % 4 > 0 ? "," : "",
                (unsigned long long)lp[i].id);
    }
    if (n > 0) {
        fprintf(out, "\n");
    }
}

/* "# Query 1: ..." and what follows it down to the header rule. */
static void text_class_head(FILE *out, const struct digest_run *run,
                            const struct n1_agg_class *c, size_t rank,
                            int by_fp)
{
    char qps[32];
    char conc[32];

    fmt_fit(n1_dg_qps_of(c), 10, 2, qps, sizeof(qps));
    fmt_fit(n1_dg_concurrency_of(c), 10, 2, conc, sizeof(conc));
    fprintf(out, "\n# %s %zu: %s QPS, %sx concurrency, ID %s\n",
            by_fp ? "Query" : "Item", rank, qps, conc, c->hex);
    if (!by_fp) {
        char v[80];

        cell(c->text != NULL ? c->text : "", 60, v, sizeof(v));
        fprintf(out, "# %s: %s\n", run->o->group_by, v);
    }
    if (c->m[N1_M_QUERY_TIME].n > 0) {
        fprintf(out, "# Scores: V/M = %.2f\n", n1_dg_vm_of(c));
    }
    text_loops(out, run, c);
    text_time_range(out, c);
    text_header_rule(out, 1);
}

/* The Count row and one row per metric the class has, each with its
   share of the total t. */
static void text_class_metrics(FILE *out, const struct n1_agg_class *c,
                               const struct n1_agg_class *t)
{
    char pct[8];

    snprintf(pct, sizeof(pct), "%.0f",
             t->count ? 100.0 * (double)c->count / (double)t->count : 0.0);
    fprintf(out, "# %-12s %3s %7llu\n", "Count", pct,
            (unsigned long long)c->count);
    for (size_t i = 0; i < n1_dg_n_metrics; i++) {
        const struct n1_agg_stats *s = &c->m[n1_dg_metrics[i].m];
        const struct n1_agg_stats *ts = &t->m[n1_dg_metrics[i].m];

        if (s->n == 0) {
            continue;
        }
        snprintf(pct, sizeof(pct), "%.0f",
                 ts->sum > 0 ? 100.0 * s->sum / ts->sum : 0.0);
        text_metric_row(out, n1_dg_metrics[i].label, pct, s,
                        n1_dg_metrics[i].is_time);
    }
}

/* The Query_time distribution: one bar per bucket, scaled to the
   fullest, and at least one mark for a bucket that is not empty. */
static void text_class_chart(FILE *out, const struct n1_agg_class *c)
{
    uint64_t chart_max = 0;

    fprintf(out, "# Query_time distribution\n");
    for (unsigned i = 0; i < N1_AGG_CHART_N; i++) {
        chart_max = c->chart[i] > chart_max ? c->chart[i] : chart_max;
    }
    for (unsigned i = 0; i < N1_AGG_CHART_N; i++) {
        unsigned marks = 0;

        if (c->chart[i] > 0 && chart_max > 0) {
            marks =
                (unsigned)((double)c->chart[i] * BAR_MAX / (double)chart_max);
            marks = marks < 1 ? 1 : marks;
        }
        fprintf(out, "# %5s%s", n1_agg_chart_label(i), marks > 0 ? "  " : "");
        for (unsigned k = 0; k < marks; k++) {
            fputc('#', out);
        }
        fputc('\n', out);
    }
}

/* "# Sample (slowest, ...)" and the sample statement itself. */
static void text_class_sample(FILE *out, const struct n1_agg_class *c)
{
    char head[64];
    int used;

    used = snprintf(head, sizeof(head), "# Sample (slowest");
    if (c->sample_has_qt) {
        used += snprintf(head + used, sizeof(head) - (size_t)used, ", %.6f s",
                         c->sample_qt);
    }
    fputs(head, out);
    if (c->sample_file != NULL) {
        char tail[32];
        size_t room;
        int tlen = snprintf(tail, sizeof(tail), ":%lu)", c->sample_line);

        /* Keep the line within 80 columns: a long path loses its
           beginning, which is the part a reader needs least. */
        room = 80 - (size_t)used - 2 - (size_t)tlen;
        fprintf(out, ", ");
        put_path_fit(out, c->sample_file, room);
        fputs(tail, out);
        fputc('\n', out);
    } else {
        fprintf(out, ")\n");
    }
    if (c->sample_len < c->sample_full_len) {
        fprintf(out, "# (cut to %zu of %zu bytes)\n", c->sample_len,
                c->sample_full_len);
    }
    put_statement(out, c->sample, c->sample_len);
    fprintf(out, "\\G\n");
}

/* "# EXPLAIN" and the plan lines of the class's sample (--explain). */
static void text_explain(FILE *out, const struct n1_digest_opts *o,
                         const struct n1_agg_class *c)
{
    const char *const *lines = NULL;
    size_t n = o->explain(o->explain_ud, c, &lines);

    fprintf(out, "# EXPLAIN\n");
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "#   %s\n", lines[i]);
    }
}

static void text_class(FILE *out, const struct digest_run *run,
                       const struct n1_agg_class *c, size_t rank)
{
    int by_fp = run->o->group_by == NULL ||
                strcmp(run->o->group_by, "fingerprint") == 0;

    text_class_head(out, run, c, rank, by_fp);
    text_class_metrics(out, c, &run->tot);
    fprintf(out, "# String:\n");
    text_values(out, "Databases", &c->dims[N1_DIM_DB], c->count);
    text_values(out, "Hosts", &c->dims[N1_DIM_HOST], c->count);
    text_values(out, "Users", &c->dims[N1_DIM_USER], c->count);
    if (c->m[N1_M_QUERY_TIME].n > 0) {
        text_class_chart(out, c);
    }
    if (by_fp) {
        text_tables(out, c);
        text_fingerprint(out, c);
    }
    if (c->sample != NULL) {
        text_class_sample(out, c);
        if (run->o->explain != NULL) {
            text_explain(out, run->o, c);
        }
    }
}

int n1_dg_each_class(const struct source *src, const struct digest_run *run,
                     size_t shown, n1_dg_class_fn fn, void *ud,
                     struct n1_error *err)
{
    struct n1_agg_class c;
    struct n1_agg_class view;
    const struct n1_agg_class *cp = NULL;
    int rc = 0;

    n1_agg_class_init(&c);
    for (size_t i = 0; i < shown && rc == 0; i++) {
        int got = n1_dg_get_class(src, run->rows[i].id, &c, &view, &cp, err);

        if (got < 0) {
            rc = -1;
        } else if (got == 1) {
            fn(ud, run, cp, i + 1);
        }
    }
    n1_agg_class_cleanup(&c);
    return rc;
}

/* n1_dg_each_class() callback of the text report: ud is the stream. */
static void text_class_of(void *ud, const struct digest_run *run,
                          const struct n1_agg_class *c, size_t rank)
{
    text_class(ud, run, c, rank);
}

static int text_report(FILE *out, const struct source *src,
                       const struct digest_run *run, size_t shown,
                       struct n1_error *err)
{
    text_overall(out, run);
    if (run->n_rows == 0) {
        fprintf(out, "\n# No statements.\n");
        return 0;
    }
    if (text_profile(out, src, run, shown, err) != 0) {
        return -1;
    }
    return n1_dg_each_class(src, run, shown, text_class_of, out, err);
}

/* ---- JSON ---- */

/* Sets key of obj to v (stolen); counts a failure in *bad. */
/*
 * How many of the ranked rows the report details: --limit's count, and
 * with a percent the rows taken while the ranking values taken so far
 * stay below that share of their total, as pt-query-digest's top_events
 * takes them (the row that crosses the share is in).
 */
static size_t shown_classes(const struct digest_run *run,
                            const struct n1_digest_opts *o)
{
    size_t n = o->limit == 0 || o->limit > run->n_rows ? run->n_rows : o->limit;
    double total = 0;
    double sum = 0;
    size_t i;

    if (!(o->limit_pct > 0)) {
        return n;
    }
    for (i = 0; i < run->n_rows; i++) {
        total += run->rows[i].key > 0 ? run->rows[i].key : 0;
    }
    total *= o->limit_pct / 100;
    if (!(total > 0)) {
        return n; /* nothing timed: the count alone limits, as in pt */
    }
    for (i = 0; i < n && sum < total; i++) {
        sum += run->rows[i].key > 0 ? run->rows[i].key : 0;
    }
    return i;
}

static int report(const struct source *src, const struct n1_digest_opts *o,
                  FILE *out, struct n1_error *err)
{
    struct digest_run run;
    size_t shown;
    int rc = -1;

    memset(&run, 0, sizeof(run));
    run.o = o;
    n1_agg_class_init(&run.tot);
    run.order_metric = o->order_metric;
    run.order_stat = o->order_stat;
    if (scan_classes(src, &run, err) != 0) {
        goto out;
    }
    /* Resolve the default order: total Query_time, or the count when
       nothing has a Query_time (general logs). */
    if (run.order_metric < 0) {
        run.order_metric = N1_M_QUERY_TIME;
        run.order_stat = N1_DIGEST_SUM;
        if (run.tot.m[N1_M_QUERY_TIME].n == 0) {
            run.order_stat = N1_DIGEST_CNT;
        }
        /* The keys were not set during the scan: derive them from the
           rows, which hold what either default needs. */
        for (size_t i = 0; i < run.n_rows; i++) {
            struct rank_row *r = &run.rows[i];

            r->key = run.order_stat == N1_DIGEST_CNT ? (double)r->count
                     : r->has_qt                     ? r->qt_sum
                                                     : -1.0;
        }
    }
    if (run.n_rows > 1) {
        qsort(run.rows, run.n_rows, sizeof(run.rows[0]), row_cmp);
    }
    shown = shown_classes(&run, o);
    switch (o->format) {
    case N1_DIGEST_JSON:
        rc = n1_dg_json_report(out, src, &run, shown, err);
        break;
    case N1_DIGEST_HTML:
        rc = n1_dg_html_report(out, src, &run, shown, err);
        break;
    case N1_DIGEST_TEXT:
    default:
        rc = text_report(out, src, &run, shown, err);
        break;
    }
    if (rc == 0 && (fflush(out) != 0 || ferror(out))) {
        n1_err_set(err, N1_ESYS, NULL, 0, "writing the report: output failed");
        rc = -1;
    }

out:
    free(run.rows);
    n1_agg_class_cleanup(&run.tot);
    return rc;
}

int n1_report_digest(struct n1_store *st, const struct n1_digest_opts *o,
                     FILE *out, struct n1_error *err)
{
    struct source src;

    src.st = st;
    src.agg = NULL;
    return report(&src, o, out, err);
}

int n1_report_digest_agg(const struct n1_agg *agg,
                         const struct n1_digest_opts *o, FILE *out,
                         struct n1_error *err)
{
    struct source src;

    src.st = NULL;
    src.agg = agg;
    return report(&src, o, out, err);
}
