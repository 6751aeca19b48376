/* SPDX-License-Identifier: MIT */
/*
 * classes.h: findings grouped into classes, as `analyze` reports them.
 *
 * A detector emits one struct n1_finding per occurrence (one loop
 * instance). Occurrences with the same id (kind, fingerprint, parent
 * fingerprint, location or route) form a class. The classes are built
 * from the store's findings table, read in class order, so that memory
 * holds one summary per class and the occurrences of one class at a time
 * (their iteration counts and connections), never every occurrence; the
 * reports read each class's occurrences back from the store as they
 * write it. docs/analyze.md describes the ranking and both renderings.
 */
#ifndef N1_REPORT_CLASSES_H
#define N1_REPORT_CLASSES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/error.h"
#include "base/finding.h"
#include "report/findings.h"
#include "store/store.h"

/*
 * Decides whether one stored occurrence belongs to the report (its file is
 * one of the run's inputs, no [allow] rule accepts it, it lies in the time
 * window). Returns 1 to keep it, 0 to drop it. occ is borrowed for the
 * call.
 */
typedef int (*n1_occ_keep_fn)(void *ud, const struct n1_finding *occ);

/* The same filter when it looks at nothing but the occurrence's file:
   such a filter reads the store's columns, not the stored finding. */
typedef int (*n1_occ_keep_file_fn)(void *ud, const char *file);

/* One class: the summary of its occurrences. */
struct n1_finding_class {
    struct n1_finding *f;      /* the representative occurrence (the one
                                  with the most iterations, the earliest on
                                  a tie) with the class totals written
                                  over it: count and round_trips_saved
                                  summed, total_time_s summed (NaN when no
                                  occurrence has timings), first_seen and
                                  last_seen widened, distinct_keys the
                                  largest, file and line those of the
                                  first occurrence; owned */
    char *first_file;          /* the first occurrence's file, which f->file
                                  points to; owned */
    size_t occurrences;        /* occurrences kept */
    uint64_t iter_min;         /* fewest iterations (count) of one */
    uint64_t iter_median;      /* the median (the lower one of an even
                                  number) */
    uint64_t iter_max;         /* most iterations of one */
    size_t connections;        /* distinct connections over all of them */
    size_t by_confidence[3];   /* occurrences per enum n1_confidence */
    unsigned starts;           /* bit (1 << enum n1_boundary) of each
                                  boundary that started one */
    unsigned ends;             /* the same for what ended one */
    unsigned confidence_known; /* 1 when any occurrence carried evidence */
    struct n1_store_verdict *verdict; /* the last verdict of `n1digest
                                         verify` on the class, or NULL
                                         (n1_classes_add_verdicts());
                                         owned */
};

/* A set of classes; n1_classes_free() releases it. */
struct n1_class_set {
    struct n1_finding_class *v; /* owned */
    size_t n;                   /* entries in v */
};

/*
 * Reads every stored finding of st in class order, keeps those keep
 * accepts (keep NULL: all), and fills *out (zeroed first) with one class
 * per id that kept at least one occurrence, in id order, each with the
 * verdict st holds for it (n1_classes_add_verdicts()). Returns 0, or -1
 * with err set (*out is then freed).
 */
int n1_classes_build(struct n1_store *st, n1_occ_keep_fn keep, void *ud,
                     struct n1_class_set *out, struct n1_error *err);

/*
 * Sets the verdict of each class of set that st holds a verdict of
 * `n1digest verify` for (by class id), replacing the one it had; a class
 * without one keeps its own. n1_classes_build() calls it with the store
 * it reads; check calls it with the store --verdicts names. Returns 0,
 * or -1 with err set (the classes keep what they had then).
 */
int n1_classes_add_verdicts(struct n1_class_set *set, struct n1_store *st,
                            struct n1_error *err);

/*
 * As n1_classes_build(), keeping the occurrences whose file keep_file
 * accepts (keep_file NULL: all). Faster: it parses no stored finding but
 * each class's representative.
 */
int n1_classes_build_by_file(struct n1_store *st, n1_occ_keep_file_fn keep_file,
                             void *ud, struct n1_class_set *out,
                             struct n1_error *err);

/*
 * Sorts the classes by cost (n1_finding_cost() of the class totals),
 * highest first; ties by executions, then id.
 */
