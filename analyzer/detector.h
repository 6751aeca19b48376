/* SPDX-License-Identifier: MIT */
/*
 * detector.h: the detectors that turn an event stream into findings.
 *
 * A detector sees every event in log order through on_event(), keeps
 * bounded per-connection state, and hands each problem it finds to the
 * finding sink (n1_emit_fn) when the problem is over: a loop ends when its
 * connection moves on (max_gap), quits or idles, or at finish(). A
 * periodic tick(now_us) closes what went idle, so that a tail-style
 * caller gets findings without waiting for the end of the input.
 *
 * The registry (struct n1_detectors) creates every detector from one
 * options struct, shares a shape cache between them, and fans each event
 * out. Most callers use only the registry; the vtable is public so that a
 * new detector can be written against it.
 */
#ifndef N1_DETECTOR_H
#define N1_DETECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/event.h"
#include "base/finding.h"
#include "sql/normalize.h"

/*
 * Thresholds and caps. Fill with n1_detect_opts_default() and change what
 * you need; the rules-file parser does exactly that. Pointers in it are
 * borrowed for the lifetime of the registry created from it.
 */
struct n1_detect_opts {
    /* n_plus_one: a fingerprint repeating on one connection. */
    unsigned min_repeats;        /* executions to report a loop (3) */
    unsigned min_distinct_keys;  /* distinct key values to report (3) */
    unsigned max_gap_ms;         /* ms between two iterations before the
                                    loop counts as ended (2000) */
    unsigned max_gap_statements; /* outer cap on the statements between
                                    two iterations (50); the loop body
                                    decides first */
    unsigned min_batch_items;    /* a varying IN list averaging this many
                                    items is a batch loader, not N+1 (20) */
    unsigned error_repeats;      /* severity error from this count (100) */
    /* Requests ([requests]): what ends every loop of a connection, and
       what may run between two iterations. */
    int reset_commands;   /* Change user, Reset Connection (1) */
    int reset_statements; /* ROLLBACK / COMMIT with no transaction open,
                             RESET CONNECTION (1) */
    int trace_boundary;   /* a new traceparent trace id (1) */
    const char *const *preamble_patterns; /* PCRE2 over the fingerprint
                                             text: request preambles */
    size_t n_preamble_patterns;           /* entries in it */
    unsigned gap_factor;            /* a pause over this many times the loop's
                                       mean interval ends it (10; 0: off) */
    unsigned gap_floor_ms;          /* ... and over this many ms (1000) */
    unsigned max_body_fingerprints; /* distinct statements a loop body
                                       holds (3) */
    unsigned body_slack;            /* statements the body may learn after its
                                       first gap (1) */
    /* duplicate: same statement, same literals. */
    unsigned dup_min_repeats; /* executions to report (5) */
    /* fanout: one statement each on many new connections. */
    unsigned fanout_window_ms; /* connections opened within this (1000) */
    unsigned fanout_min_conns; /* connections to report (5) */
    unsigned fanout_max_stmts; /* statements a fan-out connection may run
                                  (1, not counting noise) */
    /* Caps: memory never grows with the log, only with these. */
    unsigned idle_ms;          /* a silent connection expires (60000) */
    size_t max_connections;    /* tracked connections per detector
                                  (10000); the least recent is evicted */
    size_t max_loops_per_conn; /* tracked fingerprints per connection
                                  (16) */
    size_t max_keys;           /* key rows kept per loop, also the most
                                  values a rewrite lists (1000) */
    size_t max_distinct;       /* distinct hashes kept per loop (4096);
                                  past it distinct_keys is a lower bound
                                  plus every unseen hash */
    size_t max_sample_bytes;   /* a kept statement is cut to this (4096) */
    size_t max_memory;         /* bytes all loops together may hold in
                                  key rows and key hashes (256 MiB); past
                                  it rows are dropped and counted */
    size_t max_fanout_groups;  /* fingerprints in fan-out windows (256) */
    size_t max_fanout_members; /* connections kept per window (4096) */
    size_t shape_cache;        /* cached shapes (4096) */
    /* Noise. */
    int ignore_default_noise;           /* 1: drop SET, SHOW, @@vars, system
                                           schemas, transaction control (1) */
    const char *const *ignore_patterns; /* PCRE2 patterns matched against
                                           the fingerprint text; NULL ok */
    size_t n_ignore_patterns;           /* entries in ignore_patterns */
    /* Which detectors run (all 1). */
    int enable_nplus1;
    int enable_duplicate;
    int enable_fanout;
};

/*
 * Receives one finding. Everything f points to is borrowed for the call
 * only; keep it with n1_finding_dup().
 */
typedef void (*n1_emit_fn)(void *ud, const struct n1_finding *f);

/* Counters of what the caps threw away, for the report footer. */
struct n1_detect_stats {
    uint64_t events;          /* events seen */
    uint64_t ignored;         /* events dropped as noise */
    uint64_t findings;        /* findings emitted */
    uint64_t conn_evictions;  /* connections dropped by max_connections */
    uint64_t loop_evictions;  /* loops dropped by max_loops_per_conn */
    uint64_t rows_dropped;    /* key rows not kept (max_keys, bytes,
                                 max_memory) */
    size_t memory;            /* bytes held by loops right now */
    uint64_t fanout_dropped;  /* fan-out members not kept */
    uint64_t shape_evictions; /* shape cache replacements */
};

