/* SPDX-License-Identifier: MIT */
/*
 * cli_common.c: error printing, exit-status mapping and the options that
 * several subcommands share.
 *
 * Each subcommand keeps its own getopt_long() loop and help text; what is
 * here parses the values that must mean the same, and fail with the same
 * message, whichever subcommand is given them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "engine/pipeline.h"
#include "read/reader.h"

void cli_error(const struct n1_error *err)
{
    char buf[512];

    fprintf(stderr, "n1digest: %s\n", n1_err_format(err, buf, sizeof(buf)));
}

void cli_errorf(const char *fmt, ...)
{
    va_list ap;

    fputs("n1digest: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void cli_oom(const char *what)
{
    struct n1_error err;

    n1_err_clear(&err);
    n1_err_oom(&err, what);
    cli_error(&err);
}

void cli_warn(void *ud, const struct n1_error *err)
{
    (void)ud;
    cli_error(err);
}

void cli_notice(void *ud, enum n1_notice_kind kind, const char *msg)
{
    (void)ud;
    switch (kind) {
    case N1_NOTICE_NOTE:
        fprintf(stderr, "n1digest: NOTE %s\n", msg);
        break;
    case N1_NOTICE_LIMIT:
        fprintf(stderr, "n1digest: LIMIT %s\n", msg);
        break;
    case N1_NOTICE_PROGRESS:
    case N1_NOTICE_PROGRESS_END:
        fprintf(stderr, "\rn1digest: %s   %s", msg,
                kind == N1_NOTICE_PROGRESS_END ? "\n" : "");
        fflush(stderr);
        break;
    case N1_NOTICE_INFO:
    case N1_NOTICE_ERROR:
        fprintf(stderr, "n1digest: %s\n", msg);
        break;
    }
}

void cli_pipeline_opts(struct n1_pipeline_opts *o)
{
    n1_pipeline_opts_default(o);
    o->reader.warn = cli_warn;
    o->progress = isatty(STDERR_FILENO);
    o->notice = cli_notice;
}

void cli_print_summary(const struct n1_pipeline_stats *s)
{
    fprintf(stderr,
            "n1digest: %llu events read (%llu statements) from %llu of %llu "
            "inputs; %llu lines and %llu events skipped; %llu inputs "
            "already read; %llu not readable as logs\n",
            (unsigned long long)s->events, (unsigned long long)s->statements,
            (unsigned long long)(s->files - s->files_skipped - s->not_logs),
            (unsigned long long)s->files,
            (unsigned long long)s->skipped_lines,
            (unsigned long long)s->skipped_events,
            (unsigned long long)s->files_skipped,
            (unsigned long long)s->not_logs);
}

enum n1_exit cli_exit_for(const struct n1_error *err)
{
    switch (err->code) {
    case N1_EPARSE:
    case N1_ERULES:
    case N1_ELIMIT:
        return N1_EXIT_INPUT;
    case N1_OK:
        return N1_EXIT_OK;
    case N1_ESYS:
    case N1_ESTORE:
    case N1_EUSAGE:
        break;
    }
    return N1_EXIT_USAGE;
}

int cli_reader_option(int c, const char *arg, struct n1_reader_opts *ro)
{
    char *end = NULL;

    switch (c) {
    case CLI_OPT_MAX_STATEMENT:
        ro->max_statement = (size_t)strtoull(arg, &end, 10);
        if (*end != '\0' || ro->max_statement == 0) {
            cli_errorf("USAGE --max-statement: expected bytes, got '%s'", arg);
            return -1;
        }
        return 0;
    case CLI_OPT_TZ_OFFSET:
        ro->tz_offset_s = strtol(arg, &end, 10);
        if (*end != '\0') {
            cli_errorf("USAGE --tz-offset: expected seconds, got '%s'", arg);
            return -1;
        }
        return 0;
    default:
        break;
    }
    cli_errorf("USAGE unknown reader option '%c'", c);
    return -1;
}

int cli_format_option(const char *arg, int *json)
{
    if (strcmp(arg, "text") == 0) {
        *json = 0;
    } else if (strcmp(arg, "json") == 0) {
        *json = 1;
    } else {
        cli_errorf("USAGE --format: expected text or json, got '%s'", arg);
        return -1;
    }
    return 0;
}

int cli_rules_option(struct cli_rule_files *rf, const char *arg)
{
    if (rf->n == CLI_MAX_RULE_FILES) {
        cli_errorf("USAGE --rules: at most %d files", CLI_MAX_RULE_FILES);
        return -1;
    }
    rf->v[rf->n++] = arg;
    return 0;
}
