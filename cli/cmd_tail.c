/* SPDX-License-Identifier: MIT */
/*
 * cmd_tail.c: `n1digest tail`: the options, the signals and the printing
 * of the tail engine (engine/tail.h), which follows the log, reports
 * findings as loops end and keeps the store current.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/rules_apply.h"
#include "cli/cli.h"
#include "engine/rules_load.h"
#include "engine/tail.h"
#include "rules/rules.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: n1digest tail [options] LOG\n"
            "\n"
            "Follows the general or slow log of a running server (through\n"
            "rotation, copytruncate and restarts), prints each N+1 loop,\n"
            "duplicate and fan-out when it ends, and keeps the store\n"
            "current. Restarting it resumes where it stopped, counting no\n"
            "statement twice (see docs/tail.md).\n"
            "\n"
            "options:\n"
            "  --format FMT       text (default): one line per finding;\n"
            "                     json: one JSON object per line\n"
            "  --db PATH          SQLite store (default ./n1digest.db)\n"
            "  --rules FILE       rule file over the built-in defaults\n"
            "                     (repeatable; see docs/rules.md)\n"
            "  --gap MS           a loop ends after MS ms without an\n"
            "                     iteration (default: max_gap_ms, 2000)\n"
            "  --commit-ms MS     longest time between commits (1000)\n"
            "  --from-end         start at the end of the file, as tail\n"
            "                     -n0 -F (also past a position saved by\n"
            "                     the last run): history is not read\n");
    cli_reader_usage(out, 21);
    fprintf(out,
            "  -h, --help         show this help\n"
            "\n"
            "SIGINT/SIGTERM: commit and exit 0. SIGHUP: look at the path\n"
            "again at once (logrotate postrotate).\n"
            "\n"
            "exit status: 0 stopped by a signal, 2 usage or system error,\n"
            "3 the file is not a query log or a rule file is bad.\n");
}

/* Parses the value of --gap or --commit-ms (opt, for the message):
   milliseconds above 0. Returns 0, or -1 after printing a USAGE error. */
static int ms_option(const char *opt, const char *arg, long *ms)
{
    char *end = NULL;

    *ms = strtol(arg, &end, 10);
    if (*end != '\0' || *ms <= 0) {
        cli_errorf("USAGE %s: expected milliseconds, got '%s'", opt, arg);
        return -1;
    }
    return 0;
}

/* What tail's own options set. */
struct tail_own {
    long gap_ms;    /* --gap, -1 when not given */
    double *commit; /* --commit-ms, in seconds, into the engine options */
    int *from_end;  /* --from-end, into the engine options */
};

/* Its own options: --gap, --commit-ms and --from-end. */
static int tail_option(void *ud, int c, const char *arg)
{
    struct tail_own *to = ud;
    long commit_ms = 0;
    int bad;

    if (c == 'g') {
        return ms_option("--gap", arg, &to->gap_ms);
    }
    if (c == 'e') {
        *to->from_end = 1;
        return 0;
    }
    bad = ms_option("--commit-ms", arg, &commit_ms);
    *to->commit = commit_ms / 1000.0;
    return bad;
}

/*
 * Parses argv into *o, the rule files and *gap_ms. Returns -1 to go on,
 * or the exit status to end with (after --help or a usage error).
 */
static int parse_args(int argc, char **argv, struct n1_tail_opts *o,
                      struct cli_common_opts *co, long *gap_ms)
{
    static const struct option own[] = {
        {"gap", required_argument, NULL, 'g'},
        {"commit-ms", required_argument, NULL, 'c'},
        {"from-end", no_argument, NULL, 'e'},
        {NULL, 0, NULL, 0},
    };
    struct tail_own to = {-1, &o->commit_s, &o->from_end};
    const struct cli_command cmd = {
        "tail",
        CLI_TAKES_DB | CLI_TAKES_FORMAT | CLI_TAKES_RULES | CLI_TAKES_READER,
        own,
        tail_option,
        &to,
        usage,
    };
    int status;

    status = cli_parse_options(argc, argv, &cmd, &o->reader, co);
    if (status >= 0) {
        return status;
    }
    if (co->db_path != NULL) {
        o->db_path = co->db_path;
    }
    o->json = co->format == FORMAT_JSON;
    o->reader = co->reader;
    *gap_ms = to.gap_ms;
    if (optind + 1 != argc) {
        cli_errorf("USAGE tail: expected exactly one LOG (see 'n1digest tail "
                   "--help')");
        return N1_EXIT_USAGE;
    }
    o->path = argv[optind];
    if (strcmp(o->path, "-") == 0) {
        cli_errorf("USAGE tail: follows a file, not stdin");
        return N1_EXIT_USAGE;
    }
    return -1;
}

int cmd_tail(int argc, char **argv)
{
    struct n1_tail_opts o;
    struct n1_tail *t = NULL;
    struct n1_rules *rules_in_force = NULL;
    const struct n1_tail_stats *ts;
    struct cli_common_opts co;
    long gap_ms = -1;
    struct n1_error err;
    int status;

    n1_err_clear(&err);
    n1_tail_opts_default(&o);
    o.reader.warn = cli_warn;
    o.notice = cli_notice;
    o.stop = cli_stop_polled;
    o.reopen = cli_reopen_polled;
    status = parse_args(argc, argv, &o, &co, &gap_ms);
    if (status >= 0) {
        return status;
    }
    rules_in_force = n1_engine_rules(co.rules.v, co.rules.n, &err);
    if (rules_in_force == NULL) {
        cli_error(&err);
        return cli_exit_for(&err);
    }
    n1_rules_apply(rules_in_force, &o.detect);
    if (gap_ms > 0) {
        o.detect.max_gap_ms = (unsigned)gap_ms;
    }
    t = n1_tail_new(&o, &err);
    if (t != NULL) {
        cli_signals_install(1);
    }
    if (t == NULL || n1_tail_run(t, &err) != 0) {
        cli_error(&err);
        status = cli_exit_for(&err);
        goto out;
    }
    ts = n1_tail_stats(t);
    fprintf(stderr,
            "n1digest: stopped: %llu statements counted, %llu "
            "findings reported, %llu bytes parsed\n",
            (unsigned long long)ts->statements,
            (unsigned long long)ts->findings, (unsigned long long)ts->bytes);
    status = N1_EXIT_OK;
out:
    n1_tail_free(t);
    n1_rules_free(rules_in_force);
    return status;
}
