/* SPDX-License-Identifier: MIT */
/*
 * store.h: the SQLite store of fingerprint classes and file progress.
 *
 * A store is one SQLite database (WAL, synchronous=NORMAL) holding, per
 * fingerprint, the merged statistics of every run, and per input file how
 * far it has been read. n1_store_flush() merges an aggregate table and the
 * new file offsets in one transaction, so the offsets and the statistics
 * always agree: after a crash, reading each file again from its recorded
 * offset counts every event exactly once. docs/store.md has the schema.
 *
 * A store refuses data written with another N1_FINGERPRINT_VERSION, since
 * ids of different versions must never be mixed, unless it is opened with
 * the reset option, which deletes the old data.
 */
#ifndef N1_STORE_H
#define N1_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "read/source.h"
#include "stats/aggregate.h"

/* Schema version this build writes (the number of migrations). */
#define N1_STORE_SCHEMA_VERSION 7

struct n1_store_opts {
    /* 1: when the store holds data of another fingerprint version, delete
       all of it (classes and file progress) and start over. 0: refuse. */
    int reset;
    /* Bytes of sample statement kept per class; 0: N1_AGG_SAMPLE_MAX. */
    size_t sample_max;
};

struct n1_store;

/*
 * Opens (creating if needed) the store at path; ":memory:" gives a private
 * in-memory store. Applies pending schema migrations, each in its own
 * transaction. opts may be NULL for defaults. Returns a store the caller
 * closes with n1_store_close(), or NULL with err set (N1_ESTORE, naming
 * path): the file is not an n1digest store, was written by a newer schema,
 * holds another fingerprint version, or SQLite failed.
 */
struct n1_store *n1_store_open(const char *path,
                               const struct n1_store_opts *opts,
                               struct n1_error *err);

/* Finalises every statement and closes the database. NULL allowed. */
void n1_store_close(struct n1_store *st);

/* The path the store was opened with; borrowed, valid until close. */
const char *n1_store_path(const struct n1_store *st);

/* What the store remembers of one input file. */
struct n1_file_state {
    int64_t id;                 /* row id, to pass back in n1_file_progress */
    char *path;                 /* path when last read; owned */
    struct n1_file_ident ident; /* identity when last read */
    uint64_t offset;            /* end of the last committed event */
    unsigned long line;         /* line number at offset */
    int complete;               /* 1 when the reader reached end of input */
    char flavour[32];           /* flavour name as recorded */
    uint64_t events;            /* events counted from this file */
    uint64_t skipped;           /* lines and events skipped in this file */
    int64_t first_read;         /* Unix seconds of the first flush */
    int64_t last_read;          /* Unix seconds of the last flush */
};

/* Makes *fs empty (no path). */
void n1_store_file_state_init(struct n1_file_state *fs);

/* Frees what *fs owns and leaves it empty. NULL allowed. */
void n1_store_file_state_cleanup(struct n1_file_state *fs);

/*
 * Finds the most recent record of the input now at path with identity
 * ident (NULL allowed: match by path only). A record with the same device
 * and inode wins over one with the same path, so a rotated (renamed) log
 * is still recognised. Returns 1 with *out (initialised) replaced, 0 when
 * there is none, or -1 with err set.
 */
int n1_store_file_lookup(struct n1_store *st, const char *path,
                         const struct n1_file_ident *ident,
                         struct n1_file_state *out, struct n1_error *err);

/* What to do with an input, given what the store remembers of it. */
enum n1_file_verdict {
    N1_FILE_NEW = 0, /* never seen: read from the start, new record */
    N1_FILE_SAME,    /* already read to the end: skip it */
    N1_FILE_GROWN,   /* same file, more to read: resume at prev->offset */
    N1_FILE_REPLACED /* another file at that path (rotated, truncated):
                        read from the start, new record */
};

/*
 * Decides how to treat the input with identity cur given its previous
 * record prev (NULL: never seen). Identity is device, inode and the hash
 * of the first prev->ident.head_len bytes: when the file has grown past
 * them, prefix_hash must point to the hash (as n1_file_ident.head_hash) of
 * the first prev->ident.head_len bytes of the file now, or be NULL to
 * trust device and inode alone. Streams without an inode (stdin) are
 * always N1_FILE_NEW. Compressed inputs (device 0) cannot be compared by
 * size: they are N1_FILE_SAME when complete and unchanged, N1_FILE_GROWN
 * when an earlier read stopped early (resume by skipping prev->offset
 * uncompressed bytes).
 */
enum n1_file_verdict n1_store_file_verdict(const struct n1_file_state *prev,
                                           const struct n1_file_ident *cur,
                                           const uint64_t *prefix_hash);

/* Short name of a verdict ("new", "same", "grown", "replaced"). */
const char *n1_store_verdict_name(enum n1_file_verdict v);

