/* SPDX-License-Identifier: MIT */
/*
 * detect_int.h: what the detectors share inside analyzer/ (not public).
 *
 * The context (options, shape cache, sink, counters), a connection table
 * keyed by connection id, the loop record that collects the executions of
 * one repeated statement, and the statement records that remember what
 * ran before a loop (its parent). The CLI never includes this header.
 */
#ifndef N1_DETECT_INT_H
#define N1_DETECT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "analyzer/detector.h"
#include "analyzer/rewrite.h"
#include "analyzer/shape.h"
#include "rules/rules.h"

/*
 * Loop and statement records that were freed, kept for the next ones so
 * that a statement costs no malloc/free in the steady state. At most
 * N1_POOL_MAX of each are kept; the rest are freed.
 */
struct n1_rec_pool {
    struct n1_loop *loops; /* free loops, chained by next_free */
    size_t n_loops;
    struct n1_stmt_rec *stmts; /* free statement records, the same */
    size_t n_stmts;
};

/* Most records of each kind a pool keeps. */
#define N1_POOL_MAX 256

/* Frees every record the pool keeps. */
void n1_rec_pool_free(struct n1_rec_pool *p);

struct n1_detect_ctx {
    struct n1_detect_opts opts;    /* copy of the caller's options */
    struct n1_shape_cache *shapes; /* shared by every detector */
    n1_emit_fn emit;               /* the sink */
    void *ud;                      /* its user data */
    struct n1_detect_stats stats;  /* counters */
    void **ignore;                 /* compiled ignore patterns
                                      (pcre2_code *), n_ignore entries */
    size_t n_ignore;
    void *match;     /* pcre2_match_data * for them */
    void **preamble; /* compiled request preamble patterns
                        (pcre2_code *), n_preamble entries */
    size_t n_preamble;
    uint64_t clock; /* events seen: the LRU clock */
    /* n1_ctx_lit_hash()'s last answer: the norm and clock it was for */
    const struct n1_norm *lh_norm;
    uint64_t lh_clock;
    uint64_t lh_value;
    /* the last shape looked up: for norm at clock, while the cache has
       evicted nothing since (evictions) */
    const struct n1_norm *sh_norm;
    uint64_t sh_clock;
    uint64_t sh_evictions;
    struct n1_shape *sh_value;
    size_t mem_used;         /* bytes loops hold (max_memory) */
    struct n1_error err;     /* what failed inside on_event */
    struct n1_rec_pool pool; /* freed loops and statement records */
};

/*
 * Gives the shape of the event's statement when the detectors should look
 * at it: returns 1 with *out set (borrowed until the next shape lookup), 0
 * when the event is noise or carries no statement, -1 when memory ran out
 * (ctx->err set).
 */
int n1_ctx_shape(struct n1_detect_ctx *ctx, const struct n1_event *ev,
                 const struct n1_norm *norm, struct n1_shape **out);

/* What a statement means for request boundaries (docs/analyzer.md). */
enum n1_ctl {
    N1_CTL_NONE = 0,   /* an ordinary statement */
    N1_CTL_BEGIN,      /* BEGIN, START TRANSACTION, XA START */
    N1_CTL_END,        /* COMMIT or ROLLBACK (not TO SAVEPOINT) */
    N1_CTL_RESET,      /* RESET CONNECTION */
    N1_CTL_AUTOCOMMIT, /* SET [SESSION] autocommit = value */
    N1_CTL_PREAMBLE    /* matches a request preamble pattern */
};

/*
 * The request-control class of the event's statement (shape cache,
 * classified once per fingerprint): returns an enum n1_ctl, 0 for events
 * without a statement, -1 when memory ran out (ctx->err set).
 */
int n1_ctx_control(struct n1_detect_ctx *ctx, const struct n1_event *ev,
                   const struct n1_norm *norm);

/* Hash of the sqlcommenter tags that identify a call site: every tag but
   traceparent and tracestate, which change per request. */
uint64_t n1_tags_ident(const struct n1_norm *norm);

/*
 * Hash of the W3C trace id (the 32-hex field) of the statement's
 * sqlcommenter traceparent tag, or 0 when it has none.
 */
uint64_t n1_trace_id(const struct n1_norm *norm);

