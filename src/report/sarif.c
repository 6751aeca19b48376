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

#include "sql/fingerprint.h"
#include "sql/normalize.h"
#include "report/sarif.h"
#include "base/strbuf.h"
#include "base/textutil.h"

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

static json_t *jstr(const char *s)
{
    char *clean = NULL;
    json_t *j;

    clean =
        n1_utf8_lossy(s != NULL ? s : "", s != NULL ? strlen(s) : 0, 0, NULL);
    if (clean == NULL) {
        return NULL;
    }
    j = json_string(clean);
    free(clean);
    return j;
}

/* Sets o[key] = v (stealing v); a NULL v or a failed set marks *bad. */
static void put(json_t *o, const char *key, json_t *v, int *bad)
{
    if (o == NULL || v == NULL || json_object_set_new(o, key, v) != 0) {
        json_decref(v);
        *bad = 1;
    }
}

static void push(json_t *a, json_t *v, int *bad)
{
    if (a == NULL || v == NULL || json_array_append_new(a, v) != 0) {
        json_decref(v);
        *bad = 1;
    }
}

/* {"text": s} */
static json_t *message(const char *s, int *bad)
{
    json_t *m = json_object();

    put(m, "text", jstr(s), bad);
    return m;
}

/* ---- rules ------------------------------------------------------------- */

static json_t *rule_object(const struct n1_ci_rule *ru, int *bad)
{
    json_t *o = json_object();
    json_t *cfg = json_object();
    json_t *props = json_object();
    json_t *tags = json_array();

    put(o, "id", jstr(ru->id), bad);
    put(o, "name", jstr(ru->id), bad);
    put(o, "shortDescription", message(ru->title, bad), bad);
    if (ru->help != NULL && ru->help[0] != '\0') {
        put(o, "fullDescription", message(ru->help, bad), bad);
        put(o, "help", message(ru->help, bad), bad);
    }
    put(cfg, "level", json_string(n1_sarif_level(ru->severity)), bad);
    put(o, "defaultConfiguration", cfg, bad);
    push(tags, json_string("performance"), bad);
    push(tags, json_string("sql"), bad);
    put(props, "tags", tags, bad);
    put(o, "properties", props, bad);
    return o;
}

/* ---- results ----------------------------------------------------------- */

/* The message: what was found, then the rewrite and the advice. */
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