struct n1_detect_ctx;

/*
 * Receives one piece of a detector's open state: connection conn still
 * depends on the events at or after byte offset (n1_event.offset as fed).
 */
typedef void (*n1_low_water_fn)(void *ud, uint64_t conn, uint64_t offset);

/* A detector; implementations embed it as their first member. */
struct n1_detector {
    const struct n1_detector_ops *ops; /* its functions */
    struct n1_detect_ctx *ctx;         /* shared state; borrowed */
};

struct n1_detector_ops {
    const char *name; /* "n_plus_one", "duplicate", "fanout" */
    /*
     * Feeds one event in log order. norm is the normalised statement for
     * N1_CMD_QUERY/N1_CMD_EXECUTE/N1_CMD_PREPARE events and may be NULL
     * for the others. Both are borrowed for the call. Returns 0, or -1
     * when memory ran out (the error is kept in the context).
     */
    int (*on_event)(struct n1_detector *det, const struct n1_event *ev,
                    const struct n1_norm *norm);
    /* Ends what has been idle at now_us (UTC microseconds). 0 or -1. */
    int (*tick)(struct n1_detector *det, int64_t now_us);
    /* Ends everything still open and emits it. 0 or -1. */
    int (*finish)(struct n1_detector *det);
    /* Frees the detector without emitting. NULL allowed. */
    void (*free)(struct n1_detector *det);
    /*
     * Reports, through cb, every (connection, oldest event offset) its
     * open state depends on, so that a restarted caller can rebuild that
     * state by feeding those events again. NULL: the detector keeps no
     * state across events.
     */
    void (*low_water)(struct n1_detector *det, n1_low_water_fn cb, void *ud);
};

/* Fills *o with the defaults documented in struct n1_detect_opts. */
void n1_detect_opts_default(struct n1_detect_opts *o);

struct n1_detectors;

/*
 * Creates every enabled detector. opts (NULL: defaults) is copied, but
 * the strings it points to are borrowed until n1_detectors_free(). emit
 * receives each finding with ud. Returns a registry the caller frees with
 * n1_detectors_free(), or NULL with err set (N1_ERULES for an ignore
 * pattern that does not compile, N1_ESYS for memory).
 */
struct n1_detectors *n1_detectors_new(const struct n1_detect_opts *opts,
                                      n1_emit_fn emit, void *ud,
                                      struct n1_error *err);

/*
 * Feeds one event (and its normalised form, NULL for events without SQL)
 * to every detector. Findings may be emitted during the call. Returns 0,
 * or -1 with err set when memory ran out.
 */
int n1_detectors_event(struct n1_detectors *d, const struct n1_event *ev,
                       const struct n1_norm *norm, struct n1_error *err);

/*
 * Closes loops and connections idle at now_us and emits their findings.
 * Call it periodically when following a live log. Returns 0 or -1.
 */
int n1_detectors_tick(struct n1_detectors *d, int64_t now_us,
                      struct n1_error *err);

/*
 * Ends everything still open and emits it; call once at end of input.
 * Later events start afresh. Returns 0 or -1 with err set.
 */
int n1_detectors_finish(struct n1_detectors *d, struct n1_error *err);

/*
 * Calls cb once per piece of open state of every detector: the
 * connection and the offset of the oldest event it depends on (loops,
 * the statements remembered as parents, fan-out connections and
 * windows). A connection may be reported several times. Feeding each
 * connection's events again from its smallest reported offset rebuilds
 * what the detectors hold; `n1digest tail` records this to resume.
 */
void n1_detectors_low_water(const struct n1_detectors *d, n1_low_water_fn cb,
                            void *ud);

/* Copies the counters into *st. */
void n1_detectors_stats(const struct n1_detectors *d,
                        struct n1_detect_stats *st);

/* Frees the registry and every detector, emitting nothing. NULL ok. */
void n1_detectors_free(struct n1_detectors *d);

/*
 * The stable id of a finding: XXH64 over the kind name, a NUL, the
 * fingerprint id as 8 little-endian bytes and the call site (or
 * nothing), seeded with N1_FINDING_ID_SEED. Key values, connections, file
 * names and times are left out on purpose, so the same loop in another
 * log, another run or with other keys keeps its id.
 */
#define N1_FINDING_ID_SEED 0x6e31666e64ULL /* "n1fnd" */
uint64_t n1_finding_id(enum n1_finding_kind kind, uint64_t fingerprint,
                       const char *location);

/*
 * The class id of an occurrence: n1_finding_id() with, when has_parent,
 * the parent's fingerprint as 8 more little-endian bytes before the site.
 * The site is the source file of the location (its line number left
 * out, so that moving code keeps the id) or, without a location, the
 * route, controller and action tags; never a trace id. site may be NULL.
 */
uint64_t n1_finding_class_id(enum n1_finding_kind kind, uint64_t fingerprint,
                             int has_parent, uint64_t parent_fingerprint,
                             const char *site);

#endif /* N1_DETECTOR_H */
