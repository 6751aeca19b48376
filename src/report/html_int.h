/* SPDX-License-Identifier: MIT */
/*
 * html_int.h: the page frame every HTML report of report/ shares (digest,
 * analyze, check): the head with its CSS, the script that sorts and
 * filters tables and copies code blocks, escaped text, table cells and
 * the inline SVG charts. Not public.
 *
 * Every byte from a log goes through n1_html_text(), which escapes it for
 * HTML text and for a quoted attribute alike and repairs it to UTF-8, so
 * a writer never has to know which context it is in. No log text is ever
 * written into the page's script: the data stays in the DOM as text.
 */
#ifndef N1_REPORT_HTML_INT_H
#define N1_REPORT_HTML_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/error.h"
#include "store/store.h"

/* Buckets of a time series chart: bounded whatever the log's size. */
#define N1_HTML_SERIES_N 48

/*
 * Writes s (NUL-terminated; NULL writes nothing) escaped for HTML text
 * and double- or single-quoted attributes: & < > " ' as entities, bytes
 * that are not UTF-8 and control characters other than tab and newline
 * as U+FFFD.
 */
void n1_html_text(FILE *out, const char *s);

/* As n1_html_text() for len bytes of s (NUL bytes become U+FFFD). */
void n1_html_textn(FILE *out, const char *s, size_t len);

/*
 * Writes the start of the page up to and including <body> and the <h1>:
 * doctype, a Content-Security-Policy that forbids every fetch, the title
 * (escaped) and the inline CSS.
 */
void n1_html_begin(FILE *out, const char *title);

/*
 * Writes the inline script (sorting, filtering, copy buttons) and closes
 * the page. Returns 0, or -1 with err set (N1_ESYS) when out failed at any
 * point of the page.
 */
int n1_html_end(FILE *out, struct n1_error *err);

/* One column of a table. */
struct n1_html_col {
    const char *label; /* header text (trusted, written as is) */
    int numeric;       /* 1: sorts by the cells' data-v numbers */
};

/*
 * Opens a sortable, filterable table: a filter box, then <table> with the
 * header row, then <tbody>. id names the table (trusted, [a-z0-9-]).
 */
void n1_html_table_begin(FILE *out, const char *id,
                         const struct n1_html_col *cols, size_t n);

/* Closes the table n1_html_table_begin() opened. */
void n1_html_table_end(FILE *out);

/* A text cell, s escaped (NULL: an empty cell). */
void n1_html_td(FILE *out, const char *s);

/* A numeric cell shown as shown (trusted) and sorted by v. */
void n1_html_td_num(FILE *out, double v, const char *shown);

/* A numeric cell of an unsigned count. */
void n1_html_td_count(FILE *out, uint64_t v);

/* A cell of seconds (6 decimals shown, fewer past 1 s); NaN: empty. */
void n1_html_td_secs(FILE *out, double v);

/*
 * A block of code (SQL) with a copy button: len bytes of sql escaped in a
 * <pre>, which the button copies. label (trusted, may be NULL) heads the
 * block.
 */
void n1_html_code(FILE *out, const char *label, const char *sql, size_t len);

/* What a finding's card ends with: its statement and its rewrite, each
   with a copy button, and the advice; NULL parts are left out. */
void n1_html_fix(FILE *out, const char *sample, const char *rewrite,
                 const char *advice);

/* "<dt>term</dt><dd>value</dd>", value escaped; NULL value: nothing. */
void n1_html_dl_item(FILE *out, const char *term, const char *value);

/* A time cell: "YYYY-MM-DD HH:MM:SS" UTC, sorted by us; N1_TS_NONE and
   times that cannot be shown leave it empty. */
void n1_html_td_time(FILE *out, int64_t us);

/*
 * The verdict of `n1digest verify` as an element tag ("td" for a table
 * cell, "dd" for a card's field): "WORD on HOST at TIME" coloured by the
 * word, with data-n1-verdict="WORD" and the detail as the title (shown on
 * hover); a dd also shows the detail under it. Everything from the store
 * is escaped. v NULL: "not verified" and an empty data-n1-verdict.
 */
void n1_html_verdict(FILE *out, const char *tag,
                     const struct n1_store_verdict *v);

/* ---- SVG charts (html_svg.c) ---- */

/* One bar of a ranked bar chart. */
struct n1_svg_rank {
    uint64_t id;  /* the item's id, shown in hex beside its rank */
    double value; /* bar length, against the largest of the chart */
};

/*
 * Horizontal bars, one per item in rank order, labelled "RANK  ID" and
 * scaled to the largest value; each value is written after its bar as a
 * percentage (percent 1) or a count. title (trusted) names the chart.
 */
void n1_svg_ranked(FILE *out, const char *title, const struct n1_svg_rank *v,
                   size_t n, int percent);

/*
 * The query-time distribution as columns: count[i] events in the bucket
 * labelled label[i], scaled to the fullest bucket, with at least a sliver
 * for a bucket that is not empty (the # chart of the text digest).
 */
void n1_svg_hist(FILE *out, const char *title, const uint64_t *count,
                 const char *const *label, size_t n);

/*
 * Calls and time over a span: N1_HTML_SERIES_N buckets of equal width
 * from t0 to t1 (UTC microseconds), each with its calls and seconds.
 */
struct n1_html_series {
    int64_t t0;                       /* start of the first bucket */
    int64_t t1;                       /* end of the last (> t0) */
    uint64_t calls[N1_HTML_SERIES_N]; /* executions per bucket */
    double secs[N1_HTML_SERIES_N];    /* their time */
    int has_time;                     /* 1 when any seconds are known */
    size_t n;                         /* buckets drawn, the first n (at
                                         most N1_HTML_SERIES_N) */
};

/* Empties s for the span [t0, t1] (t1 <= t0 widens it to one second),
   all N1_HTML_SERIES_N buckets drawn. */
void n1_html_series_init(struct n1_html_series *s, int64_t t0, int64_t t1);

/* Counts calls and secs (NaN: no time) at ts; ts outside the span goes to
   the nearest end bucket, N1_TS_NONE is ignored. */
void n1_html_series_add(struct n1_html_series *s, int64_t ts, uint64_t calls,
                        double secs);

/*
 * Two rows of columns over the span (its first s->n buckets), calls on
 * top and time below (when known), with the span's ends under them.
 */
void n1_svg_series(FILE *out, const char *title,
                   const struct n1_html_series *s);

/*
 * The span a class was active in within the log's span [t0, t1]: a band
 * from first to last, for reports whose store keeps no per-time counts.
 */
void n1_svg_span(FILE *out, const char *title, int64_t t0, int64_t t1,
                 int64_t first, int64_t last);

#endif /* N1_REPORT_HTML_INT_H */
