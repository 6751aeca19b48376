/* SPDX-License-Identifier: MIT */
/*
 * report_junit.c: a check report as JUnit XML.
 *
 * The document is built in one capped buffer and written at the end, so
 * a failure half-way never leaves half a document behind. Every piece of
 * text from a log or a rule file goes through n1_xml_escape(): log text
 * is arbitrary bytes, and XML 1.0 has no way at all to carry most
 * control characters, so those (and bytes that are not UTF-8) become
 * U+FFFD rather than an entity a parser would reject.
 *
 * JUnit XML has no single specification; the attributes written here
 * (tests, failures, errors, skipped, time on both suite levels;
 * classname, name, time on cases; message and type on failure and
 * skipped) are the ones the common consumers read.
 */
#include <stdlib.h>
#include <string.h>

#include "base/textutil.h"
#include "report/junit.h"
#include "sql/fingerprint.h"

/* Largest document we build: far above any real report. */
#define MAX_DOC ((size_t)256 * 1024 * 1024)

int n1_xml_escape(struct n1_strbuf *sb, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    static const char repl[] = "\xef\xbf\xbd";

    for (size_t i = 0; i < len;) {
        unsigned char c = u[i];
        const char *ent = NULL;
        size_t n;

        switch (c) {
        case '&':
            ent = "&amp;";
            break;
        case '<':
            ent = "&lt;";
            break;
        case '>':
            ent = "&gt;";
            break;
        case '"':
            ent = "&quot;";
            break;
        case '\'':
            ent = "&apos;";
            break;
        case '\t':
            ent = "&#9;";
            break;
        case '\n':
            ent = "&#10;";
            break;
        case '\r':
            ent = "&#13;";
            break;
        default:
            break;
        }
        if (ent != NULL) {
            if (n1_strbuf_puts(sb, ent) != 0) {
                return -1;
            }
            i++;
            continue;
        }
        if (c < 0x20) {
            if (n1_strbuf_puts(sb, repl) != 0) {
                return -1;
            }
            i++;
            continue;
        }
        n = n1_utf8_seq(u + i, len - i);
        /* U+FFFE and U+FFFF (EF BF BE, EF BF BF) are not XML characters. */
        if (n == 0 || (n == 3 && c == 0xef && u[i + 1] == 0xbf &&
                       (u[i + 2] == 0xbe || u[i + 2] == 0xbf))) {
            if (n1_strbuf_puts(sb, repl) != 0) {
                return -1;
            }
            i++;
            continue;
        }
        if (n1_strbuf_append(sb, s + i, n) != 0) {
            return -1;
        }
        i += n;
    }
    return 0;
}

/* ---- building the document --------------------------------------------- */

struct doc {
    struct n1_strbuf sb;
    int bad; /* 1 once an append failed */
};

static void raw(struct doc *d, const char *s)
{
    if (!d->bad && n1_strbuf_puts(&d->sb, s) != 0) {
        d->bad = 1;
    }
}

static void esc(struct doc *d, const char *s)
{
    if (s != NULL && !d->bad && n1_xml_escape(&d->sb, s, strlen(s)) != 0) {
        d->bad = 1;
    }
}

/* Writes ` name="value"` with value escaped. */
static void attr(struct doc *d, const char *name, const char *value)
{
    raw(d, " ");
    raw(d, name);
    raw(d, "=\"");
    esc(d, value != NULL ? value : "");
    raw(d, "\"");
}

static void attr_num(struct doc *d, const char *name, size_t v)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%zu", v);
    attr(d, name, buf);
}

/* "label: value\n" into the failure text; NULL/"" skipped. */
static void detail(struct doc *d, const char *label, const char *value)
{
    if (value == NULL || value[0] == '\0') {
        return;
    }
    esc(d, label);
    raw(d, ": ");
    esc(d, value);
    raw(d, "&#10;");
}

/* The case name: id, then the table and the location when known. */
static void case_name(struct doc *d, const struct n1_ci_result *x)
{
    char hex[17];
    char buf[64];

    n1_fingerprint_hex(x->id, hex);
    snprintf(buf, sizeof(buf), "%s ", hex);
    raw(d, " name=\"");
    esc(d, buf);
    esc(d, x->table != NULL && x->table[0] != '\0' ? x->table : "-");
    if (x->location != NULL && x->location[0] != '\0') {
        esc(d, " at ");
        esc(d, x->location);
    }
    raw(d, "\"");
}

