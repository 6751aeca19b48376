/* SPDX-License-Identifier: MIT */
/*
 * loop_marks.c: the detectors of `digest --loops` and their sink, which
 * keeps one (fingerprint, class id) pair per N+1 finding.
 */
#include <stdlib.h>

#include "analyzer/detector.h"
#include "analyzer/rules_apply.h"
#include "base/finding.h"
#include "engine/loop_marks.h"
#include "engine/rules_load.h"
#include "rules/rules.h"

struct n1_loop_marks {
    struct n1_rules *rules;      /* owned; outlives det (its patterns) */
    struct n1_detectors *det;    /* owned */
    struct n1_digest_loops *out; /* borrowed */
    int failed;                  /* 1: a pair could not be kept */
    struct n1_error err;         /* why */
};

static void keep_loop(void *ud, const struct n1_finding *f)
{
    struct n1_loop_marks *m = ud;

    if (f->kind != N1_FIND_N_PLUS_ONE || m->failed) {
        return;
    }
    if (n1_digest_loops_add(m->out, f->fingerprint, f->id, &m->err) != 0) {
        m->failed = 1;
    }
}

struct n1_loop_marks *n1_loop_marks_new(struct n1_digest_loops *out,
                                        struct n1_error *err)
{
    struct n1_loop_marks *m = calloc(1, sizeof(*m));
    struct n1_detect_opts dopts;

    if (m == NULL) {
        n1_err_oom(err, "building the loop detectors");
        return NULL;
    }
    m->out = out;
    n1_err_clear(&m->err);
    m->rules = n1_engine_rules(NULL, 0, err);
    if (m->rules == NULL) {
        goto fail;
    }
    n1_detect_opts_default(&dopts);
    n1_rules_apply(m->rules, &dopts);
    m->det = n1_detectors_new(&dopts, keep_loop, m, err);
    if (m->det == NULL) {
        goto fail;
    }
    return m;

fail:
    n1_loop_marks_free(m);
    return NULL;
}

struct n1_detectors *n1_loop_marks_detectors(struct n1_loop_marks *m)
{
    return m->det;
}

int n1_loop_marks_done(struct n1_loop_marks *m, struct n1_error *err)
{
    if (m->failed) {
        if (err != NULL) {
            *err = m->err;
        }
        return -1;
    }
    n1_digest_loops_sort(m->out);
    return 0;
}

void n1_loop_marks_free(struct n1_loop_marks *m)
{
    if (m == NULL) {
        return;
    }
    n1_detectors_free(m->det);
    n1_rules_free(m->rules);
    free(m);
}
