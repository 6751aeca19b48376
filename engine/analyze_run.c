/* SPDX-License-Identifier: MIT */
/*
 * analyze_run.c: the shared run of `analyze` and `check`.
 *
 * The pipeline reads each input (skipping what the store has read
 * before) and feeds the detectors; their findings (occurrences) go to
 * the store as they come, SAVE_BATCH at a time, so that the run's memory
 * does not grow with their number. The last batch drops, in the same
 * transaction, the findings that earlier runs saved for the files read
 * afresh (those saved before the run started: n1_store_findings_last()).
 * The report is then made from the store (report/classes.h): for
 * every input given, the findings the store holds for that file
 * (n1_analyze_keep_file()). A file read again from the start (new,
 * replaced, or --reread) has its old findings replaced; a file that grew
 * keeps them and adds the new part's; a file already read to its end is
 * skipped and its stored findings are used as they were. Findings of
 * stdin ("-") replace those of earlier runs' stdin, since "-" names a
 * different stream each time.
 *
 * When the caller asks for advice, the adviser sees every statement
 * through the pipeline's accept hook (which keeps every event), and each
 * piece of advice goes to the caller with the event it fired on.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analyzer/detector.h"
#include "analyzer/rules_apply.h"
#include "engine/analyze_run.h"
#include "engine/engine_int.h"
#include "engine/rules_load.h"
#include "report/classes.h"
#include "rules/rules.h"

/* Findings kept before they are saved in one transaction: enough to
   make the commits rare, few enough to keep memory flat. */
#define SAVE_BATCH 512

/* A growable array of owned findings (n1_finding_dup copies). */
struct finding_list {
    struct n1_finding **v; /* owned, each freed with n1_finding_free() */
    size_t n;
    size_t cap;
    int oom; /* 1: a push failed; the list is incomplete */
};

/* The detectors' sink: findings waiting to be saved. */
struct finding_sink {
    struct finding_list batch; /* not saved yet */
    struct n1_store *st;       /* borrowed from the pipeline */
    int64_t before;            /* newest stored row before the run */
    int failed;                /* 1: a save failed; err says why */
    struct n1_error err;       /* the failure */
};

/* The accept hook's state when the adviser runs. */
struct advise_ctx {
    struct n1_adviser *adv;     /* borrowed */
    n1_analyze_advice_fn fn;    /* the caller's sink */
    void *ud;                   /* its argument */
    const struct n1_event *ev;  /* the event being checked */
    const struct n1_norm *norm; /* its normal form */
    int oom;                    /* 1: the adviser ran out of memory */
};

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

/* Frees the findings of l and empties it, keeping its array. */
static void list_clear(struct finding_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        n1_finding_free(l->v[i]);
    }
    l->n = 0;
}

