/* SPDX-License-Identifier: MIT */
/*
 * report_sarif.c: a check report as a SARIF 2.1.0 log, built with
 * jansson.
 *
 * The log has one run. tool.driver.rules lists every rule of the report
 * in order, and each result points back at its rule by ruleId and
 * ruleIndex. Levels map info/warning/error to note/warning/error. The
 * result's partialFingerprints carry the stable finding id, so code
 * scanning matches a result across runs even though the log file, line
 * and key values change; baselineState says whether the baseline had it
 * ("unchanged") or not ("new"), and an allowed result carries an
 * accepted external suppression naming the [allow] entry.
 *
 * Code scanning rejects results without a location and shows only those
 * whose location has physicalLocation.artifactLocation.uri, so every
 * result gets one: the source file of the statement's location tag when
 * it had one (the line too when the tag gave it), else the log file and
 * the line of the first execution. A logical location (the table, fully
 * qualified with the fingerprint id) is always added.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/strbuf.h"
#include "base/textutil.h"
#include "report/findings_int.h"
#include "report/json_int.h"
#include "report/sarif.h"
#include "sql/fingerprint.h"
#include "sql/normalize.h"

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"

const char *n1_sarif_level(enum n1_severity s)
{
    switch (s) {
    case N1_SEV_INFO:
        return "note";
    case N1_SEV_WARNING:
        return "warning";
    case N1_SEV_ERROR:
        return "error";
    }
    return "warning";
}

char *n1_sarif_uri(const char *path, char *buf, size_t n)
{
    static const char hexd[] = "0123456789ABCDEF";
    size_t o = 0;

    if (n == 0) {
        return buf;
    }
    while (path[0] == '.' && path[1] == '/') {
        path += 2;
    }
    if (path[0] == '/' && n > 8) {
        memcpy(buf, "file://", 7);
        o = 7;
    }
    for (const unsigned char *p = (const unsigned char *)path; *p != '\0';
         p++) {
        int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || strchr("-._~/", *p) != NULL;

        if (plain) {
            if (o + 1 >= n) {
                break;
            }
            buf[o++] = (char)*p;
        } else {
            if (o + 3 >= n) {
                break;
            }
            buf[o++] = '%';
            buf[o++] = hexd[*p >> 4];
            buf[o++] = hexd[*p & 15];
        }
    }
    buf[o] = '\0';
    return buf;
}

/* ---- JSON helpers ------------------------------------------------------ */

/* {"text": s} */
static json_t *message(const char *s, int *bad)
{
    json_t *m = json_object();

    n1_rj_put(m, "text", n1_rj_str0(s), bad);
    return m;
}

/* ---- rules ------------------------------------------------------------- */

static json_t *rule_object(const struct n1_ci_rule *ru, int *bad)
{
    json_t *o = json_object();
    json_t *cfg = json_object();
    json_t *props = json_object();
    json_t *tags = json_array();

    n1_rj_put(o, "id", n1_rj_str0(ru->id), bad);
    n1_rj_put(o, "name", n1_rj_str0(ru->id), bad);
    n1_rj_put(o, "shortDescription", message(ru->title, bad), bad);
    if (ru->help != NULL && ru->help[0] != '\0') {
        n1_rj_put(o, "fullDescription", message(ru->help, bad), bad);
        n1_rj_put(o, "help", message(ru->help, bad), bad);
    }
    n1_rj_put(cfg, "level", json_string(n1_sarif_level(ru->severity)), bad);
    n1_rj_put(o, "defaultConfiguration", cfg, bad);
    n1_rj_push(tags, json_string("performance"), bad);
    n1_rj_push(tags, json_string("sql"), bad);
    n1_rj_put(props, "tags", tags, bad);
    n1_rj_put(o, "properties", props, bad);
    return o;
}

/* ---- results ----------------------------------------------------------- */

/* The message: what was found, then the rewrite, the advice and, for a
   class, how many occurrences it has. */
