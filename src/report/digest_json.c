/* SPDX-License-Identifier: MIT */
/*
 * report_digest_json.c: the digest report as one JSON document.
 *
 * report_digest.c makes the ranking pass and chooses the format; this
 * file writes the JSON form. It is built with jansson one class at a
 * time, so every string is escaped by the library and invalid UTF-8 in a
 * sample becomes U+FFFD rather than broken JSON.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/textutil.h"
#include "report/digest.h"
#include "report/digest_int.h"
#include "report/json_int.h"
#include "sql/sqlinfo.h"
#include "store/store.h"

static json_t *jts(int64_t us)
{
    char buf[32];

    if (us == N1_TS_NONE) {
        return json_null();
    }
    n1_dg_fmt_ts(us, buf, sizeof(buf));
    return json_string(buf);
}

static json_t *json_metric(const struct n1_agg_stats *s,
                           const struct n1_agg_stats *tot, int is_int, int *bad)
{
    json_t *o = json_object();

    if (o == NULL) {
        (*bad)++;
        return NULL;
    }
    n1_rj_put(o, "n", json_integer((json_int_t)s->n), bad);
    n1_rj_put(o, "sum", json_real(s->sum), bad);
    n1_rj_put(o, "min", json_real(s->min), bad);
    n1_rj_put(o, "max", json_real(s->max), bad);
    n1_rj_put(o, "avg", json_real(n1_agg_stats_avg(s)), bad);
    n1_rj_put(o, "pct_95", json_real(n1_digest_pct95(s, is_int)), bad);
    n1_rj_put(o, "median", json_real(n1_digest_median(s, is_int)), bad);
    n1_rj_put(o, "stddev", json_real(n1_agg_stats_stddev(s)), bad);
    n1_rj_put(o, "error_bound", json_real(n1_dg_quantile_bound(s)), bad);
    if (tot != NULL) {
        n1_rj_put(o, "pct_of_total",
                  json_real(tot->sum > 0 ? s->sum / tot->sum : 0.0), bad);
    }
    return o;
}

static json_t *json_metrics(const struct n1_agg_class *c,
                            const struct n1_agg_class *tot, int *bad)
{
    json_t *o = json_object();

    if (o == NULL) {
        (*bad)++;
        return NULL;
    }
    for (size_t i = 0; i < n1_dg_n_metrics; i++) {
        unsigned m = n1_dg_metrics[i].m;

        if (c->m[m].n == 0) {
            continue;
        }
        n1_rj_put(o, n1_agg_metric_name(m),
                  json_metric(&c->m[m], tot != NULL ? &tot->m[m] : NULL,
                              !n1_dg_metrics[i].is_time, bad),
                  bad);
    }
    return o;
}

static json_t *json_values(const struct n1_agg_values *v, int *bad)
{
    json_t *o = json_object();
    json_t *a = json_array();

    if (o == NULL || a == NULL) {
        json_decref(o);
        json_decref(a);
        (*bad)++;
        return NULL;
    }
    for (unsigned i = 0; i < v->n; i++) {
        json_t *e = json_object();

        if (e == NULL || json_array_append_new(a, e) != 0) {
            (*bad)++;
            continue;
        }
        n1_rj_put(e, "value",
                  n1_json_text(v->v[i].value, strlen(v->v[i].value)), bad);
        n1_rj_put(e, "count", json_integer((json_int_t)v->v[i].count), bad);
    }
    n1_rj_put(o, "values", a, bad);
    n1_rj_put(o, "other", json_integer((json_int_t)v->other), bad);
    return o;
}

static json_t *json_global(const struct digest_run *run, int *bad)
{
    const struct n1_agg_class *t = &run->tot;
    json_t *g = json_object();

    if (g == NULL) {
        (*bad)++;
        return NULL;
    }
    n1_rj_put(g, "query_count", json_integer((json_int_t)t->count), bad);
    n1_rj_put(g, "unique_query_count", json_integer((json_int_t)run->n_rows),
              bad);
    n1_rj_put(g, "ts_min", jts(t->first_seen), bad);
    n1_rj_put(g, "ts_max", jts(t->last_seen), bad);
    n1_rj_put(g, "queries_per_second", json_real(n1_dg_qps_of(t)), bad);
    n1_rj_put(g, "concurrency", json_real(n1_dg_concurrency_of(t)), bad);
    n1_rj_put(g, "metrics", json_metrics(t, NULL, bad), bad);
    return g;
}

/* The plan lines of the class's sample (--explain), as an array. */
static json_t *json_explain(const struct n1_digest_opts *o,
                            const struct n1_agg_class *c, int *bad)
{
    const char *const *lines = NULL;
    size_t n = o->explain(o->explain_ud, c, &lines);
    json_t *a = json_array();

    for (size_t i = 0; a != NULL && i < n; i++) {
        if (json_array_append_new(
                a, n1_json_text(lines[i], strlen(lines[i]))) != 0) {
            (*bad)++;
        }
    }
    return a;
}

