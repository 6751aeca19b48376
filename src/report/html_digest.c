/* SPDX-License-Identifier: MIT */
/*
 * html_digest.c: the digest report as one HTML page.
 *
 * The same model as the text and JSON forms (struct digest_run and the
 * classes it ranks, loaded one at a time): the overall figures, the
 * profile as bars of response-time share and as a table (one row per
 * ranked class, data-n1="class"), then one card per class with its
 * metrics, its query-time chart (the buckets the text report draws with
 * #), its calls and time over the log's span, its value lists, its
 * fingerprint and its sample. The store keeps no per-time counts of a
 * class: a run that reads logs counts them (digest_series.c) and hands
 * them over in the options; a report on stored data alone draws the span
 * each class was active in instead.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/digest_int.h"
#include "report/html_int.h"

/* A class's row of the digest's series is drawn as an HTML series. */
_Static_assert(N1_DIGEST_SERIES_N == N1_HTML_SERIES_N,
               "the digest's series and the chart have as many buckets");

/* The share each ranked class has of the total it is compared by: its
   Query_time when the log has timings, else its calls. */
static double share_of(const struct digest_run *run, const struct rank_row *r)
{
    double qt = run->tot.m[N1_M_QUERY_TIME].sum;

    if (run->tot.m[N1_M_QUERY_TIME].n > 0) {
        return qt > 0.0 ? 100.0 * r->qt_sum / qt : 0.0;
    }
    return run->tot.count > 0
               ? 100.0 * (double)r->count / (double)run->tot.count
               : 0.0;
}

static void html_overall(FILE *out, const struct digest_run *run)
{
    const struct n1_digest_opts *o = run->o;
    const struct n1_agg_class *t = &run->tot;
    char buf[96];
    char a[32];
    char b[32];

    fputs("<dl class=\"meta\">\n", out);
    for (size_t i = 0; i < o->n_inputs; i++) {
        n1_html_dl_item(out, "Log", o->inputs[i]);
    }
    n1_html_dl_item(out, "Store", o->store_path);
    n1_html_dl_item(out, "Grouped by",
                    o->group_by != NULL ? o->group_by : "fingerprint");
    snprintf(buf, sizeof(buf), "%zu", run->n_rows);
    n1_html_dl_item(out, "Classes", buf);
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)t->count);
    n1_html_dl_item(out, "Statements", buf);
    if (t->m[N1_M_QUERY_TIME].n > 0) {
        snprintf(buf, sizeof(buf), "%.6f s", t->m[N1_M_QUERY_TIME].sum);
        n1_html_dl_item(out, "Query_time total", buf);
    }
    if (t->first_seen != N1_TS_NONE) {
        n1_dg_fmt_ts(t->first_seen, a, sizeof(a));
        n1_dg_fmt_ts(t->last_seen, b, sizeof(b));
        snprintf(buf, sizeof(buf), "%s to %s UTC", a, b);
        n1_html_dl_item(out, "Time range", buf);
    }
    fputs("</dl>\n", out);
}

/* The profile's bars: the ranked classes' shares, from the ranking rows. */
static int html_profile_bars(FILE *out, const struct digest_run *run,
                             size_t shown, struct n1_error *err)
{
    struct n1_svg_rank *v = calloc(shown > 0 ? shown : 1, sizeof(*v));

    if (v == NULL) {
        n1_err_oom(err, "building the HTML report");
        return -1;
    }
    for (size_t i = 0; i < shown; i++) {
        v[i].id = run->rows[i].id;
        v[i].value = share_of(run, &run->rows[i]);
    }
    n1_svg_ranked(out,
                  run->tot.m[N1_M_QUERY_TIME].n > 0
                      ? "Share of response time"
                      : "Share of calls (the log has no timings)",
                  v, shown, 1);
    free(v);
    return 0;
}

/* One row of the profile table. */
static void html_profile_row(FILE *out, const struct digest_run *run,
                             const struct n1_agg_class *c, size_t rank)
{
    const struct n1_agg_stats *qt = &c->m[N1_M_QUERY_TIME];
    const struct n1_digest_loop *lp = NULL;
    char item[256];
    char buf[32];

    n1_dg_class_item(run, c, item, sizeof(item));
    fprintf(out, "<tr data-n1=\"class\">");
    snprintf(buf, sizeof(buf), "%zu", rank);
    n1_html_td_num(out, (double)rank, buf);
    fprintf(out, "<td><a href=\"#c-%s\">%s</a></td>", c->hex, c->hex);
    if (qt->n > 0) {
        n1_html_td_secs(out, qt->sum);
    } else {
        n1_html_td_num(out, NAN, "");
    }
    snprintf(buf, sizeof(buf), "%.1f%%", share_of(run, &run->rows[rank - 1]));
    n1_html_td_num(out, share_of(run, &run->rows[rank - 1]), buf);
    n1_html_td_count(out, c->count);
    if (qt->n > 0) {
        n1_html_td_secs(out, n1_agg_stats_avg(qt));
        snprintf(buf, sizeof(buf), "%.2f", n1_dg_vm_of(c));
        n1_html_td_num(out, n1_dg_vm_of(c), buf);
    } else {
        n1_html_td_num(out, NAN, "");
        n1_html_td_num(out, NAN, "");
    }
    n1_html_td(out, n1_dg_loops_of(run, c, &lp) > 0 ? "N+1 loop" : "");
    n1_html_td(out, item);
    fputs("</tr>\n", out);
}

