/* SPDX-License-Identifier: MIT */
/*
 * markdown.c: check and analyze reports as GitHub Flavored Markdown.
 *
 * Both reports become the same rows (struct md_row) and go through one
 * renderer: a status heading, a table, the rewrites in <details> (with
 * the verdict of `verify` and its detail, where the model has one). The
 * document is built in a buffer and written at the end, so it can be
 * held to the step summary's budget: a row or rewrite that would pass it
 * is counted in a "N more" line rather than cut in the middle.
 *
 * Text from logs reaches three contexts, each with its own escaping:
 * table cells and paragraphs (n1_md_cell(): Markdown punctuation gets a
 * backslash, HTML characters and @ become references so that nothing
 * renders as a tag or pings a user), the <summary> of a <details> block
 * (an HTML block, where only n1_xml_escape() applies), and the fenced
 * rewrites (verbatim, under a fence longer than any backtick run in
 * them, so a statement cannot close it).
 *
 * It does not rank, filter or judge: the caller's report says which
 * results are new and which fail.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/textutil.h"
#include "report/findings_int.h"
#include "report/junit.h"
#include "report/markdown.h"

#define DEFAULT_ROWS    100
#define DEFAULT_DETAILS 25
/* Bytes kept free for the lines after the last row or rewrite. */
#define TAIL_RESERVE    2048

/* ---- escaping ---------------------------------------------------------- */

/* The reference or backslash escape of byte c at offset i of a cell, or
   NULL when it goes out as it is. */
static const char *cell_escape(unsigned char c, size_t i, char buf[3])
{
    switch (c) {
    case '&':
        return "&amp;";
    case '<':
        return "&lt;";
    case '>':
        return "&gt;";
    case '@':
        return "&#64;";
    case '\n':
    case '\r':
    case '\t':
        return " ";
    case '\\':
    case '`':
    case '|':
    case '*':
    case '_':
    case '[':
    case ']':
    case '~':
    case '!':
    case '#':
    case '$':
        break;
    case '-':
    case '+':
        if (i == 0) {
            break;
        }
        return NULL;
    default:
        return c < 0x20 || c == 0x7f ? "\xef\xbf\xbd" : NULL;
    }
    buf[0] = '\\';
    buf[1] = (char)c;
    buf[2] = '\0';
    return buf;
}

int n1_md_cell(struct n1_strbuf *sb, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;

    for (size_t i = 0; i < len;) {
        char buf[3];
        const char *esc = cell_escape(u[i], i, buf);
        size_t n;

        if (esc != NULL) {
            if (n1_strbuf_puts(sb, esc) != 0) {
                return -1;
            }
            i++;
            continue;
        }
        n = n1_utf8_seq(u + i, len - i);
        if (n == 0) {
            if (n1_strbuf_puts(sb, "\xef\xbf\xbd") != 0) {
                return -1;
            }
            i++;
            continue;
        }
        if (n1_strbuf_append(sb, u + i, n) != 0) {
            return -1;
        }
        i += n;
    }
    return 0;
}

size_t n1_md_fence_len(const char *s, size_t len)
{
    size_t longest = 0;
    size_t run = 0;

    for (size_t i = 0; i < len; i++) {
        run = s[i] == '`' ? run + 1 : 0;
        if (run > longest) {
            longest = run;
        }
    }
    return longest + 1 > 3 ? longest + 1 : 3;
}

/* ---- the document ------------------------------------------------------ */

/* The document being built and what it may still take. */
struct md_doc {
    struct n1_strbuf sb; /* the document */
    size_t max_bytes;    /* its budget */
    int oom;             /* 1: an append failed */
};

static void put(struct md_doc *d, const char *s)
{
    if (n1_strbuf_puts(&d->sb, s) != 0) {
        d->oom = 1;
    }
}

