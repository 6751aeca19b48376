/* SPDX-License-Identifier: MIT */
/*
 * cmd_check.c: `n1digest check`: the CI gate. Read the logs a test suite
 * produced, find N+1 loops, duplicates, fan-outs and adviser findings,
 * and fail when something new is at or above the failing severity.
 *
 * The run is analyze's (analyze_run.c) on a private in-memory store, so
 * every LOG is read in full on every run, with the adviser switched on.
 * Each detector finding and each piece of advice becomes one result
 * with a stable id (findings: kind, fingerprint and location; advice:
 * rule and fingerprint); results with the same id are merged, so a
 * baseline has one entry per id. A result is then judged, in this order:
 *
 *   1. allowed, when an [allow] entry of the rule files matches it
 *      (reported with the entry and its origin, never failing);
 *   2. baseline, when its id is in the --baseline file (never failing);
 *   3. new: it fails the run when its severity is at or above --fail-on.
 *
 * Baseline entries matching no result are stale: listed, not failing.
 * Findings below min_total_time_ms are dropped, as analyze does.
 *
 * check must not pass on input it could not read: an input that is not a
 * log, logs without a single statement (the general log was off), and
 * skipped lines or events (unless --allow-skipped) give exit 3, which
 * wins over findings (1). docs/ci.md has the details.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "engine/analyze_run.h"
#include "report/baseline.h"
#include "report/ci.h"
#include "report/classes.h"
#include "report/junit.h"
#include "report/markdown.h"
#include "report/sarif.h"
#include "rules/rules.h"
#include "sql/fingerprint.h"
#include "sql/sqlinfo.h"

/* One piece of advice, kept once per (rule, fingerprint). */
struct advice_item {
    uint64_t id;               /* n1_ci_advice_id() */
    const char *rule;          /* rule name; borrowed from the rules */
    const char *message;       /* borrowed from the rules */
    enum n1_severity severity; /* the rule's */
    struct n1_finding *f;      /* fingerprint, text, sample, table, tags,
                                  location, advice, file and line as a
                                  finding, for the allow-list; owned */
};

struct advice_list {
    struct advice_item *v;
    size_t n;
    size_t cap;
    int oom; /* 1: an item was lost */
};

/* Strings check makes for the report, owned until the end. */
struct owned {
    char **v;
    size_t n;
    size_t cap;
    int oom;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: n1digest check [options] LOG...\n"
            "\n"
            "The CI gate: reads the general or slow logs a test run\n"
            "produced, finds N+1 loops, repeated statements, fan-outs and\n"
            "adviser findings, and fails when a new one is at or above\n"
            "the failing severity. Findings in the baseline or allowed by\n"
            "[allow] rules are reported but never fail (see docs/ci.md).\n"
            "\n"
            "options:\n"
            "  --rules FILE          rule file over the built-in defaults\n"
            "                        (repeatable; see docs/rules.md)\n"
            "  --baseline PATH       accepted findings: a JSON baseline or\n"
            "                        an n1digest SQLite store\n"
            "  --write-baseline PATH write every finding not allowed as a\n"
            "                        JSON baseline, then exit 0 (or 3)\n"
            "  --fail-on SEV         info, warning (default) or error\n"
            "  --verdicts STORE      show the verdicts `n1digest verify`\n"
            "                        kept in this store (its --db)\n"
            "  --format FMT          text (default), json, sarif, junit,\n"
            "                        html or markdown (a CI job summary)\n"
            "  --output FILE         write the report to FILE, not stdout\n"
            "  --allow-skipped       do not fail (3) on skipped lines\n");
    cli_reader_usage(out, 24);
    fprintf(out,
            "  -h, --help            show this help\n"
            "\n"
            "exit status:\n"
            "  0  nothing new at or above the failing severity\n"
            "  1  something new at or above the failing severity\n"
            "  2  usage or system error\n"
            "  3  unreadable input: a LOG that is not a log, no statement\n"
            "     in any LOG, skipped lines (without --allow-skipped), a\n"
            "     bad rule file or baseline (message with file and line)\n"
            "When several apply, 2 wins over 3, and 3 over 1.\n");
}

/* ---- small owned things ------------------------------------------------ */

