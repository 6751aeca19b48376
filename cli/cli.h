/* SPDX-License-Identifier: MIT */
/*
 * cli.h: what the subcommands share: exit statuses, error printing, the
 * options several of them take, loading the rules.
 */
#ifndef N1_CLI_H
#define N1_CLI_H

#include <getopt.h>
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
enum out_format {
    FORMAT_TEXT = 0,
    FORMAT_JSON,
    FORMAT_SARIF,
    FORMAT_JUNIT,
    FORMAT_HTML,
    FORMAT_MARKDOWN
};

/* Prints "n1digest: <formatted error>" on stderr. */
void cli_error(const struct n1_error *err);

/* Prints "n1digest: <message>" on stderr. */
void cli_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints the one spelling of out of memory, "SYSTEM out of memory <what>". */
void cli_oom(const char *what);

struct json_t;

/* Writes v to stdout with the json_dumpf() flags, then a newline (JSON
   Lines). Returns 0, or -1 when json_dumpf() failed. */
int cli_print_json_line(const struct json_t *v, size_t flags);

/* Reader warning callback: prints the warning on stderr (ud unused). */
void cli_warn(void *ud, const struct n1_error *err);

/*
 * The engine's notice callback (engine/notice.h): prints "n1digest: "
 * and the notice on stderr, "NOTE " or "LIMIT " before notes and limits,
 * progress on one line that the next progress overwrites; any other
 * notice or reader warning (cli_warn()) erases an open progress line
 * first (ud unused).
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

/*
 * Installs the handlers of the following commands: SIGINT and SIGTERM
 * make cli_stop_polled() return 1; with `hup` set, SIGHUP makes the next
 * cli_reopen_polled() return 1.
 */
void cli_signals_install(int hup);

/* The engine's stop poll: 1 once SIGINT or SIGTERM came (ud unused). */
int cli_stop_polled(void *ud);

/* The engine's reopen poll: 1 once per SIGHUP received, else 0 (ud
   unused). */
int cli_reopen_polled(void *ud);

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
int cmd_live(int argc, char **argv);
int cmd_verify(int argc, char **argv);

/* ---- options several subcommands share ---- */

#include "read/reader.h"

struct option;

/*
 * Parses arg, the value of --format, into *fmt: text or json, and the
 * formats the CLI_TAKES_* bits in takes add (sarif and junit for
 * CLI_TAKES_CI_FORMAT, html for CLI_TAKES_HTML, markdown for
 * CLI_TAKES_MARKDOWN); "report" is text, as pt-query-digest says it.
 * Returns 0, or -1 after printing a USAGE error on stderr naming the
 * formats taken (*fmt is then unchanged).
 */
int cli_parse_format(const char *arg, unsigned takes, enum out_format *fmt);

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

/* The shared options a subcommand takes (struct cli_command.takes). */
enum cli_takes {
    CLI_TAKES_DB = 1 << 0,        /* --db PATH */
    CLI_TAKES_FORMAT = 1 << 1,    /* --format text|json */
    CLI_TAKES_CI_FORMAT = 1 << 2, /* --format text|json|sarif|junit */
    CLI_TAKES_RULES = 1 << 3,     /* --rules FILE, repeatable */
    CLI_TAKES_RESET = 1 << 4,     /* --reset */
    CLI_TAKES_REREAD = 1 << 5,    /* --reread */
    CLI_TAKES_READER = 1 << 6,    /* --max-statement B, --tz-offset S */
    CLI_TAKES_LOGS = 1 << 7,      /* at least one LOG operand */
    CLI_TAKES_CONN = 1 << 8,      /* the connection options (cli_conn) */
    CLI_TAKES_HTML = 1 << 9,      /* --format html too */
    CLI_TAKES_MARKDOWN = 1 << 10, /* --format markdown too */
    CLI_TAKES_OUTPUT = 1 << 11    /* --output FILE (or --output FORMAT) */
};

/* ---- connection options (cli_conn.c) ---- */

#include "read/conn.h"

#define CLI_PASSWORD_MAX 256

/* The connection options of the commands that talk to a server. */
struct cli_conn {
    struct n1_server_opts so;        /* what to pass to read/conn.h */
    int prompt;                      /* --password without a value */
    int have_password;               /* password holds one */
    char password[CLI_PASSWORD_MAX]; /* copied out of argv, wiped there */
};

/* getopt_long() codes of the connection options (cli_parse_options()
   routes them to cli_conn_option()). */
enum {
    CLI_OPT_HOST = 400,
    CLI_OPT_PORT,
    CLI_OPT_SOCKET,
    CLI_OPT_USER,
    CLI_OPT_PASSWORD,
    CLI_OPT_DEFAULTS,
    CLI_OPT_SSL_MODE,
    CLI_OPT_SSL_CA,
    CLI_OPT_CONN_END
};

/* The connection options, for getopt_long(), ended by a zero row. */
extern const struct option cli_conn_longopts[];

/* Takes the value of connection option c. Returns 0, or -1 after
   printing a USAGE error. */
int cli_conn_option(struct cli_conn *cc, int c, const char *arg);

/*
 * After the options: the password from --password, the terminal prompt
 * (--password without a value) or MYSQL_PWD, into cc->so. Returns 0, or
 * -1 after printing why.
 */
int cli_conn_finish(struct cli_conn *cc);

/* Overwrites the password kept in cc. */
void cli_conn_wipe(struct cli_conn *cc);

