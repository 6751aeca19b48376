/* SPDX-License-Identifier: MIT */
/*
 * report_ci.c: the verdict of `n1digest check` as text and as JSON, and the
 * helpers the SARIF and JUnit renderers share (adviser ids, splitting a
 * location into path and line).
 *
 * The renderers only read the report; the decision of which results
 * fail is made by the caller (the fails flag), so every format agrees.
 * Text goes to a terminal or a CI log, so control characters in log
 * text are replaced; JSON goes through jansson, which needs valid UTF-8,
 * so invalid bytes become U+FFFD first.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <xxhash.h>

#include "base/textutil.h"
#include "report/ci.h"
#include "report/findings_int.h"
#include "report/json_int.h"
#include "sql/fingerprint.h"
#include "sql/normalize.h"

uint64_t n1_ci_advice_id(const char *rule, uint64_t fp)
{
    XXH64_state_t *st = NULL;
    unsigned char b[8];
    uint64_t h;

    for (int i = 0; i < 8; i++) {
        b[i] = (unsigned char)(fp >> (8 * i));
    }
    st = XXH64_createState();
    if (st == NULL) {
        /* Out of memory: hash the same bytes laid out in a buffer (rule
           names are at most 48 bytes). */
        char buf[128];
        size_t pl = strlen(N1_CI_ADVISER_PREFIX);
        size_t rl = strlen(rule);

        if (pl + rl + 1 + 8 > sizeof(buf)) {
            rl = sizeof(buf) - pl - 1 - 8;
        }
        memcpy(buf, N1_CI_ADVISER_PREFIX, pl);
        memcpy(buf + pl, rule, rl);
        buf[pl + rl] = '\0';
        memcpy(buf + pl + rl + 1, b, 8);
        return XXH64(buf, pl + rl + 1 + 8, N1_CI_ID_SEED);
    }
    XXH64_reset(st, N1_CI_ID_SEED);
    XXH64_update(st, N1_CI_ADVISER_PREFIX, strlen(N1_CI_ADVISER_PREFIX));
    XXH64_update(st, rule, strlen(rule) + 1);
    XXH64_update(st, b, sizeof(b));
    h = XXH64_digest(st);
    XXH64_freeState(st);
    return h;
}

const char *n1_ci_state_name(enum n1_ci_state s)
{
    switch (s) {
    case N1_CI_NEW:
        return "new";
    case N1_CI_BASELINE:
        return "baseline";
    case N1_CI_ALLOWED:
        return "allowed";
    }
    return "unknown";
}

size_t n1_ci_failures(const struct n1_ci_report *r)
{
    size_t n = 0;

    for (size_t i = 0; i < r->n_results; i++) {
        if (r->results[i].fails) {
            n++;
        }
    }
    return n;
}

void n1_ci_count_states(const struct n1_ci_report *r, size_t by_state[3])
{
    by_state[N1_CI_NEW] = 0;
    by_state[N1_CI_BASELINE] = 0;
    by_state[N1_CI_ALLOWED] = 0;
    for (size_t i = 0; i < r->n_results; i++) {
        by_state[r->results[i].state]++;
    }
}

const char *n1_ci_status(const struct n1_ci_report *r)
{
    if (r->run_error != NULL) {
        return "error";
    }
    if (r->wrote_baseline != NULL) {
        return "baseline_written";
    }
    return n1_ci_failures(r) > 0 ? "fail" : "pass";
}

const char *n1_ci_input_error(const struct n1_ci_report *r, size_t i)
{
    return r->input_errors != NULL && i < r->n_inputs ? r->input_errors[i]
                                                      : NULL;
}

/* ---- strings ----------------------------------------------------------- */

unsigned long n1_ci_location_split(const char *loc, char *path, size_t n)
{
    const char *colon = strrchr(loc, ':');
    size_t plen = strlen(loc);
    unsigned long line = 0;

    if (colon != NULL && colon != loc && colon[1] != '\0' &&
        strspn(colon + 1, "0123456789") == strlen(colon + 1) &&
        strlen(colon + 1) <= 9) {
        line = strtoul(colon + 1, NULL, 10);
        if (line > 0) {
            plen = (size_t)(colon - loc);
        }
    }
    if (n > 0) {
        size_t c = plen < n - 1 ? plen : n - 1;

        memcpy(path, loc, c);
        path[c] = '\0';
    }
    return line;
}

/* ---- text -------------------------------------------------------------- */

/* Writes s with control characters shown as '?'. */
static void put_clean(FILE *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, out);
    }
}

/* "label  value" on a line of its own, value cleaned; NULL/"" skipped. */
static void put_field(FILE *out, const char *label, const char *value)
{
    if (value == NULL || value[0] == '\0') {
        return;
    }
    fprintf(out, "       %-10s ", label);
    put_clean(out, value);
    fputc('\n', out);
}