/* Keeps s (malloc'd, may be NULL after a failed allocation); returns it. */
static const char *keep(struct owned *o, char *s)
{
    if (s == NULL) {
        o->oom = 1;
        return "";
    }
    if (o->n == o->cap) {
        size_t cap = o->cap > 0 ? o->cap * 2 : 32;
        char **v = realloc(o->v, cap * sizeof(*v));

        if (v == NULL) {
            free(s);
            o->oom = 1;
            return "";
        }
        o->v = v;
        o->cap = cap;
    }
    o->v[o->n++] = s;
    return s;
}

static const char *keepf(struct owned *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static const char *keepf(struct owned *o, const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n >= 0) {
        s = malloc((size_t)n + 1);
    }
    if (s != NULL) {
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return keep(o, s);
}

static void owned_free(struct owned *o)
{
    for (size_t i = 0; i < o->n; i++) {
        free(o->v[i]);
    }
    free(o->v);
}

/* ---- advice ------------------------------------------------------------ */

/* The location tag of a statement, as the detectors make it. */
static char *location_of(const struct n1_norm *norm)
{
    const char *file = NULL;
    const char *line = NULL;
    char *s = NULL;
    size_t n;

    for (size_t i = 0; i < norm->n_tags; i++) {
        if (strcmp(norm->tags[i].key, "file") == 0) {
            file = norm->tags[i].value;
        } else if (strcmp(norm->tags[i].key, "line") == 0 ||
                   strcmp(norm->tags[i].key, "lineno") == 0) {
            line = norm->tags[i].value;
        }
    }
    if (file == NULL) {
        return NULL;
    }
    n = strlen(file) + (line != NULL ? strlen(line) + 1 : 0) + 1;
    s = malloc(n);
    if (s != NULL) {
        snprintf(s, n, "%s%s%s", file, line != NULL ? ":" : "",
                 line != NULL ? line : "");
    }
    return s;
}

/* The adviser's sink: keeps the first advice per (rule, fingerprint). */
static void collect_advice(void *ud, const struct n1_analyze_advice *x)
{
    struct advice_list *l = ud;
    const struct n1_advice *a = x->a;
    uint64_t id = n1_ci_advice_id(a->rule, a->fingerprint);
    struct n1_finding f;
    struct n1_sqlinfo si;
    struct n1_kv *tags = NULL;
    char *sample = NULL;
    char *loc = NULL;

    for (size_t i = 0; i < l->n; i++) {
        if (l->v[i].id == id) {
            return;
        }
    }
    if (l->n == l->cap) {
        size_t cap = l->cap > 0 ? l->cap * 2 : 16;
        struct advice_item *v = realloc(l->v, cap * sizeof(*v));

        if (v == NULL) {
            l->oom = 1;
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    n1_sqlinfo_parse(x->norm->text, x->norm->len, &si);
    tags = calloc(x->norm->n_tags + 1, sizeof(*tags));
    sample = malloc(a->sample_len + 1);
    loc = location_of(x->norm);
    if (tags == NULL || sample == NULL) {
        l->oom = 1;
        goto out;
    }
    for (size_t i = 0; i < x->norm->n_tags; i++) {
        tags[i].key = x->norm->tags[i].key;
        tags[i].value = x->norm->tags[i].value;
    }
    if (a->sample_len > 0) {
        memcpy(sample, a->sample, a->sample_len);
    }
    sample[a->sample_len] = '\0';
    memset(&f, 0, sizeof(f));
    f.id = id;
    f.severity = a->severity;
    f.statement = "";
    f.table = si.n_tables > 0 ? si.tables[0] : "";
    f.fingerprint = a->fingerprint;
    f.fingerprint_text = a->fingerprint_text;
    f.sample = sample;
    f.tags = tags;
    f.n_tags = x->norm->n_tags;
    f.location = loc;
    f.advice = a->advice;
    f.file = x->ev->file;
    f.line = x->ev->line;
    f.total_time_s = 0;
    l->v[l->n].f = n1_finding_dup(&f);
    if (l->v[l->n].f == NULL) {
        l->oom = 1;
        goto out;
    }
    l->v[l->n].id = id;
    l->v[l->n].rule = a->rule;
    l->v[l->n].message = a->message;
    l->v[l->n].severity = a->severity;
    l->n++;

out:
    free(tags);
    free(sample);
    free(loc);
}

static void advice_free(struct advice_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        n1_finding_free(l->v[i].f);
    }
    free(l->v);
}

/* ---- judging ----------------------------------------------------------- */

static const char *allow_kind_name(enum n1_allow_kind k)
{
    switch (k) {
    case N1_ALLOW_FINGERPRINT:
        return "fingerprint";
    case N1_ALLOW_TABLE:
        return "table";
    case N1_ALLOW_TAG:
        return "tag";
    case N1_ALLOW_LOCATION:
        return "location";
    case N1_ALLOW_STATEMENT:
        return "statement";
    }
    return "allow";
}

/* "table = x (ci.rules:4)" for an allow entry. */
static const char *describe_allow(struct owned *o, const struct n1_allow *a)
{
    return keepf(o, "%s = %s%s%s (%s:%lu)", allow_kind_name(a->kind),
                 a->key != NULL ? a->key : "", a->key != NULL ? "=" : "",
                 a->value, a->origin.file != NULL ? a->origin.file : "?",
                 a->origin.line);
}

/* One line saying what a detector finding is. */
static const char *finding_title(struct owned *o, const struct n1_finding *f)
{
    const char *table =
        f->table != NULL && f->table[0] != '\0' ? f->table : "?";
    const char *verb = f->statement != NULL ? f->statement : "statement";

    switch (f->kind) {
    case N1_FIND_N_PLUS_ONE:
        return keepf(o,
                     "N+1 loop: %s on %s ran %llu times, once per key "
                     "(%llu distinct values)%s%s",
                     verb, table, (unsigned long long)f->count,
                     (unsigned long long)f->distinct_keys,
                     f->n_key_columns > 0 ? " of " : "",
                     f->n_key_columns > 0 ? f->key_columns[0] : "");
    case N1_FIND_DUPLICATE:
        return keepf(o,
                     "Duplicate statement: %s on %s ran %llu times with the "
                     "same values",
                     verb, table, (unsigned long long)f->count);
    case N1_FIND_FANOUT:
        return keepf(o,
                     "Fan-out: %s on %s ran once on each of %zu new "
                     "connections",
                     verb, table, f->n_connections);
    case N1_FIND_KIND_COUNT:
        break;
    }
    return keepf(o, "%s on %s", verb, table);
}

/* Index of the result with this id among the first n, or n. */
static size_t find_result(const struct n1_ci_result *v, size_t n, uint64_t id)
{
    for (size_t i = 0; i < n; i++) {
        if (v[i].id == id) {
            return i;
        }
    }
    return n;
}

/* Sets state, allowed_by and fails of x. */
static void judge(struct n1_ci_result *x, const struct n1_rules *rules,
                  const struct n1_finding *f, const struct n1_baseline *base,
                  enum n1_severity fail_on, struct owned *o)
{
    const struct n1_allow *a = n1_rules_allows(rules, f);

    if (a != NULL) {
        x->state = N1_CI_ALLOWED;
        x->allowed_by = describe_allow(o, a);
    } else if (base != NULL && n1_baseline_find(base, x->id) >= 0) {
        x->state = N1_CI_BASELINE;
    } else {
        x->state = N1_CI_NEW;
    }
    x->fails = x->state == N1_CI_NEW && x->severity >= fail_on;
}

/*
 * Builds the results: the run's findings (ranked, merged per id), then
 * the advice in the order it came. Returns the array (caller frees) or
 * NULL when memory ran out; *n gets the count.
 */
static struct n1_ci_result *
build_results(struct n1_analyze_run *run, const struct n1_class_set *set,
              const struct advice_list *adv, const struct n1_baseline *base,
              enum n1_severity fail_on, struct owned *o, size_t *n)
{
    struct n1_ci_result *v = calloc(set->n + adv->n + 1, sizeof(*v));
    size_t k = 0;
    size_t fast = 0;

    if (v == NULL) {
        return NULL;
    }
    /* One result per class (the set is ranked), counting every
       execution of every occurrence. */
    for (size_t i = 0; i < set->n; i++) {
        const struct n1_finding *f = set->v[i].f;
        struct n1_ci_result *x;

        if (n1_rules_too_fast(run->rules, f)) {
            fast++;
            continue;
        }
        x = &v[k++];
        x->id = f->id;
        x->rule = n1_finding_kind_name(f->kind);
        x->severity = n1_rules_severity(run->rules, f);
        x->title = finding_title(o, f);
        x->table = f->table != NULL ? f->table : "";
        x->fingerprint = f->fingerprint;
        x->fingerprint_text = f->fingerprint_text;
        x->sample = f->sample;
        x->location = f->location;
        x->rewrite = f->rewrite;
        x->advice = f->advice;
        x->log_file = f->file;
        x->log_line = f->line;
        x->count = f->count;
        x->total_time_s = f->total_time_s;
        x->occurrences = set->v[i].occurrences;
        x->verdict = set->v[i].verdict;
        judge(x, run->rules, f, base, fail_on, o);
    }
    if (fast > 0) {
        fprintf(stderr,
                "n1digest: %zu finding class%s below min_total_time_ms, not "
                "reported\n",
                fast, fast == 1 ? "" : "es");
    }
    for (size_t i = 0; i < adv->n; i++) {
        const struct advice_item *it = &adv->v[i];
        struct n1_ci_result *x = &v[k++];

        x->id = it->id;
        x->rule = keepf(o, "%s%s", N1_CI_ADVISER_PREFIX, it->rule);
        x->severity = it->severity;
        if (it->f->table[0] != '\0') {
            x->title = keepf(o, "%s (table %s)", it->message, it->f->table);
        } else {
            x->title = it->message;
        }
        x->table = it->f->table;
        x->fingerprint = it->f->fingerprint;
        x->fingerprint_text = it->f->fingerprint_text;
        x->sample = it->f->sample;
        x->location = it->f->location;
        x->advice = it->f->advice;
        x->log_file = it->f->file;
        x->log_line = it->f->line;
        judge(x, run->rules, it->f, base, fail_on, o);
    }
    *n = k;
    return v;
}

/* ---- rules, stale entries, the baseline to write ----------------------- */

static const char *const kind_titles[N1_FIND_KIND_COUNT] = {
    "N+1 loop: one statement per key where one batched statement would do",
    "Duplicate statement: the same statement with the same values, again",
    "Fan-out: one short connection per item, each running one statement",
};

static const char *const kind_help[N1_FIND_KIND_COUNT] = {
    "Load the rows for all keys in one statement (the rewrite lists the "
    "keys seen) instead of one round trip per key.",
    "Run the statement once and reuse its result.",
    "Fetch the items on one connection with one batched statement.",
};

/* Every rule that ran: enabled detectors, then enabled adviser rules. */
static struct n1_ci_rule *build_rules(const struct n1_rules *r, struct owned *o,
                                      size_t *n)
{
    const struct n1_thresholds *th = n1_rules_thresholds(r);
    size_t n_adv = 0;
    const struct n1_advice_rule *adv = n1_rules_advice(r, &n_adv);
    struct n1_ci_rule *v = calloc(N1_FIND_KIND_COUNT + n_adv + 1, sizeof(*v));
    size_t k = 0;

    if (v == NULL) {
        return NULL;
    }
    for (int i = 0; i < N1_FIND_KIND_COUNT; i++) {
        if (!th->det[i].enabled) {
            continue;
        }
        v[k].id = n1_finding_kind_name((enum n1_finding_kind)i);
        v[k].title = kind_titles[i];
        v[k].help = kind_help[i];
        v[k].severity = th->det[i].severity;
        k++;
    }
    for (size_t i = 0; i < n_adv; i++) {
        if (!adv[i].enabled) {
            continue;
        }
        v[k].id = keepf(o, "%s%s", N1_CI_ADVISER_PREFIX, adv[i].name);
        v[k].title = adv[i].message;
        v[k].help = adv[i].advice;
        v[k].severity = adv[i].severity;
        k++;
    }
    *n = k;
    return v;
}

/* Baseline entries no result matched. */
static struct n1_ci_stale *build_stale(const struct n1_baseline *base,
                                       const struct n1_ci_result *res,
                                       size_t n_res, size_t *n)
{
    size_t total = base != NULL ? n1_baseline_count(base) : 0;
    struct n1_ci_stale *v = calloc(total + 1, sizeof(*v));
    size_t k = 0;

    if (v == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < total; i++) {
        const struct n1_baseline_entry *e = n1_baseline_at(base, i);

        if (find_result(res, n_res, e->id) < n_res) {
            continue;
        }
        v[k].id = e->id;
        v[k].rule = e->rule;
        v[k].table = e->table;
        v[k].fingerprint_text = e->statement;
        k++;
    }
    *n = k;
    return v;
}

/* Writes every result that is not allowed as a JSON baseline at path. */
static int save_baseline(const char *path, const struct n1_ci_result *res,
                         size_t n, size_t *written, struct n1_error *err)
{
    struct n1_baseline *b = n1_baseline_new();
    int rc = -1;

    if (b == NULL) {
        n1_err_oom(err, "reading the baseline");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        struct n1_baseline_entry e;

        if (res[i].state == N1_CI_ALLOWED) {
            continue;
        }
        e.id = res[i].id;
        e.rule = res[i].rule;
        e.table = res[i].table;
        e.fingerprint = res[i].fingerprint;
        e.statement = res[i].fingerprint_text;
        e.location = res[i].location;
        if (n1_baseline_add(b, &e, err) != 0) {
            goto out;
        }
    }
    rc = n1_baseline_save(b, path, err);
    if (rc == 0) {
        *written = n1_baseline_count(b);
        fprintf(stderr, "n1digest: baseline of %zu finding%s written to %s\n",
                *written, *written == 1 ? "" : "s", path);
    }

out:
    n1_baseline_free(b);
    return rc;
}

static int render(enum out_format fmt, FILE *out, const struct n1_ci_report *r,
                  struct n1_error *err)
{
    switch (fmt) {
    case FORMAT_JSON:
        return n1_report_ci_json(out, r, err);
    case FORMAT_SARIF:
        return n1_report_sarif(out, r, err);
    case FORMAT_JUNIT:
        return n1_report_junit(out, r, err);
    case FORMAT_MARKDOWN:
        return n1_report_ci_markdown(out, r, NULL, err);
    case FORMAT_HTML:
        return n1_report_ci_html(out, r, err);
    case FORMAT_TEXT:
        break;
    }
    return n1_report_ci_text(out, r, err);
}

/*
 * Exit status for what the run read: 3 (with a message) when an input
 * was not a log, no statement was read at all, or lines were skipped
 * without --allow-skipped; else 0.
 */
static int input_status(const struct n1_pipeline *p, int allow_skipped,
                        char *why, size_t size)
{
    const struct n1_pipeline_stats *st = n1_pipeline_stats(p);

    if (st->not_logs > 0) {
        snprintf(why, size, "%llu input%s could not be read as a query log",
                 (unsigned long long)st->not_logs,
                 st->not_logs == 1 ? "" : "s");
        return N1_EXIT_INPUT;
    }
    if (st->events == 0) {
        snprintf(why, size,
                 "no event in any log: is the general log on, and is this "
                 "the file it writes to?");
        return N1_EXIT_INPUT;
    }
    if (st->skipped_lines + st->skipped_events > 0 && !allow_skipped) {
        snprintf(why, size,
                 "%llu line%s and %llu event%s skipped: a loop in them "
                 "would go unseen (--allow-skipped accepts this)",
                 (unsigned long long)st->skipped_lines,
                 st->skipped_lines == 1 ? "" : "s",
                 (unsigned long long)st->skipped_events,
                 st->skipped_events == 1 ? "" : "s");
        return N1_EXIT_INPUT;
    }
    return N1_EXIT_OK;
}

/* What the options of check ask for. */
struct check_opts {
    struct cli_common_opts co; /* --rules, --format, reader options */
    const char *baseline_path; /* --baseline, or NULL */
    const char *write_path;    /* --write-baseline, or NULL */
    const char *verdicts_path; /* --verdicts, or NULL */
    enum n1_severity fail_on;  /* --fail-on */
    int allow_skipped;         /* --allow-skipped */
};

/* The options of check's own. Returns 0, or -1 after a USAGE error. */
static int check_option(void *ud, int c, const char *arg)
{
    struct check_opts *o = ud;

    switch (c) {
    case 'b':
        o->baseline_path = arg;
        break;
    case 'W':
        o->write_path = arg;
        break;
    case 'V':
        o->verdicts_path = arg;
        break;
    case 'F':
        if (n1_severity_parse(arg, &o->fail_on) != 0) {
            cli_errorf("USAGE --fail-on: expected info, warning or "
                       "error, got '%s'",
                       arg);
            return -1;
        }
        break;
    default:
        o->allow_skipped = 1;
        break;
    }
    return 0;
}

/*
 * Parses argv into *o, the reader options starting from *reader. Returns
 * -1 to go on with the LOGs at argv[optind], or the exit status to end
 * with.
 */
static int parse_options(int argc, char **argv,
                         const struct n1_reader_opts *reader,
                         struct check_opts *o)
{
    static const struct option own[] = {
        {"baseline", required_argument, NULL, 'b'},
        {"write-baseline", required_argument, NULL, 'W'},
        {"fail-on", required_argument, NULL, 'F'},
        {"verdicts", required_argument, NULL, 'V'},
        {"allow-skipped", no_argument, NULL, 'S'},
        {NULL, 0, NULL, 0},
    };
    const struct cli_command cmd = {
        "check",
        CLI_TAKES_RULES | CLI_TAKES_CI_FORMAT | CLI_TAKES_READER |
            CLI_TAKES_LOGS | CLI_TAKES_OUTPUT | CLI_TAKES_MARKDOWN |
            CLI_TAKES_HTML,
        own,
        check_option,
        o,
        usage,
    };

    memset(o, 0, sizeof(*o));
    o->fail_on = N1_SEV_WARNING;
    return cli_parse_options(argc, argv, &cmd, reader, &o->co);
}

/* The occurrences check judges: those of the run's inputs. */
static int keep_file(void *ud, const struct n1_finding *f)
{
    return n1_analyze_keep_file(ud, f->file != NULL ? f->file : "");
}

/* add_place()'s state: the result being filled and the strings' owner. */
struct place_ctx {
    struct n1_ci_result *x;
    struct owned *own;
};

/* Lists one occurrence of x's class as a place; stops when x is full. */
static int add_place(void *ud, const struct n1_finding *occ,
                     struct n1_error *err)
{
    struct place_ctx *c = ud;
    struct n1_ci_place *pl = &c->x->places[c->x->n_places++];

    (void)err;
    pl->location =
        occ->location != NULL ? keep(c->own, strdup(occ->location)) : NULL;
    pl->log_file = keep(c->own, strdup(occ->file != NULL ? occ->file : ""));
    pl->log_line = occ->line;
    return c->x->n_places == N1_CI_MAX_PLACES ? 1 : 0;
}

/* Fills the places of every class result with its first occurrences. */
static int add_places(struct n1_ci_result *res, size_t n,
                      struct n1_analyze_run *run, struct owned *own,
                      struct n1_error *err)
{
    struct n1_class_report r;

    memset(&r, 0, sizeof(r));
    r.st = n1_pipeline_store(run->p);
    r.keep = keep_file;
    r.keep_ud = run;
    for (size_t i = 0; i < n; i++) {
        struct place_ctx c = {&res[i], own};

        if (res[i].occurrences > 0 &&
            n1_classes_each_occurrence(&r, res[i].id, add_place, &c, err) !=
                0) {
            return -1;
        }
    }
    return 0;
}

/*
 * --verdicts: gives the classes the verdicts the store at path keeps. The
 * store must exist (opening would create it). Returns 0, or -1 with err
 * set.
 */
static int add_verdicts(const char *path, struct n1_class_set *set,
                        struct n1_error *err)
{
    struct n1_store *st = NULL;
    int rc;

    if (access(path, F_OK) != 0) {
        n1_err_set(err, N1_ESYS, path, 0,
                   "cannot open the --verdicts store: %s", strerror(errno));
        return -1;
    }
    st = n1_store_open(path, NULL, err);
    if (st == NULL) {
        return -1;
    }
    rc = n1_classes_add_verdicts(set, st, err);
    n1_store_close(st);
    return rc;
}

/* What check builds from a run, all freed by check_cleanup(). */
struct check {
    struct n1_analyze_run run;    /* the analyze run */
    struct n1_class_set classes;  /* its finding classes, ranked */
    struct advice_list adv;       /* the adviser's findings */
    struct owned own;             /* strings made for the report */
    struct n1_ci_report rep;      /* the report, pointing into the rest */
    struct n1_ci_result *results; /* rep.results */
    struct n1_ci_rule *rules;     /* rep.rules */
    struct n1_ci_stale *stale;    /* rep.stale */
    struct n1_baseline *base;     /* --baseline, or NULL */
    char **input_errors;          /* rep.input_errors: per LOG, why it
                                     was not read, or NULL; owned */
    char run_error[512];          /* rep.run_error when set */
    int in_status;                /* exit status for what was read */
};

/*
 * The notice hook of check: prints as every command does, and keeps each
 * error notice as the reason its input (the LOG the message names) was
 * not read, for the report.
 */
static void check_notice(void *ud, enum n1_notice_kind kind, const char *msg)
{
    struct check *k = ud;

    cli_notice(NULL, kind, msg);
    if (kind != N1_NOTICE_ERROR || k->input_errors == NULL) {
        return;
    }
    for (size_t i = 0; i < k->rep.n_inputs; i++) {
        const char *at = strstr(msg, k->rep.inputs[i]);
        size_t len = strlen(k->rep.inputs[i]);

        if (k->input_errors[i] == NULL && at != NULL && at[len] == ':') {
            k->input_errors[i] = strdup(msg);
            return;
        }
    }
}

static void check_cleanup(struct check *k)
{
    for (size_t i = 0; k->input_errors != NULL && i < k->rep.n_inputs; i++) {
        free(k->input_errors[i]);
    }
    free(k->input_errors);
    free(k->results);
    free(k->rules);
    free(k->stale);
    n1_baseline_free(k->base);
    advice_free(&k->adv);
    owned_free(&k->own);
    n1_classes_free(&k->classes);
    n1_analyze_run_cleanup(&k->run);
}

/*
 * Loads the baseline, runs analyze with the adviser over the LOGs and
 * builds the report in *k. Returns N1_EXIT_OK, or the exit status after
 * printing the error.
 */
static int check_run(const struct check_opts *o, struct n1_analyze_opts *ao,
                     char **logs, size_t n_logs, struct check *k)
{
    struct n1_ci_report *rep = &k->rep;
    struct n1_error err;

    n1_err_clear(&err);
    rep->inputs = (const char *const *)logs;
    rep->n_inputs = n_logs;
    k->input_errors = calloc(n_logs + 1, sizeof(*k->input_errors));
    if (k->input_errors == NULL) {
        cli_oom("keeping the inputs' status");
        return N1_EXIT_USAGE;
    }
    ao->pipeline.notice = check_notice;
    ao->pipeline.notice_ud = k;
    if (o->baseline_path != NULL && access(o->baseline_path, F_OK) != 0 &&
        errno == ENOENT) {
        /* A first CI run: nothing is accepted yet. */
        fprintf(stderr,
                "n1digest: NOTE baseline %s does not exist yet: starting "
                "from an empty baseline\n",
                o->baseline_path);
        k->base = n1_baseline_new();
        if (k->base == NULL) {
            cli_oom("building an empty baseline");
            return N1_EXIT_USAGE;
        }
    } else if (o->baseline_path != NULL) {
        k->base = n1_baseline_load(o->baseline_path, &err);
        if (k->base == NULL) {
            /* A baseline that cannot be read is bad input, whatever the
               reason: never run the gate without it. */
            cli_error(&err);
            return N1_EXIT_INPUT;
        }
    }
    ao->rule_files = o->co.rules.v;
    ao->n_rule_files = o->co.rules.n;
    ao->advice = collect_advice;
    ao->advice_ud = &k->adv;
    if (n1_analyze_run(ao, logs, n_logs, &k->run, &err) != 0) {
        cli_error(&err);
        return cli_exit_for(&err);
    }
    if (k->adv.oom) {
        cli_oom("keeping advice");
        return N1_EXIT_USAGE;
    }
    if (n1_classes_build(n1_pipeline_store(k->run.p), keep_file, &k->run,
                         &k->classes, &err) != 0) {
        cli_error(&err);
        return cli_exit_for(&err);
    }
    if (o->verdicts_path != NULL &&
        add_verdicts(o->verdicts_path, &k->classes, &err) != 0) {
        cli_error(&err);
        return cli_exit_for(&err);
    }
    n1_classes_rank(&k->classes);
    rep->fail_on = o->fail_on;
    rep->baseline = o->baseline_path;
    rep->input_errors = (const char *const *)k->input_errors;
    k->in_status = input_status(k->run.p, o->allow_skipped, k->run_error,
                                sizeof(k->run_error));
    rep->run_error = k->in_status != N1_EXIT_OK ? k->run_error : NULL;
    k->results = build_results(&k->run, &k->classes, &k->adv, k->base,
                               o->fail_on, &k->own, &rep->n_results);
    k->rules = build_rules(k->run.rules, &k->own, &rep->n_rules);
    k->stale = k->results != NULL ? build_stale(k->base, k->results,
                                                rep->n_results, &rep->n_stale)
                                  : NULL;
    if (k->results == NULL || k->rules == NULL || k->stale == NULL ||
        k->own.oom) {
        cli_oom("building the report");
        return N1_EXIT_USAGE;
    }
    if (add_places(k->results, rep->n_results, &k->run, &k->own, &err) != 0) {
        cli_error(&err);
        return cli_exit_for(&err);
    }
    if (k->own.oom) {
        cli_oom("building the report");
        return N1_EXIT_USAGE;
    }
    rep->results = k->results;
    rep->rules = k->rules;
    rep->stale = k->stale;
    return N1_EXIT_OK;
}

/* Writes the report to --output or stdout. Returns 0, or -1 after
   printing the error. */
static int write_report(const struct check_opts *o,
                        const struct n1_ci_report *rep)
{
    struct n1_error err;
    FILE *out = cli_open_output(&o->co);

    n1_err_clear(&err);
    if (out == NULL) {
        return -1;
    }
    if (render(o->co.format, out, rep, &err) != 0) {
        cli_error(&err);
        if (out != stdout) {
            fclose(out);
        }
        return -1;
    }
    return cli_close_output(&o->co, out);
}

/* --write-baseline: writes it, and makes the report say so. Returns
   N1_EXIT_OK, or the exit status after printing the error. */
static int write_baseline(const char *path, struct check *k)
{
    struct n1_error err;

    n1_err_clear(&err);
    if (save_baseline(path, k->results, k->rep.n_results, &k->rep.n_written,
                      &err) != 0) {
        cli_error(&err);
        return N1_EXIT_USAGE;
    }
    k->rep.wrote_baseline = path;
    /* What the baseline now holds fails nothing: every format says so. */
    for (size_t i = 0; i < k->rep.n_results; i++) {
        k->results[i].fails = 0;
    }
    return N1_EXIT_OK;
}

/*
 * The exit status of a run whose report was written: the baseline
 * written with --write-baseline, else unreadable input (3) over new
 * findings at or above --fail-on (1).
 */
static int check_verdict(const struct check_opts *o, const struct check *k)
{
    const struct n1_ci_report *rep = &k->rep;
    struct n1_error err;
    int in_status;

    n1_err_clear(&err);
    cli_print_summary(n1_pipeline_stats(k->run.p));
    if (rep->n_stale > 0) {
        fprintf(stderr,
                "n1digest: %zu stale baseline entr%s (matched nothing; not "
                "failing)\n",
                rep->n_stale, rep->n_stale == 1 ? "y" : "ies");
    }
    in_status = k->in_status;
    if (in_status != N1_EXIT_OK) {
        cli_errorf("INPUT %s", k->run_error);
    }
    if (o->write_path != NULL) {
        /* Writing a baseline accepts what was found: only unreadable
           input fails. */
        return in_status;
    }
    if (in_status != N1_EXIT_OK) {
        return in_status;
    }
    if (n1_ci_failures(rep) > 0) {
        fprintf(stderr,
                "n1digest: check failed: %zu new finding%s at or above %s\n",
                n1_ci_failures(rep), n1_ci_failures(rep) == 1 ? "" : "s",
                n1_severity_name(o->fail_on));
        return N1_EXIT_FINDINGS;
    }
    return N1_EXIT_OK;
}

int cmd_check(int argc, char **argv)
{
    struct n1_analyze_opts ao;
    struct n1_pipeline_opts *opts = &ao.pipeline;
    struct check_opts o;
    struct check k;
    int status;

    memset(&ao, 0, sizeof(ao));
    memset(&k, 0, sizeof(k));
    cli_pipeline_opts(opts);
    /* A gate reads every LOG in full every time: nothing is remembered
       between runs, so a log read before cannot hide its findings. */
    opts->db_path = ":memory:";
    status = parse_options(argc, argv, &opts->reader, &o);
    if (status >= 0) {
        return status;
    }
    opts->reader = o.co.reader;
    status = check_run(&o, &ao, argv + optind, (size_t)(argc - optind), &k);
    if (status == N1_EXIT_OK && o.write_path != NULL) {
        status = write_baseline(o.write_path, &k);
    }
    if (status == N1_EXIT_OK) {
        status = write_report(&o, &k.rep) != 0 ? N1_EXIT_USAGE
                                               : check_verdict(&o, &k);
    }
    check_cleanup(&k);
    return status;
}