/* n1_dg_each_class() callback of the profile table: ud is the stream. */
static void profile_row_of(void *ud, const struct digest_run *run,
                           const struct n1_agg_class *c, size_t rank)
{
    html_profile_row(ud, run, c, rank);
}

static int html_profile(FILE *out, const struct source *src,
                        const struct digest_run *run, size_t shown,
                        struct n1_error *err)
{
    static const struct n1_html_col cols[] = {
        {"Rank", 1},  {"Query ID", 0}, {"Response time", 1},
        {"Share", 1}, {"Calls", 1},    {"R/Call", 1},
        {"V/M", 1},   {"Loop", 0},     {"Item", 0},
    };

    fputs("<h2>Profile</h2>\n", out);
    if (html_profile_bars(out, run, shown, err) != 0) {
        return -1;
    }
    n1_html_table_begin(out, "profile", cols, sizeof(cols) / sizeof(*cols));
    if (n1_dg_each_class(src, run, shown, profile_row_of, out, err) != 0) {
        return -1;
    }
    n1_html_table_end(out);
    if (shown < run->n_rows) {
        fprintf(out,
                "<p class=\"muted\">%zu more classes not shown "
                "(--limit).</p>\n",
                run->n_rows - shown);
    }
    return 0;
}

/* The metrics of a class: one row per metric it has. */
static void html_class_metrics(FILE *out, const struct n1_agg_class *c)
{
    fputs("<table class=\"metrics\"><thead><tr><th>Metric</th>"
          "<th class=\"num\">Total</th><th class=\"num\">Min</th>"
          "<th class=\"num\">Max</th><th class=\"num\">Avg</th>"
          "<th class=\"num\">95%</th><th class=\"num\">Stddev</th>"
          "<th class=\"num\">Median</th></tr></thead><tbody>\n",
          out);
    for (size_t i = 0; i < n1_dg_n_metrics; i++) {
        const struct n1_agg_stats *s = &c->m[n1_dg_metrics[i].m];
        int is_int = !n1_dg_metrics[i].is_time;
        double v[7];

        if (s->n == 0) {
            continue;
        }
        v[0] = s->sum;
        v[1] = s->min;
        v[2] = s->max;
        v[3] = n1_agg_stats_avg(s);
        v[4] = n1_digest_pct95(s, is_int);
        v[5] = n1_agg_stats_stddev(s);
        v[6] = n1_digest_median(s, is_int);
        fputs("<tr>", out);
        n1_html_td(out, n1_agg_metric_name(n1_dg_metrics[i].m));
        for (int k = 0; k < 7; k++) {
            char buf[48];

            snprintf(buf, sizeof(buf), is_int ? "%.0f" : "%.6f", v[k]);
            n1_html_td_num(out, v[k], buf);
        }
        fputs("</tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
}

/* "value (count)" of each value of one list, escaped. */
static void html_values(FILE *out, const char *label,
                        const struct n1_agg_values *v)
{
    if (v->n == 0 && v->other == 0) {
        return;
    }
    fprintf(out, "<dt>%s</dt><dd>", label);
    for (unsigned i = 0; i < v->n; i++) {
        fputs(i > 0 ? ", " : "", out);
        n1_html_text(out, v->v[i].value);
        fprintf(out, " (%llu)", (unsigned long long)v->v[i].count);
    }
    if (v->other > 0) {
        fprintf(out, "%sothers (%llu)", v->n > 0 ? ", " : "",
                (unsigned long long)v->other);
    }
    fputs("</dd>\n", out);
}

static void html_class_head(FILE *out, const struct digest_run *run,
                            const struct n1_agg_class *c, size_t rank)
{
    const struct n1_digest_loop *lp = NULL;
    size_t loops = n1_dg_loops_of(run, c, &lp);

    fprintf(out,
            "<section class=\"card\" id=\"c-%s\">\n<h3>Query %zu: %s</h3>\n",
            c->hex, rank, c->hex);
    fprintf(out,
            "<dl class=\"meta\"><dt>QPS</dt><dd>%.2f</dd>"
            "<dt>Concurrency</dt><dd>%.2f</dd>\n",
            n1_dg_qps_of(c), n1_dg_concurrency_of(c));
    if (loops > 0) {
        fputs("<dt>N+1 loop</dt><dd>", out);
        for (size_t i = 0; i < loops; i++) {
            fprintf(out, "%sclass %016llx", i > 0 ? ", " : "",
                    (unsigned long long)lp[i].id);
        }
        fputs("</dd>\n", out);
    }
    if (run->o->group_by != NULL &&
        strcmp(run->o->group_by, "fingerprint") != 0) {
        n1_html_dl_item(out, run->o->group_by, c->text);
    }
    html_values(out, "Databases", &c->dims[N1_DIM_DB]);
    html_values(out, "Hosts", &c->dims[N1_DIM_HOST]);
    html_values(out, "Users", &c->dims[N1_DIM_USER]);
    fputs("</dl>\n", out);
}

/* The buckets of row that the log's span [first, last seen of t] covers,
   as a chart series: the shared grid may reach past the span. */
static void crop_row(const struct n1_digest_row *row,
                     const struct n1_agg_class *t, struct n1_html_series *s)
{
    int64_t w = (row->t1 - row->t0) / N1_DIGEST_SERIES_N;
    size_t k0 = 0;
    size_t k1 = N1_DIGEST_SERIES_N - 1;

    if (w > 0 && t->first_seen != N1_TS_NONE && t->first_seen >= row->t0 &&
        t->last_seen >= t->first_seen && t->last_seen < row->t1) {
        k0 = (size_t)((t->first_seen - row->t0) / w);
        k1 = (size_t)((t->last_seen - row->t0) / w);
    }
    n1_html_series_init(s, row->t0 + (int64_t)k0 * w,
                        row->t0 + (int64_t)(k1 + 1) * w);
    s->n = k1 - k0 + 1;
    for (size_t k = 0; k < s->n; k++) {
        s->calls[k] = row->calls[k0 + k];
        s->secs[k] = row->secs[k0 + k];
    }
    s->has_time = row->has_time;
}

/* Calls and time over the log's span when the run counted them, else
   the span the class was active in (all the store keeps). */
static void html_class_time(FILE *out, const struct digest_run *run,
                            const struct n1_agg_class *c)
{
    struct n1_digest_row row;
    struct n1_html_series s;

    if (run->o->series != NULL &&
        n1_digest_series_get(run->o->series, c->id, &row) == 1) {
        crop_row(&row, &run->tot, &s);
        n1_svg_series(out, "Calls and time over the log's span", &s);
    } else if (c->first_seen != N1_TS_NONE) {
        n1_svg_span(out, "Active within the log's span", run->tot.first_seen,
                    run->tot.last_seen, c->first_seen, c->last_seen);
    }
}

static void html_class(FILE *out, const struct digest_run *run,
                       const struct n1_agg_class *c, size_t rank)
{
    int by_fp = run->o->group_by == NULL ||
                strcmp(run->o->group_by, "fingerprint") == 0;
    const char *labels[N1_AGG_CHART_N];

    html_class_head(out, run, c, rank);
    html_class_metrics(out, c);
    fputs("<div class=\"charts\">\n", out);
    if (c->m[N1_M_QUERY_TIME].n > 0) {
        for (unsigned i = 0; i < N1_AGG_CHART_N; i++) {
            labels[i] = n1_agg_chart_label(i);
        }
        n1_svg_hist(out, "Query_time distribution", c->chart, labels,
                    N1_AGG_CHART_N);
    }
    html_class_time(out, run, c);
    fputs("</div>\n", out);
    if (by_fp && c->text != NULL) {
        n1_html_code(out, "Fingerprint", c->text, c->text_len);
    }
    if (c->sample != NULL) {
        n1_html_code(out, "Sample", c->sample, c->sample_len);
        if (c->sample_file != NULL) {
            fputs("<p class=\"muted\">from ", out);
            n1_html_text(out, c->sample_file);
            fprintf(out, ":%lu</p>\n", c->sample_line);
        }
    }
    fputs("</section>\n", out);
}

/* n1_dg_each_class() callback of the class cards: ud is the stream. */
static void class_of(void *ud, const struct digest_run *run,
                     const struct n1_agg_class *c, size_t rank)
{
    html_class(ud, run, c, rank);
}

int n1_dg_html_report(FILE *out, const struct source *src,
                      const struct digest_run *run, size_t shown,
                      struct n1_error *err)
{
    if (run->o->series != NULL && n1_digest_series_failed(run->o->series)) {
        n1_err_oom(err, "counting the classes over time");
        return -1;
    }
    n1_html_begin(out, "n1digest: query digest");
    html_overall(out, run);
    if (run->n_rows == 0) {
        fputs("<p>No statements.</p>\n", out);
    } else if (html_profile(out, src, run, shown, err) != 0) {
        return -1;
    }
    if (shown > 0) {
        fputs("<h2>Classes</h2>\n", out);
    }
    if (n1_dg_each_class(src, run, shown, class_of, out, err) != 0) {
        return -1;
    }
    return n1_html_end(out, err);
}