/* "n_plus_one": the ids of the N+1 classes whose statement c is; left
   out when there is none. */
static void json_loops(json_t *o, const struct digest_run *run,
                       const struct n1_agg_class *c, int *bad)
{
    const struct n1_digest_loop *lp = NULL;
    size_t n = n1_dg_loops_of(run, c, &lp);
    json_t *a = NULL;

    if (n == 0) {
        return;
    }
    a = json_array();
    for (size_t i = 0; a != NULL && i < n; i++) {
        char hex[17];

        snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)lp[i].id);
        if (json_array_append_new(a, json_string(hex)) != 0) {
            (*bad)++;
        }
    }
    n1_rj_put(o, "n_plus_one", a, bad);
}

static json_t *json_class(const struct digest_run *run,
                          const struct n1_agg_class *c, size_t rank, int *bad)
{
    json_t *o = json_object();
    json_t *tables = json_array();
    json_t *hist = json_array();
    json_t *ex = json_object();
    json_t *h = json_object();
    struct n1_sqlinfo si;
    char item[512];
    int by_fp = run->o->group_by == NULL ||
                strcmp(run->o->group_by, "fingerprint") == 0;
    double total_qt = run->tot.m[N1_M_QUERY_TIME].sum;

    if (o == NULL || tables == NULL || hist == NULL || ex == NULL ||
        h == NULL) {
        json_decref(o);
        json_decref(tables);
        json_decref(hist);
        json_decref(ex);
        json_decref(h);
        (*bad)++;
        return NULL;
    }
    n1_sqlinfo_parse(by_fp ? c->text : NULL, by_fp ? c->text_len : 0, &si);
    n1_dg_class_item(run, c, item, sizeof(item));
    n1_rj_put(o, "rank", json_integer((json_int_t)rank), bad);
    n1_rj_put(o, "id", json_string(c->hex), bad);
    n1_rj_put(o, "attribute",
              json_string(by_fp ? "fingerprint" : run->o->group_by), bad);
    n1_rj_put(o, "fingerprint", n1_json_text(c->text, c->text_len), bad);
    n1_rj_put(o, "distillate", n1_json_text(item, strlen(item)), bad);
    n1_rj_put(o, "verb", n1_json_text(si.verb, strlen(si.verb)), bad);
    for (unsigned i = 0; i < si.n_tables; i++) {
        json_t *tb = json_object();
        char db[N1_SQLINFO_MAX_NAME + 1];
        char tbl[N1_SQLINFO_MAX_NAME + 1];

        if (tb == NULL || json_array_append_new(tables, tb) != 0) {
            (*bad)++;
            continue;
        }
        n1_dg_split_table(si.tables[i], c, db, sizeof(db), tbl, sizeof(tbl));
        n1_rj_put(tb, "db", db[0] ? n1_json_text(db, strlen(db)) : json_null(),
                  bad);
        n1_rj_put(tb, "table", n1_json_text(tbl, strlen(tbl)), bad);
    }
    n1_rj_put(o, "tables", tables, bad);
    json_loops(o, run, c, bad);
    n1_rj_put(o, "query_count", json_integer((json_int_t)c->count), bad);
    n1_rj_put(o, "ts_min", jts(c->first_seen), bad);
    n1_rj_put(o, "ts_max", jts(c->last_seen), bad);
    n1_rj_put(o, "queries_per_second", json_real(n1_dg_qps_of(c)), bad);
    n1_rj_put(o, "concurrency", json_real(n1_dg_concurrency_of(c)), bad);
    if (c->m[N1_M_QUERY_TIME].n > 0) {
        n1_rj_put(o, "response_time_pct",
                  json_real(total_qt > 0 ? c->m[N1_M_QUERY_TIME].sum / total_qt
                                         : 0.0),
                  bad);
        n1_rj_put(o, "variance_to_mean", json_real(n1_dg_vm_of(c)), bad);
    }
    n1_rj_put(o, "metrics", json_metrics(c, &run->tot, bad), bad);
    n1_rj_put(o, "db", json_values(&c->dims[N1_DIM_DB], bad), bad);
    n1_rj_put(o, "user", json_values(&c->dims[N1_DIM_USER], bad), bad);
    n1_rj_put(o, "host", json_values(&c->dims[N1_DIM_HOST], bad), bad);
    for (unsigned i = 0; i < N1_AGG_CHART_N; i++) {
        if (json_array_append_new(hist,
                                  json_integer((json_int_t)c->chart[i])) != 0) {
            (*bad)++;
        }
    }
    n1_rj_put(h, "Query_time", hist, bad);
    n1_rj_put(o, "histograms", h, bad);
    n1_rj_put(ex, "query", n1_json_text(c->sample, c->sample_len), bad);
    n1_rj_put(ex, "Query_time",
              c->sample_has_qt ? json_real(c->sample_qt) : json_null(), bad);
    n1_rj_put(ex, "truncated", json_boolean(c->sample_len < c->sample_full_len),
              bad);
    n1_rj_put(ex, "length", json_integer((json_int_t)c->sample_full_len), bad);
    n1_rj_put(ex, "file",
              c->sample_file != NULL
                  ? n1_json_text(c->sample_file, strlen(c->sample_file))
                  : json_null(),
              bad);
    n1_rj_put(ex, "line", json_integer((json_int_t)c->sample_line), bad);
    n1_rj_put(o, "example", ex, bad);
    if (run->o->explain != NULL && c->sample != NULL) {
        n1_rj_put(o, "explain", json_explain(run->o, c, bad), bad);
    }
    return o;
}