/* The mark of a result; accepting: a baseline is being written, which
   accepts every result, so none is marked FAIL. */
static const char *mark_of(const struct n1_ci_result *x, int accepting)
{
    if (x->fails && !accepting) {
        return "FAIL";
    }
    switch (x->state) {
    case N1_CI_BASELINE:
        return "base";
    case N1_CI_ALLOWED:
        return "allow";
    case N1_CI_NEW:
        break;
    }
    return "new";
}

static void text_result(FILE *out, const struct n1_ci_result *x, int accepting)
{
    char hex[17];
    char seen[600];
    char verdict[N1_RF_VERDICT_MAX];

    n1_fingerprint_hex(x->id, hex);
    fprintf(out, "%-6s %s (%s) %s\n", mark_of(x, accepting), x->rule,
            n1_severity_name(x->severity), hex);
    put_field(out, "what", x->title);
    put_field(out, "location", x->location);
    if (x->log_file != NULL && x->log_file[0] != '\0') {
        if (x->log_line > 0) {
            snprintf(seen, sizeof(seen), "%s:%lu", x->log_file, x->log_line);
        } else {
            snprintf(seen, sizeof(seen), "%s", x->log_file);
        }
        put_field(out, "seen", seen);
    }
    put_field(out, "statement", x->fingerprint_text);
    put_field(out, "rewrite", x->rewrite);
    put_field(out, "advice", x->advice);
    put_field(out, "allowed by", x->allowed_by);
    if (x->verdict != NULL) {
        n1_rf_verdict_text(x->verdict, 1, verdict, sizeof(verdict));
        put_field(out, "verify", verdict);
    }
    fputc('\n', out);
}

/* The first words of the text report: what the run amounts to. A run
   that could not read its input never says PASS; a run that wrote a
   baseline says what it wrote. */
static void text_headline(FILE *out, const struct n1_ci_report *r, size_t fails)
{
    if (r->wrote_baseline != NULL) {
        fprintf(out, "n1digest check: baseline of %zu result%s written to ",
                r->n_written, r->n_written == 1 ? "" : "s");
        put_clean(out, r->wrote_baseline);
    } else if (r->run_error != NULL) {
        fputs("n1digest check: ERROR: ", out);
        put_clean(out, r->run_error);
        fprintf(out, "; %zu new result%s at or above %s", fails,
                fails == 1 ? "" : "s", n1_severity_name(r->fail_on));
    } else {
        fprintf(out, "n1digest check: %s: %zu new result%s at or above %s",
                fails > 0 ? "FAIL" : "PASS", fails, fails == 1 ? "" : "s",
                n1_severity_name(r->fail_on));
    }
}

int n1_report_ci_text(FILE *out, const struct n1_ci_report *r,
                      struct n1_error *err)
{
    size_t fails = n1_ci_failures(r);
    size_t by_state[3];

    n1_ci_count_states(r, by_state);
    text_headline(out, r, fails);
    fprintf(out,
            " (%zu result%s: %zu new, %zu in the baseline, %zu allowed; "
            "%zu stale baseline entr%s)\n",
            r->n_results, r->n_results == 1 ? "" : "s", by_state[N1_CI_NEW],
            by_state[N1_CI_BASELINE], by_state[N1_CI_ALLOWED], r->n_stale,
            r->n_stale == 1 ? "y" : "ies");
    for (size_t i = 0; i < r->n_inputs; i++) {
        if (n1_ci_input_error(r, i) != NULL) {
            fputs("not read  ", out);
            put_clean(out, r->inputs[i]);
            fputs(": ", out);
            put_clean(out, n1_ci_input_error(r, i));
            fputc('\n', out);
        }
    }
    fputc('\n', out);
    for (int pass = 1; pass >= 0; pass--) {
        for (size_t i = 0; i < r->n_results; i++) {
            if (r->results[i].fails == pass) {
                text_result(out, &r->results[i], r->wrote_baseline != NULL);
            }
        }
    }
    if (r->n_stale > 0) {
        fprintf(out, "stale baseline entries (no longer found; remove them "
                     "from the baseline):\n");
        for (size_t i = 0; i < r->n_stale; i++) {
            char hex[17];

            n1_fingerprint_hex(r->stale[i].id, hex);
            fprintf(out, "  %s %s ", hex, r->stale[i].rule);
            put_clean(out, r->stale[i].table);
            fputs(": ", out);
            put_clean(out, r->stale[i].fingerprint_text);
            fputc('\n', out);
        }
    }
    if (fflush(out) != 0 || ferror(out)) {
        n1_err_set(err, N1_ESYS, NULL, 0, "writing the report: output failed");
        return -1;
    }
    return 0;
}

/* ---- JSON -------------------------------------------------------------- */

