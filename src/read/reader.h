/* SPDX-License-Identifier: MIT */
/*
 * reader.h: stream events out of MySQL / MariaDB / Percona query logs.
 *
 * A reader owns one input (a path, "-" for stdin; gzip, xz, bzip2 and
 * zstd are recognised by their magic bytes, not their names), detects the log
 * flavour from the first lines, and hands out one event per n1_reader_next()
 * call in memory that does not grow with the file: a line buffer and the event
 * being built, both capped by max_statement.
 *
 * Problems that lose data (a garbage line, an over-long statement, a
 * truncated last event) are not fatal: the reader reports each through the
 * warn callback, counts it in n1_reader_stats(), and goes on.
 */
#ifndef N1_READER_H
#define N1_READER_H

#include <stdint.h>

#include "base/error.h"
#include "base/event.h"
#include "base/timeutil.h"
#include "read/source.h"

enum n1_flavour {
    N1_FLAVOUR_UNKNOWN = 0,     /* not detected (yet) */
    N1_FLAVOUR_GENERAL_MARIADB, /* MariaDB: "YYMMDD H:MM:SS" when the second
                                   changes */
    N1_FLAVOUR_GENERAL_MYSQL,   /* MySQL 5.7/8.x: ISO-8601 UTC on every line */
    N1_FLAVOUR_GENERAL_LEGACY, /* MySQL <= 5.6 style without a MariaDB banner */
    N1_FLAVOUR_SLOW_MARIADB,   /* Thread_id:/Schema:/QC_hit: lines */
    N1_FLAVOUR_SLOW_MYSQL,     /* "# Time:" ISO per entry, Id: on User@Host */
    N1_FLAVOUR_SLOW_PERCONA,   /* Percona Server extended fields */
    N1_FLAVOUR_SLOW_LEGACY     /* MySQL <= 5.6 slow log */
};

/* Stable short name ("mariadb-general", "mysql-slow", ...). Never NULL. */
const char *n1_flavour_name(enum n1_flavour f);

/* 1 for the slow-log flavours, 0 otherwise. */
int n1_flavour_is_slow(enum n1_flavour f);

/* The parts of a "priv[user] @ host [ip]" client name (the slow log's
   User@Host, the log tables' user_host); spans into the parsed text. */
struct n1_user_host {
    const char *user; /* user, else priv when there are no brackets */
    size_t user_len;
    const char *host; /* host, else ip when the host is empty */
    size_t host_len;
    size_t end; /* bytes parsed (past "[ip]" when there is one) */
};

/*
 * Splits the len bytes at s, "priv[user] @ host [ip]" with any part
 * missing or cut short, into *uh (spans borrowed from s; lengths 0 when a
 * part is absent). Never fails.
 */
void n1_user_host_parse(const char *s, size_t len, struct n1_user_host *uh);

/* Default cap on one statement (and one line): 16 MiB. */
#define N1_READER_MAX_STATEMENT (16u * 1024u * 1024u)

struct n1_reader_opts {
    size_t max_statement;    /* bytes; 0 means N1_READER_MAX_STATEMENT */
    enum n1_flavour flavour; /* force a flavour; UNKNOWN means detect */
    struct n1_tz tz;         /* the zone of local-time stamps (MariaDB's and
                                old "YYMMDD" times, ISO times without a
                                zone); kind N1_TZ_NONE (zeroed opts): read
                                as UTC unless the log shows its offset */
    int follow;              /* 1: the file may grow (tail); an unterminated
                                last line is kept until more bytes arrive */
    int no_attrs;            /* 1: events carry no attrs (n_attrs 0); the
                                metrics are read all the same. Saves
                                copying every "Name: value" pair for
                                callers that only want the metrics */
    /* Called once per non-fatal problem (skipped line or event); err has
       file, line and a message. May be NULL. */
    void (*warn)(void *ud, const struct n1_error *err);
    void *warn_ud; /* passed to warn */
};

struct n1_reader_stats {
    uint64_t bytes;          /* bytes consumed (uncompressed) */
    uint64_t compressed;     /* compressed input: compressed bytes
                                decoded so far (a little ahead of bytes),
                                for progress against the file's size;
                                0 for plain input */
    uint64_t lines;          /* lines consumed */
    uint64_t events;         /* events returned */
    uint64_t skipped_lines;  /* lines that belonged to no event */
    uint64_t skipped_events; /* events dropped (over the cap, unreadable) */
};

struct n1_reader;

/*
 * Opens path ("-" is stdin) and detects its flavour unless opts forces one.
 * opts may be NULL for defaults. Returns a reader the caller frees with
 * n1_reader_close(), or NULL with err set: N1_ESYS when the file cannot be
 * read, N1_EPARSE when it is not a MySQL/MariaDB log.
 */
struct n1_reader *n1_reader_open(const char *path,
                                 const struct n1_reader_opts *opts,
                                 struct n1_error *err);

/*
 * Fills *ev with the next event. Returns 1, 0 at the end of the input (in
 * follow mode: no complete event yet; call again later), or -1 with err set
 * on a read error. Strings in *ev stay valid until the next call.
 */
int n1_reader_next(struct n1_reader *r, struct n1_event *ev,
                   struct n1_error *err);

/*
 * In follow mode, hands out the event still being built (its end is not
 * certain until the next header arrives). Returns 1 with *ev filled, or 0
 * when nothing is pending. Used after an idle timeout.
 */
int n1_reader_flush(struct n1_reader *r, struct n1_event *ev);

/*
 * Positions a reader on a plain file at byte offset (which must be the
 * start of an event, as recorded from n1_event.end_offset) with line as
 * its line number. Returns 0, or -1 with err set (compressed input and stdin
 * cannot seek; an offset past the end of the file is an error).
 */
int n1_reader_seek(struct n1_reader *r, uint64_t offset, unsigned long line,
                   struct n1_error *err);

/* The detected (or forced) flavour. */
enum n1_flavour n1_reader_flavour(const struct n1_reader *r);

/* Counters so far; borrowed, valid until n1_reader_close(). */
const struct n1_reader_stats *n1_reader_stats(const struct n1_reader *r);

/* Identity of the input as opened; borrowed, valid until close. */
const struct n1_file_ident *n1_reader_ident(const struct n1_reader *r);

/* The input's compression ("gzip", "xz", "bzip2", "zstd"; static
   text), or NULL for plain input. */
const char *n1_reader_compression(const struct n1_reader *r);

/* How the input's local-time stamps were read (n1_reader_tz_source()). */
enum n1_tz_source {
    N1_TZSRC_NONE = 0, /* no event time came from a local stamp (every
                          stamp named its zone, or was an epoch) */
    N1_TZSRC_ASSUMED,  /* local stamps read as UTC: nothing told the zone */
    N1_TZSRC_GIVEN,    /* local stamps read in the zone opts.tz gave */
    N1_TZSRC_DETECTED  /* the log showed its offset: a slow log's
                          "SET timestamp=" epoch beside its local
                          "# Time:" (rounded to 15 minutes) */
};

/*
 * How the local-time stamps read so far became UTC; with tz not NULL,
 * *tz is set to the zone used (the detected offset for
 * N1_TZSRC_DETECTED).
 */
enum n1_tz_source n1_reader_tz_source(const struct n1_reader *r,
                                      struct n1_tz *tz);

/* Display name of the input; borrowed, valid until close. */
const char *n1_reader_name(const struct n1_reader *r);

/* Closes the input and frees the reader. NULL allowed. */
void n1_reader_close(struct n1_reader *r);

#endif /* N1_READER_H */