static void result_case(struct doc *d, const struct n1_ci_report *r,
                        const struct n1_ci_result *x)
{
    char classname[160];
    char why[200];
    char seen[600];

    snprintf(classname, sizeof(classname), "n1digest.%s", x->rule);
    raw(d, "    <testcase");
    attr(d, "classname", classname);
    case_name(d, x);
    attr(d, "time", "0");
    if (x->location != NULL && x->location[0] != '\0') {
        char path[1024];
        unsigned long line =
            n1_ci_location_split(x->location, path, sizeof(path));

        attr(d, "file", path);
        if (line > 0) {
            attr_num(d, "line", line);
        }
    }
    raw(d, ">\n");
    if (x->fails) {
        raw(d, "      <failure");
        attr(d, "type", x->rule);
        attr(d, "message", x->title);
        raw(d, ">");
        detail(d, "severity", n1_severity_name(x->severity));
        detail(d, "location", x->location);
        if (x->log_file != NULL && x->log_file[0] != '\0') {
            snprintf(seen, sizeof(seen), "%s:%lu", x->log_file, x->log_line);
            detail(d, "seen", seen);
        }
        detail(d, "statement", x->fingerprint_text);
        detail(d, "rewrite", x->rewrite);
        detail(d, "advice", x->advice);
        raw(d, "</failure>\n");
    } else {
        if (r->wrote_baseline != NULL) {
            snprintf(why, sizeof(why), "written to the baseline %s",
                     r->wrote_baseline);
        } else if (x->state == N1_CI_BASELINE) {
            snprintf(why, sizeof(why), "in the baseline");
        } else if (x->state == N1_CI_ALLOWED) {
            snprintf(why, sizeof(why), "allowed by %s",
                     x->allowed_by != NULL ? x->allowed_by : "[allow]");
        } else {
            snprintf(why, sizeof(why), "%s is below --fail-on %s",
                     n1_severity_name(x->severity),
                     n1_severity_name(r->fail_on));
        }
        raw(d, "      <skipped");
        attr(d, "message", why);
        raw(d, "/>\n");
    }
    raw(d, "    </testcase>\n");
}

