/* SPDX-License-Identifier: MIT */
/*
 * server.h: events out of a running server's performance_schema.
 *
 * A server source holds one client connection and polls
 * performance_schema.events_statements_history_long, the ring of the
 * statements every connection ran last. Each poll hands out, in the order
 * the statements started, the rows it has not handed out before: a
 * high-water EVENT_ID per server thread says which. The ring is a ring:
 * rows overwritten before a poll reads them leave a gap in a thread's
 * EVENT_IDs, counted as lost. Statements whose SQL_TEXT the server cut
 * (performance_schema_max_sql_text_length) and statements run inside
 * stored programs are counted and skipped, never handed out.
 *
 * Nothing here prints: what the caller should know comes back as
 * counters and error messages. The password is only passed to the client
 * library; it is never copied into a message.
 */
#ifndef N1_SERVER_H
#define N1_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/event.h"
#include "read/conn.h"

/* What the source counted since it was opened. */
struct n1_server_stats {
    uint64_t polls;    /* polls done */
    uint64_t rows;     /* new rows read */
    uint64_t events;   /* events handed out */
    uint64_t lost;     /* statements overwritten in the ring before a
                          poll read them (EVENT_IDs missing; with stage
                          or wait events instrumented, an upper bound) */
    uint64_t cut;      /* statements skipped: SQL_TEXT cut by the server */
    uint64_t nested;   /* statements skipped: run by a stored program */
    uint64_t no_text;  /* rows without SQL_TEXT (pings, quits) */
    uint64_t history;  /* performance_schema_events_statements_history_
                          long_size */
    uint64_t text_max; /* performance_schema_max_sql_text_length, or
                          the longest statement a log table row may
                          have to be read */
    const char *from;  /* the table read, for messages; static */
};

/*
 * Receives one event in start order. ev and its strings are borrowed for
 * the call. Returns 0 to go on, -1 to end the poll with err set.
 */
typedef int (*n1_server_event_fn)(void *ud, const struct n1_event *ev,
                                  struct n1_error *err);

struct n1_server;

/*
 * Connects with o (copied; the strings are used during the call only)
 * and checks that performance_schema records what a poll reads; name
 * (borrowed, must outlive the source) becomes every event's file. Returns
 * the source, which the caller frees with n1_server_close(), or NULL with
 * err set and *fail (may be NULL) telling why: CONNECT (the message names
 * the host) or SETUP (the message gives the SQL or the server options
 * that turn on what is off).
 */
struct n1_server *n1_server_open(const struct n1_server_opts *o,
                                 const char *name, enum n1_server_fail *fail,
                                 struct n1_error *err);

/*
 * Reads the rows added since the last poll and calls fn with each event,
 * in the order the statements started. Returns 0, or -1 with err set and
 * *fail (may be NULL) telling why.
 */
int n1_server_poll(struct n1_server *s, n1_server_event_fn fn, void *ud,
                   enum n1_server_fail *fail, struct n1_error *err);

/*
 * When the server started, in UTC microseconds (its clock now minus its
 * uptime, taken once at open): marks are only valid for the same start.
 */
int64_t n1_server_started(const struct n1_server *s);

/*
 * Restores the high-water mark of a server thread (the highest event id
 * already read, nested events included), so that a poll skips what a
 * previous run read. Returns 0, or -1 when memory ran out.
 */
int n1_server_set_mark(struct n1_server *s, uint64_t thread, uint64_t mark);

/* Calls cb with every thread's high-water mark, thread ids ascending. */
void n1_server_marks(const struct n1_server *s,
                     void (*cb)(void *ud, uint64_t thread, uint64_t mark),
                     void *ud);

/* Counters so far; borrowed, valid until n1_server_close(). */
const struct n1_server_stats *n1_server_stats(const struct n1_server *s);

/* Closes the connection and frees the source. NULL allowed. */
void n1_server_close(struct n1_server *s);

/* Receives one thread's high-water mark (n1_server_marks()). */
typedef void (*n1_server_mark_fn)(void *ud, uint64_t thread, uint64_t mark);

/*
 * A server source as a table of functions, so that `live` polls any of
 * them: performance_schema (this file's functions) or the log tables
 * (read/server_table.h). Each function does what the n1_server_ one of
 * the same name does; s is what open returned.
 */
struct n1_server_source {
    const char *kind; /* "perfschema" or "table": --source, store name */
    void *(*open)(const struct n1_server_opts *o, const char *name,
                  enum n1_server_fail *fail, struct n1_error *err);
    int (*poll)(void *s, n1_server_event_fn fn, void *ud,
                enum n1_server_fail *fail, struct n1_error *err);
    int64_t (*started)(const void *s); /* 0: marks outlive restarts */
    int (*set_mark)(void *s, uint64_t thread, uint64_t mark);
    void (*marks)(const void *s, n1_server_mark_fn cb, void *ud);
    const struct n1_server_stats *(*stats)(const void *s);
    void (*close)(void *s);
};

/* The source named kind ("perfschema", "table"), or NULL. Static. */
const struct n1_server_source *n1_server_source_find(const char *kind);

#endif /* N1_SERVER_H */
