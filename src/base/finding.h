/* SPDX-License-Identifier: MIT */
/*
 * finding.h: the record a detector emits for one problem it found.
 *
 * Detectors (analyzer/) fill a struct n1_finding and hand it to a sink;
 * the store, the reports and the CI gate consume it. Every pointer in it
 * is borrowed for the duration of the sink call: a sink that keeps a
 * finding copies what it needs (n1_finding_dup()).
 */
#ifndef N1_FINDING_H
#define N1_FINDING_H

#include <stddef.h>
#include <stdint.h>

enum n1_finding_kind {
    N1_FIND_N_PLUS_ONE = 0, /* per-key loop on one connection */
    N1_FIND_DUPLICATE,      /* same statement, same literals, repeated */
    N1_FIND_FANOUT,         /* one statement each on many new connections */
    N1_FIND_KIND_COUNT
};

enum n1_severity {
    N1_SEV_INFO = 0,
    N1_SEV_WARNING,
    N1_SEV_ERROR
};

/*
 * What starts or ends one occurrence of a loop: the evidence that the
 * executions belong to one request. Kept per occurrence and shown beside
 * it, so that a reader can judge a candidate rather than trust a verdict.
 */
enum n1_boundary {
    N1_BOUND_NONE = 0,  /* nothing seen: the start or the end of the input */
    N1_BOUND_CONNECT,   /* Connect or Quit of the connection */
    N1_BOUND_RESET,     /* a pool's reset: ROLLBACK or COMMIT with no
                           transaction open, RESET CONNECTION, the Reset
                           Connection or Change user command */
    N1_BOUND_PREAMBLE,  /* a request preamble: SET autocommit=1, SET NAMES */
    N1_BOUND_TRACE,     /* a new sqlcommenter traceparent trace id */
    N1_BOUND_GAP,       /* a pause far longer than the loop's own rhythm */
    N1_BOUND_STATEMENT, /* a statement that is not part of the loop body */
    N1_BOUND_IDLE,      /* the connection went quiet, was evicted, or the
                           input ended while the loop was open */
    N1_BOUND_COUNT
};

/* How far the log supports an occurrence. */
enum n1_confidence {
    N1_CONF_LOW = 0, /* the log cannot prove it (no connection ids, no
                        boundary seen on either side) */
    N1_CONF_MEDIUM,  /* loop structure only */
    N1_CONF_HIGH     /* delimited by request boundaries, or the parent's
                        Rows_sent equals the iteration count */
};

/* The evidence of one occurrence. */
struct n1_evidence {
    enum n1_boundary starts;       /* what came just before the first run */
    enum n1_boundary ends;         /* what ended it */
    const uint64_t *body;          /* fingerprints that ran between two
                                      executions (the loop body), or NULL */
    size_t n_body;                 /* entries in body */
    int rows_match;                /* 1: the parent's Rows_sent equals the
                                      iteration count, -1: it differs, 0:
                                      unknown */
    int no_conn_ids;               /* 1: the log has no connection ids, so
                                      a per-connection loop is not proven */
    int64_t span_us;               /* last minus first execution; 0 when
                                      unknown */
    enum n1_confidence confidence; /* what the evidence adds up to */
};

struct n1_kv {
    const char *key;   /* borrowed */
    const char *value; /* borrowed */
};

struct n1_finding {
    uint64_t id;                    /* stable: kind, fingerprint, location */
    enum n1_finding_kind kind;      /* what was found */
    enum n1_severity severity;      /* from the rules in force */
    const char *statement;          /* "select", "insert", "update", "delete" */
    const char *table;              /* main table as written, or "" */
    const char *const *key_columns; /* columns whose literal varies */
    size_t n_key_columns;           /* entries in key_columns */
    uint64_t connection;            /* the looping connection (not fanout) */
    const uint64_t *connections;    /* fanout: every connection, else NULL */
    size_t n_connections;           /* entries in connections */
    uint64_t count;                 /* executions in the loop */
    uint64_t distinct_keys;         /* distinct key values (or tuples) */
    uint64_t round_trips_saved;     /* round trips the fix saves: count minus
                                       the batched statements it needs (one
                                       for a range or pagination loop);
                                       count - 1 for a duplicate (the repeats
                                       a cache avoids); 0 without a fix */
    uint64_t fingerprint;           /* fingerprint id */
    const char *fingerprint_text;   /* fingerprint text */
    const char *sample;             /* one statement of the loop, as logged */
    int64_t first_seen_us;          /* UTC microseconds, N1_TS_NONE unknown */
    int64_t last_seen_us;           /* UTC microseconds, N1_TS_NONE unknown */
    double total_time_s;            /* summed Query_time; NaN without timings */
    int has_parent;                 /* 1 when the parent fields are set */
    uint64_t parent_fingerprint;    /* the statement that drove the loop */
    const char *parent_table;       /* its main table, or "" */
    const char *parent_sql;         /* it as logged, when it selects one
                                       plain column (verify's parent
                                       proof); else NULL */
    double parent_rows_sent;        /* its Rows_sent; NaN when unknown */
    const struct n1_kv *tags;       /* sqlcommenter tags of the loop */
    size_t n_tags;                  /* entries in tags */
    const char *location;           /* source location from tags, or NULL */
    const char *rewrite;            /* batched statement to run, or NULL */
    const char *const *keys;        /* the key values (or tuples) the
                                       rewrite lists, as SQL literals
                                       ("42", "'a'", "(1, 'b')"), in order
                                       of first appearance; NULL without
                                       a keyed rewrite */
    size_t n_keys;                  /* entries in keys */
    const char *rewrite_kind;       /* "in_list", "row_in", "multi_row_insert",
                                       "case_update", "group_by", ... or NULL */
    const char *advice;             /* one paragraph for the developer */
    const char *file;               /* log file of the first execution */
    unsigned long line;             /* its line */
    struct n1_evidence evidence;    /* why this is one occurrence; zeroed
                                       (unknown) where a detector sets none */
};

/* Stable name of a kind ("n_plus_one", "duplicate", "fanout"). */
const char *n1_finding_kind_name(enum n1_finding_kind k);

/* Stable name of a severity ("info", "warning", "error"). */
const char *n1_severity_name(enum n1_severity s);

/* Stable names ("reset", "trace", ...) for reports; "unknown" outside the
   enum. */
const char *n1_boundary_name(enum n1_boundary b);

/* "low", "medium" or "high"; "unknown" outside the enum. */
const char *n1_confidence_name(enum n1_confidence c);

/*
 * Deep-copies f (every string and array it points to) into one heap
 * block. Returns the copy, which the caller frees with n1_finding_free(),
 * or NULL when memory ran out.
 */
struct n1_finding *n1_finding_dup(const struct n1_finding *f);

/* Frees a copy made by n1_finding_dup(). NULL allowed. */
void n1_finding_free(struct n1_finding *f);

#endif /* N1_FINDING_H */