/* How far one input has been read, for n1_store_flush(). */
struct n1_file_progress {
    int64_t file_id;            /* in: the record to update (from a lookup
                                   with verdict GROWN, or an earlier flush),
                                   0 for a new record; out: set by a
                                   successful flush */
    const char *path;           /* display path; borrowed */
    struct n1_file_ident ident; /* identity as opened */
    uint64_t offset;            /* end of the last event in the aggregate */
    unsigned long line;         /* line number at offset */
    int complete;               /* 1 when the reader reached end of input */
    const char *flavour;        /* flavour name; borrowed, may be NULL */
    uint64_t events;            /* events from this file in all runs */
    uint64_t skipped;           /* skipped lines + events in all runs */
};

/*
 * In one transaction, merges every class of agg into the stored classes
 * (counts and sums add, histograms merge, min/max and first/last widen,
 * the slower sample wins) and records each of the n entries of files
 * (files may be NULL when n is 0). Either all of it becomes visible or,
 * on failure, none of it. Sets files[i].file_id of new records only on
 * success. agg is only read; the caller resets it after success. Returns
 * 0, or -1 with err set (N1_ESTORE).
 */
int n1_store_flush(struct n1_store *st, const struct n1_agg *agg,
                   struct n1_file_progress *files, size_t n,
                   struct n1_error *err);

/*
 * n1_store_flush() for an aggregate the caller is done with: each class's
 * heap is freed (n1_agg_release()) as soon as it has been merged, so the
 * aggregate and the store's copy of it are never both whole in memory,
 * which halves the peak for a ":memory:" store. agg is left with empty
 * classes on success and on failure alike; the caller resets it. Returns
 * 0, or -1 with err set as n1_store_flush() does.
 */
int n1_store_flush_drain(struct n1_store *st, struct n1_agg *agg,
                         struct n1_file_progress *files, size_t n,
                         struct n1_error *err);

/*
 * Loads the stored class of id into *out (initialised; replaced on
 * success). Returns 1, 0 when the store has no such class, or -1 with err
 * set (N1_ESTORE, or N1_EPARSE for a corrupt histogram).
 */
int n1_store_load_class(struct n1_store *st, uint64_t id,
                        struct n1_agg_class *out, struct n1_error *err);

/*
 * Fills *out (initialised and empty) with the merge of every stored class:
 * the overall totals (id 0, no text). Returns 0, or -1 with err set; the
 * caller cleans *out either way.
 */
int n1_store_totals(struct n1_store *st, struct n1_agg_class *out,
                    struct n1_error *err);

/* Number of stored classes, or -1 with err set. */
long n1_store_class_count(struct n1_store *st, struct n1_error *err);

struct n1_store_cursor;

/*
 * Starts an iteration over the stored classes (ordered by id) or files
 * (ordered by first read). Returns a cursor the caller frees with
 * n1_store_cursor_free() before closing the store, or NULL with err set.
 * Do not flush while a cursor is open.
 */
struct n1_store_cursor *n1_store_classes(struct n1_store *st,
                                         struct n1_error *err);
struct n1_store_cursor *n1_store_files(struct n1_store *st,
                                       struct n1_error *err);

/*
 * Sets *out to the next class of a n1_store_classes() cursor, with its
 * histograms decoded. Returns 1, 0 at the end, or -1 with err set. *out
 * is borrowed from the cursor, valid until the next call or free.
 */
int n1_store_next_class(struct n1_store_cursor *cur,
                        const struct n1_agg_class **out, struct n1_error *err);

/* Same as n1_store_next_class() for a n1_store_files() cursor. */
int n1_store_next_file(struct n1_store_cursor *cur,
                       const struct n1_file_state **out, struct n1_error *err);

/* Frees a cursor. NULL allowed. */
void n1_store_cursor_free(struct n1_store_cursor *cur);

/* One finding of `n1digest analyze` as the store keeps it. */
struct n1_store_finding {
    uint64_t id;           /* class id of the finding (struct n1_finding
                              id): its occurrences share it */
    const char *kind;      /* "n_plus_one", "duplicate", "fanout" */
    uint64_t fingerprint;  /* fingerprint id of the repeated statement */
    const char *file;      /* log file of the first execution, as given */
    unsigned long line;    /* its line */
    int64_t first_seen_us; /* UTC microseconds, N1_TS_NONE unknown */
    int64_t last_seen_us;  /* UTC microseconds, N1_TS_NONE unknown */
    uint64_t count;        /* executions */
    const char *json;      /* the whole finding as one JSON object */
    size_t json_len;       /* bytes in json */
    const char *out;       /* `n1digest tail` only: the line it prints for
                              the finding, without "\n"; stored as not
                              printed yet (migration 5). NULL otherwise */
    int64_t run_time;      /* Unix seconds of the run that found it; set
                              by the store when saving */
    const char *occ;       /* the finding as an occurrence of its class,
                              exactly as the JSON report writes it
                              (n1_classes_occurrence_text(); migration 6);
                              NULL: not kept, rendered from json */
    /* What a class summary needs besides the columns above, so that it is
       built without parsing json (migration 6). summary 0: not kept (a
       row saved before), the fields below are then 0. */
    int summary;
    uint64_t saved;        /* round trips saved */
    uint64_t keys;         /* distinct keys */
    double time_s;         /* total time to the microsecond, as json has
                              it; NaN unknown */
    int confidence;        /* evidence: enum n1_confidence */
    int starts;            /* evidence: enum n1_boundary */
    int ends;              /* evidence: enum n1_boundary */
    int ev_known;          /* 1: the evidence says more than the default */
    const uint64_t *conns; /* connections (a fanout's, or the one) */
    size_t n_conns;        /* entries in conns */
};

