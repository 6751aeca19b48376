/* SPDX-License-Identifier: MIT */
/*
 * cmd_live.c: `n1digest live`: its options (the connection ones are
 * cli_conn.c's), the signals and the exit statuses of the live engine
 * (engine/live.h), which polls a server's performance_schema or its log
 * tables and reports findings as loops end.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/rules_apply.h"
#include "cli/cli.h"
#include "engine/live.h"
#include "engine/rules_load.h"
#include "rules/rules.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: n1digest live [options] [--source perfschema|table]\n"
                 "\n"
                 "Follows a running server through performance_schema (the\n"
                 "statement history ring) or the general log table\n"
                 "log_output=TABLE), prints each N+1 loop, duplicate and\n"
                 "fan-out when it ends, and keeps the store current, as tail\n"
                 "does for a log. Restarting it resumes after the statements\n"
                 "already read (see docs/live.md).\n"
                 "\n"
                 "options:\n"
                 "  --source SRC        perfschema (default) or table\n");
    cli_conn_usage(out);
    fprintf(out,
            "  --interval S        seconds between polls (default 1)\n"
            "  --reconnect-max S   connect again for up to S seconds when\n"
            "                      the connection is lost (default 300;\n"
            "                      0: exit 5 at once)\n"
            "  --format FMT        text (default) or json: one JSON object\n"
            "                      per finding line\n"
            "  --db PATH           SQLite store (default ./n1digest.db)\n"
            "  --rules FILE        rule file over the built-in defaults\n"
            "  --gap MS            a loop ends after MS ms without an\n"
            "                      iteration (default: max_gap_ms, 2000)\n"
            "  -h, --help          show this help\n"
            "\n"
            "SIGINT/SIGTERM: a last poll, the open loops reported, commit,\n"
            "exit 0.\n"
            "\n"
            "exit status: 0 stopped by a signal, 2 usage or system error,\n"
            "3 a rule file is bad, 5 the server could not be reached or\n"
            "the connection was lost for longer than --reconnect-max, 6\n"
            "the source is not set up (the message says what to turn on)\n"
            "or a grant is missing.\n");
}

/* What live's own options set. */
struct live_own {
    struct n1_live_opts *o;
    long gap_ms; /* --gap, -1 when not given */
};

enum {
    OPT_SOURCE = 1,
    OPT_INTERVAL,
    OPT_GAP,
    OPT_RECONNECT
};

static int live_option(void *ud, int c, const char *arg)
{
    struct live_own *lo = ud;
    double v;

    switch (c) {
    case OPT_SOURCE:
        if (n1_server_source_find(arg) == NULL) {
            cli_errorf("USAGE --source: perfschema or table, got '%s'", arg);
            return -1;
        }
        lo->o->kind = n1_server_source_find(arg)->kind;
        return 0;
    case OPT_INTERVAL:
        return cli_positive_option("--interval", "a number", arg, 3600,
                                   &lo->o->interval_s);
    case OPT_RECONNECT:
        if (strcmp(arg, "0") == 0) {
            lo->o->reconnect_max_s = 0;
            return 0;
        }
        return cli_positive_option("--reconnect-max", "a number", arg, 86400,
                                   &lo->o->reconnect_max_s);
    default:
        if (cli_positive_option("--gap", "a number", arg, 86400000, &v) != 0) {
            return -1;
        }
        lo->gap_ms = (long)v;
        return 0;
    }
}

/* Parses argv into lo->o and the rule files. Returns -1 to go on, or the
   exit status to end with. */
static int parse_args(int argc, char **argv, struct live_own *lo,
                      struct cli_common_opts *co)
{
    static const struct option own[] = {
        {"source", required_argument, NULL, OPT_SOURCE},
        {"interval", required_argument, NULL, OPT_INTERVAL},
        {"gap", required_argument, NULL, OPT_GAP},
        {"reconnect-max", required_argument, NULL, OPT_RECONNECT},
        {NULL, 0, NULL, 0},
    };
    const struct cli_command cmd = {
        "live",
        CLI_TAKES_DB | CLI_TAKES_FORMAT | CLI_TAKES_RULES | CLI_TAKES_CONN,
        own,
        live_option,
        lo,
        usage,
    };
    struct n1_reader_opts ro;
    int status;

