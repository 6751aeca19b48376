/* SPDX-License-Identifier: MIT */
/*
 * cmd_events.c: "n1digest events": print the events read from query logs.
 *
 * Each LOG is read with its own reader, in order; events go to stdout as
 * one tab-separated line each, or as JSON Lines with --format json (the form
 * the integration tests read back). Warnings go to stderr as they
 * happen, and one summary line per file follows at the end. Nothing is
 * stored or aggregated here.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/textutil.h"
#include "base/timeutil.h"
#include "cli/cli.h"
#include "read/reader.h"

struct events_opts {
    int json;                     /* --json */
    struct n1_reader_opts reader; /* --max-statement, --tz-offset */
};

/* What the summary at the end says about one file. */
struct file_summary {
    const char *path;              /* argv entry */
    enum n1_flavour flavour;       /* as detected */
    struct n1_reader_stats stats;  /* final counters */
    enum n1_tz_source tz;          /* how its local times were read */
    char tz_label[N1_TZ_NAME_MAX]; /* in which zone */
};

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: n1digest events [--format FMT] [--max-statement BYTES]\n"
        "                     [--tz-offset OFFSET | --tz ZONE] LOG...\n"
        "\n"
        "Prints every event read from MySQL/MariaDB general or slow\n"
        "query logs (plain or gzip; \"-\" reads stdin), one per line.\n"
        "\n"
        "options:\n"
        "  --format FMT           text (default) or json: JSON Lines:\n"
        "                         file, line, offset, end_offset, ts,\n"
        "                         conn, cmd, command, user, host, db,\n"
        "                         sql, metrics, attrs, truncated\n"
        "  --json                 same as --format json\n"
        "  --max-statement BYTES  skip statements longer than this\n"
        "                         (default 16777216)\n"
        "  --tz-offset OFFSET     the server's UTC offset, for logs that\n"
        "                         print local time (MariaDB, MySQL <= 5.6):\n"
        "                         seconds (3600), -5h, +05:30 or -0500\n"
        "  --tz ZONE              the server's time zone (Europe/Berlin),\n"
        "                         daylight saving time included\n"
        "  -h, --help             show this help\n"
        "\n"
        "A summary line per file goes to stderr at the end.\n"
        "\n"
        "exit status:\n"
        "  0  every input read in full\n"
        "  2  usage or system error\n"
        "  3  an input could not be opened or is not a query log\n"
        "  4  finished, but some lines or events were skipped\n");
}

/* Parses a decimal integer option value; returns 0 or -1. */
static int parse_long(const char *s, long min, long max, long *out)
{
    char *end = NULL;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
        return -1;
    }
    *out = v;
    return 0;
}

/* ---- text output ---------------------------------------------------- */

static void put_escaped(FILE *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '\\') {
            fputs("\\\\", out);
        } else if (c == '\n') {
            fputs("\\n", out);
        } else if (c == '\t') {
            fputs("\\t", out);
        } else if (c == '\r') {
            fputs("\\r", out);
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(out, "\\x%02x", c);
        } else {
            fputc(c, out);
        }
    }
}

/* Formats ts as ISO-8601 UTC with microseconds into buf; 0 if it has none. */
static int format_ts(int64_t us, char buf[N1_TS_ISO_MAX])
{
    return us != N1_TS_NONE &&
           n1_ts_format_iso(us, N1_TS_FRAC_ALWAYS, buf) == 0;
}

static void print_text(const struct n1_event *ev)
{
    char ts[N1_TS_ISO_MAX];

    if (!format_ts(ev->ts_us, ts)) {
        snprintf(ts, sizeof(ts), "-");
    }
    printf("%s:%lu\t%s\t%" PRIu64 "\t%s\t", ev->file, ev->line, ts, ev->conn_id,
           n1_command_name(ev->cmd));
    put_escaped(stdout, ev->db, strlen(ev->db));
    putchar('\t');
    put_escaped(stdout, ev->sql, ev->sql_len);
    putchar('\n');
}

/* ---- JSON output ---------------------------------------------------- */

static json_t *json_cstr(const char *s)
{
    return n1_json_text(s, strlen(s));
}

/* Metrics that count things are integers in JSON; times stay reals. */
static json_t *json_metric(enum n1_metric m, double v)
{
    if (m != N1_M_QUERY_TIME && m != N1_M_LOCK_TIME && v >= 0 &&
        v < 9007199254740992.0 && v == (double)(json_int_t)v) {
        return json_integer((json_int_t)v);
    }
    return json_real(v);
}