/*
 * In one transaction, deletes every stored finding whose file is one of
 * the n_replace paths in replace (NULL when n_replace is 0: those files
 * were read again from the start, so their old findings are stale), then
 * inserts the n findings of f (NULL when n is 0), stamped with the current
 * time. Strings in f are only read. Returns 0, or -1 with err set
 * (N1_ESTORE) and nothing changed.
 */
int n1_store_save_findings(struct n1_store *st, const char *const *replace,
                           size_t n_replace, const struct n1_store_finding *f,
                           size_t n, struct n1_error *err);

/*
 * Sets *out to the row number (seq) of the newest stored finding, 0 when
 * there is none: rows saved later have larger numbers. Returns 0, or -1
 * with err set.
 */
int n1_store_findings_last(struct n1_store *st, int64_t *out,
                           struct n1_error *err);

/*
 * As n1_store_save_findings(), but drops only the findings of the
 * replaced files whose row number is at most upto (from
 * n1_store_findings_last() before the run): the run's own earlier
 * batches stay.
 */
int n1_store_save_findings_upto(struct n1_store *st, const char *const *replace,
                                size_t n_replace, int64_t upto,
                                const struct n1_store_finding *f, size_t n,
                                struct n1_error *err);

/*
 * Starts an iteration over the stored findings of one log file (file as
 * stored, compared byte for byte; NULL: every finding), oldest first.
 * Returns a cursor the caller frees with n1_store_cursor_free(), or NULL
 * with err set.
 */
struct n1_store_cursor *n1_store_findings(struct n1_store *st, const char *file,
                                          struct n1_error *err);

/*
 * Starts an iteration over the stored findings (occurrences) grouped by
 * class: ordered by id (the class id), then by first_seen (unknown
 * first), file, line and insertion order. id NULL: every class; else only
 * the occurrences of class *id. Read the rows with
 * n1_store_next_finding(). Returns a cursor the caller frees with
 * n1_store_cursor_free(), or NULL with err set.
 */
struct n1_store_cursor *n1_store_findings_by_class(struct n1_store *st,
                                                   const uint64_t *id,
                                                   struct n1_error *err);

/*
 * Sets *out to the next finding of a n1_store_findings() cursor. Returns
 * 1, 0 at the end, or -1 with err set. *out and its strings are borrowed
 * from the cursor, valid until the next call or free.
 */
int n1_store_next_finding(struct n1_store_cursor *cur,
                          const struct n1_store_finding **out,
                          struct n1_error *err);

/*
 * Loads the record with row id into *out (initialised; replaced on
 * success). Returns 1, 0 when there is no such row, or -1 with err set.
 */
int n1_store_file_get(struct n1_store *st, int64_t id,
                      struct n1_file_state *out, struct n1_error *err);

/* The last verdict `n1digest verify` gave a finding (migration 7). */
struct n1_store_verdict {
    uint64_t id;         /* the finding's class id */
    char verdict[16];    /* "verified", "differs", "failed", "skipped" */
    char detail[512];    /* the row, the server's error or the reason */
    char host[256];      /* where it ran: host or socket, never a user or
                            a password */
    int64_t verified_at; /* Unix seconds */
};

/*
 * Keeps v as the verdict of finding v->id, replacing an earlier one.
 * Returns 0, or -1 with err set (N1_ESTORE).
 */
int n1_store_verdict_put(struct n1_store *st, const struct n1_store_verdict *v,
                         struct n1_error *err);

/*
 * Loads the verdict of finding id into *out. Returns 1, 0 when the
 * finding has none, or -1 with err set.
 */
int n1_store_verdict_get(struct n1_store *st, uint64_t id,
                         struct n1_store_verdict *out, struct n1_error *err);

/* Receives each stored verdict (borrowed for the call); returns 0 to go
   on, non-zero to stop. */
typedef int (*n1_store_verdict_fn)(void *ud, const struct n1_store_verdict *v);

