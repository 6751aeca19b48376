/* SPDX-License-Identifier: MIT */
/*
 * html_svg.c: the inline SVG charts of the HTML reports.
 *
 * Each chart is a <figure> holding one <svg class="n1-chart"> sized in
 * user units, so that it scales with the page; the numbers it draws come
 * from the report's own model (the digest's query-time chart, its
 * shares, a class's occurrences), never recomputed differently here. A
 * time series has a fixed number of buckets (N1_HTML_SERIES_N), so a
 * chart's size does not depend on the log's.
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "base/event.h"
#include "base/timeutil.h"
#include "report/html_int.h"

#define HBAR_W     720 /* width of a bar chart */
#define HBAR_LABEL 220 /* room for the labels left of the bars */
#define HBAR_VALUE 70  /* room for the values right of them */
#define HBAR_ROW   20  /* height of one bar's row */

static void figure_begin(FILE *out, const char *title, int w, int h)
{
    fprintf(out,
            "<figure class=\"chart\"><figcaption>%s</figcaption>"
            "<svg class=\"n1-chart\" viewBox=\"0 0 %d %d\" width=\"%d\" "
            "height=\"%d\" role=\"img\" aria-label=\"%s\">",
            title, w, h, w, h, title);
}

static void figure_end(FILE *out)
{
    fputs("</svg></figure>\n", out);
}

void n1_svg_ranked(FILE *out, const char *title, const struct n1_svg_rank *v,
                   size_t n, int percent)
{
    double max = 0.0;
    int room = HBAR_W - HBAR_LABEL - HBAR_VALUE;

    for (size_t i = 0; i < n; i++) {
        max = v[i].value > max ? v[i].value : max;
    }
    figure_begin(out, title, HBAR_W, (int)n * HBAR_ROW + 4);
    for (size_t i = 0; i < n; i++) {
        int y = (int)i * HBAR_ROW + 2;
        double w =
            max > 0.0 && v[i].value > 0.0 ? v[i].value * room / max : 0.0;
        char label[48];
        char shown[32];

        /* A share that rounds to nothing still shows as a sliver. */
        w = v[i].value > 0.0 && w < 1.0 ? 1.0 : w;
        snprintf(label, sizeof(label), "%zu  %016" PRIx64, i + 1, v[i].id);
        snprintf(shown, sizeof(shown), percent ? "%.1f%%" : "%.0f", v[i].value);
        fprintf(out,
                "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>"
                "<rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%.1f\" "
                "height=\"%d\"><title>%s: %s</title></rect>"
                "<text x=\"%.1f\" y=\"%d\">%s</text>",
                HBAR_LABEL - 6, y + 14, label, HBAR_LABEL, y + 2, w,
                HBAR_ROW - 4, label, shown, HBAR_LABEL + w + 4, y + 14, shown);
    }
    figure_end(out);
}

void n1_svg_hist(FILE *out, const char *title, const uint64_t *count,
                 const char *const *label, size_t n)
{
    const int col = 44, top = 14, h = 90, base = top + h;
    uint64_t max = 0;

    for (size_t i = 0; i < n; i++) {
        max = count[i] > max ? count[i] : max;
    }
    figure_begin(out, title, (int)n * col + 8, base + 18);
    for (size_t i = 0; i < n; i++) {
        double bh = 0.0;
        int x = (int)i * col + 4;

        if (count[i] > 0 && max > 0) {
            bh = (double)count[i] * h / (double)max;
            bh = bh < 2.0 ? 2.0 : bh;
        }
        fprintf(out,
                "<rect class=\"bar\" x=\"%d\" y=\"%.1f\" width=\"%d\" "
                "height=\"%.1f\"><title>%s: %llu</title></rect>",
                x + 4, base - bh, col - 8, bh, label[i],
                (unsigned long long)count[i]);
        if (count[i] > 0) {
            fprintf(out,
                    "<text x=\"%d\" y=\"%.1f\" text-anchor=\"middle\">%llu"
                    "</text>",
                    x + col / 2, base - bh - 3, (unsigned long long)count[i]);
        }
        fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>",
                x + col / 2, base + 14, label[i]);
    }
    fprintf(out,
            "<line class=\"axis\" x1=\"4\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>",
            base, (int)n * col + 4, base);
    figure_end(out);
}

void n1_html_series_init(struct n1_html_series *s, int64_t t0, int64_t t1)
{
    memset(s, 0, sizeof(*s));
    s->t0 = t0;
    s->t1 = t1 > t0 ? t1 : t0 + 1000000;
    s->n = N1_HTML_SERIES_N;
}

