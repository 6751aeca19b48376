/* SPDX-License-Identifier: MIT */
/*
 * cmd_verify.c: `n1digest verify`: checks the rewrites of an analyze JSON
 * report (or of logs it analyzes itself, in memory) on a server
 * (engine/verify.h), prints a verdict per rewrite and keeps the verdict
 * of each finding in the store.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli/cli.h"
#include "engine/analyze_run.h"
#include "engine/pipeline.h"
#include "engine/verify.h"
#include "report/classes.h"
#include "store/store.h"

/* Largest report read. */
#define MAX_REPORT (512u << 20)

static void usage(FILE *out)
{
    fprintf(out,
            "usage: n1digest verify [options] REPORT.json | LOG...\n"
            "\n"
            "Checks each N+1 and fan-out rewrite of an analyze JSON report\n"
            "(n1digest analyze --format json), or of the LOGs analyzed in\n"
            "memory, on a server: the loop rebuilt from its keys and the\n"
            "rewrite run in a READ ONLY transaction with a time limit, their\n"
            "rows compared, EXPLAIN of both (see docs/verify.md).\n"
            "\n"
            "options:\n"
            "  --id ID             only the finding with this id\n"
            "  --database DB       the application's schema (the default\n"
            "                      database of the statements)\n"
            "  --timeout S         statement time limit in seconds\n"
            "                      (default 5)\n"
            "  --allow-writes      also check INSERT, UPDATE and DELETE, in a\n"
            "                      transaction that is always rolled back\n");
    cli_conn_usage(out);
    fprintf(out,
            "  --format FMT        text (default) or json\n"
            "  --db PATH           SQLite store the verdicts go to (default\n"
            "                      ./n1digest.db)\n"
            "  -h, --help          show this help\n"
            "\n"
            "exit status: 0 every finding checked is verified (skipped ones\n"
            "are printed), 1 one differs or failed, 2 usage or system\n"
            "error, 3 the report is not an analyze JSON report, 5 the\n"
            "server could not be reached or the connection was lost, 6 the\n"
            "session could not be set up.\n");
}

struct verify_own {
    const char *id; /* --id, NULL: every finding */
    struct n1_verify_opts o;
};

enum {
    OPT_ID = 1,
    OPT_TIMEOUT,
    OPT_ALLOW_WRITES,
    OPT_DATABASE = 'D'
};

static int verify_option(void *ud, int c, const char *arg)
{
    struct verify_own *vo = ud;

    switch (c) {
    case OPT_ID:
        if (strlen(arg) != 16 || strspn(arg, "0123456789abcdefABCDEF") != 16) {
            cli_errorf("USAGE --id: expected 16 hex digits, got '%s'", arg);
            return -1;
        }
        vo->id = arg;
        return 0;
    case OPT_TIMEOUT:
        return cli_positive_option("--timeout", "seconds", arg, 86400,
                                   &vo->o.timeout_s);
    case OPT_DATABASE:
        vo->o.database = arg;
        return 0;
    default:
        vo->o.allow_writes = 1;
        return 0;
    }
}

static int parse_args(int argc, char **argv, struct verify_own *vo,
                      struct cli_common_opts *co)
{
    static const struct option own[] = {
        {"id", required_argument, NULL, OPT_ID},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"allow-writes", no_argument, NULL, OPT_ALLOW_WRITES},
        {"database", required_argument, NULL, OPT_DATABASE},
        {NULL, 0, NULL, 0},
    };
    const struct cli_command cmd = {
        "verify", CLI_TAKES_DB | CLI_TAKES_FORMAT | CLI_TAKES_CONN,
        own,      verify_option,
        vo,       usage,
    };
    struct n1_reader_opts ro;
    int status;

    memset(&ro, 0, sizeof(ro));
    status = cli_parse_options(argc, argv, &cmd, &ro, co);
    if (status >= 0) {
        return status;
    }
    if (optind >= argc) {
        cli_errorf("USAGE verify: expected a REPORT.json or LOG operand (see "
                   "'n1digest verify --help')");
        return N1_EXIT_USAGE;
    }
    return -1;
}

/* Reads the whole file path into *buf (caller frees). Returns 0, or -1
   after printing why. */
