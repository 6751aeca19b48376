/* SPDX-License-Identifier: MIT */
/*
 * analyze_run.h: the run `analyze` and `check` share: load the rules,
 * read the logs through the detectors (and the adviser, when asked),
 * keep the findings in the store; the report groups the stored findings
 * of the inputs into classes (report/classes.h).
 *
 * The run does not judge findings: the caller applies the allow-list,
 * the baseline and the severities in force, and renders.
 */
#ifndef N1_ANALYZE_RUN_H
#define N1_ANALYZE_RUN_H

#include <stddef.h>

#include "analyzer/adviser.h"
#include "base/error.h"
#include "base/event.h"
#include "base/finding.h"
#include "engine/pipeline.h"
#include "report/findings.h"
#include "sql/normalize.h"
#include "store/store.h"

/* One piece of advice with the statement it fired on. */
struct n1_analyze_advice {
    const struct n1_advice *a;  /* the advice; borrowed for the call */
    const struct n1_event *ev;  /* the event; borrowed for the call */
    const struct n1_norm *norm; /* its normal form; borrowed */
};

/* Receives each piece of advice; everything is borrowed for the call. */
typedef void (*n1_analyze_advice_fn)(void *ud,
                                     const struct n1_analyze_advice *x);

struct n1_analyze_opts {
    struct n1_pipeline_opts pipeline; /* store, reader options, progress;
                                      detectors and hooks are set by the
                                      run and must be unset here */
    const char *const *rule_files;    /* --rules files, in order */
    size_t n_rule_files;              /* entries in rule_files */
    n1_analyze_advice_fn advice;      /* NULL: the adviser does not run */
    void *advice_ud;                  /* passed to advice */
};

/* One input of the run and what the store says about it. */
struct n1_analyze_input {
    const char *path;            /* as given; borrowed */
    struct n1_file_state state;  /* store record after the run, if any */
    int have_state;              /* 1 when state is set */
    enum n1_input_status status; /* what this run did */
};

/* What a run leaves for the report. */
struct n1_analyze_run {
    struct n1_rules *rules;      /* the rules in force; owned */
    struct n1_report_opts ro;    /* report options from the rules */
    struct n1_analyze_input *in; /* one per path given; owned */
    size_t n_in;                 /* entries in in */
    struct n1_pipeline *p;       /* the finished pipeline; owned */
    struct n1_detectors *det;    /* owned */
    struct n1_adviser *adv;      /* owned; NULL without advice */
    void *hook;                  /* the accept hook's state, which the
                                    pipeline points to; owned */
};

/*
 * Runs the pipeline over the n paths with the rules of o and fills *run
 * (zeroed first). The findings are in the store afterwards; those of
 * files the store had already read are kept from earlier runs
 * (docs/analyze.md). Returns 0, or -1 with err set;
 * *run is then partly filled and must still be cleaned up. In both cases
 * the caller calls n1_analyze_run_cleanup().
 */
int n1_analyze_run(const struct n1_analyze_opts *o, char *const *paths,
                   size_t n, struct n1_analyze_run *run, struct n1_error *err);

/*
 * 1 when the stored finding of log file `file` (as the store names it)
 * belongs to this run's report: the file is one of the inputs (or the
 * name the store knows it by), or "-" when stdin was read. The filter to
 * build the classes with (n1_classes_build()).
 */
int n1_analyze_keep_file(const struct n1_analyze_run *run, const char *file);

/*
 * The inputs as the reports list them: an array of run->n_in entries
 * (at least one allocated) whose strings are borrowed from run, freed by
 * the caller with free(); NULL when memory ran out.
 */
struct n1_report_input *
n1_analyze_report_inputs(const struct n1_analyze_run *run);

/* Frees everything *run owns and zeroes it. NULL allowed. */
void n1_analyze_run_cleanup(struct n1_analyze_run *run);

#endif /* N1_ANALYZE_RUN_H */
