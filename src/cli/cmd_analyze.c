/* SPDX-License-Identifier: MIT */
/*
 * cmd_analyze.c: `n1scan analyze`: read logs, find N+1 loops, duplicates
 * and fan-outs, keep them in the store and report them.
 *
 * The pipeline reads each input (skipping what the store has read
 * before) and feeds the detectors; their findings are collected in
 * memory, saved to the store in one transaction at the end, and the
 * report is then made from the store: for every input given, the
 * findings the store holds for that file. A file read again from the
 * start (new, replaced, or --reread) has its old findings replaced; a
 * file that grew keeps them and adds the new part's; a file already read
 * to its end is skipped and its stored findings are shown as they were.
 * So running analyze twice on the same logs prints the same findings.
 * Findings of stdin ("-") are stored but shown only by the run that read
 * them, since "-" names a different stream each time.
 *
 * Rules (the built-in defaults, then each --rules file) set the detector
 * thresholds before the run. The store keeps findings as the detectors
 * graded them; the [allow] list, min_total_time_ms and the severities of
 * the rules in force are applied when reporting, so a re-run with other
 * rules judges the stored findings by the new ones.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "detector.h"
#include "finding.h"
#include "pipeline.h"
#include "report_findings.h"
#include "rules.h"
#include "rules_apply.h"
#include "store.h"

#define MAX_RULE_FILES 64

enum out_format { FORMAT_TEXT = 0, FORMAT_JSON };

/* A growable array of owned findings (n1_finding_dup copies). */
struct finding_list {
    struct n1_finding **v; /* owned, each freed with n1_finding_free() */
    size_t n;
    size_t cap;
    int oom; /* 1: a push failed; the list is incomplete */
};

/* One input of the run and what the store says about it. */
struct input {
    const char *path;            /* as given; borrowed from argv */
    struct n1_file_state state;  /* store record after the run, if any */
    int have_state;              /* 1 when state is set */
    enum n1_input_status status; /* what this run did */
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: n1scan analyze [options] LOG...\n"
            "\n"
            "Reads general or slow query logs (a path, - for stdin, .gz\n"
            "files), finds N+1 loops, repeated identical statements and\n"
            "fan-outs over connections, stores them and reports them,\n"
            "most costly first, each with a batched rewrite to paste.\n"
            "A file the store has read before is not read again; its\n"
            "stored findings are reported instead (see docs/analyze.md).\n"
            "\n"
            "options:\n"
            "  --format FMT       text (default) or json\n"
            "  --db PATH          SQLite store (default ./n1scan.db;\n"
            "                     :memory: keeps nothing)\n"
            "  --rules FILE       rule file over the built-in defaults\n"
            "                     (repeatable; see docs/rules.md)\n"
            "  --fail-on-findings exit 1 when anything is found\n"
            "  --reset            drop stored data of another fingerprint\n"
            "                     version instead of refusing\n"
            "  --reread           read inputs even if already stored\n"
            "  --max-statement B  skip statements longer than B bytes\n"
            "  --tz-offset S      seconds east of UTC of the server's local\n"
            "                     time, for logs that print local time\n"
            "  -h, --help         show this help\n"
            "\n"
            "exit status: 0 done (also with findings), 1 findings with\n"
            "--fail-on-findings, 2 usage or system error, 3 an input is\n"
            "not a log, 4 some lines or events could not be read.\n");
}