static char *message_text(const struct n1_ci_result *x)
{
    struct n1_strbuf sb;
    char *s = NULL;
    int rc = 0;

    n1_strbuf_init(&sb, 0);
    rc |= n1_strbuf_puts(&sb, x->title != NULL ? x->title : x->rule);
    if (x->rewrite != NULL && x->rewrite[0] != '\0') {
        rc |= n1_strbuf_puts(&sb, "\n\nBatched rewrite:\n");
        rc |= n1_strbuf_puts(&sb, x->rewrite);
    }
    if (x->advice != NULL && x->advice[0] != '\0') {
        rc |= n1_strbuf_puts(&sb, "\n\n");
        rc |= n1_strbuf_puts(&sb, x->advice);
    }
    if (x->occurrences > 0) {
        char line[96];

        snprintf(line, sizeof(line), "\n\n%zu occurrence%s", x->occurrences,
                 x->occurrences == 1 ? "" : "s");
        rc |= n1_strbuf_puts(&sb, line);
        if (x->n_places > 0 && x->n_places < x->occurrences) {
            snprintf(line, sizeof(line),
                     "; the first %zu are listed as locations", x->n_places);
            rc |= n1_strbuf_puts(&sb, line);
        }
    }
    if (x->state == N1_CI_ALLOWED && x->allowed_by != NULL) {
        rc |= n1_strbuf_puts(&sb, "\n\nAllowed by ");
        rc |= n1_strbuf_puts(&sb, x->allowed_by);
    }
    if (rc == 0) {
        s = strdup(n1_strbuf_str(&sb));
    }
    n1_strbuf_cleanup(&sb);
    return s;
}

/* One location: the place's source location when its statement carried
   one, else its log file and line, with the table and fingerprint of x
   as a logical location. */
static json_t *location_object(const struct n1_ci_result *x,
                               const struct n1_ci_place *pl, int *bad)
{
    json_t *loc = json_object();
    json_t *phys = json_object();
    json_t *art = json_object();
    json_t *logical = json_array();
    json_t *lo = json_object();
    char path[1024];
    char uri[3 * sizeof(path) + 8];
    char fq[1200];
    char hex[17];
    unsigned long line = 0;

    if (pl->location != NULL && pl->location[0] != '\0') {
        line = n1_ci_location_split(pl->location, path, sizeof(path));
    } else {
        snprintf(path, sizeof(path), "%s",
                 pl->log_file != NULL && pl->log_file[0] != '\0' ? pl->log_file
                                                                 : "-");
        line = pl->log_line;
    }
    n1_rj_put(art, "uri", n1_rj_str0(n1_sarif_uri(path, uri, sizeof(uri))),
              bad);
    n1_rj_put(phys, "artifactLocation", art, bad);
    if (line > 0) {
        json_t *region = json_object();

        n1_rj_put(region, "startLine", json_integer((json_int_t)line), bad);
        n1_rj_put(phys, "region", region, bad);
    }
    n1_rj_put(loc, "physicalLocation", phys, bad);

    n1_fingerprint_hex(x->fingerprint, hex);
    snprintf(fq, sizeof(fq), "%s/%s",
             x->table != NULL && x->table[0] != '\0' ? x->table : "-", hex);
    n1_rj_put(
        lo, "name",
        n1_rj_str0(x->table != NULL && x->table[0] != '\0' ? x->table : hex),
        bad);
    n1_rj_put(lo, "fullyQualifiedName", n1_rj_str0(fq), bad);
    n1_rj_put(lo, "kind", json_string("resource"), bad);
    n1_rj_push(logical, lo, bad);
    n1_rj_put(loc, "logicalLocations", logical, bad);
    return loc;
}

