/* SPDX-License-Identifier: MIT */
/*
 * cmd_ingest.c: `n1digest ingest`: read logs into the store and list the
 * busiest fingerprint classes.
 *
 * This is the plain loading step that digest and analyze build on; its
 * output is a short table so that a user sees what was stored.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/pipeline.h"
#include "stats/aggregate.h"
#include "store/store.h"

#define TOP_MAX 100

struct top_row {
    char hex[17];   /* fingerprint id */
    uint64_t count; /* executions */
    double time;    /* total Query_time, NaN without timings */
    char text[61];  /* fingerprint text, cut for the terminal */
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: n1digest ingest [options] LOG...\n"
            "\n"
            "Reads general or slow query logs (a path, - for stdin, .gz\n"
            "files) into the store and prints the busiest fingerprints.\n"
            "A file the store has read before is skipped; one that grew is\n"
            "resumed where the last run stopped.\n"
            "\n"
            "options:\n"
            "  --db PATH          SQLite store (default ./n1digest.db;\n"
            "                     :memory: keeps nothing)\n"
            "  --reset            drop stored data of another fingerprint\n"
            "                     version instead of refusing\n"
            "  --reread           read inputs even if already stored\n"
            "  --top N            fingerprints to list (default 10)\n");
    cli_reader_usage(out, 21);
    fprintf(out, "  -h, --help         show this help\n");
}

/* Keeps the n busiest classes by count in rows (sorted descending). */
static void top_insert(struct top_row *rows, size_t *n, size_t max,
                       const struct n1_agg_class *c)
{
    size_t i = *n;

    if (i == max) {
        if (rows[max - 1].count >= c->count) {
            return;
        }
        i = max - 1;
    } else {
        (*n)++;
    }
    while (i > 0 && rows[i - 1].count < c->count) {
        rows[i] = rows[i - 1];
        i--;
    }
    memcpy(rows[i].hex, c->hex, sizeof(rows[i].hex));
    rows[i].count = c->count;
    rows[i].time =
        c->m[N1_M_QUERY_TIME].n > 0 ? c->m[N1_M_QUERY_TIME].sum : NAN;
    snprintf(rows[i].text, sizeof(rows[i].text), "%s",
             c->text != NULL ? c->text : "");
}

static int print_top(struct n1_store *st, size_t max, struct n1_error *err)
{
    struct n1_store_cursor *cur = NULL;
    const struct n1_agg_class *c;
    struct top_row *rows = NULL;
    size_t n = 0;
    int got;
    int rc = -1;

    rows = calloc(max, sizeof(*rows));
    if (rows == NULL) {
        n1_err_oom(err, "listing the files");
        goto out;
    }
    cur = n1_store_classes(st, err);
    if (cur == NULL) {
        goto out;
    }
    while ((got = n1_store_next_class(cur, &c, err)) == 1) {
        top_insert(rows, &n, max, c);
    }
    if (got < 0) {
        goto out;
    }
    printf("%-16s %10s %12s  %s\n", "fingerprint", "count", "time (s)",
           "statement");
    for (size_t i = 0; i < n; i++) {
        char tbuf[32];

        if (isnan(rows[i].time)) {
            snprintf(tbuf, sizeof(tbuf), "-");
        } else {
            snprintf(tbuf, sizeof(tbuf), "%.6f", rows[i].time);
        }
        printf("%-16s %10llu %12s  %s\n", rows[i].hex,
               (unsigned long long)rows[i].count, tbuf, rows[i].text);
    }
    rc = 0;

out:
    n1_store_cursor_free(cur);
    free(rows);
    return rc;
}

/* Its own option: --top N into *(long *)ud. */
static int ingest_option(void *ud, int c, const char *arg)
{
    long *top = ud;
    char *end = NULL;

    (void)c;
    *top = strtol(arg, &end, 10);
    if (*end != '\0' || *top < 1 || *top > TOP_MAX) {
        cli_errorf("USAGE --top: expected 1..%d, got '%s'", TOP_MAX, arg);
        return -1;
    }
    return 0;
}

int cmd_ingest(int argc, char **argv)
{
    static const struct option own[] = {
        {"top", required_argument, NULL, 't'},
        {NULL, 0, NULL, 0},
    };
    long top = 10;
    const struct cli_command cmd = {
        "ingest",
        CLI_TAKES_DB | CLI_TAKES_RESET | CLI_TAKES_REREAD | CLI_TAKES_READER |
            CLI_TAKES_LOGS,
        own,
        ingest_option,
        &top,
        usage,
    };
    struct n1_pipeline_opts opts;
    struct cli_common_opts co;
    struct n1_pipeline *p = NULL;
    struct n1_error err;
    int status;

    n1_err_clear(&err);
    cli_pipeline_opts(&opts);
    status = cli_parse_options(argc, argv, &cmd, &opts.reader, &co);
    if (status >= 0) {
        return status;
    }
    status = N1_EXIT_USAGE;
    if (co.db_path != NULL) {
        opts.db_path = co.db_path;
    }
    opts.reset_store = co.reset;
    opts.reread = co.reread;
    opts.reader = co.reader;
    p = cli_pipeline_run(&opts, argv + optind, (size_t)(argc - optind), 0,
                         &status);
    if (p == NULL) {
        goto out;
    }
    if (print_top(n1_pipeline_store(p), (size_t)top, &err) != 0) {
        cli_error(&err);
        goto out;
    }
    cli_print_summary(n1_pipeline_stats(p));
    status = n1_pipeline_exit_status(p);

out:
    n1_pipeline_free(p);
    return status;
}