static int read_all(const char *path, char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *b = NULL;
    size_t n = 0;
    size_t cap = 0;

    if (f == NULL) {
        cli_errorf("SYSTEM %s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    for (;;) {
        size_t got;

        if (n == cap) {
            char *nb =
                cap < MAX_REPORT ? realloc(b, cap ? cap * 2 : 65536) : NULL;

            if (nb == NULL) {
                cli_errorf("SYSTEM %s: too big or out of memory", path);
                free(b);
                fclose(f);
                return -1;
            }
            b = nb;
            cap = cap ? cap * 2 : 65536;
        }
        got = fread(b + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            break;
        }
    }
    if (ferror(f)) {
        cli_errorf("SYSTEM %s: read error", path);
        free(b);
        fclose(f);
        return -1;
    }
    fclose(f);
    *buf = b;
    *len = n;
    return 0;
}

/* 1 when the file starts (after blanks) with '{': a JSON report. */
static int looks_json(const char *path)
{
    FILE *f = fopen(path, "rb");
    int c = EOF;

    if (f == NULL) {
        return 0;
    }
    do {
        c = getc(f);
    } while (c == ' ' || c == '\t' || c == '\n' || c == '\r');
    fclose(f);
    return c == '{';
}

/* Analyzes the LOGs in memory into the JSON report text (caller frees
 *json). Returns -1, or the exit status after printing the error. */
static int analyze_logs(char **paths, size_t n, char **json, size_t *len)
{
    struct n1_analyze_opts ao;
    struct n1_analyze_run run;
    struct n1_class_set set;
    struct n1_class_report r;
    struct n1_report_input *rep = NULL;
    struct n1_error err;
    FILE *mem = NULL;
    int status = -1;

    n1_err_clear(&err);
    memset(&ao, 0, sizeof(ao));
    memset(&run, 0, sizeof(run));
    memset(&set, 0, sizeof(set));
    memset(&r, 0, sizeof(r));
    cli_pipeline_opts(&ao.pipeline);
    ao.pipeline.db_path = ":memory:";
    *json = NULL;
    if (n1_analyze_run(&ao, paths, n, &run, &err) != 0 ||
        n1_classes_build(n1_pipeline_store(run.p), NULL, NULL, &set, &err) !=
            0) {
        cli_error(&err);
        status = cli_exit_for(&err);
        goto out;
    }
    rep = n1_analyze_report_inputs(&run);
    mem = open_memstream(json, len);
    r.st = n1_pipeline_store(run.p);
    r.in = rep;
    r.n_in = run.n_in;
    if (rep == NULL || mem == NULL ||
        n1_report_classes_json(mem, &set, &r, &err) != 0) {
        cli_errorf("SYSTEM out of memory building the report");
        status = N1_EXIT_USAGE;
    }
    cli_print_summary(n1_pipeline_stats(run.p));
out:
    if (mem != NULL) {
        fclose(mem);
    }
    if (status >= 0) {
        free(*json);
        *json = NULL;
    }
    free(rep);
    n1_classes_free(&set);
    n1_analyze_run_cleanup(&run);
    return status;
}

/* The report's targets, from REPORT.json or the LOGs. Returns -1 to go
   on, or the exit status to end with. */
static int load_targets(char **ops, size_t n, const struct verify_own *vo,
                        struct n1_verify_report *rep)
{
    struct n1_error err;
    char *text = NULL;
    size_t len = 0;
    int status = -1;
    int json = n == 1 && looks_json(ops[0]);

    n1_err_clear(&err);
    if (json && read_all(ops[0], &text, &len) < 0) {
        return N1_EXIT_USAGE;
    }
    if (!json) {
        status = analyze_logs(ops, n, &text, &len);
        if (status >= 0) {
            return status;
        }
    }
    if (n1_verify_report_parse(text, len, json ? ops[0] : "the logs", vo->id,
                               rep, &err) != 0) {
        cli_error(&err);
        status = cli_exit_for(&err);
    }
    free(text);
    return status;
}

/* What an index costs, printed beside the advice. */
#define INDEX_NOTE                                                          \
    "not run: an index makes every INSERT, UPDATE and DELETE of the table " \
    "a little slower and takes space; weigh it against the lookups"

static void print_text(FILE *out, const struct n1_verify_target *t,
                       const struct n1_verify_result *res)
{
    fprintf(out, "%-8s %s %s %s %s", n1_verdict_name(res->verdict), t->id,
            t->kind, t->statement, t->table[0] != '\0' ? t->table : "-");
    if (t->occurrence > 0) {
        fprintf(out, " (occurrence %d)", t->occurrence);
    }
    fprintf(out, ": %s\n", res->detail);
    if (res->parent[0] != '\0') {
        fprintf(out, "  %s\n", res->parent);
    }
    if (res->plan[0] != '\0') {
        fprintf(out, "  plan: %s\n", res->plan);
    }
    if (res->index_sql[0] != '\0') {
        fprintf(out, "  index advice: %s;\n    (%s)\n", res->index_sql,
                INDEX_NOTE);
    }
}

/* One entry of "results"; NULL when memory ran out. */
static json_t *result_json(const struct n1_verify_target *t,
                           const struct n1_verify_result *res)
{
    json_t *o = json_pack(
        "{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "id", t->id,
        "occurrence", t->occurrence, "kind", t->kind, "statement", t->statement,
        "table", t->table, "verdict", n1_verdict_name(res->verdict), "detail",
        res->detail, "statements", (json_int_t)res->statements, "loop_rows",
        (json_int_t)res->loop_rows, "rewrite_rows", (json_int_t)res->rw_rows);

    if (o == NULL) {
        return NULL;
    }
    if ((res->plan[0] != '\0' &&
         json_object_set_new(o, "plan", json_string(res->plan)) != 0) ||
        (res->parent[0] != '\0' &&
         json_object_set_new(o, "parent", json_string(res->parent)) != 0) ||
        (res->index_sql[0] != '\0' &&
         json_object_set_new(o, "index_advice", json_string(res->index_sql)) !=
             0)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Worse verdicts rank higher: what a finding is stored as. */
static int rank(enum n1_verdict v)
{
    return v == N1_VERDICT_DIFFERS   ? 3
           : v == N1_VERDICT_FAILED  ? 2
           : v == N1_VERDICT_SKIPPED ? 1
                                     : 0;
}

/* Counts per verdict. */
struct tally {
    size_t n[4];
};

/* Where the verdicts go and what they say. */
struct run_state {
    struct n1_store *st;   /* NULL when the store could not open */
    char where[256];       /* the host, for the store and messages */
    char last_id[17];      /* the finding whose verdict is pending */
    enum n1_verdict worst; /* its worst verdict so far */
    char detail[512];      /* that verdict's detail */
    struct tally tally;
    json_t *results; /* --format json */
};

/* Stores the pending finding's verdict. Returns 0, or -1 after printing
   the error. */
static int flush_verdict(struct run_state *rs)
{
    struct n1_store_verdict v;
    struct n1_error err;

    if (rs->st == NULL || rs->last_id[0] == '\0') {
        return 0;
    }
    n1_err_clear(&err);
    memset(&v, 0, sizeof(v));
    v.id = strtoull(rs->last_id, NULL, 16);
    snprintf(v.verdict, sizeof(v.verdict), "%s", n1_verdict_name(rs->worst));
    snprintf(v.detail, sizeof(v.detail), "%s", rs->detail);
    snprintf(v.host, sizeof(v.host), "%s", rs->where);
    v.verified_at = (int64_t)time(NULL);
    rs->last_id[0] = '\0';
    if (n1_store_verdict_put(rs->st, &v, &err) != 0) {
        cli_error(&err);
        return -1;
    }
    return 0;
}

/* Records one target's outcome. Returns 0, or -1 after an error. */
static int record(struct run_state *rs, const struct n1_verify_target *t,
                  const struct n1_verify_result *res)
{
    rs->tally.n[res->verdict]++;
    if (strcmp(rs->last_id, t->id) != 0) {
        if (flush_verdict(rs) < 0) {
            return -1;
        }
        snprintf(rs->last_id, sizeof(rs->last_id), "%s", t->id);
        rs->worst = res->verdict;
        snprintf(rs->detail, sizeof(rs->detail), "%s", res->detail);
    } else if (rank(res->verdict) > rank(rs->worst)) {
        rs->worst = res->verdict;
        snprintf(rs->detail, sizeof(rs->detail), "%s", res->detail);
    }
    if (rs->results != NULL) {
        json_t *o = result_json(t, res);

        if (o == NULL || json_array_append_new(rs->results, o) != 0) {
            cli_oom("printing the results");
            return -1;
        }
        return 0;
    }
    print_text(stdout, t, res);
    return 0;
}

/* Checks every target. Returns -1 when done, or the exit status. */
static int check_all(struct n1_verifier *v, const struct n1_verify_report *rep,
                     struct run_state *rs)
{
    struct n1_verify_result res;
    enum n1_server_fail fail = N1_SERVER_FAIL_NONE;
    struct n1_error err;

    n1_err_clear(&err);
    for (size_t i = 0; i < rep->n; i++) {
        if (cli_stop_polled(NULL)) {
            cli_errorf("stopped by a signal after %zu of %zu checks", i,
                       rep->n);
            return N1_EXIT_USAGE;
        }
        if (n1_verifier_check(v, &rep->v[i], &res, &fail, &err) != 0) {
            cli_error(&err);
            return cli_conn_status(fail, &err);
        }
        if (record(rs, &rep->v[i], &res) < 0) {
            return N1_EXIT_USAGE;
        }
    }
    return flush_verdict(rs) < 0 ? N1_EXIT_USAGE : -1;
}

/* Prints the JSON document or the summary; returns the exit status. */
static int finish(struct run_state *rs, const struct n1_verifier *v)
{
    const size_t *n = rs->tally.n;

    if (rs->results != NULL) {
        json_t *doc =
            json_pack("{s:s, s:s, s:O}", "server", n1_verifier_server(v),
                      "host", rs->where, "results", rs->results);

        if (doc == NULL || cli_print_json_line(doc, JSON_INDENT(2)) != 0) {
            json_decref(doc);
            cli_oom("printing the results");
            return N1_EXIT_USAGE;
        }
        json_decref(doc);
    }
    fprintf(stderr,
            "n1digest: verify on %s (%s): %zu verified, %zu differ, "
            "%zu failed, %zu skipped\n",
            rs->where, n1_verifier_server(v), n[N1_VERDICT_VERIFIED],
            n[N1_VERDICT_DIFFERS], n[N1_VERDICT_FAILED], n[N1_VERDICT_SKIPPED]);
    return n[N1_VERDICT_DIFFERS] + n[N1_VERDICT_FAILED] > 0 ? N1_EXIT_FINDINGS
                                                            : N1_EXIT_OK;
}

/* Connects, checks and reports. Returns the exit status. */
static int verify(const struct verify_own *vo, const struct cli_common_opts *co,
                  const struct n1_verify_report *rep)
{
    struct n1_verifier *v = NULL;
    enum n1_server_fail fail = N1_SERVER_FAIL_NONE;
    struct run_state rs;
    struct n1_error err;
    int status;

    n1_err_clear(&err);
    memset(&rs, 0, sizeof(rs));
    n1_conn_where(&co->conn.so, rs.where, sizeof(rs.where));
    v = n1_verifier_open(&co->conn.so, &vo->o, &fail, &err);
    if (v == NULL) {
        cli_error(&err);
        return cli_conn_status(fail, &err);
    }
    rs.st = n1_store_open(co->db_path != NULL ? co->db_path : "n1digest.db",
                          NULL, &err);
    if (rs.st == NULL) {
        cli_error(&err);
        status = cli_exit_for(&err);
        goto out;
    }
    if (co->format == FORMAT_JSON) {
        rs.results = json_array();
        if (rs.results == NULL) {
            cli_oom("printing the results");
            status = N1_EXIT_USAGE;
            goto out;
        }
    }
    cli_signals_install(0);
    status = check_all(v, rep, &rs);
    if (status < 0) {
        status = finish(&rs, v);
    }
out:
    json_decref(rs.results);
    n1_store_close(rs.st);
    n1_verifier_free(v);
    return status;
}

int cmd_verify(int argc, char **argv)
{
    struct verify_own vo;
    struct cli_common_opts co;
    struct n1_verify_report rep;
    int status;

    memset(&vo, 0, sizeof(vo));
    memset(&rep, 0, sizeof(rep));
    vo.o.timeout_s = 5;
    status = parse_args(argc, argv, &vo, &co);
    if (status < 0 && cli_conn_finish(&co.conn) != 0) {
        status = N1_EXIT_USAGE;
    }
    if (status >= 0) {
        goto out;
    }
    status = load_targets(argv + optind, (size_t)(argc - optind), &vo, &rep);
    if (status >= 0) {
        goto out;
    }
    if (rep.n == 0) {
        fprintf(stderr,
                "n1digest: verify: no N+1 or fan-out finding%s to "
                "check\n",
                vo.id != NULL ? " with that id" : "");
        status = N1_EXIT_OK;
        goto out;
    }
    status = verify(&vo, &co, &rep);
out:
    n1_verify_report_cleanup(&rep);
    cli_conn_wipe(&co.conn);
    return status;
}