    memset(&ro, 0, sizeof(ro));
    status = cli_parse_options(argc, argv, &cmd, &ro, co);
    if (status >= 0) {
        return status;
    }
    if (co->db_path != NULL) {
        lo->o->db_path = co->db_path;
    }
    lo->o->json = co->format == FORMAT_JSON;
    if (optind != argc) {
        cli_errorf("USAGE live: takes no operands (see 'n1digest live "
                   "--help')");
        return N1_EXIT_USAGE;
    }
    return -1;
}

/* The store name of the source, "KIND://host[:port]": the same server
   gets the same name. */
static void source_name(const char *kind, const struct n1_server_opts *so,
                        char *buf, size_t cap)
{
    if (so->host != NULL && so->port != 0) {
        snprintf(buf, cap, "%s://%s:%u", kind, so->host, so->port);
    } else {
        snprintf(buf, cap, "%s://%s", kind,
                 so->host != NULL     ? so->host
                 : so->socket != NULL ? so->socket
                                      : "localhost");
    }
}

/* The exit status of a failed run. */
static int fail_status(const char *kind, enum n1_server_fail fail,
                       const struct n1_error *err)
{
    if (fail == N1_SERVER_FAIL_SETUP && strcmp(kind, "perfschema") == 0) {
        cli_notice(NULL, N1_NOTICE_NOTE,
                   "or start the server with --performance-schema=ON "
                   "--performance-schema-consumer-events-statements-current"
                   "=ON --performance-schema-consumer-events-statements-"
                   "history-long=ON (see docs/live.md)");
    }
    return cli_conn_status(fail, err);
}

static void print_stopped(const struct n1_live *l)
{
    const struct n1_live_stats *s = n1_live_stats(l);

    fprintf(stderr,
            "n1digest: stopped: %llu polls, %llu statements counted, "
            "%llu findings reported, %llu statements lost, %llu cut, "
            "%llu in stored programs skipped, %llu outages\n",
            (unsigned long long)s->polls, (unsigned long long)s->statements,
            (unsigned long long)s->findings, (unsigned long long)s->lost,
            (unsigned long long)s->cut, (unsigned long long)s->nested,
            (unsigned long long)s->outages);
}

int cmd_live(int argc, char **argv)
{
    struct n1_live_opts o;
    struct live_own lo;
    struct n1_live *l = NULL;
    struct n1_rules *rules_in_force = NULL;
    struct cli_common_opts co;
    enum n1_server_fail fail = N1_SERVER_FAIL_NONE;
    char source[300];
    struct n1_error err;
    int status;

    n1_err_clear(&err);
    n1_live_opts_default(&o);
    memset(&lo, 0, sizeof(lo));
    lo.o = &o;
    lo.gap_ms = -1;
    o.notice = cli_notice;
    o.stop = cli_stop_polled;
    status = parse_args(argc, argv, &lo, &co);
    if (status < 0 && cli_conn_finish(&co.conn) != 0) {
        status = N1_EXIT_USAGE;
    }
    o.server = co.conn.so;
    if (status >= 0) {
        goto out;
    }
    rules_in_force = n1_engine_rules(co.rules.v, co.rules.n, &err);
    if (rules_in_force == NULL) {
        cli_error(&err);
        status = cli_exit_for(&err);
        goto out;
    }
    n1_rules_apply(rules_in_force, &o.detect);
    if (lo.gap_ms > 0) {
        o.detect.max_gap_ms = (unsigned)lo.gap_ms;
    }
    source_name(o.kind, &o.server, source, sizeof(source));
    o.source = source;
    l = n1_live_new(&o, &err);
    if (l != NULL) {
        cli_signals_install(0);
    }
    if (l == NULL || n1_live_run(l, &fail, &err) != 0) {
        cli_error(&err);
        status = fail_status(o.kind, fail, &err);
        goto out;
    }
    print_stopped(l);
    status = N1_EXIT_OK;
out:
    n1_live_free(l);
    n1_rules_free(rules_in_force);
    cli_conn_wipe(&co.conn);
    return status;
}