static void list_push(struct finding_list *l, struct n1_finding *f)
{
    if (f == NULL) {
        l->oom = 1;
        return;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap > 0 ? l->cap * 2 : 16;
        struct n1_finding **v = realloc(l->v, cap * sizeof(*v));

        if (v == NULL) {
            n1_finding_free(f);
            l->oom = 1;
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = f;
}

static void list_free(struct finding_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        n1_finding_free(l->v[i]);
    }
    free(l->v);
    memset(l, 0, sizeof(*l));
}

/* The detectors' sink: keeps a copy of each finding. */
static void collect(void *ud, const struct n1_finding *f)
{
    list_push(ud, n1_finding_dup(f));
}

/*
 * The rules in force (cli_rules_load(): the built-in defaults, then each
 * file in order), with the detector options set from them. Returns the
 * rules, which must outlive the detectors since their ignore patterns
 * point into them, freed with n1_rules_free(); or NULL with err set.
 */
static struct n1_rules *load_rules(char *const *files, size_t n,
                                   struct n1_detect_opts *o,
                                   struct n1_error *err)
{
    struct n1_rules *r = NULL;

    r = cli_rules_load((const char *const *)files, n, err);
    if (r != NULL) {
        n1_rules_apply(r, o);
    }
    return r;
}

/*
 * Applies the rules in force to the findings to report: drops allowed
 * ones and those faster than min_total_time_ms, grades the rest. Prints
 * how many were allowed on stderr.
 */
static void apply_rules(const struct n1_rules *r, struct finding_list *l)
{
    size_t kept = 0;
    size_t allowed = 0;
    size_t fast = 0;

    for (size_t i = 0; i < l->n; i++) {
        struct n1_finding *f = l->v[i];

        if (n1_rules_allows(r, f) != NULL) {
            allowed++;
            n1_finding_free(f);
        } else if (n1_rules_too_fast(r, f)) {
            fast++;
            n1_finding_free(f);
        } else {
            f->severity = n1_rules_severity(r, f);
            l->v[kept++] = f;
        }
    }
    l->n = kept;
    if (allowed > 0 || fast > 0) {
        fprintf(stderr,
                "n1scan: %zu finding%s accepted by [allow] rules, %zu "
                "below min_total_time_ms, not reported\n",
                allowed, allowed == 1 ? "" : "s", fast);
    }
}

/*
 * Looks up the store's record of path: by device and inode when the file
 * can be stat()ed (so a renamed log is found), else by path. Returns 1
 * with *out replaced, 0 when there is none, -1 with err set.
 */
static int lookup(struct n1_store *st, const char *path,
                  struct n1_file_state *out, struct n1_error *err)
{
    struct n1_file_ident id;
    struct stat sb;

    memset(&id, 0, sizeof(id));
    if (strcmp(path, "-") != 0 && stat(path, &sb) == 0) {
        id.dev = (uint64_t)sb.st_dev;
        id.inode = (uint64_t)sb.st_ino;
        return n1_store_file_lookup(st, path, &id, out, err);
    }
    return n1_store_file_lookup(st, path, NULL, out, err);
}

/* Reads one input and works out what happened to it. */
static int read_input(struct pipeline *p, struct input *in,
                      struct n1_error *err)
{
    struct n1_store *st = pipeline_store(p);
    struct n1_file_state prev;
    struct pipeline_stats before = *pipeline_stats(p);
    const struct pipeline_stats *after;
    int had_prev;
    int rc = -1;

    n1_store_file_state_init(&prev);
    had_prev = lookup(st, in->path, &prev, err);
    if (had_prev < 0 || pipeline_read(p, in->path, err) != 0) {
        goto out;
    }
    after = pipeline_stats(p);
    in->have_state = lookup(st, in->path, &in->state, err);
    if (in->have_state < 0) {
        goto out;
    }
    if (after->files_skipped > before.files_skipped) {
        in->status = N1_INPUT_ALREADY_READ;
    } else if (after->not_logs > before.not_logs &&
               after->events == before.events) {
        in->status = N1_INPUT_UNREADABLE;
        in->have_state = 0;
    } else if (had_prev && in->have_state && prev.id == in->state.id &&
               strcmp(in->path, "-") != 0) {
        in->status = N1_INPUT_RESUMED;
    } else {
        in->status = N1_INPUT_READ;
    }
    rc = 0;

out:
    n1_store_file_state_cleanup(&prev);
    return rc;
}

/* The path under which the store keeps an input's findings. */
static const char *stored_name(const struct input *in)
{
    if (in->status == N1_INPUT_ALREADY_READ && in->have_state &&
        in->state.path != NULL) {
        return in->state.path;
    }
    return in->path;
}

/* Saves the run's findings, replacing those of files read afresh. */
static int save_findings(struct n1_store *st, const struct finding_list *run,
                         const struct input *in, size_t n_in,
                         const struct n1_report_opts *ro, struct n1_error *err)
{
    struct n1_store_finding *rows = NULL;
    const char **replace = NULL;
    size_t n_replace = 0;
    int rc = -1;

    rows = calloc(run->n + 1, sizeof(*rows));
    replace = calloc(n_in + 1, sizeof(*replace));
    if (rows == NULL || replace == NULL) {
        n1_err_set(err, N1_ESYS, NULL, 0, "NOMEM saving findings");
        goto out;
    }
    for (size_t i = 0; i < n_in; i++) {
        if (in[i].status == N1_INPUT_READ && strcmp(in[i].path, "-") != 0) {
            replace[n_replace++] = in[i].path;
        }
    }
    for (size_t i = 0; i < run->n; i++) {
        const struct n1_finding *f = run->v[i];
        char *json = n1_finding_to_json(f, ro, err);

        if (json == NULL) {
            goto out;
        }
        rows[i].id = f->id;
        rows[i].kind = n1_finding_kind_name(f->kind);
        rows[i].fingerprint = f->fingerprint;
        rows[i].file = f->file != NULL ? f->file : "";
        rows[i].line = f->line;
        rows[i].first_seen_us = f->first_seen_us;
        rows[i].last_seen_us = f->last_seen_us;
        rows[i].count = f->count;
        rows[i].json = json;
        rows[i].json_len = strlen(json);
    }
    rc = n1_store_save_findings(st, replace, n_replace, rows, run->n, err);

out:
    for (size_t i = 0; rows != NULL && i < run->n; i++) {
        free((char *)rows[i].json);
    }
    free(rows);
    free(replace);
    return rc;
}

/* Appends the stored findings of file to out. */
static int load_stored(struct n1_store *st, const char *file,
                       struct finding_list *out, struct n1_error *err)
{
    struct n1_store_cursor *cur = NULL;
    const struct n1_store_finding *row;
    int got;
    int rc = -1;

    cur = n1_store_findings(st, file, err);
    if (cur == NULL) {
        return -1;
    }
    while ((got = n1_store_next_finding(cur, &row, err)) == 1) {
        struct n1_finding *f =
            n1_finding_from_json(row->json, row->json_len, err);

        if (f == NULL) {
            goto out;
        }
        list_push(out, f);
        if (out->oom) {
            n1_err_set(err, N1_ESYS, NULL, 0, "NOMEM loading findings");
            goto out;
        }
    }
    rc = got < 0 ? -1 : 0;

out:
    n1_store_cursor_free(cur);
    return rc;
}

/*
 * Makes the report's list: the stored findings of every input (each file
 * once), then the run's findings of stdin and of anything not stored
 * under an input's name.
 */
static int gather(struct n1_store *st, const struct finding_list *run,
                  const struct input *in, size_t n_in, struct finding_list *out,
                  struct n1_error *err)
{
    for (size_t i = 0; i < n_in; i++) {
        const char *name = stored_name(&in[i]);
        int seen = 0;

        if (in[i].status == N1_INPUT_UNREADABLE || strcmp(name, "-") == 0) {
            continue;
        }
        for (size_t j = 0; j < i; j++) {
            if (in[j].status != N1_INPUT_UNREADABLE &&
                strcmp(stored_name(&in[j]), name) == 0) {
                seen = 1;
            }
        }
        if (!seen && load_stored(st, name, out, err) != 0) {
            return -1;
        }
    }
    for (size_t i = 0; i < run->n; i++) {
        const char *file = run->v[i]->file != NULL ? run->v[i]->file : "";
        int listed = 0;

        for (size_t j = 0; j < n_in && strcmp(file, "-") != 0; j++) {
            if (in[j].status != N1_INPUT_UNREADABLE &&
                strcmp(stored_name(&in[j]), file) == 0) {
                listed = 1;
            }
        }
        if (!listed) {
            list_push(out, n1_finding_dup(run->v[i]));
        }
    }
    if (out->oom) {
        n1_err_set(err, N1_ESYS, NULL, 0, "NOMEM gathering findings");
        return -1;
    }
    return 0;
}

static int render(enum out_format fmt, const struct finding_list *l,
                  const struct input *in, size_t n_in,
                  const struct n1_report_opts *ro, struct n1_error *err)
{
    struct n1_report_input *rep = NULL;
    int rc;

    rep = calloc(n_in + 1, sizeof(*rep));
    if (rep == NULL) {
        n1_err_set(err, N1_ESYS, NULL, 0, "NOMEM report");
        return -1;
    }
    for (size_t i = 0; i < n_in; i++) {
        rep[i].path = in[i].path;
        rep[i].status = in[i].status;
        if (in[i].have_state) {
            rep[i].flavour = in[i].state.flavour;
            rep[i].events = in[i].state.events;
            rep[i].skipped = in[i].state.skipped;
        }
    }
    if (fmt == FORMAT_JSON) {
        rc = n1_report_findings_json(stdout,
                                     (const struct n1_finding *const *)l->v,
                                     l->n, rep, n_in, ro, err);
    } else {
        rc = n1_report_findings_text(stdout,
                                     (const struct n1_finding *const *)l->v,
                                     l->n, rep, n_in, ro, err);
    }
    free(rep);
    return rc;
}

int cmd_analyze(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'},
        {"db", required_argument, NULL, 'd'},
        {"rules", required_argument, NULL, 'u'},
        {"fail-on-findings", no_argument, NULL, 'F'},
        {"reset", no_argument, NULL, 'R'},
        {"reread", no_argument, NULL, 'r'},
        {"max-statement", required_argument, NULL, 'm'},
        {"tz-offset", required_argument, NULL, 'z'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct pipeline_opts opts;
    struct n1_detect_opts dopts;
    struct n1_report_opts ro;
    struct pipeline *p = NULL;
    struct n1_detectors *det = NULL;
    struct n1_rules *rules_in_force = NULL;
    struct finding_list run;
    struct finding_list report;
    struct input *in = NULL;
    char *rules[MAX_RULE_FILES];
    size_t n_rules = 0;
    size_t n_in = 0;
    struct n1_error err;
    enum out_format fmt = FORMAT_TEXT;
    int fail_on_findings = 0;
    int status = N1_EXIT_USAGE;
    int c;

    n1_err_clear(&err);
    memset(&run, 0, sizeof(run));
    memset(&report, 0, sizeof(report));
    pipeline_opts_default(&opts);
    n1_detect_opts_default(&dopts);
    opts.reader.warn = cli_warn;
    opts.progress = 1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        char *end = NULL;

        switch (c) {
        case 'f':
            if (strcmp(optarg, "text") == 0) {
                fmt = FORMAT_TEXT;
            } else if (strcmp(optarg, "json") == 0) {
                fmt = FORMAT_JSON;
            } else {
                cli_errorf("USAGE --format: expected text or json, got '%s'",
                           optarg);
                return N1_EXIT_USAGE;
            }
            break;
        case 'd':
            opts.db_path = optarg;
            break;
        case 'u':
            if (n_rules == MAX_RULE_FILES) {
                cli_errorf("USAGE --rules: at most %d files", MAX_RULE_FILES);
                return N1_EXIT_USAGE;
            }
            rules[n_rules++] = optarg;
            break;
        case 'F':
            fail_on_findings = 1;
            break;
        case 'R':
            opts.reset_store = 1;
            break;
        case 'r':
            opts.reread = 1;
            break;
        case 'm':
            opts.reader.max_statement = (size_t)strtoull(optarg, &end, 10);
            if (*end != '\0' || opts.reader.max_statement == 0) {
                cli_errorf("USAGE --max-statement: expected bytes, got '%s'",
                           optarg);
                return N1_EXIT_USAGE;
            }
            break;
        case 'z':
            opts.reader.tz_offset_s = strtol(optarg, &end, 10);
            if (*end != '\0') {
                cli_errorf("USAGE --tz-offset: expected seconds, got '%s'",
                           optarg);
                return N1_EXIT_USAGE;
            }
            break;
        case 'h':
            usage(stdout);
            return N1_EXIT_OK;
        default:
            fprintf(stderr, "n1scan: USAGE see 'n1scan analyze --help'\n");
            return N1_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        cli_errorf("USAGE analyze: no LOG given (see 'n1scan analyze "
                   "--help')");
        return N1_EXIT_USAGE;
    }
    rules_in_force = load_rules(rules, n_rules, &dopts, &err);
    if (rules_in_force == NULL) {
        cli_error(&err);
        return cli_exit_for(&err);
    }
    memset(&ro, 0, sizeof(ro));
    ro.max_keys = dopts.max_keys;
    n_in = (size_t)(argc - optind);
    in = calloc(n_in, sizeof(*in));
    if (in == NULL) {
        cli_errorf("SYS out of memory");
        goto out;
    }
    for (size_t i = 0; i < n_in; i++) {
        in[i].path = argv[optind + (int)i];
        n1_store_file_state_init(&in[i].state);
    }
    det = n1_detectors_new(&dopts, collect, &run, &err);
    if (det == NULL) {
        cli_error(&err);
        status = cli_exit_for(&err);
        goto out;
    }
    opts.detectors = det;
    p = pipeline_new(&opts, &err);
    if (p == NULL) {
        cli_error(&err);
        status = cli_exit_for(&err);
        goto out;
    }
    for (size_t i = 0; i < n_in; i++) {
        if (read_input(p, &in[i], &err) != 0) {
            cli_error(&err);
            goto out;
        }
    }
    if (pipeline_finish(p, &err) != 0) {
        cli_error(&err);
        goto out;
    }
    if (run.oom) {
        cli_errorf("SYS out of memory keeping findings");
        goto out;
    }
    if (save_findings(pipeline_store(p), &run, in, n_in, &ro, &err) != 0 ||
        gather(pipeline_store(p), &run, in, n_in, &report, &err) != 0) {
        cli_error(&err);
        goto out;
    }
    apply_rules(rules_in_force, &report);
    n1_findings_rank(report.v, report.n);
    if (render(fmt, &report, in, n_in, &ro, &err) != 0) {
        cli_error(&err);
        goto out;
    }
    pipeline_print_summary(p);
    status = pipeline_exit_status(p);
    /* A gate asked for findings to fail the run: that outranks skipped
       lines (4) but not an input that is no log at all (3). */
    if (fail_on_findings && report.n > 0 && status != N1_EXIT_INPUT) {
        status = N1_EXIT_FINDINGS;
    }

out:
    pipeline_free(p);
    n1_detectors_free(det);
    n1_rules_free(rules_in_force);
    for (size_t i = 0; in != NULL && i < n_in; i++) {
        n1_store_file_state_cleanup(&in[i].state);
    }
    free(in);
    list_free(&run);
    list_free(&report);
    return status;
}