static void list_free(struct finding_list *l)
{
    list_clear(l);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

static int save_findings(struct n1_store *st, const struct finding_list *run,
                         const char *const *replace, size_t n_replace,
                         int64_t upto, struct n1_error *err);

/* The detectors' sink: keeps a copy of each finding and saves the batch
   when it is full. */
static void collect(void *ud, const struct n1_finding *f)
{
    struct finding_sink *k = ud;

    if (k->failed) {
        return;
    }
    list_push(&k->batch, n1_finding_dup(f));
    if (k->batch.oom) {
        n1_err_oom(&k->err, "keeping findings");
        k->failed = 1;
    } else if (k->batch.n >= SAVE_BATCH) {
        if (save_findings(k->st, &k->batch, NULL, 0, 0, &k->err) != 0) {
            k->failed = 1;
        }
        list_clear(&k->batch);
    }
}

static void advise_emit(void *ud, const struct n1_advice *a)
{
    struct advise_ctx *c = ud;
    struct n1_analyze_advice x;

    x.a = a;
    x.ev = c->ev;
    x.norm = c->norm;
    c->fn(c->ud, &x);
}

/* The accept hook: runs the adviser on each statement, keeps all. */
static int advise_accept(void *ud, const struct n1_event *ev,
                         const struct n1_norm *norm)
{
    struct advise_ctx *c = ud;

    if (norm != NULL && !c->oom) {
        c->ev = ev;
        c->norm = norm;
        if (n1_adviser_check(c->adv, norm, ev->sql, ev->sql_len, advise_emit, c,
                             NULL) < 0) {
            c->oom = 1;
        }
    }
    return 1;
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
static int read_input(struct n1_pipeline *p, struct n1_analyze_input *in,
                      struct n1_error *err)
{
    struct n1_store *st = n1_pipeline_store(p);
    struct n1_file_state prev;
    struct n1_pipeline_stats before = *n1_pipeline_stats(p);
    const struct n1_pipeline_stats *after;
    int had_prev;
    int rc = -1;

    n1_store_file_state_init(&prev);
    had_prev = lookup(st, in->path, &prev, err);
    if (had_prev < 0 || n1_pipeline_read(p, in->path, err) != 0) {
        goto out;
    }
    after = n1_pipeline_stats(p);
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
static const char *stored_name(const struct n1_analyze_input *in)
{
    if (in->status == N1_INPUT_ALREADY_READ && in->have_state &&
        in->state.path != NULL) {
        return in->state.path;
    }
    return in->path;
}

/* Saves the run's findings, replacing those of files read afresh. */
void n1_engine_finding_row(struct n1_store_finding *r,
                           const struct n1_finding *f, const char *json)
{
    r->id = f->id;
    r->kind = n1_finding_kind_name(f->kind);
    r->fingerprint = f->fingerprint;
    r->file = f->file != NULL ? f->file : "";
    r->line = f->line;
    r->first_seen_us = f->first_seen_us;
    r->last_seen_us = f->last_seen_us;
    r->count = f->count;
    r->json = json;
    r->json_len = strlen(json);
    r->occ = NULL;
    r->summary = 0;
}

/* Saves the findings of run, dropping first the stored findings of the
   n_replace files in replace whose row is at most upto. */
static int save_findings(struct n1_store *st, const struct finding_list *run,
                         const char *const *replace, size_t n_replace,
                         int64_t upto, struct n1_error *err)
{
    struct n1_store_finding *rows = NULL;
    char **jsons = NULL;
    char **occs = NULL;
    int rc = -1;

    rows = calloc(run->n + 1, sizeof(*rows));
    jsons = calloc(run->n + 1, sizeof(*jsons));
    occs = calloc(run->n + 1, sizeof(*occs));
    if (rows == NULL || jsons == NULL || occs == NULL) {
        n1_err_oom(err, "saving findings");
        goto out;
    }
    for (size_t i = 0; i < run->n; i++) {
        if (n1_classes_finding_texts(run->v[i], &jsons[i], &occs[i], err) !=
            0) {
            goto out;
        }
        n1_engine_finding_row(&rows[i], run->v[i], jsons[i]);
        rows[i].occ = occs[i];
        n1_classes_row_summary(&rows[i], run->v[i]);
    }
    rc = n1_store_save_findings_upto(st, replace, n_replace, upto, rows, run->n,
                                     err);

out:
    for (size_t i = 0; jsons != NULL && i < run->n; i++) {
        free(jsons[i]);
        free(occs != NULL ? occs[i] : NULL);
    }
    free(jsons);
    free(occs);
    free(rows);
    return rc;
}

/* Saves the last batch and drops the stale findings of the files read
   afresh (see the file comment). */
static int save_last(struct finding_sink *k, const struct n1_analyze_input *in,
                     size_t n_in, struct n1_error *err)
{
    const char **replace = calloc(n_in + 1, sizeof(*replace));
    size_t n_replace = 0;
    int rc;

    if (replace == NULL) {
        n1_err_oom(err, "saving findings");
        return -1;
    }
    for (size_t i = 0; i < n_in; i++) {
        /* Stdin names another stream each time: its old findings go
           too, so that those the store keeps under "-" are this run's. */
        if (in[i].status == N1_INPUT_READ) {
            replace[n_replace++] = in[i].path;
        }
    }
    rc = save_findings(k->st, &k->batch, replace, n_replace, k->before, err);
    free(replace);
    return rc;
}

int n1_analyze_keep_file(const struct n1_analyze_run *run, const char *file)
{
    for (size_t i = 0; i < run->n_in; i++) {
        const struct n1_analyze_input *in = &run->in[i];

        if (in->status == N1_INPUT_UNREADABLE) {
            continue;
        }
        /* The store's "-" rows are this run's: save_findings() replaced
           those of earlier runs. */
        if (strcmp(stored_name(in), file) == 0) {
            return 1;
        }
    }
    return 0;
}

int n1_analyze_run(const struct n1_analyze_opts *o, char *const *paths,
                   size_t n, struct n1_analyze_run *run, struct n1_error *err)
{
    struct n1_pipeline_opts popts = o->pipeline;
    struct n1_detect_opts dopts;
    struct finding_sink found;
    struct advise_ctx *actx = NULL;
    int rc = -1;

    memset(run, 0, sizeof(*run));
    memset(&found, 0, sizeof(found));
    n1_err_clear(&found.err);
    n1_detect_opts_default(&dopts);
    /* Nothing reads the statement statistics of a ":memory:" store: keep
       none (the files are still recorded). A store on disk gets them. */
    popts.no_stats = 1;
    run->rules = n1_engine_rules(o->rule_files, o->n_rule_files, err);
    if (run->rules == NULL) {
        goto out;
    }
    /* The detectors' ignore patterns point into the rules, which
       therefore outlive them (both are freed in the cleanup). */
    n1_rules_apply(run->rules, &dopts);
    run->ro.max_keys = dopts.max_keys;
    run->in = calloc(n + 1, sizeof(*run->in));
    if (run->in == NULL) {
        n1_err_oom(err, "listing the inputs");
        goto out;
    }
    run->n_in = n;
    for (size_t i = 0; i < n; i++) {
        run->in[i].path = paths[i];
        n1_store_file_state_init(&run->in[i].state);
    }
    run->det = n1_detectors_new(&dopts, collect, &found, err);
    if (run->det == NULL) {
        goto out;
    }
    popts.detectors = run->det;
    if (o->advice != NULL) {
        run->adv = n1_adviser_new(run->rules, err);
        if (run->adv == NULL) {
            goto out;
        }
        actx = calloc(1, sizeof(*actx));
        if (actx == NULL) {
            n1_err_oom(err, "building the adviser");
            goto out;
        }
        run->hook = actx;
        actx->adv = run->adv;
        actx->fn = o->advice;
        actx->ud = o->advice_ud;
        popts.accept = advise_accept;
        popts.hook_ud = actx;
    }
    run->p = n1_pipeline_new(&popts, err);
    if (run->p == NULL) {
        goto out;
    }
    found.st = n1_pipeline_store(run->p);
    if (n1_store_findings_last(found.st, &found.before, err) != 0) {
        goto out;
    }
    n1_pipeline_expect(run->p, paths, n);
    for (size_t i = 0; i < n; i++) {
        if (read_input(run->p, &run->in[i], err) != 0) {
            goto out;
        }
    }
    if (n1_pipeline_finish(run->p, err) != 0) {
        goto out;
    }
    if (found.failed) {
        if (err != NULL) {
            *err = found.err;
        }
        goto out;
    }
    if (actx != NULL && actx->oom) {
        n1_err_oom(err, "keeping findings");
        goto out;
    }
    if (save_last(&found, run->in, n, err) != 0) {
        goto out;
    }
    rc = 0;

out:
    list_free(&found.batch);
    return rc;
}

struct n1_report_input *
n1_analyze_report_inputs(const struct n1_analyze_run *run)
{
    struct n1_report_input *rep = calloc(run->n_in + 1, sizeof(*rep));

    if (rep == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < run->n_in; i++) {
        const struct n1_analyze_input *in = &run->in[i];

        rep[i].path = in->path;
        rep[i].status = in->status;
        if (in->have_state) {
            rep[i].flavour = in->state.flavour;
            rep[i].events = in->state.events;
            rep[i].skipped = in->state.skipped;
        }
    }
    return rep;
}

void n1_analyze_run_cleanup(struct n1_analyze_run *run)
{
    if (run == NULL) {
        return;
    }
    n1_pipeline_free(run->p);
    n1_detectors_free(run->det);
    n1_adviser_free(run->adv);
    free(run->hook);
    n1_rules_free(run->rules);
    for (size_t i = 0; run->in != NULL && i < run->n_in; i++) {
        n1_store_file_state_cleanup(&run->in[i].state);
    }
    free(run->in);
    memset(run, 0, sizeof(*run));
}
