/* SPDX-License-Identifier: MIT */
/*
 * cmd_analyze.c: `n1digest analyze`: read logs, find N+1 loops, duplicates
 * and fan-outs, keep them in the store and report them.
 *
 * The run itself (pipeline, detectors, store, the findings to report)
 * is analyze_run.c, shared with `check`; see there how a file read
 * before is reported from the store, so that running analyze twice on
 * the same logs prints the same findings.
 *
 * Rules (the built-in defaults, then each --rules file) set the detector
 * thresholds before the run. The store keeps findings as the detectors
 * graded them; the [allow] list, min_total_time_ms and the severities of
 * the rules in force are applied when reporting, so a re-run with other
 * rules judges the stored findings by the new ones.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/finding.h"
#include "base/timeutil.h"
#include "cli/cli.h"
#include "engine/analyze_run.h"
#include "engine/pipeline.h"
#include "report/classes.h"
#include "report/findings.h"
#include "report/markdown.h"
#include "rules/rules.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: n1digest analyze [options] LOG...\n"
            "\n"
            "Reads general or slow query logs (a path, - for stdin, .gz\n"
            "files), finds N+1 loops, repeated identical statements and\n"
            "fan-outs over connections, stores them and reports them as\n"
            "classes (one code path each, with its occurrences), most\n"
            "costly first, each with a batched rewrite to paste.\n"
            "A file the store has read before is not read again; its\n"
            "stored findings are reported instead (see docs/analyze.md).\n"
            "\n"
            "options:\n"
            "  --format FMT       text (default), json, html or markdown\n"
            "                     (a CI job summary)\n"
            "  --output FILE      write the report to FILE (a format name\n"
            "                     such as json sets the format instead)\n"
            "  --db PATH          SQLite store (default ./n1digest.db;\n"
            "                     :memory: keeps nothing)\n"
            "  --rules FILE       rule file over the built-in defaults\n"
            "                     (repeatable; see docs/rules.md)\n"
            "  --fail-on-findings exit 1 when anything is found\n"
            "  --limit N          the N most costly classes (default all)\n"
            "  --since TIME       only occurrences that start at or after\n"
            "                     TIME (YYYY-MM-DD[ HH:MM:SS] UTC, or 1h)\n"
            "  --until TIME       only occurrences that start before TIME\n"
            "  --filter K=V       only classes with kind, table, statement,\n"
            "                     severity, fingerprint or class V, or\n"
            "                     occurrences on connection V (repeatable)\n"
            "  --full             list every occurrence of a class and\n"
            "                     print long rewrites whole (text)\n"
            "  --reset            drop stored data of another fingerprint\n"
            "                     version instead of refusing\n"
            "  --reread           read inputs even if already stored\n");
    cli_reader_usage(out, 21);
    fprintf(out, "  -h, --help         show this help\n"
                 "\n"
                 "exit status: 0 done (also with findings), 1 findings with\n"
                 "--fail-on-findings, 2 usage or system error, 3 an input is\n"
                 "not a log, 4 some lines or events could not be read.\n");
}

/* --filter keys of analyze: class fields, and connection (occurrences). */
enum analyze_key {
    AK_KIND = 0,  /* n_plus_one, duplicate, fanout */
    AK_TABLE,     /* main table as written */
    AK_STATEMENT, /* select, insert, update, delete */
    AK_SEVERITY,  /* info, warning, error (after the rules) */
    AK_FP,        /* fingerprint id, 16 hex digits */
    AK_CLASS,     /* class id, 16 hex digits */
    AK_CONN,      /* an occurrence's connection */
    AK_COUNT
};

static const struct cli_filter_key analyze_keys[] = {
    {"kind", AK_KIND},
    {"table", AK_TABLE},
    {"statement", AK_STATEMENT},
    {"severity", AK_SEVERITY},
    {"fingerprint", AK_FP},
    {"class", AK_CLASS},
    {"id", AK_CLASS},
    {"connection", AK_CONN},
    {"conn", AK_CONN},
};

