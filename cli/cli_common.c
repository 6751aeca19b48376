/* SPDX-License-Identifier: MIT */
/*
 * cli_common.c: error printing, exit-status mapping and the options that
 * several subcommands share.
 *
 * cli_parse_options() is the option-parsing prologue of the reading
 * subcommands: one getopt_long() loop over the shared options a
 * subcommand takes (--db, --format, --rules, --reset, --reread, the
 * reader options) and its own, so that an option means the same, and
 * fails with the same message, whichever subcommand is given it. Each
 * subcommand keeps its help text and its own options.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "base/timeutil.h"
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

int cli_print_json_line(const struct json_t *v, size_t flags)
{
    if (json_dumpf(v, stdout, flags) != 0) {
        return -1;
    }
    putchar('\n');
    return 0;
}

/* 1 while a progress line is on stderr without its newline: progress
   only goes to a terminal, where "\r" and erase-line rewrite it. */
static int progress_open;

/* Erases an open progress line, so that a message takes its place. */
static void progress_clear(void)
{
    if (progress_open) {
        fputs("\r\033[K", stderr);
        progress_open = 0;
    }
}

void cli_warn(void *ud, const struct n1_error *err)
{
    (void)ud;
    progress_clear();
    cli_error(err);
}

void cli_notice(void *ud, enum n1_notice_kind kind, const char *msg)
{
    (void)ud;
    if (kind != N1_NOTICE_PROGRESS && kind != N1_NOTICE_PROGRESS_END) {
        progress_clear();
    }
    switch (kind) {
    case N1_NOTICE_NOTE:
        fprintf(stderr, "n1digest: NOTE %s\n", msg);
        break;
    case N1_NOTICE_LIMIT:
        fprintf(stderr, "n1digest: LIMIT %s\n", msg);
        break;
    case N1_NOTICE_PROGRESS:
    case N1_NOTICE_PROGRESS_END:
        /* Rewritten in place: erase what a longer line left. */
        fprintf(stderr, "\rn1digest: %s\033[K%s", msg,
                kind == N1_NOTICE_PROGRESS_END ? "\n" : "");
        progress_open = kind == N1_NOTICE_PROGRESS;
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
            (unsigned long long)s->files, (unsigned long long)s->skipped_lines,
            (unsigned long long)s->skipped_events,
            (unsigned long long)s->files_skipped,
            (unsigned long long)s->not_logs);
    if (s->tz_assumed > 0) {
        fprintf(stderr,
                "n1digest: times read as UTC in %llu input%s; give --tz or "
                "--tz-offset if the server wrote local time\n",
                (unsigned long long)s->tz_assumed,
                s->tz_assumed == 1 ? "" : "s");
    }
    if (s->tz_read > 0) {
        fprintf(stderr, "n1digest: local times read as %s\n", s->tz_label);
    }
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

/* getopt_long() codes of the shared options: above any char code, so
   that a subcommand's own codes never clash with them. */
enum {
    OPT_DB = 256,
    OPT_FORMAT,
    OPT_RULES,
    OPT_RESET,
    OPT_REREAD,
    OPT_MAX_STATEMENT,
    OPT_TZ_OFFSET,
    OPT_TZ,
    OPT_OUTPUT,
    OPT_HELP = 'h'
};

/* The shared options, each with the bit that makes a subcommand take it. */
static const struct {
    unsigned takes;
    struct option opt;
} shared_opts[] = {
    {CLI_TAKES_FORMAT | CLI_TAKES_CI_FORMAT,
     {"format", required_argument, NULL, OPT_FORMAT}},
    {CLI_TAKES_OUTPUT, {"output", required_argument, NULL, OPT_OUTPUT}},
    {CLI_TAKES_DB, {"db", required_argument, NULL, OPT_DB}},
    {CLI_TAKES_RULES, {"rules", required_argument, NULL, OPT_RULES}},
    {CLI_TAKES_RESET, {"reset", no_argument, NULL, OPT_RESET}},
    {CLI_TAKES_REREAD, {"reread", no_argument, NULL, OPT_REREAD}},
    {CLI_TAKES_READER,
     {"max-statement", required_argument, NULL, OPT_MAX_STATEMENT}},
    {CLI_TAKES_READER, {"tz-offset", required_argument, NULL, OPT_TZ_OFFSET}},
    {CLI_TAKES_READER, {"tz", required_argument, NULL, OPT_TZ}},
};

#define N_SHARED (sizeof(shared_opts) / sizeof(shared_opts[0]))
#define MAX_OPTS                                       \
    48 /* shared, connection, own and --help, with the \
          zero row */

/* The names --format takes, in enum out_format order, with the bit a
   subcommand needs to take each (0: every one takes it). */
static const struct {
    const char *name;
    unsigned takes;
} format_names[] = {
    {"text", 0},
    {"json", 0},
    {"sarif", CLI_TAKES_CI_FORMAT},
    {"junit", CLI_TAKES_CI_FORMAT},
    {"html", CLI_TAKES_HTML},
    {"markdown", CLI_TAKES_MARKDOWN},
};

#define N_FORMATS (sizeof(format_names) / sizeof(format_names[0]))

/* Whether cmd takes the format i. */
static int format_taken(size_t i, unsigned takes)
{
    return format_names[i].takes == 0 || (format_names[i].takes & takes);
}

/* The index of the format named arg that takes allows ("report" is
   text), or -1. */
static int format_index(const char *arg, unsigned takes)
{
    if (strcmp(arg, "report") == 0) {
        return FORMAT_TEXT;
    }
    for (size_t i = 0; i < N_FORMATS; i++) {
        if (format_taken(i, takes) && strcmp(arg, format_names[i].name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

int cli_parse_format(const char *arg, unsigned takes, enum out_format *fmt)
{
    char names[128] = "";
    size_t n = 0;
    int i = format_index(arg, takes);

    if (i >= 0) {
        *fmt = (enum out_format)i;
        return 0;
    }
    for (size_t k = 0; k < N_FORMATS; k++) {
        if (format_taken(k, takes)) {
            n++;
        }
    }
    for (size_t k = 0, seen = 0; k < N_FORMATS; k++) {
        if (!format_taken(k, takes)) {
            continue;
        }
        seen++;
        strncat(names,
                seen == 1   ? ""
                : seen == n ? " or "
                            : ", ",
                sizeof(names) - strlen(names) - 1);
        strncat(names, format_names[k].name, sizeof(names) - strlen(names) - 1);
    }
    cli_errorf("USAGE --format: expected %s, got '%s'", names, arg);
    return -1;
}

int cli_format_option(const char *arg, int *json)
{
    enum out_format fmt;

    if (cli_parse_format(arg, 0, &fmt) != 0) {
        return -1;
    }
    *json = fmt == FORMAT_JSON;
    return 0;
}

/* Parses the value of --max-statement, --tz-offset or --tz into ro (the
   last zone option given wins). Returns 0,
   or -1 after printing a USAGE error. */
static int reader_option(int c, const char *arg, struct n1_reader_opts *ro)
{
    char *end = NULL;

    if (c == OPT_MAX_STATEMENT) {
        ro->max_statement = (size_t)strtoull(arg, &end, 10);
        if (*end != '\0' || ro->max_statement == 0) {
            cli_errorf("USAGE --max-statement: expected bytes, got '%s'", arg);
            return -1;
        }
        return 0;
    }
    return cli_zone_option(c == OPT_TZ, arg, ro);
}

void cli_reader_usage(FILE *out, int col)
{
    static const char *const lines[][2] = {
        {"--max-statement B", "skip statements longer than B bytes"},
        {"", "(default 16777216)"},
        {"--tz-offset OFF", "the server's UTC offset, for logs that"},
        {"", "print local time: 3600 (seconds), -5h,"},
        {"", "+05:30 or -0500"},
        {"--tz ZONE", "the server's time zone (Europe/Berlin),"},
        {"", "daylight saving time included"},
    };

    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        fprintf(out, "  %-*s%s\n", col - 2, lines[i][0], lines[i][1]);
    }
}

int cli_zone_option(int named, const char *arg, struct n1_reader_opts *ro)
{
    struct n1_error err;
    long off;

    n1_err_clear(&err);
    if (named) {
        if (n1_tz_use_named(arg, &ro->tz, &err) != 0) {
            cli_error(&err);
            return -1;
        }
        return 0;
    }
    if (n1_tz_parse_offset(arg, &off) != 0) {
        cli_errorf("USAGE --tz-offset: expected seconds (3600), hours "
                   "(-5h) or a clock offset (+05:30, -0500), got '%s'",
                   arg);
        return -1;
    }
    n1_tz_init(&ro->tz, N1_TZ_OFFSET, off);
    return 0;
}

/* Appends arg, the value of one --rules, to rf. Returns 0, or -1 after
   printing a USAGE error when rf is full. */
static int rules_option(struct cli_rule_files *rf, const char *arg)
{
    if (rf->n == CLI_MAX_RULE_FILES) {
        cli_errorf("USAGE --rules: at most %d files", CLI_MAX_RULE_FILES);
        return -1;
    }
    rf->v[rf->n++] = arg;
    return 0;
}

/* Fills v with the shared options cmd takes, its own and --help. */
static void build_longopts(const struct cli_command *cmd, struct option *v)
{
    size_t n = 0;

    for (size_t i = 0; i < N_SHARED; i++) {
        if (cmd->takes & shared_opts[i].takes) {
            v[n++] = shared_opts[i].opt;
        }
    }
    for (size_t i = 0;
         (cmd->takes & CLI_TAKES_CONN) && cli_conn_longopts[i].name != NULL;
         i++) {
        v[n++] = cli_conn_longopts[i];
    }
    for (size_t i = 0; cmd->own != NULL && cmd->own[i].name != NULL; i++) {
        if (n < MAX_OPTS - 2) {
            v[n++] = cmd->own[i];
        }
    }
    v[n].name = "help";
    v[n].has_arg = no_argument;
    v[n].flag = NULL;
    v[n].val = OPT_HELP;
    n++;
    memset(&v[n], 0, sizeof(v[n]));
}

/* One shared option. Returns 0, or -1 after printing a USAGE error. */
static int shared_option(const struct cli_command *cmd, int c, const char *arg,
                         struct cli_common_opts *co)
{
    switch (c) {
    case OPT_DB:
        co->db_path = arg;
        return 0;
    case OPT_FORMAT:
        return cli_parse_format(arg, cmd->takes, &co->format);
    case OPT_OUTPUT:
        /* pt-query-digest's --output json: a format name is the format. */
        if (format_index(arg, cmd->takes) >= 0) {
            return cli_parse_format(arg, cmd->takes, &co->format);
        }
        co->output = arg;
        return 0;
    case OPT_RULES:
        return rules_option(&co->rules, arg);
    case OPT_RESET:
        co->reset = 1;
        return 0;
    case OPT_REREAD:
        co->reread = 1;
        return 0;
    case OPT_MAX_STATEMENT:
    case OPT_TZ_OFFSET:
    case OPT_TZ:
        return reader_option(c, arg, &co->reader);
    default:
        break;
    }
    if (c >= CLI_OPT_HOST && c < CLI_OPT_CONN_END) {
        return cli_conn_option(&co->conn, c, arg);
    }
    return cmd->option(cmd->ud, c, arg);
}

int cli_parse_options(int argc, char **argv, const struct cli_command *cmd,
                      const struct n1_reader_opts *reader,
                      struct cli_common_opts *co)
{
    struct option longopts[MAX_OPTS];
    int c;

    memset(co, 0, sizeof(*co));
    co->format = FORMAT_TEXT;
    co->reader = *reader;
    build_longopts(cmd, longopts);
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == OPT_HELP) {
            cmd->usage(stdout);
            return N1_EXIT_OK;
        }
        if (c == '?' || c == ':') {
            fprintf(stderr, "n1digest: USAGE see 'n1digest %s --help'\n",
                    cmd->name);
            return N1_EXIT_USAGE;
        }
        if (shared_option(cmd, c, optarg, co) != 0) {
            return N1_EXIT_USAGE;
        }
    }
    if ((cmd->takes & CLI_TAKES_LOGS) && optind >= argc) {
        cli_errorf("USAGE %s: no LOG given (see 'n1digest %s --help')",
                   cmd->name, cmd->name);
        return N1_EXIT_USAGE;
    }
    return -1;
}

struct n1_pipeline *cli_pipeline_run(const struct n1_pipeline_opts *opts,
                                     char **paths, size_t n, int map_status,
                                     int *status)
{
    struct n1_pipeline *p = NULL;
    struct n1_error err;

    n1_err_clear(&err);
    p = n1_pipeline_new(opts, &err);
    if (p == NULL) {
        cli_error(&err);
        *status = cli_exit_for(&err);
        return NULL;
    }
    n1_pipeline_expect(p, paths, n);
    for (size_t i = 0; i < n; i++) {
        if (n1_pipeline_read(p, paths[i], &err) != 0) {
            goto fail;
        }
    }
    if (n1_pipeline_finish(p, &err) != 0) {
        goto fail;
    }
    return p;

fail:
    cli_error(&err);
    *status = map_status ? cli_exit_for(&err) : N1_EXIT_USAGE;
    n1_pipeline_free(p);
    return NULL;
}

int cli_limit_option(const char *arg, size_t *limit)
{
    char *end = NULL;

    if (strcmp(arg, "all") == 0 || strcmp(arg, "100%") == 0) {
        *limit = 0;
        return 0;
    }
    *limit = (size_t)strtoull(arg, &end, 10);
    if (arg[0] == '-' || !isdigit((unsigned char)arg[0]) || *end != '\0') {
        cli_errorf("USAGE --limit: expected a number or all, got '%s'", arg);
        return -1;
    }
    return 0;
}

/* A duration back from now: a number, then s, m, h, d or w (or nothing:
   seconds). Returns 0 with *us set, or -1. */
static int parse_ago(const char *s, int64_t *us)
{
    char *end = NULL;
    double n = strtod(s, &end);

    if (end == s || !(n >= 0) || n > 1e9) {
        return -1;
    }
    switch (*end) {
    case '\0':
    case 's':
        break;
    case 'm':
        n *= 60;
        break;
    case 'h':
        n *= 3600;
        break;
    case 'd':
        n *= 86400;
        break;
    case 'w':
        n *= 7 * 86400;
        break;
    default:
        return -1;
    }
    if (*end != '\0' && end[1] != '\0') {
        return -1;
    }
    *us = (int64_t)time(NULL) * 1000000 - (int64_t)(n * 1e6);
    return 0;
}

/*
 * Copies a typed "YYYY-MM-DD H:MM:SS" (one-digit hour, as people write it)
 * into buf with the hour padded to two digits; returns buf, or arg itself
 * when it has no such hour or does not fit.
 */
static const char *pad_hour(const char *arg, char *buf, size_t cap)
{
    size_t len = strlen(arg);

    if (len < 18 || len + 2 > cap || arg[10] != ' ' || arg[12] != ':' ||
        arg[11] < '0' || arg[11] > '9') {
        return arg;
    }
    memcpy(buf, arg, 11);
    buf[11] = '0';
    memcpy(buf + 12, arg + 11, len - 11 + 1);
    return buf;
}

/*
 * The old logs' "YYMMDD H:MM:SS" as typed (one space, a one-digit hour
 * allowed) or as the log pads it ("YYMMDD  H:MM:SS"), read as UTC.
 * Returns 0 with *us set, or -1.
 */
static int parse_yymmdd_arg(const char *arg, int64_t *us)
{
    char buf[20];
    size_t len = strlen(arg);

    if (len == 14 && arg[6] == ' ' && arg[8] == ':') {
        memcpy(buf, arg, 7);
        buf[7] = ' ';
        memcpy(buf + 8, arg + 7, 8);
        arg = buf;
        len = 15;
    }
    return len == 15 && n1_ts_parse_yymmdd(arg, len, 0, us) == 15 ? 0 : -1;
}

int cli_time_option(const char *opt, const char *arg, int64_t *us)
{
    char padded[64];
    const char *t = pad_hour(arg, padded, sizeof(padded));
    size_t len = strlen(t);
    size_t used =
        n1_ts_parse_iso(t, len, N1_TS_ISO_DATE_ONLY | N1_TS_ISO_SPACE_SEP, us);

    if (used > 0 ? used == len
                 : parse_yymmdd_arg(arg, us) == 0 || parse_ago(arg, us) == 0) {
        return 0;
    }
    cli_errorf("USAGE --%s: expected YYYY-MM-DD[ H:MM:SS], YYMMDD H:MM:SS "
               "or a duration such as 1h, got '%s'",
               opt, arg);
    return -1;
}

int cli_filter_split(const char *arg, const struct cli_filter_key *keys,
                     size_t n, const char *expected, const char **value)
{
    const char *eq = strchr(arg, '=');
    size_t klen;

    if (eq == NULL || eq == arg) {
        cli_errorf("USAGE --filter: expected KEY=VALUE, got '%s'", arg);
        return -1;
    }
    klen = (size_t)(eq - arg);
    for (size_t k = 0; k < n; k++) {
        if (strlen(keys[k].name) == klen &&
            strncmp(arg, keys[k].name, klen) == 0) {
            *value = eq + 1;
            return keys[k].key;
        }
    }
    cli_errorf("USAGE --filter: unknown key '%.*s' (expected %s)", (int)klen,
               arg, expected);
    return -1;
}

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t hup_requested;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void on_hup(int sig)
{
    (void)sig;
    hup_requested = 1;
}

void cli_signals_install(int hup)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (hup) {
        sa.sa_handler = on_hup;
        sigaction(SIGHUP, &sa, NULL);
    }
}

int cli_stop_polled(void *ud)
{
    (void)ud;
    return stop_requested;
}

int cli_reopen_polled(void *ud)
{
    (void)ud;
    if (!hup_requested) {
        return 0;
    }
    hup_requested = 0;
    return 1;
}

FILE *cli_open_output(const struct cli_common_opts *co)
{
    FILE *f;

    if (co->output == NULL || strcmp(co->output, "-") == 0) {
        return stdout;
    }
    f = fopen(co->output, "w");
    if (f == NULL) {
        cli_errorf("SYSTEM cannot write %s: %s", co->output, strerror(errno));
    }
    return f;
}

int cli_close_output(const struct cli_common_opts *co, FILE *f)
{
    int bad;
    const char *name = f == stdout ? "stdout" : co->output;

    if (f == NULL) {
        return -1;
    }
    bad = ferror(f) != 0;
    if (f == stdout) {
        bad |= fflush(f) != 0;
    } else {
        bad |= fclose(f) != 0;
    }
    if (bad) {
        cli_errorf("SYSTEM writing %s: %s", name, strerror(errno));
        return -1;
    }
    return 0;
}

int cli_positive_option(const char *opt, const char *what, const char *arg,
                        double max, double *v)
{
    char *end = NULL;
    double n = strtod(arg, &end);

    if (end == arg || *end != '\0' || !(n > 0) || n > max) {
        cli_errorf("USAGE %s: expected %s above 0, got '%s'", opt, what, arg);
        return -1;
    }
    *v = n;
    return 0;
}