/* 1 when some result of rule `id` fails the run. */
static int rule_fails(const struct n1_ci_report *r, const char *id)
{
    for (size_t i = 0; i < r->n_results; i++) {
        if (r->results[i].fails && strcmp(r->results[i].rule, id) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Errors of the run: each input not read, or the run's error alone. */
static size_t run_errors(const struct n1_ci_report *r)
{
    size_t n = 0;

    for (size_t i = 0; i < r->n_inputs; i++) {
        n += n1_ci_input_error(r, i) != NULL;
    }
    return n == 0 && r->run_error != NULL ? 1 : n;
}

/* A testcase with an <error>: an input not read (path non-NULL), or the
   run's error. */
static void error_case(struct doc *d, const char *path, const char *why)
{
    char name[1024];
    char msg[1024];

    snprintf(name, sizeof(name), "read %s", path != NULL ? path : "the input");
    if (path != NULL) {
        snprintf(msg, sizeof(msg), "%s: %s", path, why);
    } else {
        snprintf(msg, sizeof(msg), "%s", why);
    }
    raw(d, "    <testcase");
    attr(d, "classname", "n1digest.input");
    attr(d, "name", name);
    attr(d, "time", "0");
    raw(d, ">\n      <error");
    attr(d, "type", "input");
    attr(d, "message", msg);
    raw(d, "/>\n    </testcase>\n");
}

static void error_cases(struct doc *d, const struct n1_ci_report *r)
{
    size_t n = 0;

    for (size_t i = 0; i < r->n_inputs; i++) {
        if (n1_ci_input_error(r, i) != NULL) {
            error_case(d, r->inputs[i], n1_ci_input_error(r, i));
            n++;
        }
    }
    if (n == 0 && r->run_error != NULL) {
        error_case(d, NULL, r->run_error);
    }
}

static void counts(struct doc *d, size_t tests, size_t failures, size_t errors,
                   size_t skipped)
{
    attr_num(d, "tests", tests);
    attr_num(d, "failures", failures);
    attr_num(d, "errors", errors);
    attr_num(d, "skipped", skipped);
    attr(d, "time", "0");
}

/* The suite's properties: the run's status, what it was given, and the
   stale baseline entries. */
static void properties(struct doc *d, const struct n1_ci_report *r)
{
    raw(d, ">\n    <properties>\n");
    raw(d, "      <property");
    attr(d, "name", "status");
    attr(d, "value", n1_ci_status(r));
    raw(d, "/>\n");
    if (r->wrote_baseline != NULL) {
        raw(d, "      <property");
        attr(d, "name", "baseline_written");
        attr(d, "value", r->wrote_baseline);
        raw(d, "/>\n");
    }
    raw(d, "      <property");
    attr(d, "name", "fail_on");
    attr(d, "value", n1_severity_name(r->fail_on));
    raw(d, "/>\n");
    for (size_t i = 0; i < r->n_inputs; i++) {
        raw(d, "      <property");
        attr(d, "name", "input");
        attr(d, "value", r->inputs[i]);
        raw(d, "/>\n");
    }
    if (r->baseline != NULL) {
        raw(d, "      <property");
        attr(d, "name", "baseline");
        attr(d, "value", r->baseline);
        raw(d, "/>\n");
    }
    for (size_t i = 0; i < r->n_stale; i++) {
        char hex[17];

        n1_fingerprint_hex(r->stale[i].id, hex);
        raw(d, "      <property name=\"stale_baseline_entry\" value=\"");
        esc(d, hex);
        esc(d, " ");
        esc(d, r->stale[i].rule);
        esc(d, " ");
        esc(d, r->stale[i].table);
        esc(d, ": ");
        esc(d, r->stale[i].fingerprint_text);
        raw(d, "\"/>\n");
    }
    raw(d, "    </properties>\n");
}

int n1_report_junit(FILE *out, const struct n1_ci_report *r,
                    struct n1_error *err)
{
    struct doc d;
    size_t failures = n1_ci_failures(r);
    size_t skipped = r->n_results - failures;
    size_t clean = 0;
    size_t errors = run_errors(r);
    size_t tests;
    int ret = -1;

    memset(&d, 0, sizeof(d));
    n1_strbuf_init(&d.sb, MAX_DOC);
    for (size_t i = 0; i < r->n_rules; i++) {
        if (!rule_fails(r, r->rules[i].id)) {
            clean++;
        }
    }
    tests = r->n_results + clean + errors;
    raw(&d, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites");
    attr(&d, "name", "n1digest check");
    counts(&d, tests, failures, errors, skipped);
    raw(&d, ">\n  <testsuite");
    attr(&d, "name", "n1digest check");
    counts(&d, tests, failures, errors, skipped);
    properties(&d, r);
    error_cases(&d, r);
    for (int pass = 1; pass >= 0; pass--) {
        for (size_t i = 0; i < r->n_results; i++) {
            if (r->results[i].fails == pass) {
                result_case(&d, r, &r->results[i]);
            }
        }
    }
    for (size_t i = 0; i < r->n_rules; i++) {
        char classname[160];
        char name[200];

        if (rule_fails(r, r->rules[i].id)) {
            continue;
        }
        snprintf(classname, sizeof(classname), "n1digest.%s", r->rules[i].id);
        snprintf(name, sizeof(name), "no new %s findings", r->rules[i].id);
        raw(&d, "    <testcase");
        attr(&d, "classname", classname);
        attr(&d, "name", name);
        attr(&d, "time", "0");
        raw(&d, "/>\n");
    }
    raw(&d, "  </testsuite>\n</testsuites>\n");
    if (d.bad) {
        n1_err_oom(err, "rendering JUnit XML");
        goto out;
    }
    if (fwrite(d.sb.buf, 1, d.sb.len, out) != d.sb.len || fflush(out) != 0) {
        n1_err_set(err, N1_ESYS, NULL, 0, "writing the report: output failed");
        goto out;
    }
    ret = 0;

out:
    n1_strbuf_cleanup(&d.sb);
    return ret;
}