#define MAX_VALUES 16

/* What analyze's own options ask for; the class filter reads it. */
struct analyze_cli {
    int fail_on_findings;                     /* --fail-on-findings */
    int full;                                 /* --full */
    size_t limit;                             /* --limit; 0: all */
    int64_t since_us;                         /* --since; N1_TS_NONE: none */
    int64_t until_us;                         /* --until; N1_TS_NONE: none */
    const char *values[AK_COUNT][MAX_VALUES]; /* --filter values */
    unsigned n[AK_COUNT];                     /* values per key */
    const struct n1_rules *rules;             /* the rules in force */
    const struct n1_analyze_run *run;         /* the run */
    size_t allowed;                           /* occurrences [allow]ed */
    const struct cli_common_opts *co;         /* --output */
};

/* 1 when key has no value given or one equal to v. */
static int match(const struct analyze_cli *a, int key, const char *v)
{
    for (unsigned i = 0; i < a->n[key]; i++) {
        if (strcmp(a->values[key][i], v) == 0) {
            return 1;
        }
    }
    return a->n[key] == 0;
}

static int match_hex(const struct analyze_cli *a, int key, uint64_t v)
{
    char hex[17];

    snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)v);
    return match(a, key, hex);
}

/* An occurrence belongs to the report: its file is an input of the run,
   no [allow] rule accepts it, it lies in --since/--until and (with
   --filter connection) runs on one of the connections. */
static int keep_occurrence(void *ud, const struct n1_finding *f)
{
    struct analyze_cli *a = ud;
    int conn = a->n[AK_CONN] == 0;
    char num[24];

    if (!n1_analyze_keep_file(a->run, f->file != NULL ? f->file : "")) {
        return 0;
    }
    if (a->since_us != N1_TS_NONE &&
        (f->first_seen_us == N1_TS_NONE || f->first_seen_us < a->since_us)) {
        return 0;
    }
    if (a->until_us != N1_TS_NONE &&
        (f->first_seen_us == N1_TS_NONE || f->first_seen_us >= a->until_us)) {
        return 0;
    }
    for (size_t i = 0; !conn && i < f->n_connections + 1; i++) {
        uint64_t c = i == 0 ? f->connection : f->connections[i - 1];

        if (i == 0 && f->kind == N1_FIND_FANOUT) {
            continue;
        }
        snprintf(num, sizeof(num), "%llu", (unsigned long long)c);
        conn = match(a, AK_CONN, num);
    }
    if (!conn) {
        return 0;
    }
    if (n1_rules_allows(a->rules, f) != NULL) {
        a->allowed++;
        return 0;
    }
    return 1;
}

/* keep_occurrence() when it looks at nothing but the file. */
static int keep_occurrence_file(void *ud, const char *file)
{
    const struct analyze_cli *a = ud;

    return n1_analyze_keep_file(a->run, file);
}

/* 1: keep_occurrence() looks at nothing but the file (no --since,
   --until, --filter connection, nor [allow] rules). */
static int keep_by_file(const struct analyze_cli *a)
{
    size_t n_allow = 0;

    if (a->rules != NULL) {
        n1_rules_allow_list(a->rules, &n_allow);
    }
    return a->since_us == N1_TS_NONE && a->until_us == N1_TS_NONE &&
           a->n[AK_CONN] == 0 && n_allow == 0;
}

/* A class matches the --filter keys of class fields. */
static int class_matches(const struct analyze_cli *a,
                         const struct n1_finding *f)
{
    return match(a, AK_KIND, n1_finding_kind_name(f->kind)) &&
           match(a, AK_TABLE, f->table != NULL ? f->table : "") &&
           match(a, AK_STATEMENT, f->statement != NULL ? f->statement : "") &&
           match(a, AK_SEVERITY, n1_severity_name(f->severity)) &&
           match_hex(a, AK_FP, f->fingerprint) && match_hex(a, AK_CLASS, f->id);
}