static json_t *result_object(const struct n1_ci_result *x)
{
    json_t *o = json_object();
    int bad = o == NULL;

    if (o == NULL) {
        return NULL;
    }
    n1_rj_put(o, "id", n1_rj_hex(x->id), &bad);
    n1_rj_put(o, "rule", n1_rj_str(x->rule), &bad);
    n1_rj_put(o, "severity", json_string(n1_severity_name(x->severity)), &bad);
    n1_rj_put(o, "state", json_string(n1_ci_state_name(x->state)), &bad);
    n1_rj_put(o, "fails", json_boolean(x->fails), &bad);
    n1_rj_put(o, "title", n1_rj_str(x->title), &bad);
    n1_rj_put(o, "table", n1_rj_str(x->table), &bad);
    n1_rj_put(o, "fingerprint", n1_rj_hex(x->fingerprint), &bad);
    n1_rj_put(o, "fingerprint_text", n1_rj_str(x->fingerprint_text), &bad);
    n1_rj_put(o, "sample", n1_rj_str(x->sample), &bad);
    n1_rj_put(o, "location", n1_rj_str(x->location), &bad);
    n1_rj_put(o, "rewrite", n1_rj_str(x->rewrite), &bad);
    n1_rj_put(o, "advice", n1_rj_str(x->advice), &bad);
    n1_rj_put(o, "file", n1_rj_str(x->log_file), &bad);
    n1_rj_put(o, "line", json_integer((json_int_t)x->log_line), &bad);
    n1_rj_put(o, "count", json_integer((json_int_t)x->count), &bad);
    n1_rj_put(o, "allowed_by", n1_rj_str(x->allowed_by), &bad);
    if (x->verdict != NULL) {
        n1_rj_put(o, "verification", n1_rf_verdict_object(x->verdict), &bad);
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int n1_report_ci_json(FILE *out, const struct n1_ci_report *r,
                      struct n1_error *err)
{
    json_t *root = json_object();
    json_t *tool = json_object();
    json_t *results = json_array();
    json_t *stale = json_array();
    json_t *inputs = json_array();
    json_t *input_status = json_array();
    int bad = root == NULL || tool == NULL || results == NULL ||
              stale == NULL || inputs == NULL || input_status == NULL;
    int ret;

    /* n1_rj_put() and n1_rj_push() release what they cannot attach, so a
       failed allocation above needs no path of its own. */
    n1_rj_put(tool, "name", json_string("n1digest"), &bad);
    n1_rj_put(tool, "version", json_string(N1_VERSION), &bad);
    n1_rj_put(tool, "fingerprint_version", json_integer(N1_FINGERPRINT_VERSION),
              &bad);
    for (size_t i = 0; i < r->n_inputs; i++) {
        json_t *e = json_object();
        const char *why = n1_ci_input_error(r, i);

        n1_rj_push(inputs, n1_rj_str(r->inputs[i]), &bad);
        n1_rj_put(e, "path", n1_rj_str(r->inputs[i]), &bad);
        n1_rj_put(e, "status", json_string(why != NULL ? "error" : "read"),
                  &bad);
        if (why != NULL) {
            n1_rj_put(e, "message", n1_rj_str(why), &bad);
        }
        n1_rj_push(input_status, e, &bad);
    }
    for (size_t i = 0; i < r->n_results; i++) {
        n1_rj_push(results, result_object(&r->results[i]), &bad);
    }
    for (size_t i = 0; i < r->n_stale; i++) {
        json_t *e = json_object();

        n1_rj_put(e, "id", n1_rj_hex(r->stale[i].id), &bad);
        n1_rj_put(e, "rule", n1_rj_str(r->stale[i].rule), &bad);
        n1_rj_put(e, "table", n1_rj_str(r->stale[i].table), &bad);
        n1_rj_put(e, "fingerprint_text",
                  n1_rj_str(r->stale[i].fingerprint_text), &bad);
        n1_rj_push(stale, e, &bad);
    }
    n1_rj_put(root, "tool", tool, &bad);
    n1_rj_put(root, "status", json_string(n1_ci_status(r)), &bad);
    n1_rj_put(root, "error", n1_rj_str(r->run_error), &bad);
    n1_rj_put(root, "inputs", inputs, &bad);
    n1_rj_put(root, "input_status", input_status, &bad);
    if (r->wrote_baseline != NULL) {
        n1_rj_put(root, "baseline_written", n1_rj_str(r->wrote_baseline), &bad);
        n1_rj_put(root, "baseline_entries",
                  json_integer((json_int_t)r->n_written), &bad);
    }
    n1_rj_put(root, "baseline", n1_rj_str(r->baseline), &bad);
    n1_rj_put(root, "fail_on", json_string(n1_severity_name(r->fail_on)), &bad);
    n1_rj_put(root, "failures", json_integer((json_int_t)n1_ci_failures(r)),
              &bad);
    n1_rj_put(root, "results", results, &bad);
    n1_rj_put(root, "stale", stale, &bad);

    ret = n1_rj_write(root, out, bad, "the check report", err);
    json_decref(root);
    return ret;
}