static void putf(struct md_doc *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void putf(struct md_doc *d, const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    put(d, buf);
}

/* s (NULL: "") as cell or paragraph text. */
static void put_text(struct md_doc *d, const char *s)
{
    if (s != NULL && n1_md_cell(&d->sb, s, strlen(s)) != 0) {
        d->oom = 1;
    }
}

/* Appends part when the document keeps TAIL_RESERVE free after it.
   Returns 1 when it did. */
static int take(struct md_doc *d, const struct n1_strbuf *part)
{
    if (d->sb.len + part->len + TAIL_RESERVE > d->max_bytes) {
        return 0;
    }
    if (n1_strbuf_append(&d->sb, n1_strbuf_str(part), part->len) != 0) {
        d->oom = 1;
    }
    return 1;
}

/* ---- rows -------------------------------------------------------------- */

/* One row of the table, from a check result or an analyze class. */
struct md_row {
    uint64_t id;               /* class or result id */
    const char *kind;          /* rule id or finding kind */
    enum n1_severity severity; /* in force */
    int fails;                 /* 1: it fails the run */
    const char *table;         /* main table, or NULL */
    const char *location;      /* place to show, or NULL */
    char loc[512];             /* storage for a place made here */
    char title_buf[640];       /* storage for a title made here */
    size_t occurrences;        /* occurrences of the class; 0: no class */
    uint64_t count;            /* executions */
    double time_s;             /* summed Query_time; NaN: no timings */
    const char *title;         /* what was found, one line */
    const char *rewrite;       /* batched statement, or NULL */
    const struct n1_store_verdict *verdict; /* verify's, or NULL */
};

/* A time in s, ms or µs with three significant digits or so. */
static void put_seconds(struct md_doc *d, double s)
{
    if (s >= 1) {
        putf(d, "%.2f s", s);
    } else if (s >= 0.001) {
        putf(d, "%.1f ms", s * 1e3);
    } else {
        putf(d, "%.0f µs", s * 1e6);
    }
}

static void put_cost(struct md_doc *d, const struct md_row *x)
{
    if (x->occurrences == 0) {
        put(d, "—");
    } else if (isnan(x->time_s)) {
        /* No timings (a general log): what the ranking assumes. */
        put_seconds(d, (double)x->count * N1_REPORT_RTT_S);
        putf(d, " est. (%" PRIu64 " round trips)", x->count);
    } else {
        put_seconds(d, x->time_s);
    }
}

/* One table row into part. */
static void row_text(struct md_doc *part, const struct md_row *x, size_t nr)
{
    char verdict[N1_RF_VERDICT_MAX];

    putf(part, "| %zu | ", nr);
    put_text(part, x->kind);
    putf(part, " | %s%s | ", n1_severity_name(x->severity),
         x->fails ? " **fails**" : "");
    if (x->table != NULL && x->table[0] != '\0') {
        put_text(part, x->table);
    } else {
        put(part, "—");
    }
    put(part, " | ");
    if (x->location != NULL && x->location[0] != '\0') {
        put_text(part, x->location);
    } else {
        put(part, "—");
    }
    if (x->occurrences > 0) {
        putf(part, " | %zu (%" PRIu64 " executions) | ", x->occurrences,
             x->count);
    } else {
        put(part, " | — | ");
    }
    put_cost(part, x);
    put(part, " | ");
    if (x->verdict != NULL) {
        n1_rf_verdict_text(x->verdict, 0, verdict, sizeof(verdict));
        put_text(part, verdict);
    } else {
        put(part, "—");
    }
    put(part, " |\n");
}

/* s as the text of an HTML element: n1_xml_escape(), and @ as a
   reference, so that a <summary> mentions no one either. */
static void put_html(struct md_doc *d, const char *s)
{
    for (;;) {
        size_t n = strcspn(s, "@");

        if (n1_xml_escape(&d->sb, s, n) != 0) {
            d->oom = 1;
        }
        if (s[n] == '\0') {
            return;
        }
        put(d, "&#64;");
        s += n + 1;
    }
}

/* "**Verification**: WORD on HOST at TIME: DETAIL", a paragraph of a
   <details> block. */
static void put_verdict(struct md_doc *d, const struct n1_store_verdict *v)
{
    char line[N1_RF_VERDICT_MAX];

    n1_rf_verdict_text(v, 0, line, sizeof(line));
    put(d, "**Verification**: ");
    put_text(d, line);
    if (v->detail[0] != '\0') {
        put(d, ": ");
        put_text(d, v->detail);
    }
    put(d, "\n\n");
}

/* One row's <details> block into part: its verdict and its rewrite,
   each when it has one. */
static void details_text(struct md_doc *part, const struct md_row *x, size_t nr)
{
    size_t len = 0;
    const char *rw = x->rewrite != NULL ? x->rewrite : "";
    char *sql = n1_utf8_lossy(rw, strlen(rw), 0, &len);
    size_t fence;

    if (sql == NULL) {
        part->oom = 1;
        return;
    }
    fence = n1_md_fence_len(sql, len);
    putf(part, "<details><summary>%zu. ", nr);
    put_html(part, x->title != NULL ? x->title : x->kind);
    put(part, "</summary>\n\n");
    if (x->verdict != NULL) {
        put_verdict(part, x->verdict);
    }
    if (len > 0) {
        for (size_t i = 0; i < fence; i++) {
            put(part, "`");
        }
        put(part, "sql\n");
        put(part, sql);
        put(part, "\n");
        for (size_t i = 0; i < fence; i++) {
            put(part, "`");
        }
        put(part, "\n\n");
    }
    put(part, "</details>\n\n");
    free(sql);
}

/* "_N more WHAT not shown: see the JSON report (--format json)._" */
static void put_more(struct md_doc *d, size_t more, const char *what)
{
    if (more > 0) {
        putf(d,
             "\n_%zu more %s not shown: see the JSON report (`--format "
             "json`)._\n",
             more, what);
    }
}

/*
 * The table of rows and the rewrites of the rows shown, within the
 * budget and the caps of o.
 */
static void put_rows(struct md_doc *d, const struct md_row *rows, size_t n,
                     const struct n1_md_opts *o)
{
    struct md_doc part;
    size_t shown = 0;
    size_t details = 0;
    size_t more = 0;

    memset(&part, 0, sizeof(part));
    n1_strbuf_init(&part.sb, 0);
    put(d, "| # | Kind | Severity | Table | Location | Occurrences | Cost "
           "| Verdict |\n"
           "|---:|---|---|---|---|---:|---:|---|\n");
    for (size_t i = 0; i < n; i++) {
        n1_strbuf_reset(&part.sb);
        row_text(&part, &rows[i], i + 1);
        if (shown == i && shown < o->max_rows && take(d, &part.sb)) {
            shown++;
        }
    }
    put_more(d, n - shown, n - shown == 1 ? "finding" : "findings");
    put(d, "\n");
    for (size_t i = 0; i < shown; i++) {
        if ((rows[i].rewrite == NULL || rows[i].rewrite[0] == '\0') &&
            rows[i].verdict == NULL) {
            continue;
        }
        n1_strbuf_reset(&part.sb);
        details_text(&part, &rows[i], i + 1);
        if (more == 0 && details < o->max_details && take(d, &part.sb)) {
            details++;
        } else {
            more++;
        }
    }
    put_more(d, more, more == 1 ? "rewrite" : "rewrites");
    d->oom |= part.oom;
    n1_strbuf_cleanup(&part.sb);
}

/* Writes the document out and frees it. Returns 0, or -1 with err set. */
static int finish(struct md_doc *d, FILE *out, struct n1_error *err)
{
    int rc = 0;

    if (d->oom) {
        n1_err_oom(err, "building the Markdown report");
        rc = -1;
    } else if (fwrite(n1_strbuf_str(&d->sb), 1, d->sb.len, out) != d->sb.len ||
               fflush(out) != 0 || ferror(out)) {
        n1_err_set(err, N1_ESYS, NULL, 0, "writing the report: output failed");
        rc = -1;
    }
    n1_strbuf_cleanup(&d->sb);
    return rc;
}

static void doc_init(struct md_doc *d, const struct n1_md_opts *o,
                     struct n1_md_opts *eff)
{
    memset(eff, 0, sizeof(*eff));
    if (o != NULL) {
        *eff = *o;
    }
    if (eff->max_bytes == 0) {
        eff->max_bytes = N1_MD_MAX_BYTES;
    }
    if (eff->max_rows == 0) {
        eff->max_rows = DEFAULT_ROWS;
    }
    if (eff->max_details == 0) {
        eff->max_details = DEFAULT_DETAILS;
    }
    memset(d, 0, sizeof(*d));
    n1_strbuf_init(&d->sb, 0);
    d->max_bytes = eff->max_bytes;
}

/* "## n1digest CMD: WORD" and "**WORD**: " for the line saying why. */
static void put_status(struct md_doc *d, const char *cmd, const char *word)
{
    putf(d, "## n1digest %s: %s\n\n**%s**: ", cmd, word, word);
}

/* "- path: why" for each input not read, and a blank line. */
static void put_not_read(struct md_doc *d, const char *path, const char *why,
                         int *first)
{
    if (*first) {
        put(d, "Inputs not read:\n\n");
        *first = 0;
    }
    put(d, "- ");
    put_text(d, path);
    put(d, ": ");
    put_text(d, why);
    put(d, "\n");
}

/* ---- check ------------------------------------------------------------- */

static void ci_headline(struct md_doc *d, const struct n1_ci_report *r)
{
    size_t fails = n1_ci_failures(r);
    size_t by_state[3];

    n1_ci_count_states(r, by_state);
    if (r->wrote_baseline != NULL) {
        put_status(d, "check", "BASELINE WRITTEN");
        putf(d, "%zu result%s written to ", r->n_written,
             r->n_written == 1 ? "" : "s");
        put_text(d, r->wrote_baseline);
        put(d, ".");
    } else if (r->run_error != NULL) {
        /* Input that could not be read is never a pass. */
        put_status(d, "check", "ERROR");
        put_text(d, r->run_error);
        put(d, ".");
    } else {
        put_status(d, "check", fails > 0 ? "FAIL" : "PASS");
        putf(d, "%zu new result%s at or above %s.", fails,
             fails == 1 ? "" : "s", n1_severity_name(r->fail_on));
    }
    putf(d,
         " %zu result%s: %zu new, %zu in the baseline, %zu allowed; %zu "
         "stale baseline entr%s.\n\n",
         r->n_results, r->n_results == 1 ? "" : "s", by_state[N1_CI_NEW],
         by_state[N1_CI_BASELINE], by_state[N1_CI_ALLOWED], r->n_stale,
         r->n_stale == 1 ? "y" : "ies");
}

/* The row of check result x. */
static void ci_row(struct md_row *row, const struct n1_ci_result *x)
{
    memset(row, 0, sizeof(*row));
    row->id = x->id;
    row->kind = x->rule;
    row->severity = x->severity;
    row->fails = x->fails;
    row->table = x->table;
    row->location = x->location;
    if (row->location == NULL && x->n_places > 0) {
        row->location = x->places[0].location;
    }
    if (row->location == NULL && x->log_file != NULL) {
        snprintf(row->loc, sizeof(row->loc), "%s:%lu", x->log_file,
                 x->log_line);
        row->location = row->loc;
    }
    row->occurrences = x->occurrences;
    row->count = x->count;
    row->time_s = x->total_time_s;
    row->title = x->title;
    row->rewrite = x->rewrite;
    row->verdict = x->verdict;
}

int n1_report_ci_markdown(FILE *out, const struct n1_ci_report *r,
                          const struct n1_md_opts *o, struct n1_error *err)
{
    struct n1_md_opts eff;
    struct md_doc d;
    struct md_row *rows = calloc(r->n_results + 1, sizeof(*rows));
    size_t n = 0;
    int first = 1;

    doc_init(&d, o, &eff);
    d.oom = rows == NULL;
    ci_headline(&d, r);
    for (size_t i = 0; i < r->n_inputs; i++) {
        if (n1_ci_input_error(r, i) != NULL) {
            put_not_read(&d, r->inputs[i], n1_ci_input_error(r, i), &first);
        }
    }
    put(&d, first ? "" : "\n");
    /* The new results, those that fail first, as the text report. */
    for (int pass = 1; rows != NULL && pass >= 0; pass--) {
        for (size_t i = 0; i < r->n_results; i++) {
            const struct n1_ci_result *x = &r->results[i];

            if (x->state == N1_CI_NEW && x->fails == pass) {
                ci_row(&rows[n++], x);
            }
        }
    }
    if (n == 0) {
        put(&d, "No new findings.\n");
    } else {
        put(&d, "### New findings\n\n");
        put_rows(&d, rows, n, &eff);
    }
    free(rows);
    return finish(&d, out, err);
}

/* ---- analyze ----------------------------------------------------------- */

/* The row of class c: its location, else its route tags, else where the
   log has its first occurrence. */
static void class_row(struct md_row *row, const struct n1_finding_class *c)
{
    static const char *const route[] = {"route", "controller", "action"};
    const struct n1_finding *f = c->f;
    size_t used = 0;

    memset(row, 0, sizeof(*row));
    row->id = f->id;
    row->kind = n1_finding_kind_name(f->kind);
    row->severity = f->severity;
    row->table = f->table;
    row->location = f->location;
    for (size_t j = 0; row->location == NULL && j < 3; j++) {
        for (size_t i = 0; i < f->n_tags && used < sizeof(row->loc); i++) {
            if (strcmp(f->tags[i].key, route[j]) == 0) {
                used += (size_t)snprintf(
                    row->loc + used, sizeof(row->loc) - used, "%s%s=%s",
                    used > 0 ? " " : "", route[j], f->tags[i].value);
            }
        }
    }
    if (row->location == NULL && used == 0 && f->file != NULL) {
        snprintf(row->loc, sizeof(row->loc), "%s:%lu", f->file, f->line);
    }
    if (row->location == NULL && row->loc[0] != '\0') {
        row->location = row->loc;
    }
    row->occurrences = c->occurrences;
    row->count = f->count;
    row->time_s = f->total_time_s;
    snprintf(row->title_buf, sizeof(row->title_buf), "%s: %s on %s%s%s",
             row->kind, f->statement != NULL ? f->statement : "statement",
             f->table != NULL && f->table[0] != '\0' ? f->table : "?",
             row->location != NULL ? " at " : "",
             row->location != NULL ? row->location : "");
    row->title = row->title_buf;
    row->rewrite = f->rewrite;
    row->verdict = c->verdict;
}

/* Inputs of the run that could not be read, and lines skipped. */
static size_t unreadable(const struct n1_class_report *r, uint64_t *skipped)
{
    size_t n = 0;

    *skipped = 0;
    for (size_t i = 0; i < r->n_in; i++) {
        n += r->in[i].status == N1_INPUT_UNREADABLE;
        *skipped += r->in[i].skipped;
    }
    return n;
}

static void classes_headline(struct md_doc *d, size_t n_classes,
                             const struct n1_class_report *r,
                             int fail_on_findings)
{
    uint64_t skipped;
    size_t bad = unreadable(r, &skipped);
    const char *s = n_classes == 1 ? "" : "es";

    if (bad > 0) {
        put_status(d, "analyze", "ERROR");
        putf(d,
             "%zu input%s could not be read as a query log; %zu finding "
             "class%s in the rest.\n\n",
             bad, bad == 1 ? "" : "s", n_classes, s);
    } else if (fail_on_findings && n_classes > 0) {
        put_status(d, "analyze", "FAIL");
        putf(d, "%zu finding class%s (--fail-on-findings).\n\n", n_classes, s);
    } else if (skipped > 0) {
        put_status(d, "analyze", "WARNING");
        putf(d,
             "%" PRIu64 " lines and events skipped: a loop in them would "
             "go unseen; %zu finding class%s.\n\n",
             skipped, n_classes, s);
    } else if (n_classes > 0) {
        put_status(d, "analyze", "FINDINGS");
        putf(d,
             "%zu finding class%s (not failing without "
             "--fail-on-findings).\n\n",
             n_classes, s);
    } else {
        put_status(d, "analyze", "PASS");
        put(d, "no finding.\n\n");
    }
}

int n1_report_classes_markdown(FILE *out, const struct n1_class_set *set,
                               const struct n1_class_report *r,
                               int fail_on_findings, const struct n1_md_opts *o,
                               struct n1_error *err)
{
    struct n1_md_opts eff;
    struct md_doc d;
    struct md_row *rows = calloc(set->n + 1, sizeof(*rows));
    int first = 1;

    doc_init(&d, o, &eff);
    d.oom = rows == NULL;
    classes_headline(&d, set->n, r, fail_on_findings);
    for (size_t i = 0; i < r->n_in; i++) {
        if (r->in[i].status == N1_INPUT_UNREADABLE) {
            put_not_read(&d, r->in[i].path, "not read as a query log", &first);
        }
    }
    put(&d, first ? "" : "\n");
    if (rows != NULL && set->n > 0) {
        for (size_t i = 0; i < set->n; i++) {
            class_row(&rows[i], &set->v[i]);
        }
        put(&d, "### Findings\n\n");
        put_rows(&d, rows, set->n, &eff);
    }
    free(rows);
    return finish(&d, out, err);
}