/*
 * Grades the classes by the rules in force, drops those faster than
 * min_total_time_ms and those --filter rejects, ranks the rest and keeps
 * --limit of them. Prints how many were allowed or too fast on stderr.
 */
static void judge_classes(struct analyze_cli *a, struct n1_class_set *set)
{
    size_t fast = 0;

    for (size_t i = 0; i < set->n;) {
        struct n1_finding *f = set->v[i].f;

        f->severity = n1_rules_severity(a->rules, f);
        if (n1_rules_too_fast(a->rules, f)) {
            fast++;
            n1_classes_remove(set, i);
        } else if (!class_matches(a, f)) {
            n1_classes_remove(set, i);
        } else {
            i++;
        }
    }
    n1_classes_rank(set);
    n1_classes_truncate(set, a->limit);
    if (a->allowed > 0 || fast > 0) {
        fprintf(stderr,
                "n1digest: %zu finding%s accepted by [allow] rules, %zu "
                "class%s below min_total_time_ms, not reported\n",
                a->allowed, a->allowed == 1 ? "" : "s", fast,
                fast == 1 ? "" : "es");
    }
}

/* Writes the report to --output or stdout. Returns 0, -1 with err set,
   or -2 after printing why the output could not be written. */
static int render(enum out_format fmt, struct analyze_cli *a,
                  const struct n1_class_set *set, struct n1_error *err)
{
    const struct n1_analyze_run *run = a->run;
    struct n1_report_input *rep = NULL;
    struct n1_class_report r;
    FILE *out = NULL;
    int rc;

    rep = n1_analyze_report_inputs(run);
    if (rep == NULL) {
        n1_err_oom(err, "building the report");
        return -1;
    }
    r.st = n1_pipeline_store(run->p);
    r.keep = keep_by_file(a) ? NULL : keep_occurrence;
    r.keep_file = keep_occurrence_file;
    r.keep_ud = a;
    r.in = rep;
    r.n_in = run->n_in;
    r.max_listed = a->full ? 0 : 3;
    r.full = a->full;
    out = cli_open_output(a->co);
    if (out == NULL) {
        free(rep);
        return -2;
    }
    if (fmt == FORMAT_JSON) {
        rc = n1_report_classes_json(out, set, &r, err);
    } else if (fmt == FORMAT_MARKDOWN) {
        rc = n1_report_classes_markdown(out, set, &r, a->fail_on_findings, NULL,
                                        err);
    } else if (fmt == FORMAT_HTML) {
        rc = n1_report_classes_html(out, set, &r, err);
    } else {
        rc = n1_report_classes_text(out, set, &r, err);
    }
    free(rep);
    if (rc != 0) {
        /* The report's error says it all: close without a second one. */
        if (out != stdout) {
            fclose(out);
        }
        return rc;
    }
    return cli_close_output(a->co, out) != 0 ? -2 : 0;
}

/* analyze's own options. Returns 0, or -1 after a usage error. */
static int analyze_option(void *ud, int c, const char *arg)
{
    struct analyze_cli *a = ud;
    const char *value = NULL;
    int key;

    switch (c) {
    case 'F':
        a->fail_on_findings = 1;
        return 0;
    case 'f':
        a->full = 1;
        return 0;
    case 'l':
        return cli_limit_option(arg, &a->limit);
    case 'S':
        return cli_time_option("since", arg, &a->since_us);
    case 'U':
        return cli_time_option("until", arg, &a->until_us);
    default:
        break;
    }
    key = cli_filter_split(arg, analyze_keys,
                           sizeof(analyze_keys) / sizeof(*analyze_keys),
                           "kind, table, statement, severity, fingerprint, "
                           "class or connection",
                           &value);
    if (key < 0) {
        return -1;
    }
    if (a->n[key] == MAX_VALUES) {
        cli_errorf("USAGE --filter: more than %d values for one key",
                   MAX_VALUES);
        return -1;
    }
    a->values[key][a->n[key]++] = value;
    return 0;
}