static json_t *result_object(const struct n1_ci_result *x, size_t rule_index,
                             int *bad)
{
    json_t *o = json_object();
    json_t *locs = json_array();
    json_t *fps = json_object();
    json_t *props = json_object();
    char *text = message_text(x);
    char hex[17];

    if (text == NULL) {
        *bad = 1;
    }
    n1_rj_put(o, "ruleId", n1_rj_str0(x->rule), bad);
    n1_rj_put(o, "ruleIndex", json_integer((json_int_t)rule_index), bad);
    n1_rj_put(o, "level", json_string(n1_sarif_level(x->severity)), bad);
    n1_rj_put(o, "message", message(text != NULL ? text : "", bad), bad);
    if (x->n_places > 0) {
        /* A class: one location per occurrence listed. */
        for (size_t i = 0; i < x->n_places; i++) {
            n1_rj_push(locs, location_object(x, &x->places[i], bad), bad);
        }
    } else {
        struct n1_ci_place one = {x->location, x->log_file, x->log_line};

        n1_rj_push(locs, location_object(x, &one, bad), bad);
    }
    n1_rj_put(o, "locations", locs, bad);
    n1_fingerprint_hex(x->id, hex);
    n1_rj_put(fps, N1_SARIF_FINGERPRINT_KEY, json_string(hex), bad);
    n1_rj_put(o, "partialFingerprints", fps, bad);
    n1_rj_put(o, "baselineState",
              json_string(x->state == N1_CI_BASELINE ? "unchanged" : "new"),
              bad);
    if (x->state == N1_CI_ALLOWED) {
        json_t *sups = json_array();
        json_t *s = json_object();

        n1_rj_put(s, "kind", json_string("external"), bad);
        n1_rj_put(s, "status", json_string("accepted"), bad);
        n1_rj_put(s, "justification",
                  n1_rj_str0(x->allowed_by != NULL ? x->allowed_by : "[allow]"),
                  bad);
        n1_rj_push(sups, s, bad);
        n1_rj_put(o, "suppressions", sups, bad);
    }
    n1_rj_put(props, "id", json_string(hex), bad);
    n1_rj_put(props, "state", json_string(n1_ci_state_name(x->state)), bad);
    n1_rj_put(props, "fails", json_boolean(x->fails), bad);
    n1_fingerprint_hex(x->fingerprint, hex);
    n1_rj_put(props, "fingerprint", json_string(hex), bad);
    n1_rj_put(props, "fingerprintText", n1_rj_str0(x->fingerprint_text), bad);
    n1_rj_put(props, "table", n1_rj_str0(x->table), bad);
    if (x->count > 0) {
        n1_rj_put(props, "count", json_integer((json_int_t)x->count), bad);
    }
    if (x->rewrite != NULL) {
        n1_rj_put(props, "rewrite", n1_rj_str0(x->rewrite), bad);
    }
    if (x->log_file != NULL) {
        n1_rj_put(props, "logFile", n1_rj_str0(x->log_file), bad);
        n1_rj_put(props, "logLine", json_integer((json_int_t)x->log_line), bad);
    }
    if (x->verdict != NULL) {
        n1_rj_put(props, "verification", n1_rf_verdict_object(x->verdict), bad);
    }
    n1_rj_put(o, "properties", props, bad);
    free(text);
    return o;
}

static size_t rule_index_of(const struct n1_ci_report *r, const char *id)
{
    for (size_t i = 0; i < r->n_rules; i++) {
        if (strcmp(r->rules[i].id, id) == 0) {
            return i;
        }
    }
    return 0;
}

/* One notification of toolExecutionNotifications: an error with text. */
static json_t *notification(const char *level, const char *text, int *bad)
{
    json_t *n = json_object();

    n1_rj_put(n, "level", json_string(level), bad);
    n1_rj_put(n, "message", message(text, bad), bad);
    return n;
}

/*
 * runs[0].invocations: whether the run did its job, and why not: each
 * input that could not be read, and the run's error, as notifications.
 */
