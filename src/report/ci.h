/* SPDX-License-Identifier: MIT */
/*
 * report_ci.h: the verdict of `n1digest check` and its text and JSON forms.
 *
 * check turns detector findings and adviser advice into one kind of
 * record, struct n1_ci_result: a rule id, a stable id, a severity and
 * whether the result is new, accepted by the baseline or allowed by the
 * rule files. The SARIF (report_sarif.h) and JUnit (report_junit.h)
 * renderers and the text and JSON ones here all take the same struct
 * n1_ci_report, so every format says the same thing. docs/ci.md
 * describes the formats.
 *
 * Everything here is plain data borrowed from the caller; no renderer
 * keeps a pointer after it returns.
 */
#ifndef N1_REPORT_CI_H
#define N1_REPORT_CI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/error.h"
#include "base/finding.h"
#include "store/store.h"

/* Seed of adviser result ids: the same as the detectors' finding ids
   (N1_FINDING_ID_SEED in analyzer/detector.h), so both are one scheme. */
#define N1_CI_ID_SEED 0x6e31666e64ULL

/* Prefix of adviser rule ids: "adviser." then the [adviser.NAME] name. */
#define N1_CI_ADVISER_PREFIX "adviser."

/* What the baseline and the allow-list say about one result. */
enum n1_ci_state {
    N1_CI_NEW = 0,  /* neither in the baseline nor allowed */
    N1_CI_BASELINE, /* its id is in the baseline */
    N1_CI_ALLOWED   /* an [allow] entry matches it (wins over baseline) */
};

/* One rule check knows: a detector kind or an adviser rule. */
struct n1_ci_rule {
    const char *id;            /* "n_plus_one", "adviser.select_star" */
    const char *title;         /* one line: what the rule finds */
    const char *help;          /* what to do about it; may be NULL */
    enum n1_severity severity; /* its default severity */
};

/* One detector finding or one piece of advice, judged. */
/* Occurrence places a class result lists (SARIF locations), at most. */
#define N1_CI_MAX_PLACES 10

/* Where one occurrence of a class was seen. */
struct n1_ci_place {
    const char *location;   /* "path:line" or "path" from the statement's
                               tags, or NULL */
    const char *log_file;   /* log file of its first execution */
    unsigned long log_line; /* its line (0: unknown) */
};

struct n1_ci_result {
    uint64_t id;                  /* stable id (finding id, or
                                     n1_ci_advice_id()) */
    const char *rule;             /* rule id, one of the report's rules */
    enum n1_severity severity;    /* from the rules in force */
    enum n1_ci_state state;       /* new, baseline or allowed */
    int fails;                    /* 1: new and at or above fail_on */
    const char *title;            /* one line: what was found */
    const char *table;            /* main table, or "" */
    uint64_t fingerprint;         /* fingerprint id */
    const char *fingerprint_text; /* fingerprint text */
    const char *sample;           /* one statement as logged, or NULL */
    const char *location;         /* "path:line" or "path" from the
                                     statement's tags, or NULL */
    const char *rewrite;          /* batched statement, or NULL */
    const char *advice;           /* what to do, or NULL */
    const char *log_file;         /* log file of the first execution */
    unsigned long log_line;       /* its line (0: unknown) */
    uint64_t count;               /* executions (0: not counted) */
    double total_time_s;          /* their summed Query_time; NaN when
                                     the log has no timings */
    const char *allowed_by;       /* N1_CI_ALLOWED: "table = x (f:4)",
                                     else NULL */
    size_t occurrences;           /* occurrences of the class (0: not a
                                     class, as advice is not) */
    struct n1_ci_place places[N1_CI_MAX_PLACES]; /* the first n_places of
                                                    them, in time order;
                                                    strings borrowed */
    size_t n_places; /* entries used in places; 0: the one
                        place is location or log_file */
    const struct n1_store_verdict *verdict; /* the last verdict of
                                               `n1digest verify` on the
                                               class, or NULL */
};

