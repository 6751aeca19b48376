/* SPDX-License-Identifier: MIT */
/*
 * cli.h: what the subcommands share: exit statuses, error printing, the
 * event pipeline driver.
 */
#ifndef N1_CLI_H
#define N1_CLI_H

#include <stdio.h>

#include "error.h"

/* Exit statuses, documented in --help and the README. */
enum n1_exit {
    N1_EXIT_OK = 0,       /* all input read, nothing to report */
    N1_EXIT_FINDINGS = 1, /* findings at or above the failing severity */
    N1_EXIT_USAGE = 2,    /* bad options, or a system error (I/O, memory) */
    N1_EXIT_INPUT = 3,    /* an input is not a log, or a rule file is bad */
    N1_EXIT_SKIPPED = 4   /* the run finished but lines/events were skipped */
};

/* Prints "n1scan: <formatted error>" on stderr. */
void cli_error(const struct n1_error *err);

/* Prints "n1scan: <message>" on stderr. */
void cli_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reader warning callback: prints the warning on stderr (ud unused). */
void cli_warn(void *ud, const struct n1_error *err);

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

struct n1_rules;

/*
 * The rules in force: the built-in defaults, then each of the n rule files
 * in paths in order (later files win per key). Returns rules the caller
 * frees with n1_rules_free(), or NULL with err set (N1_ERULES with file
 * and line for a bad file, N1_ESYS when one cannot be read).
 */
struct n1_rules *cli_rules_load(const char *const *paths, size_t n,
                                struct n1_error *err);

#endif /* N1_CLI_H */
