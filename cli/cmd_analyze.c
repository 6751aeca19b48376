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
#include "cli/cli.h"
#include "engine/analyze_run.h"
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
        rc = n1_report_findings_json(stdout, f, run->n_findings, rep, run->n_in,
                                     &run->ro, err);
    } else {
        rc = n1_report_findings_text(stdout, f, run->n_findings, rep, run->n_in,
                                     &run->ro, err);
    }
    free(rep);
    return rc;
}

/* Its own option: --fail-on-findings. */
static int analyze_option(void *ud, int c, const char *arg)
{
    (void)c;
    (void)arg;
    *(int *)ud = 1;
    return 0;
}

int cmd_analyze(int argc, char **argv)
{
    static const struct option own[] = {
        {"fail-on-findings", no_argument, NULL, 'F'},
        {NULL, 0, NULL, 0},
    };
    int fail_on_findings = 0;
    const struct cli_command cmd = {
        "analyze",
        CLI_TAKES_DB | CLI_TAKES_FORMAT | CLI_TAKES_RULES | CLI_TAKES_RESET |
            CLI_TAKES_REREAD | CLI_TAKES_READER | CLI_TAKES_LOGS,
        own,
        analyze_option,
        &fail_on_findings,
        usage,
    };
    struct n1_analyze_opts ao;
    struct n1_pipeline_opts *opts = &ao.pipeline;
    struct n1_analyze_run run;
    struct cli_common_opts co;
    struct n1_error err;
    int status;

    n1_err_clear(&err);
    memset(&ao, 0, sizeof(ao));
    memset(&run, 0, sizeof(run));
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
    apply_rules(run.rules, &run);
    n1_findings_rank(run.findings, run.n_findings);
    if (render(co.format, &run, &err) != 0) {
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
