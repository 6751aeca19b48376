/* SPDX-License-Identifier: MIT */
/*
 * html_classes.c: the finding classes of `analyze` as one HTML page.
 *
 * The same model as the text and JSON class reports (struct
 * n1_class_set, ranked; each class's occurrences read back from the store
 * in time order): a bar chart of each class's share of the cost, a table
 * with one row per class (data-n1="finding"), then one card per class
 * with its parent, location and tags, its evidence, its calls and time
 * over the findings' span (first to last occurrence of all), one row per
 * occurrence (data-n1="occurrence"), the statement, and the rewrite with a copy
 * button. The series is built from the occurrences as they are read, in a fixed
 * number of buckets.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/event.h"
#include "report/classes.h"
#include "report/html_int.h"

/* The findings' span: the earliest first and latest last seen of all. */
static void set_span(const struct n1_class_set *set, int64_t *t0, int64_t *t1)
{
    *t0 = N1_TS_NONE;
    *t1 = N1_TS_NONE;
    for (size_t i = 0; i < set->n; i++) {
        const struct n1_finding *f = set->v[i].f;

        if (f->first_seen_us != N1_TS_NONE &&
            (*t0 == N1_TS_NONE || f->first_seen_us < *t0)) {
            *t0 = f->first_seen_us;
        }
        if (f->last_seen_us != N1_TS_NONE &&
            (*t1 == N1_TS_NONE || f->last_seen_us > *t1)) {
            *t1 = f->last_seen_us;
        }
    }
}

static const char *kind_title(enum n1_finding_kind k)
{
    switch (k) {
    case N1_FIND_N_PLUS_ONE:
        return "N+1 loop";
    case N1_FIND_DUPLICATE:
        return "repeated statement";
    case N1_FIND_FANOUT:
        return "fan-out over connections";
    default:
        return "finding";
    }
}

static int html_cost_bars(FILE *out, const struct n1_class_set *set,
                          struct n1_error *err)
{
    struct n1_svg_rank *v = calloc(set->n > 0 ? set->n : 1, sizeof(*v));
    double total = 0.0;

    if (v == NULL) {
        n1_err_oom(err, "building the HTML report");
        return -1;
    }
    for (size_t i = 0; i < set->n; i++) {
        total += n1_finding_cost(set->v[i].f, NULL);
    }
    for (size_t i = 0; i < set->n; i++) {
        v[i].id = set->v[i].f->id;
        v[i].value = total > 0.0
                         ? 100.0 * n1_finding_cost(set->v[i].f, NULL) / total
                         : 0.0;
    }
    n1_svg_ranked(out, "Share of the findings' cost", v, set->n, 1);
    free(v);
    return 0;
}

/* One row of the findings table. */
static void html_class_row(FILE *out, const struct n1_finding_class *c,
                           size_t rank)
{
    const struct n1_finding *f = c->f;
    char buf[64];
    int est;

    fputs("<tr data-n1=\"finding\">", out);
    snprintf(buf, sizeof(buf), "%zu", rank);
    n1_html_td_num(out, (double)rank, buf);
    fprintf(out, "<td><a href=\"#f-%016" PRIx64 "\">%s</a></td>", f->id,
            kind_title(f->kind));
    n1_html_td(out, n1_severity_name(f->severity));
    n1_html_td(out, f->table);
    n1_html_td_count(out, f->count);
    n1_html_td_count(out, (uint64_t)c->occurrences);
    snprintf(buf, sizeof(buf), "%.3f%s", n1_finding_cost(f, &est),
             est ? " (est.)" : "");
    n1_html_td_num(out, n1_finding_cost(f, NULL), buf);
    n1_html_td_count(out, f->round_trips_saved);
    n1_html_td(out, f->location);
    n1_html_verdict(out, "td", c->verdict);
    fputs("</tr>\n", out);
}