/*
 * Calls fn with every stored verdict, by finding id, until it returns
 * non-zero. Returns 0, or -1 with err set.
 */
int n1_store_verdict_each(struct n1_store *st, n1_store_verdict_fn fn, void *ud,
                          struct n1_error *err);

/*
 * A point `n1digest tail` can resume parsing from (migration 4): an event
 * boundary of one generation and the reader state there (reader_ctx.h).
 */
struct n1_tail_checkpoint {
    int64_t file_id;    /* files row of the generation */
    uint64_t base;      /* stream offset of that file's byte 0 */
    uint64_t offset;    /* file offset of the boundary */
    unsigned long line; /* line number there */
    void *ctx;          /* reader snapshot; owned by the loader (free()),
                           borrowed when committing */
    size_t ctx_len;     /* bytes in ctx */
};

/*
 * Where `n1digest tail` resumes one followed path (migration 3). Offsets in
 * conns are stream offsets: a file's byte offset plus its base, the bytes
 * of the path's earlier generations (rotated files) before it.
 */
struct n1_tail_state {
    int64_t file_id;        /* files row of the generation being read;
                               its offset is the commit point */
    uint64_t base;          /* stream offset of that file's byte 0 */
    int64_t replay_file_id; /* files row holding the replay point */
    uint64_t replay_base;   /* stream offset of that file's byte 0 */
    uint64_t replay_offset; /* file offset of the oldest event the
                               detectors' open state depends on */
    uint64_t *conns;        /* n_conns pairs (connection, stream offset
                               of its oldest needed event); owned by
                               the loader, borrowed when committing */
    size_t n_conns;         /* pairs in conns */
    const struct n1_tail_checkpoint *cps; /* committing only: n_cps
                                   checkpoints to record too */
    size_t n_cps;
};

/*
 * Loads the tail state of path into *out (zeroed first). Returns 1, 0
 * when none is stored, or -1 with err set. On 1 the caller frees
 * out->conns with free().
 */
int n1_store_tail_load(struct n1_store *st, const char *path,
                       struct n1_tail_state *out, struct n1_error *err);

/*
 * The path under which a tail state was recorded for the file with
 * device dev and inode inode as its current generation (the newest such
 * state): how a restart under another spelling of the path finds the
 * state of the run before. Returns 1 with *path set (the caller frees it
 * with free()) and *file_id the files row, 0 when there is none, or -1
 * with err set. *path and *file_id are set only on 1.
 */
int n1_store_tail_path_of(struct n1_store *st, uint64_t dev, uint64_t inode,
                          char **path, int64_t *file_id, struct n1_error *err);

/*
 * The newest checkpoint of path in the generation file_id at or before
 * file offset max_offset. Returns 1 with *out filled (the caller frees
 * out->ctx with free()), 0 when there is none, or -1 with err set.
 */
int n1_store_tail_checkpoint(struct n1_store *st, const char *path,
                             int64_t file_id, uint64_t max_offset,
                             struct n1_tail_checkpoint *out,
                             struct n1_error *err);

/*
 * `n1digest tail`'s commit, in one transaction: what n1_store_flush() does
 * with agg and files, then inserts the nf findings of f (nf may be 0, f
 * NULL), then records ts as the tail state of path, with ts->cps,
 * and drops the checkpoints before the newest one at or before the
 * replay point (no restart can start earlier). Either all of it
 * becomes visible or none of it. Returns 0, or -1 with err set.
 */
int n1_store_tail_commit(struct n1_store *st, const struct n1_agg *agg,
                         struct n1_file_progress *files, size_t n,
                         const struct n1_store_finding *f, size_t nf,
                         const char *path, const struct n1_tail_state *ts,
                         struct n1_error *err);

/*
 * Calls emit with the stored line of each finding of file that
 * n1_store_tail_commit() saved with an out line and that is not marked
 * printed yet, oldest first (a kill came between the commit and the
 * print, or the mark). The line is borrowed for the call. emit returns 0
 * to go on, -1 to stop with err set. Returns 0, or -1 with err set.
 */
int n1_store_tail_unemitted(struct n1_store *st, const char *file,
                            int (*emit)(void *ud, const char *line,
                                        struct n1_error *err),
                            void *ud, struct n1_error *err);

/*
 * Marks every finding of file that has an out line as printed. Call it
 * once the lines are written and flushed. Returns 0, or -1 with err set.
 */
int n1_store_tail_mark_emitted(struct n1_store *st, const char *file,
                               struct n1_error *err);

/*
 * 1 when the store holds a finding with the same id, file, line, count
 * and first_seen_us as f (a finding emitted again after a restart), 0
 * when not, -1 with err set.
 */
int n1_store_finding_seen(struct n1_store *st, const struct n1_store_finding *f,
                          struct n1_error *err);

#endif /* N1_STORE_H */
