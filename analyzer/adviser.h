/* SPDX-License-Identifier: MIT */
/*
 * adviser.h: per-statement checks (SELECT *, leading-wildcard LIKE, ...).
 *
 * Where the detectors look at how statements repeat, the adviser looks at
 * each distinct statement once: every enabled [adviser.NAME] rule of the
 * rules in force is a PCRE2 pattern over the fingerprint text, optionally
 * with conditions on the literal values logged for one `?` of it (the
 * pattern's group named "slot"). docs/rules.md describes the rules.
 *
 * Results are cached per fingerprint id in a bounded table: a rule
 * without literal conditions is tried once per fingerprint. A rule with
 * them is tried again on later executions until their literals satisfy
 * it (page 1 of a listing has OFFSET 0; page 900 does not), and only
 * while its pattern matched. Each rule advises at most once per
 * fingerprint while the fingerprint stays cached; when the table fills it
 * is emptied, so a consumer that must never repeat itself deduplicates
 * on (rule, fingerprint).
 */
#ifndef N1_ADVISER_H
#define N1_ADVISER_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/finding.h"
#include "rules/rules.h"
#include "sql/normalize.h"

/* One piece of advice: a rule that fired on a statement. */
struct n1_advice {
    const char *rule;             /* rule name; borrowed from the rules */
    enum n1_severity severity;    /* from the rule */
    const char *message;          /* one line; borrowed from the rules */
    const char *advice;           /* what to do; borrowed, "" when none */
    struct n1_origin origin;      /* where the rule was defined */
    uint64_t fingerprint;         /* fingerprint id */
    const char *fingerprint_text; /* borrowed for the call */
    const char *sample;           /* the statement as logged, not
                                     NUL-terminated; borrowed for the call */
    size_t sample_len;            /* bytes in sample */
};

/*
 * Receives one piece of advice. Everything a points to is borrowed for
 * the call only; copy what you keep.
 */
typedef void (*n1_advice_fn)(void *ud, const struct n1_advice *a);

/* Counters for the report footer. */
struct n1_adviser_stats {
    uint64_t statements;   /* statements checked */
    uint64_t cache_hits;   /* of which the fingerprint was cached */
    uint64_t advices;      /* advices emitted */
    uint64_t cache_resets; /* times the full cache was emptied */
};

struct n1_adviser;

/*
 * Compiles the enabled adviser rules of r. The adviser borrows r (its
 * names and texts) until n1_adviser_free(); later loads into r are not
 * seen. The cache holds [limits] advice_cache fingerprints. Returns an
 * adviser the caller frees with n1_adviser_free(), or NULL with err set
 * (N1_ESYS for memory).
 */
struct n1_adviser *n1_adviser_new(const struct n1_rules *r,
                                  struct n1_error *err);

/* Frees the adviser. NULL allowed. */
void n1_adviser_free(struct n1_adviser *a);

/*
 * Checks one statement: norm is its normalised form and sample (NULL
 * allowed) its text as logged, both borrowed for the call. Calls emit
 * with ud for each rule that fires. Returns the number of advices
 * emitted, or -1 with err set when memory ran out.
 */
int n1_adviser_check(struct n1_adviser *a, const struct n1_norm *norm,
                     const char *sample, size_t sample_len, n1_advice_fn emit,
                     void *ud, struct n1_error *err);

/* Copies the counters into *st. */
void n1_adviser_stats(const struct n1_adviser *a, struct n1_adviser_stats *st);

#endif /* N1_ADVISER_H */