/* Prints the help lines of the connection options. */
void cli_conn_usage(FILE *out);

/* Exit statuses of the commands that talk to a server, beyond enum
   n1_exit. */
enum {
    CLI_EXIT_CONNECT = 5, /* the server could not be reached, or the
                             connection was lost */
    CLI_EXIT_SETUP = 6    /* the server is not set up for the command, or
                             a grant is missing */
};

/* The exit status of a failed server command (fail as read/conn.h says,
   err for the rest). */
int cli_conn_status(enum n1_server_fail fail, const struct n1_error *err);

/* The values of the shared options; cli_parse_options() fills it. */
struct cli_common_opts {
    const char *db_path;          /* --db, NULL when not given */
    enum out_format format;       /* --format, FORMAT_TEXT by default */
    struct cli_rule_files rules;  /* --rules, in order */
    int reset;                    /* --reset given */
    int reread;                   /* --reread given */
    struct n1_reader_opts reader; /* the defaults and the reader options */
    struct cli_conn conn;         /* the connection options (CLI_TAKES_CONN) */
    const char *output;           /* --output FILE, NULL: stdout */
};

/*
 * Opens where the report goes: co->output (created or truncated), or
 * stdout when it is NULL. Returns the stream, or NULL after printing a
 * SYSTEM error naming the file. Close it with cli_close_output(), which
 * reports a failed write.
 */
FILE *cli_open_output(const struct cli_common_opts *co);

/*
 * Closes f when it is not stdout (flushes stdout otherwise). Returns 0,
 * or -1 after printing a SYSTEM error naming the file (or stdout) when
 * a write failed.
 */
int cli_close_output(const struct cli_common_opts *co, FILE *f);

/* A subcommand, as cli_parse_options() sees it. */
struct cli_command {
    const char *name;         /* "analyze", for the messages */
    unsigned takes;           /* enum cli_takes bits */
    const struct option *own; /* its own options (getopt_long codes
                                 below 256), ended by a zero row; may
                                 be NULL */
    /* Takes the value arg (NULL for a flag) of its own option with code
       c. Returns 0, or -1 after printing a USAGE error. */
    int (*option)(void *ud, int c, const char *arg);
    void *ud;                 /* passed to option */
    void (*usage)(FILE *out); /* prints the help text */
};

/*
 * The option-parsing prologue of a subcommand: runs getopt_long() over
 * argv with the shared options cmd takes and its own, filling *co (set
 * to the defaults first; co->reader starts as a copy of reader) and
 * calling cmd->option for its own.
 * --help prints the usage on stdout; an unknown option, a bad value or
 * a missing LOG (with CLI_TAKES_LOGS) prints a USAGE error on stderr.
 * Returns -1 to go on with the operands at argv[optind], or the exit
 * status to end with.
 */
int cli_parse_options(int argc, char **argv, const struct cli_command *cmd,
                      const struct n1_reader_opts *reader,
                      struct cli_common_opts *co);

/*
 * Runs the reading part of a pipeline over the LOGs paths[0..n-1]: a
 * pipeline from opts, each LOG read, the run finished. Returns the
 * pipeline (caller frees with n1_pipeline_free()), or NULL after
 * printing the error, with *status set to its exit status when
 * map_status, else to N1_EXIT_USAGE for any error after the store is
 * open.
 */
struct n1_pipeline *cli_pipeline_run(const struct n1_pipeline_opts *opts,
                                     char **paths, size_t n, int map_status,
                                     int *status);

/* Prints the help lines of the reader options (CLI_TAKES_READER), the
   descriptions starting at column col. */
void cli_reader_usage(FILE *out, int col);

/*
 * --tz NAME (named set) or --tz-offset OFFSET: sets ro->tz (the last one
 * given wins). --tz makes NAME the process's zone: call it before any
 * thread starts. Returns 0, or -1 after printing a USAGE error.
 */
int cli_zone_option(int named, const char *arg, struct n1_reader_opts *ro);

/*
 * The value arg of option opt as a number above 0 and at most max, into
 * *v; what ("a number", "seconds") names it in the message. Returns 0, or
 * -1 after printing a USAGE error.
 */
int cli_positive_option(const char *opt, const char *what, const char *arg,
                        double max, double *v);

/* ---- --limit, --since/--until, --filter (digest and analyze) ---- */

#include <stddef.h>
#include <stdint.h>

/*
 * --limit: a number, "all" or "100%" (both 0: no limit). Returns 0 with
 * *limit set, or -1 after printing a usage error.
 */
int cli_limit_option(const char *arg, size_t *limit);

/*
 * --since/--until (opt names which, for the message): "YYYY-MM-DD",
 * "YYYY-MM-DD HH:MM:SS" (or with a T) in UTC, or a duration back from now
 * ("90s", "15m", "1h", "2d", "1w"; a bare number is seconds). Returns 0
 * with *us set, or -1 after printing a usage error.
 */
int cli_time_option(const char *opt, const char *arg, int64_t *us);

/* One key --filter takes, and the code the caller gives it (several
   names may share one code: aliases). */
struct cli_filter_key {
    const char *name;
    int key;
};

/*
 * Splits a --filter argument KEY=VALUE against the n keys of keys.
 * Returns the key's code with *value pointing into arg after the '=', or
 * -1 after printing a usage error that lists `expected`.
 */
int cli_filter_split(const char *arg, const struct cli_filter_key *keys,
                     size_t n, const char *expected, const char **value);

#endif /* N1_CLI_H */