static void html_table(FILE *out, const struct n1_class_set *set)
{
    static const struct n1_html_col cols[] = {
        {"Rank", 1},     {"Kind", 0},        {"Severity", 0}, {"Table", 0},
        {"Calls", 1},    {"Occurrences", 1}, {"Cost s", 1},   {"Saved", 1},
        {"Location", 0}, {"Verdict", 0},
    };

    n1_html_table_begin(out, "findings", cols, sizeof(cols) / sizeof(*cols));
    for (size_t i = 0; i < set->n; i++) {
        html_class_row(out, &set->v[i], i + 1);
    }
    n1_html_table_end(out);
}

/* The boundary names of a bit set (1 << enum n1_boundary), escaped. */
static void put_bounds(FILE *out, unsigned bits)
{
    int first = 1;

    for (unsigned b = 0; b < N1_BOUND_COUNT; b++) {
        if (bits & (1u << b)) {
            fprintf(out, "%s%s", first ? "" : ", ",
                    n1_boundary_name((enum n1_boundary)b));
            first = 0;
        }
    }
    fputs(first ? "-" : "", out);
}

/* Parent, location, tags and the evidence of the class. */
static void html_class_facts(FILE *out, const struct n1_finding_class *c)
{
    const struct n1_finding *f = c->f;

    fputs("<dl class=\"meta\">\n", out);
    fprintf(out, "<dt>Severity</dt><dd>%s</dd>\n",
            n1_severity_name(f->severity));
    n1_html_dl_item(out, "Table", f->table);
    if (f->has_parent) {
        fprintf(out, "<dt>Parent</dt><dd>fingerprint %016" PRIx64 " on ",
                f->parent_fingerprint);
        n1_html_text(out, f->parent_table[0] != '\0' ? f->parent_table : "-");
        if (!isnan(f->parent_rows_sent)) {
            fprintf(out, ", %.0f rows sent", f->parent_rows_sent);
        }
        fputs("</dd>\n", out);
    }
    n1_html_dl_item(out, "Location", f->location);
    for (size_t i = 0; i < f->n_tags; i++) {
        fputs("<dt>Tag ", out);
        n1_html_text(out, f->tags[i].key);
        fputs("</dt><dd>", out);
        n1_html_text(out, f->tags[i].value);
        fputs("</dd>\n", out);
    }
    fprintf(out,
            "<dt>Iterations</dt><dd>%" PRIu64 " min, %" PRIu64
            " median, %" PRIu64 " max over %zu occurrence%s, %zu "
            "connection%s</dd>\n",
            c->iter_min, c->iter_median, c->iter_max, c->occurrences,
            c->occurrences == 1 ? "" : "s", c->connections,
            c->connections == 1 ? "" : "s");
    if (c->confidence_known) {
        fprintf(out,
                "<dt>Confidence</dt><dd>high %zu, medium %zu, low %zu</dd>\n"
                "<dt>Started by</dt><dd>",
                c->by_confidence[N1_CONF_HIGH],
                c->by_confidence[N1_CONF_MEDIUM],
                c->by_confidence[N1_CONF_LOW]);
        put_bounds(out, c->starts);
        fputs("</dd>\n<dt>Ended by</dt><dd>", out);
        put_bounds(out, c->ends);
        fputs("</dd>\n", out);
    }
    fputs("<dt>Verdict</dt>", out);
    n1_html_verdict(out, "dd", c->verdict);
    fputs("\n", out);
    fputs("</dl>\n", out);
}

static int series_occ(void *ud, const struct n1_finding *occ,
                      struct n1_error *err)
{
    (void)err;
    n1_html_series_add(ud, occ->first_seen_us, occ->count, occ->total_time_s);
    return 0;
}

static int table_occ(void *ud, const struct n1_finding *occ,
                     struct n1_error *err)
{
    FILE *out = ud;
    char at[64];

    (void)err;
    fputs("<tr data-n1=\"occurrence\">", out);
    if (occ->kind == N1_FIND_FANOUT) {
        snprintf(at, sizeof(at), "%zu connections", occ->n_connections);
        n1_html_td_num(out, (double)occ->n_connections, at);
    } else {
        n1_html_td_count(out, occ->connection);
    }
    n1_html_td_count(out, occ->count);
    n1_html_td_time(out, occ->first_seen_us);
    n1_html_td_secs(out, occ->total_time_s);
    fputs("<td>", out);
    n1_html_text(out, occ->file);
    snprintf(at, sizeof(at), ":%lu", occ->line);
    fprintf(out, "%s</td>", at);
    n1_html_td(out, n1_boundary_name(occ->evidence.starts));
    n1_html_td(out, n1_boundary_name(occ->evidence.ends));
    n1_html_td(out, n1_confidence_name(occ->evidence.confidence));
    fputs("</tr>\n", out);
    return 0;
}