/* Builds, judges and renders the classes of the finished run. */
static int report(struct analyze_cli *a, enum out_format fmt,
                  struct n1_class_set *set, struct n1_error *err)
{
    struct n1_store *st = n1_pipeline_store(a->run->p);
    int rc =
        keep_by_file(a)
            ? n1_classes_build_by_file(st, keep_occurrence_file, a, set, err)
            : n1_classes_build(st, keep_occurrence, a, set, err);

    if (rc != 0) {
        return -1;
    }
    judge_classes(a, set);
    /* render() reads the occurrences again: count no allow twice. */
    a->allowed = 0;
    return render(fmt, a, set, err);
}

int cmd_analyze(int argc, char **argv)
{
    static const struct option own[] = {
        {"fail-on-findings", no_argument, NULL, 'F'},
        {"full", no_argument, NULL, 'f'},
        {"limit", required_argument, NULL, 'l'},
        {"since", required_argument, NULL, 'S'},
        {"until", required_argument, NULL, 'U'},
        {"filter", required_argument, NULL, 'K'},
        {NULL, 0, NULL, 0},
    };
    struct analyze_cli a;
    const struct cli_command cmd = {
        "analyze",
        CLI_TAKES_DB | CLI_TAKES_FORMAT | CLI_TAKES_RULES | CLI_TAKES_RESET |
            CLI_TAKES_REREAD | CLI_TAKES_READER | CLI_TAKES_LOGS |
            CLI_TAKES_MARKDOWN | CLI_TAKES_HTML | CLI_TAKES_OUTPUT,
        own,
        analyze_option,
        &a,
        usage,
    };
    struct n1_analyze_opts ao;
    struct n1_pipeline_opts *opts = &ao.pipeline;
    struct n1_analyze_run run;
    struct n1_class_set set;
    struct cli_common_opts co;
    struct n1_error err;
    int status;
    int rc;

    n1_err_clear(&err);
    memset(&a, 0, sizeof(a));
    memset(&ao, 0, sizeof(ao));
    memset(&run, 0, sizeof(run));
    memset(&set, 0, sizeof(set));
    a.since_us = N1_TS_NONE;
    a.until_us = N1_TS_NONE;
    cli_pipeline_opts(opts);
    status = cli_parse_options(argc, argv, &cmd, &opts->reader, &co);
    if (status >= 0) {
        return status;
    }
    status = N1_EXIT_USAGE;
    if (co.db_path != NULL) {
        opts->db_path = co.db_path;
    }
    opts->reset_store = co.reset;
    opts->reread = co.reread;
    opts->reader = co.reader;
    ao.rule_files = co.rules.v;
    ao.n_rule_files = co.rules.n;
    if (n1_analyze_run(&ao, argv + optind, (size_t)(argc - optind), &run,
                       &err) != 0) {
        cli_error(&err);
        status = cli_exit_for(&err);
        goto out;
    }
    a.rules = run.rules;
    a.run = &run;
    a.co = &co;
    rc = report(&a, co.format, &set, &err);
    if (rc != 0) {
        if (rc == -1) {
            cli_error(&err); /* -2: the output's error is printed */
        }
        goto out;
    }
    cli_print_summary(n1_pipeline_stats(run.p));
    status = n1_pipeline_exit_status(run.p);
    /* A gate asked for findings to fail the run: that outranks skipped
       lines (4) but not an input that is no log at all (3). */
    if (a.fail_on_findings && set.n > 0 && status != N1_EXIT_INPUT) {
        status = N1_EXIT_FINDINGS;
    }

out:
    n1_classes_free(&set);
    n1_analyze_run_cleanup(&run);
    return status;
}
