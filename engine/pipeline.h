/* SPDX-License-Identifier: MIT */
/*
 * pipeline.h: the driver every reading subcommand shares:
 * reader -> normaliser -> detectors -> aggregate -> store.
 *
 * A pipeline owns the normaliser, the in-memory aggregate and the store;
 * the caller owns the detectors (NULL for none) and the finding sink.
 * Files go through one at a time, each parsed on a reader thread while
 * the calling thread runs everything else (hooks and detectors included,
 * in log order); the aggregate is flushed to the store together with each
 * file's byte offset, so an interrupted run leaves a store whose
 * statistics and offsets agree.
 */
#ifndef N1_PIPELINE_H
#define N1_PIPELINE_H

#include <stdint.h>

#include "base/error.h"
#include "engine/notice.h"
#include "read/reader.h"
#include "sql/normalize.h"

struct n1_agg;
struct n1_detectors;
struct n1_store;

/*
 * Decides whether an event takes part in the run at all (statistics and
 * detectors). norm is NULL for events without SQL (Connect, Quit). The
 * pipeline's events carry their metrics but no attrs (n_attrs is 0), for
 * hooks and detectors alike. Returns
 * 1 to keep the event, 0 to drop it. Both arguments are only read during
 * the call.
 */
typedef int (*n1_pipeline_accept_fn)(void *ud, const struct n1_event *ev,
                                     const struct n1_norm *norm);

/*
 * Chooses the classes a kept statement is counted in, one per call with
 * i = 0, 1, ... until it returns NULL: norm itself (group by
 * fingerprint) or a norm whose text, len, id and hex name another class
 * (the event's db, or each table it touches), borrowed from ud and valid
 * until the next call. NULL at i = 0 leaves the statement out of the
 * statistics; a statement counted in several classes counts once in
 * n1_pipeline_stats.statements.
 */
typedef const struct n1_norm *(*n1_pipeline_group_fn)(
    void *ud, const struct n1_event *ev, const struct n1_norm *norm, size_t i);

struct n1_pipeline_opts {
    const char *db_path;            /* store path; ":memory:" keeps nothing */
    int reset_store;                /* 1: drop data of another version */
    int reread;                     /* 1: read files the store has seen */
    struct n1_reader_opts reader;   /* warn callback etc. */
    struct n1_detectors *detectors; /* borrowed; NULL: no detection */
    uint64_t flush_events;          /* flush a store on disk every so many
                                       events; 0: no limit */
    size_t flush_memory;            /* ... and when the aggregate holds this
                                       many bytes; 0: no limit */
    int progress;                   /* 1: progress notices */
    n1_notice_fn notice;            /* NULL: no notices */
    void *notice_ud;                /* passed to notice */
    n1_pipeline_accept_fn accept;   /* NULL: keep every event */
    n1_pipeline_group_fn group;     /* NULL: count under the fingerprint */
    void *hook_ud;                  /* passed to accept and group */
    int keep_classes;               /* 1: with a ":memory:" store, keep the
                                       classes in memory for the report
                                       (n1_pipeline_classes()) instead of
                                       copying them into the store */
    int no_stats;                   /* 1: with a ":memory:" store, keep no
                                       statement statistics at all (the
                                       caller reads none); statements are
                                       still counted */
};

struct n1_pipeline_stats {
    uint64_t files;                /* inputs given */
    uint64_t files_skipped;        /* inputs already read before */
    uint64_t not_logs;             /* inputs that were not logs / unreadable */
    uint64_t events;               /* events read this run */
    uint64_t statements;           /* events counted in the statistics */
    uint64_t skipped_lines;        /* lines no event could use */
    uint64_t skipped_events;       /* events dropped (too big, unreadable) */
    uint64_t filtered;             /* events the accept hook dropped */
    uint64_t tz_assumed;           /* inputs whose local times were read as UTC,
                                      no zone given or shown */
    uint64_t tz_read;              /* inputs whose local times were read in the
                                      zone given or the offset the log showed */
    char tz_label[N1_TZ_NAME_MAX]; /* that zone, of the last such input */
};

struct n1_pipeline;

/* Default memory budget of the aggregate between flushes. */
#define N1_PIPELINE_FLUSH_MEMORY ((size_t)32 << 20)

/* Default events between flushes to a store on disk: a checkpoint for
   interrupted runs, rare enough that merging every class stays cheap. */
#define N1_PIPELINE_FLUSH_EVENTS 2000000u

/*
 * Fills *o with defaults: store ./n1digest.db, flushed at the end of each
 * input and, on disk, every N1_PIPELINE_FLUSH_EVENTS events or when the
 * aggregate passes N1_PIPELINE_FLUSH_MEMORY. A ":memory:" store is flushed
 * at the end of each input only.
 */
void n1_pipeline_opts_default(struct n1_pipeline_opts *o);

/*
 * Opens the store and builds the normaliser. Returns a pipeline the
 * caller frees with n1_pipeline_free(), or NULL with err set.
 */
struct n1_pipeline *n1_pipeline_new(const struct n1_pipeline_opts *opts,
                                    struct n1_error *err);

/*
 * Reads one input to its end. An input that cannot be opened or is not a
 * log is reported through the notice callback (N1_NOTICE_ERROR), counted
 * in not_logs, and is not an error here. What it does (skipped, resumed,
 * the flavour) goes to the notice callback too (N1_NOTICE_INFO). Returns 0, or
 * -1 with err set on a store or memory failure.
 */
int n1_pipeline_read(struct n1_pipeline *p, const char *path,
                     struct n1_error *err);

/*
 * Tells a pipeline with progress on which n inputs it is about to read,
 * so that the progress notices show the percent of their bytes read and
 * the time remaining. The total is the sum of their sizes (a compressed
 * input counts by the compressed bytes decoded); stdin or a pipe among
 * them leaves it unknown, and the notices show bytes and rates only.
 * Optional; does nothing without progress.
 */
void n1_pipeline_expect(struct n1_pipeline *p, char *const *paths, size_t n);

/*
 * Ends the run: lets the detectors finish and flushes the last
 * statistics. Returns 0 or -1 with err set.
 */
int n1_pipeline_finish(struct n1_pipeline *p, struct n1_error *err);

/*
 * The classes of the run when it keeps them (keep_classes with a
 * ":memory:" store), else NULL: after n1_pipeline_finish(), every class the
 * store would hold, with the same numbers (see n1_agg_absorb()). Borrowed,
 * valid until n1_pipeline_free().
 */
const struct n1_agg *n1_pipeline_classes(const struct n1_pipeline *p);

/* Counters so far; borrowed. */
const struct n1_pipeline_stats *n1_pipeline_stats(const struct n1_pipeline *p);

/* The store, for reports after the run; borrowed. */
struct n1_store *n1_pipeline_store(struct n1_pipeline *p);

/* Exit status for what the run saw: 3 when an input was not a log, 4
   when something was skipped, else 0. */
int n1_pipeline_exit_status(const struct n1_pipeline *p);

/* Frees the pipeline, closing the store. NULL allowed. */
void n1_pipeline_free(struct n1_pipeline *p);

#endif /* N1_PIPELINE_H */
