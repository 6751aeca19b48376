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

#include "engine/analyze_run.h"
#include "cli/cli.h"
#include "base/finding.h"
#include "engine/pipeline.h"
#include "report/findings.h"
#include "rules/rules.h"


static void usage(FILE *out)
{
    fprintf(out,
            "usage: n1digest analyze [options] LOG...\n"
            "\n"
            "Reads general or slow query logs (a path, - for stdin, .gz\n"
            "files), finds N+1 loops, repeated identical statements and\n"
            "fan-outs over connections, stores them and reports them,\n"
            "most costly first, each with a batched rewrite to paste.\n"
            "A file the store has read before is not read again; its\n"
            "stored findings are reported instead (see docs/analyze.md).\n"
            "\n"
            "options:\n"
            "  --format FMT       text (default) or json\n"
            "  --db PATH          SQLite store (default ./n1digest.db;\n"
            "                     :memory: keeps nothing)\n"
            "  --rules FILE       rule file over the built-in defaults\n"
            "                     (repeatable; see docs/rules.md)\n"
            "  --fail-on-findings exit 1 when anything is found\n"
            "  --reset            drop stored data of another fingerprint\n"
            "                     version instead of refusing\n"
            "  --reread           read inputs even if already stored\n"
            "  --max-statement B  skip statements longer than B bytes\n"
            "  --tz-offset S      seconds east of UTC of the server's local\n"
            "                     time, for logs that print local time\n"
            "  -h, --help         show this help\n"
            "\n"
            "exit status: 0 done (also with findings), 1 findings with\n"
            "--fail-on-findings, 2 usage or system error, 3 an input is\n"
            "not a log, 4 some lines or events could not be read.\n");
}

/*
 * Applies the rules in force to the findings to report: drops allowed
 * ones and those faster than min_total_time_ms, grades the rest. Prints
 * how many were allowed on stderr.
 */
static void apply_rules(const struct n1_rules *r, struct n1_analyze_run *run)
{
    size_t kept = 0;
    size_t allowed = 0;
    size_t fast = 0;

    for (size_t i = 0; i < run->n_findings; i++) {
        struct n1_finding *f = run->findings[i];

        if (n1_rules_allows(r, f) != NULL) {
            allowed++;
            n1_finding_free(f);
        } else if (n1_rules_too_fast(r, f)) {
            fast++;
            n1_finding_free(f);
        } else {
            f->severity = n1_rules_severity(r, f);
            run->findings[kept++] = f;
        }
    }
    run->n_findings = kept;
    if (allowed > 0 || fast > 0) {
        fprintf(stderr,
                "n1digest: %zu finding%s accepted by [allow] rules, %zu "
                "below min_total_time_ms, not reported\n",
                allowed, allowed == 1 ? "" : "s", fast);
    }
}

static int render(enum out_format fmt, const struct n1_analyze_run *run,
                  struct n1_error *err)
{
    struct n1_report_input *rep = NULL;
    const struct n1_finding *const *f =
        (const struct n1_finding *const *)run->findings;
    int rc;

    rep = n1_analyze_report_inputs(run);
    if (rep == NULL) {
        n1_err_oom(err, "building the report");
        return -1;
    }
    if (fmt == FORMAT_JSON) {
        rc = n1_report_findings_json(stdout, f, run->n_findings, rep,
                                     run->n_in, &run->ro, err);
    } else {
        rc = n1_report_findings_text(stdout, f, run->n_findings, rep,
                                     run->n_in, &run->ro, err);
    }
    free(rep);
    return rc;
}

int cmd_analyze(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'},
        {"db", required_argument, NULL, 'd'},
        {"rules", required_argument, NULL, 'u'},
        {"fail-on-findings", no_argument, NULL, 'F'},
        {"reset", no_argument, NULL, 'R'},
        {"reread", no_argument, NULL, 'r'},
        CLI_READER_LONGOPTS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct n1_analyze_opts ao;
    struct n1_pipeline_opts *opts = &ao.pipeline;
    struct n1_analyze_run run;
    struct cli_rule_files rules;
    struct n1_error err;
    enum out_format fmt = FORMAT_TEXT;
    int fail_on_findings = 0;
    int json = 0;
    int status = N1_EXIT_USAGE;
    int c;

    n1_err_clear(&err);
    memset(&ao, 0, sizeof(ao));
    memset(&run, 0, sizeof(run));
    memset(&rules, 0, sizeof(rules));
    cli_pipeline_opts(opts);
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (cli_format_option(optarg, &json) != 0) {
                return N1_EXIT_USAGE;
            }
            fmt = json ? FORMAT_JSON : FORMAT_TEXT;
            break;
        case 'd':
            opts->db_path = optarg;
            break;
        case 'u':
            if (cli_rules_option(&rules, optarg) != 0) {
                return N1_EXIT_USAGE;
            }
            break;
        case 'F':
            fail_on_findings = 1;
            break;
        case 'R':
            opts->reset_store = 1;
            break;
        case 'r':
            opts->reread = 1;
            break;
        case CLI_OPT_MAX_STATEMENT:
        case CLI_OPT_TZ_OFFSET:
            if (cli_reader_option(c, optarg, &opts->reader) != 0) {
                return N1_EXIT_USAGE;
            }
            break;
        case 'h':
            usage(stdout);
            return N1_EXIT_OK;
        default:
            fprintf(stderr, "n1digest: USAGE see 'n1digest analyze --help'\n");
            return N1_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        cli_errorf("USAGE analyze: no LOG given (see 'n1digest analyze "
                   "--help')");
        return N1_EXIT_USAGE;
    }
    ao.rule_files = rules.v;
    ao.n_rule_files = rules.n;
    if (n1_analyze_run(&ao, argv + optind, (size_t)(argc - optind), &run,
                    &err) != 0) {
        cli_error(&err);
        status = cli_exit_for(&err);
        goto out;
    }
    apply_rules(run.rules, &run);
    n1_findings_rank(run.findings, run.n_findings);
    if (render(fmt, &run, &err) != 0) {
        cli_error(&err);
        goto out;
    }
    cli_print_summary(n1_pipeline_stats(run.p));
    status = n1_pipeline_exit_status(run.p);
    /* A gate asked for findings to fail the run: that outranks skipped
       lines (4) but not an input that is no log at all (3). */
    if (fail_on_findings && run.n_findings > 0 && status != N1_EXIT_INPUT) {
        status = N1_EXIT_FINDINGS;
    }

out:
    n1_analyze_run_cleanup(&run);
    return status;
}
