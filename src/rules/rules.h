/* SPDX-License-Identifier: MIT */
/*
 * rules.h: the rules in force: detector thresholds and severities, caps,
 * noise patterns, the allow-list and the adviser rules.
 *
 * Rules come from INI files (docs/rules.md). The defaults are
 * rules/default.rules, compiled into the binary; each file loaded after
 * them overrides settings per key and adds allow entries, ignore patterns
 * and adviser rules. Every value is checked while it is read, so a bad
 * file fails with its name and line instead of being half-applied
 * silently.
 *
 * This module holds plain data. It never includes analyzer/ headers: the
 * analyzer translates the thresholds into its own options
 * (analyzer/rules_apply.h) and compiles the adviser patterns itself
 * (analyzer/adviser.h). Patterns are validated here, with the same
 * compile flags (N1_RULES_PCRE2_FLAGS, none), so that those compilations
 * cannot fail except for memory.
 */
#ifndef N1_RULES_H
#define N1_RULES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/error.h"
#include "base/finding.h"

/* Name the compiled-in defaults report as their file. */
#define N1_RULES_DEFAULT_NAME "default.rules"

/* Longest line a rule file may have, in bytes (the INI parser's limit);
   longer texts continue on indented lines. */
#define N1_RULES_MAX_LINE 196

/* Where a setting or an entry was last set. */
struct n1_origin {
    const char *file;   /* "default.rules" or the path as given; borrowed
                           from the rules; NULL when never set */
    unsigned long line; /* 1-based line in that file */
};

/* One detector's section: [n_plus_one], [duplicate] or [fanout]. Keys a
   section does not have stay 0. */
struct n1_detector_rules {
    int enabled;                 /* 1: the detector runs */
    unsigned min_repeats;        /* executions before a report */
    unsigned min_distinct_keys;  /* n_plus_one: distinct key values */
    unsigned max_gap_ms;         /* n_plus_one: ms between iterations */
    unsigned max_gap_statements; /* n_plus_one: statements between them */
    unsigned min_batch_items;    /* n_plus_one: IN-list size of a batch */
    unsigned window_ms;          /* fanout: connections opened within */
    unsigned min_connections;    /* fanout: connections to report */
    unsigned max_statements;     /* fanout: statements per connection */
    unsigned min_total_time_ms;  /* drop findings faster than this, when
                                    the log has timings (0: keep all) */
    enum n1_severity severity;   /* severity of a finding */
    unsigned error_repeats;      /* error from this many executions
                                    (0: never escalate) */
};

/* [requests]: what separates the requests of a pooled connection, and
   what a loop body may hold. */
struct n1_request_rules {
    int reset_commands;             /* Change user, Reset Connection */
    int reset_statements;           /* ROLLBACK/COMMIT with no transaction
                                       open, RESET CONNECTION */
    int preambles;                  /* the preamble patterns end requests */
    int traceparent;                /* a new trace id starts a request */
    unsigned gap_factor;            /* pause x mean interval (0: off) */
    unsigned gap_floor_ms;          /* ... and at least this */
    unsigned max_body_fingerprints; /* statements in a loop body */
    unsigned body_slack;            /* learned after the first gap */
};

/* Everything with a single value, as typed structs. */
struct n1_thresholds {
    struct n1_detector_rules det[N1_FIND_KIND_COUNT]; /* by finding kind */
    struct n1_request_rules req;                      /* [requests] */
    /* [limits]: memory caps of the detectors. */
    unsigned idle_ms;          /* a silent connection expires */
    size_t max_connections;    /* connections tracked per detector */
    size_t max_loops_per_conn; /* fingerprints tracked per connection */
    size_t max_keys;           /* key rows kept per loop */
    size_t max_distinct;       /* distinct hashes kept per loop */
    size_t max_sample_bytes;   /* a kept statement is cut to this */
    size_t max_memory;         /* key rows and hashes of all loops */
    size_t max_fanout_groups;  /* fingerprints in fan-out windows */
    size_t max_fanout_members; /* connections kept per window */
    size_t shape_cache;        /* cached statement shapes */
    size_t advice_cache;       /* fingerprints the adviser remembers */
    /* [ignore] */
    int default_noise; /* 1: drop SET, SHOW, @@vars, ... */
};

enum n1_allow_kind {
    N1_ALLOW_FINGERPRINT = 0, /* fingerprint = 16 hex digits */
    N1_ALLOW_TABLE,           /* table = name (case-insensitive; an
                                 unqualified name matches any schema) */
    N1_ALLOW_TAG,             /* tag = key=glob (sqlcommenter tag) */
    N1_ALLOW_LOCATION,        /* location = glob (the location tag) */
    N1_ALLOW_STATEMENT        /* statement = PCRE2 over the fingerprint
                                 text */
};

