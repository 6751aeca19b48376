/* SPDX-License-Identifier: MIT */
/*
 * findings.h: one finding (an occurrence) as JSON, its cost and ranking.
 *
 * The JSON form of one finding is what the store keeps and what `tail`
 * prints, so that a later run can report the findings of a log it does
 * not read again: n1_finding_to_json() and n1_finding_from_json() are
 * inverses for every field the reports show. The reports group the
 * findings into classes (classes.h). docs/findings.schema.json describes
 * the JSON document; docs/analyze.md describes the text report and the
 * ranking.
 */
#ifndef N1_REPORT_FINDINGS_H
#define N1_REPORT_FINDINGS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/error.h"
#include "base/finding.h"

/*
 * Seconds one round trip is assumed to cost when the log has no timings
 * (general logs): findings without total_time_s are ranked by
 * count * N1_REPORT_RTT_S.
 */
#define N1_REPORT_RTT_S 0.001

/* What happened to one input of the run. */
enum n1_input_status {
    N1_INPUT_READ = 0,     /* read from the start */
    N1_INPUT_RESUMED,      /* grown since the last run: read the new part */
    N1_INPUT_ALREADY_READ, /* read by an earlier run: skipped */
    N1_INPUT_UNREADABLE    /* not a log, or could not be opened/read */
};

/* One input as the report lists it. */
struct n1_report_input {
    const char *path;            /* as given; borrowed */
    const char *flavour;         /* flavour name, or NULL when unknown */
    uint64_t events;             /* events read from it in all runs */
    uint64_t skipped;            /* lines and events skipped in all runs */
    enum n1_input_status status; /* what this run did with it */
};

struct n1_report_opts {
    size_t max_keys; /* keys one rewrite lists (detector max_keys). No
                        rendering reads it any more: a finding carries its
                        own round_trips_saved, worked out by the detector
                        that planned the rewrite. */
};

/* Stable name of an input status ("read", "already_read", ...). */
const char *n1_input_status_name(enum n1_input_status s);

/*
 * The cost used for ranking: total_time_s when the log had timings, else
 * count * N1_REPORT_RTT_S. Sets *estimated to 1 in the second case
 * (estimated may be NULL).
 */
double n1_finding_cost(const struct n1_finding *f, int *estimated);

/*
 * Renders one finding as a compact JSON object (one line): the fields of
 * the report's finding objects, "class" (its class id, equal to "id") and
 * "evidence" (docs/findings.schema.json, $defs/occurrence_line). Returns a
 * string the caller frees with free(), or NULL with err set (N1_ESYS).
 * Bytes that are not UTF-8 become U+FFFD. o may be NULL.
 */
char *n1_finding_to_json(const struct n1_finding *f,
                         const struct n1_report_opts *o, struct n1_error *err);

/*
 * Parses len bytes of a JSON object made by n1_finding_to_json() back into
 * a finding. Returns a copy the caller frees with n1_finding_free(), or
 * NULL with err set (N1_EPARSE for text that is not such an object).
 */
struct n1_finding *n1_finding_from_json(const char *json, size_t len,
                                        struct n1_error *err);

#endif /* N1_REPORT_FINDINGS_H */
