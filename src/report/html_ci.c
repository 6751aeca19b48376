/* SPDX-License-Identifier: MIT */
/*
 * html_ci.c: the verdict of `check` as one HTML page, for a CI artifact.
 *
 * The same struct n1_ci_report as the text, JSON, SARIF and JUnit forms:
 * the status and its reason, the inputs not read, a bar chart of the
 * executions behind each result, a sortable table with one row per
 * result (data-n1="result"; failing ones first, as the text report
 * orders them), then one card per result with its places, statement and
 * rewrite (with a copy button), and the stale baseline entries.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report/ci.h"
#include "report/html_int.h"

/* "fail", "new", "baseline" or "allowed". */
static const char *result_word(const struct n1_ci_result *x)
{
    return x->fails ? "fail" : n1_ci_state_name(x->state);
}

/* The order of the page, as the text report's: failing results first,
   then the others, each in report order. Returns an array of the results'
   indexes the caller frees, or NULL when memory ran out. */
static size_t *page_order(const struct n1_ci_report *r)
{
    size_t *order =
        malloc((r->n_results > 0 ? r->n_results : 1) * sizeof(*order));
    size_t k = 0;

    if (order == NULL) {
        return NULL;
    }
    for (int pass = 1; pass >= 0; pass--) {
        for (size_t i = 0; i < r->n_results; i++) {
            if (r->results[i].fails == pass) {
                order[k++] = i;
            }
        }
    }
    return order;
}

static void html_status(FILE *out, const struct n1_ci_report *r)
{
    const char *status = n1_ci_status(r);
    int bad = status[0] == 'f' || status[0] == 'e';

    fprintf(out,
            "<p>Status: <span class=\"%s\" data-n1-status=\"%s\">%s"
            "</span>, %zu result%s, %zu failing at or above %s.</p>\n",
            bad ? "fail" : "pass", status, status, r->n_results,
            r->n_results == 1 ? "" : "s", n1_ci_failures(r),
            n1_severity_name(r->fail_on));
    if (r->run_error != NULL) {
        fputs("<p class=\"fail\">", out);
        n1_html_text(out, r->run_error);
        fputs("</p>\n", out);
    }
    fputs("<dl class=\"meta\">\n", out);
    for (size_t i = 0; i < r->n_inputs; i++) {
        const char *why = n1_ci_input_error(r, i);

        fputs("<dt>Log</dt><dd>", out);
        n1_html_text(out, r->inputs[i]);
        if (why != NULL) {
            fputs(" <span class=\"fail\">not read: ", out);
            n1_html_text(out, why);
            fputs("</span>", out);
        }
        fputs("</dd>\n", out);
    }
    n1_html_dl_item(out, "Baseline", r->baseline);
    n1_html_dl_item(out, "Baseline written", r->wrote_baseline);
    fputs("</dl>\n", out);
}

static int html_bars(FILE *out, const struct n1_ci_report *r,
                     const size_t *order, struct n1_error *err)
{
    struct n1_svg_rank *v =
        calloc(r->n_results > 0 ? r->n_results : 1, sizeof(*v));

    if (v == NULL) {
        n1_err_oom(err, "building the HTML report");
        return -1;
    }
    for (size_t k = 0; k < r->n_results; k++) {
        v[k].id = r->results[order[k]].id;
        v[k].value = (double)r->results[order[k]].count;
    }
    n1_svg_ranked(out, "Executions behind each result", v, r->n_results, 0);
    free(v);
    return 0;
}

static void html_row(FILE *out, const struct n1_ci_result *x, size_t rank)
{
    char buf[32];

    fputs("<tr data-n1=\"result\">", out);
    snprintf(buf, sizeof(buf), "%zu", rank);
    n1_html_td_num(out, (double)rank, buf);
    fprintf(out, "<td class=\"%s\">%s</td>", x->fails ? "fail" : "",
            result_word(x));
    fprintf(out, "<td><a href=\"#r-%016" PRIx64 "\">", x->id);
    n1_html_text(out, x->rule);
    fputs("</a></td>", out);
    n1_html_td(out, n1_severity_name(x->severity));
    n1_html_td(out, x->table);
    n1_html_td_count(out, x->count);
    n1_html_td_count(out, (uint64_t)x->occurrences);
    n1_html_td(out, x->location);
    n1_html_verdict(out, "td", x->verdict);
    fputs("</tr>\n", out);
}

