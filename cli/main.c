/* SPDX-License-Identifier: MIT */
/*
 * main.c: n1digest's entry point; dispatches to one subcommand.
 *
 * Each subcommand lives in its own cmd_*.c, parses its own options and
 * returns an exit status from enum n1_exit. This file only knows their
 * names and one-line summaries.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

struct subcommand {
    const char *name;                  /* as typed on the command line */
    int (*run)(int argc, char **argv); /* returns an enum n1_exit */
    const char *summary;               /* one line for the usage text */
};

static const struct subcommand subcommands[] = {
    {"ingest", cmd_ingest,
     "read logs into the store and summarise the statements seen"},
    {"digest", cmd_digest,
     "report what each class of statements costs (pt-query-digest)"},
    {"analyze", cmd_analyze,
     "find N+1 loops, duplicates and fan-outs; report them with rewrites"},
    {"check", cmd_check,
     "CI gate: fail on new findings (baseline, SARIF, JUnit)"},
    {"tail", cmd_tail,
     "follow a live server's log and report loops as they happen"},
    {"live", cmd_live, "follow a server's performance_schema the same way"},
    {"verify", cmd_verify,
     "check the rewrites of a report on a server, read-only"},
    {"fingerprint", cmd_fingerprint, "print the fingerprint of SQL statements"},
    {"events", cmd_events, "print the events read from logs, one per line"},
    {"rules", cmd_rules, "list the rules in force and where each came from"},
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: n1digest [--version] [--help] <command> [<args>]\n"
            "\n"
            "Reads MySQL and MariaDB general and slow query logs and finds\n"
            "the statements worth fixing.\n"
            "\n"
            "commands:\n");
    for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
        fprintf(out, "  %-12s %s\n", subcommands[i].name,
                subcommands[i].summary);
    }
    fprintf(out, "\n"
                 "Run 'n1digest <command> --help' for a command's options.\n"
                 "\n"
                 "exit status:\n"
                 "  0  success\n"
                 "  1  findings at or above the failing severity\n"
                 "  2  usage or system error\n"
                 "  3  an input is not a query log, or a rule file is bad\n"
                 "  4  finished, but some lines or events could not be read\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return N1_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return N1_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("n1digest %s\n", N1_VERSION);
        return N1_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
        if (strcmp(argv[1], subcommands[i].name) == 0) {
            return subcommands[i].run(argc - 1, argv + 1);
        }
    }
    cli_errorf("USAGE unknown command '%s' (see n1digest --help)", argv[1]);
    return N1_EXIT_USAGE;
}
