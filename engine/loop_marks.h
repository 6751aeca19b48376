/* SPDX-License-Identifier: MIT */
/*
 * loop_marks.h: the detectors `digest --loops` runs inline, to mark the
 * fingerprints that are the statement of an N+1 class.
 *
 * The pipeline runs them (n1_pipeline_opts.detectors); each N+1 finding
 * adds its fingerprint and class id to the caller's list, and nothing
 * else is kept: the findings themselves are not saved.
 */
#ifndef N1_LOOP_MARKS_H
#define N1_LOOP_MARKS_H

#include "base/error.h"
#include "report/digest.h"

struct n1_detectors;
struct n1_loop_marks;

/*
 * Builds the detectors with the built-in rules, adding to out (borrowed
 * until n1_loop_marks_free()). Returns an object the caller frees with
 * n1_loop_marks_free(), or NULL with err set.
 */
struct n1_loop_marks *n1_loop_marks_new(struct n1_digest_loops *out,
                                        struct n1_error *err);

/* The detectors to set in the pipeline options; borrowed. */
struct n1_detectors *n1_loop_marks_detectors(struct n1_loop_marks *m);

/*
 * After n1_pipeline_finish(): sorts the list. Returns 0, or -1 with err
 * set when a pair could not be kept.
 */
int n1_loop_marks_done(struct n1_loop_marks *m, struct n1_error *err);

/* Frees m (not the list). NULL allowed. */
void n1_loop_marks_free(struct n1_loop_marks *m);

#endif /* N1_LOOP_MARKS_H */