/* A connection's place in a table; detectors embed it first. */
struct n1_conn_node {
    uint64_t id;               /* connection id */
    uint64_t clock;            /* ctx->clock of its last event */
    int64_t last_us;           /* its last timestamp, N1_TS_NONE unknown */
    struct n1_conn_node *next; /* bucket chain */
};

struct n1_conntab {
    struct n1_conn_node **b; /* buckets */
    size_t mask;             /* buckets - 1 */
    size_t n;                /* nodes */
};

/* Prepares a table for about cap nodes. 0 or -1 (out of memory). */
int n1_conntab_init(struct n1_conntab *t, size_t cap);
/* Frees the buckets; the nodes belong to the caller. */
void n1_conntab_cleanup(struct n1_conntab *t);
/* The node of id, or NULL. */
struct n1_conn_node *n1_conntab_find(struct n1_conntab *t, uint64_t id);
/* Adds a node whose id is not in the table. */
void n1_conntab_insert(struct n1_conntab *t, struct n1_conn_node *node);
/* Unlinks a node that is in the table. */
void n1_conntab_remove(struct n1_conntab *t, struct n1_conn_node *node);
/* The least recently used node, or NULL when empty (linear scan). */
struct n1_conn_node *n1_conntab_lru(const struct n1_conntab *t);
/*
 * Copies every node pointer into a new array (caller frees it with
 * free()), so that the caller can remove nodes while walking. *n gets the
 * count. Returns NULL when empty or out of memory (*n is 0 then too, and
 * *oom is set to 1 for the latter).
 */
struct n1_conn_node **n1_conntab_list(const struct n1_conntab *t, size_t *n,
                                      int *oom);

/* A statement remembered as a possible parent of a loop. Ref-counted. */
struct n1_stmt_rec {
    unsigned refs;    /* holders */
    uint64_t fp;      /* fingerprint id */
    uint64_t seq;     /* connection sequence number */
    uint64_t offset;  /* n1_event.offset of the statement */
    int is_select;    /* a SELECT with a table */
    char *table;      /* main table ("" if none), in buf */
    double rows_sent; /* Rows_sent, NaN when unknown */
    char *sql;        /* as logged (in buf), when it selects one plain column
                         and fits max_sample_bytes; else NULL */
    char *column;     /* that column; NULL with sql */
    char *buf;        /* one block holding table, sql and column */
    size_t cap;       /* its size */
    struct n1_rec_pool *pool;      /* where it goes when freed */
    struct n1_stmt_rec *next_free; /* chain while in the pool */
};

/* Most fingerprints a loop body can hold (max_body_fingerprints caps
   it lower). */
#define N1_BODY_MAX 16

/* Makes a record of the event (refs 1), or NULL when memory ran out. */
struct n1_stmt_rec *n1_stmt_rec_new(struct n1_detect_ctx *ctx,
                                    const struct n1_event *ev,
                                    const struct n1_norm *norm,
                                    const struct n1_shape *sh, uint64_t seq);
/* Drops one reference. NULL allowed. */
void n1_stmt_rec_unref(struct n1_stmt_rec *r);