static json_t *location_object(const struct n1_ci_result *x, int *bad)
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

    if (x->location != NULL && x->location[0] != '\0') {
        line = n1_ci_location_split(x->location, path, sizeof(path));
    } else {
        snprintf(path, sizeof(path), "%s",
                 x->log_file != NULL && x->log_file[0] != '\0' ? x->log_file
                                                               : "-");
        line = x->log_line;
    }
    put(art, "uri", jstr(n1_sarif_uri(path, uri, sizeof(uri))), bad);
    put(phys, "artifactLocation", art, bad);
    if (line > 0) {
        json_t *region = json_object();

        put(region, "startLine", json_integer((json_int_t)line), bad);
        put(phys, "region", region, bad);
    }
    put(loc, "physicalLocation", phys, bad);

    n1_fingerprint_hex(x->fingerprint, hex);
    snprintf(fq, sizeof(fq), "%s/%s",
             x->table != NULL && x->table[0] != '\0' ? x->table : "-", hex);
    put(lo, "name",
        jstr(x->table != NULL && x->table[0] != '\0' ? x->table : hex), bad);
    put(lo, "fullyQualifiedName", jstr(fq), bad);
    put(lo, "kind", json_string("resource"), bad);
    push(logical, lo, bad);
    put(loc, "logicalLocations", logical, bad);
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
    put(o, "ruleId", jstr(x->rule), bad);
    put(o, "ruleIndex", json_integer((json_int_t)rule_index), bad);
    put(o, "level", json_string(n1_sarif_level(x->severity)), bad);
    put(o, "message", message(text != NULL ? text : "", bad), bad);
    push(locs, location_object(x, bad), bad);
    put(o, "locations", locs, bad);
    n1_fingerprint_hex(x->id, hex);
    put(fps, N1_SARIF_FINGERPRINT_KEY, json_string(hex), bad);
    put(o, "partialFingerprints", fps, bad);
    put(o, "baselineState",
        json_string(x->state == N1_CI_BASELINE ? "unchanged" : "new"), bad);
    if (x->state == N1_CI_ALLOWED) {
        json_t *sups = json_array();
        json_t *s = json_object();

        put(s, "kind", json_string("external"), bad);
        put(s, "status", json_string("accepted"), bad);
        put(s, "justification",
            jstr(x->allowed_by != NULL ? x->allowed_by : "[allow]"), bad);
        push(sups, s, bad);
        put(o, "suppressions", sups, bad);
    }
    put(props, "id", json_string(hex), bad);
    put(props, "state", json_string(n1_ci_state_name(x->state)), bad);
    put(props, "fails", json_boolean(x->fails), bad);
    n1_fingerprint_hex(x->fingerprint, hex);
    put(props, "fingerprint", json_string(hex), bad);
    put(props, "fingerprintText", jstr(x->fingerprint_text), bad);
    put(props, "table", jstr(x->table), bad);
    if (x->count > 0) {
        put(props, "count", json_integer((json_int_t)x->count), bad);
    }
    if (x->rewrite != NULL) {
        put(props, "rewrite", jstr(x->rewrite), bad);
    }
    if (x->log_file != NULL) {
        put(props, "logFile", jstr(x->log_file), bad);
        put(props, "logLine", json_integer((json_int_t)x->log_line), bad);
    }
    put(o, "properties", props, bad);
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

    put(root, "$schema", json_string(SARIF_SCHEMA), &bad);
    put(root, "version", json_string("2.1.0"), &bad);
    put(driver, "name", json_string("n1digest"), &bad);
    put(driver, "version", json_string(N1_VERSION), &bad);
    put(driver, "semanticVersion", json_string(N1_VERSION), &bad);
    for (size_t i = 0; i < r->n_rules; i++) {
        push(rules, rule_object(&r->rules[i], &bad), &bad);
    }
    put(driver, "rules", rules, &bad);
    put(tool, "driver", driver, &bad);
    put(run, "tool", tool, &bad);
    for (size_t i = 0; i < r->n_results; i++) {
        const struct n1_ci_result *x = &r->results[i];

        push(results, result_object(x, rule_index_of(r, x->rule), &bad), &bad);
    }
    put(run, "results", results, &bad);
    put(run, "columnKind", json_string("unicodeCodePoints"), &bad);
    put(props, "failOn", json_string(n1_severity_name(r->fail_on)), &bad);
    put(props, "failures", json_integer((json_int_t)n1_ci_failures(r)), &bad);
    put(props, "fingerprintVersion", json_integer(N1_FINGERPRINT_VERSION),
        &bad);
    for (size_t i = 0; i < r->n_stale; i++) {
        json_t *e = json_object();
        char hex[17];

        n1_fingerprint_hex(r->stale[i].id, hex);
        put(e, "id", json_string(hex), &bad);
        put(e, "rule", jstr(r->stale[i].rule), &bad);
        put(e, "table", jstr(r->stale[i].table), &bad);
        put(e, "fingerprintText", jstr(r->stale[i].fingerprint_text), &bad);
        push(stale, e, &bad);
    }
    put(props, "staleBaselineEntries", stale, &bad);
    put(run, "properties", props, &bad);
    push(runs, run, &bad);
    put(root, "runs", runs, &bad);
    if (bad) {
        n1_err_set(err, N1_ESYS, NULL, 0, "NOMEM rendering SARIF");
    } else if (json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) !=
                   0 ||
               fputc('\n', out) == EOF || fflush(out) != 0) {
        n1_err_set(err, N1_ESYS, NULL, 0, "WRITE report: output failed");
    } else {
        ret = 0;
    }
    json_decref(root);
    return ret;
}
