/* SPDX-License-Identifier: MIT */
/*
 * cli.h: what the subcommands share: exit statuses, error printing, the
 * options several of them take, loading the rules.
 */
#ifndef N1_CLI_H
#define N1_CLI_H

#include <stdio.h>

#include "base/error.h"
#include "engine/notice.h"

/* Exit statuses, documented in --help and the README. */
enum n1_exit {
    N1_EXIT_OK = 0,       /* all input read, nothing to report */
    N1_EXIT_FINDINGS = 1, /* findings at or above the failing severity */
    N1_EXIT_USAGE = 2,    /* bad options, or a system error (I/O, memory) */
    N1_EXIT_INPUT = 3,    /* an input is not a log, or a rule file is bad */
    N1_EXIT_SKIPPED = 4   /* the run finished but lines/events were skipped */
};

/* What a subcommand writes its report as (--format). */
enum out_format { FORMAT_TEXT = 0, FORMAT_JSON, FORMAT_SARIF, FORMAT_JUNIT };

/* Prints "n1digest: <formatted error>" on stderr. */
void cli_error(const struct n1_error *err);

/* Prints "n1digest: <message>" on stderr. */
void cli_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints the one spelling of out of memory, "SYSTEM out of memory <what>". */
void cli_oom(const char *what);

/* Reader warning callback: prints the warning on stderr (ud unused). */
void cli_warn(void *ud, const struct n1_error *err);

/*
 * The engine's notice callback (engine/notice.h): prints "n1digest: "
 * and the notice on stderr, "NOTE " or "LIMIT " before notes and limits,
 * progress on one line that the next progress overwrites (ud unused).
 */
void cli_notice(void *ud, enum n1_notice_kind kind, const char *msg);

struct n1_pipeline_opts;
struct n1_pipeline_stats;

/*
 * The pipeline options every reading subcommand starts from: the
 * defaults, reader warnings and notices on stderr, progress when stderr
 * is a terminal.
 */
void cli_pipeline_opts(struct n1_pipeline_opts *o);

/* Prints the one-line summary of a pipeline run on stderr. */
void cli_print_summary(const struct n1_pipeline_stats *s);

/* Maps an error class to the exit status the CLI uses for it. */
enum n1_exit cli_exit_for(const struct n1_error *err);

/* Subcommands: each parses its own argv (argv[0] is the subcommand name)
   and returns an enum n1_exit value. */
int cmd_fingerprint(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_digest(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_tail(int argc, char **argv);

/* ---- options several subcommands share ---- */

struct n1_reader_opts;

/* getopt_long() codes of the reader options, for cli_reader_option(). */
enum {
    CLI_OPT_MAX_STATEMENT = 'm', /* --max-statement B */
    CLI_OPT_TZ_OFFSET = 'z'      /* --tz-offset S */
};

/* The struct option entries of the reader options (needs <getopt.h>). */
#define CLI_READER_LONGOPTS                                                    \
    {"max-statement", required_argument, NULL, CLI_OPT_MAX_STATEMENT},         \
    {                                                                          \
        "tz-offset", required_argument, NULL, CLI_OPT_TZ_OFFSET                \
    }

/*
 * Parses arg, the value of the reader option with getopt_long() code c
 * (a CLI_OPT_* above), into ro. Returns 0, or -1 after printing a USAGE
 * error on stderr; ro may then hold a partly parsed value.
 */
int cli_reader_option(int c, const char *arg, struct n1_reader_opts *ro);

/*
 * Parses the value of --format for the subcommands that write text or
 * JSON: sets *json to 0 or 1 and returns 0, or returns -1 after printing
 * a USAGE error on stderr (*json is then unchanged).
 */
int cli_format_option(const char *arg, int *json);

#define CLI_MAX_RULE_FILES 64

/* The --rules files given, in order; the paths are borrowed from argv. */
struct cli_rule_files {
    const char *v[CLI_MAX_RULE_FILES]; /* paths */
    size_t n;                          /* entries used in v */
};

/*
 * Appends arg, the value of one --rules, to rf. Returns 0, or -1 after
 * printing a USAGE error on stderr when rf is full.
 */
int cli_rules_option(struct cli_rule_files *rf, const char *arg);

#endif /* N1_CLI_H */