/* The executions of one repeated statement. */
struct n1_loop {
    uint64_t fp;   /* fingerprint id */
    char *fp_text; /* fingerprint text (owned) */
    size_t fp_len;
    enum n1_verb verb;  /* of the statement */
    uint64_t keymask;   /* slots that make up a key (bit per slot) */
    int key_all;        /* slots past 64 count as key too */
    uint64_t ident;     /* n1_tags_ident() of the first execution */
    uint64_t lit_hash;  /* hash of all literals of the first one */
    uint64_t count;     /* executions */
    uint64_t first_seq; /* connection sequence of the first */
    uint64_t offset;    /* n1_event.offset of the first execution */
    uint64_t last_seq;  /* ... and of the last */
    int64_t first_us;   /* timestamps, N1_TS_NONE unknown */
    int64_t last_us;
    double time_s;          /* summed Query_time */
    uint64_t n_timed;       /* executions that had one */
    int keep_rows;          /* 0: only the first row is kept */
    int keep_dups;          /* 1: keep rows whose key was seen before */
    struct n1_rw_row *rows; /* kept executions; each lits array owned */
    size_t n_rows;
    size_t cap_rows;
    size_t row_bytes;   /* bytes held by rows */
    int rows_complete;  /* every execution's row is kept */
    uint64_t *hset;     /* distinct key hashes, open addressing */
    uint64_t hset0[16]; /* hset's first places, before it grows */
    size_t hcap;
    size_t hn;
    uint64_t distinct;                       /* distinct keys seen */
    uint64_t slot_hash0[N1_SHAPE_MAX_SLOTS]; /* first execution, per slot */
    unsigned slot_top0; /* slots below it may be set in slot_hash0 */
    uint64_t varies;    /* slots that took another value */
    char *sample;       /* first execution as logged (cut) */
    struct n1_kv *tags; /* its tags (in tags_buf, with their strings) */
    size_t n_tags;
    char *location; /* source location from the tags (in loc_buf), or
                       NULL */
    char *file;     /* log file of the first execution */
    unsigned long line;
    uint64_t conn;   /* connection */
    uint64_t *conns; /* fanout: member connections */
    size_t n_conns;
    size_t cap_conns;
    struct n1_stmt_rec *cand[3]; /* statements just before it, latest
                                    first (refs held) */
    uint64_t body[N1_BODY_MAX];  /* fingerprints allowed between two
                                    executions (the loop body) */
    unsigned n_body;             /* entries in body */
    unsigned slack_used;         /* body entries learned after the first
                                    gap */
    enum n1_boundary starts;     /* the boundary that opened its request */
    enum n1_boundary ends;       /* what ended it (set when it ends) */
    int ts_fine;                 /* its timestamps have sub-second
                                    precision (N1_EV_TS_FINE) */
    size_t *mem;                 /* ctx->mem_used, charged for rows and
                                    hashes */
    /* Kept when the loop goes back to the pool: the sizes of fp_text,
       sample and file, and a block for the first kept row's literals. */
    size_t fp_cap;
    size_t sample_cap;
    size_t file_cap;
    struct n1_rw_lit *row0; /* holds rows[k].lits of the first row */
    size_t row0_cap;
    char *tags_buf; /* the block tags points into when it has tags */
    size_t tags_cap;
    char *loc_buf; /* location's block when it has one */
    size_t loc_cap;
    struct n1_rec_pool *pool;  /* where it goes when freed */
    struct n1_loop *next_free; /* chain while in the pool */
};

/*
 * Starts a loop with the event as its first execution. keep_rows 0 keeps
 * only that row (duplicate detection needs no more). Returns the loop,
 * freed with n1_loop_free(), or NULL with ctx->err set.
 */
struct n1_loop *n1_loop_new(struct n1_detect_ctx *ctx,
                            const struct n1_event *ev,
                            const struct n1_norm *norm,
                            const struct n1_shape *sh, uint64_t seq,
                            int keep_rows);

/* Adds one execution (norm's literals). 0 or -1 with ctx->err set. */
int n1_loop_add(struct n1_detect_ctx *ctx, struct n1_loop *l,
                const struct n1_event *ev, const struct n1_norm *norm,
                uint64_t seq);

/*
 * Adds one execution given as a kept row (fanout merges members this
 * way): its time, timestamp and query time. 0 or -1.
 */
int n1_loop_add_row(struct n1_detect_ctx *ctx, struct n1_loop *l,
                    const struct n1_rw_row *row, int64_t ts_us,
                    double query_time, int has_time);

/* Appends a connection id to l->conns (bounded). 0 or -1. */
int n1_loop_add_conn(struct n1_detect_ctx *ctx, struct n1_loop *l,
                     uint64_t conn);

/* Frees a loop (or keeps it in its pool for the next). NULL allowed. */
void n1_loop_free(struct n1_loop *l);

/* Literal hash of norm (all literals), as kept in lit_hash. */
uint64_t n1_norm_lit_hash(const struct n1_norm *norm);

/*
 * n1_norm_lit_hash(norm), computed once per event: every detector that
 * asks for the same norm while ctx->clock stays the same gets the kept
 * value.
 */
uint64_t n1_ctx_lit_hash(struct n1_detect_ctx *ctx, const struct n1_norm *norm);

/*
 * Decides whether the loop is a finding of that kind and, if so, builds
 * the rewrite and emits it. parent may be NULL. Returns 1 when emitted, 0
 * when not, -1 with ctx->err set.
 */