static json_t *invocations(const struct n1_ci_report *r, int *bad)
{
    json_t *all = json_array();
    json_t *inv = json_object();
    json_t *notes = json_array();

    for (size_t i = 0; i < r->n_inputs; i++) {
        const char *why = n1_ci_input_error(r, i);
        char text[1024];

        if (why == NULL) {
            continue;
        }
        snprintf(text, sizeof(text), "%s: not read: %s", r->inputs[i], why);
        n1_rj_push(notes, notification("error", text, bad), bad);
    }
    if (r->run_error != NULL) {
        n1_rj_push(notes, notification("error", r->run_error, bad), bad);
    }
    if (r->wrote_baseline != NULL) {
        char text[1024];

        /* The results are what the baseline now holds: none fails. */
        snprintf(text, sizeof(text),
                 "baseline of %zu result%s written to %s; nothing fails",
                 r->n_written, r->n_written == 1 ? "" : "s", r->wrote_baseline);
        n1_rj_push(notes, notification("note", text, bad), bad);
    }
    n1_rj_put(inv, "executionSuccessful", json_boolean(r->run_error == NULL),
              bad);
    n1_rj_put(inv, "toolExecutionNotifications", notes, bad);
    n1_rj_push(all, inv, bad);
    return all;
}

int n1_report_sarif(FILE *out, const struct n1_ci_report *r,
                    struct n1_error *err)
{
    json_t *root = json_object();
    json_t *runs = json_array();
    json_t *run = json_object();
    json_t *tool = json_object();
    json_t *driver = json_object();
    json_t *rules = json_array();
    json_t *results = json_array();
    json_t *props = json_object();
    json_t *stale = json_array();
    int bad = 0;
    int ret = -1;

    n1_rj_put(root, "$schema", json_string(SARIF_SCHEMA), &bad);
    n1_rj_put(root, "version", json_string("2.1.0"), &bad);
    n1_rj_put(driver, "name", json_string("n1digest"), &bad);
    n1_rj_put(driver, "version", json_string(N1_VERSION), &bad);
    n1_rj_put(driver, "semanticVersion", json_string(N1_VERSION), &bad);
    for (size_t i = 0; i < r->n_rules; i++) {
        n1_rj_push(rules, rule_object(&r->rules[i], &bad), &bad);
    }
    n1_rj_put(driver, "rules", rules, &bad);
    n1_rj_put(tool, "driver", driver, &bad);
    n1_rj_put(run, "tool", tool, &bad);
    for (size_t i = 0; i < r->n_results; i++) {
        const struct n1_ci_result *x = &r->results[i];

        n1_rj_push(results, result_object(x, rule_index_of(r, x->rule), &bad),
                   &bad);
    }
    n1_rj_put(run, "results", results, &bad);
    n1_rj_put(run, "invocations", invocations(r, &bad), &bad);
    n1_rj_put(run, "columnKind", json_string("unicodeCodePoints"), &bad);
    n1_rj_put(props, "status", json_string(n1_ci_status(r)), &bad);
    n1_rj_put(props, "failOn", json_string(n1_severity_name(r->fail_on)), &bad);
    n1_rj_put(props, "failures", json_integer((json_int_t)n1_ci_failures(r)),
              &bad);
    n1_rj_put(props, "fingerprintVersion", json_integer(N1_FINGERPRINT_VERSION),
              &bad);
    for (size_t i = 0; i < r->n_stale; i++) {
        json_t *e = json_object();

        n1_rj_put(e, "id", n1_rj_hex(r->stale[i].id), &bad);
        n1_rj_put(e, "rule", n1_rj_str0(r->stale[i].rule), &bad);
        n1_rj_put(e, "table", n1_rj_str0(r->stale[i].table), &bad);
        n1_rj_put(e, "fingerprintText",
                  n1_rj_str0(r->stale[i].fingerprint_text), &bad);
        n1_rj_push(stale, e, &bad);
    }
    n1_rj_put(props, "staleBaselineEntries", stale, &bad);
    n1_rj_put(run, "properties", props, &bad);
    n1_rj_push(runs, run, &bad);
    n1_rj_put(root, "runs", runs, &bad);
    ret = n1_rj_write(root, out, bad, "the SARIF log", err);
    json_decref(root);
    return ret;
}