void n1_html_series_add(struct n1_html_series *s, int64_t ts, uint64_t calls,
                        double secs)
{
    double at;
    long k;

    if (ts == N1_TS_NONE) {
        return;
    }
    at = (double)(ts - s->t0) / (double)(s->t1 - s->t0);
    /* Clamped before the conversion, which a far-off time would
       overflow. */
    at = at < 0.0 ? 0.0 : at > 1.0 ? 1.0 : at;
    k = (long)floor(at * N1_HTML_SERIES_N);
    k = k >= N1_HTML_SERIES_N ? N1_HTML_SERIES_N - 1 : k;
    s->calls[k] += calls;
    if (!isnan(secs)) {
        s->secs[k] += secs;
        s->has_time = 1;
    }
}

/* One row of columns of the series: the first n of v, each scaled to
   the largest, spread over the chart's width. */
static void series_row(FILE *out, const double *v, size_t n, int top, int h,
                       const char *cls, const char *what)
{
    double col = (double)(N1_HTML_SERIES_N * 14) / (double)(n > 0 ? n : 1);
    double max = 0.0;

    for (size_t k = 0; k < n; k++) {
        max = v[k] > max ? v[k] : max;
    }
    for (size_t k = 0; k < n; k++) {
        double bh = max > 0.0 ? v[k] * h / max : 0.0;

        if (v[k] <= 0.0) {
            continue;
        }
        bh = bh < 1.5 ? 1.5 : bh;
        fprintf(out,
                "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                "height=\"%.1f\"><title>%s: %.6g</title></rect>",
                cls, 60 + (double)k * col, top + h - bh,
                col > 3.0 ? col - 2.0 : col * 0.7, bh, what, v[k]);
    }
    fprintf(out,
            "<text x=\"54\" y=\"%d\" text-anchor=\"end\">%s</text>"
            "<line class=\"axis\" x1=\"60\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>",
            top + h / 2 + 4, what, top + h, 60 + N1_HTML_SERIES_N * 14,
            top + h);
}

/* The span's ends under a chart whose axis starts at x 60. */
static void span_ends(FILE *out, int64_t t0, int64_t t1, int y, int x1)
{
    char a[N1_TS_ISO_MAX];
    char b[N1_TS_ISO_MAX];

    if (n1_ts_format_datetime(t0, a) != 0) {
        strcpy(a, "?");
    }
    if (n1_ts_format_datetime(t1, b) != 0) {
        strcpy(b, "?");
    }
    fprintf(out,
            "<text x=\"60\" y=\"%d\">%s</text>"
            "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>",
            y, a, x1, y, b);
}

void n1_svg_series(FILE *out, const char *title, const struct n1_html_series *s)
{
    const int h = 48, w = 60 + N1_HTML_SERIES_N * 14;
    double calls[N1_HTML_SERIES_N];
    int rows = s->has_time ? 2 : 1;

    for (int k = 0; k < N1_HTML_SERIES_N; k++) {
        calls[k] = (double)s->calls[k];
    }
    figure_begin(out, title, w + 4, rows * (h + 8) + 20);
    series_row(out, calls, s->n, 4, h, "bar", "calls");
    if (s->has_time) {
        series_row(out, s->secs, s->n, h + 12, h, "bar2", "time s");
    }
    span_ends(out, s->t0, s->t1, rows * (h + 8) + 14, w);
    figure_end(out);
}

void n1_svg_span(FILE *out, const char *title, int64_t t0, int64_t t1,
                 int64_t first, int64_t last)
{
    const int w = 60 + N1_HTML_SERIES_N * 14, room = w - 60;
    double a = 0.0;
    double b = 1.0;

    if (t1 > t0 && first != N1_TS_NONE && last != N1_TS_NONE) {
        a = (double)(first - t0) / (double)(t1 - t0);
        b = (double)(last - t0) / (double)(t1 - t0);
    }
    a = a < 0.0 ? 0.0 : a > 1.0 ? 1.0 : a;
    b = b < a ? a : b > 1.0 ? 1.0 : b;
    figure_begin(out, title, w + 4, 44);
    fprintf(out,
            "<text x=\"54\" y=\"18\" text-anchor=\"end\">active</text>"
            "<line class=\"axis\" x1=\"60\" y1=\"24\" x2=\"%d\" y2=\"24\"/>"
            "<rect class=\"bar\" x=\"%.1f\" y=\"8\" width=\"%.1f\" "
            "height=\"14\"/>",
            w, 60 + a * room, (b - a) * room < 2.0 ? 2.0 : (b - a) * room);
    span_ends(out, t0, t1 > t0 ? t1 : t0, 38, w);
    figure_end(out);
}