int n1_loop_report(struct n1_detect_ctx *ctx, const struct n1_loop *l,
                   enum n1_finding_kind kind, const struct n1_stmt_rec *parent);

/*
 * One detector as the registry, the option defaults and the rules see it.
 * Each detector's file defines its descriptor; analyzer/detectors.c lists
 * them, and everything that enumerates detectors walks that list.
 */
struct n1_detector_desc {
    const char *name;          /* its rules section, = the kind's name */
    enum n1_finding_kind kind; /* what it reports; indexes the rules'
                                  per-kind thresholds */
    size_t enable_off;         /* offsetof(struct n1_detect_opts, its
                                  enable flag, an int) */
    /* Sets its thresholds in *o to the defaults in detector.h. */
    void (*defaults)(struct n1_detect_opts *o);
    /* Copies its rules section into *o. */
    void (*apply)(const struct n1_detector_rules *dr, struct n1_detect_opts *o);
    /* Makes the detector; NULL with ctx->err set on failure. */
    struct n1_detector *(*create)(struct n1_detect_ctx *ctx);
};

extern const struct n1_detector_desc n1_nplus1_desc;
extern const struct n1_detector_desc n1_duplicate_desc;
extern const struct n1_detector_desc n1_fanout_desc;

/* Every detector, in the order events reach them (detectors.c). */
extern const struct n1_detector_desc *const n1_detector_table[];
extern const size_t n1_detector_count;

/* The enable flag of d in *o. */
int *n1_detector_enabled(const struct n1_detector_desc *d,
                         struct n1_detect_opts *o);

/* 1 when both timestamps are known and b - a exceeds ms. */
int n1_gap_exceeded(int64_t a, int64_t b, unsigned ms);

/*
 * Calls fn(ud, node) for every node of t, from a copy of the node list so
 * that fn may remove (and free) the node it is given. With keep_going 0
 * the walk stops at the first -1; with 1 it visits every node anyway.
 * Returns 0, or -1 when fn failed or memory ran out (ctx->err set).
 */
int n1_conntab_each(struct n1_detect_ctx *ctx, struct n1_conntab *t,
                    int (*fn)(void *ud, struct n1_conn_node *node), void *ud,
                    int keep_going);

/*
 * Connections with open loops: what n_plus_one and duplicate share. Each
 * connection keeps up to max_loops_per_conn loops and its request state
 * (transaction open, autocommit, trace id). A loop ends at a request
 * boundary (Connect, Quit, a pool's reset, a preamble, a new trace id),
 * when a statement outside its body runs between two executions, after a
 * pause far longer than its rhythm or max_gap_ms, after
 * max_gap_statements others, when the connection idles or is evicted,
 * when a newer loop needs its place, or at finish.
 * The detector decides what an ended loop is worth (ops->report) and may
 * keep more per connection by embedding struct n1_loop_conn first in its
 * own struct of ops->conn_size bytes.
 */
struct n1_loop_conn {
    struct n1_conn_node node;   /* first: the table links it */
    uint64_t seq;               /* statements seen on the connection */
    struct n1_loop **loops;     /* open loops, max_loops_per_conn places */
    size_t n_loops;             /* entries in loops */
    int in_txn;                 /* a transaction is open */
    int autocommit_off;         /* SET autocommit = 0 is in force */
    int in_preamble;            /* the last statement was a preamble */
    uint64_t trace;             /* n1_trace_id() of the request, 0 none */
    enum n1_boundary req_start; /* what opened the current request */
};

struct n1_loop_conns;

struct n1_loop_conns_ops {
    size_t conn_size; /* bytes of the detector's connection struct */
    /* Handles a Query or Execute event (n1_loop_conns_statement() gives
       its connection). Returns 0 or -1 with ctx->err set. */
    int (*statement)(struct n1_loop_conns *t, const struct n1_event *ev,
                     const struct n1_norm *norm);
    /* Judges loop l of c just before it is freed; emits it when it
       qualifies. Returns 0 or -1 with ctx->err set. */
    int (*report)(struct n1_detect_ctx *ctx, const struct n1_loop_conn *c,
                  const struct n1_loop *l);
    /* Releases what the detector keeps in c besides the loops (not c
       itself). NULL: nothing. */
    void (*release)(struct n1_loop_conn *c);
    /* Forgets that state at a request boundary. NULL: nothing. */
    void (*reset)(struct n1_loop_conn *c);
    /* Reports the offsets of what the detector keeps in c besides the
       loops and their parents (n1_detector_ops.low_water). NULL ok. */
    void (*low_water)(const struct n1_loop_conn *c, n1_low_water_fn cb,
                      void *ud);
    /* 1: every loop evicted for room counts in loop_evictions; 0: only
       those that had repeated. */
    int count_all_evictions;
};