/* Dumps j (stolen) to out; real numbers with 15 significant digits, which
   round-trip every value a log prints. */
static int jdump(json_t *j, FILE *out, int *bad)
{
    int rc;

    if (j == NULL) {
        (*bad)++;
        return -1;
    }
    rc = json_dumpf(j, out, JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_decref(j);
    if (rc != 0) {
        (*bad)++;
    }
    return rc;
}

int n1_dg_json_report(FILE *out, const struct source *src,
                      const struct digest_run *run, size_t shown,
                      struct n1_error *err)
{
    const struct n1_digest_opts *o = run->o;
    struct n1_agg_class c;
    struct n1_agg_class view;
    const struct n1_agg_class *cp = NULL;
    json_t *head = json_object();
    json_t *inputs = json_array();
    json_t *misc = json_object();
    char order[64];
    uint64_t misc_count = 0;
    double misc_qt = 0.0;
    int bad = 0;
    int rc = -1;

    n1_agg_class_init(&c);
    if (head == NULL || inputs == NULL || misc == NULL) {
        json_decref(inputs);
        json_decref(misc);
        n1_err_oom(err, "building the JSON report");
        goto out;
    }
    for (size_t i = 0; i < o->n_inputs; i++) {
        json_t *name = n1_json_text(o->inputs[i], strlen(o->inputs[i]));

        if (json_array_append_new(inputs, name) != 0) {
            bad++;
        }
    }
    snprintf(order, sizeof(order), "%s:%s",
             run->order_metric >= 0 && run->order_stat != N1_DIGEST_CNT
                 ? n1_agg_metric_name((unsigned)run->order_metric)
                 : "Query_time",
             n1_dg_stat_names[run->order_stat]);
    n1_rj_put(head, "tool", json_string("n1digest"), &bad);
    n1_rj_put(head, "version", json_string(N1_VERSION), &bad);
    n1_rj_put(head, "store",
              o->store_path ? n1_json_text(o->store_path, strlen(o->store_path))
                            : json_null(),
              &bad);
    n1_rj_put(head, "files", inputs, &bad);
    n1_rj_put(head, "group_by",
              json_string(o->group_by != NULL ? o->group_by : "fingerprint"),
              &bad);
    n1_rj_put(head, "order_by", json_string(order), &bad);
    n1_rj_put(head, "limit", json_integer((json_int_t)o->limit), &bad);
    if (o->limit_pct > 0) {
        n1_rj_put(head, "limit_percent", json_real(o->limit_pct), &bad);
    }
    /* The document is written in pieces so that only one class is in
       memory at a time: {"report":{...},"global":{...},"classes":[...]} */
    fputs("{\"report\":", out);
    jdump(head, out, &bad);
    fputs(",\n\"global\":", out);
    jdump(json_global(run, &bad), out, &bad);
    fputs(",\n\"classes\":[", out);
    for (size_t i = 0; i < shown; i++) {
        int got = n1_dg_get_class(src, run->rows[i].id, &c, &view, &cp, err);

        if (got < 0) {
            goto out;
        }
        if (got == 0) {
            continue;
        }
        fputs(i > 0 ? ",\n" : "\n", out);
        jdump(json_class(run, cp, i + 1, &bad), out, &bad);
    }
    for (size_t i = shown; i < run->n_rows; i++) {
        misc_qt += run->rows[i].qt_sum;
        misc_count += run->rows[i].count;
    }
    n1_rj_put(misc, "classes", json_integer((json_int_t)(run->n_rows - shown)),
              &bad);
    n1_rj_put(misc, "query_count", json_integer((json_int_t)misc_count), &bad);
    n1_rj_put(misc, "Query_time_sum", json_real(misc_qt), &bad);
    fputs("],\n\"misc\":", out);
    jdump(misc, out, &bad);
    misc = NULL;
    fputs("}\n", out);
    if (bad > 0) {
        n1_err_oom(err, "building the JSON report");
        goto out;
    }
    rc = 0;

out:
    json_decref(misc);
    n1_agg_class_cleanup(&c);
    return rc;
}