void n1_classes_rank(struct n1_class_set *set);

/* Keeps the first n classes (n 0: all) and frees the rest. */
void n1_classes_truncate(struct n1_class_set *set, size_t n);

/* Removes class i, keeping the order of the others. */
void n1_classes_remove(struct n1_class_set *set, size_t i);

/* Frees what *set owns and empties it. NULL allowed. */
void n1_classes_free(struct n1_class_set *set);

/* What the class reports read besides the classes. */
struct n1_class_report {
    struct n1_store *st;              /* where the occurrences are */
    n1_occ_keep_fn keep;              /* the filter the classes were
                                         built with; may be NULL */
    n1_occ_keep_file_fn keep_file;    /* with keep NULL: the filter by
                                         file they were built with; may
                                         be NULL */
    void *keep_ud;                    /* passed to keep or keep_file */
    const struct n1_report_input *in; /* the inputs of the run */
    size_t n_in;                      /* entries in in */
    size_t max_listed;                /* text: occurrence lines listed
                                         per class; 0: all (--full) */
    int full;                         /* text: 1 prints a long rewrite
                                         whole (--full) */
};

/* Called with each kept occurrence of a class, in time order; returns 0
   to go on, 1 to stop early, -1 on error with err set. occ is borrowed
   for the call. */
typedef int (*n1_occ_fn)(void *ud, const struct n1_finding *occ,
                         struct n1_error *err);

/*
 * Calls fn with each occurrence of class id that r->keep accepts, read
 * from r->st in time order, until fn returns non-zero. Returns 0 (also
 * when fn stopped early), or -1 with err set.
 */
int n1_classes_each_occurrence(const struct n1_class_report *r, uint64_t id,
                               n1_occ_fn fn, void *ud, struct n1_error *err);

/*
 * Renders f as one entry of its class's "occurrences" in the JSON report,
 * exactly as written there (pretty, nested at depth 8, no separator), for
 * the store to keep (struct n1_store_finding occ). Returns a string the
 * caller frees, or NULL when out of memory.
 */
char *n1_classes_occurrence_text(const struct n1_finding *f);

/*
 * Both texts the store keeps of f at once: *json as n1_finding_to_json()
 * renders it and *occ as n1_classes_occurrence_text() does. Returns 0 with two
 * strings the caller frees, or -1 with both NULL and err set when out of
 * memory.
 */
int n1_classes_finding_texts(const struct n1_finding *f, char **json,
                             char **occ, struct n1_error *err);

/*
 * Sets the class summary fields of the store row r (summary, saved, keys,
 * time_s, the evidence, conns) from f, so that n1_classes_build() reads
 * them without parsing r's JSON. conns then points into f.
 */
void n1_classes_row_summary(struct n1_store_finding *r,
                            const struct n1_finding *f);

/*
 * Writes the JSON document {"tool", "inputs", "classes"} (pretty-printed,
 * newline at the end): one object per class in the set's order, with the
 * fields of a finding (the class totals), "iterations", "connection_count",
 * "evidence" and "occurrences", each occurrence read from the store in
 * time order. Returns 0, or -1 with err set.
 */
int n1_report_classes_json(FILE *out, const struct n1_class_set *set,
                           const struct n1_class_report *r,
                           struct n1_error *err);

/*
 * Writes the text report: a header line, one block per class (its
 * summary, at most r->max_listed occurrence lines, then the rewrite of
 * the representative occurrence, ready to paste) and a footer. Returns 0,
 * or -1 with err set.
 */
int n1_report_classes_text(FILE *out, const struct n1_class_set *set,
                           const struct n1_class_report *r,
                           struct n1_error *err);

/*
 * Writes the HTML page (html_classes.c): the classes' share of the cost as
 * bars, a sortable table of them, then each class with its evidence, its
 * calls and time over the findings' span, its occurrences read from the store
 * in time order, its statement and its rewrite with a copy button. One
 * self-contained file; log text is escaped. Returns 0, or -1 with err set.
 */
int n1_report_classes_html(FILE *out, const struct n1_class_set *set,
                           const struct n1_class_report *r,
                           struct n1_error *err);

#endif /* N1_REPORT_CLASSES_H */