static void html_places(FILE *out, const struct n1_ci_result *x)
{
    fputs("<dt>Seen at</dt><dd>", out);
    for (size_t i = 0; i < x->n_places; i++) {
        const struct n1_ci_place *p = &x->places[i];

        fputs(i > 0 ? "<br>" : "", out);
        n1_html_text(out, p->location != NULL ? p->location : "-");
        fputs(" <span class=\"muted\">(", out);
        n1_html_text(out, p->log_file);
        fprintf(out, ":%lu)</span>", p->log_line);
    }
    if (x->n_places == 0) {
        n1_html_text(out, x->log_file);
        fprintf(out, ":%lu", x->log_line);
    }
    if (x->occurrences > x->n_places && x->n_places > 0) {
        fprintf(out, "<br>and %zu more", x->occurrences - x->n_places);
    }
    fputs("</dd>\n", out);
}

static void html_card(FILE *out, const struct n1_ci_result *x, size_t rank)
{
    fprintf(out,
            "<section class=\"card\" id=\"r-%016" PRIx64 "\">\n"
            "<h3>[%zu] <span class=\"%s\">%s</span> ",
            x->id, rank, x->fails ? "fail" : "muted", result_word(x));
    n1_html_text(out, x->title);
    fputs("</h3>\n<dl class=\"meta\">\n", out);
    n1_html_dl_item(out, "Rule", x->rule);
    n1_html_dl_item(out, "Severity", n1_severity_name(x->severity));
    n1_html_dl_item(out, "Table", x->table);
    n1_html_dl_item(out, "Location", x->location);
    html_places(out, x);
    n1_html_dl_item(out, "Allowed by", x->allowed_by);
    fprintf(out,
            "<dt>Id</dt><dd>%016" PRIx64 " (fingerprint %016" PRIx64
            ")</dd>\n<dt>Verdict</dt>",
            x->id, x->fingerprint);
    n1_html_verdict(out, "dd", x->verdict);
    fputs("\n</dl>\n", out);
    n1_html_fix(out, x->sample, x->rewrite, x->advice);
    fputs("</section>\n", out);
}

static void html_stale(FILE *out, const struct n1_ci_report *r)
{
    static const struct n1_html_col cols[] = {
        {"Id", 0}, {"Rule", 0}, {"Table", 0}, {"Fingerprint", 0}};

    if (r->n_stale == 0) {
        return;
    }
    fputs("<h2>Stale baseline entries</h2>\n<p>No longer found: remove "
          "them from the baseline.</p>\n",
          out);
    n1_html_table_begin(out, "stale", cols, sizeof(cols) / sizeof(*cols));
    for (size_t i = 0; i < r->n_stale; i++) {
        fprintf(out, "<tr data-n1=\"stale\"><td>%016" PRIx64 "</td>",
                r->stale[i].id);
        n1_html_td(out, r->stale[i].rule);
        n1_html_td(out, r->stale[i].table);
        n1_html_td(out, r->stale[i].fingerprint_text);
        fputs("</tr>\n", out);
    }
    n1_html_table_end(out);
}

int n1_report_ci_html(FILE *out, const struct n1_ci_report *r,
                      struct n1_error *err)
{
    static const struct n1_html_col cols[] = {
        {"Rank", 1},        {"Status", 0},   {"Rule", 0},
        {"Severity", 0},    {"Table", 0},    {"Calls", 1},
        {"Occurrences", 1}, {"Location", 0}, {"Verdict", 0},
    };
    size_t *order = page_order(r);
    int rc = -1;

    if (order == NULL) {
        n1_err_oom(err, "building the HTML report");
        return -1;
    }
    n1_html_begin(out, "n1digest check");
    html_status(out, r);
    if (r->n_results > 0) {
        fputs("<h2>Results</h2>\n", out);
        if (html_bars(out, r, order, err) != 0) {
            goto out;
        }
        n1_html_table_begin(out, "results", cols, sizeof(cols) / sizeof(*cols));
        for (size_t k = 0; k < r->n_results; k++) {
            html_row(out, &r->results[order[k]], k + 1);
        }
        n1_html_table_end(out);
        fputs("<h2>Details</h2>\n", out);
    }
    for (size_t k = 0; k < r->n_results; k++) {
        html_card(out, &r->results[order[k]], k + 1);
    }
    html_stale(out, r);
    rc = n1_html_end(out, err);

out:
    free(order);
    return rc;
}