/* A baseline entry that matched no result of the run. */
struct n1_ci_stale {
    uint64_t id;                  /* the entry's id */
    const char *rule;             /* as written in the baseline, or "" */
    const char *table;            /* as written, or "" */
    const char *fingerprint_text; /* as written, or "" */
};

/* Everything a rendering shows. Arrays may be NULL when their count is 0. */
struct n1_ci_report {
    const struct n1_ci_rule *rules;     /* every rule that ran */
    size_t n_rules;                     /* entries in rules */
    const struct n1_ci_result *results; /* in report order */
    size_t n_results;                   /* entries in results */
    const struct n1_ci_stale *stale;    /* stale baseline entries */
    size_t n_stale;                     /* entries in stale */
    const char *const *inputs;          /* the logs read, as given */
    size_t n_inputs;                    /* entries in inputs */
    enum n1_severity fail_on;           /* the failing severity */
    const char *baseline;               /* baseline path, or NULL */
    const char *const *input_errors;    /* per input: NULL when it was
                                           read, else one line saying why
                                           not; NULL: every input read */
    const char *run_error;              /* NULL, or why the run cannot
                                           pass (an input unreadable,
                                           nothing read, lines skipped):
                                           no report then says PASS */
    const char *wrote_baseline;         /* --write-baseline: the file
                                           written; the report says what
                                           it holds, not PASS or FAIL */
    size_t n_written;                   /* entries written there */
};

/*
 * The run's status word: "error" (run_error set, also when a baseline
 * was written), "baseline_written", "fail" (new results at or above
 * fail_on) or "pass". Static string.
 */
const char *n1_ci_status(const struct n1_ci_report *r);

/* Why input i was not read (borrowed), or NULL when it was. */
const char *n1_ci_input_error(const struct n1_ci_report *r, size_t i);

/*
 * The id of the advice of rule `rule` (the [adviser.NAME] name, without
 * the prefix) on fingerprint fp: XXH64 over "adviser.NAME", a NUL and fp
 * as 8 little-endian bytes, seeded with N1_CI_ID_SEED. Like a finding id
 * it leaves out literals, connections, files and times.
 */
uint64_t n1_ci_advice_id(const char *rule, uint64_t fp);

/* Stable name of a state ("new", "baseline", "allowed"). */
const char *n1_ci_state_name(enum n1_ci_state s);

/* Number of results with fails set. */
size_t n1_ci_failures(const struct n1_ci_report *r);

/* Counts the results per state into by_state, indexed by enum
   n1_ci_state. */
void n1_ci_count_states(const struct n1_ci_report *r, size_t by_state[3]);

/*
 * Splits a location "path:line" into its path (written to path, size n,
 * NUL-terminated, cut when too small) and line. Returns the line, or 0
 * when the location has no line (the whole text is the path).
 */
unsigned long n1_ci_location_split(const char *loc, char *path, size_t n);

/*
 * Writes the terminal report: a verdict line, then one block per result
 * (failing ones first, in report order), then the stale baseline entries.
 * Control characters in log text are shown as '?'. Returns 0, or -1 with
 * err set on a write error.
 */
int n1_report_ci_text(FILE *out, const struct n1_ci_report *r,
                      struct n1_error *err);

/*
 * Writes the JSON document {"tool", "fail_on", "failures", "results",
 * "stale"} (pretty-printed, newline at the end). Bytes that are not UTF-8
 * become U+FFFD. Returns 0, or -1 with err set (N1_ESYS).
 */
int n1_report_ci_json(FILE *out, const struct n1_ci_report *r,
                      struct n1_error *err);

/*
 * Writes one self-contained HTML page (html_ci.c): the status, a chart
 * and a sortable table of the results (failing ones first), each result
 * with its places, statement and rewrite (with a copy button), and the
 * stale baseline entries. Log text is escaped. Returns 0, or -1 with err
 * set.
 */
int n1_report_ci_html(FILE *out, const struct n1_ci_report *r,
                      struct n1_error *err);

#endif /* N1_REPORT_CI_H */