static int print_json(const struct n1_event *ev)
{
    json_t *o = json_object();
    json_t *metrics = json_object();
    json_t *attrs = json_object();
    char ts[N1_TS_ISO_MAX];
    int rc = -1;

    if (o == NULL || metrics == NULL || attrs == NULL) {
        goto out;
    }
    json_object_set_new(o, "file", json_cstr(ev->file));
    json_object_set_new(o, "line", json_integer((json_int_t)ev->line));
    json_object_set_new(o, "offset", json_integer((json_int_t)ev->offset));
    json_object_set_new(o, "end_offset",
                        json_integer((json_int_t)ev->end_offset));
    json_object_set_new(
        o, "ts", format_ts(ev->ts_us, ts) ? json_string(ts) : json_null());
    json_object_set_new(o, "conn", json_integer((json_int_t)ev->conn_id));
    json_object_set_new(o, "cmd", json_string(n1_command_name(ev->cmd)));
    json_object_set_new(o, "command", json_cstr(ev->command));
    json_object_set_new(o, "user", json_cstr(ev->user));
    json_object_set_new(o, "host", json_cstr(ev->host));
    json_object_set_new(o, "db", json_cstr(ev->db));
    json_object_set_new(o, "sql", n1_json_text(ev->sql, ev->sql_len));
    for (int m = 0; m < N1_M_COUNT; m++) {
        if (ev->metric_mask & (1u << m)) {
            json_object_set_new(metrics, n1_metric_name((enum n1_metric)m),
                                json_metric((enum n1_metric)m, ev->metric[m]));
        }
    }
    for (size_t i = 0; i < ev->n_attrs; i++) {
        /* A name given twice keeps its last value. */
        json_object_set_new(attrs, ev->attrs[i].name,
                            json_cstr(ev->attrs[i].value));
    }
    json_object_set(o, "metrics", metrics);
    json_object_set(o, "attrs", attrs);
    json_object_set_new(o, "truncated",
                        json_boolean(ev->flags & N1_EV_TRUNCATED));
    rc = cli_print_json_line(o, JSON_COMPACT | JSON_REAL_PRECISION(15));
out:
    json_decref(metrics);
    json_decref(attrs);
    json_decref(o);
    return rc;
}

/* ---- driver --------------------------------------------------------- */

/*
 * Reads one file. Returns N1_EXIT_OK, N1_EXIT_INPUT (not opened, not a
 * log, or a read error) or N1_EXIT_USAGE (output failed); *sum is filled
 * when the file was opened.
 */
static int run_file(const char *path, const struct events_opts *eo,
                    struct file_summary *sum, int *opened)
{
    struct n1_reader *r = NULL;
    struct n1_error err;
    struct n1_event ev;
    int status = N1_EXIT_OK;
    int rc;

    *opened = 0;
    n1_err_clear(&err);
    r = n1_reader_open(path, &eo->reader, &err);
    if (r == NULL) {
        cli_error(&err);
        status = N1_EXIT_INPUT;
        goto out;
    }
    *opened = 1;
    while ((rc = n1_reader_next(r, &ev, &err)) == 1) {
        if (eo->json) {
            if (print_json(&ev) != 0) {
                cli_errorf("SYSTEM cannot write the output");
                status = N1_EXIT_USAGE;
                break;
            }
        } else {
            print_text(&ev);
        }
    }
    if (rc < 0) {
        cli_error(&err);
        status = N1_EXIT_INPUT;
    }
    sum->path = path;
    sum->flavour = n1_reader_flavour(r);
    sum->stats = *n1_reader_stats(r);
    {
        struct n1_tz tz;

        sum->tz = n1_reader_tz_source(r, &tz);
        n1_tz_label(&tz, sum->tz_label, sizeof(sum->tz_label));
    }
out:
    n1_reader_close(r);
    return status;
}

/* The value of a --NAME or --NAME=VALUE option at argv[*i] (advancing
 *i past a separate value), or NULL after a USAGE error. */
static const char *option_value(int argc, char **argv, int *i)
{
    const char *eq = strchr(argv[*i], '=');

    if (eq != NULL) {
        return eq + 1;
    }
    if (*i + 1 < argc) {
        return argv[++*i];
    }
    cli_errorf("USAGE %s needs a value", argv[*i]);
    return NULL;
}