/* One line of [allow]. */
struct n1_allow {
    enum n1_allow_kind kind; /* what it matches */
    char *key;               /* N1_ALLOW_TAG: the tag key, else NULL */
    char *value;             /* id, table, glob or pattern as written
                                (a tag glob without its quotes) */
    uint64_t fingerprint;    /* N1_ALLOW_FINGERPRINT: the id */
    struct n1_origin origin; /* its line */
};

/* One [adviser.NAME] section, after every file's overrides. */
struct n1_advice_rule {
    char *name;                /* NAME from the section header */
    int enabled;               /* 0 when disabled by a rule file */
    char *pattern;             /* PCRE2 over the fingerprint text */
    char *literal_pattern;     /* PCRE2 a literal of the slot must
                                  match, or NULL */
    unsigned min_items;        /* the slot needs this many literals
                                  (0: no condition) */
    int has_min_value;         /* 1: min_value is a condition */
    double min_value;          /* a numeric literal of the slot must be
                                  at least this */
    enum n1_severity severity; /* severity of the advice */
    char *message;             /* one line: what is wrong */
    char *advice;              /* what to do instead */
    struct n1_origin origin;   /* its first [adviser.NAME] header */
};

struct n1_rules;

/*
 * Creates the rules from the compiled-in rules/default.rules. Returns
 * rules the caller frees with n1_rules_free(), or NULL with err set
 * (N1_ESYS for memory; N1_ERULES only if the shipped file is broken).
 */
struct n1_rules *n1_rules_new(struct n1_error *err);

/* Frees the rules and every string they own. NULL allowed. */
void n1_rules_free(struct n1_rules *r);

/*
 * Reads the rule file at path over r: later files win per key; allow
 * entries, ignore patterns and adviser rules accumulate. Returns 0, or -1
 * with err set: N1_ESYS when the file cannot be read, N1_ERULES with the
 * path and line for anything wrong in it ("unknown key 'min_repeat' in
 * [n_plus_one]"). After an error r is valid but partly updated: free it.
 */
int n1_rules_load_file(struct n1_rules *r, const char *path,
                       struct n1_error *err);

/*
 * Same as n1_rules_load_file() for the NUL-terminated text, reported as
 * file `name` in origins and errors. Both are copied.
 */
int n1_rules_load_string(struct n1_rules *r, const char *name, const char *text,
                         struct n1_error *err);

/* The typed thresholds. Borrowed, valid until the next load or free. */
const struct n1_thresholds *n1_rules_thresholds(const struct n1_rules *r);

/*
 * The ignore patterns (PCRE2 over the fingerprint text) as an array for
 * struct n1_detect_opts; *n gets the count. Borrowed, valid until the
 * next load or free. May return NULL when *n is 0.
 */
const char *const *n1_rules_ignore(const struct n1_rules *r, size_t *n);

/* The request preamble patterns ([requests] preamble), as above. */
const char *const *n1_rules_preambles(const struct n1_rules *r, size_t *n);

/* The allow entries, in load order; i < *n. Borrowed, as above. */
const struct n1_allow *n1_rules_allow_list(const struct n1_rules *r, size_t *n);

/*
 * The adviser rules, enabled or not, in the order they were first
 * defined; *n gets the count. Borrowed, as above.
 */
const struct n1_advice_rule *n1_rules_advice(const struct n1_rules *r,
                                             size_t *n);

/*
 * The first allow entry that matches f, or NULL when none does (or memory
 * ran out while matching a statement pattern). The entry is borrowed from
 * r, so that a report can say why the finding was allowed.
 */
const struct n1_allow *n1_rules_allows(const struct n1_rules *r,
                                       const struct n1_finding *f);

/*
 * The severity the rules give f: info stays info (the detector judged
 * the pattern benign), otherwise error from [kind] error_repeats
 * executions and the section's severity below that. An n_plus_one or
 * duplicate occurrence at low confidence or without connection ids
 * (f->evidence) is never error.
 */
enum n1_severity n1_rules_severity(const struct n1_rules *r,
                                   const struct n1_finding *f);

/*
 * Returns 1 when f ran faster in total than its section's
 * min_total_time_ms and should be dropped; 0 otherwise, also when the log
 * has no timings (total_time_s is NaN).
 */
int n1_rules_too_fast(const struct n1_rules *r, const struct n1_finding *f);

/*
 * Writes the rules in force to out in rule-file syntax, each setting and
 * entry followed by "; FILE:LINE" naming where it came from. Long texts
 * are wrapped onto continuation lines. Returns 0, or -1 on a write error.
 */
int n1_rules_write(const struct n1_rules *r, FILE *out);

/* Name of a severity for parsing: "info", "warning", "error". Returns 0
   and sets *s, or -1 for anything else. */
int n1_severity_parse(const char *name, enum n1_severity *s);

#endif /* N1_RULES_H */