struct n1_loop_conns {
    struct n1_conntab tab;               /* the connections */
    struct n1_detect_ctx *ctx;           /* borrowed */
    const struct n1_loop_conns_ops *ops; /* borrowed (static) */
};

/* Prepares t for ctx's max_connections. 0, or -1 with ctx->err set. */
int n1_loop_conns_init(struct n1_loop_conns *t, struct n1_detect_ctx *ctx,
                       const struct n1_loop_conns_ops *ops);

/* Frees every connection and loop, emitting nothing. */
void n1_loop_conns_cleanup(struct n1_loop_conns *t);

/*
 * The connection of a Query or Execute event whose fingerprint is fp,
 * made when new (evicting the least recently used one at
 * max_connections), counted as having run one more statement, with its
 * loops that the event ends closed (fp outside a body, a time gap).
 * Returns it, or NULL with ctx->err set.
 */
struct n1_loop_conn *n1_loop_conns_statement(struct n1_loop_conns *t,
                                             const struct n1_event *ev,
                                             uint64_t fp);

/*
 * Starts loop l (just made for c) in c's request: its first boundary and
 * its place in c->loops (n1_loop_conns_make_room() made room).
 */
void n1_loop_conns_add(struct n1_loop_conn *c, struct n1_loop *l);

/*
 * Makes room for one more loop on c: when its places are full, ends the
 * loop that ran least recently. Returns 0, or -1 with ctx->err set.
 */
int n1_loop_conns_make_room(struct n1_loop_conns *t, struct n1_loop_conn *c);

/* Ends the connection of a Quit or Connect event, if known. 0 or -1. */
int n1_loop_conns_end(struct n1_loop_conns *t, const struct n1_event *ev);

/*
 * Reads the request boundaries of one event (before the noise filter):
 * transaction control, a pool's reset, preambles, a new trace id, the
 * Change user and Reset Connection commands. A boundary ends every open
 * loop of the connection and its parent history. 0 or -1.
 */
int n1_loop_conns_control(struct n1_loop_conns *t, const struct n1_event *ev,
                          const struct n1_norm *norm);

/* Ends what has been idle at now_us (n1_detector_ops.tick). 0 or -1. */
int n1_loop_conns_tick(struct n1_loop_conns *t, int64_t now_us);

/* Ends every connection (n1_detector_ops.finish). 0 or -1. */
int n1_loop_conns_finish(struct n1_loop_conns *t);

/* n1_detector_ops.low_water over every connection and loop. */
void n1_loop_conns_low_water(const struct n1_loop_conns *t, n1_low_water_fn cb,
                             void *ud);

/*
 * A detector made of n1_loop_conns alone. Its n1_detector_ops are the
 * n1_loop_detector_* functions below, under the detector's own name.
 */
struct n1_loop_detector {
    struct n1_detector base;    /* first */
    struct n1_loop_conns conns; /* its connections */
};

/*
 * Makes a loop detector with ops (static, the n1_loop_detector_*
 * functions) and cops. Returns it, or NULL with ctx->err set.
 */
struct n1_detector *n1_loop_detector_new(struct n1_detect_ctx *ctx,
                                         const struct n1_detector_ops *ops,
                                         const struct n1_loop_conns_ops *cops);
/* Quit and Connect end the connection; Query and Execute go to
   cops->statement. */
int n1_loop_detector_on_event(struct n1_detector *det,
                              const struct n1_event *ev,
                              const struct n1_norm *norm);
int n1_loop_detector_tick(struct n1_detector *det, int64_t now_us);
int n1_loop_detector_finish(struct n1_detector *det);
void n1_loop_detector_free(struct n1_detector *det);
void n1_loop_detector_low_water(struct n1_detector *det, n1_low_water_fn cb,
                                void *ud);

#endif /* N1_DETECT_INT_H */