/* 1 when a, as "--NAME" or "--NAME=...", names the option name. */
static int is_option(const char *a, const char *name)
{
    size_t n = strlen(name);

    return strncmp(a, name, n) == 0 && (a[n] == '\0' || a[n] == '=');
}

/* One option that takes a value, at argv[*i]. Returns 0, or -1 after a
   USAGE error. */
static int value_option(int argc, char **argv, int *i, struct events_opts *eo)
{
    const char *a = argv[*i];
    const char *val = option_value(argc, argv, i);
    long v;

    if (val == NULL) {
        return -1;
    }
    if (is_option(a, "--max-statement")) {
        if (parse_long(val, 1, 1L << 30, &v) != 0) {
            cli_errorf("USAGE --max-statement: bad size '%s'", val);
            return -1;
        }
        eo->reader.max_statement = (size_t)v;
        return 0;
    }
    if (is_option(a, "--format")) {
        return cli_format_option(val, &eo->json);
    }
    return cli_zone_option(is_option(a, "--tz"), val, &eo->reader);
}

/*
 * Parses the options before the first LOG (or "--") into *eo and sets
 * *first_file. Returns -1 to go on, or the exit status to end with.
 */
static int parse_options(int argc, char **argv, struct events_opts *eo,
                         int *first_file)
{
    *first_file = argc;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (strcmp(a, "--") == 0) {
            *first_file = i + 1;
            break;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return N1_EXIT_OK;
        }
        if (strcmp(a, "--json") == 0) {
            eo->json = 1;
            continue;
        }
        if (is_option(a, "--max-statement") || is_option(a, "--tz-offset") ||
            is_option(a, "--tz") || is_option(a, "--format")) {
            if (value_option(argc, argv, &i, eo) != 0) {
                return N1_EXIT_USAGE;
            }
            continue;
        }
        if (a[0] == '-' && a[1] != '\0') {
            cli_errorf("USAGE events: unknown option '%s' (see --help)", a);
            return N1_EXIT_USAGE;
        }
        *first_file = i;
        break;
    }
    if (*first_file >= argc) {
        cli_errorf("USAGE events: no log given (see n1digest events --help)");
        return N1_EXIT_USAGE;
    }
    return -1;
}

/* Prints the summary line of each file read; returns 1 when one of them
   skipped lines or events. */
static int print_summaries(const struct file_summary *sums, int n)
{
    int skipped = 0;

    for (int i = 0; i < n; i++) {
        const struct n1_reader_stats *st = &sums[i].stats;

        fprintf(stderr,
                "n1digest: %s: %s: %" PRIu64 " events, %" PRIu64
                " lines skipped, %" PRIu64 " events skipped\n",
                sums[i].path, n1_flavour_name(sums[i].flavour), st->events,
                st->skipped_lines, st->skipped_events);
        if (sums[i].tz == N1_TZSRC_ASSUMED) {
            fprintf(stderr,
                    "n1digest: %s: times read as UTC; give --tz or "
                    "--tz-offset if the server wrote local time\n",
                    sums[i].path);
        } else if (sums[i].tz != N1_TZSRC_NONE) {
            fprintf(stderr, "n1digest: %s: local times read as %s\n",
                    sums[i].path, sums[i].tz_label);
        }
        if (st->skipped_lines > 0 || st->skipped_events > 0) {
            skipped = 1;
        }
    }
    return skipped;
}

int cmd_events(int argc, char **argv)
{
    struct events_opts eo;
    struct file_summary *sums = NULL;
    int n_sums = 0;
    int first_file;
    int status;

    memset(&eo, 0, sizeof(eo));
    eo.reader.warn = cli_warn;
    status = parse_options(argc, argv, &eo, &first_file);
    if (status >= 0) {
        return status;
    }
    status = N1_EXIT_OK;
    sums = calloc((size_t)(argc - first_file), sizeof(*sums));
    if (sums == NULL) {
        cli_oom("listing the files");
        return N1_EXIT_USAGE;
    }
    for (int i = first_file; i < argc; i++) {
        int opened = 0;
        int st = run_file(argv[i], &eo, &sums[n_sums], &opened);

        if (opened) {
            n_sums++;
        }
        if (st == N1_EXIT_USAGE ||
            (st == N1_EXIT_INPUT && status != N1_EXIT_USAGE)) {
            status = st;
        }
    }
    fflush(stdout);
    if (print_summaries(sums, n_sums) && status == N1_EXIT_OK) {
        status = N1_EXIT_SKIPPED;
    }
    free(sums);
    return status;
}