/* The class's calls and time over the span, then its occurrences. */
static int html_occurrences(FILE *out, const struct n1_finding_class *c,
                            const struct n1_class_report *r, int64_t t0,
                            int64_t t1, struct n1_error *err)
{
    static const struct n1_html_col cols[] = {
        {"Connection", 1}, {"Calls", 1},      {"First seen", 1},
        {"Time s", 1},     {"Log", 0},        {"Started by", 0},
        {"Ended by", 0},   {"Confidence", 0},
    };
    struct n1_html_series s;
    char id[32];

    if (t0 != N1_TS_NONE) {
        n1_html_series_init(&s, t0, t1);
        if (n1_classes_each_occurrence(r, c->f->id, series_occ, &s, err) != 0) {
            return -1;
        }
        n1_svg_series(out, "Calls and time over the findings' span", &s);
    }
    snprintf(id, sizeof(id), "occ-%016" PRIx64, c->f->id);
    fputs("<details><summary>Occurrences</summary>\n", out);
    n1_html_table_begin(out, id, cols, sizeof(cols) / sizeof(*cols));
    if (n1_classes_each_occurrence(r, c->f->id, table_occ, out, err) != 0) {
        return -1;
    }
    n1_html_table_end(out);
    fputs("</details>\n", out);
    return 0;
}

static int html_class(FILE *out, const struct n1_finding_class *c, size_t rank,
                      const struct n1_class_report *r, int64_t t0, int64_t t1,
                      struct n1_error *err)
{
    const struct n1_finding *f = c->f;

    fprintf(out,
            "<section class=\"card\" id=\"f-%016" PRIx64 "\">\n"
            "<h3>[%zu] %s: %s on ",
            f->id, rank, kind_title(f->kind),
            f->statement != NULL ? f->statement : "statement");
    n1_html_text(out, f->table[0] != '\0' ? f->table : "-");
    fprintf(out, ", %" PRIu64 " times</h3>\n", f->count);
    html_class_facts(out, c);
    if (html_occurrences(out, c, r, t0, t1, err) != 0) {
        return -1;
    }
    n1_html_fix(out, f->sample, f->rewrite, f->advice);
    fputs("</section>\n", out);
    return 0;
}

static void html_inputs(FILE *out, const struct n1_class_report *r)
{
    fputs("<dl class=\"meta\">\n", out);
    for (size_t i = 0; i < r->n_in; i++) {
        const struct n1_report_input *in = &r->in[i];

        fputs("<dt>Log</dt><dd>", out);
        n1_html_text(out, in->path);
        fprintf(out,
                " <span class=\"muted\">(%s, %s, %" PRIu64 " events)"
                "</span></dd>\n",
                in->flavour != NULL ? in->flavour : "unknown",
                n1_input_status_name(in->status), in->events);
    }
    fputs("</dl>\n", out);
}

int n1_report_classes_html(FILE *out, const struct n1_class_set *set,
                           const struct n1_class_report *r,
                           struct n1_error *err)
{
    int64_t t0;
    int64_t t1;

    n1_html_begin(out, "n1digest: findings");
    html_inputs(out, r);
    set_span(set, &t0, &t1);
    fprintf(out, "<p>%zu finding class%s, most costly first.</p>\n", set->n,
            set->n == 1 ? "" : "es");
    if (set->n > 0) {
        fputs("<h2>Findings</h2>\n", out);
        if (html_cost_bars(out, set, err) != 0) {
            return -1;
        }
        html_table(out, set);
        fputs("<h2>Classes</h2>\n", out);
    }
    for (size_t i = 0; i < set->n; i++) {
        if (html_class(out, &set->v[i], i + 1, r, t0, t1, err) != 0) {
            return -1;
        }
    }
    return n1_html_end(out, err);
}
